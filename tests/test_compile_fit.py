"""``fit(compile=True)``: the compiled path trains like the eager one, only faster (issue 5)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from microgradnet import Value, data, nn, optim, train


def twin_models(sizes: list[int], activation: str, seed: int) -> tuple[nn.MLP, nn.MLP]:
    return (
        nn.MLP(sizes[0], sizes[1:], activation=activation, seed=seed),
        nn.MLP(sizes[0], sizes[1:], activation=activation, seed=seed),
    )


@pytest.mark.parametrize(
    ("loss", "sizes", "activation", "optimizer", "l2"),
    [
        ("cross_entropy", [64, 12, 10], "tanh", "sgd", 0.0),
        ("cross_entropy", [64, 8, 10], "relu", "adam", 1e-3),
        ("hinge", [64, 8, 1], "relu", "sgd", 1e-4),
        ("mse", [64, 6, 1], "sigmoid", "sgd", 0.0),
        ("mse", [64, 6, 10], "tanh", "sgd", 0.0),  # several outputs: one-hot targets
        ("mae", [64, 6, 10], "tanh", "sgd", 0.0),
        ("binary_cross_entropy_with_logits", [64, 6, 1], "tanh", "adam", 0.0),
    ],
)
def test_compiled_fit_follows_the_eager_fit(
    loss: str, sizes: list[int], activation: str, optimizer: str, l2: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled_steps = []
    real = train._compiled_train_step
    monkeypatch.setattr(train, "_compiled_train_step", lambda *a: compiled_steps.append(1) or real(*a))
    warnings.simplefilter("error")  # a fallback to eager would warn: fail instead
    X, y = data.load_digits()
    X, y = X[:96] / 16.0, y[:96]
    if loss in ("hinge", "binary_cross_entropy_with_logits"):
        y = (y % 2).astype(np.int64)  # odd/even, labels 0/1 (hinge maps them to -1/+1)
    elif sizes[-1] == 1:
        y = (y / 9.0).astype(float)
    fast, slow = twin_models(sizes, activation, seed=3)
    kw: dict[str, Any] = dict(loss=loss, optimizer=optimizer, epochs=2, batch_size=32, l2=l2, progress=False)
    h_fast = train.fit(fast, X, y, compile=True, **kw)
    assert len(compiled_steps) == 2 * 3  # every minibatch ran on the compiled path
    h_slow = train.fit(slow, X, y, compile=False, **kw)
    np.testing.assert_allclose(h_fast.train_loss, h_slow.train_loss, rtol=1e-9)
    assert h_fast.train_accuracy == h_slow.train_accuracy
    np.testing.assert_allclose(
        [p.data for p in fast.parameters()], [p.data for p in slow.parameters()], rtol=1e-9, atol=1e-12
    )


class Branchy:
    """A model whose graph depends on its input (not compilable); it still trains eagerly."""

    def __init__(self) -> None:
        self.w = Value(0.5)

    def parameters(self) -> list[Value]:
        return [self.w]

    def __call__(self, x: Any) -> Value:
        v = Value(float(x[0]))
        return self.w * v if v.data > 0 else (self.w * v).tanh()


def test_an_uncompilable_model_falls_back_to_eager_with_a_warning() -> None:
    X = np.array([[1.0], [-1.0], [2.0], [-2.0]])
    y = np.array([0.5, -0.4, 1.0, -0.8])
    model = Branchy()
    with pytest.warns(RuntimeWarning, match="reads a number out of a Value"):
        h = train.fit(model, X, y, loss="mse", epochs=3, batch_size=4, progress=False)
    assert h.train_loss[-1] < h.train_loss[0]


def test_a_custom_loss_trains_eagerly_without_a_warning() -> None:
    X, y = data.make_blobs(n=12, classes=2, seed=0)
    model = nn.MLP(2, [3, 2], seed=0)

    def my_loss(outputs: Any, targets: Any) -> Value:
        from microgradnet import losses

        return losses.cross_entropy(outputs, targets)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train.fit(model, X, y, loss=my_loss, epochs=1, progress=False)


def test_digits_64_32_10_reaches_97_percent_in_30_epochs_compiled() -> None:
    # the issue-5 target: bundled digits, MLP 64-32-10, >= 97 % test accuracy within 30 epochs
    X, y = data.load_digits()
    Xtr, Xte, ytr, yte = data.train_test_split(X / 16.0, y, seed=0)
    model = nn.MLP(64, [32, 10], activation="tanh", init="xavier", seed=1)
    h = train.fit(
        model, Xtr, ytr, optimizer="adam", lr=0.01, epochs=30, batch_size=32, seed=0, progress=False
    )
    assert len(h.epochs) == 30
    assert sum(h.seconds) < 20  # compiled: seconds, where the eager engine needs minutes
    _, acc = train.evaluate(model, Xte, yte)
    assert len(yte) == 360
    assert acc is not None and acc >= 0.97


@pytest.mark.parametrize("loss", ["cross_entropy", "hinge"])
def test_evaluate_uses_the_compiled_forward_and_agrees_with_eager(loss: str) -> None:
    from microgradnet import losses
    from microgradnet.compile import evaluate_named

    X, y = data.load_digits()
    X, y = X[:50] / 16.0, y[:50]
    if loss == "hinge":
        y = (y % 2).astype(np.int64)
    model = nn.MLP(64, [8, 10 if loss == "cross_entropy" else 1], activation="tanh", seed=2)
    value, out = evaluate_named(model, loss, X, y)
    outputs = [model(x) for x in X.tolist()]
    if loss == "cross_entropy":
        eager = losses.cross_entropy(outputs, y.tolist()).data
        want = [[o.data for o in row] for row in outputs]
    else:
        eager = losses.hinge(outputs, [1.0 if t > 0 else -1.0 for t in y]).data
        want = [[o.data] for o in outputs]
    assert value == pytest.approx(eager, rel=1e-12)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-15)
    assert train.evaluate(model, X, y, loss) == (value, pytest.approx(train.evaluate(model, X, y, loss)[1]))


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda ps: optim.SGD(ps, lr=lambda k: 0.2 / (1 + k), momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda ps: optim.AdamW(ps, lr=0.01),
    ],
)
def test_fused_fit_syncs_before_callbacks_checkpoints_and_early_stopping(
    make_opt: Any, tmp_path: Any
) -> None:
    # what the callbacks, the checkpoints, the history and early stopping see after each epoch
    # is the same as with the eager engine: the fused trainer has written everything back
    X, y = data.load_digits()
    X, y = X[:120] / 16.0, y[:120]
    runs = {}
    for compiled in (True, False):
        model = nn.MLP(64, [6, 10], activation="tanh", seed=4)
        opt = make_opt(model.parameters())
        seen: list[list[float]] = []
        h = train.fit(
            model, X[:90], y[:90], X_val=X[90:], y_val=y[90:], optimizer=opt, epochs=4, batch_size=16,
            early_stopping=train.EarlyStopping(patience=10), checkpoint=tmp_path / f"{compiled}.json",
            callbacks=[lambda e, h, m=model, s=seen: s.append([p.data for p in m.parameters()])],
            progress=False, compile=compiled,
        )  # fmt: skip
        saved = train.load_checkpoint(nn.MLP(64, [6, 10], seed=0), tmp_path / f"{compiled}.json")
        runs[compiled] = (h, seen, saved["optimizer"], opt.steps, [p.grad for p in model.parameters()])
    (hf, seen_f, opt_f, steps_f, grad_f), (hs, seen_s, opt_s, steps_s, grad_s) = runs[True], runs[False]
    assert steps_f == steps_s == 4 * 6
    np.testing.assert_allclose(seen_f, seen_s, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hf.val_loss, hs.val_loss, rtol=1e-9)
    assert hf.max_abs_weight.keys() == hs.max_abs_weight.keys()
    for name in hf.max_abs_weight:
        np.testing.assert_allclose(hf.max_abs_weight[name], hs.max_abs_weight[name], rtol=1e-9)
    np.testing.assert_allclose(grad_f, grad_s, rtol=1e-7, atol=1e-12)  # the last minibatch's gradient
    for key in opt_f:
        if isinstance(opt_f[key], list):
            np.testing.assert_allclose(opt_f[key], opt_s[key], rtol=1e-8, atol=1e-12)
        else:
            assert opt_f[key] == opt_s[key]


@pytest.mark.parametrize("where", ["a directory", "a missing directory"])
def test_fit_refuses_an_unwritable_checkpoint_before_training(where: str, tmp_path: Any) -> None:
    # issue 10 item 8: never lose work — a checkpoint that cannot be written fails before epoch 1
    path = tmp_path if where == "a directory" else tmp_path / "missing" / "ckpt.json"
    X, y = data.make_blobs(n=12, classes=2, seed=0)
    model = nn.MLP(2, [3, 2], seed=0)
    before = [p.data for p in model.parameters()]
    error = IsADirectoryError if where == "a directory" else FileNotFoundError
    with pytest.raises(error, match="the checkpoint"):
        train.fit(model, X, y, epochs=1, checkpoint=path, progress=False)
    assert [p.data for p in model.parameters()] == before


def test_fits_predicted_classes_are_the_losses_ones() -> None:
    # fit counts the compiled path's correct predictions in NumPy; it must pick the classes
    # losses.predicted_classes picks, ties and nan included
    from microgradnet import losses

    rng = np.random.default_rng(0)
    out = rng.integers(-2, 3, size=(200, 4)).astype(float)  # many ties
    out[rng.random(out.shape) < 0.1] = np.nan
    assert train._predicted_classes(out, 0.0).tolist() == losses.predicted_classes(out)
    one = out[:, :1]
    for threshold in (0.0, 0.5):
        got = train._predicted_classes(one, threshold).tolist()
        assert got == losses.predicted_classes(one, threshold=threshold)
