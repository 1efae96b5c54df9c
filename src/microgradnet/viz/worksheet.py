"""Worksheets: the same graph at randomised leaf values, with blanks to fill in and an answer key.

A teacher gives a formula (or any graph, or a preset) and gets one or more versions of a paper
exercise: the leaf values, then one line per forward value to compute and one line per gradient
to find, and a separate answer key whose numbers come from :func:`~microgradnet.viz.trace_backward`
at the same values. Leaf values are "nice" (small integers by default, or a grid such as one
decimal) and drawn from a seeded generator, so the same call always gives the same sheets.

>>> from microgradnet.viz.worksheet import make_worksheet
>>> ws = make_worksheet("(a*b + c) * f", {"a": (1, 4), "c": 10}, seed=3, n_versions=2)
>>> for version in ws.versions:
...     print(version.number, version.values)
1 {'a': 2.0, 'b': 5.0, 'c': 10.0, 'f': 1.0}
2 {'a': 4.0, 'b': 5.0, 'c': 10.0, 'f': 5.0}
>>> ws.versions[1].gradients["a"], ws.versions[1].gradients["b"]   # b·f and a·f
(25.0, 20.0)

Two more kinds of sheet come from the same graph: **faded worked examples** (``fade=True``:
the first version shows every step of the backward pass, each later one hides more steps from
the end, each hidden step asking which rule gives it) and **find the slip** (``slip="fanout"``,
``"random"``, ...: the whole backward pass with one planted slip from :mod:`microgradnet.slips`,
"which line is the first wrong one?"). :meth:`Worksheet.save` also writes the questions for a
learning management system (Moodle XML, GIFT, a QTI 2.1 package; see
:mod:`microgradnet.viz.lms`), and ``lang="ne"`` writes everything in Nepali.

This is a layer-3 module (beside the stepper page it complements): it reads graphs through the
engine and the trace and writes Markdown or self-contained, printable HTML.
"""

from __future__ import annotations

import ast
import html
import math
import os
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Union

from microgradnet._files import write_atomic
from microgradnet.engine import Value, apply, topological_order
from microgradnet.locales import FONT_FAMILY, check_lang, font_face_css, localize
from microgradnet.ops import OPS
from microgradnet.slips import SlipError, get_slip
from microgradnet.viz._sheettext import asked as _asked
from microgradnet.viz._sheettext import exact_format
from microgradnet.viz._sheettext import formula as _formula
from microgradnet.viz._sheettext import working as _working
from microgradnet.viz.expr import MAX_LENGTH, ExpressionError, parse_expression
from microgradnet.viz.lms import export
from microgradnet.viz.slips import SlippedTrace, plant_slip
from microgradnet.viz.strings import check_number_format, format_number
from microgradnet.viz.strings import strings as strings_for
from microgradnet.viz.trace import EdgeEvent, Trace, trace_backward

__all__ = [
    "DEFAULT_RANGE",
    "FORMATS",
    "LMS_FORMATS",
    "MAX_VERSIONS",
    "WORKSHEET_STRINGS",
    "Range",
    "Worksheet",
    "WorksheetVersion",
    "make_worksheet",
    "parse_range",
    "rule_cards",
]

#: A leaf's values: a fixed number, ``(lo, hi)`` (integers from lo to hi) or ``(lo, hi, step)``.
Range = Union[float, tuple[float, float], tuple[float, float, float]]

#: Leaves without a range get a nonzero integer from -5 to 5.
DEFAULT_RANGE: tuple[float, float, float] = (-5.0, 5.0, 1.0)

#: The output formats: Markdown and self-contained HTML.
FORMATS = ("md", "html")

#: The formats a learning management system imports (:mod:`microgradnet.viz.lms`), by file suffix.
LMS_FORMATS = {"moodle": ".xml", "gift": ".gift", "qti": ".zip"}

#: The most versions one worksheet may have (a version per student of a large class).
MAX_VERSIONS = 500

_MAX_TRIES = 500
_MAX_CHOICES = 100_000
#: Draws spent, over all versions, looking for values that make every number "nice"; once
#: they are spent, each version takes its first new finite draw (the work stays bounded).
_NICE_BUDGET = 2 * _MAX_TRIES


@dataclass(frozen=True)
class WorksheetVersion:
    """One version of the worksheet: the leaf values and what the student must find.

    Attributes:
        number: 1, 2, ... (printed as "Version 1").
        values: the leaf values of this version, by name, in the order the graph uses them.
        trace: the backward pass at these values (the answer key's source).
        hidden: on a faded sheet, how many steps of the backward pass, from the end, the student
            does (0 elsewhere).
        slipped: on a find-the-slip sheet, the backward pass with its planted slip (else ``None``).
    """

    number: int
    values: dict[str, float]
    trace: Trace
    hidden: int = 0
    slipped: SlippedTrace | None = None

    @property
    def forward(self) -> dict[str, float]:
        """``{name: value}`` of every computed (non-leaf) node, in forward order."""
        return {n.name: n.data for n in self.trace.nodes if not n.is_leaf}

    @property
    def gradients(self) -> dict[str, float]:
        """``{name: ∂output/∂node}`` for every node asked about (all but constants), output first."""
        return {n.name: n.grad for n in _asked(self.trace)}


