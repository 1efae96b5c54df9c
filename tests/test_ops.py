"""The op table, tested row by row: every property here runs over every registered op.

Forward values are checked against ``math`` and against mpmath at 50 digits; local derivatives
against mpmath's numerical differentiation; second derivatives (the same formulas evaluated on
Values) against mpmath's second derivative; and each op's gradients against central differences.
"""

from __future__ import annotations

import itertools
import math

import mpmath as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradnet import OPS, Domain, Value, apply, define_op, grad, register_op
from microgradnet.ops import _BUILTIN as BUILTIN
from microgradnet.ops import FLOAT_FUNCTIONS, Op, get_op
from microgradnet.testing import gradcheck, gradgradcheck
from microgradnet.testing.strategies import OpCall, op_calls

mp.mp.dps = 50

# mpmath versions of the functions a formula may call: the high-precision reference
MP_FUNCTIONS = {
    "exp": mp.exp,
    "log": mp.log,
    "tanh": mp.tanh,
    "sigmoid": lambda x: 1 / (1 + mp.exp(-x)),
    "relu": lambda x: x if x > 0 else mp.mpf(0),
    "sin": mp.sin,
    "cos": mp.cos,
    "sqrt": mp.sqrt,
    "abs": mp.fabs,
    "step": lambda x: mp.mpf(1) if x > 0 else mp.mpf(0),
    "sign": mp.sign,
    "iszero": lambda x: mp.mpf(1) if x == 0 else mp.mpf(0),
    "pow": mp.power,
    "div": lambda a, b: a / b,
    "sum": lambda xs: mp.fsum(xs),
    "dot": lambda x, w: mp.fsum(a * b for a, b in zip(x, w)),
    "max": max,
}

MATH_EQUIVALENT = {
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sin": math.sin,
    "cos": math.cos,
    "sqrt": math.sqrt,
    "abs": abs,
}

FORMULA_OPS = [op for op in OPS.values() if isinstance(op.forward, str)]
# A stop-gradient row (detach) declares its derivative 0 rather than deriving it from its forward:
# finite differences of the forward do not apply to it; it has tests of its own below.
DIFFERENTIABLE_OPS = [op for op in OPS.values() if not op.stops_gradient]
DIFFERENTIABLE_FORMULA_OPS = [op for op in FORMULA_OPS if not op.stops_gradient]


def away_from_ties(call: OpCall) -> bool:
    """``max`` has a kink where two inputs tie (like relu at 0): derivatives are checked away from it."""
    if call.op.name != "max":
        return True
    xs = sorted(call.operands)
    return all(b - a >= 1e-2 for a, b in itertools.pairwise(xs))


def mp_forward(op: Op, operands: tuple[float, ...], arg: float | None) -> mp.mpf:
    """The op's forward formula evaluated in mpmath."""
    env = dict(MP_FUNCTIONS)
    xs = [mp.mpf(x) for x in operands]
    if op.variadic:
        per = len(xs) // len(op.params)
        env.update({p: xs[g * per : (g + 1) * per] for g, p in enumerate(op.params)})
    else:
        env.update(dict(zip(op.params, xs)))
    env["n"] = mp.mpf(arg) if arg is not None else None
    return eval(op.forward, env)


def mp_partial(op: Op, operands: tuple[float, ...], arg: float | None, k: int, order: int = 1) -> mp.mpf:
    def f(t: mp.mpf) -> mp.mpf:
        xs = list(operands)
        xs[k] = t
        return mp_forward(op, tuple(xs), arg)

    return mp.diff(f, mp.mpf(operands[k]), order)


def close(a: float, b: float, rel: float, abs_: float = 1e-12) -> bool:
    return abs(a - b) <= abs_ + rel * abs(b)


@pytest.mark.parametrize("op", FORMULA_OPS, ids=lambda o: o.name)
@given(data=st.data())
def test_forward_matches_mpmath(op: Op, data: st.DataObject) -> None:
    call: OpCall = data.draw(op_calls(op))
    got = apply(op, *call.operands, arg=call.arg).data
    want = float(mp_forward(op, call.operands, call.arg))
    assert close(got, want, 1e-13), (op.name, call, got, want)


@pytest.mark.parametrize("name", sorted(MATH_EQUIVALENT))
@given(data=st.data())
def test_unary_forward_matches_math(name: str, data: st.DataObject) -> None:
    call = data.draw(op_calls(OPS[name]))
    assert apply(name, *call.operands).data == MATH_EQUIVALENT[name](call.operands[0])


