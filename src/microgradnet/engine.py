"""The engine: ``Value``, one number that remembers how it was computed, and ``backward()``.

A ``Value`` holds ``data`` (a float), ``grad`` (a float), the ``children`` it was computed from
(an ordered tuple: ``a*a`` keeps both operands) and the op-table entry that computed it. All the
calculus lives in :mod:`microgradnet.ops`; this file only builds graphs and walks them:

* an arithmetic operator looks up its row of the op table, computes the row's forward on the
  operands' numbers and records the node (``_make``);
* ``backward()`` puts the graph in creation order (a node is always made after its operands,
  so no recursion is needed) and runs **the backward walk**, ``_backprop``: from the output back
  to the inputs, each node adds ``local derivative × its gradient`` into each operand
  (``op.push_grads``: the row's derivative formulas, compiled once into that one step);
* the same walk, with a step of its own, gives ``grad()``, anomaly mode and the stepper's trace
  (:func:`microgradnet.viz.trace_backward`): one loop, so they agree with ``backward()`` bit for
  bit; ``grad(..., create_graph=True)`` evaluates the derivative formulas on ``Value``\\s, so
  the backward pass is itself a graph that can be differentiated again;
* ``no_grad()`` and ``detect_anomaly()`` are modes of the current thread (or async task).

Nodes hold no closures and point only at their operands, so a graph has no reference cycles and
is freed by reference counting the moment it is dropped. micrograd's names (``Value(data,
_children, _op)``, ``_prev``, ``_op``, ``_backward()``) are translated by
:mod:`microgradnet._micrograd`; the compiler's read watch lives in :mod:`microgradnet._watch`.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from operator import attrgetter
from typing import Any, NamedTuple, Union

from microgradnet._micrograd import entry_of_key, hand_made, op_key, op_string, refuse_unknown
from microgradnet.ops import FLOAT_FUNCTIONS, OPS, Domain, Op, iszero, register_op, sign, step

__all__ = [
    "AnomalyError",
    "Value",
    "apply",
    "define_op",
    "detect_anomaly",
    "grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]

Number = Union[int, float]
Operand = Union["Value", int, float]


class AnomalyError(ArithmeticError):
    """Raised inside :func:`detect_anomaly` at the first non-finite value."""


class _Mode(NamedTuple):
    """What the current thread (or async task) is inside of; see :func:`no_grad`."""

    grad: bool = True  # False inside no_grad()
    anomaly: bool = False  # True inside detect_anomaly()
    watch: Any = None  # a read recorder of microgradnet._watch, or None


_MODE: ContextVar[_Mode] = ContextVar("microgradnet_mode", default=_Mode())  # noqa: B039 (immutable)
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


def _binary(name: str, swap: bool = False) -> Callable[[Value, Operand], Value]:
    """The method behind ``a <op> b`` for the table row ``name``; with ``swap``, the reflected
    form (``2 * a`` calls ``a.__rmul__(2)``, which computes ``mul(2, a)``)."""
    op = OPS[name]

    def method(self: Value, other: Operand) -> Any:
        operand = other if type(other) is Value else _lift(other)
        if operand is NotImplemented:
            return NotImplemented  # Python then tries the other operand, or raises TypeError
        return _make(op, (operand, self) if swap else (self, operand))

    method.__name__ = f"__{'r' if swap else ''}{name.replace('div', 'truediv')}__"
    return method


class Value:
    """A scalar that records the computation graph that produced it.

    ``Value(data, label="a")`` (or ``Value(data, "a")``) makes a leaf. micrograd's
    ``Value(data, _children, _op)`` makes a node by hand: ``Value(a.data + b.data, (a, b),
    '+')`` is the node ``a + b`` (micrograd's op strings name rows of the op table).

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> e = a * b; e.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
    """

    __slots__ = ("__weakref__", "_arg", "_birth", "_entry", "_label", "children", "data", "grad")

    data: float
    grad: float
    _label: str  # the slot behind ``label``, written directly where a node is made
    children: tuple[Value, ...]
    _entry: Op | None  # the op-table entry that computed this node; None for a leaf
    _arg: float | None
    _birth: int  # creation index: a node is always born after its operands

    def __init__(
        self,
        data: Number,
        _children: tuple[Value, ...] | str = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        # micrograd's signature; a str in the second place is the label: Value(2.0, "a")
        if isinstance(_children, str):
            if _op or label:
                raise TypeError(f"Value() got the label {_children!r} and then _op or label as well")
            label, _children = _children, ()
        if not isinstance(label, str):
            raise TypeError(f"Value() label must be a str, got {label!r} ({type(label).__name__})")
        self.data = _to_float(data, "Value()")
        self.grad = 0.0
        self._label = label
        self.children = ()
        self._entry = None
        self._arg = None
        self._birth = next(_births)
        if _children or _op:  # a node made by hand, as micrograd's operators do
            mode = _MODE.get()
            if mode.grad:
                self.children, self._entry, self._arg = hand_made(_children, _op)
            if mode.watch is not None:
                mode.watch.adopt(self)

    # ---- what it is ------------------------------------------------------------------------

    @property
    def op(self) -> str:
        """The name of the op that computed this value (``"mul"``), ``""`` for a leaf."""
        return self._entry.name if self._entry is not None else ""

    @property
    def label(self) -> str:
        """The name drawn for this value (``"a"``), ``""`` for none."""
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        # labels are set rarely (by hand, or once per parameter): checked here, not when drawn
        if not isinstance(text, str):
            raise TypeError(f"Value.label must be a str, got {text!r} ({type(text).__name__})")
        self._label = text

    @property
    def arg(self) -> float | None:
        """The op's constant argument (the ``n`` of ``x ** n``), or ``None``."""
        return self._arg

    # micrograd's names, so the lecture's cells run as written (microgradnet._micrograd)
    @property
    def _prev(self) -> set[Value]:
        """micrograd's name: the set of operands (``children`` keeps their order and repeats)."""
        return set(self.children)

    @property
    def _op(self) -> str:
        """micrograd's op string: ``'+'``, ``'*'``, ``'**2'``, ``'tanh'``, ``'ReLU'``, ``''`` for a leaf."""
        return op_string(self._entry, self._arg)

    def _backward_step(self) -> None:
        """This node's own chain-rule step, ``operand.grad += local × self.grad`` for each
        operand (nothing for a leaf)."""
        if self._entry is not None:
            self._entry.push_grads(self.children, self.data, self._arg, self.grad)

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's name: this node's own chain-rule step, called as ``node._backward()``
        (``operand.grad += local × self.grad`` for each operand; nothing for a leaf).
        ``backward()`` runs it for every node in order.

        It cannot be replaced: the chain rule of an op lives in the op table, so assigning
        ``out._backward = fn`` (micrograd's way to add an op) is an ``AttributeError`` that says
        to use :func:`~microgradnet.define_op` or :func:`~microgradnet.register_op` instead.
        """
        return self._backward_step

    @_backward.setter
    def _backward(self, fn: object) -> None:
        raise AttributeError(
            "a Value's _backward cannot be replaced: microgradnet keeps each op's chain rule in the "
            "op table, not on the node. Define the op once, with its local derivative, by decorating "
            "its float function with @microgradnet.define_op(grads=[...]) (or with "
            "microgradnet.register_op), then call it on Values; see docs/howto/new-op.md"
        )

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

    # Reading the number, as for a Python float (a Value has no __bool__: like micrograd's, it
    # is always true, so `if v:` does not depend on the number).
    def __float__(self) -> float:
        return self.data

    def __int__(self) -> int:
        return int(self.data)

    def __round__(self, ndigits: int | None = None) -> float | int:
        return round(self.data, ndigits)

    def __trunc__(self) -> int:
        return math.trunc(self.data)

    def __floor__(self) -> int:
        return math.floor(self.data)

    def __ceil__(self) -> int:
        return math.ceil(self.data)

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else str(self)  # f"{v:.3f}" formats the number

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

    __add__ = _binary("add")  # self + other
    __radd__ = _binary("add", swap=True)  # other + self
    __sub__ = _binary("sub")
    __rsub__ = _binary("sub", swap=True)
    __mul__ = _binary("mul")
    __rmul__ = _binary("mul", swap=True)
    __truediv__ = _binary("div")
    __rtruediv__ = _binary("div", swap=True)
    __rpow__ = _binary("pow", swap=True)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _make(_POW, (self, other))
        return _make(_POWN, (self,), _to_float(other, "the exponent of Value ** n"))

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

    def detach(self) -> Value:
        """The same number, but no gradient flows back through it (the ``detach`` row: ∂/∂x = 0).

        Unlike PyTorch's ``detach()``, the result is a node of the graph (so a compiled tape
        recomputes it for every input); only the gradient stops there.
        """
        return _make(_DETACH, (self,))

    # ---- backpropagation ---------------------------------------------------------------------

    def backward(self) -> None:
        """Fill ``.grad`` of every node this value depends on with ``∂self/∂node``.

        Seeds ``self.grad = 1``. Interior nodes are recomputed on every call; leaves
        accumulate, so calling twice doubles a leaf's gradient (call ``zero_grad`` or set
        ``leaf.grad = 0`` between steps).
        """
        if _MODE.get().anomaly:  # the same walk into a dictionary, every edge checked, then stored
            order, grads = _backward_into(self, _check_finite)
            for node in order:
                node.grad = grads[node]
            return
        order = _creation_order(self)
        refuse_unknown(order)  # a hand-made node with an unknown op string: refuse, changing nothing
        for node in order:
            if node._entry is not None:
                node.grad = 0.0
        self.grad += 1.0
        _backprop(order)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 for this value and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0

    # ---- pickling ----------------------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle a leaf by its number, grad and label; a node with the graph it depends on.

        Ops are kept by name and loaded nodes get fresh creation indices (operands first), so a
        graph loaded in another process, after other ``Value``\\s were made, is still in order.
        Interior nodes are written flat (no recursion, so deep graphs pickle too); leaves keep
        their identity within one pickle, interior nodes shared by two pickled outputs are
        copied into each.
        """
        if self._entry is None:
            return Value, (self.data, self.label), (None, {"grad": self.grad})
        order = _creation_order(self)
        position = {node: k for k, node in enumerate(order)}
        records = [
            node
            if node._entry is None
            else (node.data, node.grad, node.label, op_key(node._entry), node._arg,
                  tuple(position[c] for c in node.children))
            for node in order
        ]  # fmt: skip
        return _unpickle_graph, (records,)


