"""Checking gradients: finite differences against backpropagation.

``gradcheck`` compares every partial derivative that backpropagation computes with a central
difference; ``gradgradcheck`` does the same one order up. Hypothesis strategies for property
tests live in :mod:`microgradnet.testing.strategies` (importing it needs ``hypothesis``; this
module does not). ``check_layer`` checks a NumPy layer's hand-written ``backward`` (the lesson's
kind) and names the classic mistake it finds with the catalogue of slips (:mod:`microgradnet.slips`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microgradnet.testing.gradcheck import GradcheckError, gradcheck, gradgradcheck, numeric_grad

if TYPE_CHECKING:
    from microgradnet.testing.layercheck import GradientCheck, LayerReport, check_layer

_LAYERCHECK = ("GradientCheck", "LayerReport", "check_layer")


def __getattr__(name: str) -> Any:
    """``check_layer`` and its reports load on first use: they need NumPy and ``gradcheck`` does
    not, so ``microgradnet.viz`` (which uses ``gradcheck``) imports where there is no NumPy
    (the browser playground)."""
    if name in _LAYERCHECK:
        from microgradnet.testing import layercheck

        return getattr(layercheck, name)
    raise AttributeError(f"module 'microgradnet.testing' has no attribute {name!r}")


__all__ = [
    "GradcheckError",
    "GradientCheck",
    "LayerReport",
    "check_layer",
    "gradcheck",
    "gradgradcheck",
    "numeric_grad",
]
