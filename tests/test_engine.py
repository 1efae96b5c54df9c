"""Engine semantics from DESIGN.md: what every other layer and every user may rely on."""

from __future__ import annotations

import gc
import math
import sys
import weakref
from fractions import Fraction

import pytest

from microgradnet import AnomalyError, Value, detect_anomaly, grad, is_grad_enabled, no_grad
from microgradnet.engine import topological_order


def lecture_graph() -> tuple[Value, ...]:
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return a, b, c, f, e, d, L


def test_value_holds_float_data_and_grad() -> None:
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0 and v.grad == 0.0
    assert v.op == "" and v.children == () and v.label == ""
    assert Value(Fraction(1, 4)).data == 0.25 and Value(True).data == 1.0
    assert Value(10**400).data == math.inf


@pytest.mark.parametrize("bad", ["abc", None, [1.0], 1 + 2j, {"x": 1}])
def test_non_numbers_raise_type_error_naming_the_type(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)  # type: ignore[arg-type]


def test_value_of_value_points_to_data() -> None:
    with pytest.raises(TypeError, match=r"\.data"):
        Value(Value(1.0))  # type: ignore[arg-type]


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_arithmetic_with_non_numbers_raises_type_error() -> None:
    with pytest.raises(TypeError):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError):
        "a" * Value(1.0)  # type: ignore[operator]


def test_operators_and_their_reflected_and_in_place_forms() -> None:
    a = Value(3.0)
    assert (a + 1).data == (1 + a).data == 4.0
    assert (a - 1).data == 2.0 and (1 - a).data == -2.0
    assert (a * 2).data == (2 * a).data == 6.0
    assert (a / 2).data == 1.5 and (6 / a).data == 2.0
    assert (a**2).data == 9.0 and (2**a).data == 8.0 and (a ** Value(2.0)).data == 9.0
    assert (-a).data == -3.0 and (+a) is a and abs(Value(-2.0)).data == 2.0
    b = a
    b += 1
    b -= 2
    b *= 3
    b /= 2
    b **= 2
    assert b.data == 9.0 and a.data == 3.0  # in-place forms build new nodes; a is untouched


def test_methods_compute_their_functions() -> None:
    x = Value(0.5)
    for name, ref in [
        ("exp", math.exp),
        ("log", math.log),
        ("tanh", math.tanh),
        ("sin", math.sin),
        ("cos", math.cos),
        ("sqrt", math.sqrt),
    ]:
        assert getattr(x, name)().data == ref(0.5)
    assert x.sigmoid().data == 1 / (1 + math.exp(-0.5))
    assert Value(-1.0).relu().data == 0.0 and Value(2.0).relu().data == 2.0


def test_identity_hashing_and_data_comparisons() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and len({a, b}) == 2
    assert a <= b and a >= b and not a < b and b < 2 and Value(3.0) > 2.5
    assert isinstance(a < b, bool) and float(Value(2.5)) == 2.5


def test_repr_shows_data_grad_label_and_op() -> None:
    a = Value(2.0, label="a")
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert "op='mul'" in repr(a * a)


def test_children_keep_order_and_repeats() -> None:
    a = Value(3.0)
    b = Value(4.0)
    assert (a * a).children == (a, a)
    assert (b - a).children == (b, a)


def test_a_times_a_gets_both_contributions() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    b = Value(1.0)
    (b + b).backward()  # the lecture's `b = a + a` bug: the right answer is 2, not 1
    assert b.grad == 2.0


def test_gradients_add_up_at_forks() -> None:
    # colah's e = (a + b) * (b + 1) at a = 2, b = 1: ∂e/∂a = 2, ∂e/∂b = 5
    a, b = Value(2.0), Value(1.0)
    e = (a + b) * (b + 1)
    e.backward()
    assert (e.data, a.grad, b.grad) == (6.0, 2.0, 5.0)


def test_repeated_backward_accumulates_leaves_and_recomputes_interior_nodes() -> None:
    a, b, c, f, e, d, L = lecture_graph()
    L.backward()
    first = {v.label: v.grad for v in (a, b, c, f, e, d, L)}
    L.backward()
    for v in (a, b, c, f):
        assert v.grad == 2 * first[v.label], v.label
    for v in (e, d, L):
        assert v.grad == first[v.label], v.label
    assert first == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}


def test_zero_grad_resets_the_graph() -> None:
    *_, L = lecture_graph()
    L.backward()
    L.zero_grad()
    assert all(v.grad == 0.0 for v in topological_order(L))


def test_backward_on_a_leaf_accumulates_one() -> None:
    x = Value(5.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_topological_order_puts_operands_first_and_is_deterministic() -> None:
    a, b, c, f, e, d, L = lecture_graph()
    order = topological_order(L)
    assert order == [a, b, e, c, d, f, L]
    assert order == topological_order(L)


def test_million_node_chain_at_the_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 10_000
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert x.grad == 1.0 and y.data == 0.5
    del y  # freeing a million-deep chain must not overflow the C stack either


def test_a_dropped_graph_is_freed_by_reference_counting_alone() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        h = (x * 2 + 1).tanh()
        probe = weakref.ref(h.children[0])
        out = h * h + x.exp()
        out.backward()
        del h, out
        assert probe() is None, "graph kept alive: a reference cycle exists"
    finally:
        gc.enable()
    assert gc.collect() == 0


def test_no_grad_records_no_graph() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1
    assert is_grad_enabled()
    assert y.data == 5.0 and y.children == () and y.op == ""


def test_no_grad_restores_state_after_an_exception() -> None:
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert is_grad_enabled()


def test_detect_anomaly_names_the_op_and_the_inputs_forward() -> None:
    x = Value(0.0, label="x")
    x.log()  # outside the block: -inf, no error
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"op 'log' produced -inf from \('x'=0.0\)"):
        x.log()


def test_detect_anomaly_names_the_node_backward() -> None:
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.label = "y"
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"op 'sqrt' at node 'y'.*operand x = 'x'"):
        y.backward()


def test_detect_anomaly_is_quiet_on_finite_graphs() -> None:
    *_, L = lecture_graph()
    with detect_anomaly():
        L.backward()
    assert L.grad == 1.0


def test_grad_does_not_touch_dot_grad() -> None:
    a, b, c, f, e, d, L = lecture_graph()
    ga, gb, gz = grad(L, [a, b, Value(1.0)])
    assert (ga.data, gb.data, gz.data) == (6.0, -4.0, 0.0)
    assert all(v.grad == 0.0 for v in (a, b, c, f, e, d, L))
    assert grad(L, e).data == -2.0  # an interior node as input


def test_grad_rejects_a_non_bool_create_graph() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="create_graph must be True or False"):
        grad(x * x, x, create_graph="yes")  # type: ignore[arg-type]


def test_grad_rejects_non_values() -> None:
    with pytest.raises(TypeError, match="output"):
        grad(1.0, [Value(1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inputs"):
        grad(Value(1.0), [1.0])  # type: ignore[list-item]
