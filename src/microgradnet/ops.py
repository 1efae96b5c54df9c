"""The op table: every operation described once.

Each entry says what an operation is called, how it is drawn, how to compute it, and its local
derivative with respect to each input, written as a formula of the inputs and of the output
``out``. Everything else reads this table:

* the engine computes values with ``op.forward`` and pushes gradients with ``op.local_grads``;
* higher-order gradients evaluate the *same* formulas on ``Value`` objects
  (``op.local_grads_value``), so the backward pass builds a graph of its own;
* the compiled tape evaluates the same formula strings on NumPy arrays;
* the pictures and the step-through trace print the formula and its number on each edge;
* the property tests sample each input from ``op.domain``.

A formula is a Python expression over the input names, ``out`` and (for ops with a constant
argument, like ``x ** n``) ``n``. It may call the primitive functions in :data:`FLOAT_FUNCTIONS`
(``exp``, ``log``, ``tanh``, ``sigmoid``, ``step``, ``sign``, ...). For plain floats, ``/`` and
``**`` are rewritten to IEEE-safe :func:`div` and :func:`pow`, so ``1 / 0`` is ``inf`` instead of a
``ZeroDivisionError``. This module imports nothing outside the standard library.
"""

from __future__ import annotations

import ast
import inspect
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FLOAT_FUNCTIONS",
    "GATES",
    "KINDS",
    "OPS",
    "Domain",
    "Op",
    "cos",
    "div",
    "dot",
    "exp",
    "get_op",
    "iszero",
    "log",
    "maximum",
    "pow",
    "register_op",
    "relu",
    "sigmoid",
    "sign",
    "sin",
    "sqrt",
    "step",
]

_INF = math.inf
_NAN = math.nan


# --------------------------------------------------------------------------------------------
# Primitive float functions, IEEE-754 style: they return inf / nan where Python would raise.
# --------------------------------------------------------------------------------------------


def _is_odd_integer(x: float) -> bool:
    return math.isfinite(x) and x == math.floor(x) and math.fmod(x, 2.0) != 0.0


def div(a: float, b: float) -> float:
    """``a / b`` with IEEE results: ``1/0 = inf``, ``-1/0 = -inf``, ``0/0 = nan``."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def pow(a: float, b: float) -> float:
    """``a ** b`` as C's ``pow``: a negative base with a fractional exponent gives ``nan``
    (never a complex number), ``0 ** -1`` gives ``inf`` and overflow gives ``±inf``."""
    try:
        return math.pow(a, b)
    except OverflowError:
        return -_INF if a < 0.0 and _is_odd_integer(b) else _INF
    except ValueError:
        if a == 0.0:  # zero to a negative power
            return math.copysign(_INF, a) if _is_odd_integer(b) else _INF
        return _NAN  # negative base, fractional exponent


def exp(x: float) -> float:
    """``e ** x``; ``exp(1000) = inf`` instead of ``OverflowError``."""
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def log(x: float) -> float:
    """Natural logarithm; ``log(0) = -inf`` and ``log(x < 0) = nan`` instead of ``ValueError``."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -_INF
    return _NAN


def sigmoid(x: float) -> float:
    """The logistic function ``1 / (1 + e**-x)``, computed without overflow for any ``x``."""
    if x >= 0.0:
        return 1.0 / (1.0 + exp(-x))
    z = exp(x)
    return z / (1.0 + z)


def relu(x: float) -> float:
    """``max(x, 0)``; ``relu(nan)`` is ``nan``."""
    return x if not x <= 0.0 else 0.0


def sin(x: float) -> float:
    """Sine; ``sin(±inf) = nan`` instead of ``ValueError``."""
    return math.sin(x) if math.isfinite(x) else _NAN


def cos(x: float) -> float:
    """Cosine; ``cos(±inf) = nan`` instead of ``ValueError``."""
    return math.cos(x) if math.isfinite(x) else _NAN


def sqrt(x: float) -> float:
    """Square root; ``sqrt(x < 0) = nan`` instead of ``ValueError``."""
    return math.sqrt(x) if x >= 0.0 else _NAN


def step(x: float) -> float:
    """The Heaviside step: ``1.0`` where ``x > 0``, else ``0.0`` (``nan`` stays ``nan``)."""
    if x != x:
        return _NAN
    return 1.0 if x > 0.0 else 0.0