@pytest.mark.parametrize("op", DIFFERENTIABLE_FORMULA_OPS, ids=lambda o: o.name)
@given(data=st.data())
def test_local_derivatives_match_mpmath(op: Op, data: st.DataObject) -> None:
    call = data.draw(op_calls(op).filter(away_from_ties))
    out = op.float_forward(list(call.operands), 0.0, call.arg)
    local = op.local_grads(list(call.operands), out, call.arg)
    assert len(local) == len(call.operands)
    for k, d in enumerate(local):
        want = 0.0 if op.stops_gradient else float(mp_partial(op, call.operands, call.arg, k))
        assert close(float(d), want, 1e-9, 1e-9), (op.name, k, call, d, want)


@pytest.mark.parametrize("op", DIFFERENTIABLE_FORMULA_OPS, ids=lambda o: o.name)
@given(data=st.data())
def test_second_derivatives_match_mpmath(op: Op, data: st.DataObject) -> None:
    call = data.draw(op_calls(op).filter(away_from_ties))
    xs = [Value(x) for x in call.operands]
    out = apply(op, *xs, arg=call.arg)
    for k, x in enumerate(xs):
        first = grad(out, x, create_graph=True)
        second = grad(first, x).data
        want = 0.0 if op.stops_gradient else float(mp_partial(op, call.operands, call.arg, k, order=2))
        assert close(second, want, 1e-7, 1e-7), (op.name, k, call, second, want)


@pytest.mark.parametrize("op", DIFFERENTIABLE_OPS, ids=lambda o: o.name)
@given(data=st.data())
def test_backward_matches_central_difference(op: Op, data: st.DataObject) -> None:
    call = data.draw(op_calls(op).filter(away_from_ties))
    assert gradcheck(call, list(call.operands))


@pytest.mark.parametrize("op", DIFFERENTIABLE_OPS, ids=lambda o: o.name)
@given(data=st.data())
def test_second_derivatives_match_central_difference(op: Op, data: st.DataObject) -> None:
    call = data.draw(op_calls(op).filter(away_from_ties))
    assert gradgradcheck(call, list(call.operands), atol=1e-4, rtol=1e-3)


def test_the_stop_gradient_rows_are_the_ones_whose_formulas_are_all_zero() -> None:
    assert [op.name for op in OPS.values() if op.stops_gradient] == ["detach"]
    assert list(OPS)[-1] == "detach"  # a new row goes at the end of the table


@given(x=st.floats(-1e6, 1e6), upstream=st.floats(-1e6, 1e6))
def test_detach_passes_the_value_and_stops_the_gradient(x: float, upstream: float) -> None:
    v = Value(x)
    d = v.detach()
    assert d.data == x and d.op == "detach" and d.children == (v,)
    OPS["detach"].push_grads((v,), d.data, None, upstream)
    assert v.grad == 0.0
    # x · detach(x): d/dx = detach(x) = x (not 2x); x - detach(x) is 0 with gradient 1
    w = Value(x)
    (w * w.detach()).backward()
    assert w.grad == x
    u = Value(x)
    y = u - u.detach()
    y.backward()
    assert y.data == 0.0 and u.grad == 1.0
    assert grad(grad(u * u.detach(), u, create_graph=True), u).data == 0.0


SPECIALS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    1e-320,
    1e308,
    -1e308,
    800.0,
    -800.0,
    math.inf,
    -math.inf,
    math.nan,
]


