"""The eager engine's fast paths give exactly what the plain op-table loop gives.

``backward`` uses two speed-ups (issue 5): ``op.push_grads``, the derivative formulas compiled
into one "add local × upstream into each operand" step, and a creation-index order instead of the
depth-first search. Both must reproduce the reference loop bit for bit, on every op of the table
and on random expression graphs.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from microgradnet import OPS, Value, apply
from microgradnet.engine import _creation_order, topological_order
from microgradnet.testing.strategies import Expression, OpCall, expressions, op_calls


def reference_backward(root: Value) -> None:
    """The textbook loop: ``local_grads``, then ``child.grad += d * upstream`` per operand.

    It walks the same order as ``backward`` (floating-point sums depend on the order in which
    contributions arrive; that the order itself is valid is tested below)."""
    order = _creation_order(root)
    for node in order:
        if node._entry is not None:
            node.grad = 0.0
    root.grad += 1.0
    for node in reversed(order):
        if node._entry is None:
            continue
        local = node._entry.local_grads([c.data for c in node.children], node.data, node._arg)
        for child, d in zip(node.children, local):
            child.grad += d * node.grad


@given(call=op_calls(), upstream=st.floats(-5, 5))
def test_push_grads_equals_local_grads_times_upstream(call: OpCall, upstream: float) -> None:
    fast = [Value(x) for x in call.operands]
    slow = [Value(x) for x in call.operands]
    out = call(*fast)
    call.op.push_grads(tuple(fast), out.data, call.arg, upstream)
    local = call.op.local_grads(list(call.operands), out.data, call.arg)
    for v, d in zip(slow, local):
        v.grad += d * upstream
    assert [v.grad for v in fast] == [v.grad for v in slow]


@given(expr=expressions())
def test_backward_equals_the_reference_loop_exactly(expr: Expression) -> None:
    xs = [Value(x) for x in expr.inputs]
    ys = [Value(x) for x in expr.inputs]
    expr.fn(*xs).backward()
    reference_backward(expr.fn(*ys))
    assert [x.grad for x in xs] == [y.grad for y in ys]


@given(expr=expressions())
def test_creation_order_is_a_topological_order_of_the_same_nodes(expr: Expression) -> None:
    root = expr.fn(*[Value(x) for x in expr.inputs])
    order = _creation_order(root)
    assert set(order) == set(topological_order(root)) and order[-1] is root
    position = {node: k for k, node in enumerate(order)}
    assert all(position[c] < position[node] for node in order for c in node.children)


def test_push_grads_handles_repeated_operands() -> None:
    a = Value(3.0)
    (a * a).backward()  # two edges into a: 3 + 3
    assert a.grad == 6.0
    x = Value(2.0)
    apply("dot", x, x, x, x).backward()  # x*x + x*x: four contributions of 2
    assert x.grad == 8.0
    assert OPS["sum"].push_grads is not OPS["add"].push_grads
