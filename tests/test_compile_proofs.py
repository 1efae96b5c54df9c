"""The compiled path is never silently wrong (issue 10: items 2, 4, 5, 11, 12) and reads the op
table, not a copy of it (issue 9: primitives on arrays, a layer's products derived from its row).

Item 2's proof is the engine's ``watch_reads`` (every read of a Value's number while the trace
runs); these tests check what the compiler does with the reads.
"""

from __future__ import annotations

import ast
import math
import pickle
import random
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import microgradnet
from microgradnet import (
    OPS,
    AnomalyError,
    CompileError,
    Value,
    apply,
    detect_anomaly,
    losses,
    nn,
    no_grad,
    register_op,
    train,
)
from microgradnet.compile import NUMPY_FUNCTIONS, for_fit
from microgradnet.compile import trace as compile_trace
from microgradnet.compile.arrays import ArrayOps, array_formula
from microgradnet.ops import FLOAT_FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]

# ---- item 2: data-dependent control flow and randomness are proven absent --------------------


class FloatBranch:
    """Issue 10 item 2: ``w0*x0 if float(x0) > 0 else w1*x0`` (plus a bias)."""

    def __init__(self) -> None:
        self.w0, self.w1, self.b = Value(1.0), Value(-0.3), Value(0.1)

    def parameters(self) -> list[Value]:
        return [self.w0, self.w1, self.b]

    def __call__(self, x: Sequence[Value]) -> Value:
        return (self.w0 * x[0] if float(x[0]) > 0 else self.w1 * x[0]) + self.b


ISSUE_X = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 1.0], [-2.0, 1.0], [3.0, 1.0]])
ISSUE_Y = np.array([1.0, 0.5, 2.0, -1.0, 3.0])


def _fit(model: Any, compile: bool) -> list[float]:
    opt = microgradnet.optim.SGD(model.parameters(), lr=0.5)
    kw: dict[str, Any] = dict(
        loss="mse", optimizer=opt, epochs=5, batch_size=5, shuffle=False, progress=False
    )
    train.fit(model, ISSUE_X, ISSUE_Y, compile=compile, **kw)
    return [p.data for p in model.parameters()]


def test_a_float_read_in_forward_falls_back_to_eager_and_trains_like_it() -> None:
    # the rows the old check traced (first, last, a random point) all take the w0 branch
    with pytest.warns(RuntimeWarning, match=r"reads a number out of a Value.*float"):
        compiled = _fit(FloatBranch(), compile=True)
    assert compiled == _fit(FloatBranch(), compile=False)


def test_compile_names_the_read() -> None:
    step = microgradnet.compile(FloatBranch(), lambda out, t: (out - t) ** 2)
    with pytest.raises(CompileError, match=r"float\(\) of"):
        step(ISSUE_X, ISSUE_Y)


class Dropout:
    """A dropout-like mask drawn from ``random`` in forward."""

    def __init__(self) -> None:
        self.w = Value(0.7)

    def parameters(self) -> list[Value]:
        return [self.w]

    def __call__(self, x: Sequence[Value]) -> Value:
        keep = 2.0 if random.random() < 0.5 else 0.0
        return self.w * x[0] * keep


def test_a_random_mask_in_forward_falls_back_to_eager_with_the_same_draws() -> None:
    runs = []
    for compile in (True, False):
        random.seed(4)  # the failed trace must not consume draws: both runs see the same masks
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            runs.append(_fit(Dropout(), compile))
        assert compile == any("a call into random" in str(w.message) for w in caught)
    assert runs[0] == runs[1]


class NumpyDropout:
    """A dropout mask drawn from a NumPy generator the model holds (the audit's case)."""

    def __init__(self, rng: Any) -> None:
        self.w = [Value(0.5), Value(-0.5), Value(0.2)]
        self.rng = rng

    def parameters(self) -> list[Value]:
        return self.w

    def __call__(self, x: Sequence[Value]) -> Value:
        keep = self.rng.random(2) > 0.5
        return sum((w * xi if k else w * 0.0 for w, xi, k in zip(self.w, x, keep)), self.w[2])


@pytest.mark.parametrize(
    "make",
    [lambda: np.random.default_rng(0), lambda: np.random.RandomState(0)],
    ids=["Generator", "RandomState"],
)
def test_a_numpy_generator_draw_in_forward_falls_back_to_eager_with_the_same_draws(make: Any) -> None:
    # before, the first mask was frozen into the tape with no error and no warning
    runs = []
    for compile in (True, False):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            runs.append(_fit(NumpyDropout(make()), compile))
        assert compile == any(compile_trace.NUMPY_DRAW in str(w.message) for w in caught)
    assert runs[0] == runs[1]  # the failed trace put the generator back
    with pytest.raises(CompileError, match="NumPy random generator"):
        microgradnet.compile(NumpyDropout(make()), lambda out, t: (out - t) ** 2)(ISSUE_X, ISSUE_Y)


