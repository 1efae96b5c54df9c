"""The lesson's framework on NumPy arrays, with every gradient computed by microgradnet's engine.

AI for Beginners, lesson "Introduction to Neural Networks: Multi-Layered Perceptron"
(``3-NeuralNetworks/04-OwnFramework/OwnFramework.ipynb``) builds a small framework: ``Linear``,
``Softmax``, ``CrossEntropyLoss``, ``Tanh`` and a ``Net`` that chains them, each with
``forward`` (arrays in, arrays out) and a ``backward`` written by hand, plus ``train_epoch`` and
``get_loss_acc``. This module has the same names, arguments, attributes and arrays — so the
notebook runs with its class cells replaced by ``from microgradnet.lesson import ...`` and prints
its own numbers — but no ``backward`` here contains a derivative formula: each one builds the
scalar graph of its layer's forward for the stored input, seeds it with the upstream gradient,
and lets :meth:`Value.backward <microgradnet.engine.Value.backward>` apply the chain rule. What
the notebook derives by hand, the engine derives from the graph; ``forward`` does the notebook's
own NumPy arithmetic, so the numbers it prints are the notebook's to the last digit.

```pycon
>>> import numpy as np
>>> from microgradnet.lesson import Linear, Softmax, CrossEntropyLoss, Net
>>> np.random.seed(0)
>>> net = Net()
>>> net.add(Linear(2, 2))
>>> net.add(Softmax())
>>> loss = CrossEntropyLoss()
>>> x = np.array([[1.0, -2.0], [0.5, 0.25]]); y = np.array([0, 1])
>>> p = net.forward(x)
>>> l = loss.forward(p, y)
>>> dx = net.backward(loss.backward(l))
>>> net.layers[0].dW.shape, net.layers[0].db.shape, dx.shape
((2, 2), (2,), (2, 2))
>>> net.update(0.1)
>>> loss.forward(net.forward(x), y) < l
True

```

To see what a ``Linear`` layer's ``backward`` means, :meth:`Linear.graph` gives the scalar graph
of one sample, ``L = Σ_i dz[i]·z[i]``; drawn with :func:`microgradnet.viz.draw_dot` or stepped
through with :func:`microgradnet.viz.export_html`, its edges show ``dW[i][j] = dz[i]·x[j]`` one
at a time. To check a layer of your own, see :func:`microgradnet.testing.check_layer`.

The scalar graph costs a node per multiplication: fine for the lesson's layers (2 to a few
hundred weights), slow for an MNIST-sized one — use :mod:`microgradnet.nn` with
:func:`microgradnet.compile` there.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microgradnet.engine import Value
from microgradnet.losses import softmax as _softmax

__all__ = ["CrossEntropyLoss", "Linear", "Net", "Softmax", "Tanh", "get_loss_acc", "train_epoch"]

FloatArray = NDArray[np.float64]


# ---- checking arrays --------------------------------------------------------------------------


def _matrix(a: Any, who: str, what: str, cols: int | None = None) -> FloatArray:
    """``a`` as a 2-D float array (one row per sample), or a clear error."""
    if isinstance(a, (str, bytes, Value)) or a is None:
        raise TypeError(f"{who}: {what} must be a 2-D array of numbers (one row per sample), got {a!r}")
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{who}: {what} must be a 2-D array of numbers (one row per sample), got {type(a).__name__}"
        ) from None
    if arr.ndim != 2:
        raise ValueError(
            f"{who}: {what} must be 2-D (one row per sample), got shape {arr.shape}; "
            f"for one sample x write x.reshape(1, -1)"
        )
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{who}: {what} must have {cols} columns, got shape {arr.shape}")
    return arr


def _input(x: Any, who: str, what: str, cols: int | None = None) -> FloatArray:
    """A forward input: a 2-D float array passes unchanged (a float32 batch stays float32, so the
    arithmetic is the notebook's to the last digit); anything else is checked and converted."""
    if (
        isinstance(x, np.ndarray)
        and x.ndim == 2
        and (np.issubdtype(x.dtype, np.floating) or x.dtype == object)  # object: Values, kept
        and (cols is None or x.shape[1] == cols)
    ):
        return x
    return _matrix(x, who, what, cols)


def _row(x: Any, n: int, who: str, what: str) -> FloatArray:
    """One sample: ``n`` numbers, from a 1-D sequence or a single row."""
    if isinstance(x, (str, bytes, Value)) or x is None:
        raise TypeError(f"{who}: {what} must be {n} numbers, got {x!r}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: {what} must be {n} numbers, got {type(x).__name__}") from None
    if arr.size != n or arr.ndim > 2 or (arr.ndim == 2 and arr.shape[0] != 1):
        raise ValueError(f"{who}: {what} must be one sample of {n} numbers, got shape {arr.shape}")
    return arr.reshape(n)


def _positive_int(n: object, who: str, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or int(n) < 1:
        raise ValueError(f"{who}: {what} must be a positive int, got {n!r}")
    return int(n)


def _same_shape(a: Any, shape: tuple[int, ...], who: str, what: str) -> FloatArray:
    arr = _matrix(a, who, what)
    if arr.shape != shape:
        raise ValueError(
            f"{who}: {what} must have shape {shape} (as the last forward's output), got {arr.shape}"
        )
    return arr


def _forward_first(stored: FloatArray | None, who: str) -> FloatArray:
    if stored is None:
        raise RuntimeError(f"{who}: call forward() before backward(): backward uses forward's input")
    return stored


def _leaves(a: FloatArray, name: str | None = None) -> list[list[Value]]:
    """A matrix of fresh ``Value`` leaves holding ``a``'s numbers (labelled ``name[i][j]``)."""
    return [
        [Value(float(v), f"{name}[{i}][{j}]" if name else "") for j, v in enumerate(row)]
        for i, row in enumerate(a)
    ]


def _grads(values: list[list[Value]]) -> FloatArray:
    return np.array([[v.grad for v in row] for row in values], dtype=np.float64).reshape(len(values), -1)


def _pull_back(outputs: list[list[Value]], upstream: FloatArray) -> None:
    """Backpropagate ``upstream`` (one number per output) through ``outputs``' graph:
    ``L = Σ upstream·output``, then ``L.backward()``, so every leaf's ``grad`` is
    ``Σ upstream · ∂output/∂leaf``."""
    terms = [float(u) * out for row, urow in zip(outputs, upstream) for out, u in zip(row, urow)]
    L: Value = sum(terms[1:], terms[0]) if terms else Value(0.0)
    L.backward()


# ---- the layers ------------------------------------------------------------------------------


class Linear:
    """``z = x W^T + b``, the lesson's fully connected layer, on arrays of one row per sample.

    ``W`` (``nout × nin``) starts as the notebook draws it,
    ``np.random.normal(0, 1.0/np.sqrt(nin), (nout, nin))`` on NumPy's global generator (so
    ``np.random.seed`` decides it), ``b`` as ``np.zeros((1, nout))``; ``dW`` and ``db`` hold the
    gradients of the last :meth:`backward` (shapes ``(nout, nin)`` and ``(nout,)``, zeros before).

    Args:
        nin: inputs per sample.
        nout: outputs per sample.

    Raises:
        ValueError: ``nin`` or ``nout`` is not a positive int.
    """

    def __init__(self, nin: int, nout: int) -> None:
        self.nin = _positive_int(nin, "Linear()", "nin")
        self.nout = _positive_int(nout, "Linear()", "nout")
        self.W: FloatArray = np.random.normal(0, 1.0 / np.sqrt(nin), (nout, nin))
        self.b: FloatArray = np.zeros((1, nout))
        self.dW: FloatArray = np.zeros_like(self.W)
        self.db: FloatArray = np.zeros_like(self.b)
        self.x: FloatArray | None = None

    def forward(self, x: Any) -> FloatArray:
        """``np.dot(x, W.T) + b`` for ``x`` of shape ``(n, nin)``; remembers ``x`` for backward.

        Raises:
            TypeError / ValueError: ``x`` is not a 2-D array of numbers with ``nin`` columns.
        """
        x = _input(x, repr(self), "x", self.nin)
        self.x = x
        out: FloatArray = np.dot(x, self.W.T) + self.b
        return out

    def backward(self, dz: Any) -> FloatArray:
        """Given ``dz = ∂loss/∂z`` (shape ``(n, nout)``), set ``dW`` and ``db`` and return ``dx``.

        The scalar graph of ``z = x W^T + b`` is built for the stored batch (``W``, ``b`` and
        ``x`` as ``Value`` leaves) and backpropagated from ``L = Σ dz·z``, so
        ``dW = ∂L/∂W``, ``db = ∂L/∂b`` (summed over the batch by the graph itself) and
        ``dx = ∂L/∂x``.

        Raises:
            RuntimeError: ``forward`` was not called first.
            TypeError / ValueError: ``dz`` is not an array of the forward output's shape.
        """
        x = _forward_first(self.x, f"{self!r}.backward()")
        dz = _same_shape(dz, (x.shape[0], self.nout), f"{self!r}.backward()", "dz")
        W, b, xs = _leaves(self.W), _leaves(self.b)[0], _leaves(x)
        _pull_back([_linear_row(W, b, row) for row in xs], dz)
        self.dW = _grads(W)
        self.db = np.array([v.grad for v in b])
        return _grads(xs)

    def update(self, lr: float) -> None:
        """One gradient step: ``W -= lr*dW``, ``b -= lr*db``.

        Raises:
            TypeError: ``lr`` is not a number.
        """
        rate: object = lr
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise TypeError(f"{self!r}.update(): lr must be a number, got {lr!r}")
        self.W -= lr * self.dW
        self.b -= lr * self.db

    def graph(self, x: Any, dz: Any = None) -> Value:
        """The scalar graph behind :meth:`backward` for ONE sample: ``L = Σ_i dz[i]·z[i]``.

        ``z[i] = W[i][0]·x[0] + W[i][1]·x[1] + ... + b[i]``, one ``*`` and one ``+`` node per
        weight, leaves labelled ``W[i][j]``, ``b[i]``, ``x[j]`` and ``dz[i]``. After
        ``L.backward()`` each ``W[i][j].grad`` is ``dz[i]·x[j]``: the row ``dW`` of this sample
        (the batch's ``dW`` is the sum over samples). Draw it with
        ``microgradnet.viz.draw_dot(L)``, or step through it with
        ``microgradnet.viz.export_html(L, "linear.html")``.

        Args:
            x: one sample, ``nin`` numbers (a 1-D array or a ``(1, nin)`` row).
            dz: the upstream gradient of this sample, ``nout`` numbers; default all ones
                (then ``L = Σ z``).

        Raises:
            TypeError / ValueError: ``x`` or ``dz`` has the wrong length or is not numeric.
        """
        who = f"{self!r}.graph()"
        xs = _row(x, self.nin, who, "x")
        up = np.ones(self.nout) if dz is None else _row(dz, self.nout, who, "dz")
        W = _leaves(self.W, "W")
        b = [Value(float(v), f"b[{i}]") for i, v in enumerate(self.b[0])]
        xv = [Value(float(v), f"x[{j}]") for j, v in enumerate(xs)]
        z = _linear_row(W, b, xv)
        terms = []
        for i, zi in enumerate(z):
            zi.label = f"z[{i}]"
            term = Value(float(up[i]), f"dz[{i}]") * zi
            term.label = f"dz[{i}]·z[{i}]"
            terms.append(term)
        L: Value = sum(terms[1:], terms[0])
        L.label = "L"
        return L

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout})"


