"""The catalogue of slips (microgradnet.slips) and planting them in traces (microgradnet.viz.slips)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microgradnet import Value, losses, nn
from microgradnet.examples import load_example
from microgradnet.slips import (
    SLIPS,
    LayerCase,
    Site,
    SlipError,
    SlipKind,
    feedback,
    get_slip,
    plant,
    sites,
    wrong_answers,
)
from microgradnet.testing import numeric_grad
from microgradnet.viz import trace_backward
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.slips import leaf_function, plant_slip, slipped_trace

# one graph where each kind applies (and the lecture expression, where few do)
LECTURE = ("(a*b + c) * f", {"a": 2, "b": -3, "c": 10, "f": -2})
WHERE = {
    "fanout": ("a*b + a", {"a": 2, "b": -3}),
    "averaged": ("a*b + a", {"a": 2, "b": -3}),
    "local_only": LECTURE,
    "outer_at_input": ("tanh(x*w + b)", {"x": 2, "w": -0.5, "b": 0.4}),
    "sign": ("(a - b) * c", {"a": 1, "b": 3, "c": 2}),
    "relu_side": ("relu(a) * b + abs(c)", {"a": 1.5, "b": 2, "c": -3}),
    "scaled": ("(a*b - c)**2 + a**b", {"a": 2, "b": 3, "c": 1}),
}


def _mlp_loss() -> Value:
    net = nn.MLP(2, [2, 2], seed=0)
    out = net([Value(1.0, "x1"), Value(-2.0, "x2")])
    loss = losses.softmax(out)[0] * Value(3.0, "y")
    loss.label = "L"
    return loss


def _graph(kind: str) -> Value:
    if kind in ("layer", "softmax_sum"):
        return _mlp_loss()
    text, values = WHERE[kind]
    return parse_expression(text, values)


@pytest.mark.parametrize("kind", list(SLIPS))
def test_every_planted_slip_changes_a_gradient_that_finite_differences_refute(kind: str) -> None:
    root = _graph(kind)
    fn, xs = leaf_function(root)
    numeric = numeric_grad(fn, xs)
    for seed in range(3):
        s = plant_slip(root, kind, seed=seed)
        right = [n.grad for n in s.right.nodes if n.is_leaf]
        wrong = [n.grad for n in s.wrong.nodes if n.is_leaf]
        assert all(math.isclose(r, g, rel_tol=1e-4, abs_tol=1e-6) for r, g in zip(right, numeric))
        assert any(not math.isclose(w, g, rel_tol=1e-4, abs_tol=1e-6) for w, g in zip(wrong, numeric))
        # the events before the first wrong one are untouched; the first wrong one differs
        assert s.wrong.events[: s.first_step] == s.right.events[: s.first_step]
        assert s.wrong.events[s.first_step] != s.right.events[s.first_step]
        assert s.explanation and "\n" not in s.explanation


@pytest.mark.parametrize("kind", list(SLIPS))
def test_a_kind_that_cannot_apply_is_refused_in_one_line_naming_it(kind: str) -> None:
    # a single product: no fan-out, no upstream other than 1, no tanh, no minus, no relu, no layer,
    # no power
    root = parse_expression("a * b", {"a": 2, "b": -3})
    with pytest.raises(SlipError) as info:
        plant_slip(root, kind)
    message = str(info.value)
    assert f"'{kind}'" in message and "\n" not in message
    assert SLIPS[kind].text("refusal") in message or "changes a gradient" in message


def test_random_draws_only_kinds_that_apply_and_is_repeatable() -> None:
    root = parse_expression("(a - b) * a", {"a": 2, "b": -3})
    kinds = {plant_slip(root, "random", seed=s).kind.name for s in range(12)}
    assert kinds <= {"fanout", "averaged", "local_only", "sign"} and len(kinds) >= 2
    one, two = plant_slip(root, "random", seed=5), plant_slip(root, "random", seed=5)
    assert one.wrong.to_json() == two.wrong.to_json() and one.explanation == two.explanation


def test_replaying_with_the_right_update_reproduces_the_trace() -> None:
    """A kind whose edit is the chain rule itself plants nothing: the replay is the backward pass."""
    trace = trace_backward(_mlp_loss())
    honest = SlipKind(
        "honest",
        lambda t: [Site(t.root, tuple(range(len(t.events))))],
        lambda t, s, e, local, up, before: (local, local * up, before + local * up),
    )
    with pytest.raises(SlipError, match="changes no gradient"):
        plant(trace, honest, site=honest.find(trace)[0])
    assert sites(trace, honest) == []


def test_fanout_keeps_only_the_last_contribution() -> None:
    trace = trace_backward(parse_expression("a*b + a", {"a": 2, "b": -3}))
    a = trace.by_name("a")
    slipped = plant(trace, "fanout")
    assert slipped.grads[a.id] == trace.ledger(a.id)[-1].contribution  # -3, not 1 + (-3)
    assert trace.events[slipped.first_step].operand == a.id
    assert slipped_trace(trace, slipped).node(a.id).grad == -3.0


def test_outer_at_input_evaluates_the_derivative_at_the_input() -> None:
    trace = trace_backward(parse_expression("tanh(n)", {"n": 0.5}))
    slipped = plant(trace, "outer_at_input")
    assert slipped.edges[0].local == pytest.approx(1 - 0.5**2)  # 1 - n², not 1 - tanh(n)²
    assert trace.events[0].local == pytest.approx(1 - math.tanh(0.5) ** 2)


def test_averaged_takes_the_mean_of_the_contributions() -> None:
    trace = trace_backward(parse_expression("a*b + a*c + a", {"a": 2, "b": -3, "c": 5}))
    a = trace.by_name("a")
    contributions = [e.contribution for e in trace.ledger(a.id)]  # -3, 5, 1: the right sum is 3
    slipped = plant(trace, "averaged")
    assert slipped.grads[a.id] == pytest.approx(sum(contributions) / 3) and a.grad == sum(contributions)
    assert "averaged over them" in slipped.explain(trace)


def test_scaled_drops_the_power_rules_factor() -> None:
    trace = trace_backward(parse_expression("x**3 * 2", {"x": 2.0}))
    x = trace.by_name("x")
    assert plant(trace, "scaled").grads[x.id] == pytest.approx(2 * 2.0**2)  # x², not 3x²
    assert x.grad == pytest.approx(2 * 3 * 2.0**2)
    trace = trace_backward(parse_expression("x**y", {"x": 2.0, "y": 3.0}))  # pow: y·x^(y-1) as x^(y-1)
    assert plant(trace, "scaled").grads[trace.by_name("x").id] == pytest.approx(4.0)
    assert sites(trace_backward(parse_expression("x**1 * 3", {"x": 2.0})), "scaled") == []


def test_relu_side_and_sign_slips() -> None:
    trace = trace_backward(parse_expression("relu(x) * 3", {"x": 2.0}))
    assert plant(trace, "relu_side").edges[-1].local == 0.0  # the gradient stopped where it passes
    trace = trace_backward(parse_expression("(a - b) * 2", {"a": 5, "b": 1}))
    assert plant(trace, "sign").grads[trace.by_name("b").id] == 2.0  # -(-2): the minus dropped


def test_wrong_answers_and_feedback_name_the_slip() -> None:
    trace = trace_backward(parse_expression("(a*b + c) * f", {"a": 2, "b": -3, "c": 10, "f": -2}))
    a = trace.by_name("a")
    values = [v for v, _ in wrong_answers(trace, "local_only", a.id)]
    assert -3.0 in values and a.grad not in values  # b alone, without the upstream -2
    assert [v for v, _ in wrong_answers(trace, "sign", a.id)] == [-a.grad]
    _, site = wrong_answers(trace, "local_only", a.id)[0]
    assert "∂L/∂t1" in feedback(trace, "local_only", site)  # t1 = a*b, the node it forgot


def test_get_slip_errors() -> None:
    with pytest.raises(ValueError, match="fanout"):
        get_slip("nope")
    with pytest.raises(TypeError):
        get_slip(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="part must be"):
        SLIPS["fanout"].text("nope")
    with pytest.raises(ValueError, match="part must be"):
        SLIPS["fanout"].text("check.transposed")  # a form of another kind
    with pytest.raises(TypeError):
        SLIPS["sign"].layer_variants("dW")  # type: ignore[arg-type]


def _linear_case(rng: np.random.Generator) -> LayerCase:
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    y = x @ w.T + b
    dy = rng.normal(size=(4, 2))
    return LayerCase("Linear", x, y, dy, {"x": dy @ w, "W": dy.T @ x, "b": dy.sum(axis=0)}, {"W": w, "b": b})


def test_layer_variants_are_the_lessons_numpy_mistakes() -> None:
    rng = np.random.default_rng(0)
    case = _linear_case(rng)
    last, first = (v.grads for v in SLIPS["fanout"].layer_variants(case))  # one sample's share only
    assert np.allclose(last["W"], np.outer(case.dy[-1], case.x[-1])) and np.allclose(last["b"], case.dy[-1])
    assert np.allclose(first["W"], np.outer(case.dy[0], case.x[0])) and np.allclose(first["b"], case.dy[0])
    (mean,) = SLIPS["averaged"].layer_variants(case)
    assert set(mean.grads) == {"W", "b"} and np.allclose(mean.grads["b"], case.dy.mean(axis=0))
    transposed, not_summed, wrong_axis = SLIPS["layer"].layer_variants(case)
    assert [v.name for v in (transposed, not_summed, wrong_axis)] == [
        "transposed",
        "not_summed",
        "wrong_axis",
    ]
    assert transposed.grads["W"].shape == (3, 2) and np.allclose(transposed.grads["W"].T, case.grads["W"])
    assert not_summed.grads["b"].shape == (4, 2) and wrong_axis.grads["b"].shape == (4,)
    (sign,) = SLIPS["sign"].layer_variants(case)
    assert all(np.allclose(v, -case.grads[k]) for k, v in sign.grads.items())
    (local,) = SLIPS["local_only"].layer_variants(case)  # backward with dy replaced by ones
    assert np.allclose(local.grads["W"], np.ones((4, 2)).T @ case.x) and np.allclose(local.grads["b"], 4.0)
    factors = [v.grads["b"] / case.grads["b"] for v in SLIPS["scaled"].layer_variants(case)]
    assert np.allclose(factors, np.array([2.0, 0.5, 4.0, 0.25])[:, None])
    # softmax without its sum term: p * dp instead of p * (dp - Σ p dp)
    z = rng.normal(size=(3, 4))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    dp = rng.normal(size=(3, 4))
    right = p * dp - p * (p * dp).sum(axis=1, keepdims=True)
    soft = LayerCase("Softmax", z, p, dp, {"x": right})
    (wrong,) = SLIPS["softmax_sum"].layer_variants(soft)
    assert np.allclose(wrong.grads["x"], p * dp) and not np.allclose(wrong.grads["x"], right)
    tanh = LayerCase("Tanh", z, np.tanh(z), dp, {"x": (1 - np.tanh(z) ** 2) * dp})
    assert np.allclose(SLIPS["outer_at_input"].layer_variants(tanh)[0].grads["x"], (1 - z**2) * dp)
    assert np.allclose(SLIPS["local_only"].layer_variants(tanh)[0].grads["x"], 1 - np.tanh(z) ** 2)
    relu = LayerCase("ReLU", z, np.maximum(z, 0), dp, {"x": dp * (z > 0)})
    assert np.allclose(SLIPS["relu_side"].layer_variants(relu)[0].grads["x"], dp * (z < 0))
    assert SLIPS["softmax_sum"].layer_variants(case) == [] and SLIPS["averaged"].layer_variants(tanh) == []


def test_every_layer_form_has_its_sentence() -> None:
    rng = np.random.default_rng(1)
    for kind in SLIPS.values():
        for variant in kind.layer_variants(_linear_case(rng)):
            sentence = kind.text(variant.part).format(grad="dW", factor="2", n=4)
            assert sentence.startswith("dW ") and "{" not in sentence
            assert kind.text(variant.part, "ne") != sentence


@pytest.mark.parametrize(
    ("example", "kind", "seed"), [("mazur-network", "random", 9), ("lecture-mlp", "outer_at_input", 8)]
)
def test_a_site_finite_differences_cannot_see_is_never_drawn(example: str, kind: str, seed: int) -> None:
    """These draws used to land on a site whose change is below the finite-difference check, and
    the call was refused; now only the sites the check can see are drawn among (seeded)."""
    root = load_example(example).root
    fn, xs = leaf_function(root)
    numeric = numeric_grad(fn, xs)
    s = plant_slip(root, kind, seed=seed)
    wrong = [n.grad for n in s.wrong.nodes if n.is_leaf]
    assert any(not math.isclose(w, g, rel_tol=1e-4, abs_tol=1e-4) for w, g in zip(wrong, numeric))
    assert plant_slip(root, kind, seed=seed).wrong.to_json() == s.wrong.to_json()


def test_a_change_too_small_to_see_is_redrawn_and_refused_only_when_no_site_is_left() -> None:
    values = {"a": 2, "b": 3, "k": 1e-9, "c": 2, "d": 3}
    # two fan-out nodes: at a the slip only drops a*k's 1e-9, at c it drops 3: every seed picks c
    for seed in range(4):
        s = plant_slip("a*b + a*k + c*d + c*c", "fanout", seed=seed, values=values)
        assert s.right.node(s.planted.site.node).name == "c"
    with pytest.raises(SlipError) as info:
        plant_slip("a*b + a*k", "fanout", values={"a": 2, "b": 3, "k": 1e-9})
    message = str(info.value)
    assert "'fanout'" in message and "finite differences" in message and "\n" not in message


@pytest.mark.parametrize("kind", ["fanout", "random"])
def test_at_a_kink_the_refusal_names_the_kind_in_one_line(kind: str) -> None:
    with pytest.raises(SlipError) as info:
        plant_slip("relu(a)*b + a*c", kind, values={"a": 0, "b": 2, "c": 3})
    message = str(info.value)
    assert f"'{kind}'" in message and "kink" in message and "\n" not in message
    plant_slip("relu(a)*b + a*c", kind, values={"a": 1, "b": 2, "c": 3})  # away from the kink it plants
