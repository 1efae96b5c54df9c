"""Every sentence and label the pictures, the terminal trace and the stepper show, in one place.

Keeping UI text here (and nowhere else) lets a teacher translate or reword it without touching
the renderers: replace entries of :data:`STRINGS` (the keys are stable) before drawing.
Templates use :meth:`str.format` fields.
"""

from __future__ import annotations

import math
from typing import Any

from microgradnet.locales import localize

__all__ = ["STRINGS", "check_number_format", "format_number", "printable", "strings"]

#: UI text by key. Fields: ``{op}`` op symbol, ``{operand}``/``{node}``/``{root}`` display names,
#: numbers already formatted.
STRINGS: dict[str, str] = {
    # terminal trace
    "forward_header": "forward pass (evaluation order):",
    "backward_header": "backward pass (one line per edge), seed ∂{root}/∂{root} = {seed}:",
    "leaf_line": "{name} = {data}",
    "op_line": "{name} = {expr} = {data}",
    "event_line": "∂{root}/∂{operand} += ∂{node}/∂{operand} · ∂{root}/∂{node} = {local} · ({upstream}) = "
    "{contribution};  {operand}.grad {before} → {after}",
    "event_final": "  (final)",
    "local_named": "({formula} = {value})",
    "local_plain": "({value})",
    "ledger": "{operand}.grad = {terms} = {total}",
    "ledger_term": "({value} via {node})",
    "ledger_start": "({value} held before)",
    "start_line": "{name}.grad starts at {grad}, the gradient it holds (leaves accumulate)",
    "grads_header": "gradients:",
    "grad_line": "∂{root}/∂{name} = {grad}",
    # narration: one sentence per edge event
    "narrate_pass": "the {op} gate passes the upstream gradient {upstream} unchanged to {operand}",
    "narrate_negate": "the {op} gate passes the negated upstream gradient, {contribution}, to {operand}",
    "narrate_swap": "the {op} gate swaps its inputs: {operand} receives the upstream gradient {upstream} "
    "times the other input {other}, which is {contribution}",
    "narrate_route_open": "the {op} gate is open (its input is positive), so {operand} receives the "
    "upstream gradient {upstream}",
    "narrate_route_closed": "the {op} gate is closed (its input is not positive), so {operand} receives 0",
    "narrate_scale": "the {op} gate scales the upstream gradient {upstream} by {local}, sending "
    "{contribution} to {operand}",
    "narrate_stop": "the {op} gate stops the gradient: {operand} receives 0",
    "narrate_local": "the {op} gate multiplies the upstream gradient {upstream} by its local derivative "
    "{formula} = {local}, sending {contribution} to {operand}",
    "narrate_pending": "; {operand} still waits for {remaining} more contribution(s)",
    "narrate_final_fanout": "; that was the last of its {count} contributions, so {operand}.grad = {after} "
    "is final",
    # picture labels
    "data": "data",
    "grad": "grad",
    "role_input": "input",
    "role_parameter": "parameter",
    "role_intermediate": "intermediate",
    "role_output": "output",
    "box_size": "{parameters} parameters, {nodes} nodes",
    "box_more": "… {k} more",
    "group_neuron": "{layer}.neuron{row}",
    "forward_step": "forward: {name} = {data}",
    "slide_title": "Backpropagation through {root} = {expr}",
    "slide_counter": "step {k} of {n} · {phase}",
    "slide_forward": "forward pass",
    "slide_backward": "backward pass",
    "backward_seed": "backward: seed ∂{root}/∂{root} = {seed}",
}


def strings(lang: str = "en") -> dict[str, str]:
    """:data:`STRINGS` in ``lang`` (``"en"``, ``"ne"``): English overlaid with the translation in
    :mod:`microgradnet.locales`. ``ValueError`` for a language that does not ship."""
    return localize("strings", STRINGS, lang)


def check_number_format(fmt: Any, name: str = "fmt") -> None:
    """Raise unless ``fmt`` is a :meth:`str.format` pattern that writes one number.

    ``TypeError`` when it is not a ``str``; ``ValueError`` when formatting a number fails or
    gives text that does not depend on the number (``"x ="`` with no ``{}``).
    """
    if not isinstance(fmt, str):
        raise TypeError(f"{name} must be a format string such as '{{:.4g}}', got {type(fmt).__name__}")
    try:
        one, other = format_number(1.25, fmt), format_number(-7.5, fmt)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{name} {fmt!r} does not format a number (expected e.g. '{{:.4g}}'): {exc}"
        ) from None
    if one == other:
        raise ValueError(f"{name} {fmt!r} shows no number: it needs a placeholder such as '{{:.4g}}'")


def format_number(x: float, fmt: str = "{:.4g}") -> str:
    """``x`` written with ``fmt``; ``inf``, ``-inf`` and ``nan`` as words and ``-0`` as ``0``."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0.0:
        x = 0.0  # no "-0" on a slide
    return fmt.format(x)


# C0 controls, DEL and C1 controls: not allowed in XML 1.0 (SVG), a syntax error for Graphviz (NUL)
_CONTROL: dict[int, int | str] = {c: 0x2400 + c for c in range(0x20)}
_CONTROL |= {0x7F: 0x2421} | {c: 0xFFFD for c in range(0x80, 0xA0)}
# lone surrogates (a Python str may hold them; UTF-8 cannot): written as their escape, \ud800
_CONTROL |= {c: f"\\u{c:04x}" for c in range(0xD800, 0xE000)}


def printable(text: str) -> str:
    """``text`` with control characters made visible: ``"\\x00"`` becomes ``"␀"``, a tab ``"␉"``,
    a newline ``"␊"`` (the Unicode control pictures); C1 controls become ``"�"``; a lone
    surrogate, which UTF-8 cannot encode, is written as its escape (``"\\ud800"``).

    Labels go into Graphviz, SVG and XML, where control characters are errors or forbidden; a
    label keeps its length and stays distinct from other labels.
    """
    return text.translate(_CONTROL)
