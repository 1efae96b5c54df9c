"""One backward walk (issue 9 item 1, issue 12 item 5): backward(), grad() (first and higher
order), anomaly mode and viz.trace_backward all run engine._backprop, in creation order, so the
trace's gradients are backward()'s bit for bit."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgradnet
from microgradnet import OPS, AnomalyError, Value, detect_anomaly, engine, grad
from microgradnet.testing.strategies import Expression, expressions
from microgradnet.viz import Trace, trace_backward

SRC = Path(microgradnet.__file__).parent


def same(a: float, b: float) -> bool:
    """Equal bit for bit (nan equals nan of the same sign)."""
    return math.copysign(1.0, a) == math.copysign(1.0, b) and (a == b or (a != a and b != b))


@given(expr=expressions(ops=list(OPS), max_steps=8), held=st.lists(st.floats(-4, 4), min_size=8, max_size=8))
def test_trace_gradients_equal_backwards_bit_for_bit_on_random_fan_out_graphs(
    expr: Expression, held: list[float]
) -> None:
    xs = [Value(x, label=f"x{k}") for k, x in enumerate(expr.inputs)]
    for x, g in zip(xs, held):
        x.grad = g  # leaves accumulate onto what they hold; the trace must start from it too
    out = expr.fn(*xs)
    trace = trace_backward(out)
    starts = {n.label: n.grad_start for n in trace.nodes if n.label}
    assert all(starts[x.label] == x.grad for x in xs if x.label in starts)
    out.backward()
    by_label = {n.label: n for n in trace.nodes if n.label}
    for x in xs:
        if x.label in by_label:
            assert same(by_label[x.label].grad, x.grad), (x.label, by_label[x.label].grad, x.grad)
    last = {e.operand: e.grad_after for e in trace.events}
    for node in trace.nodes:
        if node.id != trace.root:  # a node's gradient is its last event's result (or its start)
            assert same(node.grad, last.get(node.id, node.grad_start))
    # and the trace's JSON round-trips with the starting gradients
    assert Trace.from_json(trace.to_json()).to_json() == trace.to_json()


def test_every_consumer_runs_the_one_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    walk = engine._backprop

    def counting(order, step=None):  # type: ignore[no-untyped-def]
        calls.append("fast" if step is None else type(step).__name__)
        return walk(order, step)

    monkeypatch.setattr(engine, "_backprop", counting)
    x = Value(0.5)
    y = (x * x).tanh() + x
    y.backward()
    grad(y, x)
    grad(y, x, create_graph=True)
    with detect_anomaly():
        y.backward()
    trace_backward(y)
    assert calls == ["fast", "_InDict", "partial", "_InDict", "_InDict"]


def test_grep_finds_one_backward_loop_over_value_graphs() -> None:
    # the compiler's tape (compile.py) runs its own loop over array steps, not over Values
    loops = [
        (path.name, line)
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "compile.py" and path.parent.name != "compile"
        for line in path.read_text().splitlines()
        if re.search(r"for \w+ in reversed\((order|nodes|topo|.*order)", line)
    ]
    assert loops == [("engine.py", "    for node in reversed(order):")]


def test_grad_honours_detect_anomaly() -> None:
    # issue 10 item 4: grad(Value(0).sqrt(), x) gave inf without an error while backward() raised
    x = Value(0.0, label="x")
    assert grad(x.sqrt(), x).data == math.inf  # outside the mode: IEEE inf
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"op 'sqrt' .* non-finite gradient inf"):
        grad(x.sqrt(), x)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"op 'div' produced inf"):
        grad(x.sqrt(), x, create_graph=True)  # the gradient's own graph: a forward anomaly


def test_anomaly_in_backward_changes_nothing() -> None:
    x = Value(0.0, label="x")
    x.grad = 3.0
    y = x.sqrt() * 2
    with detect_anomaly(), pytest.raises(AnomalyError):
        y.backward()
    assert (x.grad, y.grad) == (3.0, 0.0)


def test_backward_and_grad_agree_bit_for_bit_and_grad_touches_no_grad() -> None:
    a, b = Value(0.3), Value(-1.7)
    h = a * b + a.exp()
    out = (h * h + h.tanh()) / (b * b + 1)
    ga, gb = grad(out, [a, b])
    assert a.grad == b.grad == out.grad == 0.0
    out.backward()
    assert (ga.data, gb.data) == (a.grad, b.grad)


def test_a_three_way_fan_out_where_depth_first_order_rounds_differently() -> None:
    # the old trace walked depth-first and got 0.09206695961743641 here; backward() walks in
    # creation order and gets ...638: the trace must give backward()'s number
    def graph() -> tuple[Value, Value]:
        x = Value(0.5, label="x")
        a, b, c = (x * 1.14).tanh(), (x * -0.79).sin(), (x * -0.09).exp()
        return c * (a + b), x

    out, x = graph()
    order = engine.topological_order(out)
    depth_first = dict.fromkeys(order, 0.0)
    depth_first[out] = 1.0
    for node in order[::-1]:
        if node._entry is not None:
            local = node._entry.local_grads([c.data for c in node.children], node.data, node._arg)
            for child, d in zip(node.children, local):
                depth_first[child] += d * depth_first[node]
    trace = trace_backward(out)
    out.backward()
    assert trace.by_name("x").grad == x.grad == 0.09206695961743638
    assert depth_first[x] != x.grad