@pytest.mark.parametrize("op", list(OPS.values()), ids=lambda o: o.name)
def test_edge_cases_never_raise(op: Op) -> None:
    """IEEE results instead of Python exceptions, forward and backward, at every special value."""
    n = len(op.params) * (2 if op.variadic else 1)
    args = [None] if not op.arg else [0.5, -1.0, 2.0, 1e308, -0.5]
    for arg in args:
        for i, a in enumerate(SPECIALS):
            for b in SPECIALS if n > 1 else [None]:
                operands = [Value(a)] + [Value(b if k % 2 else SPECIALS[-i]) for k in range(1, n)]
                out = apply(op, *operands, arg=arg)
                assert isinstance(out.data, float)
                out.backward()
                assert all(isinstance(x.grad, float) for x in operands)


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        (lambda: Value(0.0).log(), -math.inf),
        (lambda: Value(-1.0).log(), math.nan),
        (lambda: Value(1000.0).exp(), math.inf),
        (lambda: Value(-1000.0).exp(), 0.0),
        (lambda: Value(1.0) / 0, math.inf),
        (lambda: Value(-1.0) / 0, -math.inf),
        (lambda: Value(0.0) / 0, math.nan),
        (lambda: Value(-8.0) ** (1 / 3), math.nan),
        (lambda: Value(0.0) ** 0.5, 0.0),
        (lambda: Value(0.0) ** -1, math.inf),
        (lambda: Value(10.0) ** 400, math.inf),
        (lambda: Value(-10.0) ** 401, -math.inf),
        (lambda: Value(800.0).tanh(), 1.0),
        (lambda: Value(-800.0).tanh(), -1.0),
        (lambda: Value(1000.0).sigmoid(), 1.0),
        (lambda: Value(-1000.0).sigmoid(), 0.0),
        (lambda: Value(-4.0).sqrt(), math.nan),
        (lambda: Value(math.inf).sin(), math.nan),
        (lambda: 2 ** Value(3.0), 8.0),
        (lambda: Value(2.0) ** Value(-1.0), 0.5),
        (lambda: Value(math.nan).relu(), math.nan),
    ],
)
def test_ieee_results(expr, want: float) -> None:  # type: ignore[no-untyped-def]
    got = expr().data
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_saturated_activations_have_finite_gradients() -> None:
    for x in (800.0, -800.0, 1000.0, -1000.0):
        v = Value(x)
        (v.tanh() + v.sigmoid()).backward()
        assert v.grad == 0.0


def test_table_rows_are_consistent() -> None:
    for op in (OPS[name] for name in BUILTIN):
        assert len(op.grads) == len(op.params) == len(op.domain), op.name
        assert op.symbol and op.rule and op.template, op.name
        fill = {p: p for p in op.params} | ({op.arg: op.arg} if op.arg else {})
        assert all(p in op.template.format(**fill) for p in op.params), op.name
    assert get_op("mul") is OPS["mul"]
    with pytest.raises(KeyError, match="known ops"):
        get_op("nope")


# ---- registering new ops ---------------------------------------------------------------------


def test_registered_op_is_differentiated_like_a_builtin() -> None:
    square_plus = register_op(
        "square_plus_test", params=["a", "b"], forward="a * a + b", grads=["2 * a", "1"], symbol="sq+"
    )
    try:
        a, b = Value(3.0), Value(1.0)
        out = apply("square_plus_test", a, b)
        assert out.data == 10.0 and out.op == "square_plus_test"
        out.backward()
        assert (a.grad, b.grad) == (6.0, 1.0)
        assert gradgradcheck(lambda x, y: apply(square_plus, x, y), [1.5, -0.5])
    finally:
        del OPS["square_plus_test"], FLOAT_FUNCTIONS["square_plus_test"]


