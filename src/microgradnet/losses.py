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
``predicted_classes(outputs)``                the class each output predicts (argmax, or > 0)
``l2(parameters)``                            ``Σ p²``, for weight decay in the loss (micrograd)
``LOSSES[name]``                              a named loss: its per-sample form, its targets
============================================  ====================================================

```pycon
>>> from microgradnet import Value, losses
>>> z = [[Value(2.0), Value(0.0)], [Value(0.0), Value(0.0)]]
>>> loss = losses.cross_entropy(z, [0, 1])
>>> round(loss.data, 6)                           # (log(1 + e**-2) + log 2) / 2
0.410038
>>> loss.backward(); round(z[1][1].grad, 6)      # (softmax - one-hot) / batch size
-0.25
>>> losses.accuracy(z, [0, 1])
0.5

```

Callable classes with PyTorch's names wrap them for the lesson's vocabulary: :class:`MSELoss`,
:class:`L1Loss`, :class:`HingeLoss`, :class:`BCELoss`, :class:`BCEWithLogitsLoss`,
:class:`CrossEntropyLoss` (``loss_fn(outputs, targets)``).

Every loss is written once, for one sample (``LOSSES[name].sample``); a batch function is the
mean of it over the samples, and ``fit``'s compiled path traces the same per-sample function.

Stability: wherever an ``exp`` could overflow, the maximum logit ``m`` is subtracted as a
*constant*: ``max(z).detach()``, the exact maximum, through which no gradient flows
(``log Σ exp z = m + log Σ exp(z - m)`` is an identity, so values and gradients are exact), so
logits of ±1000, or 1e19, give finite losses and gradients.

Every function raises ``ValueError`` for an empty batch, mismatched lengths, a class index out
of range or a label of the wrong kind, and ``TypeError`` for something that is not a number or a
``Value`` — always before building any graph.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from microgradnet.engine import Value, apply

