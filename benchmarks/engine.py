"""Build-and-backward timings of the eager engine against micrograd, on the same graphs.

Two parts.

**The node chain of issue 9** (``--chain``, also part of the default run): 50,000 iterations of
``v = v * 1.0001 + 1e-6`` (100,000 op nodes, plus a constant leaf per op), with the garbage
collector on, built by

* ``microgradnet`` (``Value``),
* ``lean``: the minimal ``__slots__`` node class defined below (data, grad, children, op name,
  plain ``__mul__``/``__add__``: the floor for any scalar node in Python),
* ``micrograd`` (the PyPI package 0.1.0, ``pip install -e .[bench]``), when installed,
* ``float``: the same loop on plain floats (no graph at all),

each timed ``--repeat`` times, interleaved so that a busy machine slows all of them alike, best
time kept. Targets: microgradnet's build within 2x of ``lean``'s build, and microgradnet's
``backward()`` within 1.5x of ``lean``'s build. ``--write`` puts the table into
benchmarks/RESULTS.md (its own section; the rest of the file is kept).

**Before and after** (``--against REV``): the engine of git revision ``REV`` (for instance
``main``), loaded beside this one under another name, builds and back-propagates the node chain
and the MLP below, interleaved with this checkout's engine: the ratios say whether a change made
building or ``backward()`` slower.

Times are CPU time of this process (``time.process_time``), which a machine shared with other
work disturbs less than wall time.

**Workloads** (each built and back-propagated ``--repeat`` times, best time kept):

* ``chain``: y = tanh(y * w + b) repeated, a long dependency chain;
* ``mlp``: micrograd's MLP(2, [16, 16, 1]) with tanh hidden layers on a batch of points, summed
  squared error, everything built from ``*`` and ``+`` exactly as micrograd's Neuron does;
* ``mlp-dot``: the same network with microgradnet's n-ary ``dot`` node per neuron.

micrograd runs the same graphs when it is installed; it has no tanh, so one is added in its own
closure style. Its recursive topological sort needs a raised recursion limit for the chains,
which is set for it alone.

Run: ``python benchmarks/engine.py`` (``--quick`` for a smaller run). Prints nanoseconds per
node and the ratios.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import io
import itertools
import math
import platform
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import microgradnet
from microgradnet import apply

try:
    from micrograd.engine import Value as MgValue  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    MgValue = None

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the benchmark scripts' shared helpers
from _results import replace_section  # noqa: E402


def _micrograd_tanh(self: Any) -> Any:
    t = math.tanh(self.data)
    out = MgValue(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


if MgValue is not None:
    MgValue.tanh = _micrograd_tanh


class Lean:
    """The minimal scalar node of issue 9: data, grad, children, op name, plain ``*`` and ``+``."""

    __slots__ = ("children", "data", "grad", "op")

    def __init__(self, data: float, children: tuple[Lean, ...] = (), op: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self.children = children
        self.op = op

    def __mul__(self, other: Any) -> Lean:
        other = other if isinstance(other, Lean) else Lean(other)
        return Lean(self.data * other.data, (self, other), "*")

    def __add__(self, other: Any) -> Lean:
        other = other if isinstance(other, Lean) else Lean(other)
        return Lean(self.data + other.data, (self, other), "+")

    def backward(self) -> None:
        order: list[Lean] = []
        seen: set[Lean] = set()
        stack: list[tuple[Lean, bool]] = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((c, False) for c in node.children)
        self.grad = 1.0
        for node in reversed(order):
            if node.op == "+":
                node.children[0].grad += node.grad
                node.children[1].grad += node.grad
            elif node.op == "*":
                a, b = node.children
                a.grad += b.data * node.grad
                b.grad += a.data * node.grad


def node_chain(V: Any, n: int) -> Any:
    """``v = v * 1.0001 + 1e-6``, ``n`` times: ``2n`` op nodes."""
    v = V(1.0)
    for _ in range(n):
        v = v * 1.0001 + 1e-6
    return v


def chain_figures(n: int, repeat: int) -> dict[str, dict[str, float]]:
    """Best build and backward seconds per implementation, measured interleaved, gc on."""
    impls: dict[str, Any] = {"microgradnet": microgradnet.Value, "lean": Lean, "float": float}
    if MgValue is not None:
        impls["micrograd"] = MgValue
    best = {name: {"build": math.inf, "backward": math.inf} for name in impls}
    limit = sys.getrecursionlimit()
    gc.enable()
    try:
        sys.setrecursionlimit(max(limit, 3 * n + 100))  # micrograd's recursive sort (ours needs none)
        for _ in range(repeat):
            for name, V in impls.items():
                gc.collect()
                t0 = time.process_time()
                v = node_chain(V, n)
                t1 = time.process_time()
                if name != "float":
                    v.backward()
                t2 = time.process_time()
                best[name]["build"] = min(best[name]["build"], t1 - t0)
                if name != "float":
                    best[name]["backward"] = min(best[name]["backward"], t2 - t1)
                del v
    finally:
        sys.setrecursionlimit(limit)
    return best


def chain_report(n: int, best: dict[str, dict[str, float]]) -> tuple[list[str], bool]:
    """Markdown lines for the chain figures, and whether both targets are met."""
    ours, lean = best["microgradnet"], best["lean"]
    lines = [
        f"Node chain: `v = v * 1.0001 + 1e-6`, {n:,} iterations ({2 * n:,} op nodes), gc on; "
        "best of the interleaved runs.",
        "",
        "| implementation | build (s) | build ns/op node | backward (s) | backward ns/op node |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, t in best.items():
        back = "—" if t["backward"] == math.inf else f"{t['backward']:.3f}"
        back_ns = "—" if t["backward"] == math.inf else f"{1e9 * t['backward'] / (2 * n):.0f}"
        lines.append(f"| {name} | {t['build']:.3f} | {1e9 * t['build'] / (2 * n):.0f} | {back} | {back_ns} |")
    build_ratio = ours["build"] / lean["build"]
    back_ratio = ours["backward"] / lean["build"]
    lines += [
        "",
        f"- microgradnet build / lean build: {build_ratio:.2f}x (target ≤ 2x) — "
        f"{'met' if build_ratio <= 2 else 'NOT met'}",
        f"- microgradnet backward / lean build: {back_ratio:.2f}x (target ≤ 1.5x) — "
        f"{'met' if back_ratio <= 1.5 else 'NOT met'}",
    ]
    if "micrograd" in best:
        mg = best["micrograd"]
        lines.append(
            f"- micrograd / microgradnet, build + backward: "
            f"{(mg['build'] + mg['backward']) / (ours['build'] + ours['backward']):.2f}x"
        )
    return lines, build_ratio <= 2 and back_ratio <= 1.5


def engine_at(rev: str) -> Any:
    """The ``Value`` class of git revision ``rev``, imported as the package ``mgn_<rev>``."""
    name = "mgn_" + re.sub(r"\W", "_", rev)
    tmp = Path(tempfile.mkdtemp(prefix="engine-bench-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    archive = subprocess.run(
        ["git", "archive", rev, "src/microgradnet"], cwd=HERE.parent, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp, filter="data")
    for path in (tmp / "src" / "microgradnet").rglob("*.py"):
        path.write_text(re.sub(r"\bmicrogradnet\b", name, path.read_text()))
    (tmp / "src" / "microgradnet").rename(tmp / name)
    sys.path.insert(0, str(tmp))
    return importlib.import_module(f"{name}.engine").Value


def mlp_plain(V: Any, n_points: int) -> Any:
    """micrograd's MLP(2, [16, 16, 1]) on ``n_points`` points, squared error (``*``, ``+``, tanh)."""
    rng = random.Random(0)
    root, _ = mlp(
        V, mlp_weights([2, 16, 16, 1]), [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(n_points)]
    )
    return root


