"""How a worksheet writes one trace: which gradients it asks for, how each node is computed,
and the chain rule for one node with its numbers. Shared by worksheets and their LMS exports."""

from __future__ import annotations

import re

from microgradnet.ops import OPS
from microgradnet.viz.strings import format_number
from microgradnet.viz.trace import Trace, TraceNode

__all__ = ["asked", "exact_format", "formula", "working"]


def asked(trace: Trace) -> list[TraceNode]:
    """The nodes whose gradient the sheet asks for: output first, then backwards; no constants."""
    return [n for n in reversed(trace.nodes) if not n.is_constant]


def _reads_back(x: float, fmt: str) -> bool:
    try:
        return float(format_number(x, fmt)) == x
    except ValueError:  # a format that writes no plain number ("1,000.4")
        return False


def exact_format(trace: Trace, fmt: str) -> str:
    """``fmt`` if it writes every input and constant of ``trace`` (leaf values, op arguments) so
    that it reads back as the same float; otherwise the shortest ``"{:.Ng}"`` that does.

    A question states its inputs with it, so the answer worked out from the text is the key's
    (``a = 1000.4`` is not written as ``1000``).
    """
    given = [n.data for n in trace.nodes if n.is_leaf] + [n.arg for n in trace.nodes if n.arg is not None]
    if all(_reads_back(x, fmt) for x in given):
        return fmt
    return next(f"{{:.{k}g}}" for k in range(1, 18) if all(_reads_back(x, f"{{:.{k}g}}") for x in given))


def formula(trace: Trace, node: TraceNode, fmt: str, inline: bool = False) -> str:
    """How the node is computed, with constants written as numbers: ``c * 2``, ``b + 1``;
    with ``inline=True`` every computed operand is written out too: ``(a + b) * (b + 1)``."""
    names = []
    for c in node.children:
        child = trace.node(c)
        if child.is_constant:
            text = format_number(child.data, fmt)
            names.append(f"({text})" if text.startswith("-") else text)
        elif inline and not child.is_leaf:
            text = formula(trace, child, fmt, inline=True)
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


def paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def working(trace: Trace, node: TraceNode, fmt: str, seed_text: str = "(the seed)") -> str:
    """The chain rule for one node: ``b · ∂L/∂t1 = (-3) · (-2)``, terms added at a fork."""
    root = trace.node(trace.root).name
    symbolic, numeric = [], []
    for e in trace.ledger(node.id):
        sender = trace.node(e.node).name
        formula = e.formula_named
        if not re.fullmatch(r"[\w.\[\]]+|\([^()]*\)", formula):
            formula = f"({formula})"
        symbolic.append(f"{formula} · ∂{root}/∂{sender}")
        numeric.append(f"{paren(format_number(e.local, fmt))} · {paren(format_number(e.upstream, fmt))}")
    if not symbolic:
        return seed_text
    return f"{' + '.join(symbolic)} = {' + '.join(numeric)}"
