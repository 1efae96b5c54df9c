"""The classic worked examples of backpropagation, as named presets a teacher opens in one call.

Each preset builds a small labelled graph and records where it comes from and the numbers its
source publishes, so a class can check the picture against the book.

>>> from microgradnet.examples import load_example
>>> ex = load_example("lecture-expression")
>>> ex.root.backward()
>>> {v.label: v.grad for v in ex.leaves()}
{'a': 6.0, 'b': -4.0, 'c': -2.0, 'f': 4.0}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from microgradnet import losses
from microgradnet.engine import Value, topological_order
from microgradnet.nn import MLP

__all__ = ["EXAMPLES", "Example", "Preset", "list_examples", "load_example"]


def _named(value: Value, label: str) -> Value:
    value.label = label
    return value


@dataclass(frozen=True)
class Example:
    """A built preset: the graph's output and the published numbers for it."""

    name: str
    title: str
    source: str
    url: str
    root: Value
    #: published values by node label: ``{"f": -12.0}`` (data) and ``{"x": -4.0}`` (grad)
    expected_data: dict[str, float] = field(default_factory=dict)
    expected_grad: dict[str, float] = field(default_factory=dict)
    #: how many decimals the source prints (its numbers are rounded to this)
    decimals: int = 10

    def nodes(self) -> dict[str, Value]:
        """Every labelled node of the graph, by label."""
        return {v.label: v for v in topological_order(self.root) if v.label}

    def leaves(self) -> list[Value]:
        """The leaves (inputs and parameters), in the order the graph uses them."""
        return [v for v in topological_order(self.root) if not v.children and v.label]


@dataclass(frozen=True)
class Preset:
    """A named recipe for an :class:`Example` (built fresh on every call)."""

    name: str
    title: str
    source: str
    url: str
    build: Callable[[], Value]
    expected_data: dict[str, float]
    expected_grad: dict[str, float]
    decimals: int = 10

    def __call__(self) -> Example:
        return Example(
            self.name, self.title, self.source, self.url, self.build(),
            dict(self.expected_data), dict(self.expected_grad), self.decimals,
        )  # fmt: skip


def _cs231n_circuit() -> Value:
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = _named(x + y, "q")
    return _named(q * z, "f")


def _cs231n_neuron() -> Value:
    w0, w1, w2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
    x0, x1 = Value(-1.0, "x0"), Value(-2.0, "x1")
    dot = _named(w0 * x0 + w1 * x1 + w2, "dot")
    return _named(dot.sigmoid(), "f")


def _lecture_expression() -> Value:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c, f = Value(10.0, "c"), Value(-2.0, "f")
    e = _named(a * b, "e")
    d = _named(e + c, "d")
    return _named(d * f, "L")


def _lecture_neuron() -> Value:
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    x1w1 = _named(x1 * w1, "x1*w1")
    x2w2 = _named(x2 * w2, "x2*w2")
    s = _named(x1w1 + x2w2, "x1*w1 + x2*w2")
    n = _named(s + b, "n")
    return _named(n.tanh(), "o")


def _colah_paths() -> Value:
    a, b = Value(2.0, "a"), Value(1.0, "b")
    c = _named(a + b, "c")
    d = _named(b + 1, "d")
    return _named(c * d, "e")


def _mazur_network() -> Value:
    i1, i2 = Value(0.05, "i1"), Value(0.10, "i2")
    w = [Value(v, f"w{k + 1}") for k, v in enumerate([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55])]
    b1, b2 = Value(0.35, "b1"), Value(0.60, "b2")
    h1 = _named((w[0] * i1 + w[1] * i2 + b1).sigmoid(), "out_h1")
    h2 = _named((w[2] * i1 + w[3] * i2 + b1).sigmoid(), "out_h2")
    o1 = _named((w[4] * h1 + w[5] * h2 + b2).sigmoid(), "out_o1")
    o2 = _named((w[6] * h1 + w[7] * h2 + b2).sigmoid(), "out_o2")
    e1 = _named(0.5 * (0.01 - o1) ** 2, "E_o1")
    e2 = _named(0.5 * (0.99 - o2) ** 2, "E_o2")
    return _named(e1 + e2, "E_total")


#: The lecture's four samples and their targets (the micrograd lecture, "building micrograd").
LECTURE_XS = ((2.0, 3.0, -1.0), (3.0, -1.0, 0.5), (0.5, 1.0, 1.0), (1.0, 1.0, -1.0))
LECTURE_YS = (1.0, -1.0, -1.0, 1.0)


