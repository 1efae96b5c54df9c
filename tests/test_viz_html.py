"""The stepper page (microgradnet.viz.html and viz.steps), checked by parsing the file it writes.

The browser test (tests/test_browser.py) checks the same page in a real Chromium.
"""

from __future__ import annotations

import ast
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import microgradnet
from microgradnet import Value, topological_order
from microgradnet.examples import load_example
from microgradnet.viz import HtmlStepper, export_html, trace_backward
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.html import PAGE_ID, read_embedded, stepper_fragment, stepper_html
from microgradnet.viz.strings import format_number

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


@pytest.fixture(scope="module")
def moons() -> HtmlStepper:
    return HtmlStepper(load_example("moons-mlp").root)


def test_page_embeds_the_trace_exactly(page: tuple[Path, str]) -> None:
    _, text = page
    assert read_embedded(text, "mg-trace") == json.loads(trace_backward(lecture()).to_json())


def test_steps_walk_forward_then_every_edge_backward(page: tuple[Path, str]) -> None:
    _, text = page
    model = read_embedded(text, "mg-steps")
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
    assert model["levels"] == []  # an expression has no neurons or layers


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
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the title, as text
    trace = read_embedded(text, "mg-trace")
    assert trace["nodes"][0]["label"] == MALICIOUS  # the JSON round-trips the label
    assert read_embedded(text, "mg-steps")["nodes"][0][0] == MALICIOUS


def test_same_program_gives_byte_identical_pages(tmp_path: Path) -> None:
    first = export_html(lecture(), tmp_path / "one.html").read_bytes()
    second = export_html(lecture(), tmp_path / "two.html").read_bytes()
    assert first == second
    net = [
        export_html(load_example("moons-mlp").root, tmp_path / f"{k}.html", collapse="layer") for k in "ab"
    ]
    assert net[0].read_bytes() == net[1].read_bytes()


def test_exporting_changes_no_data_or_grad() -> None:
    L = lecture()
    before = [(n.data, n.grad) for n in topological_order(L)]
    HtmlStepper(L).html()
    assert [(n.data, n.grad) for n in topological_order(L)] == before


def test_fan_out_ledger_adds_contributions_in_arrival_order() -> None:
    # b feeds two nodes: d = a*b and e = b + c; L = d * e. dL/db = e*a + d = (b+c)*a + a*b
    L = parse_expression("d = a*b; e = b + c; L = d*e", {"a": 2, "b": -3, "c": 10})
    stepper = HtmlStepper(L)
    ((node, ledger),) = stepper.data()["ledgers"].items()
    assert ledger["name"] == "b" and stepper.trace.nodes[int(node)].name == "b"
    terms = [t[1] for t in ledger["terms"]]
    assert sorted(terms) == sorted(["(14 via d)", "(-6 via e)"])  # a*e = 2*7 and d = -6
    assert ledger["total"] == "8"
    steps = stepper.steps
    first, second = (steps[t[0]] for t in ledger["terms"])
    assert "pending: 1 more" in first["lines"][2] and "(final)" in second["lines"][2]
    assert first["ledger"] == second["ledger"] == int(node)


def test_inline_steppers_get_distinct_ids_and_files_a_fixed_one(tmp_path: Path) -> None:
    stepper = HtmlStepper(lecture())
    ids = [
        re.search(r'id="([^"]+)"', f).group(1) for f in (stepper._repr_html_(), stepper_fragment(lecture()))
    ]  # type: ignore[union-attr]
    assert ids[0] != ids[1] and all(i.startswith("mg-stepper-") for i in ids)
    fragment = stepper._repr_html_()
    assert fragment.startswith('<div class="mg-stepper') and "<html" not in fragment
    assert 'data-standalone="false"' in fragment
    assert f'id="{PAGE_ID}"' in stepper.html() and f'id="{PAGE_ID}"' in stepper_html(lecture())


def test_options_reach_the_page() -> None:
    text = stepper_html(lecture(), theme="colorblind", projector=True, title="The lecture")
    assert 'class="mg-stepper mg-theme-colorblind mg-projector"' in text
    assert "<title>The lecture</title>" in text
    ui = read_embedded(text, "mg-steps")["ui"]
    assert (ui["theme"], ui["projector"], ui["quiz"], ui["collapse"]) == ("colorblind", True, False, "scalar")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"theme": "neon"}, ValueError),
        ({"projector": "yes"}, TypeError),
        ({"rankdir": "XY"}, ValueError),
        ({"interval": 0}, ValueError),
        ({"fmt": "{:q}"}, ValueError),
        ({"title": 3}, TypeError),
        ({"collapse": "neurons"}, ValueError),
        ({"collapse": "layer"}, ValueError),  # the lecture's expression has no layers
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
    # 105 kB (script 45 kB, step list 35 kB, trace 17 kB); the bound catches a blow-up
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
    size = stepper.save(tmp_path / "mlp.html").stat().st_size
    assert 20_000 < size < 200_000


