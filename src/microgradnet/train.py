"""Training: ``fit`` runs epochs of minibatch gradient descent and returns a :class:`History`.

>>> from microgradnet import nn, data, train
>>> X, y = data.make_moons(n=40, seed=0)
>>> model = nn.MLP(2, [8, 2], seed=0)
>>> history = train.fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05,
...                     epochs=3, batch_size=10, progress=False)
>>> len(history.train_loss)
3

One epoch visits every training sample once in shuffled minibatches. For each minibatch,
:func:`train_step` runs the model on every sample (the eager engine builds one graph per
sample), takes the loss over the batch, adds the optional L2 penalty, back-propagates and lets
the optimizer update the parameters. After each epoch the history records the mean training
loss and accuracy, the validation loss and accuracy, and the largest absolute weight of each
layer (the lesson's lab plots how it moves).

Losses by name (``loss=``): ``"cross_entropy"`` (logits, integer classes), ``"hinge"`` (one
score per sample, classes 0/1 are mapped to -1/+1), ``"binary_cross_entropy_with_logits"`` (one
logit), ``"binary_cross_entropy"`` (one probability), ``"mse"`` / ``"mae"`` (regression with one
output, or one-hot targets when the model has several outputs). A callable
``loss(outputs, targets) -> Value`` is used as given: ``outputs`` holds one ``Value`` (one
output) or one list of ``Value`` objects per sample, ``targets`` the labels as floats (ints for several
outputs); accuracy counts ``output > 0`` as class 1, or the argmax of several outputs.

Checkpoints (:func:`save_checkpoint`, :func:`load_checkpoint`) are JSON files written
atomically: a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import numbers
import os
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Union

import numpy as np

from microgradnet import data as _data
from microgradnet import losses as _losses
from microgradnet import nn as _nn
from microgradnet import optim as _optim
from microgradnet._files import check_writable, write_atomic
from microgradnet.compile import FIT_LOSSES, CompiledStep, CompileError, FusedTrainer, for_fit
from microgradnet.engine import Value, is_grad_enabled, no_grad
from microgradnet.losses import LossSpec

__all__ = [
    "CheckpointError",
    "EarlyStopping",
    "History",
    "evaluate",
    "fit",
    "layer_max_abs_weights",
    "load_checkpoint",
    "predict",
    "predict_classes",
    "r2_score",
    "save_checkpoint",
    "train_step",
]

Output = Union[Value, Sequence[Value]]
LossFn = Callable[[list[Any], list[Any]], Value]


class Model(Protocol):
    """What ``fit`` needs: call it on one sample (a list of floats), ask for its parameters."""

    def __call__(self, x: list[float]) -> Any: ...

    def parameters(self) -> list[Value]: ...


class Optimizer(Protocol):
    """What ``fit`` needs from an optimizer (``optim.SGD``, ``optim.Adam``)."""

    def step(self) -> None: ...

    def zero_grad(self) -> None: ...


# ---------------------------------------------------------------- losses and tasks

#: the named losses (``microgradnet.losses.LOSSES``), for classification and for regression
LOSS_NAMES = tuple(_losses.LOSSES)
CLASSIFICATION_LOSSES = tuple(name for name, spec in _losses.LOSSES.items() if spec.classifier)
REGRESSION_LOSSES = tuple(name for name, spec in _losses.LOSSES.items() if not spec.classifier)


@dataclass(frozen=True)
class _Task:
    """The loss ``fit`` trains with: a named loss of the library (``spec``), or a callable."""

    name: str
    fn: LossFn
    classify: bool  # accuracy is meaningful
    spec: LossSpec | None = None  # the named loss, when ``fn`` is the library's own

    @property
    def threshold(self) -> float:
        """One output is class 1 when it is above this (0.5 for probabilities)."""
        return self.spec.threshold if self.spec is not None else 0.0

    def loss(self, outputs: list[Any], y: np.ndarray[Any, Any]) -> Value:
        """The mean loss of a batch: the named loss's per-sample form (as the compiled path
        traces it), or the callable on fit's targets."""
        several = bool(outputs) and not isinstance(outputs[0], Value)
        if self.spec is not None:  # a class index, or a number (a class index for several outputs)
            integral = self.spec.target == "class" or several
            return self.spec.mean(outputs, [int(t) for t in y] if integral else [float(t) for t in y])
        return self.fn(outputs, [int(t) for t in y] if several else [float(t) for t in y])

    def accuracy(
        self, predicted: Sequence[int] | np.ndarray[Any, Any], y: np.ndarray[Any, Any], several: bool
    ) -> float | None:
        """The fraction right, or ``None`` for regression (one output under mse/mae)."""
        if not self.classify and not (several and self.spec is not None):
            return None
        return float(np.mean(np.asarray(predicted) == np.asarray(y).astype(np.int64)))


def _task(loss: str | LossFn, classify: bool | None = None) -> _Task:
    if callable(loss):
        # a function's name, or a loss object's repr such as "CrossEntropyLoss()"
        name = str(getattr(loss, "__name__", None) or repr(loss))
        spec = _losses.LOSSES.get(name)
        if spec is not None:  # e.g. losses.mse passed as a function
            return _Task(name, loss, spec.classifier, spec if loss is spec.batch else None)
        return _Task(name, loss, True if classify is None else classify)
    spec = _losses.LOSSES.get(loss) if isinstance(loss, str) else None
    if spec is None:
        raise ValueError(f"unknown loss {loss!r}: expected one of {', '.join(LOSS_NAMES)} or a callable")
    return _Task(spec.name, spec.batch, spec.classifier, spec)


