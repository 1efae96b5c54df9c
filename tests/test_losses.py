"""microgradnet.losses: values against hand computation, gradients against central differences,
stability at ±1000, and the error paths."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradnet import Value, grad, losses, nn
from microgradnet.testing import gradcheck


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# ---- values --------------------------------------------------------------------------------


def test_mse_and_mae_are_means_over_the_batch() -> None:
    p = [Value(1.0), Value(2.5), Value(-1.0)]
    t = [0.0, 3.0, 1.0]
    # (1² + 0.5² + 2²) / 3 and (1 + 0.5 + 2) / 3
    assert losses.mse(p, t).data == pytest.approx(5.25 / 3, abs=1e-15)
    assert losses.mae(p, t).data == pytest.approx(3.5 / 3, abs=1e-15)
    assert losses.MSELoss()(p, t).data == losses.mse(p, t).data
    assert losses.L1Loss()(p, t).data == losses.mae(p, t).data


def test_mse_on_vector_outputs_averages_every_element_like_pytorch() -> None:
    # torch.nn.MSELoss(reduction='mean') averages over all elements of the batch
    p = [[Value(1.0), Value(2.0)], [Value(0.0), Value(-2.0)]]
    t = [[0.0, 0.0], [1.0, 0.0]]
    assert losses.mse(p, t).data == pytest.approx((1 + 4 + 1 + 4) / 4)


def test_hinge_is_micrograds_max_margin_loss() -> None:
    # micrograd demo.ipynb: losses = [(1 + -yi*scorei).relu() ...]; data_loss = sum(losses) / len(losses)
    scores = [Value(2.0), Value(0.5), Value(-0.3), Value(-3.0)]
    labels = [1, 1, 1, -1]
    expected = (0.0 + 0.5 + 1.3 + 0.0) / 4
    assert losses.hinge(scores, labels).data == pytest.approx(expected, abs=1e-15)
    assert losses.HingeLoss()([[s] for s in scores], labels).data == pytest.approx(expected, abs=1e-15)


def test_binary_cross_entropy_hand_computed() -> None:
    p = [Value(0.9), Value(0.2), Value(0.5)]
    t = [1, 0, 0.3]
    expected = -(math.log(0.9) + math.log(0.8) + 0.3 * math.log(0.5) + 0.7 * math.log(0.5)) / 3
    assert losses.binary_cross_entropy(p, t).data == pytest.approx(expected, abs=1e-15)
    # p = 0.5 costs log 2 whatever the target
    assert losses.BCELoss()([Value(0.5)], [1]).data == pytest.approx(math.log(2), abs=1e-15)


def test_binary_cross_entropy_at_zero_and_one_follows_ieee() -> None:
    right = losses.binary_cross_entropy([Value(0.0), Value(1.0)], [0, 1])
    assert right.data == 0.0  # the zero-weight term is left out: no 0·log 0 = nan
    p = Value(0.0)
    wrong = losses.binary_cross_entropy([p], [1])
    assert wrong.data == math.inf
    wrong.backward()
    assert p.grad == -math.inf


@pytest.mark.parametrize("z", [-30.0, -2.0, -0.1, 0.0, 0.1, 2.0, 30.0])
@pytest.mark.parametrize("t", [0.0, 1.0, 0.25])
def test_bce_with_logits_equals_bce_of_sigmoid_and_has_gradient_sigmoid_minus_target(
    z: float, t: float
) -> None:
    zv = Value(z)
    loss = losses.binary_cross_entropy_with_logits([zv], [t])
    s = _sigmoid(z)
    expected = -(t * math.log(s) + (1 - t) * math.log1p(-s)) if abs(z) < 30 else None
    if expected is not None:
        assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-15)
    loss.backward()
    # d/dz of the per-sample loss is sigmoid(z) - t (PyTorch BCEWithLogitsLoss), exact also at z = 0
    assert zv.grad == pytest.approx(s - t, abs=1e-15)


def test_bce_with_logits_class_matches_function() -> None:
    z, t = [Value(0.3), Value(-1.2)], [1, 0]
    assert losses.BCEWithLogitsLoss()(z, t).data == losses.binary_cross_entropy_with_logits(z, t).data


def test_cross_entropy_hand_computed() -> None:
    # -log softmax([1, 2, 3])[2] = log(e + e² + e³) - 3 ; uniform logits cost log C
    loss = losses.cross_entropy([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], [2, 1])
    expected = ((math.log(math.e + math.e**2 + math.e**3) - 3) + math.log(3)) / 2
    assert loss.data == pytest.approx(expected, abs=1e-15)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n() -> None:
    zs = [[Value(0.2), Value(-1.0), Value(2.0)], [Value(1.0), Value(1.0), Value(0.0)]]
    ys = [0, 2]
    losses.cross_entropy(zs, ys).backward()
    for row, y in zip(zs, ys):
        e = [math.exp(v.data) for v in row]
        for j, v in enumerate(row):
            assert v.grad == pytest.approx((e[j] / sum(e) - (j == y)) / 2, abs=1e-15)


def test_cross_entropy_from_probabilities_matches_the_lesson_pipeline() -> None:
    # lesson: p = Softmax().forward(z); CrossEntropyLoss().forward(p, y) = -mean(log p[range, y])
    z = [[0.5, -0.5], [2.0, 1.0], [-1.0, 3.0]]
    y = [0, 1, 1]
    p = nn.Softmax()(z)
    lesson = losses.CrossEntropyLoss(from_probabilities=True)(p, y)
    assert lesson.data == pytest.approx(losses.cross_entropy(z, y).data, abs=1e-14)
    expected = -sum(math.log(row[k].data) for row, k in zip(p, y)) / 3
    assert lesson.data == pytest.approx(expected, abs=1e-15)


def test_cross_entropy_loss_warns_when_given_probabilities_as_logits() -> None:
    p = nn.Softmax()([[0.5, -0.5], [2.0, 1.0]])
    with pytest.warns(UserWarning, match="look like probabilities"):
        losses.CrossEntropyLoss()(p, [0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses.CrossEntropyLoss()([[0.5, -0.5], [2.0, 1.0]], [0, 1])
    assert nn.CrossEntropyLoss is losses.CrossEntropyLoss
    assert repr(losses.CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_softmax_and_log_softmax() -> None:
    z = [Value(1.0), Value(2.0), Value(3.0)]
    p = losses.softmax(z)
    total = math.e + math.e**2 + math.e**3
    assert [v.data for v in p] == pytest.approx(
        [math.e / total, math.e**2 / total, math.e**3 / total], abs=1e-15
    )
    assert sum(v.data for v in p) == pytest.approx(1.0, abs=1e-15)
    lp = losses.log_softmax(z)
    assert [v.data for v in lp] == pytest.approx([math.log(v.data) for v in p], abs=1e-15)
    assert [v.data for v in losses.softmax([5.0])] == [1.0]


# ---- stability at ±1000 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "compute"),
    [
        ("cross_entropy", lambda a, b: losses.cross_entropy([[a, b], [b, a]], [1, 1])),
        ("bce_with_logits", lambda a, b: losses.binary_cross_entropy_with_logits([a, b], [1, 1])),
        ("log_softmax", lambda a, b: losses.log_softmax([a, b])[1]),
        ("softmax", lambda a, b: losses.softmax([a, b])[1]),
        ("hinge", lambda a, b: losses.hinge([a, b], [1, 1])),
        ("mse", lambda a, b: losses.mse([a, b], [1, 1])),
    ],
)
def test_logits_of_plus_minus_1000_give_finite_losses_and_gradients(
    name: str, compute: Callable[..., Value]
) -> None:
    a, b = Value(1000.0), Value(-1000.0)
    loss = compute(a, b)
    assert math.isfinite(loss.data), name
    loss.backward()
    assert math.isfinite(a.grad) and math.isfinite(b.grad), name


def test_huge_logit_values_are_exact() -> None:
    # the wrong class by a margin of 2000: loss 2000, gradients ∓1 (softmax is one-hot)
    a, b = Value(1000.0), Value(-1000.0)
    loss = losses.cross_entropy([[a, b]], [1])
    assert loss.data == 2000.0
    loss.backward()
    assert (a.grad, b.grad) == (1.0, -1.0)
    z = Value(-1000.0)
    bce = losses.binary_cross_entropy_with_logits([z], [1])
    assert bce.data == 1000.0
    bce.backward()
    assert z.grad == -1.0


# ---- gradients against central differences ------------------------------------------------


LOSSES: list[tuple[str, Callable[..., Value], int]] = [
    ("mse", lambda *v: losses.mse(v, [0.5, -1.0, 2.0]), 3),
    ("mae", lambda *v: losses.mae(v, [0.5, -1.0, 2.0]), 3),
    ("hinge", lambda *v: losses.hinge(v, [1, -1, 1]), 3),
    ("bce", lambda *v: losses.binary_cross_entropy([x.sigmoid() for x in v], [1, 0, 0.4]), 3),
    ("bce_with_logits", lambda *v: losses.binary_cross_entropy_with_logits(v, [1, 0, 0.4]), 3),
    ("cross_entropy", lambda *v: losses.cross_entropy([v[:3], v[3:]], [2, 0]), 6),
    (
        "cross_entropy_probs",
        lambda *v: losses.cross_entropy([losses.softmax(v)], [1], from_probabilities=True),
        3,
    ),
    ("log_softmax", lambda *v: losses.log_softmax(v)[0] * 2 + losses.log_softmax(v)[2], 3),
    ("softmax", lambda *v: losses.softmax(v)[1], 3),
    ("l2", lambda *v: losses.l2(v), 3),
]


@pytest.mark.parametrize(("name", "fn", "n"), LOSSES, ids=[x[0] for x in LOSSES])
def test_loss_gradient_matches_central_differences(name: str, fn: Callable[..., Value], n: int) -> None:
    inputs = [0.3, -1.7, 1.1, 0.8, -0.2, 2.5][:n]
    assert gradcheck(fn, inputs)


def test_l2_is_the_sum_of_squares_with_gradient_2p() -> None:
    ps = [Value(1.5), Value(-2.0)]
    reg = losses.l2(ps)
    assert reg.data == 6.25
    assert [g.data for g in grad(reg, ps)] == [3.0, -4.0]


# ---- accuracy ------------------------------------------------------------------------------


def test_accuracy_with_class_scores_takes_the_argmax_first_on_ties() -> None:
    outs = [[0.1, 2.0, 0.3], [5.0, 1.0, 1.0], [1.0, 1.0, 0.0], [Value(0.0), Value(0.1), Value(0.2)]]
    assert losses.accuracy(outs, [1, 0, 0, 1]) == 0.75  # the tie [1, 1, 0] predicts class 0


def test_accuracy_with_one_score_and_plus_minus_one_labels_is_micrograds() -> None:
    # micrograd demo: accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    scores = [Value(0.3), Value(-0.2), Value(1e-9), Value(-4.0)]
    assert losses.accuracy(scores, [1, 1, 1, -1]) == 0.75


def test_accuracy_with_zero_one_labels_and_a_threshold() -> None:
    assert losses.accuracy([0.2, -0.1, 3.0], [1, 0, 0]) == pytest.approx(2 / 3)
    probs = [0.7, 0.4, 0.55, 0.1]
    assert losses.accuracy(probs, [1, 0, 0, 0], threshold=0.5) == 0.75
    assert losses.accuracy([[0.7], [0.2]], np.array([1, 0]), threshold=0.5) == 1.0


@pytest.mark.parametrize(
    ("outputs", "targets", "error", "message"),
    [
        ([], [], ValueError, "empty batch"),
        ([0.1, 0.2], [1], ValueError, "2 predictions but 1 targets"),
        ([[0.1, 0.2], [0.3, 0.4]], [0, 2], ValueError, "target 1 is class 2, but there are 2 classes"),
        ([[0.1, 0.2], [0.3]], [0, 0], ValueError, "output 1 has 1 scores but output 0 has 2"),
        ([0.1, 0.2], [0, 2], ValueError, "all ±1 or all 0/1"),
        ([0.1, 0.2], [-1, 0], ValueError, "all ±1 or all 0/1"),
        ([[0.1, 0.2]], [0.5], TypeError, "integer class index"),
        ([["a", 0.2]], [0], TypeError, "must be a number or a Value"),
    ],
)
def test_accuracy_errors(outputs: Any, targets: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        losses.accuracy(outputs, targets)


# ---- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: losses.mse([], []), ValueError, "empty batch"),
        (lambda: losses.mse([1.0, 2.0], [1.0]), ValueError, "2 predictions but 1 targets"),
        (
            lambda: losses.mse([[1.0, 2.0]], [[1.0]]),
            ValueError,
            "prediction 0 has 2 entries but target 0 has 1",
        ),
        (lambda: losses.mse(Value(1.0), [1.0]), TypeError, "must be a sequence"),
        (lambda: losses.mse(["x"], [1.0]), TypeError, "prediction 0 must be a number or a Value"),
        (lambda: losses.mae([1.0], [None]), TypeError, "target 0 must be a number"),
        (lambda: losses.hinge([1.0, 2.0], [1, 0]), ValueError, "label 1 is 0.0; hinge labels must be -1 or"),
        (lambda: losses.hinge([[1.0, 2.0]], [1]), ValueError, "score 0 must be one number"),
        (lambda: losses.binary_cross_entropy([0.5], [2]), ValueError, r"targets must lie in \[0, 1\]"),
        (lambda: losses.binary_cross_entropy_with_logits([0.5], [-1]), ValueError, r"\[0, 1\]"),
        (lambda: losses.cross_entropy([[1.0, 2.0]], [2]), ValueError, "class 2, but there are 2 classes"),
        (lambda: losses.cross_entropy([[1.0, 2.0]], [-1]), ValueError, "class -1"),
        (lambda: losses.cross_entropy([[1.0, 2.0]], [0.5]), TypeError, "integer class index"),
        (lambda: losses.cross_entropy([[1.0, 2.0]], [True]), TypeError, "integer class index"),
        (
            lambda: losses.cross_entropy([[1.0, 2.0], [1.0]], [0, 0]),
            ValueError,
            "sample 1 has 1 class scores",
        ),
        (lambda: losses.cross_entropy([[]], [0]), ValueError, "is empty"),
        (lambda: losses.cross_entropy([], []), ValueError, "empty batch"),
        (lambda: losses.softmax([]), ValueError, "is empty"),
        (lambda: losses.l2([]), ValueError, "no parameters"),
        (lambda: losses.l2([1.0]), TypeError, "must be a Value"),
    ],
)
def test_bad_input_raises_a_clear_error(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_numpy_targets_and_predictions_are_accepted() -> None:
    p = [Value(0.5), Value(1.5)]
    assert losses.mse(p, np.array([0.0, 1.0])).data == pytest.approx(0.25)
    assert losses.cross_entropy(np.array([[1.0, 2.0]]), np.array([1])).data == pytest.approx(
        math.log(math.e + math.e**2) - 2
    )


def test_losses_are_deterministic_and_json_friendly() -> None:
    a = losses.cross_entropy([[0.1, 0.2, 0.3]], [1]).data
    b = losses.cross_entropy([[0.1, 0.2, 0.3]], [1]).data
    assert a == b
    assert json.loads(json.dumps(losses.accuracy([[0.1, 0.2]], [1]))) == 1.0


def test_cross_entropy_loss_reads_a_generator_once() -> None:
    rows = [[0.5, -0.5], [2.0, 1.0]]
    expected = losses.cross_entropy(rows, [0, 1]).data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert losses.CrossEntropyLoss()((r for r in rows), [0, 1]).data == expected


@pytest.mark.parametrize(
    ("name", "fn", "inputs"),
    [
        ("cross_entropy", lambda a, b, c: losses.cross_entropy([[a, b, c]], [1]), [0.3, -0.5, 0.7]),
        ("bce_with_logits z>0", lambda z: losses.binary_cross_entropy_with_logits([z], [0.3]), [0.4]),
        ("bce_with_logits z<0", lambda z: losses.binary_cross_entropy_with_logits([z], [0.3]), [-0.4]),
        ("log_softmax", lambda a, b: losses.log_softmax([a, b])[0], [1.5, -0.5]),
    ],
)
def test_losses_are_twice_differentiable(name: str, fn: Callable[..., Value], inputs: list[float]) -> None:
    from microgradnet.testing import gradgradcheck

    assert gradgradcheck(fn, inputs), name


@given(
    st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=1, max_size=6),
    st.integers(0, 5),
)
def test_softmax_sums_to_one_and_cross_entropy_is_minus_log_softmax(logits: list[float], k: int) -> None:
    k %= len(logits)
    p = losses.softmax(logits)
    assert all(0.0 <= v.data <= 1.0 for v in p)
    assert math.fsum(v.data for v in p) == pytest.approx(1.0, abs=1e-12)
    lp = losses.log_softmax(logits)
    assert all(math.isfinite(v.data) and v.data <= 0.0 for v in lp)
    ce = losses.cross_entropy([logits], [k])
    assert ce.data == pytest.approx(-lp[k].data, rel=1e-12, abs=1e-12)


@given(st.floats(-1000, 1000, allow_nan=False), st.floats(0.0, 1.0))
def test_bce_with_logits_is_finite_nonnegative_with_gradient_sigmoid_minus_target(z: float, t: float) -> None:
    zv = Value(z)
    loss = losses.binary_cross_entropy_with_logits([zv], [t])
    assert math.isfinite(loss.data) and loss.data >= -1e-12
    loss.backward()
    assert zv.grad == pytest.approx(_sigmoid_stable(z) - t, abs=1e-12)


def _sigmoid_stable(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


# ---- written once: the registry and the per-sample forms ----------------------------------


def _sample_batch(spec: losses.LossSpec, rng: np.random.Generator) -> tuple[list[Any], list[Any], list[Any]]:
    """Outputs, the batch function's targets and fit's targets for a small random batch."""
    n, k = 4, 3
    if spec.one_score:
        outs: list[Any] = [Value(float(v)) for v in rng.normal(size=n)]
        if spec.name == "binary_cross_entropy":
            outs = [o.sigmoid() for o in outs]
        ks = [int(v) for v in rng.integers(0, 2, n)]
        if spec.name == "hinge":
            return outs, [1.0 if c else -1.0 for c in ks], ks
        ts = [float(v) for v in rng.choice([0.0, 1.0, 0.25], n)]
        return outs, ts, ts
    rows = [[Value(float(v)) for v in rng.normal(size=k)] for _ in range(n)]
    ks = [int(v) for v in rng.integers(0, k, n)]
    if spec.name == "cross_entropy":
        return rows, ks, ks
    return rows, [[1.0 if j == c else 0.0 for j in range(k)] for c in ks], ks  # one-hot: class labels


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_each_batch_loss_is_the_mean_of_its_per_sample_form(name: str) -> None:
    spec = losses.LOSSES[name]
    assert spec.batch is getattr(losses, name) and spec.target in ("class", "value")
    outs, batch_targets, fit_targets = _sample_batch(spec, np.random.default_rng(len(name)))
    batch = spec.batch(outs, batch_targets)
    mean = spec.mean(outs, fit_targets)
    assert batch.data == mean.data
    for x in (batch, mean):
        x.backward()


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_the_per_sample_losses_read_no_number_out_of_a_value(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = losses.LOSSES[name]
    outs, _, fit_targets = _sample_batch(spec, np.random.default_rng(1))

    def no_read(self: Value, *args: Any) -> Any:
        raise AssertionError("the loss read a Value's number")

    for dunder in ("__float__", "__lt__", "__le__", "__gt__", "__ge__"):
        monkeypatch.setattr(Value, dunder, no_read)
    for out, t in zip(outs, fit_targets):
        spec.sample(out, t)


def test_cross_entropy_is_exact_for_huge_logits_and_never_negative() -> None:
    # issue 10 item 5: the detached max is exact, so the shift never overflows and the true
    # class's shifted logit is exactly 0 when it is the largest
    z = [Value(-1.1007479445493213e19), Value(1.4891882030211117e19), Value(2.543075000159044e18)]
    loss = losses.cross_entropy([z], [2])
    loss.backward()
    assert loss.data == 1.4891882030211117e19 - 2.543075000159044e18
    assert [v.grad for v in z] == [0.0, 1.0, -1.0]
    rng = np.random.default_rng(3)
    for row in rng.normal(size=(50, 4)) * 1e3:
        assert losses.cross_entropy([row.tolist()], [int(row.argmax())]).data >= 0.0


def test_predicted_classes_take_the_first_largest_score_or_a_threshold() -> None:
    assert losses.predicted_classes([[0.1, 0.9, 0.9], [2.0, -1.0, 0.0]]) == [1, 0]
    assert losses.predicted_classes([Value(0.3), Value(-0.2)]) == [1, 0]
    assert losses.predicted_classes([[0.3], [0.7]], threshold=0.5) == [0, 1]
    with pytest.raises(ValueError, match="output 1 has 2 scores but output 0 has 3"):
        losses.predicted_classes([[1.0, 2.0, 3.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="empty"):
        losses.predicted_classes([[]])