def iszero(x: float) -> float:
    """``1.0`` where ``x == 0``, else ``0.0``: lets a formula mask the ``0 · ∞`` of an edge case."""
    return 1.0 if x == 0.0 else 0.0


def sign(x: float) -> float:
    """``-1.0``, ``0.0`` or ``1.0`` (``nan`` stays ``nan``)."""
    if x != x:
        return _NAN
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def maximum(xs: Sequence[float]) -> float:
    """The largest of ``xs``; ``nan`` when any of them is ``nan`` (as NumPy's ``max``)."""
    best = -_INF
    for x in xs:
        if x != x:
            return _NAN
        if x > best:
            best = x
    return best


def dot(x: Sequence[float], w: Sequence[float]) -> float:
    """``x[0]*w[0] + x[1]*w[1] + ...``, summed left to right."""
    total: float = sum(map(operator.mul, x, w))
    return total


#: The functions a formula may call when it is evaluated on floats. Registering an op adds its
#: name here too, so later formulas may use it.
FLOAT_FUNCTIONS: dict[str, Callable[..., float]] = {
    "div": div,
    "pow": pow,
    "exp": exp,
    "log": log,
    "tanh": math.tanh,  # math.tanh saturates at ±1 and never overflows
    "sigmoid": sigmoid,
    "relu": relu,
    "sin": sin,
    "cos": cos,
    "sqrt": sqrt,
    "abs": abs,
    "step": step,
    "sign": sign,
    "iszero": iszero,
    "sum": sum,
    "dot": dot,
    "max": maximum,
}


# --------------------------------------------------------------------------------------------
# Op entries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """Where the property tests sample one input of an op.

    ``lo``/``hi`` bound the sample; ``avoid`` lists points where the op is not differentiable
    (samples stay at least ``margin`` away from them).
    """

    lo: float = -3.0
    hi: float = 3.0
    avoid: tuple[float, ...] = ()
    margin: float = 1e-2

    def __post_init__(self) -> None:
        if not self.lo < self.hi:
            raise ValueError(f"Domain needs lo < hi, got lo={self.lo!r}, hi={self.hi!r}")

    def contains(self, x: float) -> bool:
        """True when ``x`` lies inside ``[lo, hi]`` and away from every avoided point."""
        return self.lo <= x <= self.hi and all(abs(x - p) >= self.margin for p in self.avoid)


# --------------------------------------------------------------------------------------------
# Turning formula strings into functions
# --------------------------------------------------------------------------------------------


class _SafeFloatOps(ast.NodeTransformer):
    """Rewrite ``a / b`` and ``a ** b`` into ``div(a, b)`` and ``pow(a, b)`` for floats."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        name = {ast.Div: "div", ast.Pow: "pow"}.get(type(node.op))
        if name is None:
            return node
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)


def _parse(op_name: str, src: str) -> ast.expr:
    try:
        return ast.parse(src.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"op {op_name!r}: formula {src!r} is not a Python expression") from exc


def _codegen(
    op_name: str,
    params: tuple[str, ...],
    variadic: bool,
    exprs: Sequence[str],
    namespace: Mapping[str, Any],
    *,
    safe_floats: bool,
    returns_tuple: bool,
) -> Callable[..., Any]:
    """Compile formula strings into ``f(xs, out, n)``.

    ``xs`` is the operand tuple. Fixed-arity ops unpack it into their parameter names; variadic
    ops split it evenly into one list per parameter and evaluate each formula for every index
    ``i``. With ``returns_tuple`` the function returns every formula's value (the local
    derivatives), otherwise the single formula's value (the forward).
    """
    codes = []
    for src in exprs:
        tree: ast.AST = _parse(op_name, src)
        if safe_floats:
            tree = _SafeFloatOps().visit(tree)
        codes.append(ast.unparse(ast.fix_missing_locations(tree)))
    if variadic:
        k = len(params)
        head = f"    _n = len(_xs) // {k}\n" + "".join(
            f"    {p} = _xs[{j} * _n:{j + 1} * _n]\n" for j, p in enumerate(params)
        )
        body = " + ".join(f"[{c} for i in range(_n)]" for c in codes) if returns_tuple else codes[0]
    else:
        head = f"    {', '.join(params)}, = _xs\n" if params else ""
        body = f"({', '.join(codes)},)" if returns_tuple else codes[0]
    text = f"def _f(_xs, out, n):\n{head}    return {body}\n"
    scope: dict[str, Any] = dict(namespace)
    exec(compile(text, f"<op {op_name}>", "exec"), scope)
    fn: Callable[..., Any] = scope["_f"]
    return fn


