"""Checking gradients: finite differences against backpropagation.

``gradcheck`` compares every partial derivative that backpropagation computes with a central
difference; ``gradgradcheck`` does the same one order up. Hypothesis strategies for property
tests live in :mod:`microgradnet.testing.strategies` (importing it needs ``hypothesis``; this
module does not).
"""

from microgradnet.testing.gradcheck import GradcheckError, gradcheck, gradgradcheck, numeric_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numeric_grad"]
