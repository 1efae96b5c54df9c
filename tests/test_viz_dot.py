"""draw_dot: deterministic DOT text, one edge per operand, escaping, and the drawing options."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings

from microgradnet import Value, topological_order
from microgradnet.examples import load_example
from microgradnet.testing.strategies import expressions
from microgradnet.viz import draw_dot, render, trace_backward
from microgradnet.viz.dot import (
    PALETTE,
    RANKDIRS,
    Group,
    group_of,
    node_groups,
    parameter_group,
    path_to_output,
)
from microgradnet.viz.rendering import dot_to_svg

SVG = "{http://www.w3.org/2000/svg}"


def lecture_graph() -> Value:
    """The lecture's L = (a*b + c) * f at (2, -3, 10, -2), nodes labelled."""
    return load_example("lecture-expression").root


def tiny_mlp() -> tuple[Value, list[Value]]:
    """MLP(2, [2, 1]) by hand, parameters labelled as Module.named_parameters() names them."""
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    params: list[Value] = []

    def neuron(prefix: str, inputs: list[Value], act: bool) -> Value:
        w = [Value(0.1 * (k + 1), label=f"{prefix}.w[{k}]") for k in range(len(inputs))]
        b = Value(0.2, label=f"{prefix}.b")
        params.extend([*w, b])
        s = b
        for wi, xi in zip(w, inputs):
            s = s + wi * xi
        return s.tanh() if act else s

    hidden = [neuron(f"layers.0.neurons.{j}", x, True) for j in range(2)]
    out = neuron("layers.1.neurons.0", hidden, False)
    loss = (out - Value(1.0, label="y")) ** 2
    loss.label = "loss"
    return loss, params


