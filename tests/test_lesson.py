"""microgradnet.lesson: the OwnFramework notebook's interface, gradients by the engine.

The notebook's own hand-written classes (tests/reference/lesson_ownframework_cells.py, cells 29,
30, 38) are the oracle: same shapes, same numbers (to rounding), and finite differences agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from microgradnet import lesson
from microgradnet.testing import check_layer
from microgradnet.viz import draw_dot, trace_backward
from refcells import lesson_cells


def notebook_classes() -> dict[str, Any]:
    """The lesson's own Linear, Softmax, CrossEntropyLoss, Tanh and Net (its final versions)."""
    ns: dict[str, Any] = {"np": np}
    for cell in lesson_cells():
        if cell.index in (29, 30, 32, 38):
            exec(cell.source, ns)
    return ns


def test_linear_draws_w_like_the_notebook_from_numpys_global_generator() -> None:
    np.random.seed(3)
    expected = np.random.normal(0, 1.0 / np.sqrt(5), (4, 5))
    np.random.seed(3)
    lin = lesson.Linear(5, 4)
    assert np.array_equal(lin.W, expected)
    assert np.array_equal(lin.b, np.zeros((1, 4))) and lin.dW.shape == (4, 5) and lin.db.shape == (1, 4)


def test_a_training_step_matches_the_notebooks_hand_written_backward() -> None:
    own = notebook_classes()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3)).astype(np.float32)  # float32 input, as the lesson's data
    y = rng.integers(0, 2, size=6)

    def build(ns: Any) -> Any:
        np.random.seed(7)
        net = ns["Net"]() if isinstance(ns, dict) else ns.Net()
        get = (lambda k: ns[k]) if isinstance(ns, dict) else (lambda k: getattr(ns, k))
        net.add(get("Linear")(3, 4))
        net.add(get("Tanh")())
        net.add(get("Linear")(4, 2))
        net.add(get("Softmax")())
        return net, get("CrossEntropyLoss")()

    results = []
    for ns in (own, lesson):
        net, loss = build(ns)
        p = net.forward(x)
        value = loss.forward(p, y)
        dx = net.backward(loss.backward(value))
        grads = [(layer.dW.copy(), np.ravel(layer.db).copy()) for layer in (net.layers[0], net.layers[2])]
        net.update(0.1)
        results.append((p, value, dx, grads, net.layers[0].W.copy()))
    (p0, v0, dx0, g0, w0), (p1, v1, dx1, g1, w1) = results
    assert np.array_equal(p0, p1) and v0 == v1  # forward: the notebook's arithmetic, exactly
    assert np.allclose(dx0, dx1, rtol=1e-12, atol=1e-15)
    for (dw0, db0), (dw1, db1) in zip(g0, g1):
        assert dw0.shape == dw1.shape and db0.shape == db1.shape
        assert np.allclose(dw0, dw1, rtol=1e-12, atol=1e-15) and np.allclose(db0, db1, rtol=1e-12, atol=1e-15)
    assert np.allclose(w0, w1, rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: lesson.Linear(3, 2), lesson.Softmax, lesson.Tanh])
def test_backward_agrees_with_finite_differences(make: Any) -> None:
    np.random.seed(1)
    x = np.random.normal(size=(5, 3))
    report = check_layer(make(), x)
    assert report.ok, str(report)


def test_cross_entropy_backward_is_minus_one_over_n_p_at_the_label() -> None:
    p = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    y = np.array([1, 0, 0])
    ce = lesson.CrossEntropyLoss()
    value = ce.forward(p, y)
    assert value == pytest.approx(-np.mean(np.log([0.8, 0.6, 0.5])), rel=1e-15)
    expected = np.zeros_like(p)
    expected[[0, 1, 2], [1, 0, 0]] = -1.0 / (3 * np.array([0.8, 0.6, 0.5]))
    assert np.allclose(ce.backward(value), expected, rtol=1e-15)


