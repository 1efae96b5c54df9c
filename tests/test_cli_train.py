"""``microgradnet train``: trains, prints the summary table, writes pictures and checkpoints,
and turns bad options into a clear message and a non-zero exit."""

from __future__ import annotations

import gzip
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from microgradnet import nn, train
from microgradnet.cli import main


def test_train_moons_prints_a_summary_and_saves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = tmp_path / "moons.json"
    pic = tmp_path / "moons.png"
    code = main(["train", "moons", "--hidden", "8", "--epochs", "15", "--no-progress",
                 "--save", str(ckpt), "--plot", str(pic)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("moons: MLP(2, [8, 2], activation='tanh'), adam lr=0.01, 15 epochs")
    train_row = next(line for line in lines if line.startswith("train"))
    test_row = next(line for line in lines if line.startswith("test "))
    assert train_row.split()[1] == "160" and test_row.split()[1] == "40"
    assert float(test_row.split()[3].rstrip("%")) >= 80.0
    assert "time:" in out
    model = nn.MLP(2, [8, 2], activation="tanh", seed=5)
    train.load_checkpoint(model, ckpt)  # the saved model is the one the table describes
    assert pic.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "moons-boundary.png").read_bytes()[:4] == b"\x89PNG"


def test_train_regression_reports_r2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "regression", "--epochs", "5", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "R²" in out and "loss (mse)" in out


def write_pickle(path: Path) -> None:
    rng = np.random.default_rng(0)
    parts = tuple((rng.random((n, 784)), np.arange(n) % 10) for n in (30, 10, 10))
    with gzip.open(path, "wb") as fh:
        pickle.dump(parts, fh)


def test_train_mnist_from_a_lesson_pickle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pickle(tmp_path / "mnist.pkl.gz")
    code = main(["train", "mnist", "--data", str(tmp_path), "--hidden", "none", "--epochs", "1",
                 "--samples", "20", "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "MLP(784, [10]" in out
    assert next(line for line in out.splitlines() if line.startswith("train")).split()[1] == "20"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "mnist"], "mnist needs --data DIR"),
        (["train", "moons", "--data", "x"], "--data is only for mnist"),
        (["train", "spirals", "--loss", "hinge"], "hinge is for two classes"),
        (["train", "regression", "--loss", "cross_entropy"], "regression needs --loss mse or mae"),
        (["train", "moons", "--plot", "x.jpg"], "ending in .png"),
    ],
)
def test_bad_combinations_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "moonz"], "invalid choice: 'moonz'"),
        (["train", "moons", "--hidden", "16,x"], "--hidden takes layer sizes"),
        (["train", "moons", "--lr", "-1"], "expected a positive number"),
        (["train", "moons", "--epochs", "0"], "expected a number >= 1"),
        (["train", "moons", "--batch-size", "two"], "expected a whole number"),
        (["train", "moons", "--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    ],
)
def test_bad_options_are_rejected_by_the_parser(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_mnist_files_exit_1(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "microgradnet", "train", "mnist", "--data", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "no MNIST data" in result.stderr and result.stdout == ""
