"""The stepper page in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

No browser is ever downloaded: Playwright launches the system Chromium at /usr/bin/chromium. On a
machine without it these tests skip and say how to install it; in CI (the environment variable
CI set, as .ci/run does after installing Chromium) a missing Chromium is a failure.

Screenshots are saved to out/browser/ under the repository (gitignored) so a person can look.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from microgradnet import Value
from microgradnet.viz import HtmlStepper, export_html
from microgradnet.viz.expr import parse_expression

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "out" / "browser"
INSTALL = (
    "install Debian's Chromium to run it: sudo apt-get install chromium "
    "(Playwright drives /usr/bin/chromium; it never downloads a browser)"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = None
    if not CHROMIUM.exists():
        problem = f"the browser test needs Chromium at {CHROMIUM}; {INSTALL}"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the browser test needs the playwright package (pip install -e '.[dev]')"
    if problem is not None:
        if _in_ci():
            pytest.fail(f"CI is set, so a skipped browser test is a failure: {problem}")
        pytest.skip(problem)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """One opened page, with every request and dialog it makes recorded."""

    def __init__(self, browser: Any, url: str, width: int = 1280, height: int = 860) -> None:
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_selector('.mg-stepper[data-ready="true"]')

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).first.text_content())

    def step(self) -> int:
        return int(self.text(".mg-k"))

    def node_text(self, name: str, field: str) -> str:
        """The text of a value node's ``data`` or ``grad`` line in the SVG, found by its label."""
        return str(
            self.page.evaluate(
                """([name, field]) => {
                  for (const g of document.querySelectorAll("[data-mg-node]")) {
                    if (g.querySelector("text.mg-name").textContent === name)
                      return g.querySelector("text.mg-" + field).textContent;
                  }
                  return null;
                }""",
                [name, field],
            )
        )

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def close(self) -> None:
        self.page.close()


def lecture() -> Value:
    # Karpathy's micrograd lecture: L = (a*b + c) * f at a=2, b=-3, c=10, f=-2, with the lecture's
    # names e = a*b and d = e + c; dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4
    return parse_expression("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2})


@pytest.fixture(scope="module")
def lecture_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, HtmlStepper]:
    stepper = HtmlStepper(lecture(), title="L = (a*b + c) * f", interval=0.25)
    path = stepper.save(tmp_path_factory.mktemp("browser") / "lecture.html")
    return path, stepper


def test_stepping_to_the_end_shows_the_lecture_gradients(
    browser: Any, lecture_page: tuple[Path, HtmlStepper]
) -> None:
    path, stepper = lecture_page
    n = len(stepper.steps)
    view = Page(browser, path.as_uri())
    assert view.step() == 1 and view.text(".mg-n") == str(n)
    assert view.node_text("a", "grad") == "grad ?"  # nothing known before the backward pass
    seen: dict[str, str] = {}
    for k in range(2, n + 1):
        view.press("ArrowRight")
        assert view.step() == k
        seen[view.text(".mg-update")] = view.text(".mg-equation")
        if k == n - 1:
            SHOTS.mkdir(parents=True, exist_ok=True)
            view.page.screenshot(path=str(SHOTS / "stepper.png"), full_page=True)
    view.press("ArrowRight")  # past the end stays at the end
    assert view.step() == n and view.page.url.endswith(f"#step={n}")
    # the edge into a, written out: ∂L/∂a += ∂e/∂a · ∂L/∂e = b · ∂L/∂e = (-3) · (-2) = 6
    update = next(u for u in seen if "a.grad 0 → 6" in u)
    assert "∂L/∂a += ∂e/∂a · ∂L/∂e = b · ∂L/∂e" in seen[update] and "(-3) · (-2) = 6" in seen[update]
    assert any("b.grad 0 → -4" in u for u in seen)
    assert (view.node_text("a", "grad"), view.node_text("b", "grad")) == ("grad 6", "grad -4")
    assert (view.node_text("c", "grad"), view.node_text("f", "grad")) == ("grad -2", "grad 4")
    final = view.text(".mg-sym")
    assert "∂L/∂a = 6" in final and "∂L/∂b = -4" in final
    assert view.errors == [] and view.dialogs == []
    assert view.requests and all(u.startswith("file:") for u in view.requests), view.requests
    view.close()


