"""Slides: one 16:9 picture per step of a trace, in the stepper's look, every node fixed in place.

The graph is laid out once; each slide is that same layout with colours, line styles and the
gradient texts changed, a title and a step counter on top and the step's equation and narration
in a panel at the bottom, so nothing moves between slides. Slides are, in order:

* forward: one slide per node in evaluation order (the node being computed tinted, the edges
  into it drawn in the values' colour, later nodes faded);
* backward, ``granularity="edge"``: one slide per :class:`~microgradnet.viz.trace.EdgeEvent`
  (the edge carrying gradient thick and dashed in the gradients' colour, the sending node
  outlined, the receiving node tinted); ``granularity="node"``: one per op node, all its
  operand edges at once.

A node whose gradient is not final yet is drawn with a dashed border ("pending") showing the sum
received so far; a final gradient has a solid border in the gradients' colour. Going forward,
each node shows the gradient its ``Value`` holds (``grad 0`` before any ``backward()``), or
``grad ?`` when drawn from a :class:`~microgradnet.viz.trace.Trace`.

**The look** is the stepper page's: the colours and fonts are read from ``viz/stepper.css``
(``--mg-data``, ``--mg-grad``, ``--mg-ink``, ... and its colour-blind theme), so slides and page
match. ``lang="ne"`` writes every title, counter, caption, narration and label in Nepali; its
Devanagari is drawn with the Noto Sans Devanagari subset microgradnet ships (embedded in SVG
slides, loaded by the rasteriser for PNG and PDF), so slides need no font installed.

**Sizes**, for a 1920×1080 slide projected for a room of 80: the equation is written at 40 px
and the narration at 32 px (never below 28 px, about 1/38 of the slide's height: legible
from 12 m on a 2-m-high screen, the usual rule of thumb being 1/200 of the distance), the title
at 40 px, and the graph is scaled so that its node text is as large as the free space allows, up
to 56 px; the lecture's expression gets node text of at least 28 px. A graph that would need
smaller text (a network: ``moons-mlp`` whole would be 3.8 px) keeps 28-px node text and each
slide shows the part of it around its step (the current node and its operands going forward; the
receiving node, the sender and its op going backward, or the receiving node alone when they are
too far apart): the nodes keep their places in the graph, and the view moves with the step.

A network makes hundreds of slides (``moons-mlp``: 284); ``steps="200-215"`` writes some of
them, each keeping its number in the deck.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from microgradnet._files import write_atomic
from microgradnet.engine import Value
from microgradnet.locales import check_lang, font_face_css, font_files, needs_font
from microgradnet.viz.dot import DotLook, as_trace, dot_source, shown_grads
from microgradnet.viz.limits import MAX_FRAMES, MAX_NODES, GraphTooLargeError, check_size
from microgradnet.viz.pdf import pngs_to_pdf
from microgradnet.viz.rendering import dot_to_svg, has_script, svg_to_png, write_script_text
from microgradnet.viz.steps import page_strings
from microgradnet.viz.strings import format_number, printable, strings
from microgradnet.viz.trace import Trace

__all__ = [
    "FORMATS",
    "GRANULARITIES",
    "SLIDE_SIZE",
    "THEMES",
    "Frame",
    "export_frames",
    "frame_svg",
    "frames",
    "select_steps",
    "slide_dot",
    "slide_style",
]

GRANULARITIES = ("edge", "node")
#: What :func:`export_frames` writes: one SVG or PNG per slide, or one PDF of them all.
FORMATS = ("svg", "png", "pdf")
#: The stepper's colour themes (``viz/stepper.css``).
THEMES = ("cs231n", "colorblind")
#: The size of a slide in pixels (16:9).
SLIDE_SIZE = (1920, 1080)

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_S = f"{{{SVG_NS}}}"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

# text sizes in pixels on a 1920x1080 slide (see the module docstring)
_TITLE_PX = 40.0
_COUNTER_PX = 30.0
_EQUATION_PX = 40.0
_NARRATION_PX = 32.0
_MIN_CAPTION_PX = 28.0
_NODE_FONT_PT = 14.0  # what Graphviz measures the node text at
_MAX_NODE_PX = 56.0
_MIN_NODE_PX = 28.0  # a graph that would be drawn smaller is shown zoomed in around the current step
_MARGIN = 48.0
_HEADER = 110.0
_PAD = 24.0
# average advance of a character, in ems: DejaVu Sans Mono is 0.602; sans-serif text is narrower
_MONO_EM = 0.61
_SANS_EM = 0.56


@dataclass(frozen=True)
class Frame:
    """What one picture shows.

    Attributes:
        index: the frame number (0-based).
        kind: ``"forward"`` or ``"backward"``.
        node: the current node (forward: the node just computed; backward: the node sending).
        steps: the edge events shown in this frame (their ``step`` numbers); empty going forward.
        computed: how many nodes (in forward order) have their value at this frame.
        grads: the gradient written in each node: the running sum, or ``None`` when unknown
            (going forward when drawn from a trace).
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