def _decimals(x: float) -> int:
    text = repr(float(x))
    if "e" in text:
        return 10
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _check_range(name: str, spec: object) -> tuple[float, float, float] | float:
    if isinstance(spec, bool):
        raise TypeError(f"the range of {name!r} must be a number or (lo, hi[, step]), got {spec!r}")
    if isinstance(spec, (int, float)):
        if not math.isfinite(spec):
            raise ValueError(f"the value of {name!r} must be finite, got {spec!r}")
        return float(spec)
    if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
        raise TypeError(f"the range of {name!r} must be a number or (lo, hi[, step]), got {spec!r}")
    if any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in spec):
        raise TypeError(f"the range of {name!r} must hold numbers, got {spec!r}")
    lo, hi = float(spec[0]), float(spec[1])
    step = float(spec[2]) if len(spec) == 3 else 1.0
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(step)):
        raise ValueError(f"the range of {name!r} must be finite, got {spec!r}")
    if lo > hi:
        raise ValueError(f"the range of {name!r} runs from {lo:g} to {hi:g}: lo must not exceed hi")
    if step <= 0:
        raise ValueError(f"the step of {name!r} must be positive, got {step:g}")
    if (hi - lo) / step >= _MAX_CHOICES:
        raise ValueError(f"the range of {name!r} has more than {_MAX_CHOICES} values; use a larger step")
    return (lo, hi, step)


def _choices(spec: tuple[float, float, float], default: bool) -> list[float]:
    lo, hi, step = spec
    digits = max(_decimals(lo), _decimals(step))
    count = math.floor((hi - lo) / step + 1e-9) + 1
    values = [round(lo + k * step, digits) for k in range(count)]
    if default:
        values = [v for v in values if v != 0.0]
    return [v + 0.0 for v in values]  # no -0.0


def parse_range(text: str) -> tuple[str, Range]:
    """Split a command-line ``NAME=LO:HI``, ``NAME=LO:HI:STEP`` or ``NAME=VALUE``.

    ``a=-5:5`` gives the integers from -5 to 5; ``x=0:1:0.1`` one decimal; ``w=2`` fixes w.

    Raises:
        ValueError: no ``=``, a name that is not an identifier, or bounds that are not numbers.
    """
    if not isinstance(text, str):
        raise TypeError(f"NAME=LO:HI must be a str, got {type(text).__name__}")
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name.isidentifier() or name.startswith("__"):
        raise ValueError(f"{text!r} is not NAME=LO:HI, NAME=LO:HI:STEP or NAME=VALUE (as in a=-5:5)")
    parts = raw.split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ValueError(
            f"in {text!r}, {raw!r} is not a number or LO:HI[:STEP] (as in -5:5 or 0:1:0.1)"
        ) from None
    if len(numbers) == 1:
        return name, numbers[0]
    if len(numbers) in (2, 3):
        return name, (numbers[0], numbers[1], numbers[2]) if len(numbers) == 3 else (numbers[0], numbers[1])
    raise ValueError(f"in {text!r}, give LO:HI or LO:HI:STEP, not {len(numbers)} numbers")


