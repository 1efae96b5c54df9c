r"""The catalogue of slips: the realistic mistakes made in a backward pass, described once.

Each :class:`SlipKind` is a name, a sentence for students, an applicability test and a
transformation. The same catalogue serves two kinds of exercise:

* **scalar graphs** (the stepper's find-the-wrong-edge mode, worksheets, LMS feedback): a slip is
  a transformation of the edge events of a recorded backward pass (a
  :class:`~microgradnet.viz.trace.Trace`, or anything shaped like one, see :class:`PassLike`).
  :func:`sites` is the applicability test (where in this graph the slip can happen),
  :func:`plant` replays the pass with the slip at one site and returns every edge's wrong
  numbers, and :func:`wrong_answers` lists the gradients a student who made the slip would give;
* **NumPy layers** (:func:`~microgradnet.testing.check_layer`'s diagnoses):
  :meth:`SlipKind.layer_variants` turns a layer's right gradients into the gradients a student's
  layer with that slip would return (a transposed ``dW``, a ``db`` not summed or averaged over
  the batch, a softmax backward without its sum term, ...), and ``kind.text("check")`` is the
  sentence that names it, so a student's wrong answer can be named.

>>> from microgradnet import Value
>>> from microgradnet.viz import trace_backward
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a; L.label = "L"              # a feeds two nodes: a fan-out
>>> trace = trace_backward(L)
>>> [s.node for s in sites(trace, "fanout")] == [trace.by_name("a").id]
True
>>> slipped = plant(trace, "fanout")
>>> slipped.grads[trace.by_name("a").id], trace.by_name("a").grad    # = instead of +=
(-3.0, -2.0)
>>> print(slipped.explain(trace).replace(": ", ":\n"))
a feeds 2 nodes, but its gradient was overwritten (=) instead of added up (+=):
only the last contribution counts, so ∂L/∂a came out as -3 instead of -2.

This module sits at layer 2 (beside ``testing``, below ``viz``): it imports only the engine's op
table and the translations, and reads passes through the small protocols below.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from microgradnet.locales import localize
from microgradnet.ops import OPS

__all__ = [
    "SLIPS",
    "SLIP_STRINGS",
    "EdgeValues",
    "EventLike",
    "LayerCase",
    "LayerVariant",
    "NodeLike",
    "PassLike",
    "Planted",
    "Site",
    "SlipError",
    "SlipKind",
    "feedback",
    "get_slip",
    "plant",
    "sites",
    "wrong_answers",
]


class SlipError(ValueError):
    """A slip that cannot be planted in this graph; the message names the kind and says why."""


# --------------------------------------------------------------------------------------------
# What a recorded backward pass must offer (viz.trace.Trace does, structurally)
# --------------------------------------------------------------------------------------------


class NodeLike(Protocol):
    """One node of a recorded pass (:class:`~microgradnet.viz.trace.TraceNode` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def data(self) -> float: ...
    @property
    def grad(self) -> float: ...
    @property
    def op(self) -> str: ...
    @property
    def arg(self) -> float | None: ...
    @property
    def children(self) -> tuple[str, ...]: ...
    @property
    def consumers(self) -> int: ...


class EventLike(Protocol):
    """One edge event (:class:`~microgradnet.viz.trace.EdgeEvent` is one)."""

    @property
    def step(self) -> int: ...
    @property
    def node(self) -> str: ...
    @property
    def operand(self) -> str: ...
    @property
    def operand_index(self) -> int: ...
    @property
    def op(self) -> str: ...
    @property
    def formula(self) -> str: ...
    @property
    def formula_named(self) -> str: ...
    @property
    def local(self) -> float: ...
    @property
    def upstream(self) -> float: ...
    @property
    def contribution(self) -> float: ...
    @property
    def grad_before(self) -> float: ...
    @property
    def grad_after(self) -> float: ...


class PassLike(Protocol):
    """A recorded backward pass (:class:`~microgradnet.viz.trace.Trace` is one)."""

    @property
    def nodes(self) -> Sequence[NodeLike]: ...
    @property
    def root(self) -> str: ...
    @property
    def seed(self) -> float: ...
    @property
    def events(self) -> Sequence[EventLike]: ...
    def node(self, node_id: str) -> NodeLike: ...


# --------------------------------------------------------------------------------------------
# Sites, planted passes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """Where a slip is made: the node whose gradient goes wrong and the edge events it changes.

    Attributes:
        node: the id of the node whose gradient the slip gets wrong.
        steps: the indices of the events (into ``pass.events``) the slip changes.
        note: a name the explanation uses (the layer, for a layer slip), or ``""``.
        targets: ``(node id, value)`` pairs a slip writes as gradients (the layer slip's
            transposed values); empty for the other kinds.
    """

    node: str
    steps: tuple[int, ...]
    note: str = ""
    targets: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class EdgeValues:
    """The numbers of one edge event in a replayed pass (what the student's backward computed)."""

    local: float
    upstream: float
    contribution: float
    grad_before: float
    grad_after: float


#: ``edit(pass, site, event, local, upstream, before) -> (local, contribution, after)``
Edit = Callable[[PassLike, Site, EventLike, float, float, float], "tuple[float, float, float]"]


@dataclass(frozen=True)
class LayerCase:
    """One call of a layer's backward, as ``testing.check_layer`` sees it.

    The arrays are NumPy arrays (or anything with ``.T``, ``@``, ``.sum(axis=)``, ``*`` and
    comparison), one row per sample, in the lesson's conventions: ``Linear`` keeps ``W`` as
    ``nout × nin`` and returns ``dx = dy @ W``, ``dW = dy.T @ x``, ``db = dy.sum(axis=0)``.

    Attributes:
        layer: the lesson's class name: ``"Linear"``, ``"Softmax"``, ``"Tanh"``, ``"Sigmoid"``,
            ``"ReLU"``, or ``""`` for a layer that is none of them (only the kinds that apply to any
            layer, such as a sign or a transposed gradient, have variants then).
        x: the forward input.
        y: the forward output.
        dy: the upstream gradient ``∂L/∂y``.
        grads: the right gradients: ``"x"``, and one per parameter (``"W"`` and ``"b"`` for
            ``Linear``).
        params: the parameters (``"W"``, ``"b"`` for ``Linear``).
    """

    layer: str
    x: Any
    y: Any
    dy: Any
    grads: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerVariant:
    """The gradients a NumPy layer with one slip returns, in one of the slip's forms.

    Attributes:
        grads: the wrong gradients, keyed like :attr:`LayerCase.grads` (only those the slip
            changes).
        name: which form of the slip (``"transposed"``, ``"not_summed"``) where a kind has several
            that a student should hear apart, else ``""``; the sentence that names it is
            ``kind.text("check." + name)`` (``kind.text("check")`` for ``""``).
    """

    grads: Mapping[str, Any]
    name: str = ""

    @property
    def part(self) -> str:
        """The text part of the sentence that names this form: ``"check"`` or ``"check.<name>"``."""
        return f"check.{self.name}" if self.name else "check"


@dataclass(frozen=True)
class SlipKind:
    """One kind of slip.

    Attributes:
        name: the key in :data:`SLIPS` (``"fanout"``).
        find: the applicability test: the sites of a pass where the slip can happen (empty when
            it cannot apply to the graph at all).
        edit: the transformation of one event at a site:
            ``(pass, site, event, local, upstream, before) -> (local, contribution, after)``.
        layer: the layer-level transformation: the wrong gradients of a :class:`LayerCase`, one
            :class:`LayerVariant` per form, or ``None`` where the kind has no layer form.

    Its texts (``title``, ``description``, ``feedback``, ``refusal``, and ``check``, the sentence
    :func:`~microgradnet.testing.check_layer` prints, in any language) come from :meth:`text`.
    """

    name: str
    find: Callable[[PassLike], list[Site]]
    edit: Edit
    layer: Callable[[LayerCase], list[LayerVariant]] | None = None

    def text(self, part: str, lang: str = "en") -> str:
        """The kind's ``"title"``, ``"description"`` (a template), ``"feedback"``, ``"refusal"``,
        or ``"check"`` / ``"check.<form>"`` (the sentence naming a layer variant, with ``{grad}``).

        Raises:
            ValueError: an unknown part.
        """
        key = f"{self.name}.{part}"
        if part not in _PARTS and not (part.startswith("check.") and key in SLIP_STRINGS):
            raise ValueError(f"part must be one of {', '.join(_PARTS)} (or check.<form>), got {part!r}")
        return localize("slips", SLIP_STRINGS, lang)[key]

    @property
    def title(self) -> str:
        """The short English title (``"fan-out not accumulated (= instead of +=)"``)."""
        return self.text("title")

    def layer_variants(self, case: LayerCase) -> list[LayerVariant]:
        """The gradients a layer with this slip would return (one :class:`LayerVariant` per form),
        or ``[]`` where the slip has no form for this layer.

        Raises:
            TypeError: ``case`` is not a :class:`LayerCase`.
        """
        if not isinstance(case, LayerCase):
            raise TypeError(f"layer_variants() takes a LayerCase, got {type(case).__name__}")
        return [] if self.layer is None else self.layer(case)


_PARTS = ("title", "description", "feedback", "refusal", "check")


@dataclass(frozen=True)
class Planted:
    """A backward pass replayed with one slip.

    Attributes:
        kind: the slip.
        site: where it was made.
        edges: one :class:`EdgeValues` per event of the pass, in order.
        grads: ``{node id: gradient}`` as the slipped pass computes it.
        first_step: the index of the first event whose numbers differ from the right pass (the
            line a student should mark).
    """

    kind: SlipKind
    site: Site
    edges: tuple[EdgeValues, ...]
    grads: dict[str, float]
    first_step: int

    def explain(self, trace: PassLike, lang: str = "en", fmt: Callable[[float], str] | None = None) -> str:
        """One sentence for students: what went wrong, where, and the wrong and right numbers."""
        f = fmt or _number
        event = trace.events[self.first_step]
        site_node = trace.node(self.site.node)
        wrong_edge = self.edges[self.first_step]
        operand = trace.node(event.operand)
        fields = {
            "root": trace.node(trace.root).name,
            "operand": site_node.name,
            "node": trace.node(event.node).name,
            "edge_operand": operand.name,
            "count": str(site_node.consumers),
            "right": f(site_node.grad),
            "wrong": f(self.grads[site_node.id]),
            "formula": event.formula_named,
            "local_text": _local_text(event.formula_named, f(event.local)),
            "right_local": f(event.local),
            "wrong_local": f(wrong_edge.local),
            "input": f(operand.data),
            "layer": self.site.note,
        }
        return self.kind.text("description", lang).format(**fields)


def _local_text(formula: str, value: str) -> str:
    return value if formula == value else f"{formula} = {value}"


def _number(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x + 0.0:.4g}"


# --------------------------------------------------------------------------------------------
# Replaying a pass with a slip
# --------------------------------------------------------------------------------------------


def _same(x: float, y: float) -> bool:
    return x == y or (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y))


def _replay(trace: PassLike, kind: SlipKind, site: Site) -> Planted:
    grads = {n.id: 0.0 for n in trace.nodes}
    grads[trace.root] = trace.seed
    changed = set(site.steps)
    edges: list[EdgeValues] = []
    first = -1
    for k, e in enumerate(trace.events):
        upstream = grads[e.node]
        before = grads[e.operand]
        if k in changed:
            local, contribution, after = kind.edit(trace, site, e, e.local, upstream, before)
        else:
            local, contribution, after = e.local, e.local * upstream, before + e.local * upstream
        grads[e.operand] = after
        values = EdgeValues(local, upstream, contribution, before, after)
        edges.append(values)
        if first < 0 and not all(
            _same(a, b)
            for a, b in (
                (local, e.local),
                (upstream, e.upstream),
                (contribution, e.contribution),
                (after, e.grad_after),
            )
        ):
            first = k
    return Planted(kind, site, tuple(edges), grads, first)


def _changes_a_leaf(trace: PassLike, planted: Planted) -> bool:
    return planted.first_step >= 0 and any(
        not n.op and not _same(planted.grads[n.id], n.grad) for n in trace.nodes
    )


def get_slip(kind: str | SlipKind) -> SlipKind:
    """The catalogue entry ``kind`` (a name or an entry); ``ValueError`` listing the names otherwise."""
    if isinstance(kind, SlipKind):
        return kind
    if not isinstance(kind, str):
        raise TypeError(f"a slip kind is a name such as 'fanout', got {type(kind).__name__}")
    try:
        return SLIPS[kind]
    except KeyError:
        raise ValueError(f"no slip kind {kind!r}; the kinds are {', '.join(SLIPS)} (or 'random')") from None


def sites(trace: PassLike, kind: str | SlipKind) -> list[Site]:
    """Every place in ``trace`` where ``kind`` can be made *and* changes a leaf's gradient.

    The applicability test: an empty list means the slip cannot be planted in this graph at
    these values.
    """
    slip = get_slip(kind)
    return [s for s in slip.find(trace) if _changes_a_leaf(trace, _replay(trace, slip, s))]


def plant(
    trace: PassLike,
    kind: str | SlipKind,
    *,
    seed: int = 0,
    site: Site | None = None,
    lang: str = "en",
) -> Planted:
    """Replay ``trace`` with one slip of ``kind`` (a name from :data:`SLIPS`, or ``"random"``).

    The site is drawn with ``seed`` among the sites where the slip changes the gradient of at
    least one leaf (a site where it would change nothing is never drawn); ``site=`` fixes it.
    ``"random"`` draws the kind too, among those that apply.

    Raises:
        SlipError: the kind cannot apply to this graph (the one-line message names the kind and
            says why, e.g. no node feeds two others), or ``site`` changes no gradient.
        ValueError: an unknown kind.
    """
    rng = random.Random(seed)
    if kind == "random":
        usable = [k for k in SLIPS.values() if sites(trace, k)]
        if not usable:
            raise SlipError("no slip of the catalogue changes a gradient of this graph at these values")
        slip = rng.choice(usable)
    else:
        slip = get_slip(kind)
    if site is not None:
        planted = _replay(trace, slip, site)
        if not _changes_a_leaf(trace, planted):
            raise SlipError(f"{slip.name}: at node {site.node} this slip changes no gradient")
        return planted
    options = sites(trace, slip)
    if not options:
        found = slip.find(trace)
        why = (
            slip.text("refusal", lang)
            if not found
            else localize("slips", SLIP_STRINGS, lang)["no_change"].format(count=len(found))
        )
        raise SlipError(f"cannot plant '{slip.name}' ({slip.text('title', lang)}): {why}")
    return _replay(trace, slip, rng.choice(options))


def wrong_answers(trace: PassLike, kind: str | SlipKind, node_id: str) -> list[tuple[float, Site]]:
    """The values of ``∂root/∂node`` a student who made this slip (anywhere) would give.

    One ``(value, site)`` per site whose slip changes that gradient, values distinct; a sign
    slip also gives the right answer negated (a dropped minus sign anywhere on one path).
    """
    slip = get_slip(kind)
    right = trace.node(node_id).grad
    out: list[tuple[float, Site]] = []
    for s in slip.find(trace):
        value = _replay(trace, slip, s).grads[node_id]
        if math.isfinite(value) and not _same(value, right) and all(not _same(value, v) for v, _ in out):
            out.append((value, s))
    if slip.name == "sign" and right != 0 and all(not _same(-right, v) for v, _ in out):
        out.append((-right, Site(node_id, ())))
    return out


def feedback(trace: PassLike, kind: str | SlipKind, site: Site, lang: str = "en") -> str:
    """The kind's feedback sentence for a student whose answer matches a slip made at ``site``."""
    slip = get_slip(kind)
    node = trace.node(site.node)
    event = trace.events[site.steps[0]] if site.steps else None
    fields = {
        "root": trace.node(trace.root).name,
        "operand": node.name,
        "count": str(node.consumers),
        "node": trace.node(event.node).name if event else node.name,
        "edge_operand": trace.node(event.operand).name if event else node.name,
        "formula": event.formula_named if event else "",
        "layer": site.note,
    }
    return slip.text("feedback", lang).format(**fields)


# --------------------------------------------------------------------------------------------
# The kinds
# --------------------------------------------------------------------------------------------


def _ledger(trace: PassLike, node_id: str) -> tuple[int, ...]:
    return tuple(k for k, e in enumerate(trace.events) if e.operand == node_id)


def _free_names(formula: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", formula))


# fan-out: `=` instead of `+=`


def _fanout_find(trace: PassLike) -> list[Site]:
    return [Site(n.id, _ledger(trace, n.id)) for n in trace.nodes if n.consumers >= 2]


def _fanout_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    contribution = local * upstream
    return local, contribution, contribution


def _fanout_layer(case: LayerCase) -> list[LayerVariant]:
    # the parameters feed every sample: with = instead of +=, one sample's contribution is left
    # (the last one, or the first when the loop runs backwards or stops after one row)
    if case.layer != "Linear" or len(case.x) < 2:
        return []
    last = len(case.x) - 1
    return [LayerVariant({"W": case.dy[k : k + 1].T @ case.x[k : k + 1], "b": case.dy[k]}) for k in (last, 0)]


# contributions averaged instead of added up: the gradient of a shared node divided among its uses


def _averaged_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    j = site.steps.index(e.step)  # e is the (j+1)-th use
    after = before + (local * upstream - before) / (j + 1)  # the running mean of the contributions
    return local, after - before, after


def _averaged_layer(case: LayerCase) -> list[LayerVariant]:
    n = len(case.x)
    shared = {key: g / n for key, g in case.grads.items() if key != "x"}
    return [LayerVariant(shared)] if n >= 2 and shared else []


# local derivative only: the upstream gradient forgotten


def _local_find(trace: PassLike) -> list[Site]:
    out = []
    for n in trace.nodes:
        steps = _ledger(trace, n.id)
        if any(not _same(trace.events[k].upstream, 1.0) for k in steps):
            out.append(Site(n.id, steps))
    return out


def _local_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    return local, local, before + local


def _local_layer(case: LayerCase) -> list[LayerVariant]:
    if case.layer == "Tanh":
        return [LayerVariant({"x": 1 - case.y * case.y})]
    if case.layer == "Sigmoid":
        return [LayerVariant({"x": case.y * (1 - case.y)})]
    if case.layer == "ReLU":
        return [LayerVariant({"x": (case.x > 0) * 1.0})]
    if case.layer == "Linear":  # the backward of x @ W.T + b with dy replaced by ones
        ones = case.dy * 0 + 1
        return [LayerVariant({"x": ones @ case.params["W"], "W": ones.T @ case.x, "b": ones.sum(axis=0)})]
    return []


# f'(x) instead of f'(g(x)): a derivative written with the output, evaluated at the input


def _uses_output(op_name: str, index: int) -> bool:
    op = OPS.get(op_name)
    return op is not None and op.arity == 1 and "out" in _free_names(op.grads[index])


def _outer_find(trace: PassLike) -> list[Site]:
    return [Site(e.operand, (k,)) for k, e in enumerate(trace.events) if _uses_output(e.op, e.operand_index)]


def _outer_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    x = trace.node(e.operand).data
    wrong = float(OPS[e.op].local_grads([x], x, trace.node(e.node).arg)[0])
    return wrong, wrong * upstream, before + wrong * upstream


def _outer_layer(case: LayerCase) -> list[LayerVariant]:
    if case.layer == "Tanh":
        return [LayerVariant({"x": (1 - case.x * case.x) * case.dy})]
    if case.layer == "Sigmoid":
        return [LayerVariant({"x": case.x * (1 - case.x) * case.dy})]
    return []


# a dropped minus sign (sub's ∂/∂b = -1, neg, div's ∂/∂b, cos)


def _sign_find(trace: PassLike) -> list[Site]:
    return [Site(e.operand, (k,)) for k, e in enumerate(trace.events) if e.formula.lstrip().startswith("-")]


def _sign_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    return -local, -local * upstream, before - local * upstream


def _sign_layer(case: LayerCase) -> list[LayerVariant]:
    return [LayerVariant({key: -g for key, g in case.grads.items()})]


# ReLU / abs: the derivative taken on the wrong side of 0


def _piecewise(op_name: str, index: int) -> bool:
    op = OPS.get(op_name)
    return op is not None and op.arity == 1 and bool(_free_names(op.grads[index]) & {"step", "sign"})


def _side_find(trace: PassLike) -> list[Site]:
    return [Site(e.operand, (k,)) for k, e in enumerate(trace.events) if _piecewise(e.op, e.operand_index)]


def _side_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    op = OPS[e.op]
    arg = trace.node(e.node).arg
    x = -trace.node(e.operand).data
    wrong = float(op.local_grads([x], op.float_forward([x], 0.0, arg), arg)[0])
    return wrong, wrong * upstream, before + wrong * upstream


def _side_layer(case: LayerCase) -> list[LayerVariant]:
    if case.layer == "ReLU":
        return [LayerVariant({"x": case.dy * (case.x < 0)})]
    return []


# a transposed / summed-wrong layer gradient

# microgradnet.nn names a layer's weights "<layer>.weight[row][column]" (named_parameters)
_WEIGHT = re.compile(r"(?P<layer>.+)\.(?:weight|w)\[(?P<row>\d+)\]\[(?P<col>\d+)\]")


def _layer_find(trace: PassLike) -> list[Site]:
    matrices: dict[str, dict[tuple[int, int], NodeLike]] = {}
    for n in trace.nodes:
        m = _WEIGHT.fullmatch(n.label) if not n.op else None
        if m:
            matrices.setdefault(m["layer"], {})[(int(m["row"]), int(m["col"]))] = n
    out = []
    for layer, cells in matrices.items():
        rows = 1 + max(r for r, _ in cells)
        cols = 1 + max(c for _, c in cells)
        if rows < 2 or len(cells) != rows * cols:
            continue
        if rows == cols:  # transposed: dW[i][j] takes dW[j][i]
            targets = tuple((cells[(r, c)].id, cells[(c, r)].grad) for (r, c) in sorted(cells))
        else:  # summed over the wrong axis: every row gets the column's sum
            sums = {c: sum(cells[(r, c)].grad for r in range(rows)) for c in range(cols)}
            targets = tuple((cells[(r, c)].id, sums[c]) for (r, c) in sorted(cells))
        ids = {node_id for node_id, _ in targets}
        steps = tuple(k for k, e in enumerate(trace.events) if e.operand in ids)
        first = next((node_id for node_id, v in targets if not _same(v, trace.node(node_id).grad)), None)
        out.append(Site(first or targets[0][0], steps, note=f"{layer}.weight", targets=targets))
    return out


def _layer_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    target = dict(site.targets)[e.operand]
    last = max(k for k in site.steps if trace.events[k].operand == e.operand)
    if trace.events[last] is not e:  # only the last contribution settles the wrong value
        return local, local * upstream, before + local * upstream
    return local, target - before, target


def _layer_layer(case: LayerCase) -> list[LayerVariant]:
    out = [LayerVariant({key: g.T for key, g in case.grads.items() if g.ndim == 2}, "transposed")]
    if case.layer == "Linear" and len(case.x) >= 2:
        out.append(LayerVariant({"b": case.dy}, "not_summed"))  # one row per sample
        out.append(LayerVariant({"b": case.dy.sum(axis=1)}, "wrong_axis"))  # one number per sample
    return out


# softmax backward without its sum term: the shared normaliser's edges left out


def _softmax_find(trace: PassLike) -> list[Site]:
    out = []
    for n in trace.nodes:
        if n.op not in ("add", "sum"):
            continue
        steps = tuple(
            k
            for k, e in enumerate(trace.events)
            if e.operand == n.id and e.op == "div" and e.operand_index == 1
        )
        if steps:
            out.append(Site(n.id, steps))
    return out


def _softmax_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    return 0.0, 0.0, before


def _softmax_layer(case: LayerCase) -> list[LayerVariant]:
    if case.layer != "Softmax":
        return []
    return [LayerVariant({"x": case.y * case.dy})]


# a factor dropped or left over: the power rule's n (d(x²)/dx taken as x), a 2, a batch size


def _power(trace: PassLike, e: EventLike) -> float | None:
    """The exponent whose factor the power rule brings down on this edge, if it is one."""
    if e.op == "pown":
        return trace.node(e.node).arg
    if e.op == "pow" and e.operand_index == 0:
        return trace.node(trace.node(e.node).children[1]).data
    return None


def _scaled_find(trace: PassLike) -> list[Site]:
    return [
        Site(e.operand, (k,)) for k, e in enumerate(trace.events) if _power(trace, e) not in (None, 0.0, 1.0)
    ]


def _scaled_edit(
    trace: PassLike, site: Site, e: EventLike, local: float, upstream: float, before: float
) -> tuple[float, float, float]:
    n = _power(trace, e) or 1.0
    wrong = local / n  # n·xⁿ⁻¹ written as xⁿ⁻¹
    return wrong, wrong * upstream, before + wrong * upstream


def _scaled_layer(case: LayerCase) -> list[LayerVariant]:
    n = len(case.x)
    factors = (2.0, 0.5) + ((float(n), 1.0 / n) if n > 2 else ())
    return [LayerVariant({key: c * g for key, g in case.grads.items()}) for c in factors]


#: The catalogue, in teaching order.
SLIPS: dict[str, SlipKind] = {
    k.name: k
    for k in (
        SlipKind("fanout", _fanout_find, _fanout_edit, _fanout_layer),
        SlipKind("averaged", _fanout_find, _averaged_edit, _averaged_layer),
        SlipKind("local_only", _local_find, _local_edit, _local_layer),
        SlipKind("outer_at_input", _outer_find, _outer_edit, _outer_layer),
        SlipKind("sign", _sign_find, _sign_edit, _sign_layer),
        SlipKind("relu_side", _side_find, _side_edit, _side_layer),
        SlipKind("layer", _layer_find, _layer_edit, _layer_layer),
        SlipKind("softmax_sum", _softmax_find, _softmax_edit, _softmax_layer),
        SlipKind("scaled", _scaled_find, _scaled_edit, _scaled_layer),
    )
}

#: Every English sentence of the catalogue; translations live in :mod:`microgradnet.locales`.
#: Description fields: ``{root}``, ``{operand}`` (the node whose gradient goes wrong), ``{node}``
#: and ``{edge_operand}`` (the first wrong edge), ``{count}``, ``{right}``/``{wrong}`` (the
#: gradient), ``{formula}``, ``{right_local}``/``{wrong_local}``, ``{input}``, ``{layer}``.
#: Check fields (the sentence naming a NumPy layer's wrong gradient): ``{grad}`` (``dW``),
#: ``{factor}`` (the student's gradient over the right one), ``{n}`` (the batch size).
SLIP_STRINGS: dict[str, str] = {
    "fanout.title": "fan-out not accumulated (= instead of +=)",
    "fanout.description": "{operand} feeds {count} nodes, but its gradient was overwritten (=) instead of "
    "added up (+=): only the last contribution counts, so ∂{root}/∂{operand} came out as {wrong} "
    "instead of {right}.",
    "fanout.feedback": "This is what you get when {operand}'s gradient is overwritten instead of added up: "
    "{operand} feeds {count} nodes, and every contribution counts (+=, not =).",
    "fanout.refusal": "no node of this graph feeds two others (no fan-out)",
    "fanout.check": "{grad} holds one sample's contribution only: every sample of the batch uses the same "
    "parameters, so add up all their contributions (+=, not =; for db, dz.sum(axis=0)).",
    "averaged.title": "contributions averaged instead of added up",
    "averaged.description": "{operand} feeds {count} nodes, and its gradient was averaged over them instead "
    "of added up: every contribution counts in full, so ∂{root}/∂{operand} came out as {wrong} instead of "
    "{right}.",
    "averaged.feedback": "This is the average of {operand}'s contributions: {operand} feeds {count} nodes, "
    "and the chain rule adds their contributions up (+=); it does not divide by {count}.",
    "averaged.refusal": "no node of this graph feeds two others (no fan-out)",
    "averaged.check": "{grad} was averaged over the batch instead of summed: the loss already takes the "
    "mean, so the layer must add the samples' contributions, not divide by the batch size ({n}) again.",
    "local_only.title": "local derivative only (the upstream gradient forgotten)",
    "local_only.description": "On the edge {node} → {edge_operand} the local derivative {local_text} "
    "was used as the contribution without multiplying it by the upstream gradient "
    "∂{root}/∂{node}, so ∂{root}/∂{operand} came out as {wrong} instead of {right}.",
    "local_only.feedback": "This is the local derivative alone: multiply it by the upstream gradient "
    "∂{root}/∂{node} (the chain rule).",
    "local_only.refusal": "every upstream gradient is 1, so forgetting it changes nothing",
    "local_only.check": "{grad} is the local derivative alone: the chain rule multiplies it by the upstream "
    "gradient (the argument of backward).",
    "outer_at_input.title": "f′(x) instead of f′(g(x)): the derivative taken at the input",
    "outer_at_input.description": "The derivative of {node} is written with its output ({formula}), but "
    "it was evaluated at the input {edge_operand} = {input}: {wrong_local} instead of {right_local}, so "
    "∂{root}/∂{operand} came out as {wrong} instead of {right}.",
    "outer_at_input.feedback": "This is the derivative of {node} evaluated at its input instead of at its "
    "output: {formula} uses {node}, not {edge_operand}.",
    "outer_at_input.refusal": "no op whose derivative is written with its output (tanh, sigmoid, exp, sqrt)",
    "outer_at_input.check": "{grad} evaluates the derivative at the input x, but it is written with the "
    "output y = f(x): d tanh(x)/dx = 1 − y², dσ(x)/dx = y·(1 − y), not 1 − x² or x·(1 − x).",
    "sign.title": "sign error (as in sub: ∂(a − b)/∂b = −1 taken as +1)",
    "sign.description": "The local derivative ∂{node}/∂{edge_operand} = {local_text} lost its "
    "minus sign ({wrong_local}), so ∂{root}/∂{operand} came out as {wrong} instead of {right}.",
    "sign.feedback": "Check the sign: a minus sign was lost on the way (as in sub, where ∂(a − b)/∂b = −1).",
    "sign.refusal": "no local derivative with a minus sign (no sub, neg, div or cos)",
    "sign.check": "{grad} has the wrong sign: every entry is minus the right one. Check the signs in the "
    "chain rule (and that the update subtracts lr·gradient, not the backward pass).",
    "relu_side.title": "ReLU/abs derivative on the wrong side",
    "relu_side.description": "{node} is piecewise: its derivative {formula} depends on which side of 0 "
    "{edge_operand} = {input} lies, and it was taken on the wrong side ({wrong_local} instead of "
    "{right_local}), so ∂{root}/∂{operand} came out as {wrong} instead of {right}.",
    "relu_side.feedback": "Look at which side of 0 the input is: ReLU passes the gradient only where its "
    "input is positive, and abs has derivative −1 left of 0.",
    "relu_side.refusal": "no relu or abs in this graph",
    "relu_side.check": "{grad} lets the gradient through on the wrong side of 0: ReLU passes dy where its "
    "input is positive and stops it elsewhere (dx = dy·(x > 0)).",
    "layer.title": "a transposed / summed-wrong layer gradient",
    "layer.description": "The gradient of the weight matrix {layer} was transposed or summed over the wrong "
    "axis: ∂{root}/∂{operand} came out as {wrong} instead of {right}.",
    "layer.feedback": "The weight gradient has the shape of the weights: row = output, column = input "
    "(dW = dyᵀ·x, db = the sum of dy over the batch).",
    "layer.refusal": "no layer (no weight matrix with two or more rows, named like 0.weight[i][j])",
    "layer.check": "{grad} has the right numbers in the wrong arrangement: transposed, or not summed over "
    "the batch (axis 0).",
    "layer.check.transposed": "{grad} is the transpose of the right answer: swap the two factors of the "
    "product (dW = dz.T @ x has one row per output and one column per input, the shape of W).",
    "layer.check.not_summed": "{grad} was not summed over the batch: it has one row per sample. A parameter "
    "is shared by every sample, so its gradient adds up all their contributions (sum over axis 0).",
    "layer.check.wrong_axis": "{grad} was summed over the wrong axis: it has one number per sample instead "
    "of one per output. Sum over the samples (axis 0), not over the outputs (axis 1).",
    "softmax_sum.title": "softmax backward without its sum term",
    "softmax_sum.description": "The gradient through the shared normaliser {operand} (the sum in softmax) "
    "was left out, so ∂{root}/∂{operand} came out as {wrong} instead of {right}.",
    "softmax_sum.feedback": "Every probability depends on every score through the sum: the softmax "
    "gradient is p·(dp − Σ p·dp), not p·dp.",
    "softmax_sum.refusal": "no softmax (no division by a sum)",
    "softmax_sum.check": "{grad} is p·dp without the term − p·Σ(p·dp): each softmax output depends on every "
    "input of its row, so subtract p times the row sum of p·dp (dz = p·dp − p·Σ_j p_j·dp_j).",
    "scaled.title": "a factor dropped or left over (the power rule's n: d(x²)/dx taken as x)",
    "scaled.description": "The power rule brings the exponent down: ∂{node}/∂{edge_operand} = {local_text}, "
    "but that factor was dropped ({wrong_local}), so ∂{root}/∂{operand} came out as {wrong} instead of "
    "{right}.",
    "scaled.feedback": "Check the factor in front: on the edge {node} → {edge_operand} the power rule brings "
    "the exponent down (d(x²)/dx = 2x, not x).",
    "scaled.refusal": "no power in this graph (no x ** n)",
    "scaled.check": "{grad} has the right pattern but the wrong size: every entry is {factor} times the "
    "right one (a factor left over or missing, e.g. a 2 from a square or the batch size {n}).",
    "no_change": "at these values none of its {count} possible places changes a gradient",
    "too_small": "at these values none of its {count} possible places changes a gradient by enough for "
    "finite differences to see",
    "kink": "at these values the right backward pass disagrees with finite differences (a kink, e.g. relu "
    "at 0?), so no slip could be checked; change the values",
    "random_none": "no slip of the catalogue changes a gradient of this graph by enough for finite "
    "differences to see at these values",
}
