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

Run: ``python benchmarks/stepper_page.py`` (``--json`` prints the numbers as JSON; ``--write``
also puts the table into benchmarks/RESULTS.md, its own section for the default pages and another
for ``--sizes``, keeping the rest of the file). docs/stepper.md quotes the figures written there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from microgradnet import Value, __version__, losses, topological_order
from microgradnet.data import make_moons
from microgradnet.examples import load_example
from microgradnet.nn import MLP
from microgradnet.viz import HtmlStepper

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmark scripts' shared helpers
from _results import replace_section

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
BUDGET = {"size_mb": 5.0, "load_s": 2.0, "step_ms": 50.0}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTIONS = {
    False: ("<!-- stepper page benchmark: begin -->", "<!-- stepper page benchmark: end -->"),
    True: ("<!-- stepper page sizes benchmark: begin -->", "<!-- stepper page sizes benchmark: end -->"),
}


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
    parser.add_argument(
        "--write", action="store_true", help="also write the table into benchmarks/RESULTS.md"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    from playwright.sync_api import sync_playwright

    if args.sizes:
        graphs = [(f"{n:,} nodes", graph_of_size(n)) for n in args.sizes]
    else:
        graphs = [("moons-mlp", load_example("moons-mlp").root), ("2,000 nodes", big_graph())]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        version = str(browser.version)
        for name, root in graphs:
            start = time.perf_counter()
            stepper = HtmlStepper(root, max_nodes=None)
            path = stepper.save(Path(tmp) / "page.html")
            build = time.perf_counter() - start
            figures = measure_page(browser, path)
            figures.update(
                nodes=len(topological_order(root)),
                steps=len(stepper.steps),
                size_mb=path.stat().st_size / 1e6,
                build_s=build,
            )
            rows.append((name, figures))
        browser.close()
    if args.json:
        print(json.dumps(dict(rows), indent=2))
        return 0
    lines = table(rows)
    print("\n".join(lines))
    if args.write:
        begin, end = SECTIONS[bool(args.sizes)]
        replace_section(
            RESULTS, begin, end, section(rows, sizes=bool(args.sizes), chromium=version, load=load)
        )
        print(f"written to {RESULTS}")
    return 0


def _ratio(value: float, budget: float) -> str:
    return f"{value:.3g} ({value / budget:.2f}×)"


def table(rows: list[tuple[str, dict[str, float]]]) -> list[str]:
    """The figures as a Markdown table, each with its ratio to the budget (below 1 is within it)."""
    ms = BUDGET["step_ms"]
    lines = [
        "| page | value nodes | steps | MB (× 5 MB) | load s (× 2 s) | step median ms (× 50 ms) "
        "| step p95 ms (× 50 ms) | step after a jump, median ms (× 50 ms) | built in s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in rows:
        lines.append(
            f"| {name} | {f['nodes']:,.0f} | {f['steps']:,.0f} | {_ratio(f['size_mb'], BUDGET['size_mb'])} "
            f"| {_ratio(f['load_s'], BUDGET['load_s'])} | {_ratio(f['step_median_ms'], ms)} "
            f"| {_ratio(f['step_p95_ms'], ms)} | {_ratio(f['jump_median_ms'], ms)} | {f['build_s']:.1f} |"
        )
    return lines


def verdicts(rows: list[tuple[str, dict[str, float]]]) -> list[str]:
    """One line per page: which budgets its figures meet."""
    out = []
    for name, f in rows:
        checks = [
            ("size", f["size_mb"] <= BUDGET["size_mb"]),
            ("load", f["load_s"] <= BUDGET["load_s"]),
            ("step median", f["step_median_ms"] <= BUDGET["step_ms"]),
            ("step p95", f["step_p95_ms"] <= BUDGET["step_ms"]),
            ("after a jump", f["jump_median_ms"] <= BUDGET["step_ms"]),
        ]
        met = ", ".join(k for k, ok in checks if ok) or "none"
        missed = ", ".join(k for k, ok in checks if not ok) or "none"
        out.append(f"- {name}: within budget: {met}; over budget: {missed}")
    return out


def section(
    rows: list[tuple[str, dict[str, float]]], *, sizes: bool, chromium: str, load: float
) -> list[str]:
    """This benchmark's section of RESULTS.md (the markers are added by :func:`replace_section`)."""
    if sizes:
        command = "python benchmarks/stepper_page.py --sizes 5000 10000 20000 --write"
        head = f"## The stepper page on bigger graphs (issue 12; `{command}`)"
        what = "micrograd's demo network on more samples of the moons data (about 105 value nodes a sample)."
    else:
        head = "## The stepper page in a browser (issue 12; `python benchmarks/stepper_page.py --write`)"
        what = (
            "`moons-mlp` (the classroom network) and micrograd's demo network on 16 points (2,020 "
            "value nodes). Budgets for the 2,000-node page: 5 MB, 2 s to load, 50 ms per step."
        )
    return [
        head,
        "",
        f"microgradnet {__version__}, Python {sys.version.split()[0]}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Chromium {chromium} (headless), 1280×800; load average "
        f"{load:.2f} when it started (the cores are shared with other work).",
        "",
        what + " A step is timed from the key press to the painted frame: the median and the "
        "95th percentile of 80 steps (40 forward, 40 back from the middle of the pass), and the "
        "median of 20 steps each taken right after a jump of about 100 steps. Ratios to the "
        "budget in brackets (below 1 is within it).",
        "",
        *table(rows),
        "",
        *verdicts(rows),
    ]


if __name__ == "__main__":
    sys.exit(main())