def _expression_names(text: str) -> list[str]:
    """The variable names a formula reads, in order of first use (function names excluded)."""
    if len(text) > MAX_LENGTH or not text.strip():
        parse_expression(text, {})  # too long or empty: the parser's own message
    try:
        tree = ast.parse(text.strip(), mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        parse_expression(text, {})  # raises the parser's own, clearer message
        raise ExpressionError(f"the expression does not parse: {text!r}") from None
    functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assigned = {
        t.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    loads = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in functions
    ]
    loads.sort(key=lambda n: (n.lineno, n.col_offset))
    names: list[str] = []
    for n in loads:
        if n.id not in assigned and n.id not in names:
            names.append(n.id)
    return names


def _leaf_names(root: Value) -> list[str]:
    names: list[str] = []
    for v in topological_order(root):
        if not v.children and v.label and v.label not in names:
            names.append(v.label)
    return names


def _rebuild(root: Value, values: Mapping[str, float]) -> Value:
    """A copy of the graph of ``root`` with each labelled leaf set to ``values[label]``."""
    new: dict[int, Value] = {}  # keyed by id() only while copying; never written out
    for v in topological_order(root):
        if not v.children:
            copy = Value(values.get(v.label, v.data) if v.label else v.data, label=v.label)
        else:
            op = v._entry if v._entry is not None else v.op
            copy = apply(op, *(new[id(c)] for c in v.children), arg=v.arg)
            copy.label = v.label
        new[id(v)] = copy
    return new[id(root)]


def _all_finite(trace: Trace) -> bool:
    return all(math.isfinite(n.data) and math.isfinite(n.grad) for n in trace.nodes)


def _nice(x: float) -> bool:
    return 1e-3 <= abs(x) <= 1e6


def _all_nice(trace: Trace) -> bool:
    """Every computed value and every gradient between 0.001 and a million in size: no zeros that
    make half the sheet trivial, no saturated tanh with gradients like 2e-10. (Leaves may be 0.)"""
    return all((n.is_leaf or _nice(n.data)) and (_nice(n.grad) or n.is_constant) for n in trace.nodes)


@dataclass(frozen=True)
class Worksheet:
    """Worksheet versions and their answer key; :meth:`sheet` / :meth:`answers` give the text.

    Attributes:
        title: the heading of the sheet.
        fmt: ``"md"`` or ``"html"``: the format :meth:`sheet` and :meth:`answers` use.
        versions: one :class:`WorksheetVersion` per version.
        number_format: how numbers are written (``"{:.4g}"``).
        mode: ``"plain"`` (compute every value and gradient), ``"fade"`` (faded worked
            examples) or ``"slip"`` (find the planted slip).
        lang: the language of every sentence (``"en"``, ``"ne"``).
    """

    title: str
    fmt: str
    versions: tuple[WorksheetVersion, ...]
    number_format: str = "{:.4g}"
    mode: str = "plain"
    lang: str = "en"

    def sheet(self) -> str:
        """The worksheet (questions with blanks) in :attr:`fmt`."""
        return self.render(self.fmt, answers=False)

    def answers(self) -> str:
        """The answer key in :attr:`fmt`."""
        return self.render(self.fmt, answers=True)

    def render(self, fmt: str, *, answers: bool = False) -> str:
        """The sheet (or, with ``answers=True``, the key) as ``"md"`` or ``"html"``.

        Raises:
            ValueError: ``fmt`` is not one of :data:`FORMATS`.
        """
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return _markdown(self, answers) if fmt == "md" else _html(self, answers)

    def save(
        self,
        path: str | os.PathLike[str],
        answers: str | os.PathLike[str] | None = None,
        *,
        format: str | None = None,
    ) -> tuple[Path, Path | None]:
        """Write the sheet to ``path`` and, if given, the key to ``answers``; return both paths.

        Each file's format comes from its suffix (``.md`` or ``.html``/``.htm``). Both files are
        checked before either is written, and each is written atomically.

        ``format="moodle"``, ``"gift"`` or ``"qti"`` (or the suffix ``.xml``, ``.gift``, ``.zip``)
        writes the questions for a learning management system instead, with the answers and
        feedback inside (so ``answers`` must be left out): every answer re-checked with finite
        differences first (:func:`microgradnet.viz.lms.export`).

        Raises:
            ValueError: an unknown format or suffix, the same path twice, or ``answers`` with an
                LMS format.
            FileNotFoundError: a directory that does not exist.
        """
        target0 = Path(path)
        lms = format if format in LMS_FORMATS else None
        if format is None:
            lms = next((k for k, suffix in LMS_FORMATS.items() if target0.suffix.lower() == suffix), None)
        elif format not in LMS_FORMATS and format not in FORMATS:
            known = ", ".join((*FORMATS, *LMS_FORMATS))
            raise ValueError(f"format must be one of {known}, got {format!r}")
        if lms is not None:
            if answers is not None:
                raise ValueError(f"a {lms} export carries its answers and feedback: leave out answers=")
            if not target0.parent.is_dir():
                raise FileNotFoundError(
                    f"cannot write {str(target0)!r}: the directory {str(target0.parent)!r} does not exist"
                )
            return write_atomic(target0, export(self, lms)), None
        targets = [target0] + ([Path(answers)] if answers is not None else [])
        fmts = []
        for target in targets:
            suffix = target.suffix.lower()
            if format in FORMATS:
                fmts.append(str(format))
            elif suffix not in (".md", ".html", ".htm"):
                raise ValueError(
                    f"a worksheet is .md or .html (or .xml, .gift, .zip for an LMS): cannot tell the "
                    f"format of {str(target)!r}"
                )
            else:
                fmts.append("md" if suffix == ".md" else "html")
            if not target.parent.is_dir():
                raise FileNotFoundError(
                    f"cannot write {str(target)!r}: the directory {str(target.parent)!r} does not exist"
                )
        if len(targets) == 2 and targets[0].resolve() == targets[1].resolve():
            raise ValueError(f"the sheet and the answer key would both be written to {str(targets[0])!r}")
        texts = [self.render(f, answers=k == 1) for k, f in enumerate(fmts)]
        written = [write_atomic(t, text) for t, text in zip(targets, texts)]
        return written[0], (written[1] if len(written) == 2 else None)


def make_worksheet(
    root_or_expression: Value | str,
    variables: Mapping[str, Range] | None = None,
    *,
    seed: int = 0,
    n_versions: int | None = None,
    fmt: str = "md",
    title: str | None = None,
    number_format: str = "{:.4g}",
    fade: bool = False,
    slip: str | None = None,
    lang: str = "en",
) -> Worksheet:
    """A worksheet on the graph of ``root_or_expression`` at randomised leaf values.

    ``root_or_expression`` is an output ``Value`` (its labelled leaves are the variables;
    unlabelled leaves are constants and stay as they are; the graph itself is never changed) or
    a formula as :func:`~microgradnet.viz.expr.parse_expression` reads it (``"(a*b + c) * f"``).
    ``variables`` gives a leaf a fixed number, integers ``(lo, hi)``, or a grid
    ``(lo, hi, step)`` (``(0, 1, 0.1)`` gives one decimal); other leaves get a nonzero integer
    from -5 to 5. Values that make any value or gradient non-finite (``log`` of a negative, a
    division by zero) or repeat an earlier version are drawn again, and so, while others can be
    found, are values that make a computed value or a gradient zero, smaller than 0.001 or larger
    than a million. At most :data:`MAX_VERSIONS` versions (500); asking for more versions than
    the ranges have different values is refused at once, and the draw stops with a clear error
    when no new values that give finite results can be found (a faded or find-the-slip sheet
    reuses values instead, once every set is used).
    ``seed`` makes the draw repeatable. Returns a :class:`Worksheet`: ``.sheet()`` and
    ``.answers()`` in ``fmt`` (``"md"`` or ``"html"``), ``.save(path, answers=path)``.

    ``n_versions`` defaults to 1. With ``fade=True`` the sheet is a faded worked example: the
    forward values are given, the first version shows every step (edge) of the backward pass
    with its rule, and each later one leaves more steps, from the end, to the student (each with
    the prompt "which rule gives this edge?") until the last version leaves all of them;
    ``n_versions`` then defaults to one version per step plus one. With ``slip=KIND`` (a name
    from :data:`microgradnet.slips.SLIPS`, or ``"random"``) each version shows the whole
    backward pass with one planted slip and asks for the first wrong line; values are drawn
    again where the slip would change no gradient. ``lang`` picks the language (``"en"``,
    ``"ne"``).

    Raises:
        TypeError: not a ``Value`` or ``str``, or a range of the wrong type.
        ValueError: an unknown format or language, ``n_versions`` outside 1..:data:`MAX_VERSIONS`
            (below 2 to fade) or, without ``fade`` or ``slip``, more than the ranges have
            different sets of values (or sets that give finite results), both ``fade`` and
            ``slip``, a range for a name the graph does not have, an empty or reversed range, a
            graph with no operation, or no finite values found in the ranges (the message names
            the ranges); an :class:`~microgradnet.viz.expr.ExpressionError` for a formula that
            does not parse; a :class:`~microgradnet.slips.SlipError` for a slip that cannot
            apply to the graph (the message names it).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if n_versions is not None and (
        isinstance(n_versions, bool) or not isinstance(n_versions, int) or not 1 <= n_versions <= MAX_VERSIONS
    ):
        raise ValueError(f"n_versions must be a whole number from 1 to {MAX_VERSIONS}, got {n_versions!r}")
    if not isinstance(fade, bool):
        raise TypeError(f"fade must be True or False, got {fade!r}")
    if fade and n_versions == 1:
        raise ValueError("a faded worked example needs at least 2 versions (all steps shown, then fewer)")
    if slip is not None:
        if fade:
            raise ValueError("choose fade=True or slip=..., not both")
        if slip != "random":
            get_slip(slip)
    check_lang(lang)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    check_number_format(number_format, "number_format")
    if isinstance(root_or_expression, str):
        text = root_or_expression
        names = _expression_names(text)

        def build(values: Mapping[str, float]) -> Value:
            return parse_expression(text, values)

        default_title = " ".join(text.split())
    elif isinstance(root_or_expression, Value):
        root = root_or_expression
        if not root.children:
            raise ValueError("the graph is a single leaf: a worksheet needs at least one operation")
        names = _leaf_names(root)

        def build(values: Mapping[str, float]) -> Value:
            return _rebuild(root, values)

        default_title = ""
    else:
        raise TypeError(
            "make_worksheet takes an output Value or a formula string, got "
            f"{type(root_or_expression).__name__}"
        )
    specs = dict(variables or {})
    unknown = [n for n in specs if n not in names]
    if unknown:
        raise ValueError(
            f"ranges given for {', '.join(map(repr, unknown))}, which the graph does not have; "
            f"its variables are {', '.join(names) or '(none)'}"
        )
    pools: dict[str, list[float]] = {}
    for name in names:
        spec = _check_range(name, specs[name]) if name in specs else DEFAULT_RANGE
        if isinstance(spec, float):
            pools[name] = [spec]
            continue
        pools[name] = _choices(spec, default=name not in specs)
        if not pools[name]:
            raise ValueError(f"the range of {name!r} holds no values: {spec!r}")

    distinct = math.prod(len(pool) for pool in pools.values())
    # a faded or find-the-slip sheet may show the same values twice (another step hidden, another
    # slip); a plain sheet never repeats a version
    repeats = fade or slip is not None
    if n_versions is not None and n_versions > distinct and not repeats:
        raise ValueError(
            f"{n_versions} versions asked for, but the ranges give only {distinct} different sets of "
            "leaf values; ask for fewer versions or widen the ranges"
        )
    rng = random.Random(seed)
    versions: list[WorksheetVersion] = []
    seen: set[tuple[float, ...]] = set()
    draws = 0
    number = 0
    while number < (n_versions or 1) or (fade and n_versions is None and number < 2):
        number += 1
        found: tuple[dict[str, float], Trace, SlippedTrace | None] | None = None
        fallback: tuple[dict[str, float], Trace, SlippedTrace | None] | None = None
        tried = set(seen)  # once every set of values is tried, more draws cannot find a new one
        for _ in range(_MAX_TRIES):
            draws += 1
            values = {name: rng.choice(pools[name]) for name in names}
            key = tuple(values.values())
            new = key not in seen
            tried.add(key)
            if not new and not repeats:
                continue
            try:
                root = build(values)
                trace = trace_backward(root)
            except ExpressionError:
                raise  # the formula itself is wrong: no draw will fix it
            except (ArithmeticError, ValueError):
                continue
            if not _all_finite(trace):
                continue
            nice = new and _all_nice(trace)
            slipped = None
            if slip is not None:
                if slip != "random" and not get_slip(slip).find(trace):
                    kind = get_slip(slip)
                    raise SlipError(
                        f"cannot plant '{slip}' ({kind.text('title', lang)}): {kind.text('refusal', lang)}"
                    )
                if nice or fallback is None:  # plant only in a draw that may be kept (planting costs)
                    try:
                        slipped = plant_slip(
                            root, slip, seed=seed * 1000 + number, lang=lang, fmt=number_format
                        )
                    except SlipError:
                        continue  # no site changes a gradient at these values: draw again
            if nice:
                found = (values, trace, slipped)
                break
            fallback = fallback or (values, trace, slipped)
            if len(tried) >= distinct or draws > _NICE_BUDGET:
                break  # every set of values is tried, or nice ones are too rare to keep looking
        found = found or fallback
        if found is None and versions and not repeats:
            raise ValueError(
                f"found only {len(versions)} versions with different leaf values that give finite "
                f"values and gradients ({_MAX_TRIES} more draws found no new one); ask for at most "
                f"{len(versions)} versions or widen the ranges"
            )
        if found is None:
            ranges = ", ".join(f"{n} in {pools[n][0]:g}..{pools[n][-1]:g}" for n in names)
            if slip is not None:
                raise SlipError(
                    f"cannot plant '{slip}': at no leaf values in the ranges ({ranges}) does it change a "
                    f"gradient (after {_MAX_TRIES} tries)"
                )
            raise ValueError(
                f"no leaf values in the ranges ({ranges}) give finite values and gradients after "
                f"{_MAX_TRIES} tries; narrow the ranges (e.g. keep log and sqrt arguments positive)"
            )
        seen.add(tuple(found[0].values()))
        versions.append(WorksheetVersion(number, found[0], found[1], slipped=found[2]))
        if fade and n_versions is None and number == 1:
            n_versions = len(found[1].events) + 1  # one version per step left to the student, plus one
            if n_versions > MAX_VERSIONS:
                raise ValueError(
                    f"fading all {n_versions - 1} steps of this graph needs {n_versions} versions, more "
                    f"than {MAX_VERSIONS}; give n_versions"
                )
    if fade:
        steps, last = len(versions[0].trace.events), len(versions) - 1
        versions = [replace(v, hidden=round(k * steps / last)) for k, v in enumerate(versions)]
    strings = localize("worksheet", WORKSHEET_STRINGS, lang)
    if title is None:
        trace = versions[0].trace
        root_node = trace.node(trace.root)
        formula = (
            default_title or f"{root_node.name} = {_formula(trace, root_node, number_format, inline=True)}"
        )
        if len(formula) > 80:
            formula = f"{root_node.name} = {_formula(trace, root_node, number_format)}"
        title = strings["title"].format(formula=formula)
    mode = "fade" if fade else ("slip" if slip is not None else "plain")
    return Worksheet(title, fmt, tuple(versions), number_format, mode, lang)


# --------------------------------------------------------------------------------------------
# Writing it out
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    given: list[tuple[str, str]]
    forward: list[tuple[str, str, str]]  # name, formula, value
    backward: list[tuple[str, str, str]]  # "∂L/∂a", value, chain-rule working


def _rows(ws: Worksheet, version: WorksheetVersion, seed_text: str) -> _Rows:
    trace, f = version.trace, ws.number_format
    root = trace.node(trace.root).name
    exact = exact_format(trace, f)  # the inputs as they are: the answers follow from them
    given = [(n.name, format_number(n.data, exact)) for n in trace.nodes if n.is_leaf and not n.is_constant]
    forward = [
        (n.name, _formula(trace, n, exact), format_number(n.data, f)) for n in trace.nodes if not n.is_leaf
    ]
    backward = [
        (f"∂{root}/∂{n.name}", format_number(n.grad, f), _working(trace, n, f, seed_text))
        for n in _asked(trace)
    ]
    return _Rows(given, forward, backward)


def rule_cards(lang: str = "en") -> dict[str, str]:
    """``{op name: rule card}`` from the op table (``"mul swaps: ..."``), in ``lang``.

    Ops registered by the user keep the rule they were given."""
    return localize("rules", {name: op.rule for name, op in OPS.items()}, lang)


#: Every sentence a worksheet writes, in English; translations live in :mod:`microgradnet.locales`.
WORKSHEET_STRINGS: dict[str, str] = {
    "title": "Backpropagation worksheet: {formula}",
    "answer_key": " — answer key",
    "version": "Version {number}",
    "leaf_values": "Leaf values:",
    "forward_label": "Forward pass:",
    "forward_text": "compute each value from the leaves, in order.",
    "forward_given": "the values, computed from the leaves in order.",
    "backward_label": "Backward pass:",
    "backward_text": "find each gradient {grad}, starting from {seed}; where a node feeds several others, "
    "add up its contributions.",
    "col_node": "node",
    "col_computed": "computed as",
    "col_value": "value",
    "col_gradient": "gradient",
    "col_chain": "chain rule",
    "col_step": "step",
    "col_edge": "edge",
    "col_rule": "rule",
    "the_seed": "(the seed)",
    "fade_all": "a worked example: every step is done. Read each step and the rule that gives it.",
    "fade_some": "a worked example: the first {shown} of {total} steps are done; do the last {hidden} "
    "yourself, one edge at a time, and say which rule gives each.",
    "fade_none": "your turn: do all {total} steps yourself, one edge at a time, and say which rule gives "
    "each.",
    "rule_prompt": "Which rule gives this edge?",
    "slip_text": "this backward pass has one slip in it. Which line is the first wrong one? Say what went "
    "wrong and write that line correctly.",
    "col_line": "line",
    "slip_ask": "First wrong line:",
    "slip_why": "What went wrong:",
    "slip_answer": "Line {line} is the first wrong one.",
    "slip_kind": "The slip: {title}.",
    "slip_correct": "Line {line}, written correctly:",
}

_BLANK = "______"

# A sheet is built once as blocks and written as Markdown or HTML. A part or a cell is
# (kind, text): "text", "bold", "code" (a name, a formula, an equation), "answer" (a number the
# key gives), "blank" (a line to write on), "working" (the chain rule), "prompt" (a question
# followed by a blank).
_Part = tuple[str, str]


@dataclass(frozen=True)
class _Para:
    parts: list[_Part]


@dataclass(frozen=True)
class _Table:
    head: list[str]
    body: list[list[_Part]]


_Block = Union[_Para, _Table]


def _paragraph(*parts: _Part) -> _Block:
    return _Para(list(parts))


def _given_block(rows: _Rows, t: Mapping[str, str]) -> list[_Block]:
    parts: list[_Part] = [("text", t["leaf_values"] + " ")]
    for k, (n, x) in enumerate(rows.given):
        parts += [("text", ", ")] if k else []
        parts.append(("code", f"{n} = {x}"))
    parts.append(("text", "."))
    return [_Para(parts)]


def _forward_blocks(rows: _Rows, t: Mapping[str, str], filled: bool, given: bool) -> list[_Block]:
    text = t["forward_given"] if given else t["forward_text"]
    head = [t["col_node"], t["col_computed"], t["col_value"]]
    body = [
        [("code", n), ("code", formula), ("answer", x) if filled else ("blank", "")]
        for n, formula, x in rows.forward
    ]
    return [_paragraph(("bold", t["forward_label"]), ("text", " " + text)), _Table(head, body)]


def _plain_blocks(ws: Worksheet, v: WorksheetVersion, t: Mapping[str, str], answers: bool) -> list[_Block]:
    rows = _rows(ws, v, t["the_seed"])
    root = v.trace.node(v.trace.root).name
    codes = {"grad": f"∂{root}/∂node", "seed": f"∂{root}/∂{root} = 1"}
    parts: list[_Part] = [("bold", t["backward_label"]), ("text", " ")]
    for k, piece in enumerate(re.split(r"\{(grad|seed)\}", t["backward_text"])):
        parts.append(("code", codes[piece]) if k % 2 else ("text", piece))
    intro = _paragraph(*parts)
    if answers:
        head = [t["col_gradient"], t["col_value"], t["col_chain"]]
        body = [[("code", g), ("answer", x), ("working", w)] for g, x, w in rows.backward]
    else:
        head = [t["col_gradient"], t["col_value"]]
        body = [
            [("code", g), ("answer", x) if k == 0 else ("blank", "")]
            for k, (g, x, _) in enumerate(rows.backward)
        ]
    return [*_given_block(rows, t), *_forward_blocks(rows, t, answers, False), intro, _Table(head, body)]


def _hidden_line(trace: Trace, e: EdgeEvent, lang: str) -> str:
    line = strings_for(lang)["event_line"].format(
        root=trace.node(trace.root).name,
        operand=trace.node(e.operand).name,
        node=trace.node(e.node).name,
        local=_BLANK,
        upstream=_BLANK,
        contribution=_BLANK,
        before=_BLANK,
        after=_BLANK,
    )
    return line


def _fade_blocks(ws: Worksheet, v: WorksheetVersion, t: Mapping[str, str], answers: bool) -> list[_Block]:
    rows = _rows(ws, v, t["the_seed"])
    trace, f, lang = v.trace, ws.number_format, ws.lang
    total = len(trace.events)
    shown = total - v.hidden
    if v.hidden == 0:
        text = t["fade_all"]
    elif shown == 0:
        text = t["fade_none"].format(total=total)
    else:
        text = t["fade_some"].format(shown=shown, total=total, hidden=v.hidden)
    rules = rule_cards(lang)
    body: list[list[_Part]] = []
    for k, e in enumerate(trace.events):
        visible = answers or k < shown
        line = trace.event_text(e, f, lang) if visible else _hidden_line(trace, e, lang)
        rule = ("text", rules.get(e.op, e.rule)) if visible else ("prompt", t["rule_prompt"])
        body.append([("text", str(k + 1)), ("code", line), rule])
    head = [t["col_step"], t["col_edge"], t["col_rule"]]
    return [
        *_given_block(rows, t),
        *_forward_blocks(rows, t, True, True),
        _paragraph(("bold", t["backward_label"]), ("text", " " + text)),
        _Table(head, body),
    ]


def _slip_blocks(ws: Worksheet, v: WorksheetVersion, t: Mapping[str, str], answers: bool) -> list[_Block]:
    rows = _rows(ws, v, t["the_seed"])
    slipped = v.slipped
    assert slipped is not None  # a slip sheet plants one in every version
    f, lang = ws.number_format, ws.lang
    wrong = slipped.wrong
    body = [
        [("text", str(k + 1)), ("code", wrong.event_text(e, f, lang))] for k, e in enumerate(wrong.events)
    ]
    blocks: list[_Block] = [
        *_given_block(rows, t),
        *_forward_blocks(rows, t, True, True),
        _paragraph(("bold", t["backward_label"]), ("text", " " + t["slip_text"])),
        _Table([t["col_line"], t["col_edge"]], body),
    ]
    line = slipped.first_step + 1
    if not answers:
        blocks += [_paragraph(("prompt", t["slip_ask"])), _paragraph(("prompt", t["slip_why"]))]
        return blocks
    right = slipped.right.event_text(slipped.right.events[slipped.first_step], f, lang)
    return [
        *blocks,
        _paragraph(("bold", t["slip_answer"].format(line=line)), ("text", " " + slipped.explanation)),
        _paragraph(("text", t["slip_kind"].format(title=slipped.kind.text("title", lang)))),
        _paragraph(("text", t["slip_correct"].format(line=line) + " "), ("code", right)),
    ]


def _blocks(ws: Worksheet, v: WorksheetVersion, answers: bool) -> list[_Block]:
    t = localize("worksheet", WORKSHEET_STRINGS, ws.lang)
    builder = {"plain": _plain_blocks, "fade": _fade_blocks, "slip": _slip_blocks}[ws.mode]
    return builder(ws, v, t, answers)


def _md_text(text: str) -> str:
    """Plain text safe in Markdown: HTML-escaped, and the characters that mark up backslashed."""
    return re.sub(r"([\\`*_\[\]#|~])", r"\\\1", html.escape(" ".join(text.split()), quote=False))


def _code(text: str) -> str:
    """Text as a Markdown code span, safe in a table cell: shown literally, never as HTML."""
    text = " ".join(text.split()).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_part(part: _Part) -> str:
    kind, text = part
    if kind in ("code", "answer", "working"):
        return _code(text)
    if kind == "blank":
        return _BLANK
    if kind == "bold":
        return f"**{_md_text(text)}**"
    if kind == "prompt":
        return f"{_md_text(text)} {_BLANK}"
    # keep spaces at the ends of a text part: it sits between other parts
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return lead + _md_text(text) + trail if text.strip() else text


def _markdown(ws: Worksheet, answers: bool) -> str:
    t = localize("worksheet", WORKSHEET_STRINGS, ws.lang)
    out = [f"# {_md_text(ws.title)}" + (t["answer_key"] if answers else ""), ""]
    for v in ws.versions:
        if len(ws.versions) > 1:
            out += [f"## {_md_text(t['version'].format(number=v.number))}", ""]
        for block in _blocks(ws, v, answers):
            if isinstance(block, _Para):
                out += ["".join(_md_part(p) for p in block.parts), ""]
            else:
                out.append("| " + " | ".join(_md_text(h) for h in block.head) + " |")
                out.append("|" + "---|" * len(block.head))
                out += ["| " + " | ".join(_md_part(c) for c in row) + " |" for row in block.body]
                out.append("")
    return "\n".join(out)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 2em auto;
  max-width: 52em; padding: 0 1em; color: #111; line-height: 1.4; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #888; padding: 0.35em 0.8em; text-align: left; }
td.mg-ws-answer { min-width: 8em; font-family: ui-monospace, Menlo, Consolas, monospace; }
td.mg-ws-blank { min-width: 8em; height: 1.6em; }
span.mg-ws-line { display: inline-block; min-width: 8em; border-bottom: 1px solid #111; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; }
section.mg-ws-version { break-inside: avoid; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  section.mg-ws-version + section.mg-ws-version { break-before: page; }
}
""".strip()


def _html_part(part: _Part) -> str:
    kind, text = part
    e = html.escape
    if kind == "code":
        return f"<code>{e(text)}</code>"
    if kind == "bold":
        return f"<strong>{e(text)}</strong>"
    if kind == "prompt":
        return f'{e(text)} <span class="mg-ws-line"></span>'
    if kind == "blank":
        return '<span class="mg-ws-line"></span>'
    return e(text)


def _html_cell(part: _Part) -> str:
    kind, text = part
    if kind == "answer":
        return f'<td class="mg-ws-answer">{html.escape(text)}</td>'
    if kind == "blank":
        return '<td class="mg-ws-blank"></td>'
    if kind == "working":
        return f'<td class="mg-ws-working"><code>{html.escape(text)}</code></td>'
    return f"<td>{_html_part(part)}</td>"


def _html(ws: Worksheet, answers: bool) -> str:
    e = html.escape
    t = localize("worksheet", WORKSHEET_STRINGS, ws.lang)
    heading = e(ws.title) + (e(t["answer_key"]) if answers else "")
    parts: list[str] = []
    for v in ws.versions:
        inner = [f"<h2>{e(t['version'].format(number=v.number))}</h2>"] if len(ws.versions) > 1 else []
        for block in _blocks(ws, v, answers):
            if isinstance(block, _Para):
                inner.append("<p>" + "".join(_html_part(p) for p in block.parts) + "</p>")
            else:
                rows = "\n".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in block.body)
                inner.append(
                    "<table><thead><tr>"
                    + "".join(f"<th>{e(h)}</th>" for h in block.head)
                    + f"</tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
                )
        parts.append('<section class="mg-ws-version">\n' + "\n".join(inner) + "\n</section>")
    body = "\n".join(parts)
    font = font_face_css(ws.lang)
    # the embedded font covers only Devanagari (unicode-range): put it first in every font stack
    css = _CSS if not font else font + "\n" + _CSS.replace("font-family: ", f'font-family: "{FONT_FAMILY}", ')
    return f"""<!DOCTYPE html>
<html lang="{e(ws.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>
{css}
</style>
</head>
<body>
<h1>{heading}</h1>
{body}
</body>
</html>
"""
