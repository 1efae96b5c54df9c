"""The generated code of a tape (issue 15): the interpreter's numbers, faster.

``compile/program.py`` writes a tape's forward and backward pass as straight-line NumPy code over
arrays allocated once; ``compile/update.py`` runs an optimizer's rule in place;
``compile/layers.py`` writes a plain MLP's tape without tracing it. Each is checked against
what it replaces: the interpreter (``compile/run.py``, which ``detect_anomaly()`` still runs),
the rule called on arrays, and the tape tracing the whole model gives — equal to the last bit
(``np.array_equal``: a zero gradient may differ in its sign only). That the compiled numbers
equal the eager engine's is tests/test_compile.py's and tests/test_fused.py's job.
"""

from __future__ import annotations

import contextlib
import math
import tracemalloc
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradnet
from microgradnet import Value, apply, detect_anomaly, nn, optim
from microgradnet.compile import CompiledStep, for_fit, layers
from microgradnet.compile.arrays import INTO, NUMPY_FUNCTIONS
from microgradnet.compile.program import Stores
from microgradnet.compile.update import SQRT, Recorder
from microgradnet.losses import LOSSES
from microgradnet.testing.strategies import Expression, expressions


def both_ways(step: CompiledStep, X: np.ndarray, y: np.ndarray) -> list[tuple[float, Any, Any]]:
    """(loss, parameter gradients, outputs) from the generated program, then from the
    interpreter (inside ``detect_anomaly()`` the compiled step interprets its tape)."""
    batch = step._prepare(X, y)
    runs = []
    for interpret in (False, True):
        stores = Stores(batch.tape)
        stores.params[:] = [p.data for p in step._params]
        with detect_anomaly() if interpret else contextlib.nullcontext(), np.errstate(all="ignore"):
            loss = step._forward(batch, stores, backward=True)
            step._backward(batch, stores)
        runs.append((loss, stores.grads.copy(), step.last_outputs))
    return runs


def assert_same(runs: list[tuple[float, Any, Any]]) -> None:
    (l1, g1, o1), (l2, g2, o2) = runs
    assert l1 == l2
    assert np.array_equal(g1, g2)
    assert np.array_equal(o1, o2)


def targets_for(loss: str, n_out: int, rows: int, rng: np.random.Generator) -> np.ndarray:
    if LOSSES[loss].target == "class":
        return rng.integers(0, n_out if loss == "cross_entropy" else 2, rows)
    return rng.normal(size=rows)


@settings(max_examples=40, deadline=None)
@given(
    loss=st.sampled_from(["cross_entropy", "mse", "mae", "hinge", "binary_cross_entropy_with_logits"]),
    hidden=st.lists(st.integers(1, 6), max_size=2),
    n_in=st.integers(1, 5),
    classes=st.integers(2, 12),
    act=st.sampled_from(["tanh", "relu", "sigmoid", "linear"]),
    batch=st.integers(1, 9),
    l2=st.sampled_from([0.0, 1e-3]),
    seed=st.integers(0, 1000),
)
def test_generated_code_gives_the_interpreters_numbers(
    loss: str, hidden: list[int], n_in: int, classes: int, act: str, batch: int, l2: float, seed: int
) -> None:
    # up to 12 classes: a cross-entropy's log-sum row receives one contribution per class,
    # summed down the nodes (with one column, NumPy would sum them pairwise instead)
    rng = np.random.default_rng(seed)
    n_out = classes if loss == "cross_entropy" else 1
    model = nn.MLP(n_in, [*hidden, n_out], activation=act, seed=seed)
    X = rng.normal(size=(batch, n_in))
    assert_same(both_ways(for_fit(model, loss, l2), X, targets_for(loss, n_out, batch, rng)))


@settings(max_examples=60, deadline=None)
@given(expr=expressions(), batch=st.integers(1, 4))
def test_generated_code_of_any_expression_gives_the_interpreters_numbers(
    expr: Expression, batch: int
) -> None:
    params = [Value(x) for x in expr.inputs]

    class Model:
        def parameters(self) -> list[Value]:
            return params

        def __call__(self, xs: Sequence[Value]) -> Value:
            return expr.fn(*[p + x * x for p, x in zip(params, xs)])

    if not math.isfinite(expr.fn(*[Value(x) for x in expr.inputs]).data):
        return  # (detect_anomaly would stop the interpreter)
    X = np.random.default_rng(batch).normal(scale=1e-3, size=(batch, len(params)))
    step = microgradnet.compile(Model(), lambda out, t: out * t)
    try:
        runs = both_ways(step, X, np.linspace(0.5, 1.5, batch))
    except microgradnet.AnomalyError:
        return  # a non-finite gradient somewhere: the interpreter stops, nothing to compare
    assert_same(runs)


# ---- plain MLPs: their tape without tracing them -----------------------------------------------


def traced_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layers, "plan_of", lambda model, params: None)


