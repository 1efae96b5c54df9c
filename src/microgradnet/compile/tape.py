"""Tape building: from a traced graph to a flat list of steps over two stores of rows.

1. **Classify.** A node is *per-sample* when it depends on an input (its row has one column per
   sample) and *shared* otherwise (parameters, constants and what is computed from them only:
   one column). Each node's depth is 1 + its deepest operand's.
2. **Merge.** Nodes that apply the same op to the same operands compute the same numbers and
   share one row (the per-class branches of a loss repeat its softmax).
3. **Gradient flow.** Walking back from the losses, an edge carries gradient unless the row's
   derivative formula for it is the constant ``0`` (``detach``): nodes reached only through such
   edges need no backward work.
4. **Group and place.** Nodes with the same depth, op, constant argument, operand count and
   kind (per-sample or shared) do not depend on each other: they form one step and get
   consecutive rows.
5. **Plan.** Each step records where its operands' rows are. A variadic op whose first operand
   group is the same per-sample rows for every node and whose second group is shared (a layer
   of ``dot`` nodes: inputs and weights) runs as a *layer*: its operands stay compact, so the
   row's formulas become matrix products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microgradnet.compile.arrays import ArrayOp, ArrayOps, FloatArray
from microgradnet.compile.trace import Trace
from microgradnet.engine import Value
from microgradnet.ops import Op

__all__ = ["Rows", "Step", "Tape", "build_tape"]


class Rows:
    """A fixed list of store rows to read from and add into, planned once for speed.

    Contiguous rows become a slice (a view, no copy). Rows that repeat (``a*a``, a shared ``m``
    in ``z - m``) receive every occurrence's contribution, one after another in the order of
    the list (``np.add.at``), because ``G[rows] += v`` would add a repeated row only once; the
    generated code of :mod:`~microgradnet.compile.program` adds them in the same order.
    """

    def __init__(self, rows: NDArray[np.intp]) -> None:
        self.shape = rows.shape
        flat = rows.ravel()
        self.flat = flat
        self.slice: slice | None = None
        if len(flat) and np.array_equal(flat, np.arange(flat[0], flat[0] + len(flat))):
            self.slice = slice(int(flat[0]), int(flat[0]) + len(flat))
        self.unique = self.slice is not None or len(np.unique(flat)) == len(flat)

    def read(self, G: FloatArray) -> FloatArray:
        """``G[rows]``, shaped (*rows.shape, columns)."""
        if self.slice is not None:
            return G[self.slice].reshape(self.shape + G.shape[1:])
        return G[self.flat].reshape(self.shape + G.shape[1:])

    def add(self, G: FloatArray, values: FloatArray) -> None:
        """``G[rows] += values`` with every occurrence of a repeated row counted, in order."""
        v = values.reshape(-1, G.shape[1])
        if self.slice is not None:
            G[self.slice] += v
        elif self.unique:
            G[self.flat] += v
        else:
            np.add.at(G, self.flat, v)


@dataclass
class Step:
    """One tape step: ``size`` nodes with the same op and depth, evaluated together.

    ``mode`` says where the operands live: ``"b"`` all in the per-sample store, ``"s"`` all in
    the shared store, ``"mix"`` some in each, ``"layer"`` a variadic op over one group of
    per-sample rows common to every node and one group of shared rows (``rows_b`` and
    ``rows_s``; ``layer_group`` is the index of the per-sample group).
    """

    op: Op
    kernel: ArrayOp
    arg: float | None
    batched: bool  # True: the outputs are rows of the per-sample store, else of the shared one
    rows: slice  # where the outputs go
    idx: NDArray[np.intp]  # (operands, size): operand rows
    in_batch: NDArray[np.bool_]  # (operands, size): the operand lives in the per-sample store
    depth: int
    mode: str
    needs_grad: bool  # False: no gradient flows back through these nodes (detached)
    rows_b: Rows | None = None
    rows_s: Rows | None = None
    layer_group: int = 0
    groups: int = 0  # a variadic op's number of operand groups (0 for a fixed-arity op)

    @property
    def size(self) -> int:
        """How many nodes the step runs together."""
        size: int = self.rows.stop - self.rows.start
        return size


@dataclass
class Tape:
    """A traced graph as steps over two stores: per-sample rows (inputs first) and shared rows
    (parameters first, then constants); the roots' rows; the constants' values."""

    steps: list[Step]
    n_b: int
    n_s: int
    n_inputs: int
    n_params: int
    n_targets: int
    n_losses: int
    root_rows: list[tuple[int, bool]]  # (row, per-sample?) of each root of the trace
    const_rows: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    const_values: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: the names the steps' formulas call (:attr:`ArrayOps.namespace`), for generated code
    namespace: dict[str, Any] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        """How many of the inputs are features (the rest are targets)."""
        return self.n_inputs - self.n_targets

    def reads_features_in_place(self, step: Step) -> bool:
        """Whether a layer step's per-sample rows are features, which it reads straight from
        the minibatch (no transposed copy; the interpreter and the generated code alike)."""
        rows = step.rows_b
        return (
            step.mode == "layer"
            and rows is not None
            and rows.slice is not None
            and rows.slice.stop <= self.n_features
        )


def build_tape(
    trace: Trace,
    params: Sequence[Value],
    n_targets: int,
    ops: ArrayOps,
    inputs_at: Sequence[int] | None = None,
    first_row: int = 0,
    input_depths: Sequence[int] | None = None,
) -> Tape:
    """Turn ``trace`` into a :class:`Tape` (the module docstring). Parameters are the shared
    store's first rows, in the order of ``params``; the trace's inputs the per-sample store's
    first rows — or the rows ``inputs_at``, at the depths ``input_depths``, with the tape's own
    rows from ``first_row`` on (for a tape that continues steps written elsewhere:
    :mod:`~microgradnet.compile.layers`).

    Raises :class:`~microgradnet.compile.CompileError` for an op that does not run on arrays.
    """
    leaves = {node for node in trace.nodes if node._entry is None}
    param_row = {p: k for k, p in enumerate(params) if p in leaves}  # (those the graph reads)
    at = range(len(trace.inputs)) if inputs_at is None else inputs_at
    input_row = {x: int(k) for x, k in zip(trace.inputs, at)}
    batched, depth, consts = _classify(trace, input_row, param_row)
    if input_depths is not None:
        depth = _depths(trace, dict(zip(trace.inputs, input_depths)))
    canon = _merge_same(trace)
    flows = _gradient_flow(trace, canon)
    b_row: dict[Value, int] = dict(input_row)
    s_row: dict[Value, int] = dict(param_row)
    for k, c in enumerate(consts):
        s_row[c] = len(params) + k
    start = max(first_row, len(b_row) and max(b_row.values()) + 1)
    shared = len(params) + len(consts)
    placed = _place(_groups(trace, canon, batched, depth), batched, b_row, s_row, start, shared)
    for node, first in canon.items():
        if first is not node:
            (b_row if batched[node] else s_row)[node] = (b_row if batched[first] else s_row)[first]
    steps = [
        _plan(members, is_b, start, depth, batched, b_row, s_row, flows, ops)
        for members, is_b, start in placed
    ]
    return Tape(
        steps=steps,
        n_b=max(start, len(b_row) and max(b_row.values()) + 1),
        n_s=max(shared, len(s_row) and max(s_row.values()) + 1),
        n_inputs=len(trace.inputs),
        n_params=len(params),
        n_targets=n_targets,
        n_losses=trace.n_losses,
        root_rows=[(b_row[r], True) if batched[r] else (s_row[r], False) for r in trace.roots],
        const_rows=np.array([s_row[c] for c in consts], dtype=np.intp),
        const_values=np.array([c.data for c in consts], dtype=float),
        namespace=ops.namespace,
    )


def _classify(
    trace: Trace, input_row: dict[Value, int], param_row: dict[Value, int]
) -> tuple[dict[Value, bool], dict[Value, int], list[Value]]:
    """Per-sample or shared, and the depth, of every node; the constant leaves."""
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
    return batched, depth, consts


def _depths(trace: Trace, leaves: dict[Value, int]) -> dict[Value, int]:
    """Every node's depth, given the depths of some leaves (others are at 0)."""
    depth: dict[Value, int] = {}
    for node in trace.nodes:
        if node._entry is None:
            depth[node] = leaves.get(node, 0)
        else:
            depth[node] = 1 + max(depth[c] for c in node.children)
    return depth


