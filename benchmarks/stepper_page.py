r"""The stepper page's budgets (issue 12), measured in headless Chromium.

A 2,000-node graph's page must weigh at most 5 MB, load in at most 2 s and take at most 50 ms
per step; the classroom network (``moons-mlp``, an MLP(2, [4, 4, 1]) on two points, 106 nodes)
is measured beside it. The graph: micrograd's demo network, MLP(2, [16, 16, 1]) with ReLU, and
its max-margin loss on 16 points of the moons data set (2,020 nodes, 11,394 edges, 13,015 steps).

Load time is from the start of navigation until the stepper says it is ready (graph laid out and
drawn, first step shown). A step is timed from the key press until the browser has rendered the
next frame (an animation frame, then a task after it), so style, layout and paint are included,
and so is the wait for that frame (up to 17 ms at 60 Hz). The budget applies to stepping, 40 steps
forward then 40 back from the middle of the pass (median and 95th percentile); the median of 20
steps each taken right after a jump of about 100 steps (the slider, a deep link: the page draws a
new region and replays from a checkpoint) is reported beside it. The ratio columns divide each
figure by its budget (below 1 is within it). Chromium is Debian's (/usr/bin/chromium), driven by Playwright.

``--sizes 5000 10000 20000`` measures pages of the same network on more samples instead (about
105 value nodes per sample): the figures behind the page's size limit
(``microgradnet.viz.limits.MAX_PAGE_NODES``; docs/stepper.md, "Big graphs").

Run: ``python benchmarks/stepper_page.py`` (``--json`` prints the numbers as JSON).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from microgradnet import Value, losses, topological_order
from microgradnet.data import make_moons
from microgradnet.examples import load_example
from microgradnet.nn import MLP
from microgradnet.viz import HtmlStepper

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
BUDGET = {"size_mb": 5.0, "load_s": 2.0, "step_ms": 50.0}


def big_graph(samples: int = 16) -> Value:
    """micrograd's demo network, MLP(2, [16, 16, 1]), and its max-margin loss on ``samples``
    moons points: 2,020 nodes at 16 samples."""
    X, y = make_moons(samples, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    xs = [[Value(float(v), f"X[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(X)]
    loss = losses.hinge([model(x) for x in xs], [2 * int(t) - 1 for t in y])
    loss.label = "loss"
    return loss


def measure_page(browser: Any, path: Path, steps: int = 40, jumps: int = 20) -> dict[str, float]:
    """Load ``path`` at 1280x800 and time it, ``steps`` steps forward then back, and ``jumps`` steps
    each taken right after a jump (see the module docstring)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    start = time.perf_counter()
    page.goto(path.as_uri() + "#step=2")
    page.wait_for_selector('.mg-stepper[data-ready="true"]', timeout=60_000)
    load = time.perf_counter() - start
    times = page.evaluate(
        """async ([steps, jumps]) => {
          // the next frame, once the browser has finished it (style, layout, paint)
          const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
          const stepper = document.querySelector('.mg-stepper').mgStepper;
          const n = stepper.steps();
          stepper.go(Math.floor(n / 2));
          const press = async (key) => {
            await frame();
            const t0 = performance.now();
            document.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
            await frame();
            return performance.now() - t0;
          };
          const sequential = [], jumped = [];
          for (const key of ['ArrowRight', 'ArrowLeft'])
            for (let i = 0; i < steps; i++) sequential.push(await press(key));
          for (let i = 0; i < jumps; i++) {
            stepper.go(1 + (stepper.step() + (i % 2 ? n - 75 : 100)) % n);
            await frame();
            jumped.push(await press(i % 2 ? 'ArrowLeft' : 'ArrowRight'));
          }
          return [sequential, jumped];
        }""",
        [steps, jumps],
    )
    page.close()
    sequential, jumped = (sorted(t) for t in times)
    return {
        "load_s": load,
        "step_median_ms": statistics.median(sequential),
        "step_p95_ms": sequential[int(0.95 * (len(sequential) - 1))],
        "jump_median_ms": statistics.median(jumped) if jumped else float("nan"),
    }


def graph_of_size(nodes: int) -> Value:
    """:func:`big_graph` on as many samples as give about ``nodes`` value nodes (the network's
    337 parameters, and 105 nodes per sample)."""
    return big_graph(max(1, round((nodes - 337) / 105)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--sizes",
        metavar="N",
        type=int,
        nargs="+",
        default=None,
        help="measure pages of about these many nodes instead (the page limit: 5000 10000 20000)",
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if args.sizes:
        graphs = [(f"{n:,} nodes", graph_of_size(n)) for n in args.sizes]
    else:
        graphs = [("moons-mlp", load_example("moons-mlp").root), ("2,000 nodes", big_graph())]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for name, root in graphs:
            start = time.perf_counter()
            path = HtmlStepper(root, max_nodes=None).save(Path(tmp) / "page.html")
            build = time.perf_counter() - start
            figures = measure_page(browser, path)
            figures.update(
                nodes=len(topological_order(root)),
                size_mb=path.stat().st_size / 1e6,
                build_s=build,
            )
            rows.append((name, figures))
        browser.close()
    if args.json:
        print(json.dumps(dict(rows), indent=2))
        return 0
    print(
        f"{'page':12} {'nodes':>6} {'MB':>6} {'× budget':>8} {'load s':>7} {'× budget':>8} "
        f"{'step ms (median / p95)':>22} {'× budget':>8} {'after a jump':>12} {'built in s':>10}"
    )
    for name, f in rows:
        print(
            f"{name:12} {f['nodes']:6d} {f['size_mb']:6.2f} {f['size_mb'] / BUDGET['size_mb']:8.2f} "
            f"{f['load_s']:7.2f} {f['load_s'] / BUDGET['load_s']:8.2f} "
            f"{f['step_median_ms']:10.1f} / {f['step_p95_ms']:8.1f} "
            f"{f['step_median_ms'] / BUDGET['step_ms']:8.2f} {f['jump_median_ms']:12.1f} {f['build_s']:10.2f}"
        )
    budget = f"{BUDGET['size_mb']:g} MB, {BUDGET['load_s']:g} s to load, {BUDGET['step_ms']:g} ms per step"
    print(f"budgets: {budget}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