def frames(
    trace: Trace,
    granularity: str = "edge",
    fmt: str = "{:.4g}",
    *,
    start: Mapping[str, float] | None = None,
    lang: str = "en",
) -> list[Frame]:
    """The frames of ``trace``: forward steps, then backward steps (see the module docstring),
    their captions and narration in ``lang``.

    ``start`` gives each node's gradient before the backward pass (what the ``Value``\\s hold,
    :func:`~microgradnet.viz.dot.shown_grads`); going forward the frames show it, or ``None``.
    Going backward a node shows what the pass starts it from (``grad_before`` of its first
    contribution) until its contributions arrive.

    Raises:
        ValueError: ``granularity`` is not ``"edge"`` or ``"node"``, or an unknown ``lang``.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be 'edge' or 'node', got {granularity!r}")
    words = strings(lang)
    sentence_gap = page_strings(lang)["narration_sentence"].format(sentence="") + " "  # ". " or "। "
    out: list[Frame] = []
    before: dict[str, float | None] = {
        n.id: (start[n.id] if start is not None else None) for n in trace.nodes
    }
    for k, n in enumerate(trace.nodes):
        data = format_number(n.data, fmt)
        expr = trace.expression(n.id, fmt)
        caption = words["forward_step"].format(name=n.name, data=data if n.is_leaf else f"{expr} = {data}")
        out.append(Frame(len(out), "forward", n.id, (), k + 1, dict(before), frozenset(), caption, caption))

    running: dict[str, float | None] = dict(before)
    for e in reversed(trace.events):  # each node starts from its first contribution's grad_before
        running[e.operand] = e.grad_before
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
            lines.append(trace.event_text(e, fmt, lang))
            sentences.append(trace.narration(e, fmt, lang))
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
                sentence_gap.join(sentences),
            )
        )
    return out


# ---- the look ----------------------------------------------------------------------------------


@functools.cache
def _stepper_css() -> str:
    css = resources.files("microgradnet.viz").joinpath("stepper.css").read_text(encoding="utf-8")
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def _variables(css: str, selector: str) -> dict[str, str]:
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
    return dict(re.findall(r"--mg-([\w-]+)\s*:\s*([^;]+?)\s*;", match.group(1))) if match else {}


def slide_style(theme: str = "cs231n") -> dict[str, str]:
    """The slides' colours and fonts, read from the stepper page's ``stepper.css``.

    Keys: ``data`` (values), ``grad`` (gradients), ``ink``, ``muted``, ``paper``, ``panel``,
    ``line``, ``focus``, ``font`` and ``mono`` (CSS font lists), ``receiver`` and ``computing``
    (the fills of the node receiving gradient and of the node being computed).

    Raises:
        ValueError: an unknown ``theme`` (``"cs231n"`` or ``"colorblind"``), or a stepper.css
            without the colours.
    """
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, got {theme!r}")
    css = _stepper_css()
    style = _variables(css, ".mg-stepper")
    if theme == "colorblind":
        style.update(_variables(css, ".mg-stepper.mg-theme-colorblind"))
    receiver, computing = style.get("receiver"), style.get("computing")
    wanted = ("data", "grad", "ink", "muted", "paper", "panel", "line", "focus", "font", "mono")
    missing = [k for k in wanted if k not in style] + [
        k for k, v in (("receiver", receiver), ("computing", computing)) if not v
    ]
    if missing:
        raise ValueError(f"stepper.css lacks the colours the slides use: {missing}")
    return {**{k: style[k] for k in wanted}, "receiver": str(receiver), "computing": str(computing)}


#: How the slides' graph is drawn by the one DOT writer: the stepper's compact boxes, measured
#: in the fonts the slides are written in (Courier's advance equals the monospace font's).
_SLIDE_LOOK = DotLook(
    graph={"bgcolor": "transparent", "nodesep": "0.3", "ranksep": "0.45", "pad": "0.05"},
    node={"fontname": "Courier", "fontsize": f"{_NODE_FONT_PT:g}"},
    edge={"arrowsize": "0.8", "penwidth": "1.5"},
    value={"shape": "record"},
    op={"shape": "circle", "margin": "0.06", "fontname": "Helvetica"},
    stacked=True,
    decorate=False,
    classes=True,
)


def slide_dot(
    trace: Trace,
    slides: list[Frame],
    fmt: str = "{:.4g}",
    rankdir: str = "LR",
    lang: str = "en",
    **options: Any,
) -> str:
    """The DOT text the slides are drawn on: boxes wide enough for every text the slides show
    (the words ``data`` and ``grad`` in ``lang``).

    ``options`` go to :func:`~microgradnet.viz.dot.dot_source` (``show_local``, ``outline``).
    """
    words = strings(lang)
    widest: dict[str, str] = {}
    for fr in slides:
        for node_id, g in fr.grads.items():
            text = f"{words['grad']} " + ("?" if g is None else format_number(g, fmt))
            if len(text) > len(widest.get(node_id, "")):
                widest[node_id] = text
    return dot_source(
        trace,
        rankdir=rankdir,
        fmt=fmt,
        look=_SLIDE_LOOK,
        fields=lambda n: (n.name, f"{words['data']} {format_number(n.data, fmt)}", widest[n.id]),
        name="slides",
        comment="microgradnet slides",
        max_nodes=None,
        **options,
    )


# ---- one slide ---------------------------------------------------------------------------------


def _wrap(text: str, px: float, em: float, width: float) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide (a word longer than
    that stays whole); joining the lines with single spaces gives ``text`` back."""
    per_line = max(8, int(width / (px * em)))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: str | None = None
        for word in paragraph.split(" "):
            if line is None:
                line = word
            elif len(line) + 1 + len(word) <= per_line:
                line = f"{line} {word}"
            else:
                lines.append(line)
                line = word
        lines.append(line or "")
    return lines


