"""The read watch the compiler uses to prove that one tape serves every input (issue 10 item 2):
every Python-level read of a watched Value's number is recorded, the engine's own reads are not,
and nothing changes outside the block or in other threads."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable

import numpy as np
import pytest

from microgradnet import Value, apply, engine, grad, no_grad
from microgradnet._watch import _Watched, watch_reads


def neuron(w: list[Value], b: Value, xs: list[Value]) -> Value:
    return (apply("dot", *xs, *w) + b).tanh() * 2 - (w[0] * xs[0]).relu() ** 2 / (1 + b.exp())


def leaves() -> tuple[list[Value], Value, list[Value]]:
    w = [Value(0.5, label="w0"), Value(-1.5, label="w1")]
    return w, Value(0.1, label="b"), [Value(2.0, label="x0"), Value(-1.0, label="x1")]


# (what the model's code does with a node h, the text its read must produce)
READS: list[tuple[str, Callable[[Value], object], str]] = [
    ("float", lambda h: float(h), "float() of a 'add' node"),
    ("int", lambda h: int(h), "int() of a 'add' node"),
    ("data", lambda h: h.data, ".data of a 'add' node"),
    ("round", lambda h: round(h, 2), "round() of a 'add' node"),
    ("floor", lambda h: math.floor(h), "math.floor() of a 'add' node"),
    ("ceil", lambda h: math.ceil(h), "math.ceil() of a 'add' node"),
    ("trunc", lambda h: math.trunc(h), "math.trunc() of a 'add' node"),
    ("format", lambda h: f"{h:.3f}", "format() of a 'add' node"),
    ("lt", lambda h: h < 0, "'<' comparison of a 'add' node"),
    ("le", lambda h: h <= 0, "'<=' comparison of a 'add' node"),
    ("gt", lambda h: h > 0, "'>' comparison of a 'add' node"),
    ("ge", lambda h: h >= 0, "'>=' comparison of a 'add' node"),
    (
        "reflected",
        lambda h: 0 < h,  # noqa: SIM300 (the reflected form on purpose)
        "'>' comparison of a 'add' node",
    ),
    ("math function", lambda h: math.exp(h), "float() of a 'add' node"),
]


@pytest.mark.parametrize(("kind", "read", "text"), READS, ids=[r[0] for r in READS])
def test_each_kind_of_read_of_a_new_node_is_recorded(
    kind: str, read: Callable[[Value], object], text: str
) -> None:
    w, b, xs = leaves()
    eager = read(w[0] * xs[0] + b)
    with watch_reads(w + [b]) as reads:
        got = read(w[0] * xs[0] + b)
    assert reads == [text]
    assert got == eager  # the same answer as without the watch


def test_reads_of_watched_leaves_name_them() -> None:
    w, b, _ = leaves()
    with watch_reads(w + [b]) as reads:
        w[0] < w[1]  # noqa: B015
        b.data
        float(w[1])
    assert reads == [
        "'<' comparison of the leaf 'w0' with the leaf 'w1'",
        ".data of the leaf 'b'",
        "float() of the leaf 'w1'",
    ]


def test_a_node_made_inside_no_grad_is_watched_too() -> None:
    w, _, _ = leaves()
    with watch_reads(w) as reads, no_grad():
        y = w[0] * 2
        assert y.op == ""  # no graph recorded, but its number came from w0
        float(y)
    assert reads == ["float() of an unlabelled leaf"]


def test_calls_into_random_are_recorded() -> None:
    w, _, _ = leaves()
    rng = random.Random(0)
    with watch_reads(w) as r1:
        w[0] * rng.random()
    with watch_reads(w) as r2:
        w[0] * random.uniform(0, 1)  # a module function that goes through random.Random
    with watch_reads(w) as r3:
        w[0] * random.random()  # a bound C method: seen as a change of the global state
    with watch_reads(w) as r4:
        rng.shuffle([1, 2, 3])
    assert r1 == ["a call into random (Random.random)"]
    assert r2 == [
        "a call into random (Random.random)",
        "a call into random (the global random state changed)",
    ]
    assert r3 == ["a call into random (the global random state changed)"]
    assert r4 and all(r == "a call into random (Random.getrandbits)" for r in r4)
    assert "random" not in random.Random.__dict__ and "getrandbits" not in random.Random.__dict__


def test_draws_from_numpys_global_random_state_are_recorded() -> None:
    w, _, _ = leaves()
    with watch_reads(w) as reads:
        w[0] * float(np.random.rand())
    assert reads == ["a draw from NumPy's global random state"]
    with watch_reads(w) as none:
        w[0] * float(np.random.default_rng(0).random())  # a Generator of its own: not global state
    assert none == []


def test_the_engines_own_reads_are_not_recorded() -> None:
    w, b, xs = leaves()
    with watch_reads(w + [b] + xs) as reads:
        out = neuron(w, b, xs)
        out.backward()
        g = grad(out, w, create_graph=True)
        grad(g[0], w[0])
        repr(out), str(out), f"{out}", bool(out), out == out, hash(out)
        with engine.detect_anomaly():
            neuron(w, b, xs).backward()
    assert reads == []


def test_classes_are_restored_after_the_block_even_on_an_exception() -> None:
    w, b, xs = leaves()
    made: list[Value] = []
    with pytest.raises(RuntimeError), watch_reads(w + [b]):
        assert all(type(v) is _Watched for v in w + [b])
        made.append(neuron(w, b, xs))
        assert type(made[0]) is _Watched
        raise RuntimeError
    assert all(type(v) is Value for v in [*w, b, *xs, *engine.topological_order(made[0])])
    assert engine._make is engine._make_fast  # the fast node maker is back
    with watch_reads(w) as reads:
        pass
    assert reads == []


def test_gradients_inside_and_outside_the_block_are_identical() -> None:
    w, b, xs = leaves()
    out = neuron(w, b, xs)
    out.backward()
    want = [v.grad for v in w + [b]]
    w2, b2, xs2 = leaves()
    with watch_reads(w2 + [b2]):
        out2 = neuron(w2, b2, xs2)
        out2.backward()
    assert out2.data == out.data and [v.grad for v in w2 + [b2]] == want


def test_nested_watches_both_hear_inner_reads() -> None:
    w, _, _ = leaves()
    with watch_reads(w) as outer:
        y = w[0] * 3
        with watch_reads([]) as inner:
            float(y)
            z = y + 1
        float(z)  # made in the inner block: still watched by the outer one
    assert inner == ["float() of a 'mul' node"]
    assert outer == ["float() of a 'mul' node", "float() of a 'add' node"]


def test_bad_leaves_are_rejected() -> None:
    class Sub(Value):
        __slots__ = ()

    with pytest.raises(TypeError, match="watches Values"), watch_reads([1.0]):  # type: ignore[list-item]
        pass
    with pytest.raises(TypeError, match="subclass"), watch_reads([Sub(1.0)]):
        pass
    assert engine._make is engine._make_fast


def test_other_threads_stay_correct_and_unrecorded_during_a_watch() -> None:
    w, b, xs = leaves()
    started, done = threading.Event(), threading.Event()
    errors: list[str] = []

    def other() -> None:
        started.set()
        for k in range(2_000):
            x = Value(float(k % 7) - 3.0)
            y = x * x + w[0]  # uses a watched leaf of the other thread's block
            y.backward()
            float(y), w[0].data  # reads in this thread are not the block's
            if x.grad != 2 * x.data or type(y) is not Value:
                errors.append(f"{k}: {x.grad} {type(y)}")
        done.set()

    t = threading.Thread(target=other)
    with watch_reads(w + [b]) as reads:
        t.start()
        assert started.wait(10)
        while not done.is_set():
            neuron(w, b, xs).backward()
    t.join(timeout=30)
    assert not t.is_alive() and errors == []
    assert reads == []
