"""microgradnet: a scalar reverse-mode autograd engine for learning and teaching backprop.

>>> from microgradnet import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a
>>> L.backward()
>>> a.grad, b.grad
(-2.0, 2.0)

``import microgradnet`` loads only the engine and the op table (the standard library and nothing
else). The other modules load on first use: ``microgradnet.nn.MLP``, ``microgradnet.compile(...)``
or ``from microgradnet import optim`` import them then (and NumPy with ``compile`` or ``data``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from microgradnet import engine as _engine
from microgradnet._version import __version__
from microgradnet.engine import (
    AnomalyError,
    OpFunction,
    Value,
    apply,
    define_op,
    detect_anomaly,
    grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from microgradnet.ops import OPS, Domain, Op, register_op

if TYPE_CHECKING:  # what the lazy names below are, for type checkers
    from microgradnet import data as data
    from microgradnet import examples as examples
    from microgradnet import losses as losses
    from microgradnet import nn as nn
    from microgradnet import optim as optim
    from microgradnet import plots as plots
    from microgradnet import testing as testing
    from microgradnet import train as train
    from microgradnet import viz as viz
    from microgradnet.compile import CompileError, compile


def _show_value(value: Value, include: Any = None, exclude: Any = None) -> dict[str, Any] | None:
    """A Value in a notebook shows its graph; viz is imported on the first display only."""
    from microgradnet.viz.notebook import value_mimebundle

    return value_mimebundle(value, include, exclude)


_engine._display_hook = _show_value

__all__ = [
    "OPS",
    "AnomalyError",
    "CompileError",
    "Domain",
    "Op",
    "OpFunction",
    "Value",
    "__version__",
    "apply",
    "compile",
    "define_op",
    "detect_anomaly",
    "grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "losses",
    "nn",
    "no_grad",
    "optim",
    "register_op",
    "topological_order",
]

#: Submodules loaded on first access as attributes of the package (PEP 562).
_SUBMODULES = ("data", "examples", "losses", "nn", "optim", "plots", "testing", "train", "viz")
#: Names loaded on first access from the module that defines them.
_LAZY_NAMES = {"compile": "microgradnet.compile", "CompileError": "microgradnet.compile"}


def __getattr__(name: str) -> Any:
    """Load a submodule or a lazy name the first time it is asked for."""
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))


class _Package(types.ModuleType):
    """The package's module type: ``microgradnet.compile`` stays the function.

    Importing the submodule ``microgradnet.compile`` (as ``train`` does) makes Python set the
    package's ``compile`` attribute to that submodule; this keeps the documented function there
    instead, whichever is imported first. The submodule stays reachable as
    ``sys.modules["microgradnet.compile"]`` and through ``from microgradnet.compile import ...``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "compile" and isinstance(value, types.ModuleType):
            value = value.compile
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
