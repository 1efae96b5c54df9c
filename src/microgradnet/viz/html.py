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
import hashlib
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
from microgradnet.engine import Value, topological_order
from microgradnet.locales import FONT_FAMILY, check_lang, font_face_css, needs_font
from microgradnet.ops import OPS
from microgradnet.slips import SLIPS
from microgradnet.viz._pagedata import read_embedded
from microgradnet.viz.exercises import find_exercise
from microgradnet.viz.limits import MAX_PAGE_NODES, SizeText, check_size
from microgradnet.viz.slips import SlippedTrace, plant_slip
from microgradnet.viz.steps import (
    LEVELS,
    PAGE_STRINGS,
    QUIZ_ABS_TOL,
    QUIZ_REL_TOL,
    _Steps,
    build_levels,
    build_steps,
    page_strings,
)
from microgradnet.viz.strings import check_number_format, format_number, strings
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
    "check_page_size",
    "export_html",
    "formula_title",
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


def _css_variable(css: str, name: str) -> str:
    found = re.search(rf"{re.escape(name)}\s*:\s*([^;]+);", css)
    if found is None:  # cannot happen unless someone edits stepper.css
        raise RuntimeError(f"stepper.css defines no {name}")
    return found.group(1).strip()


def font_css(lang: str = "en", url: str | None = None) -> str:
    """The CSS a stepper in ``lang`` needs beyond ``stepper.css``: for a language written in a
    script microgradnet ships a font for (Devanagari), the ``@font-face`` rule
    (:func:`microgradnet.locales.font_face_css`: the font embedded, or loaded from ``url``) and
    that family put first in the stepper's fonts (its ``unicode-range`` keeps Latin text, numbers
    and code in the page's own fonts); ``""`` for a language that needs none."""
    face = font_face_css(lang, url)
    if not face:
        return ""
    css = _asset("stepper.css")
    font, mono = _css_variable(css, "--mg-font"), _css_variable(css, "--mg-mono")
    return (
        f'\n{face}\n.mg-stepper[lang="{lang}"] {{ --mg-font: "{FONT_FAMILY}", {font}; '
        f'--mg-mono: {mono.rsplit(",", 1)[0]}, "{FONT_FAMILY}", monospace; }}'
    )


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


#: What the stepper page says when it refuses a large graph or warns about one (``{mb}``: its
#: weight at about 1.6 kB per value node, measured by benchmarks/stepper_page.py --sizes).
_PAGE_TEXT = SizeText(
    "the page would weigh tens of megabytes and take seconds to build and to open",
    "it takes a few seconds to build and weighs about {mb:.0f} MB",
    "write it",
)
_PAGE_HINT = "a smaller network or fewer samples in the loss keep it readable"


def check_page_size(root_or_trace: Value | Trace, max_nodes: int | None = MAX_PAGE_NODES) -> int:
    """The number of value nodes of the graph a stepper page would show; refuse it above
    ``max_nodes`` (:data:`~microgradnet.viz.limits.MAX_PAGE_NODES`, 10,000; ``None``: no limit),
    and warn above :data:`~microgradnet.viz.limits.WARN_NODES` naming the size, before any work.

    Raises:
        GraphTooLargeError: more value nodes than ``max_nodes`` (a ``ValueError``).
        TypeError: ``max_nodes`` is not an int or ``None``, or ``root_or_trace`` is neither a
            ``Value`` nor a ``Trace``.
        ValueError: ``max_nodes`` is below 1.
    """
    if isinstance(root_or_trace, Trace):
        n = len(root_or_trace.nodes)
    elif isinstance(root_or_trace, Value):
        n = len(topological_order(root_or_trace))
    else:
        _read_trace(root_or_trace)  # type: ignore[unreachable]  # raises the TypeError
    text = _PAGE_TEXT._replace(warning=_PAGE_TEXT.warning.format(mb=max(1.0, n * 1.6e-3)))
    check_size(n, "the stepper page", max_nodes, hint=_PAGE_HINT, text=text)
    return n


