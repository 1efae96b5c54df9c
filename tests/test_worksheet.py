"""Worksheets: randomised leaf values, an answer key equal to backward(), determinism, escaping."""

from __future__ import annotations

import html
import math
import os
import re
import stat
from pathlib import Path

import pytest

from microgradnet import Value
from microgradnet.examples import load_example
from microgradnet.testing import gradcheck
from microgradnet.viz.expr import ExpressionError, parse_expression
from microgradnet.viz.strings import format_number
from microgradnet.viz.worksheet import DEFAULT_RANGE, Worksheet, make_worksheet, parse_range

LECTURE = "e = a*b; d = e + c; L = d*f"


def _key_rows(text: str) -> dict[str, str]:
    """``{"∂L/∂a": "6", ...}`` from the gradient table of a one-version Markdown answer key."""
    return dict(re.findall(r"^\| `(∂[^`]+)` \| `([^`]+)` \|", text, re.M))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_answer_key_equals_backward_at_the_drawn_values(seed: int) -> None:
    ws = make_worksheet(LECTURE, seed=seed, n_versions=3)
    for version in ws.versions:
        # an independent graph at the same values, differentiated by the engine
        L = parse_expression(LECTURE, version.values)
        L.backward()
        nodes = {v.label: v for v in _walk(L)}
        assert version.gradients == {name: nodes[name].grad for name in version.gradients}
        assert version.forward == {name: nodes[name].data for name in version.forward}
        assert set(version.gradients) == {"L", "d", "e", "a", "b", "c", "f"}
        single = Worksheet(ws.title, "md", (version,))
        rows = _key_rows(single.answers())
        assert rows == {f"∂L/∂{n}": format_number(g) for n, g in version.gradients.items()}
        # the chain rule the key prints agrees with finite differences too
        a, b, c, f = (version.values[k] for k in "abcf")
        assert gradcheck(lambda *xs: (xs[0] * xs[1] + xs[2]) * xs[3], [a, b, c, f])


def _walk(root: Value) -> list[Value]:
    from microgradnet import topological_order

    return topological_order(root)


def test_values_are_nice_and_inside_their_ranges() -> None:
    ws = make_worksheet("tanh(x*w + b)", {"x": (-2, 2), "w": (0, 1, 0.1), "b": 0.5}, seed=11, n_versions=5)
    for v in ws.versions:
        assert v.values["x"] in {-2.0, -1.0, 0.0, 1.0, 2.0}
        assert 0 <= v.values["w"] <= 1 and round(v.values["w"], 1) == v.values["w"]
        assert v.values["b"] == 0.5
    assert len({tuple(v.values.items()) for v in ws.versions}) == 5  # versions differ
    lo, hi, _ = DEFAULT_RANGE
    plain = make_worksheet("a*b - a", seed=4, n_versions=4)
    for v in plain.versions:
        assert all(x == int(x) and x != 0 and lo <= x <= hi for x in v.values.values())

    # nothing trivial: (a - b) * c is 0 with a zero gradient whenever a = b or c = 0, a third of
    # the draws each; those are drawn again while other values remain
    for v in make_worksheet("(a - b) * c", {"a": (0, 2), "b": (0, 2), "c": (-1, 1)}, n_versions=6).versions:
        assert all(x != 0 for x in v.forward.values()) and all(g != 0 for g in v.gradients.values())


def test_domains_are_respected() -> None:
    ws = make_worksheet(
        "log(x) + sqrt(y) + 1/z", {"x": (-3, 3), "y": (-3, 3), "z": (-1, 1)}, seed=0, n_versions=4
    )
    for v in ws.versions:
        assert v.values["x"] > 0 and v.values["y"] > 0 and v.values["z"] != 0
        assert all(math.isfinite(g) for g in v.gradients.values())
    with pytest.raises(ValueError, match="narrow the ranges"):
        make_worksheet("log(x)", {"x": (-3, 0)})


def test_same_seed_same_sheets_other_seed_other_values() -> None:
    one = make_worksheet(LECTURE, seed=5, n_versions=2, fmt="html")
    two = make_worksheet(LECTURE, seed=5, n_versions=2, fmt="html")
    assert one.sheet() == two.sheet() and one.answers() == two.answers()
    other = make_worksheet(LECTURE, seed=6, n_versions=2, fmt="html")
    assert [v.values for v in other.versions] != [v.values for v in one.versions]


def test_a_graph_is_copied_not_changed() -> None:
    ex = load_example("colah-paths")
    before = [(v.label, v.data, v.grad) for v in _walk(ex.root)]
    ws = make_worksheet(ex.root, {"a": (1, 3)}, seed=2)
    assert [(v.label, v.data, v.grad) for v in _walk(ex.root)] == before
    v = ws.versions[0]
    a, b = v.values["a"], v.values["b"]
    # colah: e = (a + b)(b + 1), so de/da = b + 1 and de/db = (b + 1) + (a + b)
    assert v.gradients["a"] == b + 1 and v.gradients["b"] == 2 * b + a + 1
    assert "`b + 1`" in ws.sheet()  # the constant is written as a number


def test_the_sheet_hides_what_the_key_shows() -> None:
    ws = make_worksheet(LECTURE, {"a": 2, "b": -3, "c": 10, "f": -2})
    sheet, key = ws.sheet(), ws.answers()
    assert "`a = 2`" in sheet and "______" in sheet and "`6`" not in sheet
    assert "| `∂L/∂a` | `6` | `b · ∂L/∂e = (-3) · (-2)` |" in key
    assert "| `∂L/∂b` | `-4` |" in key and "answer key" in key