@dataclass(frozen=True)
class _Layout:
    """Where things go on every slide of one deck (the same for all, so nothing moves)."""

    scale: float
    x: float
    y: float
    panel_top: float
    equation_px: float
    narration_px: float
    zoom: bool = False  # the graph is larger than the slide: each slide shows the current step's part
    area: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # left, top, width, height
    graph: tuple[float, float] = (0.0, 0.0)  # the graph's width and height before scaling


def _graph_size(root: ET.Element) -> tuple[float, float]:
    _, _, w, h = (float(v) for v in (root.get("viewBox") or "0 0 100 100").split())
    return w, h


def _caption_height(fr: Frame, eq_px: float, nar_px: float) -> float:
    width = SLIDE_SIZE[0] - 2 * _MARGIN - 2 * _PAD
    eq = _wrap(fr.caption, eq_px, _MONO_EM, width)
    nar = _wrap(fr.narration, nar_px, _SANS_EM, width) if fr.narration != fr.caption else []
    return 2 * _PAD + 1.3 * eq_px * len(eq) + (1.3 * nar_px * len(nar) + 0.4 * nar_px if nar else 0.0)


def _layout(base: ET.Element, slides: list[Frame]) -> _Layout:
    """One caption size and panel height for the whole deck (the tallest caption), and the
    largest scale at which the graph fits above it."""
    width, height = SLIDE_SIZE
    eq_px, nar_px = _EQUATION_PX, _NARRATION_PX
    need = max(_caption_height(fr, eq_px, nar_px) for fr in slides)
    while need > 0.42 * height and nar_px > _MIN_CAPTION_PX:  # long equations: smaller, never < 28 px
        eq_px, nar_px = max(_MIN_CAPTION_PX, eq_px - 2), max(_MIN_CAPTION_PX, nar_px - 2)
        need = max(_caption_height(fr, eq_px, nar_px) for fr in slides)
    panel_top = height - _MARGIN / 2 - need
    gw, gh = _graph_size(base)
    area_w, area_h = width - 2 * _MARGIN, panel_top - _HEADER - 16
    scale = min(area_w / gw, area_h / gh, _MAX_NODE_PX / _NODE_FONT_PT)
    zoom = scale * _NODE_FONT_PT < _MIN_NODE_PX
    if zoom:  # a network: node text stays 28 px and each slide shows the part around its step
        scale = _MIN_NODE_PX / _NODE_FONT_PT
    x = _MARGIN + (area_w - gw * scale) / 2
    y = _HEADER + (area_h - gh * scale) / 2
    return _Layout(scale, x, y, panel_top, eq_px, nar_px, zoom, (_MARGIN, _HEADER, area_w, area_h), (gw, gh))


