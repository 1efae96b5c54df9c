"""How big a graph the pictures draw: the limits every renderer reads, in one place.

Graphviz lays a graph out in time that grows faster than its size (a 1,200-node MLP graph takes
seconds, a 12,500-node one minutes) and the pictures grow with it (tens of megabytes of SVG).
So the pictures say the size up front and refuse a graph beyond :data:`MAX_NODES` value nodes
with a message that names the count and the ways out: draw the network by neuron or by layer
(``collapse="neuron"``), or raise the limit (``max_nodes=``) knowingly.

The stepper page (:func:`~microgradnet.viz.html.export_html`, ``microgradnet step``) needs no
Graphviz and steps as fast at 20,000 nodes as at 2,000 (it draws only what is near the frame),
but its weight, build time and load time grow with the graph (about 1.6 kB, 1 to 2 ms and 0.35 ms
per value node of a network's graph; ``benchmarks/stepper_page.py --sizes`` measures them): it
has its own limit, :data:`MAX_PAGE_NODES`.

=========================  ======  =============================================================
name                       value   what happens above it
=========================  ======  =============================================================
:data:`MAX_NODES`           5,000   :class:`GraphTooLargeError` (``draw_dot``, ``render``,
                                    ``export_frames``)
:data:`MAX_PAGE_NODES`     10,000   :class:`GraphTooLargeError` (the stepper page:
                                    ``export_html``, ``HtmlStepper``)
:data:`WARN_NODES`          1,000   a :class:`LargeGraphWarning` naming the size first (pictures
                                    and the stepper page)
:data:`INLINE_NODES`          150   a notebook shows a ``Value``'s size instead of its picture
:data:`INLINE_PAGE_NODES`     500   a notebook shows a ``Trace``'s size instead of the stepper
:data:`MAX_FRAMES`          2,000   ``export_frames`` refuses (one slide per edge adds up)
=========================  ======  =============================================================

This module imports only the standard library, so any renderer can import it.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

__all__ = [
    "INLINE_NODES",
    "INLINE_PAGE_NODES",
    "MAX_FRAMES",
    "MAX_NODES",
    "MAX_PAGE_NODES",
    "PICTURE_TEXT",
    "WARN_NODES",
    "GraphTooLargeError",
    "LargeGraphWarning",
    "SizeText",
    "check_size",
]

#: The largest graph (in value nodes) the pictures draw unless told otherwise. Network-scale
#: pages (an MLP on a few samples, about 3,000 nodes) stay below it.
MAX_NODES = 5000
#: The largest graph (in value nodes) the stepper page is written for unless told otherwise
#: (``max_nodes=``). Measured on a network's graph (micrograd's demo MLP on more samples;
#: ``benchmarks/stepper_page.py --sizes 5000 10000 20000``, two busy cores): at 10,000 nodes the
#: page weighs 16 MB, opens in 3.6 s and steps in 38 ms (the budgets of a 2,000-node page: 5 MB,
#: 2 s, 50 ms), and takes 11 to 25 s to build; at 20,000 it weighs 33 MB and opens in 5.7 s.
MAX_PAGE_NODES = 10_000
#: Drawing a graph larger than this warns first: Graphviz will take seconds to minutes.
WARN_NODES = 1000
#: A notebook shows a ``Value``'s graph inline up to this many value nodes, a summary beyond.
INLINE_NODES = 150
#: A notebook shows a ``Trace`` as the stepper inline up to this many value nodes, a summary
#: pointing at ``export_html`` beyond: the page is kept in the notebook file (0.85 MB at 500
#: nodes, about 1 MB at 2,400), and a bigger graph is stepped through better on its own page.
INLINE_PAGE_NODES = 500
#: The most slides ``export_frames`` writes (one per forward node and per backward edge).
MAX_FRAMES = 2000


class GraphTooLargeError(ValueError):
    """A graph has more nodes than a picture draws (see :data:`MAX_NODES`) or the stepper page is
    written for (:data:`MAX_PAGE_NODES`); ``nodes`` and ``limit`` say by how much."""

    def __init__(self, message: str, nodes: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.nodes = nodes
        self.limit = limit


class LargeGraphWarning(UserWarning):
    """A large graph is being drawn: it will take a while and make a big file."""


class SizeText(NamedTuple):
    """What :func:`check_size` says about a large graph: why it refuses one (``refusal``), what
    its warning expects (``warning``), and what passing ``max_nodes`` does anyway (``verb``)."""

    refusal: str
    warning: str
    verb: str = "draw it"


#: What a picture drawn with Graphviz says about a large graph.
PICTURE_TEXT = SizeText(
    "Graphviz would take minutes and the picture would be huge", "Graphviz may take a minute"
)


def check_size(
    n_nodes: int,
    what: str,
    limit: int | None = MAX_NODES,
    *,
    hint: str = "",
    text: SizeText = PICTURE_TEXT,
) -> None:
    """Refuse a graph of ``n_nodes`` value nodes above ``limit``; warn above :data:`WARN_NODES`.

    ``what`` names the picture in the message (``"draw_dot"``); ``hint`` adds a way out;
    ``text`` says why it is refused and what the warning expects (:data:`PICTURE_TEXT` for
    Graphviz pictures). ``limit=None`` draws any size (with the warning).

    Raises:
        GraphTooLargeError: ``n_nodes > limit``.
        TypeError: ``limit`` is not an int or ``None``.
        ValueError: ``limit`` is below 1.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise TypeError(f"{what}: max_nodes must be an int or None (no limit), got {limit!r}")
    if limit is not None and limit < 1:
        raise ValueError(
            f"{what}: max_nodes must be a number of value nodes (1 or more) or None, got {limit}"
        )
    extra = f"; {hint}" if hint else ""
    if limit is not None and n_nodes > limit:
        raise GraphTooLargeError(
            f"{what}: the graph has {n_nodes:,} value nodes, more than the limit of {limit:,} "
            f"({text.refusal}){extra}, or pass max_nodes={n_nodes} (or None) to {text.verb} anyway",
            n_nodes,
            limit,
        )
    if n_nodes > WARN_NODES:
        warnings.warn(
            f"{what}: a graph of {n_nodes:,} value nodes; {text.warning}{extra}",
            LargeGraphWarning,
            stacklevel=3,
        )
