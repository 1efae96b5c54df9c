"""check_layer on the lesson's own layers (right), on planted student mistakes (each named), and on
every layer form of the catalogue of slips (each recognised and named by its own kind)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from microgradnet.slips import SLIPS, LayerCase
from microgradnet.testing import check_layer

X = np.array([[1.0, 2.0, -1.5], [0.5, -1.0, 2.0], [-0.3, 0.7, 0.2], [2.0, 0.1, -0.4]])


class StudentLinear:
    """The lesson notebook's Linear (cell 29), with a switch for each classic slip."""

    def __init__(self, slip: str = "") -> None:
        self.W = np.random.default_rng(1).normal(size=(2, 3))
        self.b = np.array([[0.1, -0.2]])
        self.slip = slip

    def forward(self, x: Any) -> Any:
        self.x = x
        return np.dot(x, self.W.T) + self.b

    def backward(self, dz: Any) -> Any:
        dx = np.dot(dz, self.W)
        dW = np.dot(dz.T, self.x)
        db = dz.sum(axis=0)
        if self.slip == "transposed":
            dW = np.dot(self.x.T, dz)
        elif self.slip == "not summed":
            db = dz.copy()
        elif self.slip == "averaged":
            db = dz.mean(axis=0)
        elif self.slip == "sign":
            dW = -dW
        elif self.slip == "first sample":
            db = dz[0]
        elif self.slip == "last sample":
            db, dW = dz[-1], np.outer(dz[-1], self.x[-1])
        elif self.slip == "wrong axis":
            db = dz.sum(axis=1)
        elif self.slip == "doubled":
            dx = 2 * dx
        self.dW, self.db = dW, db
        return dx


class StudentSoftmax:
    def __init__(self, slip: str = "") -> None:
        self.slip = slip

    def forward(self, z: Any) -> Any:
        self.z = z
        zmax = z.max(axis=1, keepdims=True)
        expz = np.exp(z - zmax)
        return expz / expz.sum(axis=1, keepdims=True)

    def backward(self, dp: Any) -> Any:
        p = self.forward(self.z)
        pdp = p * dp
        if self.slip == "no sum term":
            return pdp
        return pdp - p * pdp.sum(axis=1, keepdims=True)


class StudentTanh:
    def __init__(self, slip: str = "") -> None:
        self.slip = slip

    def forward(self, x: Any) -> Any:
        self.x = x
        self.y = np.tanh(x)
        return self.y

    def backward(self, dy: Any) -> Any:
        if self.slip == "input":
            return (1.0 - self.x**2) * dy
        if self.slip == "no upstream":
            return 1.0 - self.y**2
        return (1.0 - self.y**2) * dy


class StudentReLU:
    def __init__(self, slip: str = "") -> None:
        self.slip = slip

    def forward(self, x: Any) -> Any:
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, dy: Any) -> Any:
        return dy * (self.x < 0) if self.slip == "wrong side" else dy * (self.x > 0)


def test_right_layers_pass_against_autograd() -> None:
    for layer, x in ((StudentLinear(), X), (StudentSoftmax(), X), (StudentTanh(), X)):
        report = check_layer(layer, x)
        assert report.ok, str(report)
        assert report.reference.startswith("autograd") and not report.notes


def test_the_lessons_own_layers_pass() -> None:
    from microgradnet.lesson import Linear, Softmax, Tanh

    np.random.seed(0)
    for layer in (Linear(3, 2), Softmax(), Tanh()):
        assert check_layer(layer, X).ok


@pytest.mark.parametrize(
    ("layer", "grads", "kind", "variant", "words"),
    [
        (StudentLinear("transposed"), "dW", "layer", "transposed", "dW is the transpose of the right answer"),
        (StudentLinear("not summed"), "db", "layer", "not_summed", "db was not summed over the batch"),
        (StudentLinear("wrong axis"), "db", "layer", "wrong_axis", "db was summed over the wrong axis"),
        (StudentLinear("averaged"), "db", "averaged", "", "averaged over the batch instead of summed"),
        (StudentLinear("sign"), "dW", "sign", "", "dW has the wrong sign"),
        (StudentLinear("first sample"), "db", "fanout", "", "db holds one sample's contribution only"),
        (StudentLinear("last sample"), "dW db", "fanout", "", "dW holds one sample's contribution only"),
        (StudentLinear("doubled"), "dx", "scaled", "", "every entry is 2 times the right one"),
        (StudentSoftmax("no sum term"), "dx", "softmax_sum", "", "without the term − p·Σ(p·dp)"),
        (StudentTanh("input"), "dx", "outer_at_input", "", "1 − y²"),
        (StudentTanh("no upstream"), "dx", "local_only", "", "multiplies it by the upstream"),
        (StudentReLU("wrong side"), "dx", "relu_side", "", "on the wrong side of 0"),
    ],
)
def test_each_planted_mistake_is_named_in_the_students_words(
    layer: Any, grads: str, kind: str, variant: str, words: str
) -> None:
    W_before = getattr(layer, "W", None)
    W_copy = None if W_before is None else W_before.copy()
    report = check_layer(layer, X)
    assert not report.ok
    wrong = [c.name for c in report.checks if not c.ok]
    assert wrong == grads.split(), str(report)
    check = report.check(wrong[0])
    assert check.diagnosis is SLIPS[kind] and check.variant == variant, str(report)
    assert words in check.message and words in str(report)
    if W_before is not None:  # the parameters are the same arrays, unchanged
        assert layer.W is W_before and np.array_equal(layer.W, W_copy)


