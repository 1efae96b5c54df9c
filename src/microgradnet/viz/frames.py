"""Slides: one picture per step of a trace, every node fixed in place across the pictures.

The graph is laid out once (the final picture, with every gradient written in); each frame is
that same SVG with colours, opacities and the gradient texts changed and a caption added, so
nothing moves between slides. Frames are, in order:

* forward: one frame per node in evaluation order (the current node outlined, later nodes faded);
* backward, ``granularity="edge"``: one frame per :class:`~microgradnet.viz.trace.EdgeEvent`
  (the current edge drawn thick, the equation with numbers as the caption);
  ``granularity="node"``: one frame per op node, all its operand edges at once.

Nodes whose gradient is not final yet are drawn with a dashed border ("pending"), with the sum
received so far, or ``?`` before the first contribution.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microgradnet._files import write_atomic
from microgradnet.engine import Value
from microgradnet.viz.dot import PALETTE, as_trace, draw_dot
from microgradnet.viz.rendering import dot_to_svg, svg_to_png
from microgradnet.viz.strings import STRINGS, format_number
from microgradnet.viz.trace import Trace

__all__ = ["GRANULARITIES", "Frame", "export_frames", "frame_svg", "frames"]

GRANULARITIES = ("edge", "node")
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_S = f"{{{SVG_NS}}}"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

_CAPTION_SIZE = 14.0
_LINE = 20.0


@dataclass(frozen=True)
class Frame:
    """What one picture shows.

    Attributes:
        index: the frame number (0-based).
        kind: ``"forward"`` or ``"backward"``.
        node: the current node (forward: the node just computed; backward: the node sending).
        steps: the edge events shown in this frame (their ``step`` numbers); empty going forward.
        computed: how many nodes (in forward order) have their value at this frame.
        grads: the gradient written in each node: the running sum, or ``None`` while nothing
            has arrived (every node going forward).
        final: the ids of nodes whose gradient is final.
        caption: the equation or forward step, with numbers.
        narration: one sentence about the frame (speaker notes, screen-reader text).
    """

    index: int
    kind: str
    node: str
    steps: tuple[int, ...]
    computed: int
    grads: dict[str, float | None]
    final: frozenset[str]
    caption: str
    narration: str


def frames(trace: Trace, granularity: str = "edge", fmt: str = "{:.4g}") -> list[Frame]:
    """The frames of ``trace``: forward steps, then backward steps (see the module docstring).

    Raises:
        ValueError: ``granularity`` is not ``"edge"`` or ``"node"``.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be 'edge' or 'node', got {granularity!r}")
    out: list[Frame] = []
    nothing: dict[str, float | None] = {n.id: None for n in trace.nodes}
    for k, n in enumerate(trace.nodes):
        data = format_number(n.data, fmt)
        expr = trace.expression(n.id, fmt)
        caption = STRINGS["forward_step"].format(name=n.name, data=data if n.is_leaf else f"{expr} = {data}")
        out.append(Frame(len(out), "forward", n.id, (), k + 1, dict(nothing), frozenset(), caption, caption))

    running: dict[str, float | None] = dict(nothing)
    running[trace.root] = trace.seed
    final = {trace.root} | {n.id for n in trace.nodes if n.consumers == 0}
    batches: list[list[int]] = []
    for e in trace.events:
        if granularity == "node" and batches and trace.events[batches[-1][0]].node == e.node:
            batches[-1].append(e.step)
        else:
            batches.append([e.step])
    for batch in batches:
        lines, sentences = [], []
        for s in batch:
            e = trace.events[s]
            running[e.operand] = e.grad_after
            if e.final:
                final.add(e.operand)
            lines.append(trace.event_text(e, fmt))
            sentences.append(trace.narration(e, fmt))
        first = trace.events[batch[0]]
        out.append(
            Frame(
                len(out),
                "backward",
                first.node,
                tuple(batch),
                len(trace.nodes),
                dict(running),
                frozenset(final),
                "\n".join(lines),
                ". ".join(sentences),
            )
        )
    return out


def _set_style(el: ET.Element, **props: str) -> None:
    style = el.get("style", "")
    kept = [p for p in style.split(";") if p.strip() and p.split(":")[0].strip() not in props]
    kept += [f"{k.replace('_', '-')}:{v}" for k, v in props.items()]
    el.set("style", ";".join(kept))


def _shapes(group: ET.Element) -> list[ET.Element]:
    return [
        el for el in group.iter() if el.tag in (f"{_S}polygon", f"{_S}path", f"{_S}ellipse", f"{_S}polyline")
    ]


