"""Every code block in README.md and docs/ is executed here, so the docs cannot drift.

``pycon`` blocks (``>>>`` prompts) run as doctests and their printed output is compared;
``python`` blocks are executed; blocks tagged ``sh``/``text`` are not code. All blocks of one file
share a namespace, in order, like a notebook.
"""

from __future__ import annotations

import doctest
import os
import re
from pathlib import Path

import pytest

from microgradnet import ops

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(path: Path) -> list[tuple[str, str, int]]:
    text = path.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in BLOCK.finditer(text)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_blocks_run(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # ops a page registers stay on that page
    for table in (ops.OPS, ops.FLOAT_FUNCTIONS):
        saved = dict(table)
        request.addfinalizer(lambda t=table, s=saved: (t.clear(), t.update(s)))
    namespace: dict[str, object] = {"__name__": "__docs__"}
    ran = 0
    for lang, code, line in blocks(path):
        where = f"{path.name}:{line}"
        if lang == "pycon":
            test = doctest.DocTestParser().get_doctest(code, namespace, where, str(path), line)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
            runner.run(test, clear_globs=False)
            assert runner.failures == 0, f"doctest failed in {where}"
            namespace.update(test.globs)
        elif lang == "python":
            exec(compile(code, where, "exec"), namespace)
        else:
            continue
        ran += 1
    if path.name == "README.md":
        assert ran >= 2


def test_readme_gives_the_two_commands_first() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lang, first, _ = blocks(ROOT / "README.md")[0]
    assert lang == "sh"
    assert [line.split("#")[0].strip() for line in first.strip().splitlines()] == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK) or "bash" in ci
    assert text.index("make test") < text.index("## Ten lines")


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "path", [ROOT / "README.md", ROOT / "demos" / "README.md", ROOT / "CHANGELOG.md"], ids=lambda p: p.name
)
def test_relative_links_point_at_files_that_exist(path: Path) -> None:
    """mkdocs checks the links inside docs/; this checks the pages GitHub shows outside it."""
    missing = [
        target
        for target in LINK.findall(path.read_text(encoding="utf-8"))
        if "://" not in target and not (path.parent / target).exists()
    ]
    assert not missing, f"{path.name} links to missing files: {missing}"