def _codegen_push(
    op_name: str,
    params: tuple[str, ...],
    variadic: bool,
    exprs: Sequence[str],
    namespace: Mapping[str, Any],
) -> Callable[..., None]:
    """Compile the derivative formulas into ``push(children, out, n, upstream)``.

    ``push`` does what the engine's backward loop does for one node, for every operand ``k`` in
    order: ``children[k].grad += local_k * upstream``, with each local derivative written inline
    (so no tuple of derivatives is built) and the formula ``1`` written as ``+= upstream``. The
    ``children`` are objects with ``.data`` and ``.grad`` (the engine's ``Value``). The arithmetic
    is the same as ``local_grads`` followed by that loop, so the results are identical.
    """
    codes = [ast.unparse(ast.fix_missing_locations(_SafeFloatOps().visit(_parse(op_name, s)))) for s in exprs]

    def term(code: str) -> str:
        return "_g" if code == "1" else f"({code}) * _g"

    lines = ["def _push(_cs, out, n, _g):"]
    if variadic:
        k = len(params)
        lines.append(f"    _n = len(_cs) // {k}")
        lines.append("    _d = [_c.data for _c in _cs]")
        lines += [f"    {p} = _d[{j} * _n:{j + 1} * _n]" for j, p in enumerate(params)]
        for j, code in enumerate(codes):
            group = f"_cs[{j} * _n:{j + 1} * _n]"
            match = re.fullmatch(r"(\w+)\[i\]", code)
            if match and match.group(1) in params:  # "w[i]": walk the two lists together
                lines.append(f"    for _c, _v in zip({group}, {match.group(1)}):")
                lines.append("        _c.grad += _v * _g")
            else:
                lines.append(f"    for i, _c in enumerate({group}):")
                lines.append(f"        _c.grad += {term(code)}")
    else:
        cs = [f"_c{j}" for j in range(len(params))]
        lines.append(f"    {', '.join(cs)}, = _cs")
        lines += [f"    {p} = {c}.data" for p, c in zip(params, cs)]
        lines += [f"    {c}.grad += {term(code)}" for c, code in zip(cs, codes)]
    scope: dict[str, Any] = dict(namespace)
    exec(compile("\n".join(lines) + "\n", f"<push {op_name}>", "exec"), scope)
    fn: Callable[..., None] = scope["_push"]
    return fn


def _codegen_node_forward(op: Op) -> Callable[..., float]:
    """Compile the forward into ``f(children, n)`` reading each operand's ``.data`` itself.

    The engine's fast path calls it when it builds a node: one call, no list of floats. Variadic
    ops and ops whose forward is a Python function go through ``float_forward``.
    """
    float_forward = op.float_forward
    if op.variadic or not isinstance(op.forward, str):
        return lambda cs, n: float_forward([c.data for c in cs], 0.0, n)
    code = ast.unparse(ast.fix_missing_locations(_SafeFloatOps().visit(_parse(op.name, op.forward))))
    lines = ["def _fwd(_cs, n):", f"    {', '.join(op.params)}, = _cs"]
    lines += [f"    {p} = {p}.data" for p in op.params]
    lines.append(f"    return {code}")
    scope: dict[str, Any] = dict(FLOAT_FUNCTIONS)
    exec(compile("\n".join(lines) + "\n", f"<forward {op.name}>", "exec"), scope)
    fn: Callable[..., float] = scope["_fwd"]
    return fn


def _free_names(src: str) -> set[str]:
    tree = ast.parse(src.strip(), mode="eval")
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


# --------------------------------------------------------------------------------------------
# Op entries
# --------------------------------------------------------------------------------------------

#: How an op's gate treats the upstream gradient, per operand (what the narration says):
#: ``"pass"`` unchanged (local derivative 1), ``"negate"`` (-1), ``"swap"`` times the other input
#: (the local derivative is another operand), ``"route"`` all or nothing depending on the input,
#: ``"scale"`` times a constant of the op, ``"stop"`` nothing (0); ``""``: times the local
#: derivative's formula.
GATES = ("pass", "negate", "swap", "route", "scale", "stop", "")
#: What kind of op a row is: pictures name an ``"activation"`` when they summarise a neuron.
KINDS = ("arithmetic", "function", "activation", "reduction")


