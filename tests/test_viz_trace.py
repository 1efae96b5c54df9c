"""The backprop trace: its events against the chain rule by hand, against backward(), and its JSON.

The worked example L = (a*b + c) * f at a=2, b=-3, c=10, f=-2 is the one of Karpathy's lecture
"The spelled-out intro to neural networks and backpropagation: building micrograd" (2022), whose
hand-computed gradients are a=6, b=-4, c=-2, e=-2, d=-2, f=4 and L=-8.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given

from microgradnet import Value, apply, grad, topological_order
from microgradnet.examples import load_example
from microgradnet.testing.strategies import expressions
from microgradnet.viz import Trace, narration, trace_backward
from microgradnet.viz.trace import is_parameter_label


def lecture_graph() -> tuple[Value, dict[str, Value]]:
    """The lecture's L = (a*b + c) * f at (2, -3, 10, -2) and its nodes by label."""
    example = load_example("lecture-expression")
    return example.root, example.nodes()


def test_lecture_example_has_six_edge_events_with_the_hand_computed_numbers() -> None:
    L, _ = lecture_graph()
    t = trace_backward(L)
    assert len(t.events) == 6
    name = lambda i: t.node(i).name
    rows = [
        (name(e.node), name(e.operand), e.local, e.upstream, e.contribution, e.grad_before, e.grad_after)
        + (e.final,)
        for e in t.events
    ]
    # the chain rule by hand: dL/dd = f, dL/df = d; d = e + c passes dL/dd; e = a*b swaps
    f, d, a, b = -2.0, 4.0, 2.0, -3.0
    dLdd = f
    dLde = 1.0 * dLdd
    assert rows == [
        ("L", "d", f, 1.0, f, 0.0, f, True),
        ("L", "f", d, 1.0, d, 0.0, d, True),
        ("d", "e", 1.0, dLdd, dLdd, 0.0, dLdd, True),
        ("d", "c", 1.0, dLdd, dLdd, 0.0, dLdd, True),
        ("e", "a", b, dLde, b * dLde, 0.0, 6.0, True),
        ("e", "b", a, dLde, a * dLde, 0.0, -4.0, True),
    ]
    assert [e.formula for e in t.events] == ["b", "a", "1", "1", "b", "a"]
    assert [e.formula_named for e in t.events] == ["f", "d", "1", "1", "b", "a"]
    assert [e.param for e in t.events] == ["a", "b", "a", "b", "a", "b"]
    assert [e.step for e in t.events] == list(range(6))
    assert t.grads() == {"a": 6.0, "b": -4.0, "e": -2.0, "c": -2.0, "d": -2.0, "f": 4.0, "L": 1.0}
    assert t.node(t.root).name == "L" and t.node(t.root).data == -8.0
    assert "∂L/∂a += ∂e/∂a · ∂L/∂e = (b = -3) · (-2) = 6;  a.grad 0 → 6" in t.text()


def test_trace_grads_equal_backward_and_tracing_changes_nothing() -> None:
    L, v = lecture_graph()
    before = [(n.data, n.grad) for n in topological_order(L)]
    t = trace_backward(L)
    assert [(n.data, n.grad) for n in topological_order(L)] == before
    L.backward()
    for node in t.nodes:
        assert v[node.name].grad == node.grad
    # the trace simulates backward() from the state the graph is in: after backward(), leaves
    # start from the gradients they hold and accumulate; interior nodes are recomputed
    again = trace_backward(L)
    assert (again.by_name("a").grad_start, again.by_name("a").grad, again.by_name("e").grad) == (
        6.0,
        12.0,
        -2.0,
    )
    assert again.ledger_text(again.by_name("a").id) == "a.grad = (6 held before) + (6 via e) = 12"
    assert "a.grad starts at 6" in again.text()
    L.backward()
    assert all(v[node.name].grad == node.grad for node in again.nodes)
    L.zero_grad()
    assert trace_backward(L).to_json() == t.to_json()


