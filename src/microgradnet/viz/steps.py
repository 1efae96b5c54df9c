"""The stepper page's steps: every sentence and number it shows, computed from a :class:`Trace`.

:func:`build_steps` turns a trace into the *step model* the page's script replays: the forward pass
(inputs, then one step per operation), the seed, one step per edge of the backward pass, and a
summary. Each step says what it shows (``title``, ``lines``, ``narration``, the op's ``rule``),
which texts of which nodes change (``set``: ``[item, data text, grad text, css class]``, ``None``
where nothing changes), what to highlight (``hot``), and, for quiz mode, the same step with its
result hidden (``masked``). Nothing else: the script holds no arithmetic and no sentences.

Networks built with :mod:`microgradnet.nn` can also be stepped a neuron or a layer at a time
(:func:`build_levels`): every application of a neuron or a layer (one per sample) becomes a box,
and the scalar steps inside it are merged into one *block* step that writes the whole layer's
backward pass in vector form, ``δ = g ⊙ f′(z)``, ``dW = δ · xᵀ``, ``db = δ``, ``dx = Wᵀ · δ``,
each entry linked to the scalar step (edge) it comes from.

Items are numbered: node ``k`` of the trace (id ``"n<k>"``) is item ``k``; the boxes of the
levels follow, numbered on from the number of nodes.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from microgradnet.locales import localize
from microgradnet.ops import OPS
from microgradnet.viz.dot import Group, node_groups, parameter_group
from microgradnet.viz.strings import format_number, strings
from microgradnet.viz.trace import EdgeEvent, Trace, TraceNode

__all__ = [
    "LEVELS",
    "PAGE_STRINGS",
    "QUIZ_ABS_TOL",
    "QUIZ_REL_TOL",
    "build_levels",
    "build_steps",
    "page_strings",
    "rule_card_table",
]

#: The levels of detail a network can be stepped at, finest first.
LEVELS = ("scalar", "neuron", "layer")

#: Every sentence the page shows that is not already in ``viz.strings.STRINGS``, in one place.
PAGE_STRINGS: dict[str, str] = {
    "title": "Backpropagation through {root} = {expr}",
    "phase_forward": "forward pass",
    "phase_backward": "backward pass",
    "phase_done": "done",
    "inputs_title": "Forward pass: the inputs",
    "inputs_narration": "The forward pass starts from the inputs: {values}.",
    "no_inputs_narration": "The forward pass starts from the leaves of the graph.",
    "forward_title": "Forward pass: compute {name}",
    "forward_narration": "{name} = {expr} = {numbers} = {value}.",
    "seed_title": "Backward pass: the seed",
    "seed_narration": "The backward pass starts at the output: ∂{root}/∂{root} = {seed}. "
    "Every other gradient starts at 0 and is pending until all its contributions arrive.",
    "seed_narration_held": "The backward pass starts at the output: ∂{root}/∂{root} = {seed}. As "
    "backward() does, the other nodes start at 0, but leaves keep the gradient they already hold "
    "and add to it: {held}. Every gradient is pending until all its contributions arrive.",
    "edge_title": "Backward pass, edge {k} of {total}: {node} → {operand}",
    "done_title": "Done: every gradient is final",
    "done_narration": "Backpropagation is complete: {grads}.",
    "numeric_check": "check, nudging each input by ±h:   {estimates}",
    "numeric_check_some": "check, nudging {k} of the {n} leaves by ±h:   {estimates}",
    "numeric_agrees": "Nudging each input a little and re-running the forward pass gives the same "
    "slopes (central differences): the chain rule got them right.",
    "numeric_differs": "Nudging each input a little and re-running the forward pass gives the slopes "
    "shown; where one differs from backprop, the function has a kink or a non-finite value there.",
    "pending_mark": "…",
    "final_mark": "(final)",
    "pending_more": "(pending: {k} more to come)",
    "waiting": "(waiting for {k} more)",
    "waiting_term": "(? via {node})",
    "more_terms": "+ … {k} more",
    "more_count": "… {k} more",
    "unknown": "?",
    "inputs_list": "{k} inputs",
    "parameters_list": "{k} parameters",
    "leaves_shown": "{what}, {shown} shown: {values}",
    "more": "more…",
    "less": "less",
    "play": "▶ play",
    "pause": "⏸ pause",
    "first": "⇤ first",
    "prev": "◀ back",
    "next": "next ▶",
    "last": "last ⇥",
    "button_projector": "projector",
    "button_follow": "follow",
    "button_whole": "whole graph",
    "button_quiz": "quiz",
    "level_scalar": "scalars",
    "level_neuron": "neurons",
    "level_layer": "layers",
    "level_label": "detail",
    "expand": "Click a box to open it (E opens the current one); click its frame to close it.",
    "collapse_group": "close {name}",
    "quiz_prompt": "Your turn: what is {ask}? Type it and press Enter, or press → to reveal it.",
    "quiz_label": "{ask} =",
    "quiz_check": "check",
    "quiz_show": "show answer",
    "quiz_right": "Right: {ask} = {answer}.",
    "quiz_wrong": "Not quite: {typed} is not {ask}. {hint}Try again, or show the answer.",
    "quiz_unreadable": "“{typed}” is not a number I can read; type a number such as -4, 0.5, 3/4 "
    "or (-3)*(-2).",
    "quiz_revealed": "The answer: {ask} = {answer}.",
    "quiz_score": "Score: {right} of {asked} right first time.",
    "quiz_not_here": "(no question at a whole neuron or layer: open the box to be asked)",
    "hint_contribution": "That is this edge's contribution; add it to what {operand}.grad held "
    "before ({before}). ",
    "hint_local": "That is the local derivative ∂{node}/∂{operand}; multiply it by the upstream gradient "
    "∂{root}/∂{node} = {upstream}. ",
    "hint_upstream": "That is the upstream gradient ∂{root}/∂{node}; multiply it by the local derivative "
    "∂{node}/∂{operand} = {formula}. ",
    "hint_sign": "Check the sign. ",
    "theme_cs231n": "CS231n colours",
    "theme_colorblind": "colour-blind safe",
    "ledger_heading": "Gradients that add up (fan-out)",
    "all_steps": "All steps",
    "legend": "{data_word} = forward value, {grad_word} = gradient ∂{root}/∂node; a dashed box "
    "and {pending} mean the gradient is still pending; a solid red box without {pending} means it is final.",
    "help": "Keys: ← → step · Space play/pause · Home/End first/last · P projector · C colours · "
    "Z follow the step / stay · + − zoom · 0 whole graph · Shift+arrows or drag: move · "
    "1 2 3 scalars / neurons / layers · E open or close a box · Q quiz",
    "graph_label": "Computational graph of {root}",
    "minimap_label": "Outline of the whole graph; the frame is what the picture shows",
    "counter": "step {k} of {n}",
    # neurons and layers
    "layer_name": "layer {name}",
    "neuron_name": "layer {layer} · neuron {row}",
    "sample": "{name} · sample {k}",
    "box_data": "data {values}",
    "box_grad": "grad {values}",
    "block_forward_title": "Forward pass: {box}",
    "block_backward_title": "Backward pass: {box}",
    "block_forward_narration": "{box} computes its {n} output(s) at once: z = W·x + b, then "
    "h = {act}(z), from its input x (one step for {k} scalar operations).",
    "block_forward_narration_linear": "{box} computes z = W·x + b from its input x at once (one step "
    "for {k} scalar operations); it has no activation.",
    "block_forward_narration_generic": "{box} computes its {n} output(s) from its inputs at once "
    "(one step for {k} scalar operations).",
    "block_backward_narration": "{box} sends gradient back through all its {edges} edges at once, "
    "as the lesson's Linear.backward does: each weight receives its row's δ times its column's input "
    "(dW = δ·xᵀ), each bias δ, each input Wᵀ·δ (a sum over the {rows} rows). W.grad and b.grad add "
    "this share to what they hold. Click a number to see the edge it comes from.",
    "block_generic_narration": "{box} sends gradient back through its {edges} edges at once "
    "(open the box to see them one by one).",
    "vector_upstream": "g = ∂{root}/∂h = {values}",
    "vector_delta": "δ = ∂{root}/∂z = g ⊙ {formula} = {values}",
    "vector_delta_linear": "δ = ∂{root}/∂z = g = {values}",
    "vector_input": "x = {values}",
    "vector_z": "z = W · x + b = {values}",
    "vector_h": "h = {act}(z) = {values}",
    "vector_dw": "dW = δ · xᵀ",
    "vector_db": "db = δ = {values}",
    "vector_dx": "dx = Wᵀ · δ = {values}",
    "vector_dw_neuron": "dw = δ · x",
    "vector_dx_neuron": "dx = δ · w = {values}",
    "vector_w": "W = {values}",
    "vector_w_neuron": "w = {values}",
    "block_backward_narration_neuron": "{box} sends gradient back through all its {edges} edges at once: "
    "each weight receives δ times its input (dw = δ·x), the bias δ, each input δ times its weight "
    "(dx = δ·w). w.grad and b.grad add this share to what they hold. Click a number to see the edge "
    "it comes from.",
    "vector_generic_in": "to {name}: {value}",
    "matrix_note": "{rows}×{cols}, {shown_rows}×{shown_cols} shown",
    "link_title": "edge {node} → {operand}, step {step}: click to open it",
    "narration_sentence": "{sentence}.",
    # what screen readers say about the controls
    "controls_label": "stepper controls",
    "aria_first": "first step (Home)",
    "aria_prev": "previous step (left arrow)",
    "aria_play": "play or pause (Space)",
    "aria_next": "next step (right arrow)",
    "aria_last": "last step (End)",
    "aria_quiz": "quiz: type each result before it is shown (Q)",
    "aria_follow": "follow the current step (Z)",
    "aria_whole": "show the whole graph (0)",
    "aria_projector": "projector mode (P)",
    "theme_label": "colours",
    "slider_label": "step",
    "slider_text": "step {k} of {n}: {title}",
    # find the wrong gradient (bug=)
    "find_title": "Find the slip: {title}",
    "find_intro": "One edge of this backward pass was computed wrongly. Step through it and mark the "
    "first wrong edge: press M, or the button, at its step.",
    "find_mark": "✗ first wrong edge",
    "aria_mark": "mark this edge as the first wrong one (M)",
    "find_show": "show the slip",
    "find_not_edge": "Mark an edge of the backward pass: go to a step whose title reads node → operand "
    "(open a box to see its edges) and press M.",
    "find_right": "Not this one: every number on the edge {node} → {operand} is what backprop gives. "
    "Keep looking.",
    "find_later": "The numbers on the edge {node} → {operand} are wrong, but an earlier edge is already "
    "wrong: find the first one.",
    "find_found": "Found it: the edge {node} → {operand} (step {step}) is the first wrong one.",
    "find_revealed": "The first wrong edge is {node} → {operand} (step {step}).",
    "find_slip": "The slip: {title}.",
    "find_correct": "Done right, this step reads:",
    "help_find": "M mark the first wrong edge",
    "numeric_slip": "Nudging each input a little and re-running the forward pass gives other slopes "
    "than this backward pass for {names}: there is a slip in the backward pass. Which edge went wrong "
    "first?",
    # faded worked examples (fade=)
    "fade_prompt": "Your turn: work out this edge (upstream × local, added to {operand}.grad). Which rule "
    "gives this edge?",
    "fade_show_rule": "show the rule",
    "aria_rule": "show the rule card for this edge (R)",
    "fade_done": "The last {k} of the {n} edges are yours: work them out, then check each gradient "
    "by nudging its input.",
    "help_fade": "R show the rule",
}

#: Quiz mode accepts a typed number within this relative (or, near zero, absolute) tolerance.
QUIZ_REL_TOL = 1e-2
QUIZ_ABS_TOL = 1e-9

#: The inputs and summary steps list at most this many leaves of a kind before "more…".
_SHOW_LEAVES = 3
#: ... once there are more than this many.
_SUMMARISE_ABOVE = 8
#: Vectors in boxes and equations show at most this many entries.
_SHOW_ENTRIES = 6
#: The summary's check nudges every leaf of graphs up to this many nodes, else the first leaves.
_CHECK_ALL_BELOW = 600
_CHECK_SOME = 8


#: Equation lines longer than this many characters are shown elided, the whole line behind "more…".
_LONG_LINE = 100


def _elide(text: str, keep: int = 3) -> str:
    """A long list written with its middle left out: ``dot(a, b, c, …, y, z)``."""
    parts = text.split(", ")
    if len(text) <= _LONG_LINE or len(parts) <= 2 * keep:
        return text
    return ", ".join(parts[:keep]) + ", …, " + ", ".join(parts[-keep + 1 :])


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= max(QUIZ_REL_TOL * abs(y), QUIZ_ABS_TOL)


def _json_float(x: float) -> float | str:
    """A float for the page's JSON (non-finite ones as strings, which the quiz never accepts)."""
    return x if math.isfinite(x) else repr(x)


