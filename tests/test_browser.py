"""The stepper page in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

No browser is ever downloaded: Playwright launches the system Chromium at /usr/bin/chromium. On a
machine without it these tests skip and say how to install it; in CI (the environment variable
CI set, as .ci/run does after installing Chromium) a missing Chromium is a failure.

One browser serves the whole module and the pages are built once. Screenshots are saved to
out/browser/ under the repository (gitignored) so a person can look.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from microgradnet import Value, apply
from microgradnet.examples import load_example
from microgradnet.viz import HtmlStepper, export_html
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.limits import LargeGraphWarning

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
SCREENS = [(1024, 768), (1280, 800), (1920, 1080)]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_stepper_page", ROOT / "benchmarks" / "stepper_page.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


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

    def __init__(self, browser: Any, url: str, width: int = 1280, height: int = 800) -> None:
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        start = time.perf_counter()
        self.page.goto(url)
        self.page.wait_for_selector('.mg-stepper[data-ready="true"]', timeout=30_000)
        self.load_seconds = time.perf_counter() - start

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).first.text_content())

    def step(self) -> int:
        return int(self.text(".mg-k"))

    def node_text(self, name: str, field: str) -> str:
        """The text of a value node's ``data`` or ``grad`` field in the picture, found by its name."""
        return str(
            self.page.evaluate(
                """([name, field]) => {
                  for (const g of document.querySelectorAll("[data-mg-node]")) {
                    if (g.querySelector(".mg-name").textContent === name)
                      return g.querySelector(".mg-" + field).textContent;
                  }
                  return null;
                }""",
                [name, field],
            )
        )

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def address_ends(self, tail: str) -> bool:
        """Whether the address comes to end in ``tail`` (the page writes it shortly after a step)."""
        self.page.wait_for_function("tail => location.href.endsWith(tail)", arg=tail, timeout=3000)
        return True

    def address(self) -> str:
        """The address once the page has written it for the current step."""
        self.page.wait_for_timeout(200)
        return str(self.page.url)

    def go(self, step: int) -> None:
        self.page.evaluate("k => document.querySelector('.mg-stepper').mgStepper.go(k)", step)

    def close(self) -> None:
        self.page.close()


def lecture() -> Value:
    # Karpathy's micrograd lecture: L = (a*b + c) * f at a=2, b=-3, c=10, f=-2, with the lecture's
    # names e = a*b and d = e + c; dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4
    return parse_expression("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2})


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, HtmlStepper]]:
    folder = tmp_path_factory.mktemp("browser")
    built = {
        "lecture": HtmlStepper(lecture(), title="L = (a*b + c) * f", interval=0.25),
        "moons": HtmlStepper(load_example("moons-mlp").root, title="moons-mlp", interval=0.25),
    }
    with pytest.warns(LargeGraphWarning, match="2,020 value nodes"):
        built["big"] = HtmlStepper(_benchmark().big_graph(), title="2,000 nodes")
    return {name: (stepper.save(folder / f"{name}.html"), stepper) for name, stepper in built.items()}


# ---- stepping ------------------------------------------------------------------------------


def test_stepping_to_the_end_shows_the_lecture_gradients(browser: Any, pages: dict[str, Any]) -> None:
    path, stepper = pages["lecture"]
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
            view.page.screenshot(path=str(SHOTS / "stepper.png"))
    view.press("ArrowRight")  # past the end stays at the end
    assert view.step() == n and view.address_ends(f"#step={n}")
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


def test_deep_link_keys_slider_and_play(browser: Any, pages: dict[str, Any]) -> None:
    path, stepper = pages["lecture"]
    view = Page(browser, path.as_uri() + "#step=9")
    assert view.step() == 9
    expected = stepper.steps[8]
    assert view.text(".mg-step-title") == expected["title"]
    assert view.text(".mg-update") == expected["lines"][2]
    assert view.node_text("a", "grad") == "grad 0 …"  # a is still pending at step 9
    view.press("ArrowLeft")
    assert view.step() == 8 and view.address_ends("#step=8")
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


