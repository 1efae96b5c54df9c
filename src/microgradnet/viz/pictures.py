"""A graph's picture as a file (:func:`render`), or where its nodes go (:func:`layout`).

:func:`render` picks the format from the file's suffix and writes it atomically; :func:`layout`
returns node positions so that pictures of successive steps keep every node in place. Both draw
with :func:`~microgradnet.viz.dot.dot_source` and lay out with
:mod:`microgradnet.viz.rendering` (the Graphviz program, or Graphviz in-process).

The modules of :mod:`microgradnet.viz` import in one direction: ``strings``, ``limits`` →
``trace`` → ``rendering`` (DOT and SVG text only) → ``dot`` (the one DOT writer) → ``frames``,
``html`` → ``pictures`` (this module) → ``notebook``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from microgradnet._files import write_atomic
from microgradnet.engine import Value
from microgradnet.locales import font_files
from microgradnet.viz.dot import as_trace, dot_source
from microgradnet.viz.html import export_html
from microgradnet.viz.rendering import dot_positions, dot_to_svg, embed_font, script_runs, svg_to_png
from microgradnet.viz.trace import Trace

__all__ = ["FORMATS", "layout", "render"]

#: File suffixes :func:`render` understands.
FORMATS = (".svg", ".png", ".dot", ".gv", ".json", ".txt", ".html")


def render(
    root: Value | Trace,
    path: str | os.PathLike[str],
    *,
    parameters: Iterable[Value] | None = None,
    **draw_options: Any,
) -> Path:
    """Write a picture of ``root``'s graph (a ``Value`` or a :class:`Trace`) to ``path``.

    The suffix picks the format: ``.svg``; ``.png`` (the SVG rasterised by
    :func:`~microgradnet.viz.rendering.svg_to_png`); ``.dot`` or ``.gv`` (the DOT text);
    ``.json`` (the trace's versioned JSON); ``.txt`` (the trace as terminal text); ``.html``
    (the stepper page, :func:`~microgradnet.viz.html.export_html`). ``draw_options`` go to
    :func:`~microgradnet.viz.dot.draw_dot` (``rankdir``, ``fmt``, ``show_local``, ``highlight``,
    ``colors``, ``collapse``, ``outline``, ``show_grad``, ``grads``, ``max_nodes``, ``lang``) or,
    for ``.html``, to ``export_html``; ``.txt`` takes ``lang`` too. Pictures show the gradients
    the ``Value``\\s hold (``grads="backward"``: what ``backward()`` would give). A picture in a
    language written in Devanagari (``lang="ne"``) carries the font: an SVG embeds it, a PNG is
    drawn with it. The file is written atomically; nothing is written on error.

    Returns:
        the path written.

    Raises:
        ValueError: an unsupported suffix or a bad drawing option.
        TypeError: ``root`` is neither a ``Value`` nor a ``Trace``.
        GraphTooLargeError: the graph is larger than ``max_nodes`` (5,000 value nodes).
        GraphvizError: Graphviz failed.
        FileNotFoundError: the target directory does not exist.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render() needs a file path such as 'graph.svg', got {path!r}")
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the format from {str(target)!r}: use one of {', '.join(FORMATS)}")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"directory {str(target.parent)!r} does not exist")
    if suffix == ".html":
        trace = as_trace(root, parameters)
        result = export_html(trace, target, **draw_options)
        return Path(result) if result is not None else target
    if suffix in (".json", ".txt"):
        lang = draw_options.pop("lang", "en") if suffix == ".txt" else "en"
        if draw_options:
            raise ValueError(f"{suffix} output takes no drawing options, got {sorted(draw_options)}")
        trace = as_trace(root, parameters)
        text = trace.to_json(indent=2) + "\n" if suffix == ".json" else trace.text(lang=lang)
        return write_atomic(target, text)
    lang = draw_options.get("lang", "en")
    source = dot_source(root, parameters=parameters, **draw_options)
    if suffix in (".dot", ".gv"):
        return write_atomic(target, source)
    svg = dot_to_svg(source)
    if suffix == ".svg":
        return write_atomic(target, embed_font(svg, lang))
    return write_atomic(target, svg_to_png(script_runs(svg), font_files=font_files(lang)))


def layout(root: Value | Trace | str, **draw_options: Any) -> dict[str, Any]:
    """Where Graphviz places every node and edge, keyed by the stable ids of :mod:`.dot`.

    ``root`` is a ``Value``, a :class:`Trace` or DOT text; ``draw_options`` go to
    :func:`~microgradnet.viz.dot.draw_dot`. The result is
    :func:`~microgradnet.viz.rendering.dot_positions`'s: coordinates in points (1/72 inch), origin
    at the top left, ``y`` growing downwards::

        {"width": w, "height": h,
         "nodes": {"n0": {"x": ..., "y": ..., "width": ..., "height": ...}, "n2_op": {...}},
         "edges": {"e0": {"tail": "n0", "head": "n2_op", "points": [[x, y], ...]}, ...}}

    Raises:
        GraphvizError: Graphviz failed.
    """
    source = root if isinstance(root, str) else dot_source(root, **draw_options)
    return dot_positions(source)
