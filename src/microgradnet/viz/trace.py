"""The backprop trace: one ordered, versioned, JSON-able record of one backward pass.

:func:`trace_backward` runs the engine's own backward walk (the loop :meth:`Value.backward`
runs, in the same order, with the same floating-point operations) into a dictionary of its own,
and records one :class:`EdgeEvent` per edge of the graph: which node sends how much gradient to
which operand, with the local derivative as a formula (from the op table) and as a number. Every
picture (DOT, frames, the stepper page, the terminal text) is a function of a :class:`Trace`, so
tests check the trace and the renderers stay thin.

Ids are positions in the forward evaluation order (``"n0"``, ``"n1"``, ...), never ``id()``, so
the same program gives the same trace, byte for byte.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from microgradnet.engine import Value, _backward_into, _Edge, topological_order
from microgradnet.nn import parse_parameter_name
from microgradnet.ops import OPS
from microgradnet.viz.strings import format_number, strings

__all__ = [
    "ROLES",
    "SCHEMA_VERSION",
    "EdgeEvent",
    "Trace",
    "TraceNode",
    "is_parameter_label",
    "narration",
    "trace_backward",
]

#: The version written by :meth:`Trace.to_json`; bumped when the schema changes. Version 2 added
#: ``TraceNode.grad_start`` and walks the events in ``backward()``'s order; version 1 traces
#: still load (their leaves started from 0).
SCHEMA_VERSION = 2
_READABLE_VERSIONS = (1, 2)

#: The roles a node can play, in drawing-legend order.
ROLES = ("input", "parameter", "intermediate", "output")


def is_parameter_label(label: str) -> bool:
    """True when a leaf labelled ``label`` counts as a parameter without ``parameters=``.

    The rule: a parameter name, as ``Module.named_parameters()`` writes them and
    :func:`microgradnet.nn.parse_parameter_name` reads them (a dotted name such as
    ``"layers.0.neurons.1.w[0]"`` or ``"0.weight[2][1]"``). Anything else (``"a"``, ``"w1"``,
    ``"x"``) is an input; pass ``parameters=`` to :func:`trace_backward` to say otherwise.
    """
    return parse_parameter_name(label) is not None


@dataclass(frozen=True)
class TraceNode:
    """One node of the traced graph.

    Attributes:
        id: ``"n<k>"``, ``k`` its position in the forward evaluation order.
        label: the ``Value``'s label, or ``""``.
        name: the display name: the label, or a generated ``"t<k>"`` (op nodes) or ``"c<k>"``
            (unlabelled leaves, usually constants), numbered from 1 in forward order and never
            equal to a label in the graph. Names are all different: a label used again (or the
            output's label on another node) gets ``_2``, ``_3``, ...
        data: the forward value.
        grad: the node's gradient after this pass: ``∂root/∂node`` for an interior node; for a
            leaf, ``grad_start`` plus ``∂root/∂node`` (leaves accumulate, as in ``backward()``).
        op: the op name (``"mul"``), ``""`` for a leaf.
        symbol: the op symbol (``"*"``), ``""`` for a leaf.
        arg: the op's constant argument (the ``n`` of ``x ** n``), or ``None``.
        children: operand ids in order; repeats kept (``a*a`` lists ``a`` twice).
        role: ``"input"``, ``"parameter"``, ``"intermediate"`` or ``"output"``.
        consumers: how many edge events send gradient into this node.
        grad_start: the gradient the pass starts from: the ``.grad`` a leaf held when it was
            traced (0 after ``zero_grad()``; not 0 after an earlier ``backward()``), 0 for an
            interior node (``backward()`` recomputes those).
    """

    id: str
    label: str
    name: str
    data: float
    grad: float
    op: str
    symbol: str
    arg: float | None
    children: tuple[str, ...]
    role: str
    consumers: int
    grad_start: float = 0.0

    @property
    def is_leaf(self) -> bool:
        """True for a leaf (no op)."""
        return not self.op

    @property
    def is_constant(self) -> bool:
        """True for a leaf that is a number of the formula rather than a variable: unlabelled, or
        labelled with its own value written as a number (the ``2`` of ``2*a`` as
        :func:`~microgradnet.viz.expr.parse_expression` labels it). Nobody asks for its gradient."""
        if not self.is_leaf:
            return False
        if not self.label:
            return True
        try:
            return float(self.label) == self.data
        except ValueError:
            return False


@dataclass(frozen=True)
class EdgeEvent:
    """One edge of the backward pass: ``grad[operand] += local × upstream``.

    Attributes:
        step: the index of this event in :attr:`Trace.events`.
        node: the id of the node sending gradient (the consumer of ``operand``).
        operand: the id of the node receiving gradient.
        operand_index: the position of ``operand`` among the node's children.
        op: the node's op name.
        param: the op-table parameter name of this operand (``"a"``, ``"w[2]"``).
        formula: the local derivative ``∂node/∂operand`` as the op table writes it (``"b"``).
        formula_named: the same formula written with the graph's display names (``"f"``).
        local: the local derivative's value.
        upstream: ``∂root/∂node`` (final when this event happens).
        contribution: ``local * upstream``.
        grad_before: the operand's gradient before this event.
        grad_after: ``grad_before + contribution``.
        final: True when this is the operand's last contribution (its gradient is now final).
        rule: the op's rule card ("mul swaps: ...").
    """

    step: int
    node: str
    operand: str
    operand_index: int
    op: str
    param: str
    formula: str
    formula_named: str
    local: float
    upstream: float
    contribution: float
    grad_before: float
    grad_after: float
    final: bool
    rule: str


def _display(name: str) -> str:
    """A name safe to substitute into a formula: parenthesised unless it is a simple name."""
    return name if re.fullmatch(r"[\w.\[\]]+", name) and not name[0].isdigit() else f"({name})"


@dataclass(frozen=True)
class Trace:
    """A recorded backward pass. Build one with :func:`trace_backward`.

    Attributes:
        nodes: every node in forward evaluation order (operands before users, root last).
        root: the id of the output node.
        seed: the gradient the pass started from (``1.0``).
        events: one :class:`EdgeEvent` per edge, in ``backward()``'s order (op nodes from the
            last created to the first, operands in order within a node).
        version: the schema version (:data:`SCHEMA_VERSION`).
    """

    nodes: tuple[TraceNode, ...]
    root: str
    seed: float
    events: tuple[EdgeEvent, ...]
    version: int = SCHEMA_VERSION
    _index: Mapping[str, TraceNode] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {n.id: n for n in self.nodes})

    def __repr__(self) -> str:
        root = self._index[self.root].name if self.root in self._index else self.root
        return f"<Trace of {root}: {len(self.nodes)} nodes, {len(self.events)} edge events>"

    def _repr_html_(self) -> str | None:
        """Jupyter shows the stepper (registered by :mod:`microgradnet.viz.notebook`)."""
        return None if _html_hook is None else _html_hook(self)

    # ---- looking things up -----------------------------------------------------------------

    def node(self, node_id: str) -> TraceNode:
        """The node with id ``node_id``; ``KeyError`` naming the valid range otherwise."""
        try:
            return self._index[node_id]
        except KeyError:
            raise KeyError(
                f"no node {node_id!r} in this trace (ids are n0..n{len(self.nodes) - 1})"
            ) from None

    @property
    def forward_order(self) -> tuple[str, ...]:
        """Node ids in forward evaluation order."""
        return tuple(n.id for n in self.nodes)

    def by_name(self, name: str) -> TraceNode:
        """The first node (in forward order) whose display name is ``name``; ``KeyError`` if none."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node named {name!r}; names: {', '.join(n.name for n in self.nodes)}")

    def ledger(self, node_id: str) -> list[EdgeEvent]:
        """The events that send gradient into ``node_id``, in the order they arrive."""
        self.node(node_id)
        return [e for e in self.events if e.operand == node_id]

    def ledger_text(self, node_id: str, fmt: str = "{:.4g}", lang: str = "en") -> str:
        """The node's gradient as the sum of its contributions, in arrival order:
        ``"b.grad = (-2 via e) + (-6 via d) = -8"``."""
        node = self.node(node_id)
        STRINGS = strings(lang)
        terms = " + ".join(
            (
                [STRINGS["ledger_start"].format(value=format_number(node.grad_start, fmt))]
                if node.grad_start
                else []
            )
            + [
                STRINGS["ledger_term"].format(
                    value=format_number(e.contribution, fmt), node=self.node(e.node).name
                )
                for e in self.ledger(node_id)
            ]
        )
        total = format_number(node.grad if node_id != self.root else self.seed, fmt)
        return STRINGS["ledger"].format(operand=node.name, terms=terms or total, total=total)

    def grads(self) -> dict[str, float]:
        """``{display name: final gradient}`` for every node, in forward order (first name wins)."""
        out: dict[str, float] = {}
        for n in self.nodes:
            out.setdefault(n.name, n.grad)
        return out

    @functools.cached_property
    def _arrived(self) -> tuple[int, ...]:
        """For each event, how many contributions its operand has received so far, this one
        included (so narrating every event of a big graph stays linear)."""
        counts: dict[str, int] = {}
        out = []
        for e in self.events:
            counts[e.operand] = counts.get(e.operand, 0) + 1
            out.append(counts[e.operand])
        return tuple(out)

    # ---- text ------------------------------------------------------------------------------

    def expression(self, node_id: str, fmt: str = "{:.4g}") -> str:
        """How the node was computed, with display names: ``"a * b"``, ``"tanh(n)"``, ``"x ** 2"``."""
        node = self.node(node_id)
        if node.is_leaf:
            return node.name
        names = [_display(self.node(c).name) for c in node.children]
        op = OPS.get(node.op)
        if op is None:
            return f"{node.op}({', '.join(names)})"
        return op.write(names, None if node.arg is None else format_number(node.arg, fmt))

    def event_text(self, event: EdgeEvent, fmt: str = "{:.4g}", lang: str = "en") -> str:
        """One event as an equation with numbers:
        ``"∂L/∂a += ∂e/∂a · ∂L/∂e = (b = -3) · (-2) = 6;  a.grad 0 → 6"``.

        Raises ``TypeError`` when ``event`` is not an :class:`EdgeEvent` (for a step number,
        use ``trace.events[step]``)."""
        if not isinstance(event, EdgeEvent):
            raise TypeError(
                f"event_text() expects an EdgeEvent such as trace.events[0], got {type(event).__name__}"
            )
        f = functools.partial(format_number, fmt=fmt)
        STRINGS = strings(lang)
        local_value = f(event.local)
        if event.formula_named == local_value:
            local = STRINGS["local_plain"].format(value=local_value)
        else:
            local = STRINGS["local_named"].format(formula=event.formula_named, value=local_value)
        line = STRINGS["event_line"].format(
            root=self.node(self.root).name,
            operand=self.node(event.operand).name,
            node=self.node(event.node).name,
            local=local,
            upstream=f(event.upstream),
            contribution=f(event.contribution),
            before=f(event.grad_before),
            after=f(event.grad_after),
        )
        return line + (STRINGS["event_final"] if event.final else "")

    def narration(self, event: EdgeEvent | int, fmt: str = "{:.4g}", lang: str = "en") -> str:
        """One generated sentence about an event (or step number), for captions and screen readers."""
        return narration(self, event, fmt, lang)

    def text(self, fmt: str = "{:.4g}", lang: str = "en") -> str:
        """The whole trace for a terminal: forward values, one line per edge event, then gradients
        (``lang="ne"`` writes it in Nepali)."""
        f = functools.partial(format_number, fmt=fmt)
        STRINGS = strings(lang)
        root = self.node(self.root).name
        lines = [STRINGS["forward_header"]]
        for n in self.nodes:
            if n.is_leaf:
                lines.append("  " + STRINGS["leaf_line"].format(name=n.name, data=f(n.data)))
            else:
                lines.append(
                    "  "
                    + STRINGS["op_line"].format(name=n.name, expr=self.expression(n.id, fmt), data=f(n.data))
                )
        lines.append(STRINGS["backward_header"].format(root=root, seed=f(self.seed)))
        for n in self.nodes:
            if n.grad_start:
                lines.append("  " + STRINGS["start_line"].format(name=n.name, grad=f(n.grad_start)))
        width = len(str(len(self.events) - 1)) if self.events else 1
        for e in self.events:
            lines.append(f"  {e.step:>{width}}  " + self.event_text(e, fmt, lang))
        lines.append(STRINGS["grads_header"])
        for n in self.nodes:
            lines.append("  " + STRINGS["grad_line"].format(root=root, name=n.name, grad=f(n.grad)))
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.text()

    # ---- JSON ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The trace as plain JSON-able data (fixed key order; non-finite floats as strings)."""
        return {
            "version": self.version,
            "root": self.root,
            "seed": _enc(self.seed),
            "nodes": [_record(n) for n in self.nodes],
            "events": [_record(e) for e in self.events],
        }

    def to_json(self, indent: int | None = None) -> str:
        """The trace as JSON text, versioned and deterministic: the same graph gives the same text.

        Keys keep a fixed order (the attribute order above); ``inf``, ``-inf`` and ``nan`` are
        written as the strings ``"inf"``, ``"-inf"``, ``"nan"`` so the output is valid JSON.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        """Rebuild a trace from :meth:`to_dict` output.

        Raises:
            ValueError: the data is not a trace, has another schema version, or lacks a field.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a trace is a JSON object, got {type(data).__name__}")
        version = data.get("version")
        if version not in _READABLE_VERSIONS:
            raise ValueError(
                f"trace schema version {version!r} is not supported "
                f"(expected one of {', '.join(map(str, _READABLE_VERSIONS))})"
            )
        try:
            nodes = tuple(_decode(TraceNode, n) for n in data["nodes"])
            events = tuple(_decode(EdgeEvent, e) for e in data["events"])
            trace = cls(nodes=nodes, root=str(data["root"]), seed=_dec(data["seed"]), events=events)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a valid trace: {exc}") from exc
        trace.node(trace.root)
        return trace

    @classmethod
    def from_json(cls, text: str) -> Trace:
        """Rebuild a trace from :meth:`to_json` text; ``ValueError`` if it is not a trace."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from exc
        return cls.from_dict(data)


#: How a notebook shows a Trace; :mod:`microgradnet.viz.notebook` sets it (the stepper page).
_html_hook: Callable[[Trace], str] | None = None


def _enc(x: float | None) -> float | str | None:
    if x is None or math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _dec(x: Any) -> float:
    if isinstance(x, str):
        if x not in ("inf", "-inf", "nan"):
            raise ValueError(f"expected a number or 'inf'/'-inf'/'nan', got {x!r}")
        return float(x)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"expected a number, got {x!r}")
    return float(x)


def _record(obj: TraceNode | EdgeEvent) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, float):
            v = _enc(v)
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out


def _decode(cls: type[Any], data: Mapping[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data and f.default is not MISSING:  # a field newer than the data
            continue
        v = data[f.name]
        if f.type in ("float",):
            v = _dec(v)
        elif f.type == "float | None":
            v = None if v is None else _dec(v)
        elif f.type == "tuple[str, ...]":
            v = tuple(str(x) for x in v)
        kwargs[f.name] = v
    return cls(**kwargs)


# --------------------------------------------------------------------------------------------


def trace_backward(root: Value, *, parameters: Iterable[Value] | None = None) -> Trace:
    """Record what ``root.backward()`` would do, without touching the graph.

    The pass is the engine's own backward walk, in ``backward()``'s order and with its
    arithmetic, run into a dictionary of the trace's own: its gradients equal the ``.grad``\\s a
    ``root.backward()`` call made now would leave, bit for bit. As in ``backward()``, interior
    nodes start from 0 and leaves from the ``.grad`` they hold (recorded as
    ``TraceNode.grad_start``): after an earlier ``backward()`` without ``zero_grad()``, the trace
    shows the leaves accumulating. No ``data`` or ``grad`` of the graph changes.

    Node ids and names follow :func:`~microgradnet.engine.topological_order` (a forward
    evaluation order); events follow the walk.

    Roles: ``root`` is the ``"output"``; other op nodes are ``"intermediate"``; a leaf is a
    ``"parameter"`` when it is one of ``parameters`` (compared by identity) or, when
    ``parameters`` is not given, when its label is a dotted name (:func:`is_parameter_label`);
    every other leaf is an ``"input"``.

    Raises:
        TypeError: ``root`` is not a ``Value`` or ``parameters`` holds something else.
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace_backward() takes the output Value, got {root!r} ({type(root).__name__})")
    params: list[Value] | None = None
    if parameters is not None:
        params = list(parameters)
        bad = [p for p in params if not isinstance(p, Value)]
        if bad:
            raise TypeError(
                f"trace_backward(parameters=...) takes Values, got {bad[0]!r} ({type(bad[0]).__name__})"
            )
    order = topological_order(root)
    index = {node: k for k, node in enumerate(order)}
    ids = [f"n{k}" for k in range(len(order))]
    param_ids = {index[p] for p in params if p in index} if params is not None else None
    names = _names(order)
    consumers = [0] * len(order)
    for node in order:
        for child in node.children:
            consumers[index[child]] += 1

    remaining = list(consumers)
    events: list[EdgeEvent] = []
    shown = [_display(name) for name in names]  # once per node: a wide node has k edges
    operand_names_of: dict[int, list[str]] = {}

    def record(edge: _Edge) -> None:
        node, op, j = edge.node, edge.op, edge.position
        k, ci = index[node], index[edge.operand]
        n_ops = len(node.children)
        remaining[ci] -= 1
        operand_names = operand_names_of.get(k)
        if operand_names is None:
            operand_names = operand_names_of[k] = [shown[index[c]] for c in node.children]
        events.append(
            EdgeEvent(
                step=len(events),
                node=ids[k],
                operand=ids[ci],
                operand_index=j,
                op=op.name,
                param=op.param_of(j, n_ops),
                formula=op.grad_formula(j, n_ops),
                formula_named=op.explain_grad(j, operand_names, shown[k], node._arg),
                local=float(edge.local),
                upstream=edge.upstream,
                contribution=edge.contribution,
                grad_before=edge.before,
                grad_after=edge.after,
                final=remaining[ci] == 0,
                rule=op.rule,
            )
        )

    _, grads = _backward_into(root, record)

    nodes = []
    for k, node in enumerate(order):
        if node is root:
            role = "output"
        elif node._entry is not None:
            role = "intermediate"
        elif (k in param_ids) if param_ids is not None else is_parameter_label(node.label):
            role = "parameter"
        else:
            role = "input"
        nodes.append(
            TraceNode(
                id=ids[k],
                label=_encodable(node.label),
                name=names[k],
                data=node.data,
                grad=grads[node],
                op=node.op,
                symbol=node._entry.symbol if node._entry is not None else "",
                arg=node._arg,
                children=tuple(ids[index[c]] for c in node.children),
                role=role,
                consumers=consumers[k],
                grad_start=node.grad if node._entry is None else 0.0,
            )
        )
    return Trace(nodes=tuple(nodes), root=ids[index[root]], seed=1.0, events=tuple(events))