def _check_exercises(
    root_or_trace: object, *, quiz: bool, collapse: str | None, bug: object, seed: object, fade: object
) -> None:
    """Refuse exercise options that are malformed or that contradict each other, before any work."""
    if bug is not None:
        if not isinstance(bug, str):
            raise TypeError(f"bug must be a slip kind such as 'fanout' or 'random', got {type(bug).__name__}")
        if bug != "random" and bug not in SLIPS:
            raise ValueError(f"no slip kind {bug!r}; the kinds are {', '.join(SLIPS)} (or 'random')")
        if not isinstance(root_or_trace, Value):
            raise TypeError(
                "bug= needs the output Value (the slip is checked against finite differences of its "
                f"graph), got {type(root_or_trace).__name__}"
            )
        if quiz:
            raise ValueError("bug= and quiz=True are two exercises: give one of them")
        if fade:
            raise ValueError("bug= and fade= are two exercises: give one of them")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if bug is None and seed != 0:
        raise ValueError("seed= draws where the slip goes: give bug= too")
    if isinstance(fade, bool) or not isinstance(fade, int) or fade < 0:
        raise ValueError(f"fade must be a number of steps to hide (0 or more), got {fade!r}")
    if fade and collapse is not None:
        raise ValueError("fade= hides scalar steps: it cannot open at a neuron or layer level (collapse=)")


class HtmlStepper:
    """The stepper page for one backward pass; shows inline in Jupyter.

    ``HtmlStepper(L)`` (or a :class:`~microgradnet.viz.trace.Trace`) traces the graph once
    (never changing ``data`` or ``grad``); :meth:`html` gives the whole page, :meth:`fragment`
    the embeddable part, :meth:`data` what the page's script draws, :meth:`save` writes the
    page. In a notebook the keys act while the stepper has focus (click it); in the page they
    act everywhere. The options are those of :func:`export_html`.

    Raises:
        TypeError: ``root_or_trace`` is neither a ``Value`` nor a ``Trace`` (``bug=`` needs the
            ``Value``), or an option has the wrong type.
        ValueError: an unknown theme, direction, collapse level, language or slip kind, a
            non-positive play interval, a ``fade`` outside 0 to the number of edges, or two
            exercises at once (``bug=`` with ``quiz=True`` or ``fade=``; ``fade=`` with
            ``collapse=``).
        GraphTooLargeError: the graph has more value nodes than ``max_nodes`` (a
            ``ValueError``; see :func:`check_page_size`).
        microgradnet.slips.SlipError: the slip ``bug`` cannot apply to this graph (a
            ``ValueError``; the message names the kind and says why in one line).
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
        lang: str = "en",
        bug: str | None = None,
        seed: int = 0,
        fade: int = 0,
        max_nodes: int | None = MAX_PAGE_NODES,
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
        self.lang = check_lang(lang)
        _check_exercises(root_or_trace, quiz=quiz, collapse=collapse, bug=bug, seed=seed, fade=fade)
        #: the number of value nodes the page shows
        self.size = check_page_size(root_or_trace, max_nodes)
        #: the planted slip (``bug=``), or ``None``
        self.slipped: SlippedTrace | None = None
        if bug is not None:
            assert isinstance(root_or_trace, Value)
            self.slipped = plant_slip(root_or_trace, bug, seed=seed, lang=self.lang, fmt=fmt)
            self.trace = self.slipped.wrong
        else:
            self.trace = _read_trace(root_or_trace)
        self.bug, self.seed, self.fade = bug, seed, fade
        self._t = page_strings(self.lang)
        root = self.trace.node(self.trace.root)
        default = self._t["title"].format(root=root.name, expr=self.trace.expression(root.id))
        self.title = title if title is not None else default
        if self.slipped is not None and title is None:
            self.title = self._t["find_title"].format(title=default)
        self.theme = theme
        self.projector = projector
        self.rankdir = rankdir
        self.fmt = fmt
        self.interval = float(interval)
        self.quiz = quiz
        self.follow = follow
        self._model = build_steps(self.trace, fmt, self.lang, slipped=self.slipped is not None, fade=fade)
        if self.slipped is not None:  # no quiz on a find-the-slip page (its hints would mark the slip)
            for step in self._model.steps:
                step.pop("masked", None)
        # a faded page steps scalars only: a layer's vector step would give the hidden edges away
        self.levels = [] if fade else build_levels(self.trace, self._model, fmt, self.lang)
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
        words = strings(self.lang)
        ui: dict[str, Any] = dict(self._t)
        ui.update(
            {
                "lang": self.lang,
                "font_family": FONT_FAMILY if needs_font(self.lang) else "",
                "find": self.slipped is not None,
                "fade": self.fade,
                "data_word": words["data"],
                "grad_word": words["grad"],
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
        if self.slipped is not None:
            self._data["exercise"] = self._find_exercise()
        return self._data

    def _find_exercise(self) -> dict[str, Any]:
        """The sealed answer of a find-the-slip page (:mod:`microgradnet.viz.exercises`)."""
        slipped = self.slipped
        assert slipped is not None
        right = slipped.right
        first = right.events[slipped.first_step]
        right_lines = _Steps(right, self.fmt, self.lang)._edge(first)["lines"]
        # the salt depends on the pass and the slip only, so the same program writes the same file
        source = f"microgradnet find-the-slip/{slipped.kind.name}/{self.seed}/{right.to_json()}"
        salt = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
        return find_exercise(slipped, self._model.step_of_event, right_lines, salt, self.lang)

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
            summary = f"<summary>{e(self._t['all_steps'])}</summary>"
            listing = f'<details class="mg-all">{summary}\n<ol>\n{items}\n</ol>\n</details>'
        else:
            listing = ""
        data = json.dumps(self.data(), ensure_ascii=False, separators=(",", ":"))
        # a faded page leaves the last steps to the student: the trace would give them away
        trace = "" if self.fade else _embed(self.trace.to_json(), "mg-trace") + "\n"
        return f"""<div class="{classes}" id="{uid}" lang="{self.lang}" \