@dataclass(frozen=True, eq=False)
class Op:
    """One row of the op table.

    Attributes:
        name: the key in :data:`OPS` and the value of ``Value.op`` (``"mul"``).
        symbol: how pictures show the op (``"*"``, ``"tanh"``).
        params: operand names used by the formulas (``("a", "b")``, ``("x",)``).
        forward: a formula string over ``params`` (and ``n``), or a float function of them.
        grads: one local-derivative formula per parameter, over ``params``, ``out`` and ``n``.
        domain: one :class:`Domain` per parameter, where property tests sample it.
        rule: a one-line rule card for teaching ("mul swaps its inputs").
        variadic: each parameter stands for any number of operands (``sum``, ``dot``);
            formulas index them with ``i`` (``"w[i]"``).
        arg: the name of a constant argument (``"n"`` for ``x ** n``), or ``""``.
        arg_domain: where property tests sample the constant argument.
        template: how an expression is written, with ``{param}`` holes (``"{a} * {b}"``).
        commutative: the operands can be swapped without changing the result (``add``, ``mul``,
            ``sum``); pictures label the operand edges of the other ops (``a``, ``b``).
        gate: how the gradient flows to each operand, one of :data:`GATES` for all operands or
            one per parameter (``sub``: ``("pass", "negate")``); the narration reads it.
        kind: one of :data:`KINDS` (``"activation"`` for ``tanh``, ``relu``, ``sigmoid``).

    Compiled at registration: ``float_forward(xs, out, n)`` (``out`` is ignored) and
    ``local_grads(xs, out, n)``, the formulas evaluated on floats with IEEE-safe ``/`` and ``**``;
    and, for the engine, ``node_forward(children, n)`` (the forward read straight from the
    operands' ``.data``) and ``push_grads(children, out, n, upstream)``, which adds
    ``local derivative × upstream`` into each operand's ``.grad`` with the formulas inlined.
    """

    name: str
    symbol: str
    params: tuple[str, ...]
    forward: str | Callable[..., float]
    grads: tuple[str, ...]
    domain: tuple[Domain, ...]
    rule: str = ""
    variadic: bool = False
    arg: str = ""
    arg_domain: Domain | None = None
    template: str = ""
    commutative: bool = False
    gate: str | tuple[str, ...] = ""
    kind: str = "function"
    float_forward: Callable[..., float] = field(init=False, repr=False, compare=False)
    local_grads: Callable[..., Any] = field(init=False, repr=False, compare=False)
    push_grads: Callable[..., None] = field(init=False, repr=False, compare=False)
    node_forward: Callable[..., float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_metadata(self.name, self.params, self.commutative, self.gate, self.kind)
        if isinstance(self.forward, str):
            fwd = _codegen(
                self.name,
                self.params,
                self.variadic,
                [self.forward],
                FLOAT_FUNCTIONS,
                safe_floats=True,
                returns_tuple=False,
            )
        else:
            user_fn = self.forward
            fwd = (lambda xs, out, n: user_fn(*xs, n)) if self.arg else (lambda xs, out, n: user_fn(*xs))
        object.__setattr__(self, "float_forward", fwd)
        object.__setattr__(self, "local_grads", self.compile_grads(FLOAT_FUNCTIONS, safe_floats=True))
        push = _codegen_push(self.name, self.params, self.variadic, self.grads, FLOAT_FUNCTIONS)
        object.__setattr__(self, "push_grads", push)
        object.__setattr__(self, "node_forward", _codegen_node_forward(self))

    @property
    def arity(self) -> int | None:
        """The number of operands, or ``None`` for a variadic op."""
        return None if self.variadic else len(self.params)

    @property
    def stops_gradient(self) -> bool:
        """True for a stop-gradient row such as ``detach``: every local derivative is the formula
        ``0``, by definition rather than as the derivative of the forward (so finite differences
        do not apply to it)."""
        return all(g.strip() == "0" for g in self.grads)

    def compile_grads(self, namespace: Mapping[str, Any], *, safe_floats: bool = False) -> Callable[..., Any]:
        """Compile the local-derivative formulas against another set of functions.

        The engine calls it with functions on ``Value`` (higher-order gradients) and the compiler
        with NumPy functions. ``/`` and ``**`` stay operators unless ``safe_floats`` is set.
        """
        return _codegen(
            self.name,
            self.params,
            self.variadic,
            self.grads,
            namespace,
            safe_floats=safe_floats,
            returns_tuple=True,
        )

    def compile_forward(self, namespace: Mapping[str, Any]) -> Callable[..., Any] | None:
        """Compile the forward formula against another set of functions, as ``f(xs, out, n)``.

        The compiler calls it with NumPy functions. Returns ``None`` when ``forward`` is a Python
        function rather than a formula (the caller then falls back to calling that function).
        """
        if not isinstance(self.forward, str):
            return None
        return _codegen(
            self.name,
            self.params,
            self.variadic,
            [self.forward],
            namespace,
            safe_floats=False,
            returns_tuple=False,
        )

    def grad_formula(self, index: int, n_operands: int | None = None) -> str:
        """The formula of ``∂out/∂operand[index]``; variadic ops need the operand count."""
        if not self.variadic:
            return self.grads[index]
        if not n_operands:
            raise ValueError(f"op {self.name!r} is variadic: pass the number of operands")
        per = n_operands // len(self.params)
        return self.grads[index // per].replace("[i]", f"[{index % per}]")

    def explain_grad(
        self, index: int, operands: Sequence[str], out: str = "out", arg: float | None = None
    ) -> str:
        """The formula of ``∂out/∂operand[index]`` written with the graph's own names.

        ``operands`` names every operand (their labels), ``out`` the node itself: for
        ``L = d * f``, ``OPS["mul"].explain_grad(0, ["d", "f"], "L")`` is ``"f"``; for
        ``o = tanh(n)``, ``"1 - o * o"``. A given ``arg`` replaces the constant's name (``n``).
        """
        n_operands = len(operands)
        formula = self.grad_formula(index, n_operands if self.variadic else None)
        per = n_operands // len(self.params) if self.variadic else 1
        names = dict(zip(self.params, operands)) if not self.variadic else {}

        class _Rename(ast.NodeTransformer):
            def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
                if (
                    isinstance(node.value, ast.Name)
                    and node.value.id in owner.params
                    and isinstance(node.slice, ast.Constant)
                    and isinstance(node.slice.value, int)
                ):
                    g = owner.params.index(node.value.id)
                    return ast.Name(id=operands[g * per + node.slice.value], ctx=ast.Load())
                return self.generic_visit(node)

            def visit_Name(self, node: ast.Name) -> ast.AST:
                if node.id == "out":
                    return ast.Name(id=out, ctx=ast.Load())
                if owner.arg and node.id == owner.arg and arg is not None:
                    return ast.Constant(value=int(arg) if float(arg).is_integer() else arg)
                return ast.Name(id=names.get(node.id, node.id), ctx=ast.Load())

            # with the constant known, edge-case masks fold away: iszero(3) -> 0, then `+ 0` goes
            def visit_Call(self, node: ast.Call) -> ast.AST:
                self.generic_visit(node)
                arg0 = node.args[0] if len(node.args) == 1 else None
                if (
                    isinstance(node.func, ast.Name)
                    and node.func.id == "iszero"
                    and isinstance(arg0, ast.Constant)
                ):
                    return ast.Constant(value=int(arg0.value == 0))
                return node

            def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
                self.generic_visit(node)
                right = node.right
                if (
                    isinstance(node.op, (ast.Add, ast.Sub))
                    and isinstance(right, ast.Constant)
                    and right.value == 0
                ):
                    return node.left
                return node

        owner = self
        return ast.unparse(_Rename().visit(_parse(self.name, formula)))

    def write(self, operands: Sequence[str], arg: str | None = None, *, brackets: bool = False) -> str:
        """The expression this op computes, written with its operands' names.

        ``OPS["mul"].write(["a", "b"])`` is ``"a * b"``, ``OPS["pown"].write(["x"], "2")`` is
        ``"x ** 2"``, ``OPS["dot"].write(["x1", "x2", "w1", "w2"])`` is ``"dot(x1, x2, w1, w2)"``
        (a variadic op lists each group; ``brackets=True`` writes each group as ``[x1, x2]``).
        Falls back to ``name(operands)`` when the template does not fit.
        """
        names = list(operands)
        if self.variadic:
            per = len(names) // len(self.params) if names else 0
            groups = [", ".join(names[g * per : (g + 1) * per]) for g in range(len(self.params))]
            fill = dict(zip(self.params, (f"[{g}]" if brackets else g for g in groups)))
        else:
            fill = dict(zip(self.params, names))
        if self.arg and arg is not None:
            fill[self.arg] = arg
        try:
            return self.template.format(**fill)
        except (KeyError, IndexError):
            return f"{self.name}({', '.join(names)})"

    def gate_of(self, index: int, n_operands: int | None = None) -> str:
        """The gate (one of :data:`GATES`) through which operand ``index`` receives its gradient."""
        if isinstance(self.gate, str):
            return self.gate
        if not self.variadic:
            return self.gate[index]
        if not n_operands:
            raise ValueError(f"op {self.name!r} is variadic: pass the number of operands")
        return self.gate[index // (n_operands // len(self.params))]

    def param_of(self, index: int, n_operands: int | None = None) -> str:
        """The parameter name of operand ``index`` (``"w[2]"`` for the third ``w`` of a dot)."""
        if not self.variadic:
            return self.params[index]
        if not n_operands:
            raise ValueError(f"op {self.name!r} is variadic: pass the number of operands")
        per = n_operands // len(self.params)
        return f"{self.params[index // per]}[{index % per}]"

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.symbol!r}, forward={self.forward!r}, grads={self.grads!r})"


def _check_metadata(
    name: str, params: tuple[str, ...], commutative: object, gate: object, kind: object
) -> None:
    """Raise unless the drawing and narration fields of an op make sense."""
    if not isinstance(commutative, bool):
        raise TypeError(f"op {name!r}: commutative must be True or False, got {commutative!r}")
    gates = (gate,) if isinstance(gate, str) else gate
    if not isinstance(gates, tuple) or not all(isinstance(g, str) and g in GATES for g in gates):
        raise ValueError(
            f"op {name!r}: gate must be one of {GATES} or a tuple of them (one per parameter), got {gate!r}"
        )
    if not isinstance(gate, str) and len(gates) != len(params):
        raise ValueError(f"op {name!r}: {len(params)} parameter(s) {params} but {len(gates)} gate(s)")
    if kind not in KINDS:
        raise ValueError(f"op {name!r}: kind must be one of {KINDS}, got {kind!r}")


#: The op table, by name, in registration order.
OPS: dict[str, Op] = {}

_RESERVED = {"out", "n", "i"}


def register_op(
    name: str,
    *,
    forward: str | Callable[..., float],
    grads: Sequence[str],
    params: Sequence[str] | None = None,
    symbol: str | None = None,
    domain: Sequence[Domain] | None = None,
    rule: str = "",
    variadic: bool = False,
    arg: str = "",
    arg_domain: Domain | None = None,
    template: str = "",
    commutative: bool = False,
    gate: str | Sequence[str] = "",
    kind: str = "function",
    replace: bool = False,
) -> Op:
    """Add an operation to the op table and return its entry.

    Once registered, an op is differentiated (first and higher order), drawn, traced, compiled
    and property-tested like a built-in one. ``forward`` is a formula string over the parameter
    names (``"log(1 + exp(x))"``) or a float function whose argument names become the parameter
    names; ``grads`` gives ``∂out/∂param`` for each parameter as a formula over the parameters,
    ``out`` and the constant argument ``n``, using the functions in :data:`FLOAT_FUNCTIONS` and
    previously registered ops.

    ``commutative``, ``gate`` and ``kind`` tell the pictures and the narration what a built-in op
    of the same shape gets (see :class:`Op`): ``gate="swap"`` narrates "swaps its inputs",
    ``kind="activation"`` names the op in a collapsed neuron's box.

    Raises:
        ValueError: the name is taken (pass ``replace=True``), the numbers of parameters,
            formulas, domains and gates disagree, a formula does not parse or uses an unknown
            name, or ``gate``/``kind`` is not one of :data:`GATES`/:data:`KINDS`.
        TypeError: an argument has the wrong type.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"op name must be a Python identifier, got {name!r}")
    if name in _BUILTIN or name in _RESERVED or (name in FLOAT_FUNCTIONS and name not in OPS):
        raise ValueError(f"op name {name!r} belongs to a built-in op or function; choose another name")
    if name in OPS and not replace:
        raise ValueError(f"op {name!r} is already registered; pass replace=True to redefine it")
    if params is None:
        if isinstance(forward, str):
            raise ValueError(f"op {name!r}: give params=... when forward is a formula string")
        sig = [p for p in inspect.signature(forward).parameters if p != arg]
        params = tuple(sig)
    params = tuple(params)
    if isinstance(grads, str):
        raise TypeError(f"op {name!r}: grads must be a list of formula strings, one per parameter, got a str")
    grads = tuple(grads)
    if not params or not all(isinstance(p, str) and p.isidentifier() for p in params):
        raise ValueError(f"op {name!r}: params must be identifiers, got {params!r}")
    if len(grads) != len(params):
        raise ValueError(
            f"op {name!r}: {len(params)} parameter(s) {params} but {len(grads)} derivative formula(s); "
            "give one formula per parameter"
        )
    if domain is None:
        domain = tuple(Domain() for _ in params)
    domain = tuple(domain)
    if len(domain) != len(params) or not all(isinstance(d, Domain) for d in domain):
        raise ValueError(f"op {name!r}: give one Domain per parameter ({len(params)}), got {domain!r}")
    known = set(params) | _RESERVED | set(FLOAT_FUNCTIONS) | {"range", "len", "zip", "float"}
    for src in (*grads, *([forward] if isinstance(forward, str) else [])):
        if not isinstance(src, str):
            raise TypeError(f"op {name!r}: formulas must be strings, got {src!r}")
        _parse(name, src)
        unknown = _free_names(src) - known
        if unknown:
            raise ValueError(
                f"op {name!r}: formula {src!r} uses unknown name(s) {sorted(unknown)}; "
                f"it may use {list(params)}, 'out', 'n' and {sorted(FLOAT_FUNCTIONS)}"
            )
    gate = gate if isinstance(gate, str) else tuple(gate)
    _check_metadata(name, params, commutative, gate, kind)
    if not template:
        template = f"{name}(" + ", ".join("{" + p + "}" for p in params) + ")"
    op = Op(
        name=name,
        symbol=symbol or name,
        params=params,
        forward=forward,
        grads=grads,
        domain=domain,
        rule=rule,
        variadic=variadic,
        arg=arg,
        arg_domain=arg_domain,
        template=template,
        commutative=commutative,
        gate=gate,
        kind=kind,
    )
    OPS[name] = op
    # later formulas may call this op by name
    if op.variadic:
        FLOAT_FUNCTIONS[name] = lambda *groups: op.float_forward(
            tuple(v for g in groups for v in g), 0.0, None
        )
    elif op.arg:
        FLOAT_FUNCTIONS[name] = lambda *xs: op.float_forward(xs[:-1], 0.0, xs[-1])
    else:
        FLOAT_FUNCTIONS[name] = lambda *xs: op.float_forward(xs, 0.0, None)
    return op


def get_op(name: str) -> Op:
    """The table entry called ``name``; a ``KeyError`` that lists the known names otherwise."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r}; known ops: {', '.join(OPS)}") from None


