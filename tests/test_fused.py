"""Fused compiled training (``CompiledStep.trainer``): N fused minibatch steps equal N eager steps.

The eager reference is the textbook loop on the scalar engine: build ``mean(loss_fn(model(x), t))``
for the batch, ``opt.zero_grad(); loss.backward(); opt.step()``. After a fused run and its sync,
parameters, gradients and the optimizer's state must agree with it to 1e-12 relative; against the
unfused compiled path (same gradients) they agree bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnet import Value, apply, nn, optim
from microgradnet.compile import FusedTrainer, for_fit
from microgradnet.losses import LOSSES

OptFactory = Callable[[list[Value]], optim.Optimizer]

OPTIMIZERS: dict[str, OptFactory] = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "sgd-momentum-dampening": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3),
    "sgd-nesterov-decay-schedule": lambda ps: optim.SGD(
        ps, lr=lambda k: 0.1 / (1 + k), momentum=0.8, nesterov=True, weight_decay=0.01
    ),
    "adam-decay": lambda ps: optim.Adam(ps, lr=0.02, weight_decay=0.05),
    "adamw-schedule": lambda ps: optim.AdamW(ps, lr=lambda k: 0.01 * (1.0 - 0.1 * k), betas=(0.8, 0.99)),
}


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    # relative to the larger magnitude; a floor of 1e-15 for numbers that round to about zero
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-15


def assert_all_close(a: list[float], b: list[float], what: str) -> None:
    assert len(a) == len(b), what
    bad = [(k, x, y) for k, (x, y) in enumerate(zip(a, b)) if not close(x, y)]
    assert not bad, f"{what}: {bad[:3]}"


def assert_state_close(a: optim.Optimizer, b: optim.Optimizer) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        if isinstance(sa[key], list):
            assert_all_close(sa[key], sb[key], key)
        else:
            assert sa[key] == sb[key], key


def make_data(loss: str, n_in: int, n_out: int, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, n_in))
    if loss == "cross_entropy":
        return X, rng.integers(0, n_out, rows)
    if loss == "hinge":
        return X, rng.integers(0, 2, rows)
    return X, rng.normal(size=rows)


def eager_step(model: nn.MLP, opt: optim.Optimizer, loss: str, X: np.ndarray, y: np.ndarray) -> float:
    """The textbook loop on the scalar engine, with fit's per-sample loss."""
    fn = LOSSES[loss].sample
    targets = [int(t) for t in y] if y.dtype.kind in "iu" else [float(t) for t in y]
    terms = [fn(model(x), t) for x, t in zip(X.tolist(), targets)]
    total = apply("sum", *terms) / len(terms)
    opt.zero_grad()
    total.backward()
    opt.step()
    return total.data


def twins(n_in: int, hidden: list[int], n_out: int, act: str, seed: int) -> tuple[nn.MLP, nn.MLP]:
    return (
        nn.MLP(n_in, [*hidden, n_out], activation=act, seed=seed),
        nn.MLP(n_in, [*hidden, n_out], activation=act, seed=seed),
    )


def batches_of(X: np.ndarray, y: np.ndarray, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(X[k : k + size], y[k : k + size]) for k in range(0, len(X), size)]