# ---- building nodes ------------------------------------------------------------------------


def _data(x: Operand) -> float:
    return x.data if isinstance(x, Value) else _to_float(x, "comparison with a Value")


def _lift(x: object) -> Any:
    """``x`` as a ``Value``: a number becomes a constant leaf; anything else gives ``NotImplemented``."""
    if type(x) is float:  # exact types first: an isinstance check against numbers.Real is slow
        data = x
    elif isinstance(x, Value):
        return x
    elif type(x) is int or isinstance(x, numbers.Real):
        data = _to_float(x, "an arithmetic operation on a Value")
    else:
        return NotImplemented
    out = _new(Value)  # a leaf, made without __init__'s checks
    out.data = data
    out.grad = 0.0
    out._label = ""
    out.children = ()
    out._entry = None
    out._arg = None
    out._birth = next(_births)
    return out


def _make_fast(op: Op, children: tuple[Value, ...], arg: float | None = None) -> Value:
    """Compute ``op`` on ``children`` and record the node: ``_make`` while no thread is in a mode."""
    out = _new(Value)
    out.data = op.node_forward(children, arg)
    out.grad = 0.0
    out._label = ""
    out.children = children
    out._entry = op
    out._arg = arg
    out._birth = next(_births)
    return out


def _make_careful(op: Op, children: tuple[Value, ...], arg: float | None = None) -> Value:
    """``_make`` while some thread is inside ``no_grad``, ``detect_anomaly`` or a read watch.

    It follows the current context's mode: no graph inside ``no_grad``, a check for non-finite
    results inside ``detect_anomaly``, every new node handed to the read watch (whose operands
    are read through the raw slot, so the engine's own reads never count as the user's).
    """
    mode = _MODE.get()
    out = _new(Value)
    if mode.watch is None:
        out.data = data = op.node_forward(children, arg)
    else:  # the raw slot: a watched operand's .data would count as the user's read
        out.data = data = op.float_forward([_raw_data(c) for c in children], 0.0, arg)
    out.grad = 0.0
    out._label = ""
    out._birth = next(_births)
    if mode.grad:
        out.children, out._entry, out._arg = children, op, arg
    else:
        out.children, out._entry, out._arg = (), None, None
    if mode.watch is not None:
        mode.watch.adopt(out)
    if mode.anomaly and not math.isfinite(data):
        ins = ", ".join(f"{_name(c)}={_raw_data(c)!r}" for c in children)
        raise AnomalyError(f"forward: op {op.name!r} produced {data!r} from ({ins})")
    return out


