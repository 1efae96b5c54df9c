"""microgradnet.optim against PyTorch's documented update rules, recomputed here with plain floats.

References (the pseudo-code in each page's "Algorithm" box):
  https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
  https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
  https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from microgradnet import Value, losses, nn, optim

START = [0.5, -1.2, 2.0, 0.0]


def _gradient(ps: list[float], step: int) -> list[float]:
    """A gradient that changes with the parameters and the step (f = Σ c·p² + sin(p) + step·p)."""
    return [2 * (k + 1) * p + math.cos(p) + 0.1 * step * (-1) ** k for k, p in enumerate(ps)]


def _run(opt_factory: Callable[[list[Value]], optim.Optimizer], steps: int) -> list[list[float]]:
    params = [Value(x) for x in START]
    opt = opt_factory(params)
    history = []
    for t in range(steps):
        for p, g in zip(params, _gradient([p.data for p in params], t)):
            p.grad = g
        opt.step()
        history.append([p.data for p in params])
    return history


def _sgd_reference(
    lr: float, momentum: float, weight_decay: float, dampening: float, nesterov: bool, steps: int
) -> list[list[float]]:
    """torch.optim.SGD's algorithm box, one parameter at a time, plain floats."""
    ps = list(START)
    bufs: list[float | None] = [None] * len(ps)
    history = []
    for t in range(steps):
        gs = _gradient(ps, t)
        for k in range(len(ps)):
            g = gs[k]
            if weight_decay != 0:
                g = g + weight_decay * ps[k]
            if momentum != 0:
                prev = bufs[k]
                b = g if prev is None else momentum * prev + (1 - dampening) * g
                bufs[k] = b
                g = g + momentum * b if nesterov else b
            ps[k] = ps[k] - lr * g
        history.append(list(ps))
    return history


def _adam_reference(
    lr: float, b1: float, b2: float, eps: float, weight_decay: float, decoupled: bool, steps: int
) -> list[list[float]]:
    """torch.optim.Adam's (decoupled=False) or AdamW's (decoupled=True) algorithm box."""
    ps = list(START)
    m = [0.0] * len(ps)
    v = [0.0] * len(ps)
    history = []
    for t in range(1, steps + 1):
        gs = _gradient(ps, t - 1)
        for k in range(len(ps)):
            g = gs[k]
            if decoupled:
                ps[k] = ps[k] - lr * weight_decay * ps[k]
            elif weight_decay != 0:
                g = g + weight_decay * ps[k]
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            m_hat = m[k] / (1 - b1**t)
            v_hat = v[k] / (1 - b2**t)
            ps[k] = ps[k] - lr * m_hat / (math.sqrt(v_hat) + eps)
        history.append(list(ps))
    return history


def _assert_close(ours: list[list[float]], ref: list[list[float]]) -> None:
    for step, (a, b) in enumerate(zip(ours, ref)):
        for x, y in zip(a, b):
            assert abs(x - y) <= 1e-12, (step, a, b)


@pytest.mark.parametrize(
    ("lr", "momentum", "weight_decay", "dampening", "nesterov"),
    [
        (0.1, 0.0, 0.0, 0.0, False),
        (0.05, 0.9, 0.0, 0.0, False),
        (0.05, 0.9, 1e-2, 0.0, False),
        (0.02, 0.8, 0.0, 0.3, False),
        (0.03, 0.9, 1e-3, 0.0, True),
    ],
)
def test_sgd_matches_the_pytorch_rule_for_several_steps(
    lr: float, momentum: float, weight_decay: float, dampening: float, nesterov: bool
) -> None:
    ours = _run(
        lambda ps: optim.SGD(
            ps, lr, momentum, weight_decay=weight_decay, dampening=dampening, nesterov=nesterov
        ),
        6,
    )
    _assert_close(ours, _sgd_reference(lr, momentum, weight_decay, dampening, nesterov, 6))


