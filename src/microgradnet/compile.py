"""Compile a model and its loss into a tape that runs a whole minibatch on NumPy arrays.

The eager engine executes one Python operation per scalar op. A model plus its loss builds the
*same* graph for every sample; only the numbers differ. So :func:`compile` builds that graph once,
with placeholder inputs, and turns it into a flat *tape*:

1. **Trace.** Call ``loss_fn(model(xs), y)`` on placeholder ``Value``\\s: random numbers, then
   the first and last rows of the first batch. If the graphs differ (an ``if`` on ``.data``, a
   constant computed from an input), the graph depends on the data and cannot be compiled:
   :class:`CompileError`.
2. **Group.** Nodes that apply the same op to the same operands are one row (the per-class
   branches of a loss share its softmax). Every node gets a depth (1 + the deepest operand).
   Nodes with the same op, the same depth and the same number of operands can run together:
   they become one step of the tape.
   A layer's 16 tanh nodes are one ``np.tanh`` call; its dot products are one matrix multiply.
3. **Run.** Each tape step gathers its operands from a store with one row per node and one column
   per sample, and evaluates the op's *forward formula from the op table* on those arrays. The
   backward pass walks the steps in reverse and evaluates the op's *derivative formulas*, again
   from the table (``op.compile_grads(numpy functions)``), adding ``local × upstream`` into the
   operands' rows. Parameters have one column (they are the same for every sample), so their
   gradients are summed over the batch — exactly what the eager loss ``mean(losses)`` gives.
4. **Write back.** The parameter gradients are added into the same ``Value.grad`` that eager
   ``backward()`` fills, so any optimizer works unchanged.
5. **Fuse (optional).** Once the tape is fast, what remains per step is Python work per
   parameter: reading ``.data``, writing ``.grad``, the optimizer's loop. ``step.trainer(opt)``
   (a :class:`FusedTrainer`) keeps the parameters and the optimizer's state in arrays for a run
   of minibatches, applies the optimizer's own update rule (``optim.sgd_rule``,
   ``optim.adam_rule``: written once, run on floats eagerly and on arrays here) and writes
   everything back into the ``Value``\\s and the optimizer at the end (``sync()``).

Targets: float targets become placeholder ``Value``\\s (one per column of ``y``). Integer class
targets (``loss_fn(out, 3)`` picks an output with a Python int) are handled by tracing the loss
once per class and letting each sample select its class's branch.

This module imports NumPy and the layers below it; it never imports ``nn`` or ``train``: a model
is anything callable with a ``parameters()`` method.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microgradnet import data as _data
from microgradnet import optim as _optim
from microgradnet.engine import Value, _creation_order, apply, no_grad
from microgradnet.ops import FLOAT_FUNCTIONS, OPS, Op

__all__ = [
    "FIT_LOSSES",
    "CompileError",
    "CompiledStep",
    "FusedTrainer",
    "compile",
    "evaluate_named",
    "for_fit",
]

FloatArray = NDArray[np.float64]


class CompileError(ValueError):
    """The model and loss cannot be compiled into one tape; the message says why."""


# ---- the op table on NumPy arrays ----------------------------------------------------------


def _np_sigmoid(x: Any) -> Any:
    z = np.exp(-np.abs(x))  # never overflows; same formulas as ops.sigmoid on each side
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _np_step(x: Any) -> Any:
    return np.where(x > 0, 1.0, np.where(np.isnan(x), np.nan, 0.0))


#: NumPy versions of the primitives in :data:`~microgradnet.ops.FLOAT_FUNCTIONS`. Variadic ones
#: receive their operands stacked along axis 0.
NUMPY_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "div": np.divide,
    "pow": np.power,
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": _np_sigmoid,
    "relu": lambda x: np.where(x <= 0, 0.0, x),
    "sin": np.sin,
    "cos": np.cos,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "step": _np_step,
    "sign": np.sign,
    "iszero": lambda x: np.where(x == 0, 1.0, 0.0),
    "sum": lambda xs: np.sum(xs, axis=0),
    "dot": lambda x, w: np.sum(np.multiply(x, w), axis=0),
}


def _numpy_namespace() -> dict[str, Any]:
    """NumPy functions for every name a formula may call; user ops are vectorised floats."""
    ns: dict[str, Any] = {name: np.vectorize(fn, otypes=[float]) for name, fn in FLOAT_FUNCTIONS.items()}
    ns.update(NUMPY_FUNCTIONS)
    return ns


def _forward_fn(op: Op, ns: dict[str, Any]) -> Callable[..., Any]:
    """``f(xs, arg)`` on stacked operand arrays, from the op's forward formula."""
    compiled = op.compile_forward(ns)
    if compiled is not None:
        return lambda xs, arg: compiled(xs, None, arg)
    # a user op given as a Python float function: vectorise it (correct, not fast)
    one = np.vectorize(lambda *x: op.float_forward(x[:-1], 0.0, x[-1]), otypes=[float])
    return lambda xs, arg: one(*xs, np.nan if arg is None else arg)


# ---- tracing -------------------------------------------------------------------------------


