"""The op table on NumPy arrays: the primitives, and each row's formulas compiled for arrays.

A tape step evaluates an op on a whole block of nodes and samples at once: its operands arrive
stacked, shape ``(operands, nodes, samples)`` (a shared operand, such as a parameter, has one
sample column, and broadcasts). The row's formula strings are compiled against
:data:`NUMPY_FUNCTIONS`, the NumPy versions of :data:`~microgradnet.ops.FLOAT_FUNCTIONS`, so the
compiled path computes what the op table says and nothing is written per op.

Two rewrites make a formula that is fine on floats run on arrays:

* Python's conditionals become element-wise ones: ``a if c else b`` is ``where(c, a, b)``,
  ``and``/``or``/``not`` are ``logical_and``/``logical_or``/``logical_not``, ``0 < x < 1`` is
  ``(0 < x) & (x < 1)``, and ``float(x)`` keeps ``x`` as an array of floats.
* A variadic op's formula for operand ``i`` (``"w[i]"``) is evaluated once with ``i`` standing
  for every index, giving the whole group as one array.

An op whose forward is a Python function rather than a formula (``define_op``) runs that very
function element by element: exact, slow, and said so by :attr:`ArrayOp.elementwise` (which
``CompiledStep.describe()`` prints). Each compiled op is checked once against the op's float
functions on sample points of its domain; an op whose formulas fail on arrays or disagree is a
:class:`~microgradnet.compile.CompileError` naming it (``fit`` then trains eagerly, with a
warning).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microgradnet.compile.errors import CompileError
from microgradnet.ops import FLOAT_FUNCTIONS, OPS, Op

__all__ = ["INTO", "NUMPY_FUNCTIONS", "ArrayOp", "ArrayOps", "FloatArray", "array_formula"]

FloatArray = NDArray[np.float64]


def _sigmoid(x: Any) -> Any:
    z = np.exp(-np.abs(x))  # never overflows; the same two formulas as ops.sigmoid
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _step(x: Any) -> Any:
    return np.where(x > 0, 1.0, np.where(np.isnan(x), np.nan, 0.0))


def _dot(x: Any, w: Any) -> Any:
    """``Σ_i x[i]·w[i]`` over axis 0; a matrix product when one side is shared by every node
    (shape ``(n, nodes, 1)``) and the other by every sample (``(n, 1, samples)``): a layer."""
    if x.ndim == 3 and w.ndim == 3:
        if x.shape[1] == 1 and w.shape[2] == 1:  # per-sample inputs, shared weights: W @ X
            return np.matmul(w[:, :, 0].T, x[:, 0, :])
        if w.shape[1] == 1 and x.shape[2] == 1:
            return np.matmul(x[:, :, 0].T, w[:, 0, :])
    return np.sum(np.multiply(x, w), axis=0)


def _dot_into(x: Any, w: Any, out: Any) -> None:
    """:func:`_dot` written into ``out`` (the same products, no new array)."""
    if x.ndim == 3 and w.ndim == 3:
        if x.shape[1] == 1 and w.shape[2] == 1:
            np.matmul(w[:, :, 0].T, x[:, 0, :], out=out)
            return
        if w.shape[1] == 1 and x.shape[2] == 1:
            np.matmul(x[:, :, 0].T, w[:, 0, :], out=out)
            return
    np.copyto(out, _dot(x, w))


def _sum(xs: Any) -> Any:
    return np.sum(xs, axis=0)


def _sum_into(xs: Any, out: Any) -> None:
    if isinstance(xs, np.ndarray):
        np.add.reduce(xs, axis=0, out=out)  # (what np.sum calls)
    else:
        np.copyto(out, _sum(xs))


def _maximum(xs: Any) -> Any:
    if not isinstance(xs, np.ndarray):  # a list of operands, maybe of different shapes
        xs = np.stack(np.broadcast_arrays(*xs))
    return np.max(xs, axis=0)  # (propagates nan, as ops.maximum)


def _maximum_into(xs: Any, out: Any) -> None:
    if isinstance(xs, np.ndarray):
        np.maximum.reduce(xs, axis=0, out=out)  # (what np.max calls)
    else:
        np.copyto(out, _maximum(xs))


#: NumPy versions of the primitives in :data:`~microgradnet.ops.FLOAT_FUNCTIONS`, with the same
#: IEEE results. Variadic ones (``sum``, ``dot``, ``max``) take their operands stacked along
#: axis 0. A test checks every built-in op's compiled formulas against its float functions.
NUMPY_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "div": np.divide,
    "pow": np.power,
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.where(x <= 0, 0.0, x),
    "sin": np.sin,
    "cos": np.cos,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "step": _step,
    "sign": np.sign,
    "iszero": lambda x: np.where(x == 0, 1.0, 0.0),
    "sum": _sum,
    "dot": _dot,
    "max": _maximum,
}

#: Functions of :data:`NUMPY_FUNCTIONS` that are not NumPy ufuncs but can write their result
#: into a given array: ``INTO[f](*args, out=array)`` computes exactly ``f(*args)`` there. The
#: generated code of :mod:`~microgradnet.compile.program` uses them (ufuncs take ``out=``
#: themselves); any other function's result is computed as is and then copied.
INTO: dict[Callable[..., Any], Callable[..., None]] = {
    _sum: _sum_into,
    _dot: _dot_into,
    _maximum: _maximum_into,
}

# what the rewritten formulas call (names a formula cannot use itself: they are not in the table)
_REWRITE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "_where": np.where,
    "_and": np.logical_and,
    "_or": np.logical_or,
    "_not": np.logical_not,
    "float": lambda x: np.asarray(x, dtype=float),
}


class _ForArrays(ast.NodeTransformer):
    """Python's scalar control flow in a formula, rewritten element-wise (module docstring)."""

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        return _call("_where", node.test, node.body, node.orelse)

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        name = "_and" if isinstance(node.op, ast.And) else "_or"
        result = node.values[0]
        for value in node.values[1:]:
            result = _call(name, result, value)
        return result

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        return _call("_not", node.operand) if isinstance(node.op, ast.Not) else node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        left, parts = node.left, []
        for op, right in zip(node.ops, node.comparators):
            parts.append(ast.Compare(left=left, ops=[op], comparators=[right]))
            left = right
        result: ast.expr = parts[0]
        for part in parts[1:]:
            result = _call("_and", result, part)
        return result


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def array_formula(src: str) -> str:
    """A formula rewritten to run element-wise on arrays (``"x if x > 0 else 0.1 * x"`` becomes
    ``"_where(x > 0, x, 0.1 * x)"``); a formula without conditionals comes back unchanged."""
    tree = _ForArrays().visit(ast.parse(src.strip(), mode="eval"))
    return ast.unparse(ast.fix_missing_locations(tree))


