"""The lecture's ``Neuron``, ``Layer`` and ``MLP``: Karpathy's "The spelled-out intro to neural
networks and backpropagation: building micrograd" (Neural Networks: Zero to Hero, lecture 1).

The video's classes differ from micrograd's package (and from :mod:`microgradnet.nn`'s
defaults) in two ways a learner notices: **tanh on every layer, the last one included**, and
**the bias drawn like the weights**, ``random.uniform(-1, 1)``. Each neuron draws its ``nin``
weights and then its bias from Python's global ``random``, neuron after neuron and layer after
layer, as the video does, and adds ``b + w0*x0 + w1*x1 + ...`` in the video's order with the
video's ``sum(..., self.b)``. So, under the same ``random.seed``, these classes give the numbers
of the lecture's own classes, and the graph drawn from them is the lecture's (``*`` and ``+``
nodes, then ``tanh``).

```pycon
>>> import random
>>> from microgradnet.lecture import MLP
>>> random.seed(0)
>>> n = MLP(3, [4, 4, 1])
>>> len(n.parameters())
41
>>> xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
>>> ys = [1.0, -1.0, -1.0, 1.0]
>>> for k in range(20):
...     ypred = [n(x) for x in xs]
...     loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
...     for p in n.parameters():
...         p.grad = 0.0
...     loss.backward()
...     for p in n.parameters():
...         p.data += -0.1 * p.grad
>>> loss.data < 0.1
True

```

They are :mod:`microgradnet.nn` modules underneath (``parameters()``, ``zero_grad()``,
``named_parameters()``, ``state_dict()``, batches), with the lecture's constructors:
``Neuron(nin)``, ``Layer(nin, nout)``, ``MLP(nin, nouts)``. ``parameters()`` (and
``named_parameters()``) list them in the lecture's order, each neuron's weights then its bias,
so ``print(n.parameters())`` under the same seed is the lecture's list; ``state_dict()`` keeps
:mod:`microgradnet.nn`'s groups (``weight`` then ``bias`` per layer).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from microgradnet import nn
from microgradnet.engine import Value

__all__ = ["MLP", "Layer", "Neuron"]


class Neuron(nn.Neuron):
    """The lecture's neuron: ``tanh(b + Σ wi·xi)``, weights then bias each ``random.uniform(-1, 1)``.

    Args:
        nin: the number of inputs (>= 1).

    Raises:
        ValueError: ``nin`` is not a positive int.
    """

    def __init__(self, nin: int) -> None:
        super().__init__(nin, "tanh", init="zeros")
        for w in self.w:
            w.data = random.uniform(-1, 1)
        self.b.data = random.uniform(-1, 1)

    def _pre_activation(self, xs: list[Value]) -> Value:
        # the lecture's own sum, in its order: b + w0*x0 + w1*x1 + ...
        act: Value = sum((wi * xi for wi, xi in zip(self.w, xs)), self.b)
        return act

    def __repr__(self) -> str:
        return f"lecture.Neuron({self.nin})"


class Layer(nn.Layer):
    """The lecture's layer: ``nout`` lecture :class:`Neuron`\\s, drawn one after another.

    Calling it on one sample gives a list of ``nout`` Values, or one ``Value`` when ``nout == 1``.

    Raises:
        ValueError: ``nin`` or ``nout`` is not a positive int.
    """

    def __init__(self, nin: int, nout: int) -> None:
        super().__init__(nin, nout, "tanh", init="zeros")
        self.neurons: list[nn.Neuron] = [Neuron(nin) for _ in range(nout)]
        self.relabel()

    def parameters(self) -> list[Value]:
        """The lecture's order: each neuron's weights, then its bias, neuron after neuron."""
        return [p for n in self.neurons for p in (*n.w, n.b)]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, Value)`` in the order of :meth:`parameters` (the lecture's)."""
        return _in_order(super().named_parameters(), self.parameters())

    def __repr__(self) -> str:
        return f"lecture.Layer({self.nin}, {self.nout})"


class MLP(nn.MLP):
    """The lecture's MLP: lecture :class:`Layer`\\s, tanh on every layer including the last.

    Args:
        nin: the number of inputs.
        nouts: the size of each layer, e.g. ``[4, 4, 1]``.

    Raises:
        ValueError: bad sizes (as :class:`microgradnet.nn.MLP`).
    """

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        super().__init__(nin, nouts, "tanh", init="zeros")
        sizes = [nin, *self.nouts]
        self.layers: list[nn.Layer] = [Layer(sizes[k], sizes[k + 1]) for k in range(len(self.nouts))]
        self.relabel()

    def parameters(self) -> list[Value]:
        """The lecture's order: layer after layer, each neuron's weights then its bias."""
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, Value)`` in the order of :meth:`parameters` (the lecture's)."""
        return _in_order(super().named_parameters(), self.parameters())

    def __repr__(self) -> str:
        return f"lecture.MLP({self.nin}, {self.nouts})"


def _in_order(named: list[tuple[str, Value]], order: list[Value]) -> list[tuple[str, Value]]:
    rank = {id(p): k for k, p in enumerate(order)}  # identity: the parameters themselves
    return sorted(named, key=lambda item: rank[id(item[1])])
