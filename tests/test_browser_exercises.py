"""The exercises in a real browser: Nepali worksheets whose embedded Devanagari font loads
offline; the stepper page's find-the-slip exercise (every kind of slip, marked by mouse and by
keyboard), its faded worked examples, and the page in Nepali with no English left.

Headless Debian Chromium through Playwright, as in test_browser.py (the fixture is imported from
there, so this module has one browser of its own): skipped without Chromium, a failure in CI.
The machine this was written on has no Devanagari font at all (``fc-list :lang=ne`` is empty), so
the text can only render with the font the page carries.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from microgradnet import Value
from microgradnet.examples import load_example
from microgradnet.locales import FONT_FAMILY
from microgradnet.ops import OPS
from microgradnet.slips import SLIPS
from microgradnet.viz import HtmlStepper, Trace, make_worksheet
from microgradnet.viz.exercises import answer, verdict
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.html import PAGE_STRINGS
from test_browser import FITS, SHOTS, browser  # noqa: F401  (the fixture; tests/ is on sys.path)


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


# ---- the stepper page's exercises ------------------------------------------------------------


def _names(trace: Trace, event: int) -> dict[str, str]:
    e = trace.events[event]
    return {"node": trace.node(e.node).name, "operand": trace.node(e.operand).name}


def _open(page: Any, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_selector('.mg-stepper[data-ready="true"]', timeout=30_000)


def _go(page: Any, step: int) -> None:
    page.evaluate("k => document.querySelector('.mg-stepper').mgStepper.go(k)", step)


def _text(page: Any, selector: str) -> str:
    return str(page.locator(selector).first.text_content())


# every kind of the catalogue, planted where it applies: the lecture's expression, the tanh
# neuron, two small networks (Mazur's 2-2-2, micrograd's moons MLP) and a softmax
FIND_CASES = [
    ("lecture-expression", "local_only"),
    ("lecture-neuron", "local_only"),
    ("lecture-neuron", "outer_at_input"),
    ("moons-mlp", "fanout"),
    ("moons-mlp", "averaged"),
    ("moons-mlp", "sign"),
    ("moons-mlp", "relu_side"),
    ("moons-mlp", "layer"),
    ("mazur-network", "outer_at_input"),
    ("mazur-network", "scaled"),
    ("softmax", "softmax_sum"),
]


def _graph(name: str) -> Value:
    if name == "softmax":
        return parse_expression("p = exp(a) / (exp(a) + exp(b)); L = -log(p)", {"a": 1, "b": -1})
    return load_example(name).root


def test_every_kind_of_slip_is_found_by_mouse_and_by_keyboard(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    assert {kind for _, kind in FIND_CASES} == set(SLIPS)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    ui = PAGE_STRINGS
    for case, (name, kind) in enumerate(FIND_CASES):
        stepper = HtmlStepper(_graph(name), bug=kind, seed=case)
        path = stepper.save(tmp_path / f"find-{case}.html")
        slipped, data = stepper.slipped, stepper.data()
        assert slipped is not None
        step_of = {s["event"]: k + 1 for k, s in enumerate(data["steps"]) if s["kind"] == "edge"}
        first = slipped.first_step
        _open(page, path)
        status = page.locator(".mg-find-status")
        assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
        assert _text(page, ".mg-find-status") == ui["find_intro"]
        # by mouse in even cases, by keyboard alone in odd ones; the first case does both
        by_key = case % 2 == 1

        def mark(step: int, by_key: bool = by_key) -> str:
            _go(page, step)
            if by_key:
                page.locator(".mg-stepper").focus()
                page.keyboard.press("m")
            else:
                page.locator(".mg-find-mark").click()
            return _text(page, ".mg-find-status")

        wrong = [k for k in range(len(slipped.wrong.events)) if k != first]
        right_edges = [k for k in wrong if verdict(data, k) == "right"]
        later_edges = [k for k in wrong if verdict(data, k) == "later"]
        if right_edges:
            k = right_edges[len(right_edges) // 2]
            assert mark(step_of[k]) == ui["find_right"].format(**_names(slipped.wrong, k)), (name, kind, k)
        if later_edges:
            k = later_edges[-1]
            assert mark(step_of[k]) == ui["find_later"].format(**_names(slipped.wrong, k)), (name, kind, k)
        assert right_edges or later_edges
        assert mark(1) == ui["find_not_edge"]  # the inputs: not an edge
        assert "mg-find-done" not in str(page.locator(".mg-stepper").get_attribute("class"))
        found = mark(step_of[first])
        names = _names(slipped.wrong, first)
        assert found == ui["find_found"].format(step=step_of[first], **names), (name, kind)
        explained = _text(page, ".mg-find-explain")
        assert slipped.explanation in explained and slipped.kind.title in explained
        right_line = f"{names['operand']}.grad "  # the edge written right follows "Done right"
        assert ui["find_correct"] in explained and right_line in explained.split(ui["find_correct"])[1]
        assert "mg-slip-here" in str(page.locator(".mg-panel").get_attribute("class"))
        if case == 0:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "stepper-find.png"))
            page.locator(".mg-find-mark").click()  # the mouse works on the same page too
            assert _text(page, ".mg-find-status") == found
    assert errors == []
    page.close()


def test_show_the_slip_goes_to_it_and_the_quiz_stays_off(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    stepper = HtmlStepper(load_example("moons-mlp").root, bug="layer", seed=2)
    path = stepper.save(tmp_path / "show.html")
    slipped = stepper.slipped
    assert slipped is not None
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    _open(page, path)
    page.keyboard.press("3")  # at layer level: marking needs an edge
    page.keyboard.press("m")
    assert _text(page, ".mg-find-status") == PAGE_STRINGS["find_not_edge"]
    page.keyboard.press("q")  # no quiz on a find-the-slip page
    assert (
        not page.locator('[data-act="quiz"]').is_visible() and not page.locator(".mg-quiz-ask").is_visible()
    )
    page.locator(".mg-find-show").click()
    key = answer(stepper.html())
    assert int(_text(page, ".mg-k")) == key["step"]
    page.wait_for_function("s => location.hash === '#step=' + s", arg=key["step"])  # back at scalars
    revealed = PAGE_STRINGS["find_revealed"].format(step=key["step"], **_names(slipped.wrong, key["event"]))
    assert _text(page, ".mg-find-status") == revealed
    assert key["explanation"] in _text(page, ".mg-find-explain")
    assert not page.locator(".mg-find-show").is_visible()
    for projector in (False, True):  # the explanation fits a 1024x768 projector with the rest
        if projector:
            page.keyboard.press("p")
        fits = page.evaluate(FITS)
        assert fits["problems"] == [] and fits["stage"] >= 100, (projector, fits)
    # the page's SHA-256 (which opens the sealed answer) is the standard one
    for n in (0, 1, 55, 56, 63, 64, 65, 200):
        message = "".join(chr(48 + (i * 7) % 43) for i in range(n))
        got = page.evaluate(
            "m => Array.from(MicrogradnetStepper.sha256(new TextEncoder().encode(m)))", message
        )
        assert bytes(got) == hashlib.sha256(message.encode()).digest(), n
    page.close()


def test_a_faded_page_hides_the_last_steps_and_opens_the_rule_on_demand(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    stepper = HtmlStepper(load_example("lecture-expression").root, fade=3)
    path = stepper.save(tmp_path / "faded.html")
    full = HtmlStepper(load_example("lecture-expression").root)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _open(page, path)
    assert page.locator("script.mg-trace").count() == 0
    hidden = 0
    for k, (shown, whole) in enumerate(zip(stepper.steps, full.steps), start=1):
        _go(page, k)
        update = _text(page, ".mg-update")
        if shown.get("faded"):
            hidden += 1
            assert update == shown["lines"][2] and update.endswith("→ ?") and update != whole["lines"][2]
            assert _text(page, ".mg-num").strip() == "= ?" and "Which rule gives this edge?" in _text(
                page, ".mg-narration"
            )
            receiver = full.trace.node(full.trace.events[shown["event"]].operand).name
            grad = page.evaluate(
                """name => [...document.querySelectorAll('[data-mg-node]')]
                  .find(g => g.querySelector('.mg-name').textContent === name)
                  .querySelector('.mg-grad').textContent""",
                receiver,
            )
            assert grad == "grad ?"
            rule = page.locator(".mg-rule")
            assert (
                _text(page, ".mg-rule") == PAGE_STRINGS["fade_show_rule"]
                and rule.locator("button").count() == 1
            )
            if hidden % 2:
                rule.locator("button").click()
            else:
                page.locator(".mg-stepper").focus()
                page.keyboard.press("r")
            assert _text(page, ".mg-rule") == shown["rule"]
        else:
            assert update == whole["lines"][2] or shown["kind"] == "done", k
    assert hidden == 3
    done = _text(page, ".mg-sym")
    assert "∂L/∂a = ?" in done and "∂L/∂b = ?" in done and "∂L/∂f = 4" in done
    assert "≈" not in _text(page, ".mg-equation")  # no nudge check to give the answers away
    assert errors == []
    page.close()


# ---- the page in Nepali ----------------------------------------------------------------------

VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('script, style, title') || !n.textContent.trim()) continue;
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    out.push(n.textContent);
  }
  document.querySelectorAll('[aria-label], [title], [aria-valuetext]').forEach(el => {
    ['aria-label', 'title', 'aria-valuetext'].forEach(a => {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    });
  });
  return out;
}"""

