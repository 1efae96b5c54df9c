"""The documentation site's structure: every page reachable from the nav, the pre-rendered
MNIST-lab pictures made by the page's own code, and the built site: it loads nothing from the
network and shows no raw Sphinx role (docs/hooks/sphinx_roles.py turns them into code links).

(The pages' code blocks run in test_docs.py; the strict build, which also fails on a missing
image or a broken link or anchor, runs in test_reference.py.)
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
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


# ---- the built site works offline and shows no raw Sphinx roles ----------------------------------

_LOADS = re.compile(
    r"<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"|"
    r"<link\b[^>]*\bhref=\"(?:https?:)?//[^\"]*\"|url\(\s*['\"]?(?:https?:)?//|@import\s+['\"]?(?:https?:)?//"
)
_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const|ref|term):")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_built_site_loads_nothing_from_the_network(site: Path) -> None:
    offenders = []
    for path in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        for m in _LOADS.finditer(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(site)}: {m.group(0)[:120]}")
    assert not offenders, "\n".join(offenders)
    # code is still coloured: by Pygments at build time, with the site's own stylesheet
    tutorial = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert 'class="highlight"' in tutorial and "css/pygments.css" in tutorial
    assert (site / "css" / "pygments.css").is_file()


def test_no_raw_sphinx_roles_and_roles_become_links(site: Path) -> None:
    raw = []
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        raw.extend(f"{path.relative_to(site)}: {m.group(0)}" for m in _ROLE.finditer(text))
        assert 'class="mg-ref"' not in text, path
    assert not raw, raw[:20]
    optim = (site / "reference" / "optim" / "index.html").read_text(encoding="utf-8")
    assert '<a href="#microgradnet.optim.SGD"><code>SGD</code></a>' in optim
    search = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert not _ROLE.search(search)
