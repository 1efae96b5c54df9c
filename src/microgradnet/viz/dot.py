"""Graph pictures: :func:`draw_dot` turns a graph (or its :class:`Trace`) into a Graphviz digraph.

Value nodes are records ``{ name | data … | grad … }`` and each op is a separate small node, as in
micrograd's lecture pictures; unlike them, every operand is its own edge (``a*a`` has two), node
names are the trace ids, so the same program gives the same DOT text byte for byte, and labels are
escaped.

Stable names and SVG ids, which the frames and the stepper page rely on:

* value node ``n<k>`` (``k`` its forward position), with SVG ``id="n<k>"`` and
  ``class="value role-<role>"``;
* the op node of ``n<k>``: ``n<k>_op`` (``class="op"``);
* the edge from an operand into an op node: ``id="e<step>"``, ``step`` the index of its
  :class:`~microgradnet.viz.trace.EdgeEvent` (``class="edge-operand"``);
* the edge from an op node to its value: ``id="n<k>_out"`` (``class="edge-result"``);
* a box made by ``collapse``: ``group<j>`` (``class="group"``), edges into it ``group<j>_in<k>``;
  a frame made by ``outline``: ``id="cluster_<j>"``; groups numbered by first appearance.

The ``graphviz`` package is imported when a picture is drawn, not when this module is imported.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from microgradnet.engine import Value, topological_order
from microgradnet.viz.strings import STRINGS, check_number_format, format_number
from microgradnet.viz.trace import Trace, trace_backward

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "PALETTE",
    "RANKDIRS",
    "as_trace",
    "draw_dot",
    "escape_label",
    "escape_record",
    "group_of",
    "path_to_output",
]

RANKDIRS = ("LR", "TB", "RL", "BT")

#: Fill colours per role: light tints of the Okabe–Ito colour-blind-safe palette (sky blue,
#: orange, bluish green), dark text stays readable on all of them. Roles are also told apart
#: without colour: parameters have rounded corners, the output a thicker border.
PALETTE: dict[str, str] = {
    "input": "#bfe1f6",  # sky blue #56B4E9, lightened
    "parameter": "#f5d594",  # orange #E69F00, lightened
    "intermediate": "#ffffff",
    "output": "#8fd6c1",  # bluish green #009E73, lightened
    "highlight": "#d55e00",  # vermillion, for the highlighted path (drawn thick as well)
    "op": "#f0f0f0",
    "group": "#ebc9dc",  # reddish purple #CC79A7, lightened: a collapsed neuron or layer
    "line": "#333333",
}

FONT = "Helvetica,Arial,sans-serif"


def escape_record(text: str) -> str:
    r"""``text`` safe inside a record label field: ``{ } | < >``, quotes and backslashes escaped,
    and ``&`` written as ``&amp;`` (Graphviz decodes entities, so ``x&amp;y`` would show as ``x&y``)."""
    text = text.replace("&", "&amp;").replace("\\", "\\\\").replace("\n", " ").replace("\r", " ")
    return re.sub(r'([{}|<>"])', r"\\\1", text)


def escape_label(text: str) -> str:
    r"""``text`` safe as a plain Graphviz label: backslashes (``\N``, ``\l`` ...) and quotes escaped,
    ``&`` as ``&amp;``."""
    return (
        text.replace("&", "&amp;")
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", " ")
        .replace("\r", " ")
    )


def as_trace(obj: Value | Trace, parameters: Iterable[Value] | None = None) -> Trace:
    """``obj`` if it is a trace, else ``trace_backward(obj, parameters=parameters)``.

    Raises:
        TypeError: ``obj`` is neither a ``Value`` nor a ``Trace``.
    """
    if isinstance(obj, Trace):
        return obj
    if isinstance(obj, Value):
        return trace_backward(obj, parameters=parameters)
    raise TypeError(
        f"expected a Value (the output of a graph) or a Trace, got {obj!r} ({type(obj).__name__})"
    )


def path_to_output(trace: Trace, node_id: str) -> set[str]:
    """The ids of ``node_id`` and of every node that depends on it (its paths to the output)."""
    trace.node(node_id)
    on_path = {node_id}
    for n in trace.nodes:  # forward order: operands come first
        if any(c in on_path for c in n.children):
            on_path.add(n.id)
    return on_path


# ---- collapsing neurons and layers ----------------------------------------------------------

_INDEX = re.compile(r"\[[^\]]*\]")
_ROW = re.compile(r"(?P<layer>.+)\.(?:weight|bias)\[(?P<row>\d+)\](?:\[\d+\])?")


def group_of(label: str, level: str) -> str | None:
    """The neuron or layer a parameter label belongs to, by the dotted-name convention.

    :mod:`microgradnet.nn` names parameters PyTorch-style: ``"0.weight[1][2]"`` (row 1, column 2)
    and ``"0.bias[1]"`` belong to neuron ``"0.neuron1"`` of layer ``"0"``. Otherwise a parameter
    labelled ``"layers.0.neurons.1.w[2]"`` (or ``"...w.2"``) belongs to neuron
    ``"layers.0.neurons.1"`` and layer ``"layers.0"``: indices in brackets and trailing numeric
    parts are dropped, the last name (``w``, ``b``, ``weight``, ``bias``) is the parameter, what
    is left names the neuron, and the neuron name without its trailing ``<name>.<number>`` names
    the layer. A label without a dot belongs to no group (``None``).

    Raises:
        ValueError: ``level`` is not ``"neuron"`` or ``"layer"``.
    """
    if level not in ("neuron", "layer"):
        raise ValueError(f"collapse level must be 'neuron' or 'layer', got {level!r}")
    torch_style = _ROW.fullmatch(label)
    if torch_style:  # microgradnet.nn's names: row i of "0.weight" and "0.bias[i]" are neuron i
        layer = torch_style["layer"]
        return f"{layer}.neuron{torch_style['row']}" if level == "neuron" else layer
    parts = _INDEX.sub("", label).split(".")
    while len(parts) > 1 and parts[-1].isdigit():
        parts.pop()
    if len(parts) < 2:
        return None
    neuron = parts[:-1]
    if level == "neuron":
        return ".".join(neuron)
    if len(neuron) >= 3 and neuron[-1].isdigit() and not neuron[-2].isdigit():
        return ".".join(neuron[:-2])
    return ".".join(neuron)


def _groups(trace: Trace, key: Callable[[str], str | None]) -> dict[str, str]:
    """Assign nodes to groups: parameters by their label; an op node joins the single group of its
    parameter operands, or, having none, the single group shared by all its operands when they
    are all op nodes (so ``tanh(sum(w*x))`` stays with its neuron and a loss stays outside)."""
    group: dict[str, str] = {}
    for n in trace.nodes:
        if n.is_leaf:
            if n.role == "parameter":
                g = key(n.label)
                if g is not None:
                    group[n.id] = g
            continue
        kids = [trace.node(c) for c in n.children]
        from_params = {group[k.id] for k in kids if k.role == "parameter" and k.id in group}
        if len(from_params) == 1:
            group[n.id] = from_params.pop()
        elif not from_params and all(not k.is_leaf for k in kids):
            inherited = {group.get(k.id) for k in kids}
            if len(inherited) == 1 and None not in inherited:
                group[n.id] = str(inherited.pop())
    return group


# ---- drawing ---------------------------------------------------------------------------------


def draw_dot(
    root: Value | Trace,
    *,
    rankdir: str = "LR",
    fmt: str = "{:.4g}",
    show_grad: bool = True,
    show_local: bool = False,
    highlight: str | Value | None = None,
    colors: bool = True,
    collapse: str | Callable[[str], str | None] | None = None,
    outline: str | Callable[[str], str | None] | None = None,
    parameters: Iterable[Value] | None = None,
) -> graphviz.Digraph:
    """Draw the graph of ``root`` (a ``Value``) or of a recorded :class:`Trace`.

    Args:
        root: the output ``Value`` (it is traced, which changes nothing) or a trace.
        rankdir: layout direction, ``"LR"`` (default), ``"TB"``, ``"RL"`` or ``"BT"``.
        fmt: a :meth:`str.format` pattern for numbers (``"{:.4f}"`` gives micrograd's look).
        show_grad: write each node's gradient ``∂root/∂node`` in its box.
        show_local: write the local derivative ``formula = value`` on each operand edge.
        highlight: a node (its id ``"n3"``, its label or display name, or the ``Value``) to
            highlight together with its paths to the output.
        colors: fill nodes by role (input, parameter, intermediate, output) with a
            colour-blind-safe palette (:data:`PALETTE`); False draws black on white.
        collapse: ``"neuron"`` or ``"layer"`` draws each neuron or layer as one box (its name,
            its parameter and node counts, the value and gradient of its output(s)), so a whole
            MLP stays readable. Groups come from dotted parameter labels (:func:`group_of`),
            or from a function mapping a parameter label to a group name (``None``: no group).
        outline: like ``collapse`` but keeps every scalar node and draws a dashed frame
            around each group (the expanded view of the same network).
        parameters: when ``root`` is a ``Value``: which leaves are parameters (see
            :func:`~microgradnet.viz.trace.trace_backward`).

    Returns:
        a ``graphviz.Digraph`` (``.source`` is the DOT text). In Jupyter it displays inline as
        SVG, rendered by the Graphviz program or, without it, in-process
        (:mod:`microgradnet.viz.render`). Its ``trace`` attribute is the trace it was drawn from.

    Raises:
        TypeError: ``root`` is neither a ``Value`` nor a ``Trace``.
        ValueError: an unknown ``rankdir``, ``collapse`` or ``outline``, both of these given, a
            bad ``fmt``, or a ``highlight`` that names no node.
        ImportError: the ``graphviz`` package is missing (``pip install microgradnet[viz]``).
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    check_number_format(fmt, "fmt")
    if collapse is not None and outline is not None:
        raise ValueError("give collapse= (one box per group) or outline= (frames around groups), not both")
    key = _group_key("collapse", collapse) if collapse is not None else _group_key("outline", outline)
    highlight_id = _resolve(root, highlight)
    trace = as_trace(root, parameters)
    if isinstance(highlight, (str, Value)) and highlight_id is None:
        highlight_id = _find(trace, highlight)
    on_path = path_to_output(trace, highlight_id) if highlight_id is not None else set()

    dot = _digraph_class()(name="microgradnet", comment="drawn by microgradnet.viz.draw_dot")
    dot.trace = trace
    dot.attr(rankdir=rankdir, fontname=FONT)
    dot.attr("node", fontname=FONT, fontsize="12")
    dot.attr("edge", fontname=FONT, fontsize="10", color=PALETTE["line"], arrowsize="0.7")
    f = functools.partial(format_number, fmt=fmt)
    step_of = {(e.node, e.operand_index): e.step for e in trace.events}

    groups = _groups(trace, key) if key is not None else {}
    names = list(dict.fromkeys(groups[n.id] for n in trace.nodes if n.id in groups))  # first appearance
    clusters: dict[str, Any] = {}
    boxes: dict[str, str] = {}  # group name -> its node id when collapsed
    if collapse is not None:
        boxes = {g: f"group{j}" for j, g in enumerate(names)}
        _draw_boxes(dot, trace, groups, boxes, on_path, rankdir, f, colors)
    else:
        clusters = {g: _digraph_class()(name=f"cluster_{j}") for j, g in enumerate(names)}
        for j, (g, sub) in enumerate(clusters.items()):
            sub.attr(
                label=escape_label(g),
                id=f"cluster_{j}",
                style="rounded,dashed",
                color="#666666",
                fontsize="11",
            )

    def shown(node_id: str) -> str:
        return boxes[groups[node_id]] if boxes and node_id in groups else node_id

    box_edges: set[tuple[str, str]] = set()

    for n in trace.nodes:
        if boxes and n.id in groups:
            # inside a box: only the edges that enter it from outside are drawn, once per source
            for child in n.children:
                source, target = shown(child), shown(n.id)
                if source != target and (source, target) not in box_edges:
                    box_edges.add((source, target))
                    on = child in on_path
                    dot.edge(
                        source,
                        target,
                        id=f"{target}_in{len([e for e in box_edges if e[1] == target]) - 1}",
                        color=PALETTE["highlight"] if on else PALETTE["line"],
                        penwidth="3" if on else "1",
                        **{"class": "edge-group"},
                    )
            continue
        target = clusters[groups[n.id]] if n.id in groups else dot
        fields = [escape_record(n.name), escape_record(f"{STRINGS['data']} {f(n.data)}")]
        if show_grad:
            fields.append(escape_record(f"{STRINGS['grad']} {f(n.grad)}"))
        hl = n.id in on_path
        attrs: dict[str, str] = {
            "label": "{ " + " | ".join(fields) + " }",
            "shape": "Mrecord" if n.role == "parameter" else "record",
            "class": f"value role-{n.role}",
            "id": n.id,
            "tooltip": escape_label(f"{n.name}: {STRINGS['role_' + n.role]}"),
            "style": "filled",
            "fillcolor": PALETTE[n.role] if colors else "#ffffff",
            "color": PALETTE["highlight"] if hl else PALETTE["line"],
        }
        if hl:
            attrs["penwidth"] = "3"
        elif n.role == "output":
            attrs["penwidth"] = "2"
        target.node(n.id, **attrs)
        if n.is_leaf:
            continue
        op_id = f"{n.id}_op"
        symbol = n.symbol or n.op
        if n.arg is not None and n.op == "pown":
            symbol = f"{symbol} {f(n.arg)}"
        target.node(
            op_id,
            label=escape_label(symbol),
            shape="circle" if len(symbol) <= 2 else "ellipse",
            width="0.35",
            height="0.35",
            fixedsize="false",
            margin="0.02",
            style="filled",
            fillcolor=PALETTE["op"] if colors else "#ffffff",
            color=PALETTE["highlight"] if hl else PALETTE["line"],
            penwidth="3" if hl else "1",
            id=op_id,
            **{"class": "op"},
        )
        dot.edge(
            op_id,
            n.id,
            id=f"{n.id}_out",
            color=PALETTE["highlight"] if hl else PALETTE["line"],
            penwidth="3" if hl else "1",
            **{"class": "edge-result"},
        )
        repeated = len(set(n.children)) < len(n.children)
        ordered = n.op not in ("add", "mul", "sum")
        for j, child in enumerate(n.children):
            step = step_of[(n.id, j)]
            event = trace.events[step]
            edge: dict[str, str] = {"id": f"e{step}", "class": "edge-operand"}
            if show_local:
                value = f(event.local)
                text = value if event.formula_named == value else f"{event.formula_named} = {value}"
                edge["label"] = escape_label(text)
            if len(n.children) > 1 and (repeated or ordered):
                edge["headlabel"] = escape_label(event.param)
                edge["labelfontsize"] = "9"
                edge["labeldistance"] = "1.6"
            if child in on_path:
                edge["color"] = PALETTE["highlight"]
                edge["penwidth"] = "3"
            dot.edge(shown(child), op_id, **edge)
    for sub in clusters.values():
        dot.subgraph(sub)
    return dot


def _group_key(
    option: str, value: str | Callable[[str], str | None] | None
) -> Callable[[str], str | None] | None:
    if value is None:
        return None
    if callable(value):
        return value
    if value in ("neuron", "layer"):
        return functools.partial(group_of, level=value)
    raise ValueError(f"{option} must be None, 'neuron', 'layer' or a function, got {value!r}")


def _draw_boxes(
    dot: Any,
    trace: Trace,
    groups: dict[str, str],
    boxes: dict[str, str],
    on_path: set[str],
    rankdir: str,
    f: Callable[[float], str],
    colors: bool,
) -> None:
    """One record per group: its name, its size, and the data and grad of each output (a member
    used outside the group, or the root)."""
    used_outside = {c for n in trace.nodes for c in n.children if groups.get(c) != groups.get(n.id)}
    for g, box in boxes.items():
        members = [n for n in trace.nodes if groups.get(n.id) == g]
        n_params = sum(1 for n in members if n.role == "parameter")
        outputs = [n for n in members if n.id in used_outside or n.id == trace.root]
        rows = [escape_record(g), escape_record(f"{n_params} parameters, {len(members)} nodes")]
        for o in outputs[:6]:
            act = f"{o.symbol}: " if o.op in ("tanh", "relu", "sigmoid") else ""
            rows.append(escape_record(f"{act}{STRINGS['data']} {f(o.data)}  {STRINGS['grad']} {f(o.grad)}"))
        if len(outputs) > 6:
            rows.append(escape_record(f"… {len(outputs) - 6} more"))
        label = " | ".join(rows)
        hl = any(n.id in on_path for n in members)
        dot.node(
            box,
            label=label if rankdir in ("LR", "RL") else "{ " + label + " }",
            shape="Mrecord",
            margin="0.15,0.05",
            id=box,
            style="filled",
            fillcolor=PALETTE["group"] if colors else "#ffffff",
            color=PALETTE["highlight"] if hl else PALETTE["line"],
            penwidth="3" if hl else "1.5",
            tooltip=escape_label(g),
            **{"class": "group"},
        )


def _resolve(root: Value | Trace, highlight: str | Value | None) -> str | None:
    """The id of a highlighted ``Value`` (by identity) when drawing from a ``Value``."""
    if isinstance(highlight, Value):
        if not isinstance(root, Value):
            raise ValueError(
                "highlight=<Value> needs the graph's output Value; with a Trace, pass an id or a name"
            )
        for k, node in enumerate(topological_order(root)):
            if node is highlight:
                return f"n{k}"
        raise ValueError(f"highlight: {highlight!r} is not part of this graph")
    return None


def _find(trace: Trace, highlight: str | Value) -> str:
    if isinstance(highlight, str):
        if highlight in trace.forward_order:
            return highlight
        for n in trace.nodes:
            if highlight in (n.label, n.name):
                return n.id
    raise ValueError(f"highlight: no node with id, label or name {highlight!r} in this graph")


@functools.cache
def _digraph_class() -> Any:
    """A ``graphviz.Digraph`` whose Jupyter display renders through :mod:`.render`, so it works
    without the Graphviz program (imported on first use)."""
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - the viz extra is part of `make test`
        raise ImportError(
            "drawing graphs needs the graphviz package: pip install 'microgradnet[viz]'"
        ) from exc

    class Digraph(graphviz.Digraph):  # type: ignore[misc]
        """A ``graphviz.Digraph`` that renders without the Graphviz program when it is absent."""

        trace: Trace | None = None

        def _repr_image_svg_xml(self) -> str:
            from microgradnet.viz.render import dot_to_svg

            return dot_to_svg(self.source)

        def _repr_image_png(self) -> bytes:
            from microgradnet.viz.render import svg_to_png

            return svg_to_png(self._repr_image_svg_xml())

        def _repr_image_jpeg(self) -> bytes:
            raise NotImplementedError("microgradnet pictures display as SVG or PNG")

    return Digraph
