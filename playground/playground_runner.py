"""The Python half of the browser playground: it runs inside Pyodide, in the page's Web Worker.

``worker.js`` unpacks microgradnet's own sources (from the repository, zipped at build time) and
this file into Pyodide's file system, calls :func:`start` once, then :func:`handle` once per
request. A request and its answer are JSON text::

    {"kind": "formula", "formula": "(a*b + c) * f", "values": "a=2 b=-3 c=10 f=-2"}
    {"kind": "code", "code": "a = Value(2.0, label='a') ...", "output": "L"}
    {"kind": "example", "example": "cs231n-neuron"}

each optionally with ``"theme"``, ``"projector"``, ``"quiz"``, ``"lang"`` and ``"node_limit"``, and
the stepper's exercises (issue 14): ``"bug"`` (a slip kind or ``"random"``) with ``"seed"``
(find the wrong gradient), or ``"fade"`` (the number of steps whose rule is hidden), passed to
:class:`HtmlStepper` as ``microgradnet step --bug/--seed/--fade`` passes them.
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

import builtins
import contextlib
import io
import json
import linecache
import random
import re
import sys
import time
import traceback
import types
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from microgradnet.locales import LANGUAGES
from microgradnet.viz.limits import MAX_NODES, WARN_NODES
from microgradnet.viz.playground import PLAYGROUND_STRINGS, playground_strings

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

#: Every sentence this module shows a student, in English: the playground's table
#: (:data:`microgradnet.viz.playground.PLAYGROUND_STRINGS`, translated in microgradnet.locales).
#: A request's ``lang`` picks the language of its answer.
MESSAGES = PLAYGROUND_STRINGS
_said: list[dict[str, str]] = [MESSAGES]


def _say(key: str, **fields: Any) -> str:
    """The sentence ``key`` in the language of the request being answered."""
    return _said[-1][key].format(**fields)


class PlaygroundError(Exception):
    """Something to tell the student instead of showing a stepper.

    ``where`` says which box it is about (``"code"``, ``"formula"``, ``"values"``, ``"limit"``,
    ``"request"``) and ``line`` the line of the student's code, when there is one. ``markup``
    says that the message is one of the playground's sentences, where text between backticks is
    code (a traceback or the parser's message is plain text).
    """

    def __init__(self, message: str, where: str, line: int | None = None, *, markup: bool = True) -> None:
        super().__init__(message)
        self.where = where
        self.line = line
        self.markup = markup


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
            _say("bad_request", problem=f"values must be text, got {type(text).__name__}"),
            "request",
        )
    values: dict[str, float] = {}
    given: dict[str, str] = {}
    for item in items:
        try:
            name, value = parse_assignment(item)
        except ExpressionError as exc:
            raise PlaygroundError(str(exc), "values", markup=False) from None
        if name in values:
            raise PlaygroundError(_say("values_twice", name=name, first=given[name], second=item), "values")
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


#: Objects :func:`_dismantle` looks at, at most (a program that builds more is answered long before).
MAX_DISMANTLE = 5_000_000


def _dismantle(held: list[Any]) -> int:
    """Cut every graph reachable from ``held`` into single nodes, with an explicit stack; returns
    how many nodes were cut.

    Freeing the last reference to a long chain of Values (``x = x + 1`` two thousand times, or
    ``sum`` over twenty thousand Values) makes CPython free each node from inside the freeing of
    the next: under WebAssembly that recursion overflows the browser's stack long before
    Python's own limits notice, and Pyodide dies. Once each node's ``children`` is empty, every
    node is freed on its own. Looks through the student's variables, lists, tuples, sets, dicts
    and objects' attributes (a network's parameters); modules, classes and functions are not
    entered. Only call it on graphs nobody needs any more.
    """
    from microgradnet.engine import Value

    skip = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    nodes: list[Value] = []
    seen: set[int] = set()
    stack = list(held)
    while stack and len(seen) < MAX_DISMANTLE:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float, complex, bool, *skip)) or obj is None:
            continue
        seen.add(id(obj))
        if isinstance(obj, Value):
            nodes.append(obj)
            stack.extend(obj.children)
        elif isinstance(obj, dict):
            if obj is vars(builtins):
                continue
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, Mapping):  # a frame's locals
            stack.extend(obj.values())
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
    for node in nodes:
        node.children = ()
    return len(nodes)


def _run_code(
    code: str, output: str | None, ms: dict[str, float], held: list[Any]
) -> tuple[Any, str, dict[str, Any]]:
    from microgradnet.engine import Value

    if not isinstance(code, str):
        raise PlaygroundError(_say("bad_request", problem="code must be text"), "request")
    if len(code) > MAX_CODE:
        raise PlaygroundError(_say("too_long", count=len(code), limit=MAX_CODE), "code")
    lines = code.splitlines(keepends=True)
    linecache.cache[CODE_FILENAME] = (len(code), None, lines, CODE_FILENAME)
    namespace = student_namespace()
    held.append(namespace)
    out = _Output()
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    try:
        compiled = compile(code, CODE_FILENAME, "exec")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compiled, namespace)
    except SystemExit:
        extra["note"] = _say("exit")
    except Exception as exc:
        # the student's frames (their functions' variables) are kept by the traceback
        held.extend(
            f.f_locals
            for f, _ in traceback.walk_tb(exc.__traceback__)
            if f.f_code.co_filename == CODE_FILENAME
        )
        text = _student_traceback(exc)
        if isinstance(exc, ModuleNotFoundError) and exc.name in _NOT_HERE:
            text += "\n" + _say("not_here", name=exc.name)
        error = PlaygroundError(text, "code", _student_line(exc), markup=False)
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
            _say("own_value" if isinstance(own, type) and own is not Value else "no_value"), "code"
        )
        error.stdout = extra["stdout"]  # type: ignore[attr-defined]
        raise error
    if output:
        chosen = [s for s in sizes if s[0] == output]
        if not chosen:
            names = ", ".join(name for name, _, _ in sizes)
            error = PlaygroundError(_say("no_output", name=output, names=names), "code")
            error.stdout = extra["stdout"]  # type: ignore[attr-defined]
            raise error
        name, root, _ = chosen[0]
    else:
        # the biggest graph is the one that uses the others (the loss); the last one on a tie
        name, root, _ = max(reversed(sizes), key=lambda s: s[2])
    return root, name, extra


def _options(request: Mapping[str, Any]) -> dict[str, Any]:
    from microgradnet.viz.html import THEMES

    theme = request.get("theme") or "cs231n"
    if theme not in THEMES:
        raise PlaygroundError(_say("bad_theme", themes=", ".join(THEMES), theme=theme), "request")
    options: dict[str, Any] = {
        "theme": theme,
        "projector": bool(request.get("projector")),
        "quiz": bool(request.get("quiz")),
    }
    options["lang"] = _lang(request)
    for key, default in (("bug", None), ("seed", 0), ("fade", 0)):  # HtmlStepper checks them
        value = request.get(key, default)
        options[key] = default if value in ("", None) else value
    if options["bug"] is not None and not isinstance(options["bug"], str):
        raise PlaygroundError(
            _say("bad_request", problem=f"bug must be text, got {options['bug']!r}"), "request"
        )
    return options


def _lang(request: Mapping[str, Any]) -> str:
    """The language a request asks for (``"en"`` when it names none)."""
    lang = request.get("lang") or "en"
    if lang not in LANGUAGES:
        raise PlaygroundError(
            _say("bad_request", problem=f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}"),
            "request",
        )
    return str(lang)


def _node_limit(request: Mapping[str, Any]) -> int:
    limit = request.get("node_limit", DEFAULT_NODE_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_NODE_LIMIT:
        raise PlaygroundError(
            _say(
                "bad_request",
                problem=f"node_limit must be a whole number from 1 to {MAX_NODE_LIMIT}, got {limit!r}",
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
    lang = _lang(request) if isinstance(request, Mapping) else "en"
    _said.append(playground_strings(lang))
    held: list[Any] = []  # what this request built: taken apart before it is dropped
    try:
        with _own_op_tables():
            return _run(request, held)
    finally:
        _dismantle(held)
        del held[:]
        _said.pop()


def _run(request: Mapping[str, Any], held: list[Any]) -> dict[str, Any]:
    from microgradnet.engine import topological_order
    from microgradnet.viz.expr import ExpressionError, parse_expression
    from microgradnet.viz.html import HtmlStepper, formula_title
    from microgradnet.viz.limits import LargeGraphWarning
    from microgradnet.viz.steps import page_strings

    if not isinstance(request, Mapping):
        raise PlaygroundError(_say("bad_request", problem="not a JSON object"), "request")
    kind = request.get("kind")
    options = _options(request)
    limit = _node_limit(request)
    ms: dict[str, float] = {}
    answer: dict[str, Any] = {"ok": True, "kind": kind, "stdout": "", "outputs": []}
    t0 = time.perf_counter()
    if kind == "formula":
        formula = request.get("formula")
        if not isinstance(formula, str):
            raise PlaygroundError(_say("bad_request", problem="formula must be text"), "request")
        values = parse_values(request.get("values", ""))
        try:
            root = parse_expression(formula, values)
            held.append(root)
        except ExpressionError as exc:
            raise PlaygroundError(str(exc), "formula", markup=False) from None
        name = root.label
        title = formula_title(formula, name, options["lang"])
    elif kind == "code":
        output = request.get("output") or None
        if output is not None and not isinstance(output, str):
            raise PlaygroundError(_say("bad_request", problem="output must be text"), "request")
        root, name, extra = _run_code(request.get("code", ""), output, ms, held)
        answer.update(extra)
        title = None
    elif kind == "example":
        from microgradnet.examples import EXAMPLES, load_example

        example = request.get("example")
        if example not in EXAMPLES:
            raise PlaygroundError(_say("unknown_example", name=example, names=", ".join(EXAMPLES)), "request")
        try:
            built = load_example(str(example))
        except ModuleNotFoundError as exc:
            raise PlaygroundError(
                _say("example_not_here", name=example, module=exc.name), "request"
            ) from None
        root, name = built.root, built.root.label
        held.append(root)
        # a preset's title is English: in another language the page writes its own, translated
        title = built.title if options["lang"] == "en" else None
        answer["source"] = {"text": built.source, "url": built.url}
    else:
        raise PlaygroundError(
            _say("bad_request", problem=f"kind must be formula, code or example, got {kind!r}"),
            "request",
        )
    count = len(topological_order(root))
    if count > limit:
        raise PlaygroundError(_say("too_many_nodes", name=name, count=count, limit=limit), "limit")
    for notify in _notify:
        notify("draw", count)
    t1 = time.perf_counter()
    if options["bug"] is not None and title is not None:  # as `microgradnet step --bug` titles it
        title = page_strings(options["lang"])["find_title"].format(title=title)
    with warnings.catch_warnings():  # the node limit above is what the student is told
        warnings.simplefilter("ignore", LargeGraphWarning)
        try:
            stepper = HtmlStepper(root, title=title, max_nodes=None, **options)
        except (TypeError, ValueError) as exc:  # an exercise that is malformed or cannot apply here
            if options["bug"] is None and not options["fade"] and not options["seed"]:
                raise
            raise PlaygroundError(
                _say("bad_exercise", problem=str(exc).rstrip(".")), "request", markup=False
            ) from None
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
                "markup": exc.markup,
                "stdout": getattr(exc, "stdout", ""),
            }
        )
    except json.JSONDecodeError as exc:
        problem = f"not JSON ({exc})"
        return json.dumps(
            {"ok": False, "error": _say("bad_request", problem=problem), "where": "request", "markup": True}
        )