# --------------------------------------------------------------------------------------------
# The table. Read it like a page of a calculus book: each row is an op and its local derivatives.
# --------------------------------------------------------------------------------------------

_ANY = Domain(-3.0, 3.0)
_POS = Domain(0.1, 3.0)
_NONZERO = Domain(-3.0, 3.0, avoid=(0.0,), margin=0.1)
_EXPONENT = Domain(-2.0, 2.0)


def _row(
    name: str,
    symbol: str,
    params: str,
    forward: str,
    grads: list[str],
    domain: list[Domain],
    rule: str,
    template: str,
    **kw: Any,
) -> None:
    # built-in rows share a name with a FLOAT_FUNCTIONS primitive; that primitive stays as it is
    OPS[name] = Op(
        name=name,
        symbol=symbol,
        params=tuple(params.split()),
        forward=forward,
        grads=tuple(grads),
        domain=tuple(domain),
        rule=rule,
        template=template,
        **kw,
    )


# fmt: off
# (iszero(...) masks 0·∞ at the single points where PyTorch defines the gradient as 0)
#    name       symbol  params  forward          ∂out/∂param                     sample domain
_row("add",     "+",    "a b",  "a + b",         ["1", "1"],                      [_ANY, _ANY],
     "add distributes: each input receives the upstream gradient unchanged", "{a} + {b}",
     commutative=True, gate="pass", kind="arithmetic")