_make = _make_fast  # rebound to _make_careful while any thread is in a mode (see _in_mode)


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
        who = f"apply({entry.name!r}, ...)"
        children = tuple(x if isinstance(x, Value) else _lift(_to_float(x, who)) for x in operands)
    return _make(entry, children, None if arg is None else _to_float(arg, f"the argument of {entry.name}"))


_VALUE = itertools.repeat(Value)  # all(map(isinstance, xs, _VALUE)): "is every x a Value?" in C
_births = itertools.count()  # hands out Value._birth
_new = object.__new__
_raw_data = Value.__dict__["data"].__get__  # the slot itself, past any subclass's property

_NEG, _POW, _POWN, _ABS, _EXP, _LOG = OPS["neg"], OPS["pow"], OPS["pown"], OPS["abs"], OPS["exp"], OPS["log"]
_TANH, _RELU, _SIGMOID, _SIN, _COS = OPS["tanh"], OPS["relu"], OPS["sigmoid"], OPS["sin"], OPS["cos"]
_SQRT, _DETACH = OPS["sqrt"], OPS["detach"]


def _unpickle_graph(records: list[Any]) -> Value:
    """Rebuild what ``Value.__reduce__`` wrote: nodes in order, each with a new creation index."""
    nodes: list[Value] = []
    for rec in records:
        if not isinstance(rec, Value):
            data, grad_, label, key, arg, positions = rec
            children = tuple(nodes[k] for k in positions)
            rec = _new(Value)
            rec.data, rec.grad, rec.label, rec.children = data, grad_, label, children
            rec._entry, rec._arg, rec._birth = entry_of_key(key, len(children)), arg, next(_births)
        nodes.append(rec)
    return nodes[-1]


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