def _centres(
    base: ET.Element, groups: dict[str | None, ET.Element], ids: list[str]
) -> list[tuple[float, float]]:
    """The centres of the nodes ``ids`` (value boxes, else op circles) in the graph's viewBox
    coordinates (Graphviz draws inside a group translated by the graph's height)."""
    tx = ty = 0.0
    top = base.find(f"{_S}g")
    found = re.search(
        r"translate\(([-\d.]+)[ ,]+([-\d.]+)\)", top.get("transform", "") if top is not None else ""
    )
    if found:
        tx, ty = float(found.group(1)), float(found.group(2))
    out = []
    for node_id in ids:
        group = groups.get(node_id)
        if group is None:
            group = groups.get(f"{node_id}_op")
        if group is None:
            continue
        xs: list[float] = []
        ys: list[float] = []
        for shape in _shapes(group):
            if shape.tag == f"{_S}ellipse":
                xs.append(float(shape.get("cx", "0")))
                ys.append(float(shape.get("cy", "0")))
            else:
                for pair in (shape.get("points") or "").split():
                    px, _, py = pair.partition(",")
                    xs.append(float(px))
                    ys.append(float(py))
        if xs:
            out.append(((min(xs) + max(xs)) / 2 + tx, (min(ys) + max(ys)) / 2 + ty))
    return out


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def _drop_unseen(base: ET.Element, geometry: _Layout) -> None:
    """Remove the nodes and edges of ``base`` that lie wholly outside the graph area of a zoomed
    slide (the rasteriser would draw them only to cut them off)."""
    top = base.find(f"{_S}g")
    if top is None:
        return
    found = re.search(r"translate\(([-\d.]+)[ ,]+([-\d.]+)\)", top.get("transform", ""))
    tx, ty = (float(found.group(1)), float(found.group(2))) if found else (0.0, 0.0)
    left, upper, area_w, area_h = geometry.area
    s, pad = geometry.scale, 40.0
    x0, x1 = (left - geometry.x) / s - tx - pad, (left + area_w - geometry.x) / s - tx + pad
    y0, y1 = (upper - geometry.y) / s - ty - pad, (upper + area_h - geometry.y) / s - ty + pad
    for part in list(top):
        if part.tag != f"{_S}g" or part.get("class", "").startswith("graph"):
            continue
        xs: list[float] = []
        ys: list[float] = []
        for el in part.iter():
            if el.tag in (f"{_S}polygon", f"{_S}polyline", f"{_S}path"):
                numbers = [float(v) for v in _NUMBER.findall(el.get("points") or el.get("d") or "")]
                xs.extend(numbers[0::2])
                ys.extend(numbers[1::2])
            elif el.tag in (f"{_S}ellipse", f"{_S}text"):
                xs.append(float(el.get("cx") or el.get("x") or 0))
                ys.append(float(el.get("cy") or el.get("y") or 0))
        if xs and (max(xs) < x0 or min(xs) > x1 or max(ys) < y0 or min(ys) > y1):
            top.remove(part)


def _focus(geometry: _Layout, centres: list[tuple[float, float]]) -> tuple[float, float]:
    """Where to put the graph so that ``centres`` (the current step's nodes, the main one first)
    are in view: around all of them when they fit together, else around the first; never leaving
    blank space at an edge of the graph area when the graph is larger than it."""
    left, top, area_w, area_h = geometry.area
    gw, gh = geometry.graph
    s = geometry.scale
    if not centres:
        return geometry.x, geometry.y
    xs, ys = [c[0] for c in centres], [c[1] for c in centres]
    # room for a box around each centre (a box is about 10 characters of node text wide)
    room_w, room_h = area_w / s - 12 * _NODE_FONT_PT, area_h / s - 6 * _NODE_FONT_PT
    if max(xs) - min(xs) <= room_w and max(ys) - min(ys) <= room_h:
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    else:
        cx, cy = centres[0]

    def place(start: float, size: float, graph: float, centre: float) -> float:
        if graph * s <= size:
            return start + (size - graph * s) / 2
        return min(start, max(start + size - graph * s, start + size / 2 - centre * s))

    return place(left, area_w, gw, cx), place(top, area_h, gh, cy)


def _set(el: ET.Element, **attrs: str) -> None:
    for key, value in attrs.items():
        el.set(key.rstrip("_").replace("_", "-"), value)


def _shapes(group: ET.Element) -> list[ET.Element]:
    return [el for el in group if el.tag in (f"{_S}polygon", f"{_S}path", f"{_S}ellipse")]


def _write(t: ET.Element, text: str, script: bool = False) -> None:
    """``text`` into the SVG text element ``t``, control characters made visible; with ``script``,
    Devanagari set for resvg (:func:`~microgradnet.viz.rendering.write_script_text`)."""
    write_script_text(t, printable(text), script)


def _text(parent: ET.Element, x: float, y: float, text: str, script: bool = False, **attrs: str) -> None:
    t = ET.SubElement(parent, f"{_S}text", {"x": f"{x:.1f}", "y": f"{y:.1f}"})
    _set(t, **attrs)
    _write(t, text, script)


