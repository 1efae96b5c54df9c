"""Loss functions: each takes a batch and returns the MEAN over it as one ``Value``.

============================================  ====================================================
``mse(predictions, targets)``                 mean of ``(p - t)²`` over every element
``mae(predictions, targets)``                 mean of ``|p - t|``
``hinge(scores, labels)``                     micrograd's max-margin loss, mean of
                                              ``relu(1 - y·s)``, labels ±1
``binary_cross_entropy(probs, targets)``      mean of ``-(t log p + (1-t) log(1-p))``
``binary_cross_entropy_with_logits(z, t)``    the same on logits, computed stably
``cross_entropy(batch_logits, targets)``      mean of ``-log softmax(z)[y]``, integer classes
``softmax(logits)``, ``log_softmax(logits)``  one sample's probabilities / log-probabilities
``accuracy(outputs, targets)``                the 0-1 measure, a float
``l2(parameters)``                            ``Σ p²``, for weight decay in the loss (micrograd)
============================================  ====================================================

>>> from microgradnet import Value, losses
>>> z = [[Value(2.0), Value(0.0)], [Value(0.0), Value(0.0)]]
>>> loss = losses.cross_entropy(z, [0, 1])
>>> round(loss.data, 6)                           # (log(1 + e**-2) + log 2) / 2
0.410038
>>> loss.backward(); round(z[1][1].grad, 6)      # (softmax - one-hot) / batch size
-0.25
>>> losses.accuracy(z, [0, 1])
0.5

Callable classes with PyTorch's names wrap them for the lesson's vocabulary: :class:`MSELoss`,
:class:`L1Loss`, :class:`HingeLoss`, :class:`BCELoss`, :class:`BCEWithLogitsLoss`,
:class:`CrossEntropyLoss` (``loss_fn(outputs, targets)``).

Stability: wherever an ``exp`` could overflow, the maximum logit ``m`` is subtracted as a
*constant* (``log Σ exp z = m + log Σ exp(z - m)`` is an identity, so values and gradients are
exact), so logits of ±1000 give finite losses and gradients.

Every function raises ``ValueError`` for an empty batch, mismatched lengths, a class index out
of range or a label of the wrong kind, and ``TypeError`` for something that is not a number or a
``Value`` — always before building any graph.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from microgradnet.engine import Value, apply

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "L1Loss",
    "MSELoss",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "l2",
    "log_softmax",
    "mae",
    "mse",
    "softmax",
]


# ---- checking inputs -----------------------------------------------------------------------


def _is_scalar(x: object) -> bool:
    return isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool)


def _lift(x: Any, who: str, where: str) -> Value:
    if isinstance(x, Value):
        return x
    if type(x) is not bool and isinstance(x, numbers.Real):
        return Value(float(x))
    raise TypeError(f"{who}: {where} must be a number or a Value, got {x!r} ({type(x).__name__})")


def _number(x: Any, who: str, where: str) -> float:
    """A target: a plain number (a ``Value`` target is read through its ``data``)."""
    if isinstance(x, Value):
        return x.data
    if type(x) is not bool and isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{who}: {where} must be a number, got {x!r} ({type(x).__name__})")


def _as_list(x: Any, who: str, what: str) -> list[Any]:
    if _is_scalar(x) or isinstance(x, (str, bytes)):
        raise TypeError(f"{who}: {what} must be a sequence, got {x!r} ({type(x).__name__})")
    if hasattr(x, "tolist") and not isinstance(x, Value):
        x = x.tolist()
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{who}: {what} must be a sequence, got {x!r} ({type(x).__name__})") from None


def _batch(predictions: Any, targets: Any, who: str) -> tuple[list[Any], list[Any]]:
    ps = _as_list(predictions, who, "predictions (one per sample)")
    ts = _as_list(targets, who, "targets (one per sample)")
    if not ps:
        raise ValueError(f"{who}: empty batch (no predictions); a mean over nothing is undefined")
    if len(ps) != len(ts):
        raise ValueError(f"{who}: {len(ps)} predictions but {len(ts)} targets; they must match")
    return ps, ts


def _pairs(predictions: Any, targets: Any, who: str) -> list[tuple[Value, float]]:
    """Flatten a batch of scalars or of equal-length vectors into (prediction, target) pairs."""
    ps, ts = _batch(predictions, targets, who)
    out: list[tuple[Value, float]] = []
    for i, (p, t) in enumerate(zip(ps, ts)):
        if _is_scalar(p) or isinstance(p, (str, bytes)):
            out.append((_lift(p, who, f"prediction {i}"), _number(t, who, f"target {i}")))
            continue
        pv = _as_list(p, who, f"prediction {i}")
        tv = [t] if _is_scalar(t) and len(pv) == 1 else _as_list(t, who, f"target {i}")
        if len(pv) != len(tv):
            raise ValueError(f"{who}: prediction {i} has {len(pv)} entries but target {i} has {len(tv)}")
        for j, (a, b) in enumerate(zip(pv, tv)):
            out.append((_lift(a, who, f"prediction {i}[{j}]"), _number(b, who, f"target {i}[{j}]")))
    return out


def _mean(terms: list[Value]) -> Value:
    return apply("sum", *terms) / len(terms)


# ---- regression ----------------------------------------------------------------------------


def mse(predictions: Any, targets: Any) -> Value:
    """Mean squared error ``mean((p - t)²)`` over every element, as PyTorch's ``MSELoss``.

    ``predictions``: one Value per sample, or one list of Values per sample (vector outputs);
    ``targets``: numbers of the same shape. Raises ``ValueError``/``TypeError`` (module docs).
    """
    pairs = _pairs(predictions, targets, "mse()")
    return _mean([(p - t) ** 2 for p, t in pairs])


def mae(predictions: Any, targets: Any) -> Value:
    """Mean absolute error ``mean(|p - t|)`` (PyTorch's ``L1Loss``), shapes as :func:`mse`.

    The derivative of ``|x|`` at exactly 0 is taken as 0. Raises as :func:`mse`.
    """
    pairs = _pairs(predictions, targets, "mae()")
    return _mean([abs(p - t) for p, t in pairs])


# ---- binary classification -----------------------------------------------------------------


def _scalars(scores: Any, labels: Any, who: str) -> list[tuple[Value, float]]:
    ps, ts = _batch(scores, labels, who)
    out = []
    for i, (p, t) in enumerate(zip(ps, ts)):
        if not _is_scalar(p) and not isinstance(p, (str, bytes)):
            items = _as_list(p, who, f"score {i}")
            if len(items) != 1:
                raise ValueError(f"{who}: score {i} must be one number or Value, got {len(items)} entries")
            p = items[0]
        out.append((_lift(p, who, f"score {i}"), _number(t, who, f"label {i}")))
    return out


def hinge(scores: Any, labels: Any) -> Value:
    """micrograd's max-margin (SVM) loss: ``mean(relu(1 - y·s))`` with labels ``y`` in {-1, +1}.

    ``scores``: one Value (or a one-element list) per sample. Raises ``ValueError`` for a label
    other than -1 or +1 (a 0/1 label is a common mistake: map it with ``2*y - 1``).
    """
    who = "hinge()"
    pairs = _scalars(scores, labels, who)
    for i, (_, y) in enumerate(pairs):
        if y not in (-1.0, 1.0):
            raise ValueError(
                f"{who}: label {i} is {y!r}; hinge labels must be -1 or +1 (map 0/1 with 2*y - 1)"
            )
    return _mean([(1 - y * s).relu() for s, y in pairs])


def _check_unit(pairs: list[tuple[Value, float]], who: str) -> None:
    for i, (_, t) in enumerate(pairs):
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"{who}: target {i} is {t!r}; targets must lie in [0, 1]")


def binary_cross_entropy(probabilities: Any, targets: Any) -> Value:
    """``mean(-(t·log p + (1 - t)·log(1 - p)))`` for probabilities ``p`` and targets in [0, 1].

    No clamping: a term whose weight is 0 is left out (so ``p = 0`` with ``t = 0`` gives 0, not
    ``0·log 0 = nan``), and a confidently wrong prediction (``p = 0`` with ``t = 1``) gives
    ``inf`` with an infinite gradient, as the formula says. (PyTorch's ``BCELoss`` instead clamps
    ``log`` at -100.) Near 0 or 1, prefer :func:`binary_cross_entropy_with_logits` on the
    logits, which never overflows.

    Raises ``ValueError`` for a target outside [0, 1], and as the module docs say.
    """
    who = "binary_cross_entropy()"
    pairs = _scalars(probabilities, targets, who)
    _check_unit(pairs, who)
    terms = []
    for p, t in pairs:
        if t == 1.0:
            terms.append(-p.log())
        elif t == 0.0:
            terms.append(-(1 - p).log())
        else:
            terms.append(-(t * p.log() + (1 - t) * (1 - p).log()))
    return _mean(terms)


def _softplus_neg(z: Value) -> Value:
    """``log(1 + e^-z)``, choosing by the sign of ``z.data`` the form whose ``exp`` cannot overflow.

    For ``z >= 0``: ``log(1 + e^-z)``; for ``z < 0``: ``-z + log(1 + e^z)``. Both are the same
    function, so the value and derivative are exact for every ``z`` (no kink at 0).
    """
    if z.data >= 0:
        return (1 + (-z).exp()).log()
    return (1 + z.exp()).log() - z


def binary_cross_entropy_with_logits(logits: Any, targets: Any) -> Value:
    """``binary_cross_entropy(sigmoid(z), t)`` computed stably from the logits ``z``.

    Per sample ``(1 - t)·z + log(1 + e^-z)``, with the ``exp`` always of a non-positive number
    (see ``_softplus_neg``), so logits of ±1000 give finite losses and exact gradients
    ``sigmoid(z) - t`` (PyTorch's ``BCEWithLogitsLoss``). Targets in [0, 1].
    """
    who = "binary_cross_entropy_with_logits()"
    pairs = _scalars(logits, targets, who)
    _check_unit(pairs, who)
    terms = []
    for z, t in pairs:
        sp = _softplus_neg(z)
        terms.append(sp if t == 1.0 else (1 - t) * z + sp)
    return _mean(terms)


# ---- multi-class classification ------------------------------------------------------------


def _row(logits: Any, who: str, where: str) -> list[Value]:
    items = _as_list(logits, who, where)
    if not items:
        raise ValueError(f"{who}: {where} is empty; it needs at least one class score")
    return [_lift(z, who, f"{where}[{j}]") for j, z in enumerate(items)]


def _shifted_exps(zs: list[Value]) -> tuple[list[Value], list[Value], Value]:
    """``z - m``, ``exp(z - m)`` and their sum, with ``m = max z`` taken as a constant."""
    m = max(z.data for z in zs)
    if not math.isfinite(m):
        m = 0.0  # an inf or nan logit: no shift can help, let IEEE say what happens
    shifted = [z - m for z in zs]
    exps = [s.exp() for s in shifted]
    total = exps[0] if len(exps) == 1 else apply("sum", *exps)
    return shifted, exps, total


def softmax(logits: Sequence[Value | float]) -> list[Value]:
    """One sample's probabilities ``exp(z_i - m) / Σ_j exp(z_j - m)``, ``m = max z`` (a constant).

    Returns a list of Values summing to 1. Raises ``ValueError`` for an empty list and
    ``TypeError`` for a non-number.
    """
    _, exps, total = _shifted_exps(_row(logits, "softmax()", "logits"))
    return [e / total for e in exps]


def log_softmax(logits: Sequence[Value | float]) -> list[Value]:
    """One sample's log-probabilities ``z_i - m - log Σ_j exp(z_j - m)`` (finite for ±1000).

    Raises as :func:`softmax`.
    """
    shifted, _, total = _shifted_exps(_row(logits, "log_softmax()", "logits"))
    lse = total.log()
    return [s - lse for s in shifted]


def _class_index(t: Any, n: int, who: str, i: int) -> int:
    if isinstance(t, Value):
        t = t.data
    if type(t) is bool or not isinstance(t, numbers.Real) or not math.isfinite(float(t)):
        raise TypeError(f"{who}: target {i} must be an integer class index, got {t!r}")
    f = float(t)
    if f != int(f):
        raise TypeError(f"{who}: target {i} must be an integer class index, got {t!r}")
    k = int(f)
    if not 0 <= k < n:
        raise ValueError(f"{who}: target {i} is class {k}, but there are {n} classes (0 to {n - 1})")
    return k


def cross_entropy(batch_logits: Any, targets: Any, *, from_probabilities: bool = False) -> Value:
    """Mean of ``-log softmax(z)[y]`` over a batch: PyTorch's ``cross_entropy`` on logits.

    ``batch_logits``: one list of class scores (logits) per sample; ``targets``: one integer
    class index per sample. Computed as ``log Σ exp(z - m) + m - z_y`` with ``m`` the row's
    largest logit taken as a constant, so ±1000 logits are fine.

    ``from_probabilities=True`` takes rows that are already probabilities (after a
    :class:`~microgradnet.nn.Softmax`, as in the lesson notebook) and returns ``mean(-log p_y)``.

    Raises ``ValueError`` for an empty batch, mismatched lengths, rows of different lengths or a
    class index out of range; ``TypeError`` for a non-integer target or a non-number.
    """
    who = "cross_entropy()"
    rows, ts = _batch(batch_logits, targets, who)
    parsed = [_row(r, who, f"logits {i}") for i, r in enumerate(rows)]
    n = len(parsed[0])
    for i, r in enumerate(parsed):
        if len(r) != n:
            raise ValueError(f"{who}: sample {i} has {len(r)} class scores but sample 0 has {n}")
    ks = [_class_index(t, n, who, i) for i, t in enumerate(ts)]
    terms = []
    for zs, k in zip(parsed, ks):
        if from_probabilities:
            terms.append(-zs[k].log())
        else:
            shifted, _, total = _shifted_exps(zs)
            terms.append(total.log() - shifted[k])
    return _mean(terms)


# ---- the 0-1 measure -----------------------------------------------------------------------


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def accuracy(outputs: Any, targets: Any, *, threshold: float = 0.0) -> float:
    """The fraction of samples classified correctly (1 - the 0-1 loss), as a float in [0, 1].

    Two kinds of output, decided per batch by the first output:

    * **Class scores** (each output a list of ≥ 2 numbers/Values: logits or probabilities):
      the predicted class is the index of the largest score (the first one on ties) and the
      target is the integer class index.
    * **One score per sample** (a Value, a number or a one-element list): the prediction is
      positive when ``score > threshold``. Targets are either all in {-1, +1} (micrograd's
      ``(y > 0) == (score > 0)``) or all in {0, 1}. ``threshold`` is 0 for margins and logits;
      pass ``threshold=0.5`` for probabilities.

    Raises ``ValueError`` for an empty batch, mismatched lengths, mixed kinds of output, a
    class index out of range or labels that are neither ±1 nor 0/1.
    """
    who = "accuracy()"
    outs, ts = _batch(outputs, targets, who)

    def scores_of(o: Any, i: int) -> list[float]:
        if _is_scalar(o):
            return [_data(o)]
        row = _as_list(o, who, f"output {i}")
        if not row:
            raise ValueError(f"{who}: output {i} is empty")
        for j, s in enumerate(row):
            if not _is_scalar(s):
                raise TypeError(f"{who}: output {i}[{j}] must be a number or a Value, got {s!r}")
        return [_data(s) for s in row]

    rows = [scores_of(o, i) for i, o in enumerate(outs)]
    multi = len(rows[0]) > 1
    correct = 0
    if multi:
        n = len(rows[0])
        for i, (r, t) in enumerate(zip(rows, ts)):
            if len(r) != n:
                raise ValueError(f"{who}: output {i} has {len(r)} scores but output 0 has {n}")
            k = _class_index(t, n, who, i)
            correct += max(range(n), key=lambda j, r=r: (r[j], -j)) == k  # type: ignore[misc]
        return correct / len(rows)
    labels = [_number(t, who, f"target {i}") for i, t in enumerate(ts)]
    for i, r in enumerate(rows):
        if len(r) != 1:
            raise ValueError(f"{who}: output {i} has {len(r)} scores but output 0 has one")
    kinds = set(labels)
    if not (kinds <= {-1.0, 1.0} or kinds <= {0.0, 1.0}):
        raise ValueError(
            f"{who}: targets for one score per sample must be all ±1 or all 0/1, got the values "
            f"{sorted(kinds)} (for class indices, give one score per class)"
        )
    for r, y in zip(rows, labels):
        correct += (r[0] > threshold) == (y > 0)
    return correct / len(rows)


# ---- regularisation ------------------------------------------------------------------------


def l2(parameters: Iterable[Value]) -> Value:
    """``Σ p²`` over ``parameters`` (one ``dot`` node), micrograd's ``reg_loss`` before ``alpha``.

    Raises ``ValueError`` when there are no parameters, ``TypeError`` for a non-``Value``.
    """
    ps = list(parameters)
    if not ps:
        raise ValueError("l2(): no parameters given")
    for k, p in enumerate(ps):
        if not isinstance(p, Value):
            raise TypeError(f"l2(): parameter {k} must be a Value, got {type(p).__name__}")
    return apply("dot", *ps, *ps)


# ---- the lesson's loss modules -------------------------------------------------------------


class MSELoss:
    """``MSELoss()(predictions, targets)`` = :func:`mse`."""

    def __call__(self, predictions: Any, targets: Any) -> Value:
        return mse(predictions, targets)

    def __repr__(self) -> str:
        return "MSELoss()"


class L1Loss:
    """``L1Loss()(predictions, targets)`` = :func:`mae`."""

    def __call__(self, predictions: Any, targets: Any) -> Value:
        return mae(predictions, targets)

    def __repr__(self) -> str:
        return "L1Loss()"


class HingeLoss:
    """``HingeLoss()(scores, labels)`` = :func:`hinge` (labels ±1)."""

    def __call__(self, scores: Any, labels: Any) -> Value:
        return hinge(scores, labels)

    def __repr__(self) -> str:
        return "HingeLoss()"


class BCELoss:
    """``BCELoss()(probabilities, targets)`` = :func:`binary_cross_entropy`."""

    def __call__(self, probabilities: Any, targets: Any) -> Value:
        return binary_cross_entropy(probabilities, targets)

    def __repr__(self) -> str:
        return "BCELoss()"


class BCEWithLogitsLoss:
    """``BCEWithLogitsLoss()(logits, targets)`` = :func:`binary_cross_entropy_with_logits`."""

    def __call__(self, logits: Any, targets: Any) -> Value:
        return binary_cross_entropy_with_logits(logits, targets)

    def __repr__(self) -> str:
        return "BCEWithLogitsLoss()"


class CrossEntropyLoss:
    """``CrossEntropyLoss()(batch_logits, targets)`` = :func:`cross_entropy`, PyTorch's meaning.

    Like PyTorch's, it takes **logits** (raw scores; it applies the softmax itself). The lesson
    notebook's ``CrossEntropyLoss`` instead takes probabilities from a ``Softmax`` layer: for
    that, use ``CrossEntropyLoss(from_probabilities=True)``. Given logits rows that all look like
    probabilities (each in [0, 1] and summing to 1), it warns, since a softmax applied twice
    trains poorly without any error.
    """

    def __init__(self, *, from_probabilities: bool = False) -> None:
        if not isinstance(from_probabilities, bool):
            raise TypeError(
                f"CrossEntropyLoss(): from_probabilities must be a bool, got {from_probabilities!r}"
            )
        self.from_probabilities = from_probabilities

    def __call__(self, batch_logits: Any, targets: Any) -> Value:
        if not isinstance(batch_logits, Sequence) and not hasattr(batch_logits, "tolist"):
            # a generator: read it once, since it is looked at twice (a non-iterable is left for
            # cross_entropy() to report)
            with contextlib.suppress(TypeError):
                batch_logits = list(batch_logits)
        loss = cross_entropy(batch_logits, targets, from_probabilities=self.from_probabilities)
        if not self.from_probabilities and _all_rows_are_distributions(batch_logits):
            warnings.warn(
                "CrossEntropyLoss() got rows that look like probabilities (each sums to 1); it "
                "expects logits, like PyTorch's. Drop the Softmax before it, or use "
                "CrossEntropyLoss(from_probabilities=True) as in the lesson notebook.",
                UserWarning,
                stacklevel=2,
            )
        return loss

    def __repr__(self) -> str:
        return (
            "CrossEntropyLoss(from_probabilities=True)" if self.from_probabilities else "CrossEntropyLoss()"
        )


def _all_rows_are_distributions(batch: Any) -> bool:
    rows = [[_data(z) for z in row] for row in (batch.tolist() if hasattr(batch, "tolist") else batch)]
    return all(len(r) > 1 and all(0.0 <= z <= 1.0 for z in r) and abs(sum(r) - 1.0) < 1e-9 for r in rows)
