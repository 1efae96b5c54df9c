"""microgradnet.nn: modules, parameters, initialisation, saving/loading, the lesson's layers."""

from __future__ import annotations

import json
import math
import random
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from microgradnet import Value, losses, nn, optim
from microgradnet.testing import gradcheck

# ---- micrograd's Neuron / Layer / MLP ------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_dot_neuron_equals_sum_of_products_neuron(activation: str) -> None:
    rng = random.Random(7)
    n = nn.Neuron(5, activation, seed=1)
    xs = [Value(rng.uniform(-2, 2)) for _ in range(5)]
    out = n(xs)
    # micrograd's Neuron: act(sum((wi*xi for wi, xi in zip(self.w, x)), self.b))
    pre = sum((wi * xi for wi, xi in zip(n.w, xs)), n.b)
    ref = {"tanh": pre.tanh, "relu": pre.relu, "sigmoid": pre.sigmoid, "linear": lambda: pre}[activation]()
    assert out.data == pytest.approx(ref.data, abs=1e-12)
    out.backward()
    ours = [p.grad for p in n.parameters()] + [x.grad for x in xs]
    for v in [*n.parameters(), *xs]:
        v.grad = 0.0
    ref.backward()
    theirs = [p.grad for p in n.parameters()] + [x.grad for x in xs]
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_neuron_pre_activation_is_one_dot_node_plus_bias() -> None:
    n = nn.Neuron(4, "linear", seed=0)
    out = n([1.0, 2.0, 3.0, 4.0])
    assert out.op == "add"
    dot, b = out.children
    assert dot.op == "dot" and b is n.b
    assert len(dot.children) == 8


def test_mlp_hidden_layers_use_the_activation_and_the_last_is_linear() -> None:
    m = nn.MLP(3, [4, 5, 2], activation="tanh", seed=0)
    assert [layer.activation for layer in m.layers] == ["tanh", "tanh", "linear"]
    assert [(layer.nin, layer.nout) for layer in m.layers] == [(3, 4), (4, 5), (5, 2)]
    out = m([0.1, 0.2, 0.3])
    assert isinstance(out, list) and len(out) == 2
    # recompute by hand from the parameters
    h = [0.1, 0.2, 0.3]
    for k, layer in enumerate(m.layers):
        z = [sum(w.data * x for w, x in zip(row, h)) + b.data for row, b in zip(layer.weight, layer.bias)]
        h = [math.tanh(v) for v in z] if k < 2 else z
    assert [o.data for o in out] == pytest.approx(h, abs=1e-12)


def test_mlp_single_output_is_a_value_and_one_neuron_layers_work() -> None:
    m = nn.MLP(2, [16, 1, 1], seed=3)
    out = m([0.5, -1.5])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0 for p in m.parameters())
    assert len(m.parameters()) == (2 * 16 + 16) + (16 + 1) + (1 + 1)


def test_micrograd_moons_model_has_337_parameters() -> None:
    # micrograd's demo.ipynb prints "number of parameters 337" for MLP(2, [16, 16, 1])
    assert len(nn.MLP(2, [16, 16, 1]).parameters()) == 337


def test_layer_with_one_neuron_returns_a_value_and_linear_returns_a_list() -> None:
    assert isinstance(nn.Layer(2, 1, seed=0)([1, 2]), Value)
    out = nn.Linear(2, 1, seed=0)([1, 2])
    assert isinstance(out, list) and len(out) == 1


def test_models_accept_batches_and_numpy_rows() -> None:
    m = nn.MLP(2, [3, 2], seed=0)
    X = np.array([[0.5, -1.0], [2.0, 3.0]])
    batch = m(X)
    assert len(batch) == 2
    for row, out in zip(X, batch):
        assert [o.data for o in m(row)] == [o.data for o in out]
        assert [o.data for o in m([float(v) for v in row])] == [o.data for o in out]
    assert isinstance(m([1, 2])[0], Value)  # ints are numbers too