def test_labels_are_escaped_in_markdown_and_html() -> None:
    markdown = pytest.importorskip("markdown")
    evil = "<script>alert(1)</script>"
    a, b = Value(2.0, label=evil), Value(3.0, label="x|y*z`")
    L = a * b + a
    L.label = "<b>L</b>"
    for fmt in ("md", "html"):
        ws = make_worksheet(L, seed=0, fmt=fmt, title=evil)
        for text in (ws.sheet(), ws.answers()):
            page = markdown.markdown(text, extensions=["tables"]) if fmt == "md" else text
            assert "<script" not in page and "<b>" not in page
            assert html.escape(evil) in page
    md_key = make_worksheet(L, seed=0).answers()
    assert md_key.count("\n| ") == md_key.count(" |\n")  # a | in a label never splits a row


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'q'.*variables are a, b"):
        make_worksheet("a*b", {"q": (1, 2)})
    with pytest.raises(ValueError, match="lo must not exceed hi"):
        make_worksheet("a*b", {"a": (3, 1)})
    with pytest.raises(ValueError, match="step"):
        make_worksheet("a*b", {"a": (0, 1, 0)})
    with pytest.raises(TypeError, match="range of 'a'"):
        make_worksheet("a*b", {"a": "1:2"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="n_versions"):
        make_worksheet("a*b", n_versions=0)
    with pytest.raises(ValueError, match="fmt"):
        make_worksheet("a*b", fmt="pdf")
    with pytest.raises(ExpressionError, match="__import__"):
        make_worksheet("__import__('os')")
    with pytest.raises(ExpressionError, match="limit"):
        make_worksheet("a+" * 10_000 + "a")
    with pytest.raises(ExpressionError, match="empty"):
        make_worksheet("   ")
    with pytest.raises(ValueError, match="single leaf"):
        make_worksheet(Value(1.0, label="a"))
    with pytest.raises(ValueError, match="number_format"):
        make_worksheet("a*b", number_format="{:.4q}")
    with pytest.raises(TypeError, match="Value or a formula"):
        make_worksheet(3.0)  # type: ignore[arg-type]


def test_parse_range() -> None:
    assert parse_range("a=-5:5") == ("a", (-5.0, 5.0))
    assert parse_range("x = 0:1:0.1") == ("x", (0.0, 1.0, 0.1))
    assert parse_range("c=10") == ("c", 10.0)
    for bad in ("a", "1a=2", "a=x:1", "a=1:2:3:4"):
        with pytest.raises(ValueError):
            parse_range(bad)


def test_save_writes_both_files_or_neither(tmp_path: Path) -> None:
    ws = make_worksheet(LECTURE, seed=1)
    sheet, key = ws.save(tmp_path / "sheet.md", answers=tmp_path / "key.html")
    assert sheet.read_text(encoding="utf-8") == ws.render("md")
    assert key is not None and key.read_text(encoding="utf-8") == ws.render("html", answers=True)
    assert "@media print" in key.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="format"):
        ws.save(tmp_path / "a.md", answers=tmp_path / "b.pdf")
    with pytest.raises(FileNotFoundError):
        ws.save(tmp_path / "c.md", answers=tmp_path / "missing" / "k.md")
    assert not (tmp_path / "a.md").exists() and not (tmp_path / "c.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.html", "sheet.md"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o666 & ~umask  # a handout, not a private file


def test_leaf_values_are_written_so_that_they_read_back_exactly() -> None:
    """A value the sheet's 4 significant digits would round (1000.4 as 1000) is written in full,
    so the answers worked out from the sheet are the key's; nice values keep their short form."""
    ws = make_worksheet("(a - b) * c", {"a": 1000.4, "b": 1000, "c": 3.0625})
    given = re.search(r"Leaf values: (.*)\n", ws.sheet())
    assert given is not None
    values = {m[0]: float(m[1]) for m in re.findall(r"`(\w+) = ([^`]+)`", given[1])}
    assert values == {"a": 1000.4, "b": 1000.0, "c": 3.0625}
    assert "`b = 1000`" in given[1]  # not 1000.0


@pytest.mark.parametrize("fmt", ["md", "html", "gift", "moodle"])
def test_a_number_of_the_formula_is_not_an_input_nor_asked_for(fmt: str, tmp_path: Path) -> None:
    """``2*a`` is parsed with the literal labelled ``2``: it is written as a number in the
    formulas, never listed among the leaf values (``2 = 2``) nor asked for (``∂L/∂2``)."""

    def text_of(ws: Worksheet) -> str:
        if fmt in ("md", "html"):
            return html.unescape(ws.render(fmt, answers=True))
        out = tmp_path / f"{len(list(tmp_path.iterdir()))}.{fmt}"
        ws.save(out, format=fmt)
        return html.unescape(out.read_text(encoding="utf-8"))

    text = text_of(make_worksheet("a*b + 2*a", {"a": 1.5, "b": 2.0}))
    assert "2 * a" in text
    assert "∂L/∂2" not in text and not re.search(r"(?<![\w.])2 = 2", text)
    assert "∂L/∂a" in text and "∂L/∂b" in text
    # a variable that happens to hold 2 is still an input
    assert "∂L/∂k" in text_of(make_worksheet("a*b + k*a", {"a": 1.5, "b": 2.0, "k": 2.0}))