def _paren(text: str) -> str:
    """A number as it appears inside a product: negatives in parentheses, ``(-3)``."""
    return f"({text})" if text.startswith("-") else text


def _index(node_id: str) -> int:
    return int(node_id[1:])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Texts:
    """Every text each item's data and grad line shows at some step (for box widths)."""

    def __init__(self) -> None:
        self.data: dict[int, set[str]] = {}
        self.grad: dict[int, set[str]] = {}

    def add(self, item: int, data: str | None, grad: str | None) -> None:
        if data is not None:
            self.data.setdefault(item, set()).add(data)
        if grad is not None:
            self.grad.setdefault(item, set()).add(grad)

    def longest(self, item: int) -> tuple[str, str]:
        def pick(texts: set[str] | None) -> str:
            return max(sorted(texts), key=len) if texts else ""

        return pick(self.data.get(item)), pick(self.grad.get(item))


@dataclass
class StepModel:
    """What :func:`build_steps` returns: the step list and what the page needs besides."""

    #: the steps, in order (see the module docstring)
    steps: list[dict[str, Any]]
    #: item -> ``[data text, grad text, css class]`` before the first step
    initial: list[list[str]]
    #: the index of the seed step
    backward_start: int
    #: node index -> its fan-out ledger (nodes that receive more than one contribution)
    ledgers: dict[int, dict[str, Any]]
    #: the scalar step of each edge event
    step_of_event: list[int]
    texts: _Texts = field(default_factory=_Texts)


