"""The layering in DESIGN.md: the engine and the op table import nothing but the standard library,
and no module imports a layer above its own."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import microgradnet

PACKAGE = Path(microgradnet.__file__).parent

# the layer of each top-level module (lower numbers are lower layers)
LAYERS = {
    "_files": 0,
    "locales": 0,
    "ops": 0,
    "engine": 1,
    "testing": 2,
    "slips": 2,
    "nn": 2,
    "losses": 2,
    "optim": 2,
    "data": 2,
    "compile": 2,
    "train": 3,
    "viz": 3,
    "plots": 3,
    "examples": 3,
    "cli": 4,
    "__main__": 5,
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", ["ops.py", "engine.py"])
def test_core_imports_only_the_standard_library(module: str) -> None:
    for name in imports_of(PACKAGE / module):
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or name in {"microgradnet.ops"}, (module, name)


def test_no_module_imports_a_layer_above_it() -> None:
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).parts
        mine = LAYERS.get(rel[0].removesuffix(".py"))
        if mine is None:
            continue
        for name in imports_of(path):
            parts = name.split(".")
            if parts[0] == "microgradnet" and len(parts) > 1:
                theirs = LAYERS.get(parts[1])
                assert theirs is None or theirs <= mine, (path, name)
