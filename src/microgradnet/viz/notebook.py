"""Jupyter display: a ``Value`` shows its graph, a :class:`~microgradnet.viz.trace.Trace` the stepper.

The engine imports no drawing code: it calls a display hook when one is registered
(``microgradnet/__init__`` registers :func:`value_mimebundle`, which imports this module only
when a notebook first shows a ``Value``), and :class:`~microgradnet.viz.trace.Trace` does the
same with :func:`trace_html`, registered when this module is imported. So in a notebook::

    L                      # the graph as SVG (text/plain stays Value(data=..., grad=...))
    trace_backward(L)      # the stepper, inline

A graph larger than :data:`~microgradnet.viz.limits.INLINE_NODES` value nodes (a trace larger than
:data:`~microgradnet.viz.limits.INLINE_PAGE_NODES`) shows a one-line summary instead of a huge
picture (page); a graph's picture shows the gradients its Values hold, as
:func:`~microgradnet.viz.dot.draw_dot` does.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Container
from typing import Any

from microgradnet.engine import Value, topological_order
from microgradnet.viz import trace as _trace_module
from microgradnet.viz.dot import dot_source
from microgradnet.viz.html import HtmlStepper
from microgradnet.viz.limits import INLINE_NODES, INLINE_PAGE_NODES
from microgradnet.viz.rendering import GraphvizError, dot_to_svg
from microgradnet.viz.trace import Trace

__all__ = ["summary", "trace_html", "value_mimebundle"]


def summary(n_nodes: int, what: str = "graph") -> str:
    """The sentence shown instead of a picture (``what="graph"``) or a stepper (``"trace"``) too
    big to show inline: its size, the limit it is over, and the way out."""
    if what == "trace":
        return (
            f"a trace of {n_nodes:,} value nodes, too many to step through inline (more than "
            f"{INLINE_PAGE_NODES:,}): write the stepper page with export_html(trace, 'steps.html')"
        )
    return (
        f"a {what} of {n_nodes:,} value nodes, too many to show inline (more than {INLINE_NODES:,}): "
        "draw it with draw_dot(v, collapse='neuron') or render(v, 'graph.svg')"
    )


def value_mimebundle(
    value: Value, include: Container[str] | None = None, exclude: Container[str] | None = None
) -> dict[str, Any]:
    """What a notebook shows for ``value``: ``text/plain`` (its ``repr``) and, for a value
    computed by at least one op, its graph as ``image/svg+xml``; a graph of more than
    :data:`~microgradnet.viz.limits.INLINE_NODES` value nodes gets a ``text/html`` summary
    instead. ``include``/``exclude`` filter the MIME types, as Jupyter asks.

    Drawing never fails the display: without Graphviz (or with a label Graphviz rejects) the
    bundle has the text only.
    """
    text = repr(value)
    bundle: dict[str, Any] = {"text/plain": text}
    if value.children:
        n = len(topological_order(value))
        if n > INLINE_NODES:
            bundle["text/html"] = f"<p><code>{html.escape(text)}</code>: {html.escape(summary(n))}</p>"
        else:
            # the text is still shown when drawing fails
            with contextlib.suppress(ImportError, GraphvizError, OSError, RuntimeError, ValueError):
                bundle["image/svg+xml"] = dot_to_svg(dot_source(value))
    wanted = [k for k in bundle if (include is None or k in include) and not (exclude and k in exclude)]
    return {k: bundle[k] for k in wanted}


def trace_html(trace: Trace) -> str:
    """What a notebook shows for a :class:`Trace`: the stepper
    (:meth:`HtmlStepper._repr_html_ <microgradnet.viz.html.HtmlStepper._repr_html_>`), or a
    summary for a trace of more than :data:`~microgradnet.viz.limits.INLINE_PAGE_NODES` nodes
    (the page would weigh megabytes in the notebook; ``export_html`` writes it to a file)."""
    if len(trace.nodes) > INLINE_PAGE_NODES:
        return f"<p>{html.escape(repr(trace))}: {html.escape(summary(len(trace.nodes), 'trace'))}</p>"
    return HtmlStepper(trace)._repr_html_()


_trace_module._html_hook = trace_html