def test_a_big_page_carries_its_data_compressed_and_reads_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from microgradnet.viz import html

    monkeypatch.setattr(html, "_COMPRESS_ABOVE", 1000)  # the lecture's data is about 20 kB
    text = HtmlStepper(lecture()).html()
    assert 'data-encoding="deflate-base64"' in text and '"steps"' not in text
    assert read_embedded(text, "mg-trace") == json.loads(trace_backward(lecture()).to_json())
    assert read_embedded(text, "mg-steps")["steps"] == HtmlStepper(lecture()).steps


@pytest.mark.parametrize("label", ["x&amp;y", "p&lt;q", "{a|b}", 'say "hi"', "back\\slash \\l", MALICIOUS])
def test_labels_reach_the_page_unchanged(label: str) -> None:
    a, b = Value(1.0, label=label), Value(2.0, label="b")
    L = a * b
    L.label = "L"
    nodes = read_embedded(HtmlStepper(L).html(), "mg-steps")["nodes"]
    assert [n[0] for n in nodes] == [label, "b", "L"]


def test_summary_checks_each_gradient_by_nudging_its_input() -> None:
    # the lecture's gradients (6, -4, -2, 4) against central differences of the forward pass
    done = HtmlStepper(lecture()).steps[-1]
    assert done["lines"][1].endswith("∂L/∂a ≈ 6   ∂L/∂b ≈ -4   ∂L/∂c ≈ -2   ∂L/∂f ≈ 4")
    assert "the chain rule got them right" in done["narration"]
    # relu at its kink: backprop says 0 (the op table's step(0) = 0), nudging says 0.5
    kink = HtmlStepper(parse_expression("relu(x)", {"x": 0.0})).steps[-1]
    assert "∂L/∂x = 0" in kink["lines"][0] and "∂L/∂x ≈ 0.5" in kink["lines"][1]
    assert "kink" in kink["narration"]


def test_many_parameters_are_summarised_with_the_full_list_behind_more(moons: HtmlStepper) -> None:
    inputs, done = moons.steps[0], moons.steps[-1]
    params = [n for n in moons.trace.nodes if n.role == "parameter"]
    assert len(params) == 37  # MLP(2, [4, 4, 1]): 2·4 + 4 + 4·4 + 4 + 4 + 1
    assert inputs["short"][1].startswith("37 parameters, 3 shown: 0.weight[0][0] = ")
    assert all(f"{p.name} = " in inputs["lines"][1] for p in params)  # "more…" shows every one
    # the summary lists the named leaves (4 inputs, 37 parameters), not the loss's constants
    assert done["short"][0].startswith("∂loss/∂X[0][0] = ") and "37 parameters, 3 shown" in done["short"][0]
    assert "… 38 more" in done["short"][1] and "∂loss/∂c1" not in done["lines"][0]
    assert len(done["short"][0]) < 300 and len(done["lines"][0]) > 1000


def test_every_layer_step_is_the_sum_of_its_scalar_edges(moons: HtmlStepper) -> None:
    # the vector form of a layer's backward step, checked against the trace: dW[i][j] = δ_i · x_j
    # is the contribution of the edge dot_i -> w[i][j] (and its link points at that edge's step),
    # δ_i is ∂loss/∂z_i, and dx = Wᵀ · δ sums the edges dot_i -> x_j
    trace, steps = moons.trace, moons.steps
    (layer,) = [lv for lv in moons.levels if lv["level"] == "layer"]
    assert [g["label"] for g in layer["groups"]] == ["layer 0", "layer 1", "layer 2"]
    assert len(layer["boxes"]) == 6  # three layers, two samples
    backward = [b for b in layer["blocks"] if b["phase_key"] == "backward"]
    assert len(backward) == 6
    for block in backward:
        box = layer["boxes"][block["box"] - layer["boxes"][0]["item"]]
        xs = [trace.nodes[k] for k in box["inputs"]]
        table = block["table"]
        assert [c[0] for c in table["cols"]] == [x.name for x in xs[: len(table["cols"])]]
        for row in table["rows"]:
            delta = float(row[0])
            for j, (text, step) in enumerate(row[1:]):
                event = trace.events[steps[step]["event"]]
                assert trace.nodes[int(event.operand[1:])].role == "parameter"
                assert text == format_number(event.contribution)
                assert event.contribution == pytest.approx(delta * xs[j].data, rel=1e-3, abs=1e-6)
        dx = re.search(r"dx = Wᵀ · δ = \[?([^\]]+)\]?$", block["lines"][2])
        assert dx is not None
        for j, shown in enumerate(dx.group(1).split(", ")):
            edges = [trace.events[steps[s]["event"]] for s in block["links"]["dx"][j]]
            assert {e.operand for e in edges} == {xs[j].id}
            assert float(shown) == pytest.approx(math.fsum(e.contribution for e in edges), rel=1e-3, abs=1e-9)
        # the block covers exactly the scalar steps whose edges leave this application
        covered = range(block["first"], block["last"] + 1)
        senders = {trace.events[steps[s]["event"]].node for s in covered}
        assert senders == {f"n{k}" for k in box["members"]}
        assert all(layer["block_of"][s] == layer["blocks"].index(block) for s in covered)