def test_sgd_momentum_buffer_starts_as_the_first_gradient() -> None:
    # torch docs: "if t > 1: b_t = μ b_{t-1} + (1 - τ) g_t  else: b_t = g_t" — so with dampening
    # 0.5 the first step still moves by lr * g, not lr * 0.5 * g
    p = Value(1.0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = 2.0
    opt.step()
    assert p.data == 1.0 - 0.1 * 2.0
    assert opt.momentum_buffer == [2.0]
    p.grad = 1.0
    opt.step()
    assert opt.momentum_buffer == [0.9 * 2.0 + 0.5 * 1.0]
    assert p.data == pytest.approx(0.8 - 0.1 * 2.3, abs=1e-15)


@pytest.mark.parametrize(
    ("lr", "betas", "eps", "weight_decay"),
    [(1e-3, (0.9, 0.999), 1e-8, 0.0), (0.05, (0.8, 0.99), 1e-6, 0.0), (0.01, (0.9, 0.999), 1e-8, 0.1)],
)
def test_adam_matches_the_pytorch_rule_for_several_steps(
    lr: float, betas: tuple[float, float], eps: float, weight_decay: float
) -> None:
    ours = _run(lambda ps: optim.Adam(ps, lr, betas, eps, weight_decay), 6)
    _assert_close(ours, _adam_reference(lr, *betas, eps, weight_decay, False, 6))


def test_adamw_matches_the_pytorch_rule_for_several_steps() -> None:
    ours = _run(lambda ps: optim.AdamW(ps, 0.01, (0.9, 0.99), 1e-8, 0.1), 6)
    _assert_close(ours, _adam_reference(0.01, 0.9, 0.99, 1e-8, 0.1, True, 6))
    # and differs from Adam's L2 penalty
    adam = _run(lambda ps: optim.Adam(ps, 0.01, (0.9, 0.99), 1e-8, 0.1), 6)
    assert adam[-1] != ours[-1]


def test_adam_first_step_moves_each_parameter_by_about_lr() -> None:
    # after bias correction m̂ = g and v̂ = g², so the first update is lr * g / (|g| + eps)
    ps = [Value(1.0), Value(-1.0)]
    opt = optim.Adam(ps, lr=0.1)
    ps[0].grad, ps[1].grad = 3.0, -0.5
    opt.step()
    assert ps[0].data == pytest.approx(1.0 - 0.1 * 3.0 / (3.0 + 1e-8), abs=1e-15)
    assert ps[1].data == pytest.approx(-1.0 + 0.1 * 0.5 / (0.5 + 1e-8), abs=1e-15)


# ---- learning-rate schedules ---------------------------------------------------------------


def test_a_schedule_is_called_with_the_zero_based_step_number() -> None:
    seen: list[int] = []

    def schedule(k: int) -> float:
        seen.append(k)
        return 1.0 / (k + 1)

    p = Value(0.0)
    opt = optim.SGD([p], lr=schedule)
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    assert seen == [0, 1, 2]
    assert opt.steps == 3
    assert p.data == pytest.approx(-(1 + 1 / 2 + 1 / 3), abs=1e-15)


def test_micrograds_schedule_works_with_sgd() -> None:
    # micrograd demo.ipynb: learning_rate = 1.0 - 0.9*k/100
    p = Value(0.0)
    opt = optim.SGD([p], lr=lambda k: 1.0 - 0.9 * k / 100)
    for _ in range(100):
        p.grad = 1.0
        opt.step()
    assert p.data == pytest.approx(-sum(1.0 - 0.9 * k / 100 for k in range(100)), abs=1e-12)


@pytest.mark.parametrize(
    ("schedule", "error"),
    [(lambda k: -0.1, ValueError), (lambda k: math.nan, ValueError), (lambda k: "x", TypeError)],
)
def test_a_bad_schedule_value_raises_before_any_update(schedule: Callable[[int], Any], error: type) -> None:
    ps = [Value(1.0), Value(2.0)]
    opt = optim.Adam(ps, lr=schedule)
    for p in ps:
        p.grad = 1.0
    with pytest.raises(error, match="at step 0"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0]
    assert opt.steps == 0
    assert opt.exp_avg == [0.0, 0.0]


# ---- parameters, zero_grad, validation -----------------------------------------------------


def test_params_may_be_a_generator_and_duplicates_are_kept_once() -> None:
    a, b = Value(1.0), Value(2.0)
    opt = optim.SGD((p for p in [a, b, a]), lr=0.5)
    assert opt.params == [a, b]
    a.grad, b.grad = 1.0, 1.0
    opt.step()
    assert (a.data, b.data) == (0.5, 1.5)  # a updated once, not twice


def test_zero_grad_resets_the_parameters() -> None:
    m = nn.MLP(2, [3, 1], seed=0)
    opt = optim.SGD(m.parameters(), lr=0.1)
    m([1.0, 2.0]).backward()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda p: optim.SGD(p[0], lr=0.1), TypeError, "got one Value"),
        (lambda p: optim.SGD(3, lr=0.1), TypeError, "iterable of Values"),
        (lambda p: optim.SGD([p[0], 1.0], lr=0.1), TypeError, "parameter 1 must be a Value"),
        (lambda p: optim.SGD(p, lr=0.0), ValueError, "lr must be a positive finite number"),
        (lambda p: optim.SGD(p, lr=-1), ValueError, "lr must be a positive"),
        (lambda p: optim.SGD(p, lr=math.inf), ValueError, "lr must be a positive"),
        (lambda p: optim.SGD(p, lr="0.1"), TypeError, "lr must be a number or a function"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum must be a non-negative"),
        (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), ValueError, "weight_decay must be"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov momentum needs momentum > 0"),
        (lambda p: optim.SGD(p, 0.1, 0.9, dampening=0.1, nesterov=True), ValueError, "dampening = 0"),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
        (lambda p: optim.Adam(p, betas=(-0.1, 0.9)), ValueError, r"betas\[0\] must be in"),
        (lambda p: optim.Adam(p, betas=0.9), TypeError, "betas must be a pair"),
        (lambda p: optim.Adam(p, eps=0.0), ValueError, "eps must be a positive"),
        (lambda p: optim.Adam(p, weight_decay=-0.1), ValueError, "weight_decay must be a non-negative"),
        (lambda p: optim.AdamW(p, lr=0), ValueError, "AdamW"),
    ],
)
def test_bad_constructor_arguments(make: Callable[[list[Value]], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make([Value(1.0), Value(2.0)])


# ---- state ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: optim.Adam(ps, lr=0.05),
        lambda ps: optim.AdamW(ps, lr=0.05),
        lambda ps: optim.SGD(ps, lr=0.05),
    ],
)
def test_state_round_trip_resumes_exactly(factory: Callable[[list[Value]], optim.Optimizer]) -> None:
    whole = _run(factory, 5)[-1]
    # 3 steps, save params + optimizer state as JSON, rebuild, 2 more steps
    params = [Value(x) for x in START]
    opt = factory(params)
    for t in range(3):
        for p, g in zip(params, _gradient([p.data for p in params], t)):
            p.grad = g
        opt.step()
    saved = json.dumps({"params": [p.data for p in params], "opt": opt.state_dict()})
    loaded = json.loads(saved)
    params2 = [Value(x) for x in loaded["params"]]
    opt2 = factory(params2)
    opt2.load_state_dict(loaded["opt"])
    assert opt2.steps == 3
    for t in range(3, 5):
        for p, g in zip(params2, _gradient([p.data for p in params2], t)):
            p.grad = g
        opt2.step()
    assert [p.data for p in params2] == whole