def node_attrs(source: str) -> dict[str, str]:
    """Node name -> its attribute text, for value and op nodes."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s*(n\d+(?:_op)?) \[(.*)\]$", source, re.M)}


def test_same_program_gives_byte_identical_dot() -> None:
    first = draw_dot(lecture_graph()).source
    assert draw_dot(lecture_graph()).source == first  # a second, structurally equal graph
    L = lecture_graph()
    assert draw_dot(L).source == draw_dot(L).source == first
    assert "0x" not in first and str(id(L)) not in first


def test_drawing_changes_no_data_or_grad() -> None:
    L = lecture_graph()
    L.backward()
    before = [(n.data, n.grad) for n in topological_order(L)]
    draw_dot(L, show_local=True, highlight="a", collapse="neuron")
    assert [(n.data, n.grad) for n in topological_order(L)] == before
    loss, _ = tiny_mlp()
    before = [(n.data, n.grad) for n in topological_order(loss)]
    draw_dot(loss, collapse="layer")
    assert [(n.data, n.grad) for n in topological_order(loss)] == before


def test_each_operand_is_its_own_edge() -> None:
    a = Value(3.0, label="a")
    source = draw_dot(a * a).source
    assert re.findall(r'^\s*n0 -> n1_op \[.*id="(e\d)"', source, re.M) == ["e0", "e1"]
    assert 'headlabel="a"' in source and 'headlabel="b"' in source
    # an edge per operand, an edge per op result: lecture graph has 6 + 3
    assert len(re.findall(r" -> ", draw_dot(lecture_graph()).source)) == 9


def test_value_nodes_show_label_data_and_grad() -> None:
    attrs = node_attrs(draw_dot(lecture_graph(), grads="backward").source)
    assert 'label="{ a | data 2 | grad 6 }"' in attrs["n0"]
    assert 'label="{ b | data -3 | grad -4 }"' in attrs["n1"]
    assert 'label="*"' in attrs["n2_op"]
    no_grad = node_attrs(draw_dot(lecture_graph(), show_grad=False, fmt="{:.2f}").source)
    assert 'label="{ a | data 2.00 }"' in no_grad["n0"]


def grads_shown(source: str) -> dict[str, str]:
    return dict(re.findall(r'label="\{ (\S+) \| data \S+ \| grad (\S+) \}"', source))


def test_pictures_show_the_grad_the_values_hold_not_a_fresh_backward() -> None:
    # issue 12: w = 0.5, loss = (2w - 3)**2; d loss/dw = 4(2w - 3) = -8
    w = Value(0.5, label="w")
    loss = (w * 2 - 3) ** 2
    loss.label = "loss"
    assert grads_shown(draw_dot(loss).source)["w"] == "0"  # before backward(): what w.grad holds
    assert grads_shown(draw_dot(loss, grads="backward").source)["w"] == "-8"
    loss.backward()
    loss.backward()  # leaves accumulate: the forgotten zero_grad() is visible
    assert w.grad == -16.0
    assert grads_shown(draw_dot(loss).source)["w"] == "-16"
    # "what backward() would leave": interior gradients recomputed, leaves accumulate (-16 - 8)
    assert grads_shown(draw_dot(loss, grads="backward").source)["w"] == "-24"
    assert grads_shown(draw_dot(trace_backward(loss)).source)["w"] == "-24"  # a trace holds its pass
    w.grad = 0.0
    assert grads_shown(draw_dot(loss, grads="backward").source)["w"] == "-8"
    with pytest.raises(ValueError, match="grads must be"):
        draw_dot(loss, grads="fresh")


def test_labels_are_escaped_for_records_and_show_literally() -> None:
    nasty = 'a|b{c}<d>"e\\N'
    x = Value(1.0, label=nasty)
    y = x * 2.0
    y.label = "<script>alert(1)</script>"
    source = draw_dot(y).source
    assert 'a\\|b\\{c\\}\\<d\\>\\"e\\\\N' in source
    svg = dot_to_svg(source, backend_name="wasm")
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert nasty in texts and "<script>alert(1)</script>" in texts
    assert "<script>" not in svg  # XML-escaped in the SVG


@pytest.mark.parametrize("rankdir", RANKDIRS)
def test_rankdir(rankdir: str) -> None:
    assert f'rankdir="{rankdir}"' in draw_dot(lecture_graph(), rankdir=rankdir).source


def test_bad_options_raise_before_drawing() -> None:
    L = lecture_graph()
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(L, rankdir="UP")
    with pytest.raises(ValueError, match="collapse"):
        draw_dot(L, collapse="brain")
    with pytest.raises(ValueError, match="fmt"):
        draw_dot(L, fmt="{:q}")
    with pytest.raises(ValueError, match="highlight"):
        draw_dot(L, highlight="zz")
    with pytest.raises(ValueError, match="not part of this graph"):
        draw_dot(L, highlight=Value(1.0))
    with pytest.raises(TypeError, match="Value"):
        draw_dot(3.0)  # type: ignore[arg-type]


def test_show_local_writes_the_local_derivative_on_each_edge() -> None:
    source = draw_dot(lecture_graph(), show_local=True).source
    assert 'n0 -> n2_op [label="b = -3"' in source  # ∂e/∂a = b = -3
    assert 'n4 -> n6_op [label="f = -2"' in source  # ∂L/∂d = f = -2
    assert 'n2 -> n4_op [label="1" ' in source  # ∂d/∂e = 1: the number only
    assert "label=" not in draw_dot(lecture_graph()).source.split("n0 -> n2_op")[1].split("\n")[0]


def test_highlight_marks_the_node_and_its_paths_to_the_output() -> None:
    L = lecture_graph()
    a = topological_order(L)[0]
    for target in ("a", "n0", a):
        attrs = node_attrs(draw_dot(L, highlight=target).source)
        thick = {name for name, text in attrs.items() if 'penwidth="3"' in text}
        # a -> * -> e -> + -> d -> * -> L
        assert thick == {"n0", "n2_op", "n2", "n4_op", "n4", "n6_op", "n6"}
    assert path_to_output(trace_backward(L), "n3") == {"n3", "n4", "n6"}


def test_roles_are_coloured_with_the_palette_and_told_apart_without_colour() -> None:
    loss, params = tiny_mlp()
    attrs = node_attrs(draw_dot(loss).source)
    t = trace_backward(loss)
    for n in t.nodes:
        assert f'fillcolor="{PALETTE[n.role]}"' in attrs[n.id]
        assert f"role-{n.role}" in attrs[n.id]
        assert ('shape="Mrecord"' in attrs[n.id]) == (n.role == "parameter")
    assert {n.role for n in t.nodes} == {"input", "parameter", "intermediate", "output"}
    # the dotted-label convention agrees with an explicit parameters= list
    assert trace_backward(loss, parameters=params) == t
    plain = draw_dot(loss, colors=False).source
    assert all(PALETTE[r] not in plain for r in ("input", "parameter", "output"))


def clusters(source: str) -> list[set[str]]:
    out = []
    for body in re.findall(r"subgraph cluster_\d+ \{(.*?)\n\t\}", source, re.S):
        out.append(set(re.findall(r"^\s*(n\d+(?:_op)?) \[", body, re.M)))
    return out


def test_outline_frames_each_neuron_or_layer() -> None:
    loss, _ = tiny_mlp()
    t = trace_backward(loss)
    neurons = clusters(draw_dot(loss, outline="neuron").source)
    layers = clusters(draw_dot(loss, outline="layer").source)
    assert len(neurons) == 3 and len(layers) == 2
    # each neuron frame holds its parameters, its products, sums and activation
    names = [{t.node(i).name for i in box if not i.endswith("_op")} for box in neurons]
    hidden0 = next(box for box in names if "layers.0.neurons.0.b" in box)
    assert {"layers.0.neurons.0.w[0]", "layers.0.neurons.0.w[1]"} <= hidden0
    assert len([n for n in hidden0 if n.startswith("t")]) == 5  # 2 products, 2 sums, tanh
    by_size = sorted(layers, key=len)
    assert sorted(neurons, key=len)[0] == by_size[0]  # the output layer is its one neuron
    assert by_size[1] == set().union(*sorted(neurons, key=len)[1:])
    # the loss stays outside every frame
    inside = set().union(*neurons)
    assert t.root not in inside and t.by_name("y").id not in inside
    # a callable decides groups itself
    custom = clusters(draw_dot(loss, outline=lambda label: label.split(".")[1]).source)
    assert len(custom) == 2


def test_collapse_draws_each_neuron_or_layer_as_one_box() -> None:
    loss, _ = tiny_mlp()
    t = trace_backward(loss)
    source = draw_dot(loss, collapse="neuron").source
    boxes = dict(re.findall(r'^\s*(group\d+) \[label="([^"]*)"', source, re.M))
    assert sorted(b.split(" | ")[0] for b in boxes.values()) == [
        "layers.0.neurons.0",
        "layers.0.neurons.1",
        "layers.1.neurons.0",
    ]
    by_name = {label.split(" | ")[0]: box for box, label in boxes.items()}
    hidden = by_name["layers.0.neurons.0"]
    assert "3 parameters, 8 nodes" in boxes[hidden]
    # the box shows its output (the tanh) with its data and grad
    tanhs = [n for n in t.nodes if n.op == "tanh"]
    assert f"tanh: data {tanhs[0].data:.4g}  grad 0" in boxes[hidden]  # the grad it holds: none yet
    shown = draw_dot(loss, collapse="neuron", grads="backward").source
    boxes = dict(re.findall(r'^\s*(group\d+) \[label="([^"]*)"', shown, re.M))
    assert sum(f"tanh: data {o.data:.4g}  grad {o.grad:.4g}" in boxes[hidden] for o in tanhs) == 1
    # parameters are inside the boxes, not drawn; inputs feed the hidden boxes, those the output box
    assert "layers.0.neurons.0.w" not in source.replace(boxes[hidden], "")
    edges = set(re.findall(r'^\s*(\w+) -> (\w+) \[.*class="edge-group"', source, re.M))
    x0, x1 = t.by_name("x0").id, t.by_name("x1").id
    out = by_name["layers.1.neurons.0"]
    assert edges == {
        (x, by_name[h]) for x in (x0, x1) for h in ("layers.0.neurons.0", "layers.0.neurons.1")
    } | {
        (by_name["layers.0.neurons.0"], out),
        (by_name["layers.0.neurons.1"], out),
    }
    # the output box feeds the loss through the loss's own operand edge
    sub = next(n for n in t.nodes if n.op == "sub")
    assert f"{out} -> {sub.id}_op" in source
    layers = re.findall(r"^\s*group\d+ \[", draw_dot(loss, collapse="layer").source, re.M)
    assert len(layers) == 2
    with pytest.raises(ValueError, match="not both"):
        draw_dot(loss, collapse="neuron", outline="layer")


def test_group_of_reads_dotted_parameter_names() -> None:
    assert group_of("layers.0.neurons.1.w[2]", "neuron") == "layers.0.neurons.1"
    assert group_of("layers.0.neurons.1.w.2", "neuron") == "layers.0.neurons.1"
    assert group_of("layers.0.neurons.1.b", "layer") == "layers.0"
    assert group_of("0.weight[1][2]", "neuron") == "0.neuron1"
    assert group_of("w1", "neuron") is None
    with pytest.raises(ValueError, match="neuron"):
        group_of("a.b", "brain")


def test_parameter_groups_are_data_built_from_the_parts_of_the_name() -> None:
    # a row of a PyTorch-style layer: the neuron knows its layer and its row, no name to re-parse
    assert parameter_group("0.weight[1][2]", "neuron") == Group("0.neuron1", "neuron", "0", 1)
    assert parameter_group("0.bias[1]", "layer") == Group("0", "layer", "0")
    # micrograd's modules: the neuron is a module of its own (no row), inside layer "layers.0"
    neuron = Group("layers.0.neurons.1", "neuron", "layers.0")
    assert parameter_group("layers.0.neurons.1.w[2]", "neuron") == neuron
    assert parameter_group("layers.0.neurons.1.b", "layer") == Group("layers.0", "layer", "layers.0")
    # a module that happens to be called neuron3 is a module, not row 3 of a layer called net
    assert parameter_group("net.neuron3.w[0]", "neuron") == Group("net.neuron3", "neuron", "net.neuron3")
    assert parameter_group("w1", "layer") is None
    for label in ("0.weight[1][2]", "layers.0.neurons.1.w.2", "fc.b", "x"):
        for level in ("neuron", "layer"):
            group = parameter_group(label, level)
            assert group_of(label, level) == (None if group is None else group.key)


def test_node_groups_puts_each_neurons_ops_with_its_parameters() -> None:
    from microgradnet.nn import MLP

    out = MLP(2, [2, 1], seed=0)([0.5, -1.0])
    trace = trace_backward(out)
    by_key = node_groups(trace, lambda label: group_of(label, "neuron"))
    as_data = node_groups(trace, lambda label: parameter_group(label, "neuron"))
    assert by_key == {node: group.key for node, group in as_data.items()}
    assert set(by_key.values()) == {"0.neuron0", "0.neuron1", "1.neuron0"}
    # the output (tanh of the last neuron's sum) belongs to that neuron; the inputs to none
    assert by_key[trace.root] == "1.neuron0"
    assert not {n.id for n in trace.nodes if n.role == "input"} & set(by_key)


def test_displays_inline_in_jupyter_without_the_dot_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRADNET_GRAPHVIZ", "wasm")
    monkeypatch.setenv("PATH", "")
    graph = draw_dot(lecture_graph())
    bundle = graph._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and 'id="n6"' in svg
    png = graph._repr_mimebundle_(include=["image/png"])["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert graph.trace is not None and graph.trace.root == "n6"


@given(expressions())
@settings(max_examples=15)
def test_every_edge_event_is_one_drawn_edge(expr) -> None:  # type: ignore[no-untyped-def]
    out = expr.fn(*(Value(v, label=f"x{i}") for i, v in enumerate(expr.inputs)))
    t = trace_backward(out)
    source = draw_dot(t, show_local=True).source
    ids = re.findall(r'\bid="(e\d+)"', source)
    assert sorted(ids, key=lambda s: int(s[1:])) == [f"e{e.step}" for e in t.events]
    for e in t.events:
        assert re.search(rf'^\s*{e.operand} -> {e.node}_op \[.*\bid="e{e.step}"', source, re.M)
    assert draw_dot(t, show_local=True).source == source


def test_collapse_groups_microgradnet_nn_parameters_by_neuron_and_layer() -> None:
    from microgradnet.nn import MLP

    model = MLP(2, [3, 2, 1], seed=0)
    assert group_of("0.weight[2][1]", "neuron") == "0.neuron2"
    assert group_of("0.bias[2]", "neuron") == "0.neuron2"
    assert group_of("1.weight[0][2]", "layer") == "1"
    out = model([0.5, -1.0])
    by_neuron = draw_dot(out, collapse="neuron").source
    by_layer = draw_dot(out, collapse="layer").source
    # one box per neuron (3 + 2 + 1) and per layer (3); no scalar weight is drawn on its own
    assert (
        sum(
            f"{layer}.neuron{k}" in by_neuron for layer, n in (("0", 3), ("1", 2), ("2", 1)) for k in range(n)
        )
        == 6
    )
    assert "weight[" not in by_neuron and "weight[" not in by_layer


def test_ampersands_survive_graphviz_entity_decoding(tmp_path: Path) -> None:
    x = Value(1.0, label="x&amp;y")
    y = x * 2
    y.label = "R&D"
    svg = render(y, tmp_path / "amp.svg").read_text()
    # Graphviz writes a literal & as &amp; in SVG, so the label "x&amp;y" must appear as x&amp;amp;y
    assert "x&amp;amp;y" in svg and "R&amp;D" in svg


def test_a_registered_op_with_metadata_is_drawn_and_narrated_like_a_builtin() -> None:
    from microgradnet import apply, register_op
    from microgradnet.ops import OPS

    # "times" is mul under another name; "clip" routes like relu; "twice" has a constant argument
    try:
        register_op(
            "times", forward="a * b", grads=["b", "a"], params=["a", "b"], symbol="×",
            commutative=True, gate="swap", kind="arithmetic",
        )  # fmt: skip
        register_op("clip", forward="relu(x)", grads=["step(x)"], params=["x"], gate="route", kind="activation")  # fmt: skip  # noqa: E501
        register_op("scaled", forward="x * n", grads=["n"], params=["x"], arg="n", symbol="scale", gate="scale")  # fmt: skip  # noqa: E501
        a, b = Value(2.0, label="a"), Value(-3.0, label="b")
        mine, builtin = apply("times", a, b), a * b
        mine.label = builtin.label = "L"
        t_mine, t_builtin = trace_backward(mine), trace_backward(builtin)
        # same narration, word for word, but for the symbol
        for e_mine, e_builtin in zip(t_mine.events, t_builtin.events):
            assert t_mine.narration(e_mine) == t_builtin.narration(e_builtin).replace("*", "×")
        # commutative: no operand names at the arrow heads, as for *
        assert "headlabel" not in draw_dot(mine).source and "headlabel" not in draw_dot(builtin).source
        assert "headlabel" in draw_dot(a - b).source  # sub's operands are ordered
        x = Value(-1.0, label="x")
        closed = trace_backward(apply("clip", x))
        assert "gate is closed" in closed.narration(0)
        assert closed.narration(0) == trace_backward(x.relu()).narration(0).replace("ReLU", "clip")
        scaled = apply("scaled", Value(2.0, label="x"), arg=3.0)
        assert 'label="scale 3"' in draw_dot(scaled).source  # the constant argument is shown
        assert "scales the upstream gradient 1 by 3" in trace_backward(scaled).narration(0)
        # an activation is named in a collapsed neuron's box
        w = Value(0.5, label="n.w[0]")
        out = apply("clip", w * x)
        assert "clip: data 0" in draw_dot(out, collapse="neuron").source
    finally:
        for name in ("times", "clip", "scaled"):
            OPS.pop(name, None)


def test_op_metadata_is_checked_at_registration() -> None:
    from microgradnet import register_op
    from microgradnet.ops import OPS

    with pytest.raises(ValueError, match="gate must be one of"):
        register_op("bad1", forward="x", grads=["1"], params=["x"], gate="teleport")
    with pytest.raises(ValueError, match="2 parameter"):
        register_op("bad2", forward="a + b", grads=["1", "1"], params=["a", "b"], gate=("pass",))
    with pytest.raises(ValueError, match="kind must be one of"):
        register_op("bad3", forward="x", grads=["1"], params=["x"], kind="magic")
    with pytest.raises(TypeError, match="commutative"):
        register_op("bad4", forward="x", grads=["1"], params=["x"], commutative="yes")  # type: ignore[arg-type]
    assert not {"bad1", "bad2", "bad3", "bad4"} & set(OPS)
    # every built-in row says how its gradient flows where the narration has a special sentence
    assert OPS["sub"].gate_of(1) == "negate" and OPS["mul"].gate_of(0) == "swap"
    assert OPS["sum"].gate_of(7, 9) == "pass" and OPS["dot"].gate_of(3, 4) == "swap"
    assert {n for n, op in OPS.items() if op.kind == "activation"} >= {"tanh", "relu", "sigmoid"}


def test_labels_never_break_graphviz_or_the_svg() -> None:
    # control characters, NUL, and names that look like Graphviz HTML labels (issue 10, item 16)
    nasty = ["tab\there", "nul\x00byte", "bell\x07", "del\x7f", "<b>bold</b>", "<x>", "‹…>"]
    leaves = [Value(float(k + 1), label=text) for k, text in enumerate(nasty)]
    out = leaves[0]
    for leaf in leaves[1:]:
        out = out + leaf
    out.label = "<out>"
    source = draw_dot(out).source
    assert "\x00" not in source and "\x07" not in source and "=<" not in source  # no HTML label
    svg = dot_to_svg(source, backend_name="wasm")
    root = ET.fromstring(svg)  # well-formed XML
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"tab␉here", "nul␀byte", "bell␇", "del␡", "<b>bold</b>", "<x>", "‹…>", "<out>"} <= texts
    # group names reach Graphviz as plain text too
    w = Value(1.0, label="<layer>.w[0]")
    framed = draw_dot(w * Value(2.0, label="x"), outline="neuron").source
    assert 'label="<layer>"' in framed
    ET.fromstring(dot_to_svg(framed, backend_name="wasm"))


def test_a_label_with_a_lone_surrogate_is_drawn_escaped(tmp_path: Path) -> None:
    # audit of issue 10, 3a: render() crashed with UnicodeEncodeError (UTF-8 has no surrogates)
    from microgradnet.viz import export_html

    x = Value(3.0, label="x\ud800y")
    out = x * x
    out.label = "L\udfff"
    trace = trace_backward(out)
    assert [n.name for n in trace.nodes] == ["x\\ud800y", "L\\udfff"]  # escaped, like "x\ud800y"
    assert trace.nodes[-1].grad == 1.0 and trace.nodes[0].grad == 6.0
    trace.to_json().encode("utf-8")
    render(out, tmp_path / "s.svg")
    texts = {t.text for t in ET.parse(tmp_path / "s.svg").getroot().iter(f"{SVG}text")}
    assert {"x\\ud800y", "L\\udfff"} <= texts
    export_html(out, tmp_path / "s.html")
    assert "x\\\\ud800y" in (tmp_path / "s.html").read_text(encoding="utf-8")  # JSON of x\ud800y
    assert x.label == "x\ud800y"  # the graph is not changed


def test_a_label_that_is_not_a_string_is_a_clear_error() -> None:
    x = Value(1.0, label="x")
    y = x * 2
    with pytest.raises(TypeError, match=r"Value\.label must be a str, got 5"):
        y.label = 5  # type: ignore[assignment]  # refused when set (engine)
    Value.__dict__["_label"].__set__(y, 5)  # written past the check, straight into the slot
    with pytest.raises(TypeError, match=r"Value\.label must be a str, got 5"):
        draw_dot(y)
    with pytest.raises(TypeError, match="label"):
        trace_backward(y)


def test_a_variable_named_like_the_output_gets_its_own_name() -> None:
    # the key once listed both "∂L/∂L = 1" and "∂L/∂L = 2"
    L_input = Value(1.0, label="L")
    out = L_input * 2
    out.label = "L"
    t = trace_backward(out)
    assert [n.name for n in t.nodes] == ["L_2", "c1", "L"]
    assert t.grads() == {"L_2": 2.0, "c1": 1.0, "L": 1.0}
    assert t.text().split("gradients:")[1].count("∂L/∂L =") == 1
    # repeated labels anywhere get distinct names, and generated names avoid them
    a1, a2 = Value(1.0, label="a"), Value(2.0, label="a")
    c = Value(3.0, label="c1")
    names = [n.name for n in trace_backward(a1 * a2 + c * 4.0).nodes]
    assert len(set(names)) == len(names) and {"a", "a_2", "c1"} <= set(names)


def test_size_is_said_up_front_and_huge_graphs_are_refused() -> None:
    from microgradnet import apply
    from microgradnet.viz.dot import dot_source
    from microgradnet.viz.limits import MAX_NODES, WARN_NODES, GraphTooLargeError, LargeGraphWarning

    a = Value(2.0, label="a")
    huge = apply("sum", *[a * a for _ in range(MAX_NODES)])  # MAX_NODES + 2 value nodes
    with pytest.raises(GraphTooLargeError, match=rf"{MAX_NODES + 2:,} value nodes.*collapse="):
        dot_source(huge)
    with pytest.raises(GraphTooLargeError, match="max_nodes"):
        draw_dot(huge, max_nodes=100)
    # 3,000 value nodes stay allowed, with a warning that names the size
    big = apply("sum", *[a * a for _ in range(2998)])
    assert WARN_NODES < 3000
    with pytest.warns(LargeGraphWarning, match="3,000 value nodes"):
        source = dot_source(big)
    assert source.count(" -> ") == 2998 * 4 + 1 and "mclimit" in source  # laid out for speed
    with pytest.raises(TypeError, match="max_nodes"):
        dot_source(a * a, max_nodes="many")  # type: ignore[arg-type]


def test_one_dot_writer_serves_every_picture() -> None:
    # (the stepper page lays its graph out itself, in its script: it writes no DOT)
    from microgradnet.viz.dot import DotLook, ElementIds, dot_source

    L = lecture_graph()
    assert draw_dot(L).source == dot_source(L)
    plain = dot_source(
        L,
        ids=ElementIds(value="x{node}"),
        look=DotLook(decorate=False, classes=False),
        fields=lambda n: [n.name],
    )
    assert 'n0 [label="{ a }" id="xn0"]' in plain and "class=" not in plain and "fillcolor" not in plain
