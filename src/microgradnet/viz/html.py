"""The stepper page: one self-contained HTML file that replays backpropagation edge by edge.

:func:`export_html` writes it; :class:`HtmlStepper` shows the same stepper inline in Jupyter
(``_repr_html_``) and :func:`stepper_fragment` returns that inline form as a string. The page holds
its CSS and its script inline, the trace (``<script class="mg-trace">``, exactly
:meth:`Trace.to_json`) and the *page data* the script draws and replays (``class="mg-steps"``): the
steps (:mod:`microgradnet.viz.steps`), the positions of every box in every view
(:mod:`microgradnet.viz.stepper_layout`) and the interface's sentences. Nothing is fetched from
anywhere: the file has no network address in it.

Steps: the inputs, one step per op node of the forward pass, the seed ``∂L/∂L = 1``, one step
per edge of the backward pass (the equation written symbolically and with numbers, the
operand's gradient before and after, the op's rule card, a narration sentence), and a summary
that checks each leaf's gradient against central differences of the forward pass. A network
built with :mod:`microgradnet.nn` can also be shown a neuron or a layer at a time
(``collapse=``; the page switches between the levels and opens one box at a time).

Every number and sentence is computed here, in Python, from the trace; the script only draws and
shows them. The script is one component, ``MicrogradnetStepper.mount(element, data, options)``,
that another page (the browser playground) can mount again with new data. The same program gives
a byte-identical file. Pages whose data exceed about 1 MB carry it compressed (zlib, then base64,
``data-encoding="deflate-base64"``), which browsers unpack natively.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import os
import re
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

from microgradnet._files import write_atomic
from microgradnet._version import __version__
from microgradnet.engine import Value
from microgradnet.ops import OPS
from microgradnet.viz.steps import (
    LEVELS,
    PAGE_STRINGS,
    QUIZ_ABS_TOL,
    QUIZ_REL_TOL,
    build_levels,
    build_steps,
)
from microgradnet.viz.strings import STRINGS, check_number_format, format_number
from microgradnet.viz.trace import Trace, trace_backward

__all__ = [
    "COLLAPSE",
    "LEVELS",
    "PAGE_ID",
    "PAGE_STRINGS",
    "QUIZ_ABS_TOL",
    "QUIZ_REL_TOL",
    "THEMES",
    "HtmlStepper",
    "export_html",
    "read_embedded",
    "stepper_fragment",
    "stepper_html",
]

#: The colour themes: the CS231n convention (values green, gradients red) and a colour-blind-safe
#: one (Okabe-Ito blue and vermillion). Either way every number is also written as text.
THEMES = ("cs231n", "colorblind")

#: What ``collapse=`` takes: ``None`` (every scalar), ``"neuron"`` or ``"layer"``.
COLLAPSE = (None, "neuron", "layer")

#: The id of the stepper in a written page (fixed, so files are byte-deterministic); inline
#: fragments number theirs from a per-process counter instead, so several in one notebook differ.
PAGE_ID = "mg-stepper-page"
_FRAGMENT_IDS = itertools.count(1)

#: Page data larger than this many characters is embedded compressed.
_COMPRESS_ABOVE = 1_000_000
#: The "All steps" list is written into the page (for printing without the script) up to this
#: many steps; longer lists are written by the script when opened.
_STATIC_LIST_MAX = 1_500

_ASSETS = resources.files("microgradnet.viz")
_HTML_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def _asset(name: str) -> str:
    text = (_ASSETS / name).read_text(encoding="utf-8")
    if "</" in text and name.endswith(".js"):  # cannot happen unless someone edits the asset
        raise RuntimeError(f"{name} must not contain '</' (it is inlined in a <script>)")
    return text


def _json_for_html(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return re.sub(r"[<>&]", lambda m: _HTML_JSON_ESCAPES[m.group(0)], text)


def _embed(text: str, cls: str) -> str:
    """A ``<script>`` holding JSON ``text``: as it is, or compressed when it is large."""
    if len(text) <= _COMPRESS_ABOVE:
        return f'<script type="application/json" class="{cls}">{_json_for_html(text)}</script>'
    packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    return (
        f'<script type="application/octet-stream" class="{cls}" data-encoding="deflate-base64">'
        f"{packed}</script>"
    )


def read_embedded(page: str, cls: str) -> Any:
    """The JSON a stepper page embeds in ``<script class="{cls}">`` (``"mg-trace"`` or
    ``"mg-steps"``), unpacked when compressed; ``ValueError`` when the page has none."""
    found = re.search(rf'<script type="([^"]+)" class="{re.escape(cls)}"([^>]*)>(.*?)</script>', page, re.S)
    if found is None:
        raise ValueError(f'no <script class="{cls}"> in this page')
    body = found.group(3)
    if "deflate-base64" in found.group(2):
        body = zlib.decompress(base64.b64decode(body)).decode("utf-8")
    return json.loads(body)


def _op_symbol(trace: Trace, k: int) -> str:
    n = trace.nodes[k]
    symbol = n.symbol or n.op
    if n.arg is not None and OPS.get(n.op) is not None and OPS[n.op].arg:
        symbol = f"{symbol} {format_number(n.arg)}"
    return symbol


def _index(node_id: str) -> int:
    return int(node_id[1:])


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def _read_trace(root_or_trace: Value | Trace) -> Trace:
    """The trace a page shows: ``root_or_trace`` itself, or ``trace_backward`` of a ``Value``
    (the one place the stepper reads a trace, so a change of the trace's format lands here)."""
    if isinstance(root_or_trace, Trace):
        return root_or_trace
    if isinstance(root_or_trace, Value):
        return trace_backward(root_or_trace)
    raise TypeError(
        "the stepper takes the output Value or a Trace from trace_backward(), got "
        f"{root_or_trace!r} ({type(root_or_trace).__name__})"
    )


class HtmlStepper:
    """The stepper page for one backward pass; shows inline in Jupyter.

    ``HtmlStepper(L)`` (or a :class:`~microgradnet.viz.trace.Trace`) traces the graph once
    (never changing ``data`` or ``grad``); :meth:`html` gives the whole page, :meth:`fragment`
    the embeddable part, :meth:`data` what the page's script draws, :meth:`save` writes the
    page. In a notebook the keys act while the stepper has focus (click it); in the page they
    act everywhere.

    Raises:
        TypeError: ``root_or_trace`` is neither a ``Value`` nor a ``Trace``, or an option has
            the wrong type.
        ValueError: an unknown theme, direction or collapse level, or a non-positive play
            interval.
    """

    def __init__(
        self,
        root_or_trace: Value | Trace,
        *,
        title: str | None = None,
        theme: str = "cs231n",
        projector: bool = False,
        rankdir: str = "LR",
        fmt: str = "{:.4g}",
        interval: float = 1.5,
        follow: bool | None = None,
        quiz: bool = False,
        collapse: str | None = None,
    ) -> None:
        if not isinstance(quiz, bool):
            raise TypeError(f"quiz must be True or False, got {quiz!r}")
        if follow is not None and not isinstance(follow, bool):
            raise TypeError(f"follow must be True, False or None (automatic), got {follow!r}")
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be a str or None, got {type(title).__name__}")
        if theme not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}, got {theme!r}")
        if not isinstance(projector, bool):
            raise TypeError(f"projector must be True or False, got {projector!r}")
        if rankdir not in ("LR", "TB", "RL", "BT"):
            raise ValueError(f"rankdir must be LR, TB, RL or BT, got {rankdir!r}")
        if collapse not in COLLAPSE:
            raise ValueError(f"collapse must be None, 'neuron' or 'layer', got {collapse!r}")
        check_number_format(fmt, "fmt")
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self.trace = _read_trace(root_or_trace)
        root = self.trace.node(self.trace.root)
        self.title = (
            title
            if title is not None
            else PAGE_STRINGS["title"].format(root=root.name, expr=self.trace.expression(root.id))
        )
        self.theme = theme
        self.projector = projector
        self.rankdir = rankdir
        self.fmt = fmt
        self.interval = float(interval)
        self.quiz = quiz
        self.follow = follow
        self._model = build_steps(self.trace, fmt)
        self.levels = build_levels(self.trace, self._model, fmt)
        available = [lv["level"] for lv in self.levels]
        if collapse is not None and collapse not in available:
            raise ValueError(
                f"collapse={collapse!r}: this graph has no {collapse}s (they are found from parameter "
                "labels such as '0.weight[1][2]', which microgradnet.nn gives its parameters)"
            )
        self.collapse = collapse
        self._data: dict[str, Any] | None = None

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The scalar steps the page shows, in order (each with ``title``, ``lines``, ``narration``)."""
        return self._model.steps

    @property
    def model(self) -> dict[str, Any]:
        """The step model as the page embeds it (see :meth:`data`)."""
        return self.data()

    def data(self) -> dict[str, Any]:
        """Everything the page's script needs, as JSON-able data: the steps, the levels of
        detail, the layout of every view and the interface's sentences (computed once)."""
        if self._data is not None:
            return self._data
        trace, model = self.trace, self._model
        ui: dict[str, Any] = dict(PAGE_STRINGS)
        ui.update(
            {
                "data_word": STRINGS["data"],
                "grad_word": STRINGS["grad"],
                "interval_ms": round(self.interval * 1000),
                "follow": self.follow,
                "quiz": self.quiz,
                "quiz_rel_tol": QUIZ_REL_TOL,
                "quiz_abs_tol": QUIZ_ABS_TOL,
                "theme": self.theme,
                "themes": list(THEMES),
                "projector": self.projector,
                "collapse": self.collapse or "scalar",
                "version": __version__,
            }
        )
        self._data = {
            "version": 2,
            "title": self.title,
            "root": _index(trace.root),
            "rankdir": self.rankdir,
            "nodes": [
                [
                    n.name,
                    _op_symbol(trace, k) if not n.is_leaf else "",
                    [_index(c) for c in n.children],
                    n.role,
                ]
                for k, n in enumerate(trace.nodes)
            ],
            "initial": model.initial,
            "backward_start": model.backward_start,
            "steps": model.steps,
            "ledgers": {str(k): v for k, v in model.ledgers.items()},
            "levels": self.levels,
            "ui": ui,
        }
        return self._data

    def fragment(self, *, standalone: bool = False, element_id: str | None = None) -> str:
        """The stepper as one ``<div>`` with its CSS, data and script, to embed in another page.

        Its id is ``element_id``, else the fixed page id (``standalone=True``) or a fresh
        ``"mg-stepper-<k>"`` from a per-process counter, so several steppers on one notebook
        page never share an id.
        """
        uid = element_id or (PAGE_ID if standalone else f"mg-stepper-{next(_FRAGMENT_IDS)}")
        e = html.escape
        classes = f"mg-stepper mg-theme-{self.theme}" + (" mg-projector" if self.projector else "")
        steps = self.steps
        if len(steps) <= _STATIC_LIST_MAX:
            items = "\n".join(
                f'<li><span class="mg-li-title">{e(s["title"])}</span>'
                + "".join(f"<br>{e(line.strip())}" for line in s["lines"] if line.strip())
                + "</li>"
                for s in steps
            )
            summary = f"<summary>{e(PAGE_STRINGS['all_steps'])}</summary>"
            listing = f'<details class="mg-all">{summary}\n<ol>\n{items}\n</ol>\n</details>'
        else:
            listing = ""
        data = json.dumps(self.data(), ensure_ascii=False, separators=(",", ":"))
        return f"""<div class="{classes}" id="{uid}" data-standalone="{"true" if standalone else "false"}" \
tabindex="0" role="region" aria-label="{e(self.title)}">
<style>{_asset("stepper.css")}</style>
<h1 class="mg-title">{e(self.title)}</h1>
{listing}
{_embed(self.trace.to_json(), "mg-trace")}
{_embed(data, "mg-steps")}
<script>{_asset("stepper.js")}
MicrogradnetStepper.boot(document.currentScript);</script>
</div>"""

    def html(self) -> str:
        """The whole self-contained page (``<!DOCTYPE html>`` ... ``</html>``)."""
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="microgradnet {__version__}">
<title>{html.escape(self.title)}</title>
<style>html, body {{ margin: 0; background: #fff; }}</style>
</head>
<body>
{self.fragment(standalone=True)}
</body>
</html>
"""

    def _repr_html_(self) -> str:
        """What Jupyter shows: :meth:`fragment` (keys act while the stepper has focus)."""
        return self.fragment(standalone=False)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (atomically: a temporary file, then a rename); return the path.

        Raises:
            ValueError: the path does not end in ``.html`` or ``.htm``.
            FileNotFoundError: the directory does not exist.
        """
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"the stepper page is HTML: give a path ending in .html, got {str(path)!r}")
        parent = target.parent
        if not parent.is_dir():
            raise FileNotFoundError(
                f"cannot write {str(path)!r}: the directory {str(parent)!r} does not exist"
            )
        return write_atomic(target, self.html())


def stepper_html(root_or_trace: Value | Trace, **options: Any) -> str:
    """The stepper page as a string; ``options`` as for :class:`HtmlStepper`."""
    return HtmlStepper(root_or_trace, **options).html()


def stepper_fragment(root_or_trace: Value | Trace, **options: Any) -> str:
    """The stepper as an embeddable ``<div>`` (what ``_repr_html_`` shows in Jupyter), with a fresh
    element id each call; ``options`` as for :class:`HtmlStepper`."""
    return HtmlStepper(root_or_trace, **options).fragment(standalone=False)


def export_html(
    root_or_trace: Value | Trace,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    theme: str = "cs231n",
    projector: bool = False,
    rankdir: str = "LR",
    fmt: str = "{:.4g}",
    interval: float = 1.5,
    follow: bool | None = None,
    quiz: bool = False,
    collapse: str | None = None,
) -> Path:
    """Write the self-contained stepper page for the backward pass from ``root_or_trace``.

    ``root_or_trace`` is the output ``Value`` (traced here, without changing any ``data`` or
    ``grad``) or a :class:`~microgradnet.viz.trace.Trace`. ``theme`` is ``"cs231n"`` (values
    green, gradients red) or ``"colorblind"``; ``projector=True`` opens the page in large print
    (the page has a button and the key P for it too). The picture follows the current step,
    zoomed in so the text around it stays readable (at least 14 px, 20 px in projector mode);
    ``follow=False`` opens it still (key Z switches; ``None``: follow when the whole graph would
    be too small to read). ``collapse="neuron"`` or ``"layer"`` opens a network built with
    :mod:`microgradnet.nn` a neuron or a layer at a time: one box per application (per sample),
    one step per box written in vector form (``dW = δ · xᵀ``, ``dx = Wᵀ · δ``); the page
    switches levels (keys 1 2 3) and opens one box at a time (click, or E). ``interval`` is the
    seconds per step when playing. ``quiz=True`` opens as a quiz (key Q switches): each
    new forward value and gradient is hidden and the student types it (a number, or arithmetic
    such as ``(-3)*(-2)`` or ``3/4``; right within 1% or, near zero, 1e-9); the page says right
    or wrong (with a hint for the classic slips: the contribution without the earlier gradient,
    the local derivative alone, the upstream gradient alone, the wrong sign), reveals the answer
    and equation when right or on request (→ or "show answer"), and keeps a score. The answers
    are in the page: a practice tool, not an exam. Returns the path written.

    Raises:
        TypeError / ValueError: as :class:`HtmlStepper` and :meth:`HtmlStepper.save` say; nothing
            is written then.
    """
    stepper = HtmlStepper(
        root_or_trace,
        title=title,
        theme=theme,
        projector=projector,
        rankdir=rankdir,
        fmt=fmt,
        interval=interval,
        follow=follow,
        quiz=quiz,
        collapse=collapse,
    )
    return stepper.save(path)