def before_after(rev: str, n: int, n_points: int, repeat: int) -> list[str]:
    """Markdown lines: build and backward of the node chain and the MLP, ``rev``'s engine vs this one."""
    engines = {rev: engine_at(rev), "this checkout": microgradnet.Value}
    workloads: dict[str, Callable[[Any], Any]] = {
        f"node chain ({2 * n:,} op nodes)": lambda V: node_chain(V, n),
        f"MLP 2-16-16-1 on {n_points} points": lambda V: mlp_plain(V, n_points),
    }
    best = {(w, e): [math.inf, math.inf] for w in workloads for e in engines}
    for _ in range(repeat):
        for w, build in workloads.items():
            for e, V in engines.items():
                gc.collect()
                t0 = time.process_time()
                root = build(V)
                t1 = time.process_time()
                root.backward()
                t2 = time.process_time()
                b = best[(w, e)]
                b[0], b[1] = min(b[0], t1 - t0), min(b[1], t2 - t1)
                del root
    lines = [
        f"Before and after: the engine of `{rev}` against this checkout, interleaved, best of {repeat}, "
        "CPU seconds.",
        "",
        "| workload | engine | build (s) | backward (s) |",
        "|---|---|---:|---:|",
    ]
    for w in workloads:
        for e in engines:
            lines.append(f"| {w} | {e} | {best[(w, e)][0]:.3f} | {best[(w, e)][1]:.3f} |")
    lines.append("")
    for w in workloads:
        old, new = best[(w, rev)], best[(w, "this checkout")]
        lines.append(
            f"- {w}: build {old[0] / new[0]:.2f}x as fast as `{rev}`'s; backward takes "
            f"{new[1] / old[1]:.2f}x `{rev}`'s time"
        )
    return lines


