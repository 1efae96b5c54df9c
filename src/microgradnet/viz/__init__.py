"""See backprop: the backward-pass trace, graph pictures, rendering without Graphviz, slide frames,
the stepper page and worksheets.

>>> from microgradnet import Value
>>> from microgradnet.viz import trace_backward
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b; L.label = "L"
>>> print(trace_backward(L).event_text(trace_backward(L).events[0]))
∂L/∂a += ∂L/∂a · ∂L/∂L = (b = -3) · (1) = -3;  a.grad 0 → -3  (final)

Everything here is built from :class:`Trace`. The ``graphviz`` package is imported only when a
picture is drawn, and rendering works without the Graphviz program (in-process WebAssembly).
The submodules import one way: ``trace`` → ``rendering`` → ``dot`` → ``frames``, ``html`` →
``pictures`` (``render``, ``layout``) → ``notebook``. (``render`` is the function; Graphviz is
run by :mod:`microgradnet.viz.rendering`.)
"""

from microgradnet.viz.dot import draw_dot
from microgradnet.viz.frames import export_frames
from microgradnet.viz.html import HtmlStepper, export_html
from microgradnet.viz.notebook import value_mimebundle
from microgradnet.viz.pictures import layout, render
from microgradnet.viz.rendering import backend, dot_to_svg
from microgradnet.viz.trace import EdgeEvent, Trace, TraceNode, narration, trace_backward
from microgradnet.viz.worksheet import Worksheet, make_worksheet

__all__ = [
    "EdgeEvent",
    "HtmlStepper",
    "Trace",
    "TraceNode",
    "Worksheet",
    "backend",
    "dot_to_svg",
    "draw_dot",
    "export_frames",
    "export_html",
    "layout",
    "make_worksheet",
    "narration",
    "render",
    "trace_backward",
    "value_mimebundle",
]