_row("sub",     "-",    "a b",  "a - b",         ["1", "-1"],                     [_ANY, _ANY],
     "sub passes the gradient to a and its negative to b", "{a} - {b}",
     gate=("pass", "negate"), kind="arithmetic")
_row("mul",     "*",    "a b",  "a * b",         ["b", "a"],                      [_ANY, _ANY],
     "mul swaps: each input receives the upstream gradient times the other input", "{a} * {b}",
     commutative=True, gate="swap", kind="arithmetic")
_row("div",     "/",    "a b",  "a / b",         ["1 / b", "-out / b"],           [_ANY, _NONZERO],
     "div: ∂/∂a = 1/b, ∂/∂b = -a/b²", "{a} / {b}", kind="arithmetic")
_row("neg",     "-",    "x",    "-x",            ["-1"],                          [_ANY],
     "neg flips the sign of the gradient", "-{x}", gate="negate", kind="arithmetic")
_row("pow",     "**",   "a b",  "a ** b",
     ["b * a ** (b - 1 + iszero(a) * iszero(b))", "out * log(a + iszero(a))"], [_POS, _EXPONENT],
     "pow: ∂/∂a = b·a^(b-1), ∂/∂b = aᵇ·ln a (0 at a = 0 or b = 0, as in PyTorch)", "{a} ** {b}",
     kind="arithmetic")