def build_steps(
    trace: Trace, fmt: str = "{:.4g}", lang: str = "en", *, slipped: bool = False, fade: int = 0
) -> StepModel:
    """The scalar step model of ``trace``: inputs, one step per op node, the seed, one step per
    edge event, the summary (see the module docstring). Numbers are written with ``fmt``, every
    sentence in ``lang`` (:mod:`microgradnet.locales`).

    ``slipped=True`` says the trace carries a planted slip: the summary then reads a disagreement
    with the nudge as the sign of a slip rather than of a kink. ``fade=k`` hides the last ``k``
    edges (a faded worked example): each such step carries no number it would reveal (its
    equation and the receiving node show ``?``; an operand's earlier gradient only when a shown
    step gave it), asks which rule gives the edge (the rule card stays in ``rule``, for the page to
    reveal on demand), has ``"faded": True`` and no quiz question; the ledgers and the summary
    show ``?`` for what those steps would give, and the summary does no nudge check.

    Raises:
        ValueError: ``fade`` is negative or larger than the number of edges.
    """
    if isinstance(fade, bool) or not isinstance(fade, int) or not 0 <= fade <= len(trace.events):
        raise ValueError(
            f"fade must be a number of steps from 0 to {len(trace.events)} (this pass has "
            f"{len(trace.events)} edges), got {fade!r}"
        )
    return _Steps(trace, fmt, lang, slipped, fade).build()


def page_strings(lang: str = "en") -> dict[str, str]:
    """:data:`PAGE_STRINGS` in ``lang`` (English overlaid with the translation)."""
    return localize("page", PAGE_STRINGS, lang)


def rule_card_table(lang: str = "en") -> dict[str, str]:
    """``{op name: rule card}`` from the op table, in ``lang``."""
    return localize("rules", {name: op.rule for name, op in OPS.items()}, lang)