def test_page_without_network_access_at_all(browser: Any, pages: dict[str, Any]) -> None:
    # every request other than the file itself is refused: the page must still work
    path, _ = pages["lecture"]
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
    ids = page.evaluate("[...document.querySelectorAll('.mg-stepper')].map(e => e.id)")
    assert len(set(ids)) == 2
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
    # the playground's way: mount the same component again with other data, no reload
    page.evaluate(
        """() => {
          const [a, b] = document.querySelectorAll('.mg-stepper');
          const data = JSON.parse(b.querySelector('script.mg-steps').textContent);
          MicrogradnetStepper.mount(a, data, {standalone: false});
        }"""
    )
    assert counters.nth(0).text_content() == "1"
    assert (
        page.locator(".mg-stepper").nth(0).locator(".mg-n").text_content()
        == page.locator(".mg-stepper").nth(1).locator(".mg-n").text_content()
    )
    assert errors == []
    page.close()


# ---- what the picture shows ----------------------------------------------------------------

READABLE = """(minPx) => {
  const graph = document.querySelector('.mg-graph').getBoundingClientRect();
  const inside = r => r.left >= graph.left - 0.5 && r.right <= graph.right + 0.5 &&
                      r.top >= graph.top - 0.5 && r.bottom <= graph.bottom + 0.5;
  const height = span => {
    const range = document.createRange();
    range.selectNodeContents(span);
    return range.getBoundingClientRect();
  };
  const labels = [...document.querySelectorAll('.mg-view:not([style*="none"]) .mg-name')]
    .filter(s => s.textContent).map(height).filter(r => inside(r) && r.height >= minPx);
  const current = document.querySelector('.mg-receiver .mg-name, .mg-node.mg-computing .mg-name');
  const cur = current ? height(current) : null;
  return {labels: labels.length, current: cur && inside(cur) ? cur.height : 0};
}"""