def test_define_op_decorator_gives_a_function_of_values() -> None:
    @define_op(grads=["sigmoid(x)"], domain=[Domain(-5, 5)], rule="softplus: σ(x)")
    def softplus_test(x: float) -> float:
        return math.log1p(math.exp(-abs(x))) + max(x, 0.0)

    try:
        x = Value(0.3, label="x")
        y = softplus_test(x)
        assert y.op == "softplus_test" and y.children == (x,)
        assert math.isclose(y.data, math.log(1 + math.exp(0.3)))
        assert gradcheck(softplus_test, [0.3]) and gradgradcheck(softplus_test, [-1.2])
        assert softplus_test.__name__ == "softplus_test"

        # property-tested from its table entry like any built-in
        @given(op_calls(OPS["softplus_test"]))
        def check(call: OpCall) -> None:
            gradcheck(call, list(call.operands))

        check()
    finally:
        del OPS["softplus_test"], FLOAT_FUNCTIONS["softplus_test"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "tanh", "params": ["x"], "forward": "x", "grads": ["1"]}, "built-in"),
        ({"name": "bad name", "params": ["x"], "forward": "x", "grads": ["1"]}, "identifier"),
        ({"name": "t1", "params": ["x", "y"], "forward": "x", "grads": ["1"]}, "one formula per parameter"),
        ({"name": "t2", "params": ["x"], "forward": "x +", "grads": ["1"]}, "not a Python expression"),
        ({"name": "t3", "params": ["x"], "forward": "x", "grads": ["foo(x)"]}, "unknown name"),
        ({"name": "t4", "forward": "x", "grads": ["1"]}, "params"),
        ({"name": "t5", "params": ["x"], "forward": "x", "grads": ["1"], "domain": []}, "one Domain"),
    ],
)
def test_register_op_rejects_bad_rows(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    name = kwargs.pop("name")
    before = dict(OPS)
    with pytest.raises(ValueError, match=match):
        register_op(name, **kwargs)
    assert before == OPS


def test_register_op_refuses_to_overwrite_without_replace() -> None:
    register_op("twice_test", params=["x"], forward="2 * x", grads=["2"])
    try:
        with pytest.raises(ValueError, match="replace=True"):
            register_op("twice_test", params=["x"], forward="2 * x", grads=["2"])
        register_op("twice_test", params=["x"], forward="3 * x", grads=["3"], replace=True)
        assert apply("twice_test", 1.0).data == 3.0
    finally:
        del OPS["twice_test"], FLOAT_FUNCTIONS["twice_test"]


def test_domain_validation() -> None:
    with pytest.raises(ValueError, match="lo < hi"):
        Domain(1.0, 0.0)
    d = Domain(-1, 1, avoid=(0.0,), margin=0.1)
    assert d.contains(0.5) and not d.contains(0.05) and not d.contains(2.0)


def test_variadic_formulas_name_each_operand() -> None:
    dot = OPS["dot"]
    assert dot.grad_formula(0, 6) == "w[0]" and dot.grad_formula(4, 6) == "x[1]"
    assert dot.param_of(5, 6) == "w[2]"
    with pytest.raises(ValueError, match="variadic"):
        dot.grad_formula(0)
    x = [Value(v) for v in (1.0, 2.0)]
    w = [Value(v) for v in (3.0, -4.0)]
    out = apply("dot", *x, *w)
    assert out.data == -5.0
    out.backward()
    assert [v.grad for v in x + w] == [3.0, -4.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="equal, non-empty groups"):
        apply("dot", *x, w[0])
    with pytest.raises(ValueError, match="got 0 operands"):
        apply("sum")


def test_explain_grad_writes_the_formula_with_the_graphs_names() -> None:
    assert OPS["mul"].explain_grad(0, ["d", "f"], "L") == "f"
    assert OPS["tanh"].explain_grad(0, ["n"], "o") == "1 - o * o"
    assert OPS["dot"].explain_grad(3, ["x1", "x2", "w1", "w2"]) == "x2"
    assert OPS["pown"].explain_grad(0, ["x"], "y", arg=3.0) == "3 * x ** (3 - 1)"
    assert OPS["pow"].explain_grad(1, ["a", "b"], "c") == "c * log(a + iszero(a))"
    assert OPS["pown"].explain_grad(0, ["x"], "y", arg=0.0) == "0 * x ** (0 - 1 + 1)"


@pytest.mark.parametrize(
    ("a", "b", "want_a", "want_b"),
    [
        # torch.pow(tensor(0.), tensor(2.)): grads (0, 0); pow(0, 0): (0, 0); pow(2, 0): (0, ln 2)
        (0.0, 2.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 0.0),
        (2.0, 0.0, 0.0, math.log(2.0)),
        (0.0, 0.5, math.inf, 0.0),
    ],
)
def test_pow_gradients_at_zero_follow_pytorch(a: float, b: float, want_a: float, want_b: float) -> None:
    # PyTorch's pow_backward_self / pow_backward_exponent mask 0 · inf to 0 where the base or
    # the exponent is 0 (tools/autograd/derivatives.yaml, FunctionsManual.cpp)
    x, y = Value(a), Value(b)
    (x**y).backward()
    assert (x.grad, y.grad) == (want_a, want_b)
    z = Value(a)
    (z**b).backward()
    assert z.grad == want_a


def test_x_to_the_zero_has_zero_gradient_everywhere() -> None:
    for v in (0.0, -2.0, 3.0):
        x = Value(v)
        (x**0).backward()
        assert x.grad == 0.0
        assert grad(grad(x**0, x, create_graph=True), x).data == 0.0


def test_write_fills_each_ops_template() -> None:
    assert OPS["mul"].write(["a", "b"]) == "a * b"
    assert OPS["tanh"].write(["n"]) == "tanh(n)"
    assert OPS["pown"].write(["x"], "2") == "x ** 2"
    assert OPS["dot"].write(["x1", "x2", "w1", "w2"]) == "dot(x1, x2, w1, w2)"
    assert OPS["dot"].write(["x1", "x2", "w1", "w2"], brackets=True) == "dot([x1, x2], [w1, w2])"
    assert OPS["mul"].write(["a"]) == "mul(a)"  # too few operands for the template
