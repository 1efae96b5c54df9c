"""Tape running: forward and backward over the stores of a minibatch.

The per-sample store ``V`` has a row per per-sample node and a column per sample; the shared
store ``S`` a row per parameter, constant and shared node, and one column. Forward, each step
gathers its operands and evaluates the op's forward formula (compiled by
:mod:`microgradnet.compile.arrays`) into its rows. Backward, the steps run in reverse: each
evaluates the op's derivative formulas and adds ``local × upstream`` into its operands' rows of
the gradient stores ``GV``/``GS``. A shared operand of per-sample nodes sums its contributions
over the batch (what the eager ``mean(losses)`` does through its ``sum`` node); in a layer step
that sum, and the sum over the nodes that share an input, are matrix products.

With the engine's anomaly mode on (``detect_anomaly()``), every step's results are checked and
the first non-finite one raises :class:`~microgradnet.AnomalyError`, as the eager engine does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microgradnet import engine as _engine
from microgradnet.compile.arrays import FloatArray
from microgradnet.compile.tape import Step, Tape
from microgradnet.engine import AnomalyError

__all__ = ["anomaly_mode", "backward", "backward_step", "forward", "operands"]


def anomaly_mode() -> bool:
    """Whether the engine's :func:`~microgradnet.detect_anomaly` is on."""
    return _engine.is_anomaly_enabled()