def test_a_times_a_gives_two_events_that_accumulate() -> None:
    a = Value(3.0, label="a")
    y = a * a
    t = trace_backward(y)
    assert [(e.operand, e.operand_index, e.grad_before, e.grad_after, e.final) for e in t.events] == [
        ("n0", 0, 0.0, 3.0, False),
        ("n0", 1, 3.0, 6.0, True),
    ]
    assert t.node("n0").consumers == 2 and t.node("n0").children == ()
    assert t.node("n1").children == ("n0", "n0")
    assert t.ledger_text("n0") == "a.grad = (3 via t1) + (3 via t1) = 6"
    assert "waits for 1 more" in narration(t, 0)
    assert "last of its 2 contributions" in narration(t, 1)


def test_fan_out_ledger_lists_each_contribution() -> None:
    # TEACHING.md's ledger: b feeds d = a*b and e = b*c; b.grad = (-6 via d) + (-2 via e) = -8,
    # here written in the order the contributions arrive
    a, b, c = Value(3.0, label="a"), Value(-2.0, label="b"), Value(1.0, label="c")
    d = a * b
    d.label = "d"
    e = b * c
    e.label = "e"
    s = d + e
    s.label = "s"
    # scale so that the contributions are -6 and -2: ds/db = a + c = 3 + 1, times upstream -2
    L = s * -2.0
    L.label = "L"
    t = trace_backward(L)
    b_id = t.by_name("b").id
    # reverse topological order reaches e (built last) before d
    assert [t.node(ev.node).name for ev in t.ledger(b_id)] == ["e", "d"]
    assert t.ledger_text(b_id) == "b.grad = (-2 via e) + (-6 via d) = -8"
    assert [ev.final for ev in t.ledger(b_id)] == [False, True]


def test_roles_and_generated_names() -> None:
    x = Value(1.5, label="x")
    w = Value(0.5, label="layers.0.neurons.0.w[0]")
    out = (x * w + 2.0).tanh()
    t = trace_backward(out)
    roles = {n.name: n.role for n in t.nodes}
    assert roles == {
        "x": "input",
        "layers.0.neurons.0.w[0]": "parameter",
        "t1": "intermediate",
        "c1": "input",
        "t2": "intermediate",
        "t3": "output",
    }
    # an explicit parameters= list overrides the label convention
    t2 = trace_backward(out, parameters=[x])
    assert {n.name: n.role for n in t2.nodes if not n.op} == {
        "x": "parameter",
        "layers.0.neurons.0.w[0]": "input",
        "c1": "input",
    }
    assert is_parameter_label("0.weight[1][2]") and not is_parameter_label("w1")
    # generated names skip labels already in use
    t1 = Value(1.0, label="t1")
    assert [n.name for n in trace_backward(t1 * 2.0).nodes] == ["t1", "c1", "t2"]
    # names that are not simple identifiers are parenthesised inside formulas
    p, q = Value(2.0, label="p + 1"), Value(3.0, label="q")
    ev = trace_backward(p * q).events[1]
    assert ev.formula_named == "(p + 1)"


def test_json_is_deterministic_versioned_and_round_trips() -> None:
    t1 = trace_backward(lecture_graph()[0])
    t2 = trace_backward(lecture_graph()[0])  # a structurally equal, separately built graph
    assert t1.to_json() == t2.to_json() == trace_backward(lecture_graph()[0]).to_json()
    data = json.loads(t1.to_json())
    assert data["version"] == 2 and list(data) == ["version", "root", "seed", "nodes", "events"]
    back = Trace.from_json(t1.to_json(indent=2))
    assert back == t1 and back.to_json() == t1.to_json()
    # a version-1 trace (before grad_start) still loads, its leaves starting from 0
    data["version"] = 1
    for n in data["nodes"]:
        del n["grad_start"]
    assert Trace.from_dict(data) == t1


def test_json_encodes_non_finite_numbers_as_strings() -> None:
    x = Value(0.0, label="x")
    y = x.log()  # -inf, with local derivative 1/0 = inf
    t = trace_backward(y)
    text = t.to_json()
    json.loads(text)  # valid JSON
    assert '"data": "-inf"' in text and '"local": "inf"' in text
    back = Trace.from_json(text)
    assert back.node("n1").data == -math.inf and back.events[0].local == math.inf
    z = trace_backward(Value(-1.0).sqrt())
    assert math.isnan(Trace.from_json(z.to_json()).node("n1").data)