_row("pown",    "**",   "x",    "x ** n",        ["n * x ** (n - 1 + iszero(n))"],            [_POS],
     "power rule: n·xⁿ⁻¹ (0 when n = 0, also at x = 0, as in PyTorch)", "{x} ** {n}",
     arg="n", arg_domain=Domain(-3.0, 3.0), kind="arithmetic")
_row("exp",     "exp",  "x",    "exp(x)",        ["out"],                         [_ANY],
     "exp is its own derivative: eˣ", "exp({x})")
_row("log",     "log",  "x",    "log(x)",        ["1 / x"],                       [Domain(0.1, 10.0)],
     "log: 1/x", "log({x})")
_row("tanh",    "tanh", "x",    "tanh(x)",       ["1 - out * out"],               [_ANY],
     "tanh: 1 - tanh²", "tanh({x})", kind="activation")
_row("relu",    "ReLU", "x",    "relu(x)",       ["step(x)"],                     [_NONZERO],
     "relu routes: the gradient passes where x > 0 and stops elsewhere", "relu({x})",
     gate="route", kind="activation")
_row("sigmoid", "σ",    "x",    "sigmoid(x)",    ["out * (1 - out)"],             [Domain(-5.0, 5.0)],
     "sigmoid: σ(1 - σ)", "sigmoid({x})", kind="activation")
