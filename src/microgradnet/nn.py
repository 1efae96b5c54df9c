"""Neural-network modules built from scalar ``Value``\\s: micrograd's and the lesson's vocabulary.

micrograd's names — :class:`Neuron`, :class:`Layer`, :class:`MLP` — and the AI-for-Beginners
lesson's — :class:`Linear`, :class:`Tanh`, :class:`ReLU`, :class:`Sigmoid`, :class:`Softmax`,
:class:`Sequential` and :class:`~microgradnet.losses.CrossEntropyLoss` — all share one base,
:class:`Module`, which gives ``parameters()``, ``named_parameters()``, ``zero_grad()``,
``state_dict()`` / ``load_state_dict()`` and ``weight_groups()``.

```pycon
>>> from microgradnet.nn import MLP
>>> model = MLP(2, [4, 1], seed=0)
>>> model
MLP(2, [4, 1], activation='relu')
>>> len(model.parameters())
17
>>> name, weight = model.named_parameters()[0]
>>> name, weight.label, list(model.state_dict())
('0.weight[0][0]', '0.weight[0][0]', ['0.weight', '0.bias', '1.weight', '1.bias'])

```

Every parameter's ``label`` is its name, so a graph picture shows which weight is which.

**Inputs.** A module takes one sample: a sequence of numbers (``int``, ``float``, numpy scalars —
anything :class:`numbers.Real`) or ``Value``\\s. Every module also takes a *batch* (a list of
samples, or a 2-D numpy array) and then returns one result per sample, as the lesson's numpy
layers do. A wrong number of inputs raises ``ValueError("Linear(3, 2) expects 3 inputs, got
4")``; a non-number raises ``TypeError``.

**Initialisation** (``init=``; ``seed=`` an int or ``rng=`` a :class:`random.Random` makes it
reproducible and independent of everything else). Without either, a module draws as micrograd
0.1.0 does: from Python's global ``random`` (so ``random.seed(1337)`` decides the weights), one
draw per weight in micrograd's order (layer by layer, neuron by neuron), and every bias starts at
0. The table gives the seeded draws:

=============  ===========================================================  ==========
``init``       weights                                                      biases
=============  ===========================================================  ==========
``"uniform"``  ``U(-1, 1)`` — micrograd's ``Neuron`` (default for Neuron,    ``U(-1, 1)``
               Layer and MLP)
``"lesson"``   ``N(0, std=1/√nin)`` — the lesson notebook's ``Linear``      ``0``
               (default for Linear)
``"xavier"``   Glorot uniform ``U(-a, a)``, ``a = √(6 / (nin + nout))``     ``0``
``"he"``       Kaiming normal ``N(0, std=√(2 / nin))``, suited to ReLU      ``0``
``"zeros"``    ``0`` (for setting weights by hand)                          ``0``
=============  ===========================================================  ==========
"""

from __future__ import annotations

import enum
import math
import numbers
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Union

from microgradnet.engine import Value, apply
from microgradnet.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    L1Loss,
    MSELoss,
)
from microgradnet.losses import softmax as _softmax

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "L1Loss",
    "Layer",
    "Linear",
    "MSELoss",
    "Module",
    "Neuron",
    "ParameterName",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "parse_parameter_name",
]

#: The activations a Neuron / Layer / MLP accepts.
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
#: The initialisation schemes (see the module docstring).
INITS = ("uniform", "lesson", "xavier", "he", "zeros")

#: A parameter group: one ``Value``, or (nested) lists of them.
ValueTree = Union[Value, list["ValueTree"]]
#: The numbers of a parameter group, same nesting: what ``state_dict()`` holds.
FloatTree = Union[float, list["FloatTree"]]


# ---- helpers -------------------------------------------------------------------------------


class _GlobalRandom:
    """Python's global ``random`` functions: where micrograd draws its weights from."""

    def uniform(self, a: float, b: float) -> float:
        return random.uniform(a, b)

    def gauss(self, mu: float, sigma: float) -> float:
        return random.gauss(mu, sigma)


#: The generator a module draws from when given neither ``seed`` nor ``rng`` (micrograd's rule).
_GLOBAL_RANDOM = _GlobalRandom()
_Draws = Union[random.Random, _GlobalRandom]


def _make_rng(seed: int | None, rng: random.Random | None, who: str) -> _Draws:
    if seed is not None and rng is not None:
        raise ValueError(f"{who}: pass seed= or rng=, not both")
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"{who}: rng must be a random.Random, got {type(rng).__name__}")
        return rng
    if seed is None:
        return _GLOBAL_RANDOM
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{who}: seed must be an int, got {seed!r} ({type(seed).__name__})")
    return random.Random(seed)


class _Unset(enum.Enum):
    UNSET = "unset"