__all__ = [
    "LOSSES",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "L1Loss",
    "LossSpec",
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
    "predicted_classes",
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


def _mean(terms: list[Value]) -> Value:
    return apply("sum", *terms) / len(terms)


# ---- one sample: every formula written once ------------------------------------------------
#
# The batch functions below are the mean of these over the samples, and ``fit``'s compiled
# path traces the very same functions (``LOSSES[name].sample``) into its tape. So they read no
# number out of a ``Value`` (no ``.data``, no comparison): where a formula needs a constant
# taken from the data, such as the largest logit, it is computed in the graph and *detached*
# (``max(z).detach()``: the same number, through which no gradient flows).


def _score(out: Any) -> Value:
    """The one score of a sample: a ``Value`` or a one-element list of one."""
    if isinstance(out, Value):
        return out
    items = list(out)
    if len(items) != 1:
        raise ValueError(f"this loss takes one score per sample, got {len(items)}")
    s: Value = items[0]
    return s


def _shifted_exps(zs: list[Value]) -> tuple[list[Value], list[Value], Value]:
    """``z - m``, ``exp(z - m)`` and their sum, with ``m = max z`` detached (a constant).

    ``log Σ exp z = m + log Σ exp(z - m)`` for any ``m``; with ``m`` the exact maximum every
    ``exp`` is at most 1 (no overflow) and the largest is exactly 1 (the sum is at least 1).
    """
    m = apply("max", *zs).detach()
    shifted = [z - m for z in zs]
    exps = [s.exp() for s in shifted]
    total = exps[0] if len(exps) == 1 else apply("sum", *exps)
    return shifted, exps, total


def _cross_entropy_sample(logits: Any, k: int) -> Value:
    """``-log softmax(z)[k] = log Σ exp(z - m) - (z_k - m)`` for one sample of class ``k``."""
    zs = list(logits) if not isinstance(logits, Value) else [logits]
    if not 0 <= k < len(zs):  # (a negative k would silently index from the end)
        raise IndexError(f"class {k} is not in 0..{len(zs) - 1}")
    shifted, _, total = _shifted_exps(zs)
    return total.log() - shifted[k]


def _nll_sample(probabilities: Any, k: int) -> Value:
    """``-log p_k`` for one sample of class ``k`` given as probabilities (after a softmax)."""
    p: Value = list(probabilities)[k]
    loss: Value = -p.log()
    return loss


def _hinge_term(score: Value, label: float) -> Value:
    """micrograd's max-margin term ``relu(1 - y·s)`` for a label ``y`` of -1 or +1."""
    return (1 - label * score).relu()


def _hinge_sample(out: Any, k: int) -> Value:
    """The hinge loss of one sample of class ``k``: class 1 (``k > 0``) is +1, class 0 is -1."""
    return _hinge_term(_score(out), 1.0 if k > 0 else -1.0)


def _elementwise_sample(out: Any, target: Any, error: Callable[[Value], Value]) -> Value:
    """``mean_j error(out_j - t_j)`` over a sample's outputs.

    ``target`` is a number or a ``Value`` (one output), a list of them (one per output), or an
    ``int`` class index for several outputs, which stands for a one-hot vector.
    """
    outs = [out] if isinstance(out, Value) else list(out)
    if isinstance(target, int) and not isinstance(target, bool) and len(outs) > 1:
        ts: list[Any] = [1.0 if j == target else 0.0 for j in range(len(outs))]
    elif isinstance(target, (Value, numbers.Real)):
        ts = [target]
    else:
        ts = list(target)
    if len(ts) != len(outs):
        raise ValueError(f"a sample has {len(outs)} outputs but {len(ts)} targets")
    terms = [error(o - t) for o, t in zip(outs, ts)]
    return terms[0] if len(terms) == 1 else apply("sum", *terms) / len(terms)


def _squared(d: Value) -> Value:
    return d**2


def _mse_sample(out: Any, target: Any) -> Value:
    """``mean_j (out_j - t_j)²`` for one sample (targets as :func:`_elementwise_sample`)."""
    return _elementwise_sample(out, target, _squared)


def _mae_sample(out: Any, target: Any) -> Value:
    """``mean_j |out_j - t_j|`` for one sample (the derivative of ``|x|`` at 0 is 0)."""
    return _elementwise_sample(out, target, abs)


def _softplus_neg(z: Value) -> Value:
    """``log(1 + e^-z)`` with no ``exp`` of a positive number, for every ``z``.

    ``log(1 + e^-z) = r + log(e^-r + e^(-z-r))`` for any ``r``; ``r = relu(-z)``, detached,
    makes both exponents at most 0. Value and derivative (``-sigmoid(-z)``) are exact, also at
    ``z = 0``.
    """
    r = (-z).relu().detach()
    return r + ((-r).exp() + (-z - r).exp()).log()


def _is_one(t: Any) -> bool:
    """A target that is the number 1 (a ``Value`` target is a placeholder: never)."""
    return not isinstance(t, Value) and t == 1.0


def _bce_logits_sample(out: Any, t: Any) -> Value:
    """``(1 - t)·z + log(1 + e^-z)``, ``binary_cross_entropy(sigmoid(z), t)`` on the logit."""
    z = _score(out)
    sp = _softplus_neg(z)
    return sp if _is_one(t) else (1 - t) * z + sp


def _bce_sample(out: Any, t: Any) -> Value:
    """``-(t·log p + (1 - t)·log(1 - p))``; a term of weight 0 is left out (no ``0·log 0``)."""
    p = _score(out)
    if _is_one(t):
        return -p.log()
    if not isinstance(t, Value) and t == 0.0:
        return -(1 - p).log()
    loss: Value = -(t * p.log() + (1 - t) * (1 - p).log())
    return loss


# ---- batches: the mean of the per-sample losses ---------------------------------------------


def _samples(predictions: Any, targets: Any, who: str) -> list[tuple[Value | list[Value], Any]]:
    """A batch as (prediction, target) pairs: one Value and a number, or equal-length lists."""
    ps, ts = _batch(predictions, targets, who)
    out: list[tuple[Value | list[Value], Any]] = []
    width: int | None = None
    for i, (p, t) in enumerate(zip(ps, ts)):
        if _is_scalar(p) or isinstance(p, (str, bytes)):
            out.append((_lift(p, who, f"prediction {i}"), _number(t, who, f"target {i}")))
            n = 1
        else:
            pv = _as_list(p, who, f"prediction {i}")
            tv = [t] if _is_scalar(t) and len(pv) == 1 else _as_list(t, who, f"target {i}")
            if len(pv) != len(tv):
                raise ValueError(f"{who}: prediction {i} has {len(pv)} entries but target {i} has {len(tv)}")
            lifted = [_lift(a, who, f"prediction {i}[{j}]") for j, a in enumerate(pv)]
            numbers_ = [_number(b, who, f"target {i}[{j}]") for j, b in enumerate(tv)]
            out.append((lifted, numbers_))
            n = len(pv)
        if width is not None and n != width:
            raise ValueError(f"{who}: prediction {i} has {n} entries but prediction 0 has {width}")
        width = n
    return out


def mse(predictions: Any, targets: Any) -> Value:
    """Mean squared error ``mean((p - t)²)`` over every element, as PyTorch's ``MSELoss``.

    ``predictions``: one Value per sample, or one list of Values per sample (vector outputs,
    all of one length); ``targets``: numbers of the same shape. Raises
    ``ValueError``/``TypeError`` (module docs).
    """
    return _mean([_mse_sample(p, t) for p, t in _samples(predictions, targets, "mse()")])


def mae(predictions: Any, targets: Any) -> Value:
    """Mean absolute error ``mean(|p - t|)`` (PyTorch's ``L1Loss``), shapes as :func:`mse`.

    The derivative of ``|x|`` at exactly 0 is taken as 0. Raises as :func:`mse`.
    """
    return _mean([_mae_sample(p, t) for p, t in _samples(predictions, targets, "mae()")])


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
    return _mean([_hinge_term(s, y) for s, y in pairs])


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
    return _mean([_bce_sample(p, t) for p, t in pairs])


def binary_cross_entropy_with_logits(logits: Any, targets: Any) -> Value:
    """``binary_cross_entropy(sigmoid(z), t)`` computed stably from the logits ``z``.

    Per sample ``(1 - t)·z + log(1 + e^-z)``, with every ``exp`` of a non-positive number
    (see ``_softplus_neg``), so logits of ±1000 give finite losses and exact gradients
    ``sigmoid(z) - t`` (PyTorch's ``BCEWithLogitsLoss``). Targets in [0, 1].
    """
    who = "binary_cross_entropy_with_logits()"
    pairs = _scalars(logits, targets, who)
    _check_unit(pairs, who)
    return _mean([_bce_logits_sample(z, t) for z, t in pairs])


# ---- multi-class classification ------------------------------------------------------------


def _row(logits: Any, who: str, where: str) -> list[Value]:
    items = _as_list(logits, who, where)
    if not items:
        raise ValueError(f"{who}: {where} is empty; it needs at least one class score")
    return [_lift(z, who, f"{where}[{j}]") for j, z in enumerate(items)]


def softmax(logits: Sequence[Value | float]) -> list[Value]:
    """One sample's probabilities ``exp(z_i - m) / Σ_j exp(z_j - m)``, ``m = max z`` (detached).

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
    class index per sample. Computed as ``log Σ exp(z - m) - (z_y - m)`` with ``m`` the row's
    largest logit, detached (a constant), so ±1000 logits are fine.

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
    sample = _nll_sample if from_probabilities else _cross_entropy_sample
    return _mean([sample(zs, k) for zs, k in zip(parsed, ks)])


# ---- from outputs to classes ---------------------------------------------------------------


def predicted_classes(outputs: Any, *, threshold: float = 0.0) -> list[int]:
    """The class each sample's output predicts, as a list of ints.

    * **Several scores per sample** (logits or probabilities): the index of the largest, the
      first one on ties (comparisons with ``nan`` are false, so a ``nan`` never wins).
    * **One score per sample** (a Value, a number or a one-element list): class 1 when
      ``score > threshold``, else class 0. ``threshold`` is 0 for margins and logits, 0.5 for
      probabilities (:attr:`LossSpec.threshold` says which for each named loss).

    ``outputs`` is one output per sample (Values or numbers), or a 1-D or 2-D array (rows =
    samples). Which kind is decided by the first sample. Raises ``ValueError`` for an empty
    output or samples with different numbers of scores, ``TypeError`` for a non-number.
    """
    who = "predicted_classes()"
    rows = outputs.tolist() if hasattr(outputs, "tolist") else outputs
    result: list[int] = []
    width: int | None = None
    for i, o in enumerate(_as_list(rows, who, "outputs (one per sample)")):
        if _is_scalar(o):
            scores = [_data(o)]
        else:
            scores = [
                _data(_lift(s, who, f"output {i}[{j}]"))
                for j, s in enumerate(_as_list(o, who, f"output {i}"))
            ]
        if not scores:
            raise ValueError(f"{who}: output {i} is empty")
        if width is not None and len(scores) != width:
            raise ValueError(f"{who}: output {i} has {len(scores)} scores but output 0 has {width}")
        width = len(scores)
        result.append(_class_of(scores, threshold))
    return result


def _class_of(scores: Sequence[float], threshold: float) -> int:
    """The rule of :func:`predicted_classes` for one sample's scores (at least one), stated
    once: one score gives class 1 when ``score > threshold``; several give the index of the
    first largest, where a comparison with ``nan`` is false (a ``nan`` never wins, and a ``nan``
    first score keeps class 0). ``train`` applies it to NumPy rows too."""
    if len(scores) == 1:
        return 1 if scores[0] > threshold else 0
    best = 0
    for j in range(1, len(scores)):
        if scores[j] > scores[best]:
            best = j
    return best


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def accuracy(outputs: Any, targets: Any, *, threshold: float = 0.0) -> float:
    """The fraction of samples classified correctly (1 - the 0-1 loss), as a float in [0, 1].

    Two kinds of output, decided per batch by the first output (see
    :func:`predicted_classes`):

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
    for i, o in enumerate(outs):
        if not _is_scalar(o):
            for j, s in enumerate(_as_list(o, who, f"output {i}")):
                if not _is_scalar(s):
                    raise TypeError(f"{who}: output {i}[{j}] must be a number or a Value, got {s!r}")
    try:
        predicted = predicted_classes(outs, threshold=threshold)
    except ValueError as exc:
        raise ValueError(str(exc).replace("predicted_classes()", who)) from None
    first = outs[0]
    if not _is_scalar(first) and len(_as_list(first, who, "output 0")) > 1:
        n = len(_as_list(first, who, "output 0"))
        ks = [_class_index(t, n, who, i) for i, t in enumerate(ts)]
        return sum(p == k for p, k in zip(predicted, ks)) / len(outs)
    labels = [_number(t, who, f"target {i}") for i, t in enumerate(ts)]
    kinds = set(labels)
    if not (kinds <= {-1.0, 1.0} or kinds <= {0.0, 1.0}):
        raise ValueError(
            f"{who}: targets for one score per sample must be all ±1 or all 0/1, got the values "
            f"{sorted(kinds)} (for class indices, give one score per class)"
        )
    return sum(p == (1 if y > 0 else 0) for p, y in zip(predicted, labels)) / len(outs)


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


# ---- the named losses: what fit, the compiler and the command line need --------------------


@dataclass(frozen=True)
class LossSpec:
    """One named loss, as ``fit(loss=name)``, ``microgradnet.compile.for_fit`` and ``microgradnet
    train --loss`` use it.

    Attributes:
        name: the name (``"cross_entropy"``), also the name of the batch function here.
        batch: the batch function, ``batch(outputs, targets) -> Value`` (the mean).
        sample: the loss of ONE sample, ``sample(output, target) -> Value``, where ``output`` is
            the model's output for the sample (a ``Value`` or a list of them) and ``target`` is
            fit's target: a class index (an ``int``) when :attr:`target` is ``"class"``, else a
            number or a ``Value`` (or an ``int`` class index standing for a one-hot vector, for
            a model with several outputs). The eager ``fit`` averages it over a minibatch; the
            compiler traces it into its tape. It reads no number out of a ``Value``.
        target: ``"class"`` (an integer class index per sample) or ``"value"`` (a number per
            sample; class labels become one-hot vectors for a model with several outputs).
        classifier: ``fit`` reports accuracy (``mse``/``mae`` only with several outputs).
        one_score: the model gives one score per sample, for two classes.
        threshold: with one score, class 1 is ``score > threshold`` (0.5 for probabilities).
        compiled: ``fit`` runs it on the compiled path.
    """

    name: str
    batch: Callable[[Any, Any], Value]
    sample: Callable[[Any, Any], Value]
    target: str
    classifier: bool
    one_score: bool
    threshold: float = 0.0
    compiled: bool = True

    def mean(self, outputs: Sequence[Any], targets: Sequence[Any]) -> Value:
        """``mean(sample(o, t))`` over a batch of outputs and fit's targets (no input checks)."""
        return _mean([self.sample(o, t) for o, t in zip(outputs, targets)])


#: The named losses, in the order the command line lists them.
LOSSES: dict[str, LossSpec] = {
    spec.name: spec
    for spec in (
        LossSpec("cross_entropy", cross_entropy, _cross_entropy_sample, "class", True, False),
        LossSpec("hinge", hinge, _hinge_sample, "class", True, True),
        LossSpec(
            "binary_cross_entropy_with_logits",
            binary_cross_entropy_with_logits,
            _bce_logits_sample,
            "value",
            True,
            True,
        ),
        LossSpec(
            "binary_cross_entropy",
            binary_cross_entropy,
            _bce_sample,
            "value",
            True,
            True,
            0.5,
            compiled=False,
        ),
        LossSpec("mse", mse, _mse_sample, "value", False, False),
        LossSpec("mae", mae, _mae_sample, "value", False, False),
    )
}


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
