"""The ``microgradnet`` command line: one subcommand per module in this package.

Each subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func`` (a callable taking the parsed arguments and returning an exit code).

Exit codes: 0 success; 2 a usage problem, printed as ``microgradnet: error: ...`` before any
work is done where it can be known up front (a bad option, an output path that cannot be
written, standard output closed or full); 1 a failure while working (a data file that cannot be
read, running out of memory). When the reader of standard output goes away (``... | head``)
the command stops quietly with status 1, as Python's documentation recommends.

Helpers every subcommand uses: :func:`emit` (print to standard output), :func:`note` (a line on
standard error), :func:`output_path` (check an output file before working), and the argparse
types :func:`text_arg` and :func:`seed_arg`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from microgradnet import __version__
from microgradnet._files import check_writable

__all__ = ["CliError", "build_parser", "emit", "main", "note", "output_path", "seed_arg", "text_arg"]

#: Subcommand modules, in the order ``--help`` lists them.
SUBCOMMANDS = [
    "microgradnet.cli.viz",
    "microgradnet.cli.frames",
    "microgradnet.cli.train",
    "microgradnet.cli.ops_table",
    "microgradnet.cli.examples",
    "microgradnet.cli.worksheet",
    "microgradnet.cli.playground",
]


class CliError(Exception):
    """A problem with the user's command line: printed as ``microgradnet: error: ...``, exit 2."""


def emit(text: str) -> None:
    """Write ``text`` to standard output.

    Characters the terminal's encoding cannot show are written as ``\\x..`` escapes.

    Raises:
        CliError: standard output is closed, or writing to it failed (a full disk).
        BrokenPipeError: its reader has gone away (``main`` stops quietly).
    """
    out = sys.stdout
    if out is None:
        raise CliError("standard output is closed, so there is nowhere to print; redirect it to a file")
    try:
        try:
            out.write(text)
        except UnicodeEncodeError:
            encoding = out.encoding or "utf-8"
            out.write(text.encode(encoding, "backslashreplace").decode(encoding))
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed
        raise CliError(f"cannot write to standard output: {_reason(exc)}") from None


def note(text: str) -> None:
    """Print one line on standard error (``wrote FILE``); nothing happens if it is closed."""
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            print(text, file=sys.stderr)


def output_path(path: str, what: str) -> Path:
    """``path`` as a ``Path`` once :func:`~microgradnet._files.check_writable` accepts it.

    Raises:
        CliError: the path is a directory, its directory is missing or not writable, or it is a
            device or pipe; the message names ``what`` (``"the checkpoint (--save)"``).
    """
    try:
        return check_writable(path, what)
    except OSError as exc:
        raise CliError(str(exc)) from None


def text_arg(text: str) -> str:
    """An argparse type for free text (formulas, names, titles): it must be valid UTF-8.

    The operating system hands Python undecodable bytes as lone surrogates, which no page,
    picture or terminal can hold; refusing them here names the option in the message.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise argparse.ArgumentTypeError(f'"{shown}" is not valid UTF-8 text') from None
    return text


def seed_arg(text: str) -> int:
    """An argparse type for ``--seed``: a whole number >= 0 (what numpy's generators accept)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


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


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _flush_stdout() -> None:
    """Flush standard output here, where a failure can still be reported (not at exit)."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot write to standard output: {_reason(exc)}") from None


def _silence_stdout() -> None:
    """After a broken pipe: point standard output at /dev/null so the exit flush cannot fail.

    The recipe of Python's documentation (the ``signal`` module, "Note on SIGPIPE").
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing will flush it at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 usage error, 1 failure).

    A bad option ends in argparse's ``SystemExit(2)`` with its usage message.
    """
    try:
        return _main(argv)
    except BrokenPipeError:  # also from argparse printing --help into a closed pipe
        _silence_stdout()
        return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
        _flush_stdout()
    except CliError as exc:
        note(f"microgradnet: error: {exc}")
        return 2
    except BrokenPipeError:
        raise
    except OSError as exc:  # the disk filled up or went away mid-write: the old file is kept
        note(f"microgradnet: error: {exc}")
        return 1
    except MemoryError:
        note("microgradnet: error: out of memory; ask for a smaller model or fewer samples")
        return 1
    except KeyboardInterrupt:
        note("microgradnet: interrupted")
        return 130
    return code