#: The default of ``activation``: not given (``None`` stays an error, as before).
_UNSET = _Unset.UNSET


def _resolve_activation(activation: str | bool | _Unset, nonlin: bool | None, default: str, who: str) -> str:
    """The activation from ours (``activation="tanh"``) or micrograd's (``nonlin=True``: ReLU,
    ``False``: linear; also micrograd's positional ``Neuron(2, False)``)."""
    if isinstance(activation, bool):  # micrograd's Neuron(nin, nonlin) called positionally
        if nonlin is not None:
            raise ValueError(f"{who}: nonlin given twice ({activation!r} and nonlin={nonlin!r})")
        nonlin = activation
        activation = _UNSET
    if nonlin is not None:
        if not isinstance(nonlin, bool):
            raise TypeError(f"{who}: nonlin must be True (ReLU) or False (linear), got {nonlin!r}")
        if activation is not _UNSET:
            raise ValueError(
                f"{who}: pass activation= or micrograd's nonlin=, not both "
                f"(got activation={activation!r}, nonlin={nonlin!r})"
            )
        return "relu" if nonlin else "linear"
    return _check_choice(default if activation is _UNSET else activation, ACTIVATIONS, "activation", who)


def _check_size(n: object, what: str, who: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{who}: {what} must be a positive int, got {n!r}")
    return n


def _check_choice(value: object, choices: Sequence[str], what: str, who: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{who}: {what} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _draw_weights(rng: _Draws, init: str, nin: int, nout: int, count: int) -> list[float]:
    """``count`` weights of a layer with ``nin`` inputs and ``nout`` outputs, drawn by ``init``."""
    if init == "uniform":
        return [rng.uniform(-1.0, 1.0) for _ in range(count)]
    if init == "lesson":
        std = 1.0 / math.sqrt(nin)
        return [rng.gauss(0.0, std) for _ in range(count)]
    if init == "xavier":
        a = math.sqrt(6.0 / (nin + nout))
        return [rng.uniform(-a, a) for _ in range(count)]
    if init == "he":
        std = math.sqrt(2.0 / nin)
        return [rng.gauss(0.0, std) for _ in range(count)]
    return [0.0] * count


def _draw_biases(rng: _Draws, init: str, count: int) -> list[float]:
    if init == "uniform" and rng is not _GLOBAL_RANDOM:  # micrograd's biases start at 0
        return [rng.uniform(-1.0, 1.0) for _ in range(count)]
    return [0.0] * count


def _is_number(x: object) -> bool:
    return isinstance(x, (Value, numbers.Real))


def _is_batch(x: Any) -> bool:
    """A batch is a non-empty indexable sequence (a list, a 2-D numpy array) whose first item is
    itself a sequence rather than a number. Generators are never batches (peeking would consume
    them)."""
    if _is_number(x) or isinstance(x, (str, bytes)) or not hasattr(x, "__getitem__"):
        return False
    try:
        if len(x) == 0:
            return False
        first = x[0]
    except (TypeError, KeyError, IndexError):
        return False
    return not _is_number(first) and not isinstance(first, (str, bytes))


def _as_values(x: Any, nin: int, who: str) -> list[Value]:
    """One sample as a list of ``nin`` Values (numbers become constant leaves)."""
    if _is_number(x):
        items: list[Any] = [x]
    elif isinstance(x, (str, bytes)):
        raise TypeError(f"{who} takes a sequence of {nin} numbers or Values, got {x!r}")
    else:
        try:
            items = list(x)
        except TypeError:
            raise TypeError(
                f"{who} takes a sequence of {nin} numbers or Values, got {x!r} ({type(x).__name__})"
            ) from None
    if len(items) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(items)}")
    out: list[Value] = []
    for k, v in enumerate(items):
        if isinstance(v, Value):
            out.append(v)
        elif isinstance(v, numbers.Real):
            out.append(Value(float(v)))
        else:
            raise TypeError(f"{who} input {k} must be a number or a Value, got {v!r} ({type(v).__name__})")
    return out


def _flatten(tree: ValueTree) -> list[Value]:
    if isinstance(tree, Value):
        return [tree]
    out: list[Value] = []
    for sub in tree:
        if type(sub) is Value:  # (a row of a weight matrix: no call per weight)
            out.append(sub)
        else:
            out.extend(_flatten(sub))
    return out


def _shape(tree: ValueTree) -> tuple[int, ...]:
    if isinstance(tree, Value):
        return ()
    return (len(tree), *(_shape(tree[0]) if tree else ()))


def _label_tree(tree: ValueTree, name: str) -> None:
    if isinstance(tree, Value):
        tree.label = name
        return
    for k, sub in enumerate(tree):
        if type(sub) is Value:  # (a row of a weight matrix: no call per weight)
            sub.label = f"{name}[{k}]"
        else:
            _label_tree(sub, f"{name}[{k}]")


def _check_tree(tree: object, name: str) -> None:
    """Every leaf of a parameter group must be a Value (catches ``layer.weight[0][1] = 0.5``)."""
    if isinstance(tree, Value):
        return
    if isinstance(tree, list):
        if all(type(sub) is Value for sub in tree):  # the common case, checked without recursion
            return
        for k, sub in enumerate(tree):
            _check_tree(sub, f"{name}[{k}]")
        return
    raise TypeError(
        f"parameter {name} is {tree!r} ({type(tree).__name__}), not a Value; "
        f"to change a weight set its .data (e.g. {name}.data = 0.5) or assign the whole group"
    )


def _numbers_of(tree: ValueTree) -> FloatTree:
    if isinstance(tree, Value):
        return tree.data
    return [_numbers_of(sub) for sub in tree]


def _read_numbers(value: Any, shape: tuple[int, ...], key: str, who: str) -> list[float]:
    """Validate ``value`` against ``shape`` and return its numbers flattened (row-major)."""
    if hasattr(value, "tolist") and not isinstance(value, Value):  # numpy arrays and scalars
        value = value.tolist()
    out: list[float] = []

    def walk(v: Any, depth: int, where: str) -> None:
        if depth == len(shape):
            if isinstance(v, Value):
                out.append(v.data)
            elif type(v) is not bool and isinstance(v, numbers.Real):
                out.append(float(v))
            else:
                raise TypeError(
                    f"{who}: {key!r}{where} must be a number, got {v!r} ({type(v).__name__}); "
                    f"expected shape {list(shape)}"
                )
            return
        if isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
            raise TypeError(
                f"{who}: {key!r}{where} must be a list of length {shape[depth]}, got {v!r} "
                f"({type(v).__name__}); expected shape {list(shape)}"
            )
        if len(v) != shape[depth]:
            raise ValueError(
                f"{who}: {key!r}{where} has length {len(v)}, expected {shape[depth]} "
                f"(expected shape {list(shape)})"
            )
        for k, sub in enumerate(v):
            walk(sub, depth + 1, f"{where}[{k}]")

    walk(value, 0, "")
    return out


def _activate(x: Value, activation: str) -> Value:
    if activation == "tanh":
        return x.tanh()
    if activation == "relu":
        return x.relu()
    if activation == "sigmoid":
        return x.sigmoid()
    return x


# ---- parameter names -----------------------------------------------------------------------

_TRAILING_INDICES = re.compile(r"(?:\[\d+\])+$")


@dataclass(frozen=True)
class ParameterName:
    """Where a parameter sits in a model: its name taken apart.

    Names are PyTorch's (``Module.named_parameters()``): the dotted path of the module that
    owns the parameter, the group's name, then indices. ``"1.weight[3][0]"`` is
    ``ParameterName(name="1.weight[3][0]", module="1", group="weight", kind="weight",
    neuron=3, input=0)``; micrograd's ``"layers.0.neurons.2.w[1]"`` has ``module=
    "layers.0.neurons.2"`` (the module is the neuron, so ``neuron`` is ``None``) and ``input=1``.

    Attributes:
        name: the whole name, as ``named_parameters()`` gives it and ``Value.label`` shows it.
        module: the owning module's dotted path (``"0"``, ``"fc1"``, ``"layers.0.neurons.2"``).
        group: the parameter group's own name (``"weight"``, ``"bias"``, ``"w"``, ``"b"``).
        kind: ``"weight"`` (groups ``weight``/``w``), ``"bias"`` (``bias``/``b``), else the
            group's name.
        neuron: the neuron (row) within the module for a layer's ``weight[row][col]`` or
            ``bias[row]``; ``None`` when the module is a single neuron or for other groups.
        input: the input (column) a weight multiplies; ``None`` for a bias.
    """

    name: str
    module: str
    group: str
    kind: str
    neuron: int | None
    input: int | None

    @property
    def neuron_path(self) -> str:
        """The neuron this parameter belongs to: ``"0.neuron3"`` for row 3 of layer ``"0"``, or
        the module itself when it is a single neuron (``"layers.0.neurons.2"``)."""
        return self.module if self.neuron is None else f"{self.module}.neuron{self.neuron}"


def parse_parameter_name(name: str) -> ParameterName | None:
    """The parts of a parameter name (:class:`ParameterName`), or ``None`` for a name without a
    module path (``"w1"``, ``"x"``), which no module's ``named_parameters()`` gives.

    Accepts every name a :class:`Module` writes (``"0.weight[1][2]"``, ``"fc1.bias[0]"``,
    ``"layers.0.neurons.1.w[2]"``, ``"b.b"``) and, for hand-labelled graphs, any dotted label
    without spaces; trailing numeric parts count as indices (``"neuron.w.2"`` is ``w[2]``).
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        return None
    match = _TRAILING_INDICES.search(name)
    base = name[: match.start()] if match else name
    indices = [int(k) for k in re.findall(r"\d+", match.group(0))] if match else []
    parts = base.split(".")
    if len(parts) < 2 or not all(parts):
        return None
    while len(parts) > 2 and parts[-1].isdigit():
        indices.insert(0, int(parts.pop()))
    group = parts[-1]
    kind = {"weight": "weight", "w": "weight", "bias": "bias", "b": "bias"}.get(group, group)
    neuron: int | None = None
    column: int | None = None
    if kind == "weight" and len(indices) == 2:
        neuron, column = indices
    elif kind == "weight" and len(indices) == 1:
        column = indices[0]
    elif kind == "bias" and len(indices) == 1:
        neuron = indices[0]
    return ParameterName(name, ".".join(parts[:-1]), group, kind, neuron, column)


# ---- the base class ------------------------------------------------------------------------


class Module:
    """Base of every module: parameters, gradients, saving and loading.

    Calling a module calls its :meth:`forward`. A model of your own works as in PyTorch: assign
    sub-modules (or lists of them) as attributes and they are found, in assignment order::

        class Net(Module):
            def __init__(self):
                self.fc1 = Linear(2, 10)
                self.fc2 = Linear(10, 2)
                self.relabel()          # optional: labels become "fc1.weight[0][0]", ...

            def forward(self, x):
                return self.fc2(Tanh()(self.fc1(x)))

    Parameters are named ``fc1.weight``, ``fc1.bias``, ... A module with parameters of its own
    describes them by overriding ``_groups()``, returning ``(name, Value or nested lists of
    Values)`` pairs; ``_children()`` (the sub-modules as ``(name, Module)``) may be overridden
    too. Everything else here is derived from those two, in a deterministic order.
    """

    def _groups(self) -> list[tuple[str, ValueTree]]:
        return []

    def _children(self) -> list[tuple[str, Module]]:
        found: list[tuple[str, Module]] = []
        for name, value in vars(self).items():
            if isinstance(value, Module):
                found.append((name, value))
            elif isinstance(value, (list, tuple)) and value and all(isinstance(m, Module) for m in value):
                found.extend((f"{name}.{k}", m) for k, m in enumerate(value))
        return found

    def forward(self, x: Any) -> Any:
        """The module's computation; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    # ---- parameters ----

    def parameter_groups(self) -> list[tuple[str, ValueTree]]:
        """Every parameter group with its dotted name, e.g. ``("0.weight", [[Value, ...], ...])``.

        Raises ``TypeError`` if a slot of a group holds something other than a ``Value``.
        """
        out: list[tuple[str, ValueTree]] = []
        for name, tree in self._groups():
            _check_tree(tree, name)
            out.append((name, tree))
        for prefix, child in self._children():
            out.extend((f"{prefix}.{name}", tree) for name, tree in child.parameter_groups())
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, Value)`` for every parameter, e.g. ``("0.weight[3][1]", Value)``.

        Names index weight matrices as ``weight[output][input]``; a Value shared by two places is
        listed once, under its first name.
        """
        out: list[tuple[str, Value]] = []
        seen: set[Value] = set()
        for name, tree in self.parameter_groups():
            for leaf, leaf_name in _named_leaves(tree, name):
                if leaf not in seen:
                    seen.add(leaf)
                    out.append((leaf_name, leaf))
        return out

    def parameter_names(self) -> list[tuple[ParameterName, Value]]:
        """:meth:`named_parameters` with each name taken apart (:class:`ParameterName`): which
        module, group (weight or bias), neuron and input each parameter is.

        Use it instead of parsing the names: ``[(p.module, p.neuron) for p, _ in
        model.parameter_names() if p.kind == "weight"]``.
        """
        out: list[tuple[ParameterName, Value]] = []
        for name, value in self.named_parameters():
            parsed = parse_parameter_name(name)
            if parsed is None:  # a group of the model itself ("w[0]" of a lone Neuron): no module path
                inner = parse_parameter_name(f"_.{name}")
                assert inner is not None
                parsed = ParameterName(name, "", inner.group, inner.kind, inner.neuron, inner.input)
            out.append((parsed, value))
        return out

    def parameters(self) -> list[Value]:
        """Every parameter ``Value``, in the order of :meth:`named_parameters` (no repeats)."""
        out: list[Value] = []
        seen: set[Value] = set()
        for _, tree in self.parameter_groups():  # as named_parameters, without building names
            for leaf in _flatten(tree):
                if leaf not in seen:
                    seen.add(leaf)
                    out.append(leaf)
        return out

    def weight_groups(self) -> list[tuple[str, list[Value]]]:
        """The weights of each layer, biases left out: ``[("0.weight", [Value, ...]), ...]``.

        One entry per group named ``weight`` (or micrograd's ``w``), flattened, in layer order.
        Training uses it to report the largest ``|w|`` per layer per epoch (the lesson's lab).
        """
        return [
            (name, _flatten(tree))
            for name, tree in self.parameter_groups()
            if name.rsplit(".", 1)[-1] in ("weight", "w")
        ]

    def zero_grad(self) -> None:
        """Set ``grad = 0`` on every parameter."""
        for p in self.parameters():
            p.grad = 0.0

    def relabel(self) -> None:
        """Set each parameter's ``label`` to its name (done when a model is built)."""
        for name, tree in self.parameter_groups():
            _label_tree(tree, name)

    # ---- saving and loading ----

    def state_dict(self) -> dict[str, FloatTree]:
        """The numbers of every parameter group: ``{"0.weight": [[...], ...], "0.bias": [...]}``.

        Plain floats in nested lists (JSON-able); a weight matrix is ``nout`` rows of ``nin``, a
        bias vector ``nout`` floats (a lone :class:`Neuron`'s ``b`` is one float).
        """
        return {name: _numbers_of(tree) for name, tree in self.parameter_groups()}

    def load_state_dict(self, state: Any) -> None:
        """Copy the numbers of ``state`` (as made by :meth:`state_dict`) into the parameters.

        Values may be nested lists, numpy arrays or anything with ``tolist()``. Everything is
        checked first; on any problem nothing is changed.

        Raises:
            TypeError: ``state`` is not a dict, or an entry holds a non-number.
            ValueError: a key is missing or unexpected, or an entry has the wrong shape (the
                message names the key, the expected shape and what came).
        """
        who = f"{type(self).__name__}.load_state_dict()"
        if not isinstance(state, dict):
            raise TypeError(f"{who} takes a dict like state_dict() returns, got {type(state).__name__}")
        groups = self.parameter_groups()
        expected = [name for name, _ in groups]
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in expected]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {sorted(map(str, unexpected))}")
            raise ValueError(f"{who}: {'; '.join(parts)} (expected keys {expected})")
        updates: list[tuple[list[Value], list[float]]] = []
        for name, tree in groups:
            updates.append((_flatten(tree), _read_numbers(state[name], _shape(tree), name, who)))
        for leaves, numbers_ in updates:
            for leaf, x in zip(leaves, numbers_):
                leaf.data = x

    # ---- display ----

    def __repr__(self) -> str:
        """``Name()``, or PyTorch's layout with one ``(name): child`` line per sub-module."""
        children = self._children()
        if not children:
            return f"{type(self).__name__}()"
        lines = [f"  ({name}): {child!r}".replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _named_leaves(tree: ValueTree, name: str) -> Iterator[tuple[Value, str]]:
    if isinstance(tree, Value):
        yield tree, name
        return
    for k, sub in enumerate(tree):
        yield from _named_leaves(sub, f"{name}[{k}]")


# ---- micrograd's vocabulary ----------------------------------------------------------------


class Neuron(Module):
    """One neuron: ``activation(w · x + b)``, micrograd's ``Neuron``.

    ``w`` is a list of ``nin`` parameter Values, ``b`` one Value; labels ``w[0]``, ..., ``b``.
    The pre-activation is ONE n-ary ``dot`` node plus ``b`` (equal to ``sum(wi*xi) + b``, with a
    graph of 2 nodes instead of 2·nin).

    Args:
        nin: number of inputs (>= 1).
        activation: ``"tanh"`` (the default), ``"relu"``, ``"sigmoid"`` or ``"linear"``.
        nonlin: micrograd's argument instead of ``activation``: ``True`` is ReLU, ``False``
            linear (``Neuron(2, nonlin=False)``, or micrograd's positional ``Neuron(2, False)``).
        init: weight scheme (module docstring); default micrograd's ``U(-1, 1)``.
        seed: an int making the draw reproducible.
        rng: a ``random.Random`` to draw from instead of ``seed``. Without ``seed`` and ``rng``
            the weights come from Python's global ``random`` and the bias is 0, as in micrograd.

    Raises:
        ValueError / TypeError: for a bad size, activation, nonlin, init, seed or rng.
    """

    def __init__(
        self,
        nin: int,
        activation: str | bool | _Unset = _UNSET,
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        who = "Neuron()"
        self.nin = _check_size(nin, "nin", who)
        self.activation = _resolve_activation(activation, nonlin, "tanh", who)
        self.init = _check_choice(init, INITS, "init", who)
        r = _make_rng(seed, rng, who)
        self.w = [Value(x) for x in _draw_weights(r, init, nin, 1, nin)]
        self.b = Value(_draw_biases(r, init, 1)[0])
        self.relabel()

    @classmethod
    def _made(cls, weights: list[float], bias: float, activation: str) -> Neuron:
        """A neuron holding these numbers, as ``Neuron(len(weights), activation, init="zeros")``
        with its weights and bias set, minus the checks and the labels (its layer gives them)."""
        neuron = cls.__new__(cls)
        neuron.nin, neuron.activation, neuron.init = len(weights), activation, "zeros"
        neuron.w = [Value(x) for x in weights]
        neuron.b = Value(bias)
        return neuron

    def _groups(self) -> list[tuple[str, ValueTree]]:
        return [("w", list(self.w)), ("b", self.b)]

    def _pre_activation(self, xs: list[Value]) -> Value:
        return apply("dot", *xs, *self.w) + self.b

    def forward(self, x: Any) -> Any:
        """The neuron's output (a ``Value``) for one sample of ``nin`` numbers or Values, or a
        list of outputs for a batch.

        Raises ``ValueError`` for the wrong number of inputs, ``TypeError`` for a non-number.
        """
        if _is_batch(x):
            return [self.forward(sample) for sample in x]
        xs = _as_values(x, self.nin, repr(self))
        return _activate(self._pre_activation(xs), self.activation)

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs, micrograd's ``Layer``.

    ``neurons`` is the list of :class:`Neuron`\\s. The layer's parameter groups are ``weight``
    (``nout`` rows of ``nin`` Values, row ``i`` = neuron ``i``'s ``w``) and ``bias`` (``nout``
    Values), as in PyTorch's ``Linear``. Calling it on one sample returns a list of ``nout``
    Values — or a single ``Value`` when ``nout == 1``, as in micrograd; on a batch, one such
    result per sample.

    Args as :class:`Neuron` (micrograd's ``Layer(nin, nout, nonlin=False)`` too); ``seed``/``rng``
    draw all neurons from one generator, in order (neuron by neuron, then the biases).
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | bool | _Unset = _UNSET,
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        who = f"{type(self).__name__}()"
        self.nin = _check_size(nin, "nin", who)
        self.nout = _check_size(nout, "nout", who)
        self.activation = _resolve_activation(activation, nonlin, "tanh", who)
        activation = self.activation
        self.init = _check_choice(init, INITS, "init", who)
        r = _make_rng(seed, rng, who)
        weights = _draw_weights(r, init, nin, nout, nin * nout)
        biases = _draw_biases(r, init, nout)
        self.neurons = [
            Neuron._made(weights[i * nin : (i + 1) * nin], biases[i], activation) for i in range(nout)
        ]
        self.relabel()

    def _groups(self) -> list[tuple[str, ValueTree]]:
        return [("weight", [list(n.w) for n in self.neurons]), ("bias", [n.b for n in self.neurons])]

    def _children(self) -> list[tuple[str, Module]]:
        return []  # the neurons' parameters are this layer's weight and bias

    @property
    def weight(self) -> list[list[Value]]:
        """The weight matrix: ``nout`` lists of ``nin`` parameter Values (row ``i`` = neuron ``i``).

        Assigning a ``nout × nin`` nested sequence of numbers (or Values, or a numpy array)
        copies the numbers into the existing parameters, so an optimizer built earlier keeps
        working. Raises ``ValueError``/``TypeError`` for a wrong shape or a non-number.
        """
        return [n.w for n in self.neurons]

    @weight.setter
    def weight(self, value: Any) -> None:
        who = f"setting {self!r}.weight"
        xs = _read_numbers(value, (self.nout, self.nin), "weight", who)
        for leaf, x in zip(_flatten(self.weight), xs):  # type: ignore[arg-type]
            leaf.data = x

    @property
    def bias(self) -> list[Value]:
        """The ``nout`` bias Values; assigning ``nout`` numbers copies them in (as ``weight``)."""
        return [n.b for n in self.neurons]

    @bias.setter
    def bias(self, value: Any) -> None:
        who = f"setting {self!r}.bias"
        xs = _read_numbers(value, (self.nout,), "bias", who)
        for leaf, x in zip(self.bias, xs):
            leaf.data = x

    def outputs(self, x: Any) -> list[Value]:
        """The ``nout`` outputs for one sample, always as a list (even when ``nout == 1``)."""
        xs = _as_values(x, self.nin, repr(self))
        return [_activate(n._pre_activation(xs), self.activation) for n in self.neurons]

    def forward(self, x: Any) -> Any:
        """Outputs for one sample (a list, or one ``Value`` when ``nout == 1``) or a batch.

        Raises ``ValueError`` for the wrong number of inputs, ``TypeError`` for a non-number.
        """
        if _is_batch(x):
            return [self.forward(sample) for sample in x]
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron, micrograd's ``MLP(nin, nouts)``.

    ``layers[k]`` is a :class:`Layer` with ``nouts[k]`` neurons; hidden layers use
    ``activation`` and the last layer is linear. Any layer may have a single neuron
    (``MLP(2, [16, 1, 1])``). Calling it on one sample returns a ``Value`` when the last layer has
    one neuron, else a list of Values; on a batch (a sequence of samples), a list of those.
    Parameters are named ``0.weight``, ``0.bias``, ``1.weight``, ... (labels ``0.weight[3][1]``).

    Args:
        nin: number of inputs.
        nouts: the size of each layer (non-empty).
        activation: the hidden layers' activation (``"relu"`` as in micrograd, ``"tanh"``,
            ``"sigmoid"``, ``"linear"``).
        init: as for :class:`Neuron`.
        seed: as for :class:`Neuron`; all layers draw from one generator in order.
        rng: as for :class:`Neuron`. Without ``seed`` and ``rng``, micrograd's rule: weights
            from Python's global ``random`` in micrograd's order, biases 0 — so after
            ``random.seed(1337)``, ``MLP(2, [16, 16, 1])`` starts from micrograd's own weights.

    Raises:
        ValueError / TypeError: for bad sizes or options.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        *,
        init: str = "uniform",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        who = "MLP()"
        _check_size(nin, "nin", who)
        if isinstance(nouts, (int, str)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"{who}: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        sizes = [_check_size(n, "each layer size in nouts", who) for n in nouts]
        _check_choice(activation, ACTIVATIONS, "activation", who)
        _check_choice(init, INITS, "init", who)
        r = _make_rng(seed, rng, who)
        dims = [nin, *sizes]
        self.nin = nin
        self.nouts = sizes
        self.activation = activation
        layer_rng = r if isinstance(r, random.Random) else None  # None: the global random, in order
        self.layers = [
            Layer(
                dims[k], dims[k + 1], activation if k < len(sizes) - 1 else "linear", init=init, rng=layer_rng
            )
            for k in range(len(sizes))
        ]
        self.relabel()

    def _children(self) -> list[tuple[str, Module]]:
        return [(str(k), layer) for k, layer in enumerate(self.layers)]

    def _compile_plan(self) -> list[tuple[list[Value], list[Value], str | None]] | None:
        """For :mod:`microgradnet.compile`: this network layer by layer — its weights (row by
        row), its biases and the op of its activation (``None``: linear) — when it is exactly a
        plain MLP of this module's own ``Layer`` and ``Neuron``, nothing overridden, so that
        its graph for one sample is known without tracing it. ``None`` for anything else (a
        subclass, a replaced method, a layer swapped for another module): the compiler then
        traces the whole model and proves its graph the same for every input."""
        if type(self) is not MLP or not _plain(self, MLP, ("forward",)):
            return None
        plan: list[tuple[list[Value], list[Value], str | None]] = []
        width = self.nin
        for layer in self.layers:
            if type(layer) is not Layer or not _plain(layer, Layer, ("forward", "outputs")):
                return None
            neurons = layer.neurons
            if layer.nin != width or layer.activation not in _ACTIVATION_OPS:
                return None
            for n in neurons:
                if type(n) is not Neuron or not _plain(n, Neuron, ("_pre_activation",)) or len(n.w) != width:
                    return None
            plan.append(
                ([w for n in neurons for w in n.w], [n.b for n in neurons], _ACTIVATION_OPS[layer.activation])
            )
            width = len(neurons)
        return plan

    def forward(self, x: Any) -> Any:
        """The network's output for one sample or a batch (see the class docstring).

        Raises ``ValueError`` for the wrong number of inputs, ``TypeError`` for a non-number.
        """
        if _is_batch(x):
            return [self.forward(sample) for sample in x]
        out: Any = x
        for layer in self.layers:
            out = layer.outputs(out)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"MLP({self.nin}, {self.nouts}, activation={self.activation!r})"


#: the op of each activation (what ``_activate`` applies); ``None``: the identity
_ACTIVATION_OPS: dict[str, str | None] = {
    "tanh": "tanh",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "linear": None,
}
#: the methods a plain MLP runs, as this module defines them (``MLP._compile_plan``)
_PLAIN_METHODS = {
    (MLP, "forward"): MLP.forward,
    (Layer, "forward"): Layer.forward,
    (Layer, "outputs"): Layer.outputs,
    (Neuron, "_pre_activation"): Neuron._pre_activation,
}


def _plain(obj: Module, cls: type, methods: tuple[str, ...]) -> bool:
    """``obj`` runs ``cls``'s own methods: none replaced on the instance or on the class."""
    own = vars(obj)
    return not any(m in own or getattr(cls, m) is not _PLAIN_METHODS[(cls, m)] for m in methods) and (
        "__call__" not in own and Module.__call__ is _MODULE_CALL
    )


_MODULE_CALL = Module.__call__


# ---- the lesson's vocabulary ---------------------------------------------------------------


class Linear(Layer):
    """``z = W x + b``: the lesson's (and PyTorch's) fully connected layer, no activation.

    ``weight`` is a list of ``nout`` lists of ``nin`` Values and ``bias`` a list of ``nout``
    Values; assigning numbers to either copies them in (see :attr:`Layer.weight`), which is how
    the lesson's numbers are reproduced. Unlike :class:`Layer`, one sample always gives a list of
    ``nout`` Values (also when ``nout == 1``); a batch gives one list per sample.

    Args:
        nin: the number of inputs.
        nout: the number of outputs.
        init: default ``"lesson"``: ``N(0, std=1/√nin)`` weights and zero biases, as the lesson
            notebook's ``Linear`` (``np.random.normal(0, 1.0/np.sqrt(nin), (nout, nin))``,
            ``np.zeros``); also ``"uniform"``, ``"xavier"``, ``"he"``, ``"zeros"``.
        seed: an int making the draw reproducible.
        rng: a ``random.Random`` to draw from instead of ``seed``.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        init: str = "lesson",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(nin, nout, "linear", init=init, seed=seed, rng=rng)

    def forward(self, x: Any) -> Any:
        """``nout`` Values for one sample, or a list of those for a batch.

        Raises ``ValueError`` for the wrong number of inputs, ``TypeError`` for a non-number.
        """
        if _is_batch(x):
            return [self.outputs(sample) for sample in x]
        return self.outputs(x)

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout})"


def _elementwise(x: Any, fn: str, who: str) -> Any:
    if isinstance(x, Value):
        return _activate(x, fn)
    if isinstance(x, numbers.Real):
        return _activate(Value(float(x)), fn)
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{who} takes a Value, a number or a sequence of them, got {x!r}")
    try:
        items = list(x)
    except TypeError:
        raise TypeError(
            f"{who} takes a Value, a number or a sequence of them, got {x!r} ({type(x).__name__})"
        ) from None
    return [_elementwise(v, fn, who) for v in items]


class _Activation(Module):
    _fn = "linear"

    def forward(self, x: Any) -> Any:
        """The activation of each element: same nesting as ``x`` (a Value, a list, a batch).

        Raises ``TypeError`` for anything that is not a number, a Value or a sequence of them.
        """
        return _elementwise(x, self._fn, f"{type(self).__name__}()")


class Tanh(_Activation):
    """``tanh`` of every element (one Value, a sample, or a batch)."""

    _fn = "tanh"


class ReLU(_Activation):
    """``max(x, 0)`` of every element (one Value, a sample, or a batch)."""

    _fn = "relu"


class Sigmoid(_Activation):
    """``1 / (1 + e^-x)`` of every element (one Value, a sample, or a batch)."""

    _fn = "sigmoid"


class Softmax(Module):
    """Scores to probabilities: ``exp(z_i - m) / Σ_j exp(z_j - m)`` with ``m = max z``.

    ``m`` is subtracted as a constant (it does not change the result or its gradient, and keeps
    ``exp`` from overflowing: logits of ±1000 work). Takes one sample (a list of Values) and
    returns a list of probabilities, or a batch and returns one list per sample.
    See :func:`microgradnet.losses.softmax`.
    """

    def forward(self, x: Any) -> Any:
        """Probabilities per sample. Raises ``ValueError`` for an empty sample."""
        if _is_batch(x):
            return [_softmax(sample) for sample in x]
        return _softmax(x)


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(2, 10), Tanh(), Linear(10, 2))``.

    Indexable (``model[0]``), ``len()`` and iterable like PyTorch's. Parameters are named by
    position: ``0.weight``, ``0.bias``, ``2.weight``, ...

    Raises:
        TypeError: an argument is not a :class:`Module`.
    """

    def __init__(self, *modules: Module) -> None:
        for k, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential() argument {k} must be a Module, got {type(m).__name__}")
        self.modules: list[Module] = list(modules)
        self.relabel()

    def _children(self) -> list[tuple[str, Module]]:
        return [(str(k), m) for k, m in enumerate(self.modules)]

    def forward(self, x: Any) -> Any:
        """Pass ``x`` through every module in order and return the last result."""
        for m in self.modules:
            x = m(x)
        return x

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (PyTorch's ``Sequential.append``) and return ``self``.

        Raises ``TypeError`` if ``module`` is not a :class:`Module`.
        """
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append() takes a Module, got {type(module).__name__}")
        self.modules.append(module)
        self.relabel()
        return self

    def add(self, module: Module) -> Sequential:
        """The lesson notebook's ``Net.add(layer)``: the same as :meth:`append`."""
        return self.append(module)

    def __getitem__(self, index: int) -> Module:
        return self.modules[index]

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)
