"""The engine: ``Value``, one number that remembers how it was computed, and ``backward()``.

A ``Value`` holds ``data`` (a float), ``grad`` (a float), the ``children`` it was computed from
(an ordered tuple: ``a*a`` keeps both operands) and the op-table entry that computed it. All the
calculus lives in :mod:`microgradnet.ops`; this file only walks graphs:

* an arithmetic operator looks up its op, computes ``op.float_forward`` and records the node;
* ``backward()`` orders the graph (an explicit stack, never recursion) and, walking it from the
  output back to the inputs, adds ``local derivative × upstream gradient`` into each operand
  (``op.push_grads``: the op's derivative formulas, compiled once into that one step);
* ``grad(..., create_graph=True)`` evaluates the same derivative formulas on ``Value``\\s, so the
  backward pass is itself a graph that can be differentiated again.

Nodes hold no closures and point only at their operands, so a graph has no reference cycles and
is freed by reference counting the moment it is dropped.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, Union

from microgradnet.ops import FLOAT_FUNCTIONS, OPS, Domain, Op, iszero, register_op, sign, step

__all__ = [
    "AnomalyError",
    "Value",
    "apply",
    "define_op",
    "detect_anomaly",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]

Number = Union[int, float]
Operand = Union["Value", int, float]


class AnomalyError(ArithmeticError):
    """Raised inside :func:`detect_anomaly` at the first non-finite value."""


_grad_enabled = True
_anomaly = False
#: How a notebook shows a Value (its graph); microgradnet/__init__ registers one from viz.
_display_hook: Callable[[Value, Any, Any], dict[str, Any] | None] | None = None


def _to_float(x: object, who: str) -> float:
    """``x`` as a float, or a ``TypeError`` that names what came instead."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:  # an int too large for a float
            return math.inf if x > 0 else -math.inf  # type: ignore[operator]
    hint = " (use .data to get the number inside a Value)" if isinstance(x, Value) else ""
    raise TypeError(f"{who} takes a real number, got {x!r} ({type(x).__name__}){hint}")


