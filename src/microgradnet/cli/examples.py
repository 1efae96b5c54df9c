"""``microgradnet examples``: list the classroom presets a teacher can open by name.

::

    microgradnet examples
    microgradnet step --example lecture-expression -o lecture.html
    microgradnet graph --example colah-paths -o colah.svg
"""

from __future__ import annotations

import argparse
from typing import Any

from microgradnet.cli import CliError, emit
from microgradnet.examples import EXAMPLES, Example, list_examples, load_example

__all__ = ["format_examples", "open_example", "register"]


def format_examples() -> str:
    """The presets as aligned text, one per line: name, title, then the source indented."""
    presets = list_examples()
    width = max(len(name) for name, _, _ in presets)
    lines = []
    for name, title, source in presets:
        lines.append(f"{name.ljust(width)}  {title}")
        lines.append(f"{'':{width}}  source: {source}")
    return "\n".join(lines) + "\n"


def open_example(name: str) -> Example:
    """Build the preset called ``name`` for a command.

    Raises:
        CliError: no preset has that name; the message lists the names there are.
    """
    if name not in EXAMPLES:
        raise CliError(
            f"no example named {name!r}; the examples are: {', '.join(EXAMPLES)} "
            "(microgradnet examples lists them with their sources)"
        )
    return load_example(name)


def _run(args: argparse.Namespace) -> int:
    emit(format_examples())
    return 0


def register(sub: Any) -> None:
    """Add the ``examples`` subcommand."""
    p = sub.add_parser(
        "examples",
        help="list the classic worked examples (open one with step/graph --example NAME)",
        description="List the bundled classroom presets: name, title and published source. Open one "
        "with 'microgradnet step --example NAME -o FILE.html' or 'microgradnet graph --example NAME -o "
        "FILE.svg'.",
    )
    p.set_defaults(func=_run)