def test_a_plain_mlp_with_a_named_loss_watches_only_its_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 15's setup cost: watching every parameter while tracing the loss of a plain MLP is
    # needed only when code that can reach them runs (a regularizer, a loss of your own)
    watched: list[int] = []
    real = compile_trace.watch_reads

    def spy(leaves: Any) -> Any:
        leaves = list(leaves)
        watched.append(len(leaves))
        return real(leaves)

    monkeypatch.setattr(compile_trace, "watch_reads", spy)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, 5)), rng.integers(0, 3, 6)
    m = nn.MLP(5, [4, 3], seed=0)
    n = len(m.parameters())
    for_fit(m, "cross_entropy")(X, y)
    for_fit(m, "cross_entropy", l2=0.1)(X, y)
    assert watched == [3, 3 + n]  # the three outputs; then the parameters too
    one = nn.MLP(5, [4, 1], seed=0)
    b = one.layers[0].neurons[0].b

    def peeks(out: Value, t: Value) -> Value:
        return (out - t) ** 2 * (2.0 if b.data > 0 else 1.0)

    with pytest.raises(CompileError, match=r"\.data of"):
        microgradnet.compile(one, peeks)(X, X[:, 0])  # a loss of your own is watched whole
    with pytest.raises(CompileError, match=r"\.data of"):
        microgradnet.compile(one, lambda o, t: (o - t) ** 2, regularizer=lambda: b * b.data)(X, X[:, 0])


# ---- item 4: anomaly mode and no_grad --------------------------------------------------------


@pytest.mark.parametrize("compile", [True, False])
def test_fit_inside_detect_anomaly_raises_on_the_first_non_finite_value(compile: bool) -> None:
    X, y = microgradnet.data.make_blobs(n=24, classes=3, seed=0)
    model = nn.MLP(2, [4, 3], seed=0)
    with detect_anomaly(), pytest.raises(AnomalyError, match="forward"):
        train.fit(model, X, y, lr=1e300, epochs=3, batch_size=8, progress=False, compile=compile)


def test_fit_inside_no_grad_is_an_error_that_changes_nothing() -> None:
    X, y = microgradnet.data.make_blobs(n=12, classes=2, seed=0)
    model = nn.MLP(2, [3, 2], seed=0)
    before = [p.data for p in model.parameters()]
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        train.fit(model, X, y, epochs=1, progress=False)
    assert [p.data for p in model.parameters()] == before


def test_compile_inside_no_grad_is_a_compile_error() -> None:
    with no_grad(), pytest.raises(CompileError, match="no_grad"):
        for_fit(nn.MLP(2, [2], seed=0), "cross_entropy")(np.zeros((2, 2)), np.array([0, 1]))


# ---- item 5: the cross-entropy is exact: the same formula eagerly and compiled --------------


class Scale:
    """Logits ``w_k · x_k``: the inputs set their size."""

    def __init__(self) -> None:
        self.w = [Value(1.0), Value(1.0), Value(1.0)]

    def parameters(self) -> list[Value]:
        return self.w

    def __call__(self, x: Sequence[Value]) -> list[Value]:
        return [w * xi for w, xi in zip(self.w, x)]


def test_cross_entropy_of_logits_near_1e19_is_finite_and_equals_eager() -> None:
    # one of the issue's cases: the old compiled max, a + relu(b - a), was off by 2048 here: -inf
    X = np.array([[-1.1007479445493213e19, 1.4891882030211117e19, 2.543075000159044e18]])
    model = Scale()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning either
        loss = for_fit(model, "cross_entropy")(X, np.array([2]))
    eager = losses.cross_entropy([[Value(v) for v in X[0]]], [2])
    assert loss == eager.data == pytest.approx(1.2348807030052073e19)
    assert all(math.isfinite(w.grad) for w in model.w)


def test_cross_entropy_is_never_negative_at_logits_of_1000() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)) * 1e3
    step = for_fit(Scale(), "cross_entropy")
    for row in range(len(X)):  # the class is the largest logit: the loss is about e**-1000, not < 0
        loss, _ = step.evaluate(X[row : row + 1], X[row : row + 1].argmax(axis=1))
        assert loss >= 0.0


# ---- item 11: an op with a Python conditional or float() in its formulas compiles ------------