BEGIN, END = "<!-- engine benchmark: begin -->", "<!-- engine benchmark: end -->"


def write_results(lines: list[str], path: Path = HERE / "RESULTS.md") -> None:
    """Replace (or append) this benchmark's section of RESULTS.md, keeping the rest of the file."""
    head = [
        "## The eager engine (`python benchmarks/engine.py --write`)",
        "",
        f"microgradnet {microgradnet.__version__}, Python {sys.version.split()[0]}, "
        f"{platform.machine()}, micrograd {'0.1.0' if MgValue else 'not installed'}",
        "",
    ]
    replace_section(path, BEGIN, END, [*head, *lines])


def chain(V: Any, n: int) -> tuple[Any, list[Any]]:
    w, b = V(0.5), V(0.1)
    y = V(0.3)
    x0 = y
    for _ in range(n):
        y = (y * w + b).tanh()
    return y, [x0, w, b]


def mlp_weights(sizes: list[int], seed: int = 0) -> list[list[list[float]]]:
    rng = random.Random(seed)
    return [
        [[rng.uniform(-1, 1) for _ in range(nin + 1)] for _ in range(nout)]
        for nin, nout in itertools.pairwise(sizes)
    ]


def mlp(
    V: Any, weights: list[list[list[float]]], points: list[tuple[float, float]], use_dot: bool = False
) -> tuple[Any, list[Any]]:
    params = [[[V(w) for w in neuron] for neuron in layer] for layer in weights]
    total = V(0.0)
    for x0, x1 in points:
        act: list[Any] = [V(x0), V(x1)]
        for li, layer in enumerate(params):
            last = li == len(params) - 1
            out = []
            for neuron in layer:
                *w, b = neuron
                if use_dot:
                    s = apply("dot", *act, *w) + b
                else:
                    s = b
                    for wi, xi in zip(w, act):
                        s = s + wi * xi
                out.append(s if last else s.tanh())
            act = out
        err = act[0] - 1.0
        total = total + err * err
    return total, [p for layer in params for neuron in layer for p in neuron]


def count_nodes(root: Any) -> int:
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        stack.extend(getattr(v, "children", None) or getattr(v, "_prev", ()))
    return len(seen)


