"""Tracing: run the model and the per-sample loss once on placeholder ``Value``\\s.

A trace is the graph ``loss_fn(model(xs), target)`` built on placeholder inputs, with the
parameters as leaves. One tape can serve every sample only if that graph is the same for every
input, which holds exactly when the Python code that built it never looked at a number: no
``float(v)``, no ``v.data``, no comparison of a ``Value``, no draw from a random generator.
The engine's :func:`~microgradnet._watch.watch_reads` records every such read made while the
trace runs, which *proves* the graph data-independent, or names the read that makes it not; a
read is a :class:`CompileError`.

The global random generators (``random`` and NumPy's legacy one) are put back as they were
after tracing, so a failed trace leaves the eager run that follows unchanged.
"""

from __future__ import annotations

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
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.regularizer = regularizer

    def trace(self, n_features: int, targets: Targets, params: Sequence[Value]) -> Trace:
        """Trace once; raise :class:`CompileError` if building the graph read a number.

        Raises ``ValueError`` for a class the model has no output for.
        """
        if not is_grad_enabled():
            raise CompileError("cannot trace inside no_grad(): tracing records the graph")
        with _random_state_kept():
            xs, ys = _placeholders(n_features, targets.count)
            with watch_reads([*xs, *ys, *params]) as reads:
                trace = self._trace_once(xs, ys, targets)
        if reads:
            raise CompileError(_reads_message(list(reads)))
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