@pytest.mark.parametrize(
    ("sizes", "act", "loss", "l2"),
    [
        ([5, 4, 3], "tanh", "cross_entropy", 0.0),
        ([3, 6, 5, 1], "relu", "mse", 1e-3),
        ([4, 1], "sigmoid", "hinge", 0.0),
        ([4, 7, 1], "linear", "binary_cross_entropy_with_logits", 1e-2),
    ],
)
def test_a_plain_mlp_gets_the_tape_tracing_it_whole_gives(
    sizes: list[int], act: str, loss: str, l2: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    model = nn.MLP(sizes[0], sizes[1:], activation=act, seed=1)
    X = rng.normal(size=(6, sizes[0]))
    y = targets_for(loss, sizes[-1], 6, rng)
    fast = for_fit(model, loss, l2)
    fast_runs = both_ways(fast, X, y)
    with monkeypatch.context() as m:
        traced_whole(m)
        whole = for_fit(model, loss, l2)
        whole_runs = both_ways(whole, X, y)
    assert_same([fast_runs[0], whole_runs[0]])
    (tape_a, _), (tape_b, _) = next(iter(fast._tapes.values())), next(iter(whole._tapes.values()))
    shape = [(s.op.name, s.size, s.mode, s.depth, s.needs_grad, s.batched) for s in tape_a.steps]
    assert shape == [(s.op.name, s.size, s.mode, s.depth, s.needs_grad, s.batched) for s in tape_b.steps]
    assert fast.predict(X).tolist() == whole.predict(X).tolist()


def test_a_plain_mlp_is_not_traced_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    model = nn.MLP(6, [5, 3], activation="tanh", seed=0)
    step = for_fit(model, "cross_entropy")

    def whole_trace(*args: Any) -> Any:
        raise AssertionError("the whole model was traced")

    monkeypatch.setattr(step.tracer, "trace", whole_trace)
    X = np.random.default_rng(0).normal(size=(4, 6))
    step(X, np.array([0, 1, 2, 1]))  # only the loss is traced, on the model's outputs


class MyMLP(nn.MLP):
    pass


def subclass() -> nn.MLP:
    return MyMLP(3, [4, 2], activation="tanh", seed=0)


def linear_inside() -> nn.MLP:
    model = nn.MLP(3, [4, 2], activation="tanh", seed=0)
    model.layers[1] = nn.Linear(4, 2, seed=0)
    return model


def forward_replaced() -> nn.MLP:
    model = nn.MLP(3, [4, 2], activation="tanh", seed=0)
    model.forward = lambda x: [apply("sum", *model.layers[0].outputs(x))] * 2  # type: ignore[method-assign]
    return model


@pytest.mark.parametrize("make", [subclass, linear_inside, forward_replaced])
def test_anything_but_a_plain_mlp_is_traced_whole_and_trains_like_eager(make: Any) -> None:
    model = make()
    assert model._compile_plan() is None
    eager_model = make()
    X = np.random.default_rng(1).normal(size=(5, 3))
    y = np.array([0, 1, 1, 0, 1])
    model.zero_grad()
    got = for_fit(model, "cross_entropy")(X, y)
    out = [eager_model(x) for x in X.tolist()]
    want = microgradnet.losses.cross_entropy(out, y.tolist())
    eager_model.zero_grad()
    want.backward()
    assert got == pytest.approx(want.data, rel=1e-12)
    grads = [p.grad for p in model.parameters()]
    np.testing.assert_allclose(grads, [p.grad for p in eager_model.parameters()], rtol=1e-12, atol=1e-15)


def test_a_layers_activation_changed_after_construction_is_followed() -> None:
    model = nn.MLP(3, [4, 2], activation="tanh", seed=0)
    model.layers[0].activation = "relu"
    plan = model._compile_plan()
    assert plan is not None and [op for _, _, op in plan] == ["relu", None]
    X = np.random.default_rng(2).normal(size=(4, 3))
    want = [[o.data for o in model(x)] for x in X.tolist()]
    np.testing.assert_allclose(for_fit(model, "cross_entropy").predict(X), want, rtol=1e-14)


# ---- what the generated code does and does not do -------------------------------------------


def test_one_product_per_layer_forward_and_none_into_the_features() -> None:
    model = nn.MLP(20, [8, 6, 3], activation="tanh", seed=0)
    step = for_fit(model, "cross_entropy")
    step(np.random.default_rng(0).normal(size=(4, 20)), np.array([0, 1, 2, 0]))
    ((tape, _),) = step._tapes.values()
    program = step._stores[id(tape)].programs[(4, True)]
    forward, backward = program.source().split("def backward")
    dot = program._src.name(INTO[NUMPY_FUNCTIONS["dot"]], "f")
    assert forward.count(f"{dot}(") == 3  # one matrix product per layer
    assert backward.count("np.matmul(") == 2 * 3 - 1  # the first layer's inputs get none


def test_training_steps_allocate_nothing_the_size_of_the_model() -> None:
    model = nn.MLP(64, [48, 10], activation="tanh", seed=0)  # 3,610 parameters: 28 KB of floats
    trainer = for_fit(model, "cross_entropy").trainer(optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(16, 64)), rng.integers(0, 10, 16)) for _ in range(30)]
    trainer.run(batches[:5])  # traces and writes the programs
    for _ in batches[:2]:
        trainer.step(*batches[0])
    tracemalloc.start()
    try:
        for X, y in batches:
            trainer.step(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000, peak  # less than one array of the parameters (28,880 bytes)


def test_an_interrupted_step_leaves_the_last_completed_step_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    batches = [(rng.normal(size=(4, 3)), rng.integers(0, 2, 4)) for _ in range(3)]
    model, twin = nn.MLP(3, [4, 2], seed=2), nn.MLP(3, [4, 2], seed=2)
    opt, twin_opt = (
        optim.SGD(model.parameters(), lr=0.1, momentum=0.5),
        optim.SGD(twin.parameters(), lr=0.1, momentum=0.5),
    )
    trainer = for_fit(model, "cross_entropy").trainer(opt)
    real = trainer._update

    def interrupted(*args: Any) -> None:
        real(*args)  # half of a step's work done, the other half never happens
        if trainer._done == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "_update", interrupted)
    with pytest.raises(KeyboardInterrupt):
        trainer.run(batches)
    twin_trainer = for_fit(twin, "cross_entropy").trainer(twin_opt)
    twin_trainer.run(batches[:2])
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]
    assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]
    assert opt.state_dict() == twin_opt.state_dict()