def frame_svg(
    base_svg: str,
    trace: Trace,
    frame: Frame,
    fmt: str = "{:.4g}",
    *,
    theme: str = "cs231n",
    title: str | None = None,
    total: int | None = None,
    layout: _Layout | None = None,
    lang: str = "en",
) -> str:
    """One 1920×1080 slide: ``base_svg`` (Graphviz's SVG of :func:`slide_dot`) in the state of
    ``frame``, a title, a step counter (``total`` slides) and the caption panel, in ``lang`` (a
    slide in Devanagari embeds its font).

    Only colours, line styles, opacities and the gradient texts of the graph change from slide
    to slide; every node and edge keeps its coordinates.

    Raises:
        ValueError: ``base_svg`` is not an SVG drawn from this trace, or an unknown ``theme``.
    """
    style = slide_style(theme)
    words, script = strings(lang), needs_font(lang)
    try:
        base = ET.fromstring(base_svg.encode("utf-8"))
    except ET.ParseError as exc:
        raise ValueError(f"base_svg is not SVG: {exc}") from exc
    groups = {g.get("id"): g for g in base.iter(f"{_S}g") if g.get("id")}
    if trace.root not in groups:
        raise ValueError("base_svg was not drawn from this trace (node ids missing)")
    geometry = layout if layout is not None else _layout(base, [frame])
    if geometry.zoom:
        if frame.kind == "forward":
            ids = [frame.node, *trace.node(frame.node).children]
        else:
            ids = [trace.events[s].operand for s in frame.steps] + [f"{frame.node}_op", frame.node]
        x, y = _focus(geometry, _centres(base, groups, ids))
        geometry = dataclasses.replace(geometry, x=x, y=y)
        _drop_unseen(base, geometry)
    _paint(groups, trace, frame, style, fmt, words)
    if script:
        for t in base.iter(f"{_S}text"):
            if t.text and has_script(t.text):
                _write(t, t.text, script)

    width, height = SLIDE_SIZE
    svg = ET.Element(
        f"{_S}svg",
        {"width": str(width), "height": str(height), "viewBox": f"0 0 {width} {height}", "version": "1.1"},
    )
    if script:  # SVG slides carry their font; the rasteriser loads the file instead
        ET.SubElement(svg, f"{_S}style").text = font_face_css(lang)
    ET.SubElement(svg, f"{_S}rect", {"width": str(width), "height": str(height), "fill": style["paper"]})
    root = trace.node(trace.root)
    heading = (
        title
        if title is not None
        else words["slide_title"].format(root=root.name, expr=trace.expression(root.id, fmt))
    )
    phase = words["slide_forward" if frame.kind == "forward" else "slide_backward"]
    counter = words["slide_counter"].format(k=frame.index + 1, n=total or frame.index + 1, phase=phase)
    # the title stops short of the counter (an ellipsis; the whole title is the PDF's title)
    longest = max(len(words["slide_counter"].format(k=total or 1, n=total or 1, phase=words[w]))
                  for w in ("slide_forward", "slide_backward"))  # fmt: skip
    room = int(
        (width - 2 * _MARGIN - max(longest, len(counter)) * _COUNTER_PX * _SANS_EM - 40) / (_TITLE_PX * 0.6)
    )  # bold
    if len(heading) > room:
        heading = heading[: max(1, room - 1)].rstrip() + "…"
    _text(svg, _MARGIN, 72, heading, script, font_family=style["font"], font_size=f"{_TITLE_PX:g}",
          font_weight="700", fill=style["ink"])  # fmt: skip
    _text(svg, width - _MARGIN, 72, counter, script, font_family=style["font"], font_size=f"{_COUNTER_PX:g}",
          fill=style["muted"], text_anchor="end")  # fmt: skip
    holder = svg
    if geometry.zoom:  # the part of the graph in view, cut off at the graph area's edges
        left, top, area_w, area_h = geometry.area
        clip = ET.SubElement(ET.SubElement(svg, f"{_S}defs"), f"{_S}clipPath", {"id": "graph-area"})
        ET.SubElement(
            clip,
            f"{_S}rect",
            {"x": f"{left:g}", "y": f"{top:g}", "width": f"{area_w:g}", "height": f"{area_h:g}"},
        )
        holder = ET.SubElement(svg, f"{_S}g", {"clip-path": "url(#graph-area)"})
    graph = ET.SubElement(
        holder,
        f"{_S}g",
        {
            "id": "graph",
            "transform": f"translate({geometry.x:.2f} {geometry.y:.2f}) scale({geometry.scale:.4f})",
        },
    )
    graph.extend(list(base))
    _caption(svg, frame, geometry, style, script)
    return ET.tostring(svg, encoding="unicode")


