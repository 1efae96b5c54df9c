"""Hypothesis strategies for property-testing gradients (needs the ``hypothesis`` package).

>>> from hypothesis import given
>>> from microgradnet.testing import gradcheck
>>> from microgradnet.testing.strategies import expressions
>>> @given(expressions())
... def test_backprop_matches_finite_differences(expr):
...     gradcheck(expr.fn, expr.inputs)

Everything is read from the op table, so an op registered with
:func:`~microgradnet.register_op` is sampled like a built-in one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from hypothesis import strategies as st

from microgradnet.engine import Value, apply
from microgradnet.ops import OPS, Domain, Op

__all__ = ["Expression", "OpCall", "Program", "domain_floats", "expressions", "op_calls", "ops"]


def domain_floats(domain: Domain) -> st.SearchStrategy[float]:
    """Floats inside ``domain``, kept away from its non-differentiable points.

    Raises ``TypeError`` when ``domain`` is not a :class:`~microgradnet.ops.Domain`.
    """
    if not isinstance(domain, Domain):
        raise TypeError(
            f"domain_floats() expects a Domain (e.g. OPS['log'].domain[0]), got {type(domain).__name__}"
        )
    return st.floats(domain.lo, domain.hi, allow_nan=False, allow_infinity=False).filter(domain.contains)


def _differentiable() -> list[str]:
    """The default ops to draw: every row but the stop-gradient ones (``detach``), whose declared
    derivative 0 is by design not what finite differences measure, and ``max``, which has a kink
    wherever two of its inputs tie (random programs tie often)."""
    return [name for name, op in OPS.items() if not op.stops_gradient and name != "max"]


def ops(names: Sequence[str] | None = None) -> st.SearchStrategy[Op]:
    """Entries of the op table (those named, or every row but the stop-gradient ones such as
    ``detach``), as of when it is drawn from."""
    if names is not None:
        unknown = [n for n in names if n not in OPS]
        if unknown:
            raise ValueError(f"unknown op name(s) {unknown}; known ops: {', '.join(OPS)}")
    return st.deferred(
        lambda: st.sampled_from([OPS[n] for n in (names if names is not None else _differentiable())])
    )


class OpCall(NamedTuple):
    """One op with operands from its domain: ``apply(op, *operands, arg=arg)``."""

    op: Op
    operands: tuple[float, ...]
    arg: float | None

    def __call__(self, *xs: Value) -> Value:
        return apply(self.op, *xs, arg=self.arg)


@st.composite
def op_calls(draw: st.DrawFn, op: Op | None = None, max_group: int = 3) -> OpCall:
    """An op (drawn from the table unless given) with operands drawn from its domain.

    Variadic ops get between 1 and ``max_group`` operands per parameter. Raises ``TypeError``
    (when drawn) for an ``op`` that is not an :class:`~microgradnet.ops.Op`.
    """
    if op is not None and not isinstance(op, Op):
        raise TypeError(f"op_calls() expects an Op such as OPS['tanh'], got {op!r}")
    entry = op if op is not None else draw(ops())
    if entry.variadic:
        k = draw(st.integers(1, max_group))
        operands = tuple(draw(domain_floats(d)) for d in entry.domain for _ in range(k))
    else:
        operands = tuple(draw(domain_floats(d)) for d in entry.domain)
    arg = draw(domain_floats(entry.arg_domain or Domain())) if entry.arg else None
    return OpCall(entry, operands, arg)


@dataclass(frozen=True)
class Program:
    """A straight-line program over the op table: replaying it on ``Value``\\s builds a graph.

    Each step is ``(op name, operand indices, arg)``; indices below ``n_inputs`` name the
    inputs, the rest name earlier steps. The last step is the output. Operands may repeat
    (``x * x``) and steps may be shared by later steps (fan-out).
    """

    n_inputs: int
    steps: tuple[tuple[str, tuple[int, ...], float | None], ...]

    def __call__(self, *xs: Value) -> Value:
        if len(xs) != self.n_inputs:
            raise TypeError(f"this expression takes {self.n_inputs} inputs, got {len(xs)}")
        nodes: list[Value] = list(xs)
        for name, idx, arg in self.steps:
            nodes.append(apply(OPS[name], *(nodes[i] for i in idx), arg=arg))
        return nodes[-1]

    def __repr__(self) -> str:
        names = [f"x{k}" for k in range(self.n_inputs)] + [f"t{j}" for j in range(len(self.steps))]
        return "Program(" + "; ".join(f"t{j} = {self._text(j, names)}" for j in range(len(self.steps))) + ")"

    def _text(self, j: int, names: list[str]) -> str:
        name, idx, arg = self.steps[j]
        return OPS[name].write([names[i] for i in idx], repr(arg), brackets=True)


class Expression(NamedTuple):
    """A random expression graph: ``fn(*Values) -> Value`` and a point to evaluate it at."""

    fn: Program
    inputs: list[float]


@st.composite
def expressions(
    draw: st.DrawFn,
    ops: Sequence[str] | None = None,
    max_inputs: int = 3,
    max_steps: int = 6,
    bound: float = 50.0,
) -> Expression:
    """Random expression graphs built from the op table, valid at their sampled inputs.

    ``ops`` names the ops to use; by default every row but the stop-gradient ones (``detach``),
    so that the graphs pass :func:`~microgradnet.testing.gradcheck`.

    Each step picks an op and, for every operand, an earlier node whose value lies in that
    operand's domain (repeats and fan-out included), or else a fresh input drawn from the
    domain. Nodes whose magnitude exceeds ``bound`` are not reused, so finite differences stay
    accurate.
    """
    names = list(ops) if ops is not None else _differentiable()
    unknown = [n for n in names if n not in OPS]
    if unknown:
        raise ValueError(f"unknown op name(s) {unknown}; known ops: {', '.join(OPS)}")
    if max_inputs < 1 or max_steps < 1:
        raise ValueError("expressions() needs max_inputs >= 1 and max_steps >= 1")
    inputs = [draw(domain_floats(Domain(-2.0, 2.0)))]
    values: list[float] = list(inputs)
    steps: list[tuple[str, tuple[int, ...], float | None]] = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = OPS[draw(st.sampled_from(names))]
        groups = draw(st.integers(1, 3)) if op.variadic else 1
        idx: list[int] = []
        for d in op.domain:
            for _ in range(groups):
                ok = [i for i, v in enumerate(values) if d.contains(v) and abs(v) <= bound]
                reuse = bool(ok) and (len(inputs) >= max_inputs or draw(st.booleans()))
                if reuse:
                    idx.append(draw(st.sampled_from(ok)))
                else:
                    x = draw(domain_floats(d))
                    # a fresh input goes in front of the step results; shift existing indices
                    pos = len(inputs)
                    inputs.append(x)
                    values.insert(pos, x)
                    idx = [i + 1 if i >= pos else i for i in idx]
                    steps = [(n, tuple(i + 1 if i >= pos else i for i in ix), a) for n, ix, a in steps]
                    idx.append(pos)
        arg = draw(domain_floats(op.arg_domain or Domain())) if op.arg else None
        out = op.float_forward([values[i] for i in idx], 0.0, arg)
        if not math.isfinite(out):
            continue
        steps.append((op.name, tuple(idx), arg))
        values.append(out)
    if not steps:  # every drawn step overflowed: fall back to the identity-like x0 + x0
        steps.append(("add", (0, 0), None))
    return Expression(Program(len(inputs), tuple(steps)), inputs)
