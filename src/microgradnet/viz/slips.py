r"""Find the wrong gradient: a backward pass with one planted slip, as a trace every renderer reads.

:func:`plant_slip` records the backward pass of a graph, plants one slip from the catalogue
(:mod:`microgradnet.slips`) and returns a :class:`SlippedTrace`: the wrong pass as an ordinary
:class:`~microgradnet.viz.trace.Trace` (so the terminal text, the worksheets and the stepper page
draw it unchanged), the right one, the first wrong step and a sentence explaining the slip. Every
slip is checked against finite differences (:func:`~microgradnet.testing.numeric_grad`): the
right pass must agree with them and the slipped one must not, or the site is drawn again.

>>> from microgradnet.viz.slips import plant_slip
>>> s = plant_slip("(a*b + c) * f", "local_only", seed=1, values={"a": 2, "b": -3, "c": 10, "f": -2})
>>> s.first_step, s.wrong.events[s.first_step].contribution    # the local derivative alone
(5, 2.0)
>>> print(s.explanation.replace(" without", "\nwithout"))
On the edge t1 → b the local derivative a = 2 was used as the contribution
without multiplying it by the upstream gradient ∂L/∂t1, so ∂L/∂b came out as 2 instead of -4.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from microgradnet.engine import Value, apply, topological_order
from microgradnet.slips import Planted, SlipError, SlipKind, get_slip, plant
from microgradnet.testing import numeric_grad
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.strings import format_number
from microgradnet.viz.trace import Trace, trace_backward

__all__ = ["SlippedTrace", "leaf_function", "plant_slip", "slipped_trace"]


@dataclass(frozen=True)
class SlippedTrace:
    """A backward pass with one planted slip.

    Attributes:
        right: the correct trace.
        wrong: the same pass with the slip: every event's numbers and every node's gradient as
            the slipped backward computes them.
        planted: the catalogue's record (kind, site, per-edge numbers).
        first_step: the first event of ``wrong`` whose numbers differ from ``right``.
        explanation: one sentence for students, in the language asked for.
    """

    right: Trace
    wrong: Trace
    planted: Planted
    first_step: int
    explanation: str

    @property
    def kind(self) -> SlipKind:
        """The slip's catalogue entry."""
        return self.planted.kind


def slipped_trace(right: Trace, planted: Planted) -> Trace:
    """``right`` with the numbers of ``planted``: the events' local derivatives, upstream
    gradients, contributions and gradients before/after, and the nodes' final gradients."""
    events = tuple(
        dataclasses.replace(
            e,
            local=v.local,
            upstream=v.upstream,
            contribution=v.contribution,
            grad_before=v.grad_before,
            grad_after=v.grad_after,
        )
        for e, v in zip(right.events, planted.edges)
    )
    nodes = tuple(dataclasses.replace(n, grad=planted.grads[n.id]) for n in right.nodes)
    return Trace(nodes=nodes, root=right.root, seed=right.seed, events=events)


def leaf_function(root: Value) -> tuple[Callable[..., Value], list[float]]:
    """``(fn, values)``: ``fn(*leaf values)`` rebuilds the graph of ``root`` at other leaf values
    (leaves in forward order, constants included) and returns its output; ``values`` are the
    leaves' current values. The graph itself is never changed."""
    order = topological_order(root)
    leaves = [v for v in order if not v.children]

    def fn(*xs: Value) -> Value:
        new: dict[int, Value] = {}  # keyed by id() only while copying; never written out
        for leaf, x in zip(leaves, xs):
            new[id(leaf)] = x
        for v in order:
            if v.children:
                op = v._entry if v._entry is not None else v.op
                new[id(v)] = apply(op, *(new[id(c)] for c in v.children), arg=v.arg)
        return new[id(root)]

    return fn, [v.data for v in leaves]


def _agrees(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-4 * max(1.0, abs(a), abs(b))


def _leaf_grads(trace: Trace) -> list[float]:
    return [n.grad for n in trace.nodes if n.is_leaf]


def plant_slip(
    root: Value | str,
    kind: str | SlipKind,
    *,
    seed: int = 0,
    values: Mapping[str, float] | None = None,
    lang: str = "en",
    fmt: str = "{:.4g}",
) -> SlippedTrace:
    """Plant one slip of ``kind`` (a name from :data:`~microgradnet.slips.SLIPS`, or ``"random"``)
    in the backward pass of ``root`` (an output ``Value``, or a formula with ``values``).

    The site (and, for ``"random"``, the kind) is drawn with ``seed`` among the places where the
    slip changes the gradient of a leaf; finite differences confirm the right pass and refute
    the slipped one before it is returned.

    Raises:
        SlipError: the kind cannot apply to this graph (the one-line message names it and says
            why: no fan-out, no layer, ...).
        ValueError: an unknown kind; TypeError: ``root`` is neither a ``Value`` nor a ``str``.
    """
    if isinstance(root, str):
        root = parse_expression(root, dict(values or {}))
    elif not isinstance(root, Value):
        raise TypeError(f"plant_slip() takes an output Value or a formula, got {type(root).__name__}")
    if kind != "random":
        get_slip(kind)
    right = trace_backward(root)
    fn, xs = leaf_function(root)
    numeric = numeric_grad(fn, xs)
    if not all(_agrees(a, b) for a, b in zip(_leaf_grads(right), numeric) if math.isfinite(b)):
        raise SlipError("the right backward pass disagrees with finite differences here (a kink?)")
    planted = plant(right, kind, seed=seed, lang=lang)
    wrong = slipped_trace(right, planted)
    if all(_agrees(a, b) for a, b in zip(_leaf_grads(wrong), numeric)):
        raise SlipError(f"{planted.kind.name}: the slip changes no gradient that finite differences see")
    text = planted.explain(right, lang, lambda x: format_number(x, fmt))
    return SlippedTrace(right, wrong, planted, planted.first_step, text)
