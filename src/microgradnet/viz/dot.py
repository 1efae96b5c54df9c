"""Graph pictures: the one DOT writer. :func:`dot_source` turns a graph (or its :class:`Trace`)
into DOT text and :func:`draw_dot` wraps that text in a ``graphviz.Digraph`` for notebooks.

Value nodes are records ``{ name | data … | grad … }`` and each op is a separate small node, as in
micrograd's lecture pictures; unlike them, every operand is its own edge (``a*a`` has two), node
names are the trace ids, so the same program gives the same DOT text byte for byte, every
attribute is quoted and escaped (a label never becomes Graphviz HTML, a control character is
shown as its Unicode picture), and the gradients shown are the ones the ``Value``\\s hold
(``grads="backward"`` shows what ``backward()`` would give instead).

Stable names and SVG ids (:class:`ElementIds`; the frames rely on them, and the stepper page
passes its own templates):

* value node ``n<k>`` (``k`` its forward position), with SVG ``id="n<k>"`` and
  ``class="value role-<role>"``;
* the op node of ``n<k>``: ``n<k>_op`` (``class="op"``);
* the edge from an operand into an op node: ``id="e<step>"``, ``step`` the index of its
  :class:`~microgradnet.viz.trace.EdgeEvent` (``class="edge-operand"``);
* the edge from an op node to its value: ``id="n<k>_out"`` (``class="edge-result"``);
* a box made by ``collapse``: ``group<j>`` (``class="group"``), edges into it ``group<j>_in<k>``;
  a frame made by ``outline``: ``id="cluster_<j>"``; groups numbered by first appearance.

What an op looks like comes from its row of the op table (:mod:`microgradnet.ops`): its symbol,
its constant argument (``** 2``), whether its operands are ordered (``commutative``) and whether
it is an activation (``kind``), so an op added with ``register_op`` is drawn like a built-in.

Writing DOT needs no third-party package; the ``graphviz`` package is imported by
:func:`draw_dot` only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from microgradnet.engine import Value, topological_order
from microgradnet.locales import FONT_FAMILY, FONT_NAME, check_lang, font_files, needs_font
from microgradnet.nn import parse_parameter_name
from microgradnet.ops import OPS
from microgradnet.viz.limits import MAX_NODES, check_size
from microgradnet.viz.rendering import dot_to_svg, embed_font, script_runs, svg_to_png
from microgradnet.viz.strings import check_number_format, format_number, printable, strings
from microgradnet.viz.trace import Trace, TraceNode, _encodable, trace_backward

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "GRADS",
    "PALETTE",
    "PICTURE_LOOK",
    "RANKDIRS",
    "DotLook",
    "ElementIds",
    "Group",
    "as_trace",
    "dot_source",
    "draw_dot",
    "escape_label",
    "escape_record",
    "group_of",
    "node_groups",
    "parameter_group",
    "path_to_output",
    "record_label",
    "shown_grads",
]

RANKDIRS = ("LR", "TB", "RL", "BT")
#: Which gradients a picture writes: ``"stored"`` (what each ``Value.grad`` holds now, the
#: default) or ``"backward"`` (what a ``backward()`` call from the output would leave).
GRADS = ("stored", "backward")

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

#: Graphs larger than this (in value nodes) are laid out for speed: no operand names at the
#: arrow heads and a shorter search for few edge crossings (Graphviz's ``mclimit``/``nslimit``),
#: which lays a 1,200-node MLP graph out 3-4 times faster (measured by benchmarks/pictures.py).
FAST_LAYOUT_ABOVE = 300


@dataclass(frozen=True)
class ElementIds:
    """How the DOT writer names the elements of a picture (``id`` attributes, so SVG ids).

    Each is a :meth:`str.format` template with the fields ``node`` (the trace id ``"n3"``),
    and, for operand edges, ``step`` (the edge event's index) and ``index`` (the operand's
    position among its node's operands). The defaults are the stable ids the module docstring
    lists; the stepper page uses ``ElementIds("v_{node}", "o_{node}", "e_{node}_{index}",
    "e_{node}_out")``.
    """

    value: str = "{node}"
    op: str = "{node}_op"
    operand_edge: str = "e{step}"
    result_edge: str = "{node}_out"


@dataclass(frozen=True)
class DotLook:
    """The attributes a picture is drawn with (all values are strings, written quoted).

    Attributes:
        graph: graph attributes (``rankdir`` comes from the ``rankdir`` option).
        node: default attributes of every node.
        edge: default attributes of every edge.
        value: attributes of every value node (its ``shape``).
        op: attributes of every op node (``shape``, ``width`` ...).
        stacked: write a value's fields one above the other in a left-to-right picture (the
            stepper's compact boxes); False writes them side by side along the layout direction.
        decorate: colour by role, highlight, tooltips and operand names at the arrow heads;
            False draws plain shapes for a page that styles them with CSS.
        classes: write ``class=`` attributes (``value role-input``, ``op``, ``edge-operand``,
            ``edge-result``, ``group``, ``edge-group``); they become SVG classes after
            Graphviz's own ``node``/``edge``.
    """

    graph: Mapping[str, str] = field(default_factory=dict)
    node: Mapping[str, str] = field(default_factory=dict)
    edge: Mapping[str, str] = field(default_factory=dict)
    value: Mapping[str, str] = field(default_factory=dict)
    op: Mapping[str, str] = field(default_factory=dict)
    stacked: bool = False
    decorate: bool = True
    classes: bool = True


#: The look of :func:`draw_dot`'s pictures.
PICTURE_LOOK = DotLook(
    graph={"fontname": FONT},
    node={"fontname": FONT, "fontsize": "12"},
    edge={"fontname": FONT, "fontsize": "10", "color": PALETTE["line"], "arrowsize": "0.7"},
    value={"shape": "record"},
    op={"width": "0.35", "height": "0.35", "fixedsize": "false", "margin": "0.02"},
)


def escape_record(text: str) -> str:
    r"""``text`` safe inside a record label field: ``{ } | < >``, quotes and backslashes escaped,
    ``&`` written as ``&amp;`` (Graphviz decodes entities, so ``x&amp;y`` would show as ``x&y``),
    line breaks as spaces and other control characters as their Unicode pictures (``␀``)."""
    out = escape_label(text)
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out


def escape_label(text: str) -> str:
    r"""``text`` safe as a quoted Graphviz string: backslashes (``\N``, ``\l`` ...) and quotes
    escaped, ``&`` as ``&amp;``, line breaks as spaces, other control characters as pictures."""
    text = printable(text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    return text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')


def record_label(texts: Sequence[str], stacked: bool = False) -> str:
    """A record label of the fields ``texts`` (each escaped with :func:`escape_record`): ``a | b``,
    or ``{ a | b }`` with ``stacked`` (fields one above the other in a left-to-right picture).

    A field with a non-ASCII character is written straight after its ``|`` or ``{``: Graphviz 2.43
    (Debian's and Ubuntu's) drops the space inside such a field after a leading space
    (``| मान 2`` shows as ``मान2``), while ``|मान 2`` keeps it.
    """
    out = "{" if stacked else ""
    for k, text in enumerate(texts):
        field = escape_record(text)
        if k:
            out += " |"
        if (k or stacked) and field.isascii():
            out += " "
        out += field
    return out + " }" if stacked else out


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


def shown_grads(root: Value | Trace, trace: Trace, grads: str = "stored") -> dict[str, float]:
    """The gradient a picture writes in each node of ``trace`` (drawn from ``root``), by id.

    ``grads="stored"``: what each ``Value.grad`` holds now (``0`` before any ``backward()``,
    doubled after two calls on a leaf); ``"backward"``: what the trace computed, which is what a
    ``backward()`` call would leave. A :class:`Trace` records one pass and holds only its
    results, so both show those.

    Raises:
        ValueError: ``grads`` is neither ``"stored"`` nor ``"backward"``.
    """
    if grads not in GRADS:
        raise ValueError(f"grads must be 'stored' (what .grad holds) or 'backward', got {grads!r}")
    if grads == "backward" or not isinstance(root, Value):
        return {n.id: n.grad for n in trace.nodes}
    order = topological_order(root)  # trace ids are positions in this order
    labels = (_encodable(v.label) for v in order)  # a trace's labels are UTF-8-safe
    if len(order) != len(trace.nodes) or any(a != n.label for a, n in zip(labels, trace.nodes)):
        raise RuntimeError("the trace's node order no longer matches topological_order(root)")
    return {n.id: v.grad for v, n in zip(order, trace.nodes)}


def path_to_output(trace: Trace, node_id: str) -> set[str]:
    """The ids of ``node_id`` and of every node that depends on it (its paths to the output)."""
    trace.node(node_id)
    on_path = {node_id}
    for n in trace.nodes:  # forward order: operands come first
        if any(c in on_path for c in n.children):
            on_path.add(n.id)
    return on_path


# ---- collapsing neurons and layers ----------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A neuron or a layer that parameters belong to, as data (what :func:`parameter_group` gives).

    Attributes:
        key: the group's name, unique per level: ``"0.neuron1"`` (row 1 of layer ``"0"``),
            ``"layers.0.neurons.1"`` (a module that is one neuron), ``"0"`` or ``"layers.0"`` (a
            layer). This is what :func:`group_of` returns and what pictures write in the box.
        level: ``"neuron"`` or ``"layer"``.
        layer: the module path of the layer the group is or belongs to (``"0"``,
            ``"layers.0"``); for a neuron that is its own module without a layer around it, the
            neuron's own path.
        row: for a neuron that is one row of a layer's ``weight``/``bias`` (PyTorch's
            ``"0.weight[1][2]"``), that row (``1``); ``None`` for a layer, and for a neuron that is
            a module of its own (micrograd's ``"layers.0.neurons.1"``).
    """

    key: str
    level: str
    layer: str
    row: int | None = None


def parameter_group(label: str, level: str) -> Group | None:
    """The neuron or layer a parameter label belongs to (a :class:`Group`), from the parts of its
    name (:func:`microgradnet.nn.parse_parameter_name`); ``None`` for a label without a dot.

    :mod:`microgradnet.nn` names parameters PyTorch-style: ``"0.weight[1][2]"`` (row 1, column 2)
    and ``"0.bias[1]"`` belong to neuron ``"0.neuron1"`` (``row=1``) of layer ``"0"``. A parameter
    of a module that is one neuron, ``"layers.0.neurons.1.w[2]"`` (or ``"...w.2"``), belongs to
    neuron ``"layers.0.neurons.1"`` and to layer ``"layers.0"`` (the neuron's path without its
    trailing ``<name>.<number>``).

    Raises:
        ValueError: ``level`` is not ``"neuron"`` or ``"layer"``.
    """
    if level not in ("neuron", "layer"):
        raise ValueError(f"collapse level must be 'neuron' or 'layer', got {level!r}")
    name = parse_parameter_name(label)
    if name is None:
        return None
    if name.neuron is not None:  # a row of a layer's weight or bias: the module is the layer
        if level == "neuron":
            return Group(name.neuron_path, level, name.module, name.neuron)
        return Group(name.module, level, name.module)
    parts = name.module.split(".")
    if len(parts) >= 3 and parts[-1].isdigit() and not parts[-2].isdigit():
        layer = ".".join(parts[:-2])  # "layers.0.neurons.1" -> "layers.0"
    else:
        layer = name.module
    return Group(name.module if level == "neuron" else layer, level, layer)


def group_of(label: str, level: str) -> str | None:
    """The name (:attr:`Group.key`) of the neuron or layer a parameter label belongs to, or
    ``None``: ``group_of("0.weight[1][2]", "neuron") == "0.neuron1"``. See :func:`parameter_group`.

    Raises:
        ValueError: ``level`` is not ``"neuron"`` or ``"layer"``.
    """
    group = parameter_group(label, level)
    return None if group is None else group.key


_G = TypeVar("_G", bound=Hashable)


def node_groups(trace: Trace, key: Callable[[str], _G | None]) -> dict[str, _G]:
    """Which group each node of ``trace`` belongs to, by node id (nodes of no group left out).

    ``key`` maps a parameter's label to its group (``functools.partial(parameter_group,
    level="neuron")``, :func:`group_of`, or a function of your own) or ``None``. Parameters go by
    their label; an op node joins the single group of its parameter operands, or, having none,
    the single group shared by all its operands when they are all op nodes (so
    ``tanh(sum(w*x))`` stays with its neuron and a loss stays outside).
    """
    group: dict[str, _G] = {}
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
        elif not from_params and all(not k.is_leaf for k in kids) and all(k.id in group for k in kids):
            inherited = {group[k.id] for k in kids}
            if len(inherited) == 1:
                group[n.id] = inherited.pop()
    return group


# ---- writing DOT -----------------------------------------------------------------------------


def _attrs(attrs: Mapping[str, str]) -> str:
    """``[key="value" ...]``: every value quoted (values are escaped by the caller)."""
    return "[" + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + "]"


def op_symbol(node: TraceNode, fmt: str = "{:.4g}") -> str:
    """What an op node shows: the op's symbol, and its constant argument when the op table says
    it has one (``"** 2"`` for ``x ** 2``)."""
    symbol = node.symbol or node.op
    op = OPS.get(node.op)
    if node.arg is not None and (op is None or op.arg):
        symbol = f"{symbol} {format_number(node.arg, fmt)}"
    return symbol


def dot_source(root: Value | Trace, **options: Any) -> str:
    """The DOT text of ``root``'s graph (a ``Value``) or of a recorded :class:`Trace`.

    ``options`` are :func:`draw_dot`'s, and these for pages that style the picture themselves
    (the stepper): ``ids`` (:class:`ElementIds`) names the elements, ``look`` (:class:`DotLook`)
    gives the attributes, ``fields`` (a function of a :class:`~microgradnet.viz.trace.TraceNode`
    returning the texts of its record; default its name, ``data …`` and, with ``show_grad``,
    ``grad …``), ``name`` and ``comment`` head the text.

    Raises:
        TypeError: ``root`` is neither a ``Value`` nor a ``Trace``, or an unknown option.
        ValueError: a bad option (see :func:`draw_dot`).
        GraphTooLargeError: more value nodes than ``max_nodes``
            (:data:`~microgradnet.viz.limits.MAX_NODES`; ``None`` for no limit).
    """
    return _write(root, **options)[0]


def _write(
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
    grads: str = "stored",
    max_nodes: int | None = MAX_NODES,
    ids: ElementIds = ElementIds(),
    look: DotLook = PICTURE_LOOK,
    fields: Callable[[TraceNode], Sequence[str]] | None = None,
    name: str = "microgradnet",
    comment: str = "drawn by microgradnet.viz.draw_dot",
    lang: str = "en",
) -> tuple[str, Trace]:
    words = strings(check_lang(lang))
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    check_number_format(fmt, "fmt")
    if grads not in GRADS:
        raise ValueError(f"grads must be 'stored' (what .grad holds) or 'backward', got {grads!r}")
    if collapse is not None and outline is not None:
        raise ValueError("give collapse= (one box per group) or outline= (frames around groups), not both")
    key = _group_key("collapse", collapse) if collapse is not None else _group_key("outline", outline)
    if not isinstance(root, (Value, Trace)):
        as_trace(root)  # type: ignore[unreachable]  # raises the TypeError
    size = len(root.nodes) if isinstance(root, Trace) else len(topological_order(root))
    check_size(size, "draw_dot", max_nodes, hint=_size_hint(collapse))
    highlight_id = _resolve(root, highlight)
    trace = as_trace(root, parameters)
    if isinstance(highlight, (str, Value)) and highlight_id is None:
        highlight_id = _find(trace, highlight)
    on_path = path_to_output(trace, highlight_id) if highlight_id is not None else set()
    grad_of = shown_grads(root, trace, grads)
    f = functools.partial(format_number, fmt=fmt)
    step_of = {(e.node, e.operand_index): e.step for e in trace.events}
    fast = len(trace.nodes) > FAST_LAYOUT_ABOVE
    deco, cls = look.decorate, look.classes
    if needs_font(lang):
        look = _with_script_font(look)

    graph_attrs = {"rankdir": rankdir, **look.graph}
    if fast:
        graph_attrs.update(mclimit="0.1", nslimit="0.05", nslimit1="0.05")
    lines = [f"// {comment}", f"digraph {name} {{", f"\tgraph {_attrs(graph_attrs)}"]
    if look.node:
        lines.append(f"\tnode {_attrs(look.node)}")
    if look.edge:
        lines.append(f"\tedge {_attrs(look.edge)}")

    groups = node_groups(trace, key) if key is not None else {}
    names = list(dict.fromkeys(groups[n.id] for n in trace.nodes if n.id in groups))  # first appearance
    boxes: dict[Hashable, str] = {}  # group -> its node id when collapsed
    cluster_lines: dict[Hashable, list[str]] = {}
    if collapse is not None:
        boxes = {g: f"group{j}" for j, g in enumerate(names)}
        lines += _box_lines(trace, groups, boxes, on_path, rankdir, f, grad_of, colors and deco, cls, words)
    else:
        cluster_lines = {g: [] for g in names}

    def shown(node_id: str) -> str:
        return boxes[groups[node_id]] if boxes and node_id in groups else node_id

    def stroke(on: bool, normal: str = "1") -> dict[str, str]:
        if not deco:
            return {}
        return {"color": PALETTE["highlight"] if on else PALETTE["line"], "penwidth": "3" if on else normal}

    def fill(color: str) -> dict[str, str]:
        return {"style": "filled", "fillcolor": color if colors else "#ffffff"} if deco else {}

    box_edges: dict[str, list[str]] = {}  # target box -> sources drawn into it
    for n in trace.nodes:
        if boxes and n.id in groups:
            # inside a box: only the edges that enter it from outside are drawn, once per source
            for child in n.children:
                source, target = shown(child), shown(n.id)
                into = box_edges.setdefault(target, [])
                if source != target and source not in into:
                    into.append(source)
                    into_box = {"id": f"{target}_in{len(into) - 1}", **stroke(child in on_path)}
                    if cls:
                        into_box["class"] = "edge-group"
                    lines.append(f"\t{source} -> {target} {_attrs(into_box)}")
            continue
        out = cluster_lines[groups[n.id]] if n.id in groups else lines
        indent = "\t\t" if n.id in groups else "\t"
        texts = list(fields(n)) if fields is not None else _fields(n, f, grad_of, show_grad, words)
        flip = look.stacked == (rankdir in ("TB", "BT"))
        hl = n.id in on_path
        attrs: dict[str, str] = {"label": record_label(texts, flip)}
        attrs.update(look.value)
        if deco:
            if n.role == "parameter":
                attrs["shape"] = "Mrecord"
            attrs["tooltip"] = escape_label(f"{n.name}: {words['role_' + n.role]}")
            attrs.update(fill(PALETTE[n.role]))
            attrs.update(stroke(hl, "2" if n.role == "output" else "1"))
            if not hl and n.role != "output":
                del attrs["penwidth"]
        attrs["id"] = ids.value.format(node=n.id)
        if cls:
            attrs["class"] = f"value role-{n.role}"
        out.append(f"{indent}{n.id} {_attrs(attrs)}")
        if n.is_leaf:
            continue
        op_id = f"{n.id}_op"
        symbol = op_symbol(n, fmt)
        op_attrs: dict[str, str] = {"label": escape_label(symbol)}
        if deco:
            op_attrs["shape"] = "circle" if len(symbol) <= 2 else "ellipse"
        op_attrs.update(look.op)
        op_attrs.update(fill(PALETTE["op"]))
        op_attrs.update(stroke(hl))
        op_attrs["id"] = ids.op.format(node=n.id)
        if cls:
            op_attrs["class"] = "op"
        out.append(f"{indent}{op_id} {_attrs(op_attrs)}")
        result = {"id": ids.result_edge.format(node=n.id), **stroke(hl)}
        if cls:
            result["class"] = "edge-result"
        lines.append(f"\t{op_id} -> {n.id} {_attrs(result)}")
        op = OPS.get(n.op)
        repeated = len(set(n.children)) < len(n.children)
        ordered = op is None or not op.commutative
        name_heads = deco and not fast and len(n.children) > 1 and (repeated or ordered)
        for j, child in enumerate(n.children):
            step = step_of[(n.id, j)]
            event = trace.events[step]
            edge: dict[str, str] = {}
            if show_local:
                value = f(event.local)
                text = value if event.formula_named == value else f"{event.formula_named} = {value}"
                edge["label"] = escape_label(text)
            if name_heads:
                edge.update(headlabel=escape_label(event.param), labelfontsize="9", labeldistance="1.6")
            if deco and child in on_path:
                edge.update(color=PALETTE["highlight"], penwidth="3")
            edge["id"] = ids.operand_edge.format(node=n.id, step=step, index=j)
            if cls:
                edge["class"] = "edge-operand"
            lines.append(f"\t{shown(child)} -> {op_id} {_attrs(edge)}")
    for j, (g, body) in enumerate(cluster_lines.items()):
        title = escape_label(_group_text(g, words))
        label = {"label": title, "id": f"cluster_{j}", "style": "rounded,dashed"}
        label.update(color="#666666", fontsize="11")
        lines += [f"\tsubgraph cluster_{j} {{", f"\t\tgraph {_attrs(label)}", *body, "\t}"]
    lines.append("}")
    return "\n".join(lines) + "\n", trace


def _fields(
    n: TraceNode,
    f: Callable[[float], str],
    grad_of: Mapping[str, float],
    show_grad: bool,
    words: Mapping[str, str],
) -> list[str]:
    texts = [n.name, f"{words['data']} {f(n.data)}"]
    if show_grad:
        texts.append(f"{words['grad']} {f(grad_of[n.id])}")
    return texts


def _with_script_font(look: DotLook) -> DotLook:
    """``look`` with the embedded Devanagari font first in every ``fontname`` (by the name pages
    embed it under, then by its own name, which a rasteriser loading the file matches)."""
    first = f"'{FONT_FAMILY}','{FONT_NAME}',"

    def font(attrs: Mapping[str, str]) -> dict[str, str]:
        return {k: first + v if k == "fontname" else v for k, v in attrs.items()}

    return DotLook(
        graph=font(look.graph),
        node=font(look.node),
        edge=font(look.edge),
        value=font(look.value),
        op=font(look.op),
        stacked=look.stacked,
        decorate=look.decorate,
        classes=look.classes,
    )


def _group_text(group: object, words: Mapping[str, str]) -> str:
    """What a box or frame calls its group: a neuron that is a row of a layer in the picture's
    language (``"0.neuron1"`` in English), any other group by its name."""
    if isinstance(group, Group):
        if group.row is not None:
            return words["group_neuron"].format(layer=group.layer, row=group.row)
        return group.key
    return str(group)


def _size_hint(collapse: object) -> str:
    if collapse is None:
        return "draw a network by neuron or layer with collapse='neuron' or 'layer'"
    return "collapse='layer' draws fewer boxes"


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
    grads: str = "stored",
    max_nodes: int | None = MAX_NODES,
    lang: str = "en",
) -> graphviz.Digraph:
    """Draw the graph of ``root`` (a ``Value``) or of a recorded :class:`Trace`.

    Args:
        root: the output ``Value`` (it is traced, which changes nothing) or a trace.
        rankdir: layout direction, ``"LR"`` (default), ``"TB"``, ``"RL"`` or ``"BT"``.
        fmt: a :meth:`str.format` pattern for numbers (``"{:.4f}"`` gives micrograd's look).
        show_grad: write each node's gradient in its box.
        show_local: write the local derivative ``formula = value`` on each operand edge.
        highlight: a node (its id ``"n3"``, its label or display name, or the ``Value``) to
            highlight together with its paths to the output.
        colors: fill nodes by role (input, parameter, intermediate, output) with a
            colour-blind-safe palette (:data:`PALETTE`); False draws black on white.
        collapse: ``"neuron"`` or ``"layer"`` draws each neuron or layer as one box (its name,
            its parameter and node counts, the value and gradient of its output(s)), so a whole
            MLP stays readable. Groups come from parameter names (:func:`group_of`), or from a
            function mapping a parameter label to a group name (``None``: no group).
        outline: like ``collapse`` but keeps every scalar node and draws a dashed frame
            around each group (the expanded view of the same network).
        parameters: when ``root`` is a ``Value``: which leaves are parameters (see
            :func:`~microgradnet.viz.trace.trace_backward`).
        grads: ``"stored"`` (default) writes the gradient each ``Value`` holds now, as
            micrograd's ``draw_dot`` does: ``0`` before ``backward()``, summed over calls until
            ``zero_grad()``. ``"backward"`` writes what one ``backward()`` call from ``root``
            would leave (the trace's numbers), without calling it.
        max_nodes: refuse graphs with more value nodes
            (:data:`~microgradnet.viz.limits.MAX_NODES`, 5,000; ``None``: no limit); graphs above
            1,000 nodes warn first (:class:`~microgradnet.viz.limits.LargeGraphWarning`).
        lang: the language of the words the picture writes (``"en"``, ``"ne"``; from
            :mod:`microgradnet.locales`): ``data`` and ``grad`` in each box, the role in each
            tooltip, a collapsed box's counts and a neuron's name. Names, numbers and formulas
            stay as they are. In Devanagari the picture names the font pages embed first, and
            its SVG and PNG (``_repr_*_``, :func:`~microgradnet.viz.pictures.render`) carry it.

    Returns:
        a ``graphviz.Digraph`` (``.source`` is the DOT text, :func:`dot_source`'s). In Jupyter it
        displays inline as SVG, rendered by the Graphviz program or, without it, in-process
        (:mod:`microgradnet.viz.rendering`). Its ``trace`` attribute is the trace it was drawn from.

    Raises:
        TypeError: ``root`` is neither a ``Value`` nor a ``Trace``; a label is not a ``str``.
        ValueError: an unknown ``rankdir``, ``collapse``, ``outline`` or ``grads``, both of
            ``collapse`` and ``outline`` given, a bad ``fmt``, or a ``highlight`` that names no node.
        GraphTooLargeError: the graph has more than ``max_nodes`` value nodes.
        ImportError: the ``graphviz`` package is missing (``pip install microgradnet[viz]``).
    """
    source, trace = _write(
        root,
        rankdir=rankdir,
        fmt=fmt,
        show_grad=show_grad,
        show_local=show_local,
        highlight=highlight,
        colors=colors,
        collapse=collapse,
        outline=outline,
        parameters=parameters,
        grads=grads,
        max_nodes=max_nodes,
        lang=lang,
    )
    header, _, body = source.partition("{\n")
    dot = _digraph_class()(name="microgradnet", comment="drawn by microgradnet.viz.draw_dot")
    dot.body = body.removesuffix("}\n").splitlines(keepends=True)
    if dot.source != source:  # pragma: no cover - a graphviz package that writes its header differently
        raise RuntimeError(f"graphviz.Digraph writes its header differently: {header!r}")
    dot.trace = trace
    dot.lang = lang
    return dot


def _group_key(
    option: str, value: str | Callable[[str], str | None] | None
) -> Callable[[str], Hashable | None] | None:
    if value is None:
        return None
    if callable(value):
        return value
    if value in ("neuron", "layer"):
        return functools.partial(parameter_group, level=value)
    raise ValueError(f"{option} must be None, 'neuron', 'layer' or a function, got {value!r}")


def _box_lines(
    trace: Trace,
    groups: Mapping[str, Hashable],
    boxes: Mapping[Hashable, str],
    on_path: set[str],
    rankdir: str,
    f: Callable[[float], str],
    grad_of: Mapping[str, float],
    colors: bool,
    classes: bool,
    words: Mapping[str, str],
) -> list[str]:
    """One record per group: its name, its size, and the data and grad of each output (a member
    used outside the group, or the root); an activation output is named by its op symbol."""
    used_outside = {c for n in trace.nodes for c in n.children if groups.get(c) != groups.get(n.id)}
    members: dict[Hashable, list[TraceNode]] = {g: [] for g in boxes}
    for n in trace.nodes:
        if n.id in groups:
            members[groups[n.id]].append(n)
    lines = []
    for g, box in boxes.items():
        inside = members[g]
        n_params = sum(1 for n in inside if n.role == "parameter")
        outputs = [n for n in inside if n.id in used_outside or n.id == trace.root]
        name = _group_text(g, words)
        rows = [name, words["box_size"].format(parameters=n_params, nodes=len(inside))]
        for o in outputs[:6]:
            op = OPS.get(o.op)
            act = f"{o.symbol}: " if op is not None and op.kind == "activation" else ""
            rows.append(f"{act}{words['data']} {f(o.data)}  {words['grad']} {f(grad_of[o.id])}")
        if len(outputs) > 6:
            rows.append(words["box_more"].format(k=len(outputs) - 6))
        hl = any(n.id in on_path for n in inside)
        attrs = {
            "label": record_label(rows, rankdir not in ("LR", "RL")),
            "shape": "Mrecord",
            "margin": "0.15,0.05",
            "id": box,
            "style": "filled",
            "fillcolor": PALETTE["group"] if colors else "#ffffff",
            "color": PALETTE["highlight"] if hl else PALETTE["line"],
            "penwidth": "3" if hl else "1.5",
            "tooltip": escape_label(name),
        }
        if classes:
            attrs["class"] = "group"
        lines.append(f"\t{box} {_attrs(attrs)}")
    return lines


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
    """A ``graphviz.Digraph`` whose Jupyter display renders through :mod:`.rendering`, so it
    works without the Graphviz program (imported on first use)."""
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - the viz extra is part of `make test`
        raise ImportError(
            "drawing graphs needs the graphviz package: pip install 'microgradnet[viz]'"
        ) from exc

    class Digraph(graphviz.Digraph):  # type: ignore[misc]
        """A ``graphviz.Digraph`` that renders without the Graphviz program when it is absent."""

        trace: Trace | None = None
        lang: str = "en"

        def _repr_image_svg_xml(self) -> str:
            return embed_font(dot_to_svg(self.source), self.lang)

        def _repr_image_png(self) -> bytes:
            return svg_to_png(script_runs(dot_to_svg(self.source)), font_files=font_files(self.lang))

        def _repr_image_jpeg(self) -> bytes:
            raise NotImplementedError("microgradnet pictures display as SVG or PNG")

    return Digraph
