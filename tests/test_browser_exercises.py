"""Nepali worksheets in a real browser: the embedded Devanagari font loads offline.

Headless Debian Chromium through Playwright, as in test_browser.py (the fixture is imported from
there): skipped without Chromium, a failure in CI. The machine this was written on has no
Devanagari font at all (``fc-list :lang=ne`` is empty), so the text can only render with the
font the page carries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from microgradnet.locales import FONT_FAMILY
from microgradnet.viz import make_worksheet
from test_browser import SHOTS, browser  # noqa: F401  (the fixture; tests/ is on sys.path)


def test_nepali_worksheet_renders_with_its_own_font_and_no_network(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    ws = make_worksheet("(a*b + c) * f", {"c": 10}, seed=1, slip="local_only", lang="ne", fmt="html")
    key, _ = ws.save(tmp_path / "key.html", format="html")
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(key.as_uri())
    status = page.evaluate(
        """async (family) => {
            await document.fonts.ready;
            const faces = [...document.fonts].filter((f) => f.family.replace(/"/g, "") === family);
            await Promise.all(faces.map((f) => f.load()));
            return {statuses: faces.map((f) => f.status),
                    covers: document.fonts.check(`16px "${family}"`, "ब्याकप्रोपोगेसन"),
                    lang: document.documentElement.lang,
                    heading: document.querySelector("h1").textContent};
        }""",
        FONT_FAMILY,
    )
    assert status["statuses"] == ["loaded"] and status["covers"] is True
    assert status["lang"] == "ne" and status["heading"].startswith("ब्याकप्रोपोगेसन कार्यपत्र")
    assert all(url.startswith(("file:", "data:")) for url in requests)  # nothing from the network
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "worksheet-ne.png"), full_page=True)
    page.close()
