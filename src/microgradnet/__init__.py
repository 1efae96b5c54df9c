"""microgradnet: a scalar reverse-mode autograd engine for learning and teaching backprop.

>>> from microgradnet import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a
>>> L.backward()
>>> a.grad, b.grad
(-2.0, 2.0)
"""

from typing import Any

from microgradnet import engine, losses, nn, optim  # submodules: microgradnet.nn.MLP, ...
from microgradnet.compile import CompileError, compile
from microgradnet.engine import (
    AnomalyError,
    OpFunction,
    Value,
    apply,
    define_op,
    detect_anomaly,
    grad,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from microgradnet.ops import OPS, Domain, Op, register_op

__version__ = "0.1.0"


def _show_value(value: Value, include: Any = None, exclude: Any = None) -> dict[str, Any] | None:
    """A Value in a notebook shows its graph; viz is imported on the first display only."""
    from microgradnet.viz.notebook import value_mimebundle

    return value_mimebundle(value, include, exclude)


engine._display_hook = _show_value

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
    "is_grad_enabled",
    "losses",
    "nn",
    "no_grad",
    "optim",
    "register_op",
    "topological_order",
]
