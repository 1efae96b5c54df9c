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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from microgradnet._files import write_atomic
from microgradnet.engine import Value, apply, topological_order
from microgradnet.ops import OPS
from microgradnet.viz.expr import MAX_LENGTH, ExpressionError, parse_expression
from microgradnet.viz.strings import check_number_format, format_number
from microgradnet.viz.trace import Trace, TraceNode, trace_backward

__all__ = [
    "DEFAULT_RANGE",
    "FORMATS",
    "MAX_VERSIONS",
    "Range",
    "Worksheet",
    "WorksheetVersion",
    "make_worksheet",
    "parse_range",
]

#: A leaf's values: a fixed number, ``(lo, hi)`` (integers from lo to hi) or ``(lo, hi, step)``.
Range = Union[float, tuple[float, float], tuple[float, float, float]]

#: Leaves without a range get a nonzero integer from -5 to 5.
DEFAULT_RANGE: tuple[float, float, float] = (-5.0, 5.0, 1.0)

#: The output formats: Markdown and self-contained HTML.
FORMATS = ("md", "html")

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
    """

    number: int
    values: dict[str, float]
    trace: Trace

    @property
    def forward(self) -> dict[str, float]:
        """``{name: value}`` of every computed (non-leaf) node, in forward order."""
        return {n.name: n.data for n in self.trace.nodes if not n.is_leaf}

    @property
    def gradients(self) -> dict[str, float]:
        """``{name: ∂output/∂node}`` for every node asked about (all but constants), output first."""
        return {n.name: n.grad for n in _asked(self.trace)}


def _asked(trace: Trace) -> list[TraceNode]:
    """The nodes whose gradient the sheet asks for: output first, then backwards; no constants."""
    return [n for n in reversed(trace.nodes) if not (n.is_leaf and not n.label)]


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
    return all(
        (n.is_leaf or _nice(n.data)) and (_nice(n.grad) or (n.is_leaf and not n.label)) for n in trace.nodes
    )


@dataclass(frozen=True)
class Worksheet:
    """Worksheet versions and their answer key; :meth:`sheet` / :meth:`answers` give the text.

    Attributes:
        title: the heading of the sheet.
        fmt: ``"md"`` or ``"html"``: the format :meth:`sheet` and :meth:`answers` use.
        versions: one :class:`WorksheetVersion` per version.
        number_format: how numbers are written (``"{:.4g}"``).
    """

    title: str
    fmt: str
    versions: tuple[WorksheetVersion, ...]
    number_format: str = "{:.4g}"

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
        self, path: str | os.PathLike[str], answers: str | os.PathLike[str] | None = None
    ) -> tuple[Path, Path | None]:
        """Write the sheet to ``path`` and, if given, the key to ``answers``; return both paths.

        Each file's format comes from its suffix (``.md`` or ``.html``/``.htm``). Both files are
        checked before either is written, and each is written atomically.

        Raises:
            ValueError: a suffix that is not .md, .html or .htm, or the same path twice.
            FileNotFoundError: a directory that does not exist.
        """
        targets = [Path(path)] + ([Path(answers)] if answers is not None else [])
        fmts = []
        for target in targets:
            suffix = target.suffix.lower()
            if suffix not in (".md", ".html", ".htm"):
                raise ValueError(f"a worksheet is .md or .html: cannot tell the format of {str(target)!r}")
            if not target.parent.is_dir():
                raise FileNotFoundError(
                    f"cannot write {str(target)!r}: the directory {str(target.parent)!r} does not exist"
                )
            fmts.append("md" if suffix == ".md" else "html")
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
    n_versions: int = 1,
    fmt: str = "md",
    title: str | None = None,
    number_format: str = "{:.4g}",
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
    when no new values that give finite results can be found.
    ``seed`` makes the draw repeatable. Returns a :class:`Worksheet`: ``.sheet()`` and
    ``.answers()`` in ``fmt`` (``"md"`` or ``"html"``), ``.save(path, answers=path)``.

    Raises:
        TypeError: not a ``Value`` or ``str``, or a range of the wrong type.
        ValueError: an unknown format, ``n_versions`` outside 1..:data:`MAX_VERSIONS` or more
            than the ranges have different sets of values (or sets that give finite results), a
            range for a name the graph does not have, an empty or reversed range, a graph with
            no operation, or no finite values found in the ranges (the message names the
            ranges); an
            :class:`~microgradnet.viz.expr.ExpressionError` for a formula that does not parse.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if isinstance(n_versions, bool) or not isinstance(n_versions, int) or not 1 <= n_versions <= MAX_VERSIONS:
        raise ValueError(f"n_versions must be a whole number from 1 to {MAX_VERSIONS}, got {n_versions!r}")
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
    if n_versions > distinct:
        raise ValueError(
            f"{n_versions} versions asked for, but the ranges give only {distinct} different sets of "
            "leaf values; ask for fewer versions or widen the ranges"
        )
    rng = random.Random(seed)
    versions: list[WorksheetVersion] = []
    seen: set[tuple[float, ...]] = set()
    draws = 0
    for number in range(1, n_versions + 1):
        found: tuple[dict[str, float], Trace] | None = None
        fallback: tuple[dict[str, float], Trace] | None = None
        for _ in range(_MAX_TRIES):
            draws += 1
            values = {name: rng.choice(pools[name]) for name in names}
            if tuple(values.values()) in seen:
                continue  # a version is never repeated
            try:
                trace = trace_backward(build(values))
            except ExpressionError:
                raise  # the formula itself is wrong: no draw will fix it
            except (ArithmeticError, ValueError):
                continue
            if not _all_finite(trace):
                continue
            if _all_nice(trace):
                found = (values, trace)
                break
            fallback = fallback or (values, trace)
            if draws > _NICE_BUDGET:
                break
        found = found or fallback
        if found is None and versions:
            raise ValueError(
                f"found only {len(versions)} versions with different leaf values that give finite "
                f"values and gradients ({_MAX_TRIES} more draws found no new one); ask for at most "
                f"{len(versions)} versions or widen the ranges"
            )
        if found is None:
            ranges = ", ".join(f"{n} in {pools[n][0]:g}..{pools[n][-1]:g}" for n in names)
            raise ValueError(
                f"no leaf values in the ranges ({ranges}) give finite values and gradients after "
                f"{_MAX_TRIES} tries; narrow the ranges (e.g. keep log and sqrt arguments positive)"
            )
        seen.add(tuple(found[0].values()))
        versions.append(WorksheetVersion(number, found[0], found[1]))
    if title is None:
        trace = versions[0].trace
        root_node = trace.node(trace.root)
        formula = (
            default_title or f"{root_node.name} = {_formula(trace, root_node, number_format, inline=True)}"
        )
        if len(formula) > 80:
            formula = f"{root_node.name} = {_formula(trace, root_node, number_format)}"
        title = f"Backpropagation worksheet: {formula}"
    return Worksheet(title, fmt, tuple(versions), number_format)


# --------------------------------------------------------------------------------------------
# Writing it out
# --------------------------------------------------------------------------------------------


def _formula(trace: Trace, node: TraceNode, fmt: str, inline: bool = False) -> str:
    """How the node is computed, with constants written as numbers: ``c * 2``, ``b + 1``;
    with ``inline=True`` every computed operand is written out too: ``(a + b) * (b + 1)``."""
    names = []
    for c in node.children:
        child = trace.node(c)
        if child.is_leaf and not child.label:
            text = format_number(child.data, fmt)
            names.append(f"({text})" if text.startswith("-") else text)
        elif inline and not child.is_leaf:
            text = _formula(trace, child, fmt, inline=True)
            op = OPS.get(node.op)
            wrap = op is None or op.template.startswith("{")  # an infix parent: a * (b + c)
            called = OPS.get(child.op) is not None and not OPS[child.op].template.startswith("{")
            names.append(f"({text})" if wrap and not called else text)
        elif re.fullmatch(r"[\w.\[\]]+", child.name):  # a, w1, w[0], layers.0.b
            names.append(child.name)
        else:
            names.append(f"({child.name})")
    op = OPS.get(node.op)
    if op is None:
        return f"{node.op}({', '.join(names)})"
    return op.write(names, None if node.arg is None else format_number(node.arg, fmt))


@dataclass(frozen=True)
class _Rows:
    given: list[tuple[str, str]]
    forward: list[tuple[str, str, str]]  # name, formula, value
    backward: list[tuple[str, str, str]]  # "∂L/∂a", value, chain-rule working


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _working(trace: Trace, node: TraceNode, fmt: str) -> str:
    """The chain rule for one node: ``b · ∂L/∂t1 = (-3) · (-2)``, terms added at a fork."""
    root = trace.node(trace.root).name
    symbolic, numeric = [], []
    for e in trace.ledger(node.id):
        sender = trace.node(e.node).name
        formula = e.formula_named
        if not re.fullmatch(r"[\w.\[\]]+|\([^()]*\)", formula):
            formula = f"({formula})"
        symbolic.append(f"{formula} · ∂{root}/∂{sender}")
        numeric.append(f"{_paren(format_number(e.local, fmt))} · {_paren(format_number(e.upstream, fmt))}")
    if not symbolic:
        return "(the seed)"
    return f"{' + '.join(symbolic)} = {' + '.join(numeric)}"


def _rows(ws: Worksheet, version: WorksheetVersion) -> _Rows:
    trace, f = version.trace, ws.number_format
    root = trace.node(trace.root).name
    given = [(n.name, format_number(n.data, f)) for n in trace.nodes if n.is_leaf and n.label]
    forward = [
        (n.name, _formula(trace, n, f), format_number(n.data, f)) for n in trace.nodes if not n.is_leaf
    ]
    backward = [
        (f"∂{root}/∂{n.name}", format_number(n.grad, f), _working(trace, n, f)) for n in _asked(trace)
    ]
    return _Rows(given, forward, backward)


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


def _instructions(root: str, code: Callable[[str], str], bold: Callable[[str], str]) -> tuple[str, str]:
    return (
        bold("Forward pass:") + " compute each value from the leaves, in order.",
        bold("Backward pass:")
        + f" find each gradient {code(f'∂{root}/∂node')}, starting from {code(f'∂{root}/∂{root} = 1')}; "
        "where a node feeds several others, add up its contributions.",
    )


def _markdown(ws: Worksheet, answers: bool) -> str:
    blank = "______"
    out = [f"# {_md_text(ws.title)}" + (" — answer key" if answers else ""), ""]
    for v in ws.versions:
        rows = _rows(ws, v)
        root = v.trace.node(v.trace.root).name
        fwd, bwd = _instructions(root, _code, lambda t: f"**{t}**")
        if len(ws.versions) > 1:
            out += [f"## Version {v.number}", ""]
        out += ["Leaf values: " + ", ".join(_code(f"{n} = {x}") for n, x in rows.given) + ".", ""]
        out += [fwd, "", "| node | computed as | value |", "|---|---|---|"]
        out += [
            f"| {_code(n)} | {_code(formula)} | {_code(x) if answers else blank} |"
            for n, formula, x in rows.forward
        ]
        out += ["", bwd, ""]
        if answers:
            out += ["| gradient | value | chain rule |", "|---|---|---|"]
            out += [f"| {_code(g)} | {_code(x)} | {_code(w)} |" for g, x, w in rows.backward]
        else:
            out += ["| gradient | value |", "|---|---|"]
            out += [
                f"| {_code(g)} | {_code(x) if k == 0 else blank} |"
                for k, (g, x, _) in enumerate(rows.backward)
            ]
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
code { font-family: ui-monospace, Menlo, Consolas, monospace; }
section.mg-ws-version { break-inside: avoid; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  section.mg-ws-version + section.mg-ws-version { break-before: page; }
}
""".strip()


