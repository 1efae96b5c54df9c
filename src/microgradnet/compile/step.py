"""The compiled step: what :func:`compile` returns, and the named losses ``fit`` compiles."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import numpy as np
from numpy.typing import NDArray

from microgradnet import losses as _losses
from microgradnet.compile import layers, run
from microgradnet.compile.arrays import ArrayOps, FloatArray
from microgradnet.compile.errors import CompileError
from microgradnet.compile.program import Stores
from microgradnet.compile.tape import Tape, build_tape
from microgradnet.compile.trace import Targets, Tracer
from microgradnet.engine import Value, apply, no_grad

if TYPE_CHECKING:
    from microgradnet.compile.fused import FusedTrainer

__all__ = ["FIT_LOSSES", "CompiledStep", "compile", "evaluate_named", "for_fit"]

_DATA = attrgetter("data")
_GRAD = attrgetter("grad")

#: rows per pass of ``evaluate`` and ``predict`` (memory stays bounded for 60,000 images)
CHUNK = 1024

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _locked(
    method: Callable[Concatenate[CompiledStep, _P], _R],
) -> Callable[Concatenate[CompiledStep, _P], _R]:
    """Run ``method`` holding the step's lock: its programs share arrays (one thread at a time)."""

    def locked(self: CompiledStep, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._lock:
            return method(self, *args, **kwargs)

    functools.update_wrapper(locked, method)
    return locked


@dataclass(slots=True)
class Batch:
    """A checked minibatch and what its tape needs to run it."""

    X: FloatArray  # (samples, features)
    T: FloatArray | None  # (samples, targets), or None in class mode
    tape: Tape
    rows: NDArray[np.intp]  # the loss row each sample picks (its class's, in class mode)
    seeded: list[int]  # every row a sample may pick
    plus_one: tuple[int, bool] | None  # the regularizer's root: (row, per-sample?)

    @property
    def size(self) -> int:
        return int(self.X.shape[0])


class CompiledStep:
    """What :func:`compile` returns: ``step(X, y)`` runs forward and backward on a minibatch.

    Call it like a function: ``loss = step(X_batch, y_batch)`` returns the batch loss (a float)
    and **adds** the parameter gradients into each parameter's ``.grad``, as ``loss.backward()``
    would (so zero them between steps, as usual). ``step.predict(X)`` returns the model's outputs
    for every row of ``X`` without touching any gradient.
    """

    def __init__(
        self,
        model: Any,
        loss_fn: Callable[[Any, Any], Value] | None,
        reduction: str,
        regularizer: Callable[[], Value] | None,
        classes: Sequence[int] | None,
        targets: str = "auto",
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.reduction = reduction
        self.regularizer = regularizer
        self.classes = None if classes is None else [int(c) for c in classes]
        self.targets = targets
        #: traces the model and the loss
        self.tracer = Tracer(model, loss_fn, regularizer)
        self._tapes: dict[tuple[Any, ...], tuple[Tape, list[int] | None]] = {}
        self._params: list[Value] = []
        self._single_output = False
        self._stores: dict[int, Stores] = {}  # per tape: where step(X, y) runs
        self._scratch: dict[tuple[int, int], tuple[FloatArray, FloatArray | None]] = {}
        self._scratch_makers: dict[int, Callable[[int, bool], tuple[FloatArray, FloatArray | None]]] = {}
        self._last: tuple[Tape, FloatArray, FloatArray, int] | None = None
        self._interpreted: tuple[FloatArray, FloatArray] | None = None
        # per tape: the rows of the per-sample losses (as a list and an array), the regularizer's
        self._losses: dict[int, tuple[list[int], NDArray[np.intp], tuple[int, bool] | None]] = {}
        #: held while a minibatch runs: the generated programs reuse their arrays, so two threads
        #: sharing this step take turns (a trainer holds it for its whole step)
        self._lock = threading.RLock()

    @property
    def last_outputs(self) -> FloatArray:
        """The model's outputs for each row of the last minibatch run, (rows, outputs)."""
        if self._last is None:
            return np.zeros((0, 0))
        tape, V, S, batch = self._last
        return _outputs(tape.root_rows[tape.n_losses :], V, S, batch)

    # ---- public ----------------------------------------------------------------------------

    @_locked
    def __call__(self, X: Any, y: Any) -> float:
        """Forward and backward on the minibatch ``X`` (rows = samples), targets ``y``.

        Returns the batch loss: the mean (or sum, with ``reduction="sum"``) of
        ``loss_fn(model(x), target)`` over the rows, plus the regularizer. Adds the gradient
        of that loss into every parameter's ``.grad``.

        Raises:
            ValueError: ``X``/``y`` have the wrong shape, or ``y`` holds a class the model
                cannot have (class mode).
            CompileError: the model and loss build a different graph for different inputs.
            AnomalyError: inside ``detect_anomaly()``, a value or a gradient is not finite.
        """
        batch = self._prepare(X, y)
        stores = self._own_stores(batch.tape)
        with np.errstate(all="ignore"):  # IEEE results, as in the eager engine
            total = self._forward(batch, stores, backward=True)
            self._backward(batch, stores)
        params = self._params
        grads = np.fromiter(map(_GRAD, params), float, len(params)) + stores.grads
        for p, g in zip(params, grads.tolist()):  # p.grad += g (the sum was done in NumPy)
            p.grad = g
        return total

    @_locked
    def evaluate(self, X: Any, y: Any, chunk: int = CHUNK) -> tuple[float, FloatArray]:
        """The loss over all rows of ``X`` and the model's outputs (rows, outputs), forward only.

        Runs ``chunk`` rows at a time (memory stays bounded for 60,000 MNIST images) and
        changes no ``data`` and no ``grad``. Raises as calling the step does.
        """
        Xa = _as_2d(X, "X")
        ya = np.asarray(y)
        if ya.shape[:1] != Xa.shape[:1]:
            raise ValueError(f"X has {Xa.shape[0]} rows but y has shape {ya.shape}; give one target per row")
        total, outs = 0.0, []
        loaded: Stores | None = None
        for start in range(0, len(Xa), chunk):
            batch = self._prepare(Xa[start : start + chunk], ya[start : start + chunk])
            stores = self._own_stores(batch.tape, load=batch.tape is not getattr(loaded, "tape", None))
            loaded = stores
            with np.errstate(all="ignore"):
                part = self._forward(batch, stores, backward=False)
            total += part * batch.size if self.reduction == "mean" else part
            outs.append(self.last_outputs)
        return (total / len(Xa) if self.reduction == "mean" else total), np.concatenate(outs)

    def trainer(self, optimizer: Any) -> FusedTrainer:
        """A :class:`~microgradnet.compile.FusedTrainer` that trains with this step and
        ``optimizer`` (built on the model's parameters), keeping parameters and optimizer state
        in arrays between syncs.

        Raises ``TypeError`` if ``optimizer`` has no ``step()`` and ``zero_grad()``.
        """
        from microgradnet.compile.fused import FusedTrainer

        return FusedTrainer(self, optimizer)

    def describe(self) -> str:
        """The tapes traced so far, one line per step: depth, op, how many nodes it runs
        together, whether they run per sample or once (shared), and which run as a layer of
        matrix products. For teaching and debugging; the text is deterministic."""
        lines = []
        for key, (tape, _) in self._tapes.items():
            n_nodes = sum(st.size for st in tape.steps)
            lines.append(f"tape for {key[0]} ({n_nodes} op nodes in {len(tape.steps)} steps):")
            for st in tape.steps:
                kind = "W @ X" if st.mode == "layer" else ("per sample" if st.batched else "shared")
                if st.kernel.elementwise:
                    kind += " (Python, element by element)"
                if not st.needs_grad:
                    kind += ", no gradient"
                lines.append(f"  depth {st.depth:2d}  {st.op.name:8s} x{st.size:<4d} {kind}")
        return "\n".join(lines)

    @_locked
    def predict(self, X: Any) -> FloatArray:
        """The model's outputs for every row of ``X``: shape ``(rows, outputs)``, or ``(rows,)``
        when the model returns one ``Value``. Changes no ``data`` and no ``grad``.

        Raises ``ValueError`` for a wrong shape, :class:`CompileError` for a data-dependent model.
        """
        Xa = _as_2d(X, "X")
        key = ("predict", Xa.shape[1])
        if key not in self._tapes:
            self._retrace(Xa.shape[1], Targets("none"), key, None)
        tape, _ = self._tapes[key]
        stores = self._own_stores(tape)
        parts = []
        for start in range(0, len(Xa), CHUNK):
            part = Xa[start : start + CHUNK]
            with np.errstate(all="ignore"):
                if run.anomaly_mode():
                    V, S = run.forward(tape, part, None, stores.params)
                else:
                    prog = stores.program(len(part), False, self._scratch_for(tape), [], None)
                    prog.forward(part, None)
                    V, S = prog.V, stores.S
            parts.append(_outputs(tape.root_rows, V, S, len(part)))
        outs = np.concatenate(parts)
        return outs[:, 0] if self._single_output else outs

    # ---- running ---------------------------------------------------------------------------
    #
    # A minibatch runs in three parts, so that the fused trainer can keep the stores: _prepare
    # checks it and finds (or traces) its tape; _forward fills the per-sample store and returns
    # the batch loss; _backward fills the gradients of the parameters, stores.grads. Both run
    # the tape's generated program (compile/program.py), or inside detect_anomaly() the
    # interpreter (compile/run.py), which checks every step's numbers.

    def _prepare(self, X: Any, y: Any) -> Batch:
        """Check ``(X, y)`` and find the tape that runs it (tracing it the first time)."""
        if self.loss_fn is None:
            raise CompileError("this compiled model has no loss_fn; only predict() is available")
        Xa, targets, key = self._check(X, y)
        tape, classes = self._tape(key, Xa, targets)
        losses = self._losses.get(id(tape))
        if losses is None:
            per_sample = tape.root_rows[: len(classes) if classes is not None else 1]
            if any(not b for _, b in per_sample):
                raise CompileError("the loss does not depend on the inputs: nothing to compile per sample")
            seeded = [r for r, _ in per_sample]
            plus_one = tape.root_rows[len(per_sample)] if self.regularizer is not None else None
            losses = self._losses[id(tape)] = (seeded, np.array(seeded, dtype=np.intp), plus_one)
        seeded, rows_of, plus_one = losses
        if classes is not None:
            first = classes[0]
            if classes[-1] - first + 1 == len(classes):  # 0..K-1 (or another range): no search
                rows = rows_of[targets - first]
            else:
                rows = rows_of[np.searchsorted(classes, targets)]
        else:
            rows = np.full(len(Xa), seeded[0], dtype=np.intp)
        return Batch(Xa, None if classes is not None else targets, tape, rows, seeded, plus_one)

    def _own_stores(self, tape: Tape, load: bool = True) -> Stores:
        """The stores ``step(X, y)`` and ``evaluate`` run in, with the parameters' values read
        from the ``Value``\\s (when ``load``)."""
        stores = self._stores.get(id(tape))
        if stores is None:
            stores = self._stores[id(tape)] = Stores(tape)
        if load:
            stores.params[:] = np.fromiter(map(_DATA, self._params), float, len(self._params))
        return stores

    def _scratch_for(self, tape: Tape) -> Callable[[int, bool], tuple[FloatArray, FloatArray | None]]:
        """The per-sample store (and its gradient) of ``tape`` for a batch size: shared by every
        program of the tape with that batch size, as they run one after another."""
        found = self._scratch_makers.get(id(tape))
        if found is not None:
            return found

        def scratch(batch: int, backward: bool) -> tuple[FloatArray, FloatArray | None]:
            key = (id(tape), batch)
            V, GV = self._scratch.get(key, (None, None))
            if V is None:
                if len(self._scratch) >= 2 * Stores.LIMIT:  # (programs keep theirs alive)
                    del self._scratch[next(iter(self._scratch))]
                V = np.zeros((tape.n_b, batch))
            if backward and GV is None:
                GV = np.zeros((tape.n_b, batch))
            self._scratch[key] = (V, GV)
            return V, GV

        self._scratch_makers[id(tape)] = scratch
        return scratch

    def _forward(self, batch: Batch, stores: Stores, backward: bool) -> float:
        """Run the model and the loss on ``batch`` with the parameters in ``stores``; return
        the batch loss. (Call inside ``np.errstate(all="ignore")``.)"""
        tape = batch.tape
        if run.anomaly_mode():
            V, S = run.forward(tape, batch.X, batch.T, stores.params)
            self._interpreted = (V, S)
        else:
            prog = stores.program(batch.size, backward, self._scratch_for(tape), batch.seeded, batch.plus_one)
            prog.forward(batch.X, batch.T)
            V, S = prog.V, stores.S
            self._interpreted = None
        losses = V[batch.rows, _columns(batch.size)]
        total = float(np.add.reduce(losses))  # (np.sum's and np.mean's own sum)
        if self.reduction == "mean":
            total = total / batch.size
        if batch.plus_one is not None:
            r_row, r_batched = batch.plus_one
            total += float(V[r_row, 0] if r_batched else S[r_row, 0])
        self._last = (tape, V, S, batch.size)
        return total

    def _backward(self, batch: Batch, stores: Stores) -> None:
        """After :meth:`_forward`: the gradients of the batch loss into ``stores.grads``."""
        seed = 1.0 / batch.size if self.reduction == "mean" else 1.0
        if self._interpreted is None:
            prog = stores.programs[(batch.size, True)]
            assert prog.backward is not None
            prog.backward(batch.X, batch.rows, seed)
            return
        V, S = self._interpreted
        GV, GS = np.zeros_like(V), np.zeros_like(S)
        GV[batch.rows, np.arange(batch.size)] = seed
        if batch.plus_one is not None:
            r_row, r_batched = batch.plus_one
            (GV if r_batched else GS)[r_row] += 1.0
        run.backward(batch.tape, batch.X, V, S, GV, GS)
        stores.grads[:] = GS[: batch.tape.n_params, 0]

    # ---- tracing ---------------------------------------------------------------------------

    def _check(self, X: Any, y: Any) -> tuple[FloatArray, Any, tuple[Any, ...]]:
        Xa = _as_2d(X, "X")
        ya = np.asarray(y)
        if ya.shape[:1] != Xa.shape[:1]:
            raise ValueError(f"X has {Xa.shape[0]} rows but y has shape {ya.shape}; give one target per row")
        if self.targets == "classes" and ya.dtype.kind == "f":
            if not np.array_equal(ya, np.round(ya)):
                raise CompileError("targets='classes' needs whole-number class labels in y")
            ya = ya.astype(np.int64)
        elif self.targets == "values":
            ya = ya.astype(float)
        if ya.dtype.kind in "iub":
            if ya.ndim != 1:
                raise ValueError(f"integer (class) targets must be 1-D, got shape {ya.shape}")
            return Xa, ya.astype(np.int64, copy=False), ("classes", Xa.shape[1], None)  # (see _tape)
        if ya.dtype.kind != "f":
            raise ValueError(f"y must hold numbers (floats or class indices), got dtype {ya.dtype}")
        ya = ya.astype(float)
        return Xa, ya.reshape(len(ya), -1), ("values", Xa.shape[1], ya.shape[1:])

    def _tape(self, key: tuple[Any, ...], Xa: FloatArray, targets: Any) -> tuple[Tape, list[int] | None]:
        n_features = Xa.shape[1]
        if key[0] == "classes":
            if len(targets):  # the common case, cheaply: a tape for a range of classes covers them
                lo, hi = int(np.minimum.reduce(targets)), int(np.maximum.reduce(targets))
                for k, (tape, known) in self._tapes.items():
                    if (
                        k[0] == "classes"
                        and k[1] == n_features
                        and known
                        and known[0] <= lo
                        and hi <= known[-1]
                        and len(known) == known[-1] - known[0] + 1
                    ):
                        return tape, known
            key = ("classes", n_features, tuple(sorted({int(v) for v in np.unique(targets)})))
            for k, (tape, known) in self._tapes.items():
                if (
                    k[0] == "classes"
                    and k[1] == n_features
                    and known is not None
                    and set(key[2]) <= set(known)
                ):
                    return tape, known
            model = self._read_model()
            known = self.classes or self._default_classes(n_features, model[1])
            classes = sorted(set(known) | set(key[2]))
            self._retrace(n_features, Targets("classes", tuple(classes)), key, classes, model)
        elif key not in self._tapes:
            n_t = int(np.prod(key[2])) if key[2] else 1
            self._retrace(n_features, Targets("values", count=n_t, scalar=len(key[2]) == 0), key, None)
        return self._tapes[key]

    def _read_model(self) -> tuple[list[Value], layers.Plan | None]:
        """The model's parameters, and its layers when it is a plain MLP (:mod:`.layers`)."""
        params = list(self.model.parameters())
        return params, layers.plan_of(self.model, params)

    def _retrace(
        self,
        n_features: int,
        targets: Targets,
        key: tuple[Any, ...],
        classes: list[int] | None,
        model: tuple[list[Value], layers.Plan | None] | None = None,
    ) -> None:
        """Trace the model and loss (a plain MLP: its loss only), build a tape and keep it
        under ``key``."""
        params, plan = model or self._read_model()
        self._params = params
        ops = ArrayOps()
        built = None if plan is None else layers.build(plan, params, n_features, targets, self.tracer, ops)
        if built is None:
            trace = self.tracer.trace(n_features, targets, params)
            built = (build_tape(trace, params, targets.count, ops), trace.single_output)
        tape, self._single_output = built
        self._tapes[key] = (tape, classes)

    def _default_classes(self, n_features: int, plan: layers.Plan | None) -> list[int]:
        """``range(outputs)`` for a model with several outputs (one logit per class)."""
        if plan is not None:
            n = layers.n_outputs(plan)
            return list(range(n)) if n > 1 else []
        with no_grad():
            out = self.model([Value(0.0) for _ in range(n_features)])
        return list(range(len(out))) if isinstance(out, (list, tuple)) and len(out) > 1 else []


_COLUMNS: dict[int, NDArray[np.intp]] = {}


def _columns(n: int) -> NDArray[np.intp]:
    """``np.arange(n)``, made once per ``n``."""
    cols = _COLUMNS.get(n)
    if cols is None:
        cols = _COLUMNS[n] = np.arange(n)
        cols.flags.writeable = False
    return cols


def _outputs(rows: Sequence[tuple[int, bool]], V: FloatArray, S: FloatArray, batch: int) -> FloatArray:
    """The model outputs' rows of the stores, as a (batch, outputs) array."""
    return np.stack([V[r] if b else np.full(batch, S[r, 0]) for r, b in rows], axis=1)


def _as_2d(X: Any, name: str) -> FloatArray:
    try:
        a = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a 2-D array of numbers (rows = samples), got {type(X).__name__}"
        ) from exc
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (rows = samples), got shape {a.shape}")
    return a


def compile(
    model: Any,
    loss_fn: Callable[[Any, Any], Value] | None = None,
    *,
    reduction: str = "mean",
    regularizer: Callable[[], Value] | None = None,
    classes: Sequence[int] | None = None,
    targets: str = "auto",
) -> CompiledStep:
    """Compile ``model`` and a per-sample ``loss_fn`` into a batched training step.

    ``model`` is any callable that maps a list of input ``Value``\\s to a ``Value`` or a list of
    ``Value``\\s and has a ``parameters()`` method (an ``MLP``). ``loss_fn(output, target)``
    returns the loss of one sample as a ``Value``; ``target`` is a ``Value`` (a float target),
    a list of ``Value``\\s (a row of a 2-D float target) or a Python ``int`` (a class index,
    when ``y`` holds integers). ``regularizer()`` (optional) returns a loss term over the
    parameters only (for example an L2 penalty) that is added once per batch.

    Returns a :class:`CompiledStep`: ``step(X, y)`` gives the batch loss (mean over the rows,
    or sum with ``reduction="sum"``) and adds its gradient into each parameter's ``.grad`` —
    the same numbers, to rounding, as ``loss.backward()`` on the eager graph of
    ``mean(loss_fn(model(x), t) for x, t in batch) + regularizer()``. Tracing happens at the
    first call (and again for new input widths or new classes).

    Raises:
        TypeError: ``model`` has no ``parameters()`` or is not callable, or ``loss_fn`` is not
            callable.
        ValueError: ``reduction`` is not ``"mean"`` or ``"sum"``.
        CompileError: (at the first call) the graph may depend on the input values: the model
            or the loss reads a ``Value``'s number or draws from ``random``, NumPy's global
            generator or a NumPy ``Generator``/``RandomState`` (the message names it; see
            :mod:`~microgradnet.compile.trace` for what is not watched), or, inside
            ``no_grad()``, no graph can be recorded.
    """
    if not callable(model) or not callable(getattr(model, "parameters", None)):
        raise TypeError(
            "compile() needs a model that is callable and has parameters() (an MLP), "
            f"got {type(model).__name__}"
        )
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(output, target), got {type(loss_fn).__name__}")
    if regularizer is not None and not callable(regularizer):
        raise TypeError(f"regularizer must be callable with no arguments, got {type(regularizer).__name__}")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if classes is not None and not all(isinstance(c, (int, np.integer)) for c in classes):
        raise TypeError(f"classes must be integers, got {list(classes)!r}")
    if targets not in ("auto", "classes", "values"):
        raise ValueError(f"targets must be 'auto', 'classes' or 'values', got {targets!r}")
    return CompiledStep(model, loss_fn, reduction, regularizer, classes, targets)


#: the names of :data:`microgradnet.losses.LOSSES` that ``fit`` runs on the compiled path
FIT_LOSSES = tuple(name for name, spec in _losses.LOSSES.items() if spec.compiled)


def for_fit(model: Any, loss: str, l2: float = 0.0) -> CompiledStep:
    """The compiled step ``fit()`` uses for a named loss of :mod:`microgradnet.losses`.

    The per-sample loss is the loss's own (``losses.LOSSES[loss].sample``, the formula the
    eager batch function averages); the batch loss is its mean plus ``l2 · Σ p²``, as in eager
    ``fit``. Compiled: the names in :data:`FIT_LOSSES` — ``cross_entropy`` (integer classes),
    ``hinge`` (labels: > 0 is +1, else -1), ``binary_cross_entropy_with_logits`` (one output),
    ``mse`` and ``mae`` (one output and number targets, or several outputs and class labels as
    one-hot targets).

    Raises:
        CompileError: the loss is not one of those (``fit`` then trains eagerly).
    """
    spec = _losses.LOSSES.get(loss) if isinstance(loss, str) else None
    if spec is None or not spec.compiled:
        raise CompileError(f"the loss {loss!r} has no compiled form (compiled: {', '.join(FIT_LOSSES)})")
    reg: Callable[[], Value] | None = None
    if l2:  # (an MLP's parameters() walks every neuron: only when needed)
        params = list(model.parameters())
        reg = lambda: l2 * apply("dot", *params, *params)
    return compile(
        model, spec.sample, regularizer=reg, targets="classes" if spec.target == "class" else "auto"
    )


def evaluate_named(model: Any, loss: str, X: Any, y: Any) -> tuple[float, FloatArray]:
    """``(mean loss, outputs)`` of a named loss over ``(X, y)`` on the compiled path, forward only.

    Traces the model each call (``train.evaluate`` keeps compiled steps for models whose
    structure it can check). Raises :class:`CompileError` when the model or loss cannot be
    compiled.
    """
    return for_fit(model, loss).evaluate(X, y)
