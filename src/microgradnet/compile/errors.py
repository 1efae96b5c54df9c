"""The compiled path's one error."""

from __future__ import annotations

__all__ = ["CompileError"]


class CompileError(ValueError):
    """The model and loss cannot be compiled into one tape; the message says why.

    ``fit`` catches it, warns with the message and trains on the eager engine instead.
    """
