r"""Load and step times of the browser playground (issue 13), in headless Chromium.

What is measured (Debian's ``/usr/bin/chromium`` driven by Playwright; the site served from
127.0.0.1 by Python's ``http.server``, one thread per request; every request elsewhere refused):

* **cold load**: a fresh browser context (empty cache) opens ``index.html``; the time from the
  start of navigation to Python being ready, and to the first stepper on the page (the default
  formula traced, laid out and mounted). Target: at most 8 s.
* **cached load**: the same context opens the page again (everything in the HTTP cache).
  Target: at most 2 s.
* both for the site as built (with the Pyodide memory snapshot) and, side by side, for the same
  site without the snapshot (``--no-snapshot``), so the ratio shows what the snapshot buys.
* **a 500-node graph**: micrograd-style code (an ``MLP(3, [4, 4, 1])`` and a squared-error loss
  summed over enough samples to pass 500 nodes) run in the page; the time the worker takes to
  trace it and compute the page data (steps and layout), the time to mount the stepper, then the
  time of each step (a → key handled by the stepper, style and layout forced) and of each frame
  (to the next animation frame), over 40 consecutive steps from the middle of the backward pass.
  Target: at most 50 ms per step.

Run: ``python benchmarks/playground.py`` (builds the site into a temporary folder; ``--site DIR``
uses a built one, ``--runs N`` repeats each load, ``--no-write`` leaves PLAYGROUND.md alone).
Prints a table and writes ``benchmarks/PLAYGROUND.md``. The numbers depend on the machine and on
what else runs on it: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGETS = {"cold": 8.0, "cached": 2.0, "step_ms": 50.0}
#: Backward steps timed on the 500-node graph (consecutive, from the middle of the backward pass).
STEPS = 40


def mlp_code(min_nodes: int) -> str:
    """micrograd-style code whose loss has at least ``min_nodes`` nodes (about 33 per sample)."""
    samples = max(1, -(-(min_nodes - 41) // 33))
    return (
        "import random\n"
        "random.seed(1)\n"
        f"xs = [[random.uniform(-2, 2) for _ in range(3)] for _ in range({samples})]\n"
        "ys = [random.choice([-1.0, 1.0]) for _ in xs]\n"
        "model = MLP(3, [4, 4, 1], seed=0)\n"
        "loss = sum((model(x) - y)**2 for x, y in zip(xs, ys))\n"
    )


class _Quiet(http.server.SimpleHTTPRequestHandler):
    timeout = 30  # a connection the browser opened and never used does not hold a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # closing does not wait for the browser's idle (preconnected) sockets


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) for the ``with`` block; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def local_only(context: Any, refused: list[str]) -> None:
    """Let ``context`` reach 127.0.0.1 only; every other request is aborted and recorded."""

    def route(r: Any) -> None:
        if r.request.url.startswith("http://127.0.0.1:"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    context.route(re.compile(".*"), route)


def _load(page: Any, url: str) -> dict[str, float]:
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector('.mg-stepper[data-ready="true"]', timeout=120_000)
    wall = time.perf_counter() - t0
    attrs = page.evaluate(
        "() => { const d = document.documentElement.dataset;"
        " return [d.pgReadyMs, d.pgFirstStepperMs, d.pgSnapshot, JSON.parse(d.pgStartMs)]; }"
    )
    return {
        "ready": float(attrs[0]) / 1000,
        "stepper": float(attrs[1]) / 1000,
        "wall": wall,
        "snapshot": attrs[2] == "true",
        "phases": attrs[3],
    }


def step_times(page: Any, steps: int) -> dict[str, list[float]]:
    """Press → ``steps`` times on the mounted stepper; each step's handler + style + layout time
    and the time to the next animation frame, in ms."""
    result: dict[str, list[float]] = page.evaluate(
        """async (steps) => {
          const root = document.querySelector(".mg-stepper");
          root.focus();
          const handled = [], frames = [];
          for (let i = 0; i < steps; i++) {
            const t0 = performance.now();
            root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
            root.getBoundingClientRect();
            void document.body.offsetHeight;
            const t1 = performance.now();
            await new Promise((resolve) => requestAnimationFrame(() => resolve()));
            frames.push(performance.now() - t0);
            handled.push(t1 - t0);
          }
          return { handled, frames };
        }""",
        steps,
    )
    return result


def measure(site: Path, runs: int, browser: Any) -> dict[str, Any]:
    """Cold and cached loads of ``site`` (``runs`` of each) and the 500-node stepping."""
    refused: list[str] = []
    out: dict[str, Any] = {"cold": [], "cached": []}
    with serve(site) as base:
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            local_only(context, refused)
            page = context.new_page()
            out["cold"].append(_load(page, base + "index.html"))
            out["cached"].append(_load(page, base + "index.html?again"))
            context.close()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        local_only(context, refused)
        page = context.new_page()
        page.goto(base + "index.html#code=" + quote(mlp_code(500)) + "&limit=60")
        page.wait_for_selector('html[data-pg-ready="true"]', timeout=120_000)
        page.click("#pg-run")
        page.wait_for_selector('html[data-pg-runs="1"]', timeout=120_000)
        page.wait_for_selector('.mg-stepper[data-ready="true"]')
        out["nodes"] = int(page.evaluate("() => document.documentElement.dataset.pgNodes"))
        out["worker_ms"] = page.evaluate("() => JSON.parse(document.documentElement.dataset.pgMs)")
        total = int(page.evaluate("() => document.querySelector('.mg-n').textContent"))
        backward = int(page.evaluate("() => document.documentElement.dataset.pgBackwardStart"))
        middle = backward + (total - backward) // 2 - STEPS // 2
        page.evaluate(
            "(k) => document.querySelector('.mg-stepper').mgStepper.go(k)", max(backward + 1, middle)
        )
        out["steps"] = step_times(page, min(STEPS, total - backward - 1))
        out["step_count"] = total
        context.close()
    out["refused"] = refused
    return out


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def verdict(what: str, times: list[float], target: float) -> str:
    """Whether ``times`` (ms, one per step) meet ``target``, said exactly: for every step, or for
    the median only (how many steps took longer, and the slowest), or not even for the median."""
    over = [t for t in times if t > target]
    if not over:
        return f"{what} met for every step"
    counted = f"{len(over)} of {len(times)} steps took longer, the slowest {max(times):.1f} ms"
    if _median(times) <= target:
        return f"{what} met for the median step but NOT for every step ({counted})"
    return f"{what} NOT met, not even for the median step ({counted})"


def report(results: dict[str, dict[str, Any]], runs: int) -> str:
    """The results as Markdown."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    lines = [
        "# Playground load and step times",
        "",
        "Written by `python benchmarks/playground.py`; see its docstring for the method. Headless "
        f"Chromium on {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) when it finished; "
        f"medians of {runs} run(s), seconds.",
        "",
        "| site | load | Python ready (s) | first stepper (s) | target | met |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, r in results.items():
        for kind in ("cold", "cached"):
            ready = _median([x["ready"] for x in r[kind]])
            shown = _median([x["stepper"] for x in r[kind]])
            target = TARGETS[kind]
            met = "yes" if shown <= target else "NO"
            lines.append(f"| {name} | {kind} | {ready:.2f} | {shown:.2f} | ≤ {target:g} | {met} |")
    lines.append("")
    for name, r in results.items():
        for kind in ("cold", "cached"):
            phases = r[kind][len(r[kind]) // 2]["phases"]
            lines.append(
                f"- {name}, {kind} (one run): the worker's start, ms after it began: "
                + ", ".join(f"{k} {v}" for k, v in phases.items())
            )
    if len(results) == 2:
        (a, ra), (b, rb) = results.items()
        for kind in ("cold", "cached"):
            ratio = _median([x["stepper"] for x in rb[kind]]) / _median([x["stepper"] for x in ra[kind]])
            lines.append(f"\n{kind} first stepper, {b} / {a}: {ratio:.1f}×")
    main = next(iter(results.values()))
    handled, frames = main["steps"]["handled"], main["steps"]["frames"]
    ms = main["worker_ms"]
    lines += [
        "",
        f"A graph of {main['nodes']} nodes ({main['step_count']} steps): traced in "
        f"{ms.get('trace', 0):.0f} ms in the worker (steps and layout, HtmlStepper.data()) and "
        f"mounted in {ms.get('mount', 0):.0f} ms; over the "
        f"{len(handled)} backward steps timed, a step takes {_median(handled):.1f} ms (median, max "
        f"{max(handled):.1f}) to handle and lay out, {_median(frames):.1f} ms (median, max "
        f"{max(frames):.1f}) to the next frame. Target ≤ {TARGETS['step_ms']:g} ms per step: "
        f"{verdict('handling', handled, TARGETS['step_ms'])}; "
        f"{verdict('the next frame', frames, TARGETS['step_ms'])}.",
        "",
        "Requests to anywhere but 127.0.0.1: " + str(sum(len(r["refused"]) for r in results.values())),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build (unless ``--site``), measure, print, write PLAYGROUND.md; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=None, help="a built playground folder")
    parser.add_argument("--runs", type=int, default=3, help="loads of each kind (default 3)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave PLAYGROUND.md alone")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from microgradnet.cli.playground import build_site

    with tempfile.TemporaryDirectory() as tmp:
        sites: dict[str, Path] = {}
        if args.site is not None:
            sites["as given"] = args.site
        else:
            sites["with snapshot"] = Path(tmp) / "site"
            build_site(sites["with snapshot"])
            sites["without snapshot"] = Path(tmp) / "plain"
            build_site(sites["without snapshot"], snapshot=False)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                results = {name: measure(site, args.runs, browser) for name, site in sites.items()}
            finally:
                browser.close()
        text = report(results, args.runs)
    sys.stdout.write(text)
    if not args.no_write:
        (HERE / "PLAYGROUND.md").write_text(text, encoding="utf-8")
    if any(r["refused"] for r in results.values()):
        print("the page made requests beyond 127.0.0.1", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if shutil.which("npm") is None:
        print("the playground build needs npm (Node.js)", file=sys.stderr)
    sys.exit(main())
