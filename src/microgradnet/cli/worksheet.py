"""``microgradnet worksheet``: a paper exercise with randomised leaf values and an answer key.

::

    microgradnet worksheet "(a*b + c) * f" a=-5:5 b=-5:5 c=10 --seed 7 --versions 3 \\
        -o sheet.md --answers key.md
    microgradnet worksheet --example colah-paths --seed 1 -o sheet.html --answers key.html
    microgradnet worksheet "(a*b + c) * f" c=10 --fade -o faded.html --answers faded-key.html
    microgradnet worksheet "(a*b + c) * f" c=10 --slip random --versions 4 -o slips.md --answers key.md
    microgradnet worksheet --example lecture-expression --versions 20 --format moodle -o quiz.xml
    microgradnet worksheet "(a*b + c) * f" --lang ne -o sheet-ne.html --answers key-ne.html

Each ``NAME=LO:HI`` draws integers, ``NAME=LO:HI:STEP`` a grid (``x=0:1:0.1``), ``NAME=VALUE``
fixes a variable; variables not given draw a nonzero integer from -5 to 5. The suffix of each
file picks Markdown (``.md``) or printable HTML (``.html``), or, for a learning management
system, Moodle XML (``.xml``), GIFT (``.gift``) or a QTI 2.1 package (``.zip``); ``--format``
says it outright. At most 500 versions (``MAX_VERSIONS``), and no more than the ranges have
different sets of values. Problems are reported as ``microgradnet: error: ...`` with exit
status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from microgradnet.cli import CliError, note, output_path, seed_arg, text_arg
from microgradnet.cli.examples import open_example
from microgradnet.engine import Value
from microgradnet.locales import LANGUAGES, localize
from microgradnet.slips import SLIPS
from microgradnet.viz.expr import ExpressionError
from microgradnet.viz.worksheet import (
    FORMATS,
    LMS_FORMATS,
    MAX_VERSIONS,
    WORKSHEET_STRINGS,
    Range,
    make_worksheet,
    parse_range,
)

__all__ = ["register"]

_SUFFIXES = (".md", ".html", ".htm")


def _target(path: str, what: str, fmt: str | None = None) -> Path:
    target = Path(path)
    lms = fmt in LMS_FORMATS or (fmt is None and target.suffix.lower() in LMS_FORMATS.values())
    if not lms and fmt is None and target.suffix.lower() not in _SUFFIXES:
        raise CliError(
            f"cannot tell the format of the {what} {path!r} from its suffix; use .md or .html "
            "(or .xml, .gift, .zip for an LMS), or give --format"
        )
    return output_path(path, f"the {what}")


def _versions(text: str) -> int:
    """An argparse type for ``--versions``: a whole number from 1 to ``MAX_VERSIONS``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_VERSIONS:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to {MAX_VERSIONS}, got {value}")
    return value


def _run(args: argparse.Namespace) -> int:
    sheet = _target(args.output, "worksheet", args.format)
    lms = args.format in LMS_FORMATS or (args.format is None and sheet.suffix.lower() in LMS_FORMATS.values())
    if lms and args.answers is not None:
        raise CliError("an LMS export carries its answers and feedback: drop --answers")
    if args.fade and args.slip is not None:
        raise CliError("give --fade or --slip, not both")
    key = _target(args.answers, "answer key", args.format) if args.answers is not None else None
    if key is not None and key.resolve() == sheet.resolve():
        raise CliError("the worksheet and the answer key must be different files")
    ranges: dict[str, Range] = {}
    try:
        for item in args.ranges:
            name, spec = parse_range(item)
            if name in ranges:
                raise CliError(f"{name} is given twice")
            ranges[name] = spec
    except ValueError as exc:
        raise CliError(str(exc)) from None
    source: Value | str
    title = args.title
    if args.example is not None:
        if args.expression is not None and "=" not in args.expression:
            raise CliError(f"give EXPR or --example NAME, not both (got {args.expression!r} too)")
        if args.expression is not None:  # argparse took the first NAME=LO:HI as EXPR
            try:
                name, spec = parse_range(args.expression)
            except ValueError as exc:
                raise CliError(str(exc)) from None
            ranges = {name: spec, **ranges}
        example = open_example(args.example)
        source = example.root
        if title is None and args.lang == "en":  # other languages: the sheet's own title, translated
            title = localize("worksheet", WORKSHEET_STRINGS, args.lang)["title"].format(formula=example.title)
    elif args.expression is None:
        raise CliError("give the formula EXPR (and NAME=LO:HI ranges), or --example NAME")
    else:
        source = args.expression
    try:
        ws = make_worksheet(
            source,
            ranges,
            seed=args.seed,
            n_versions=args.versions,
            title=title,
            fmt="md",
            fade=args.fade,
            slip=args.slip,
            lang=args.lang,
        )
        written = ws.save(sheet, answers=key, format=args.format)
    except (ExpressionError, ValueError, TypeError) as exc:
        raise CliError(str(exc)) from None
    for path in written:
        if path is not None:
            note(f"wrote {path}")
    return 0


def register(sub: Any) -> None:
    """Add the ``worksheet`` subcommand."""
    p = sub.add_parser(
        "worksheet",
        help="write a backprop worksheet with randomised values (.md or .html) and its answer key",
        description="Write a worksheet for EXPR (or a preset) at randomised leaf values: compute each "
        "forward value and each gradient. NAME=LO:HI draws integers, NAME=LO:HI:STEP a grid, "
        "NAME=VALUE fixes a variable; others get a nonzero integer from -5 to 5.",
    )
    p.add_argument(
        "expression", metavar="EXPR", nargs="?", type=text_arg, help='the formula, e.g. "(a*b + c) * f"'
    )
    p.add_argument(
        "ranges",
        metavar="NAME=LO:HI",
        nargs="*",
        type=text_arg,
        help="a variable's range, e.g. a=-5:5 x=0:1:0.1 c=10",
    )
    p.add_argument("--example", metavar="NAME", default=None, help="use a bundled preset instead of EXPR")
    p.add_argument(
        "--seed", type=seed_arg, default=0, help="the random seed, >= 0 (same seed, same sheets; default 0)"
    )
    p.add_argument(
        "--versions",
        type=_versions,
        default=None,
        help=f"how many versions, each with its own values (1 to {MAX_VERSIONS}; default 1; with --fade, "
        "one per step plus one)",
    )
    p.add_argument("--title", default=None, type=text_arg, help="the heading of the sheet")
    p.add_argument("-o", "--output", metavar="SHEET", required=True, help="the worksheet (.md or .html)")
    p.add_argument("--answers", metavar="KEY", default=None, help="the answer key (.md or .html)")
    p.add_argument(
        "--fade",
        action="store_true",
        help="faded worked examples: the first version shows every backward step, each later one "
        "leaves more steps (from the end) to the student",
    )
    p.add_argument(
        "--slip",
        metavar="KIND",
        choices=(*SLIPS, "random"),
        default=None,
        help=f"find the slip: plant one mistake in each backward pass ({', '.join(SLIPS)} or random)",
    )
    p.add_argument(
        "--format",
        choices=(*FORMATS, *LMS_FORMATS),
        default=None,
        help="md, html, or for a learning management system moodle (XML), gift or qti (a QTI 2.1 zip); "
        "default: from the suffix of -o",
    )
    p.add_argument(
        "--lang", choices=tuple(LANGUAGES), default="en", help="the language of the sheet (en, ne)"
    )
    p.set_defaults(func=_run)