def test_wrong_input_length_names_the_module() -> None:
    with pytest.raises(ValueError, match=r"^Linear\(3, 2\) expects 3 inputs, got 4$"):
        nn.Linear(3, 2)([1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"Layer\(2, 4, activation='relu'\) expects 2 inputs, got 1"):
        nn.MLP(2, [4, 1])([1.0])
    with pytest.raises(TypeError, match="input 1 must be a number or a Value, got 'x'"):
        nn.Neuron(2)([1.0, "x"])
    with pytest.raises(TypeError, match="sequence of 2 numbers"):
        nn.Neuron(2)("ab")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nn.MLP(2, []), "non-empty list"),
        (lambda: nn.MLP(2, 3), "non-empty list"),  # type: ignore[arg-type]
        (lambda: nn.MLP(2, [4, 0]), "positive int"),
        (lambda: nn.MLP(0, [4]), "nin must be a positive int"),
        (lambda: nn.Layer(2, 3, "softplus"), "activation must be one of"),
        (lambda: nn.Linear(2, 3, init="glorot"), "init must be one of"),
        (lambda: nn.Neuron(2, seed=1, rng=random.Random(1)), "not both"),
    ],
)
def test_bad_constructor_arguments_raise_value_error(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_bad_seed_or_rng_type_raises_type_error() -> None:
    with pytest.raises(TypeError, match="seed must be an int"):
        nn.Neuron(2, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"rng must be a random\.Random"):
        nn.Neuron(2, rng=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a Module"):
        nn.Sequential(nn.Tanh(), lambda x: x)  # type: ignore[arg-type]


def test_reprs_read_like_constructors() -> None:
    assert repr(nn.MLP(2, [16, 16, 1])) == "MLP(2, [16, 16, 1], activation='relu')"
    assert repr(nn.Layer(2, 3, "tanh")) == "Layer(2, 3, activation='tanh')"
    assert repr(nn.Neuron(2, "sigmoid")) == "Neuron(2, activation='sigmoid')"
    assert repr(nn.Linear(2, 10)) == "Linear(2, 10)"
    seq = nn.Sequential(nn.Linear(2, 10), nn.Tanh(), nn.Linear(10, 2), nn.Softmax())
    assert repr(seq) == (
        "Sequential(\n  (0): Linear(2, 10)\n  (1): Tanh()\n  (2): Linear(10, 2)\n  (3): Softmax()\n)"
    )
    assert repr(nn.Sequential(nn.Sequential(nn.ReLU()))) == (
        "Sequential(\n  (0): Sequential(\n    (0): ReLU()\n  )\n)"
    )


# ---- initialisation ------------------------------------------------------------------------


def test_same_seed_same_weights_and_different_seed_different_weights() -> None:
    a = nn.MLP(2, [8, 8, 1], seed=42).state_dict()
    b = nn.MLP(2, [8, 8, 1], seed=42).state_dict()
    c = nn.MLP(2, [8, 8, 1], seed=43).state_dict()
    assert a == b
    assert a != c


def test_rng_argument_draws_from_the_given_generator() -> None:
    r1, r2 = random.Random(5), random.Random(5)
    assert nn.Linear(3, 4, rng=r1).state_dict() == nn.Linear(3, 4, rng=r2).state_dict()
    r3 = random.Random(5)
    first = nn.Linear(3, 4, rng=r3).state_dict()
    second = nn.Linear(3, 4, rng=r3).state_dict()
    assert first != second


def test_uniform_init_is_micrograds_u_minus_one_one_for_weights_and_biases() -> None:
    m = nn.Layer(50, 40, seed=0)
    ws = [w.data for row in m.weight for w in row]
    bs = [b.data for b in m.bias]
    assert all(-1 <= x <= 1 for x in ws + bs)
    assert min(ws) < -0.95 and max(ws) > 0.95
    assert statistics.pstdev(ws) == pytest.approx(1 / math.sqrt(3), rel=0.05)
    assert len(set(bs)) == 40


@pytest.mark.parametrize(
    ("init", "std"),
    [
        ("lesson", 1 / math.sqrt(400)),  # np.random.normal(0, 1.0/np.sqrt(nin)) in the notebook
        ("he", math.sqrt(2 / 400)),
        ("xavier", math.sqrt(6 / (400 + 50)) / math.sqrt(3)),  # U(-a, a) has std a/√3
    ],
)
def test_scaled_inits_have_the_documented_spread_and_zero_bias(init: str, std: float) -> None:
    m = nn.Linear(400, 50, init=init, seed=1)
    ws = [w.data for row in m.weight for w in row]
    assert statistics.fmean(ws) == pytest.approx(0, abs=3 * std / math.sqrt(len(ws)) * 2)
    assert statistics.pstdev(ws) == pytest.approx(std, rel=0.03)
    assert all(b.data == 0.0 for b in m.bias)
    if init == "xavier":
        assert max(abs(w) for w in ws) <= math.sqrt(6 / 450)


def test_zeros_init() -> None:
    assert all(v == 0.0 for v in (p.data for p in nn.Linear(3, 2, init="zeros").parameters()))


# ---- names, labels, parameter groups -------------------------------------------------------


def test_named_parameters_are_dotted_deterministic_and_match_labels() -> None:
    m = nn.MLP(2, [3, 1], seed=0)
    names = [name for name, _ in m.named_parameters()]
    assert names[:7] == [
        "0.weight[0][0]",
        "0.weight[0][1]",
        "0.weight[1][0]",
        "0.weight[1][1]",
        "0.weight[2][0]",
        "0.weight[2][1]",
        "0.bias[0]",
    ]
    assert names[-1] == "1.bias[0]"
    assert len(names) == len(set(names)) == 13
    assert all(p.label == name for name, p in m.named_parameters())
    assert [p for _, p in m.named_parameters()] == m.parameters()
    assert [name for name, _ in nn.Neuron(2).named_parameters()] == ["w[0]", "w[1]", "b"]


def test_sequential_relabels_its_modules_parameters() -> None:
    lin = nn.Linear(2, 2)
    assert lin.weight[1][0].label == "weight[1][0]"
    seq = nn.Sequential(nn.Tanh(), lin)
    assert lin.weight[1][0].label == "1.weight[1][0]"
    assert list(seq.state_dict()) == ["1.weight", "1.bias"]
    assert len(seq) == 2 and seq[1] is lin and list(seq) == [seq[0], lin]


def test_weight_groups_give_each_layers_weights_without_biases() -> None:
    m = nn.MLP(2, [3, 1], seed=0)
    groups = m.weight_groups()
    assert [name for name, _ in groups] == ["0.weight", "1.weight"]
    assert groups[0][1] == [w for row in m.layers[0].weight for w in row]
    assert len(groups[1][1]) == 3
    seq = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    assert [name for name, _ in seq.weight_groups()] == ["0.weight", "2.weight"]
    assert [name for name, _ in nn.Neuron(3).weight_groups()] == ["w"]


def test_zero_grad_resets_every_parameter() -> None:
    m = nn.MLP(2, [3, 1], seed=0)
    m([1.0, 2.0]).backward()
    assert any(p.grad for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_a_weight_replaced_by_a_number_is_reported() -> None:
    lin = nn.Linear(2, 2)
    lin.weight[0][1] = 0.5  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"weight\[0\]\[1\] is 0.5 \(float\), not a Value"):
        lin.parameters()


# ---- state_dict / load_state_dict ----------------------------------------------------------


def test_state_dict_round_trips_through_json() -> None:
    src = nn.MLP(3, [4, 2], seed=1)
    state = json.loads(json.dumps(src.state_dict()))
    assert state["0.weight"] == [[w.data for w in row] for row in src.layers[0].weight]
    assert len(state["0.weight"]) == 4 and len(state["0.weight"][0]) == 3
    assert state["1.bias"] == [b.data for b in src.layers[1].bias]
    dst = nn.MLP(3, [4, 2], seed=2)
    before = dst.parameters()
    dst.load_state_dict(state)
    assert dst.parameters() == before  # same Value objects: an optimizer keeps working
    x = [0.3, -0.2, 0.9]
    assert [o.data for o in dst(x)] == [o.data for o in src(x)]
    assert dst.state_dict() == src.state_dict()


def test_neuron_state_dict_has_a_scalar_bias() -> None:
    n = nn.Neuron(2, seed=0)
    state = n.state_dict()
    assert state == {"w": [n.w[0].data, n.w[1].data], "b": n.b.data}
    m = nn.Neuron(2, seed=1)
    m.load_state_dict(state)
    assert m.state_dict() == state


def test_load_state_dict_accepts_numpy_arrays() -> None:
    src = nn.Linear(3, 2, seed=0)
    arrays = {k: np.asarray(v) for k, v in src.state_dict().items()}
    dst = nn.Linear(3, 2, seed=9)
    dst.load_state_dict(arrays)
    assert dst.state_dict() == src.state_dict()


def _broken_states() -> list[tuple[str, object, type[Exception], str]]:
    good = nn.MLP(2, [3, 1], seed=0).state_dict()
    missing = dict(good)
    del missing["1.bias"]
    extra = {**good, "2.weight": [[1.0]]}
    short_row = {**good, "0.weight": [[1.0, 2.0], [3.0, 4.0], [5.0]]}
    few_rows = {**good, "0.weight": [[1.0, 2.0]]}
    text = {**good, "1.bias": ["0.5"]}
    boolean = {**good, "1.bias": [True]}
    flat = {**good, "0.weight": [1.0, 2.0, 3.0]}
    return [
        ("missing key", missing, ValueError, r"missing keys \['1.bias'\]"),
        ("unexpected key", extra, ValueError, r"unexpected keys \['2.weight'\]"),
        (
            "short row",
            short_row,
            ValueError,
            r"'0.weight'\[2\] has length 1, expected 2 \(expected shape \[3, 2\]\)",
        ),
        ("few rows", few_rows, ValueError, r"'0.weight' has length 1, expected 3"),
        ("string", text, TypeError, r"'1.bias'\[0\] must be a number, got '0.5'"),
        ("bool", boolean, TypeError, r"'1.bias'\[0\] must be a number, got True"),
        ("flat", flat, TypeError, r"'0.weight'\[0\] must be a list of length 2"),
        ("not a dict", [1, 2], TypeError, "takes a dict"),
    ]


@pytest.mark.parametrize(
    ("case", "state", "error", "message"), _broken_states(), ids=[c[0] for c in _broken_states()]
)
def test_load_of_a_mismatched_state_raises_and_changes_nothing(
    case: str, state: object, error: type[Exception], message: str
) -> None:
    m = nn.MLP(2, [3, 1], seed=5)
    before = m.state_dict()
    with pytest.raises(error, match=message):
        m.load_state_dict(state)
    assert m.state_dict() == before, case


def test_partially_valid_state_changes_nothing() -> None:
    # the first keys are fine, the last is broken: the first must not have been written
    m = nn.MLP(2, [3, 1], seed=5)
    before = m.state_dict()
    other = nn.MLP(2, [3, 1], seed=6).state_dict()
    other["1.bias"] = [[1.0]]
    with pytest.raises(TypeError):
        m.load_state_dict(other)
    assert m.state_dict() == before


# ---- the lesson's Linear / Softmax / Sequential --------------------------------------------


def test_linear_reproduces_the_lesson_numpy_forward_exactly() -> None:
    # The lesson notebook (AI for Beginners, lessons/3-NeuralNetworks/04-OwnFramework/
    # OwnFramework.ipynb) computes Linear.forward as np.dot(x, self.W.T) + self.b and Softmax as
    # expz = np.exp(z - zmax); expz / expz.sum(axis=1). Give our Linear the same W and b.
    gen = np.random.default_rng(0)
    W = gen.normal(0, 1 / np.sqrt(2), (2, 2))
    b = gen.normal(0, 1, (1, 2))
    x = gen.normal(0, 1, (5, 2))
    lin = nn.Linear(2, 2)
    lin.weight = W
    lin.bias = b[0]
    z_lesson = np.dot(x, W.T) + b
    z_ours = lin(x)
    assert np.array([[v.data for v in row] for row in z_ours]) == pytest.approx(z_lesson, abs=1e-12)
    expz = np.exp(z_lesson - z_lesson.max(axis=1, keepdims=True))
    p_lesson = expz / expz.sum(axis=1, keepdims=True)
    p_ours = nn.Softmax()(z_ours)
    assert np.array([[v.data for v in row] for row in p_ours]) == pytest.approx(p_lesson, abs=1e-12)


def test_linear_with_hand_set_weights_gives_hand_computed_numbers() -> None:
    lin = nn.Linear(3, 2)
    lin.weight = [[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]
    lin.bias = [0.25, -0.5]
    out = lin([2.0, 1.0, 4.0])
    # row 0: 1*2 - 2*1 + 0.5*4 + 0.25 = 2.25 ; row 1: 0*2 + 3*1 - 1*4 - 0.5 = -1.5
    assert [v.data for v in out] == [2.25, -1.5]
    (out[0] * out[1]).backward()  # ∂/∂W[0][j] = out[1] * x[j]
    assert [w.grad for w in lin.weight[0]] == [-3.0, -1.5, -6.0]
    assert [b.grad for b in lin.bias] == [-1.5, 2.25]


def test_assigning_weights_copies_into_the_same_values_and_checks_the_shape() -> None:
    lin = nn.Linear(2, 3, seed=0)
    w00 = lin.weight[0][0]
    lin.weight = [[1, 2], [3, 4], [5, 6]]
    assert lin.weight[0][0] is w00 and w00.data == 1.0
    before = lin.state_dict()
    with pytest.raises(ValueError, match=r"expected 3 \(expected shape \[3, 2\]\)"):
        lin.weight = [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="has length 3, expected 2"):
        lin.weight = [[1, 2], [3, 4], [5, 6, 7]]
    with pytest.raises(TypeError, match="must be a number"):
        lin.bias = [1, 2, "c"]
    assert lin.state_dict() == before
    lin.bias = [Value(0.5), 1, 2.0]
    assert [b.data for b in lin.bias] == [0.5, 1.0, 2.0]


def test_activation_modules_work_elementwise_on_values_samples_and_batches() -> None:
    assert nn.Tanh()(Value(0.5)).data == math.tanh(0.5)
    assert [v.data for v in nn.ReLU()([-1.0, 2.0])] == [0.0, 2.0]
    batch = nn.Sigmoid()([[0.0], [100.0]])
    assert [[v.data for v in row] for row in batch] == [[0.5], [1.0]]
    with pytest.raises(TypeError, match="Tanh"):
        nn.Tanh()(["a"])


def test_softmax_module_is_stable_for_huge_logits() -> None:
    p = nn.Softmax()([Value(1000.0), Value(-1000.0), Value(999.0)])
    assert all(math.isfinite(v.data) for v in p)
    assert sum(v.data for v in p) == pytest.approx(1.0, abs=1e-15)
    assert p[0].data == pytest.approx(1 / (1 + math.exp(-1)), abs=1e-12)


def test_lesson_network_with_cross_entropy_loss_module() -> None:
    net = nn.Sequential(nn.Linear(2, 10, seed=0), nn.Tanh(), nn.Linear(10, 2, seed=1))
    loss_fn = nn.CrossEntropyLoss()
    x = [[0.5, 1.0], [-1.0, 0.2], [0.3, -0.7]]
    y = [1, 0, 1]
    loss = loss_fn(net(x), y)
    assert loss.data > 0
    assert gradcheck(lambda *ps: _with_params(net, ps, lambda: loss_fn(net(x), y)), net.parameters())


# ---- gradients and learning ----------------------------------------------------------------


def _with_params(model: nn.Module, values: tuple[Value, ...], compute: Callable[[], Value]) -> Value:
    """Run ``compute`` with ``model``'s parameters temporarily replaced by ``values``, given in
    the order of ``model.parameters()`` (per layer: the weight rows, then the biases)."""
    layers = _all_layers(model)
    saved = [([list(n.w) for n in layer.neurons], [n.b for n in layer.neurons]) for layer in layers]
    it = iter(values)
    for layer in layers:
        for n in layer.neurons:
            n.w = [next(it) for _ in n.w]
        for n in layer.neurons:
            n.b = next(it)
    try:
        return compute()
    finally:
        for layer, (ws, bs) in zip(layers, saved):
            for n, w, b in zip(layer.neurons, ws, bs):
                n.w, n.b = w, b


def _all_layers(model: nn.Module) -> list[nn.Layer]:
    if isinstance(model, nn.Layer):
        return [model]
    out: list[nn.Layer] = []
    for _, child in model._children():
        out.extend(_all_layers(child))
    return out


def test_the_helper_replaces_parameters_in_parameters_order() -> None:
    m = nn.MLP(2, [2, 1], seed=0)
    fresh = tuple(Value(float(k)) for k in range(len(m.parameters())))
    assert _with_params(m, fresh, lambda: Value(0.0)).data == 0.0
    inside: list[Value] = []
    _with_params(m, fresh, lambda: inside.extend(m.parameters()) or Value(0.0))  # type: ignore[func-returns-value]
    assert inside == list(fresh)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_mlp_loss_gradient_matches_central_differences(activation: str) -> None:
    m = nn.MLP(2, [3, 2], activation=activation, seed=11)
    X = [[0.5, -1.2], [1.5, 0.3], [-0.7, 0.8]]
    y = [0, 1, 1]

    def loss() -> Value:
        return losses.cross_entropy(m(X), y) + 1e-2 * losses.l2(m.parameters())

    # relu: no pre-activation sits within eps of its kink at these points
    assert gradcheck(lambda *ps: _with_params(m, ps, loss), m.parameters())


def test_backward_through_model_fills_parameter_grads_like_grad() -> None:
    from microgradnet import grad

    m = nn.MLP(2, [4, 1], activation="tanh", seed=2)
    out = losses.mse([m([1.0, 2.0]), m([0.5, -1.0])], [1.0, -1.0])
    expected = [g.data for g in grad(out, m.parameters())]
    out.backward()
    assert [p.grad for p in m.parameters()] == pytest.approx(expected, abs=1e-15)


def test_xor_is_learned_by_a_two_layer_mlp() -> None:
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [-1, 1, 1, -1]
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(200):
        loss = losses.mse(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.data < 0.05
    assert losses.accuracy(model(X), y) == 1.0


class _Net(nn.Module):
    """The lesson's Net, written PyTorch-style."""

    def __init__(self) -> None:
        self.fc1 = nn.Linear(2, 3, seed=0)
        self.act = nn.Tanh()
        self.heads = [nn.Linear(3, 2, seed=1), nn.Linear(3, 1, seed=2)]
        self.scale = 2.0  # not a module: ignored
        self.relabel()

    def forward(self, x: Any) -> Any:
        h = self.act(self.fc1(x))
        return [*self.heads[0](h), *self.heads[1](h)]


def test_custom_modules_find_their_submodules_in_assignment_order() -> None:
    net = _Net()
    assert list(net.state_dict()) == [
        "fc1.weight",
        "fc1.bias",
        "heads.0.weight",
        "heads.0.bias",
        "heads.1.weight",
        "heads.1.bias",
    ]
    assert len(net.parameters()) == 9 + 8 + 4
    assert net.fc1.weight[2][1].label == "fc1.weight[2][1]"
    assert [name for name, _ in net.weight_groups()] == ["fc1.weight", "heads.0.weight", "heads.1.weight"]
    out = net([0.5, -0.5])
    assert len(out) == 3
    copy = _Net()
    copy.heads[1].bias = [5.0]
    copy.load_state_dict(net.state_dict())
    assert [v.data for v in copy([0.5, -0.5])] == [v.data for v in out]


def test_a_module_without_forward_says_so() -> None:
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()([1.0])


def test_cs231n_sigmoid_neuron_as_a_neuron_module() -> None:
    # CS231n "Backpropagation, Intuitions" (https://cs231n.github.io/optimization-2/):
    # w = [2, -3, -3], x = [-1, -2], f = σ(w0 x0 + w1 x1 + w2) = 0.73;
    # dx = [0.39, -0.59], dw = [-0.2, -0.39, 0.2] (to two decimals)
    n = nn.Neuron(2, "sigmoid", init="zeros")
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -3.0, -3.0
    x = [Value(-1.0), Value(-2.0)]
    f = n(x)
    f.backward()
    assert round(f.data, 2) == 0.73
    assert [round(v.grad, 2) for v in x] == [0.39, -0.59]
    assert [round(p.grad, 2) for p in n.parameters()] == [-0.2, -0.39, 0.2]


@pytest.mark.parametrize("module", [nn, losses, optim], ids=lambda m: m.__name__)
def test_docstring_examples_run(module: Any) -> None:
    import doctest

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_a_generator_is_read_as_one_sample() -> None:
    lin = nn.Linear(3, 2, seed=0)
    expected = [v.data for v in lin([1.0, 2.0, 3.0])]
    assert [v.data for v in lin(x for x in [1.0, 2.0, 3.0])] == expected
    m = nn.MLP(3, [2], seed=0)
    assert [v.data for v in m(iter([1.0, 2.0, 3.0]))] == [v.data for v in m([1.0, 2.0, 3.0])]


@pytest.mark.parametrize(
    "module",
    [nn.Neuron(2, seed=0), nn.Layer(2, 3, seed=0), nn.MLP(2, [3, 2], seed=0), nn.Linear(2, 2, seed=0)],
    ids=repr,
)
def test_every_module_maps_a_batch_to_one_result_per_sample(module: nn.Module) -> None:
    X = [[0.5, -1.0], [2.0, 0.25], [0.0, 1.0]]
    batch = module(X)
    assert len(batch) == 3

    def numbers(out: Any) -> Any:
        return out.data if isinstance(out, Value) else [v.data for v in out]

    assert [numbers(b) for b in batch] == [numbers(module(x)) for x in X]


def test_sequential_grows_like_the_lessons_net() -> None:
    # the lesson notebook: net = Net(); net.add(Linear(2, 10)); net.add(Tanh()); ...
    net = nn.Sequential()
    assert repr(net) == "Sequential()" and net.parameters() == []
    lin = nn.Linear(2, 10, seed=0)
    assert net.add(lin) is net
    net.add(nn.Tanh()).append(nn.Linear(10, 2, seed=1))
    assert len(net) == 3
    assert lin.weight[0][0].label == "0.weight[0][0]"
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(net.forward([[0.1, 0.2], [0.3, 0.4]])) == 2
    with pytest.raises(TypeError, match="takes a Module"):
        net.add(3)  # type: ignore[arg-type]


def test_a_custom_module_prints_its_children_like_pytorch() -> None:
    assert repr(_Net()) == (
        "_Net(\n  (fc1): Linear(2, 3)\n  (act): Tanh()\n"
        "  (heads.0): Linear(3, 2)\n  (heads.1): Linear(3, 1)\n)"
    )


def test_parameters_lists_the_same_values_as_named_parameters_in_order() -> None:
    from microgradnet.nn import MLP, Linear, Sequential, Tanh

    for model in (MLP(3, [4, 1, 2], seed=1), Sequential(Linear(2, 3, seed=0), Tanh(), Linear(3, 2, seed=1))):
        assert model.parameters() == [v for _, v in model.named_parameters()]
