"""The pictures the README and demos/README.md show exist, are PNGs, and stay small."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "demos" / "README.md", ROOT / "docs" / "classroom.md"]
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def images(page: Path) -> list[tuple[str, Path]]:
    text = page.read_text(encoding="utf-8")
    return [(alt, (page.parent / target).resolve()) for alt, target in IMAGE.findall(text)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_picture_exists_is_a_small_png_and_has_a_description(page: Path) -> None:
    for alt, path in images(page):
        assert path.is_file(), f"{page.name} shows {path}, which is missing (docs/images/make_images.py)"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
        assert path.stat().st_size < 150_000, f"{path} is {path.stat().st_size} bytes; keep it under 150 kB"
        assert len(alt) > 15, f"{path.name} needs a description (alt text) in {page.name}"


def test_readme_shows_a_graph_and_the_stepper_and_demos_show_each_result() -> None:
    shown = {p.name for _, p in images(ROOT / "README.md")}
    assert {"graph.png", "stepper.png"} <= shown
    demo_text = (ROOT / "demos" / "README.md").read_text(encoding="utf-8")
    for script in sorted((ROOT / "demos").glob("*.py")):
        if script.stem != "backprop_by_hand":  # it prints; it draws nothing
            assert f"../docs/images/demos/{script.stem}_" in demo_text, script.name
    total = sum(p.stat().st_size for p in (ROOT / "docs" / "images").rglob("*.png"))
    assert total < 1_500_000, f"docs/images holds {total} bytes of pictures; keep it under 1.5 MB"
