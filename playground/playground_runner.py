"""The Python half of the browser playground: it runs inside Pyodide, in the page's Web Worker.

``worker.js`` unpacks microgradnet's own sources (from the repository, zipped at build time) and
this file into Pyodide's file system, calls :func:`start` once, then :func:`handle` once per
request. A request and its answer are JSON text::

    {"kind": "formula", "formula": "(a*b + c) * f", "values": "a=2 b=-3 c=10 f=-2"}
    {"kind": "code", "code": "a = Value(2.0, label='a') ...", "output": "L"}
    {"kind": "example", "example": "cs231n-neuron"}

each optionally with ``"theme"``, ``"projector"``, ``"quiz"``, ``"lang"`` and ``"node_limit"``.
The answer carries the stepper's page data — exactly :meth:`HtmlStepper.data`, what
``export_html`` embeds and the page's ``MicrogradnetStepper.mount`` draws — or a message for the
student::

    {"ok": true, "data": {...}, "title": ..., "steps": 12, "nodes": 7,
     "outputs": [["L", 7], ...], "output": "L", "stdout": "", "ms": {...}}
    {"ok": false, "error": "...", "where": "code" | "formula" | "values" | "limit" | "request",
     "line": 3, "stdout": "..."}

The time limit is not enforced here: the page terminates the whole worker when a request takes
too long (an infinite loop cannot be interrupted from inside), which is why nothing here needs
SharedArrayBuffer.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import linecache
import random
import re
import sys
import time
import traceback
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from microgradnet.viz.limits import MAX_NODES, WARN_NODES

__all__ = [
    "CODE_FILENAME",
    "DEFAULT_NODE_LIMIT",
    "MAX_NODE_LIMIT",
    "PlaygroundError",
    "handle",
    "info",
    "install_micrograd_names",
    "load_microgradnet",
    "parse_values",
    "run",
    "start",
    "student_namespace",
]

#: The largest graph drawn unless a request asks for another limit (up to MAX_NODE_LIMIT): the
#: size above which microgradnet's pictures warn that Graphviz takes seconds, and their limit.
DEFAULT_NODE_LIMIT = WARN_NODES
MAX_NODE_LIMIT = MAX_NODES
#: What tracebacks call the student's code.
CODE_FILENAME = "<your code>"
#: Printed output beyond this many characters is cut (a print in a long loop).
MAX_STDOUT = 20_000
#: Modules a student might import that the playground does not ship (Pyodide has them as packages).
_NOT_HERE = ("numpy", "matplotlib", "pandas", "torch", "scipy", "sklearn")
#: The longest program accepted (characters).
MAX_CODE = 100_000

#: Every sentence this module shows a student, in one place.
MESSAGES = {
    "no_value": "Your code ran, but it made no Value to trace. Build one, e.g. "
    "a = Value(2.0, label='a'); L = a * a",
    "own_value": "Your code defines its own Value class, and the playground traces microgradnet's "
    "Value: delete the class (Value is ready to use, with the lecture's label=, data, grad and "
    "backward()) and run again.",
    "no_output": "There is no Value called {name!r} after your code ran; pick one of: {names}.",
    "too_many_nodes": "The graph of {name} has {count} nodes; the playground steps through at most "
    "{limit} (a smaller network, or fewer samples in the loss, keeps it readable).",
    "exit": "Your code called exit(); everything before it ran.",
    "bad_request": "The page sent a request the playground does not understand: {problem}.",
    "too_long": "The code is {count} characters long; the limit is {limit}.",
    "values_junk": "{text!r} is not NAME=VALUE; write the values as a=2 b=-3",
    "values_twice": "{name} is given twice ({first} and {second})",
    "bad_theme": "theme must be one of {themes}, got {theme!r}",
    "no_lang": "The stepper speaks English only in this version of the playground (the link asks for "
    "lang={lang!r}).",
    "unknown_example": "No example is called {name!r}; the examples are: {names}.",
    "example_not_here": "The example {name!r} needs {module}, which the playground does not include; "
    "open it with microgradnet step --example {name} on a computer with microgradnet installed.",
    "not_here": "The playground runs Python without {name}: microgradnet's engine, nn, losses, optim "
    "and the formula parser work here; its data sets and compile need NumPy.",
}


class PlaygroundError(Exception):
    """Something to tell the student instead of showing a stepper.

    ``where`` says which box it is about (``"code"``, ``"formula"``, ``"values"``, ``"limit"``,
    ``"request"``) and ``line`` the line of the student's code, when there is one.
    """

    def __init__(self, message: str, where: str, line: int | None = None) -> None:
        super().__init__(message)
        self.where = where
        self.line = line


# --------------------------------------------------------------------------------------------
# Importing microgradnet in Pyodide
# --------------------------------------------------------------------------------------------


def load_microgradnet() -> types.ModuleType:
    """``import microgradnet`` (which loads only the engine and the op table: no NumPy, which the
    playground does not ship)."""
    import microgradnet

    return microgradnet


def install_micrograd_names() -> None:
    """Make ``from micrograd.engine import Value`` and ``from micrograd.nn import MLP`` work, so
    code from Karpathy's lecture runs as written (on microgradnet's engine)."""
    load_microgradnet()
    from microgradnet import engine, nn

    package = types.ModuleType("micrograd", "microgradnet under micrograd's names (the playground)")
    package.__path__ = []
    package.engine = engine  # type: ignore[attr-defined]
    package.nn = nn  # type: ignore[attr-defined]
    sys.modules.update({"micrograd": package, "micrograd.engine": engine, "micrograd.nn": nn})


_notify: list[Callable[[str, int], None]] = []


def start(notify: Callable[[str, int], None] | None = None) -> str:
    """Get ready for requests; returns :func:`info`.

    ``notify(phase, count)`` tells the page that the student's code has finished and the graph
    of ``count`` nodes is being traced (``phase == "draw"``), so that a time-out there is not
    blamed on the code. Also reseeds ``random``: a memory snapshot of this interpreter would
    otherwise give every visitor the same "random" weights.
    """
    _notify[:] = [notify] if notify is not None else []
    random.seed()
    return info()


_examples: list[list[str]] = []


def prepare() -> None:
    """Import everything a request needs and find the examples that open here (worth doing
    before a memory snapshot is taken: a restored interpreter then has both)."""
    load_microgradnet()
    install_micrograd_names()
    import microgradnet.viz.expr
    import microgradnet.viz.html  # noqa: F401
    from microgradnet.examples import list_examples, load_example

    if not _examples:
        for name, title, source in list_examples():
            try:
                load_example(name)
            except ModuleNotFoundError:  # a preset that needs NumPy, where there is none
                continue
            _examples.append([name, title, source])


def info() -> str:
    """JSON: the microgradnet and Python versions and the examples that open here (name, title,
    source; a preset that needs NumPy is left out where there is none)."""
    package = load_microgradnet()
    prepare()
    return json.dumps(
        {
            "microgradnet": getattr(package, "__version__", "?"),
            "python": sys.version.split()[0],
            "examples": _examples,
        }
    )


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


def parse_values(text: str | Mapping[str, float]) -> dict[str, float]:
    """The variable values of the formula box: ``"a=2 b=-3"`` (spaces, commas or semicolons
    between them; spaces around ``=`` allowed) or a mapping.

    Raises:
        PlaygroundError: a part that is not NAME=VALUE, a value that is not a number, or a name
            given twice (``where == "values"``).
    """
    from microgradnet.viz.expr import ExpressionError, parse_assignment

    if isinstance(text, Mapping):
        items = [f"{k}={v}" for k, v in text.items()]
    elif isinstance(text, str):
        items = [p for p in re.split(r"[\s,;]+", re.sub(r"\s*=\s*", "=", text.strip())) if p]
    else:
        raise PlaygroundError(
            MESSAGES["bad_request"].format(problem=f"values must be text, got {type(text).__name__}"),
            "request",
        )
    values: dict[str, float] = {}
    given: dict[str, str] = {}
    for item in items:
        try:
            name, value = parse_assignment(item)
        except ExpressionError as exc:
            raise PlaygroundError(str(exc), "values") from None
        if name in values:
            raise PlaygroundError(
                MESSAGES["values_twice"].format(name=name, first=given[name], second=item), "values"
            )
        values[name], given[name] = value, item
    return values


def student_namespace() -> dict[str, Any]:
    """The globals student code starts with: ``Value``, ``Neuron``, ``Layer``, ``MLP``,
    ``math`` and ``random`` (as in the lecture); anything else it imports itself."""
    import math

    load_microgradnet()
    from microgradnet.engine import Value
    from microgradnet.nn import MLP, Layer, Neuron

    return {
        "__name__": "__main__",
        "__builtins__": __builtins__,
        "Value": Value,
        "Neuron": Neuron,
        "Layer": Layer,
        "MLP": MLP,
        "math": math,
        "random": random,
    }


def _student_line(exc: BaseException) -> int | None:
    if isinstance(exc, SyntaxError) and exc.filename == CODE_FILENAME:
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == CODE_FILENAME:
            line = frame.lineno
    return line


def _student_traceback(exc: BaseException) -> str:
    """The traceback from the first frame of the student's code on (our own frames dropped)."""
    if isinstance(exc, SyntaxError):
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != CODE_FILENAME:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


