"""The stepper's step model at neuron and layer level (viz/steps.py): what the collapsed boxes
and blocks say, for networks built the ways a learner builds them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


def lecture_network() -> tuple[Value, Any]:
    """The lecture's MLP(2, [4, 4, 1]) with its sum-of-squares loss on two samples (180 nodes)."""
    import random

    from microgradnet.lecture import MLP

    random.seed(0)
    n = MLP(2, [4, 4, 1])
    xs = [
        [Value(1.0, label="x0_0"), Value(-0.5, label="x0_1")],
        [Value(0.3, label="x1_0"), Value(0.8, label="x1_1")],
    ]
    ys = [1.0, -1.0]
    ypred = [n(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    assert isinstance(loss, Value)
    loss.label = "loss"
    return loss, n


def test_a_lecture_network_collapses_into_one_block_per_layer_and_sample() -> None:
    # audit of issue 12, A: lecture.MLP's neurons (b + w0*x0 + w1*x1, then tanh) were cut into 30
    # forward blocks, narrated "it has no activation", and had no vector form
    import math

    from microgradnet.viz.strings import format_number

    loss, _ = lecture_network()
    trace = trace_backward(loss)
    model = build_steps(trace)
    steps = model.steps
    lv = {level["level"]: level for level in build_levels(trace, model)}
    layer, neuron = lv["layer"], lv["neuron"]
    for level, n_boxes in ((layer, 6), (neuron, 18)):
        assert len(level["boxes"]) == n_boxes
        blocks = level["blocks"]
        assert sorted(b["phase_key"] for b in blocks) == ["backward"] * n_boxes + ["forward"] * n_boxes
        assert len({(b["phase_key"], b["title"]) for b in blocks}) == len(blocks)  # one block per box
        for block in blocks:
            box = level["boxes"][block["box"] - level["boxes"][0]["item"]]
            covered = range(block["first"], block["last"] + 1)
            if block["phase_key"] == "forward":
                # the block computes exactly its box's nodes: nothing is shown before it is computed
                assert {steps[s]["set"][0][0] for s in covered} == set(box["members"])
                assert "then h = tanh(z)" in block["narration"] and "no activation" not in block["narration"]
                zs = block["lines"][1].split(" = ")[-1].strip("[]").split(", ")
                hs = block["lines"][2].split(" = ")[-1].strip("[]").split(", ")
                for z, h, out in zip(zs, hs, box["outputs"]):
                    assert float(h) == pytest.approx(math.tanh(float(z)), abs=1e-3)
                    assert h == format_number(trace.nodes[out].data)
            else:
                assert {trace.events[steps[s]["event"]].node for s in covered} == {
                    f"n{k}" for k in box["members"]
                }
                xs = [trace.nodes[k] for k in box["inputs"]]
                for row in block["table"]["rows"]:
                    for j, (text, step) in enumerate(row[1:]):
                        event = trace.events[steps[step]["event"]]
                        assert trace.nodes[int(event.operand[1:])].role == "parameter"
                        assert text == format_number(event.contribution)
                        assert event.contribution == pytest.approx(
                            float(row[0]) * xs[j].data, rel=1e-3, abs=1e-6
                        )
    # the forward steps still follow the graph: every op node comes after its operands
    done = {k for k, n in enumerate(trace.nodes) if n.is_leaf}
    for step in steps:
        if step["kind"] == "forward":
            k = step["set"][0][0]
            assert all(int(c[1:]) in done for c in trace.nodes[k].children)
            done.add(k)
    assert len(done) == len(trace.nodes)


def test_the_layer_step_shows_w_summarised_like_dw() -> None:
    # audit of issue 12, B: the layer step gave g, δ, dx, dW and db but never W's numbers
    from microgradnet.nn import MLP
    from microgradnet.viz.strings import format_number

    loss, net = lecture_network()
    trace = trace_backward(loss)
    model = build_steps(trace)
    layer = {level["level"]: level for level in build_levels(trace, model)}["layer"]
    backward = [b for b in layer["blocks"] if b["phase_key"] == "backward"]
    first_layer = next(b for b in backward if b["title"].endswith("layer 0 · sample 1"))
    w = [[format_number(wi.data) for wi in neuron.w] for neuron in net.layers[0].neurons]
    assert first_layer["db"].startswith(
        "W = [" + ", ".join("[" + ", ".join(r) + "]" for r in w) + "]   db = δ = "
    )
    # a wide layer is summarised like its dW table: 4 rows and 6 columns, then the size
    wide = MLP(10, [8, 1], seed=0)
    out = wide([Value(0.1 * i, label=f"x{i}") for i in range(10)])
    t = trace_backward(out)
    lv = {level["level"]: level for level in build_levels(t, build_steps(t))}
    (block,) = [b for b in lv["layer"]["blocks"] if b["phase_key"] == "backward" and "layer 0" in b["title"]]
    assert block["table"]["note"] == "8×10, 4×6 shown"
    weights = block["db"].split("   db")[0]
    assert weights.count("… 10]") == 4 and weights.endswith(", … 8×10]")
    row0 = [format_number(wi.data) for wi in wide.layers[0].neurons[0].w[:6]]
    assert weights.startswith("W = [[" + ", ".join(row0) + ", … 10], [")


def test_a_box_of_no_known_shape_is_not_said_to_have_no_activation() -> None:
    # a neuron computing tanh(w * x + b * w) is not W·x + b: its block says only what it computes
    x = Value(0.5, label="x")
    w, b = Value(2.0, label="0.weight[0][0]"), Value(0.1, label="0.bias[0]")
    out = (w * x + b * w).tanh() * 3.0
    for level in levels(out).values():
        (forward,) = [blk for blk in level["blocks"] if blk["phase_key"] == "forward"]
        assert "no activation" not in forward["narration"] and "W·x" not in forward["narration"]
        assert (
            "computes its 1 output(s) from its inputs at once (one step for 4 scalar" in forward["narration"]
        )


def test_a_network_whose_layers_run_in_one_go_keeps_the_forward_order() -> None:
    # the forward steps are regrouped only where a layer is interleaved (the lecture's networks)
    from microgradnet.examples import load_example
    from microgradnet.viz.steps import _forward_order

    trace = trace_backward(load_example("moons-mlp").root)
    assert _forward_order(trace) == [n for n in trace.nodes if not n.is_leaf]
    lecture = trace_backward(lecture_network()[0])
    assert _forward_order(lecture) != [n for n in lecture.nodes if not n.is_leaf]


def test_the_last_step_lists_no_gradient_for_a_number_of_the_formula() -> None:
    # parse_expression labels the literal of 2*a "2"; the summary listed "∂L/∂2 = 1.5" as if the
    # student had asked for the gradient of a number
    from microgradnet.viz import HtmlStepper
    from microgradnet.viz.expr import parse_expression

    steps = HtmlStepper(parse_expression("a*b + 2*a", {"a": 1.5, "b": 2.0})).data()["steps"]
    done = next(s for s in steps if s["kind"] == "done")
    assert done["lines"][0] == "∂L/∂a = 4   ∂L/∂b = 1.5"