# ---- update rules in place -------------------------------------------------------------------

OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "sgd-momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
    "nesterov": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.8, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.02, weight_decay=0.05),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("step", [0, 3])
def test_a_recorded_rule_gives_the_rule_on_arrays_bit_for_bit(name: str, step: int) -> None:
    rng = np.random.default_rng(7)
    opt = OPTIMIZERS[name]([Value(0.0) for _ in range(50)])
    n_bufs = len(opt.state_names())
    p, g = rng.normal(size=50), rng.normal(size=50) * 1e3
    bufs = [rng.normal(size=50) ** 2 for _ in range(n_bufs)]
    want = opt.update_rule(step, np.sqrt)(p, g, *bufs)
    recorder = Recorder(50)
    recorded = recorder.record(opt.update_rule(step, SQRT), 2 + n_bufs)
    assert recorded is not None
    outs = [np.full(50, np.nan) for _ in want]
    recorder.run(recorded, [p, g, *bufs], outs)
    for a, b in zip(outs, want):
        assert np.array_equal(a, np.broadcast_to(b, (50,)))
    assert recorder.record(opt.update_rule(step, SQRT), 2 + n_bufs) is recorded  # the same rule
    # the next step's rule is the same unless it has other numbers: Adam's bias corrections of
    # the step, or SGD's flag for the first step (which starts the momentum buffer)
    same = name in ("sgd", "sgd-momentum", "nesterov") and step > 0
    assert (recorder.record(opt.update_rule(step + 1, SQRT), 2 + n_bufs) is recorded) == same


class ClippedSGD(optim.SGD):
    """An update rule that is not plain arithmetic: it clips the gradient with NumPy."""

    def update_rule(self, step: int, sqrt: Any) -> Any:
        lr = self.lr_at(step)
        return lambda p, g: (p - lr * np.clip(g, -0.5, 0.5),)


def test_a_rule_that_is_not_arithmetic_runs_on_arrays_as_it_is() -> None:
    rng = np.random.default_rng(8)
    batches = [(rng.normal(size=(6, 4)), rng.integers(0, 3, 6)) for _ in range(4)]
    model, twin = nn.MLP(4, [5, 3], seed=3), nn.MLP(4, [5, 3], seed=3)
    opt = ClippedSGD(model.parameters(), lr=0.3)
    trainer = for_fit(model, "cross_entropy").trainer(opt)
    assert trainer.fallback_reason is None
    trainer.run(batches)
    step, twin_opt = for_fit(twin, "cross_entropy"), ClippedSGD(twin.parameters(), lr=0.3)
    for X, y in batches:
        twin_opt.zero_grad()
        step(X, y)
        for p in twin.parameters():  # the rule on floats
            p.data = float(
                twin_opt.update_rule(twin_opt.steps, math.sqrt)(np.array(p.data), np.array(p.grad))[0]
            )
        twin_opt.steps += 1
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]


def test_threads_sharing_a_compiled_step_take_turns() -> None:
    # the generated programs reuse their arrays: without the step's lock, two threads would
    # write into each other's per-sample store
    import threading

    model = nn.MLP(8, [16, 3], activation="tanh", seed=0)
    step = for_fit(model, "cross_entropy")
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(32, 8)) for _ in range(8)]
    want = [step.predict(X) for X in inputs]
    got: dict[int, list[Any]] = {}

    def work(k: int) -> None:
        got[k] = [step.predict(X) for X in inputs * 20]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for results in got.values():
        assert all(np.array_equal(r, want[k % len(inputs)]) for k, r in enumerate(results))
