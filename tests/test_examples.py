"""Published worked examples, with their numbers and sources."""

from __future__ import annotations

import math

import pytest

from microgradnet import Value


def test_cs231n_add_mul_circuit() -> None:
    # CS231n "Backpropagation, Intuitions", f(x,y,z) = (x + y) z at x=-2, y=5, z=-4:
    # q = 3, f = -12, df/dz = 3, df/dx = df/dy = -4.  https://cs231n.github.io/optimization-2/
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    f.backward()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)


def test_cs231n_sigmoid_neuron() -> None:
    # CS231n, same page: w = [2, -3, -3], x = [-1, -2], f = σ(w0 x0 + w1 x1 + w2) = 0.73;
    # dx = [0.39, -0.59], dw = [-0.2, -0.39, 0.2] (to two decimals)
    w = [Value(2.0), Value(-3.0), Value(-3.0)]
    x = [Value(-1.0), Value(-2.0)]
    f = 1 / (1 + (-(w[0] * x[0] + w[1] * x[1] + w[2])).exp())
    f.backward()
    assert round(f.data, 2) == 0.73
    assert [round(v.grad, 2) for v in x] == [0.39, -0.59]
    assert [round(v.grad, 2) for v in w] == [-0.2, -0.39, 0.2]
    # and the sigmoid op gives the same numbers in one node
    w2 = [Value(2.0), Value(-3.0), Value(-3.0)]
    x2 = [Value(-1.0), Value(-2.0)]
    (w2[0] * x2[0] + w2[1] * x2[1] + w2[2]).sigmoid().backward()
    for u, v in zip(w + x, w2 + x2):
        assert math.isclose(u.grad, v.grad, rel_tol=1e-12)


def test_lecture_expression() -> None:
    # Karpathy, "The spelled-out intro to neural networks and backpropagation: building
    # micrograd": L = (a*b + c) * f at a=2, b=-3, c=10, f=-2 gives L = -8, a.grad = 6,
    # b.grad = -4, c.grad = -2, f.grad = 4.
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    assert L.data == -8.0
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)


@pytest.mark.parametrize("by_exp", [False, True])
def test_lecture_tanh_neuron(by_exp: bool) -> None:
    # Same lecture: x1=2, x2=0, w1=-3, w2=1, b=6.8813735870195432, o = tanh(x1 w1 + x2 w2 + b)
    # = 0.7071; x1.grad = -1.5, w1.grad = 1.0, x2.grad = 0.5, w2.grad = 0.0. The lecture also
    # builds tanh from exp, (e^2n - 1)/(e^2n + 1), and gets the same gradients.
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    if by_exp:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.backward()
    assert round(o.data, 4) == 0.7071
    assert math.isclose(x1.grad, -1.5, rel_tol=1e-9) and math.isclose(w1.grad, 1.0, rel_tol=1e-9)
    assert math.isclose(x2.grad, 0.5, rel_tol=1e-9) and w2.grad == 0.0


def test_micrograd_readme_expression() -> None:
    # micrograd's README (github.com/karpathy/micrograd): g = 24.7041, a.grad = 138.8338,
    # b.grad = 645.5773
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"