# ---------------------------------------------------------------- one step


def _forward(model: Model, X: np.ndarray[Any, Any]) -> list[Any]:
    out = []
    for row in X:
        o = model(row.tolist())
        if not isinstance(o, Value):
            o = list(o)
            if len(o) == 1:  # Linear(n, 1) gives a one-element list: one score per sample
                o = o[0]
        out.append(o)
    return out


def _accuracy_of(task: _Task, outputs: list[Any], y: np.ndarray[Any, Any]) -> float | None:
    """The fraction classified right, or ``None`` for regression (one output under mse/mae)."""
    several = bool(outputs) and not isinstance(outputs[0], Value)
    return task.accuracy(_losses.predicted_classes(outputs, threshold=task.threshold), y, several)


@dataclass
class StepResult:
    """What one minibatch step reports: the batch loss and how many samples it got right."""

    loss: float
    correct: int | None
    size: int


def train_step(
    model: Model,
    optimizer: Optimizer,
    task: _Task | str | LossFn,
    Xb: np.ndarray[Any, Any],
    yb: np.ndarray[Any, Any],
    l2: float = 0.0,
) -> StepResult:
    """One minibatch of the eager engine: forward, loss (+ ``l2 · Σ p²``), backward, update.

    This is the function a compiled path replaces; everything else in :func:`fit` is shared.
    ``task`` may be a loss name or a loss function (``TypeError`` otherwise).
    """
    if not isinstance(task, _Task):
        task = _task(task)
    if not is_grad_enabled():
        raise RuntimeError(
            "train_step() cannot train inside no_grad(): no graph is recorded to backpropagate"
        )
    outputs = _forward(model, Xb)
    loss = task.loss(outputs, yb)
    if l2:
        loss = loss + l2 * _losses.l2(model.parameters())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    acc = _accuracy_of(task, outputs, yb)
    return StepResult(loss.data, None if acc is None else round(acc * len(yb)), len(yb))


def _compiled_train_step(trainer: FusedTrainer, task: _Task, Xb: Any, yb: Any) -> StepResult:
    """:func:`train_step` on the compiled path (same loss, gradients to rounding).

    The trainer updates the optimizer's parameters in arrays (fused); the ``Value``\\s are
    written back by ``trainer.sync()``, which :func:`fit` calls after the epoch's minibatches.
    """
    loss = trainer.step(Xb, yb)
    out = trainer.last_outputs  # the model's outputs, (rows, outputs)
    acc = task.accuracy(_predicted_classes(out, task.threshold), yb, out.shape[1] > 1)
    return StepResult(loss, None if acc is None else round(acc * len(yb)), len(yb))


def _predicted_classes(out: np.ndarray[Any, Any], threshold: float) -> np.ndarray[Any, Any]:
    """:func:`microgradnet.losses.predicted_classes` of a (rows, outputs) array, all rows at
    once. A row without ``nan`` takes NumPy's ``score > threshold`` or ``argmax`` (documented
    to return the first largest), which is the rule itself; a row with a ``nan`` goes through
    the rule (``losses._class_of``) one row at a time."""
    if out.shape[1] == 1:
        best: np.ndarray[Any, Any] = (out[:, 0] > threshold).astype(np.int64)
    else:
        best = np.argmax(out, axis=1).astype(np.int64)
    for i in np.flatnonzero(np.isnan(out).any(axis=1)).tolist():
        best[i] = _losses._class_of(out[i].tolist(), threshold)
    return best


# ---------------------------------------------------------------- evaluation


