"""Tracing: run the model and the per-sample loss once on placeholder ``Value``\\s.

A trace is the graph ``loss_fn(model(xs), target)`` built on placeholder inputs, with the
parameters as leaves. One tape can serve every sample only if that graph is the same for every
input, which holds exactly when the Python code that built it never looked at a number: no
``float(v)``, no ``v.data``, no comparison of a ``Value``, no draw from a random generator.
The engine's :func:`~microgradnet._watch.watch_reads` records every such read made while the
trace runs (and this module every draw from a NumPy generator, below), so a trace with none of
them shows the graph does not depend on the input values through anything watched; a read is a
:class:`CompileError` that names it.

What is watched, exactly: reads of a placeholder's or a parameter's number (``float(v)``,
``v.data``, comparisons), draws from Python's ``random`` (the module's functions and any
``random.Random``), NumPy's legacy global generator (``np.random.rand`` and friends) and, when
code of yours runs in the trace (a model other than a plain ``nn.MLP``, or a loss or regularizer
of your own), every ``np.random.Generator``, ``RandomState`` and bit generator alive in the
process (found through the garbage collector, their states compared before and after). Not
watched: any other state your code consults (a counter, the clock, a file), and a generator
created inside the traced call itself. Draw dropout masks and other noise outside the compiled
step, or train eagerly (``fit(..., compile=False)``).

Every random generator above is put back as it was after tracing, so a failed trace leaves the
eager run that follows unchanged.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from microgradnet._watch import watch_reads
from microgradnet.compile.errors import CompileError
from microgradnet.engine import Value, _creation_order, is_grad_enabled

__all__ = ["Targets", "Trace", "Tracer", "order"]


@dataclass(frozen=True)
class Targets:
    """What the loss receives as the target of one sample.

    ``kind`` is ``"classes"`` (a Python ``int``; the loss is traced once per class in
    ``classes``), ``"values"`` (``count`` placeholder ``Value``\\s, passed as one ``Value`` when
    ``scalar``) or ``"none"`` (no loss: the model's outputs only, for ``predict``).
    """

    kind: str
    classes: tuple[int, ...] = ()
    count: int = 0
    scalar: bool = True


@dataclass
class Trace:
    """A traced graph: every node (leaves first, then each node after its operands), the roots
    (the per-sample losses, one per class in class mode, then the regularizer if any, then the
    model's outputs) and the placeholder leaves (inputs, then targets)."""

    nodes: list[Value]
    roots: list[Value]
    inputs: list[Value]
    #: how many of ``roots`` are losses that the backward pass seeds (the rest are outputs)
    n_losses: int
    #: the model returned one ``Value`` rather than a list
    single_output: bool


def order(roots: Sequence[Value]) -> list[Value]:
    """Every node the roots depend on: the leaves first, then the op nodes in creation order.

    Only op nodes made during this trace are ordered by the engine's creation index; leaves
    (parameters, maybe unpickled from another process with indices of that process) need no
    order, so the tape does not depend on where they came from.
    """
    nodes = _creation_order(*roots)
    return [n for n in nodes if n._entry is None] + [n for n in nodes if n._entry is not None]


@contextmanager
def _random_state_kept() -> Iterator[None]:
    """Put the global random generators back as they were (tracing must not consume draws)."""
    py_state = random.getstate()
    np_state = np.random.get_state()
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


#: what a changed NumPy generator is called in a :class:`CompileError`
NUMPY_DRAW = "a draw from a NumPy random generator (an np.random.Generator or RandomState of yours)"


def _numpy_generators() -> list[tuple[Any, Any]]:
    """Every NumPy ``RandomState`` and bit generator alive (but the legacy global one, which
    ``_watch`` and :func:`_random_state_kept` look after) with its state, bit generators first."""
    glob = np.random.mtrand._rand
    found: list[tuple[Any, Any]] = []
    legacy: list[tuple[Any, Any]] = []
    for obj in gc.get_objects():
        if isinstance(obj, np.random.BitGenerator):
            if obj is not glob._bit_generator:
                found.append((obj, obj.state))
        elif isinstance(obj, np.random.RandomState) and obj is not glob:
            legacy.append((obj, obj.get_state(legacy=True)))  # (with its cached Gaussian)
    return found + legacy


def _same_state(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(_same_state, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    return bool(a == b)


def _put_back(generators: list[tuple[Any, Any]]) -> bool:
    """Restore each generator's state; ``True`` if any had changed (something drew from it)."""
    drawn = False
    for gen, state in generators:
        if isinstance(gen, np.random.RandomState):
            if not _same_state(gen.get_state(legacy=True), state):
                drawn = True
                gen.set_state(state)
        elif not _same_state(gen.state, state):
            drawn = True
            gen.state = state
    return drawn


def _reads_message(reads: Sequence[str]) -> str:
    shown = "; ".join(reads[:3]) + (f"; and {len(reads) - 3} more" if len(reads) > 3 else "")
    return (
        "cannot compile: the model or the loss reads a number out of a Value while it builds the "
        f"graph ({shown}), so the graph may differ from one input to the next and one tape "
        "cannot serve every sample (Python control flow such as `if float(x) > 0:`, a constant "
        "taken from .data, or a random draw). Train with the eager engine instead "
        "(fit(..., compile=False))"
    )


class Tracer:
    """Traces ``loss_fn(model(xs), target)`` (plus ``regularizer()``) on placeholders."""

    def __init__(
        self,
        model: Any,
        loss_fn: Callable[[Any, Any], Value] | None,
        regularizer: Callable[[], Value] | None,
        user_code: bool = True,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.regularizer = regularizer
        #: ``False`` only when everything traced is microgradnet's own code, which draws from no
        #: NumPy generator (then they are not looked for)
        self.user_code = user_code

    def trace(self, n_features: int, targets: Targets, params: Sequence[Value]) -> Trace:
        """Trace once; raise :class:`CompileError` if building the graph read a number.

        Raises ``ValueError`` for a class the model has no output for.
        """
        if not is_grad_enabled():
            raise CompileError("cannot trace inside no_grad(): tracing records the graph")
        with _random_state_kept():
            xs, ys = _placeholders(n_features, targets.count)
            generators = _numpy_generators() if self.user_code else []
            drawn = False
            try:
                with watch_reads([*xs, *ys, *params]) as reads:
                    trace = self._trace_once(xs, ys, targets)
            finally:
                drawn = _put_back(generators)
        found = [*reads, *([NUMPY_DRAW] if drawn else [])]
        if found:
            raise CompileError(_reads_message(found))
        return trace

    def _trace_once(self, xs: list[Value], ys: list[Value], targets: Targets) -> Trace:
        out = self.model(xs)
        outputs = list(out) if isinstance(out, (list, tuple)) else [out]
        if not all(isinstance(o, Value) for o in outputs):
            raise CompileError(f"the model must return a Value or a list of Values, got {type(out).__name__}")
        roots: list[Value] = []
        if targets.kind != "none":
            assert self.loss_fn is not None
            if targets.kind == "classes":
                for k in targets.classes:
                    try:
                        roots.append(_as_value(self.loss_fn(out, k), "loss_fn"))
                    except IndexError as exc:  # a class the model has no output for
                        raise ValueError(
                            f"y holds class {k}, but the model has {len(outputs)} outputs: "
                            f"class labels must be 0..{len(outputs) - 1}"
                        ) from exc
            else:
                target: Any = ys[0] if targets.scalar else ys
                roots.append(_as_value(self.loss_fn(out, target), "loss_fn"))
            if self.regularizer is not None:
                roots.append(_as_value(self.regularizer(), "regularizer"))
        n_losses = len(roots)
        roots += outputs  # so that each step can also report the model's outputs
        return Trace(
            nodes=order(roots),
            roots=roots,
            inputs=xs + ys,
            n_losses=n_losses,
            single_output=not isinstance(out, (list, tuple)),
        )


def _placeholders(n_inputs: int, n_targets: int) -> tuple[list[Value], list[Value]]:
    xs = [Value(0.0, label=f"x{k}") for k in range(n_inputs)]
    ys = [Value(0.0, label=f"y{k}") for k in range(n_targets)]
    return xs, ys


def _as_value(v: Any, who: str) -> Value:
    if not isinstance(v, Value):
        raise CompileError(f"{who} must return a Value, got {type(v).__name__}")
    return v