class Value:
    """A scalar that records the computation graph that produced it.

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> e = a * b; e.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
    """

    __slots__ = ("__weakref__", "_arg", "_birth", "_entry", "children", "data", "grad", "label")

    data: float
    grad: float
    label: str
    children: tuple[Value, ...]
    _entry: Op | None  # the op-table entry that computed this node; None for a leaf
    _arg: float | None
    _birth: int  # creation index: a node is always born after its operands

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value() label must be a str, got {label!r} ({type(label).__name__})")
        self.data = _to_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self.children = ()
        self._entry = None
        self._arg = None
        self._birth = next(_births)

    # ---- what it is ------------------------------------------------------------------------

    @property
    def op(self) -> str:
        """The name of the op that computed this value (``"mul"``), ``""`` for a leaf."""
        return self._entry.name if self._entry is not None else ""

    @property
    def arg(self) -> float | None:
        """The op's constant argument (the ``n`` of ``x ** n``), or ``None``."""
        return self._arg

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self._entry is not None:
            parts.append(f"op={self._entry.name!r}")
        return f"Value({', '.join(parts)})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any] | None:
        """Jupyter's rich display: the registered display hook's bundle, or None (text only)."""
        return None if _display_hook is None else _display_hook(self, include, exclude)

    def __float__(self) -> float:
        return self.data

    # Identity hashing and equality (inherited from object) keep graph bookkeeping fast and exact;
    # ordering compares the numbers.
    def __lt__(self, other: Operand) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data(other)

    __hash__ = object.__hash__

    # ---- arithmetic: each operator is one op of the table ----------------------------------

    def __add__(self, other: Operand) -> Value:
        return _binary(_ADD, self, other)

    def __radd__(self, other: Operand) -> Value:
        return _binary(_ADD, other, self)

    def __sub__(self, other: Operand) -> Value:
        return _binary(_SUB, self, other)

    def __rsub__(self, other: Operand) -> Value:
        return _binary(_SUB, other, self)

    def __mul__(self, other: Operand) -> Value:
        return _binary(_MUL, self, other)

    def __rmul__(self, other: Operand) -> Value:
        return _binary(_MUL, other, self)

    def __truediv__(self, other: Operand) -> Value:
        return _binary(_DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return _binary(_DIV, other, self)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _binary(_POW, self, other)
        return _make(_POWN, (self,), _to_float(other, "the exponent of Value ** n"))

    def __rpow__(self, other: Operand) -> Value:
        return _binary(_POW, other, self)

    # In-place forms build a new node and rebind the name, as for Python numbers.
    __iadd__ = __add__
    __isub__ = __sub__
    __imul__ = __mul__
    __itruediv__ = __truediv__
    __ipow__ = __pow__

    def __neg__(self) -> Value:
        return _make(_NEG, (self,))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _make(_ABS, (self,))

    def exp(self) -> Value:
        """``e ** self``; ``inf`` when it overflows."""
        return _make(_EXP, (self,))

    def log(self) -> Value:
        """Natural logarithm; ``-inf`` at 0 and ``nan`` below."""
        return _make(_LOG, (self,))

    def tanh(self) -> Value:
        """Hyperbolic tangent (never overflows)."""
        return _make(_TANH, (self,))

    def relu(self) -> Value:
        """``max(self, 0)``."""
        return _make(_RELU, (self,))

    def sigmoid(self) -> Value:
        """``1 / (1 + e ** -self)``, computed stably."""
        return _make(_SIGMOID, (self,))

    def sin(self) -> Value:
        """Sine."""
        return _make(_SIN, (self,))

    def cos(self) -> Value:
        """Cosine."""
        return _make(_COS, (self,))

    def sqrt(self) -> Value:
        """Square root; ``nan`` below 0."""
        return _make(_SQRT, (self,))

    # ---- backpropagation ---------------------------------------------------------------------

    def backward(self) -> None:
        """Fill ``.grad`` of every node this value depends on with ``∂self/∂node``.

        Seeds ``self.grad = 1``. Interior nodes are recomputed on every call; leaves
        accumulate, so calling twice doubles a leaf's gradient (call ``zero_grad`` or set
        ``leaf.grad = 0`` between steps).
        """
        order = _creation_order(self)
        for node in order:
            if node._entry is not None:
                node.grad = 0.0
        self.grad += 1.0
        if _anomaly:
            _backward_checked(order)
            return
        for node in reversed(order):
            op = node._entry
            if op is not None:
                # for each operand: child.grad += local derivative * node.grad
                op.push_grads(node.children, node.data, node._arg, node.grad)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 for this value and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


# ---- building nodes ------------------------------------------------------------------------


def _data(x: Operand) -> float:
    return x.data if isinstance(x, Value) else _to_float(x, "comparison with a Value")


def _lift(x: Operand) -> Value:
    return x if isinstance(x, Value) else Value(_to_float(x, "an arithmetic operation on a Value"))


def _binary(op: Op, a: Operand, b: Operand) -> Value:
    if type(a) is Value and type(b) is Value:  # the common case, checked first for speed
        return _make(op, (a, b))
    if not isinstance(a, (Value, numbers.Real)) or not isinstance(b, (Value, numbers.Real)):
        return NotImplemented  # type: ignore[no-any-return]  # Python then raises TypeError
    return _make(op, (_lift(a), _lift(b)))


def _make(op: Op, children: tuple[Value, ...], arg: float | None = None) -> Value:
    """Compute ``op`` on ``children`` and record the node (unless inside ``no_grad``)."""
    out = Value.__new__(Value)
    out.data = op.float_forward([c.data for c in children], 0.0, arg)
    out.grad = 0.0
    out.label = ""
    out._birth = next(_births)
    if _grad_enabled:
        out.children = children
        out._entry = op
        out._arg = arg
    else:
        out.children = ()
        out._entry = None
        out._arg = None
    if _anomaly and not math.isfinite(out.data):
        ins = ", ".join(f"{_name(c)}={c.data!r}" for c in children)
        raise AnomalyError(f"forward: op {op.name!r} produced {out.data!r} from ({ins})")
    return out


def apply(op: Op | str, *operands: Operand, arg: Number | None = None) -> Value:
    """Apply a table op (an :class:`~microgradnet.ops.Op` or its name) to operands.

    Numbers are wrapped as constant leaves. Raises ``TypeError``/``ValueError`` for a wrong
    operand count or type, ``KeyError`` for an unknown op name.
    """
    entry = OPS[op] if isinstance(op, str) and op in OPS else op
    if not isinstance(entry, Op):
        raise KeyError(f"no op named {op!r}; known ops: {', '.join(OPS)}")
    if entry.variadic:
        if not operands or len(operands) % len(entry.params):
            raise ValueError(
                f"op {entry.name!r} takes {len(entry.params)} equal, non-empty groups of operands "
                f"({', '.join(entry.params)}), got {len(operands)} operands"
            )
    elif len(operands) != len(entry.params):
        raise ValueError(f"op {entry.name!r} takes {len(entry.params)} operand(s), got {len(operands)}")
    if bool(entry.arg) != (arg is not None):
        need = f"the constant argument {entry.arg}=" if entry.arg else "no constant argument"
        raise ValueError(f"op {entry.name!r} takes {need}, got arg={arg!r}")
    if all(map(isinstance, operands, _VALUE)):
        children: tuple[Value, ...] = operands  # type: ignore[assignment]  # all Values: checked
    else:
        children = tuple(map(_lift, operands))
    return _make(entry, children, None if arg is None else _to_float(arg, f"the argument of {entry.name}"))


_VALUE = itertools.repeat(Value)  # all(map(isinstance, xs, _VALUE)): "is every x a Value?" in C
_births = itertools.count()  # hands out Value._birth

_ADD, _SUB, _MUL, _DIV, _NEG = OPS["add"], OPS["sub"], OPS["mul"], OPS["div"], OPS["neg"]
_POW, _POWN, _ABS, _EXP, _LOG = OPS["pow"], OPS["pown"], OPS["abs"], OPS["exp"], OPS["log"]
_TANH, _RELU, _SIGMOID, _SIN, _COS, _SQRT = (
    OPS["tanh"],
    OPS["relu"],
    OPS["sigmoid"],
    OPS["sin"],
    OPS["cos"],
    OPS["sqrt"],
)


# ---- graph order ---------------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after its operands, ``root`` last.

    Iterative depth-first search with an explicit stack, so depth is limited only by memory.
    The order is deterministic: operands are visited left to right. Raises ``TypeError`` when
    ``root`` is not a ``Value``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order() expects a Value, got {type(root).__name__}")
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children) if c not in seen)
    return order