def test_deep_link_keys_slider_and_play(browser: Any, lecture_page: tuple[Path, HtmlStepper]) -> None:
    path, stepper = lecture_page
    view = Page(browser, path.as_uri() + "#step=9")
    assert view.step() == 9
    expected = stepper.steps[8]
    assert view.text(".mg-step-title") == expected["title"]
    assert view.text(".mg-update") == expected["lines"][2]
    assert view.node_text("a", "grad") == "grad 0 …"  # a is still pending at step 9
    view.press("ArrowLeft")
    assert view.step() == 8 and view.page.url.endswith("#step=8")
    view.press("End")
    assert view.step() == len(stepper.steps)
    view.press("Home")
    assert view.step() == 1
    view.page.locator(".mg-slider").fill("5")
    assert view.step() == 5 and view.text(".mg-step-title") == stepper.steps[4]["title"]
    view.page.evaluate("location.hash = '#step=11'")
    view.page.wait_for_function("document.querySelector('.mg-k').textContent === '11'")
    view.press("Home")
    view.press(" ")  # play
    view.page.wait_for_function("Number(document.querySelector('.mg-k').textContent) >= 3", timeout=5000)
    view.press(" ")  # pause
    paused_at = view.step()
    view.page.wait_for_timeout(600)
    assert view.step() == paused_at
    view.press("p")
    view.press("c")
    classes = str(view.page.locator(".mg-stepper").get_attribute("class"))
    assert "mg-projector" in classes and "mg-theme-colorblind" in classes
    view.page.locator(".mg-slider").fill("10")
    SHOTS.mkdir(parents=True, exist_ok=True)
    view.page.screenshot(path=str(SHOTS / "stepper-projector-colorblind.png"), full_page=True)
    assert all(u.startswith("file:") for u in view.requests), view.requests
    assert view.errors == []
    view.close()