# what stays as it is in any language: op names, key names and the notation x.grad
ALLOWED = {op for op in OPS} | {"grad", "space", "home", "end", "enter"}


def _english(texts: list[str], trace: Trace) -> set[str]:
    """Words of three or more Latin letters that are neither a node's name nor notation."""
    names = {w.lower() for n in trace.nodes for w in re.findall("[A-Za-z]{3,}", n.name)}
    words = {w.lower() for t in texts for w in re.findall("[A-Za-z]{3,}", t)}
    return words - names - ALLOWED


def test_the_nepali_page_shows_no_english(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    neuron = load_example("lecture-neuron").root
    pages = {
        "plain": HtmlStepper(neuron, lang="ne", title=None),
        "find": HtmlStepper(load_example("lecture-expression").root, lang="ne", bug="local_only", seed=1),
        "fade": HtmlStepper(load_example("mazur-network").root, lang="ne", fade=4),
    }
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    for name, stepper in pages.items():
        _open(page, stepper.save(tmp_path / f"ne-{name}.html"))
        n = len(stepper.steps)
        seen: list[str] = []
        for k in sorted({1, 2, stepper.data()["backward_start"] + 1, n - 1, n}):
            _go(page, k)
            if name == "find" and k == n - 1:
                page.keyboard.press("m")  # a verdict and the explanation, in Nepali
            if name == "fade" and stepper.steps[k - 1].get("faded"):
                seen += page.evaluate(VISIBLE_TEXT)
                page.keyboard.press("r")
            seen += page.evaluate(VISIBLE_TEXT)
        if name == "plain":
            page.keyboard.press("q")  # the quiz's sentences too
            _go(page, 3)
            page.keyboard.press("ArrowRight")
            page.keyboard.type("12345")
            page.keyboard.press("Enter")
            seen += page.evaluate(VISIBLE_TEXT)
            page.keyboard.press("Escape")
            page.locator(".mg-stepper").focus()
            page.keyboard.press("q")
            page.locator(".mg-all summary").click()
            seen += page.evaluate(VISIBLE_TEXT)
            _go(page, stepper.data()["backward_start"] + 2)
            page.screenshot(path=str(SHOTS / "stepper-ne.png"))
        leftover = _english(seen, stepper.trace)
        assert not leftover, (name, leftover)
        assert any("ब्याकवार्ड" in t for t in seen) and not any(re.search("[०-९]", t) for t in seen)
        fonts = page.evaluate(
            """async (family) => {
                await document.fonts.ready;
                const faces = [...document.fonts].filter(f => f.family.replace(/"/g, '') === family);
                return faces.map(f => f.status);
            }""",
            FONT_FAMILY,
        )
        assert fonts == ["loaded"], (name, fonts)
    assert all(u.startswith(("file:", "data:")) for u in requests)
    page.close()