@pytest.fixture
def scalar_ops() -> Iterator[None]:
    register_op("leaky_c", forward="x if x > 0 else 0.1 * x", grads=["1.0 if x > 0 else 0.1"], params=["x"])
    register_op("twice_c", forward="2 * float(x)", grads=["2.0"], params=["x"])
    register_op(
        "band_c",
        forward="x if -1 < x < 1 and not x == 0.5 else 0.0",
        grads=["step(1 - abs(x))"],
        params=["x"],
    )
    yield
    for name in ("leaky_c", "twice_c", "band_c"):
        del OPS[name], FLOAT_FUNCTIONS[name]


def test_ops_with_conditionals_and_float_compile_and_train_like_eager(scalar_ops: None) -> None:
    class Net:
        def __init__(self) -> None:
            self.w = [Value(0.3), Value(-0.2), Value(0.8)]

        def parameters(self) -> list[Value]:
            return self.w

        def __call__(self, x: Sequence[Value]) -> Value:
            h = apply("leaky_c", self.w[0] * x[0] + self.w[1] * x[1])
            return apply("twice_c", h) + apply("band_c", self.w[2] * x[1])

    X = np.array([[1.0, 2.0], [-3.0, 0.5], [2.0, -1.0], [0.5, 0.2]])
    y = np.array([0.5, -1.0, 2.0, 0.0])
    fast, slow = Net(), Net()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # compiled: no fallback warning
        train.fit(fast, X, y, loss="mse", epochs=3, batch_size=2, progress=False)
    train.fit(slow, X, y, loss="mse", epochs=3, batch_size=2, progress=False, compile=False)
    np.testing.assert_allclose(
        [p.data for p in fast.parameters()], [p.data for p in slow.parameters()], rtol=1e-12
    )


def test_array_formulas_rewrite_python_conditionals() -> None:
    assert array_formula("x if x > 0 else 0.1 * x") == "_where(x > 0, x, 0.1 * x)"
    assert array_formula("0 < x < 1 and not b") == "_and(_and(0 < x, x < 1), _not(b))"
    assert array_formula("a * b") == "a * b"


def test_an_op_that_cannot_run_on_arrays_is_a_compile_error_naming_it() -> None:
    # `x in (...)` is fine on a float and ambiguous on an array: no rewrite makes it element-wise
    register_op("bad_c", forward="2 * x if x in (0.0, 1.0) else x", grads=["1.0"], params=["x"])
    try:
        with pytest.raises(CompileError, match="op 'bad_c' cannot run on arrays"):
            ArrayOps().get(OPS["bad_c"])
        model = nn.MLP(1, [1], seed=0)
        X, y = np.array([[0.5], [1.5]]), np.array([1.0, 2.0])

        def loss_fn(out: Value, t: Value) -> Value:
            return (apply("bad_c", out) - t) ** 2

        with pytest.raises(CompileError, match="bad_c"):
            microgradnet.compile(model, loss_fn)(X, y)
    finally:
        del OPS["bad_c"], FLOAT_FUNCTIONS["bad_c"]


# ---- item 12: a model pickled in another process -------------------------------------------


def test_a_model_pickled_in_another_process_compiles(tmp_path: Path) -> None:
    saved = tmp_path / "model.pkl"
    make = f"""
        import pickle
        from microgradnet import Value, nn
        junk = [Value(float(k)) for k in range(100_000)]  # creation indices run high here
        with open({str(saved)!r}, "wb") as f:
            pickle.dump(nn.MLP(2, [3, 2], seed=0), f)
    """
    use = f"""
        import pickle, numpy as np
        from microgradnet import data, train
        X, y = data.make_blobs(n=16, classes=2, seed=0)
        with open({str(saved)!r}, "rb") as f:
            fast, slow = pickle.load(f), pickle.load(open({str(saved)!r}, "rb"))
        train.fit(fast, X, y, epochs=2, batch_size=8, progress=False)
        train.fit(slow, X, y, epochs=2, batch_size=8, progress=False, compile=False)
        a, b = [p.data for p in fast.parameters()], [p.data for p in slow.parameters()]
        assert np.allclose(a, b, rtol=1e-12, atol=1e-15), (a, b)
    """
    for code in (make, use):
        run = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", textwrap.dedent(code)],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]


def test_the_trace_orders_leaves_first_whatever_their_creation_index() -> None:
    late = Value(2.0)
    x = Value(3.0)
    y = x * late
    late._birth = 10**12  # (as if unpickled from a process that had made many Values)
    order = compile_trace.order([y])
    assert order[-1] is y and set(order[:2]) == {x, late}


# ---- issue 9: the op table on arrays -------------------------------------------------------


def test_every_builtin_function_has_a_numpy_version() -> None:
    from microgradnet.ops import _BUILTIN

    builtin_functions = [n for n in FLOAT_FUNCTIONS if n in _BUILTIN or n not in OPS]
    assert sorted(set(builtin_functions) - set(NUMPY_FUNCTIONS)) == []


