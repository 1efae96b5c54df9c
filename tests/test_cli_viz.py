"""The classroom commands ``microgradnet graph`` and ``microgradnet step``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from microgradnet.cli import main

LECTURE_ARGS = ["(a*b + c) * f", "a=2", "b=-3", "c=10", "f=-2"]
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def test_step_writes_the_stepper_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lecture.html"
    assert main(["step", *LECTURE_ARGS, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "a.grad 0 → 6  (final)" in text and "b.grad 0 → -4  (final)" in text
    assert "Backpropagation through L = (a*b + c) * f" in text
    assert "wrote" in capsys.readouterr().err


def test_page_options_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "quiz.html"
    argv = ["step", *LECTURE_ARGS, "-o", str(out), "--projector", "--quiz", "--theme", "colorblind"]
    assert main([*argv, "--title", "Lecture 1"]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'class="mg-stepper mg-theme-colorblind mg-projector"' in text and '"quiz":true' in text
    assert "<title>Lecture 1</title>" in text


def test_step_text_prints_the_lecture_neuron(capsys: pytest.CaptureFixture[str]) -> None:
    # Karpathy's micrograd lecture neuron: o = tanh(x1*w1 + x2*w2 + b) = 0.7071 and
    # x1.grad = -1.5, w1.grad = 1, x2.grad = 0.5, w2.grad = 0
    assert main(["step", *NEURON, "--name", "o", "--text"]) == 0
    out = capsys.readouterr().out
    for line in ("o = tanh(t4) = 0.7071", "∂o/∂x1 = -1.5", "∂o/∂w1 = 1", "∂o/∂x2 = 0.5", "∂o/∂w2 = 0"):
        assert line in out


def test_json_flag_prints_the_versioned_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", *LECTURE_ARGS, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == 2 and len(data["events"]) == 6


@pytest.mark.parametrize("suffix", [".svg", ".png", ".dot", ".json", ".html"])
def test_graph_picks_the_format_from_the_suffix(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"lecture{suffix}"
    assert main(["graph", *LECTURE_ARGS, "-o", str(out)]) == 0
    data = out.read_bytes()
    expected = {
        ".svg": b"<svg",
        ".png": b"\x89PNG",
        ".dot": b"digraph",
        ".json": b'"version"',
        ".html": b"<!DOCTYPE html>",
    }[suffix]
    assert expected in data[:400]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["step", "__import__('os').system('touch pwned')", "-o", "{out}"], "only op functions"),
        (["step", "__import__('os')", "-o", "{out}"], "'__'"),
        (["step", "a.__class__", "a=1", "-o", "{out}"], "attribute access"),
        (["step", "(lambda: a)()", "a=1", "-o", "{out}"], "only op functions"),
        (["step", "[a for a in b]", "b=1", "-o", "{out}"], "list comprehensions"),
        (["step", "a*q + r", "a=1", "z=2", "-o", "{out}"], "no value given for q, r"),
        (["step", "a*q + r", "a=1", "z=2", "-o", "{out}"], "given but not used: z"),
        (["step", "a*b", "a=1", "b", "-o", "{out}"], "not NAME=VALUE"),
        (["step", "a*b", "a=1", "b=x", "-o", "{out}"], "not a number"),
        (["step", "a*b", "a=1", "b=2", "a=3", "-o", "{out}"], "given twice"),
        (["step", "a*b", "a=1", "b=2"], "give -o"),
        (["graph", "a*b", "a=1", "b=2", "-o", "{dir}/x.pdf"], "suffix"),
        (["step", "a*b", "a=1", "b=2", "-o", "{dir}/x.svg"], "suffix"),
        (["graph", "a*b", "a=1", "b=2", "-o", "{dir}/nowhere/x.svg"], "does not exist"),
    ],
)
def test_bad_input_fails_clearly_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    out = tmp_path / "page.html"
    args = [a.format(out=out, dir=tmp_path) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgradnet: error: ") and message in err
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_works_the_same(tmp_path: Path) -> None:
    out = tmp_path / "neuron.html"
    done = subprocess.run(
        [sys.executable, "-m", "microgradnet", "step", *NEURON, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "x1.grad 0 → -1.5  (final)" in out.read_text(encoding="utf-8")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "microgradnet",
            "step",
            "__import__('os').system('touch pwned')",
            "-o",
            "x.html",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "microgradnet: error:" in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.html"]


def test_graph_lang_draws_the_picture_in_that_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, dot = tmp_path / "ne.svg", tmp_path / "ne.dot"
    assert main(["graph", *LECTURE_ARGS, "--lang", "ne", "-o", str(out)]) == 0
    assert main(["graph", *LECTURE_ARGS, "--lang", "ne", "-o", str(dot)]) == 0
    err = capsys.readouterr().err
    assert "note" not in err and "English" not in err  # no "pictures keep English labels" any more
    svg = out.read_text(encoding="utf-8")
    # Karpathy's lecture: dL/da = 6, written after the Nepali word for the gradient
    assert "ग्रेडियन्ट 6" in dot.read_text(encoding="utf-8") and "@font-face" in svg
    assert "data " not in svg and "grad " not in svg


def test_max_nodes_sets_the_limit_and_the_size_is_said_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from microgradnet.viz import limits

    page, picture = tmp_path / "lecture.html", tmp_path / "lecture.svg"
    for command, target in (("step", page), ("graph", picture)):
        assert main([command, *LECTURE_ARGS, "--max-nodes", "6", "-o", str(target)]) == 2
        err = capsys.readouterr().err
        assert "7 value nodes, more than the" in err and "--max-nodes 7" in err and not target.exists()
    assert main(["step", *LECTURE_ARGS, "--max-nodes", "7", "-o", str(page)]) == 0
    assert main(["graph", *LECTURE_ARGS, "--max-nodes", "none", "-o", str(picture)]) == 0
    capsys.readouterr()
    # above WARN_NODES the size is a note on standard error, written before the page
    monkeypatch.setattr(limits, "WARN_NODES", 5)
    assert main(["step", *LECTURE_ARGS, "-o", str(page)]) == 0
    err = capsys.readouterr().err
    assert err.index("note: the stepper page: a graph of 7 value nodes") < err.index("wrote")
    for bad in ("0", "-3", "many"):
        with pytest.raises(SystemExit):
            main(["step", *LECTURE_ARGS, "--max-nodes", bad, "-o", str(page)])
    assert "value nodes (1 or more) or 'none'" in capsys.readouterr().err
