"""Build-and-backward timings of the eager engine against micrograd, on the same graphs.

Workloads (each built and back-propagated ``--repeat`` times, best time kept):

* ``chain``: y = tanh(y * w + b) repeated, a long dependency chain;
* ``mlp``: micrograd's MLP(2, [16, 16, 1]) with tanh hidden layers on a batch of points, summed
  squared error, everything built from ``*`` and ``+`` exactly as micrograd's Neuron does;
* ``mlp-dot``: the same network with microgradnet's n-ary ``dot`` node per neuron.

micrograd (the PyPI package, ``pip install micrograd`` or ``make bench``) runs the same graphs
when it is installed; it has no tanh, so one is added in its own closure style. Its recursive
topological sort needs a raised recursion limit for the chain, which is set for it alone.

Run: ``python benchmarks/engine.py`` (``--quick`` for a smaller run). Prints a table of
nanoseconds per node and the ratio micrograd / microgradnet.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import microgradnet
from microgradnet import apply

try:
    from micrograd.engine import Value as MgValue  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    MgValue = None


def _micrograd_tanh(self: Any) -> Any:
    t = math.tanh(self.data)
    out = MgValue(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


if MgValue is not None:
    MgValue.tanh = _micrograd_tanh


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
        t0 = time.perf_counter()
        root, params = build()
        t1 = time.perf_counter()
        root.backward()
        t2 = time.perf_counter()
        tb, tw = min(tb, t1 - t0), min(tw, t2 - t1)
        nodes, grads = count_nodes(root), [p.grad for p in params]
        del root, params
    return tb, tw, nodes, grads


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller graphs, one repeat")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
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