@settings(max_examples=30)
@given(
    loss=st.sampled_from(["cross_entropy", "hinge", "mse"]),
    n_in=st.integers(1, 4),
    hidden=st.lists(st.integers(1, 5), min_size=1, max_size=2),
    n_classes=st.integers(2, 4),
    act=st.sampled_from(["tanh", "relu", "sigmoid"]),
    opt_name=st.sampled_from(sorted(OPTIMIZERS)),
    rows=st.integers(1, 9),
    batch=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_fused_steps_equal_eager_steps(
    loss: str,
    n_in: int,
    hidden: list[int],
    n_classes: int,
    act: str,
    opt_name: str,
    rows: int,
    batch: int,
    seed: int,
) -> None:
    n_out = n_classes if loss == "cross_entropy" else 1
    X, y = make_data(loss, n_in, n_out, rows, seed)
    fast, slow = twins(n_in, hidden, n_out, act, seed)
    opt_fast, opt_slow = OPTIMIZERS[opt_name](fast.parameters()), OPTIMIZERS[opt_name](slow.parameters())
    trainer = for_fit(fast, loss).trainer(opt_fast)
    assert trainer.fallback_reason is None
    got = trainer.run(batches_of(X, y, batch))
    want = [eager_step(slow, opt_slow, loss, Xb, yb) for Xb, yb in batches_of(X, y, batch)]
    assert_all_close(got, want, "losses")
    assert_all_close([p.data for p in fast.parameters()], [p.data for p in slow.parameters()], "data")
    assert_all_close([p.grad for p in fast.parameters()], [p.grad for p in slow.parameters()], "grad")
    assert_state_close(opt_fast, opt_slow)


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_fused_is_bit_identical_to_the_unfused_compiled_step(opt_name: str) -> None:
    X, y = make_data("cross_entropy", 5, 3, 20, 0)
    fast, slow = twins(5, [4], 3, "tanh", 0)
    opt_fast, opt_slow = OPTIMIZERS[opt_name](fast.parameters()), OPTIMIZERS[opt_name](slow.parameters())
    got = for_fit(fast, "cross_entropy").trainer(opt_fast).run(batches_of(X, y, 6))
    step = for_fit(slow, "cross_entropy")
    want = []
    for Xb, yb in batches_of(X, y, 6):
        opt_slow.zero_grad()
        want.append(step(Xb, yb))
        opt_slow.step()
    assert got == want
    assert [p.data for p in fast.parameters()] == [p.data for p in slow.parameters()]
    assert [p.grad for p in fast.parameters()] == [p.grad for p in slow.parameters()]
    assert opt_fast.state_dict() == opt_slow.state_dict()


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_an_eager_step_after_a_fused_run_continues_identically(opt_name: str) -> None:
    X, y = make_data("cross_entropy", 3, 3, 12, 1)
    fast, slow = twins(3, [5], 3, "relu", 1)
    opt_fast, opt_slow = OPTIMIZERS[opt_name](fast.parameters()), OPTIMIZERS[opt_name](slow.parameters())
    parts = batches_of(X, y, 4)
    for_fit(fast, "cross_entropy").trainer(opt_fast).run(parts[:2])
    eager_step(fast, opt_fast, "cross_entropy", *parts[2])  # eager, after the fused run
    for Xb, yb in parts:
        eager_step(slow, opt_slow, "cross_entropy", Xb, yb)
    assert opt_fast.steps == 3
    assert_all_close([p.data for p in fast.parameters()], [p.data for p in slow.parameters()], "data")
    assert_state_close(opt_fast, opt_slow)


def test_an_error_mid_run_leaves_the_values_at_the_last_completed_step() -> None:
    def schedule(k: int) -> float:
        return 0.1 if k < 2 else math.nan  # the third step's lr is invalid

    X, y = make_data("mse", 2, 1, 16, 2)
    fast, slow = twins(2, [3], 1, "tanh", 2)
    opt_fast = optim.SGD(fast.parameters(), lr=schedule, momentum=0.9)
    opt_slow = optim.SGD(slow.parameters(), lr=schedule, momentum=0.9)
    parts = batches_of(X, y, 4)
    trainer = for_fit(fast, "mse").trainer(opt_fast)
    with pytest.raises(ValueError, match="at step 2"):
        trainer.run(parts)
    for Xb, yb in parts[:2]:
        eager_step(slow, opt_slow, "mse", Xb, yb)
    assert opt_fast.steps == 2
    assert_all_close([p.data for p in fast.parameters()], [p.data for p in slow.parameters()], "data")
    assert_all_close([p.grad for p in fast.parameters()], [p.grad for p in slow.parameters()], "grad")
    assert_state_close(opt_fast, opt_slow)


def test_a_bad_batch_mid_run_keeps_the_completed_steps() -> None:
    X, y = make_data("cross_entropy", 3, 2, 8, 3)
    model = nn.MLP(3, [2], seed=3)
    opt = optim.Adam(model.parameters(), lr=0.1)
    trainer = for_fit(model, "cross_entropy").trainer(opt)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="rows"):
        trainer.run([(X[:4], y[:4]), (X[4:], y[4:6])])  # the second batch has 4 rows, 2 targets
    assert opt.steps == 1
    assert [p.data for p in model.parameters()] != before


def test_changes_between_runs_are_picked_up() -> None:
    X, y = make_data("hinge", 2, 1, 8, 4)
    fast, slow = twins(2, [3], 1, "tanh", 4)
    opt_fast, opt_slow = optim.SGD(fast.parameters(), lr=0.1), optim.SGD(slow.parameters(), lr=0.1)
    trainer = for_fit(fast, "hinge").trainer(opt_fast)
    trainer.run(batches_of(X, y, 4))
    for Xb, yb in batches_of(X, y, 4):
        eager_step(slow, opt_slow, "hinge", Xb, yb)
    for a, b in zip(fast.parameters(), slow.parameters()):  # e.g. a checkpoint loaded in between
        a.data = b.data = 0.5
    trainer.run(batches_of(X, y, 4))
    for Xb, yb in batches_of(X, y, 4):
        eager_step(slow, opt_slow, "hinge", Xb, yb)
    assert_all_close([p.data for p in fast.parameters()], [p.data for p in slow.parameters()], "data")


def test_parameters_listed_in_another_order_still_fuse() -> None:
    X, y = make_data("cross_entropy", 3, 3, 10, 5)
    fast, slow = twins(3, [4], 3, "tanh", 5)
    opt_fast = optim.Adam(list(reversed(fast.parameters())), lr=0.05)
    opt_slow = optim.Adam(list(reversed(slow.parameters())), lr=0.05)
    trainer = for_fit(fast, "cross_entropy").trainer(opt_fast)
    trainer.run(batches_of(X, y, 5))
    assert trainer.fallback_reason is None
    for Xb, yb in batches_of(X, y, 5):
        eager_step(slow, opt_slow, "cross_entropy", Xb, yb)
    assert_all_close([p.data for p in fast.parameters()], [p.data for p in slow.parameters()], "data")
    assert_state_close(opt_fast, opt_slow)


