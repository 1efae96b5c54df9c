"""Checking gradients: finite differences against backpropagation.

``gradcheck`` compares every partial derivative that backpropagation computes with a central
difference; ``gradgradcheck`` does the same one order up. Hypothesis strategies for property
tests live in :mod:`microgradnet.testing.strategies` (importing it needs ``hypothesis``; this
module does not). ``check_layer`` checks a NumPy layer's hand-written ``backward`` (the lesson's
kind) and names the classic mistake it finds with the catalogue of slips (:mod:`microgradnet.slips`).
"""

from microgradnet.testing.gradcheck import GradcheckError, gradcheck, gradgradcheck, numeric_grad
from microgradnet.testing.layercheck import GradientCheck, LayerReport, check_layer

__all__ = [
    "GradcheckError",
    "GradientCheck",
    "LayerReport",
    "check_layer",
    "gradcheck",
    "gradgradcheck",
    "numeric_grad",
]