def test_train_epoch_and_get_loss_acc_lower_the_loss() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    np.random.seed(0)
    net = lesson.Net()
    net.add(lesson.Linear(2, 2))
    net.add(lesson.Softmax())
    before, _ = lesson.get_loss_acc(x, y, net=net)
    for _ in range(5):
        lesson.train_epoch(net, x, y, batch_size=8, lr=0.5)
    after, acc = lesson.get_loss_acc(x, y, net=net)
    assert after < before and acc >= 0.9


def test_the_graph_of_one_sample_shows_dw_as_dz_times_x_edge_by_edge() -> None:
    np.random.seed(0)
    lin = lesson.Linear(3, 2)
    x, dz = np.array([1.5, -2.0, 0.5]), np.array([0.3, -1.2])
    L = lin.graph(x, dz)
    trace = trace_backward(L)
    into_w = {}
    for e in trace.events:
        child = trace.node(e.operand)
        if child.label.startswith("W["):
            into_w[child.label] = e.contribution
    assert len(into_w) == 6
    for i in range(2):
        for j in range(3):
            assert into_w[f"W[{i}][{j}]"] == pytest.approx(dz[i] * x[j], rel=1e-15)
    # and it is the batch gradient for a batch of that one sample
    lin.forward(x.reshape(1, 3))
    lin.backward(dz.reshape(1, 2))
    assert np.allclose(lin.dW, np.outer(dz, x), rtol=1e-15)
    assert "W[1][2]" in draw_dot(L).source


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: lesson.Linear(0, 2), ValueError, "nin must be a positive int"),
        (lambda: lesson.Linear(2, 2).forward(np.ones((3, 5))), ValueError, "must have 2 columns"),
        (lambda: lesson.Linear(2, 2).forward("abc"), TypeError, "2-D array of numbers"),
        (lambda: lesson.Linear(2, 2).backward(np.ones((1, 2))), RuntimeError, "call forward() before"),
        (lambda: lesson.Linear(2, 2).update("fast"), TypeError, "lr must be a number"),
        (
            lambda: lesson.CrossEntropyLoss().forward(np.ones((2, 2)) / 2, [0, 2]),
            ValueError,
            "labels must be in",
        ),
        (lambda: lesson.Net().add(object()), TypeError, "needs a forward"),
        (lambda: lesson.Linear(2, 2).graph([1.0]), ValueError, "one sample of 2 numbers"),
    ],
)
def test_bad_input_is_refused_clearly(call: Any, error: type, words: str) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_a_wrong_dz_shape_changes_nothing() -> None:
    np.random.seed(0)
    lin = lesson.Linear(2, 2)
    lin.forward(np.ones((3, 2)))
    W, dW = lin.W.copy(), lin.dW.copy()
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        lin.backward(np.ones((2, 2)))
    assert np.array_equal(lin.W, W) and np.array_equal(lin.dW, dW)


def test_get_loss_acc_takes_the_notebooks_call_with_its_global_net(monkeypatch: pytest.MonkeyPatch) -> None:
    """``get_loss_acc(train_x, train_labels, loss)`` as the notebook calls it (in train_and_plot)
    reads the notebook's global ``net``; without one, the error says what is needed."""
    import __main__

    x = np.array([[1.0, -2.0], [0.5, 0.25], [-1.0, 1.0]])
    y = np.array([0, 1, 1])
    np.random.seed(0)
    net = lesson.Net()
    net.add(lesson.Linear(2, 2))
    net.add(lesson.Softmax())
    loss = lesson.CrossEntropyLoss()
    monkeypatch.delattr(__main__, "net", raising=False)
    with pytest.raises(TypeError, match=r"needs the network: pass net=.*global `net`"):
        lesson.get_loss_acc(x, y, loss)
    monkeypatch.setattr(__main__, "net", net, raising=False)
    assert lesson.get_loss_acc(x, y, loss) == lesson.get_loss_acc(x, y, loss, net=net)
    with pytest.raises(TypeError, match="forward"):
        lesson.get_loss_acc(x, y, loss, net=42)
