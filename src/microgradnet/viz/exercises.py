r"""Find the wrong gradient on the stepper page: the answer kept out of sight until the student commits.

A page written with ``bug=`` (:func:`~microgradnet.viz.html.export_html`) shows a backward pass
with one slip planted by :func:`~microgradnet.viz.slips.plant_slip`. The student steps through it
and marks the edge they think is the first wrong one; the page says whether it is, and explains the
slip once they have found it (or given up). To do that offline the page must carry the answer, but
a student who opens the page's source should not read it there. So the page keeps only:

* ``salt``: 16 hexadecimal digits, derived from the pass and the slip (the same program still
  writes the same file, byte for byte);
* ``verdicts``: one byte per edge of the backward pass, ``code XOR SHA-256(salt + "/" + k)[0]``
  for edge ``k`` (code 0: every number on the edge is right; 1: the first wrong edge; 2: wrong,
  but an earlier edge is already wrong);
* ``sealed``: what the page shows once the edge is found (the slip's title, the explanation, the
  edge written right) as UTF-8 JSON, XOR-ed with a SHA-256 key stream keyed by the index of the
  first wrong edge, so it opens only with that index.

No step number, node name, number or sentence of the answer is in the page as text. This keeps
the answer from a casual look at the source, not from a student who runs the page's own script by
hand: the find-the-slip page is a practice exercise, like quiz mode. For marks that count, use the
worksheets or the LMS exports (:mod:`microgradnet.viz.worksheet`, :mod:`microgradnet.viz.lms`),
whose answers are in a separate key.

A teacher reads the answer back with :func:`answer`:

>>> from microgradnet.viz import HtmlStepper
>>> from microgradnet.viz.expr import parse_expression
>>> L = parse_expression("(a*b + c) * f", {"a": 2, "b": -3, "c": 10, "f": -2})
>>> page = HtmlStepper(L, bug="local_only", seed=1)
>>> key = answer(page.html())
>>> key["event"], key["step"], key["title"]     # the 6th edge, the page's 11th step
(5, 11, 'local derivative only (the upstream gradient forgotten)')
>>> right = key["right"]
>>> print(right[2])                              # that edge done right
b.grad 0 → -4  (final)
>>> print(*(verdict(page.html(), k) for k in range(6)))
right right right right right first
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from microgradnet.viz._pagedata import read_embedded
from microgradnet.viz.slips import SlippedTrace

__all__ = ["CODES", "answer", "find_exercise", "verdict"]

#: What each edge's sealed verdict byte says, by code.
CODES = ("right", "first", "later")


def _key(salt: str, *parts: object) -> bytes:
    return hashlib.sha256("/".join([salt, *map(str, parts)]).encode("ascii")).digest()


def _stream(salt: str, first: int, n: int) -> bytes:
    """``n`` bytes of key stream: SHA-256 of ``salt/first/reveal/0``, ``.../1``, ... concatenated."""
    blocks = [_key(salt, first, "reveal", i) for i in range((n + 31) // 32)]
    return b"".join(blocks)[:n]


def _same(x: float, y: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y))


def find_exercise(
    slipped: SlippedTrace,
    step_of_event: Sequence[int],
    right_lines: Sequence[str],
    salt: str,
    lang: str = "en",
) -> dict[str, Any]:
    """The ``exercise`` entry of a find-the-slip page's data: ``{"mode": "find", "salt",
    "verdicts", "sealed"}`` (see the module docstring).

    ``step_of_event[k]`` is the page's step (0-based) of edge ``k``; ``right_lines`` are the
    equation lines of the first wrong edge done right; ``salt`` is 16 hex digits; ``lang`` the
    language of the slip's title (its explanation is already in the page's language).

    Raises:
        ValueError: ``salt`` is not 16 lowercase hexadecimal digits.
    """
    if len(salt) != 16 or any(c not in "0123456789abcdef" for c in salt):
        raise ValueError(f"salt must be 16 lowercase hexadecimal digits, got {salt!r}")
    right, wrong, first = slipped.right, slipped.wrong, slipped.first_step
    codes = []
    for k, (r, w) in enumerate(zip(right.events, wrong.events)):
        fields = ("local", "upstream", "contribution", "grad_before", "grad_after")
        same = all(_same(getattr(r, name), getattr(w, name)) for name in fields)
        codes.append(1 if k == first else (0 if same else 2))
    verdicts = bytes(code ^ _key(salt, k)[0] for k, code in enumerate(codes))
    payload = {
        "step": step_of_event[first] + 1,
        "title": slipped.kind.text("title", lang),
        "explanation": slipped.explanation,
        "right": [line for line in right_lines if line.strip()],
    }
    plain = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    sealed = bytes(a ^ b for a, b in zip(plain, _stream(salt, first, len(plain))))
    return {
        "mode": "find",
        "salt": salt,
        "verdicts": base64.b64encode(verdicts).decode("ascii"),
        "sealed": base64.b64encode(sealed).decode("ascii"),
    }


def _exercise(page_or_exercise: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(page_or_exercise, str):
        exercise = read_embedded(page_or_exercise, "mg-steps").get("exercise")
    elif isinstance(page_or_exercise, Mapping):
        exercise = page_or_exercise.get("exercise", page_or_exercise)
    else:
        raise TypeError(f"expected a page's HTML or its data, got {type(page_or_exercise).__name__}")
    if not isinstance(exercise, Mapping) or exercise.get("mode") != "find":
        raise ValueError("this page has no find-the-slip exercise (it was not written with bug=)")
    return exercise


def verdict(page_or_exercise: str | Mapping[str, Any], event: int) -> str:
    """What the page says about edge ``event`` (0-based, in the order of the backward pass):
    ``"right"``, ``"first"`` (the first wrong edge) or ``"later"`` (wrong, not the first).

    Raises:
        ValueError: the page has no find-the-slip exercise; IndexError: no such edge.
    """
    exercise = _exercise(page_or_exercise)
    verdicts = base64.b64decode(exercise["verdicts"])
    if not 0 <= event < len(verdicts):
        raise IndexError(f"edge {event} is outside the pass (0..{len(verdicts) - 1})")
    return CODES[verdicts[event] ^ _key(exercise["salt"], event)[0]]


def answer(page_or_exercise: str | Mapping[str, Any]) -> dict[str, Any]:
    """The answer a find-the-slip page holds sealed: ``{"event", "step", "title", "explanation",
    "right"}`` (the first wrong edge, 0-based; its step on the page, counted from 1; the slip's
    title and explanation; the edge's equation lines done right).

    ``page_or_exercise`` is the page's HTML, its data (:meth:`HtmlStepper.data`) or the data's
    ``"exercise"`` entry.

    Raises:
        ValueError: the page has no find-the-slip exercise.
    """
    exercise = _exercise(page_or_exercise)
    n = len(base64.b64decode(exercise["verdicts"]))
    first = next(k for k in range(n) if verdict(exercise, k) == "first")
    sealed = base64.b64decode(exercise["sealed"])
    plain = bytes(a ^ b for a, b in zip(sealed, _stream(exercise["salt"], first, len(sealed))))
    return {"event": first, **json.loads(plain.decode("utf-8"))}
