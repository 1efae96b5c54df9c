"""The stepper page: one self-contained HTML file that replays backpropagation edge by edge.

:func:`export_html` writes it; :class:`HtmlStepper` shows the same page inline in Jupyter
(``_repr_html_``). The page holds an SVG of the graph laid out by Graphviz, its CSS and its
JavaScript inline, and the trace as JSON (``<script type="application/json" class="mg-trace">``,
exactly :meth:`Trace.to_json`) beside the step list the script replays
(``class="mg-steps"``). Nothing is fetched from anywhere: the file has no network address in it.

Steps: the inputs, one step per op node of the forward pass, the seed ``∂L/∂L = 1``, one step
per edge of the backward pass (the equation written symbolically and with numbers, the
operand's gradient before and after, the op's rule card, a narration sentence), and a summary
that checks each leaf's gradient against central differences of the forward pass.
Every number and sentence is computed here, in Python, from the trace; the script only shows
them. The same program gives a byte-identical file (on one machine: the system ``dot`` and the
in-process Graphviz may lay a graph out slightly differently).
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from microgradnet._files import write_atomic
from microgradnet.engine import Value
from microgradnet.ops import OPS
from microgradnet.viz.dot import DotLook, ElementIds, dot_source
from microgradnet.viz.rendering import dot_to_svg
from microgradnet.viz.strings import STRINGS, check_number_format, format_number
from microgradnet.viz.trace import EdgeEvent, Trace, TraceNode, trace_backward

__all__ = [
    "PAGE_STRINGS",
    "QUIZ_ABS_TOL",
    "QUIZ_REL_TOL",
    "THEMES",
    "HtmlStepper",
    "export_html",
    "stepper_html",
]

#: The colour themes: the CS231n convention (values green, gradients red) and a colour-blind-safe
#: one (Okabe-Ito blue and vermillion). Either way every number is also written as text.
THEMES = ("cs231n", "colorblind")

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
    "edge_title": "Backward pass, edge {k} of {total}: {node} → {operand}",
    "done_title": "Done: every gradient is final",
    "done_narration": "Backpropagation is complete: {grads}.",
    "numeric_check": "check, nudging each input by ±h:   {estimates}",
    "numeric_agrees": "Nudging each input a little and re-running the forward pass gives the same "
    "slopes (central differences): the chain rule got them right.",
    "numeric_differs": "Nudging each input a little and re-running the forward pass gives the slopes "
    "shown; where one differs from backprop, the function has a kink or a non-finite value there.",
    "pending_mark": "…",
    "final_mark": "(final)",
    "pending_more": "(pending: {k} more to come)",
    "waiting": "(waiting for {k} more)",
    "waiting_term": "(? via {node})",
    "unknown": "?",
    "play": "▶ play",
    "pause": "⏸ pause",
    "first": "⇤ first",
    "prev": "◀ back",
    "next": "next ▶",
    "last": "last ⇥",
    "projector": "projector",
    "follow": "follow step",
    "quiz": "quiz",
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
    "Z follow the step / whole graph · Q quiz (type each result, Enter checks; → reveals)",
    "graph_label": "Computational graph of {root}",
}

#: Graphs with more nodes than this open zoomed in on the current step (key Z switches).
_FOLLOW_ABOVE = 20

_ASSETS = resources.files("microgradnet.viz")
_HTML_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def _asset(name: str) -> str:
    text = (_ASSETS / name).read_text(encoding="utf-8")
    if "</" in text and name.endswith(".js"):  # cannot happen unless someone edits the asset
        raise RuntimeError(f"{name} must not contain '</' (it is inlined in a <script>)")
    return text


def _json_for_html(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return re.sub(r"[<>&]", lambda m: _HTML_JSON_ESCAPES[m.group(0)], text)


#: Quiz mode accepts a typed number within this relative (or, near zero, absolute) tolerance.
QUIZ_REL_TOL = 1e-2
QUIZ_ABS_TOL = 1e-9


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= max(QUIZ_REL_TOL * abs(y), QUIZ_ABS_TOL)


def _json_float(x: float) -> float | str:
    """A float for the page's JSON (non-finite ones as strings, which the quiz never accepts)."""
    return x if math.isfinite(x) else repr(x)