@pytest.mark.parametrize("name", ["moons", "big"])
def test_labels_around_the_current_edge_stay_readable(browser: Any, pages: dict[str, Any], name: str) -> None:
    # at 1280x800 the picture follows the step: the current node's name and at least two more
    # labels around it are at least 14 px high on these graphs (not on every graph: when an
    # edge's ends lie far apart only the receiving end is kept in view; docs/stepper.md says so)
    path, stepper = pages[name]
    view = Page(browser, path.as_uri())
    n = len(stepper.steps)
    probes = sorted({2, n // 5, n // 3, stepper.data()["backward_start"] + 1, n // 2, 2 * n // 3, n - 2})
    for k in probes:
        view.go(k)
        kind = stepper.steps[k - 1]["kind"]
        if kind not in ("forward", "edge"):
            continue
        got = view.page.evaluate(READABLE, 14)
        assert got["current"] >= 14 and got["labels"] >= 3, (k, kind, got)
    view.page.screenshot(path=str(SHOTS / f"readable-{name}.png"))
    assert view.errors == []
    view.close()


def test_zoom_pan_keys_and_the_outline(browser: Any, pages: dict[str, Any]) -> None:
    path, _ = pages["moons"]
    view = Page(browser, path.as_uri() + "#step=120")
    transform = "getComputedStyle(document.querySelector('.mg-scale')).transform"
    move = "getComputedStyle(document.querySelector('.mg-world')).transform"

    def scale() -> float:
        return float(re.findall(r"[-\d.e]+", view.page.evaluate(transform))[0])

    def shift() -> list[float]:
        return [float(x) for x in re.findall(r"[-\d.e]+", view.page.evaluate(move))[4:6]]

    assert view.page.locator(".mg-minimap").is_visible()  # zoomed in: the outline shows where
    s0 = scale()
    view.press("+")
    assert scale() == pytest.approx(1.25 * s0, rel=1e-3)
    view.press("-")
    view.press("-")
    assert scale() < s0
    box = view.page.locator(".mg-graph").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    view.page.mouse.move(cx, cy)
    s1 = scale()
    view.page.mouse.wheel(0, -300)  # wheel up: zoom in at the pointer
    view.page.wait_for_function(f"parseFloat({transform}.split('(')[1]) > {s1 * 1.05}")
    before = shift()
    view.page.mouse.move(cx, cy)
    view.page.mouse.down()
    view.page.mouse.move(cx - 120, cy - 60, steps=4)
    view.page.mouse.up()
    after = shift()
    assert after[0] == pytest.approx(before[0] - 120, abs=2) and after[1] == pytest.approx(
        before[1] - 60, abs=2
    )
    view.press("Shift+ArrowLeft")  # pan with the keys
    assert shift()[0] > after[0]
    view.press("0")  # the whole graph: everything fits, no outline needed
    assert not view.page.locator(".mg-minimap").is_visible()
    assert view.page.locator('[data-act="follow"]').get_attribute("aria-pressed") == "false"
    view.press("z")  # follow again: readable size
    assert view.page.locator('[data-act="follow"]').get_attribute("aria-pressed") == "true"
    assert view.page.evaluate(READABLE, 14)["current"] >= 14
    assert view.errors == []
    view.close()


def test_levels_vector_form_and_links_to_the_scalar_edges(browser: Any, pages: dict[str, Any]) -> None:
    path, stepper = pages["moons"]
    view = Page(browser, path.as_uri())
    n_scalar = len(stepper.steps)
    view.press("3")  # layers
    n_layer = int(view.text(".mg-n"))
    assert n_layer < n_scalar / 4 and view.address_ends("&view=layer")
    assert view.page.locator("[data-mg-box]").count() >= 2
    view.press("End")
    while "Backward pass: layer 0" not in view.text(".mg-step-title"):
        view.press("ArrowLeft")
    table = view.page.locator(".mg-matrix")
    assert table.is_visible() and "dW = δ · xᵀ" in view.text(".mg-matrix caption")
    assert "dx = Wᵀ · δ = " in view.text(".mg-update")
    cell = view.page.locator(".mg-matrix .mg-link").first
    target = int(str(cell.get_attribute("data-step")))
    cell.click()  # opens layer 0 and goes to the edge that number comes from
    assert view.address_ends("&view=layer/0")
    assert view.text(".mg-step-title") == stepper.steps[target]["title"]
    assert view.page.locator(".mg-frame").count() == 1 and view.page.locator("[data-mg-node]").count() > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    view.page.screenshot(path=str(SHOTS / "stepper-layer-open.png"))
    view.press("e")  # close it again: the same place in the layer view
    assert view.address().split("&view=")[1] == "layer"
    view.press("2")  # neurons
    assert view.address_ends("&view=neuron") and int(view.text(".mg-n")) > n_layer
    view.press("1")
    assert int(view.text(".mg-n")) == n_scalar and "&view" not in view.address()
    assert view.errors == []
    view.close()


# ---- fitting the screen --------------------------------------------------------------------

FITS = """() => {
  const W = innerWidth, H = innerHeight, out = [];
  const root = document.querySelector('.mg-stepper');
  const doc = document.documentElement;
  if (doc.scrollHeight > H || doc.scrollWidth > W)
    out.push('page scrolls ' + doc.scrollWidth + 'x' + doc.scrollHeight);
  const check = (el, what) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5)
      out.push(what + ' outside ' + [r.left, r.top, r.right, r.bottom].map(Math.round));
  };
  root.querySelectorAll('.mg-controls button, .mg-controls input, .mg-controls select').forEach(
    b => check(b, 'control ' + (b.getAttribute('data-act') || b.className)));
  const panel = ['.mg-step-title', '.mg-equation', '.mg-quiz-ask', '.mg-quiz-feedback',
                 '.mg-vector', '.mg-more'];
  panel.forEach(sel => {
    const el = root.querySelector(sel);
    if (el && el.offsetParent !== null) check(el, sel);
  });
  const eq = root.querySelector('.mg-main');
  if (eq.scrollHeight > eq.clientHeight + 1 || eq.scrollWidth > eq.clientWidth + 1)
    out.push('equation overflows');
  const stage = root.querySelector('.mg-stage').getBoundingClientRect();
  const shown = [...root.querySelector('.mg-app').children].filter(c => c.offsetParent !== null);
  const last = shown[shown.length - 1].getBoundingClientRect();
  return {problems: out, stage: stage.height, bottom: last.bottom, height: H};
}"""


def _longest_edge(stepper: HtmlStepper) -> int:
    """The backward step with the most text (equation, narration and the longest hint)."""

    def size(s: dict[str, Any]) -> int:
        hints = max((len(h[1]) for h in s["masked"]["hints"]), default=0)
        return len("".join(s["lines"])) + len(s["narration"]) + hints + len(s["title"])

    edges = [k for k, s in enumerate(stepper.steps) if s["kind"] == "edge"]
    return max(edges, key=lambda k: size(stepper.steps[k]))


def test_every_control_and_the_equation_fit_each_screen(browser: Any, pages: dict[str, Any]) -> None:
    # 1024x768, 1280x800, 1920x1080; normal and projector; quiz off and on (with a wrong answer's
    # hint showing): nothing scrolls, every control and the equation lie inside the window; a
    # layer's vector-form step fits too; in projector mode the graph takes the free height and the
    # current node's text is at least 20 px high at 1024x768
    path, stepper = pages["moons"]
    longest = _longest_edge(stepper)
    hint = stepper.steps[longest]["masked"]["hints"][-1][0]
    view = Page(browser, path.as_uri())
    for width, height in SCREENS:
        view.page.set_viewport_size({"width": width, "height": height})
        for projector in (False, True):
            for quiz in (False, True):
                # the last step's address is written 120 ms after it: stop the stepper first, or
                # a busy machine reloads the page at that step and level
                view.page.evaluate("document.querySelector('.mg-stepper').mgStepper.destroy()")
                view.page.evaluate("location.hash = ''")
                view.page.reload()
                view.page.wait_for_selector('.mg-stepper[data-ready="true"]')
                if projector:
                    view.press("p")
                if quiz:
                    view.press("q")
                where = f"{width}x{height} projector={projector} quiz={quiz}"
                view.go(longest)
                view.press("ArrowRight")
                if quiz:  # the answer box has the focus: a wrong answer brings up the longest hint
                    view.page.keyboard.type(f"{hint:.6g}")
                    view.press("Enter")
                    assert "Not quite" in view.text(".mg-quiz-feedback"), where
                got = view.page.evaluate(FITS)
                assert got["problems"] == [], (where, "edge", got)
                assert got["bottom"] >= got["height"] - 40 and got["stage"] >= 100, (where, got)
                if projector and (width, height) == (1024, 768) and not quiz:
                    assert view.page.evaluate(READABLE, 20)["current"] >= 20, where
                    view.page.screenshot(path=str(SHOTS / "projector-1024.png"))
                view.press("Escape")
                view.page.locator(".mg-stepper").focus()
                view.press("3")
                view.press("End")
                while "Backward pass: layer 1" not in view.text(".mg-step-title"):
                    view.press("ArrowLeft")
                got = view.page.evaluate(FITS)
                assert got["problems"] == [], (where, "layer", got)
    assert view.errors == []
    view.close()


def test_a_wide_layers_step_fits_a_small_projector(browser: Any, pages: dict[str, Any]) -> None:
    # the 2,000-node graph's 16-wide dot, at 1024x768 in projector mode with the quiz on: the
    # equation is shown elided (the whole of it behind "more…") and everything still fits
    path, stepper = pages["big"]
    wide = max(
        (k for k, s in enumerate(stepper.steps) if s["kind"] == "forward"),
        key=lambda k: len(stepper.steps[k]["lines"][1]),
    )
    view = Page(browser, path.as_uri(), 1024, 768)
    view.press("p")
    view.press("q")
    view.go(wide)
    view.press("ArrowRight")
    assert view.step() == wide + 1 and "…" in view.text(".mg-num")
    got = view.page.evaluate(FITS)
    assert got["problems"] == [], got
    view.press("Escape")
    view.page.locator(".mg-more").click()  # the whole line, scrolling inside the panel if it must
    assert "…" not in view.text(".mg-num") and view.page.evaluate(FITS)["problems"] == []
    assert view.errors == []
    view.close()


# ---- quiz ----------------------------------------------------------------------------------


def test_predict_first_hides_each_result_until_the_next_key(browser: Any, pages: dict[str, Any]) -> None:
    path, stepper = pages["lecture"]
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
    view.page.screenshot(path=str(SHOTS / "stepper-quiz.png"))
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


def test_a_long_default_title_stops_at_two_lines(browser: Any, tmp_path: Path) -> None:
    # issue 12 audit: the default title of a sum of 600 products names every term; it used to
    # fill the window and push every control out of it. It now stops at two lines with an
    # ellipsis, keeps the whole text as its tooltip, and everything fits at 1024x768 and 1280x800
    xs = [Value(0.01 * i, label=f"x{i}") for i in range(600)]
    ws = [Value(0.5, label=f"w{i}") for i in range(600)]
    loss = apply("sum", *[w * x for w, x in zip(xs, ws, strict=True)])
    loss.label = "L"
    with pytest.warns(LargeGraphWarning, match="1,801 value nodes"):
        path = export_html(loss, tmp_path / "wide.html")
    for width, height in SCREENS[:2]:
        for projector in (False, True):
            view = Page(browser, path.as_uri(), width, height)
            if projector:
                view.press("p")
            title = view.page.locator(".mg-app .mg-title")
            box = title.bounding_box()
            line = float(title.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
            assert box is not None and box["height"] <= 2 * line + 1, (width, projector, box, line)
            tooltip = str(title.get_attribute("title"))
            assert tooltip.startswith("Backpropagation through L = sum(t1, t2, "), tooltip[:80]
            assert tooltip.endswith(", t600)"), tooltip[-80:]
            view.go(5)
            assert view.page.evaluate(FITS)["problems"] == [], (width, height, projector)
            assert view.errors == []
            view.close()


# ---- budgets -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["moons", "big"])
def test_page_size_load_time_and_step_time_within_budget(
    browser: Any, pages: dict[str, Any], name: str
) -> None:
    # issue 12's budgets for a 2,000-node graph (5 MB, 2 s to load, 50 ms per step), asserted
    # with 2x slack for a busy machine. The budget is met at the median only: the 95th percentile
    # and a step right after a jump are over it (benchmarks/RESULTS.md has the figures of
    # benchmarks/stepper_page.py), so they are held at 6x here, against a slower page going unseen
    path, stepper = pages[name]
    if name == "big":
        assert len(stepper.trace.nodes) >= 2000
    assert path.stat().st_size <= 5_000_000
    figures = _benchmark().measure_page(browser, path, steps=12, jumps=6)
    assert figures["load_s"] <= 4.0, figures
    assert figures["step_median_ms"] <= 100.0, figures
    assert figures["step_p95_ms"] <= 300.0 and figures["jump_median_ms"] <= 300.0, figures


def _section(text: str, marker: str) -> str:
    return text.split(f"<!-- {marker}: begin -->", 1)[1].split(f"<!-- {marker}: end -->", 1)[0]


@pytest.mark.parametrize("marker", ["stepper page benchmark", "stepper page sizes benchmark"])
def test_the_docs_quote_the_benchmarks_written_figures(marker: str, tmp_path: Path) -> None:
    # docs/stepper.md's speed figures are those benchmarks/stepper_page.py --write put into
    # RESULTS.md (the audit found three different sets); its writer keeps the other sections
    bench = _benchmark()
    section = _section((ROOT / "benchmarks" / "RESULTS.md").read_text(), marker)
    rows = [
        line.split("|")[1:-1]
        for line in section.splitlines()
        if re.match(r"\| [\w,-]+ .*\| [\d.]+ \|$", line)
    ]
    assert len(rows) >= 2, section
    docs = (ROOT / "docs" / "stepper.md").read_text()
    for cells in rows:
        page, ms = cells[0].strip(), [c.split()[0] for c in cells[5:8]]  # median, p95, after a jump
        if "sizes" in marker:  # a row of the docs' table: "39.7 / 82.5 / 49.8 ms"
            assert " / ".join(ms) + " ms" in docs, (page, ms, "docs/stepper.md should quote these")
        else:
            quoted = [m for m in ms if re.search(rf"(?<![\d.]){re.escape(m)} ms", docs)]
            assert quoted == ms, (page, ms, "docs/stepper.md should quote these figures")
    results = tmp_path / "RESULTS.md"
    results.write_text(
        "# Benchmark results\n\n<!-- engine benchmark: begin -->\nx\n<!-- engine benchmark: end -->\n"
    )
    begin, end = bench.SECTIONS[True]
    bench.replace_section(results, begin, end, ["first"])
    bench.replace_section(results, begin, end, ["second"])
    text = results.read_text()
    assert "x\n<!-- engine benchmark: end -->" in text and text.count(begin) == 1
    assert "second" in text and "first" not in text