def _lecture_mlp() -> Value:
    # the lecture's network and data; microgradnet's MLP keeps the last layer linear
    model = MLP(3, [4, 4, 1], activation="tanh", seed=0)
    xs = [[Value(v, f"xs[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(LECTURE_XS)]
    ypred = [_named(model(x), f"ypred[{i}]") for i, x in enumerate(xs)]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(LECTURE_YS, ypred))  # as the lecture writes it
    return _named(loss, "loss")  # type: ignore[arg-type]


def _moons_mlp() -> Value:
    # micrograd's demo network shape at classroom size, on two points of the moons data set
    from microgradnet.data import make_moons  # NumPy, loaded for this preset only (not in the playground)

    X, y = make_moons(2, seed=0)
    model = MLP(2, [4, 4, 1], seed=0)
    xs = [[Value(float(v), f"X[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(X)]
    scores = [_named(model(x), f"score[{i}]") for i, x in enumerate(xs)]
    return _named(losses.hinge(scores, [2 * int(t) - 1 for t in y]), "loss")


#: The presets, by name, in the order ``microgradnet examples`` lists them.
EXAMPLES: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "cs231n-circuit",
            "f = (x + y) · z: add distributes, mul swaps",
            "CS231n, Backpropagation: Intuitions (Stanford), 'Simple expressions'",
            "https://cs231n.github.io/optimization-2/",
            _cs231n_circuit,
            {"q": 3.0, "f": -12.0},
            {"x": -4.0, "y": -4.0, "z": 3.0, "q": -4.0},
        ),
        Preset(
            "cs231n-neuron",
            "a 2-D sigmoid neuron f = σ(w0·x0 + w1·x1 + w2)",
            "CS231n, Backpropagation: Intuitions (Stanford), 'Sigmoid example'",
            "https://cs231n.github.io/optimization-2/",
            _cs231n_neuron,
            {"f": 0.73},
            {"x0": 0.39, "x1": -0.59, "w0": -0.2, "w1": -0.39, "w2": 0.2},
            decimals=2,
        ),
        Preset(
            "lecture-expression",
            "L = (a·b + c) · f",
            "A. Karpathy, The spelled-out intro to neural networks and backpropagation: building micrograd",
            "https://www.youtube.com/watch?v=VMj-3S1tku0",
            _lecture_expression,
            {"e": -6.0, "d": 4.0, "L": -8.0},
            {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0},
        ),
        Preset(
            "lecture-neuron",
            "a tanh neuron o = tanh(x1·w1 + x2·w2 + b)",
            "A. Karpathy, The spelled-out intro to neural networks and backpropagation: building micrograd",
            "https://www.youtube.com/watch?v=VMj-3S1tku0",
            _lecture_neuron,
            {"o": 0.7071, "n": 0.8814},
            {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "n": 0.5},
            decimals=4,
        ),
        Preset(
            "colah-paths",
            "e = (a + b) · (b + 1): sum over paths",
            "C. Olah, Calculus on Computational Graphs: Backpropagation",
            "https://colah.github.io/posts/2015-08-Backprop/",
            _colah_paths,
            {"c": 3.0, "d": 2.0, "e": 6.0},
            {"a": 2.0, "b": 5.0},
        ),
        Preset(
            "mazur-network",
            "a 2-2-2 sigmoid network and its squared error",
            "M. Mazur, A Step by Step Backpropagation Example",
            "https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/",
            _mazur_network,
            {
                "out_h1": 0.593269992,
                "out_h2": 0.596884378,
                "out_o1": 0.75136507,
                "out_o2": 0.772928465,
                "E_total": 0.298371109,
            },
            # ∂E/∂w5 = 0.082167041 (w5⁺ = 0.4 - 0.5·∂E/∂w5 = 0.35891648) and ∂E/∂w1 = 0.000438568
            {
                "w5": 0.082167041,
                "w6": 0.082667628,
                "w7": -0.022602540,
                "w8": -0.022740242,
                "w1": 0.000438568,
                "w2": 0.000877135,
                "w3": 0.000497713,
                "w4": 0.000995425,
            },
            decimals=8,
        ),
        Preset(
            "lecture-mlp",
            "the lecture's MLP(3, [4, 4, 1]) and its squared-error loss on 4 samples",
            "A. Karpathy, The spelled-out intro to neural networks and backpropagation: building micrograd",
            "https://www.youtube.com/watch?v=VMj-3S1tku0",
            _lecture_mlp,
            {},
            {},
        ),
        Preset(
            "moons-mlp",
            "an MLP(2, [4, 4, 1]) and micrograd's max-margin loss on 2 points of the moons data",
            "A. Karpathy, micrograd, demo.ipynb (the same loss, a smaller network and batch)",
            "https://github.com/karpathy/micrograd/blob/master/demo.ipynb",
            _moons_mlp,
            {},
            {},
        ),
    ]
}


def list_examples() -> list[tuple[str, str, str]]:
    """``(name, title, source)`` of every preset, in a fixed order."""
    return [(p.name, p.title, p.source) for p in EXAMPLES.values()]


def load_example(name: str) -> Example:
    """Build the preset called ``name`` (a fresh graph each time, gradients at zero).

    Raises:
        KeyError: no preset has that name; the message lists the names there are.
    """
    try:
        preset = EXAMPLES[name]
    except KeyError:
        raise KeyError(f"no example named {name!r}; choose one of: {', '.join(EXAMPLES)}") from None
    return preset()
