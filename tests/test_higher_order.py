"""Derivatives of derivatives: ``grad(..., create_graph=True)`` builds a graph that can be
differentiated again. Checked against mpmath's numerical derivatives at 50 digits."""

from __future__ import annotations

import math

import mpmath as mp
import pytest

from microgradnet import Value, grad

mp.mp.dps = 50

# f, its mpmath twin, and a point inside its domain
FUNCTIONS = {
    "tanh": (lambda x: x.tanh(), mp.tanh, 0.4),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: 1 / (1 + mp.exp(-x)), -0.7),
    "exp": (lambda x: x.exp(), mp.exp, 0.3),
    "log": (lambda x: x.log(), mp.log, 1.7),
    "pow 3": (lambda x: x**3, lambda x: x**3, 1.3),
    "pow 2.5": (lambda x: x**2.5, lambda x: x**2.5, 1.3),
    "pow -1": (lambda x: x**-1, lambda x: 1 / x, 0.8),
    "x ** x": (lambda x: x**x, lambda x: x**x, 1.2),
    "2 ** x": (lambda x: 2**x, lambda x: mp.power(2, x), 0.6),
    "sin": (lambda x: x.sin(), mp.sin, 0.9),
    "cos": (lambda x: x.cos(), mp.cos, 0.9),
    "sqrt": (lambda x: x.sqrt(), mp.sqrt, 2.0),
    "div": (lambda x: 1 / (1 + x * x), lambda x: 1 / (1 + x * x), 0.5),
    "tanh neuron": (
        lambda x: (x * -3.0 + 6.8813735870195432).tanh(),
        lambda x: mp.tanh(-3 * x + 6.8813735870195432),
        2.0,
    ),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("order", [1, 2, 3])
def test_nth_derivative_matches_mpmath(name: str, order: int) -> None:
    f, f_mp, x0 = FUNCTIONS[name]
    x = Value(x0)
    d = f(x)
    for _ in range(order):
        d = grad(d, x, create_graph=True)
    want = float(mp.diff(f_mp, mp.mpf(x0), order))
    assert math.isclose(d.data, want, rel_tol=1e-10, abs_tol=1e-12), (name, order, d.data, want)


def test_mixed_second_derivative() -> None:
    # f = x² y³: ∂²f/∂x∂y = 6 x y²
    x, y = Value(1.5), Value(-2.0)
    f = x**2 * y**3
    fx = grad(f, x, create_graph=True)
    assert grad(fx, y).data == pytest.approx(6 * 1.5 * 4.0, rel=1e-12)


def test_create_graph_false_gives_constant_leaves() -> None:
    x = Value(0.5)
    g = grad(x.tanh(), x)
    assert g.op == "" and g.children == ()
    assert grad(g, x).data == 0.0


def test_grad_of_gradient_graph_leaves_dot_grad_alone() -> None:
    x = Value(0.5)
    y = x.tanh() * x
    g = grad(y, x, create_graph=True)
    grad(g, x)
    assert x.grad == 0.0 and y.grad == 0.0


def test_backward_through_a_gradient_graph() -> None:
    # d/dx of (dy/dx)² where y = x³: (3x²)² = 9x⁴ → 36x³
    x = Value(2.0)
    g = grad(x**3, x, create_graph=True)
    (g * g).backward()
    assert x.grad == pytest.approx(36 * 8.0, rel=1e-12)