def _merge_same(trace: Trace) -> dict[Value, Value]:
    """Each node's representative: the first node with the same op, arg and operands."""
    canon: dict[Value, Value] = {}
    seen: dict[tuple[Any, ...], Value] = {}
    for node in trace.nodes:
        if node._entry is None:
            canon[node] = node
            continue
        same = (node.op, node.arg, tuple(canon[c] for c in node.children))
        canon[node] = seen.setdefault(same, node)
    return canon


def _is_zero(formula: str) -> bool:
    try:
        return float(formula) == 0.0
    except ValueError:
        return False


def _gradient_flow(trace: Trace, canon: dict[Value, Value]) -> set[Value]:
    """The representatives that receive gradient from the losses: every edge carries it except
    one whose derivative formula in the op table is the constant 0 (``detach``)."""
    flows = {canon[r] for r in trace.roots[: trace.n_losses]}
    stops: dict[Op, tuple[bool, ...]] = {}  # per op: which parameters' formulas are 0
    for node in reversed(trace.nodes):
        op = node._entry
        if op is None or canon[node] is not node or node not in flows:
            continue
        zero = stops.get(op)
        if zero is None:
            zero = stops[op] = tuple(_is_zero(g) for g in op.grads)
        if not any(zero):
            flows.update(map(canon.__getitem__, node.children))
            continue
        per = len(node.children) // len(op.params) if op.variadic else 1
        flows.update(canon[c] for k, c in enumerate(node.children) if not zero[k // per])
    return flows


def _groups(
    trace: Trace, canon: dict[Value, Value], batched: dict[Value, bool], depth: dict[Value, int]
) -> list[list[Value]]:
    """Op nodes that can run together, in the order they must run (by depth, then first node)."""
    groups: dict[tuple[Any, ...], list[Value]] = {}
    for node in trace.nodes:
        if node._entry is not None and canon[node] is node:
            key = (depth[node], not batched[node], node.op, node.arg, len(node.children))
            groups.setdefault(key, []).append(node)
    position = {node: k for k, node in enumerate(trace.nodes)}
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0], position[groups[k][0]]))]


