"""Every demo in demos/ runs (in-process, to keep the suite quick), reaches its numbers and writes
its pictures into the --out folder."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

DEMOS = Path(__file__).resolve().parent.parent / "demos"
PNG = b"\x89PNG\r\n\x1a\n"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"demo_{name}", DEMOS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pictures(folder: Path) -> list[str]:
    found = sorted(p.name for p in folder.iterdir())
    for name in found:
        assert (folder / name).read_bytes()[:8] == PNG, name
    return found


def test_moons_demo(tmp_path: Path) -> None:
    assert load("moons").main(["--out", str(tmp_path)]) >= 0.97
    assert pictures(tmp_path) == ["moons_boundary.png", "moons_history.png", "moons_max_weights.png"]


def test_spirals_demo(tmp_path: Path) -> None:
    assert load("spirals").main(["--out", str(tmp_path)]) >= 0.95
    assert pictures(tmp_path) == ["spirals_boundary.png", "spirals_history.png", "spirals_linear.png"]


def test_regression_demo(tmp_path: Path) -> None:
    assert load("regression").main(["--out", str(tmp_path)]) >= 0.95
    assert pictures(tmp_path) == ["regression_fit.png", "regression_history.png"]


def test_lesson_demo(tmp_path: Path) -> None:
    results = load("lesson").main(["--out", str(tmp_path)])
    assert results["two layers"] >= 0.8
    assert pictures(tmp_path) == [
        "lesson_loss_training.png",
        "lesson_losses.png",
        "lesson_one_layer.png",
        "lesson_two_layers.png",
    ]


def test_digits_demo(tmp_path: Path) -> None:
    assert load("digits").main(["--out", str(tmp_path), "--samples", "600", "--epochs", "2"]) >= 0.9
    assert "digits_predictions.png" in pictures(tmp_path)
    assert len(pictures(tmp_path)) == 5


def test_backprop_by_hand_demo_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, str(DEMOS / "backprop_by_hand.py")], capture_output=True, text=True, check=True
    )
    assert "backward() agrees" in result.stdout


@pytest.mark.parametrize("name", ["moons", "spirals", "regression", "lesson", "digits"])
def test_demo_has_a_docstring_and_an_out_option(name: str) -> None:
    text = (DEMOS / f"{name}.py").read_text(encoding="utf-8")
    assert text.startswith('"""') and "--out" in text
    assert name in (DEMOS / "README.md").read_text(encoding="utf-8")