def _check_xy(X: Any, y: Any, who: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"{who}: X must be a 2-D array (samples, features), got shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"{who}: y must be 1-D with one target per row of X ({len(X)}), got shape {y.shape}")
    if len(X) == 0:
        raise ValueError(f"{who}: no samples")
    return X, y


def _check_model(model: Any, who: str) -> None:
    """``TypeError`` unless ``model`` can be called on a sample and has ``parameters()``."""
    if not callable(model) or not callable(getattr(model, "parameters", None)):
        raise TypeError(
            f"{who}: model must be callable on one sample and have parameters() "
            f"(e.g. nn.MLP), got {type(model).__name__}"
        )


def _n_outputs(model: Model, X: np.ndarray[Any, Any]) -> int:
    """How many outputs ``model`` gives for one sample (1 for a single ``Value``)."""
    plan = model._compile_plan() if isinstance(model, _nn.MLP) else None
    if plan and len(plan[0][0]) == X.shape[1] * len(plan[0][1]):  # a plain MLP: no need to run it
        return len(plan[-1][1])
    with no_grad():
        out = model(X[0].tolist())
    return 1 if isinstance(out, Value) else len(list(out))


def _check_targets(
    model: Model, task: _Task, X: np.ndarray[Any, Any], y: np.ndarray[Any, Any], who: str
) -> None:
    """``ValueError`` for targets a named loss cannot use, before anything is trained.

    Every value of ``X`` and ``y`` must be finite; class labels (cross entropy, or a model with
    several outputs under any named loss) must be whole numbers in ``0 .. outputs-1``; the
    binary cross entropies need targets in ``[0, 1]``.
    """
    if y.dtype.kind not in "iubf":
        raise ValueError(f"{who}: y must hold numbers (class indices or floats), got dtype {y.dtype}")
    if not np.all(np.isfinite(X)):
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise ValueError(f"{who}: X must be finite, row {row} holds NaN or infinity")
    if not np.all(np.isfinite(y)):
        row = int(np.argwhere(~np.isfinite(y))[0][0])
        raise ValueError(f"{who}: y must be finite, y[{row}] is {float(y[row])!r}")
    spec = task.spec
    if spec is None:
        return  # a loss function of the caller's own: it decides what targets mean
    if spec.target == "value" and spec.classifier:  # the binary cross entropies: probabilities
        if np.any((y < 0) | (y > 1)):
            bad = y[(y < 0) | (y > 1)][0]
            raise ValueError(f"{who}: {task.name} needs targets in [0, 1], got {float(bad)!r}")
        return
    k = _n_outputs(model, X)
    if (spec.one_score or spec.target == "value") and k == 1:
        return  # one output: a margin or a regression target, not a class index
    if np.any(y != np.round(y)):
        bad = y[y != np.round(y)][0]
        raise ValueError(f"{who}: {task.name} needs whole-number class labels in y, got {float(bad)!r}")
    if np.any(y < 0) or (k > 1 and np.any(y >= k)):
        bad = y[(y < 0) | (y >= max(k, 1))][0] if k > 1 else y[y < 0][0]
        raise ValueError(
            f"{who}: y holds class {int(bad)}, but the model has {k} outputs: class labels must be 0..{k - 1}"
        )


def predict(model: Model, X: Any) -> np.ndarray[Any, Any]:
    """The model's raw outputs on each row of ``X`` (no graph recorded).

    Returns an array of shape ``(n,)`` for a model with one output, ``(n, k)`` for ``k`` outputs.
    """
    outputs = _outputs_without_graph(model, X, "predict")
    if outputs and isinstance(outputs[0], Value):
        return np.array([o.data for o in outputs], dtype=np.float64)
    return np.array([[v.data for v in o] for o in outputs], dtype=np.float64)


def _outputs_without_graph(model: Model, X: Any, who: str) -> list[Any]:
    """The model's output for every row of ``X`` (checked to be 2-D), under ``no_grad``."""
    _check_model(model, who)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{who}: X must be a 2-D array (samples, features), got shape {X.shape}")
    with no_grad():
        return _forward(model, X)


def predict_classes(model: Model, X: Any, loss: str = "cross_entropy") -> np.ndarray[Any, Any]:
    """Class indices: the argmax of several outputs, or ``output > 0`` (``> 0.5`` for
    ``binary_cross_entropy``, whose model outputs probabilities) for one output.

    Raises ``ValueError`` for an unknown loss name or an ``X`` that is not 2-D, ``TypeError``
    for a model that cannot be called.
    """
    spec = _losses.LOSSES.get(loss) if isinstance(loss, str) else None
    if spec is None:
        raise ValueError(f"unknown loss {loss!r}: expected one of {', '.join(LOSS_NAMES)}")
    outputs = _outputs_without_graph(model, X, "predict_classes")
    return np.array(_losses.predicted_classes(outputs, threshold=spec.threshold), dtype=np.int64)


def evaluate(
    model: Model, X: Any, y: Any, loss: str | LossFn = "cross_entropy"
) -> tuple[float, float | None]:
    """``(mean loss, accuracy)`` of ``model`` on ``(X, y)``; accuracy is ``None`` for regression.

    Records no graph and changes no parameter. Raises ``ValueError`` for mismatched ``X``/``y``
    or an unknown loss name.
    """
    _check_model(model, "evaluate")
    task = _task(loss)
    X, y = _check_xy(X, y, "evaluate")
    _check_targets(model, task, X, y, "evaluate")
    if task.spec is not None and task.spec.target == "class" and task.spec.compiled and is_grad_enabled():
        with contextlib.suppress(CompileError):  # the compiled forward pass, when the model allows
            mean_loss, out = _compiled_for(model, task.spec.name).evaluate(X, y)
            return mean_loss, task.accuracy(_predicted_classes(out, task.threshold), y, out.shape[1] > 1)
    with no_grad():
        outputs = _forward(model, X)
        value = task.loss(outputs, y)
    return float(value.data), _accuracy_of(task, outputs, y)


#: compiled steps for evaluate, per model and loss, with the structure they were traced for.
#: A compiled step holds its model, so an entry keeps its model alive: at most
#: ``_MAX_CACHED_MODELS`` models are kept (the oldest entry goes first), which bounds the memory a
#: notebook that evaluates many models in a loop can hold on to.
_EVALUATORS: weakref.WeakKeyDictionary[Any, dict[str, tuple[tuple[Any, ...], list[Value], CompiledStep]]] = (
    weakref.WeakKeyDictionary()
)
_MAX_CACHED_MODELS = 4


def _structure(model: Any, params: list[Value]) -> tuple[Any, ...] | None:
    """Everything the graph of an ``nn`` model depends on besides its parameters' numbers: each
    module's class (and the functions on it), and every entry of each module's instance
    ``__dict__`` (children and neurons in turn, a replaced ``forward`` or any other callable by
    identity, strings and numbers by value, a parameter by its place in ``parameters()``, any
    other ``Value`` by its number), ``params`` being ``list(model.parameters())``. Two equal
    results mean none of that changed (a callable is compared by identity, not by what its
    closure or globals hold).

    ``None`` (nothing to compare, so never reuse) for a model with code of its own (a class
    outside ``microgradnet.nn``) or an instance attribute of another kind, which nothing short
    of tracing again can vouch for.
    """
    if not isinstance(model, _nn.Module):
        return None
    where = {id(p): k for k, p in enumerate(params)}
    seen: dict[int, int] = {}
    classes: dict[type, tuple[Any, ...]] = {}
    try:
        return (_state(model, where, seen, classes),)
    except _Opaque:
        return None


class _Opaque(Exception):
    """An attribute whose effect on the graph :func:`_structure` cannot describe."""


_PLAIN_TYPES = (str, int, float, bool, complex, bytes, type(None))


def _state(
    obj: Any, where: dict[int, int], seen: dict[int, int], classes: dict[type, tuple[Any, ...]]
) -> Any:
    """A comparable description of ``obj`` for :func:`_structure` (raises ``_Opaque``)."""
    if isinstance(obj, Value):
        k = where.get(id(obj))
        return k if k is not None else ("value", obj.data)
    if isinstance(obj, _nn.Module):
        cls = type(obj)
        if cls.__module__ != _nn.__name__:
            raise _Opaque
        if id(obj) in seen:
            return ("again", seen[id(obj)])
        seen[id(obj)] = len(seen)
        if cls not in classes:  # a method replaced on the class counts too
            classes[cls] = tuple((k, v) for c in cls.__mro__ for k, v in vars(c).items() if callable(v))
        state = tuple((k, _state(v, where, seen, classes)) for k, v in vars(obj).items())
        return (cls, classes[cls], state)
    if isinstance(obj, (list, tuple)):
        with contextlib.suppress(KeyError):  # the common case, quickly: a list of parameters
            return (type(obj), "parameters", tuple([where[id(v)] for v in obj]))
        return (type(obj), tuple(_state(v, where, seen, classes) for v in obj))
    if isinstance(obj, dict):
        return (dict, tuple((k, _state(v, where, seen, classes)) for k, v in obj.items()))
    if isinstance(obj, _PLAIN_TYPES):
        return (type(obj), obj)
    if callable(obj):  # a function or a bound method: the same object, the same code
        return ("callable", obj)
    raise _Opaque


def _compiled_for(model: Any, loss: str) -> CompiledStep:
    """The compiled step of ``loss`` for ``model``, reused while the model's parameters (the
    same Values, in the same order) and structure are unchanged, else traced again."""
    params = list(model.parameters())
    structure = _structure(model, params)
    try:
        cache = _EVALUATORS.get(model)
        if cache is None:
            while len(_EVALUATORS) >= _MAX_CACHED_MODELS:
                del _EVALUATORS[next(iter(_EVALUATORS.keys()))]
            cache = _EVALUATORS.setdefault(model, {})
    except TypeError:  # a model that cannot be weakly referenced (or hashed): no cache
        cache = {}
    entry = cache.get(loss)
    if (
        entry is not None
        and structure is not None
        and entry[0] == structure
        and _same_values(entry[1], params)
    ):
        return entry[2]
    step = for_fit(model, loss)
    if structure is not None:
        cache[loss] = (structure, params, step)
    return step


def _same_values(a: list[Value], b: list[Value]) -> bool:
    """The same Value objects in the same order."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def r2_score(y_true: Any, y_pred: Any) -> float:
    """The coefficient of determination ``1 - Σ(y - ŷ)² / Σ(y - ȳ)²`` (1 is a perfect fit)."""
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.shape != p.shape or t.size == 0:
        raise ValueError(f"r2_score needs two non-empty arrays of one shape, got {t.shape} and {p.shape}")
    total = float(np.sum((t - t.mean()) ** 2))
    if total == 0.0:
        raise ValueError("r2_score is undefined when every target is the same")
    return 1.0 - float(np.sum((t - p) ** 2)) / total


# ---------------------------------------------------------------- weights per layer


def layer_max_abs_weights(model: Any) -> dict[str, float]:
    """The largest ``|w|`` among each layer's weights (biases excluded), keyed by layer name.

    Uses ``model.weight_groups()`` when the model has it (``nn`` modules do); otherwise groups
    ``named_parameters()`` by everything before the last dot and drops names ending in ``bias``
    or ``b``. A model with neither gives one group, ``"all"``, of every parameter. Raises
    ``TypeError`` for an object with none of the three.
    """
    if not any(hasattr(model, a) for a in ("weight_groups", "named_parameters", "parameters")):
        raise TypeError(
            f"layer_max_abs_weights: expected a model with parameters(), got {type(model).__name__}"
        )
    groups: dict[str, list[Value]] = {}
    if hasattr(model, "weight_groups"):
        for name, ws in model.weight_groups():
            groups[name] = list(ws)
    elif hasattr(model, "named_parameters"):
        for name, p in model.named_parameters():
            layer, _, last = name.rpartition(".")
            if last in ("bias", "b"):
                continue
            groups.setdefault(layer or "model", []).append(p)
    else:
        groups["all"] = list(model.parameters())
    return {name: max((abs(p.data) for p in ws), default=0.0) for name, ws in groups.items()}


# ---------------------------------------------------------------- history


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch.

    ``train_loss`` is the mean of the minibatch losses (weighted by batch size, including any L2
    penalty), ``train_accuracy`` the fraction of training samples each minibatch got right
    *before* its update; ``val_loss`` / ``val_accuracy`` are measured after the epoch (empty
    without validation data). Accuracies are ``None`` for regression. ``max_abs_weight[layer]``
    is the largest ``|w|`` in that layer after each epoch (the lesson's lab plot).
    """

    loss: str = ""
    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    max_abs_weight: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of lists (JSON-ready; layers in model order)."""
        return {
            "loss": self.loss,
            "epochs": list(self.epochs),
            "train_loss": list(self.train_loss),
            "train_accuracy": list(self.train_accuracy),
            "val_loss": list(self.val_loss),
            "val_accuracy": list(self.val_accuracy),
            "max_abs_weight": {k: list(v) for k, v in self.max_abs_weight.items()},
            "seconds": list(self.seconds),
            "stopped_early": self.stopped_early,
            "best_epoch": self.best_epoch,
        }

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The history as JSON text; also written (atomically) to ``path`` if given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            write_atomic(Path(path), text.encode("utf-8"))
        return text

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """The inverse of :meth:`to_dict`; raises ``ValueError`` for a dict missing a field."""
        try:
            return cls(
                loss=str(d["loss"]),
                epochs=list(d["epochs"]),
                train_loss=list(d["train_loss"]),
                train_accuracy=list(d["train_accuracy"]),
                val_loss=list(d["val_loss"]),
                val_accuracy=list(d["val_accuracy"]),
                max_abs_weight={str(k): list(v) for k, v in d["max_abs_weight"].items()},
                seconds=list(d["seconds"]),
                stopped_early=bool(d["stopped_early"]),
                best_epoch=d["best_epoch"],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a History dict: {exc!r}") from None


# ---------------------------------------------------------------- early stopping


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``monitor`` is ``"val_loss"`` (default; lower is better), ``"val_accuracy"``,
    ``"train_loss"`` or ``"train_accuracy"``. With ``restore_best=True`` the parameters of the
    best epoch are put back when training stops.
    """

    patience: int = 5
    monitor: str = "val_loss"
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 1:
            raise ValueError(f"EarlyStopping patience must be an integer >= 1, got {self.patience!r}")
        if self.monitor not in ("val_loss", "val_accuracy", "train_loss", "train_accuracy"):
            raise ValueError(
                f"EarlyStopping monitor must be val_loss, val_accuracy, train_loss or train_accuracy, "
                f"got {self.monitor!r}"
            )
        if self.min_delta < 0:
            raise ValueError(f"EarlyStopping min_delta must be >= 0, got {self.min_delta}")

    def score(self, history: History) -> float:
        """The monitored number of the last epoch, oriented so that lower is better."""
        value = getattr(history, self.monitor)[-1]
        if value is None:
            raise ValueError(f"EarlyStopping cannot monitor {self.monitor}: it is not measured for this loss")
        return -float(value) if self.monitor.endswith("accuracy") else float(value)


# ---------------------------------------------------------------- fit


Callback = Callable[[int, History], Any]


def _make_optimizer(
    model: Model, optimizer: str | Optimizer, lr: float | Callable[[int], float] | None
) -> Optimizer:
    if isinstance(optimizer, str):
        name = optimizer.lower()
        params = model.parameters()
        if name == "sgd":
            return _optim.SGD(params, lr=0.1 if lr is None else lr)
        if name == "adam":
            return _optim.Adam(params, lr=1e-3 if lr is None else lr)
        raise ValueError(f"unknown optimizer {optimizer!r}: expected 'sgd', 'adam' or an optimizer instance")
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"optimizer must be 'sgd', 'adam' or an object with step() and zero_grad(), got {optimizer!r}"
        )
    if lr is not None:
        raise ValueError(
            "lr= applies to an optimizer given by name; set it on the optimizer instance instead"
        )
    own = getattr(optimizer, "params", None)
    if isinstance(own, list) and own and not set(own) & set(model.parameters()):
        raise ValueError(
            "the optimizer updates none of the model's parameters: build it on model.parameters()"
        )
    return optimizer


