"""Regenerate the pictures the README and demos/README.md show.

    .venv/bin/python docs/images/make_images.py            # graph, slide, stepper, quiz, exercises
    .venv/bin/python docs/images/make_images.py --demos    # ... and each demo's result (~1 min)

The graph is drawn by ``microgradnet.viz.render()`` (no Graphviz program needed); the stepper page
is photographed by Debian's headless Chromium through Playwright (/usr/bin/chromium, never a
downloaded browser). The demo pictures are the demos' own ``--out`` output, copied.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from microgradnet import Value
from microgradnet.viz import export_frames, export_html, render
from microgradnet.viz.expr import parse_expression

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"

#: demo script -> the pictures of its result that demos/README.md shows
DEMO_PICTURES = {
    "moons": ["moons_boundary.png", "moons_history.png"],
    "lesson": ["lesson_two_layers.png", "lesson_losses.png"],
    "regression": ["regression_fit.png"],
    "spirals": ["spirals_linear.png", "spirals_boundary.png"],
    "digits": ["digits_64-32-10_history.png", "digits_64-32-10_max_weights.png", "digits_predictions.png"],
}


def lecture() -> Value:
    """Karpathy's lecture example L = (a*b + c) * f at a=2, b=-3, c=10, f=-2."""
    return parse_expression("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2})


def graph_picture() -> None:
    L = lecture()
    L.backward()
    render(L, HERE / "graph.png", show_local=True)


def slide_picture() -> None:
    """One slide of ``microgradnet frames``: the edge into a, (-3)·(-2) = 6."""
    with tempfile.TemporaryDirectory() as tmp:
        slides = export_frames(lecture(), tmp, "png", title="L = (a*b + c) * f")
        shutil.copyfile(slides[11], HERE / "slide.png")


def _small_png(path: Path) -> None:
    """Re-save a screenshot with a 256-colour palette (a third of the size, same look)."""
    from PIL import Image

    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(path, optimize=True)


def stepper_pictures() -> None:
    from playwright.sync_api import sync_playwright

    from microgradnet.examples import load_example

    with tempfile.TemporaryDirectory() as tmp:
        page_path = export_html(lecture(), Path(tmp) / "lecture.html", title="L = (a*b + c) * f")
        quiz_path = export_html(lecture(), Path(tmp) / "quiz.html", title="L = (a*b + c) * f", quiz=True)
        moons = load_example("moons-mlp")
        net_path = export_html(moons.root, Path(tmp) / "moons.html", title=moons.title)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            page = browser.new_page(viewport={"width": 1200, "height": 840})
            page.goto(page_path.as_uri() + "#step=10")  # the edge into a: (-3)·(-2) = 6
            page.wait_for_selector('.mg-stepper[data-ready="true"]')
            page.screenshot(path=str(HERE / "stepper.png"))
            page.goto(quiz_path.as_uri() + "#step=10")
            page.reload()
            page.wait_for_selector('.mg-stepper[data-ready="true"]')
            page.keyboard.press("ArrowRight")  # the edge into b, hidden
            page.keyboard.type("2")
            page.keyboard.press("Enter")  # a wrong answer: the hint shows
            page.screenshot(path=str(HERE / "stepper-quiz.png"))
            page.set_viewport_size({"width": 1280, "height": 800})
            for level, key, title in (
                ("neuron", "2", "Backward pass: layer 1 · neuron 2 · sample 2"),
                ("layer", "3", "Backward pass: layer 1 · sample 2"),
            ):
                page.goto(net_path.as_uri())
                page.reload()
                page.wait_for_selector('.mg-stepper[data-ready="true"]')
                page.keyboard.press(key)
                page.keyboard.press("End")
                while page.locator(".mg-step-title").text_content() != title:
                    page.keyboard.press("ArrowLeft")
                page.screenshot(path=str(HERE / f"stepper-{level}.png"))
            browser.close()
    for name in ("stepper.png", "stepper-quiz.png", "stepper-neuron.png", "stepper-layer.png"):
        _small_png(HERE / name)


def exercise_pictures() -> None:
    """The stepper page in Nepali, and a find-the-slip page once the slip is found."""
    from playwright.sync_api import sync_playwright

    from microgradnet.examples import load_example

    with tempfile.TemporaryDirectory() as tmp:
        neuron = load_example("lecture-neuron").root
        nepali = export_html(neuron, Path(tmp) / "ne.html", lang="ne")
        find = export_html(
            lecture(), Path(tmp) / "find.html", title="L = (a*b + c) * f", bug="local_only", seed=1
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 700})
            page.goto(nepali.as_uri() + "#step=8")  # the edge through tanh, in Nepali
            page.wait_for_selector('.mg-stepper[data-ready="true"]')
            page.screenshot(path=str(HERE / "stepper-ne.png"))
            page.goto(find.as_uri() + "#step=11")  # the slipped edge: marked, found, explained
            page.wait_for_selector('.mg-stepper[data-ready="true"]')
            page.keyboard.press("m")
            page.screenshot(path=str(HERE / "stepper-find.png"))
            browser.close()
    for name in ("stepper-ne.png", "stepper-find.png"):
        _small_png(HERE / name)


def demo_pictures() -> None:
    target = HERE / "demos"
    target.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for demo, pictures in DEMO_PICTURES.items():
            subprocess.run([sys.executable, str(ROOT / "demos" / f"{demo}.py"), "--out", tmp], check=True)
            for name in pictures:
                shutil.copyfile(Path(tmp) / name, target / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demos", action="store_true", help="also run the demos and copy their pictures")
    args = parser.parse_args()
    graph_picture()
    slide_picture()
    stepper_pictures()
    exercise_pictures()
    if args.demos:
        demo_pictures()
    for path in sorted(HERE.rglob("*.png")):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main()
