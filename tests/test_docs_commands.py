"""The ``microgradnet ...`` command lines shown in README.md and docs/ run as written.

``sh`` blocks are not executed by tests/test_docs.py; this runs every line of them that starts
with ``microgradnet`` through the real command line (in a temporary folder), so a renamed option
or preset fails here. Lines that need downloaded MNIST files (``--data ~/...``) are skipped.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from microgradnet.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "demos" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```(?:sh|bash|console|shell)[^\n]*\n(.*?)^```", re.S | re.M)


def command_lines() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for block in BLOCK.findall(page.read_text(encoding="utf-8")):
            for line in block.splitlines():
                line = line.strip().removeprefix("$ ")
                if line.startswith("microgradnet ") and "--data ~" not in line:
                    found.append((page.relative_to(ROOT).as_posix(), line))
    return found


COMMANDS = command_lines()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize(("page", "line"), COMMANDS, ids=[f"{p}:{line[:40]}" for p, line in COMMANDS])
def test_documented_command_runs(
    page: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    args = shlex.split(line, comments=True)[1:]
    assert main(args) == 0, f"{page}: {line}"
    for k, arg in enumerate(args):  # every file the command says it writes exists
        if arg in ("-o", "--answers", "--plot", "--save") and k + 1 < len(args):
            assert (tmp_path / args[k + 1]).exists(), f"{page}: {line} did not write {args[k + 1]}"