# ---- the backward walk ---------------------------------------------------------------------
# One loop sends every gradient from outputs to operands. backward() runs it with the fast step
# (op.push_grads, on the nodes' .grad); grad(), anomaly mode and viz.trace_backward run it with a
# step that keeps the gradients in a dictionary of its own and, for the trace, reports each edge.


def _backprop(order: list[Value], step: Callable[[Value, Op], None] | None = None) -> None:
    """The backward walk over ``order`` (a creation order): outputs first, each op node once.

    Each node sends its gradient to its operands, ``operand.grad += local derivative ×
    node.grad``: with ``op.push_grads`` on ``.grad`` when ``step`` is None (``backward()``),
    otherwise by calling ``step(node, op)``.
    """
    if _MODE.get().watch is not None:  # the engine's own reads are not the user's: pause a watch
        with _in_mode(watch=None):
            _backprop(order, step)
        return
    for node in reversed(order):
        op = node._entry
        if op is not None:
            if step is None:
                op.push_grads(node.children, node.data, node._arg, node.grad)
            else:
                step(node, op)


class _Edge(NamedTuple):
    """One edge of the walk: ``after = before + contribution`` into ``operand``."""

    node: Value
    op: Op
    position: int  # the operand's position among node.children
    operand: Value
    local: float  # ∂node/∂operand
    upstream: float  # ∂root/∂node
    contribution: float  # local * upstream
    before: float
    after: float


class _InDict:
    """A step that keeps float gradients in ``grads`` and reports each edge to ``on_edge``.

    Its arithmetic is ``push_grads``'s (``local_grads``, then ``before + local * upstream`` for
    each operand in order), so its gradients equal ``backward()``'s bit for bit.
    """

    def __init__(self, grads: dict[Value, float], on_edge: Callable[[_Edge], None] | None = None) -> None:
        self.grads = grads
        self.on_edge = on_edge

    def __call__(self, node: Value, op: Op) -> None:
        grads, on_edge = self.grads, self.on_edge
        upstream = grads[node]
        children = node.children
        local = op.local_grads([c.data for c in children], node.data, node._arg)
        for k, (child, d) in enumerate(zip(children, local)):
            before = grads[child]
            contribution = d * upstream
            grads[child] = after = before + contribution
            if on_edge is not None:
                on_edge(_Edge(node, op, k, child, d, upstream, contribution, before, after))


def _backward_into(
    root: Value, on_edge: Callable[[_Edge], None] | None = None
) -> tuple[list[Value], dict[Value, float]]:
    """What ``root.backward()`` would do, computed into a dictionary (no ``.grad`` changes).

    As in ``backward()``: interior nodes start from 0, leaves from the ``.grad`` they hold, and
    the root gets ``+= 1``. Returns the walk's order and the final gradients.
    """
    order = _creation_order(root)
    grads = {node: 0.0 if node._entry is not None else node.grad for node in order}
    grads[root] += 1.0
    _backprop(order, _InDict(grads, on_edge))
    return order, grads