@pytest.mark.parametrize("op", list(OPS.values()), ids=lambda o: o.name)
def test_every_op_on_arrays_matches_its_float_functions(op: microgradnet.Op) -> None:
    """Forward and every local derivative, on random points of the op's domain, element by
    element against the op table's float functions (1e-12 relative)."""
    entry = ArrayOps().get(op)  # (also checks a few points itself)
    rng = np.random.default_rng(7)
    per = 3 if op.variadic else 1
    cols = 40
    rows = []
    for d in op.domain:
        for _ in range(per):
            row = [float(v) for v in rng.uniform(d.lo, d.hi, 4 * cols) if d.contains(float(v))]
            rows.append(row[:cols])
    xs = np.array(rows)[:, None, :]
    arg = 1.5 if op.arg else None
    operands: Any = [xs[g * per : (g + 1) * per] for g in range(len(op.params))] if op.variadic else xs
    with np.errstate(all="ignore"):
        out = np.broadcast_to(entry.forward(operands, arg), (1, cols))
        local = entry.grads(operands, out, arg)
    for c in range(cols):
        point = [float(v) for v in xs[:, 0, c]]
        want = op.float_forward(point, 0.0, arg)
        assert out[0, c] == pytest.approx(want, rel=1e-12, abs=1e-300, nan_ok=True)
        want_grads = op.local_grads(point, want, arg)
        got_grads = []
        for d in local:
            d = np.asarray(d, dtype=float)
            got_grads += (
                [float(np.broadcast_to(d, (per, 1, cols))[k, 0, c]) for k in range(per)]
                if op.variadic
                else [float(np.broadcast_to(d, (1, cols))[0, c])]
            )
        assert got_grads == pytest.approx(list(want_grads), rel=1e-12, abs=1e-300, nan_ok=True)


def test_a_layer_of_a_user_variadic_op_derives_its_products_from_the_row() -> None:
    # "2·dot" with derivatives 2·w[i] and 2·x[i]: a hand-written W.T @ up would miss the 2
    register_op(
        "dot2_c", forward="2 * dot(x, w)", grads=["2 * w[i]", "2 * x[i]"], params=["x", "w"], variadic=True
    )
    try:

        class Layer:
            def __init__(self) -> None:
                r = random.Random(3)
                self.W = [[Value(r.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]

            def parameters(self) -> list[Value]:
                return [w for row in self.W for w in row]

            def __call__(self, x: Sequence[Value]) -> list[Value]:
                return [apply("dot2_c", *x, *row).tanh() for row in self.W]

        X = np.random.default_rng(0).normal(size=(5, 3))
        y = np.array([0, 1, 2, 3, 1])
        fast, slow = Layer(), Layer()
        step = for_fit(fast, "cross_entropy")
        loss = step(X, y)
        assert "dot2_c   x4    W @ X" in step.describe()
        eager = losses.cross_entropy([slow(x) for x in X.tolist()], y.tolist())
        eager.backward()
        assert loss == pytest.approx(eager.data, rel=1e-12)
        np.testing.assert_allclose(
            [p.grad for p in fast.parameters()], [p.grad for p in slow.parameters()], rtol=1e-11
        )
    finally:
        del OPS["dot2_c"], FLOAT_FUNCTIONS["dot2_c"]


@pytest.mark.parametrize("module", ["losses.py", "optim.py"])
def test_the_pure_python_layers_import_neither_numpy_nor_compile(module: str) -> None:
    tree = ast.parse((ROOT / "src" / "microgradnet" / module).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] == "numpy" or n.startswith("microgradnet.compile")}


def test_a_pickled_value_round_trip_keeps_the_numbers() -> None:
    v = pickle.loads(pickle.dumps(Value(1.5)))
    assert v.data == 1.5 and v.grad == 0.0


def test_a_float_function_without_an_array_version_is_a_compile_error() -> None:
    FLOAT_FUNCTIONS["halve_c"] = lambda x: x / 2
    register_op("uses_halve_c", forward="halve_c(x)", grads=["0.5"], params=["x"])
    try:
        with pytest.raises(CompileError, match="'halve_c' is a float function with no array version"):
            ArrayOps().get(OPS["uses_halve_c"])
        NUMPY_FUNCTIONS["halve_c"] = lambda x: x / 2  # ... until it has one
        assert ArrayOps().get(OPS["uses_halve_c"]).forward(np.array([[[3.0]]]), None).tolist() == [[1.5]]
    finally:
        del OPS["uses_halve_c"], FLOAT_FUNCTIONS["uses_halve_c"], FLOAT_FUNCTIONS["halve_c"]
        NUMPY_FUNCTIONS.pop("halve_c", None)