_row("sin",     "sin",  "x",    "sin(x)",        ["cos(x)"],                      [_ANY],
     "sin: cos x", "sin({x})")
_row("cos",     "cos",  "x",    "cos(x)",        ["-sin(x)"],                     [_ANY],
     "cos: -sin x", "cos({x})")
_row("abs",     "abs",  "x",    "abs(x)",        ["sign(x)"],                     [_NONZERO],
     "abs: the sign of x", "abs({x})")
_row("sqrt",    "√",    "x",    "sqrt(x)",       ["0.5 / out"],                   [_POS],
     "sqrt: 1/(2√x)", "sqrt({x})")
_row("sum",     "Σ",    "x",    "sum(x)",        ["1"],                           [_ANY],
     "sum distributes: every term receives the upstream gradient", "sum({x})", variadic=True,
     commutative=True, gate="pass", kind="reduction")
_row("dot",     "·",    "x w",  "dot(x, w)",     ["w[i]", "x[i]"],                [_ANY, _ANY],
     "dot: each x[i] receives w[i] times the upstream gradient, and each w[i] receives x[i]",
     "dot({x}, {w})", variadic=True, gate="swap", kind="reduction")
# max routes like relu: the largest input gets the gradient (split evenly between tied inputs)
_row("max",     "max",  "x",    "max(x)",
     ["iszero(x[i] - out) / sum([iszero(v - out) for v in x])"],                  [_ANY],
     "max routes: the largest input receives the upstream gradient (tied inputs share it)",
     "max({x})", variadic=True, commutative=True, gate="route", kind="reduction")
_row("detach",  "detach", "x",  "x",             ["0"],                           [_ANY],
     "detach stops the gradient: the value passes forward, nothing flows back", "detach({x})",
     gate="stop", kind="function")
# fmt: on

#: The names of the built-in rows; they cannot be replaced.
_BUILTIN = frozenset(OPS)