def _html(ws: Worksheet, answers: bool) -> str:
    e = html.escape
    heading = e(ws.title) + (" — answer key" if answers else "")
    parts: list[str] = []
    for v in ws.versions:
        rows = _rows(ws, v)
        root = v.trace.node(v.trace.root).name
        fwd, bwd = _instructions(root, lambda t: f"<code>{e(t)}</code>", lambda t: f"<strong>{e(t)}</strong>")

        def cell(x: str) -> str:
            return f'<td class="mg-ws-answer">{e(x)}</td>' if answers else '<td class="mg-ws-blank"></td>'

        given = ", ".join(f"<code>{e(n)} = {e(x)}</code>" for n, x in rows.given)
        forward = "\n".join(
            f"<tr><td><code>{e(n)}</code></td><td><code>{e(formula)}</code></td>{cell(x)}</tr>"
            for n, formula, x in rows.forward
        )
        backward = "\n".join(
            f"<tr><td><code>{e(g)}</code></td>"
            + (f'<td class="mg-ws-answer">{e(x)}</td>' if k == 0 else cell(x))
            + (f'<td class="mg-ws-working"><code>{e(w)}</code></td>' if answers else "")
            + "</tr>"
            for k, (g, x, w) in enumerate(rows.backward)
        )
        working = "<th>chain rule</th>" if answers else ""
        title = f"<h2>Version {v.number}</h2>\n" if len(ws.versions) > 1 else ""
        parts.append(
            f"""<section class="mg-ws-version">
{title}<p>Leaf values: {given}.</p>
<p>{fwd}</p>
<table><thead><tr><th>node</th><th>computed as</th><th>value</th></tr></thead>
<tbody>
{forward}
</tbody></table>
<p>{bwd}</p>
<table><thead><tr><th>gradient</th><th>value</th>{working}</tr></thead>
<tbody>
{backward}
</tbody></table>
</section>"""
        )
    body = "\n".join(parts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>
{_CSS}
</style>
</head>
<body>
<h1>{heading}</h1>
{body}
</body>
</html>
"""
