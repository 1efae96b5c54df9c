"""micrograd's names for the engine's facts, so the lecture's and micrograd's cells run unchanged.

micrograd's ``Value`` stores an op string (``'+'``, ``'*'``, ``'**2'``, ``'tanh'``, ``'exp'``,
``'ReLU'``) where microgradnet stores a row of the op table. This module translates both ways:

* :func:`op_string` gives micrograd's string for a node (``Value._op``): micrograd's own string
  for the ops micrograd has, a readable one for the others (``'-'``, ``'/'``, ``'**'`` for a
  ``Value`` exponent, else the row's name, such as ``'sigmoid'``);
* :func:`hand_made` finds the row for a node made by hand, ``Value(a.data + b.data, (a, b),
  '+')``. A string that names no row gives an :class:`UnknownOp`: the node can be built (and
  drawn by the lecture's own ``draw_dot`` cell, which reads ``_prev`` and ``_op``), but
  ``backward()`` refuses it (:func:`refuse_unknown`) with an error that says why, and so do
  microgradnet's pictures, which record the backward pass;
* :func:`op_key` and :func:`entry_of_key` name a node's op in a pickle.

It imports only the op table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from microgradnet.ops import OPS, Domain, Op

__all__ = ["UnknownOp", "entry_for", "entry_of_key", "hand_made", "op_key", "op_string", "refuse_unknown"]

# table row -> micrograd's string (micrograd has these five; pown is written '**<n>')
_MICROGRAD = {"add": "+", "mul": "*", "tanh": "tanh", "exp": "exp", "relu": "ReLU"}
# readable strings for ops micrograd lacks; any other row is written with its name
_READABLE = {"sub": "-", "neg": "-", "div": "/", "pow": "**"}
# a hand-made node's string -> {number of operands: row}
_BY_STRING: dict[str, dict[int, str]] = {
    "+": {2: "add"},
    "*": {2: "mul"},
    "-": {1: "neg", 2: "sub"},
    "/": {2: "div"},
    "**": {2: "pow"},
    "ReLU": {1: "relu"},
}


def _number(x: float | None) -> str:
    return "" if x is None else str(int(x)) if float(x).is_integer() else repr(x)


def op_string(entry: Op | None, arg: float | None) -> str:
    """micrograd's op string for a node with table row ``entry`` (``''`` for a leaf)."""
    if entry is None:
        return ""
    if isinstance(entry, UnknownOp):
        return entry.symbol
    if entry.name == "pown":
        return "**" + _number(arg)
    return _MICROGRAD.get(entry.name) or _READABLE.get(entry.name) or entry.name


@dataclass(frozen=True, eq=False)
class UnknownOp(Op):
    """The row of a hand-made node whose op string names no op: it cannot be differentiated.

    ``symbol`` holds the string as given; ``reason`` is the error ``backward()`` raises.
    """

    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("float_forward", "local_grads", "push_grads", "node_forward"):
            object.__setattr__(self, name, self._refuse)

    def _refuse(self, *args: Any) -> NoReturn:
        raise ValueError(self.reason)

    def compile_grads(self, namespace: Mapping[str, Any], *, safe_floats: bool = False) -> Callable[..., Any]:
        """Refuses: a node with an unknown op has no derivative formulas."""
        self._refuse()


@functools.lru_cache(maxsize=256)
def entry_for(op: str, n_operands: int) -> tuple[Op, float | None]:
    """The table row (and constant argument) for ``Value(data, children, op)`` made by hand.

    ``'+'``, ``'*'``, ``'**2'``, ``'tanh'``, ``'exp'``, ``'ReLU'`` as micrograd writes them,
    ``'-'``, ``'/'``, ``'**'``, or the name of any row of the table, with the row's number of
    operands. Anything else gives an :class:`UnknownOp` naming the problem.
    """
    name = _BY_STRING.get(op, {}).get(n_operands)
    arg: float | None = None
    if name is None and op.startswith("**") and n_operands == 1:
        try:
            name, arg = "pown", float(op[2:])
        except ValueError:
            name = None
    if name is None and op == "+" and n_operands > 2:
        name = "sum"
    if name is None and op in OPS:
        row = OPS[op]
        k = len(row.params)
        fits = (n_operands and n_operands % k == 0) if row.variadic else n_operands == k
        if fits and not row.arg:
            name = op
    if name is not None:
        return OPS[name], arg
    known = "'+', '*', '-', '/', '**', '**<number>', 'ReLU' or a row of the op table"
    reason = (
        f"backward() cannot differentiate a node made by Value(data, children, {op!r}) with "
        f"{n_operands} operand(s): {op!r} is not one of {known} with that many operands. Build the "
        "node with Value's operators (a + b, a.tanh()) or microgradnet.apply(op_name, ...) instead"
    )
    unknown = UnknownOp(
        name=op or "unknown",
        symbol=op,
        params=("x",),
        forward="x",
        grads=("0",),
        domain=(Domain(),),
        variadic=True,
        template=f"{op}({{x}})",
        reason=reason,
    )
    return unknown, None


_unknown_made = False  # set once a hand-made node has an op string no row matches


def hand_made(children: Any, op: Any) -> tuple[tuple[Any, ...], Op, float | None]:
    """The operands, row and argument of ``Value(data, children, op)``, checked.

    Raises ``TypeError`` unless ``children`` is a non-empty tuple (or list) of ``Value``\\s and
    ``op`` a str. (The engine passes its ``Value`` class's instances; this module cannot import it.)
    """
    global _unknown_made
    if not isinstance(children, (tuple, list)) or not all(hasattr(c, "_birth") for c in children):
        raise TypeError(f"Value() _children must be a tuple of Values (the operands), got {children!r}")
    if not isinstance(op, str) or not children:
        raise TypeError(
            f"Value() needs both the operands (_children) and the op string (_op), got {op!r} "
            f"with {len(children)} operand(s)"
        )
    entry, arg = entry_for(op, len(children))
    _unknown_made = _unknown_made or isinstance(entry, UnknownOp)
    return tuple(children), entry, arg


def refuse_unknown(nodes: Iterable[Any]) -> None:
    """Raise the error of the first node with an :class:`UnknownOp` (a quick no-op until one exists)."""
    if _unknown_made:
        for node in nodes:
            if isinstance(node._entry, UnknownOp):
                node._entry._refuse()


def op_key(entry: Op) -> str | tuple[str, str]:
    """How a pickle names a node's op: the row's name, or micrograd's string for a hand-made node."""
    return ("_op", entry.symbol) if isinstance(entry, UnknownOp) else entry.name


def entry_of_key(key: str | tuple[str, str], n_operands: int) -> Op:
    """The row :func:`op_key` named; ``ValueError`` if no such op is registered in this process."""
    if isinstance(key, tuple):
        return entry_for(key[1], n_operands)[0]
    if key not in OPS:
        raise ValueError(
            f"the pickled Value uses the op {key!r}, which is not registered in this process; "
            "register it (register_op or define_op) before loading"
        )
    return OPS[key]
