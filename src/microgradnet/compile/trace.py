"""Tracing: run the model and the per-sample loss once on placeholder ``Value``\\s.

A trace is the graph ``loss_fn(model(xs), target)`` built on placeholder inputs, with the
parameters as leaves. One tape can serve every sample only if that graph is the same for every
input, which holds exactly when the Python code that built it never looked at a number: no
``float(v)``, no ``v.data``, no comparison of a ``Value``, no draw from a random generator.
The engine's ``watch_reads`` records every such read made while the trace runs, which *proves*
the graph data-independent, or names the read that makes it not; a read is a
:class:`CompileError`.

While the engine has no ``watch_reads``, the tracer falls back to the older check: it traces
at a random point and at the first and last rows of the first batch and compares the graphs.
That catches a data-dependent graph only on the inputs it tries.

The global random generators (``random`` and NumPy's legacy one) are put back as they were
after tracing, so a failed trace leaves the eager run that follows unchanged.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from microgradnet.compile.errors import CompileError
from microgradnet.engine import Value, _creation_order, is_grad_enabled

__all__ = ["Targets", "Trace", "Tracer", "order"]

#: ``watch_reads(leaves)``: a context manager yielding the list of reads made in its block
Watcher = Callable[[Sequence[Value]], AbstractContextManager[list[str]]]


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


def _watcher() -> Watcher | None:
    """The engine's ``watch_reads``, or ``None`` while the engine has none (see the module doc)."""
    for name in ("microgradnet._watch", "microgradnet.engine"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found: Watcher | None = getattr(module, "watch_reads", None)
        if found is not None:
            return found
    return None


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
        #: ``watch_reads``, looked up when tracing (tests may put in their own)
        self.watcher: Callable[[], Watcher | None] = _watcher

    def trace(
        self,
        n_features: int,
        targets: Targets,
        params: Sequence[Value],
        samples: Sequence[tuple[Any, Any]] = (),
    ) -> Trace:
        """Trace once; raise :class:`CompileError` if the graph depends on the data.

        ``samples`` are rows ``(x, target)`` of the data, used only without ``watch_reads``
        (the module docstring). Raises ``ValueError`` for a class the model has no output for.
        """
        if not is_grad_enabled():
            raise CompileError("cannot trace inside no_grad(): tracing records the graph")
        watch = self.watcher()
        with _random_state_kept():
            if watch is not None:
                xs, ys = _placeholders(np.zeros(n_features), np.zeros(targets.count))
                with watch([*xs, *ys, *params]) as reads:
                    trace = self._trace_once(xs, ys, targets)
                if reads:
                    raise CompileError(_reads_message(list(reads)))
                return trace
            return self._trace_sampled(n_features, targets, params, samples)

    def _trace_sampled(
        self, n_features: int, targets: Targets, params: Sequence[Value], samples: Sequence[tuple[Any, Any]]
    ) -> Trace:
        """The fallback check: the same graph at a random point and at the given rows."""
        where = {p: k for k, p in enumerate(params)}
        rng = np.random.default_rng(1)
        points = [(rng.normal(size=n_features), rng.normal(size=targets.count))]
        points += [(x, np.zeros(targets.count) if t is None else np.ravel(t)) for x, t in samples]
        first: Trace | None = None
        first_sig: list[tuple[Any, ...]] = []
        for x_row, t_row in points:
            xs, ys = _placeholders(x_row, t_row)
            trace = self._trace_once(xs, ys, targets)
            sig = _signature(trace, where)
            if first is None:
                first, first_sig = trace, sig
            elif sig != first_sig:
                raise CompileError(_difference(first_sig, sig))
        assert first is not None
        return first

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


def _placeholders(x_row: Any, t_row: Any) -> tuple[list[Value], list[Value]]:
    xs = [Value(float(v), label=f"x{k}") for k, v in enumerate(x_row)]
    ys = [Value(float(v), label=f"y{k}") for k, v in enumerate(t_row)]
    return xs, ys


def _as_value(v: Any, who: str) -> Value:
    if not isinstance(v, Value):
        raise CompileError(f"{who} must return a Value, got {type(v).__name__}")
    return v


# ---- the fallback check: comparing two traces ------------------------------------------------


def _signature(trace: Trace, params: dict[Value, int]) -> list[tuple[Any, ...]]:
    """The structure of a trace, comparable between traces (numbers of leaves left out)."""
    index = {node: k for k, node in enumerate(trace.nodes)}
    where = {x: k for k, x in enumerate(trace.inputs)}
    sig: list[tuple[Any, ...]] = []
    for node in trace.nodes:
        if node._entry is not None:
            sig.append((node.op, node.arg, tuple(index[c] for c in node.children)))
        elif node in where:
            sig.append(("input", where[node]))
        elif node in params:
            sig.append(("param", params[node]))
        else:
            sig.append(("constant", node.data))
    sig.append(("roots", tuple(index[r] for r in trace.roots)))
    return sig


def _describe(entry: tuple[Any, ...]) -> str:
    if entry[0] == "constant":
        return f"a constant {entry[1]!r}"
    if entry[0] in ("input", "param", "roots"):
        return f"{entry[0]} #{entry[1]}"
    return f"op {entry[0]!r}" + (f" (n={entry[1]!r})" if entry[1] is not None else "")


def _difference(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> str:
    why = (
        "the model and loss build a different graph for different inputs, so one tape cannot "
        "serve every sample (typical causes: Python control flow on data such as `if v > 0:` or "
        "`max(v.data ...)`, a constant computed from an input's .data, or randomness in the model); "
        "train with the eager engine instead (fit(..., compile=False))"
    )
    for k, (ea, eb) in enumerate(zip(a, b)):
        if ea != eb:
            hint = ""
            if ea[0] == eb[0] == "constant":
                hint = (
                    " A number was taken out of the graph with .data and put back as a constant;"
                    " compute it in the graph and detach it instead (v.detach(), as the losses of"
                    " microgradnet.losses shift logits by max(z).detach())."
                )
            first = f"First difference at node {k}: {_describe(ea)} vs {_describe(eb)}."
            return f"cannot compile: {why}. {first}{hint}"
    return f"cannot compile: {why}. The traces have {len(a)} and {len(b)} nodes."
