"""export_frames: one picture per step, nodes fixed in place, the current edge highlighted."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from microgradnet import Value
from microgradnet.examples import load_example
from microgradnet.viz import export_frames, trace_backward
from microgradnet.viz.dot import PALETTE
from microgradnet.viz.frames import frames

S = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _wasm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRADNET_GRAPHVIZ", "wasm")  # the path every machine has


def lecture_graph() -> Value:
    """The lecture's L = (a*b + c) * f at (2, -3, 10, -2), nodes labelled."""
    return load_example("lecture-expression").root


def groups(svg: str) -> dict[str, ET.Element]:
    return {g.get("id", ""): g for g in ET.fromstring(svg).iter(f"{S}g") if g.get("id")}


def geometry(svg: str) -> dict[str, list[tuple[str, str]]]:
    """Every shape's coordinates and every text's anchor, by node or edge id."""
    out = {}
    for gid, g in groups(svg).items():
        if gid == "caption" or gid.startswith("a_"):
            continue
        shapes = [(el.tag, el.get("points") or el.get("d") or "") for el in g.iter() if el.tag != f"{S}text"]
        texts = [(t.get("x", ""), t.get("y", "")) for t in g.iter(f"{S}text")]
        out[gid] = shapes + texts
    return out


def grad_text(svg: str, node_id: str) -> str:
    return next(
        t.text or "" for t in groups(svg)[node_id].iter(f"{S}text") if (t.text or "").startswith("grad")
    )


def test_one_frame_per_forward_node_and_per_backward_edge(tmp_path: Path) -> None:
    L = lecture_graph()
    paths = export_frames(trace_backward(L), tmp_path)
    assert [p.name for p in paths] == [f"frame_{k:03d}.svg" for k in range(7 + 6)]
    assert sorted(tmp_path.iterdir()) == paths
    by_node = frames(trace_backward(L), "node")
    assert len(by_node) == 7 + 3 and [f.steps for f in by_node[7:]] == [(0, 1), (2, 3), (4, 5)]


def test_node_positions_are_identical_across_frames(tmp_path: Path) -> None:
    paths = export_frames(lecture_graph(), tmp_path, show_local=True)
    first = geometry(paths[0].read_text())
    assert {"n0", "n2_op", "e5"} <= set(first)
    for p in paths[1:]:
        assert geometry(p.read_text()) == first, p.name


def test_the_current_edge_is_highlighted_and_grads_fill_in(tmp_path: Path) -> None:
    t = trace_backward(lecture_graph())
    paths = export_frames(t, tmp_path)
    hl = PALETTE["highlight"]
    for e in t.events:
        svg = paths[7 + e.step].read_text()
        g = groups(svg)
        for other in t.events:
            path = next(g[f"e{other.step}"].iter(f"{S}path"))
            assert (path.get("stroke") == hl) == (other.step == e.step)
        # the operand's gradient shows its value after this event, caption the equation
        assert grad_text(svg, e.operand) == f"grad {e.grad_after:g}"
        caption = "".join(t_.text or "" for t_ in g["caption"].iter(f"{S}text"))
        assert caption == t.event_text(e)
    # during the forward pass no gradient is known yet, and later nodes are faded
    first = paths[2].read_text()
    assert grad_text(first, "n0") == "grad ?"
    assert groups(first)["n6"].get("opacity") == "0.2" and groups(first)["n2"].get("opacity") is None


def test_pending_gradients_are_dashed_until_final(tmp_path: Path) -> None:
    a = Value(3.0, label="a")
    paths = export_frames(a * a, tmp_path)
    assert len(paths) == 2 + 2
    middle, last = paths[2].read_text(), paths[3].read_text()
    assert grad_text(middle, "n0") == "grad 3" and grad_text(last, "n0") == "grad 6"
    dashed = lambda svg: any(el.get("stroke-dasharray") for el in groups(svg)["n0"].iter())
    assert dashed(middle) and not dashed(last)


def test_png_frames(tmp_path: Path) -> None:
    paths = export_frames(Value(2.0, label="x").tanh(), tmp_path / "slides", "png", granularity="node")
    assert [p.name for p in paths] == ["frame_000.png", "frame_001.png", "frame_002.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_bad_arguments_write_nothing(tmp_path: Path) -> None:
    L = lecture_graph()
    with pytest.raises(ValueError, match="fmt"):
        export_frames(L, tmp_path / "a", "gif")
    with pytest.raises(ValueError, match="granularity"):
        export_frames(L, tmp_path / "b", granularity="pixel")
    with pytest.raises(ValueError, match="highlight"):
        export_frames(L, tmp_path / "c", highlight="a")
    with pytest.raises(ValueError, match="outline="):
        export_frames(L, tmp_path / "c", collapse="neuron")
    with pytest.raises(TypeError, match="Trace"):
        export_frames(3.0, tmp_path / "d")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
