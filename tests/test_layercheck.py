"""check_layer on the lesson's own layers (right) and on planted student mistakes (each named)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from microgradnet.testing import check_layer
from microgradnet.testing.diagnoses import DIAGNOSES, Evidence, diagnose

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
    ("layer", "grad", "name", "words"),
    [
        (StudentLinear("transposed"), "dW", "transposed", "dW is the transpose of the right answer"),
        (StudentLinear("not summed"), "db", "not summed over the batch", "db was not summed over the batch"),
        (
            StudentLinear("averaged"),
            "db",
            "averaged over the batch",
            "averaged over the batch instead of summed",
        ),
        (StudentLinear("sign"), "dW", "wrong sign", "dW has the wrong sign"),
        (StudentLinear("first sample"), "db", "one sample only", "one sample's contribution"),
        (StudentLinear("doubled"), "dx", "scaled", "the factor is 2"),
        (StudentSoftmax("no sum term"), "dx", "softmax without the sum term", "without the term − p·Σ(p·dp)"),
        (StudentTanh("input"), "dx", "tanh derivative of the input", "1 − y²"),
        (StudentTanh("no upstream"), "dx", "upstream gradient ignored", "multiplies it by the upstream"),
    ],
)
def test_each_planted_mistake_is_named_in_the_students_words(
    layer: Any, grad: str, name: str, words: str
) -> None:
    W_before = getattr(layer, "W", None)
    W_copy = None if W_before is None else W_before.copy()
    report = check_layer(layer, X)
    assert not report.ok
    wrong = [c.name for c in report.checks if not c.ok]
    assert wrong == [grad], str(report)
    check = report.check(grad)
    assert check.diagnosis is not None and check.diagnosis.name == name, str(report)
    assert words in check.message and words in str(report)
    if W_before is not None:  # the parameters are the same arrays, unchanged
        assert layer.W is W_before and np.array_equal(layer.W, W_copy)


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


def test_the_catalogue_is_data_with_unique_names_and_sentences() -> None:
    names = [d.name for d in DIAGNOSES]
    assert len(names) == len(set(names))
    assert all("{grad}" in d.sentence and callable(d.detector) for d in DIAGNOSES)
    right = np.arange(6.0).reshape(2, 3) + 1
    assert diagnose(Evidence("dW", right, right)) is None  # a right answer matches nothing
