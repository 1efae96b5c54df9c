"""Each classroom preset reproduces the numbers its source publishes (sources in the presets)."""

from __future__ import annotations

import pytest

from microgradnet.examples import EXAMPLES, list_examples, load_example


@pytest.mark.parametrize("name", list(EXAMPLES))
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
