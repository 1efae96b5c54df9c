"""``microgradnet graph`` and ``microgradnet step``: the classroom commands.

A teacher types a formula and the values of its variables and gets a picture of the graph or the
stepper page, with no Python written and no network::

    microgradnet step "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 -o neuron.html
    microgradnet graph "e = a*b; d = e + c; L = d*f" a=2 b=-3 c=10 f=-2 -o lecture.svg
    microgradnet step --example cs231n-neuron -o neuron.html   # a preset (microgradnet examples)
    microgradnet step --example lecture-neuron --bug random --seed 3 -o find-the-slip.html
    microgradnet step --example lecture-expression --fade 3 --lang ne -o faded-ne.html

The formula is parsed by :func:`microgradnet.viz.expr.parse_expression` (a whitelist over
Python's ``ast``; never evaluated as code). Any problem (a rejected construct, unknown or
missing names, a bad ``NAME=VALUE``, an unknown suffix, an output path that is a directory or
cannot be written, text that is not UTF-8, standard output closed, a slip kind that cannot apply
to the graph) is reported as ``microgradnet: error: ...`` with exit status 2, and no file is
written.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from microgradnet.cli import CliError, emit, note, output_path, seed_arg, text_arg
from microgradnet.cli.examples import open_example
from microgradnet.engine import Value
from microgradnet.locales import LANGUAGES, devanagari_font_note
from microgradnet.slips import SLIPS
from microgradnet.viz.expr import ExpressionError, parse_assignment, parse_expression
from microgradnet.viz.html import THEMES, HtmlStepper, formula_title
from microgradnet.viz.limits import MAX_NODES, MAX_PAGE_NODES, GraphTooLargeError, LargeGraphWarning
from microgradnet.viz.pictures import render
from microgradnet.viz.steps import page_strings
from microgradnet.viz.trace import trace_backward

__all__ = ["GRAPH_SUFFIXES", "build_graph", "graph_from_args", "register"]

#: What ``graph -o`` can write, by suffix.
GRAPH_SUFFIXES = (".svg", ".png", ".dot", ".json", ".html")


def build_graph(expression: str, assignments: list[str], root_label: str = "L") -> Value:
    """The graph of ``expression`` at the command line's ``NAME=VALUE`` values.

    Raises:
        CliError: a bad ``NAME=VALUE``, a name given twice, or an expression that
            :func:`~microgradnet.viz.expr.parse_expression` rejects (its message is kept).
    """
    values: dict[str, float] = {}
    try:
        for item in assignments:
            name, value = parse_assignment(item)
            if name in values:
                raise CliError(f"{name} is given twice ({name}={values[name]:g} and {item})")
            values[name] = value
        return parse_expression(expression, values, root_label=root_label)
    except ExpressionError as exc:
        raise CliError(str(exc)) from None


def graph_from_args(args: argparse.Namespace) -> tuple[Value, str | None]:
    """The graph a command works on and its default title: ``EXPR NAME=VALUE ...`` or ``--example``.

    The title is in the language of ``args.lang`` (English without it); ``None`` for a preset in
    another language than English (the page or slides then write their own title, translated).

    Raises:
        CliError: neither or both of EXPR and ``--example`` given, values given with
            ``--example``, an unknown example name, or anything :func:`build_graph` rejects.
    """
    example = getattr(args, "example", None)
    if example is not None:
        if args.expression is not None or args.values:
            given = " ".join([args.expression or "", *args.values]).strip()
            raise CliError(f"give EXPR NAME=VALUE ... or --example NAME, not both (got {given!r} too)")
        ex = open_example(example)
        return ex.root, (ex.title if getattr(args, "lang", "en") == "en" else None)
    if args.expression is None:
        raise CliError("give the formula EXPR and its NAME=VALUE values, or --example NAME")
    return build_graph(args.expression, args.values, args.name), _title(args, args.expression)


def _title(args: argparse.Namespace, expression: str) -> str:
    return formula_title(expression, args.name, getattr(args, "lang", "en"))


def _check_output(path: str, suffixes: tuple[str, ...]) -> Path:
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise CliError(
            f"cannot tell the format of {path!r} from its suffix; use one of {', '.join(suffixes)}"
        )
    return output_path(path, "the output (-o)")


def _print_trace(root: Value, args: argparse.Namespace, page: HtmlStepper | None = None) -> None:
    # with --bug the trace printed is the one the page shows: the pass with its slip
    trace = page.trace if page is not None and page.slipped is not None else trace_backward(root)
    if args.text:
        emit(trace.text(lang=args.lang))
        font_note = devanagari_font_note(args.lang)
        if font_note:
            note(f"microgradnet: note: {font_note}")
    if args.json:
        emit(trace.to_json(indent=2) + "\n")


_T = TypeVar("_T")


@contextmanager
def _size_said() -> Iterator[None]:
    """A large graph's warning is printed as a note on standard error when it is raised, which
    is before the work starts."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", LargeGraphWarning)
        original = warnings.showwarning

        def show(message: Warning | str, category: type[Warning], *rest: Any, **more: Any) -> None:
            if issubclass(category, LargeGraphWarning):
                note(f"microgradnet: note: {message}")
            else:
                original(message, category, *rest, **more)

        warnings.showwarning = show
        yield