class _Steps:
    def __init__(
        self, trace: Trace, fmt: str, lang: str = "en", slipped: bool = False, fade: int = 0
    ) -> None:
        self.trace = trace
        self.fade = fade
        self.hidden_from = len(trace.events) - fade  # events from here on are left to the student
        self.unknown: set[str] = set()  # nodes a hidden step has given gradient to
        self.fmt = fmt
        self.f: Callable[[float], str] = functools.partial(format_number, fmt=fmt)
        self.t = page_strings(lang)
        self.s = strings(lang)
        self.rules = rule_card_table(lang)
        self.lang = lang
        self.slipped = slipped
        self.root = trace.node(trace.root)
        self.texts = _Texts()
        self.data_word = self.s["data"]
        self.grad_word = self.s["grad"]
        # the gradient each node starts from: 0, or what a leaf held (TraceNode.grad_start)
        self.start: dict[str, float] = {n.id: n.grad_start for n in trace.nodes}
        self.arrived: list[int] = []
        counts: dict[str, int] = {}
        for e in trace.events:
            counts[e.operand] = counts.get(e.operand, 0) + 1
            self.arrived.append(counts[e.operand])

    def set(self, node_id: str, data: str | None, grad: str | None, css: str | None) -> list[Any]:
        item = _index(node_id)
        d = None if data is None else f"{self.data_word} {data}"
        g = None if grad is None else f"{self.grad_word} {grad}"
        self.texts.add(item, d, g)
        return [item, d, g, css]

    def numbers(self, node: TraceNode) -> str:
        """The node's expression with its operands' values: ``2 * (-3)``."""
        op = OPS.get(node.op)
        values = [_paren(self.f(self.trace.node(c).data)) for c in node.children]
        if op is None:
            return f"{node.op}({', '.join(values)})"
        if op.variadic:
            per = len(values) // len(op.params)
            fill = {p: ", ".join(values[g * per : (g + 1) * per]) for g, p in enumerate(op.params)}
        else:
            fill = dict(zip(op.params, values))
        if op.arg and node.arg is not None:
            fill[op.arg] = self.f(node.arg)
        try:
            return op.template.format(**fill)
        except (KeyError, IndexError):
            return f"{node.op}({', '.join(values)})"

    def build(self) -> StepModel:
        trace = self.trace
        unknown = self.t["unknown"]
        initial = []
        for n in trace.nodes:
            initial.append(self.set(n.id, unknown, unknown, "mg-future mg-nograd")[1:])
        steps: list[dict[str, Any]] = [self._inputs()]
        for n in _forward_order(trace):
            steps.append(self._forward(n))
        backward_start = len(steps)
        steps.append(self._seed())
        step_of_event = []
        for e in trace.events:
            step_of_event.append(len(steps))
            steps.append(self._edge(e))
        steps.append(self._done())
        ledgers = self._ledgers(step_of_event)
        return StepModel(steps, initial, backward_start, ledgers, step_of_event, self.texts)

    # ---- forward -------------------------------------------------------------------------------

    def _leaf_list(self, items: list[tuple[str, str]], what_key: str) -> tuple[str, str | None]:
        """``name = value`` pairs as one line, and a short form when there are many."""
        full = "   ".join(f"{name} = {value}" for name, value in items)
        if len(items) <= _SUMMARISE_ABOVE:
            return full, None
        shown = ", ".join(f"{name} = {value}" for name, value in items[:_SHOW_LEAVES])
        what = self.t[what_key].format(k=len(items))
        return full, self.t["leaves_shown"].format(what=what, shown=_SHOW_LEAVES, values=shown)

    def _inputs(self) -> dict[str, Any]:
        trace, f = self.trace, self.f
        leaves = [n for n in trace.nodes if n.is_leaf]
        shown = [n for n in leaves if n.name != f(n.data)]  # a constant "2" needs no "2 = 2"
        inputs = [(n.name, f(n.data)) for n in shown if n.role != "parameter"]
        params = [(n.name, f(n.data)) for n in shown if n.role == "parameter"]
        line0, short0 = self._leaf_list(inputs, "inputs_list")
        line1, short1 = self._leaf_list(params, "parameters_list")
        lines = [line0, line1, ""] if params else [line0, "", ""]
        values = ", ".join(f"{name} = {value}" for name, value in inputs + params)
        step: dict[str, Any] = {
            "kind": "inputs",
            "phase_key": "forward",
            "title": self.t["inputs_title"],
            "lines": lines,
            "narration": self.t["inputs_narration"].format(values=values)
            if shown
            else self.t["no_inputs_narration"],
            "set": [self.set(n.id, f(n.data), None, "mg-nograd") for n in leaves],
            "hot": {},
        }
        if short0 is not None or short1 is not None:
            step["short"] = [short0 or line0, (short1 or line1) if params else "", ""]
            step["narration"] = self.t["inputs_narration"].format(
                values=", ".join(s for s in (short0 or line0, short1 or line1) if s)
            )
        return step

    def _forward(self, n: TraceNode) -> dict[str, Any]:
        trace, f = self.trace, self.f
        unknown = self.t["unknown"]
        expr, numbers, value = trace.expression(n.id), self.numbers(n), f(n.data)
        step: dict[str, Any] = {
            "kind": "forward",
            "phase_key": "forward",
            "title": self.t["forward_title"].format(name=n.name),
            "lines": [f"{n.name} = {expr}", f"   = {numbers}", f"{n.name} = {value}"],
            "narration": self.t["forward_narration"].format(
                name=n.name, expr=expr, numbers=numbers, value=value
            ),
            "set": [self.set(n.id, value, None, "mg-nograd")],
            # predict-then-reveal: the step shown with its result hidden
            "masked": {
                "lines": [f"{n.name} = {expr}", f"   = {numbers}", f"{n.name} = {unknown}"],
                "set": [self.set(n.id, unknown, None, "mg-nograd")],
                **self._question(n.name, n.data, self._sign_hint(n.data)),
            },
            "hot": {"edges": [[_index(n.id), k] for k in range(len(n.children))], "computing": _index(n.id)},
        }
        if len(expr) > _LONG_LINE or len(numbers) > _LONG_LINE:  # a wide dot: the middle elided
            short = [f"{n.name} = {_elide(expr)}", f"   = {_elide(numbers)}"]
            step["short"] = [*short, step["lines"][2]]
            step["masked"]["short"] = [*short, step["masked"]["lines"][2]]
        return step

    # ---- backward ------------------------------------------------------------------------------

    def _question(self, ask: str, value: float, hints: list[list[Any]]) -> dict[str, Any]:
        """What quiz mode asks at a step: the prompt, the exact answer and hints for near misses."""
        return {
            "prompt": self.t["quiz_prompt"].format(ask=ask),
            "ask": ask,
            "answer": _json_float(value),
            "shown": self.f(value),
            "hints": hints,
        }

    def _sign_hint(self, value: float) -> list[list[Any]]:
        return [[-value, self.t["hint_sign"]]] if math.isfinite(value) and value != 0 else []

    def _hints(self, e: EdgeEvent) -> list[list[Any]]:
        """``[value, sentence]`` for the classic wrong answers at an edge, most telling first."""
        node, operand = self.trace.node(e.node), self.trace.node(e.operand)
        fill = {
            "node": node.name,
            "operand": operand.name,
            "root": self.root.name,
            "before": self.f(e.grad_before),
            "upstream": self.f(e.upstream),
            "formula": e.formula_named,
        }
        candidates = [
            (e.contribution, "hint_contribution"),
            (e.local, "hint_local"),
            (e.upstream, "hint_upstream"),
            (-e.grad_after, "hint_sign"),
        ]
        hints: list[list[Any]] = []
        for value, key in candidates:
            taken = any(_close(value, h[0]) for h in hints)  # the first reading of a number wins
            if math.isfinite(value) and not _close(value, e.grad_after) and not taken:
                hints.append([value, self.t[key].format(**fill)])
        return hints

    def _seed(self) -> dict[str, Any]:
        trace, f = self.trace, self.f
        root = self.root
        pending = self.t["pending_mark"]
        updates: list[list[Any]] = []
        held: dict[bool, list[tuple[str, str]]] = {False: [], True: []}  # by "is a parameter"
        for n in trace.nodes:
            if n.id == trace.root:
                updates.append(self.set(n.id, None, f(trace.seed), "mg-final"))
            else:
                start = self.start.get(n.id, 0.0)
                if start != 0.0:
                    held[n.role == "parameter"].append((f"{n.name}.grad", f(start)))
                updates.append(self.set(n.id, None, f"{f(start)} {pending}", "mg-pending"))
        seed = f(trace.seed)
        if len(held[False]) + len(held[True]) > _SUMMARISE_ABOVE:  # "37 parameters, 3 shown: ..."
            parts = []
            for items, key in ((held[False], "inputs_list"), (held[True], "parameters_list")):
                if items:
                    short = self._leaf_list(items, key)[1]
                    parts.append(short or ", ".join(f"{name} = {value}" for name, value in items))
            held_text = "; ".join(parts)
        else:
            held_text = ", ".join(f"{name} = {value}" for name, value in held[False] + held[True])
        narration = (
            self.t["seed_narration_held"].format(root=root.name, seed=seed, held=held_text)
            if held[False] or held[True]
            else self.t["seed_narration"].format(root=root.name, seed=seed)
        )
        return {
            "kind": "seed",
            "phase_key": "backward",
            "title": self.t["seed_title"],
            "lines": [f"∂{root.name}/∂{root.name} = {seed}", "", f"{root.name}.grad 0 → {seed}"],
            "narration": narration,
            "set": updates,
            "hot": {"sender": _index(trace.root)},
        }

    def _edge(self, e: EdgeEvent) -> dict[str, Any]:
        trace, f = self.trace, self.f
        node, operand = trace.node(e.node), trace.node(e.operand)
        r = self.root.name
        local = f(e.local)
        symbolic = f"∂{r}/∂{operand.name} += ∂{node.name}/∂{operand.name} · ∂{r}/∂{node.name}"
        if e.formula_named != local:
            formula = e.formula_named
            if not re.fullmatch(r"[\w.\[\]]+|\([^()]*\)", formula):  # 1 - o * o -> (1 - o * o)
                formula = f"({formula})"
            symbolic += f" = {formula} · ∂{r}/∂{node.name}"
        numeric = f"   = {_paren(local)} · {_paren(f(e.upstream))} = {f(e.contribution)}"
        before, after = f(e.grad_before), f(e.grad_after)
        if e.final:
            status, css, shown = self.t["final_mark"], "mg-final", after
        else:
            k = operand.consumers - self.arrived[e.step]
            status = self.t["pending_more"].format(k=k)
            css, shown = "mg-pending", f"{after} {self.t['pending_mark']}"
        if e.step >= self.hidden_from:
            return self._faded_edge(e, symbolic)
        narration = trace.narration(e, self.fmt, self.lang)
        return {
            "kind": "edge",
            "phase_key": "backward",
            "title": self.t["edge_title"].format(
                k=e.step + 1, total=len(trace.events), node=node.name, operand=operand.name
            ),
            "lines": [symbolic, numeric, f"{operand.name}.grad {before} → {after}  {status}"],
            "narration": self.t["narration_sentence"].format(
                sentence=self._capital(narration, node.symbol or e.op)
            ),
            "rule": self.rules.get(e.op, e.rule),
            "set": [self.set(e.operand, None, shown, css)],
            "masked": {
                "lines": [symbolic, "   = ?", f"{operand.name}.grad {before} → ?"],
                "set": [self.set(e.operand, None, self.t["unknown"], "mg-pending")],
                **self._question(f"{operand.name}.grad", e.grad_after, self._hints(e)),
            },
            "hot": {
                "edges": [[_index(e.node), e.operand_index]],
                "sender": _index(e.node),
                "receiver": _index(e.operand),
            },
            "ledger": _index(e.operand) if operand.consumers > 1 else None,
            "event": e.step,
        }

    @staticmethod
    def _capital(sentence: str, symbol: str) -> str:
        """The sentence with a capital first letter, unless it starts with the op's symbol (a
        language that names the gate first: ``tanh गेटले ...`` keeps ``tanh``)."""
        return sentence if sentence.startswith(symbol) else sentence[:1].upper() + sentence[1:]

    def _faded_edge(self, e: EdgeEvent, symbolic: str) -> dict[str, Any]:
        """An edge left to the student: the equation without numbers, the rule behind a button."""
        trace, unknown = self.trace, self.t["unknown"]
        node, operand = trace.node(e.node), trace.node(e.operand)
        before = unknown if e.operand in self.unknown else self.f(e.grad_before)
        self.unknown.add(e.operand)
        return {
            "kind": "edge",
            "phase_key": "backward",
            "title": self.t["edge_title"].format(
                k=e.step + 1, total=len(trace.events), node=node.name, operand=operand.name
            ),
            "lines": [symbolic, f"   = {unknown}", f"{operand.name}.grad {before} → {unknown}"],
            "narration": self.t["fade_prompt"].format(operand=operand.name),
            "rule": self.rules.get(e.op, e.rule),
            "set": [self.set(e.operand, None, unknown, "mg-pending")],
            "faded": True,
            "hot": {
                "edges": [[_index(e.node), e.operand_index]],
                "sender": _index(e.node),
                "receiver": _index(e.operand),
            },
            "ledger": _index(e.operand) if operand.consumers > 1 else None,
            "event": e.step,
        }

    def _done(self) -> dict[str, Any]:
        trace = self.trace
        r = self.root.name

        def f(x: float, node: TraceNode | None = None) -> str:
            return self.t["unknown"] if node is not None and node.id in self.unknown else self.f(x)

        leaves = [n for n in trace.nodes if n.is_leaf] or list(trace.nodes)
        leaves = [n for n in leaves if not n.is_constant] or leaves  # constants need no gradient
        inputs = [n for n in leaves if n.role != "parameter"]
        params = [n for n in leaves if n.role == "parameter"]
        grads = [f"∂{r}/∂{n.name} = {f(n.grad, n)}" for n in inputs + params]
        line0, short0 = self._leaf_list([(f"∂{r}/∂{n.name}", f(n.grad, n)) for n in inputs], "inputs_list")
        line1, short1 = self._leaf_list(
            [(f"∂{r}/∂{n.name}", f(n.grad, n)) for n in params], "parameters_list"
        )
        full = "   ".join(s for s in (line0, line1) if s)
        checked = leaves if len(trace.nodes) <= _CHECK_ALL_BELOW else leaves[:_CHECK_SOME]
        # a faded page leaves the last steps to the student: no nudge check to give them away
        numeric = None if self.fade else _central_differences(trace, [n.id for n in checked if n.is_leaf])
        check = check_short = ""
        ending = ""
        if numeric:
            estimates = [f"∂{r}/∂{n.name} ≈ {f(numeric[n.id])}" for n in checked]
            if len(checked) == len(leaves):
                check = self.t["numeric_check"].format(estimates="   ".join(estimates))
            else:
                check = self.t["numeric_check_some"].format(
                    k=len(checked), n=len(leaves), estimates="   ".join(estimates)
                )
            check_short = check
            if len(estimates) > _SUMMARISE_ABOVE:
                shown = "   ".join(estimates[:_SHOW_LEAVES])
                more = self.t["more_count"].format(k=len(estimates) - _SHOW_LEAVES)
                check_short = self.t["numeric_check"].format(estimates=f"{shown}   {more}")
            off = [n for n in checked if not math.isclose(numeric[n.id], n.grad, rel_tol=1e-3, abs_tol=1e-6)]
            if not off:
                ending = " " + self.t["numeric_agrees"]
            elif self.slipped:  # a planted slip: the nudge finds it, the student finds where
                ending = " " + self.t["numeric_slip"].format(names=", ".join(f"∂{r}/∂{n.name}" for n in off))
            else:
                ending = " " + self.t["numeric_differs"]
        step: dict[str, Any] = {
            "kind": "done",
            "phase_key": "done",
            "title": self.t["done_title"],
            "lines": [full, check, ""],
            "narration": self.t["done_narration"].format(grads=", ".join(grads)) + ending,
            "set": [],
            "hot": {},
        }
        if self.fade:
            step["narration"] = self.t["fade_done"].format(k=self.fade, n=len(trace.events))
        if short0 is not None or short1 is not None or check_short != check:
            short = "   ".join(s for s in (short0 or line0, short1 or line1) if s)
            step["short"] = [short, check_short, ""]
            if not self.fade:
                step["narration"] = self.t["done_narration"].format(grads=short) + ending
        return step

    def _ledgers(self, step_of_event: list[int]) -> dict[int, dict[str, Any]]:
        trace, f = self.trace, self.f
        by_operand: dict[str, list[EdgeEvent]] = {}
        for e in trace.events:
            by_operand.setdefault(e.operand, []).append(e)
        out: dict[int, dict[str, Any]] = {}
        for n in trace.nodes:
            if n.consumers < 2:
                continue
            terms = []
            for e in by_operand.get(n.id, []):
                waiting = self.t["waiting_term"].format(node=trace.node(e.node).name)
                shown = self.s["ledger_term"].format(value=f(e.contribution), node=trace.node(e.node).name)
                hidden = e.step >= self.hidden_from
                terms.append([step_of_event[e.step], waiting if hidden else shown, waiting])
            total = self.t["unknown"] if n.id in self.unknown else f(n.grad)
            out[_index(n.id)] = {"name": n.name, "terms": terms, "total": total}
        return out


