"""``microgradnet frames``: slides of backprop for a lecture, one 16:9 picture per step.

::

    microgradnet frames "e = a*b; d = e + c; L = d*f" a=2 b=-3 c=10 f=-2 -o slides
    microgradnet frames --example lecture-expression -o slides --format pdf   # slides/frames.pdf
    microgradnet frames --example lecture-expression -o slides-ne --lang ne   # in Nepali
    microgradnet frames --example moons-mlp -o slides --steps 200-215         # a network: 16 of 284

Writes ``frame_000.png``, ``frame_001.png``, ... (1920×1080, the stepper's look), or SVG, or one
PDF. Before the work starts it says how many slides it will write (a network makes hundreds;
``--steps A-B`` picks some). The formula is read as by ``microgradnet graph``; any problem is
reported as ``microgradnet: error: ...`` with exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from microgradnet.cli import CliError
from microgradnet.cli.viz import graph_from_args
from microgradnet.locales import LANGUAGES
from microgradnet.viz.dot import as_trace
from microgradnet.viz.frames import FORMATS, GRANULARITIES, THEMES, export_frames, frames, select_steps
from microgradnet.viz.limits import GraphTooLargeError

__all__ = ["register"]

_MANY = 60  # more slides than a lesson shows: the note suggests --steps


def _run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise CliError(f"-o {args.output!r} is a file; give a directory for the slides")
    if not out.parent.is_dir():
        raise CliError(f"cannot write into {args.output!r}: the directory {str(out.parent)!r} does not exist")
    root, title = graph_from_args(args)
    try:
        deck = len(frames(as_trace(root), args.granularity))
        chosen = len(select_steps(args.steps, deck))
    except ValueError as exc:
        raise CliError(f"--steps: {exc}") from None
    where = out / "frames.pdf" if args.format == "pdf" else out
    note = f"writing {chosen:,} of {deck:,} slides" if chosen < deck else f"writing {deck:,} slides"
    hint = " (--steps A-B writes fewer)" if chosen > _MANY else ""
    print(f"{note} ({args.format.upper()}) to {where}{hint}", file=sys.stderr, flush=True)
    try:
        paths = export_frames(
            root,
            out,
            args.format,
            granularity=args.granularity,
            theme=args.theme,
            title=args.title if args.title is not None else title,
            rankdir=args.rankdir,
            lang=args.lang,
            steps=args.steps,
        )
    except GraphTooLargeError as exc:
        raise CliError(str(exc)) from None
    shown = str(paths[0]) if len(paths) == 1 else f"{len(paths)} slides to {out}"
    print(f"wrote {shown}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add the ``frames`` subcommand."""
    p = sub.add_parser(
        "frames",
        help="write one 16:9 slide per backprop step (PNG, SVG or PDF)",
        description="Write slides that step through the forward and backward pass of EXPR, one "
        "1920x1080 picture per step in the stepper's look (or one PDF with a page per step). Put -- "
        "before an EXPR that starts with '-'.",
    )
    p.add_argument(
        "expression",
        metavar="EXPR",
        nargs="?",
        help='the formula, e.g. "(a*b + c) * f" or "e = a*b; L = e + c" (or use --example)',
    )
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", help="each variable's value, e.g. a=2 b=-3")
    p.add_argument("--name", default="L", help="the result's label when EXPR does not name it (default: L)")
    p.add_argument("--example", metavar="NAME", default=None, help="a bundled preset instead of EXPR")
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="the directory the slides go to")
    p.add_argument("--format", choices=FORMATS, default="png", help="png, svg or pdf (DIR/frames.pdf)")
    p.add_argument(
        "--granularity", choices=GRANULARITIES, default="edge", help="one backward slide per edge or per node"
    )
    p.add_argument(
        "--steps",
        metavar="RANGE",
        default=None,
        help="only these slides, by number: 120-140, 120- (to the end), -20 or 7 (default: all)",
    )
    p.add_argument("--theme", choices=THEMES, default="cs231n", help="the stepper's colours")
    p.add_argument("--title", default=None, help="the heading of every slide (default: the formula)")
    p.add_argument(
        "--lang", choices=tuple(LANGUAGES), default="en", help="the language of the slides' text (en, ne)"
    )
    p.add_argument(
        "--rankdir", choices=("LR", "TB", "RL", "BT"), default=None, help="layout direction (default: fit)"
    )
    p.set_defaults(func=_run)
