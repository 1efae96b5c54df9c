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
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from microgradnet.engine import Value, apply, topological_order
from microgradnet.locales import localize
from microgradnet.slips import SLIP_STRINGS, SLIPS, Planted, Site, SlipError, SlipKind, get_slip, plant, sites
from microgradnet.testing import numeric_grad
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.strings import format_number
from microgradnet.viz.trace import Trace, TraceNode, trace_backward

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


def _leaves(trace: Trace) -> list[TraceNode]:
    return [n for n in trace.nodes if n.is_leaf]


def _leaf_grads(trace: Trace) -> list[float]:
    return [n.grad for n in _leaves(trace)]


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
    slip changes the gradient of a leaf by enough for finite differences to see: they must
    confirm the right pass and refute the slipped one, and a site they cannot tell apart is
    never drawn. The draw is deterministic (same graph, kind and seed: same site).

    Raises:
        SlipError: the kind cannot apply to this graph (the one-line message names it and says
            why: no fan-out, no layer, a change too small to check, a kink at these values ...).
        ValueError: an unknown kind; TypeError: ``root`` is neither a ``Value`` nor a ``str``.
    """
    if isinstance(root, str):
        root = parse_expression(root, dict(values or {}))
    elif not isinstance(root, Value):
        raise TypeError(f"plant_slip() takes an output Value or a formula, got {type(root).__name__}")
    strings = localize("slips", SLIP_STRINGS, lang)

    def refusal(why: str) -> SlipError:  # one line naming the kind (and its title) and saying why
        if kind == "random":
            return SlipError(f"cannot plant 'random': {why}")
        named = f"'{get_slip(kind).name}' ({get_slip(kind).text('title', lang)})"
        return SlipError(f"cannot plant {named}: {why}")

    if kind != "random":
        get_slip(kind)
    right = trace_backward(root)
    fn, xs = leaf_function(root)
    numeric = numeric_grad(fn, xs)
    if not all(_agrees(a, b) for a, b in zip(_leaf_grads(right), numeric) if math.isfinite(b)):
        raise refusal(strings["kink"])

    def seen(site: Site, slip: SlipKind) -> bool:  # finite differences refute the slipped pass
        grads = plant(right, slip, site=site, lang=lang).grads
        return not all(_agrees(grads[n.id], b) for n, b in zip(_leaves(right), numeric))

    # the same draws as plant() (kind, then site, from one Random(seed)), among the sites that
    # finite differences can tell apart from the right pass
    rng = random.Random(seed)
    if kind == "random":
        usable = {k.name: [s for s in sites(right, k) if seen(s, k)] for k in SLIPS.values()}
        usable = {k: v for k, v in usable.items() if v}
        if not usable:
            raise refusal(strings["random_none"])
        slip = get_slip(rng.choice(list(usable)))
        options = usable[slip.name]
    else:
        slip = get_slip(kind)
        found = sites(right, slip)
        if not found:
            plant(right, slip, lang=lang)  # raises the catalogue's one-line refusal naming the kind
        options = [s for s in found if seen(s, slip)]
        if not options:
            raise refusal(strings["too_small"].format(count=len(found)))
    planted = plant(right, slip, site=rng.choice(options), lang=lang)
    wrong = slipped_trace(right, planted)
    text = planted.explain(right, lang, lambda x: format_number(x, fmt))
    return SlippedTrace(right, wrong, planted, planted.first_step, text)