data-standalone="{"true" if standalone else "false"}" tabindex="0" role="region" aria-label="{e(self.title)}">
<style>{_asset("stepper.css")}{font_css(self.lang)}</style>
<h1 class="mg-title">{e(self.title)}</h1>
{listing}
{trace}{_embed(data, "mg-steps")}
<script>{_asset("stepper.js")}
MicrogradnetStepper.boot(document.currentScript);</script>
</div>"""

    def html(self) -> str:
        """The whole self-contained page (``<!DOCTYPE html>`` ... ``</html>``)."""
        return f"""<!DOCTYPE html>
<html lang="{self.lang}">
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


def formula_title(formula: str, root: str = "L", lang: str = "en") -> str:
    """The title of a page made from a typed formula: "Backpropagation through L = (a*b + c) * f"
    in ``lang``. A formula of assignments (``"e = a*b; L = e + c"``) names its output itself and
    stands for the whole ``root = expr`` part. ``ValueError`` for a language that does not ship."""
    template = page_strings(lang)["title"]
    text = " ".join(formula.split())
    if "=" not in text:
        return template.format(root=root, expr=text)
    if "{root} = {expr}" in template:
        return template.replace("{root} = {expr}", text)
    return template.split("{root}")[0] + text


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
    lang: str = "en",
    bug: str | None = None,
    seed: int = 0,
    fade: int = 0,
    max_nodes: int | None = MAX_PAGE_NODES,
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
    are in the page: a practice tool, not an exam.

    ``lang="ne"`` writes every sentence and label of the page in Nepali
    (:mod:`microgradnet.locales`; numbers keep Western digits) and embeds a Devanagari font, so the
    page renders offline on a machine without one.

    ``bug="fanout"`` (a kind from :data:`microgradnet.slips.SLIPS`, or ``"random"``; ``seed``
    draws the place, and the kind for ``"random"``) makes the page an exercise: the backward pass
    shown has one slip planted (:func:`~microgradnet.viz.slips.plant_slip`: it really changes a
    gradient, checked against finite differences), and the student marks the first wrong edge
    (key M, or the button, at its step); the page says whether it is the first wrong one, right,
    or wrong only because of an earlier edge, and once found (or on "show the slip") explains the
    slip with the catalogue's sentence and shows the edge done right. The answer is kept sealed
    in the page (:mod:`microgradnet.viz.exercises`): viewing the source does not show it. A kind
    that cannot apply to the graph is refused with a one-line
    :class:`~microgradnet.slips.SlipError` naming it.

    ``fade=k`` makes a faded worked example: the last ``k`` edges of the backward pass are left to
    the student, each shown without its numbers and with "which rule gives this edge?" (the rule
    card behind a button, key R); the summary shows ``?`` for what they would give. The page then
    carries no number those steps would reveal (and no embedded trace), and steps scalars only.

    ``max_nodes`` is the largest graph (in value nodes) the page is written for:
    :data:`~microgradnet.viz.limits.MAX_PAGE_NODES` (10,000) by default, ``None`` for no limit.
    The page of a network's graph weighs about 1.6 kB per value node and takes 1 to 2 ms per node
    to build (:mod:`microgradnet.viz.limits`); above
    :data:`~microgradnet.viz.limits.WARN_NODES` (1,000) a
    :class:`~microgradnet.viz.limits.LargeGraphWarning` names the size first, and above
    ``max_nodes`` a :class:`~microgradnet.viz.limits.GraphTooLargeError` says how large the
    graph is before any work is done.

    Returns the path written.

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
        lang=lang,
        bug=bug,
        seed=seed,
        fade=fade,
        max_nodes=max_nodes,
    )
    return stepper.save(path)
