"""An optimizer's update rule run in place: recorded once, then run into given arrays.

``optimizer.update_rule(step, sqrt)`` returns the rule of one step as a plain function of
``(p, g, *buffers)`` that uses only arithmetic (:mod:`microgradnet.optim`). Called on NumPy
arrays it allocates a new array for every operation. :meth:`Recorder.record` calls it instead
on placeholders that write down each operation (``lr * g``, ``p - that``) with its constants,
and writes a Python function that performs those operations as ufunc calls into scratch
arrays kept from step to step, and the results straight into the arrays the caller names. The
operations, their order and their constants are the rule's own, so the numbers are the same,
bit for bit, as calling the rule on arrays (and so as ``Optimizer.step`` on floats).

A rule is recorded again only when it may differ: a rule whose code and captured values (the
learning rate, the momentum, Adam's bias corrections of the step, ...) are those of the last
one is the same rule. A rule that does anything but arithmetic with its arguments (compares
them, calls a NumPy function on them, raises to a power) cannot be recorded:
:meth:`Recorder.record` returns ``None`` and the caller runs the rule on arrays as it is.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from microgradnet.compile.arrays import FloatArray

__all__ = ["SQRT", "Recorded", "Recorder"]


class _NotArithmetic(Exception):
    """The rule did something other than arithmetic with a placeholder."""


def _number(a: Any) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool)


class _Node:
    """A placeholder: an input (``ufunc is None``) or the result of one operation."""

    __slots__ = ("args", "index", "ufunc")

    def __init__(self, ufunc: np.ufunc | None, args: tuple[Any, ...], index: int) -> None:
        self.ufunc, self.args, self.index = ufunc, args, index

    def _op(self, ufunc: np.ufunc, *args: Any) -> _Node:
        for a in args:
            if not isinstance(a, _Node) and not _number(a):
                raise _NotArithmetic(f"{ufunc.__name__} with {type(a).__name__}")
        return _Node(ufunc, tuple(a if isinstance(a, _Node) else float(a) for a in args), -1)

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
    """``sqrt`` for rules being recorded: written down as ``numpy.sqrt`` of a placeholder."""
    if isinstance(x, _Node):
        return x._op(np.sqrt, x)
    raise _NotArithmetic("sqrt of a number")


#: what rules are made with (``optimizer.update_rule(step, SQRT)``) to be recorded: ``sqrt``
#: written down as ``numpy.sqrt`` (correctly rounded, as ``math.sqrt``)
SQRT: Callable[[Any], Any] = _sqrt


class Recorded:
    """One recorded rule, written as a function ``run(inputs, outputs, scratch)``: the
    operations in the rule's order, each into a scratch array (reused once its value is no
    longer read) or, for a result, into its output array."""

    def __init__(self, n_inputs: int, inputs: list[_Node], results: tuple[Any, ...]) -> None:
        order: list[_Node] = []
        seen: set[int] = set()

        def visit(node: _Node) -> None:  # (a rule has a handful of operations)
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
        where: dict[int, str] = {id(node): f"i[{k}]" for k, node in enumerate(inputs)}
        output: dict[int, str] = {}
        for j, r in enumerate(results):
            if isinstance(r, _Node) and r.ufunc is not None:
                output.setdefault(id(r), f"o[{j}]")
        last_use: dict[int, int] = {}
        for k, node in enumerate(order):
            for a in node.args:
                if isinstance(a, _Node):
                    last_use[id(a)] = k
        free: list[int] = []
        held: dict[int, int] = {}
        self.n_scratch = 0
        lines = []
        for k, node in enumerate(order):
            out = output.get(id(node))
            if out is None:
                if not free:
                    free.append(self.n_scratch)
                    self.n_scratch += 1
                slot = free.pop()
                held[id(node)] = slot
                out = f"s[{slot}]"
            args = [where[id(a)] if isinstance(a, _Node) else repr(a) for a in node.args]
            assert node.ufunc is not None
            lines.append(f"    np.{node.ufunc.__name__}({', '.join(args)}, out={out})")
            where[id(node)] = out
            for a in node.args:  # scratch arrays whose last reader this was are free again
                if isinstance(a, _Node) and last_use.get(id(a)) == k and id(a) in held:
                    free.append(held.pop(id(a)))
        for j, r in enumerate(results):
            if isinstance(r, _Node):
                if where[id(r)] != f"o[{j}]":  # an input returned as is, or a result listed twice
                    lines.append(f"    np.copyto(o[{j}], {where[id(r)]})")
            else:
                lines.append(f"    o[{j}].fill({float(r)!r})")
        self.text = "def run(i, o, s):\n" + ("\n".join(lines) or "    pass") + "\n"
        scope: dict[str, Any] = {"np": np}
        exec(compile(self.text, "<update rule>", "exec"), scope)
        self.run: Callable[[Sequence[FloatArray], Sequence[FloatArray], list[FloatArray]], None] = scope[
            "run"
        ]
        self.n_inputs = n_inputs


def _identity(rule: Callable[..., Any]) -> tuple[Any, ...] | None:
    """What makes ``rule`` the rule it is: its code and the values it captured (numbers
    exactly, functions by identity); ``None`` when it captured anything else."""
    if not isinstance(rule, types.FunctionType):
        return None
    values: list[Any] = [rule.__code__, rule.__defaults__, rule.__kwdefaults__]
    for cell in rule.__closure__ or ():
        v = cell.cell_contents
        if isinstance(v, float):
            values.append(("f", v.hex()))  # exact: the sign of zero and nan count
        elif v is None or isinstance(v, (bool, int, str)):
            values.append((type(v), v))
        elif isinstance(v, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)):
            values.append(("fn", v))
        else:
            return None
    try:
        hash(tuple(values))
    except TypeError:
        return None
    return tuple(values)


class Recorder:
    """Records rules (keeping the last one: see the module docstring) and runs them into arrays
    of one length, with scratch arrays kept between steps."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._scratch: list[FloatArray] = []
        self._last: tuple[tuple[Any, ...], Recorded] | None = None

    def record(self, rule: Callable[..., tuple[Any, ...]], n_inputs: int) -> Recorded | None:
        """``rule`` on ``n_inputs`` placeholders, written as a function; ``None`` when it does
        something other than arithmetic and ``sqrt``."""
        identity = _identity(rule)
        if identity is not None and self._last is not None and self._last[0] == identity:
            return self._last[1]
        inputs = [_Node(None, (), k) for k in range(n_inputs)]
        try:
            results = rule(*inputs)
        except (_NotArithmetic, TypeError):  # (TypeError: math.sqrt of a placeholder, say)
            return None
        if not isinstance(results, tuple) or not all(isinstance(r, _Node) or _number(r) for r in results):
            return None
        recorded = Recorded(n_inputs, inputs, results)
        if identity is not None:
            self._last = (identity, recorded)
        return recorded

    def run(self, recorded: Recorded, inputs: Sequence[FloatArray], outputs: Sequence[FloatArray]) -> None:
        """The recorded rule from ``inputs`` into ``outputs`` (one array per result, none of
        them one of the inputs)."""
        while len(self._scratch) < recorded.n_scratch:
            self._scratch.append(np.empty(self.size))
        recorded.run(inputs, outputs, self._scratch)