def _linear_row(W: list[list[Value]], b: list[Value], x: list[Value]) -> list[Value]:
    """``z[i] = W[i][0]·x[0] + ... + W[i][nin-1]·x[nin-1] + b[i]`` as ``*`` and ``+`` nodes."""
    out = []
    for w_row, bi in zip(W, b):
        acc = w_row[0] * x[0]
        for wj, xj in zip(w_row[1:], x[1:]):
            acc = acc + wj * xj
        out.append(acc + bi)
    return out


class _Elementwise:
    """A layer without parameters whose backward is the engine's, through a per-row graph."""

    _row_fn: Callable[[list[Value]], list[Value]]

    def __init__(self) -> None:
        self.z: FloatArray | None = None

    def backward(self, dy: Any) -> FloatArray:
        """Given ``∂loss/∂output`` (the shape of the last forward's output), return
        ``∂loss/∂input``, computed by backpropagating through this layer's scalar graph.

        Raises:
            RuntimeError: ``forward`` was not called first.
            TypeError / ValueError: ``dy`` is not an array of the forward output's shape.
        """
        z = _forward_first(self.z, f"{type(self).__name__}.backward()")
        dy = _same_shape(dy, z.shape, f"{type(self).__name__}.backward()", "the upstream gradient")
        zs = _leaves(z)
        _pull_back([type(self)._row_fn(row) for row in zs], dy)
        return _grads(zs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _softmax_row(row: list[Value]) -> list[Value]:
    return _softmax(row)


def _tanh_row(row: list[Value]) -> list[Value]:
    return [v.tanh() for v in row]


class Softmax(_Elementwise):
    """Scores to probabilities, row by row: ``exp(z - max z) / Σ exp(z - max z)``.

    ``forward`` is the notebook's NumPy arithmetic; ``backward(dp)`` backpropagates ``dp``
    through the engine's softmax graph of each row (every output depends on every input, so
    ``dz = p·dp - p·Σ(p·dp)``: the engine finds the sum term by itself).
    """

    _row_fn = staticmethod(_softmax_row)

    def forward(self, z: Any) -> FloatArray:
        """Probabilities for scores ``z`` of shape ``(n, classes)``; remembers ``z``.

        Raises:
            TypeError / ValueError: ``z`` is not a 2-D array of numbers.
        """
        z = _input(z, "Softmax.forward()", "z")
        self.z = z
        zmax = z.max(axis=1, keepdims=True)
        expz = np.exp(z - zmax)
        Z = expz.sum(axis=1, keepdims=True)
        out: FloatArray = expz / Z
        return out


class Tanh(_Elementwise):
    """``tanh`` of every element; ``backward(dy)`` is the engine's, through each ``tanh`` node."""

    _row_fn = staticmethod(_tanh_row)

    def forward(self, x: Any) -> FloatArray:
        """``np.tanh(x)`` for ``x`` of shape ``(n, features)``; remembers ``x``.

        Raises:
            TypeError / ValueError: ``x`` is not a 2-D array of numbers.
        """
        x = _input(x, "Tanh.forward()", "x")
        self.z = x
        y: FloatArray = np.tanh(x)
        self.y = y
        return y


class CrossEntropyLoss:
    """The mean of ``-log p[i, y_i]`` over a batch, for probabilities ``p`` (a Softmax's output).

    ``forward(p, y)`` returns a float; ``backward(loss)`` returns ``∂loss/∂p`` (the shape of
    ``p``), from the engine's graph of ``-mean(log p[i, y_i])``.
    """

    def __init__(self) -> None:
        self.p: FloatArray | None = None
        self.y: NDArray[np.int64] | None = None

    def forward(self, p: Any, y: Any) -> float:
        """The mean cross-entropy of probabilities ``p`` (``(n, classes)``) for labels ``y`` (``n``
        class indices); remembers both for :meth:`backward`.

        Raises:
            TypeError / ValueError: ``p`` is not a 2-D array, ``y`` not ``n`` integer labels in
                ``range(classes)``.
        """
        p = _matrix(p, "CrossEntropyLoss.forward()", "p")
        labels = _labels(y, p.shape, "CrossEntropyLoss.forward()")
        self.p, self.y = p, labels
        p_of_y = p[np.arange(len(labels)), labels]
        log_prob = np.log(p_of_y)
        return float(-log_prob.mean())

    def backward(self, loss: Any = None) -> FloatArray:
        """``∂loss/∂p`` for the last :meth:`forward` (``loss``, its value, is accepted and unused,
        as in the notebook).

        Raises:
            RuntimeError: ``forward`` was not called first.
        """
        p = _forward_first(self.p, "CrossEntropyLoss.backward()")
        assert self.y is not None
        ps = _leaves(p)
        picked = [ps[i][int(k)].log() for i, k in enumerate(self.y)]
        total: Value = sum(picked[1:], picked[0])
        L = -total * (1.0 / len(picked))
        L.backward()
        return _grads(ps)

    def __repr__(self) -> str:
        return "CrossEntropyLoss()"


def _labels(y: Any, shape: tuple[int, ...], who: str) -> NDArray[np.int64]:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != shape[0]:
        raise ValueError(
            f"{who}: y must be {shape[0]} class labels (one per row of p), got shape {arr.shape}"
        )
    if arr.size and not (np.issubdtype(arr.dtype, np.integer) or np.all(np.mod(arr, 1) == 0)):
        raise TypeError(f"{who}: y must hold integer class labels, got {arr.dtype} values {arr[:5].tolist()}")
    labels = arr.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= shape[1]):
        raise ValueError(
            f"{who}: labels must be in 0..{shape[1] - 1} (p has {shape[1]} columns), got {labels.tolist()}"
        )
    return labels