class Slipped:
    """A right layer (the lesson's conventions, worked out by hand) whose ``backward`` returns one
    form of one slip of the catalogue instead: the catalogue plants, check_layer must name it."""

    def __init__(self, layer: str, kind: str, form: int) -> None:
        self.layer, self.kind, self.form = layer, kind, form
        if layer == "Linear":
            self.W = np.random.default_rng(1).normal(size=(2, 3))
            self.b = np.array([[0.1, -0.2]])

    def forward(self, x: Any) -> Any:
        self.x = x
        if self.layer == "Linear":
            return np.dot(x, self.W.T) + self.b
        if self.layer == "Tanh":
            return np.tanh(x)
        if self.layer == "Sigmoid":
            return 1.0 / (1.0 + np.exp(-x))
        if self.layer == "ReLU":
            return StudentReLU().forward(x)
        return StudentSoftmax().forward(x)

    def backward(self, dy: Any) -> Any:
        x = self.x
        y = self.forward(x)
        params: dict[str, Any] = {}
        if self.layer == "Linear":
            right = {"x": dy @ self.W, "W": dy.T @ x, "b": dy.sum(axis=0)}
            params = {"W": self.W, "b": self.b}
        elif self.layer == "Tanh":
            right = {"x": (1 - y**2) * dy}
        elif self.layer == "Sigmoid":
            right = {"x": y * (1 - y) * dy}
        elif self.layer == "ReLU":
            right = {"x": dy * (x > 0)}
        else:
            right = {"x": y * dy - y * (y * dy).sum(axis=1, keepdims=True)}
        variant = SLIPS[self.kind].layer_variants(LayerCase(self.layer, x, y, dy, right, params))[self.form]
        self.planted = {k: np.asarray(v) for k, v in variant.grads.items()}
        grads = {**right, **self.planted}
        if self.layer == "Linear":
            self.dW, self.db = grads["W"], grads["b"]
        return grads["x"]


def _forms() -> list[tuple[str, str, int]]:
    """(layer, kind, form) for every layer form the catalogue has (the shapes decide which)."""
    out = []
    for layer in ("Linear", "Tanh", "Sigmoid", "ReLU", "Softmax"):
        shape = (4, 2) if layer == "Linear" else X.shape
        dy = np.ones(shape)
        grads = {"x": X, "W": np.ones((2, 3)), "b": np.ones(2)} if layer == "Linear" else {"x": X}
        params = {"W": np.ones((2, 3)), "b": np.ones((1, 2))} if layer == "Linear" else {}
        case = LayerCase(layer, X, np.ones(shape), dy, grads, params)
        out += [(layer, k, i) for k in SLIPS for i in range(len(SLIPS[k].layer_variants(case)))]
    return out


@pytest.mark.parametrize(("layer", "kind", "form"), _forms())
def test_every_layer_form_of_the_catalogue_is_recognised_and_named(layer: str, kind: str, form: int) -> None:
    student = Slipped(layer, kind, form)
    report = check_layer(student, X)
    order = list(SLIPS)
    for check in report.checks:
        key = "x" if check.name == "dx" else check.name[1:]
        planted = student.planted.get(key)
        if planted is None or (
            planted.size == check.want.size and np.allclose(np.ravel(planted), np.ravel(check.want))
        ):
            assert check.ok, str(report)  # untouched (or unchanged) gradients stay right
            continue
        assert not check.ok and check.diagnosis is not None, str(report)
        # named by this kind, or by an earlier one whose form gives the same numbers here
        assert order.index(check.diagnosis.name) <= order.index(kind), str(report)
        if check.diagnosis.name == kind:
            part = "check." + check.variant if check.variant else "check"
            assert check.message.startswith(
                SLIPS[kind].text(part).format(grad=check.name, factor="", n=4)[:20]
            )


def test_a_wrong_entry_is_located_and_measured() -> None:
    class OffByOne(StudentLinear):
        def backward(self, dz: Any) -> Any:
            dx = super().backward(dz)
            self.dW = self.dW.copy()
            self.dW[1, 2] += 0.5
            return dx

    report = check_layer(OffByOne(), X)
    msg = report.check("dW").message
    assert "1 of 6 entries differ" in msg and "dW[1][2]" in msg and "off by 0.5" in msg