def _paint(
    groups: dict[str | None, ET.Element],
    trace: Trace,
    frame: Frame,
    style: dict[str, str],
    fmt: str,
    words: Mapping[str, str],
) -> None:
    """Colour the graph's elements for ``frame``, the stepper's way (``words``: the labels'
    language)."""
    order = {n.id: k for k, n in enumerate(trace.nodes)}
    forward = frame.kind == "forward"
    hot = {f"e{s}" for s in frame.steps}
    receivers = {trace.events[s].operand for s in frame.steps}
    if forward:
        current = trace.node(frame.node)
        hot = {f"e{e.step}" for e in trace.events if e.node == current.id} | {f"{current.id}_out"}
    for background in groups.values():
        if background.get("class", "").startswith("graph"):
            for shape in _shapes(background):
                shape.set("fill", "none")
                shape.set("stroke", "none")
    for n in trace.nodes:
        future = order[n.id] >= frame.computed
        value, op = groups.get(n.id), groups.get(f"{n.id}_op")
        for part in (value, op, groups.get(f"{n.id}_out")):
            if part is not None and future:
                part.set("opacity", "0.35")
        if value is not None:
            box = {"fill": style["paper"], "stroke": style["line"], "stroke_width": "1.5"}
            grad_text = {"font_style": "normal", "font_weight": "400"}
            if forward and n.id == frame.node:
                box = {"fill": style["computing"], "stroke": style["data"], "stroke_width": "3.5"}
            elif not forward and n.id in receivers:
                box = {"fill": style["receiver"], "stroke": style["ink"], "stroke_width": "3.5"}
            elif not forward and n.id == frame.node:
                box["stroke"], box["stroke_width"] = style["ink"], "3.5"
            elif not forward and n.id in frame.final:
                box["stroke"], box["stroke_width"] = style["grad"], "2"
            if not forward and n.id not in frame.final and n.id not in receivers:
                box["stroke_dasharray"] = "6 4"
                grad_text["font_style"] = "italic"
            if not forward and n.id in frame.final:
                grad_text["font_weight"] = "700"
            for shape in value:
                if shape.tag == f"{_S}polygon":
                    _set(shape, **box)
                elif shape.tag == f"{_S}polyline":
                    _set(shape, stroke=style["line"])
            texts = list(value.iter(f"{_S}text"))
            for k, t in enumerate(texts):
                label = t.text or ""
                # the record's fields are name | data | grad (Graphviz drops the space after a
                # Devanagari word, so the texts are written again whole)
                field = ("name", "data", "grad")[k] if len(texts) == 3 else ""
                if field == "grad" or (not field and label.startswith(words["grad"] + " ")):
                    g_value = frame.grads.get(n.id)
                    t.text = f"{words['grad']} " + ("?" if g_value is None else format_number(g_value, fmt))
                    _set(t, font_family=style["mono"], fill=style["grad"], **grad_text)
                elif field == "data" or (not field and label.startswith(words["data"] + " ")):
                    t.text = f"{words['data']} {format_number(n.data, fmt)}"
                    _set(t, font_family=style["mono"], fill=style["data"] if not future else style["muted"])
                else:
                    _set(t, font_family=style["mono"], font_weight="700", fill=style["ink"])
        if op is not None:
            ring = {"fill": style["paper"], "stroke": style["line"], "stroke_width": "1.5"}
            if forward and n.id == frame.node:
                ring = {"fill": style["computing"], "stroke": style["data"], "stroke_width": "3.5"}
            elif not forward and n.id == frame.node:
                ring["stroke"], ring["stroke_width"] = style["ink"], "3.5"
            for shape in _shapes(op):
                _set(shape, **ring)
            for t in op.iter(f"{_S}text"):
                _set(t, font_family=style["font"], font_weight="700", fill=style["ink"])
    for e in trace.events:
        for gid in (f"e{e.step}", f"{e.node}_out"):
            edge = groups.get(gid)
            if edge is None:
                continue
            if order[e.node] >= frame.computed:
                edge.set("opacity", "0.35")
            colour, width, dash = style["line"], "1.5", None
            if gid in hot:
                colour, width = (style["data"], "4") if forward else (style["grad"], "4.5")
                dash = None if forward else "10 6"
            for shape in _shapes(edge):
                _set(shape, stroke=colour, stroke_width=width)
                if dash is not None and shape.tag == f"{_S}path":
                    shape.set("stroke-dasharray", dash)
                if shape.tag == f"{_S}polygon":
                    shape.set("fill", colour)
                    shape.set("stroke-width", "1.5")
            for t in edge.iter(f"{_S}text"):
                _set(t, font_family=style["mono"], fill=style["ink"])