# ---- the network and the notebook's helpers -------------------------------------------------------


class Net:
    """Layers applied one after another, the lesson's ``Net``: ``add``, ``forward``, ``backward``
    (through the layers in reverse) and ``update`` (of every layer that has one)."""

    def __init__(self) -> None:
        self.layers: list[Any] = []

    def add(self, layer: Any) -> None:
        """Append ``layer`` (anything with ``forward`` and ``backward``, e.g. your own class).

        Raises:
            TypeError: ``layer`` has no ``forward`` or no ``backward`` method.
        """
        for method in ("forward", "backward"):
            if not callable(getattr(layer, method, None)):
                raise TypeError(f"Net.add(): a layer needs a {method}() method, {layer!r} has none")
        self.layers.append(layer)

    def forward(self, x: Any) -> Any:
        """Pass ``x`` through every layer's ``forward`` in order."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, z: Any) -> Any:
        """Pass the gradient ``z`` back through every layer's ``backward``, last layer first."""
        for layer in self.layers[::-1]:
            z = layer.backward(z)
        return z

    def update(self, lr: float) -> None:
        """``update(lr)`` on every layer that has one."""
        for layer in self.layers:
            if callable(getattr(layer, "update", None)):
                layer.update(lr)

    def __repr__(self) -> str:
        return f"Net({', '.join(map(repr, self.layers))})"


