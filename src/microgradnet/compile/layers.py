"""Plain MLPs without tracing them: their tape written layer by layer.

Tracing a model builds its whole graph for one sample — for an MLP 784-64-10 about 100,000
edges — and the tape builder then reads it node by node, so setup takes time in proportion to
the scalar nodes. For a model that is *exactly* microgradnet's own ``nn.MLP`` (its
``_compile_plan()`` says so and lists each layer's weights, biases and activation), the graph is
known: every layer is a step of ``dot`` nodes over the layer's inputs and weights, a step of
``add`` nodes (the biases) and, unless the layer is linear, a step of the activation. This
module writes those steps directly — index arithmetic per layer, in NumPy — and traces only
the loss, on placeholder outputs, under the same watch (``watch_reads``) as a whole trace. The
steps are the ones tracing the whole model would give, row for row, so the numbers are the
same too. The loss sees only those placeholders, so its trace watches them alone when it is one
of :mod:`microgradnet.losses`'s own and there is no regularizer (which reads the parameters):
watching every parameter costs time in proportion to them, for nothing, since such a loss cannot
reach one, and no NumPy generator is looked for either (no code of yours runs).

Anything else — a subclass, a custom module, a model whose ``parameters()`` are not exactly its
layers' weights and biases in order — is traced whole (:mod:`~microgradnet.compile.trace`),
with its full check that one tape serves every input.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import is_
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microgradnet import losses as _losses
from microgradnet.compile.arrays import ArrayOps
from microgradnet.compile.tape import Rows, Step, Tape, _gradient_flow, _merge_same, build_tape
from microgradnet.compile.trace import Targets, Tracer
from microgradnet.engine import Value
from microgradnet.ops import OPS

__all__ = ["Plan", "build", "plan_of"]

#: a layer: its weights (row by row: output ``i``'s weights for every input), its biases and
#: the op of its activation (``None`` for a linear layer)
Layer = tuple[list[Value], list[Value], "str | None"]
Plan = list[Layer]


def plan_of(model: Any, params: Sequence[Value]) -> Plan | None:
    """The layers of ``model`` when it is a plain MLP whose ``parameters()`` are ``params``
    (see the module docstring), else ``None``."""
    describe = getattr(model, "_compile_plan", None)
    if not callable(describe):
        return None
    plan: Plan | None = describe()
    if not plan:
        return None
    flat = [v for weights, biases, _ in plan for part in (weights, biases) for v in part]
    if len(flat) != len(params) or not all(map(is_, flat, params)) or set(map(type, flat)) != {Value}:
        return None
    if any(op is not None and op not in OPS for _, _, op in plan):
        return None
    width = len(plan[0][0]) // len(plan[0][1])
    for weights, biases, _ in plan:
        if not biases or len(weights) != width * len(biases):
            return None
        width = len(biases)
    return plan


def n_outputs(plan: Plan) -> int:
    """How many outputs the network has."""
    return len(plan[-1][1])


def build(
    plan: Plan,
    params: Sequence[Value],
    n_features: int,
    targets: Targets,
    tracer: Tracer,
    ops: ArrayOps,
) -> tuple[Tape, bool] | None:
    """The tape of ``plan`` and the loss of ``tracer`` on ``n_features`` inputs, and whether
    the model returns one ``Value`` (a last layer of one neuron); ``None`` when the first layer
    does not take ``n_features`` inputs (tracing then raises the model's own error).

    Raises as :meth:`Tracer.trace` does for the loss (:class:`CompileError` when it reads a
    number, ``ValueError`` for a class the model has no output for).
    """
    if len(plan[0][0]) != n_features * len(plan[0][1]):
        return None
    single = n_outputs(plan) == 1
    ours = tracer.regularizer is None and any(tracer.loss_fn is s.sample for s in _losses.LOSSES.values())
    net = Tracer(
        lambda xs: xs[0] if single else list(xs), tracer.loss_fn, tracer.regularizer, user_code=not ours
    )
    trace = net.trace(n_outputs(plan), targets, () if ours else params)
    outputs = trace.inputs[: n_outputs(plan)]
    flows = _gradient_flow(trace, _merge_same(trace))
    needs_grad = any(o in flows for o in outputs)
    steps, out_rows, depth = _layer_steps(plan, n_features, n_features + targets.count, needs_grad, ops)
    rest = build_tape(
        trace, params, targets.count, ops,
        inputs_at=[*range(out_rows.start, out_rows.stop), *range(n_features, n_features + targets.count)],
        first_row=out_rows.stop,
        input_depths=[depth] * len(outputs) + [0] * targets.count,
    )  # fmt: skip
    # the order tracing the whole model gives: by depth, the network's nodes first (they were
    # made first); a regularizer's steps, which read only parameters, fall among the layers'
    order = sorted(range(len(steps) + len(rest.steps)), key=lambda k: (
        (steps[k].depth, 0, k) if k < len(steps) else (rest.steps[k - len(steps)].depth, 1, k)
    ))  # fmt: skip
    every = steps + rest.steps
    return (
        Tape(
            steps=[every[k] for k in order],
            n_b=rest.n_b,
            n_s=rest.n_s,
            n_inputs=n_features + targets.count,
            n_params=len(params),
            n_targets=targets.count,
            n_losses=rest.n_losses,
            root_rows=rest.root_rows,
            const_rows=rest.const_rows,
            const_values=rest.const_values,
            namespace=rest.namespace,
        ),
        single,
    )


def _layer_steps(
    plan: Plan, n_features: int, first_row: int, needs_grad: bool, ops: ArrayOps
) -> tuple[list[Step], slice, int]:
    """The steps of every layer as tracing would build them (``dot``, ``add``, activation), the
    rows of the last layer's outputs and the depth reached."""
    steps: list[Step] = []
    inputs: NDArray[np.intp] = np.arange(n_features, dtype=np.intp)
    row, param, depth = first_row, 0, 0

    def step(name: str, idx: NDArray[np.intp], in_batch: NDArray[np.bool_], mode: str, **kw: Any) -> slice:
        nonlocal row, depth
        size = idx.shape[1]
        rows = slice(row, row + size)
        depth += 1
        op = OPS[name]
        steps.append(
            Step(
                op=op,
                kernel=ops.get(op),
                arg=None,
                batched=True,
                rows=rows,
                idx=idx,
                in_batch=in_batch,
                depth=depth,
                mode=mode,
                needs_grad=needs_grad,
                groups=len(op.params) if op.variadic else 0,
                **kw,
            )
        )
        row += size
        return rows

    out = slice(0, n_features)
    for _, biases, activation in plan:
        nout = len(biases)
        nin = len(inputs)
        w_rows = np.arange(param, param + nin * nout, dtype=np.intp).reshape(nout, nin)
        b_rows = np.arange(param + nin * nout, param + nin * nout + nout, dtype=np.intp)
        param += nin * nout + nout
        idx = np.concatenate([np.broadcast_to(inputs[:, None], (nin, nout)), w_rows.T])
        in_batch = np.concatenate([np.ones((nin, nout), dtype=bool), np.zeros((nin, nout), dtype=bool)])
        dots = step("dot", idx, in_batch, "layer", rows_b=Rows(inputs), rows_s=Rows(w_rows))
        idx = np.stack([np.arange(dots.start, dots.stop, dtype=np.intp), b_rows])
        in_batch = np.stack([np.ones(nout, dtype=bool), np.zeros(nout, dtype=bool)])
        out = step("add", idx, in_batch, "mix", rows_b=Rows(idx[0]), rows_s=Rows(idx[1]))
        if activation is not None:
            idx = np.arange(out.start, out.stop, dtype=np.intp)[None, :]
            out = step(activation, idx, np.ones_like(idx, dtype=bool), "b", rows_b=Rows(idx))
        inputs = np.arange(out.start, out.stop, dtype=np.intp)
    return steps, out, depth