def _creation_order(*roots: Value) -> list[Value]:
    """The nodes of :func:`topological_order` (of every root), sorted by creation index instead.

    A node is created after its operands, so creation order is also a valid topological order
    (operands first, the last root last). Finding the nodes needs no post-order bookkeeping and
    the sort runs in C, which makes this cheaper than the depth-first search; ``backward`` and
    the compiler's tracer use it.
    """
    seen = set(roots)
    stack = list(roots)
    while stack:
        for child in stack.pop().children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(seen, key=_BIRTH)


_BIRTH = attrgetter("_birth")


def _name(node: Value) -> str:
    if node.label:
        return repr(node.label)
    return f"<{node.op or 'leaf'} node>"


def _backward_checked(order: list[Value]) -> None:
    """The backward loop with a finiteness check on every gradient (``detect_anomaly``)."""
    for node in reversed(order):
        op = node._entry
        if op is None:
            continue
        local = op.local_grads([c.data for c in node.children], node.data, node._arg)
        for k, (child, d) in enumerate(zip(node.children, local)):
            child.grad += d * node.grad
            if not math.isfinite(child.grad):
                raise AnomalyError(
                    f"backward: op {op.name!r} at node {_name(node)} gave the non-finite gradient "
                    f"{child.grad!r} to its operand {op.param_of(k, len(node.children))} = "
                    f"{_name(child)} (local derivative {op.grad_formula(k, len(node.children))} = "
                    f"{d!r}, upstream {node.grad!r})"
                )


# ---- gradients as values -------------------------------------------------------------------

_value_grads: dict[Op, Callable[..., Any]] = {}


def _value_functions() -> dict[str, Any]:
    """The functions a derivative formula may call, acting on ``Value``\\s."""
    funcs: dict[str, Any] = {}
    for name in FLOAT_FUNCTIONS:
        entry = OPS.get(name)
        if entry is not None and not entry.variadic:
            funcs[name] = functools.partial(apply, entry)
    # piecewise-constant functions: their derivative is 0, so a float is the exact answer
    funcs["step"] = lambda v: step(_data(v))
    funcs["sign"] = lambda v: sign(_data(v))
    funcs["iszero"] = lambda v: iszero(_data(v))
    funcs["abs"] = abs
    funcs["pow"] = lambda a, b: _lift(a) ** b
    funcs["div"] = lambda a, b: _lift(a) / b
    return funcs


