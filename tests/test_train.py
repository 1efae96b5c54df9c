"""microgradnet.train: the issue's "Done when" accuracies, History, early stopping, checkpoints."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microgradnet import Value, data, losses, nn, optim, train

# ---------------------------------------------------------------- the numbers


def test_micrograd_moons_demo_reaches_97_percent() -> None:
    # karpathy/micrograd demo.ipynb: make_moons(n_samples=100, noise=0.1), MLP(2, [16, 16, 1]),
    # SVM max-margin loss mean(relu(1 - y·score)) + 1e-4 · Σ p², 100 full-batch SGD steps with
    # learning rate 1.0 - 0.9·k/100; the notebook reaches 100% training accuracy.
    X, y = data.make_moons(n=100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    history = train.fit(
        model,
        X,
        y,
        loss="hinge",
        optimizer=optim.SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100),
        epochs=100,
        batch_size=None,
        l2=1e-4,
        progress=False,
    )
    assert len(history.epochs) == 100
    assert history.train_loss[-1] < history.train_loss[0]
    _, acc = train.evaluate(model, X, y, loss="hinge")
    assert acc is not None and acc >= 0.97


def test_three_class_spirals_reach_95_percent() -> None:
    X, y = data.make_spirals(n=150, classes=3, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 3], activation="tanh", seed=0)
    train.fit(
        model, X, y, loss="cross_entropy", optimizer="adam", lr=0.03, epochs=40, batch_size=16, progress=False
    )
    _, acc = train.evaluate(model, X, y)
    assert acc is not None and acc >= 0.95


def test_regression_curve_reaches_r2_095_on_held_out_points() -> None:
    X, y = data.make_regression_curve(n=80, noise=0.1, seed=0)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, seed=0)
    model = nn.MLP(1, [16, 16, 1], activation="tanh", seed=0)
    history = train.fit(
        model, Xtr, ytr, loss="mse", optimizer="adam", lr=0.02, epochs=25, batch_size=8, progress=False
    )
    assert history.train_accuracy == [None] * 25  # no accuracy for regression
    assert train.r2_score(yte, train.predict(model, Xte)) >= 0.95


@pytest.mark.parametrize("seed", range(5))
def test_lesson_network_reaches_80_percent_test_accuracy(seed: int) -> None:
    # the lesson notebook: Linear(2, 10) -> Tanh -> Linear(10, 2), softmax cross-entropy, 80/20
    # split of 100 points, minibatches of 4, learning rate 0.1; five different draws of the data
    X, y = data.make_lesson_data(seed=seed)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, seed=seed)
    net = nn.Sequential(nn.Linear(2, 10, seed=seed), nn.Tanh(), nn.Linear(10, 2, seed=seed + 100))
    history = train.fit(
        net, Xtr, ytr, X_val=Xte, y_val=yte, optimizer="sgd", lr=0.1, epochs=20, batch_size=4, progress=False
    )
    assert len(Xte) == 20
    assert history.val_accuracy[-1] is not None and history.val_accuracy[-1] >= 0.8
    assert list(history.max_abs_weight) == ["0.weight", "2.weight"]


def test_the_lesson_net_with_softmax_and_its_cross_entropy_loss_object() -> None:
    # the notebook's Net: Linear -> Tanh -> Linear -> Softmax, then CrossEntropyLoss on the
    # probabilities; the same numbers as logits + cross_entropy, since softmax is folded in
    X, y = data.make_lesson_data(seed=1)
    with_softmax = nn.Sequential(nn.Linear(2, 10, seed=0), nn.Tanh(), nn.Linear(10, 2, seed=1), nn.Softmax())
    logits_only = nn.Sequential(nn.Linear(2, 10, seed=0), nn.Tanh(), nn.Linear(10, 2, seed=1))
    kwargs: dict[str, Any] = {"optimizer": "sgd", "lr": 0.1, "epochs": 3, "batch_size": 4, "progress": False}
    h1 = train.fit(with_softmax, X, y, loss=losses.CrossEntropyLoss(from_probabilities=True), **kwargs)
    h2 = train.fit(logits_only, X, y, loss="cross_entropy", **kwargs)
    assert h1.loss == "CrossEntropyLoss(from_probabilities=True)"
    np.testing.assert_allclose(h1.train_loss, h2.train_loss, rtol=1e-9)
    assert h1.train_accuracy == h2.train_accuracy


def test_digits_64_32_10_reaches_95_percent_test_accuracy() -> None:
    X, y = data.load_digits()
    Xtr, Xte, ytr, yte = data.train_test_split(X / 16.0, y, seed=0)
    Xtr, ytr = Xtr[:1000], ytr[:1000]  # a subset keeps the eager engine under ~10 s
    model = nn.MLP(64, [32, 10], activation="tanh", init="xavier", seed=1)
    train.fit(model, Xtr, ytr, optimizer="adam", lr=0.01, epochs=3, batch_size=32, progress=False)
    _, acc = train.evaluate(model, Xte, yte)
    assert len(yte) == 360
    assert acc is not None and acc >= 0.95


# ---------------------------------------------------------------- fit's behaviour


def small_problem() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], nn.MLP]:
    X, y = data.make_blobs(n=30, classes=3, seed=0)
    return data.standardize(X)[0], y, nn.MLP(2, [4, 3], seed=0)


def snapshot(model: Any) -> list[float]:
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": -1}, "epochs must be"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"loss": "cross_entropy_typo"}, "unknown loss"),
        ({"optimizer": "rmsprop"}, "unknown optimizer"),
        ({"l2": -1.0}, "l2 must be"),
        ({"X_val": np.zeros((2, 2))}, "both X_val and y_val"),
        ({"X_val": np.zeros((2, 3)), "y_val": np.zeros(2)}, "features"),
        ({"early_stopping": 2}, "needs X_val"),
        ({"loss": "mse", "early_stopping": train.EarlyStopping(monitor="train_accuracy")}, "regression loss"),
        ({"optimizer": "adam", "lr": 0.0}, "lr must be a positive"),
    ],
)
def test_fit_rejects_bad_arguments_before_changing_anything(kwargs: dict[str, Any], message: str) -> None:
    X, y, model = small_problem()
    before = snapshot(model)
    with pytest.raises(ValueError, match=message):
        train.fit(model, X, y, progress=False, **kwargs)
    assert snapshot(model) == before


def test_fit_rejects_mismatched_x_and_y() -> None:
    X, y, model = small_problem()
    with pytest.raises(ValueError, match="one target per row"):
        train.fit(model, X, y[:-1], progress=False)


def test_history_records_every_epoch_and_round_trips_through_json(tmp_path: Path) -> None:
    X, y, model = small_problem()
    h = train.fit(
        model, X[:20], y[:20], X_val=X[20:], y_val=y[20:], epochs=4, batch_size=8, lr=0.1, progress=False
    )
    assert h.epochs == [1, 2, 3, 4]
    for series in (h.train_loss, h.train_accuracy, h.val_loss, h.val_accuracy, h.seconds):
        assert len(series) == 4
    # the last max |W| entries are the model's weights now
    state = model.state_dict()
    for name, values in h.max_abs_weight.items():
        assert values[-1] == np.abs(np.array(state[name])).max()
    # validation numbers are what evaluate() gives for the final model
    assert (h.val_loss[-1], h.val_accuracy[-1]) == train.evaluate(model, X[20:], y[20:])
    text = h.to_json(tmp_path / "h.json")
    assert json.loads((tmp_path / "h.json").read_text()) == h.to_dict() == json.loads(text)
    assert train.History.from_dict(json.loads(text)) == h
    with pytest.raises(ValueError, match="not a History"):
        train.History.from_dict({"loss": "x"})


def test_fit_is_deterministic_for_a_seed() -> None:
    runs = []
    for _ in range(2):
        X, y, model = small_problem()
        train.fit(model, X, y, epochs=2, batch_size=7, seed=5, lr=0.1, progress=False)
        runs.append(snapshot(model))
    assert runs[0] == runs[1]


def test_train_step_equals_a_hand_written_sgd_step() -> None:
    # one full-batch step of fit == forward, mean cross-entropy, backward, p -= lr * grad
    X, y, model = small_problem()
    twin = nn.MLP(2, [4, 3], seed=0)
    train.fit(model, X, y, epochs=1, batch_size=None, lr=0.5, progress=False)
    logits = [twin(row.tolist()) for row in X]
    loss = sum((lse(z) - z[t] for z, t in zip(logits, y.tolist())), Value(0.0)) / len(X)
    loss.backward()
    for p in twin.parameters():
        p.data -= 0.5 * p.grad
    np.testing.assert_allclose(snapshot(model), snapshot(twin), rtol=1e-12, atol=1e-14)


def lse(z: list[Value]) -> Value:
    m = max(v.data for v in z)
    return sum(((v - m).exp() for v in z), Value(0.0)).log() + m


def test_evaluate_changes_nothing_and_records_no_graph() -> None:
    X, y, model = small_problem()
    for p in model.parameters():
        p.grad = 0.25
    before = snapshot(model)
    loss, acc = train.evaluate(model, X, y)
    assert loss > 0 and acc is not None and 0 <= acc <= 1
    assert snapshot(model) == before and all(p.grad == 0.25 for p in model.parameters())
    assert train.predict(model, X).shape == (30, 3)
    np.testing.assert_array_equal(train.predict_classes(model, X), train.predict(model, X).argmax(axis=1))


def test_early_stopping_stops_and_restores_the_best_epoch() -> None:
    X, y, model = small_problem()
    # validation labels that are all wrong: the better the model learns the training set, the
    # worse its validation loss, so patience runs out soon after the first epochs
    wrong = (y[20:] + 1) % 3
    h = train.fit(
        model,
        X[:20],
        y[:20],
        X_val=X[20:],
        y_val=wrong,
        epochs=200,
        batch_size=4,
        lr=0.1,
        early_stopping=train.EarlyStopping(patience=3),
        progress=False,
    )
    assert h.stopped_early and len(h.epochs) < 200
    assert h.best_epoch is not None
    assert len(h.epochs) - h.best_epoch == 3
    best = min(h.val_loss)
    assert h.val_loss[h.best_epoch - 1] == best
    # the model holds the best epoch's parameters again
    assert train.evaluate(model, X[20:], wrong)[0] == pytest.approx(best, rel=1e-12)
    with pytest.raises(ValueError, match="patience"):
        train.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="monitor"):
        train.EarlyStopping(monitor="val_f1")


def test_callbacks_see_each_epoch_and_can_stop() -> None:
    X, y, model = small_problem()
    seen: list[tuple[int, int]] = []

    def cb(epoch: int, history: train.History) -> bool:
        seen.append((epoch, len(history.train_loss)))
        return epoch == 2

    h = train.fit(model, X, y, epochs=5, callbacks=[cb], progress=False)
    assert seen == [(1, 1), (2, 2)] and h.stopped_early


def test_progress_bar_only_on_request_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    X, y, model = small_problem()
    train.fit(model, X, y, epochs=2, progress=None)
    assert capsys.readouterr().err == ""
    train.fit(model, X, y, epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "loss" in err


def test_custom_loss_and_binary_losses() -> None:
    X, y = data.make_xor(n=40, seed=0)
    for loss in ("hinge", "binary_cross_entropy_with_logits", "mse"):
        model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
        h = train.fit(
            model, X, y, loss=loss, optimizer="adam", lr=0.05, epochs=30, batch_size=None, progress=False
        )
        assert h.train_loss[-1] < h.train_loss[0], loss
    model = nn.MLP(2, [8, 1], activation="tanh", seed=0)

    def squared(outputs: list[Value], targets: list[float]) -> Value:
        # targets come as 0.0 / 1.0; aim at -1 / +1 so that "output > 0" means class 1
        return sum(((o - (2 * t - 1)) ** 2 for o, t in zip(outputs, targets)), Value(0.0)) / len(outputs)

    h = train.fit(
        model, X, y, loss=squared, optimizer="adam", lr=0.05, epochs=30, batch_size=None, progress=False
    )
    assert h.loss == "squared" and h.train_accuracy[-1] is not None and h.train_accuracy[-1] > 0.9


# ---------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip_is_exact(tmp_path: Path) -> None:
    X, y, model = small_problem()
    opt = optim.Adam(model.parameters(), lr=0.01)
    train.fit(model, X, y, optimizer=opt, epochs=2, progress=False)
    path = tmp_path / "model.json"
    train.save_checkpoint(model, path, opt)
    other = nn.MLP(2, [4, 3], seed=99)
    opt2 = optim.Adam(other.parameters(), lr=0.01)
    train.load_checkpoint(other, path, opt2)
    assert snapshot(other) == snapshot(model)
    assert json.dumps(opt2.state_dict(), sort_keys=True) == json.dumps(opt.state_dict(), sort_keys=True)
    assert [f.name for f in tmp_path.iterdir()] == ["model.json"]  # no temp files left


def test_fit_writes_a_checkpoint_every_epoch(tmp_path: Path) -> None:
    X, y, model = small_problem()
    path = tmp_path / "ckpt.json"
    train.fit(model, X, y, epochs=2, checkpoint=path, progress=False)
    fresh = nn.MLP(2, [4, 3], seed=3)
    train.load_checkpoint(fresh, path)
    assert snapshot(fresh) == snapshot(model)


def test_a_crash_while_writing_leaves_the_old_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, model = small_problem()
    path = tmp_path / "model.json"
    train.save_checkpoint(model, path)
    old = path.read_bytes()
    for p in model.parameters():
        p.data += 1.0

    def crash(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        train.save_checkpoint(model, path)
    assert path.read_bytes() == old
    assert [f.name for f in tmp_path.iterdir()] == ["model.json"]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda b: b[: len(b) // 2], "truncated or corrupt"),
        (lambda b: b.replace(b"microgradnet-checkpoint", b"something-else"), "not a microgradnet checkpoint"),
        (lambda b: b.replace(b'"version": 1', b'"version": 7'), "version 7"),
        (lambda b: b"\xff\xfe" + b, "truncated or corrupt"),
    ],
)
def test_corrupt_checkpoints_raise_and_leave_the_model_unchanged(
    tmp_path: Path, corrupt: Any, message: str
) -> None:
    _, _, model = small_problem()
    path = tmp_path / "model.json"
    train.save_checkpoint(model, path)
    path.write_bytes(corrupt(path.read_bytes()))
    other = nn.MLP(2, [4, 3], seed=7)
    before = snapshot(other)
    with pytest.raises(train.CheckpointError, match=message):
        train.load_checkpoint(other, path)
    assert snapshot(other) == before


def test_a_changed_number_fails_the_checksum(tmp_path: Path) -> None:
    _, _, model = small_problem()
    path = tmp_path / "model.json"
    train.save_checkpoint(model, path)
    body = json.loads(path.read_text())
    body["model"]["0.bias"][0] += 1.0
    path.write_text(json.dumps(body))
    other = nn.MLP(2, [4, 3], seed=7)
    before = snapshot(other)
    with pytest.raises(train.CheckpointError, match="checksum"):
        train.load_checkpoint(other, path)
    assert snapshot(other) == before


def test_an_optimizer_state_that_does_not_fit_leaves_model_and_optimizer_unchanged(tmp_path: Path) -> None:
    X, y, model = small_problem()
    sgd = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train.fit(model, X, y, optimizer=sgd, epochs=1, progress=False)
    path = tmp_path / "model.json"
    train.save_checkpoint(model, path, sgd)
    other = nn.MLP(2, [4, 3], seed=7)
    adam = optim.Adam(other.parameters(), lr=0.01)
    before, adam_before = snapshot(other), adam.state_dict()
    with pytest.raises(ValueError, match=r"Adam\.load_state_dict"):
        train.load_checkpoint(other, path, adam)
    assert snapshot(other) == before and adam.state_dict() == adam_before
    with pytest.raises(train.CheckpointError, match="no optimizer state"):
        train.save_checkpoint(model, path)
        train.load_checkpoint(other, path, adam)
    assert snapshot(other) == before


def test_a_checkpoint_for_another_model_is_refused(tmp_path: Path) -> None:
    _, _, model = small_problem()
    path = tmp_path / "model.json"
    train.save_checkpoint(model, path)
    for other in (nn.MLP(2, [5, 3], seed=0), nn.MLP(2, [4, 4, 3], seed=0)):
        before = snapshot(other)
        with pytest.raises(train.CheckpointError, match=r"shape|do not match"):
            train.load_checkpoint(other, path)
        assert snapshot(other) == before
    with pytest.raises(FileNotFoundError, match="not found"):
        train.load_checkpoint(model, tmp_path / "missing.json")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        train.save_checkpoint(model, tmp_path / "no" / "dir.json")


# ---------------------------------------------------------------- issue 10: never silently wrong


def test_evaluate_follows_a_model_that_changed_since_the_last_call() -> None:
    # issue 10 item 1: the compiled step was cached per model object and served stale numbers
    X, y = data.make_moons(n=50, seed=0)
    m = nn.Sequential(nn.Linear(2, 2, seed=0))
    first = train.evaluate(m, X, y)
    m.append(nn.Tanh())  # no new parameter: only the structure changes
    m.append(nn.Linear(2, 2, seed=1))
    after = train.evaluate(m, X, y)
    with_eager = losses.cross_entropy([m(x) for x in X.tolist()], y.tolist()).data
    assert after[0] == pytest.approx(with_eager, rel=1e-12) and after != first
    neuron = nn.MLP(2, [3, 2], activation="tanh", seed=0)
    train.evaluate(neuron, X, y)
    neuron.layers[0].neurons[0].activation = "relu"  # one neuron's configuration
    eager = losses.cross_entropy([neuron(x) for x in X.tolist()], y.tolist()).data
    assert train.evaluate(neuron, X, y)[0] == pytest.approx(eager, rel=1e-12)


def test_evaluate_keeps_at_most_a_few_models_alive() -> None:
    # a compiled step holds its model, so a cache keyed weakly by the model never let one go:
    # evaluating 12 models in a loop kept all 12 (and their tapes) alive
    import gc
    import weakref

    X, y = data.make_moons(n=20, seed=0)
    alive = []
    for k in range(12):
        m = nn.MLP(2, [3, 2], seed=k)
        train.evaluate(m, X, y)
        alive.append(weakref.ref(m))
    del m
    gc.collect()
    left = sum(r() is not None for r in alive)
    assert 1 <= left <= 4 == train._MAX_CACHED_MODELS
    assert alive[-1]() is not None  # the newest is still cached, so evaluating it again is cheap


def test_evaluate_follows_a_replaced_forward_or_a_changed_attribute_and_reuses_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the audit: the cache key (class + repr) missed an instance `forward` and a Linear's
    # `.activation` (its repr stays "Linear(2, 4)")
    X, y = data.make_moons(n=40, seed=2)

    def eager(model: Any) -> float:
        return losses.cross_entropy([model(x) for x in X.tolist()], y.tolist()).data

    m = nn.Sequential(nn.Linear(2, 4, seed=0), nn.Linear(4, 2, seed=1))
    train.evaluate(m, X, y)
    assert train._compiled_for(m, "cross_entropy") is train._compiled_for(m, "cross_entropy")  # reused
    m[0].activation = "tanh"
    assert train.evaluate(m, X, y)[0] == pytest.approx(eager(m), rel=1e-12)
    orig = m.forward
    m.forward = lambda x: [-o for o in orig(x)]  # type: ignore[method-assign]
    assert train.evaluate(m, X, y)[0] == pytest.approx(eager(m), rel=1e-12)
    monkeypatch.setattr(nn.Linear, "forward", lambda self, x: [o * 2.0 for o in nn.Layer.forward(self, x)])
    assert train.evaluate(m, X, y)[0] == pytest.approx(eager(m), rel=1e-12)
    m.note = object()  # an attribute nothing can describe: traced again every time
    assert train._compiled_for(m, "cross_entropy") is not train._compiled_for(m, "cross_entropy")


def test_compiled_fit_follows_a_callback_that_changes_the_model() -> None:
    X, y = data.make_moons(n=32, seed=3)

    def run(compile: bool) -> list[float]:
        m = nn.MLP(2, [4, 2], activation="tanh", seed=0)

        def switch(epoch: int, history: train.History) -> None:
            if epoch == 1:
                for layer in m.layers[:-1]:
                    layer.activation = "relu"

        h = train.fit(
            m, X, y, epochs=3, batch_size=8, seed=0, progress=False, compile=compile, callbacks=[switch]
        )
        return [*h.train_loss, *(p.data for p in m.parameters())]

    assert np.allclose(run(True), run(False), rtol=1e-12, atol=1e-15)


def test_evaluate_follows_a_model_of_its_own_whose_forward_changed() -> None:
    class Scaled:
        def __init__(self) -> None:
            self.inner = nn.MLP(2, [3, 2], seed=0)
            self.scale = 1.0

        def parameters(self) -> list[Value]:
            return self.inner.parameters()

        def __call__(self, x: Any) -> Any:
            return [o * self.scale for o in self.inner(x)]

    X, y = data.make_moons(n=30, seed=1)
    model = Scaled()
    train.evaluate(model, X, y)
    model.scale = 3.0
    eager = losses.cross_entropy([model(x) for x in X.tolist()], y.tolist()).data
    assert train.evaluate(model, X, y)[0] == pytest.approx(eager, rel=1e-12)


def test_fit_accepts_numpy_integers_and_rejects_bools() -> None:
    # issue 10 item 17
    X, y, model = small_problem()
    h = train.fit(model, X, y, epochs=np.int64(2), batch_size=np.int32(8), progress=False)
    assert h.epochs == [1, 2]
    for kwargs in ({"epochs": True}, {"batch_size": False}, {"epochs": np.float64(2.0)}):
        with pytest.raises(ValueError, match="integer"):
            train.fit(model, X, y, progress=False, **kwargs)


@pytest.mark.parametrize("compile", [True, False])
def test_five_epochs_and_a_resumed_five_equal_ten(tmp_path: Path, compile: bool) -> None:
    # issue 10 item 15: shuffled minibatches, Adam, a schedule: everything must be restored
    X, y = data.make_spirals(n=60, classes=3, seed=2)
    kw: dict[str, Any] = dict(
        loss="cross_entropy", lr=0.03, batch_size=7, seed=5, progress=False, compile=compile
    )
    straight = nn.MLP(2, [6, 3], seed=1)
    h10 = train.fit(straight, X, y, optimizer="adam", epochs=10, **kw)
    first = nn.MLP(2, [6, 3], seed=1)
    train.fit(first, X, y, optimizer="adam", epochs=5, checkpoint=tmp_path / "run.json", **kw)
    resumed = nn.MLP(2, [6, 3], seed=99)  # other weights: the checkpoint brings the run's back
    h = train.fit(resumed, X, y, optimizer="adam", epochs=10, resume=tmp_path / "run.json", **kw)
    assert [p.data for p in resumed.parameters()] == [p.data for p in straight.parameters()]
    assert h.epochs == list(range(1, 11)) and h.train_loss == h10.train_loss


def test_resume_needs_a_checkpoint_written_by_fit(tmp_path: Path) -> None:
    X, y, model = small_problem()
    train.save_checkpoint(model, tmp_path / "plain.json")
    before = snapshot(model)
    with pytest.raises(train.CheckpointError, match="no training progress"):
        train.fit(model, X, y, epochs=2, resume=tmp_path / "plain.json", progress=False)
    with pytest.raises(FileNotFoundError, match="not found"):
        train.fit(model, X, y, epochs=2, resume=tmp_path / "missing.json", progress=False)
    train.fit(model, X, y, epochs=1, checkpoint=tmp_path / "run.json", progress=False)
    with pytest.raises(train.CheckpointError, match="loss 'cross_entropy', not 'hinge'"):
        train.fit(
            nn.MLP(2, [4, 1], seed=0), X, y % 2, loss="hinge", resume=tmp_path / "run.json", progress=False
        )
    assert snapshot(model) != before  # (the one fit that ran)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "microgradnet-checkpoint", "model": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested"),
        (None, "too large for a float"),
        (
            '{"format": "microgradnet-checkpoint", "model": [' + "1" * 5000 + "]}",
            "model.json.*too many digits",
        ),
    ],
)
def test_pathological_checkpoints_raise_checkpoint_error(
    tmp_path: Path, text: str | None, message: str
) -> None:
    # issue 10 item 10: a 100k-deep array (RecursionError) and a 1e400 weight (OverflowError)
    _, _, model = small_problem()
    path = tmp_path / "model.json"
    if text is None:
        train.save_checkpoint(model, path)
        body = json.loads(path.read_text())
        body["model"]["0.bias"][0] = 10**400
        del body["sha256"]
        body["sha256"] = train._digest(body)
        text = json.dumps(body)
    path.write_text(text)
    before = snapshot(model)
    with pytest.raises(train.CheckpointError, match=message):
        train.load_checkpoint(model, path)
    assert snapshot(model) == before


def test_predicted_classes_are_one_rule_for_values_arrays_and_plots() -> None:
    X, _ = data.make_blobs(n=20, classes=3, seed=3)
    model = nn.MLP(2, [4, 3], seed=3)
    outputs = train.predict(model, X)
    want = [max(range(3), key=lambda j, r=r: (r[j], -j)) for r in outputs.tolist()]  # first max
    assert train.predict_classes(model, X).tolist() == want == losses.predicted_classes(outputs)
    assert losses.predicted_classes([[Value(1.0), Value(1.0)]]) == [0]  # ties: the first
    assert losses.predicted_classes(np.array([0.2, 0.7, -1.0]), threshold=0.5) == [0, 1, 0]


def test_the_numpy_predicted_classes_are_the_rule_of_losses_with_nan_and_ties(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # issue 9: one rule. Rows with a nan go through losses._class_of itself; the others take
    # argmax (the first largest) or `> threshold`, checked here against the rule on every row
    nan, inf = float("nan"), float("inf")
    rows = [
        [1.0, 3.0, 3.0],  # a tie: the first
        [nan, 1.0, 2.0],  # a nan first score keeps class 0
        [1.0, nan, 2.0],  # a nan never wins
        [2.0, nan, 2.0],
        [-inf, -inf, -inf],
        [-inf, nan, inf],
        [0.0, -0.0, 0.0],
        [nan, nan, nan],
    ]
    rng = np.random.default_rng(9)
    grid = rng.choice(np.array([nan, -inf, -1.0, 0.0, 1.0, inf]), size=(300, 3))  # many ties
    out = np.vstack([np.array(rows), grid])
    assert train._predicted_classes(out, 0.0).tolist()[:8] == [1, 0, 2, 0, 0, 2, 0, 0]
    for width in (1, 3):
        part = out[:, :width]
        assert train._predicted_classes(part, 0.5).tolist() == losses.predicted_classes(part, threshold=0.5)
    calls: list[list[float]] = []
    rule = losses._class_of
    monkeypatch.setattr(losses, "_class_of", lambda s, t: calls.append(s) or rule(s, t))
    train._predicted_classes(np.array([[1.0, nan], [1.0, 2.0]]), 0.0)
    assert len(calls) == 1 and calls[0][0] == 1.0  # the nan row, through the one rule