def _caption(
    svg: ET.Element, frame: Frame, geometry: _Layout, style: dict[str, str], script: bool = False
) -> None:
    """The panel at the bottom: the equation(s) in the monospace font, then the narration."""
    width, height = SLIDE_SIZE
    panel = ET.SubElement(svg, f"{_S}g", {"id": "caption", "class": "caption"})
    ET.SubElement(
        panel,
        f"{_S}rect",
        {
            "x": f"{_MARGIN / 2:.1f}",
            "y": f"{geometry.panel_top:.1f}",
            "width": f"{width - _MARGIN:.1f}",
            "height": f"{height - _MARGIN / 2 - geometry.panel_top:.1f}",
            "rx": "12",
            "fill": style["panel"],
        },
    )
    inner = width - 2 * _MARGIN - 2 * _PAD
    y = geometry.panel_top + _PAD
    eq_px, nar_px = geometry.equation_px, geometry.narration_px
    for line in _wrap(frame.caption, eq_px, _MONO_EM, inner):
        y += 1.3 * eq_px
        colour = style["grad"] if frame.kind == "backward" else style["data"]
        _text(panel, _MARGIN + _PAD, y - 0.3 * eq_px, line, script, font_family=style["mono"],
              font_size=f"{eq_px:g}", fill=colour, class_="equation")  # fmt: skip
    if frame.narration != frame.caption:
        y += 0.4 * nar_px
        for line in _wrap(frame.narration, nar_px, _SANS_EM, inner):
            y += 1.3 * nar_px
            _text(panel, _MARGIN + _PAD, y - 0.3 * nar_px, line, script, font_family=style["font"],
                  font_size=f"{nar_px:g}", fill=style["ink"], class_="narration")  # fmt: skip


# ---- the deck ----------------------------------------------------------------------------------