def _paren(text: str) -> str:
    """A number as it appears inside a product: negatives in parentheses, ``(-3)``."""
    return f"({text})" if text.startswith("-") else text


# --------------------------------------------------------------------------------------------
# The step list
# --------------------------------------------------------------------------------------------


class _Steps:
    """Builds the step list and the node states the script replays."""

    def __init__(self, trace: Trace, fmt: str) -> None:
        self.trace = trace
        self.f: Callable[[float], str] = functools.partial(format_number, fmt=fmt)
        self.root = trace.node(trace.root)
        self.data_word = STRINGS["data"]
        self.grad_word = STRINGS["grad"]
        #: every text each node's data and grad line shows at some step (for layout widths)
        self.texts: dict[str, tuple[set[str], set[str]]] = {n.id: (set(), set()) for n in trace.nodes}

    def data_text(self, node_id: str, value: str) -> str:
        text = f"{self.data_word} {value}"
        self.texts[node_id][0].add(text)
        return text

    def grad_text(self, node_id: str, value: str) -> str:
        text = f"{self.grad_word} {value}"
        self.texts[node_id][1].add(text)
        return text

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

    def build(self) -> dict[str, Any]:
        trace, f = self.trace, self.f
        unknown = PAGE_STRINGS["unknown"]
        initial = {
            n.id: [self.data_text(n.id, unknown), self.grad_text(n.id, unknown), "mg-future mg-nograd"]
            for n in trace.nodes
        }
        steps: list[dict[str, Any]] = []
        leaves = [n for n in trace.nodes if n.is_leaf]
        shown = [n for n in leaves if n.name != f(n.data)]  # a constant "2" needs no "2 = 2"
        values = ", ".join(f"{n.name} = {f(n.data)}" for n in shown)
        steps.append(
            {
                "kind": "inputs",
                "phase_key": "forward",
                "title": PAGE_STRINGS["inputs_title"],
                "lines": ["   ".join(f"{n.name} = {f(n.data)}" for n in shown), "", ""],
                "narration": PAGE_STRINGS["inputs_narration"].format(values=values)
                if shown
                else PAGE_STRINGS["no_inputs_narration"],
                "set": [[n.id, self.data_text(n.id, f(n.data)), None, "mg-nograd"] for n in leaves],
                "hot": {},
            }
        )
        for n in trace.nodes:
            if n.is_leaf:
                continue
            expr, numbers, value = trace.expression(n.id), self.numbers(n), f(n.data)
            steps.append(
                {
                    "kind": "forward",
                    "phase_key": "forward",
                    "title": PAGE_STRINGS["forward_title"].format(name=n.name),
                    "lines": [f"{n.name} = {expr}", f"   = {numbers}", f"{n.name} = {value}"],
                    "narration": PAGE_STRINGS["forward_narration"].format(
                        name=n.name, expr=expr, numbers=numbers, value=value
                    ),
                    "set": [[n.id, self.data_text(n.id, value), None, "mg-nograd"]],
                    # predict-then-reveal: the step shown with its result hidden
                    "masked": {
                        "lines": [f"{n.name} = {expr}", f"   = {numbers}", f"{n.name} = {unknown}"],
                        "set": [[n.id, self.data_text(n.id, unknown), None, "mg-nograd"]],
                        **self._question(n.name, n.data, self._sign_hint(n.data)),
                    },
                    "hot": {
                        "edges": [f"{n.id}:{k}" for k in range(len(n.children))] + [f"{n.id}:out"],
                        "computing": n.id,
                        "forward": True,
                    },
                }
            )
        steps.append(self._seed())
        backward_start = len(steps) - 1
        for event in trace.events:
            steps.append(self._edge(event))
        steps.append(self._done())
        phases = {"forward": "phase_forward", "backward": "phase_backward", "done": "phase_done"}
        for step in steps:
            step["phase"] = PAGE_STRINGS[phases[step["phase_key"]]]
        return {
            "version": 1,
            "root": trace.root,
            "initial": initial,
            "backward_start": backward_start,
            "steps": steps,
            "ledgers": self._ledgers(),
        }

    def _question(self, ask: str, value: float, hints: list[list[Any]]) -> dict[str, Any]:
        """What quiz mode asks at a step: the prompt, the exact answer and hints for near misses."""
        return {
            "prompt": PAGE_STRINGS["quiz_prompt"].format(ask=ask),
            "ask": ask,
            "answer": _json_float(value),
            "shown": self.f(value),
            "hints": hints,
        }

    @staticmethod
    def _sign_hint(value: float) -> list[list[Any]]:
        return [[-value, PAGE_STRINGS["hint_sign"]]] if math.isfinite(value) and value != 0 else []

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
                hints.append([value, PAGE_STRINGS[key].format(**fill)])
        return hints

    def _start_grad(self, node_id: str) -> float:
        """The operand's gradient before its first contribution (a leaf may hold an earlier one)."""
        for e in self.trace.events:
            if e.operand == node_id:
                return e.grad_before
        return 0.0

    def _seed(self) -> dict[str, Any]:
        trace, f = self.trace, self.f
        root = self.root
        pending = PAGE_STRINGS["pending_mark"]
        updates: list[list[Any]] = []
        for n in trace.nodes:
            if n.id == trace.root:
                updates.append([n.id, None, self.grad_text(n.id, f(trace.seed)), "mg-final"])
            else:
                start = f(self._start_grad(n.id))
                updates.append([n.id, None, self.grad_text(n.id, f"{start} {pending}"), "mg-pending"])
        seed = f(trace.seed)
        return {
            "kind": "seed",
            "phase_key": "backward",
            "title": PAGE_STRINGS["seed_title"],
            "lines": [f"∂{root.name}/∂{root.name} = {seed}", "", f"{root.name}.grad 0 → {seed}"],
            "narration": PAGE_STRINGS["seed_narration"].format(root=root.name, seed=seed),
            "set": updates,
            "hot": {"sender": trace.root},
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
        arrived = sum(1 for x in trace.events[: e.step + 1] if x.operand == e.operand)
        if e.final:
            status, css, shown = PAGE_STRINGS["final_mark"], "mg-final", after
        else:
            k = operand.consumers - arrived
            status = PAGE_STRINGS["pending_more"].format(k=k)
            css, shown = "mg-pending", f"{after} {PAGE_STRINGS['pending_mark']}"
        narration = trace.narration(e)
        return {
            "kind": "edge",
            "phase_key": "backward",
            "title": PAGE_STRINGS["edge_title"].format(
                k=e.step + 1, total=len(trace.events), node=node.name, operand=operand.name
            ),
            "lines": [symbolic, numeric, f"{operand.name}.grad {before} → {after}  {status}"],
            "narration": narration[:1].upper() + narration[1:] + ".",
            "rule": e.rule,
            "set": [[e.operand, None, self.grad_text(e.operand, shown), css]],
            "masked": {
                "lines": [symbolic, "   = ?", f"{operand.name}.grad {before} → ?"],
                "set": [[e.operand, None, self.grad_text(e.operand, PAGE_STRINGS["unknown"]), "mg-pending"]],
                **self._question(f"{operand.name}.grad", e.grad_after, self._hints(e)),
            },
            "hot": {
                "edges": [f"{e.node}:out", f"{e.node}:{e.operand_index}"],
                "sender": e.node,
                "receiver": e.operand,
            },
            "ledger": e.operand if operand.consumers > 1 else None,
            "event": e.step,
        }

    def _done(self) -> dict[str, Any]:
        trace, f = self.trace, self.f
        r = self.root.name
        leaves = [n for n in trace.nodes if n.is_leaf] or list(trace.nodes)
        grads = [f"∂{r}/∂{n.name} = {f(n.grad)}" for n in leaves]
        numeric = _central_differences(trace)
        check, narration = "", PAGE_STRINGS["done_narration"].format(grads=", ".join(grads))
        if numeric is not None and any(n.is_leaf for n in trace.nodes):
            estimates = "   ".join(f"∂{r}/∂{n.name} ≈ {f(numeric[n.id])}" for n in leaves)
            check = PAGE_STRINGS["numeric_check"].format(estimates=estimates)
            agree = all(
                math.isclose(numeric[n.id], n.grad, rel_tol=1e-3, abs_tol=1e-6) for n in leaves if n.is_leaf
            )
            narration += " " + PAGE_STRINGS["numeric_agrees" if agree else "numeric_differs"]
        return {
            "kind": "done",
            "phase_key": "done",
            "title": PAGE_STRINGS["done_title"],
            "lines": ["   ".join(grads), check, ""],
            "narration": narration,
            "set": [],
            "hot": {},
        }

    def _ledgers(self) -> list[dict[str, Any]]:
        trace, f = self.trace, self.f
        out = []
        for n in trace.nodes:
            if n.consumers < 2:
                continue
            events = trace.ledger(n.id)
            terms = [
                {
                    "step": 0,  # filled below with the step index
                    "event": e.step,
                    "text": STRINGS["ledger_term"].format(
                        value=f(e.contribution), node=trace.node(e.node).name
                    ),
                    "waiting": PAGE_STRINGS["waiting_term"].format(node=trace.node(e.node).name),
                }
                for e in events
            ]
            out.append({"node": n.id, "name": n.name, "terms": terms, "total": f(n.grad)})
        return out


def _central_differences(trace: Trace) -> dict[str, float] | None:
    """Each leaf's slope ``(L(x + h) - L(x - h)) / 2h`` from re-running the forward pass on
    floats (``h = 1e-4`` scaled by ``|x|``), or ``None`` when an op is not in the table."""
    if any(not n.is_leaf and n.op not in OPS for n in trace.nodes):
        return None

    def output(leaf: str, value: float) -> float:
        values: dict[str, float] = {}
        for n in trace.nodes:
            if n.is_leaf:
                values[n.id] = value if n.id == leaf else n.data
            else:
                values[n.id] = OPS[n.op].float_forward([values[c] for c in n.children], 0.0, n.arg)
        return values[trace.root]

    slopes = {}
    for n in trace.nodes:
        if n.is_leaf:
            h = 1e-4 * max(1.0, abs(n.data)) if math.isfinite(n.data) else 1e-4
            slopes[n.id] = (output(n.id, n.data + h) - output(n.id, n.data - h)) / (2 * h)
    return slopes


def _finish_ledgers(model: dict[str, Any]) -> None:
    step_of_event = {s["event"]: k for k, s in enumerate(model["steps"]) if s["kind"] == "edge"}
    for ledger in model["ledgers"]:
        for term in ledger["terms"]:
            term["step"] = step_of_event[term.pop("event")]


# --------------------------------------------------------------------------------------------
# The picture
# --------------------------------------------------------------------------------------------


def _longest(texts: set[str]) -> str:
    return max(sorted(texts), key=len)


#: How the page's picture is drawn by the one DOT writer (viz.dot): ids the script finds, plain
#: shapes the CSS styles, fields stacked in compact boxes.
_PAGE_IDS = ElementIds(
    value="v_{node}", op="o_{node}", operand_edge="e_{node}_{index}", result_edge="e_{node}_out"
)
_PAGE_LOOK = DotLook(
    graph={"bgcolor": "transparent", "nodesep": "0.25", "ranksep": "0.45"},
    node={"fontname": "Courier", "fontsize": "14"},
    edge={"arrowsize": "0.8", "penwidth": "1.5"},
    value={"shape": "record"},
    op={"shape": "circle", "margin": "0.08", "fontname": "Helvetica"},
    stacked=True,
    decorate=False,
    classes=False,
)


def _stepper_dot(trace: Trace, steps: _Steps, rankdir: str) -> str:
    """DOT for the page: record nodes sized for the longest text each will show, ids for the script."""
    return dot_source(
        trace,
        rankdir=rankdir,
        ids=_PAGE_IDS,
        look=_PAGE_LOOK,
        fields=lambda n: (n.name, _longest(steps.texts[n.id][0]), _longest(steps.texts[n.id][1])),
        name="stepper",
        comment="the stepper page's picture",
        max_nodes=None,
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _page_svg(svg_text: str, trace: Trace, model: dict[str, Any]) -> str:
    """The Graphviz SVG made ready to inline: no XML prolog, namespaces, titles or comments;
    data attributes the script finds nodes and edges by; texts showing the final state."""
    tree = ET.fromstring(svg_text.encode("utf-8") if isinstance(svg_text, str) else svg_text)
    final = model["initial"]
    state = {k: list(v) for k, v in final.items()}
    for step in model["steps"]:
        for node_id, data, grad, _css in step["set"]:
            if data is not None:
                state[node_id][0] = data
            if grad is not None:
                state[node_id][1] = grad
    for el in tree.iter():
        el.tag = _local(el.tag)
        for key in list(el.attrib):
            if key.startswith("{"):
                del el.attrib[key]
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag == "title":
                parent.remove(child)
    for g in tree.iter("g"):
        gid = g.attrib.pop("id", "")
        cls = g.get("class", "")
        if cls == "node" and gid.startswith("v_"):
            node_id = gid[2:]
            g.set("class", "node mg-node")
            g.set("data-mg-node", node_id)
            texts = [t for t in g if t.tag == "text"]
            if len(texts) == 3:
                for t, role, value in zip(
                    texts, ("mg-name", "mg-data", "mg-grad"), (None, *state[node_id][:2])
                ):
                    t.set("class", role)
                    if value is not None:
                        t.text = value
        elif cls == "node" and gid.startswith("o_"):
            g.set("class", "node mg-node mg-op")
            g.set("data-mg-op", gid[2:])
        elif cls == "edge" and gid.startswith("e_"):
            _, target, k = gid.split("_", 2)
            g.set("class", "edge mg-edge")
            g.set("data-mg-edge", f"{target}:{k}")
    width_pt = float(tree.get("width", "0pt").removesuffix("pt") or 0)
    for key in ("width", "height"):
        tree.attrib.pop(key, None)
    tree.set("role", "img")
    tree.set("aria-label", PAGE_STRINGS["graph_label"].format(root=trace.node(trace.root).name))
    if width_pt > 0:
        # scale a small graph up for the back of the room, but not without limit
        tree.set("style", f"width: 100%; max-width: {round(width_pt * 4 / 3 * 1.8)}px")
    return ET.tostring(tree, encoding="unicode", short_empty_elements=True)


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def _as_trace(root_or_trace: Value | Trace) -> Trace:
    if isinstance(root_or_trace, Trace):
        return root_or_trace
    if isinstance(root_or_trace, Value):
        return trace_backward(root_or_trace)
    raise TypeError(
        "the stepper takes the output Value or a Trace from trace_backward(), got "
        f"{root_or_trace!r} ({type(root_or_trace).__name__})"
    )


class HtmlStepper:
    """The stepper page for one backward pass; shows inline in Jupyter.

    ``HtmlStepper(L)`` (or a :class:`~microgradnet.viz.trace.Trace`) traces the graph once
    (never changing ``data`` or ``grad``); :meth:`html` gives the whole page, :meth:`fragment`
    the embeddable part, :meth:`save` writes the page. In a notebook the keys act while the
    stepper has focus (click it); in the page they act everywhere.

    Raises:
        TypeError: ``root_or_trace`` is neither a ``Value`` nor a ``Trace``, or an option has
            the wrong type.
        ValueError: an unknown theme or direction, or a non-positive play interval.
    """

    def __init__(
        self,
        root_or_trace: Value | Trace,
        *,
        title: str | None = None,
        theme: str = "cs231n",
        projector: bool = False,
        rankdir: str = "LR",
        fmt: str = "{:.4g}",
        interval: float = 1.5,
        follow: bool | None = None,
        quiz: bool = False,
    ) -> None:
        if not isinstance(quiz, bool):
            raise TypeError(f"quiz must be True or False, got {quiz!r}")
        if follow is not None and not isinstance(follow, bool):
            raise TypeError(f"follow must be True, False or None (automatic), got {follow!r}")
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be a str or None, got {type(title).__name__}")
        if theme not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}, got {theme!r}")
        if not isinstance(projector, bool):
            raise TypeError(f"projector must be True or False, got {projector!r}")
        if rankdir not in ("LR", "TB", "RL", "BT"):
            raise ValueError(f"rankdir must be LR, TB, RL or BT, got {rankdir!r}")
        check_number_format(fmt, "fmt")
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self.trace = _as_trace(root_or_trace)
        root = self.trace.node(self.trace.root)
        self.title = (
            title
            if title is not None
            else PAGE_STRINGS["title"].format(root=root.name, expr=self.trace.expression(root.id))
        )
        self.theme = theme
        self.projector = projector
        self.rankdir = rankdir
        self.fmt = fmt
        self.interval = float(interval)
        self.quiz = quiz
        builder = _Steps(self.trace, fmt)
        self.model = builder.build()
        _finish_ledgers(self.model)
        self.model["ui"] = {
            "play": PAGE_STRINGS["play"],
            "pause": PAGE_STRINGS["pause"],
            "final_mark": PAGE_STRINGS["final_mark"],
            "waiting": PAGE_STRINGS["waiting"],
            "interval_ms": round(self.interval * 1000),
            # follow the current step on wide graphs: a window of 35% of the width (at least
            # 420 points, about six value nodes), switched on when the graph has many nodes
            "follow": follow if follow is not None else len(self.trace.nodes) > _FOLLOW_ABOVE,
            "follow_fraction": 0.35,
            "follow_min": 420,
            "quiz": self.quiz,
            "quiz_rel_tol": QUIZ_REL_TOL,
            "quiz_abs_tol": QUIZ_ABS_TOL,
            **{k: v for k, v in PAGE_STRINGS.items() if k.startswith("quiz_")},
        }
        self._dot = _stepper_dot(self.trace, builder, rankdir)
        self._svg: str | None = None

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The steps the page shows, in order (each with ``title``, ``lines``, ``narration``)."""
        steps: list[dict[str, Any]] = self.model["steps"]
        return steps

    @property
    def dot_source(self) -> str:
        """The DOT text the page's picture is laid out from."""
        return self._dot

    def svg(self) -> str:
        """The page's SVG (rendered once, by Graphviz, then reused)."""
        if self._svg is None:
            self._svg = _page_svg(dot_to_svg(self._dot), self.trace, self.model)
        return self._svg

    def _uid(self, standalone: bool) -> str:
        digest = hashlib.sha256()
        for part in (
            self.trace.to_json(),
            self.title,
            self.theme,
            str(self.projector),
            self.rankdir,
            self.fmt,
        ):
            digest.update(part.encode("utf-8") + b"\0")
        return ("mg-page-" if standalone else "mg-") + digest.hexdigest()[:12]

    def fragment(self, *, standalone: bool = False) -> str:
        """The stepper as one ``<div>`` with its CSS and script, to embed in another page."""
        uid = self._uid(standalone)
        e = html.escape
        steps = self.steps
        last = steps[-1]
        root = self.trace.node(self.trace.root)
        classes = f"mg-stepper mg-theme-{self.theme}" + (" mg-projector" if self.projector else "")
        items = "\n".join(
            f'<li><span class="mg-li-title">{e(s["title"])}</span>'
            + "".join(f"<br>{e(line.strip())}" for line in s["lines"] if line.strip())
            + "</li>"
            for s in steps
        )
        themes = "".join(
            f'<option value="{t}"{" selected" if t == self.theme else ""}>'
            f"{e(PAGE_STRINGS['theme_' + t])}</option>"
            for t in THEMES
        )
        legend = PAGE_STRINGS["legend"].format(
            data_word=f'<span class="mg-swatch-data">{e(STRINGS["data"])}</span>',
            grad_word=f'<span class="mg-swatch-grad">{e(STRINGS["grad"])}</span>',
            root=e(root.name),
            pending=e(PAGE_STRINGS["pending_mark"]),
        )
        lines = [*last["lines"], "", "", ""][:3]
        n = len(steps)
        script = _asset("stepper.js").rstrip().rstrip(";") + f"({json.dumps(uid)});"
        return f"""<div class="{classes}" id="{uid}" data-standalone="{"true" if standalone else "false"}" \
tabindex="0" role="region" aria-label="{e(self.title)}">
<style>{_asset("stepper.css")}</style>
<header class="mg-head">
<h1 class="mg-title">{e(self.title)}</h1>
<div class="mg-counter">step <b class="mg-k">{n}</b> of <b class="mg-n">{n}</b> · \
<span class="mg-phase">{e(last["phase"])}</span></div>
</header>
<div class="mg-graph">{self.svg()}</div>
<section class="mg-panel">
<div class="mg-main">
<div class="mg-step-title">{e(last["title"])}</div>
<div class="mg-equation"><div class="mg-sym">{e(lines[0])}</div><div class="mg-num">{e(lines[1])}</div>\
<div class="mg-update">{e(lines[2])}</div></div>
<form class="mg-quiz" autocomplete="off"{"" if self.quiz else " hidden"}>
<div class="mg-quiz-ask" hidden><label><span class="mg-quiz-label"></span> \
<input class="mg-quiz-input" type="text" inputmode="text" spellcheck="false" size="10" maxlength="60"></label>
<button type="submit" class="mg-quiz-check">{e(PAGE_STRINGS["quiz_check"])}</button>
<button type="button" class="mg-quiz-show">{e(PAGE_STRINGS["quiz_show"])}</button></div>
<p class="mg-quiz-feedback" role="status" aria-live="polite"></p>
<p class="mg-quiz-score"></p>
</form>
</div>
<div class="mg-side">
<p class="mg-narration" aria-live="polite">{e(last["narration"])}</p>
<p class="mg-rule"></p>
<h2{"" if self.model["ledgers"] else " hidden"}>{e(PAGE_STRINGS["ledger_heading"])}</h2>
<div class="mg-ledgers"></div>
<p class="mg-legend">{legend}</p>
</div>
</section>
<nav class="mg-controls" aria-label="stepper controls">
<button type="button" data-act="first" aria-label="first step (Home)">{e(PAGE_STRINGS["first"])}</button>
<button type="button" data-act="prev" aria-label="previous step (left arrow)">\
{e(PAGE_STRINGS["prev"])}</button>
<button type="button" data-act="play" aria-pressed="false" aria-label="play or pause (Space)">\
{e(PAGE_STRINGS["play"])}</button>
<button type="button" data-act="next" aria-label="next step (right arrow)">{e(PAGE_STRINGS["next"])}</button>
<button type="button" data-act="last" aria-label="last step (End)">{e(PAGE_STRINGS["last"])}</button>
<input class="mg-slider" type="range" min="1" max="{n}" value="{n}" step="1" aria-label="step">
<button type="button" data-act="quiz" aria-pressed="{"true" if self.quiz else "false"}" \
aria-label="quiz: type each result before it is shown (Q)">{e(PAGE_STRINGS["quiz"])}</button>
<button type="button" data-act="follow" aria-pressed="false" aria-label="follow the current step (Z)">\
{e(PAGE_STRINGS["follow"])}</button>
<select class="mg-theme" aria-label="colours">{themes}</select>
<button type="button" data-act="projector" aria-pressed="{"true" if self.projector else "false"}" \
aria-label="projector mode (P)">{e(PAGE_STRINGS["projector"])}</button>
</nav>
<p class="mg-help">{e(PAGE_STRINGS["help"])}</p>
<details class="mg-all"><summary>{e(PAGE_STRINGS["all_steps"])}</summary>
<ol>
{items}
</ol>
</details>
<script type="application/json" class="mg-trace">{_json_for_html(self.trace.to_json())}</script>
<script type="application/json" class="mg-steps">{_json_for_html(self.model)}</script>
<script>{script}</script>
</div>"""

    def html(self) -> str:
        """The whole self-contained page (``<!DOCTYPE html>`` ... ``</html>``)."""
        from microgradnet import __version__

        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="microgradnet {__version__}">
<title>{html.escape(self.title)}</title>
<style>html, body {{ margin: 0; background: #fff; }}</style>
</head>
<body>
{self.fragment(standalone=True)}
</body>
</html>
"""

    def _repr_html_(self) -> str:
        """What Jupyter shows: :meth:`fragment` (keys act while the stepper has focus)."""
        return self.fragment(standalone=False)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (atomically: a temporary file, then a rename); return the path.

        Raises:
            ValueError: the path does not end in ``.html`` or ``.htm``.
            FileNotFoundError: the directory does not exist.
        """
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"the stepper page is HTML: give a path ending in .html, got {str(path)!r}")
        parent = target.parent
        if not parent.is_dir():
            raise FileNotFoundError(
                f"cannot write {str(path)!r}: the directory {str(parent)!r} does not exist"
            )
        return write_atomic(target, self.html())


def stepper_html(root_or_trace: Value | Trace, **options: Any) -> str:
    """The stepper page as a string; ``options`` as for :class:`HtmlStepper`."""
    return HtmlStepper(root_or_trace, **options).html()


def export_html(
    root_or_trace: Value | Trace,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    theme: str = "cs231n",
    projector: bool = False,
    rankdir: str = "LR",
    fmt: str = "{:.4g}",
    interval: float = 1.5,
    follow: bool | None = None,
    quiz: bool = False,
) -> Path:
    """Write the self-contained stepper page for the backward pass from ``root_or_trace``.

    ``root_or_trace`` is the output ``Value`` (traced here, without changing any ``data`` or
    ``grad``) or a :class:`~microgradnet.viz.trace.Trace`. ``theme`` is ``"cs231n"`` (values
    green, gradients red) or ``"colorblind"``; ``projector=True`` opens the page in large print
    (the page has a button and the key P for it too). ``follow`` zooms the picture in on the
    current step (key Z); ``None`` switches it on for graphs of more than 20 nodes. ``interval``
    is the seconds per step when playing. ``quiz=True`` opens as a quiz (key Q switches): each
    new forward value and gradient is hidden and the student types it (a number, or arithmetic
    such as ``(-3)*(-2)`` or ``3/4``; right within 1% or, near zero, 1e-9); the page says right
    or wrong (with a hint for the classic slips: the contribution without the earlier gradient,
    the local derivative alone, the upstream gradient alone, the wrong sign), reveals the answer
    and equation when right or on request (→ or "show answer"), and keeps a score. The answers
    are in the page: a practice tool, not an exam. Returns the path
    written.

    Raises:
        TypeError / ValueError: as :class:`HtmlStepper` and :meth:`HtmlStepper.save` say; nothing
            is written then.
    """
    stepper = HtmlStepper(
        root_or_trace,
        title=title,
        theme=theme,
        projector=projector,
        rankdir=rankdir,
        fmt=fmt,
        interval=interval,
        follow=follow,
        quiz=quiz,
    )
    return stepper.save(path)
