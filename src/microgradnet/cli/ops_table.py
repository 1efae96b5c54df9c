"""``microgradnet ops``: print the op table (name, symbol, forward, local derivatives)."""

from __future__ import annotations

import argparse
from typing import Any

from microgradnet.cli import emit
from microgradnet.ops import OPS

__all__ = ["format_table", "register"]


def format_table() -> str:
    """The op table as aligned text, one op per line: what a teacher projects."""
    rows = [("op", "symbol", "forward", "local derivatives", "rule")]
    for op in OPS.values():
        derivs = ", ".join(f"∂/∂{p} = {g}" for p, g in zip(op.params, op.grads))
        rows.append(
            (
                op.name,
                op.symbol,
                str(op.forward if isinstance(op.forward, str) else op.forward.__name__),
                derivs,
                op.rule,
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    return (
        "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths)) + "  " + r[4] for r in rows
        ).rstrip()
        + "\n"
    )


def _run(args: argparse.Namespace) -> int:
    emit(format_table())
    return 0


def register(sub: Any) -> None:
    """Add the ``ops`` subcommand."""
    p = sub.add_parser("ops", help="print the op table with every local derivative")
    p.set_defaults(func=_run)