def export_frames(
    trace: Trace | Value,
    directory: str | os.PathLike[str],
    fmt: str = "svg",
    *,
    granularity: str = "edge",
    number_format: str = "{:.4g}",
    theme: str = "cs231n",
    title: str | None = None,
    grads: str = "stored",
    rankdir: str | None = None,
    max_nodes: int | None = MAX_NODES,
    lang: str = "en",
    steps: str | None = None,
    **draw_options: Any,
) -> list[Path]:
    """Write one 16:9 slide per step of ``trace`` to ``directory``: ``frame_000.svg``, ...
    (``fmt="png"``: 1920×1080 pictures; ``fmt="pdf"``: one file ``frames.pdf``, a page per slide).

    Args:
        trace: a :class:`Trace` (or an output ``Value``, traced first).
        directory: where the slides go (created if missing; existing slides are overwritten).
        fmt: ``"svg"``, ``"png"`` or ``"pdf"``.
        granularity: ``"edge"`` (one backward slide per edge) or ``"node"`` (one per op node).
        number_format: the :meth:`str.format` pattern for numbers.
        theme: the stepper's colours, ``"cs231n"`` (values green, gradients red) or
            ``"colorblind"``.
        title: the heading of every slide (default: ``Backpropagation through L = ...``).
        grads: with a ``Value``, ``"stored"`` (default) shows the gradient each node holds
            during the forward slides; ``"backward"`` shows ``?`` until the backward pass.
        rankdir: ``"LR"`` or ``"TB"``...; ``None`` (default) picks the direction that gives the
            larger text for graphs of up to 60 nodes, else ``"LR"``.
        max_nodes: refuse graphs with more value nodes (see :mod:`microgradnet.viz.limits`).
        lang: the language of every text on the slides (``"en"``, ``"ne"``); numbers keep
            Western digits.
        steps: which slides to write, by their numbers (1 is the first forward slide):
            ``"120-140"``, ``"120-"`` (to the end), ``"-20"`` or ``"7"``; ``None`` (default):
            all of them. Each slide keeps its number in the deck (``slide 120 / 284``) and in
            its file name.
        draw_options: ``show_local`` (the local derivative on each edge) and ``outline``
            (frames around neurons or layers), passed to
            :func:`~microgradnet.viz.dot.dot_source`.

    Returns:
        the paths written, in order (forward slides first, then backward), or ``[frames.pdf]``.

    Raises:
        ValueError: an unknown ``fmt``, ``granularity``, ``theme``, ``lang`` or drawing option,
            ``steps`` not a range of slide numbers of this deck, or ``directory`` names a file.
        TypeError: ``trace`` is neither a ``Trace`` nor a ``Value``.
        GraphTooLargeError: more than ``max_nodes`` value nodes or more than
            :data:`~microgradnet.viz.limits.MAX_FRAMES` slides.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be 'svg', 'png' or 'pdf', got {fmt!r}")
    check_lang(lang)
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be 'edge' or 'node', got {granularity!r}")
    slide_style(theme)
    for bad in draw_options:
        if bad not in ("show_local", "outline"):
            raise ValueError(
                f"export_frames does not take {bad!r}: every slide shows every node and edge "
                "(numbers: number_format=; groups: outline=; look: theme=)"
            )
    if rankdir is not None and rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be None (automatic), LR, TB, RL or BT, got {rankdir!r}")
    out_dir = Path(directory)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"export_frames: {str(out_dir)!r} is a file; give a directory for the frames")
    if isinstance(trace, Trace):
        check_size(len(trace.nodes), "export_frames", max_nodes)
    t = as_trace(trace)
    if isinstance(trace, Value):
        check_size(len(t.nodes), "export_frames", max_nodes)
    start = shown_grads(trace, t, "stored") if isinstance(trace, Value) and grads == "stored" else None
    if grads not in ("stored", "backward"):
        raise ValueError(f"grads must be 'stored' (what .grad holds) or 'backward', got {grads!r}")
    deck = frames(t, granularity, number_format, start=start, lang=lang)
    chosen = select_steps(steps, len(deck))
    slides = deck[chosen.start : chosen.stop]
    if len(slides) > MAX_FRAMES:
        raise GraphTooLargeError(
            f"export_frames: {len(slides):,} slides is more than {MAX_FRAMES:,}; "
            "use granularity='node', steps='A-B' or draw a smaller graph"
        )
    directions = [rankdir] if rankdir is not None else (["LR", "TB"] if len(t.nodes) <= 60 else ["LR"])
    best: tuple[float, str, _Layout] | None = None
    for direction in directions:
        svg = dot_to_svg(slide_dot(t, slides, number_format, direction, lang, **draw_options))
        geometry = _layout(ET.fromstring(svg.encode("utf-8")), slides)
        if best is None or geometry.scale > best[0] * 1.05:
            best = (geometry.scale, svg, geometry)
    assert best is not None
    _, base, geometry = best
    pictures = [
        frame_svg(
            base,
            t,
            fr,
            number_format,
            theme=theme,
            title=title,
            total=len(deck),
            layout=geometry,
            lang=lang,
        )
        for fr in slides
    ]
    fonts = font_files(lang)
    rasters = [svg_to_png(p, zoom=1.0, font_files=fonts) for p in pictures] if fmt != "svg" else []
    payloads: list[bytes | str] = list(pictures) if fmt == "svg" else list(rasters)
    if fmt == "pdf":
        heading = (
            title
            if title is not None
            else strings(lang)["slide_title"].format(
                root=t.node(t.root).name, expr=t.expression(t.root, number_format)
            )
        )
        pdf = pngs_to_pdf(rasters, title=heading)
        out_dir.mkdir(parents=True, exist_ok=True)
        return [write_atomic(out_dir / "frames.pdf", pdf)]
    out_dir.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(deck) - 1)))
    return [
        write_atomic(out_dir / f"frame_{fr.index:0{width}d}.{fmt}", p)
        for fr, p in zip(slides, payloads, strict=True)
    ]


def select_steps(steps: str | None, total: int) -> range:
    """The 0-based slide indices that ``steps`` (``"A-B"``, ``"A-"``, ``"-B"``, ``"A"``: slide
    numbers from 1, both ends included) picks from a deck of ``total`` slides; ``None``: all.

    Raises:
        TypeError: ``steps`` is not a str or None.
        ValueError: not of that form, empty, or outside 1..``total``.
    """
    if steps is None:
        return range(total)
    if not isinstance(steps, str):
        raise TypeError(f"steps must be a str such as '120-140', or None, got {type(steps).__name__}")
    found = re.fullmatch(r"\s*(\d*)\s*(-?)\s*(\d*)\s*", steps)
    if found is None or not (found.group(1) or found.group(3)) or (not found.group(2) and not found.group(1)):
        raise ValueError(
            f"steps must be slide numbers such as '120-140', '120-', '-20' or '7', got {steps!r}"
        )
    first = int(found.group(1)) if found.group(1) else 1
    last = int(found.group(3)) if found.group(3) else (total if found.group(2) else first)
    if not 1 <= first <= last <= total:
        raise ValueError(f"steps {steps!r} is not within this deck's slides 1-{total} (first <= last)")
    return range(first - 1, last)