def test_forward_that_cannot_run_on_values_falls_back_to_finite_differences() -> None:
    class Float32Linear(StudentLinear):
        def forward(self, x: Any) -> Any:
            self.x = np.asarray(x, dtype=np.float64)  # fails for an array of Values
            return np.dot(self.x, self.W.T) + self.b

    report = check_layer(Float32Linear(), X)
    assert (
        report.ok and report.reference == "finite differences" and "autograd was not used" in report.notes[0]
    )


def test_missing_gradient_and_bad_input_are_reported_clearly() -> None:
    class NoDb(StudentLinear):
        def backward(self, dz: Any) -> Any:
            dx = super().backward(dz)
            del self.db
            return dx

    report = check_layer(NoDb(), X)
    assert "db: the layer did not set it" in report.check("db").message
    with pytest.raises(TypeError, match="needs a forward"):
        check_layer(object(), X)
    with pytest.raises(ValueError, match="2-D"):
        check_layer(StudentTanh(), [1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        check_layer(StudentTanh(), X, dz=np.ones((2, 2)))


def test_a_wrong_gradient_no_slip_explains_is_still_measured() -> None:
    class Tripled(StudentLinear):
        def backward(self, dz: Any) -> Any:
            return 3 * super().backward(dz)

    check = check_layer(Tripled(), X).check("dx")
    assert check.diagnosis is None and check.variant == ""
    assert check.message.startswith("dx is wrong: every entry is 3 times the right one.")


# the lesson's training data, float32 as the lesson casts it (OwnFramework.ipynb, cell 18's output)
LESSON_X32 = np.array(
    [
        [1.3382818, -0.98613256],
        [0.5128146, 0.43299454],
        [-0.4473693, -0.2680512],
        [-0.9865851, -0.28692],
        [-1.0693829, 0.41718036],
    ],
    dtype=np.float32,
)


class _Linear32:
    """A right (or slipped) linear layer that computes in float32, as the lesson's data invites."""

    def __init__(self, slip: str = "") -> None:
        self.W = np.random.default_rng(3).normal(size=(2, 2)).astype(np.float32)
        self.b = np.zeros((1, 2), dtype=np.float32)
        self.slip = slip

    def forward(self, x: Any) -> Any:
        self.x = x
        return (x @ self.W.T + self.b).astype(np.float32)

    def backward(self, dz: Any) -> Any:
        self.dW = self.x.T @ dz if self.slip == "transposed" else dz.T @ self.x
        self.db = dz.mean(axis=0) if self.slip == "averaged" else dz.sum(axis=0)
        return dz @ self.W


class _Tanh32:
    def forward(self, x: Any) -> Any:
        self.y = np.tanh(x.astype(np.float32))
        return self.y

    def backward(self, dy: Any) -> Any:
        return (1 - self.y**2) * dy


@pytest.mark.parametrize("layer", [_Linear32, _Tanh32])
def test_a_right_float32_layer_passes(layer: type) -> None:
    """A float32 output is rounded: the finite-difference step and tolerances follow its dtype
    (with float64's 1e-6 step every gradient came out 'wrong')."""
    report = check_layer(layer(), LESSON_X32)
    assert report.ok, str(report)
    assert report.reference == "finite differences"  # forward casts its Values to float32


@pytest.mark.parametrize(
    ("slip", "grad", "kind"), [("transposed", "dW", "layer"), ("averaged", "db", "averaged")]
)
def test_a_slipped_float32_layer_is_still_named(slip: str, grad: str, kind: str) -> None:
    report = check_layer(_Linear32(slip), LESSON_X32)
    assert [c.name for c in report.checks if not c.ok] == [grad]
    diagnosis = report.check(grad).diagnosis
    assert diagnosis is not None and diagnosis.name == kind


def test_the_right_shape_named_for_an_unsummed_db_is_the_one_the_fix_gives() -> None:
    """The message for a ``db`` not summed over the batch names ``dz.sum(axis=0)``'s shape (2,),
    which check_layer accepts, and b's own (1, 2)."""

    class NotSummed(_Linear32):
        def forward(self, x: Any) -> Any:
            self.x = x
            return x @ self.W.T + self.b

        def backward(self, dz: Any) -> Any:
            super().backward(dz)
            self.db = dz
            return dz @ self.W

    x = LESSON_X32.astype(np.float64)
    message = check_layer(NotSummed(), x).check("db").message
    assert "Its shape is (5, 2); the right one is (2,)" in message and "(1, 2) (the shape of b)" in message
    fixed = NotSummed()
    fixed.backward = lambda dz: _Linear32.backward(fixed, dz)  # type: ignore[method-assign]
    assert np.asarray(check_layer(fixed, x).check("db").got).shape == (2,)
    assert check_layer(fixed, x).ok