def test_neuron_boxes_are_one_per_neuron_and_sample(moons: HtmlStepper) -> None:
    (neuron,) = [lv for lv in moons.levels if lv["level"] == "neuron"]
    assert len(neuron["groups"]) == 9 and len(neuron["boxes"]) == 18
    assert neuron["groups"][5]["label"] == "layer 1 · neuron 1"
    assert neuron["boxes"][0]["label"] == "layer 0 · neuron 0 · sample 1"
    # every op node of the network is in exactly one box; the loss stays outside
    members = [k for b in neuron["boxes"] for k in b["members"]]
    assert len(members) == len(set(members))
    outside = [n.name for k, n in enumerate(moons.trace.nodes) if not n.is_leaf and k not in members]
    assert "loss" in outside and not any(n.startswith("score") for n in outside)


def test_the_page_reads_the_version_without_importing_the_package_root() -> None:
    tree = ast.parse(Path(microgradnet.viz.html.__file__).read_text(encoding="utf-8"))
    roots = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "microgradnet"]
    assert roots == []
    assert f'content="microgradnet {microgradnet.__version__}"' in stepper_html(lecture())


def test_the_seed_step_says_what_leaves_start_from() -> None:
    # backward() adds onto what a leaf holds: a pass that starts a from 5 (as after an earlier
    # backward()) says so, and the edge into a goes from 5 to 5 + 6
    from microgradnet.viz import Trace

    L = lecture()
    a_value = next(v for v in topological_order(L) if v.label == "a")
    a_value.grad = 5.0  # as an earlier backward() (without zero_grad) would leave it
    trace = trace_backward(L)
    assert Trace.from_json(trace.to_json()).node(trace.by_name("a").id).grad_start == 5.0
    steps = HtmlStepper(trace).steps
    seed = next(s for s in steps if s["kind"] == "seed")
    assert "keep the gradient they already hold" in seed["narration"] and "a.grad = 5" in seed["narration"]
    a = trace.by_name("a").id
    assert [a_set[2] for a_set in seed["set"] if a_set[0] == int(a[1:])] == ["grad 5 …"]
    edge = next(s for s in steps if s["kind"] == "edge" and s["lines"][2].startswith("a.grad"))
    assert edge["lines"][2] == "a.grad 5 → 11  (final)"
    fresh = next(s for s in HtmlStepper(lecture()).steps if s["kind"] == "seed")
    assert "Every other gradient starts at 0" in fresh["narration"]


def test_a_wide_dot_is_shown_elided_with_the_whole_line_behind_more() -> None:
    from microgradnet.nn import MLP

    model = MLP(2, [16, 1], seed=0)  # the output neuron is a dot of 16 inputs and 16 weights
    out = model([Value(0.5, "x[0]"), Value(-1.0, "x[1]")])
    out.label = "out"
    stepper = HtmlStepper(out)
    dot = next(s for s in reversed(stepper.steps) if s["kind"] == "forward" and "dot(" in s["lines"][0])
    assert all(len(line) <= 100 for line in dot["short"]) and "…" in dot["short"][0]
    assert dot["lines"][0].count(", ") == 31 and dot["short"][2] == dot["lines"][2]
    assert dot["masked"]["short"][:2] == dot["short"][:2] and dot["masked"]["short"][2].endswith("= ?")


def test_the_page_says_its_size_first_and_refuses_beyond_its_limit(tmp_path: Path) -> None:
    from microgradnet import apply
    from microgradnet.viz.html import check_page_size
    from microgradnet.viz.limits import MAX_PAGE_NODES, WARN_NODES, GraphTooLargeError, LargeGraphWarning

    a = Value(2.0, label="a")
    # the network-scale pages (about 3,000 value nodes) stay allowed, with the size said first
    network = apply("sum", *[a * a for _ in range(2998)])
    assert WARN_NODES < 3000 <= MAX_PAGE_NODES
    with pytest.warns(LargeGraphWarning, match=r"3,000 value nodes.*about 5 MB"):
        assert check_page_size(network) == 3000
    # beyond the limit: refused before any work, nothing written, the count and the way out named
    huge = apply("sum", *[a * a for _ in range(MAX_PAGE_NODES)])
    target = tmp_path / "huge.html"
    with pytest.raises(GraphTooLargeError, match=rf"{MAX_PAGE_NODES + 2:,} value nodes.*max_nodes=") as err:
        export_html(huge, target)
    assert (err.value.nodes, err.value.limit) == (MAX_PAGE_NODES + 2, MAX_PAGE_NODES) and not target.exists()
    # max_nodes= moves the limit either way; the page itself is the same
    small = parse_expression("(a*b + c) * f", {"a": 2, "b": -3, "c": 10, "f": -2})
    with pytest.raises(GraphTooLargeError, match="7 value nodes, more than the limit of 6"):
        HtmlStepper(small, max_nodes=6)
    assert HtmlStepper(small, max_nodes=7).html() == HtmlStepper(small, max_nodes=None).html()
    assert HtmlStepper(small).size == 7 == len(topological_order(small))
    with pytest.raises(TypeError, match="max_nodes"):
        HtmlStepper(small, max_nodes="many")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1 or more"):
        HtmlStepper(small, max_nodes=0)
