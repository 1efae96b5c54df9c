"""The ``microgradnet`` command line: one subcommand per module in this package.

Each subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func`` (a callable taking the parsed arguments and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from microgradnet import __version__

__all__ = ["CliError", "build_parser", "main"]

#: Subcommand modules, in the order ``--help`` lists them.
SUBCOMMANDS = [
    "microgradnet.cli.viz",
    "microgradnet.cli.train",
    "microgradnet.cli.ops_table",
    "microgradnet.cli.examples",
    "microgradnet.cli.worksheet",
    "microgradnet.cli.playground",
]


class CliError(Exception):
    """A problem with the user's command line: printed as ``microgradnet: error: ...``, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="microgradnet",
        description="A scalar autograd engine for learning and teaching backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"microgradnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 usage error, 1 failure)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"microgradnet: error: {exc}", file=sys.stderr)
        return 2
    return code
