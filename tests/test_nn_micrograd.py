"""microgradnet.nn with micrograd's arguments and micrograd's initialisation rule.

micrograd 0.1.0's nn.py (karpathy/micrograd, micrograd/nn.py): ``Neuron(nin, nonlin=True)``
draws ``Value(random.uniform(-1, 1))`` per weight from Python's global ``random`` and starts its
bias at ``Value(0)``; ``Layer(nin, nout, **kwargs)`` builds its neurons one after another and
``MLP(nin, nouts)`` its layers, the last with ``nonlin=False``. The end-to-end check (micrograd's
demo.ipynb printing its stored numbers) is in test_reference_notebooks.py.
"""

from __future__ import annotations

import importlib.util
import random

import pytest

from microgradnet import Value
from microgradnet.nn import MLP, Layer, Linear, Neuron


def micrograd_draws(seed: int, nin: int, nouts: list[int]) -> list[list[list[float]]]:
    """The weights micrograd 0.1.0 draws after ``random.seed(seed)``: per layer, per neuron."""
    random.seed(seed)
    sizes = [nin, *nouts]
    return [
        [[random.uniform(-1, 1) for _ in range(sizes[k])] for _ in range(sizes[k + 1])]
        for k in range(len(nouts))
    ]


def weights(model: MLP) -> list[list[list[float]]]:
    return [[[w.data for w in row] for row in layer.weight] for layer in model.layers]


@pytest.mark.parametrize("seed", [0, 1337])
def test_unseeded_mlp_draws_micrograds_weights_from_the_global_random(seed: int) -> None:
    expected = micrograd_draws(seed, 2, [16, 16, 1])
    after_micrograd = random.random()
    random.seed(seed)
    model = MLP(2, [16, 16, 1])
    assert weights(model) == expected
    assert all(b.data == 0.0 for layer in model.layers for b in layer.bias)
    assert random.random() == after_micrograd  # the same number of draws as micrograd
    assert len(model.parameters()) == 337  # micrograd's demo prints "number of parameters 337"


@pytest.mark.skipif(importlib.util.find_spec("micrograd") is None, reason="micrograd (the bench extra)")
def test_unseeded_mlp_equals_micrograd_itself() -> None:
    from micrograd.nn import MLP as MicrogradMLP  # type: ignore[import-not-found,unused-ignore]

    random.seed(42)
    theirs = MicrogradMLP(3, [4, 4, 1])
    random.seed(42)
    ours = MLP(3, [4, 4, 1])
    assert sorted(p.data for p in theirs.parameters()) == sorted(p.data for p in ours.parameters())
    x = [2.0, 3.0, -1.0]
    assert abs(theirs(x).data - ours(x).data) < 1e-12


def test_unseeded_neuron_and_layer_follow_the_same_rule() -> None:
    random.seed(7)
    expected = [random.uniform(-1, 1) for _ in range(3 + 2 * 3)]
    random.seed(7)
    n = Neuron(3)
    layer = Layer(3, 2)
    assert [w.data for w in n.w] == expected[:3] and n.b.data == 0.0
    assert [w.data for row in layer.weight for w in row] == expected[3:]
    assert [b.data for b in layer.bias] == [0.0, 0.0]


def test_seeded_models_are_unchanged_and_ignore_the_global_random() -> None:
    # seeded draws: all weights of a layer, then its biases, from random.Random(seed)
    r = random.Random(5)
    w0 = [r.uniform(-1, 1) for _ in range(2 * 3)]
    b0 = [r.uniform(-1, 1) for _ in range(3)]
    random.seed(1)
    state = random.getstate()
    model = MLP(2, [3, 1], seed=5)
    assert random.getstate() == state  # the global generator was not touched
    assert [w.data for row in model.layers[0].weight for w in row] == w0
    assert [b.data for b in model.layers[0].bias] == b0  # seeded biases stay U(-1, 1)
    random.seed(99)
    assert weights(MLP(2, [3, 1], seed=5)) == weights(model)
    rng_model = MLP(2, [3, 1], rng=random.Random(5))
    assert weights(rng_model) == weights(model)


def test_the_lesson_linear_unseeded_draws_gaussians_from_the_global_random() -> None:
    random.seed(3)
    expected = [random.gauss(0.0, 1.0 / 2**0.5) for _ in range(4)]
    random.seed(3)
    lin = Linear(2, 2)
    assert [w.data for row in lin.weight for w in row] == expected
    assert [b.data for b in lin.bias] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("make", "activation"),
    [
        (lambda: Neuron(2), "tanh"),  # our defaults stay
        (lambda: Layer(2, 3), "tanh"),
        (lambda: Neuron(2, nonlin=True), "relu"),  # micrograd's nonlin
        (lambda: Neuron(2, nonlin=False), "linear"),
        (lambda: Neuron(2, False), "linear"),  # micrograd's positional form
        (lambda: Neuron(2, True), "relu"),
        (lambda: Layer(2, 3, nonlin=False), "linear"),
        (lambda: Layer(2, 3, **{"nonlin": True}), "relu"),  # as micrograd's MLP builds its layers
        (lambda: Neuron(2, "sigmoid"), "sigmoid"),
        (lambda: Neuron(2, activation="relu"), "relu"),
    ],
)
def test_micrograds_nonlin_argument_chooses_relu_or_linear(make: object, activation: str) -> None:
    assert make().activation == activation  # type: ignore[operator]


def test_micrograds_mlp_is_relu_then_linear_and_computes_micrograds_neuron() -> None:
    random.seed(0)
    model = MLP(2, [3, 1])
    assert [layer.activation for layer in model.layers] == ["relu", "linear"]
    x = [0.5, -1.5]
    hidden = [max(0.0, sum(w.data * xi for w, xi in zip(row, x))) for row in model.layers[0].weight]
    out = sum(w.data * h for w, h in zip(model.layers[1].weight[0], hidden))
    y = model(x)
    assert isinstance(y, Value) and abs(y.data - out) < 1e-12


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: Neuron(2, "tanh", nonlin=True), ValueError, "not both"),
        (lambda: Neuron(2, False, nonlin=True), ValueError, "nonlin given twice"),
        (lambda: Neuron(2, nonlin="yes"), TypeError, "True (ReLU) or False (linear)"),
        (lambda: Layer(2, 2, nonlin=1), TypeError, "nonlin must be"),
        (lambda: Neuron(2, "swish"), ValueError, "activation must be one of"),
    ],
)
def test_bad_activation_arguments_are_refused_without_drawing(make: object, error: type, words: str) -> None:
    random.seed(11)
    state = random.getstate()
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        make()  # type: ignore[operator]
    assert random.getstate() == state