def _central_differences(trace: Trace, leaves: Sequence[str]) -> dict[str, float] | None:
    """Each of ``leaves``' slope ``(L(x + h) - L(x - h)) / 2h`` from re-running the forward pass on
    floats (``h = 1e-4`` scaled by ``|x|``), or ``None`` when an op is not in the table."""
    if any(not n.is_leaf and n.op not in OPS for n in trace.nodes):
        return None
    ops = [(n.id, OPS[n.op], n.children, n.arg) for n in trace.nodes if not n.is_leaf]
    base = {n.id: n.data for n in trace.nodes if n.is_leaf}

    def output(leaf: str, value: float) -> float:
        values = dict(base)
        values[leaf] = value
        for node_id, op, children, arg in ops:
            values[node_id] = op.float_forward([values[c] for c in children], 0.0, arg)
        return values[trace.root]

    slopes = {}
    for leaf in leaves:
        x = base[leaf]
        h = 1e-4 * max(1.0, abs(x)) if math.isfinite(x) else 1e-4
        slopes[leaf] = (output(leaf, x + h) - output(leaf, x - h)) / (2 * h)
    return slopes


# --------------------------------------------------------------------------------------------
# Neurons and layers
# --------------------------------------------------------------------------------------------


def _group_label(group: Group, t: dict[str, str]) -> str:
    """``"0"`` -> ``"layer 0"``; row 1 of layer ``"0"`` -> ``"layer 0 · neuron 1"``; other groups
    by their name (``t``: the page's sentences in the page's language)."""
    if group.level == "layer":
        return t["layer_name"].format(name=group.key) if group.key.isdigit() else group.key
    if group.row is not None:
        return t["neuron_name"].format(layer=group.layer, row=group.row)
    return group.key


class _Union:
    def __init__(self, items: Sequence[str]) -> None:
        self.parent = {x: x for x in items}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb, key=_index)] = min(ra, rb, key=_index)


@dataclass
class _Box:
    """One application of a neuron or layer (usually: to one sample)."""

    index: int  # global box number (its item is n_nodes + index)
    group: int
    label: str
    members: list[str]  # op nodes, forward order
    outputs: list[str]  # members used outside the box (or the root)
    inputs: list[str]  # operands from outside that are not parameters of the group
    rows: list[_Row] | None  # one per neuron when the box is a layer of neurons, else None


@dataclass(frozen=True)
class _Row:
    """Where one neuron ``h = act(W·x + b)`` of a box sits in the trace.

    ``z`` is the node holding ``W·x + b`` (its data is z); ``delta`` the node whose gradient is
    δ = ∂L/∂z; ``act`` the activation node or ``None``; ``w[j]``, ``x[j]`` and ``b`` the edges
    ``(node id, operand index)`` through which weight j, input j and the bias receive gradient;
    ``size`` the number of op nodes of the neuron."""

    z: str
    delta: str
    act: str | None
    w: tuple[tuple[str, int], ...]
    x: tuple[tuple[str, int], ...]
    b: tuple[str, int]
    size: int


def _is_activation(node: TraceNode) -> bool:
    """Whether ``node`` applies an op of ``kind == "activation"`` (built in or registered) to one
    operand."""
    op = OPS.get(node.op)
    return op is not None and op.kind == "activation" and len(node.children) == 1