def _sized(build: Callable[[], _T], what: str) -> _T:
    """``build()``, saying a large graph's size up front and turning a refusal into a usage
    error that names ``--max-nodes``."""
    try:
        with _size_said():
            return build()
    except GraphTooLargeError as exc:
        raise CliError(
            f"the graph has {exc.nodes:,} value nodes, more than the {what}'s limit of {exc.limit:,}; "
            f"a smaller network or fewer samples keep it readable, or pass --max-nodes {exc.nodes} "
            "(or --max-nodes none) to make it anyway"
        ) from None


def _max_nodes(args: argparse.Namespace, default: int) -> int | None:
    given = getattr(args, "max_nodes", None)
    return default if given is None else (None if given == 0 else int(given))


def _page(root: Value, title: str | None, args: argparse.Namespace) -> HtmlStepper:
    bug = getattr(args, "bug", None)
    if args.title is not None:
        title = args.title
    elif bug is not None and title is not None:
        title = page_strings(args.lang)["find_title"].format(title=title)
    limit = _max_nodes(args, MAX_PAGE_NODES)
    try:
        return _sized(
            lambda: HtmlStepper(
                root,
                title=title,
                theme=args.theme,
                projector=args.projector,
                quiz=args.quiz,
                collapse=getattr(args, "collapse", None),
                lang=args.lang,
                bug=bug,
                seed=getattr(args, "seed", None) or 0,
                fade=getattr(args, "fade", 0),
                max_nodes=limit,
            ),
            "stepper page",
        )
    except ValueError as exc:  # --collapse without neurons, a slip that cannot apply, --fade too big
        raise CliError(str(exc)) from None


def _run_step(args: argparse.Namespace) -> int:
    if args.output is None and not (args.text or args.json):
        raise CliError("give -o FILE.html for the stepper page, or --text / --json to print the trace")
    if args.seed is not None and args.bug is None:
        raise CliError("--seed draws where the slip goes: give --bug KIND (or --bug random) too")
    if args.bug is not None and (args.quiz or args.fade):
        raise CliError(
            f"--bug is an exercise of its own: give it without {'--quiz' if args.quiz else '--fade'}"
        )
    target = _check_output(args.output, (".html", ".htm")) if args.output is not None else None
    root, title = graph_from_args(args)
    page = _page(root, title, args) if target is not None or args.bug is not None else None
    _print_trace(root, args, page)
    if target is not None and page is not None:
        page.save(target)
        note(f"wrote {target}")
    return 0


def _run_graph(args: argparse.Namespace) -> int:
    if args.output is None and not (args.text or args.json):
        raise CliError(f"give -o FILE ({', '.join(GRAPH_SUFFIXES)}), or --text / --json to print the trace")
    target = _check_output(args.output, GRAPH_SUFFIXES) if args.output is not None else None
    root, title = graph_from_args(args)
    _print_trace(root, args)
    if target is None:
        return 0
    suffix = target.suffix.lower()
    if suffix == ".html":
        _page(root, title, args).save(target)
    else:
        options: dict[str, Any] = {}
        if suffix != ".json":  # the trace's JSON is data, the same in every language
            limit = _max_nodes(args, MAX_NODES)
            options = {"rankdir": args.rankdir, "grads": "backward", "lang": args.lang, "max_nodes": limit}
        _sized(lambda: render(root, target, **options), "picture")
    note(f"wrote {target}")
    return 0