def _state_cases() -> list[tuple[str, Callable[[dict[str, Any]], Any], type, str]]:
    return [
        ("not a dict", lambda s: [1], TypeError, "takes a dict"),
        ("other optimizer", lambda s: {**s, "optimizer": "SGD"}, ValueError, "state of 'SGD', not 'Adam'"),
        ("missing key", lambda s: {k: v for k, v in s.items() if k != "exp_avg"}, ValueError, "missing keys"),
        ("extra key", lambda s: {**s, "lr": 0.1}, ValueError, r"unexpected keys \['lr'\]"),
        ("negative steps", lambda s: {**s, "steps": -1}, ValueError, "non-negative int"),
        (
            "short buffer",
            lambda s: {**s, "exp_avg_sq": [0.0]},
            ValueError,
            "1 entries but this optimizer has 2",
        ),
        ("text entry", lambda s: {**s, "exp_avg": [0.0, "1"]}, TypeError, r"'exp_avg'\[1\] must be a number"),
        ("none buffer", lambda s: {**s, "exp_avg": None}, ValueError, "got None"),
    ]


@pytest.mark.parametrize(
    ("case", "mutate", "error", "message"), _state_cases(), ids=[c[0] for c in _state_cases()]
)
def test_loading_a_bad_state_raises_and_changes_nothing(
    case: str, mutate: Callable[[dict[str, Any]], Any], error: type, message: str
) -> None:
    ps = [Value(1.0), Value(2.0)]
    opt = optim.Adam(ps, lr=0.1)
    for p in ps:
        p.grad = 0.5
    opt.step()
    before = opt.state_dict()
    with pytest.raises(error, match=message):
        opt.load_state_dict(mutate(json.loads(json.dumps(before))))
    assert opt.state_dict() == before, case


