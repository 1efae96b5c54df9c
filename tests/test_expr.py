"""Safe expression parsing for the classroom CLI and the stepper page (microgradnet.viz.expr)."""

from __future__ import annotations

import math

import pytest

from microgradnet import Value, register_op, topological_order
from microgradnet.ops import OPS
from microgradnet.viz.expr import (
    ExpressionError,
    allowed_functions,
    parse_assignment,
    parse_expression,
)

LECTURE = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}


def labels(root: Value) -> list[tuple[str, str]]:
    return [(n.label, n.op) for n in topological_order(root)]


def test_lecture_example_builds_the_right_graph_and_gradients() -> None:
    # Karpathy, "The spelled-out intro to neural networks and backpropagation" (micrograd lecture,
    # 2022): L = (a*b + c) * f at a=2, b=-3, c=10, f=-2 gives L = -8, dL/da = 6, dL/db = -4,
    # dL/dc = -2, dL/df = 4.
    L = parse_expression("(a*b + c) * f", LECTURE)
    assert labels(L) == [
        ("a", ""),
        ("b", ""),
        ("t1", "mul"),
        ("c", ""),
        ("t2", "add"),
        ("f", ""),
        ("L", "mul"),
    ]
    assert L.data == -8.0
    L.backward()
    grads = {n.label: n.grad for n in topological_order(L)}
    assert (grads["a"], grads["b"], grads["c"], grads["f"]) == (6.0, -4.0, -2.0, 4.0)


def test_assignments_name_intermediate_nodes_as_in_the_lecture() -> None:
    L = parse_expression("e = a*b; d = e + c\nL = d*f", LECTURE)
    assert labels(L) == [("a", ""), ("b", ""), ("e", "mul"), ("c", ""), ("d", "add"), ("f", ""), ("L", "mul")]
    assert L.data == -8.0


def test_same_text_same_labels_and_values_every_time() -> None:
    text = "tanh(x1*w1 + x2*w2 + b)"
    values = {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432}
    first, second = (
        parse_expression(text, values, root_label="o"),
        parse_expression(text, values, root_label="o"),
    )
    assert labels(first) == labels(second)
    assert [n.data for n in topological_order(first)] == [n.data for n in topological_order(second)]
    # the lecture's neuron: o = tanh(n) = 0.7071 (1/sqrt(2)), the rest of its numbers follow
    assert first.label == "o" and math.isclose(first.data, math.sqrt(0.5), rel_tol=1e-12)


def test_auto_labels_skip_names_the_text_uses() -> None:
    root = parse_expression("t1 * t2 + t1", {"t1": 1.0, "t2": 2.0})
    assert labels(root) == [("t1", ""), ("t2", ""), ("t3", "mul"), ("L", "add")]


def test_repeated_variable_is_one_leaf_with_two_edges() -> None:
    b = parse_expression("a + a", {"a": 3.0})
    assert len(b.children) == 2 and b.children[0] is b.children[1]
    b.backward()
    assert b.children[0].grad == 2.0  # the lecture's b = a + a bug: the answer is 2, not 1


def test_numbers_constant_exponents_and_unary_minus() -> None:
    root = parse_expression("-x**2 + 2**x - -3", {"x": 3.0})
    kinds = labels(root)
    assert ("t1", "pown") in kinds and ("2", "") in kinds and ("-3", "") in kinds
    assert root.data == -9.0 + 8.0 + 3.0


def test_parsed_graph_gradients_match_central_differences() -> None:
    # the whole parsed graph, differentiated by backward(), against central differences of
    # re-parsing at nudged leaf values
    text = "e = exp(a) * sigmoid(b) / sqrt(c); L = log(e + 1) + relu(a) ** 2 - cos(b) + sin(c) * abs(a - b)"
    point = {"a": 0.3, "b": -0.7, "c": 1.5}
    root = parse_expression(text, point)
    root.backward()
    leaves = {n.label: n for n in topological_order(root) if n.label in point}
    h = 1e-6
    for name, leaf in leaves.items():
        up = parse_expression(text, {**point, name: point[name] + h}).data
        down = parse_expression(text, {**point, name: point[name] - h}).data
        assert math.isclose(leaf.grad, (up - down) / (2 * h), rel_tol=1e-5, abs_tol=1e-7), name


def test_variadic_ops_and_ops_with_a_constant_argument() -> None:
    root = parse_expression("sum(a, b, c) + dot(a, b, c, a) + pown(c, 3)", {"a": 1.0, "b": 2.0, "c": 3.0})
    assert root.data == 6.0 + (1 * 3 + 2 * 1) + 27.0
    ops = [n.op for n in topological_order(root) if n.op]
    assert ops.count("sum") == 1 and ops.count("dot") == 1 and ops.count("pown") == 1