@dataclass(frozen=True)
class ArrayOp:
    """One row of the op table compiled for arrays.

    ``forward(xs, n)`` takes the operands: for a fixed-arity op one array per operand (or
    them stacked, shape ``(operands, nodes, samples)``), for a variadic op one array per
    *group* (per parameter of the row), shape ``(operands in the group, nodes, samples)``; a
    shared operand may have size 1 along nodes or samples and broadcasts. It returns
    ``(nodes, samples)``. ``grads(xs, out, n)`` returns one local derivative per parameter of
    the row: per operand for a fixed-arity op, per group for a variadic op (each an array of
    the group's shape, or anything that broadcasts to it, such as a number).
    """

    op: Op
    forward: Callable[[Any, float | None], Any]
    grads: Callable[[Any, Any, float | None], Sequence[Any]]
    #: the forward is a Python function, run element by element (exact, not fast)
    elementwise: bool = False


def _codegen(op: Op, exprs: Sequence[str], namespace: dict[str, Any], several: bool) -> Callable[..., Any]:
    """``f(_xs, out, n)`` evaluating ``exprs`` on stacked operand arrays (one result, or a tuple).

    A variadic op's groups are slices of ``_xs`` and ``i`` is every index at once.
    """
    codes = [array_formula(src) for src in exprs]
    head = f"    {', '.join(op.params)}, = _xs\n"
    if op.variadic:  # _xs holds one array per group; i is every index of a group at once
        head += "    i = slice(None)\n"
    body = f"({', '.join(codes)},)" if several else codes[0]
    text = f"def _f(_xs, out, n):\n{head}    return {body}\n"
    scope: dict[str, Any] = dict(namespace)
    exec(compile(text, f"<array op {op.name}>", "exec"), scope)
    fn: Callable[..., Any] = scope["_f"]
    return fn