def _name(node: Value) -> str:
    if node.label:
        return repr(node.label)
    return f"<{node.op or 'leaf'} node>"


def _check_finite(edge: _Edge) -> None:
    """Anomaly mode's check on every edge of the walk."""
    if not math.isfinite(edge.after):
        op, k, n = edge.op, edge.position, len(edge.node.children)
        raise AnomalyError(
            f"backward: op {op.name!r} at node {_name(edge.node)} gave the non-finite gradient "
            f"{edge.after!r} to its operand {op.param_of(k, n)} = {_name(edge.operand)} "
            f"(local derivative {op.grad_formula(k, n)} = {edge.local!r}, upstream {edge.upstream!r})"
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


def _value_step(grads: dict[Value, Value], node: Value, op: Op) -> None:
    """The walk's step for ``grad(create_graph=True)``: local derivatives as ``Value``\\s, so
    each gradient is itself a graph over the inputs."""
    upstream = grads[node]
    for child, d in zip(node.children, _local_grads_as_values(node)):
        term = upstream if (not isinstance(d, Value) and d == 1) else d * upstream
        prev = grads.get(child)
        grads[child] = term if prev is None else prev + term


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
) -> Any:
    """``∂output/∂input`` for each input, without touching any ``.grad``.

    Returns a ``Value`` per input (a tuple when ``inputs`` is a sequence, a single ``Value`` when
    it is one ``Value``). An input ``output`` does not depend on gets 0. With
    ``create_graph=True`` the results are graphs over the inputs and can be differentiated again
    (second, third, ... derivatives); otherwise they are constant leaves. Inside
    :func:`detect_anomaly`, a non-finite gradient raises :class:`AnomalyError` as in
    ``backward()``.

    Raises:
        TypeError: ``output`` or an input is not a ``Value``.
        AnomalyError: inside :func:`detect_anomaly`, at the first non-finite gradient.
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
    order = _creation_order(output)
    results: tuple[Value, ...]
    if create_graph:
        vgrads: dict[Value, Value] = {output: Value(1.0)}
        _backprop(order, functools.partial(_value_step, vgrads))
        results = tuple(vgrads[x] if x in vgrads else Value(0.0) for x in wanted)
    else:  # floats: no graph is built for the gradients themselves
        fgrads = dict.fromkeys(order, 0.0)
        fgrads[output] = 1.0
        _backprop(order, _InDict(fgrads, _check_finite if _MODE.get().anomaly else None))
        results = tuple(Value(fgrads.get(x, 0.0)) for x in wanted)
    return results[0] if single else results


# ---- modes ---------------------------------------------------------------------------------
# Each thread (and each async task) has a mode of its own, as in PyTorch. While no thread is in
# a mode, nodes are made by _make_fast, which checks none; entering a mode anywhere switches
# every thread to _make_careful, which reads the current context's mode.

_modes_lock = threading.Lock()
_modes_active = 0


@contextmanager
def _in_mode(**changes: Any) -> Iterator[None]:
    """Run a block with ``changes`` to this context's :class:`_Mode`."""
    global _make, _modes_active
    with _modes_lock:
        _modes_active += 1
        _make = _make_careful
    try:
        token = _MODE.set(_MODE.get()._replace(**changes))
        try:
            yield
        finally:
            _MODE.reset(token)
    finally:
        with _modes_lock:
            _modes_active -= 1
            if not _modes_active:
                _make = _make_fast


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad` (in this thread or async task)."""
    return _MODE.get().grad


def is_anomaly_enabled() -> bool:
    """True inside :func:`detect_anomaly` (in this thread or async task)."""
    return _MODE.get().anomaly


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block operations compute values but record no graph (results are leaves).

    The mode belongs to the current thread (or async task): other threads keep recording.
    """
    with _in_mode(grad=False):
        yield


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block the first non-finite value raises :class:`AnomalyError`.

    Forward: an op whose result is ``inf`` or ``nan``. Backward (``backward()`` and ``grad()``):
    a gradient that becomes non-finite. The message names the op, the node's label and the
    numbers involved. The mode belongs to the current thread (or async task).
    """
    with _in_mode(anomaly=True):
        yield


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