def _local_grads_as_values(node: Value) -> Sequence[Value | float]:
    op = node._entry
    assert op is not None
    fn = _value_grads.get(op)
    if fn is None:
        fn = _value_grads[op] = op.compile_grads(_value_functions())
    result: Sequence[Value | float] = fn(node.children, node, node._arg)
    return result


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
) -> Any:
    """``∂output/∂input`` for each input, without touching any ``.grad``.

    Returns a ``Value`` per input (a tuple when ``inputs`` is a sequence, a single ``Value`` when
    it is one ``Value``). An input ``output`` does not depend on gets 0. With
    ``create_graph=True`` the results are graphs over the inputs and can be differentiated again
    (second, third, ... derivatives); otherwise they are constant leaves.

    Raises:
        TypeError: ``output`` or an input is not a ``Value``.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad() needs a Value as output, got {type(output).__name__}")
    if not isinstance(create_graph, bool):
        raise TypeError(f"grad() create_graph must be True or False, got {create_graph!r}")
    single = isinstance(inputs, Value)
    wanted: tuple[Value, ...] = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for x in wanted:
        if not isinstance(x, Value):
            raise TypeError(f"grad() inputs must be Values, got {type(x).__name__}")
    order = topological_order(output)
    results: tuple[Value, ...]
    if create_graph:
        vgrads: dict[Value, Value] = {output: Value(1.0)}
        for node in reversed(order):
            upstream = vgrads.get(node)
            if upstream is None or node._entry is None:
                continue
            for child, d in zip(node.children, _local_grads_as_values(node)):
                term = upstream if (not isinstance(d, Value) and d == 1) else d * upstream
                prev = vgrads.get(child)
                vgrads[child] = term if prev is None else prev + term
        results = tuple(vgrads.get(x) or Value(0.0) for x in wanted)
    else:
        # floats this time: no graph is built for the gradients themselves
        fgrads: dict[Value, float] = {output: 1.0}
        for node in reversed(order):
            if node._entry is None or node not in fgrads:
                continue
            up = fgrads[node]
            local = node._entry.local_grads([c.data for c in node.children], node.data, node._arg)
            for child, dl in zip(node.children, local):
                fgrads[child] = fgrads.get(child, 0.0) + dl * up
        results = tuple(Value(fgrads.get(x, 0.0)) for x in wanted)
    return results[0] if single else results


# ---- modes ---------------------------------------------------------------------------------


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad`."""
    return _grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block operations compute values but record no graph (results are leaves)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block the first non-finite value raises :class:`AnomalyError`.

    Forward: an op whose result is ``inf`` or ``nan``. Backward: a gradient that becomes
    non-finite. The message names the op, the node's label and the numbers involved.
    """
    global _anomaly
    previous, _anomaly = _anomaly, True
    try:
        yield
    finally:
        _anomaly = previous


# ---- user-defined ops ----------------------------------------------------------------------


class OpFunction:
    """A registered op as a function of ``Value``\\s (what :func:`define_op` returns)."""

    def __init__(self, op: Op, fn: Callable[..., float]) -> None:
        self.op = op
        functools.update_wrapper(self, fn)

    def __call__(self, *operands: Operand, **kwargs: Number) -> Value:
        arg = kwargs.pop(self.op.arg) if self.op.arg and self.op.arg in kwargs else None
        if kwargs:
            raise TypeError(f"{self.op.name}() got unexpected keyword argument(s) {sorted(kwargs)}")
        return apply(self.op, *operands, arg=arg)

    def __repr__(self) -> str:
        return f"<op function {self.op.name}: grads {list(self.op.grads)}>"


def _iter_or_empty(x: Any) -> Iterable[Any]:
    """``x`` if it can be iterated, else a tuple holding it (so a check over it fails)."""
    try:
        iter(x)
    except TypeError:
        return (x,)
    return x  # type: ignore[no-any-return]


def define_op(
    *,
    grads: Sequence[str],
    name: str | None = None,
    symbol: str | None = None,
    domain: Sequence[Domain] | None = None,
    rule: str = "",
    template: str = "",
    commutative: bool = False,
    gate: str | Sequence[str] = "",
    kind: str = "function",
    replace: bool = False,
) -> Callable[[Callable[..., float]], OpFunction]:
    """Decorator: turn a float function into a differentiable op of the table.

    The function's parameter names name the operands; ``grads`` gives one local-derivative
    formula per parameter, over the parameters and ``out``::

        @define_op(grads=["sigmoid(x)"])
        def softplus(x: float) -> float:
            return math.log1p(math.exp(-abs(x))) + max(x, 0.0)

        y = softplus(Value(0.5))   # a Value; drawn, traced and gradchecked like tanh

    ``commutative``, ``gate`` and ``kind`` tell the pictures and the narration how to show it
    (:func:`~microgradnet.ops.register_op`). Raises ``ValueError`` as ``register_op`` does, and
    ``TypeError`` at once when ``grads`` is not a sequence of formula strings.
    """
    if isinstance(grads, str) or not all(isinstance(g, str) for g in _iter_or_empty(grads)):
        raise TypeError(
            f"define_op: grads must be a list of formula strings, one per parameter, got {grads!r}"
        )

    def decorate(fn: Callable[..., float]) -> OpFunction:
        op = register_op(
            name or fn.__name__,
            forward=fn,
            grads=grads,
            symbol=symbol,
            domain=domain,
            rule=rule,
            template=template,
            commutative=commutative,
            gate=gate,
            kind=kind,
            replace=replace,
        )
        return OpFunction(op, fn)

    return decorate
