"""An optimizer's update rule run in place: recorded once per step, executed into given arrays.

``optimizer.update_rule(step, sqrt)`` returns the rule of one step as a plain function of
``(p, g, *buffers)`` that uses only arithmetic (:mod:`microgradnet.optim`). Called on NumPy
arrays it allocates a new array for every operation. :func:`record` calls it instead on
placeholders that write down each operation (``lr * g``, ``p - that``) with its constants;
:class:`InPlace` then runs those operations as ufunc calls that write into scratch arrays kept
from step to step, and the results straight into the arrays the caller names. The operations,
their order and their constants are the rule's own, so the numbers are the same, bit for bit,
as calling the rule on arrays (and so as ``Optimizer.step`` on floats).

A rule that does anything else with its arguments (compares them, calls a NumPy function on
them, raises to a power) cannot be recorded: :func:`record` returns ``None`` and the caller
runs the rule on arrays as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from microgradnet.compile.arrays import FloatArray

__all__ = ["InPlace", "Recorded", "record"]


class _NotArithmetic(Exception):
    """The rule did something other than arithmetic with a placeholder."""


class _Node:
    """A placeholder: an input (``ufunc is None``) or the result of one operation."""

    __slots__ = ("args", "index", "ufunc")

    def __init__(self, ufunc: np.ufunc | None, args: tuple[Any, ...], index: int) -> None:
        self.ufunc, self.args, self.index = ufunc, args, index

    def _op(self, ufunc: np.ufunc, *args: Any) -> _Node:
        for a in args:
            if not isinstance(a, _Node) and not (isinstance(a, (int, float)) and not isinstance(a, bool)):
                raise _NotArithmetic(f"{ufunc.__name__} with {type(a).__name__}")
        return _Node(ufunc, tuple(float(a) if not isinstance(a, _Node) else a for a in args), -1)

    def __add__(self, other: Any) -> _Node:
        return self._op(np.add, self, other)

    def __radd__(self, other: Any) -> _Node:
        return self._op(np.add, other, self)

    def __sub__(self, other: Any) -> _Node:
        return self._op(np.subtract, self, other)

    def __rsub__(self, other: Any) -> _Node:
        return self._op(np.subtract, other, self)

    def __mul__(self, other: Any) -> _Node:
        return self._op(np.multiply, self, other)

    def __rmul__(self, other: Any) -> _Node:
        return self._op(np.multiply, other, self)

    def __truediv__(self, other: Any) -> _Node:
        return self._op(np.true_divide, self, other)

    def __rtruediv__(self, other: Any) -> _Node:
        return self._op(np.true_divide, other, self)

    def __neg__(self) -> _Node:
        return self._op(np.negative, self)

    def __pos__(self) -> _Node:
        return self

    def __bool__(self) -> bool:
        raise _NotArithmetic("a truth test")

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise _NotArithmetic("a NumPy function")

    __array_ufunc__ = None  # NumPy must not treat a placeholder as an array


def _sqrt(x: Any) -> Any:
    if isinstance(x, _Node):
        return x._op(np.sqrt, x)
    raise _NotArithmetic("sqrt of a number")


class Recorded:
    """The operations of one step of a rule: ``inputs`` placeholders (``p``, ``g``, buffers),
    the operations in the order the rule made them, and its results (a placeholder or a
    number each)."""

    def __init__(self, inputs: list[_Node], results: tuple[Any, ...]) -> None:
        self.inputs = inputs
        self.results = results
        order: list[_Node] = []
        seen: set[int] = set()

        def visit(node: _Node) -> None:  # (a rule has a handful of operations: no deep graphs)
            if id(node) in seen or node.ufunc is None:
                return
            seen.add(id(node))
            for a in node.args:
                if isinstance(a, _Node):
                    visit(a)
            order.append(node)

        for r in results:
            if isinstance(r, _Node):
                visit(r)
        self.order = order


def record(rule: Callable[..., tuple[Any, ...]], n_inputs: int) -> Recorded | None:
    """The operations ``rule`` makes on ``n_inputs`` placeholders, or ``None`` when it does
    something other than arithmetic and ``sqrt`` (see the module docstring)."""
    inputs = [_Node(None, (), k) for k in range(n_inputs)]
    try:
        results = rule(*inputs)
    except _NotArithmetic:
        return None
    except TypeError:  # e.g. a rule that calls math.sqrt on a placeholder
        return None
    if not isinstance(results, tuple) or not all(
        isinstance(r, _Node) or (isinstance(r, (int, float)) and not isinstance(r, bool)) for r in results
    ):
        return None
    return Recorded(inputs, results)


#: what rules are recorded with instead of ``numpy.sqrt``
SQRT = _sqrt


class InPlace:
    """Runs recorded rules for arrays of one length, with scratch arrays kept between steps."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._scratch: list[FloatArray] = []

    def run(self, recorded: Recorded, inputs: Sequence[FloatArray], outputs: Sequence[FloatArray]) -> None:
        """Compute the rule's results from ``inputs`` into ``outputs`` (one array per result;
        none of them may be one of the inputs)."""
        value: dict[int, Any] = {id(node): arr for node, arr in zip(recorded.inputs, inputs)}
        target: dict[int, FloatArray] = {}
        for r, out in zip(recorded.results, outputs):
            if isinstance(r, _Node) and r.ufunc is not None and id(r) not in target:
                target[id(r)] = out
        last_use: dict[int, int] = {}
        for k, node in enumerate(recorded.order):
            for a in node.args:
                if isinstance(a, _Node):
                    last_use[id(a)] = k
        free = list(range(len(self._scratch)))
        held: dict[int, int] = {}  # node -> scratch slot
        for k, node in enumerate(recorded.order):
            found = target.get(id(node))
            if found is None:
                if not free:
                    self._scratch.append(np.empty(self.size))
                    free.append(len(self._scratch) - 1)
                slot = free.pop()
                held[id(node)] = slot
                found = self._scratch[slot]
            out: FloatArray = found
            args = [value[id(a)] if isinstance(a, _Node) else a for a in node.args]
            assert node.ufunc is not None
            node.ufunc(*args, out=out)
            value[id(node)] = out
            for a in node.args:  # scratch arrays whose last reader this was are free again
                if isinstance(a, _Node) and last_use.get(id(a)) == k and id(a) in held:
                    free.append(held.pop(id(a)))
        for r, out in zip(recorded.results, outputs):
            if isinstance(r, _Node):
                if value[id(r)] is not out:  # an input returned as is, or a result listed twice
                    np.copyto(out, value[id(r)])
            else:
                out.fill(r)
