"""Each classroom preset reproduces the numbers its source publishes (sources in the presets)."""

from __future__ import annotations

import pytest

from microgradnet.examples import EXAMPLES, LECTURE_XS, LECTURE_YS, list_examples, load_example
from microgradnet.viz import HtmlStepper

NETWORKS = ["lecture-mlp", "moons-mlp"]  # random initial weights: no published numbers to match


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n not in NETWORKS])
def test_preset_matches_its_published_numbers(name: str) -> None:
    ex = load_example(name)
    ex.root.backward()
    nodes = ex.nodes()
    tol = 0.5 * 10.0**-ex.decimals + 1e-12
    for label, want in ex.expected_data.items():
        assert abs(nodes[label].data - want) <= tol, (name, label, nodes[label].data, want)
    for label, want in ex.expected_grad.items():
        assert abs(nodes[label].grad - want) <= tol, (name, label, nodes[label].grad, want)
    assert ex.expected_grad and ex.url.startswith("https://")


def test_mazur_gradient_step_matches_the_published_updated_weights() -> None:
    # Mazur: after one step with learning rate 0.5, w5 = 0.35891648, w1 = 0.149780716
    ex = load_example("mazur-network")
    ex.root.backward()
    nodes = ex.nodes()
    assert round(nodes["w5"].data - 0.5 * nodes["w5"].grad, 8) == 0.35891648
    assert round(nodes["w1"].data - 0.5 * nodes["w1"].grad, 9) == 0.149780716


def test_presets_build_fresh_graphs() -> None:
    a, b = load_example("cs231n-circuit"), load_example("cs231n-circuit")
    assert a.root is not b.root
    a.root.backward()
    assert all(v.grad == 0.0 for v in b.leaves())


def test_list_and_unknown_names() -> None:
    assert [n for n, _, _ in list_examples()] == list(EXAMPLES)
    with pytest.raises(KeyError, match="cs231n-circuit"):
        load_example("nope")


@pytest.mark.parametrize(("name", "n_inputs", "n_params"), [("lecture-mlp", 12, 41), ("moons-mlp", 4, 37)])
def test_network_presets_are_nn_networks_whose_gradients_pass_the_nudge_check(
    name: str, n_inputs: int, n_params: int
) -> None:
    # MLP(3, [4, 4, 1]): 3·4 + 4 + 4·4 + 4 + 4 + 1 = 41 parameters on the lecture's 4 samples of 3;
    # MLP(2, [4, 4, 1]): 37 parameters on 2 points of 2
    ex = load_example(name)
    stepper = HtmlStepper(ex.root)
    roles = [n.role for n in stepper.trace.nodes if n.is_leaf and n.label]
    assert (roles.count("input"), roles.count("parameter")) == (n_inputs, n_params)
    assert {lv["level"] for lv in stepper.levels} == {"neuron", "layer"}
    # every leaf's gradient agrees with central differences of the forward pass (the summary step)
    assert "the chain rule got them right" in stepper.steps[-1]["narration"]
    assert ex.url.startswith("https://") and ex.root.label == "loss"


def test_lecture_mlp_uses_the_lectures_data_and_loss() -> None:
    # the lecture's four samples and targets, and loss = sum((yout - ygt)**2)
    ex = load_example("lecture-mlp")
    nodes = ex.nodes()
    xs = [[nodes[f"xs[{i}][{j}]"].data for j in range(3)] for i in range(4)]
    assert tuple(map(tuple, xs)) == LECTURE_XS and LECTURE_YS == (1.0, -1.0, -1.0, 1.0)
    ypred = [nodes[f"ypred[{i}]"].data for i in range(4)]
    assert ex.root.data == pytest.approx(sum((p - y) ** 2 for p, y in zip(ypred, LECTURE_YS)), rel=1e-12)