def test_malicious_label_renders_as_text(browser: Any, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    a = Value(2.0, label=evil)
    b = Value(-3.0, label="</script><img src=x onerror=alert(2)>")
    L = a * b
    L.label = "L"
    path = export_html(L, tmp_path / "evil.html", title=evil)
    view = Page(browser, path.as_uri())
    view.press("End")
    assert view.node_text(evil, "grad") == "grad -3"
    assert view.text(".mg-title") == evil
    assert view.dialogs == [] and view.errors == []
    assert view.page.evaluate("document.querySelectorAll('script').length") == 3
    assert view.page.evaluate("document.querySelectorAll('img').length") == 0
    assert all(u.startswith("file:") for u in view.requests), view.requests
    view.close()


def test_page_without_network_access_at_all(browser: Any, lecture_page: tuple[Path, HtmlStepper]) -> None:
    # every request other than the file itself is refused: the page must still work
    path, _ = lecture_page
    context = browser.new_context()
    refused: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    context.route(re.compile(".*"), route)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector('.mg-stepper[data-ready="true"]')
    page.keyboard.press("End")
    assert refused == []
    context.close()


def test_two_notebook_steppers_on_one_page_are_independent(browser: Any, tmp_path: Path) -> None:
    # what Jupyter does with _repr_html_: fragments inside a host page; keys act only on the
    # stepper that has focus, and the host page's address is never touched
    first = HtmlStepper(lecture())._repr_html_()
    second = HtmlStepper(
        parse_expression("d = a*b; e = b + c; L = d*e", {"a": 2, "b": -3, "c": 10})
    )._repr_html_()
    host = tmp_path / "notebook.html"
    host.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{first}<hr>{second}</body></html>',
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(host.as_uri())
    page.wait_for_function("document.querySelectorAll('.mg-stepper[data-ready=\"true\"]').length === 2")
    counters = page.locator(".mg-k")
    page.keyboard.press("ArrowRight")  # nothing focused: the notebook keeps its keys
    assert [counters.nth(0).text_content(), counters.nth(1).text_content()] == ["1", "1"]
    page.locator(".mg-stepper").nth(1).locator(".mg-title").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert [counters.nth(0).text_content(), counters.nth(1).text_content()] == ["1", "3"]
    page.locator(".mg-stepper").nth(0).locator('[data-act="last"]').click()
    assert [counters.nth(0).text_content(), counters.nth(1).text_content()] == ["12", "3"]
    assert "#" not in page.url and errors == []
    page.close()


def test_follow_mode_zooms_in_on_a_wide_graph(browser: Any, tmp_path: Path) -> None:
    text = (
        "h1 = tanh(x1*w1 + x2*w2 + b1); h2 = tanh(x1*w3 + x2*w4 + b2); "
        "p = h1*v1 + h2*v2 + c; L = (p - y)**2 / 2"
    )
    values = {"x1": 2, "x2": -1, "w1": 0.5, "w2": -0.3, "b1": 0.1, "w3": -0.8, "w4": 0.2, "b2": 0.05}
    values.update({"v1": 1.2, "v2": -0.7, "c": 0.3, "y": 1.0})
    path = export_html(parse_expression(text, values), tmp_path / "wide.html")  # 30 nodes
    view = Page(browser, path.as_uri() + "#step=20")
    box = "document.querySelector('.mg-graph svg').getAttribute('viewBox')"
    near_output = view.page.evaluate(box)
    view.press("End")
    view.press("ArrowLeft")  # the last edge, near the inputs
    near_inputs = view.page.evaluate(box)
    width = float(near_output.split()[2])
    assert near_output != near_inputs and float(near_inputs.split()[0]) < float(near_output.split()[0])
    view.press("z")  # the whole graph
    assert float(view.page.evaluate(box).split()[2]) > 2 * width
    assert view.errors == []
    view.close()


def test_predict_first_hides_each_result_until_the_next_key(
    browser: Any, lecture_page: tuple[Path, HtmlStepper]
) -> None:
    path, stepper = lecture_page
    view = Page(browser, path.as_uri() + "#step=9")
    view.press("q")  # predict first
    view.press("ArrowRight")  # step 10, the edge into a: its result is hidden
    assert view.step() == 10
    assert view.text(".mg-update") == "a.grad 0 → ?" and view.node_text("a", "grad") == "grad ?"
    assert "Your turn" in view.text(".mg-narration")
    assert "∂L/∂a += ∂e/∂a · ∂L/∂e = b · ∂L/∂e" in view.text(".mg-sym")  # the question stays visible
    view.press("ArrowRight")  # reveal, same step
    assert view.step() == 10
    assert view.text(".mg-update") == stepper.steps[9]["lines"][2] and view.node_text("a", "grad") == "grad 6"
    view.press("ArrowRight")
    assert view.step() == 11 and view.text(".mg-update") == "b.grad 0 → ?"
    view.press("q")  # off again: the answer shows at once
    assert view.text(".mg-update") == "b.grad 0 → -4  (final)"
    assert view.errors == []
    view.close()


def test_quiz_checks_typed_answers_and_keeps_a_score(browser: Any, tmp_path: Path) -> None:
    # the lecture's graph again: e = a*b = -6 (forward), then ∂L/∂a = b · ∂L/∂e = (-3)·(-2) = 6
    # and ∂L/∂b = a · ∂L/∂e = 2·(-2) = -4 (backward)
    path = export_html(lecture(), tmp_path / "quiz.html", quiz=True, interval=0.25)
    view = Page(browser, path.as_uri())
    feedback, score = ".mg-quiz-feedback", ".mg-quiz-score"
    assert view.page.locator(feedback).get_attribute("aria-live") == "polite"
    view.press("ArrowRight")  # step 2: compute e, its value hidden and the answer box focused
    assert view.step() == 2 and view.node_text("e", "data") == "data ?"
    assert view.page.evaluate("document.activeElement.className") == "mg-quiz-input"
    assert "Your turn: what is e?" in view.text(".mg-narration")
    view.page.keyboard.type("-6")
    view.press("Enter")
    assert view.text(feedback) == "Right: e = -6." and view.node_text("e", "data") == "data -6"
    assert view.text(score) == "Score: 1 of 1 right first time."
    assert not view.page.locator(".mg-all").is_visible()  # the step list would give answers away
    view.page.goto(path.as_uri() + "#step=9")
    view.page.reload()
    view.page.wait_for_selector('.mg-stepper[data-ready="true"]')
    view.press("ArrowRight")  # step 10: the edge into a
    assert view.step() == 10 and view.text(".mg-update") == "a.grad 0 → ?"
    view.page.keyboard.type("-2")  # the upstream gradient alone: wrong, with a hint
    view.press("Enter")
    text = view.text(feedback)
    assert text.startswith("Not quite: -2 is not a.grad.") and "upstream gradient" in text
    assert view.text(".mg-update") == "a.grad 0 → ?" and view.node_text("a", "grad") == "grad ?"
    view.page.keyboard.type("(-3)*(-2)")  # the text was selected: typing replaces it
    view.press("Enter")
    assert view.text(feedback) == "Right: a.grad = 6."
    assert view.node_text("a", "grad") == "grad 6" and "(-3) · (-2) = 6" in view.text(".mg-num")
    assert view.text(score) == "Score: 0 of 1 right first time."  # right, but not first time
    view.press("ArrowRight")  # step 11: the edge into b
    view.page.keyboard.type("2")  # the local derivative alone
    view.press("Enter")
    assert "local derivative ∂e/∂b" in view.text(feedback)
    view.page.keyboard.type("four")
    view.press("Enter")
    assert "is not a number I can read" in view.text(feedback)
    view.press("Tab")
    view.press("Tab")  # past "check" to "show answer", by keyboard
    view.press("Enter")
    assert view.text(feedback) == "The answer: b.grad = -4." and view.node_text("b", "grad") == "grad -4"
    assert view.text(score) == "Score: 0 of 2 right first time."
    SHOTS.mkdir(parents=True, exist_ok=True)
    view.page.screenshot(path=str(SHOTS / "stepper-quiz.png"), full_page=True)
    view.press("ArrowRight")  # the focus left the answer box: → steps on
    assert view.step() == 12
    view.press("Home")
    view.press(" ")  # playing stops at the first question (e = a*b, not asked since the reload)
    view.page.wait_for_function("document.querySelector('.mg-k').textContent === '2'", timeout=5000)
    view.page.wait_for_timeout(700)
    assert view.step() == 2 and view.node_text("e", "data") == "data ?"
    assert view.page.locator('[data-act="play"]').get_attribute("aria-pressed") == "false"
    assert view.errors == [] and view.dialogs == []
    assert all(u.startswith("file:") for u in view.requests), view.requests
    view.close()