def _rows_of(trace: Trace, box: _Box, params: set[str]) -> list[_Row] | None:
    """The neurons of a box when each is built as :class:`microgradnet.nn.Neuron` builds one,
    ``act(dot(x, w) + b)``, or as the lecture's (micrograd's) neuron does, ``act(b + w0*x0 + w1*x1
    + ...)`` (:mod:`microgradnet.lecture`), with every neuron reading the box's inputs in the same
    order; ``None`` otherwise."""
    members = set(box.members)
    rows: list[_Row] = []
    for out in box.outputs:
        node = trace.node(out)
        act: str | None = None
        if _is_activation(node) and node.children[0] in members:
            act, node = node.id, trace.node(node.children[0])
        row = _dot_row(trace, node, act, members, params) or _sum_row(trace, node, act, members, params)
        if row is None or tuple(trace.node(n).children[k] for n, k in row.x) != tuple(box.inputs):
            return None
        rows.append(row)
    if sum(r.size + (r.act is not None) for r in rows) != len(box.members):
        return None
    return rows or None


def _dot_row(trace: Trace, z: TraceNode, act: str | None, members: set[str], params: set[str]) -> _Row | None:
    """``z = dot(x, w) + b`` (:class:`microgradnet.nn.Neuron`) as a :class:`_Row`, else ``None``."""
    if z.op != "add" or len(z.children) != 2:
        return None
    dot, bias = (trace.node(c) for c in z.children)
    if dot.op != "dot" or dot.id not in members or bias.id not in params:
        return None
    half = len(dot.children) // 2
    x, w = dot.children[:half], dot.children[half:]
    if any(c not in params for c in w) or any(c in params or c in members for c in x):
        return None
    return _Row(
        z=z.id,
        delta=dot.id,
        act=act,
        w=tuple((dot.id, half + j) for j in range(half)),
        x=tuple((dot.id, j) for j in range(half)),
        b=(z.id, 1),
        size=2,
    )


def _sum_row(trace: Trace, z: TraceNode, act: str | None, members: set[str], params: set[str]) -> _Row | None:
    """``z = b + w0*x0 + w1*x1 + ...`` written with binary ``+`` in any grouping (the lecture's
    ``sum(..., b)``) as a :class:`_Row`, else ``None``: one bias, and one ``w * x`` (or ``x * w``)
    per input."""
    if z.op != "add" or z.id not in members or len(z.children) != 2:
        return None
    w: list[tuple[str, int]] = []
    x: list[tuple[str, int]] = []
    b: list[tuple[str, int]] = []
    size = 1
    stack = [(z.id, k, c) for k, c in reversed(list(enumerate(z.children)))]
    while stack:  # the tree of additions, left to right
        parent, k, c = stack.pop()
        child = trace.node(c)
        if child.op == "add" and c in members and len(child.children) == 2:
            size += 1
            stack.extend((c, kk, cc) for kk, cc in reversed(list(enumerate(child.children))))
        elif c in params:
            b.append((parent, k))
        elif child.op == "mul" and c in members and len(child.children) == 2:
            is_w = [cc in params for cc in child.children]
            if is_w.count(True) != 1 or any(cc in members for cc in child.children):
                return None
            iw = is_w.index(True)
            w.append((c, iw))
            x.append((c, 1 - iw))
            size += 1
        else:
            return None
    if len(b) != 1 or not w:
        return None
    return _Row(z=z.id, delta=z.id, act=act, w=tuple(w), x=tuple(x), b=b[0], size=size)


def build_levels(
    trace: Trace, model: StepModel, fmt: str = "{:.4g}", lang: str = "en"
) -> list[dict[str, Any]]:
    """The neuron and layer levels of ``trace`` (none for a graph without named parameters).

    Each level is ``{"level", "groups", "boxes", "group_of", "box_of", "block_of", "blocks"}``:
    ``groups`` are the neurons or layers (``{"name", "label", "boxes"}``); ``boxes`` their
    applications (``{"item", "group", "label", "members", "outputs", "inputs"}``); ``group_of``
    and ``box_of`` give each node's group and box index (``-1``: none); ``block_of`` gives each
    scalar step's block (``-1``: the step stays on its own); ``blocks`` are the merged steps. Box
    texts are added to the scalar steps' ``set`` lists (the boxes' items follow the nodes).
    """
    levels = []
    item = len(trace.nodes)
    for level in LEVELS[1:]:
        built = _Level(trace, model, fmt, level, item, lang).build()
        if built is not None:
            levels.append(built)
            item += len(built["boxes"])
    return levels


def _applications(
    trace: Trace, level: str
) -> tuple[dict[str, Group], list[Group], list[set[str]], list[list[str]]] | None:
    """The groups of ``trace`` at ``level`` (``"neuron"`` or ``"layer"``) and their applications:
    ``(group of each node, groups in order, parameters of each group, op nodes of each application
    in forward order)``, applications ordered by their first node; ``None`` without groups."""
    group_names = node_groups(trace, functools.partial(parameter_group, level=level))
    if not group_names:
        return None
    names = list(dict.fromkeys(group_names[n.id] for n in trace.nodes if n.id in group_names))
    gindex = {g: k for k, g in enumerate(names)}
    params_of: list[set[str]] = [set() for _ in names]
    ops = [n for n in trace.nodes if n.id in group_names and not n.is_leaf]
    for n in trace.nodes:
        if n.id in group_names and n.is_leaf:
            params_of[gindex[group_names[n.id]]].add(n.id)
    # applications: op nodes of one group joined by an edge or by a shared outside operand
    union = _Union([n.id for n in ops])
    first_user: dict[tuple[Group, str], str] = {}
    for n in ops:
        g = group_names[n.id]
        for c in n.children:
            if group_names.get(c) == g and c in union.parent:
                union.join(n.id, c)
            elif c not in params_of[gindex[g]]:
                key = (g, c)
                if key in first_user:
                    union.join(n.id, first_user[key])
                else:
                    first_user[key] = n.id
    members: dict[str, list[str]] = {}
    for n in ops:
        members.setdefault(union.find(n.id), []).append(n.id)
    applications = sorted(members.values(), key=lambda ms: _index(ms[0]))
    return group_names, names, params_of, applications


def _forward_order(trace: Trace) -> list[TraceNode]:
    """The op nodes in the order the forward steps compute them: the trace's (forward) order,
    except that each application of a layer is computed in one run when the graph allows it.

    A network built the lecture's way (``sum(w*x, b)`` then ``tanh``) interleaves its layers in
    ``topological_order``: the next layer's running sum starts before the previous layer's last
    neuron. Here every layer application counts as one unit, the units are ordered by their first
    node (Kahn's algorithm, earliest first), and each unit's nodes keep the trace's order; a graph
    whose layers are already in one run (:mod:`microgradnet.nn`'s) keeps its order exactly."""
    ops = [n for n in trace.nodes if not n.is_leaf]
    found = _applications(trace, "layer")
    if found is None:
        return ops
    unit_of: dict[str, int] = {}
    units: list[list[TraceNode]] = []
    for ms in found[3]:
        for m in ms:
            unit_of[m] = len(units)
        units.append([trace.node(m) for m in ms])
    for n in ops:
        if n.id not in unit_of:
            unit_of[n.id] = len(units)
            units.append([n])
    users: list[set[int]] = [set() for _ in units]
    waiting = [0] * len(units)
    for n in ops:
        u = unit_of[n.id]
        for c in n.children:
            cu = unit_of.get(c)
            if cu is not None and cu != u and u not in users[cu]:
                users[cu].add(u)
                waiting[u] += 1
    first = [_index(unit[0].id) for unit in units]
    ready = [(first[u], u) for u in range(len(units)) if waiting[u] == 0]
    heapq.heapify(ready)
    out: list[TraceNode] = []
    while ready:
        _, u = heapq.heappop(ready)
        out.extend(units[u])
        for v in users[u]:
            waiting[v] -= 1
            if waiting[v] == 0:
                heapq.heappush(ready, (first[v], v))
    return out if len(out) == len(ops) else ops  # a cycle between applications: keep the trace's