def frame_svg(base_svg: str, trace: Trace, frame: Frame, fmt: str = "{:.4g}") -> str:
    """One frame drawn on ``base_svg``, the SVG of ``draw_dot(trace)`` (with gradients shown).

    Only colours, opacities, texts of the gradient fields and a caption change; every node and
    edge keeps its coordinates.

    Raises:
        ValueError: ``base_svg`` is not an SVG drawn by :func:`~microgradnet.viz.dot.draw_dot`.
    """
    try:
        root = ET.fromstring(base_svg.encode("utf-8"))
    except ET.ParseError as exc:
        raise ValueError(f"base_svg is not SVG: {exc}") from exc
    groups = {g.get("id"): g for g in root.iter(f"{_S}g") if g.get("id")}
    if trace.root not in groups:
        raise ValueError("base_svg was not drawn from this trace (node ids missing)")
    hl = PALETTE["highlight"]
    order = {n.id: k for k, n in enumerate(trace.nodes)}
    current_edges = {f"e{s}" for s in frame.steps}
    current_nodes = {frame.node, f"{frame.node}_op"}
    for s in frame.steps:
        current_nodes.add(trace.events[s].operand)

    for n in trace.nodes:
        for gid in (n.id, f"{n.id}_op", f"{n.id}_out"):
            g = groups.get(gid)
            if g is None:
                continue
            if order[n.id] >= frame.computed:
                g.set("opacity", "0.2")
            for shape in _shapes(g):
                if gid in current_nodes:
                    shape.set("stroke", hl)
                    shape.set("stroke-width", "3")
                elif shape.get("stroke") == hl:  # the base picture's own highlight is dropped
                    shape.set("stroke", PALETTE["line"])
                    shape.set("stroke-width", "1")
                if gid == n.id and frame.kind == "backward" and n.id not in frame.final:
                    shape.set("stroke-dasharray", "5,3")
        g = groups.get(n.id)
        if g is None:
            continue
        for text in g.iter(f"{_S}text"):
            if text.text and text.text.startswith(STRINGS["grad"] + " "):
                value = frame.grads.get(n.id)
                text.text = f"{STRINGS['grad']} " + ("?" if value is None else format_number(value, fmt))
    for e in trace.events:
        g = groups.get(f"e{e.step}")
        if g is None:
            continue
        if order[e.node] >= frame.computed:
            g.set("opacity", "0.2")
        active = f"e{e.step}" in current_edges
        for shape in _shapes(g):
            if shape.get("stroke") not in (None, "none") or active:
                shape.set("stroke", hl if active else PALETTE["line"])
                shape.set("stroke-width", "3" if active else "1")
            if shape.tag == f"{_S}polygon":
                shape.set("fill", hl if active else PALETTE["line"])
    _add_caption(root, frame.caption.split("\n"))
    return ET.tostring(root, encoding="unicode")


_NUM = re.compile(r"[0-9.]+")


def _add_caption(root: ET.Element, lines: list[str]) -> None:
    """Grow the picture at the bottom and write ``lines`` there."""
    nums = [float(x) for x in (root.get("viewBox") or "0 0 100 100").split()]
    _, _, vw, vh = nums
    wanted = max([len(line) for line in lines] + [1]) * _CAPTION_SIZE * 0.56 + 16
    new_w, extra = max(vw, wanted), _LINE * len(lines) + 12
    scale_w = float(_NUM.findall(root.get("width", str(vw)))[0]) / vw if vw else 1.0
    root.set("viewBox", f"0.00 0.00 {new_w:.2f} {vh + extra:.2f}")
    root.set("width", f"{new_w * scale_w:.2f}pt")
    root.set("height", f"{(vh + extra) * scale_w:.2f}pt")
    cap = ET.SubElement(root, f"{_S}g", {"id": "caption", "class": "caption"})
    ET.SubElement(
        cap,
        f"{_S}rect",
        {"x": "0", "y": f"{vh:.2f}", "width": f"{new_w:.2f}", "height": f"{extra:.2f}", "fill": "white"},
    )
    for k, line in enumerate(lines):
        t = ET.SubElement(
            cap,
            f"{_S}text",
            {
                "x": "8",
                "y": f"{vh + _LINE * (k + 1):.2f}",
                "font-family": "Helvetica,Arial,sans-serif",
                "font-size": f"{_CAPTION_SIZE:.0f}",
                "fill": "#000000",
            },
        )
        t.text = line


def export_frames(
    trace: Trace | Value,
    directory: str | os.PathLike[str],
    fmt: str = "svg",
    *,
    granularity: str = "edge",
    number_format: str = "{:.4g}",
    **draw_options: Any,
) -> list[Path]:
    """Write one picture per step of ``trace`` to ``directory`` as ``frame_000.svg``, ...

    Args:
        trace: a :class:`Trace` (or an output ``Value``, traced first).
        directory: where the frames go (created if missing; existing frames are overwritten).
        fmt: ``"svg"`` or ``"png"`` (rasterised by :func:`~microgradnet.viz.rendering.svg_to_png`:
            twice the size, less for very wide graphs).
        granularity: ``"edge"`` (one backward frame per edge) or ``"node"`` (one per op node).
        number_format: the :meth:`str.format` pattern for numbers.
        draw_options: passed to :func:`~microgradnet.viz.dot.draw_dot` (``rankdir``,
            ``show_local``, ``colors``, ``outline``); ``show_grad`` is always on.

    Returns:
        the paths written, in order (forward frames first, then backward).

    Raises:
        ValueError: an unknown ``fmt``, ``granularity`` or drawing option, or ``directory``
            names a file.
        TypeError: ``trace`` is neither a ``Trace`` nor a ``Value``.
    """
    if fmt not in ("svg", "png"):
        raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be 'edge' or 'node', got {granularity!r}")
    for bad in ("show_grad", "highlight", "fmt", "collapse"):
        if bad in draw_options:
            raise ValueError(
                f"export_frames does not take {bad!r}: every frame shows every node and edge "
                "(numbers: number_format=; groups: outline=)"
            )
    out_dir = Path(directory)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"export_frames: {str(out_dir)!r} is a file; give a directory for the frames")
    t = as_trace(trace)
    base = dot_to_svg(draw_dot(t, fmt=number_format, show_grad=True, **draw_options).source)
    pictures = [frame_svg(base, t, fr, number_format) for fr in frames(t, granularity, number_format)]
    payloads: list[bytes | str] = [svg_to_png(p) for p in pictures] if fmt == "png" else list(pictures)
    out_dir.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(pictures) - 1)))
    return [write_atomic(out_dir / f"frame_{k:0{width}d}.{fmt}", p) for k, p in enumerate(payloads)]
