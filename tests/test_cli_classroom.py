"""``microgradnet examples``, ``step/graph --example`` and ``microgradnet worksheet``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from microgradnet.cli import main
from microgradnet.examples import EXAMPLES, load_example
from microgradnet.viz import export_html
from microgradnet.viz.trace import trace_backward


def _steps(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" class="mg-steps">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_examples_lists_every_preset_with_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    for name, preset in EXAMPLES.items():
        assert re.search(rf"^{re.escape(name)} +{re.escape(preset.title)}$", out, re.M)
        assert f"source: {preset.source}" in out


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_preset_opens_in_the_stepper_with_its_published_numbers(name: str, tmp_path: Path) -> None:
    # the published numbers live in the presets, each with its source (tests/test_examples_presets.py)
    ex = load_example(name)
    trace = trace_backward(ex.root)
    nodes = {n.label: n for n in trace.nodes if n.label}
    tol = 0.5 * 10.0**-ex.decimals + 1e-12
    for label, want in ex.expected_data.items():
        assert abs(nodes[label].data - want) <= tol, (label, nodes[label].data, want)
    for label, want in ex.expected_grad.items():
        assert abs(nodes[label].grad - want) <= tol, (label, nodes[label].grad, want)
    page = export_html(ex.root, tmp_path / f"{name}.html", title=ex.title).read_text(encoding="utf-8")
    steps = _steps(page)["steps"]
    assert isinstance(steps, list) and steps[-1]["kind"] == "done"
    root = trace.node(trace.root).name

    def close(shown: str, want: float) -> bool:  # the page prints 4 significant digits
        return abs(float(shown) - want) <= max(tol, 5e-4 * abs(want)) + 1e-12

    # what the page shows: each published forward value on its forward step ...
    for label, want in ex.expected_data.items():
        step = next(s for s in steps if s["kind"] == "forward" and s["lines"][0].startswith(f"{label} = "))
        assert close(step["lines"][2].split(" = ")[-1], want), (label, step["lines"][2], want)
    # ... and each published gradient: leaves in the summary, every node on its last edge
    done = steps[-1]["lines"][0]
    for label, want in ex.expected_grad.items():
        if not nodes[label].children:
            found = re.search(rf"∂{re.escape(root)}/∂{re.escape(label)} = (\S+)", done)
            assert found is not None and close(found.group(1), want), (label, done, want)
        last = [s for s in steps if s["kind"] == "edge" and s["lines"][2].startswith(f"{label}.grad ")][-1]
        assert last["lines"][2].endswith("(final)")
        assert close(last["lines"][2].split(" → ")[1].split()[0], want), (label, last["lines"][2], want)


@pytest.mark.parametrize("command", ["step", "graph"])
def test_step_and_graph_open_a_preset(command: str, tmp_path: Path) -> None:
    out = tmp_path / "lecture.html"
    assert main([command, "--example", "lecture-expression", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "a.grad 0 → 6  (final)" in page and "b.grad 0 → -4  (final)" in page
    assert f"<title>{EXAMPLES['lecture-expression'].title}</title>" in page


def test_graph_of_a_preset_as_svg(tmp_path: Path) -> None:
    out = tmp_path / "colah.svg"
    assert main(["graph", "--example", "colah-paths", "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "grad 5" in svg  # colah: de/db = 5


def test_unknown_example_lists_the_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.html"
    assert main(["step", "--example", "nope", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no example named 'nope'" in err and all(name in err for name in EXAMPLES)
    assert not out.exists()
    assert main(["step", "a*b", "a=1", "b=2", "--example", "colah-paths", "-o", str(out)]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["step", "-o", str(out)]) == 2
    assert "--example" in capsys.readouterr().err and not out.exists()


def test_worksheet_command_writes_sheet_and_key(tmp_path: Path) -> None:
    sheet, key = tmp_path / "sheet.md", tmp_path / "key.md"
    argv = ["worksheet", "(a*b + c) * f", "a=-5:5", "c=10", "f=-2", "--seed", "7", "--versions", "2"]
    assert main([*argv, "-o", str(sheet), "--answers", str(key)]) == 0
    text = key.read_text(encoding="utf-8")
    assert text.count("## Version") == 2 and text.count("`c = 10`") == 2
    first = sheet.read_text(encoding="utf-8")
    assert main([*argv, "-o", str(sheet), "--answers", str(key)]) == 0
    assert sheet.read_text(encoding="utf-8") == first  # same seed, same sheet


def test_worksheet_from_a_preset_in_html(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.html"
    assert main(["worksheet", "--example", "colah-paths", "a=1:3", "-o", str(sheet)]) == 0
    page = sheet.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "sum over paths" in page


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["worksheet", "a*b", "a=x:y", "-o", "s.md"], "not a number"),
        (["worksheet", "a*b", "q=1:2", "-o", "s.md"], "does not have"),
        (["worksheet", "a*b", "-o", "s.pdf"], "suffix"),
        (["worksheet", "a*b", "-o", "s.md", "--answers", "s.md"], "different files"),
        (["worksheet", "__import__('os')", "-o", "s.md"], "__import__"),
        (["worksheet", "-o", "s.md"], "--example"),
        (["worksheet", "--example", "nope", "-o", "s.md"], "no example named"),
    ],
)
def test_worksheet_errors(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