@dataclass
class _Trace:
    """A traced graph: nodes in topological order plus what each leaf is."""

    nodes: list[Value]
    roots: list[Value]  # per-sample losses (one per class in class mode), then extra roots
    inputs: list[Value]


def _signature(trace: _Trace, inputs: list[Value], params: dict[Value, int]) -> list[tuple[Any, ...]]:
    """The structure of a trace, comparable between traces (numbers of leaves left out)."""
    index = {node: k for k, node in enumerate(trace.nodes)}
    where = {x: k for k, x in enumerate(inputs)}
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


# ---- the tape ------------------------------------------------------------------------------


@dataclass
class _Step:
    """One tape step: ``size`` nodes with the same op and depth, evaluated together."""

    op: Op
    arg: float | None
    batched: bool  # True: rows of the per-sample store; False: rows of the parameter store
    rows: slice  # where the outputs go
    idx: NDArray[np.intp]  # (operands, size): operand rows
    in_batch: NDArray[np.bool_]  # (operands, size): operand lives in the per-sample store
    forward: Callable[..., Any]
    grads: Callable[..., Any]
    depth: int = 0
    matmul: bool = False  # a layer of dot products with shared inputs: W @ X
    mode: str = "b"  # operands: "b" all per-sample, "s" all shared, "mix"
    needs_grad: bool = True  # False: only a stability shift, no gradient flows back through it
    rows_b: _Rows | None = None  # the per-sample operands' rows
    rows_s: _Rows | None = None  # the shared operands' rows


class _Rows:
    """A fixed list of store rows to read from and add into, planned once for speed.

    Contiguous rows become a slice (a view, no copy); rows that repeat (``a*a``, a shared
    ``m`` in ``z - m``) are summed with a small 0/1 matrix, because ``G[rows] += v`` would add
    a repeated row only once.
    """

    def __init__(self, rows: NDArray[np.intp]) -> None:
        self.shape = rows.shape
        flat = rows.ravel()
        self.flat = flat
        self.rows = flat
        self.slice: slice | None = None
        self.merge: FloatArray | None = None
        uniq, inverse = np.unique(flat, return_inverse=True)
        self.unique = len(uniq) == len(flat)
        if len(flat) and np.array_equal(flat, np.arange(flat[0], flat[0] + len(flat))):
            self.slice = slice(int(flat[0]), int(flat[0]) + len(flat))
        elif len(uniq) < len(flat) and len(uniq) * len(flat) <= 1_000_000:
            self.rows = uniq
            self.merge = np.zeros((len(uniq), len(flat)))
            self.merge[inverse.ravel(), np.arange(len(flat))] = 1.0

    def read(self, G: FloatArray) -> FloatArray:
        """``G[rows]``, shaped (*rows.shape, columns)."""
        if self.slice is not None:
            return G[self.slice].reshape(self.shape + G.shape[1:])
        return G[self.flat].reshape(self.shape + G.shape[1:])

    def add(self, G: FloatArray, values: FloatArray) -> None:
        """``G[rows] += values`` with every occurrence of a repeated row counted."""
        v = values.reshape(-1, G.shape[1])
        if self.slice is not None:
            G[self.slice] += v
        elif self.merge is not None and np.isfinite(v).all():  # (0 * inf in a product is nan)
            G[self.rows] += self.merge @ v
        elif self.merge is not None:
            np.add.at(G, self.flat, v)
        elif self.unique:
            G[self.rows] += v
        else:  # many repeats and too many rows for a merge matrix
            np.add.at(G, self.rows, v)


