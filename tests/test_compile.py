"""The compiled path gives the eager engine's numbers (issue 5).

Every property compares ``microgradnet.compile`` with eager ``backward()`` on the graph
``mean(loss_fn(model(x), t) for x, t in batch) + regularizer()``: the batch loss and every
parameter gradient agree to 1e-12 relative, over random MLP shapes, activations, losses and
random expression graphs from ``microgradnet.testing.strategies``.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradnet
from microgradnet import OPS, CompileError, Value, apply, register_op
from microgradnet.ops import FLOAT_FUNCTIONS
from microgradnet.testing.strategies import Expression, expressions


class TinyMLP:
    """A model built only from the engine (the compiler must not depend on microgradnet.nn)."""

    def __init__(self, sizes: Sequence[int], act: str, seed: int) -> None:
        rng = random.Random(seed)
        self.W = [
            [[Value(rng.uniform(-1, 1)) for _ in range(a)] for _ in range(b)]
            for a, b in itertools.pairwise(sizes)
        ]
        self.B = [[Value(rng.uniform(-0.5, 0.5)) for _ in range(b)] for b in sizes[1:]]
        self.act = act

    def parameters(self) -> list[Value]:
        return [p for layer in self.W for n in layer for p in n] + [b for layer in self.B for b in layer]

    def __call__(self, x: Sequence[Value]) -> list[Value]:
        for k, (layer, biases) in enumerate(zip(self.W, self.B)):
            if self.act == "mulsum":  # micrograd's neuron: b + w0*x0 + w1*x1 + ...
                out = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in zip(layer, biases)]
            else:
                out = [apply("dot", *x, *w) + b for w, b in zip(layer, biases)]
            last = k == len(self.W) - 1
            x = out if last else [o.tanh() if self.act == "mulsum" else getattr(o, self.act)() for o in out]
        return x


def cross_entropy(logits: list[Value], k: int) -> Value:
    return apply("sum", *[z.exp() for z in logits]).log() - logits[k]


def mse(out: list[Value], t: Value) -> Value:
    return (out[0] - t) ** 2


def hinge(out: list[Value], t: Value) -> Value:
    return (1 - t * out[0]).relu()


def mse_rows(out: list[Value], t: list[Value]) -> Value:
    return apply("sum", *[(o - ti) * (o - ti) for o, ti in zip(out, t)])


def eager(
    model: Any,
    loss_fn: Callable[..., Value],
    X: np.ndarray,
    y: np.ndarray,
    reg: Callable[[], Value] | None = None,
) -> tuple[float, list[float]]:
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    losses = []
    for x, t in zip(X, y):
        target: Any
        if y.dtype.kind == "i":
            target = int(t)
        elif y.ndim == 2:
            target = [Value(float(v)) for v in t]
        else:
            target = Value(float(t))
        losses.append(loss_fn(model([Value(float(v)) for v in x]), target))
    loss = apply("sum", *losses) * (1.0 / len(losses))
    if reg is not None:
        loss = loss + reg()
    loss.backward()
    return loss.data, [p.grad for p in params]


def compiled(
    model: Any,
    loss_fn: Callable[..., Value],
    X: np.ndarray,
    y: np.ndarray,
    reg: Callable[[], Value] | None = None,
) -> tuple[float, list[float]]:
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    loss = microgradnet.compile(model, loss_fn, regularizer=reg)(X, y)
    return loss, [p.grad for p in params]


def assert_close(a: Sequence[float], b: Sequence[float], rel: float = 1e-12) -> None:
    scale = max([1.0, *(abs(v) for v in b)])
    for k, (u, v) in enumerate(zip(a, b)):
        assert abs(u - v) <= rel * max(abs(v), 1e-3 * scale), (k, u, v)


@settings(max_examples=25)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    act=st.sampled_from(["tanh", "relu", "sigmoid", "mulsum"]),
    loss=st.sampled_from(["mse", "hinge", "ce", "rows"]),
    batch=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_compiled_mlp_gradients_equal_eager(
    sizes: list[int], act: str, loss: str, batch: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    if loss == "ce":
        sizes[-1] = max(2, sizes[-1])
    elif loss != "rows":
        sizes[-1] = 1
    model = TinyMLP(sizes, act, seed)
    X = rng.normal(size=(batch, sizes[0]))
    loss_fn: Callable[..., Value]
    if loss == "ce":
        y = rng.integers(0, sizes[-1], size=batch)
        loss_fn = cross_entropy
    elif loss == "rows":
        y = rng.normal(size=(batch, sizes[-1]))
        loss_fn = mse_rows
    else:
        y = rng.choice([-1.0, 1.0], size=batch) if loss == "hinge" else rng.normal(size=batch)
        loss_fn = hinge if loss == "hinge" else mse
    reg = (lambda: 1e-3 * apply("sum", *[p * p for p in model.parameters()])) if seed % 2 else None
    l_eager, g_eager = eager(model, loss_fn, X, y, reg)
    l_comp, g_comp = compiled(model, loss_fn, X, y, reg)
    assert_close([l_comp], [l_eager])
    assert_close(g_comp, g_eager)


@given(expr=expressions(), batch=st.integers(1, 4))
def test_compiled_expression_graphs_equal_eager(expr: Expression, batch: int) -> None:
    # the expression's inputs become parameters; the placeholder inputs are added to them and
    # are 0 in every row, so every row evaluates the expression at its sampled point
    params = [Value(x) for x in expr.inputs]

    class Model:
        def parameters(self) -> list[Value]:
            return params

        def __call__(self, xs: Sequence[Value]) -> Value:
            return expr.fn(*[p + x for p, x in zip(params, xs)])

    out = expr.fn(*[Value(x) for x in expr.inputs])
    assume_finite = math.isfinite(out.data)
    if not assume_finite:
        return
    leaves = [Value(x) for x in expr.inputs]
    root = expr.fn(*leaves)
    root.backward()
    X = np.zeros((batch, len(params)))
    loss = microgradnet.compile(Model(), lambda o, t: o)(X, np.zeros(batch))
    assert_close([loss], [root.data])
    assert_close([p.grad for p in params], [v.grad for v in leaves])


def test_gradients_accumulate_like_backward_and_data_is_unchanged() -> None:
    model = TinyMLP([3, 4, 1], "tanh", 0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    y = np.ones(5)
    before = [p.data for p in model.parameters()]
    _, once = compiled(model, mse, X, y)
    step = microgradnet.compile(model, mse)
    step(X, y)  # adds a second copy, as a second backward() would
    assert [p.grad for p in model.parameters()] == pytest.approx([2 * g for g in once], rel=1e-12)
    assert [p.data for p in model.parameters()] == before


def test_predict_matches_the_eager_forward() -> None:
    model = TinyMLP([4, 5, 3], "relu", 1)
    X = np.random.default_rng(1).normal(size=(7, 4))
    want = [[o.data for o in model([Value(float(v)) for v in x])] for x in X]
    got = microgradnet.compile(model).predict(X)
    assert got.shape == (7, 3)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_a_user_registered_op_compiles() -> None:
    register_op("compile_softplus", forward="log(1 + exp(x))", grads=["sigmoid(x)"], params=["x"])
    register_op("compile_cube", forward=lambda x: x * x * x, grads=["3 * x * x"])  # a Python forward
    try:
        model = TinyMLP([2, 3, 1], "tanh", 2)

        def loss_fn(out: list[Value], t: Value) -> Value:
            return apply("compile_cube", apply("compile_softplus", out[0] - t))

        X = np.random.default_rng(2).normal(size=(4, 2))
        y = np.random.default_rng(3).normal(size=4)
        l_eager, g_eager = eager(model, loss_fn, X, y)
        l_comp, g_comp = compiled(model, loss_fn, X, y)
        assert_close([l_comp], [l_eager])
        assert_close(g_comp, g_eager)
    finally:
        for name in ("compile_softplus", "compile_cube"):
            del OPS[name], FLOAT_FUNCTIONS[name]


def test_data_dependent_control_flow_is_a_compile_error() -> None:
    model = TinyMLP([2, 2, 1], "tanh", 3)

    def branchy(out: list[Value], t: Value) -> Value:
        return out[0] * 2 if out[0].data > t.data else out[0].exp()

    X = np.zeros((3, 2))
    y = np.array([-10.0, 0.0, 10.0])  # the first row takes one branch, the last the other
    with pytest.raises(CompileError, match="reads a number out of a Value"):
        microgradnet.compile(model, branchy)(X, y)
    # the eager path still works on the same model
    eager(model, branchy, X, y)


def test_a_constant_computed_from_data_is_a_compile_error() -> None:
    model = TinyMLP([2, 3], "tanh", 4)

    def shifted_ce(logits: list[Value], k: int) -> Value:
        m = max(z.data for z in logits)  # a float taken out of the graph
        return apply("sum", *[(z - m).exp() for z in logits]).log() - (logits[k] - m)

    with pytest.raises(CompileError, match="constant"):
        microgradnet.compile(model, shifted_ce)(np.ones((2, 2)), np.array([0, 1]))


def test_bad_arguments_are_rejected_before_anything_changes() -> None:
    model = TinyMLP([2, 2, 1], "tanh", 5)
    with pytest.raises(TypeError, match="parameters"):
        microgradnet.compile(object(), mse)
    with pytest.raises(TypeError, match="loss_fn"):
        microgradnet.compile(model, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reduction"):
        microgradnet.compile(model, mse, reduction="max")
    step = microgradnet.compile(model, mse)
    with pytest.raises(ValueError, match="2-D"):
        step(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="one target per row"):
        step(np.zeros((3, 2)), np.zeros(4))
    assert all(p.grad == 0.0 for p in model.parameters())


def test_sum_reduction_is_batch_size_times_mean() -> None:
    model = TinyMLP([2, 3, 1], "tanh", 6)
    X = np.random.default_rng(4).normal(size=(6, 2))
    y = np.random.default_rng(5).normal(size=6)
    mean = microgradnet.compile(model, mse)(X, y)
    total = microgradnet.compile(model, mse, reduction="sum")(X, y)
    assert total == pytest.approx(6 * mean, rel=1e-12)


def test_repeated_operands_with_infinite_gradients_stay_ieee() -> None:
    # a node read twice gets both contributions; an inf in one row must not leak into another
    class Model:
        def __init__(self) -> None:
            self.w = Value(1.0)

        def parameters(self) -> list[Value]:
            return [self.w]

        def __call__(self, xs: Sequence[Value]) -> list[Value]:
            h = xs[0] * self.w
            return [h * h, (xs[1] * self.w).log()]

    def loss_fn(out: list[Value], t: Value) -> Value:
        return out[0] + out[1] * t

    model = Model()
    X = np.array([[2.0, 0.0], [1.0, 3.0]])  # log(0) in the first row: an infinite local derivative
    y = np.array([0.0, 1.0])
    l_eager, g_eager = eager(model, loss_fn, X, y)
    l_comp, g_comp = compiled(model, loss_fn, X, y)
    assert math.isnan(l_eager) == math.isnan(l_comp)
    assert [math.isnan(g) for g in g_comp] == [math.isnan(g) for g in g_eager]