def forward(
    tape: Tape, X: FloatArray, targets: FloatArray | None, param_values: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Fill and return the stores ``V`` (per-sample rows × batch) and ``S`` (shared rows × 1)
    for the minibatch ``X`` (samples × features), its ``targets`` (samples × targets, or
    ``None`` when the tape has no target inputs) and the parameters' values."""
    check = anomaly_mode()
    V = np.empty((tape.n_b, X.shape[0]))
    S = np.empty((tape.n_s, 1))
    V[: tape.n_features] = X.T
    if tape.n_targets:
        assert targets is not None
        V[tape.n_features : tape.n_inputs] = targets.T
    S[: tape.n_params, 0] = param_values
    S[tape.const_rows, 0] = tape.const_values
    with np.errstate(all="ignore"):  # IEEE results, as in the eager engine
        for step in tape.steps:
            out = step.kernel.forward(operands(tape, step, V, S, X), step.arg)
            (V if step.batched else S)[step.rows] = out
            if check:
                _check_forward(step, (V if step.batched else S)[step.rows])
    return V, S


def backward(tape: Tape, X: FloatArray, V: FloatArray, S: FloatArray, GV: FloatArray, GS: FloatArray) -> None:
    """Given the roots' seeds in ``GV``/``GS``, add every row's gradient into them (``X`` is
    the minibatch that :func:`forward` ran)."""
    check = anomaly_mode()
    with np.errstate(all="ignore"):
        for step in reversed(tape.steps):
            if step.needs_grad:
                backward_step(tape, step, X, V, S, GV, GS, check)


def backward_step(
    tape: Tape,
    step: Step,
    X: FloatArray,
    V: FloatArray,
    S: FloatArray,
    GV: FloatArray,
    GS: FloatArray,
    check: bool,
) -> None:
    """One step of :func:`backward`: ``local × upstream`` added into the operands' rows."""
    up = (GV if step.batched else GS)[step.rows]
    xs = operands(tape, step, V, S, X)
    local = step.kernel.grads(xs, (V if step.batched else S)[step.rows], step.arg)
    if step.mode == "layer":
        _layer_backward(step, local, up, GV, GS, check)
        return
    contrib = _contributions(step, local, up)
    if check:
        _check_backward(step, contrib)
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


def operands(tape: Tape, step: Step, V: FloatArray, S: FloatArray, X: FloatArray) -> Any:
    """A step's operands as its op's compiled formulas take them: stacked, shape (operands,
    nodes, batch or 1), or for a variadic op one such array per group (compact in a layer,
    whose features are read from the minibatch ``X`` itself: :meth:`Tape.reads_features_in_place`)."""
    if step.mode == "layer":
        assert step.rows_b is not None and step.rows_s is not None
        if tape.reads_features_in_place(step):
            per_sample = X.T[step.rows_b.slice][:, None, :]
        else:
            per_sample = step.rows_b.read(V)[:, None, :]  # (n, 1, batch): the same for every node
        shared = step.rows_s.read(S).transpose(1, 0, 2)  # (n, nodes, 1): the same for every sample
        return [per_sample, shared] if step.layer_group == 0 else [shared, per_sample]
    if step.mode == "b":
        rows = step.rows_b
        xs = rows.read(V) if rows is not None and rows.slice is not None else V[step.idx]
    elif step.mode == "s":
        xs = S[step.idx]
    else:
        mask = step.in_batch
        xs = np.empty(step.idx.shape + (V.shape[1],))
        xs[mask] = V[step.idx[mask]]
        xs[~mask] = S[step.idx[~mask]]
    if step.groups:
        n = len(xs) // step.groups
        return [xs[g * n : (g + 1) * n] for g in range(step.groups)]
    return xs


def _contributions(step: Step, local: Any, up: FloatArray) -> FloatArray:
    """``local × upstream`` for every operand, one (operands, nodes, batch or 1) array."""
    n_ops = step.idx.shape[0]
    out = np.empty((n_ops, step.size, up.shape[1]))
    if step.groups:
        n = n_ops // step.groups
        for g, d in enumerate(local):
            out[g * n : (g + 1) * n] = np.multiply(d, up)
    else:
        for k, d in enumerate(local):
            out[k] = np.multiply(d, up)
    return out


def _layer_backward(
    step: Step, local: Any, up: FloatArray, GV: FloatArray, GS: FloatArray, check: bool
) -> None:
    """A layer's contributions, summed where operands are shared (module docstring).

    Per-sample group, rows shared by every node: ``Σ_nodes local · up``. Shared group, rows
    shared by every sample: ``Σ_batch local · up``. With the local derivative constant along
    the summed axis (``w[i]`` for the inputs, ``x[i]`` for the weights), each sum is a matrix
    product.
    """
    assert step.rows_b is not None and step.rows_s is not None
    n = step.idx.shape[0] // 2
    d_b, d_s = local[step.layer_group], local[1 - step.layer_group]
    if isinstance(d_b, np.ndarray) and d_b.shape == (n, step.size, 1):  # W.T @ upstream
        to_b = np.matmul(d_b[:, :, 0], up)
    else:
        to_b = np.einsum("inb,nb->ib", np.broadcast_to(d_b, (n, *up.shape)), up)
    if isinstance(d_s, np.ndarray) and d_s.shape == (n, 1, up.shape[1]):  # upstream @ X.T
        to_s = np.matmul(up, d_s[:, 0, :].T)
    else:
        to_s = np.einsum("inb,nb->ni", np.broadcast_to(d_s, (n, *up.shape)), up)
    if check:
        _check_backward(step, to_b)
        _check_backward(step, to_s)
    step.rows_b.add(GV, to_b)
    step.rows_s.add(GS, to_s.reshape(-1, 1))


def _check_forward(step: Step, out: FloatArray) -> None:
    bad = np.argwhere(~np.isfinite(out))
    if len(bad):
        node, sample = (int(v) for v in bad[0])
        raise AnomalyError(
            f"forward: op {step.op.name!r} produced {float(out[node, sample])!r} (compiled tape: "
            f"node {node + 1} of the {step.size} at depth {step.depth}, sample {sample} of the minibatch)"
        )


def _check_backward(step: Step, contrib: FloatArray) -> None:
    if not np.isfinite(contrib).all():
        raise AnomalyError(
            f"backward: op {step.op.name!r} gave a non-finite gradient to an operand (compiled tape: "
            f"one of the {step.size} {step.op.name} nodes at depth {step.depth})"
        )
