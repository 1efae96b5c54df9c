"""export_frames: one 16:9 slide per step in the stepper's look, nodes fixed in place, the current
edge highlighted, PNG and PDF decks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from microgradnet import Value
from microgradnet.examples import load_example
from microgradnet.viz import export_frames, trace_backward
from microgradnet.viz.frames import frames, slide_style

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
        if gid in ("caption", "graph") or gid.startswith("a_"):
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
    hl = slide_style()["grad"]
    for e in t.events:
        svg = paths[7 + e.step].read_text()
        g = groups(svg)
        for other in t.events:
            path = next(g[f"e{other.step}"].iter(f"{S}path"))
            assert (path.get("stroke") == hl) == (other.step == e.step)
        # the operand's gradient shows its value after this event, caption the equation
        assert grad_text(svg, e.operand) == f"grad {e.grad_after:g}"
        lines = [t_.text or "" for t_ in g["caption"].iter(f"{S}text") if t_.get("class") == "equation"]
        assert " ".join(lines) == t.event_text(e)  # wrapped at spaces, never cut
        narration = [t_.text or "" for t_ in g["caption"].iter(f"{S}text") if t_.get("class") == "narration"]
        assert " ".join(narration) == t.narration(e)
    # drawn from a trace, no gradient is known during the forward pass; later nodes are faded
    first = paths[2].read_text()
    assert grad_text(first, "n0") == "grad ?"
    assert groups(first)["n6"].get("opacity") == "0.35" and groups(first)["n2"].get("opacity") is None


def test_pending_gradients_are_dashed_until_final(tmp_path: Path) -> None:
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    c = b + a  # a receives from c first, then twice from b
    c.label = "c"
    t = trace_backward(c)
    paths = export_frames(t, tmp_path)
    assert len(paths) == 3 + 4
    received = [grad_text(p.read_text(), "n0") for p in paths[3:]]
    assert received == ["grad 0", "grad 1", "grad 4", "grad 7"]  # c->a first (1), then b->a twice (3 each)
    dashed = lambda svg: any(el.get("stroke-dasharray") for el in groups(svg)["n0"].iter())
    assert dashed(paths[3].read_text())  # pending, and not the node receiving on this slide
    assert not dashed(paths[-1].read_text())  # final


def test_png_slides_are_1920_by_1080_and_the_pdf_has_a_page_per_slide(tmp_path: Path) -> None:
    import struct
    import zlib

    x = Value(2.0, label="x").tanh()
    paths = export_frames(x, tmp_path / "slides", "png", granularity="node")
    assert [p.name for p in paths] == ["frame_000.png", "frame_001.png", "frame_002.png"]
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1920, 1080)
    (pdf_path,) = export_frames(x, tmp_path / "deck", "pdf", granularity="node")
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Type /Page ") == 3 and b"/Count 3" in pdf
    # every object sits where the cross-reference table says
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split()[0])
    table = pdf[start:].split(b"trailer")[0].split(b"\n")[3:]
    for k, row in enumerate(r for r in table if r.strip()):
        offset = int(row.split()[0])
        assert pdf[offset:].startswith(b"%d 0 obj" % (k + 1))
    # each page's picture is the PNG's pixels, 1920x1080 RGB
    head, rest = pdf.split(b"/Subtype /Image", 1)[1].split(b"stream\n", 1)
    assert b"/Width 1920 /Height 1080" in head
    length = int(head.split(b"/Length ")[1].split()[0])
    assert len(zlib.decompress(rest[:length])) == 1920 * 1080 * 3
    again = export_frames(x, tmp_path / "again", "pdf", granularity="node")[0]
    assert again.read_bytes() == pdf  # byte for byte


def test_the_lecture_graph_is_drawn_large_enough_for_the_back_row(tmp_path: Path) -> None:
    paths = export_frames(lecture_graph(), tmp_path)
    svg = ET.fromstring(paths[9].read_text())
    assert (svg.get("width"), svg.get("height")) == ("1920", "1080")
    graph = next(g for g in svg.iter(f"{S}g") if g.get("id") == "graph")
    scale = float(graph.get("transform", "").split("scale(")[1].rstrip(")"))
    node_text = max(float(t.get("font-size", "0")) for t in graph.iter(f"{S}text"))
    assert node_text * scale >= 28  # px on the slide
    caption = [float(t.get("font-size", "0")) for t in svg.iter(f"{S}text") if t.get("class")]
    assert min(caption) >= 28


def test_slides_use_the_stepper_colours_and_show_the_grads_the_values_hold(tmp_path: Path) -> None:
    css = (Path(__file__).parent.parent / "src/microgradnet/viz/stepper.css").read_text()
    for theme in ("cs231n", "colorblind"):
        style = slide_style(theme)
        assert style["data"] in css and style["grad"] in css and style["receiver"] in css
    assert slide_style("colorblind")["grad"] != slide_style()["grad"]
    w = Value(0.5, label="w")
    loss = (w * 2 - 3) ** 2
    loss.label = "loss"
    loss.backward()
    paths = export_frames(loss, tmp_path / "stored")
    assert grad_text(paths[0].read_text(), "n0") == "grad -8"  # forward slides: what w.grad holds
    blind = export_frames(loss, tmp_path / "blind", theme="colorblind")[-1].read_text()
    assert slide_style("colorblind")["grad"] in blind
    with pytest.raises(ValueError, match="theme"):
        export_frames(loss, tmp_path / "bad", theme="neon")


def test_bad_arguments_write_nothing(tmp_path: Path) -> None:
    L = lecture_graph()
    with pytest.raises(ValueError, match="fmt"):
        export_frames(L, tmp_path / "a", "gif")
    with pytest.raises(ValueError, match="grads"):
        export_frames(L, tmp_path / "a", grads="fresh")
    with pytest.raises(ValueError, match="granularity"):
        export_frames(L, tmp_path / "b", granularity="pixel")
    with pytest.raises(ValueError, match="highlight"):
        export_frames(L, tmp_path / "c", highlight="a")
    with pytest.raises(ValueError, match="outline="):
        export_frames(L, tmp_path / "c", collapse="neuron")
    from microgradnet.viz.limits import GraphTooLargeError

    with pytest.raises(GraphTooLargeError, match="value nodes"):
        export_frames(L, tmp_path / "c", max_nodes=3)
    with pytest.raises(TypeError, match="Trace"):
        export_frames(3.0, tmp_path / "d")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_the_frames_command_writes_slides_or_says_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from microgradnet.cli import main

    out = tmp_path / "slides"
    assert main(["frames", "L = a*b", "a=2", "b=-3", "-o", str(out), "--format", "svg"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [f"frame_{k:03d}.svg" for k in range(3 + 2)]
    assert "wrote 5 slides" in capsys.readouterr().err
    afile = tmp_path / "a.txt"
    afile.write_text("x")
    assert main(["frames", "a*b", "a=1", "b=2", "-o", str(afile)]) == 2
    assert main(["frames", "a*", "-o", str(tmp_path / "bad")]) == 2
    assert main(["frames", "a*b", "a=1", "b=2", "-o", str(tmp_path / "no" / "where")]) == 2
    err = capsys.readouterr().err
    assert err.count("microgradnet: error:") == 3 and "is a file" in err and "does not exist" in err
    assert not (tmp_path / "bad").exists()


def test_slides_stay_well_formed_with_control_characters_in_labels(tmp_path: Path) -> None:
    x = Value(2.0, label="x\x00\x07")
    y = x * x
    y.label = "<y>"
    paths = export_frames(y, tmp_path)
    for p in paths:
        ET.fromstring(p.read_text())  # parses: no raw control character anywhere
    assert "x␀␇" in paths[-1].read_text()


def test_a_network_slide_zooms_in_so_node_text_stays_28_px(tmp_path: Path) -> None:
    # issue 12 audit: moons-mlp fitted whole gave node text of about 3.8 px; now the graph keeps
    # 28-px text and each slide shows the part around its step, cut off at the graph area
    root = load_example("moons-mlp").root
    t = trace_backward(root)
    deck = frames(t)
    k = next(
        i
        for i, fr in enumerate(deck)
        if fr.kind == "backward" and "weight" in t.node(t.events[fr.steps[0]].operand).name
    )
    paths = export_frames(root, tmp_path, steps=f"{k + 1}-{k + 2}")
    assert [p.name for p in paths] == [f"frame_{k:03d}.svg", f"frame_{k + 1:03d}.svg"]
    svg = ET.fromstring(paths[0].read_text())
    assert f"step {k + 1} of {len(deck)}" in "".join(svg.itertext())
    graph = next(g for g in svg.iter(f"{S}g") if g.get("id") == "graph")
    move, scale = graph.get("transform", "").split(" scale(")
    x, y = (float(v) for v in move.removeprefix("translate(").rstrip(")").split())
    node_text = min(float(t.get("font-size", "0")) for t in graph.iter(f"{S}text"))
    assert node_text * float(scale.rstrip(")")) >= 28
    clip = next(r for r in svg.iter(f"{S}rect") if r.get("width") != "1920")
    left, top = float(clip.get("x", "0")), float(clip.get("y", "0"))
    right, bottom = left + float(clip.get("width", "0")), top + float(clip.get("height", "0"))
    # the receiving node's box lies inside the graph area on the slide
    receiver = groups(paths[0].read_text())[t.events[deck[k].steps[0]].operand]
    top_group = next(g for g in graph.iter(f"{S}g") if g.get("class") == "graph")
    tx, ty = (float(v) for v in top_group.get("transform", "").split("translate(")[1].rstrip(")").split())
    points = [p.split(",") for p in next(receiver.iter(f"{S}polygon")).get("points", "").split()]
    s = float(scale.rstrip(")"))
    xs = [x + s * (float(px) + tx) for px, _ in points]
    ys = [y + s * (float(py) + ty) for _, py in points]
    assert left <= min(xs) and max(xs) <= right and top <= min(ys) and max(ys) <= bottom, (xs, ys)
    assert paths[1].read_text() != paths[0].read_text()
    # what lies wholly outside the view is left out of the slide, not drawn and cut off
    shown = [g for g in graph.iter(f"{S}g") if g.get("class", "").startswith("node value")]
    assert 3 <= len(shown) < len(t.nodes) // 2


def test_steps_pick_slides_by_number_and_bad_ranges_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from microgradnet.cli import main
    from microgradnet.viz.frames import select_steps

    assert select_steps(None, 5) == range(5) and select_steps("2-3", 5) == range(1, 3)
    assert select_steps("4-", 5) == range(3, 5) and select_steps("-2", 5) == range(0, 2)
    assert select_steps("5", 5) == range(4, 5)
    for bad in ("0-2", "3-2", "6", "a-b", "", "-", "1-2-3"):
        with pytest.raises(ValueError, match="steps"):
            select_steps(bad, 5)
    with pytest.raises(TypeError, match="steps"):
        select_steps(3, 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1-13"):
        export_frames(lecture_graph(), tmp_path / "none", steps="12-20")
    assert not (tmp_path / "none").exists()
    out = tmp_path / "slides"
    assert main(["frames", "L = a*b", "a=2", "b=-3", "-o", str(out), "--format", "svg", "--steps", "4-"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["frame_003.svg", "frame_004.svg"]
    assert "writing 2 of 5 slides (SVG)" in capsys.readouterr().err
    assert main(["frames", "L = a*b", "a=2", "b=-3", "-o", str(tmp_path / "x"), "--steps", "7"]) == 2
    assert "--steps" in capsys.readouterr().err and not (tmp_path / "x").exists()
