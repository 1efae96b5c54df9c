"""How big a graph the pictures draw: the limits every renderer reads, in one place.

Graphviz lays a graph out in time that grows faster than its size (a 1,200-node MLP graph takes
seconds, a 12,500-node one minutes) and the pictures grow with it (tens of megabytes of SVG).
So the pictures say the size up front and refuse a graph beyond :data:`MAX_NODES` value nodes
with a message that names the count and the ways out: draw the network by neuron or by layer
(``collapse="neuron"``), or raise the limit (``max_nodes=``) knowingly.

=========================  ======  =============================================================
name                       value   what happens above it
=========================  ======  =============================================================
:data:`MAX_NODES`           5,000   :class:`GraphTooLargeError` (``draw_dot``, ``render``,
                                    ``export_frames``; the stepper page may import it too)
:data:`WARN_NODES`          1,000   a :class:`LargeGraphWarning` naming the size first
:data:`INLINE_NODES`          150   a notebook shows a ``Value``'s size instead of its picture
:data:`MAX_FRAMES`          2,000   ``export_frames`` refuses (one slide per edge adds up)
=========================  ======  =============================================================

This module imports only the standard library, so any renderer can import it.
"""

from __future__ import annotations

import warnings

__all__ = [
    "INLINE_NODES",
    "MAX_FRAMES",
    "MAX_NODES",
    "WARN_NODES",
    "GraphTooLargeError",
    "LargeGraphWarning",
    "check_size",
]

#: The largest graph (in value nodes) the pictures draw unless told otherwise. Network-scale
#: pages (an MLP on a few samples, about 3,000 nodes) stay below it.
MAX_NODES = 5000
#: Drawing a graph larger than this warns first: Graphviz will take seconds to minutes.
WARN_NODES = 1000
#: A notebook shows a ``Value``'s graph inline up to this many value nodes, a summary beyond.
INLINE_NODES = 150
#: The most slides ``export_frames`` writes (one per forward node and per backward edge).
MAX_FRAMES = 2000


class GraphTooLargeError(ValueError):
    """A graph has more nodes than a picture draws (see :data:`MAX_NODES`)."""


class LargeGraphWarning(UserWarning):
    """A large graph is being drawn: it will take a while and make a big file."""


def check_size(n_nodes: int, what: str, limit: int | None = MAX_NODES, *, hint: str = "") -> None:
    """Refuse a graph of ``n_nodes`` value nodes above ``limit``; warn above :data:`WARN_NODES`.

    ``what`` names the picture in the message (``"draw_dot"``); ``hint`` adds a way out.
    ``limit=None`` draws any size (with the warning).

    Raises:
        GraphTooLargeError: ``n_nodes > limit``.
        TypeError: ``limit`` is not an int or ``None``.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise TypeError(f"{what}: max_nodes must be an int or None (no limit), got {limit!r}")
    extra = f"; {hint}" if hint else ""
    if limit is not None and n_nodes > limit:
        raise GraphTooLargeError(
            f"{what}: the graph has {n_nodes:,} value nodes, more than the limit of {limit:,} "
            f"(Graphviz would take minutes and the picture would be huge){extra}, "
            f"or pass max_nodes={n_nodes} (or None) to draw it anyway"
        )
    if n_nodes > WARN_NODES:
        warnings.warn(
            f"{what}: drawing a graph of {n_nodes:,} value nodes; Graphviz may take a minute{extra}",
            LargeGraphWarning,
            stacklevel=3,
        )
