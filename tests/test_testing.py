"""gradcheck, gradgradcheck and the shipped hypothesis strategies."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradnet import OPS, Value, apply, register_op
from microgradnet.ops import FLOAT_FUNCTIONS
from microgradnet.testing import GradcheckError, gradcheck, gradgradcheck, numeric_grad
from microgradnet.testing.strategies import Expression, expressions


def test_gradcheck_passes_on_correct_gradients() -> None:
    assert gradcheck(lambda a, b: (a * b + a.exp()).tanh(), [0.3, -1.2])
    assert gradcheck(lambda a: a**3, [Value(2.0, label="a")])


def test_gradcheck_catches_a_wrong_derivative_and_names_it() -> None:
    register_op("wrong_sin_test", params=["x"], forward="sin(x)", grads=["-cos(x)"])
    try:
        with pytest.raises(GradcheckError) as info:
            gradcheck(lambda t, u: apply("wrong_sin_test", t) + u, [Value(0.4, label="t"), 1.0])
        msg = str(info.value)
        assert "∂f/∂t" in msg and "x1" not in msg
        assert f"analytic {-math.cos(0.4)!r}" in msg and "numeric 0.92" in msg
        assert isinstance(info.value, AssertionError)
        with pytest.raises(GradcheckError, match="gradgradcheck"):
            gradgradcheck(lambda t: apply("wrong_sin_test", t) * t, [0.4])
    finally:
        del OPS["wrong_sin_test"], FLOAT_FUNCTIONS["wrong_sin_test"]


def test_gradcheck_does_not_touch_grad() -> None:
    x = Value(1.0)
    gradcheck(lambda a: a * a, [x])
    assert x.grad == 0.0


def test_gradgradcheck_covers_mixed_second_derivatives() -> None:
    assert gradgradcheck(lambda a, b: a * b * b + (a * b).sin(), [0.7, -0.4])


def test_numeric_grad_is_a_central_difference() -> None:
    (d,) = numeric_grad(lambda a: a**3, [2.0], eps=1e-3)
    assert math.isclose(d, 12.0 + 1e-6, rel_tol=1e-9)  # central difference error is eps²·f'''/6


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: gradcheck(lambda a: a, 1.0), TypeError, "sequence"),  # type: ignore[arg-type]
        (lambda: gradcheck(lambda a: a, []), ValueError, "at least one"),
        (lambda: gradcheck(lambda a: a, ["x"]), TypeError, "input 0"),
        (lambda: gradcheck(lambda a: 3.0, [1.0]), TypeError, "must return a Value"),
        (lambda: gradcheck(lambda a: a, [1.0], eps=0), ValueError, "eps"),
        (lambda: gradcheck(lambda a: a, [1.0], atol=-1), ValueError, "atol"),
    ],
)
def test_gradcheck_rejects_bad_arguments(call, error: type, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


def test_gradcheck_reports_nan() -> None:
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(lambda a: a.sqrt(), [-1.0])


@given(expressions())
def test_random_expression_graphs_pass_gradcheck(expr: Expression) -> None:
    assert gradcheck(expr.fn, expr.inputs, atol=1e-4)


@given(expressions(max_steps=4))
def test_random_expression_graphs_pass_gradgradcheck(expr: Expression) -> None:
    assert gradgradcheck(expr.fn, expr.inputs, atol=1e-3)


@given(expressions(ops=["mul", "add"], max_inputs=2, max_steps=8))
def test_expressions_use_only_the_ops_asked_for(expr: Expression) -> None:
    assert {name for name, _, _ in expr.fn.steps} <= {"mul", "add"}
    out = expr.fn(*[Value(x) for x in expr.inputs])
    assert math.isfinite(out.data)
    assert repr(expr.fn).startswith("Program(t0 = ")


@given(st.data())
def test_expressions_reject_unknown_ops(data: st.DataObject) -> None:
    with pytest.raises(ValueError, match="unknown op"):
        data.draw(expressions(ops=["nope"]))


def test_core_never_imports_hypothesis() -> None:
    code = "import sys, microgradnet, microgradnet.testing; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
