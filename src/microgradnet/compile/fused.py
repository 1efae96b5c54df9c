"""Fused training: the parameters and the optimizer's state kept in arrays for a run of steps.

Once the tape runs a minibatch in a few NumPy calls, what remains per step is Python work per
parameter: reading ``.data``, writing ``.grad``, the optimizer's loop. A :class:`FusedTrainer`
skips it: it reads the parameters and the optimizer's state into arrays once, runs each step's
forward and backward (the tape's generated program, :mod:`~microgradnet.compile.program`) into
a gradient array and applies the optimizer's own update rule to the arrays, in place
(:mod:`~microgradnet.compile.update`), and writes everything back at the end
(:meth:`FusedTrainer.sync`).

The arrays are kept twice: a step reads the parameters and the optimizer's state from one set
and writes the updated ones into the other, then the two swap. So a step that fails — or is
interrupted — half way leaves the last completed step's numbers whole, and no step allocates.

It talks to the optimizer only through the interface documented in :mod:`microgradnet.optim`:
``update_rule(step, sqrt)`` (the rule of a step, hyper-parameters bound), ``buffers()`` (its
state) and ``advance(steps, buffers)`` (the state back after ``steps`` steps run elsewhere).
:meth:`FusedTrainer.step` is the hot path of compiled training.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from microgradnet import data as _data
from microgradnet import optim as _optim
from microgradnet.compile import update as _update
from microgradnet.compile.arrays import FloatArray
from microgradnet.compile.errors import CompileError
from microgradnet.compile.program import Stores
from microgradnet.compile.tape import Tape
from microgradnet.engine import Value

if TYPE_CHECKING:  # step.py builds a FusedTrainer in CompiledStep.trainer()
    from microgradnet.compile.step import CompiledStep

__all__ = ["FusedTrainer"]

_DATA = attrgetter("data")


def _fused_reason(optimizer: Any, params: list[Value]) -> str | None:
    """Why ``optimizer`` cannot run fused over ``params`` (``None``: it can)."""
    if not isinstance(optimizer, _optim.Optimizer):
        return f"{type(optimizer).__name__} is not a microgradnet.optim optimizer"
    kind = type(optimizer)
    if kind.step is not _optim.Optimizer.step or kind.update_rule is _optim.Optimizer.update_rule:
        return f"{kind.__name__} has its own step() and no array update rule (update_rule)"
    if len(set(params)) != len(params) or set(optimizer.params) != set(params):
        return "the optimizer's parameters are not exactly the model's parameters"
    return None


class FusedTrainer:
    """Compiled training with the parameters and the optimizer's state held in NumPy arrays.

    What :meth:`CompiledStep.trainer` returns. Each :meth:`step` runs one minibatch — the tape
    forward and backward into a gradient array, then the optimizer's own update rule
    (:func:`microgradnet.optim.sgd_rule`, :func:`~microgradnet.optim.adam_rule`) on arrays —
    with no Python work per parameter. The ``Value``\\s and the optimizer are brought up to
    date by :meth:`sync`, which :meth:`run` and :meth:`epoch` call at their end (also when they
    raise). After a sync everything is as after the same number of eager steps
    (``opt.zero_grad(); loss.backward(); opt.step()``): each parameter's ``.data``, its
    ``.grad`` (the last minibatch's gradient), the optimizer's step count and buffers, so an
    eager ``opt.step()`` continues identically. If a step raises, the arrays keep the last
    completed step, and the next sync writes that.

    Between a :meth:`step` and the next :meth:`sync`, the ``Value``\\s are stale: read
    parameters only after a sync. A sync also makes the next step read the ``Value``\\s and the
    optimizer again, so changes made between runs (a loaded checkpoint) are picked up.

    An optimizer it cannot fuse (not one of :mod:`microgradnet.optim`'s, a subclass with its
    own ``step()``, or one that does not update exactly the model's parameters) is run per
    step instead (``zero_grad``, compiled forward/backward into the ``Value``\\s,
    ``optimizer.step()``); :attr:`fallback_reason` says why.
    """

    def __init__(self, compiled: CompiledStep, optimizer: Any) -> None:
        if not (
            callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))
        ):
            raise TypeError(f"optimizer must have step() and zero_grad() (an optim.SGD), got {optimizer!r}")
        self.compiled = compiled
        self.optimizer = optimizer
        #: the model's parameters, in the order of the arrays (read once: an MLP's
        #: ``parameters()`` walks every neuron, which costs more than a fused epoch of MNIST)
        self.params: list[Value] = list(compiled.model.parameters())
        #: why steps run unfused (``None`` when they are fused)
        self.fallback_reason: str | None = _fused_reason(optimizer, self.params)
        self._order: NDArray[np.intp] | None = None
        if self.fallback_reason is None and optimizer.params != self.params:
            row = {p: k for k, p in enumerate(self.params)}  # the same parameters in another order
            self._order = np.array([row[p] for p in optimizer.params], dtype=np.intp)
        self._loaded = False
        self._pending: FloatArray | None = None  # parameters read from the Values, not yet placed
        self._tape: Tape | None = None
        self._stores: tuple[Stores, Stores] | None = None
        self._bufs: list[list[FloatArray]] = [[], []]
        self._cur = 0  # the set holding the last completed step's parameters and buffers
        self._grad_at: int | None = None  # the set whose gradient is the last completed step's
        self._done = 0
        self._tape_params: list[Value] | None = None
        self._recorder = _update.Recorder(len(self.params))

    @property
    def last_outputs(self) -> FloatArray:
        """The model's outputs on the last minibatch (before its update), (rows, outputs)."""
        return self.compiled.last_outputs

    def _load(self) -> None:
        if self.fallback_reason is not None:
            return
        self._pending = np.fromiter(map(_DATA, self.params), float, len(self.params))
        bufs = [np.array(b, dtype=float) for b in self.optimizer.buffers()]
        self._bufs = [bufs, [np.empty_like(b) for b in bufs]]
        self._cur, self._grad_at, self._done = 0, None, 0
        self._loaded = True

    def _bind(self, tape: Tape) -> None:
        """Run on ``tape`` from now on: the stores are the tape's (made the first time, and
        again if the compiled step traced a new tape); the current parameters go into them."""
        if self._stores is None or self._tape is not tape:
            new = (Stores(tape), Stores(tape))
            if self._pending is None and self._stores is not None:  # a new tape mid-run
                new[0].params[:] = self._stores[self._cur].params
                if self._grad_at is not None:
                    new[1].grads[:] = self._stores[self._grad_at].grads
                    self._grad_at = 1
                self._bufs = [self._bufs[self._cur], self._bufs[1 - self._cur]]
            self._stores, self._tape, self._cur = new, tape, 0
        if self._pending is not None:
            self._stores[0].params[:] = self._pending
            self._pending = None

    def step(self, X: Any, y: Any) -> float:
        """One minibatch: forward, backward and the optimizer's update, on arrays.

        Returns the batch loss (before the update). The ``Value``\\s are not updated until
        :meth:`sync`. Raises as calling the :class:`CompiledStep` does, or the optimizer's
        ``ValueError``/``TypeError`` for a bad scheduled learning rate; either way the arrays
        keep the last completed step.
        """
        with self.compiled._lock, np.errstate(all="ignore"):  # (IEEE results, as in the engine)
            return self._step(X, y)

    def _step(self, X: Any, y: Any) -> float:
        """:meth:`step`, holding the compiled step's lock inside ``np.errstate(all="ignore")``."""
        if not self._loaded:
            self._load()
        opt = self.optimizer
        if self.fallback_reason is not None:
            opt.zero_grad()
            loss: float = self.compiled(X, y)
            opt.step()
            return loss
        number = opt.steps + self._done
        rule = opt.update_rule(number, _update.SQRT)  # checks the lr before any change
        batch = self.compiled._prepare(X, y)
        if self.compiled._params is not self._tape_params:  # (re)traced: same parameters?
            if self.compiled._params != self.params:
                raise CompileError(
                    "the model's parameters() changed after the trainer was made; make a new trainer"
                )
            self._tape_params = self.compiled._params
        if self._pending is not None or batch.tape is not self._tape:
            self._bind(batch.tape)
        assert self._stores is not None
        c = self._cur
        now, after = self._stores[c], self._stores[1 - c]
        total = self.compiled._forward(batch, now, backward=True)
        self.compiled._backward(batch, now)
        self._update(rule, number, now, after, c)
        self._cur, self._grad_at, self._done = 1 - c, c, self._done + 1  # the step is complete
        return total

    def _update(self, rule: Any, number: int, now: Stores, after: Stores, c: int) -> None:
        """The optimizer's rule from ``now``'s parameters and the buffers of set ``c`` into
        ``after``'s parameters and the other set's buffers."""
        bufs, new_bufs = self._bufs[c], self._bufs[1 - c]
        p, g = now.params, now.grads
        if self._order is None:
            recorded = self._recorder.record(rule, 2 + len(bufs))
            if recorded is not None:
                self._recorder.run(recorded, [p, g, *bufs], [after.params, *new_bufs])
                return
            results = self.optimizer.update_rule(number, np.sqrt)(p, g, *bufs)
            after.params[:] = results[0]
        else:  # the optimizer lists the parameters in another order
            results = self.optimizer.update_rule(number, np.sqrt)(p[self._order], g[self._order], *bufs)
            after.params[self._order] = results[0]
        for new, value in zip(new_bufs, results[1:]):
            new[:] = value

    def sync(self) -> None:
        """Write the arrays back: each parameter's ``.data`` and ``.grad``, and the optimizer's
        step count and buffers (``optimizer.advance``). Does nothing when no fused step ran
        since the last sync."""
        if not self._loaded:
            return
        self._loaded = False
        if self._done == 0 or self._grad_at is None or self._stores is None:
            return
        values = self._stores[self._cur].params.tolist()
        grads = (self._stores[self._grad_at].grads + 0.0).tolist()
        for p, v, g in zip(self.params, values, grads):
            p.data = v
            p.grad = g
        self.optimizer.advance(self._done, self._bufs[self._cur])
        self._done = 0

    def run(self, batches: Iterable[tuple[Any, Any]]) -> list[float]:
        """:meth:`step` on every ``(X, y)`` minibatch, then :meth:`sync` (also on an error).

        Returns the loss of each minibatch.
        """
        try:
            with self.compiled._lock, np.errstate(all="ignore"):
                return [self._step(X, y) for X, y in batches]
        finally:
            self.sync()

    def epoch(
        self, X: Any, y: Any, batch_size: int = 32, shuffle: bool = True, seed: _data.Seed = 0
    ) -> float:
        """One pass over ``(X, y)`` in minibatches (as :func:`microgradnet.data.minibatches`),
        then :meth:`sync`. Returns the mean loss over the samples (each batch weighted by its
        size). Raises ``ValueError`` for a bad batch size or mismatched ``X``/``y`` before any
        step.
        """
        sizes: list[int] = []

        def sized(batches: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
            # one batch at a time (a shuffled copy of the whole set would double the memory)
            for Xb, yb in batches:
                sizes.append(len(Xb))
                yield Xb, yb

        losses = self.run(sized(_data.minibatches(X, y, batch_size, shuffle=shuffle, seed=seed)))
        return float(np.dot(losses, sizes) / sum(sizes))

    def __repr__(self) -> str:
        how = "fused" if self.fallback_reason is None else f"per step ({self.fallback_reason})"
        return f"FusedTrainer({type(self.optimizer).__name__}, {how})"