class _Level:
    def __init__(
        self, trace: Trace, model: StepModel, fmt: str, level: str, first_item: int, lang: str = "en"
    ) -> None:
        self.trace = trace
        self.t = page_strings(lang)
        self.model = model
        self.f: Callable[[float], str] = functools.partial(format_number, fmt=fmt)
        self.level = level
        self.first_item = first_item
        self.root = trace.node(trace.root).name

    def vector(self, values: Sequence[float]) -> str:
        shown = [self.f(v) for v in values[:_SHOW_ENTRIES]]
        if len(values) > _SHOW_ENTRIES:
            shown.append(f"… {len(values)}")
        return "[" + ", ".join(shown) + "]" if len(values) != 1 else shown[0]

    def matrix(self, rows: Sequence[Sequence[float]], show_rows: int, show_cols: int) -> str:
        """``[[1, 2, … 8], [3, 4, … 8], … 16×8]``: the first rows and columns of a matrix."""
        shown = []
        for row in rows[:show_rows]:
            cells = [self.f(v) for v in row[:show_cols]] + ([f"… {len(row)}"] if len(row) > show_cols else [])
            shown.append("[" + ", ".join(cells) + "]")
        more = [f"… {len(rows)}×{len(rows[0])}"] if len(rows) > show_rows else []
        return "[" + ", ".join(shown + more) + "]"

    def build(self) -> dict[str, Any] | None:
        trace = self.trace
        found = _applications(trace, self.level)
        if found is None:
            return None
        group_names, names, params_of, applications = found
        gindex = {g: k for k, g in enumerate(names)}
        consumers: dict[str, list[str]] = {}
        for n in trace.nodes:
            for c in n.children:
                consumers.setdefault(c, []).append(n.id)
        boxes: list[_Box] = []
        box_of: dict[str, int] = {}
        per_group: list[list[int]] = [[] for _ in names]
        for ms in applications:
            gi = gindex[group_names[ms[0]]]
            inside = set(ms)
            outputs = [m for m in ms if m == trace.root or any(u not in inside for u in consumers.get(m, []))]
            inputs = list(
                dict.fromkeys(
                    c
                    for m in ms
                    for c in trace.node(m).children
                    if c not in inside and c not in params_of[gi]
                )
            )
            box = _Box(len(boxes), gi, "", ms, outputs, inputs, None)
            box.rows = _rows_of(trace, box, params_of[gi])
            for m in ms:
                box_of[m] = box.index
            per_group[gi].append(box.index)
            boxes.append(box)
        for gi, name in enumerate(names):
            label = _group_label(name, self.t)
            for k, b in enumerate(per_group[gi]):
                many = len(per_group[gi]) > 1
                boxes[b].label = self.t["sample"].format(name=label, k=k + 1) if many else label
        self.boxes = boxes
        self.box_of = box_of
        self._box_texts()
        block_of, blocks = self._blocks()
        group_of_node = [-1] * len(trace.nodes)
        for node_id, g in group_names.items():
            group_of_node[_index(node_id)] = gindex[g]
        return {
            "level": self.level,
            "groups": [
                {"name": name.key, "label": _group_label(name, self.t), "boxes": per_group[g]}
                for g, name in enumerate(names)
            ],
            "boxes": [
                {
                    "item": self.first_item + b.index,
                    "group": b.group,
                    "label": b.label,
                    "members": [_index(m) for m in b.members],
                    "outputs": [_index(m) for m in b.outputs],
                    "inputs": [_index(m) for m in b.inputs],
                }
                for b in boxes
            ],
            "group_of": group_of_node,
            "box_of": [box_of.get(n.id, -1) for n in trace.nodes],
            "block_of": block_of,
            "blocks": blocks,
        }

    # ---- what the boxes show ---------------------------------------------------------------

    def _box_texts(self) -> None:
        """Add each box's data and grad texts to the scalar steps that change them."""
        trace, model, f = self.trace, self.model, self.f
        unknown, pending = self.t["unknown"], self.t["pending_mark"]
        position: dict[str, tuple[int, int]] = {}  # output -> (box, index among outputs)
        for bx in self.boxes:
            for k, o in enumerate(bx.outputs):
                position[o] = (bx.index, k)
        data = {bx.index: [unknown] * len(bx.outputs) for bx in self.boxes}
        grad = {bx.index: [unknown] * len(bx.outputs) for bx in self.boxes}
        final = {bx.index: [False] * len(bx.outputs) for bx in self.boxes}
        computed = {bx.index: 0 for bx in self.boxes}

        def text(values: list[str]) -> str:
            shown = values[:_SHOW_ENTRIES] + ([f"… {len(values)}"] if len(values) > _SHOW_ENTRIES else [])
            return "[" + ", ".join(shown) + "]" if len(values) != 1 else shown[0]

        def box_set(b: int, with_data: bool, with_grad: bool, css: str) -> list[Any]:
            item = self.first_item + b
            d = self.t["box_data"].format(values=text(data[b])) if with_data else None
            g = self.t["box_grad"].format(values=text(grad[b])) if with_grad else None
            model.texts.add(item, d, g)
            return [item, d, g, css]

        for bx in self.boxes:
            model.initial.append(box_set(bx.index, True, True, "mg-future mg-nograd")[1:])
        for step in model.steps:
            kind = step["kind"]
            if kind == "forward":
                node_id = f"n{step['set'][0][0]}"
                if node_id in self.box_of:
                    b = self.box_of[node_id]
                    computed[b] += 1
                    if node_id in position:
                        data[b][position[node_id][1]] = f(trace.node(node_id).data)
                    done = computed[b] == len(self.boxes[b].members)
                    step["set"].append(
                        box_set(b, True, False, "mg-nograd" if done else "mg-future mg-nograd")
                    )
            elif kind == "seed":
                for bx in self.boxes:
                    for k, o in enumerate(bx.outputs):
                        if o == trace.root:
                            grad[bx.index][k], final[bx.index][k] = f(trace.seed), True
                        else:
                            grad[bx.index][k] = f"0{pending}"
                    css = "mg-final" if all(final[bx.index]) else "mg-pending"
                    step["set"].append(box_set(bx.index, False, True, css))
            elif kind == "edge":
                e = trace.events[step["event"]]
                if e.operand in position:
                    b, k = position[e.operand]
                    final[b][k] = e.final
                    grad[b][k] = f(e.grad_after) + ("" if e.final else pending)
                    step["set"].append(box_set(b, False, True, "mg-final" if all(final[b]) else "mg-pending"))

    # ---- blocks ----------------------------------------------------------------------------

    def _blocks(self) -> tuple[list[int], list[dict[str, Any]]]:
        trace, model = self.trace, self.model
        keys: list[tuple[str, int] | None] = []
        for step in model.steps:
            key: tuple[str, int] | None = None
            if step["kind"] == "forward":
                node_id = f"n{step['set'][0][0]}"
                if node_id in self.box_of:
                    key = ("forward", self.box_of[node_id])
            elif step["kind"] == "edge":
                sender = trace.events[step["event"]].node
                if sender in self.box_of:
                    key = ("backward", self.box_of[sender])
            keys.append(key)
        block_of = [-1] * len(keys)
        blocks: list[dict[str, Any]] = []
        k = 0
        while k < len(keys):
            key = keys[k]
            if key is None:
                k += 1
                continue
            end = k
            while end + 1 < len(keys) and keys[end + 1] == key:
                end += 1
            for s in range(k, end + 1):
                block_of[s] = len(blocks)
            kind, b = key
            block = self._forward_block(b, k, end) if kind == "forward" else self._backward_block(b, k, end)
            blocks.append(block)
            k = end + 1
        return block_of, blocks

    def _act_name(self, box: _Box) -> str | None:
        rows = box.rows
        if not rows or rows[0].act is None:
            return None
        node = self.trace.node(rows[0].act)
        return node.symbol if node.op != "relu" else "relu"

    def _forward_block(self, b: int, first: int, last: int) -> dict[str, Any]:
        trace, box = self.trace, self.boxes[b]
        item = self.first_item + b
        act = self._act_name(box)
        values = self.vector
        if box.rows is not None:
            xs = [trace.node(c).data for c in box.inputs]
            zs = [trace.node(r.z).data for r in box.rows]
            lines = [self.t["vector_input"].format(values=values(xs)), ""]
            lines[1] = self.t["vector_z"].format(values=values(zs))
            if act is not None:
                hs = [trace.node(str(r.act)).data for r in box.rows]
                lines.append(self.t["vector_h"].format(act=act, values=values(hs)))
                narration = self.t["block_forward_narration"].format(
                    box=box.label, n=len(box.rows), act=act, k=last - first + 1
                )
            else:
                lines.append("")
                narration = self.t["block_forward_narration_linear"].format(box=box.label, k=last - first + 1)
        else:
            outs = [trace.node(o).data for o in box.outputs]
            lines = [f"{box.label} = {values(outs)}", "", ""]
            narration = self.t["block_forward_narration_generic"].format(
                box=box.label, n=len(outs), k=last - first + 1
            )
        edges = [
            [_index(m), k]
            for m in box.members
            for k, c in enumerate(trace.node(m).children)
            if c in box.inputs
        ]
        return {
            "kind": "block",
            "phase_key": "forward",
            "box": item,
            "first": first,
            "last": last,
            "title": self.t["block_forward_title"].format(box=box.label),
            "lines": lines,
            "narration": narration[:1].upper() + narration[1:],
            "hot": {"edges": edges, "computing": item},
        }

    def _backward_block(self, b: int, first: int, last: int) -> dict[str, Any]:
        trace, model, box = self.trace, self.model, self.boxes[b]
        item = self.first_item + b
        f, values, r = self.f, self.vector, self.root
        events = [trace.events[model.steps[s]["event"]] for s in range(first, last + 1)]
        step_of = {(e.node, e.operand_index): model.step_of_event[e.step] for e in events}
        edges = [[_index(e.node), e.operand_index] for e in events if e.operand in box.inputs]
        block: dict[str, Any] = {
            "kind": "block",
            "phase_key": "backward",
            "box": item,
            "first": first,
            "last": last,
            "title": self.t["block_backward_title"].format(box=box.label),
            "hot": {"edges": edges, "sender": item},
        }
        rows = box.rows
        if rows is None:
            sums: dict[str, float] = {}
            for e in events:
                if e.operand not in box.members:
                    sums[e.operand] = sums.get(e.operand, 0.0) + e.contribution
            upstream = [trace.node(o).grad for o in box.outputs]
            parts = [
                self.t["vector_generic_in"].format(name=trace.node(k).name, value=f(v))
                for k, v in sums.items()
            ]
            block["lines"] = [
                self.t["vector_upstream"].format(root=r, values=values(upstream)),
                ",  ".join(parts[:_SHOW_ENTRIES]) + (" …" if len(parts) > _SHOW_ENTRIES else ""),
                "",
            ]
            block["narration"] = _sentence(
                self.t["block_generic_narration"].format(box=box.label, edges=len(events))
            )
            return block
        act = self._act_name(box)
        g = [trace.node(row.act or row.z).grad for row in rows]
        delta = [trace.node(row.delta).grad for row in rows]
        if act is not None:
            act_node = trace.node(str(rows[0].act))
            formula = OPS[act_node.op].explain_grad(0, ["z"], "h")
            formula = formula if re.fullmatch(r"[\w.\[\]()]+", formula) else f"({formula})"
            delta_line = self.t["vector_delta"].format(root=r, formula=formula, values=values(delta))
        else:
            delta_line = self.t["vector_delta_linear"].format(root=r, values=values(delta))
        xs = box.inputs
        half = len(xs)
        # dW[i][j] is the edge into w[i][j] (from dot_i, or from w_ij * x_j); dx[j] sums the
        # edges into x[j]
        dw_cells: list[list[list[Any]]] = []
        dx_sum = [0.0] * half
        dx_links: list[list[int]] = [[] for _ in range(half)]
        contribution = {(e.node, e.operand_index): e.contribution for e in events}
        for neuron in rows:
            cells = []
            for j in range(half):
                key = neuron.w[j]
                cells.append([f(contribution[key]), step_of[key]])
                dx_sum[j] += contribution[neuron.x[j]]
                dx_links[j].append(step_of[neuron.x[j]])
            dw_cells.append(cells)
        db = [[f(contribution[neuron.b]), step_of[neuron.b]] for neuron in rows]
        show_r = min(len(rows), 4 if self.level == "layer" else 1)
        show_c = min(half, _SHOW_ENTRIES)
        table = {
            "title": self.t["vector_dw" if self.level == "layer" else "vector_dw_neuron"],
            "cols": [[trace.node(x).name, f(trace.node(x).data)] for x in xs[:show_c]],
            "rows": [[f(delta[i]), *(c for c in dw_cells[i][:show_c])] for i in range(show_r)],
            "note": self.t["matrix_note"].format(
                rows=len(rows), cols=half, shown_rows=show_r, shown_cols=show_c
            )
            if (show_r, show_c) != (len(rows), half)
            else "",
        }
        block["lines"] = [
            self.t["vector_upstream"].format(root=r, values=values(g)),
            delta_line,
            self.t["vector_dx" if self.level == "layer" else "vector_dx_neuron"].format(
                values=values(dx_sum)
            ),
        ]
        block["table"] = table
        # W's numbers (what dx = Wᵀ·δ multiplies by), summarised like dW, shown with db
        weights = [[trace.node(trace.node(n).children[k]).data for n, k in neuron.w] for neuron in rows]
        w_text = self.matrix(weights, show_r, show_c) if self.level == "layer" else values(weights[0])
        db_text = self.t["vector_db"].format(values=values([trace.node(neuron.z).grad for neuron in rows]))
        block["db"] = (
            self.t["vector_w" if self.level == "layer" else "vector_w_neuron"].format(values=w_text)
            + "   "
            + db_text
        )
        block["links"] = {"dx": dx_links[:_SHOW_ENTRIES], "db": [c[1] for c in db][:_SHOW_ENTRIES]}
        block["narration"] = _sentence(
            self.t[
                "block_backward_narration" if self.level == "layer" else "block_backward_narration_neuron"
            ].format(box=box.label, edges=len(events), rows=len(rows))
        )
        return block
