"""The documentation site's structure: every page reachable from the nav, and the pre-rendered
MNIST-lab pictures made by the page's own code.

(The pages' code blocks run in test_docs.py; the strict build, which also fails on a missing
image or a broken link or anchor, runs in test_reference.py.)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def nav_pages(entries: Any) -> list[str]:
    pages: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            pages.append(entry)
        elif isinstance(entry, dict):
            for value in entry.values():
                pages.extend([value] if isinstance(value, str) else nav_pages(value))
    return pages


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = nav_pages(config["nav"])
    on_disk = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(set(on_disk) - set(listed)) == [], "add these pages to the nav in mkdocs.yml"
    assert sorted(set(listed) - set(on_disk)) == [], "these nav entries have no page"
    assert len(listed) == len(set(listed)), "a page is listed twice in the nav"


def test_the_four_parts_are_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    sections = [next(iter(e)) for e in config["nav"] if isinstance(e, dict)]
    for part in ("Tutorial", "How-to guides", "Explanation", "Reference"):
        assert part in sections


def test_lab_picture_script_runs_the_page_code() -> None:
    spec = importlib.util.spec_from_file_location("make_lab_images", DOCS / "images" / "make_lab_images.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)  # defines main() without running it
    page = script.PAGE.read_text(encoding="utf-8")
    assert script.PAGE == DOCS / "howto" / "mnist-lab.md"
    assert page.count(script.SMALL) == 1, "the page's subset line changed: update make_lab_images.py"
    # the sizes the page says its pictures were made with are the script's
    full = script.FULL.split("=")[1].split(",")
    samples, test, epochs, hidden = (int(x) for x in full)
    assert f"{samples:,} training images" in page
    assert f"{test} test images" in page and f"{epochs} epochs" in page and f"{hidden} hidden units" in page
    for name in ("lab_accuracy.png", "lab_max_weights_tanh.png", "lab_max_weights_sigmoid.png"):
        assert f'"{name}"' in page, f"the page's code no longer writes {name}"
        assert (DOCS / "images" / name).is_file(), f"run docs/images/make_lab_images.py to make {name}"
