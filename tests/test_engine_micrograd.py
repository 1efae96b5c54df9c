"""micrograd's names on Value (issue 11 item 1): the constructor, ``_prev``, ``_op`` and
``_backward()``, so micrograd's tests and the lecture's cells run with only the import changed."""

from __future__ import annotations

import math
from pathlib import Path

import mpmath as mp
import pytest

from microgradnet import OPS, Value, apply, grad

REFERENCE = Path(__file__).parent / "reference" / "micrograd_test_engine.py"


def test_micrograds_own_test_engine_passes_with_only_the_import_changed() -> None:
    pytest.importorskip("torch")
    source = REFERENCE.read_text()
    assert source.count("from micrograd.engine import Value") == 1
    namespace: dict[str, object] = {"__name__": "micrograd_test_engine"}
    exec(compile(source.replace("from micrograd.engine import Value", "from microgradnet import Value"),
                 str(REFERENCE), "exec"), namespace)  # fmt: skip
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert len(tests) == 2
    for test in tests:
        test()


# micrograd's two tests again without PyTorch: the same expressions, checked against mpmath's
# derivatives at 50 digits (and micrograd's published numbers: its README prints g = 24.7041,
# a.grad = 138.8338, b.grad = 645.5773 for the second expression)
def sanity(x: object) -> object:
    z = 2 * x + 2 + x
    q = z.relu() + z * x  # type: ignore[attr-defined]
    h = (z * z).relu()  # type: ignore[attr-defined]
    return h + q + q * x


def more_ops(a: object, b: object) -> object:
    c = a + b  # type: ignore[operator]
    d = a * b + b**3  # type: ignore[operator]
    c += c + 1
    c += 1 + c + (-a)  # type: ignore[operator]
    d += d * 2 + (b + a).relu()  # type: ignore[operator]
    d += 3 * d + (b - a).relu()  # type: ignore[operator]
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


class MpValue:
    """Just enough of a number for the two expressions, on mpmath floats (relu as max)."""

    def __init__(self, x: object) -> None:
        self.x = mp.mpf(x)  # type: ignore[arg-type]

    def relu(self) -> MpValue:
        return MpValue(max(self.x, mp.mpf(0)))

    def __getattr__(self, name: str) -> object:
        def op(*others: object) -> MpValue:
            args = [o.x if isinstance(o, MpValue) else o for o in others]
            return MpValue(getattr(self.x, name)(*args))

        if name.startswith("__"):
            return op
        raise AttributeError(name)


for _name in ("add", "radd", "mul", "rmul", "sub", "rsub", "truediv", "rtruediv", "pow", "neg"):
    setattr(MpValue, f"__{_name}__", lambda self, *o, _n=_name: MpValue.__getattr__(self, f"__{_n}__")(*o))


def mp_number(f: object, *xs: float, wrt: int | None = None) -> float:
    def g(*ts: object) -> mp.mpf:
        return f(*[MpValue(t) for t in ts]).x  # type: ignore[operator, attr-defined, no-any-return]

    mp.mp.dps = 50
    if wrt is None:
        return float(g(*xs))
    return float(mp.diff(lambda t: g(*[t if k == wrt else mp.mpf(x) for k, x in enumerate(xs)]), xs[wrt]))


def test_micrograds_sanity_check_against_mpmath() -> None:
    x = Value(-4.0)
    y = sanity(x)
    y.backward()  # type: ignore[attr-defined]
    assert y.data == mp_number(sanity, -4.0) == -20.0  # type: ignore[attr-defined]
    assert x.grad == mp_number(sanity, -4.0, wrt=0) == 46.0


def test_micrograds_more_ops_against_mpmath() -> None:
    a, b = Value(-4.0), Value(2.0)
    g = more_ops(a, b)
    g.backward()  # type: ignore[attr-defined]
    assert math.isclose(g.data, mp_number(more_ops, -4.0, 2.0), rel_tol=1e-12)  # type: ignore[attr-defined]
    assert math.isclose(a.grad, mp_number(more_ops, -4.0, 2.0, wrt=0), rel_tol=1e-9)
    assert math.isclose(b.grad, mp_number(more_ops, -4.0, 2.0, wrt=1), rel_tol=1e-9)
    assert (round(g.data, 4), round(a.grad, 4), round(b.grad, 4)) == (24.7041, 138.8338, 645.5773)  # type: ignore[attr-defined]


# ---- the constructor ---------------------------------------------------------------------------


def test_constructor_takes_micrograds_arguments_and_a_label_in_second_place() -> None:
    a = Value(2.0, "a")
    b = Value(-3.0, label="b")
    c = Value(4.0, (), "", "c")
    assert (a.label, b.label, c.label) == ("a", "b", "c")
    assert a.children == () and a._op == "" and a._prev == set()
    with pytest.raises(TypeError, match="label"):
        Value(1.0, "a", label="b")
    with pytest.raises(TypeError, match="_children must be a tuple of Values"):
        Value(1.0, (1.0, 2.0), "+")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="_children must be a tuple of Values"):
        Value(1.0, {a, b}, "+")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="both the operands"):
        Value(1.0, (), "+")


