"""The classic wrong gradients, as data: each has a name, a detector and a sentence a student
understands.

:func:`~microgradnet.testing.layercheck.check_layer` compares a student's gradient with the
right one and, when they differ, asks each :class:`Diagnosis` in :data:`DIAGNOSES` in turn
whether it explains the difference; the first that does gives the sentence. A detector is a
plain function of an :class:`Evidence` (the student's array, the right one, and what the layer
saw), so the same catalogue can mark answers in other exercises.

```pycon
>>> import numpy as np
>>> right = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> ev = Evidence("dW", got=right.T, want=right)
>>> diagnose(ev).name
'transposed'
>>> diagnose(ev).sentence.format(grad="dW").split(":")[0]
'dW is the transpose of the right answer'

```
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["DIAGNOSES", "Diagnosis", "Evidence", "diagnose"]

Array = NDArray[np.float64]

RTOL = 1e-5
ATOL = 1e-7


@dataclass(frozen=True)
class Evidence:
    """What a detector may look at.

    Attributes:
        grad: which gradient, e.g. ``"dW"``, ``"db"``, ``"dx"``.
        got: the student's array (any shape).
        want: the right array.
        x: the layer's input batch (rows are samples), if known.
        dz: the upstream gradient passed to ``backward``, if known.
        y: the layer's output for ``x``, if known.
    """

    grad: str
    got: Array
    want: Array
    x: Array | None = None
    dz: Array | None = None
    y: Array | None = None


@dataclass(frozen=True)
class Diagnosis:
    """One classic mistake: ``detector(evidence)`` is True when it explains the difference;
    ``sentence`` (with ``{grad}`` for the gradient's name) says what went wrong and how to fix it."""

    name: str
    detector: Callable[[Evidence], bool]
    sentence: str


def _close(a: Array | None, b: Array | None) -> bool:
    if a is None or b is None or a.shape != b.shape:
        return False
    return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _same_size_close(a: Array, b: Array | None) -> bool:
    """Equal as flat lists (a ``(1, n)`` bias against an ``(n,)`` gradient)."""
    return b is not None and a.size == b.size and _close(a.reshape(-1), b.reshape(-1))


def _transposed(e: Evidence) -> bool:
    return e.want.ndim == 2 and not _same_size_close(e.got, e.want) and _close(e.got, e.want.T)


def _wrong_sign(e: Evidence) -> bool:
    return bool(np.any(e.want)) and _same_size_close(e.got, -e.want)


def _not_summed(e: Evidence) -> bool:
    n = None if e.x is None else e.x.shape[0]
    if n is None or n < 2 or e.got.ndim < 2 or e.got.shape[0] != n or e.got.size == e.want.size:
        return False
    return _same_size_close(e.got.sum(axis=0), e.want)


def _averaged(e: Evidence) -> bool:
    n = None if e.x is None else e.x.shape[0]
    return n is not None and n > 1 and bool(np.any(e.want)) and _same_size_close(e.got * n, e.want)


def _one_sample(e: Evidence) -> bool:
    """db from the first or the last sample only (``dz[0]`` / ``dz[-1]``)."""
    if e.grad != "db" or e.dz is None or e.dz.shape[0] < 2:
        return False
    return any(_same_size_close(e.got, row) for row in (e.dz[0], e.dz[-1]))


def _softmax_sum_term(e: Evidence) -> bool:
    return e.y is not None and e.dz is not None and _close(e.got, e.y * e.dz) and not _close(e.got, e.want)


def _tanh_of_input(e: Evidence) -> bool:
    if e.x is None or e.dz is None or e.y is None or not _close(e.y, np.tanh(e.x)):
        return False
    return _close(e.got, (1.0 - e.x**2) * e.dz)


def _upstream_ignored(e: Evidence) -> bool:
    if e.dz is None or e.dz.shape != e.want.shape or not np.all(e.dz):
        return False
    return _close(e.got, e.want / e.dz) and not _close(e.dz, np.ones_like(e.dz))


def _scaled(e: Evidence) -> bool:
    return _scale(e) is not None


def _scale(e: Evidence) -> float | None:
    """The factor ``c`` with ``got = c·want``, if there is one (and it is not 1 or -1)."""
    if e.got.size != e.want.size or not np.any(e.want):
        return None
    g, w = e.got.reshape(-1), e.want.reshape(-1)
    c = float(np.dot(g, w) / np.dot(w, w))
    if abs(c - 1) < 1e-6 or abs(c + 1) < 1e-6 or not np.allclose(g, c * w, rtol=RTOL, atol=ATOL):
        return None
    return c


#: The catalogue, in the order the diagnoses are tried (the first that explains wins).
DIAGNOSES: tuple[Diagnosis, ...] = (
    Diagnosis(
        "transposed",
        _transposed,
        "{grad} is the transpose of the right answer: swap the two factors of the product "
        "(dW = dz.T @ x has one row per output and one column per input, the shape of W).",
    ),
    Diagnosis(
        "not summed over the batch",
        _not_summed,
        "{grad} was not summed over the batch: it has one row per sample. A parameter is shared "
        "by every sample, so its gradient adds up all their contributions (sum over axis 0).",
    ),
    Diagnosis(
        "one sample only",
        _one_sample,
        "{grad} holds one sample's contribution only: add up the contributions of every sample "
        "in the batch (dz.sum(axis=0)).",
    ),
    Diagnosis(
        "averaged over the batch",
        _averaged,
        "{grad} was averaged over the batch instead of summed: the loss already takes the mean, "
        "so the layer must add the samples' contributions, not divide by the batch size again.",
    ),
    Diagnosis(
        "wrong sign",
        _wrong_sign,
        "{grad} has the wrong sign: every entry is minus the right one. Check the signs in the "
        "chain rule (and that the update subtracts lr·gradient, not the backward pass).",
    ),
    Diagnosis(
        "softmax without the sum term",
        _softmax_sum_term,
        "{grad} is p·dp without the term − p·Σ(p·dp): each softmax output depends on every input "
        "of its row, so subtract p times the row sum of p·dp (dz = p·dp − p·Σ_j p_j·dp_j).",
    ),
    Diagnosis(
        "tanh derivative of the input",
        _tanh_of_input,
        "{grad} uses the input x where tanh's derivative needs the output: d tanh(x)/dx = 1 − y² "
        "with y = tanh(x), not 1 − x².",
    ),
    Diagnosis(
        "upstream gradient ignored",
        _upstream_ignored,
        "{grad} is the local derivative alone: the chain rule multiplies it by the upstream "
        "gradient (the argument of backward).",
    ),
    Diagnosis(
        "scaled",
        _scaled,
        "{grad} has the right pattern but the wrong size: every entry is the same multiple of "
        "the right one (a factor left over or missing, e.g. a 2 from a square or a 1/n).",
    ),
)


def diagnose(evidence: Evidence) -> Diagnosis | None:
    """The first diagnosis in :data:`DIAGNOSES` that explains ``evidence``, or ``None``."""
    for d in DIAGNOSES:
        if d.detector(evidence):
            return d
    return None


def scale_of(evidence: Evidence) -> float | None:
    """For the ``"scaled"`` diagnosis: the factor between the student's and the right answer."""
    return _scale(evidence)