class _Tape:
    """A traced graph grouped into steps, ready to run on a minibatch."""

    def __init__(self, trace: _Trace, params: list[Value], n_targets: int) -> None:
        ns = _numpy_namespace()
        param_row = {p: k for k, p in enumerate(params)}
        input_row = {x: k for k, x in enumerate(trace.inputs)}
        # --- classify nodes: per-sample (batched) or the same for every sample
        batched: dict[Value, bool] = {}
        depth: dict[Value, int] = {}
        consts: list[Value] = []
        for node in trace.nodes:
            if node._entry is None:
                batched[node] = node in input_row
                depth[node] = 0
                if node not in input_row and node not in param_row:
                    consts.append(node)
            else:
                batched[node] = any(batched[c] for c in node.children)
                depth[node] = 1 + max(depth[c] for c in node.children)
        # --- one row for nodes that compute the same thing (the same op on the same operands):
        # the per-class branches of a loss repeat the shared part (a softmax's shift and sum)
        canon: dict[Value, Value] = {}
        seen: dict[tuple[Any, ...], Value] = {}
        for node in trace.nodes:
            if node._entry is None:
                canon[node] = node
                continue
            same = (node.op, node.arg, tuple(canon[c] for c in node.children))
            canon[node] = seen.setdefault(same, node)
        # --- group interior nodes by (depth, batched, op, arg, operand count)
        groups: dict[tuple[Any, ...], list[Value]] = {}
        for node in trace.nodes:
            if node._entry is not None and canon[node] is node:
                key = (depth[node], not batched[node], node.op, node.arg, len(node.children))
                groups.setdefault(key, []).append(node)
        # --- rows: per-sample store = inputs, then groups; parameter store = params, consts, groups
        b_row: dict[Value, int] = dict(input_row)
        s_row: dict[Value, int] = dict(param_row)
        for c in consts:
            s_row[c] = len(s_row)
        self.n_b = len(b_row)
        self.n_s = len(s_row)
        placed: list[tuple[list[Value], bool, int]] = []
        position = {node: k for k, node in enumerate(trace.nodes)}
        for key in sorted(groups, key=lambda k: (k[0], position[groups[k][0]])):
            members = groups[key]
            is_b = batched[members[0]]
            start = self.n_b if is_b else self.n_s
            for j, node in enumerate(members):
                (b_row if is_b else s_row)[node] = start + j
            if is_b:
                self.n_b += len(members)
            else:
                self.n_s += len(members)
            placed.append((members, is_b, start))
        for node, first in canon.items():
            if first is not node:
                (b_row if batched[node] else s_row)[node] = (b_row if batched[first] else s_row)[first]
        self.const_rows = np.array([s_row[c] for c in consts], dtype=np.intp)
        self.const_values = np.array([c.data for c in consts], dtype=float)
        self.n_params = len(params)
        self.n_inputs = len(trace.inputs)
        self.n_targets = n_targets
        # --- steps
        fwd_cache: dict[Op, Callable[..., Any]] = {}
        grad_cache: dict[Op, Callable[..., Any]] = {}
        self.steps: list[_Step] = []
        for members, is_b, start in placed:
            op = members[0]._entry
            assert op is not None
            if op not in fwd_cache:
                fwd_cache[op] = _forward_fn(op, ns)
                grad_cache[op] = op.compile_grads(ns)
            n_ops = len(members[0].children)
            in_b = np.array([[batched[c] for c in m.children] for m in members], dtype=bool).T
            idx = np.array(
                [[b_row[c] if batched[c] else s_row[c] for c in m.children] for m in members], dtype=np.intp
            ).T.reshape(n_ops, len(members))
            step = _Step(
                op=op,
                arg=members[0].arg,
                batched=is_b,
                rows=slice(start, start + len(members)),
                idx=idx,
                in_batch=in_b.reshape(n_ops, len(members)),
                forward=fwd_cache[op],
                grads=grad_cache[op],
                depth=depth[members[0]],
            )
            step.matmul = _is_layer_matmul(op, step)
            step.needs_grad = not all(m in _SHIFT_NODES for m in members)
            mask = step.in_batch
            if step.matmul:
                pass  # planned below
            elif mask.all():
                step.mode, step.rows_b = "b", _Rows(idx)
            elif not mask.any():
                step.mode, step.rows_s = "s", _Rows(idx)
            else:
                step.mode, step.rows_b, step.rows_s = "mix", _Rows(idx[mask]), _Rows(idx[~mask])
            if step.matmul:
                n = idx.shape[0] // 2
                step.rows_b, step.rows_s = _Rows(idx[:n, 0]), _Rows(idx[n:].T)
            self.steps.append(step)
        self.root_rows = [(b_row[r], True) if batched[r] else (s_row[r], False) for r in trace.roots]

    # ---- running ---------------------------------------------------------------------------

    def forward(self, inputs: FloatArray, param_values: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Fill the stores: ``V`` (per-sample rows × batch) and ``S`` (shared rows × 1)."""
        batch = inputs.shape[1]
        V = np.empty((self.n_b, batch))
        S = np.empty((self.n_s, 1))
        V[: self.n_inputs] = inputs
        S[: self.n_params, 0] = param_values
        S[self.const_rows, 0] = self.const_values
        with np.errstate(all="ignore"):  # IEEE results, as in the eager engine
            for step in self.steps:
                if step.matmul:
                    assert step.rows_b is not None and step.rows_s is not None
                    out = step.rows_s.read(S)[:, :, 0] @ step.rows_b.read(V)
                else:
                    out = step.forward(_gather(step, V, S), step.arg)
                (V if step.batched else S)[step.rows] = out
        return V, S

    def backward(self, V: FloatArray, S: FloatArray, GV: FloatArray, GS: FloatArray) -> None:
        """Given the roots' seeds in ``GV``/``GS``, propagate gradients to every row."""
        with np.errstate(all="ignore"):
            for step in reversed(self.steps):
                if not step.needs_grad:
                    continue
                up = (GV if step.batched else GS)[step.rows]
                if step.matmul:  # out = W @ X: dX = W.T @ up, dW = up @ X.T (summed over the batch)
                    assert step.rows_b is not None and step.rows_s is not None
                    W = step.rows_s.read(S)[:, :, 0]
                    step.rows_b.add(GV, W.T @ up)
                    step.rows_s.add(GS, up @ step.rows_b.read(V).T)
                    continue
                xs = _gather(step, V, S)
                out = (V if step.batched else S)[step.rows]
                local = step.grads(xs, out, step.arg)
                contrib = _contributions(local, up, xs.shape[:2] + (up.shape[1],))
                if step.mode == "b":
                    assert step.rows_b is not None
                    step.rows_b.add(GV, contrib)
                elif step.mode == "s":
                    assert step.rows_s is not None
                    step.rows_s.add(GS, contrib.sum(axis=2, keepdims=True))
                else:  # shared operands of a per-sample node: sum their gradient over the batch
                    assert step.rows_b is not None and step.rows_s is not None
                    step.rows_b.add(GV, contrib[step.in_batch])
                    step.rows_s.add(GS, contrib[~step.in_batch].sum(axis=1, keepdims=True))


def _is_layer_matmul(op: Op, step: _Step) -> bool:
    """A group of ``dot`` nodes over the same per-sample inputs and shared weights: ``W @ X``.

    Only for the table's own ``dot`` (forward ``dot(x, w)``, derivatives ``w[i]`` and ``x[i]``),
    whose vector-Jacobian products are then ``W.T @ upstream`` and ``upstream @ X.T``.
    """
    if op is not OPS.get("dot") or op.forward != "dot(x, w)" or op.grads != ("w[i]", "x[i]"):
        return False
    n = step.idx.shape[0] // 2
    xs = step.idx[:n]
    return (
        step.batched
        and bool(step.in_batch[:n].all())
        and not step.in_batch[n:].any()
        and bool((xs == xs[:, :1]).all())
        and len(np.unique(xs[:, 0])) == n
    )


def _contributions(local: Sequence[Any], up: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    """``local[k] * up`` for every operand ``k``, as one (operands, nodes, batch) array."""
    if len(local) > 4:  # variadic: one array for all operands at once when the shapes agree
        try:
            stacked = np.asarray(local, dtype=float)
        except ValueError:  # ragged: a mix of numbers and arrays
            stacked = np.zeros(0)
        if stacked.ndim == 3:
            product: FloatArray = np.multiply(stacked, up)
            return product
    out = np.empty(shape)
    for k, d in enumerate(local):
        out[k] = np.multiply(d, up)
    return out


def _gather(step: _Step, V: FloatArray, S: FloatArray) -> FloatArray:
    """The operands of a step, stacked: shape (operands, nodes, batch or 1)."""
    if step.mode == "b":
        return V[step.idx] if step.rows_b is None or step.rows_b.slice is None else step.rows_b.read(V)
    if step.mode == "s":
        return S[step.idx]
    mask = step.in_batch
    out = np.empty(step.idx.shape + (V.shape[1],))
    out[mask] = V[step.idx[mask]]
    out[~mask] = S[step.idx[~mask]]
    return out


# ---- the user-facing step ------------------------------------------------------------------


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
        self._tapes: dict[tuple[Any, ...], tuple[_Tape, list[int] | None]] = {}
        self._params: list[Value] = []
        self._single_output = False
        #: the model's outputs for each row of the last ``step(X, y)`` batch, (rows, outputs)
        self.last_outputs: FloatArray = np.zeros((0, 0))

    # ---- public ----------------------------------------------------------------------------

    def __call__(self, X: Any, y: Any) -> float:
        """Forward and backward on the minibatch ``X`` (rows = samples), targets ``y``.

        Returns the batch loss: the mean (or sum, with ``reduction="sum"``) of
        ``loss_fn(model(x), target)`` over the rows, plus the regularizer. Adds the gradient
        of that loss into every parameter's ``.grad``.

        Raises:
            ValueError: ``X``/``y`` have the wrong shape, or ``y`` holds a class the model
                cannot have (class mode).
            CompileError: the model and loss build a different graph for different inputs.
        """
        return self._run(X, y, backward=True)

    def evaluate(self, X: Any, y: Any, chunk: int = 1024) -> tuple[float, FloatArray]:
        """The loss over all rows of ``X`` and the model's outputs (rows, outputs), forward only.

        Runs ``chunk`` rows at a time (memory stays bounded for 60,000 MNIST images) and
        changes no ``data`` and no ``grad``. Raises as calling the step does.
        """
        Xa = _as_2d(X, "X")
        ya = np.asarray(y)
        if ya.shape[:1] != Xa.shape[:1]:
            raise ValueError(f"X has {Xa.shape[0]} rows but y has shape {ya.shape}; give one target per row")
        total, outs = 0.0, []
        for start in range(0, len(Xa), chunk):
            part = self._run(Xa[start : start + chunk], ya[start : start + chunk], backward=False)
            n = len(Xa[start : start + chunk])
            total += part * n if self.reduction == "mean" else part
            outs.append(self.last_outputs)
        return (total / len(Xa) if self.reduction == "mean" else total), np.concatenate(outs)

    def _run(self, X: Any, y: Any, backward: bool) -> float:
        total, gs = self._forward_backward(X, y, None, backward)
        if gs is None:
            return total
        params = self._params
        grads = np.fromiter(map(_GRAD, params), float, len(params)) + gs
        for p, g in zip(params, grads.tolist()):  # p.grad += g (the sum was done in NumPy)
            p.grad = g
        return total

    def _forward_backward(
        self, X: Any, y: Any, pvals: FloatArray | None, backward: bool
    ) -> tuple[float, FloatArray | None]:
        """The batch loss and (with ``backward``) the parameter gradients, in the order of
        ``self._params``; parameter values from ``pvals``, or read from the ``Value``\\s."""
        if self.loss_fn is None:
            raise CompileError("this compiled model has no loss_fn; only predict() is available")
        Xa, targets, key = self._check(X, y)
        tape, classes = self._tape(key, Xa, targets)
        params = self._params
        if pvals is None:
            pvals = np.fromiter(map(_DATA, params), float, len(params))
        batch = Xa.shape[0]
        inputs = Xa.T if classes is not None else np.vstack([Xa.T, targets.T])
        V, S = tape.forward(np.ascontiguousarray(inputs), pvals)
        GV = np.zeros_like(V)
        GS = np.zeros_like(S)
        seed = 1.0 / batch if self.reduction == "mean" else 1.0
        per_sample = tape.root_rows[: len(classes) if classes is not None else 1]
        if any(not b for _, b in per_sample):
            raise CompileError("the loss does not depend on the inputs: nothing to compile per sample")
        rows = np.array([r for r, _ in per_sample], dtype=np.intp)
        cols = np.arange(batch)
        pick = np.searchsorted(classes, targets) if classes is not None else np.zeros(batch, dtype=np.intp)
        losses = V[rows[pick], cols]
        GV[rows[pick], cols] = seed
        total = float(np.mean(losses) if self.reduction == "mean" else np.sum(losses))
        n_roots = len(per_sample)
        if self.regularizer is not None:
            r_row, r_batched = tape.root_rows[n_roots]
            total += float(V[r_row, 0] if r_batched else S[r_row, 0])
            (GV if r_batched else GS)[r_row] += 1.0
            n_roots += 1
        self.last_outputs = _outputs(tape.root_rows[n_roots:], V, S, batch)
        if not backward:
            return total, None
        tape.backward(V, S, GV, GS)
        return total, GS[: len(params), 0]

    def trainer(self, optimizer: Any) -> FusedTrainer:
        """A :class:`FusedTrainer` that trains with this step and ``optimizer`` (built on the
        model's parameters), keeping parameters and optimizer state in arrays between syncs.

        Raises ``TypeError`` if ``optimizer`` has no ``step()`` and ``zero_grad()``.
        """
        return FusedTrainer(self, optimizer)

    def describe(self) -> str:
        """The tapes traced so far, one line per step: depth, op, how many nodes it runs
        together, whether they run per sample or once (shared), and which become a matrix
        multiply. For teaching and debugging; the text is deterministic."""
        lines = []
        for key, (tape, _) in self._tapes.items():
            n_nodes = sum(st.rows.stop - st.rows.start for st in tape.steps)
            lines.append(f"tape for {key[0]} ({n_nodes} op nodes in {len(tape.steps)} steps):")
            for st in tape.steps:
                size = st.rows.stop - st.rows.start
                kind = "W @ X" if st.matmul else ("per sample" if st.batched else "shared")
                lines.append(f"  depth {st.depth:2d}  {st.op.name:8s} x{size:<4d} {kind}")
        return "\n".join(lines)

    def predict(self, X: Any) -> FloatArray:
        """The model's outputs for every row of ``X``: shape ``(rows, outputs)``, or ``(rows,)``
        when the model returns one ``Value``. Changes no ``data`` and no ``grad``.

        Raises ``ValueError`` for a wrong shape, :class:`CompileError` for a data-dependent model.
        """
        Xa = _as_2d(X, "X")
        key = ("predict", Xa.shape[1])
        if key not in self._tapes:
            self._params = list(self.model.parameters())
            samples = [(Xa[0], None), (Xa[-1], None)]
            trace = self._trace(Xa.shape[1], None, None, predict=True, samples=samples)
            self._tapes[key] = (_Tape(trace, self._params, 0), None)
        tape, _ = self._tapes[key]
        pvals = np.fromiter(map(_DATA, self._params), float, len(self._params))
        V, S = tape.forward(np.ascontiguousarray(Xa.T), pvals)
        outs = _outputs(tape.root_rows, V, S, Xa.shape[0])
        return outs[:, 0] if self._single_output else outs

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
            seen = sorted({int(v) for v in np.unique(ya)})
            return Xa, ya.astype(np.int64), ("classes", Xa.shape[1], tuple(seen))
        if ya.dtype.kind != "f":
            raise ValueError(f"y must hold numbers (floats or class indices), got dtype {ya.dtype}")
        ya = ya.astype(float)
        return Xa, ya.reshape(len(ya), -1), ("values", Xa.shape[1], ya.shape[1:])

    def _tape(self, key: tuple[Any, ...], Xa: FloatArray, targets: Any) -> tuple[_Tape, list[int] | None]:
        n_features = Xa.shape[1]
        # the first and last rows of the batch are traced too, besides random placeholders
        rows = [0, len(Xa) - 1]
        if key[0] == "classes":
            for k, (tape, known) in self._tapes.items():
                if (
                    k[0] == "classes"
                    and k[1] == n_features
                    and known is not None
                    and set(key[2]) <= set(known)
                ):
                    return tape, known
            classes = sorted(set(self.classes or self._default_classes(n_features)) | set(key[2]))
            self._params = list(self.model.parameters())
            trace = self._trace(n_features, None, classes, samples=[(Xa[r], None) for r in rows])
            entry: tuple[_Tape, list[int] | None] = (_Tape(trace, self._params, 0), classes)
        else:
            if key in self._tapes:
                return self._tapes[key]
            self._params = list(self.model.parameters())
            n_t = int(np.prod(key[2])) if key[2] else 1
            samples = [(Xa[r], targets[r]) for r in rows]
            trace = self._trace(n_features, (n_t, len(key[2]) == 0), None, samples=samples)
            entry = (_Tape(trace, self._params, n_t), None)
        self._tapes[key] = entry
        return entry

    def _default_classes(self, n_features: int) -> list[int]:
        """``range(outputs)`` for a model with several outputs (one logit per class)."""
        with no_grad():
            out = self.model([Value(0.0) for _ in range(n_features)])
        return list(range(len(out))) if isinstance(out, (list, tuple)) and len(out) > 1 else []

    def _trace(
        self,
        n_features: int,
        value_targets: tuple[int, bool] | None,
        classes: list[int] | None,
        predict: bool = False,
        samples: Sequence[tuple[Any, Any]] = (),
    ) -> _Trace:
        """Trace with a random placeholder input and with the given sample rows; raise
        CompileError unless every trace has the same structure. (Comparing traces catches a
        data-dependent graph on the inputs tried, which is what can be checked without running
        the model on every sample.)"""
        params = {p: k for k, p in enumerate(self._params)}
        n_t = value_targets[0] if value_targets is not None else 0
        points = [(r.normal(size=n_features), r.normal(size=n_t)) for r in map(np.random.default_rng, (1,))]
        points += [(x, np.zeros(n_t) if t is None else np.ravel(t)) for x, t in samples]
        first: _Trace | None = None
        first_sig: list[tuple[Any, ...]] = []
        for x_row, t_row in points:
            xs = [Value(float(v), label=f"x{k}") for k, v in enumerate(x_row)]
            ys = [Value(float(v), label=f"y{k}") for k, v in enumerate(t_row)]
            trace = self._trace_once(xs, ys, value_targets, classes, predict)
            sig = _signature(trace, xs + ys, params)
            if first is None:
                first, first_sig = trace, sig
            elif sig != first_sig:
                raise CompileError(_difference(first_sig, sig))
        assert first is not None
        return first

    def _trace_once(
        self,
        xs: list[Value],
        ys: list[Value],
        value_targets: tuple[int, bool] | None,
        classes: list[int] | None,
        predict: bool,
    ) -> _Trace:
        out = self.model(xs)
        outputs = list(out) if isinstance(out, (list, tuple)) else [out]
        if not all(isinstance(o, Value) for o in outputs):
            raise CompileError(f"the model must return a Value or a list of Values, got {type(out).__name__}")
        self._single_output = not isinstance(out, (list, tuple))
        roots: list[Value]
        if predict:
            roots = outputs
        else:
            assert self.loss_fn is not None
            if classes is not None:
                roots = []
                for k in classes:
                    try:
                        roots.append(_as_value(self.loss_fn(out, k), "loss_fn"))
                    except IndexError as exc:  # a class the model has no output for
                        raise ValueError(
                            f"y holds class {k}, but the model has {len(outputs)} outputs: "
                            f"class labels must be 0..{len(outputs) - 1}"
                        ) from exc
            else:
                assert value_targets is not None
                target: Any = ys[0] if value_targets[1] else ys
                roots = [_as_value(self.loss_fn(out, target), "loss_fn")]
            if self.regularizer is not None:
                roots.append(_as_value(self.regularizer(), "regularizer"))
            roots += outputs  # so that each step can also report the model's outputs
        return _Trace(nodes=_creation_order(*roots), roots=roots, inputs=xs + ys)


def _outputs(rows: Sequence[tuple[int, bool]], V: FloatArray, S: FloatArray, batch: int) -> FloatArray:
    """The model outputs' rows of the stores, as a (batch, outputs) array."""
    return np.stack([V[r] if b else np.full(batch, S[r, 0]) for r, b in rows], axis=1)


_DATA = attrgetter("data")
_GRAD = attrgetter("grad")


def _as_value(v: Any, who: str) -> Value:
    if not isinstance(v, Value):
        raise CompileError(f"{who} must return a Value, got {type(v).__name__}")
    return v


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
                    " A number was taken out of the graph with .data and put back as a constant"
                    " (for example the max-shift of losses.cross_entropy; fit() compiles its named"
                    " losses through microgradnet.compile.for_fit, which writes that max as a graph)."
                )
            first = f"First difference at node {k}: {_describe(ea)} vs {_describe(eb)}."
            return f"cannot compile: {why}. {first}{hint}"
    return f"cannot compile: {why}. The traces have {len(a)} and {len(b)} nodes."


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
        CompileError: (at the first call) the graph depends on the input values.
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


# ---- the named losses of microgradnet.losses, written per sample for fit() ------------------


#: nodes that only compute a stability shift (the max of the logits): the tape does not
#: propagate gradients through them, as ``losses.cross_entropy`` treats that max as a constant
#: (the exact gradient through it is zero; this skips the work and its rounding)
_SHIFT_NODES: weakref.WeakSet[Value] = weakref.WeakSet()


def _cross_entropy_sample(out: Any, k: int) -> Value:
    """``log Σ exp(z - m) - (z_k - m)`` with ``m = max z`` built from Values.

    ``losses.cross_entropy`` takes ``m`` as a constant read from ``.data``, which a trace cannot
    replay; ``max(a, b) = a + relu(b - a)`` writes the same maximum as a graph. The result
    does not depend on ``m`` (its gradient through ``m`` is zero up to rounding).
    """
    zs: list[Value] = list(out) if isinstance(out, (list, tuple)) else [out]
    if not 0 <= k < len(zs):  # (a negative k would silently index from the end)
        raise IndexError(f"class {k} is not in 0..{len(zs) - 1}")
    level = zs
    while len(level) > 1:  # a knockout tournament: log2(classes) rounds of max(a, b) = a + relu(b - a)
        pairs = []
        for a, b in zip(level[::2], level[1::2]):
            d = b - a
            r = d.relu()
            pairs.append(a + r)
            _SHIFT_NODES.update((d, r, pairs[-1]))
        level = pairs + ([level[-1]] if len(level) % 2 else [])
    m = level[0]
    shifted = [z - m for z in zs]
    total = apply("sum", *[s.exp() for s in shifted])
    return total.log() - shifted[k]


def _score(out: Any) -> Value:
    if isinstance(out, (list, tuple)) and len(out) != 1:
        raise CompileError(f"this loss compiles for a model with one output, not {len(out)}")
    s: Value = out[0] if isinstance(out, (list, tuple)) else out
    return s


def _hinge_sample(out: Any, k: Any) -> Value:
    return (1 - (1.0 if k > 0 else -1.0) * _score(out)).relu()


def _elementwise_sample(out: Any, t: Any, error: Callable[[Value], Value]) -> Value:
    """``mean_j error(out_j - t_j)``: one output and a number or ``Value`` target, or several
    outputs and a class index (a one-hot target, as ``fit`` makes for the lesson's squared error)."""
    if not isinstance(out, (list, tuple)) or len(out) == 1:
        return error(_score(out) - t)
    if not isinstance(t, int):
        raise CompileError("a loss over several outputs compiles with integer class labels (one-hot targets)")
    return apply("sum", *[error(o - (1.0 if j == t else 0.0)) for j, o in enumerate(out)]) / len(out)


def _mse_sample(out: Any, t: Any) -> Value:
    return _elementwise_sample(out, t, lambda d: d**2)


def _mae_sample(out: Any, t: Any) -> Value:
    return _elementwise_sample(out, t, abs)


def _bce_logits_sample(out: Any, t: Any) -> Value:
    """``(1 - t)·z + log(1 + e^-z)``; ``log(1 + e^-z) = relu(-z) + log(1 + e^-|z|)`` is the
    overflow-free form written as one graph (``losses`` picks a form by the sign of ``z.data``)."""
    z = _score(out)
    softplus_neg = (-z).relu() + (1 + (-abs(z)).exp()).log()
    return softplus_neg if isinstance(t, int) and t == 1 else (1 - t) * z + softplus_neg


#: per-sample loss, target kind: the named losses that :func:`for_fit` can compile
_FIT_LOSSES: dict[str, tuple[Callable[[Any, Any], Value], str]] = {
    "cross_entropy": (_cross_entropy_sample, "classes"),
    "hinge": (_hinge_sample, "classes"),
    "mse": (_mse_sample, "auto"),
    "mae": (_mae_sample, "auto"),
    "binary_cross_entropy_with_logits": (_bce_logits_sample, "auto"),
}

#: the names of :mod:`microgradnet.losses` that ``fit`` runs on the compiled path
FIT_LOSSES = tuple(_FIT_LOSSES)


_EVALUATORS: weakref.WeakKeyDictionary[Any, dict[str, CompiledStep]] = weakref.WeakKeyDictionary()


def evaluate_named(model: Any, loss: str, X: Any, y: Any) -> tuple[float, FloatArray]:
    """``(mean loss, outputs)`` of a named loss over ``(X, y)`` on the compiled path, forward only.

    What ``train.evaluate`` uses: the tape is traced once per model and loss and kept while the
    model lives. Raises :class:`CompileError` when the model or loss cannot be compiled.
    """
    try:
        steps = _EVALUATORS.setdefault(model, {})
    except TypeError:  # a model that cannot be weakly referenced: no cache
        steps = {}
    if loss not in steps:
        steps[loss] = for_fit(model, loss)
    return steps[loss].evaluate(X, y)


def for_fit(model: Any, loss: str, l2: float = 0.0) -> CompiledStep:
    """The compiled step ``fit()`` uses for a named loss of :mod:`microgradnet.losses`.

    The batch loss is the mean of the per-sample losses plus ``l2 · Σ p²``, as in eager
    ``fit``. Supported: ``cross_entropy`` (integer classes), ``hinge`` (labels: > 0 is +1,
    else -1), ``mse`` and ``mae`` (one output and number targets, or several outputs and class
    labels as one-hot targets), ``binary_cross_entropy_with_logits`` (one output).

    Raises:
        CompileError: the loss is not one of those (``fit`` then trains eagerly).
    """
    if loss not in _FIT_LOSSES:
        raise CompileError(f"the loss {loss!r} has no compiled form (compiled: {', '.join(_FIT_LOSSES)})")
    fn, targets = _FIT_LOSSES[loss]
    reg: Callable[[], Value] | None = None
    if l2:  # (an MLP's parameters() walks every neuron: only when needed)
        params = list(model.parameters())
        reg = lambda: l2 * apply("dot", *params, *params)
    return compile(model, fn, regularizer=reg, targets=targets)


# ---- fused training: parameters and optimizer state in arrays for a run of minibatches -------


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

    What :meth:`CompiledStep.trainer` (or ``compile(..., optimizer=opt)``) returns. Each
    :meth:`step` runs one minibatch — the tape forward and backward into a gradient array, then
    the optimizer's own update rule (:func:`microgradnet.optim.sgd_rule`,
    :func:`~microgradnet.optim.adam_rule`) on arrays — with no Python work per parameter. The
    ``Value``\\s and the optimizer are brought up to date by :meth:`sync`, which :meth:`run`
    and :meth:`epoch` call at their end (also when they raise). After a sync everything is as
    after the same number of eager steps (``opt.zero_grad(); loss.backward(); opt.step()``):
    each parameter's ``.data``, its ``.grad`` (the last minibatch's gradient), the optimizer's
    step count and buffers, so an eager ``opt.step()`` continues identically. If a step raises,
    the arrays keep the last completed step, and the next sync writes that.

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
        self._p: FloatArray = np.zeros(0)
        self._g: FloatArray | None = None
        self._bufs: list[FloatArray] = []
        self._done = 0
        self._tape_params: list[Value] | None = None

    @property
    def last_outputs(self) -> FloatArray:
        """The model's outputs on the last minibatch (before its update), (rows, outputs)."""
        return self.compiled.last_outputs

    def _load(self) -> None:
        opt = self.optimizer
        if self.fallback_reason is not None:
            return
        n = len(self.params)
        self._p = np.fromiter(map(_DATA, self.params), float, n)
        self._bufs = [
            np.zeros(n) if getattr(opt, name) is None else np.array(getattr(opt, name), dtype=float)
            for name in opt.state_names()
        ]
        self._g = None
        self._done = 0
        self._loaded = True

    def step(self, X: Any, y: Any) -> float:
        """One minibatch: forward, backward and the optimizer's update, on arrays.

        Returns the batch loss (before the update). The ``Value``\\s are not updated until
        :meth:`sync`. Raises as calling the :class:`CompiledStep` does, or the optimizer's
        ``ValueError``/``TypeError`` for a bad scheduled learning rate; either way the arrays
        keep the last completed step.
        """
        if not self._loaded:
            self._load()
        opt = self.optimizer
        if self.fallback_reason is not None:
            opt.zero_grad()
            loss = self.compiled(X, y)
            opt.step()
            return loss
        rule = opt.update_rule(opt.steps + self._done, np.sqrt)  # checks the lr before any change
        total, g = self.compiled._forward_backward(X, y, self._p, True)
        assert g is not None
        if self.compiled._params is not self._tape_params:  # (re)traced: same parameters?
            if self.compiled._params != self.params:
                raise CompileError(
                    "the model's parameters() changed after the trainer was made; make a new trainer"
                )
            self._tape_params = self.compiled._params
        g = g.copy()
        if self._order is None:
            new = rule(self._p, g, *self._bufs)
            self._p = new[0]
        else:
            new = rule(self._p[self._order], g[self._order], *self._bufs)
            p = self._p.copy()
            p[self._order] = new[0]
            self._p = p
        self._bufs = list(new[1:])
        self._g = g
        self._done += 1
        return total

    def sync(self) -> None:
        """Write the arrays back: each parameter's ``.data`` and ``.grad``, and the optimizer's
        step count and buffers. Does nothing when no fused step ran since the last sync."""
        if not self._loaded:
            return
        self._loaded = False
        if self._done == 0 or self._g is None:
            return
        for p, v, g in zip(self.params, self._p.tolist(), (self._g + 0.0).tolist()):
            p.data = v
            p.grad = g
        opt = self.optimizer
        opt.steps += self._done
        for name, buf in zip(opt.state_names(), self._bufs):
            setattr(opt, name, buf.tolist())
        self._done = 0

    def run(self, batches: Iterable[tuple[Any, Any]]) -> list[float]:
        """:meth:`step` on every ``(X, y)`` minibatch, then :meth:`sync` (also on an error).

        Returns the loss of each minibatch.
        """
        try:
            return [self.step(X, y) for X, y in batches]
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
        losses, sizes = [], []
        batches = list(_data.minibatches(X, y, batch_size, shuffle=shuffle, seed=seed))
        for loss, (Xb, _) in zip(self.run(batches), batches):
            losses.append(loss)
            sizes.append(len(Xb))
        return float(np.dot(losses, sizes) / sum(sizes))

    def __repr__(self) -> str:
        how = "fused" if self.fallback_reason is None else f"per step ({self.fallback_reason})"
        return f"FusedTrainer({type(self.optimizer).__name__}, {how})"