class _Output(io.StringIO):
    """stdout for the student's code: keeps the first MAX_STDOUT characters."""

    def write(self, s: str) -> int:
        room = MAX_STDOUT - self.tell()
        if room > 0:
            super().write(s[:room])
        return len(s)


def _label_by_name(namespace: Mapping[str, Any], value_type: type[Any]) -> None:
    """Give each unlabelled Value held by a top-level name that name, as the lecture does by
    hand (``a = Value(2.0, label='a')``); only labels change, never data or grad."""
    for name, obj in namespace.items():
        if isinstance(obj, value_type) and not obj.label and not name.startswith("_"):
            obj.label = name


def _graph_sizes(namespace: Mapping[str, Any]) -> list[tuple[str, Any, int]]:
    from microgradnet.engine import Value, topological_order

    return [
        (name, obj, len(topological_order(obj)))
        for name, obj in namespace.items()
        if isinstance(obj, Value) and not name.startswith("_")
    ]


def _run_code(code: str, output: str | None, ms: dict[str, float]) -> tuple[Any, str, dict[str, Any]]:
    from microgradnet.engine import Value

    if not isinstance(code, str):
        raise PlaygroundError(MESSAGES["bad_request"].format(problem="code must be text"), "request")
    if len(code) > MAX_CODE:
        raise PlaygroundError(MESSAGES["too_long"].format(count=len(code), limit=MAX_CODE), "code")
    lines = code.splitlines(keepends=True)
    linecache.cache[CODE_FILENAME] = (len(code), None, lines, CODE_FILENAME)
    namespace = student_namespace()
    out = _Output()
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    try:
        compiled = compile(code, CODE_FILENAME, "exec")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compiled, namespace)
    except SystemExit:
        extra["note"] = MESSAGES["exit"]
    except Exception as exc:
        text = _student_traceback(exc)
        if isinstance(exc, ModuleNotFoundError) and exc.name in _NOT_HERE:
            text += "\n" + MESSAGES["not_here"].format(name=exc.name)
        error = PlaygroundError(text, "code", _student_line(exc))
        error.stdout = out.getvalue()  # type: ignore[attr-defined]
        raise error from None
    ms["run"] = (time.perf_counter() - t0) * 1000
    extra["stdout"] = out.getvalue()
    _label_by_name(namespace, Value)
    sizes = _graph_sizes(namespace)
    extra["outputs"] = [[name, count] for name, _, count in sizes]
    if not sizes:
        own = namespace.get("Value")
        error = PlaygroundError(
            MESSAGES["own_value" if isinstance(own, type) and own is not Value else "no_value"], "code"
        )
        error.stdout = extra["stdout"]  # type: ignore[attr-defined]
        raise error
    if output:
        chosen = [s for s in sizes if s[0] == output]
        if not chosen:
            names = ", ".join(name for name, _, _ in sizes)
            error = PlaygroundError(MESSAGES["no_output"].format(name=output, names=names), "code")
            error.stdout = extra["stdout"]  # type: ignore[attr-defined]
            raise error
        name, root, _ = chosen[0]
    else:
        # the biggest graph is the one that uses the others (the loss); the last one on a tie
        name, root, _ = max(reversed(sizes), key=lambda s: s[2])
    return root, name, extra


