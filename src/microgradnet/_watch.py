"""A read watch: which Python-level reads of a ``Value``'s number happened while a block ran.

The compiler traces a model once and replays the tape for every input. That is only right when
the model's Python code never looked at a number: ``if float(x) > 0``, ``v.data``, a comparison,
a call into ``random`` would take one path (or one draw) while tracing and freeze it into the
tape. :func:`watch_reads` records every such read, so the compiler can prove a tape general
instead of sampling a few inputs::

    with watch_reads(model.parameters()) as reads:
        out = model(xs)
    if reads:                     # e.g. ["'>' comparison of a 'mul' node", "a call into random ..."]
        ...                       # refuse to compile, or fall back with a warning

How it works, and what it costs:

* While the block runs, the given leaves, and every node an operation creates in the block in
  the current thread (or async task), inside ``no_grad`` too, are switched to
  :class:`_Watched`, a subclass of ``Value`` with no extra slots whose ``data`` is a property
  and whose number-reading methods (``float``, ``int``,
  ``round``, ``math.floor``/``ceil``/``trunc``, ``format`` with a spec, ``<`` ``<=`` ``>``
  ``>=``) note the read before doing what ``Value`` does. Their class is switched back when the
  block ends, also on an exception. ``repr`` is not a read (printing is for people).
* A leaf made in the block with ``Value(x)`` is not watched: its number is one the code wrote,
  or read from a watched node, and that read was recorded.
* ``bool(v)`` is not a read: a ``Value`` is always true, as in micrograd (it has no
  ``__bool__``), so ``if v:`` takes the same path for every input.
* The engine's own reads (computing a node from its operands, ``backward()``, ``grad()``) go
  through the raw slot or run with the watch paused, so they are not recorded.
* Calls into Python's ``random`` are recorded: draws through a ``random.Random`` instance or the
  module's functions that go through one (``uniform``, ``randint``, ``choice``, ``shuffle``...)
  as they happen, and any change of the module's global state (``random.random()``,
  ``random.seed()``) when the block ends. So is any change of NumPy's legacy global random state,
  if NumPy is already imported (it is never imported here). A state change made by another
  thread during the block is attributed to the block as well; draws by other threads through
  ``random.Random`` are not.
* Only the current thread or async task is watched. Other threads keep computing correctly
  (their nodes are plain ``Value``\\s, their reads of a watched leaf are not recorded); the
  engine's fast node maker is swapped for its mode-aware one while any watch (or ``no_grad``,
  or ``detect_anomaly``) is active anywhere, and swapped back after, so the eager hot path pays
  nothing outside the block.

This module imports only the standard library and the engine.
"""

from __future__ import annotations

import math
import random
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from microgradnet.engine import _MODE, Value, _in_mode

__all__ = ["watch_reads"]

_SLOT = Value.__dict__["data"]  # the engine's slot descriptor: reads past the property below


class _Recorder:
    """The reads of one :func:`watch_reads` block (and the nodes it switched)."""

    def __init__(self, parent: _Recorder | None) -> None:
        self.reads: list[str] = []
        self.adopted: list[Value] = []
        self.parent = parent  # an enclosing watch in the same context also hears every read

    def note(self, text: str) -> None:
        rec: _Recorder | None = self
        while rec is not None:
            rec.reads.append(text)
            rec = rec.parent

    def adopt(self, node: Value) -> None:
        """Called by the engine for every node made in this context while the block runs."""
        rec: _Recorder | None = self
        while rec is not None:
            _switch([node])
            rec.adopted.append(node)
            rec = rec.parent


def _describe(node: Value) -> str:
    op, label = node.op, node.label
    if not op:
        return f"the leaf {label!r}" if label else "an unlabelled leaf"
    return f"the {op!r} node {label!r}" if label else f"a {op!r} node"