def test_a_registered_op_is_callable_by_name() -> None:
    saved = dict(OPS)
    try:
        register_op("softplus", forward="log(1 + exp(x))", grads=["sigmoid(x)"], params=["x"])
        assert "softplus" in allowed_functions()
        root = parse_expression("softplus(x)", {"x": 0.0})
        assert root.op == "softplus" and math.isclose(root.data, math.log(2.0))
    finally:
        OPS.clear()
        OPS.update(saved)
    with pytest.raises(ExpressionError, match="unknown function"):
        parse_expression("softplus(x)", {"x": 0.0})


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("__import__('os')", "'__'"),
        ("__import__('os').system('echo hi')", "attribute access"),
        ("a.__class__", "attribute access"),
        ("a[0]", "subscripts"),
        ("(lambda: 1)()", "only op functions can be called"),
        ("lambda: 1", "lambda"),
        ("[x for x in a]", "list comprehensions"),
        ("sum(x for x in a)", "generator expressions"),
        ("exp(x=a)", "keyword arguments"),
        ("a + 's'", "strings"),
        ("a < 1", "comparisons"),
        ("a and a", "'and' / 'or'"),
        ("a if a else a", "conditional expressions"),
        ("a % 2", "the operator %"),
        ("a // 2", "the operator //"),
        ("~a", "the unary operator ~"),
        ("import os", "import statements"),
        ("exec('1')", "strings"),
        ("f'{a}'", "f-strings"),
        ("(a, a)", "tuples"),
        ("1j * a", "complex constants"),
        ("True * a", "True/False"),
        ("(b := a)", "walrus"),
        ("a += 1", "augmented assignment"),
    ],
)
def test_rejects_code_with_a_message_naming_the_construct(text: str, construct: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, {"a": 1.0})
    assert construct in str(info.value)


def test_eval_and_exec_are_never_called(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert parse_expression("(a*b + c) * f", LECTURE).data == -8.0


def test_unknown_and_missing_names_are_all_listed() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("a*q + r", {"a": 1.0, "z": 2.0, "y": 3.0})
    message = str(info.value)
    assert "no value given for q, r" in message and "q=VALUE r=VALUE" in message
    assert "given but not used: z, y" in message
    with pytest.raises(ExpressionError, match=r"unknown function.*foo, open"):
        parse_expression("foo(a) + open(a)", {"a": 1.0})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("(a", "does not parse"),
        ("a = 1; a", "given variable"),
        ("e = a*2; e = a*3; e", "assigned twice"),
        ("e = a*2; a", "never used"),
        ("L = e * 2; e = a * 3; L", "used before it is assigned"),
        ("e = a; e * 2", "only gives another name"),
        ("a; a", "only the last statement"),
        ("tanh(a, a)", "takes 1 operand"),
        ("dot(a, a, a)", "equal group"),
        ("pown(a, a)", "constant n last"),
        ("(" * 300 + "a" + ")" * 300, "parse"),
        ("+".join(["a"] * 100_000)[:19_999], "nested too deeply"),
        ("a" * 20_001, "limit"),
        ("a\x00", "does not parse"),
    ],
)
def test_bad_text_gives_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text, {"a": 1.0})


def test_bad_arguments_raise_type_errors() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        parse_expression(3, {})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a number"):
        parse_expression("a", {"a": "2"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="must be a number"):
        parse_expression("a", {"a": True})
    with pytest.raises(ExpressionError, match="identifier"):
        parse_expression("a", {"a": 1.0, "not a name": 2.0})


def test_huge_numbers_follow_ieee_instead_of_raising() -> None:
    assert parse_expression("a * 1e999", {"a": 1.0}).data == math.inf
    assert parse_expression("a * " + "9" * 400, {"a": 1.0}).data == math.inf
    assert parse_expression("a / 0", {"a": 1.0}).data == math.inf


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a=2", ("a", 2.0)), ("w1 = -3.5", ("w1", -3.5)), ("b=6.8813735870195432", ("b", 6.8813735870195432))],
)
def test_parse_assignment(text: str, expected: tuple[str, float]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "not NAME=VALUE"),
        ("1a=2", "not a variable name"),
        ("a=two", "not a number"),
        ("=3", "not a variable"),
    ],
)
def test_parse_assignment_rejects_bad_input(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_assignment(text)