def _place(
    groups: list[list[Value]],
    batched: dict[Value, bool],
    b_row: dict[Value, int],
    s_row: dict[Value, int],
    n_b: int,
    n_s: int,
) -> list[tuple[list[Value], bool, int]]:
    """Consecutive rows for each group's nodes, per-sample ones from ``n_b`` on, shared ones
    from ``n_s`` (after the parameters and constants): (members, per-sample?, first row)."""
    placed = []
    for members in groups:
        is_b = batched[members[0]]
        start = n_b if is_b else n_s
        for j, node in enumerate(members):
            (b_row if is_b else s_row)[node] = start + j
        if is_b:
            n_b += len(members)
        else:
            n_s += len(members)
        placed.append((members, is_b, start))
    return placed


def _plan(
    members: list[Value],
    is_b: bool,
    start: int,
    depth: dict[Value, int],
    batched: dict[Value, bool],
    b_row: dict[Value, int],
    s_row: dict[Value, int],
    flows: set[Value],
    ops: ArrayOps,
) -> Step:
    """A step for one group: its operands' rows and how to read them."""
    op = members[0]._entry
    assert op is not None
    n_ops = len(members[0].children)
    in_b = np.array([[batched[c] for c in m.children] for m in members], dtype=bool).T.reshape(n_ops, -1)
    idx = np.array(
        [[b_row[c] if batched[c] else s_row[c] for c in m.children] for m in members], dtype=np.intp
    ).T.reshape(n_ops, len(members))
    step = Step(
        op=op,
        kernel=ops.get(op),
        arg=members[0].arg,
        batched=is_b,
        rows=slice(start, start + len(members)),
        idx=idx,
        in_batch=in_b,
        depth=depth[members[0]],
        mode="b",
        needs_grad=any(m in flows for m in members) and not all(_is_zero(g) for g in op.grads),
        groups=len(op.params) if op.variadic else 0,
    )
    layer = _layer_group(step)
    if layer is not None:
        n = n_ops // 2
        b_part, s_part = idx[layer * n : (layer + 1) * n], idx[(1 - layer) * n : (2 - layer) * n]
        step.mode, step.layer_group = "layer", layer
        step.rows_b, step.rows_s = Rows(b_part[:, 0]), Rows(s_part.T)
    elif in_b.all():
        step.mode, step.rows_b = "b", Rows(idx)
    elif not in_b.any():
        step.mode, step.rows_s = "s", Rows(idx)
    else:
        step.mode, step.rows_b, step.rows_s = "mix", Rows(idx[in_b]), Rows(idx[~in_b])
    return step


def _layer_group(step: Step) -> int | None:
    """The per-sample group of a layer step (see :class:`Step`), or ``None``."""
    if step.groups != 2 or not step.batched or step.idx.shape[0] % 2:
        return None
    n = step.idx.shape[0] // 2
    for g in (0, 1):
        mine, other = slice(g * n, (g + 1) * n), slice((1 - g) * n, (2 - g) * n)
        rows = step.idx[mine]
        if step.in_batch[mine].all() and not step.in_batch[other].any() and bool((rows == rows[:, :1]).all()):
            return g
    return None