def _reading(kind: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of ``Value``, noting ``"<kind> of <node>"`` first; ``method`` runs unwatched."""

    def read(self: Value, *args: Any) -> Any:
        mode = _MODE.get()
        if mode.watch is None:
            return method(self, *args)
        if kind != "format()" or (args and args[0]):  # f"{v}" is repr, not a read of the number
            text = f"{kind} of {_describe(self)}"
            if args and isinstance(args[0], _Watched):
                text += f" with {_describe(args[0])}"
            mode.watch.note(text)
        token = _MODE.set(mode._replace(watch=None))
        try:
            return method(self, *args)
        finally:
            _MODE.reset(token)

    read.__name__ = method.__name__
    return read


def _read_data(self: Value) -> float:
    watch = _MODE.get().watch
    if watch is not None:
        watch.note(f".data of {_describe(self)}")
    data: float = _SLOT.__get__(self)
    return data


def _unwatched_repr(self: Value) -> str:
    """``repr`` is for people, not a read of the number: it runs with the watch paused."""
    mode = _MODE.get()
    if mode.watch is None:
        return Value.__repr__(self)
    token = _MODE.set(mode._replace(watch=None))
    try:
        return Value.__repr__(self)
    finally:
        _MODE.reset(token)


class _Watched(Value):
    """A ``Value`` whose number-reading methods note the read (see the module docstring)."""

    __slots__ = ()

    data = property(_read_data, _SLOT.__set__)
    __float__ = _reading("float()", Value.__float__)
    __int__ = _reading("int()", Value.__int__)
    __round__ = _reading("round()", Value.__round__)
    __trunc__ = _reading("math.trunc()", Value.__trunc__)
    __floor__ = _reading("math.floor()", Value.__floor__)
    __ceil__ = _reading("math.ceil()", Value.__ceil__)
    __format__ = _reading("format()", Value.__format__)
    __lt__ = _reading("'<' comparison", Value.__lt__)
    __le__ = _reading("'<=' comparison", Value.__le__)
    __gt__ = _reading("'>' comparison", Value.__gt__)
    __ge__ = _reading("'>=' comparison", Value.__ge__)
    __repr__ = _unwatched_repr


# ---- switching classes (reference-counted: watches may overlap across threads) --------------

_lock = threading.Lock()
_switched: dict[Value, int] = {}
_active = 0
_RANDOM_METHODS = ("random", "getrandbits")
_saved_random: dict[str, Any] = {}


def _switch(nodes: Iterable[Value]) -> None:
    with _lock:
        for node in nodes:
            count = _switched.get(node, 0)
            if not count:
                node.__class__ = _Watched
            _switched[node] = count + 1


def _restore(nodes: Iterable[Value]) -> None:
    with _lock:
        for node in nodes:
            count = _switched[node] - 1
            if count:
                _switched[node] = count
            else:
                del _switched[node]
                node.__class__ = Value


def _random_draw(name: str, base: Callable[..., Any]) -> Callable[..., Any]:
    def draw(self: random.Random, *args: Any) -> Any:
        watch = _MODE.get().watch
        if watch is not None:
            watch.note(f"a call into random (Random.{name})")
        return base(self, *args)

    return draw


def _patch_random(on: bool) -> None:
    """Route ``random.Random.random``/``getrandbits`` through a recorder (``on``), or restore them."""
    for name in _RANDOM_METHODS:
        if on:
            _saved_random[name] = random.Random.__dict__.get(name)
            setattr(random.Random, name, _random_draw(name, getattr(random.Random, name)))
        elif _saved_random.get(name) is not None:
            setattr(random.Random, name, _saved_random.pop(name))
        else:
            _saved_random.pop(name, None)
            delattr(random.Random, name)


def _numpy_state() -> Any:
    """NumPy's legacy global random state as comparable data, or None (NumPy not imported)."""
    np_random = sys.modules.get("numpy.random")
    if np_random is None:
        return None
    kind, keys, pos, has_gauss, gauss = np_random.get_state()
    return (kind, keys.tobytes(), pos, has_gauss, gauss if not math.isnan(gauss) else "nan")


@contextmanager
def watch_reads(leaves: Iterable[Value]) -> Iterator[list[str]]:
    """Record every Python-level read of a watched ``Value``'s number while the block runs.

    Watched: ``leaves`` (for instance a model's parameters and the traced inputs) and every node
    the current thread or async task creates inside the block. Yields the list of reads, one
    short description each (``"float() of a 'mul' node"``, ``"'<' comparison of the leaf 'w0'"``,
    ``".data of a 'tanh' node"``, ``"a call into random (Random.random)"``); entries about
    ``random``'s and NumPy's global states are added when the block ends. See the module
    docstring for what counts as a read.

    Raises:
        TypeError: a leaf is not a ``Value`` (or is an instance of a subclass of it, whose class
            cannot be switched).
    """
    global _active
    nodes = list(leaves)
    for x in nodes:
        if type(x) is not Value and type(x) is not _Watched:
            what = "a subclass of Value" if isinstance(x, Value) else "not a Value"
            raise TypeError(f"watch_reads() watches Values, got {x!r} ({type(x).__name__}: {what})")
    recorder = _Recorder(_MODE.get().watch)
    py_state, np_state = random.getstate(), _numpy_state()
    _switch(nodes)
    with _lock:
        _active += 1
        if _active == 1:
            _patch_random(True)
    try:
        with _in_mode(watch=recorder):
            yield recorder.reads
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                _patch_random(False)
        _restore(nodes)
        _restore(recorder.adopted)
        if random.getstate() != py_state:
            recorder.note("a call into random (the global random state changed)")
        if np_state is not None and _numpy_state() != np_state:
            recorder.note("a draw from NumPy's global random state")