def _options(request: Mapping[str, Any]) -> dict[str, Any]:
    from microgradnet.viz.html import THEMES, HtmlStepper

    theme = request.get("theme") or "cs231n"
    if theme not in THEMES:
        raise PlaygroundError(MESSAGES["bad_theme"].format(themes=", ".join(THEMES), theme=theme), "request")
    options: dict[str, Any] = {
        "theme": theme,
        "projector": bool(request.get("projector")),
        "quiz": bool(request.get("quiz")),
    }
    lang = request.get("lang") or "en"
    if lang != "en":
        # the seam for the stepper's languages: passed on once HtmlStepper takes lang=
        if "lang" not in inspect.signature(HtmlStepper).parameters:
            raise PlaygroundError(MESSAGES["no_lang"].format(lang=lang), "request")
        options["lang"] = lang
    return options


def _node_limit(request: Mapping[str, Any]) -> int:
    limit = request.get("node_limit", DEFAULT_NODE_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_NODE_LIMIT:
        raise PlaygroundError(
            MESSAGES["bad_request"].format(
                problem=f"node_limit must be a whole number from 1 to {MAX_NODE_LIMIT}, got {limit!r}"
            ),
            "request",
        )
    return limit


@contextlib.contextmanager
def _own_op_tables() -> Iterator[None]:
    """Ops that student code registers last for its own request only, as if each Run were a
    fresh program (a second Run of the same ``register_op`` would otherwise fail)."""
    from microgradnet import ops

    op_table, functions = dict(ops.OPS), dict(ops.FLOAT_FUNCTIONS)
    try:
        yield
    finally:
        ops.OPS.clear()
        ops.OPS.update(op_table)
        ops.FLOAT_FUNCTIONS.clear()
        ops.FLOAT_FUNCTIONS.update(functions)


def run(request: Mapping[str, Any]) -> dict[str, Any]:
    """Answer one request (see the module docstring); the answer is JSON-ready.

    Raises:
        PlaygroundError: anything to tell the student (their code failed, a formula does not
            parse, the graph is over the node limit, a request is malformed).
    """
    with _own_op_tables():
        return _run(request)


def _run(request: Mapping[str, Any]) -> dict[str, Any]:
    from microgradnet.engine import topological_order
    from microgradnet.viz.expr import ExpressionError, parse_expression
    from microgradnet.viz.html import PAGE_STRINGS, HtmlStepper

    if not isinstance(request, Mapping):
        raise PlaygroundError(MESSAGES["bad_request"].format(problem="not a JSON object"), "request")
    kind = request.get("kind")
    options = _options(request)
    limit = _node_limit(request)
    ms: dict[str, float] = {}
    answer: dict[str, Any] = {"ok": True, "kind": kind, "stdout": "", "outputs": []}
    t0 = time.perf_counter()
    if kind == "formula":
        formula = request.get("formula")
        if not isinstance(formula, str):
            raise PlaygroundError(MESSAGES["bad_request"].format(problem="formula must be text"), "request")
        values = parse_values(request.get("values", ""))
        try:
            root = parse_expression(formula, values)
        except ExpressionError as exc:
            raise PlaygroundError(str(exc), "formula") from None
        name = root.label
        text = " ".join(formula.split())
        title = (
            PAGE_STRINGS["title"].split("{root}")[0] + text
            if "=" in text
            else PAGE_STRINGS["title"].format(root=name, expr=text)
        )
    elif kind == "code":
        output = request.get("output") or None
        if output is not None and not isinstance(output, str):
            raise PlaygroundError(MESSAGES["bad_request"].format(problem="output must be text"), "request")
        root, name, extra = _run_code(request.get("code", ""), output, ms)
        answer.update(extra)
        title = None
    elif kind == "example":
        from microgradnet.examples import EXAMPLES, load_example

        example = request.get("example")
        if example not in EXAMPLES:
            raise PlaygroundError(
                MESSAGES["unknown_example"].format(name=example, names=", ".join(EXAMPLES)), "request"
            )
        try:
            built = load_example(str(example))
        except ModuleNotFoundError as exc:
            raise PlaygroundError(
                MESSAGES["example_not_here"].format(name=example, module=exc.name), "request"
            ) from None
        root, name, title = built.root, built.root.label, built.title
        answer["source"] = {"text": built.source, "url": built.url}
    else:
        raise PlaygroundError(
            MESSAGES["bad_request"].format(problem=f"kind must be formula, code or example, got {kind!r}"),
            "request",
        )
    count = len(topological_order(root))
    if count > limit:
        raise PlaygroundError(MESSAGES["too_many_nodes"].format(name=name, count=count, limit=limit), "limit")
    for notify in _notify:
        notify("draw", count)
    t1 = time.perf_counter()
    stepper = HtmlStepper(root, title=title, **options)
    data = stepper.data()
    ms["trace"] = (time.perf_counter() - t1) * 1000
    answer.update(data=data, title=stepper.title, steps=len(stepper.steps), nodes=count, output=name)
    ms["total"] = (time.perf_counter() - t0) * 1000
    answer["ms"] = {k: round(v, 1) for k, v in ms.items()}
    return answer


def handle(request_json: str) -> str:
    """:func:`run` for JSON text in and out; a problem becomes ``{"ok": false, "error": ...}``."""
    try:
        request = json.loads(request_json)
        return json.dumps(run(request))
    except PlaygroundError as exc:
        return json.dumps(
            {
                "ok": False,
                "error": str(exc),
                "where": exc.where,
                "line": exc.line,
                "stdout": getattr(exc, "stdout", ""),
            }
        )
    except json.JSONDecodeError as exc:
        problem = f"not JSON ({exc})"
        return json.dumps(
            {"ok": False, "error": MESSAGES["bad_request"].format(problem=problem), "where": "request"}
        )