def _encodable(label: str) -> str:
    """``label`` with each lone surrogate (which UTF-8 cannot encode) written as its escape."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", label)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _names(order: Sequence[Value]) -> list[str]:
    """Display names, all different: labels, else ``t1, t2, ...`` for op nodes and ``c1, c2, ...``
    for leaves. The output (last in ``order``) keeps its label; any other node whose label is
    taken already (by the output or an earlier node) is called ``label_2``, ``label_3``, ... so
    the key of a picture never lists two different ``∂L/∂L``. A lone surrogate in a label is
    written as its escape (``x\\ud800``): the name must survive UTF-8.

    Raises:
        TypeError: a label is not a ``str`` (``v.label = 5``).
    """
    for k, node in enumerate(order):
        if not isinstance(node.label, str):
            raise TypeError(
                f"Value.label must be a str, got {node.label!r} ({type(node.label).__name__}) on "
                f"the node with data {node.data!r} (forward position {k}); set v.label = 'name'"
            )
    texts = [_encodable(n.label) for n in order]
    labels = {text for text in texts if text}
    taken: set[str] = set()
    if order and texts[-1]:
        taken.add(texts[-1])
    counters = {"t": 0, "c": 0}
    copies: dict[str, int] = {}  # the last copy number tried per label: k copies cost k, not k²
    out = []
    for k, node in enumerate(order):
        label = texts[k]
        if label and (k == len(order) - 1 or label not in taken):
            name = label
        elif label:
            copy = copies.get(label, 1)
            while True:
                copy += 1
                name = f"{label}_{copy}"
                if name not in taken and name not in labels:
                    break
            copies[label] = copy
        else:
            prefix = "t" if node._entry is not None else "c"
            while True:
                counters[prefix] += 1
                name = f"{prefix}{counters[prefix]}"
                if name not in labels and name not in taken:
                    break
        taken.add(name)
        out.append(name)
    return out


# --------------------------------------------------------------------------------------------


def narration(trace: Trace, event: EdgeEvent | int, fmt: str = "{:.4g}", lang: str = "en") -> str:
    """One generated sentence describing ``event`` (an :class:`EdgeEvent` or its step number).

    For example ``"the + gate passes the upstream gradient -2 unchanged to c"``. The sentence
    follows the op table's ``gate`` of the operand (:data:`~microgradnet.ops.GATES`): a pass gate
    (add, sum, sub's first operand) passes, a negate gate (neg, sub's second operand) negates,
    a swap gate (mul, dot) multiplies by the other input, a route gate (relu) is open or closed;
    every other op multiplies by its local derivative. An op registered with ``gate=`` is
    narrated the same way. A fan-out operand's sentence says how many contributions it still
    waits for, or that its gradient is now final. The templates live in
    :data:`~microgradnet.viz.strings.STRINGS`.

    Raises:
        IndexError: a step number outside the trace.
        TypeError: ``trace`` is not a :class:`Trace` or ``event`` is neither an event nor an int.
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"narration() expects a Trace (from trace_backward), got {type(trace).__name__}")
    if isinstance(event, bool) or not isinstance(event, (int, EdgeEvent)):
        raise TypeError(f"event must be an EdgeEvent or its step number, got {type(event).__name__}")
    if isinstance(event, int):
        if not 0 <= event < len(trace.events):
            raise IndexError(f"step {event} is outside the trace (0..{len(trace.events) - 1})")
        event = trace.events[event]
    f = functools.partial(format_number, fmt=fmt)
    STRINGS = strings(lang)
    node = trace.node(event.node)
    operand = trace.node(event.operand).name
    common = {
        "op": node.symbol or event.op,
        "operand": operand,
        "upstream": f(event.upstream),
        "contribution": f(event.contribution),
        "local": f(event.local),
        "formula": event.formula_named,
    }
    op = OPS.get(event.op)
    gate = op.gate_of(event.operand_index, len(node.children)) if op is not None else ""
    if gate == "route":
        key = "narrate_route_open" if event.local > 0 else "narrate_route_closed"
        sentence = STRINGS[key].format(**common)
    elif gate == "swap":  # the local derivative is the other input: its name and value
        other = f"{event.formula_named} = {f(event.local)}"
        sentence = STRINGS["narrate_swap"].format(other=other, **common)
    elif gate:
        sentence = STRINGS[f"narrate_{gate}"].format(**common)
    else:
        sentence = STRINGS["narrate_local"].format(**common)
    target = trace.node(event.operand)
    if not event.final:
        done = trace._arrived[event.step]
        sentence += STRINGS["narrate_pending"].format(operand=operand, remaining=target.consumers - done)
    elif target.consumers > 1:
        sentence += STRINGS["narrate_final_fanout"].format(
            operand=operand, count=target.consumers, after=f(event.grad_after)
        )
    return sentence
