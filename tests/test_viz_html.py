"""The stepper page (microgradnet.viz.html), checked by parsing the file it writes.

The browser test (tests/test_browser.py) checks the same page in a real Chromium.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from microgradnet import Value, topological_order
from microgradnet.viz import HtmlStepper, export_html, trace_backward
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.html import stepper_html

MALICIOUS = "<script>alert(1)</script>"


def lecture() -> Value:
    # Karpathy's micrograd lecture ("The spelled-out intro to neural networks and backpropagation",
    # 2022): L = (a*b + c) * f at a=2, b=-3, c=10, f=-2; dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4
    return parse_expression("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2})


class _Scripts(HTMLParser):
    """Collects every <script> element (type and text) and every attribute of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str, str, str]] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self._open: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self.attributes.append((tag, name, value))
        if tag == "script":
            a = dict(attrs)
            self._open = (a.get("type") or "", a.get("class") or "")
            self.scripts.append((*self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            kind, cls, text = self.scripts[-1]
            self.scripts[-1] = (kind, cls, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def parse_page(text: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("page") / "lecture.html"
    export_html(lecture(), path)
    return path, path.read_text(encoding="utf-8")


def embedded(text: str, cls: str) -> object:
    scripts = [s for s in parse_page(text).scripts if s[0] == "application/json" and s[1] == cls]
    assert len(scripts) == 1
    return json.loads(scripts[0][2])


def test_page_embeds_the_trace_exactly(page: tuple[Path, str]) -> None:
    _, text = page
    assert embedded(text, "mg-trace") == json.loads(trace_backward(lecture()).to_json())


def test_steps_walk_forward_then_every_edge_backward(page: tuple[Path, str]) -> None:
    _, text = page
    model = embedded(text, "mg-steps")
    assert isinstance(model, dict)
    kinds = [s["kind"] for s in model["steps"]]
    # inputs, 3 op nodes, the seed, 6 edges (the lecture graph), the summary
    assert kinds == ["inputs", "forward", "forward", "forward", "seed", *["edge"] * 6, "done"]
    lines = {s["lines"][2] for s in model["steps"] if s["kind"] == "edge"}
    # the lecture's numbers, written out: dL/da = b * dL/de = (-3)(-2) = 6 and dL/db = a * dL/de = -4
    assert "a.grad 0 → 6  (final)" in lines and "b.grad 0 → -4  (final)" in lines
    a_step = next(s for s in model["steps"] if s["lines"][2].startswith("a.grad"))
    assert a_step["lines"][0] == "∂L/∂a += ∂e/∂a · ∂L/∂e = b · ∂L/∂e"
    assert a_step["lines"][1].strip() == "= (-3) · (-2) = 6"
    assert a_step["narration"].startswith("The * gate swaps its inputs")
    assert "∂L/∂a = 6" in model["steps"][-1]["lines"][0] and "∂L/∂b = -4" in model["steps"][-1]["lines"][0]


def test_every_step_is_also_written_in_the_page_without_javascript(page: tuple[Path, str]) -> None:
    _, text = page
    assert "a.grad 0 → 6  (final)" in text  # the static "All steps" list, printed on handouts
    assert text.count("<li>") == 12


def test_page_makes_no_network_reference(page: tuple[Path, str]) -> None:
    _, text = page
    assert not re.search(r"(?i)\b(?:https?|ftp|wss?):", text)
    assert "//" not in re.sub(r"(?s)<script>.*?</script>", "", text).replace("://", "")
    for tag, name, _value in parse_page(text).attributes:
        assert name not in ("src", "href", "xlink:href", "action", "srcset"), (tag, name)
    assert "@import" not in text and "url(" not in text


def test_one_executable_script_and_two_json_blocks(page: tuple[Path, str]) -> None:
    _, text = page
    kinds = [(s[0], s[1]) for s in parse_page(text).scripts]
    assert kinds == [("application/json", "mg-trace"), ("application/json", "mg-steps"), ("", "")]


def test_malicious_label_is_text_everywhere(tmp_path: Path) -> None:
    a = Value(2.0, label=MALICIOUS)
    b = Value(-3.0, label='</script><script>alert(2)</script>{|}"\\')
    L = a * b
    L.label = "L & <b>"
    path = export_html(L, tmp_path / "evil.html", title=MALICIOUS)
    text = path.read_text(encoding="utf-8")
    scripts = parse_page(text).scripts
    assert len(scripts) == 3 and text.count("<script") == 3 and text.count("</script>") == 3
    assert "alert" not in scripts[2][2]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # shown as text in the title and the SVG
    trace = embedded(text, "mg-trace")
    assert isinstance(trace, dict)
    assert trace["nodes"][0]["label"] == MALICIOUS  # the JSON round-trips the label


def test_same_program_gives_byte_identical_pages(tmp_path: Path) -> None:
    first = export_html(lecture(), tmp_path / "one.html").read_bytes()
    second = export_html(lecture(), tmp_path / "two.html").read_bytes()
    assert first == second


def test_exporting_changes_no_data_or_grad() -> None:
    L = lecture()
    before = [(n.data, n.grad) for n in topological_order(L)]
    HtmlStepper(L).html()
    assert [(n.data, n.grad) for n in topological_order(L)] == before


def test_fan_out_ledger_adds_contributions_in_arrival_order() -> None:
    # b feeds two nodes: d = a*b and e = b + c; L = d * e. dL/db = e*a + d = (b+c)*a + a*b
    L = parse_expression("d = a*b; e = b + c; L = d*e", {"a": 2, "b": -3, "c": 10})
    model = HtmlStepper(L).model
    (ledger,) = model["ledgers"]
    assert ledger["name"] == "b"
    terms = [t["text"] for t in ledger["terms"]]
    assert sorted(terms) == sorted(["(14 via d)", "(-6 via e)"])  # a*e = 2*7 and d = -6
    assert ledger["total"] == "8"
    steps = model["steps"]
    first, second = (steps[t["step"]] for t in ledger["terms"])
    assert "pending: 1 more" in first["lines"][2] and "(final)" in second["lines"][2]
    assert first["ledger"] == second["ledger"] == ledger["node"]


def test_repr_html_is_an_embeddable_fragment() -> None:
    fragment = HtmlStepper(lecture())._repr_html_()
    assert fragment.startswith('<div class="mg-stepper') and "<html" not in fragment
    assert 'data-standalone="false"' in fragment


def test_options_reach_the_page() -> None:
    text = stepper_html(lecture(), theme="colorblind", projector=True, title="The lecture")
    assert 'class="mg-stepper mg-theme-colorblind mg-projector"' in text
    assert "<title>The lecture</title>" in text


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"theme": "neon"}, ValueError),
        ({"projector": "yes"}, TypeError),
        ({"rankdir": "XY"}, ValueError),
        ({"interval": 0}, ValueError),
        ({"fmt": "{:q}"}, ValueError),
        ({"title": 3}, TypeError),
    ],
)
def test_bad_options_raise_and_write_nothing(tmp_path: Path, kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        export_html(lecture(), tmp_path / "x.html", **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_bad_paths_and_inputs_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.html"):
        export_html(lecture(), tmp_path / "x.svg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export_html(lecture(), tmp_path / "missing" / "x.html")
    with pytest.raises(TypeError, match="output Value or a Trace"):
        export_html(3.0, tmp_path / "x.html")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_trace_read_back_from_json_gives_the_same_page() -> None:
    from microgradnet.viz import Trace

    trace = trace_backward(lecture())
    assert stepper_html(Trace.from_json(trace.to_json())) == stepper_html(trace)


def test_compound_local_derivative_is_parenthesised() -> None:
    # o = tanh(n): do/dn = 1 - o*o, which must read (1 - o * o) · ∂o/∂o, not 1 - o * o · ∂o/∂o
    o = parse_expression("n = x*w; o = tanh(n)", {"x": 0.5, "w": -1.0})
    lines = next(s["lines"] for s in HtmlStepper(o).steps if s["kind"] == "edge")
    assert lines[0] == "∂o/∂n += ∂o/∂n · ∂o/∂o = (1 - o * o) · ∂o/∂o"


def test_a_30_node_page_stays_small(tmp_path: Path) -> None:
    # a 2-2-1 tanh network with a squared error: 30 nodes, 31 edges, 51 steps. Measured at about
    # 128 kB (SVG 40 kB, step list 35 kB, trace 17 kB, script 13 kB); the bound catches a blow-up
    text = (
        "h1 = tanh(x1*w1 + x2*w2 + b1); h2 = tanh(x1*w3 + x2*w4 + b2); "
        "p = h1*v1 + h2*v2 + c; L = (p - y)**2 / 2"
    )
    values = {"x1": 2, "x2": -1, "w1": 0.5, "w2": -0.3, "b1": 0.1, "w3": -0.8, "w4": 0.2, "b2": 0.05}
    values.update({"v1": 1.2, "v2": -0.7, "c": 0.3, "y": 1.0})
    L = parse_expression(text, values)
    assert len(topological_order(L)) == 30
    stepper = HtmlStepper(L)
    assert len(stepper.steps) == 1 + 17 + 1 + 31 + 1
    assert stepper.model["ui"]["follow"] is True  # more than 20 nodes: opens zoomed in on the step
    size = stepper.save(tmp_path / "mlp.html").stat().st_size
    assert 20_000 < size < 200_000


@pytest.mark.parametrize("label", ["x&amp;y", "p&lt;q", "{a|b}", 'say "hi"', "back\\slash \\l", MALICIOUS])
def test_labels_reach_the_picture_unchanged(label: str) -> None:
    import xml.etree.ElementTree as ET

    a, b = Value(1.0, label=label), Value(2.0, label="b")
    L = a * b
    L.label = "L"
    svg = ET.fromstring(HtmlStepper(L).svg())
    names = [t.text for t in svg.iter("text") if t.get("class") == "mg-name"]
    assert names == [label, "b", "L"]


def test_summary_checks_each_gradient_by_nudging_its_input() -> None:
    # the lecture's gradients (6, -4, -2, 4) against central differences of the forward pass
    done = HtmlStepper(lecture()).steps[-1]
    assert done["lines"][1].endswith("∂L/∂a ≈ 6   ∂L/∂b ≈ -4   ∂L/∂c ≈ -2   ∂L/∂f ≈ 4")
    assert "the chain rule got them right" in done["narration"]
    # relu at its kink: backprop says 0 (the op table's step(0) = 0), nudging says 0.5
    kink = HtmlStepper(parse_expression("relu(x)", {"x": 0.0})).steps[-1]
    assert "∂L/∂x = 0" in kink["lines"][0] and "∂L/∂x ≈ 0.5" in kink["lines"][1]
    assert "kink" in kink["narration"]
