"""Parameter names as data: Module.parameter_names() and parse_parameter_name() take apart the
names named_parameters() writes, so no other module parses them with regexes."""

from __future__ import annotations

from microgradnet.nn import MLP, Layer, Module, Neuron, ParameterName, Sequential, Tanh, parse_parameter_name


def test_mlp_parameter_names_locate_every_weight_and_bias() -> None:
    model = MLP(3, [4, 2], seed=0)
    names = model.parameter_names()
    assert [(p.name, v) for p, v in names] == model.named_parameters()
    for p, v in names:
        assert v.label == p.name and p.group == p.kind and p.kind in ("weight", "bias")
        layer = model.layers[int(p.module)]
        assert p.neuron is not None
        if p.kind == "weight":
            assert p.input is not None and layer.weight[p.neuron][p.input] is v
        else:
            assert p.input is None and layer.bias[p.neuron] is v
        assert p.neuron_path == f"{p.module}.neuron{p.neuron}"
    assert sum(p.kind == "weight" for p, _ in names) == 3 * 4 + 4 * 2


def test_micrograd_style_modules_and_lone_neurons() -> None:
    class Net(Module):
        def __init__(self) -> None:
            self.layers = [Sequential(Layer(2, 2, seed=0), Tanh())]
            self.head = Neuron(2, seed=1)

    net = Net()
    names = {p.name: p for p, _ in net.parameter_names()}
    assert names["layers.0.0.weight[1][0]"] == ParameterName(
        "layers.0.0.weight[1][0]", "layers.0.0", "weight", "weight", 1, 0
    )
    head_w = names["head.w[1]"]
    assert (head_w.module, head_w.kind, head_w.neuron, head_w.input) == ("head", "weight", None, 1)
    assert head_w.neuron_path == "head"
    assert names["head.b"].kind == "bias" and names["head.b"].input is None
    lone = dict((p.name, p) for p, _ in Neuron(3, seed=0).parameter_names())
    assert lone["w[2]"] == ParameterName("w[2]", "", "w", "weight", None, 2)


def test_parse_parameter_name_reads_dotted_labels_and_refuses_the_rest() -> None:
    assert parse_parameter_name("layers.0.neurons.1.w.2") == ParameterName(
        "layers.0.neurons.1.w.2", "layers.0.neurons.1", "w", "weight", None, 2
    )
    assert parse_parameter_name("fc1.bias[3]") == ParameterName("fc1.bias[3]", "fc1", "bias", "bias", 3, None)
    scale = ParameterName("net.scale", "net", "scale", "scale", None, None)
    assert parse_parameter_name("net.scale") == scale
    for not_a_name in ("w1", "x", "", "a .b", "a..b", ".w", "w."):
        assert parse_parameter_name(not_a_name) is None, not_a_name
    assert parse_parameter_name(5) is None  # type: ignore[arg-type]


def test_a_leaf_is_a_parameter_when_its_label_is_a_parameter_name() -> None:
    from microgradnet.viz.trace import is_parameter_label

    names = ["0.weight[2][1]", "layers.0.neurons.1.w[0]", "fc1.bias[0]", "x.1", "a[0].b", "head.b"]
    others = ["a", "w1", "x", "", ".w", "w.", "a..b", "a b.c", "L_2"]
    assert all(is_parameter_label(n) for n in names)
    assert not any(is_parameter_label(n) for n in others)
    model = MLP(2, [2, 1], seed=0)
    assert all(is_parameter_label(v.label) for v in model.parameters())
