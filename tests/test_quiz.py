"""What quiz mode asks at each step: the exact answers from the trace, and hints for the classic slips."""

from __future__ import annotations

import math

from microgradnet.examples import load_example
from microgradnet.viz import HtmlStepper
from microgradnet.viz.html import QUIZ_ABS_TOL, QUIZ_REL_TOL


def test_each_hidden_result_is_asked_with_the_traced_number() -> None:
    stepper = HtmlStepper(load_example("lecture-expression").root, quiz=True)
    trace = stepper.trace
    asked = [s for s in stepper.steps if "masked" in s]
    forward = [s for s in asked if s["kind"] == "forward"]
    edges = [s for s in asked if s["kind"] == "edge"]
    assert [s["masked"]["answer"] for s in forward] == [n.data for n in trace.nodes if not n.is_leaf]
    assert [s["masked"]["answer"] for s in edges] == [e.grad_after for e in trace.events]
    assert all(s["masked"]["hints"] == [[-s["masked"]["answer"], "Check the sign. "]] for s in forward)
    by_ask = {s["masked"]["ask"]: s["masked"] for s in edges}
    # the lecture: a.grad = b · ∂L/∂e = (-3)·(-2) = 6
    assert by_ask["a.grad"]["shown"] == "6" and "what is a.grad?" in by_ask["a.grad"]["prompt"]
    assert stepper.data()["ui"]["quiz"] is True
    assert (stepper.data()["ui"]["quiz_rel_tol"], stepper.data()["ui"]["quiz_abs_tol"]) == (
        QUIZ_REL_TOL,
        QUIZ_ABS_TOL,
    )


def test_hints_name_the_classic_slips_at_a_fork() -> None:
    # colah: e = (a + b)(b + 1) at a=2, b=1; b feeds both c = a + b and d = b + 1, so its second
    # contribution is added to the first: ∂e/∂b = 2 + 3 = 5
    stepper = HtmlStepper(load_example("colah-paths").root, quiz=True)
    trace = stepper.trace
    b = trace.by_name("b")
    second = trace.ledger(b.id)[1]
    step = next(s for s in stepper.steps if s.get("event") == second.step)
    hints = dict((round(v, 9), text) for v, text in step["masked"]["hints"])
    assert step["masked"]["answer"] == 5.0 == second.grad_after
    assert "contribution" in hints[round(second.contribution, 9)]
    assert f"before ({second.grad_before:g})" in hints[round(second.contribution, 9)]
    assert "Check the sign" in hints[-5.0]
    for value in hints:  # a hint never fires for a right answer
        assert not math.isclose(value, 5.0, rel_tol=QUIZ_REL_TOL)


def test_quiz_off_by_default_and_no_question_at_a_whole_layer() -> None:
    page = HtmlStepper(load_example("cs231n-circuit").root).html()
    assert '"quiz":false' in page
    # a step that merges a neuron's or a layer's edges asks nothing (open the box to be asked)
    network = HtmlStepper(load_example("moons-mlp").root, quiz=True)
    blocks = [b for level in network.levels for b in level["blocks"]]
    assert blocks and not any("masked" in b for b in blocks)
    assert network.data()["ui"]["quiz_not_here"].startswith("(no question at a whole neuron or layer")
