"""The notebooks under notebooks/ run top to bottom in a Jupyter kernel (nbclient) and print
what they should. Graphs render in-process (MICROGRADNET_GRAPHVIZ=wasm: no `dot` program needed);
the PyTorch cell prints "skipped" where PyTorch is not installed.

Expected numbers: the lesson's are the lesson notebook's stored outputs
(tests/reference/lesson_ownframework_cells.py, cells 18, 27, 31, 33); the demo's step-0 loss is
micrograd's demo.ipynb's (0.8958441028683222); the lecture's neuron gradients are the lecture's
(its PyTorch cell: x1 -1.5, w1 1.0, x2 0.5, w2 0.0).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("nbclient", "ipykernel", "sklearn")),
    reason="the notebooks extra (nbclient, ipykernel, scikit-learn)",
)


def execute(name: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("MICROGRADNET_GRAPHVIZ", "wasm")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    return [c for c in nb.cells if c.cell_type == "code"]


def text(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def svgs(cells: list[Any]) -> int:
    return sum("image/svg+xml" in o.get("data", {}) for c in cells for o in c.outputs)


def test_the_notebooks_are_stored_without_outputs() -> None:
    import nbformat

    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["lecture.ipynb", "lesson.ipynb", "micrograd_demo.ipynb"]
    for name in names:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), name


def test_lecture_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    cells = execute("lecture.ipynb", monkeypatch)
    out = [text(c) for c in cells]
    assert out[1] == "-8.0 6.0 -4.0 -2.0 4.0\n"  # L, and ∂L/∂a, ∂L/∂b, ∂L/∂c, ∂L/∂f as in the video
    numbers = out[3].split()
    assert abs(float(numbers[1]) - 2**-0.5) < 1e-12
    grads = dict(zip(numbers[2::2], map(float, numbers[3::2])))
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}, abs=1e-12)
    assert "∂o/∂n" in out[5] and "0.5" in out[5]
    torch_line = out[6].strip()
    assert torch_line in ("torch agrees: True", "PyTorch is not installed: skipped")
    losses = [float(line.split()[1]) for line in out[7].splitlines()]
    assert len(losses) == 20 and losses[-1] < 0.05 and losses[-1] < losses[0]
    assert svgs(cells) == 2


def test_micrograd_demo_notebook_starts_from_micrograds_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    cells = execute("micrograd_demo.ipynb", monkeypatch)
    out = [text(c) for c in cells]
    assert "number of parameters 337" in out[3]
    first, acc = out[4].split()
    assert float(first) == pytest.approx(0.8958441028683222, rel=1e-12) and float(acc) == 0.5
    steps = out[5].splitlines()
    assert steps[0].startswith("step 0 loss 0.895844102868322")
    assert steps[-1].startswith("step 99 ") and steps[-1].endswith("accuracy 100.0%")
    assert any("image/png" in o.get("data", {}) for o in cells[-1].outputs)  # the decision boundary


def test_lesson_notebook_prints_the_lessons_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    cells = execute("lesson.ipynb", monkeypatch)
    out = [text(c) for c in cells]
    assert out[1].splitlines()[0] == "[[ 1.3382818  -0.98613256]"
    assert out[2] == "1.429664938969559\n"
    assert out[3] == "Initial accuracy:  0.725\nFinal accuracy:  0.825\n"
    assert out[4].splitlines() == [
        "Initial loss=0.6212072429381601, accuracy=0.6875: ",
        "Final loss=0.44369925927417986, accuracy=0.8: ",
        "Test loss=0.4767711377257787, accuracy=0.85: ",
    ]
    assert svgs(cells) == 1 and "stepper page written: linear.html" in out[7]
    assert "dW is the transpose of the right answer" in out[8] and "1 of 3 gradients are wrong" in out[8]


def test_no_notebook_needs_the_dot_program() -> None:
    for path in NOTEBOOKS.glob("*.ipynb"):
        assert "graphviz import" not in path.read_text(encoding="utf-8"), path
    assert os.environ.get("MICROGRADNET_GRAPHVIZ") != "system"