def test_bad_input_raises_clear_errors() -> None:
    with pytest.raises(TypeError, match="output Value"):
        trace_backward(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="parameters"):
        trace_backward(Value(1.0), parameters=[1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="version"):
        Trace.from_json('{"version": 99}')
    with pytest.raises(ValueError, match="not JSON"):
        Trace.from_json("{")
    with pytest.raises(ValueError, match="not a valid trace"):
        Trace.from_json('{"version": 1, "nodes": []}')
    t = trace_backward(lecture_graph()[0])
    with pytest.raises(KeyError, match=r"n0\.\.n6"):
        t.node("n7")
    with pytest.raises(IndexError, match="outside"):
        narration(t, 6)


def test_variadic_and_constant_argument_ops_are_traced() -> None:
    x = [Value(v, label=f"x{i}") for i, v in enumerate((1.0, 2.0))]
    w = [Value(v, label=f"w{i}") for i, v in enumerate((3.0, -1.0))]
    y = apply("dot", *x, *w) ** 2
    t = trace_backward(y)
    dot_events = [e for e in t.events if e.op == "dot"]
    assert [e.param for e in dot_events] == ["x[0]", "x[1]", "w[0]", "w[1]"]
    assert [e.formula_named for e in dot_events] == ["w0", "w1", "x0", "x1"]
    assert t.events[0].formula_named == "2 * t1 ** (2 - 1)"
    assert t.expression(t.root) == "t1 ** 2"


def test_narration_sentences_follow_the_op_rules() -> None:
    t = trace_backward(lecture_graph()[0])
    assert narration(t, 3) == "the + gate passes the upstream gradient -2 unchanged to c"
    assert narration(t, 4).startswith("the * gate swaps its inputs: a receives the upstream gradient -2")
    r = trace_backward(Value(-1.0, label="x").relu())
    assert "closed" in r.narration(0)
    n = trace_backward(Value(0.5, label="x").tanh())
    assert "1 - t1 * t1" in n.narration(0)
    p, q = Value(5.0, label="p"), Value(2.0, label="q")
    s = trace_backward(-(p - q))
    assert [s.narration(k) for k in range(3)] == [
        "the - gate passes the negated upstream gradient, -1, to t1",
        "the - gate passes the upstream gradient -1 unchanged to p",
        "the - gate passes the negated upstream gradient, 1, to q",
    ]


@given(expressions())
def test_trace_matches_grad_and_marks_last_contribution_final(expr) -> None:  # type: ignore[no-untyped-def]
    xs = [Value(v, label=f"x{i}") for i, v in enumerate(expr.inputs)]
    out = expr.fn(*xs)
    t = trace_backward(out)
    expected = grad(out, xs)
    by_label = {n.label: n for n in t.nodes if n.label}
    for x, g in zip(xs, expected):
        got = by_label[x.label].grad if x.label in by_label else 0.0
        assert got == g.data or (math.isnan(got) and math.isnan(g.data))
    last: dict[str, int] = {}
    running: dict[str, float] = {}
    for e in t.events:
        assert e.grad_before == running.get(e.operand, 0.0) or math.isnan(e.grad_before)
        running[e.operand] = e.grad_after
        last[e.operand] = e.step
    for e in t.events:
        assert e.final == (last[e.operand] == e.step)
        if e.final:
            assert e.grad_after == t.node(e.operand).grad or math.isnan(e.grad_after)
    assert sum(n.consumers for n in t.nodes) == len(t.events)


def test_a_wide_node_names_its_operands_once_not_once_per_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    # audit of issue 10 item 14: the operand names of an n-ary node were rebuilt for each of its
    # k edges (k² work: a 784-input neuron took 2.45 s); now every name is built once per node
    from microgradnet.viz import trace as trace_module

    calls = {"n": 0}
    display = trace_module._display

    def counting(name: str) -> str:
        calls["n"] += 1
        return display(name)

    monkeypatch.setattr(trace_module, "_display", counting)
    for k in (50, 200):
        calls["n"] = 0
        L = apply("sum", *[Value(float(i), label=f"x{i}") * 2.0 for i in range(k)])
        t = trace_backward(L)
        assert len(t.events) == 3 * k  # k into the sum, 2 into each product
        assert calls["n"] <= len(t.nodes)  # linear: quadratic was k * k = 40,000 for k = 200
        assert t.events[0].formula_named == "1"
