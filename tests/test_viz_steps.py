"""The stepper's step model at neuron and layer level (viz/steps.py): what the collapsed boxes
and blocks say, for networks built the ways a learner builds them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from microgradnet import OPS, Value, apply, register_op
from microgradnet.viz import trace_backward
from microgradnet.viz.steps import build_levels, build_steps


@pytest.fixture
def softsign() -> Iterator[str]:
    """A user-registered activation: softsign(x) = x / (1 + |x|)."""
    from microgradnet.ops import FLOAT_FUNCTIONS

    register_op(
        "test_softsign",
        forward="x / (1 + abs(x))",
        grads=["1 / (1 + abs(x)) ** 2"],
        params=("x",),
        kind="activation",
    )
    try:
        yield "test_softsign"
    finally:
        del OPS["test_softsign"], FLOAT_FUNCTIONS["test_softsign"]


def one_layer(act: str) -> Value:
    """Two neurons act(dot(x, w) + b) on the same two inputs, added: nn's way of building one."""
    xs = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    outs = []
    for r in range(2):
        w = [Value(0.1 * (r + c + 1), label=f"0.weight[{r}][{c}]") for c in range(2)]
        b = Value(0.2, label=f"0.bias[{r}]")
        outs.append(apply(act, apply("dot", *xs, *w) + b))
    L = outs[0] * 2.0 + outs[1]  # the constant keeps the loss out of the layer's box
    L.label = "L"
    return L


def levels(root: Value) -> dict[str, dict]:  # type: ignore[type-arg]
    trace = trace_backward(root)
    return {lv["level"]: lv for lv in build_levels(trace, build_steps(trace))}


def test_a_registered_activation_is_narrated_like_a_built_in_one(softsign: str) -> None:
    # audit of issue 9, 1c: only tanh/relu/sigmoid were recognised; the op table's kind is read now
    for act in ("tanh", softsign):
        for name, level in levels(one_layer(act)).items():
            forward = [b for b in level["blocks"] if b["phase_key"] == "forward"]
            backward = [b for b in level["blocks"] if b["phase_key"] == "backward"]
            assert forward and backward, name
            for block in forward:
                assert f"then h = {act}(z)" in block["narration"], (act, name)
                assert "no activation" not in block["narration"]
                assert block["lines"][2].startswith(f"h = {act}(z)")
            for block in backward:
                assert "table" in block  # the vector form: δ, dW, dx
                assert ("(1 - h * h)" if act == "tanh" else "(1 + abs(z)) ** 2") in block["lines"][1]


def test_the_seed_step_summarises_the_gradients_leaves_already_hold() -> None:
    # audit of issue 12, G: after an earlier backward() the seed step listed every leaf's held
    # gradient (1,331 characters on moons-mlp); it now says "30 parameters, 3 shown" like the others
    from microgradnet.examples import load_example

    loss = load_example("moons-mlp").root
    loss.backward()
    trace = trace_backward(loss)
    held = [n for n in trace.nodes if n.is_leaf and n.grad_start != 0.0]
    params = [n for n in held if n.role == "parameter"]
    assert len(params) > 8 and len(held) > len(params)
    (seed,) = [s for s in build_steps(trace).steps if s["kind"] == "seed"]
    text = seed["narration"]
    assert f"{len(params)} parameters, 3 shown: {params[0].name}.grad = " in text
    assert f"{len(held) - len(params)} inputs, 3 shown: " in text
    assert params[3].name + ".grad" not in text and len(text) < 600
    # a few held gradients are still listed one by one
    x = Value(2.0, label="x")
    y = x * 3.0
    y.backward()
    (seed,) = [s for s in build_steps(trace_backward(y)).steps if s["kind"] == "seed"]
    assert "x.grad = 3" in seed["narration"] and "shown" not in seed["narration"]