class HalvingSGD:
    """An optimizer that microgradnet.optim does not know: it runs per step."""

    def __init__(self, params: list[Value]) -> None:
        self.params = params

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        for p in self.params:
            p.data -= 0.05 * p.grad


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda ps: HalvingSGD(ps), "not a microgradnet.optim optimizer"),
        (lambda ps: optim.SGD(ps[:-1], lr=0.05), "not exactly the model's parameters"),
    ],
)
def test_an_optimizer_it_cannot_fuse_runs_per_step_and_says_why(
    make: Callable[[list[Value]], Any], reason: str
) -> None:
    X, y = make_data("mse", 2, 1, 8, 6)
    fast, slow = twins(2, [3], 1, "tanh", 6)
    opt_fast, opt_slow = make(fast.parameters()), make(slow.parameters())
    trainer = for_fit(fast, "mse").trainer(opt_fast)
    assert trainer.fallback_reason is not None and reason in trainer.fallback_reason
    assert reason in repr(trainer)
    trainer.run(batches_of(X, y, 4))
    for Xb, yb in batches_of(X, y, 4):
        eager_step(slow, opt_slow, "mse", Xb, yb)
    assert_all_close([p.data for p in fast.parameters()], [p.data for p in slow.parameters()], "data")


def test_epoch_returns_the_mean_loss_and_shuffles_like_minibatches() -> None:
    from microgradnet import data

    X, y = make_data("cross_entropy", 3, 3, 11, 7)
    fast, slow = twins(3, [4], 3, "tanh", 7)
    opt_fast, opt_slow = optim.SGD(fast.parameters(), lr=0.1), optim.SGD(slow.parameters(), lr=0.1)
    mean = for_fit(fast, "cross_entropy").trainer(opt_fast).epoch(X, y, batch_size=4, seed=3)
    losses = [
        (eager_step(slow, opt_slow, "cross_entropy", Xb, yb), len(Xb))
        for Xb, yb in data.minibatches(X, y, 4, seed=3)
    ]
    assert close(mean, sum(v * n for v, n in losses) / 11)
    assert_all_close([p.data for p in fast.parameters()], [p.data for p in slow.parameters()], "data")


def test_epoch_takes_one_batch_at_a_time_and_equals_run_bit_for_bit() -> None:
    # the audit measured 414 MB beyond the data for 784-128-64-10 on 60,000 samples: epoch()
    # copied the whole shuffled set before the first step. Now the peak stays far below one copy.
    import tracemalloc

    from microgradnet import data

    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(4000, 40)), rng.integers(0, 3, 4000)
    lazy, listed = twins(40, [8], 3, "tanh", 5)
    t_lazy = for_fit(lazy, "cross_entropy").trainer(optim.SGD(lazy.parameters(), lr=0.05))
    t_list = for_fit(listed, "cross_entropy").trainer(optim.SGD(listed.parameters(), lr=0.05))
    t_lazy.epoch(X[:64], y[:64], batch_size=32, seed=1)  # compile outside the measurement
    t_list.run(list(data.minibatches(X[:64], y[:64], 32, seed=1)))
    tracemalloc.start()
    try:
        mean = t_lazy.epoch(X, y, batch_size=32, seed=2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 4, f"epoch() peaked at {peak} bytes for a {X.nbytes}-byte X"
    batches = list(data.minibatches(X, y, 32, seed=2))
    losses = t_list.run(batches)
    assert mean == float(np.dot(losses, [len(b) for b, _ in batches]) / len(X))
    assert [p.data for p in lazy.parameters()] == [p.data for p in listed.parameters()]


def test_trainer_needs_an_optimizer() -> None:
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match="step\\(\\) and zero_grad\\(\\)"):
        FusedTrainer(for_fit(model, "mse"), object())


def test_compiled_cross_entropy_is_the_eager_formula_with_its_detached_max() -> None:
    # losses.cross_entropy shifts the logits by max(z).detach(); the compiled path traces that
    # same per-sample function, skips the backward work behind the detach, and agrees
    from microgradnet import losses

    X, y = make_data("cross_entropy", 3, 4, 12, 8)
    X = X * 40.0  # large logits: the shift matters
    fast, slow = twins(3, [5], 4, "relu", 8)
    for p in fast.parameters():
        p.grad = 0.0
    loss = for_fit(fast, "cross_entropy")(X, y)
    eager = losses.cross_entropy([slow(x) for x in X.tolist()], y.tolist())
    eager.backward()
    assert close(loss, eager.data)
    assert_all_close([p.grad for p in fast.parameters()], [p.grad for p in slow.parameters()], "grad")
    step = for_fit(fast, "cross_entropy")
    step.evaluate(X, y)
    tape = next(iter(step._tapes.values()))[0]
    assert [s.op.name for s in tape.steps if not s.needs_grad] == ["max", "detach"]
    # the four per-class branches share the softmax: one row per exp, not one per class and exp
    assert [s.size for s in tape.steps if s.op.name == "exp"] == [4]