def best_time(
    build: Callable[[], tuple[Any, list[Any]]], repeat: int
) -> tuple[float, float, int, list[float]]:
    """Best (build seconds, backward seconds), node count and the parameter gradients."""
    tb, tw = math.inf, math.inf
    nodes, grads = 0, []
    for _ in range(repeat):
        t0 = time.process_time()
        root, params = build()
        t1 = time.process_time()
        root.backward()
        t2 = time.process_time()
        tb, tw = min(tb, t1 - t0), min(tw, t2 - t1)
        nodes, grads = count_nodes(root), [p.grad for p in params]
        del root, params
    return tb, tw, nodes, grads


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller graphs, one repeat")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chain", action="store_true", help="only the node chain of issue 9")
    ap.add_argument("--write", action="store_true", help="write the node-chain figures into RESULTS.md")
    ap.add_argument("--against", metavar="REV", help="also compare with the engine of git revision REV")
    args = ap.parse_args(argv)
    n_iter = 2_000 if args.quick else 50_000
    best = chain_figures(n_iter, 1 if args.quick else max(args.repeat, 5))
    lines, met = chain_report(n_iter, best)
    if args.against:
        lines += ["", *before_after(args.against, n_iter // 2, 20, 1 if args.quick else max(args.repeat, 9))]
    print("\n".join(lines) + "\n")
    if args.write:
        write_results(lines)
    if args.chain:
        return 0 if met or args.quick else 1
    n_chain, n_points, repeat = (2_000, 10, 1) if args.quick else (20_000, 100, args.repeat)
    points = [(random.Random(i).uniform(-2, 2), random.Random(-i).uniform(-2, 2)) for i in range(n_points)]
    weights = mlp_weights([2, 16, 16, 1])

    workloads: list[tuple[str, Callable[[Any], tuple[Any, list[Any]]], bool]] = [
        (f"chain of {n_chain} tanh neurons", lambda V: chain(V, n_chain), True),
        (f"MLP 2-16-16-1 on {n_points} points", lambda V: mlp(V, weights, points), True),
        (f"MLP 2-16-16-1 on {n_points} points, dot nodes", lambda V: mlp(V, weights, points, True), False),
    ]
    print(
        f"microgradnet {microgradnet.__version__}, Python {sys.version.split()[0]}, "
        f"micrograd {'installed' if MgValue else 'not installed'}"
    )
    header = (
        f"{'workload':44} {'engine':12} {'nodes':>8} {'build ns/node':>14} "
        f"{'backward ns/node':>17} {'total s':>8}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for name, build, comparable in workloads:
        tb, tw, nodes, grads = best_time(lambda b=build: b(microgradnet.Value), repeat)  # type: ignore[misc]
        print(
            f"{name:44} {'microgradnet':12} {nodes:8d} {1e9 * tb / nodes:14.0f} "
            f"{1e9 * tw / nodes:17.0f} {tb + tw:8.3f}"
        )
        if MgValue is not None and comparable:
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(limit, 10 * n_chain))
            try:
                mb, mw, mnodes, mgrads = best_time(lambda b=build: b(MgValue), repeat)  # type: ignore[misc]
            finally:
                sys.setrecursionlimit(limit)
            same = all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(grads, mgrads))
            print(
                f"{'':44} {'micrograd':12} {mnodes:8d} {1e9 * mb / mnodes:14.0f} {1e9 * mw / mnodes:17.0f} "
                f"{mb + mw:8.3f}"
            )
            ratio = ((mb + mw) / mnodes) / ((tb + tw) / nodes)
            ratios.append(ratio)
            print(
                f"{'':44} {'ratio':12} micrograd / microgradnet per node: {ratio:.2f}x"
                f"{'' if same else '  (GRADIENTS DIFFER)'}"
            )
            if not same:
                return 1
    if ratios:
        print(f"\nslowest ratio (micrograd time / microgradnet time, per node): {min(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
