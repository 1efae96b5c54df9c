"""Error paths of the public API (DESIGN.md: bad input gets a clear TypeError/ValueError
naming what was wrong and what was expected, raised before anything changes).

Each test here pins a case that used to fail badly (a raw AttributeError/IndexError from deep
inside, a silent wrong result, or parameters changed before the error); the whole survey is
``scripts/probe_errors.py``.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import microgradnet as mg
from microgradnet import Value, data, nn, optim, train
from microgradnet.testing import gradcheck, gradgradcheck
from microgradnet.viz import draw_dot, export_frames, export_html, make_worksheet, narration, trace_backward

mcompile = importlib.import_module("microgradnet.compile")


def snapshot(model: Any) -> list[tuple[float, float]]:
    return [(p.data, p.grad) for p in model.parameters()]


def moons() -> tuple[Any, Any]:
    return data.make_moons(n=40, seed=0)


def small_graph() -> Value:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    out = a * b
    out.label = "L"
    return out


# ---------------------------------------------------------------- engine


@pytest.mark.parametrize("root", [None, 3.0, [Value(1.0)]])
def test_topological_order_rejects_a_non_value(root: Any) -> None:
    with pytest.raises(TypeError, match="expects a Value, got"):
        mg.topological_order(root)


def test_define_op_checks_grads_when_called() -> None:
    with pytest.raises(TypeError, match="grads must be a list of formula strings"):
        mg.define_op(grads=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="grads must be a list of formula strings"):
        mg.define_op(grads="1 - out**2")
    assert "errors_never_defined" not in mg.OPS


# ---------------------------------------------------------------- optim


def test_lr_at_rejects_a_negative_step() -> None:
    opt = optim.SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="step must be an integer >= 0, got -1"):
        opt.lr_at(-1)
    assert opt.lr_at(0) == 0.1


# ---------------------------------------------------------------- train: targets


@pytest.mark.parametrize(
    ("labels", "fragment"),
    [
        (5, "y holds class 5, but the model has 2 outputs"),
        (-1, "y holds class -1, but the model has 2 outputs"),
        (0.5, "whole-number class labels"),
    ],
)
@pytest.mark.parametrize("compiled", [True, False])
def test_fit_rejects_bad_class_labels_before_any_step(labels: float, fragment: str, compiled: bool) -> None:
    X, y = moons()
    y = y.astype(np.float64)
    y[-1] = labels  # only the last sample is bad: earlier batches must not have been trained
    model = nn.MLP(2, [4, 2], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=fragment):
        train.fit(model, X, y, epochs=1, batch_size=8, shuffle=False, progress=False, compile=compiled)
    assert snapshot(model) == before


def test_fit_rejects_bad_validation_labels_before_training() -> None:
    X, y = moons()
    model = nn.MLP(2, [4, 2], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"fit \(validation data\): y holds class 7"):
        train.fit(model, X, y, X_val=X, y_val=np.full(len(X), 7), epochs=1, progress=False)
    assert snapshot(model) == before


@pytest.mark.parametrize("where", ["X", "y"])
def test_fit_rejects_non_finite_data(where: str) -> None:
    X, y = moons()
    X = X.copy()
    yf = y.astype(np.float64)
    if where == "X":
        X[3, 1] = np.nan
    else:
        yf[3] = np.inf
    model = nn.MLP(2, [4, 1], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=f"fit: {where} must be finite"):
        train.fit(model, X, yf, loss="mse", epochs=1, progress=False)
    assert snapshot(model) == before


def test_fit_rejects_binary_targets_outside_0_1_before_training() -> None:
    X, y = moons()
    yf = y.astype(np.float64)
    yf[-1] = 2.0
    model = nn.Sequential(nn.Linear(2, 1, seed=0), nn.Sigmoid())
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"binary_cross_entropy needs targets in \[0, 1\], got 2.0"):
        train.fit(
            model, X, yf, loss="binary_cross_entropy", epochs=1, batch_size=4, shuffle=False, progress=False
        )
    assert snapshot(model) == before


def test_fit_a_regression_with_float_targets_still_works() -> None:
    # the checks above apply to class labels only: one output under mse takes any finite float
    X, t = data.make_regression_curve(n=20, seed=0)
    model = nn.MLP(1, [4, 1], seed=0)
    history = train.fit(model, X, t, loss="mse", epochs=1, progress=False)
    assert math.isfinite(history.train_loss[0])


def test_evaluate_rejects_out_of_range_classes() -> None:
    X, _y = moons()
    model = nn.MLP(2, [4, 2], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match="evaluate: y holds class 5"):
        train.evaluate(model, X, np.full(len(X), 5))
    assert snapshot(model) == before


def test_fit_checks_the_checkpoint_directory_before_training(tmp_path: Path) -> None:
    X, y = moons()
    model = nn.MLP(2, [4, 2], seed=0)
    before = snapshot(model)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        train.fit(model, X, y, epochs=1, progress=False, checkpoint=tmp_path / "missing" / "ck.json")
    assert snapshot(model) == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda X, y, path: train.fit(None, X, y, epochs=1, progress=False),
        lambda X, y, path: train.evaluate(None, X, y),
        lambda X, y, path: train.predict(None, X),
        lambda X, y, path: train.save_checkpoint(None, path),
        lambda X, y, path: train.layer_max_abs_weights(None),
    ],
    ids=["fit", "evaluate", "predict", "save_checkpoint", "layer_max_abs_weights"],
)
def test_a_missing_model_is_a_type_error(call: Any, tmp_path: Path) -> None:
    X, y = moons()
    with pytest.raises(TypeError, match="model"):
        call(X, y, tmp_path / "ck.json")
    assert list(tmp_path.iterdir()) == []


def test_predict_classes_rejects_an_unknown_loss() -> None:
    X, _ = moons()
    with pytest.raises(ValueError, match="unknown loss 'foo'"):
        train.predict_classes(nn.MLP(2, [4, 2], seed=0), X, loss="foo")


def test_train_step_takes_a_loss_name_and_rejects_an_unknown_one() -> None:
    X, y = moons()
    model = nn.MLP(2, [4, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = snapshot(model)
    with pytest.raises(ValueError, match="unknown loss 'foo'"):
        train.train_step(model, opt, "foo", X[:4], y[:4])
    assert snapshot(model) == before
    r = train.train_step(model, opt, "cross_entropy", X[:4], y[:4])
    assert r.size == 4 and snapshot(model) != before


# ---------------------------------------------------------------- compile: class labels


@pytest.mark.parametrize("label", [5, -1])
def test_compiled_paths_reject_a_class_the_model_cannot_have(label: int) -> None:
    X, _y = moons()
    bad = np.full(len(X), label)
    model = nn.MLP(2, [4, 2], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=f"y holds class {label}, but the model has 2 outputs"):
        mcompile.evaluate_named(model, "cross_entropy", X, bad)
    step = mcompile.for_fit(model, "cross_entropy")
    with pytest.raises(ValueError, match=f"y holds class {label}"):
        step.evaluate(X, bad)
    trainer = step.trainer(optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=f"y holds class {label}"):
        trainer.step(X, bad)
    trainer.sync()
    assert snapshot(model) == before


# ---------------------------------------------------------------- viz


@pytest.mark.parametrize("fmt", ["no braces", "x = "])
def test_number_formats_must_show_the_number(fmt: str, tmp_path: Path) -> None:
    root = small_graph()
    with pytest.raises(ValueError, match="shows no number"):
        draw_dot(root, fmt=fmt)
    with pytest.raises(ValueError, match="shows no number"):
        export_html(root, tmp_path / "s.html", fmt=fmt)
    with pytest.raises(ValueError, match="shows no number"):
        make_worksheet("a*b", number_format=fmt)
    with pytest.raises(TypeError, match="format string"):
        draw_dot(root, fmt=3)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_export_frames_into_a_file_says_so(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("keep me")
    with pytest.raises(ValueError, match="is a file; give a directory"):
        export_frames(small_graph(), target)
    assert target.read_text() == "keep me"


def test_narration_and_event_text_check_their_arguments() -> None:
    trace = trace_backward(small_graph())
    with pytest.raises(TypeError, match="expects a Trace"):
        narration(None, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="EdgeEvent or its step number"):
        narration(trace, "0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"event_text\(\) expects an EdgeEvent"):
        trace.event_text(0)  # type: ignore[arg-type]
    assert trace.event_text(trace.events[0])  # the documented call still works


# ---------------------------------------------------------------- testing


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_gradcheck_rejects_non_finite_inputs(bad: float) -> None:
    v = Value(bad)
    for check in (gradcheck, gradgradcheck):
        with pytest.raises(ValueError, match=r"input 1 is .*finite points only"):
            check(lambda a, b: a * b, [1.0, v])
    assert v.grad == 0.0


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_strategies_reject_a_non_domain_and_a_non_op() -> None:
    from microgradnet.testing import strategies

    with pytest.raises(TypeError, match="expects a Domain"):
        strategies.domain_floats(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expects an Op such as OPS"):
        strategies.op_calls("tanh").example()  # type: ignore[arg-type]


def test_fit_rejects_an_optimizer_built_on_another_model() -> None:
    X, y = moons()
    model, other = nn.MLP(2, [4, 2], seed=0), nn.MLP(2, [4, 2], seed=1)
    opt = optim.SGD(other.parameters(), lr=0.1)
    before, other_before = snapshot(model), snapshot(other)
    with pytest.raises(ValueError, match="updates none of the model's parameters"):
        train.fit(model, X, y, optimizer=opt, epochs=1, progress=False)
    assert snapshot(model) == before and snapshot(other) == other_before
    # an optimizer over part of the model (a frozen layer) is still allowed
    part = optim.SGD(model.parameters()[:3], lr=0.1)
    train.fit(model, X, y, optimizer=part, epochs=1, progress=False)
    after = snapshot(model)
    assert [d for d, _ in after[3:]] == [d for d, _ in before[3:]]  # frozen: data unchanged
    assert [d for d, _ in after[:3]] != [d for d, _ in before[:3]]


# ---------------------------------------------------------------- worksheet size (issue 10, item 13)


def test_make_worksheet_caps_versions_and_stops_when_values_run_out() -> None:
    with pytest.raises(ValueError, match="n_versions must be a whole number from 1 to 500, got 501"):
        make_worksheet("a*b", n_versions=501)
    # a and b each a nonzero integer from -5 to 5: 100 different sets, refused before any draw
    with pytest.raises(ValueError, match="only 100 different sets of leaf values"):
        make_worksheet("a*b", n_versions=101)
    # a from -1 to 2: log(a) is finite for a = 1 and a = 2 only
    with pytest.raises(ValueError, match="found only 2 versions with different leaf values"):
        make_worksheet("log(a) + b", {"a": (-1, 2), "b": 1}, n_versions=3)
    ws = make_worksheet("a*b", {"a": (1, 2), "b": (1, 2)}, n_versions=4)
    assert sorted(tuple(v.values.values()) for v in ws.versions) == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_a_worksheet_whose_values_are_never_nice_stays_bounded_and_distinct(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every value of a*b*1e-6 is below 0.001, so no draw is "nice": once the search budget is
    # spent, each version takes its first new finite draw instead of 500 tries
    worksheet = importlib.import_module("microgradnet.viz.worksheet")
    monkeypatch.setattr(worksheet, "_NICE_BUDGET", 30)
    calls = []
    real = worksheet.trace_backward
    monkeypatch.setattr(worksheet, "trace_backward", lambda root: calls.append(1) or real(root))
    ws = make_worksheet("a*b*0.000001", n_versions=20)
    assert len({tuple(v.values.values()) for v in ws.versions}) == 20
    assert len(calls) < 30 + 20 * 5  # not 20 x 500