def get_loss_acc(
    x: Any, y: Any, loss: CrossEntropyLoss | None = None, *, net: Any = None
) -> tuple[float, float]:
    """The notebook's ``get_loss_acc``: ``(loss, accuracy)`` of ``net`` on ``x`` and labels ``y``.

    Called as the notebook calls it, ``get_loss_acc(train_x, train_labels, loss)``, it reads the
    notebook's global ``net`` (the ``__main__`` namespace, where a notebook's or a script's
    globals live), as the notebook's own version does; ``net=`` passes the network explicitly.

    Raises:
        TypeError: no ``net=`` and no global ``net`` with a ``forward`` method.
    """
    if net is None:
        net = getattr(sys.modules.get("__main__"), "net", None)
        if net is None:
            raise TypeError(
                "get_loss_acc() needs the network: pass net=your_net, or define a global `net` in the "
                "notebook before calling it (as the lesson does); no global `net` was found"
            )
    if not callable(getattr(net, "forward", None)):
        raise TypeError(f"get_loss_acc(): net must have a forward() method (a Net), got {type(net).__name__}")
    loss = CrossEntropyLoss() if loss is None else loss
    p = net.forward(x)
    value = loss.forward(p, y)
    pred = np.argmax(p, axis=1)
    return value, float((pred == np.asarray(y)).mean())


def train_epoch(
    net: Net,
    train_x: Any,
    train_labels: Any,
    loss: CrossEntropyLoss | None = None,
    batch_size: int = 4,
    lr: float = 0.1,
) -> None:
    """The notebook's ``train_epoch``: one pass over the data in minibatches of ``batch_size``
    (in order, no shuffling): ``forward``, loss, ``backward``, ``update(lr)``.

    Raises:
        ValueError: ``batch_size`` is not a positive int.
    """
    batch_size = _positive_int(batch_size, "train_epoch()", "batch_size")
    loss = CrossEntropyLoss() if loss is None else loss
    for i in range(0, len(train_x), batch_size):
        xb = train_x[i : i + batch_size]
        yb = train_labels[i : i + batch_size]
        p = net.forward(xb)
        value = loss.forward(p, yb)
        dp = loss.backward(value)
        net.backward(dp)
        net.update(lr)