@pytest.mark.parametrize(
    ("make", "string", "row", "want"),
    [
        (lambda a, b: Value(a.data + b.data, (a, b), "+"), "+", "add", (1.0, 1.0)),
        (lambda a, b: Value(a.data * b.data, (a, b), "*"), "*", "mul", (-3.0, 2.0)),
        (lambda a, b: Value(a.data - b.data, (a, b), "-"), "-", "sub", (1.0, -1.0)),
        (lambda a, b: Value(a.data / b.data, (a, b), "/"), "/", "div", (-1 / 3, -2 / 9)),
        (lambda a, b: Value(a.data**2, (a,), "**2"), "**2", "pown", (4.0, 0.0)),
        (lambda a, b: Value(math.tanh(a.data), (a,), "tanh"), "tanh", "tanh", (1 - math.tanh(2.0) ** 2, 0.0)),
        (lambda a, b: Value(math.exp(a.data), (a,), "exp"), "exp", "exp", (math.exp(2.0), 0.0)),
        (lambda a, b: Value(max(a.data, 0.0), (a,), "ReLU"), "ReLU", "relu", (1.0, 0.0)),
        (lambda a, b: Value(-a.data, (a,), "-"), "-", "neg", (-1.0, 0.0)),
        (lambda a, b: Value(a.data + b.data + a.data, (a, b, a), "+"), "sum", "sum", (2.0, 1.0)),
        (lambda a, b: Value(1 / (1 + math.exp(-a.data)), (a,), "sigmoid"), "sigmoid", "sigmoid", None),
    ],
)
def test_hand_made_nodes_are_working_nodes(make, string: str, row: str, want) -> None:  # type: ignore[no-untyped-def]
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    node = make(a, b)
    assert node.op == row and node._op == string
    ref_a, ref_b = Value(2.0), Value(-3.0)
    operands = [ref_a, ref_b, ref_a] if row == "sum" else [ref_a, ref_b][: len(node.children)]
    ref = apply(row, *operands, arg=node.arg)
    assert node.data == pytest.approx(ref.data, rel=1e-15)
    node.backward()
    ref.backward()
    assert (a.grad, b.grad) == (ref_a.grad, ref_b.grad)
    if want is not None:
        assert (a.grad, b.grad) == pytest.approx(want, rel=1e-12)


def test_op_strings_for_the_ops_micrograd_has_and_for_the_others() -> None:
    x, y = Value(0.5), Value(2.0)
    assert [v._op for v in (x + y, x * y, x**2, x**-1, x**0.5, x.tanh(), x.exp(), x.relu())] == [
        "+", "*", "**2", "**-1", "**0.5", "tanh", "exp", "ReLU",
    ]  # fmt: skip
    assert [v._op for v in (x - y, x / y, x**y, -x, x.log(), x.sigmoid(), x.detach())] == [
        "-", "/", "**", "-", "log", "sigmoid", "detach",
    ]  # fmt: skip
    assert (x * x)._prev == {x} and (x * y)._prev == {x, y}


def test_an_unknown_op_string_makes_a_node_that_backward_refuses_clearly() -> None:
    a = Value(2.0, "a")
    a.grad = 5.0
    node = Value(3.0, (a,), "sqrtish")
    out = node * 2
    assert node._op == "sqrtish" and node.children == (a,)
    with pytest.raises(ValueError, match=r"'sqrtish' is not one of .* Build the node with"):
        out.backward()
    assert a.grad == 5.0 and out.grad == 0.0  # refused before anything changed
    with pytest.raises(ValueError, match="sqrtish"):
        grad(out, a)
    with pytest.raises(ValueError, match=r"'\*' is not one of"):
        Value(1.0, (a,), "*").backward()  # a known string with the wrong number of operands
    # what the docs say of drawing it: the lecture's draw_dot walk (_prev, _op) works; microgradnet's
    # pictures record the backward pass, so they refuse it with the same message
    walked, stack = [], [out]
    while stack:
        v = stack.pop()
        walked.append(v._op)
        stack.extend(v._prev)
    assert "sqrtish" in walked
    from microgradnet import viz

    with pytest.raises(ValueError, match="sqrtish"):
        viz.draw_dot(out, grads="stored")


def test_the_lectures_manual_backprop_cells_run_node_by_node() -> None:
    # nn-zero-to-hero lecture 1 (micrograd_lecture_first_half_roughly.ipynb), cells 13 and 17-22:
    # the neuron o = tanh(x1*w1 + x2*w2 + b), back-propagated by hand; the drawn grads are
    # x1 -1.5, w1 1.0, x2 0.5, w2 0.0, b 0.5, n 0.5, o 1.0
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    n._backward()
    b._backward()  # a leaf: nothing to do
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    by_hand = [v.grad for v in (x1, w1, x2, w2, b, n)]
    assert by_hand == pytest.approx([-1.5, 1.0, 0.5, 0.0, 0.5, 0.5], abs=1e-6)
    for v in (x1, w1, x2, w2, b):
        v.grad = 0.0
    o.backward()
    assert [v.grad for v in (x1, w1, x2, w2, b, n)] == by_hand


def test_the_compatibility_names_cost_no_slot() -> None:
    assert set(Value.__slots__) == {
        "__weakref__",
        "_arg",
        "_birth",
        "_entry",
        "_label",
        "children",
        "data",
        "grad",
    }
    assert "detach" in OPS and not hasattr(Value(1.0), "__dict__")


def test_replacing_backward_or_a_non_str_label_is_a_clear_error_that_changes_nothing() -> None:
    a = Value(2.0, "a")
    out = a * 3
    with pytest.raises(AttributeError, match=r"_backward cannot be replaced.*define_op.*register_op"):
        out._backward = lambda: None  # type: ignore[method-assign,assignment]
    out.grad = 1.0
    out._backward()  # micrograd's own call still runs the node's chain-rule step
    assert a.grad == 3.0
    with pytest.raises(TypeError, match=r"Value.label must be a str, got 5 \(int\)"):
        a.label = 5  # type: ignore[assignment]
    assert a.label == "a"
    a.label = "x"
    assert a.label == "x" and repr(a) == "Value(data=2.0, grad=3.0, label='x')"
