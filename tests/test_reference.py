"""The reference docs: generated from docstrings, built with warnings as errors, and covering every
public module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import microgradnet

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"


def public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(microgradnet.__path__, "microgradnet."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or parts[1] == "cli":
            continue
        names.append(info.name)
    return sorted(names)


def test_every_public_module_has_a_reference_entry() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in REFERENCE.glob("*.md"))
    missing = []
    for name in public_modules():
        covered = f"::: {name}\n" in text + "\n" or any(
            f"::: {child}" in text for child in public_modules() if child.startswith(name + ".")
        )
        if not covered:
            missing.append(name)
    assert not missing, f"add a '::: module' entry under docs/reference/ for {missing}"


def test_every_public_function_has_a_docstring() -> None:
    import importlib
    import inspect

    undocumented = []
    for name in public_modules():
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and not inspect.getdoc(obj):
                undocumented.append(f"{name}.{attr}")
    assert not undocumented


@pytest.mark.skipif(sys.platform == "win32", reason="posix paths")
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "reference" / "ops" / "index.html").exists()