class ArrayOps:
    """The ops of one tape compiled for arrays, each once; :meth:`get` compiles and checks.

    The namespace holds :data:`NUMPY_FUNCTIONS`, and for every op registered with
    ``register_op`` (whose name later formulas may call) its own compiled forward.
    """

    def __init__(self) -> None:
        self._ops: dict[Op, ArrayOp] = {}
        self._namespace: dict[str, Any] = {**NUMPY_FUNCTIONS, **_REWRITE_FUNCTIONS}
        for name in FLOAT_FUNCTIONS:
            if name not in self._namespace:
                self._namespace[name] = self._as_function(name)

    @property
    def namespace(self) -> dict[str, Any]:
        """What the compiled formulas call, by name (a copy)."""
        return dict(self._namespace)

    def _as_function(self, name: str) -> Callable[..., Any]:
        """A registered op callable by name on arrays; a bare function added to FLOAT_FUNCTIONS
        (no op, no array version) raises :class:`CompileError` when a formula calls it."""
        op = OPS.get(name)
        if op is None:

            def missing(*operands: Any) -> Any:
                raise CompileError(
                    f"{name!r} is a float function with no array version: add one to "
                    f"microgradnet.compile.NUMPY_FUNCTIONS, or register it as an op"
                )

            return missing

        def call(*operands: Any) -> Any:
            entry = self.get(op)
            if op.variadic:
                return entry.forward(operands, None)
            args = operands[:-1] if op.arg else operands
            arg = operands[-1] if op.arg else None
            return entry.forward(np.stack(np.broadcast_arrays(*args)), arg)

        return call

    def get(self, op: Op) -> ArrayOp:
        """``op`` compiled for arrays; raises :class:`CompileError` when its formulas do not
        run on arrays or disagree with its float functions."""
        entry = self._ops.get(op)
        if entry is None:
            entry = self._ops[op] = self._compile(op)
        return entry

    def _compile(self, op: Op) -> ArrayOp:
        try:
            grads = _codegen(op, op.grads, self._namespace, several=True)
            if isinstance(op.forward, str):
                fwd = _codegen(op, [op.forward], self._namespace, several=False)
                entry = ArrayOp(op, lambda xs, n: fwd(xs, None, n), grads)
            else:
                entry = ArrayOp(op, _elementwise_forward(op), grads, elementwise=True)
        except SyntaxError as exc:  # pragma: no cover - register_op parsed the formulas already
            raise CompileError(f"op {op.name!r}: a formula does not parse ({exc})") from None
        _check(entry)
        return entry


def _elementwise_forward(op: Op) -> Callable[[Any, float | None], Any]:
    """An op's Python forward function applied to every element (the module docstring)."""
    one = op.float_forward

    def forward(xs: Any, n: float | None) -> Any:
        rows = [row for group in xs for row in group] if op.variadic else list(xs)
        stacked = np.broadcast_arrays(*[np.asarray(r, dtype=float) for r in rows])
        if op.variadic:
            out = np.empty(stacked[0].shape)
            for index in np.ndindex(out.shape):
                out[index] = one([float(a[index]) for a in stacked], 0.0, n)
            return out
        ufunc = np.frompyfunc(lambda *x: one(x, 0.0, n), len(stacked), 1)
        return np.asarray(ufunc(*stacked), dtype=float)

    return forward


def _sample_points(op: Op) -> tuple[list[list[float]], float | None]:
    """A few operand tuples inside the op's domain (two per variadic group), and its arg."""
    rows = []
    for t in (0.25, 0.5, 0.8):
        point = []
        for d in op.domain:
            x = d.lo + t * (d.hi - d.lo)
            while not d.contains(x):
                x += d.margin
            other = x * 0.5 + d.lo * 0.5
            point += [x, other if d.contains(other) else x] if op.variadic else [x]
        rows.append(point)
    arg = None
    if op.arg:
        ad = op.arg_domain
        arg = 2.0 if ad is None or ad.contains(2.0) else ad.lo + 0.5 * (ad.hi - ad.lo)
    return rows, arg


def _check(entry: ArrayOp) -> None:
    """Compare the array forward and derivatives with the op's float functions."""
    op = entry.op
    rows, arg = _sample_points(op)
    xs = np.array(rows, dtype=float).T[:, None, :]  # (operands, 1 node, samples)
    operands: Any = xs
    if op.variadic:
        per = len(xs) // len(op.params)
        operands = [xs[g * per : (g + 1) * per] for g in range(len(op.params))]
    try:
        with np.errstate(all="ignore"):
            out = np.broadcast_to(np.asarray(entry.forward(operands, arg), dtype=float), xs.shape[1:])
            grads = _per_operand(op, entry.grads(operands, out, arg), xs.shape)
    except Exception as exc:
        raise CompileError(
            f"op {op.name!r} cannot run on arrays ({type(exc).__name__}: {exc}); its formulas are "
            f"{op.forward!r} and {list(op.grads)}. Train it eagerly (fit(..., compile=False))"
        ) from None
    for s, row in enumerate(rows):
        want = op.float_forward(row, 0.0, arg)
        local = op.local_grads(row, want, arg)
        got = [float(out[0, s])] + [float(g[0, s]) for g in grads]
        names = ["forward", *(f"derivative {k}" for k in range(len(row)))]
        for what, a, b in zip(names, got, [want, *local]):
            if not (a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(b))):
                raise CompileError(
                    f"op {op.name!r}: its {what} on arrays gives {a!r} where the op table gives {b!r} "
                    f"at {row}; train it eagerly (fit(..., compile=False))"
                )


def _per_operand(op: Op, local: Sequence[Any], shape: tuple[int, ...]) -> list[Any]:
    """The local derivatives of :attr:`ArrayOp.grads` as one ``(nodes, samples)`` array per operand."""
    if not op.variadic:
        return [np.broadcast_to(np.asarray(d, dtype=float), shape[1:]) for d in local]
    per = shape[0] // len(op.params)
    out: list[Any] = []
    for d in local:
        out += list(np.broadcast_to(np.asarray(d, dtype=float), (per, *shape[1:])))
    return out
