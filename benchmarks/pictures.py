"""How fast a big graph becomes a picture: where the time goes, and what the fast layout buys.

    python benchmarks/pictures.py            # MLP(3, [16, 16, 1]) on 8 samples: ~1,200 value nodes
    python benchmarks/pictures.py --quick    # on 2 samples (~300 nodes), for the test suite

Measured side by side on the same graph, one run each (layout dominates and is slow):

* tracing the graph (``trace_backward``);
* writing the DOT text with microgradnet's own writer (``dot_source``) against the same
  statements written through the ``graphviz`` package's quoting (how ``draw_dot`` wrote them
  before);
* laying it out and writing SVG with Graphviz: the DOT as drawn for large graphs (no operand
  names at the arrow heads, ``mclimit=0.1``, ``nslimit``/``nslimit1=0.05``) against the DOT
  drawn the way small graphs are drawn;
* one wide node (``sum`` of k products, then of 4k): ``trace_backward`` and the stepper's steps
  (``build_steps``) should take about 4x as long for 4x the operands (linear), not 16x.

Prints the seconds and the ratios; the system ``dot`` program is used when installed, else the
in-process WebAssembly Graphviz.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from microgradnet import Value, apply
from microgradnet.nn import MLP
from microgradnet.viz import dot as dot_module
from microgradnet.viz.dot import dot_source
from microgradnet.viz.rendering import backend, dot_to_svg
from microgradnet.viz.steps import build_steps
from microgradnet.viz.trace import trace_backward

_STATEMENT = re.compile(r"^\t(\w+)(?: -> (\w+))? \[(.*)\]$")
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def graph(samples: int) -> Value:
    """The loss of MLP(3, [16, 16, 1]) summed over ``samples`` inputs."""
    model = MLP(3, [16, 16, 1], seed=0)
    xs = [[0.1 * i, -0.2 * i, 0.3] for i in range(samples)]
    loss = sum(((model(x) - 1.0) ** 2 for x in xs), Value(0.0))
    loss.label = "loss"
    return loss


def wide(k: int) -> Value:
    """One ``sum`` node of ``k`` operands ``x * c_i``: a node of fan-in ``k``, ``x`` of fan-out ``k``."""
    x = Value(0.5, label="x")
    loss = apply("sum", *[x * (0.001 * i) for i in range(k)])
    loss.label = "L"
    return loss


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def through_graphviz_package(source: str) -> str:
    """The statements of ``source`` written again through ``graphviz.Digraph`` (its quoting)."""
    import graphviz

    digraph = graphviz.Digraph(name="microgradnet")
    for line in source.splitlines():
        match = _STATEMENT.match(line)
        if match is None or match.group(1) in ("graph", "node", "edge"):
            continue
        attrs = dict(_ATTR.findall(match.group(3)))
        if match.group(2):
            digraph.edge(match.group(1), match.group(2), **attrs)
        else:
            digraph.node(match.group(1), **attrs)
    return str(digraph.source)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 samples (~300 nodes) instead of 8")
    args = parser.parse_args(argv)
    loss = graph(2 if args.quick else 8)
    t_trace, trace = timed(lambda: trace_backward(loss))
    t_ours, fast = timed(lambda: dot_source(trace, max_nodes=None))
    t_package, _ = timed(lambda: through_graphviz_package(fast))
    limit = dot_module.FAST_LAYOUT_ABOVE
    dot_module.FAST_LAYOUT_ABOVE = 10**9  # as small graphs are drawn
    try:
        plain = dot_source(trace, max_nodes=None)
    finally:
        dot_module.FAST_LAYOUT_ABOVE = limit
    t_fast, svg_fast = timed(lambda: dot_to_svg(fast))
    t_plain, svg_plain = timed(lambda: dot_to_svg(plain))
    print(f"graph: {len(trace.nodes):,} value nodes, {len(trace.events):,} edges; Graphviz: {backend()}")
    print(f"trace_backward:                       {t_trace:8.3f} s")
    print(f"DOT text, microgradnet's writer:      {t_ours:8.3f} s")
    print(f"DOT text, through graphviz's quoting: {t_package:8.3f} s  ({t_package / t_ours:.1f}x ours)")
    print(f"layout + SVG, large-graph settings:   {t_fast:8.3f} s  ({len(svg_fast) / 1e6:.1f} MB)")
    print(f"layout + SVG, small-graph settings:   {t_plain:8.3f} s  ({len(svg_plain) / 1e6:.1f} MB)")
    print(f"large-graph settings are {t_plain / t_fast:.1f}x faster to lay out; layout is "
          f"{t_fast / (t_fast + t_ours + t_trace):.0%} of the picture's time")  # fmt: skip
    k = 250 if args.quick else 1000
    t_small, small = timed(lambda: trace_backward(wide(k)))
    t_big, big = timed(lambda: trace_backward(wide(4 * k)))
    s_small, _ = timed(lambda: build_steps(small))
    s_big, _ = timed(lambda: build_steps(big))
    print(f"one sum of {k:,} / {4 * k:,} operands: trace_backward {t_small:.3f} / {t_big:.3f} s "
          f"({t_big / t_small:.1f}x), build_steps {s_small:.3f} / {s_big:.3f} s "
          f"({s_big / s_small:.1f}x); linear is about 4x, quadratic 16x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