def _max_nodes_arg(text: str) -> int:
    """``--max-nodes``: a number of value nodes (1 or more), or ``none`` (0: no limit)."""
    if text.strip().lower() == "none":
        return 0
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of value nodes or 'none', got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a number of value nodes (1 or more) or 'none', got {value}"
        )
    return value


def _fade_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of steps >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of steps >= 0, got {value}")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "expression",
        metavar="EXPR",
        nargs="?",
        type=text_arg,
        help='the formula, e.g. "(a*b + c) * f" or "e = a*b; L = e + c" (or use --example)',
    )
    p.add_argument(
        "values",
        metavar="NAME=VALUE",
        nargs="*",
        type=text_arg,
        help="the value of each variable, e.g. a=2 b=-3",
    )
    p.add_argument(
        "--name",
        default="L",
        type=text_arg,
        help="the label of the result when EXPR does not name it (default: L)",
    )
    p.add_argument(
        "--example",
        metavar="NAME",
        default=None,
        help="open a bundled classroom preset instead of EXPR (microgradnet examples lists them)",
    )
    p.add_argument("--text", action="store_true", help="print the backprop trace to the terminal")
    p.add_argument(
        "--lang",
        choices=tuple(LANGUAGES),
        default="en",
        help="the language of the page, the picture and the --text trace (en, ne)",
    )
    p.add_argument("--json", action="store_true", help="print the trace as versioned JSON")
    p.add_argument("--title", default=None, type=text_arg, help="the page title (default: the formula)")
    p.add_argument("--theme", choices=THEMES, default="cs231n", help="colours of the stepper page")
    p.add_argument("--projector", action="store_true", help="open the stepper page in large print")
    p.add_argument(
        "--quiz",
        action="store_true",
        help="open the stepper page as a quiz: type each result before it is shown",
    )


def register(sub: Any) -> None:
    """Add the ``graph`` and ``step`` subcommands."""
    step = sub.add_parser(
        "step",
        help="write the stepper page that replays backprop edge by edge",
        description="Write a self-contained HTML page that steps through the forward pass and then "
        "the backward pass of EXPR, one edge at a time. Put -- before an EXPR that starts with '-'.",
    )
    _common(step)
    step.add_argument("-o", "--output", metavar="FILE.html", help="where to write the page")
    step.add_argument(
        "--collapse",
        choices=("neuron", "layer"),
        default=None,
        help="open a network a neuron or a layer at a time (e.g. --example moons-mlp)",
    )
    step.add_argument(
        "--bug",
        metavar="KIND",
        choices=(*SLIPS, "random"),
        default=None,
        help="find the wrong gradient: plant one slip in the backward pass and let the student mark the "
        f"first wrong edge ({', '.join(SLIPS)}, or random)",
    )
    step.add_argument(
        "--seed", type=seed_arg, default=None, help="where the slip goes (and its kind for random); default 0"
    )
    step.add_argument(
        "--max-nodes",
        metavar="N",
        type=_max_nodes_arg,
        default=None,
        help=f"the largest graph the page is written for (default {MAX_PAGE_NODES:,} value nodes; "
        "'none' for no limit). Above 1,000 the size is said first",
    )
    step.add_argument(
        "--fade",
        metavar="K",
        type=_fade_arg,
        default=0,
        help="a faded worked example: leave the last K edges of the backward pass to the student",
    )
    step.set_defaults(func=_run_step)

    graph = sub.add_parser(
        "graph",
        help="draw the graph of a formula (.svg .png .dot .json .html)",
        description="Draw the computational graph of EXPR after backward(); the suffix of -o picks "
        "the format (.html gives the stepper page). Put -- before an EXPR that starts with '-'.",
    )
    _common(graph)
    graph.add_argument("-o", "--output", metavar="FILE", help=f"where to write ({' '.join(GRAPH_SUFFIXES)})")
    graph.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR", help="layout direction")
    graph.add_argument(
        "--max-nodes",
        metavar="N",
        type=_max_nodes_arg,
        default=None,
        help=f"the largest graph to draw (default {MAX_NODES:,} value nodes for pictures, "
        f"{MAX_PAGE_NODES:,} for .html; 'none' for no limit)",
    )
    graph.set_defaults(func=_run_graph)
