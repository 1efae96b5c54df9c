"""Turn a formula typed by a teacher into a ``Value`` graph, safely.

``parse_expression("(a*b + c) * f", {"a": 2, "b": -3, "c": 10, "f": -2})`` builds the graph
of ``L = (a*b + c) * f`` with every node labelled, ready to draw or to step through. The text is
parsed with Python's :mod:`ast` and walked with a whitelist; it is never passed to ``eval`` or
``exec``. What is allowed:

* numbers (``2``, ``0.5``, ``1e-3``) and variable names given in ``variables``;
* ``+ - * / **``, unary ``-`` and ``+``, parentheses;
* calls of ops from the op table by name (``tanh(x)``, ``exp(x)``, ``relu(x)``, ``sum(a, b, c)``,
  and any op registered later with :func:`~microgradnet.register_op`); an op with a constant
  argument takes it last, as a number (``pown(x, 3)`` is ``x ** 3``);
* several statements, separated by ``;`` or new lines, where every statement but the last is
  an assignment that names an intermediate node: ``e = a*b; d = e + c; L = d*f``.

Everything else (attribute access, subscripts, strings, lambdas, comprehensions, keyword
arguments, comparisons, ``and``/``or``, ...) is rejected with an :class:`ExpressionError` that
names the construct and where it is.

Labels are deterministic: each variable leaf carries its name; each assigned name labels its
node; the result is labelled ``root_label`` (``"L"``) unless the last statement assigns it a
name; every other intermediate node is labelled ``t1``, ``t2``, ... in evaluation order
(operands before the node), skipping names the text already uses; a number is a leaf labelled
with the number as typed.

Unused variables are an error, not a warning: in class a typo (``w1=-3`` given, ``wl`` typed)
would otherwise draw a graph that silently lacks the value the teacher meant to show.
"""

from __future__ import annotations

import ast
import keyword
import math
import numbers
from collections.abc import Mapping

from microgradnet.engine import Value, apply
from microgradnet.ops import OPS, Op

__all__ = ["MAX_LENGTH", "ExpressionError", "allowed_functions", "parse_assignment", "parse_expression"]

#: The longest expression text accepted (characters); a classroom formula is far shorter.
MAX_LENGTH = 20_000

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

# What to call each rejected construct in an error message.
_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "subscripts (a[i])",
    ast.Slice: "slices (a[i:j])",
    ast.Lambda: "lambda functions",
    ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Compare: "comparisons (<, ==, in, ...)",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "conditional expressions (x if c else y)",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Starred: "starred arguments (*args)",
    ast.NamedExpr: "the walrus operator (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Import: "import statements",
    ast.ImportFrom: "import statements",
    ast.FunctionDef: "function definitions",
    ast.AsyncFunctionDef: "function definitions",
    ast.ClassDef: "class definitions",
    ast.For: "for loops",
    ast.While: "while loops",
    ast.If: "if statements",
    ast.With: "with statements",
    ast.Try: "try statements",
    ast.Return: "return statements",
    ast.Delete: "del statements",
    ast.Global: "global statements",
    ast.Nonlocal: "nonlocal statements",
    ast.Raise: "raise statements",
    ast.Assert: "assert statements",
    ast.AugAssign: "augmented assignment (+=, *=, ...)",
    ast.AnnAssign: "annotated assignment",
    ast.Pass: "pass",
    ast.Break: "break",
    ast.Continue: "continue",
}


class ExpressionError(ValueError):
    """The expression text is not an allowed formula, or its names do not match the variables."""


def allowed_functions() -> list[str]:
    """The function names an expression may call: every op in the op table, in table order.

    Read at call time, so an op registered with :func:`~microgradnet.register_op` is callable
    by name at once.
    """
    return list(OPS)


