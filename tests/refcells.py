"""Run a reference notebook's code cells in-process, one by one, as a learner would in Jupyter,
with chosen class definitions replaced by imports; compare each cell's text output with the
output the notebook stored. Used by test_reference_notebooks.py and test_lecture.py."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import math
import re
import runpy
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parent / "reference"


@dataclass
class Cell:
    """One code cell: its position, source and the text it printed when the notebook was saved."""

    index: int
    source: str
    stored: str


@dataclass
class Ran:
    """What running a cell gave: its printed text (stdout plus the repr of a last expression, as
    IPython shows it) and the exception, if one escaped."""

    cell: Cell
    source: str
    output: str = ""
    error: BaseException | None = None
    namespace: dict[str, Any] = field(default_factory=dict, repr=False)


def notebook_cells(name: str) -> list[Cell]:
    """The code cells of ``tests/reference/<name>`` with their stored text (stdout streams and
    the ``text/plain`` of the cell's result; pictures are left out)."""
    nb = json.loads((REFERENCE / name).read_text(encoding="utf-8"))
    cells = []
    for k, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code":
            continue
        stored = []
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stdout":
                stored.append("".join(o["text"]))
            elif o.get("output_type") == "execute_result":
                stored.append("".join(o["data"].get("text/plain", "")) + "\n")
        cells.append(Cell(k, "".join(c["source"]), "".join(stored)))
    return cells


def lesson_cells() -> list[Cell]:
    """The lesson notebook's code cells (tests/reference/lesson_ownframework_cells.py), indexed
    by their execution count."""
    data = runpy.run_path(str(REFERENCE / "lesson_ownframework_cells.py"))
    return [Cell(ec, src, stored + "\n" if stored else "") for ec, src, stored in data["CELLS"]]


def replace_classes(source: str, names: set[str], imports: str) -> str:
    """``source`` with its top-level ``class`` definitions named in ``names`` removed and
    ``imports`` put in their place (the rest of the cell is kept, line for line)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    removed = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in names]
    if not removed:
        return source
    keep = set(range(len(lines)))
    for node in removed:
        assert node.end_lineno is not None
        keep -= set(range(node.lineno - 1, node.end_lineno))
    first = removed[0].lineno - 1
    out = [line for k, line in enumerate(lines[:first]) if k in keep]
    out.append(imports)
    out.extend(line for k, line in enumerate(lines) if k >= first and k in keep)
    return "\n".join(out)


def run_cell(source: str, namespace: dict[str, Any]) -> tuple[str, BaseException | None]:
    """Run ``source`` in ``namespace`` like a notebook cell; return what it printed and any error.

    IPython magics (``%matplotlib inline``) are dropped; a last expression that is not None is
    echoed with ``repr``, as IPython's display does.
    """
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))
    buf = io.StringIO()
    try:
        tree = ast.parse(code)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not code.rstrip().endswith(";"):
            last = ast.Expression(tree.body.pop().value)
        with contextlib.redirect_stdout(buf), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # matplotlib's "non-interactive backend" and the like
            exec(compile(tree, "<cell>", "exec"), namespace)
            if last is not None:
                result = eval(compile(last, "<cell>", "eval"), namespace)
                if result is not None:
                    print(repr(result))
    except Exception as exc:
        return buf.getvalue(), exc
    return buf.getvalue(), None


def run_notebook(cells: list[Cell], swap: dict[int, tuple[set[str], str]]) -> list[Ran]:
    """Run ``cells`` in order in one namespace; in the cells listed in ``swap`` (index → (class
    names, import line)) those classes are replaced by the import."""
    import matplotlib

    matplotlib.use("Agg")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    results = []
    for cell in cells:
        source = cell.source
        if cell.index in swap:
            names, imports = swap[cell.index]
            source = replace_classes(source, names, imports)
        output, error = run_cell(source, namespace)
        results.append(Ran(cell, source, output, error, namespace))
    return results


_VALUE_REPR = re.compile(r"Value\(data=([^,)]+)[^)]*\)")
_NP_SCALAR = re.compile(r"np\.(?:float|int)\d+\(([^)]*)\)")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def normalise(text: str) -> str:
    """Text as compared: a ``Value``'s repr reduced to its data (micrograd shows ``grad=0``, the
    lecture only ``data``, microgradnet also ``grad``, ``label`` and ``op``); NumPy 2's
    ``np.float64(x)`` to ``x``; trailing blanks dropped."""
    text = _VALUE_REPR.sub(r"Value(data=\1)", text)
    text = _NP_SCALAR.sub(r"\1", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def numbers_of(text: str) -> list[float]:
    return [float(x) for x in _NUMBER.findall(normalise(text))]


def same_numbers(output: str, stored: str, rel: float = 1e-12, ordered: bool = True) -> bool:
    """Both texts have the same numbers, each within ``rel`` (relative) of the other, and the
    same words around them."""
    a, b = numbers_of(output), numbers_of(stored)
    if _NUMBER.sub("#", normalise(output)) != _NUMBER.sub("#", normalise(stored)):
        return False
    if not ordered:
        a, b = sorted(a), sorted(b)
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=rel, abs_tol=1e-300) for x, y in zip(a, b))