def _is_integer(x: object) -> bool:
    """An int or a NumPy integer (``numbers.Integral``), but not a bool."""
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _progress_bar(progress: bool | None, total: int) -> Any:
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm.auto import tqdm  # type: ignore[import-untyped]

    return tqdm(total=total, unit="epoch", leave=False, dynamic_ncols=True)


def fit(
    model: Model,
    X: Any,
    y: Any,
    *,
    loss: str | LossFn = "cross_entropy",
    optimizer: str | Optimizer = "sgd",
    lr: float | Callable[[int], float] | None = None,
    epochs: int = 10,
    batch_size: int | None = 32,
    X_val: Any = None,
    y_val: Any = None,
    l2: float = 0.0,
    seed: int | None = 0,
    shuffle: bool = True,
    progress: bool | None = None,
    early_stopping: EarlyStopping | int | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    callbacks: Iterable[Callback] = (),
    compile: bool = True,
    resume: str | os.PathLike[str] | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` for ``epochs`` epochs of minibatch descent; returns the History.

    - ``loss``: a name (see the module docstring) or ``loss(outputs, targets) -> Value``.
    - ``optimizer``: ``"sgd"`` / ``"adam"`` with ``lr`` (default 0.1 / 0.001; a callable of the
      step is a schedule), or an optimizer instance built on ``model.parameters()``.
    - ``batch_size``: samples per step; ``None`` for full-batch descent. The last batch of an
      epoch may be smaller. Batches are shuffled each epoch from ``seed`` (``shuffle=False``
      keeps the data order).
    - ``l2``: adds ``l2 · Σ p²`` over all parameters to each batch loss (micrograd's
      regularisation).
    - ``X_val``, ``y_val``: measured after every epoch.
    - ``progress``: a tqdm bar over epochs; ``None`` shows it only when stderr is a terminal.
    - ``early_stopping``: an :class:`EarlyStopping`, or an int patience on ``val_loss``.
    - ``checkpoint``: a path; model and optimizer state are saved there (atomically) after every
      epoch, or after each improvement when early stopping is on, with the progress of the run
      (the epoch, the shuffling generator's state and the history so far).
    - ``resume``: a checkpoint written by ``fit(checkpoint=...)``; the model, the optimizer and
      the progress are restored from it and training continues with the next epoch up to
      ``epochs`` (the total, counting the epochs before the checkpoint). A run interrupted and
      resumed with the same arguments ends with the same parameters, bit for bit, as one run
      straight through (with early stopping, the checkpoint is the best epoch's, and the
      resumed run continues from there). ``seed`` is then not used.
    - ``callbacks``: each is called as ``callback(epoch, history)`` after every epoch; returning
      ``True`` stops training.
    - ``compile``: run each minibatch on the compiled path (:mod:`microgradnet.compile`) when
      the loss is a named one it supports, fused with the optimizer (parameters and optimizer
      state stay in arrays for the epoch and are written back before evaluation, the history,
      checkpoints and callbacks); when the model cannot be compiled, a warning says why and
      training continues on the eager engine.

    Raises ``ValueError`` / ``TypeError`` for bad arguments before any parameter changes, the
    ``OSError`` of :func:`microgradnet._files.check_writable` (``FileNotFoundError``,
    ``IsADirectoryError``, ``PermissionError``, ...) before training for a ``checkpoint`` path
    that could not be written, :class:`CheckpointError` for a ``resume`` checkpoint that does
    not fit the model or holds no progress, ``RuntimeError`` inside ``no_grad()``, and inside
    ``detect_anomaly()`` the :class:`~microgradnet.AnomalyError` of the first non-finite value
    (on the compiled path too).
    """
    if not is_grad_enabled():
        raise RuntimeError(
            "fit() cannot train inside no_grad(): no graph is recorded, so there is nothing to "
            "backpropagate; call fit() outside the `with no_grad():` block"
        )
    _check_model(model, "fit")
    X, y = _check_xy(X, y, "fit")
    task = _task(loss)
    _check_targets(model, task, X, y, "fit")
    if task.spec is not None and task.spec.target == "value" and _n_outputs(model, X) > 1:
        y = y.astype(np.int64)  # class labels of a model with one output per class (one-hot targets)
    if not _is_integer(epochs) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    epochs = int(epochs)
    if batch_size is not None and (not _is_integer(batch_size) or batch_size < 1):
        raise ValueError(f"batch_size must be an integer >= 1 or None (full batch), got {batch_size!r}")
    if not isinstance(l2, (int, float)) or l2 < 0 or not math.isfinite(l2):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val, or neither")
    has_val = X_val is not None
    if has_val:
        X_val, y_val = _check_xy(X_val, y_val, "fit (validation data)")
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"X_val has {X_val.shape[1]} features but X has {X.shape[1]}")
        _check_targets(model, task, X_val, y_val, "fit (validation data)")
        if y.dtype.kind == "i" and task.spec is not None and task.spec.target == "value":
            y_val = y_val.astype(np.int64)
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=early_stopping)
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError(
                f"early_stopping must be an EarlyStopping or an int patience, got {early_stopping!r}"
            )
        if early_stopping.monitor.startswith("val") and not has_val:
            raise ValueError(f"early stopping on {early_stopping.monitor} needs X_val and y_val")
        if early_stopping.monitor.endswith("accuracy") and task.name in REGRESSION_LOSSES:
            raise ValueError(
                f"cannot stop early on {early_stopping.monitor}: {task.name} is a regression loss"
            )
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"each callback must be callable as callback(epoch, history), got {cb!r}")
    if checkpoint is not None:  # before any training: an unwritable path must not lose the work
        check_writable(checkpoint, "the checkpoint")
    if resume is not None and not Path(resume).is_file():
        raise FileNotFoundError(f"resume: checkpoint {str(resume)!r} not found")
    opt = _make_optimizer(model, optimizer, lr)
    history = History(loss=task.name)
    rng = np.random.default_rng(seed)
    best: float | None = None
    first = 1
    if resume is not None:
        progress_state = _resume(model, resume, opt, task.name)
        first = progress_state.epoch + 1
        rng.bit_generator.state = progress_state.rng
        history = progress_state.history
        best = progress_state.best
    step: FusedTrainer | None = None
    if compile and task.spec is not None and task.spec.name in FIT_LOSSES:
        step = for_fit(model, task.spec.name, l2).trainer(opt)
    # a callback may change the model between epochs: then the compiled step is traced again
    traced_for = None
    if step is not None and callbacks:
        params = list(model.parameters())
        traced_for = (_structure(model, params), params)

    size = len(X) if batch_size is None else int(batch_size)
    # (a resumed run with early stopping starts from its best epoch's checkpoint)
    best_params: list[float] | None = None if best is None else [p.data for p in model.parameters()]
    waited = 0
    bar = _progress_bar(progress, max(0, epochs - first + 1))
    try:
        for epoch in range(first, epochs + 1):
            if step is not None and traced_for is not None and epoch > first:
                params = list(model.parameters())
                now = (_structure(model, params), params)
                if now[0] is None or now[0] != traced_for[0] or not _same_values(now[1], traced_for[1]):
                    step.sync()
                    step = for_fit(model, task.spec.name, l2).trainer(opt)  # type: ignore[union-attr]
                    traced_for = now
            start = time.perf_counter()
            total_loss, seen = 0.0, 0
            correct: int | None = 0
            for Xb, yb in _data.minibatches(X, y, size, shuffle=shuffle, seed=rng):
                if step is not None:
                    try:
                        r = _compiled_train_step(step, task, Xb, yb)
                    except CompileError as exc:
                        step.sync()  # the Values take the last completed step
                        warnings.warn(f"fit(): {exc} Training eagerly instead.", RuntimeWarning, stacklevel=2)
                        step = None
                if step is None:
                    r = train_step(model, opt, task, Xb, yb, l2)
                total_loss += r.loss * r.size
                correct = None if correct is None or r.correct is None else correct + r.correct
                seen += r.size
            if step is not None:
                step.sync()  # parameters, gradients and optimizer state back into the Values
            history.epochs.append(epoch)
            history.train_loss.append(total_loss / seen)
            history.train_accuracy.append(None if correct is None else correct / seen)
            if has_val:
                vl, va = evaluate(model, X_val, y_val, loss)
                history.val_loss.append(vl)
                history.val_accuracy.append(va)
            for name, w in layer_max_abs_weights(model).items():
                history.max_abs_weight.setdefault(name, []).append(w)
            history.seconds.append(time.perf_counter() - start)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(_postfix(history))
            stop = False
            if early_stopping is not None:
                score = early_stopping.score(history)
                if best is None or score < best - early_stopping.min_delta:
                    best, waited, history.best_epoch = score, 0, epoch
                    best_params = [p.data for p in model.parameters()]
                    if checkpoint is not None:
                        _save(
                            model, checkpoint, opt, _Progress(epoch, rng.bit_generator.state, history, best)
                        )
                else:
                    waited += 1
                    stop = waited >= early_stopping.patience
            elif checkpoint is not None:
                _save(model, checkpoint, opt, _Progress(epoch, rng.bit_generator.state, history, best))
            for cb in callbacks:
                if cb(epoch, history) is True:
                    stop = True
            if stop:
                history.stopped_early = True
                break
    finally:
        if step is not None:
            step.sync()  # an error or an interrupt mid-epoch: keep the steps that completed
        if bar is not None:
            bar.close()
    if early_stopping is not None and early_stopping.restore_best and best_params is not None:
        for p, v in zip(model.parameters(), best_params):
            p.data = v
    return history


def _postfix(h: History) -> str:
    parts = [f"loss {h.train_loss[-1]:.4f}"]
    if h.train_accuracy[-1] is not None:
        parts.append(f"acc {h.train_accuracy[-1]:.3f}")
    if h.val_loss:
        parts.append(f"val_loss {h.val_loss[-1]:.4f}")
        if h.val_accuracy[-1] is not None:
            parts.append(f"val_acc {h.val_accuracy[-1]:.3f}")
    return " ".join(parts)


# ---------------------------------------------------------------- checkpoints

CHECKPOINT_FORMAT = "microgradnet-checkpoint"
CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that is corrupt, truncated, of another format, or for another model."""


def _model_state(model: Any) -> dict[str, Any]:
    if hasattr(model, "state_dict"):
        state: dict[str, Any] = model.state_dict()
        return state
    return {"parameters": [p.data for p in model.parameters()]}


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=True).encode("utf-8")).hexdigest()


@dataclass
class _Progress:
    """How far ``fit`` got: the last finished epoch, the shuffling generator's state after it,
    the history so far and early stopping's best score."""

    epoch: int
    rng: Mapping[str, Any]
    history: History
    best: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "rng": dict(self.rng),
            "history": self.history.to_dict(),
            "best": self.best,
        }


def save_checkpoint(model: Any, path: str | os.PathLike[str], optimizer: Any = None) -> None:
    """Save the model's parameters (and the optimizer's state, if given) as JSON at ``path``.

    The file holds ``{"format", "version", "model", "optimizer", "fit", "sha256"}``; ``model``
    is ``model.state_dict()`` (parameter names to nested lists of floats); ``fit`` is the
    progress of a ``fit(checkpoint=...)`` run, what ``fit(resume=...)`` continues from
    (``None`` here). Floats are written with ``repr`` so they load back bit for bit. The write
    is atomic: a temp file in the same directory, then ``os.replace``. Raises
    ``FileNotFoundError`` if the directory is missing, ``TypeError`` for a model without
    ``parameters()`` or an optimizer without ``state_dict()``.
    """
    _save(model, path, optimizer, None)


def _save(model: Any, path: str | os.PathLike[str], optimizer: Any, progress: _Progress | None) -> None:
    if not callable(getattr(model, "state_dict", None)) and not callable(getattr(model, "parameters", None)):
        raise TypeError(f"save_checkpoint: expected a model with parameters(), got {type(model).__name__}")
    if optimizer is not None and not callable(getattr(optimizer, "state_dict", None)):
        raise TypeError(f"save_checkpoint: optimizer must have state_dict(), got {type(optimizer).__name__}")
    body: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "model": _model_state(model),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "fit": None if progress is None else progress.to_dict(),
    }
    body["sha256"] = _digest(body)
    write_atomic(Path(path), json.dumps(body, sort_keys=True, allow_nan=True).encode("utf-8"))


def _shape_of(x: Any, where: str) -> Any:
    """The nested-list shape of a state entry, checking that its leaves are numbers."""
    if isinstance(x, list):
        return [_shape_of(v, f"{where}[{i}]") for i, v in enumerate(x)]
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise CheckpointError(f"{where}: expected a number, got {x!r}")
    if isinstance(x, int):
        try:
            float(x)
        except OverflowError:
            raise CheckpointError(f"{where}: the integer {str(x)[:20]}... is too large for a float") from None
    return None


def _read_checkpoint(p: Path) -> dict[str, Any]:
    """A checkpoint file's contents, checked for format, version and checksum."""
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"checkpoint {str(p)!r} not found") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{p}: not a complete checkpoint (truncated or corrupt JSON: {exc})") from None
    except RecursionError:
        raise CheckpointError(f"{p}: not a checkpoint (its JSON is nested too deeply)") from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise CheckpointError(f"{p}: not a checkpoint (it holds a number with too many digits)") from None
    if not isinstance(body, dict) or body.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{p}: not a microgradnet checkpoint (no 'format': {CHECKPOINT_FORMAT!r})")
    if body.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{p}: checkpoint version {body.get('version')!r}, expected {CHECKPOINT_VERSION}"
        )
    stored = body.pop("sha256", None)
    try:
        digest = _digest(body)
    except (RecursionError, ValueError):
        raise CheckpointError(f"{p}: not a checkpoint (its contents cannot be checked)") from None
    if stored != digest:
        raise CheckpointError(f"{p}: checksum mismatch, the file is corrupt")
    return body


def load_checkpoint(model: Any, path: str | os.PathLike[str], optimizer: Any = None) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model`` (and ``optimizer``).

    Everything is checked before anything changes: the file must exist (``FileNotFoundError``),
    parse as complete JSON with the right format, version and checksum, and hold exactly the
    model's parameter names with the same shapes, as numbers a float can hold; otherwise
    :class:`CheckpointError` (a ``ValueError``) names the file and the problem, and the model is
    left unchanged. An optimizer state that does not fit raises the optimizer's ``ValueError``
    or ``TypeError`` and changes nothing either. Returns the checkpoint's contents.
    """
    p = Path(path)
    body = _read_checkpoint(p)
    _load_into(model, p, body, optimizer)
    return dict(body)


def _load_into(model: Any, p: Path, body: dict[str, Any], optimizer: Any) -> None:
    state = body.get("model")
    current = _model_state(model)
    if not isinstance(state, dict) or sorted(state) != sorted(current):
        have = sorted(state) if isinstance(state, dict) else state
        raise CheckpointError(
            f"{p}: parameters do not match the model: the file has {have}, the model has {sorted(current)}"
        )
    for name in current:
        try:
            same = _shape_of(state[name], f"{p}: {name}") == _shape_of(current[name], name)
        except RecursionError:
            raise CheckpointError(f"{p}: parameter {name!r} is nested too deeply") from None
        if not same:
            raise CheckpointError(f"{p}: parameter {name!r} has a different shape than in the model")
    if optimizer is not None and body.get("optimizer") is None:
        raise CheckpointError(f"{p}: holds no optimizer state")
    if hasattr(model, "load_state_dict"):
        model.load_state_dict(state)
    else:
        for param, v in zip(model.parameters(), state["parameters"]):
            param.data = float(v)
    if optimizer is not None:
        try:
            optimizer.load_state_dict(body["optimizer"])
        except Exception:
            if hasattr(model, "load_state_dict"):
                model.load_state_dict(current)
            else:
                for param, v in zip(model.parameters(), current["parameters"]):
                    param.data = float(v)
            raise


def _resume(model: Any, path: str | os.PathLike[str], optimizer: Any, loss: str) -> _Progress:
    """Load a ``fit`` checkpoint into the model and the optimizer; its progress, checked first."""
    p = Path(path)
    body = _read_checkpoint(p)
    saved = body.get("fit")
    if not isinstance(saved, dict):
        raise CheckpointError(
            f"{p}: holds no training progress (epoch, shuffling state); resume from a checkpoint "
            "written by fit(..., checkpoint=...)"
        )
    epoch = saved.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise CheckpointError(f"{p}: the progress's epoch must be an integer >= 0, got {epoch!r}")
    try:
        rng = np.random.default_rng()
        state: Any = saved.get("rng")
        rng.bit_generator.state = state
        history = History.from_dict(saved.get("history"))  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError, AttributeError):
        raise CheckpointError(f"{p}: the progress's generator state or history is corrupt") from None
    if history.loss != loss:
        raise CheckpointError(f"{p}: written by a run with loss {history.loss!r}, not {loss!r}")
    best = saved.get("best")
    if best is not None and (isinstance(best, bool) or not isinstance(best, (int, float))):
        raise CheckpointError(f"{p}: the progress's best score must be a number, got {best!r}")
    _load_into(model, p, body, optimizer)
    return _Progress(epoch, rng.bit_generator.state, history, None if best is None else float(best))
