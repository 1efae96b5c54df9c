"""Compile a model and its loss into a tape that runs a whole minibatch on NumPy arrays.

The eager engine executes one Python operation per scalar op. A model plus its loss builds the
*same* graph for every sample; only the numbers differ. So :func:`compile` builds that graph
once, with placeholder inputs, and turns it into a flat *tape*. One module per job:

* :mod:`~microgradnet.compile.trace` — **trace** ``loss_fn(model(xs), y)`` on placeholder
  ``Value``\\s, checking that the code building it read no ``Value``'s number and drew from no
  watched random generator (``random``, NumPy's global one, your ``np.random.Generator`` and
  ``RandomState`` objects), else :class:`CompileError`; other state it consults is not watched;
* :mod:`~microgradnet.compile.arrays` — **the primitives on arrays**: each op's formulas from
  the op table compiled against NumPy (:data:`NUMPY_FUNCTIONS`);
* :mod:`~microgradnet.compile.tape` — **build** the tape: nodes that compute the same thing
  share a row, nodes with the same op and depth become one step (a layer's 16 tanh nodes are
  one ``np.tanh`` call, its dot products a matrix product);
* :mod:`~microgradnet.compile.run` — **run** it: forward evaluates each step's forward formula
  on arrays of shape (nodes, samples), backward its derivative formulas, adding
  ``local × upstream`` into the operands' rows; parameters have one column, so their gradients
  are summed over the batch — exactly what the eager loss ``mean(losses)`` gives;
* :mod:`~microgradnet.compile.step` — the :class:`CompiledStep` that :func:`compile` returns:
  ``step(X, y)`` adds the parameter gradients into the same ``Value.grad`` that eager
  ``backward()`` fills, so any optimizer works unchanged; :func:`for_fit` compiles the named
  losses of :mod:`microgradnet.losses` (their own per-sample formulas);
* :mod:`~microgradnet.compile.fused` — :class:`FusedTrainer` (``step.trainer(opt)``) keeps the
  parameters and the optimizer's state in arrays for a run of minibatches and applies the
  optimizer's own update rule to them.

Targets: float targets become placeholder ``Value``\\s (one per column of ``y``). Integer class
targets (``loss_fn(out, 3)`` picks an output with a Python int) are handled by tracing the loss
once per class and letting each sample select its class's branch.

This package imports NumPy and the layers below it; it never imports ``nn`` or ``train``: a
model is anything callable with a ``parameters()`` method. Nothing imports it until it is used.
"""

from __future__ import annotations

from microgradnet.compile.arrays import NUMPY_FUNCTIONS
from microgradnet.compile.errors import CompileError
from microgradnet.compile.fused import FusedTrainer
from microgradnet.compile.step import FIT_LOSSES, CompiledStep, compile, evaluate_named, for_fit

__all__ = [
    "FIT_LOSSES",
    "NUMPY_FUNCTIONS",
    "CompileError",
    "CompiledStep",
    "FusedTrainer",
    "compile",
    "evaluate_named",
    "for_fit",
]