def _where(node: ast.AST, text: str) -> str:
    segment = ast.get_source_segment(text, node)
    if segment and len(segment) > 60:
        segment = segment[:57] + "..."
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    at = f" at line {line}, column {col + 1}" if line is not None and col is not None else ""
    return f" ({segment!r}{at})" if segment else at


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        type_name = type(node.value).__name__
        names = {"str": "strings", "bytes": "bytes", "bool": "True/False", "NoneType": "None"}
        return names.get(type_name, f"{type_name} constants")
    if isinstance(node, ast.BinOp):
        return f"the operator {_OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)}"
    if isinstance(node, ast.UnaryOp):
        return f"the unary operator {_OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)}"
    for kind, description in _CONSTRUCTS.items():
        if isinstance(node, kind):
            return description
    return type(node).__name__


_OPERATOR_TEXT: dict[type[ast.AST], str] = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
}


def _rejected(node: ast.AST, text: str) -> ExpressionError:
    return ExpressionError(
        f"not allowed in an expression: {_describe(node)}{_where(node, text)}; use numbers, "
        "variable names, + - * / **, unary -, parentheses and op functions such as tanh(x)"
    )


def _number(node: ast.expr) -> float | None:
    """The value of a number literal, or of ``-``/``+`` applied to one; ``None`` otherwise."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        value = node.value
        try:
            return sign * float(value)
        except OverflowError:  # an integer literal too large for a float
            return math.copysign(math.inf, sign)
    return None


class _Checker:
    """First pass: reject anything outside the whitelist; collect names used and assigned."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.loads: list[str] = []  # names read, in order of first use
        self.functions: list[tuple[str, ast.Call]] = []

    def statement(self, stmt: ast.stmt, last: bool) -> tuple[str | None, ast.expr]:
        if isinstance(stmt, ast.Expr):
            if not last:
                raise ExpressionError(
                    f"only the last statement may be a bare expression{_where(stmt, self.text)}; "
                    "name the others: e = a*b; L = e + c"
                )
            self.expr(stmt.value)
            return None, stmt.value
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise ExpressionError(
                    f"an assignment must name one node, as in e = a*b{_where(stmt, self.text)}"
                )
            name = stmt.targets[0].id
            self._check_name(name, stmt.targets[0])
            self.expr(stmt.value)
            return name, stmt.value
        raise _rejected(stmt, self.text)

    def _check_name(self, name: str, node: ast.AST) -> None:
        if name.startswith("__"):
            raise ExpressionError(
                f"names starting with '__' are not allowed{_where(node, self.text)}; "
                "variables are plain names such as a, w1, x2"
            )

    def expr(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            if _number(node) is None or isinstance(node.value, complex):
                raise _rejected(node, self.text)
        elif isinstance(node, ast.Name):
            self._check_name(node.id, node)
            if node.id not in self.loads:
                self.loads.append(node.id)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise _rejected(node, self.text)
            self.expr(node.left)
            self.expr(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _rejected(node, self.text)
            self.expr(node.operand)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ExpressionError(
                    f"only op functions can be called, by name, as in tanh(x); this calls "
                    f"{_describe(node.func)}{_where(node, self.text)}"
                )
            self._check_name(node.func.id, node.func)
            if node.keywords:
                raise ExpressionError(
                    f"keyword arguments are not allowed{_where(node.keywords[0], self.text)}; "
                    f"write {node.func.id}(x) with positional operands"
                )
            self.functions.append((node.func.id, node))
            for arg in node.args:
                self.expr(arg)
        else:
            raise _rejected(node, self.text)


class _Builder:
    """Second pass: build the graph, labelling nodes as the module docstring says."""

    def __init__(self, text: str, leaves: dict[str, Value], taken: set[str]) -> None:
        self.text = text
        self.names: dict[str, Value] = dict(leaves)
        self.taken = taken
        self.counter = 0

    def _auto_label(self) -> str:
        while True:
            self.counter += 1
            label = f"t{self.counter}"
            if label not in self.taken:
                return label

    def build(self, node: ast.expr, label: str | None) -> Value:
        """The ``Value`` of ``node``; a newly created top node gets ``label`` (or an auto label)."""
        constant = _number(node)
        if constant is not None:
            return Value(constant, label=label or (ast.get_source_segment(self.text, node) or repr(constant)))
        if isinstance(node, ast.Name):
            value = self.names.get(node.id)
            if value is None:  # the checker guarantees names exist; a later assignment is the case left
                raise ExpressionError(
                    f"{node.id!r} is used before it is assigned{_where(node, self.text)}; "
                    "assign a name before the statement that uses it"
                )
            return value
        result: Value
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, None)
            if isinstance(node.op, ast.UAdd):
                return operand
            result = -operand
        elif isinstance(node, ast.BinOp):
            left = self.build(node.left, None)
            exponent = _number(node.right) if isinstance(node.op, ast.Pow) else None
            if exponent is not None:  # x ** 3: a constant exponent, drawn as one pown node
                result = left**exponent
            else:
                right = self.build(node.right, None)
                result = _apply_binop(node.op, left, right)
        elif isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            result = self._call(OPS[node.func.id], node)
        else:  # pragma: no cover - the checker rejected everything else
            raise _rejected(node, self.text)
        result.label = label or self._auto_label()
        return result

    def _call(self, op: Op, node: ast.Call) -> Value:
        args = list(node.args)
        arg: float | None = None
        if op.arg:
            if not args or _number(args[-1]) is None:
                raise ExpressionError(
                    f"{op.name}() takes its constant {op.arg} last, as a number, as in "
                    f"{op.name}(x, 3){_where(node, self.text)}"
                )
            arg = _number(args.pop())
        if op.variadic:
            if not args or len(args) % len(op.params):
                raise ExpressionError(
                    f"{op.name}() takes {len(op.params)} equal group(s) of operands "
                    f"({', '.join(op.params)}), got {len(args)}{_where(node, self.text)}"
                )
        elif len(args) != len(op.params):
            raise ExpressionError(
                f"{op.name}() takes {len(op.params)} operand(s) ({', '.join(op.params)}), "
                f"got {len(args)}{_where(node, self.text)}"
            )
        operands = [self.build(a, None) for a in args]
        return apply(op, *operands, arg=arg)


def _apply_binop(op: ast.operator, left: Value, right: Value) -> Value:
    if isinstance(op, ast.Add):
        return left + right
    if isinstance(op, ast.Sub):
        return left - right
    if isinstance(op, ast.Mult):
        return left * right
    if isinstance(op, ast.Div):
        return left / right
    return left**right


def _check_variables(variables: Mapping[str, object]) -> dict[str, float]:
    if not isinstance(variables, Mapping):
        raise TypeError(f"variables must be a mapping of names to numbers, got {type(variables).__name__}")
    checked: dict[str, float] = {}
    for name, value in variables.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ExpressionError(f"variable name {name!r} is not a Python identifier (such as a, w1, x_2)")
        if name.startswith("__"):
            raise ExpressionError(f"variable name {name!r} may not start with '__'")
        if isinstance(value, bool) or not isinstance(value, (int, float, numbers.Real)):
            raise TypeError(f"variable {name!r} must be a number, got {value!r} ({type(value).__name__})")
        checked[name] = float(value)
    return checked


def parse_expression(
    text: str, variables: Mapping[str, float] | None = None, *, root_label: str = "L"
) -> Value:
    """Build the graph of the formula ``text`` at the given variable values; return its output.

    ``variables`` maps each name the formula reads to a number; each becomes a leaf ``Value``
    labelled with its name. The output is labelled ``root_label`` unless the last statement is
    an assignment (``L = d * f``), whose name labels it. See the module docstring for what the
    text may contain and how nodes are labelled.

    Raises:
        ExpressionError: (a ``ValueError``) the text does not parse, uses a construct outside
            the whitelist (the message names it and where it is), calls an unknown function,
            reads names that are not given (all are listed), leaves given variables unused
            (all are listed), assigns a name twice or to a given variable, or never uses an
            assigned name.
        TypeError: ``text`` is not a string, or a variable's value is not a real number.
    """
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a str, got {type(text).__name__}")
    if not isinstance(root_label, str):
        raise TypeError(f"root_label must be a str, got {type(root_label).__name__}")
    values = _check_variables(variables if variables is not None else {})
    if not text.strip():
        raise ExpressionError("the expression is empty; write a formula such as (a*b + c) * f")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="exec")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"the expression does not parse{where}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            "the expression is nested too deeply to parse; split it into statements"
        ) from None
    except ValueError as exc:  # e.g. null bytes
        raise ExpressionError(f"the expression does not parse: {exc}") from None
    text = text.strip()
    if not tree.body:
        raise ExpressionError("the expression is empty; write a formula such as (a*b + c) * f")

    checker = _Checker(text)
    statements: list[tuple[str | None, ast.expr]] = []
    try:
        for k, stmt in enumerate(tree.body):
            statements.append(checker.statement(stmt, last=k == len(tree.body) - 1))
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None

    known = allowed_functions()
    unknown_functions = sorted({name for name, _ in checker.functions if name not in OPS})
    if unknown_functions:
        raise ExpressionError(
            f"unknown function(s) {', '.join(unknown_functions)}; the functions you can call are the "
            f"ops {', '.join(known)}"
        )

    assigned: list[str] = []
    for name, _ in statements:
        if name is None:
            continue
        if name in values:
            raise ExpressionError(f"{name!r} is a given variable and cannot be assigned; choose another name")
        if name in assigned:
            raise ExpressionError(f"{name!r} is assigned twice; give each intermediate node its own name")
        assigned.append(name)
    missing = [n for n in checker.loads if n not in values and n not in assigned]
    unused = [n for n in values if n not in checker.loads]
    problems = []
    if missing:
        problems.append(
            f"no value given for {', '.join(missing)} (give {' '.join(f'{n}=VALUE' for n in missing)})"
        )
    if unused:
        problems.append(f"given but not used: {', '.join(unused)} (check the spelling, or drop them)")
    if problems:
        raise ExpressionError("; ".join(problems))
    last_name = statements[-1][0]
    dead = [n for n in assigned if n not in checker.loads and n != last_name]
    if dead:
        raise ExpressionError(
            f"assigned but never used: {', '.join(dead)}; every named node must feed the result"
        )

    leaves = {name: Value(value, label=name) for name, value in values.items()}
    taken = set(values) | set(assigned) | set(checker.loads) | {root_label}
    builder = _Builder(text, leaves, taken)
    try:
        result: Value | None = None
        for k, (name, node) in enumerate(statements):
            is_last = k == len(statements) - 1
            label = name if name is not None else (root_label if is_last else None)
            value = builder.build(node, label)
            if name is not None:
                if value.label != name:
                    raise ExpressionError(
                        f"{name} = {ast.get_source_segment(text, node)} only gives another name to "
                        f"{value.label!r}; an assignment must compute a new node"
                    )
                builder.names[name] = value
            result = value
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    assert result is not None
    return result


def parse_assignment(text: str) -> tuple[str, float]:
    """Split a command-line ``NAME=VALUE`` into the name and the number.

    Raises:
        ExpressionError: there is no ``=``, the name is not an identifier, or the value is not
            a number (``2``, ``-3.5``, ``1e-3``, ``inf`` and ``nan`` are numbers).
    """
    if not isinstance(text, str):
        raise TypeError(f"NAME=VALUE must be a str, got {type(text).__name__}")
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep:
        raise ExpressionError(f"{text!r} is not NAME=VALUE; write the variable's value as in a=2")
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
        raise ExpressionError(f"in {text!r}, {name!r} is not a variable name (such as a, w1, x_2)")
    try:
        value = float(raw)
    except ValueError:
        raise ExpressionError(f"in {text!r}, {raw!r} is not a number (such as 2, -3.5, 1e-3)") from None
    return name, value