def test_sgd_state_before_momentum_is_none() -> None:
    opt = optim.SGD([Value(1.0)], lr=0.1, momentum=0.9)
    assert opt.state_dict() == {"optimizer": "SGD", "steps": 0, "momentum_buffer": None}


# ---- training ------------------------------------------------------------------------------


def test_adam_trains_a_small_classifier() -> None:
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [0, 1, 1, 0]
    model = nn.MLP(2, [4, 2], activation="tanh", seed=1)
    opt = optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(150):
        loss = losses.cross_entropy(model(X), y)
        first = first if first is not None else loss.data
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.data < 0.1 * first
    assert losses.accuracy(model(X), y) == 1.0


# ---- the interface the fused trainer uses: update_rule, buffers, advance ---------------------


@pytest.mark.parametrize(
    "make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.01)]
)
def test_running_the_rule_elsewhere_and_advancing_equals_stepping(make: Any) -> None:
    # what the fused trainer does: update_rule per step on its own copies, then advance()
    a, b = [Value(1.0), Value(-2.0)], [Value(1.0), Value(-2.0)]
    opt_a, opt_b = make(a), make(b)
    grads = [[0.5, -1.0], [0.25, 2.0], [-0.5, 0.1]]
    ps, bufs = [p.data for p in a], opt_a.buffers()
    for k, g in enumerate(grads):
        rule = opt_a.update_rule(opt_a.steps + k, math.sqrt)
        results = [rule(p, gi, *[buf[j] for buf in bufs]) for j, (p, gi) in enumerate(zip(ps, g))]
        ps = [r[0] for r in results]
        bufs = [[r[1 + n] for r in results] for n in range(len(bufs))]
    opt_a.advance(len(grads), bufs)
    for p, v in zip(a, ps):
        p.data = v
    for g in grads:
        for p, gi in zip(b, g):
            p.grad = gi
        opt_b.step()
    assert [p.data for p in a] == [p.data for p in b]
    assert opt_a.state_dict() == opt_b.state_dict()


def test_advance_rejects_bad_state_and_changes_nothing() -> None:
    opt = optim.Adam([Value(1.0), Value(2.0)], lr=0.1)
    before = opt.state_dict()
    with pytest.raises(ValueError, match="2 buffer"):
        opt.advance(1, [[0.0, 0.0]])
    with pytest.raises(ValueError, match="entries"):
        opt.advance(1, [[0.0], [0.0]])
    with pytest.raises(ValueError, match="steps"):
        opt.advance(-1, [[0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(TypeError, match="numbers"):
        opt.advance(1, [["a", 0.0], [0.0, 0.0]])
    assert opt.state_dict() == before


def test_a_state_number_too_large_for_a_float_is_a_value_error() -> None:
    opt = optim.SGD([Value(1.0)], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="too large for a float"):
        opt.load_state_dict({"optimizer": "SGD", "steps": 1, "momentum_buffer": [10**400]})
    assert opt.momentum_buffer is None and opt.steps == 0
