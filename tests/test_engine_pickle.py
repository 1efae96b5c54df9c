"""Pickling Values (issue 10 item 12): a graph pickled in one process and loaded in another, after
other Values were created there, gets fresh creation indices in order with its operands; ops are
kept by name; leaves keep their identity within a pickle."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from microgradnet import Value, define_op, engine
from microgradnet.ops import FLOAT_FUNCTIONS, OPS


def run(code: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=180, cwd=cwd
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_a_graph_loaded_in_another_process_is_in_creation_order(tmp_path: Path) -> None:
    run(
        """
        import pickle
        from microgradnet import Value, nn
        w, x = Value(0.5, label="w"), Value(2.0, label="x")
        y = (w * x + 1).tanh() * w
        y.label = "y"
        model = nn.MLP(2, [3, 1], seed=0)
        hand = Value(w.data + x.data, (w, x), "+")
        with open("g.pkl", "wb") as f:
            pickle.dump({"w": w, "y": y, "model": model, "hand": hand}, f)
        """,
        tmp_path,
    )
    out = run(
        """
        import pickle
        import numpy as np
        import microgradnet
        from microgradnet import Value, losses
        from microgradnet.engine import _creation_order
        made = [Value(float(k)) * 2 for k in range(1000)]  # other Values first: their indices are taken
        with open("g.pkl", "rb") as f:
            g = pickle.load(f)
        w, y, model, hand = g["w"], g["y"], g["model"], g["hand"]
        order = _creation_order(y, hand, *model.parameters())
        assert all(c._birth < n._birth for n in order for c in n.children), "not topological"
        assert min(n._birth for n in order) > max(m._birth for m in made)
        assert w in order and y.children[1] is w and hand.children[0] is w and hand._op == "+"
        y.backward()
        hand.backward()
        print(y.label, y.op, round(y.data, 12), round(w.grad, 12))
        # the compiled path on the loaded model equals the eager one (issue 10: a KeyError before)
        X, t = np.array([[0.5, -1.0], [1.5, 2.0]]), np.array([1.0, -1.0])
        step = microgradnet.compile(model, lambda o, target: (o - target) ** 2)
        loss = step(X, t)
        eager = sum(((model([Value(a), Value(b)]) - target) ** 2).data for (a, b), target in zip(X, t)) / 2
        print(abs(loss - eager) < 1e-12)
        """,
        tmp_path,
    )
    w, x = Value(0.5), Value(2.0)
    y = (w * x + 1).tanh() * w
    y.backward()
    hand_grad = 1.0  # d(w + x)/dw, added by hand.backward()
    assert out.splitlines() == [f"y mul {round(y.data, 12)} {round(w.grad + hand_grad, 12)}", "True"]


def test_an_op_missing_where_the_pickle_is_loaded_gives_a_clear_error(tmp_path: Path) -> None:
    run(
        """
        import pickle
        from microgradnet import Value, define_op

        @define_op(grads=["2 * x"])
        def square_it(x):
            return x * x

        with open("op.pkl", "wb") as f:
            pickle.dump(square_it(Value(3.0)), f)
        """,
        tmp_path,
    )
    out = run(
        """
        import pickle
        try:
            pickle.load(open("op.pkl", "rb"))
        except ValueError as exc:
            print(exc)
        """,
        tmp_path,
    )
    assert "op 'square_it', which is not registered in this process" in out


def test_round_trips_in_one_process() -> None:
    @define_op(grads=["3 * x * x"])
    def cube_pickle_test(x: float) -> float:
        return x * x * x

    try:
        a = Value(1.5, label="a")
        a.grad = 0.25
        nodes = [a * a, a**2, a.detach(), cube_pickle_test(a), Value(2.0, (a,), "mystery")]
        back = pickle.loads(pickle.dumps([a, *nodes]))
        assert back[0].grad == 0.25 and back[0].label == "a" and back[0] is not a
        for old, new in zip(nodes, back[1:]):
            assert (new.data, new.op, new.arg, new._op) == (old.data, old.op, old.arg, old._op)
            assert all(c is back[0] for c in new.children)
        with pytest.raises(ValueError, match="mystery"):
            back[-1].backward()
        deep = Value(0.5)
        for _ in range(50_000):  # written flat: no recursion limit
            deep = deep * 1.0
        assert pickle.loads(pickle.dumps(deep)).data == 0.5
        c = copy.deepcopy(nodes[0])
        assert c.data == nodes[0].data and c.children[0] is not a and c._birth > nodes[-1]._birth
    finally:
        del OPS["cube_pickle_test"], FLOAT_FUNCTIONS["cube_pickle_test"]
    assert engine._make is engine._make_fast
