"""Worksheets for a learning management system: Moodle XML, GIFT and a QTI 2.1 package.

Every gradient a worksheet asks for becomes one numerical question that can be checked from its
own text: it says how the output is computed, gives every input's value and names the gradient
(``∂L/∂a``, the output called ``L``). The right answer has a tight tolerance (1% of the answer,
at least 0.0005: never looser than 2% of an answer above 0.025); wrong answers that come from
the common slips of the catalogue (:mod:`microgradnet.slips`: the local derivative alone, a lost
minus sign, a fan-out counted once, ...) get their own feedback. Randomised versions of one
gradient share a question-bank category, so a quiz can draw one version per student.

Before anything is written, every answer is checked twice: the engine recomputes it
(``backward()`` on the graph rebuilt from the trace) and central differences confirm it
(:func:`~microgradnet.testing.gradcheck` for the inputs; the forward pass re-run with one node
nudged for the others). A question whose check fails stops the export with an error.

>>> from microgradnet.viz import make_worksheet
>>> ws = make_worksheet("(a*b + c) * f", {"c": 10}, seed=1, n_versions=2)
>>> questions = build_questions(ws)
>>> len(questions), questions[0].ask, questions[0].answer, questions[0].tolerance
(12, '∂L/∂f', -5.0, 0.05)
>>> text = export(ws, "gift")
>>> text.count("{#"), text.count("=%0%") >= 12     # one numerical item each, with slip feedback
(12, True)
"""

from __future__ import annotations

import html
import io
import math
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from microgradnet.engine import Value, apply
from microgradnet.locales import localize
from microgradnet.slips import SLIPS, feedback, wrong_answers
from microgradnet.testing import GradcheckError, gradcheck
from microgradnet.viz._sheettext import asked as _asked
from microgradnet.viz._sheettext import exact_format
from microgradnet.viz._sheettext import formula as _formula
from microgradnet.viz._sheettext import working as _working
from microgradnet.viz.strings import format_number
from microgradnet.viz.trace import Trace

if TYPE_CHECKING:  # worksheet imports this module
    from microgradnet.viz.worksheet import Worksheet

__all__ = [
    "LMS_STRINGS",
    "MAX_WRONG",
    "Question",
    "WrongAnswer",
    "build_questions",
    "export",
    "tolerance",
]

#: Every sentence the exports write, in English; translations live in :mod:`microgradnet.locales`.
LMS_STRINGS: dict[str, str] = {
    "computed": "The output {root} is computed from the inputs as follows:",
    "values": "The inputs:",
    "ask": "Find {grad}, the gradient of the output {root} with respect to {node}. Give a number; "
    "answers within {tol} of the exact value count.",
    "name": "Version {number}: {grad}",
    "category": "gradient of {root} with respect to {node}",
    "right": "Right: {grad} = {answer}.",
    "working": "The chain rule: {grad} = {working} = {answer}.",
    "seed": "The output's gradient with respect to itself is 1.",
}

#: At most this many wrong answers with their own feedback per question.
MAX_WRONG = 6

# the catalogue's kinds, the three the issue names first
_KIND_ORDER = (
    "local_only",
    "sign",
    "fanout",
    *[k for k in SLIPS if k not in ("local_only", "sign", "fanout")],
)


def tolerance(answer: float) -> float:
    """The tolerance of a numerical answer: 1% of it, at least 0.0005 (3 significant digits)."""
    tol = max(0.01 * abs(answer), 5e-4)
    return float(f"{tol:.3g}")


@dataclass(frozen=True)
class WrongAnswer:
    """A wrong answer with its own feedback: what a student who made one slip would type."""

    value: float
    tolerance: float
    kind: str
    feedback: str


@dataclass(frozen=True)
class Question:
    """One numerical question: one gradient of one version.

    Attributes:
        ident: a stable identifier (``"v01-L-a"``).
        version: the version number.
        name: the question's name (``"Version 1: ∂L/∂a"``).
        category: the question-bank category shared by the versions of this gradient.
        ask: the gradient asked for, ``"∂L/∂a"``.
        text_html: the question as HTML (the inputs, how the output is computed, the request).
        answer: the exact answer, from the trace, checked by the engine and finite differences.
        tolerance: the half-width accepted around ``answer``.
        right_feedback: the feedback for the right answer.
        general_feedback: the chain rule with numbers, shown after the attempt.
        wrong: wrong answers with their own feedback.
    """

    ident: str
    version: int
    name: str
    category: str
    ask: str
    text_html: str
    answer: float
    tolerance: float
    right_feedback: str
    general_feedback: str
    wrong: tuple[WrongAnswer, ...]


def _number(x: float) -> str:
    """A number written exactly as a plain decimal: the shortest digits that read back as ``x``,
    never in exponent notation (``0.000000000151``, not ``1.51e-10``: gift-pegjs rejects that)."""
    text = format(Decimal(repr(float(x) + 0.0)), "f")
    return text[:-2] if text.endswith(".0") else text


# ---- the checks ----------------------------------------------------------------------------


def _rebuild(trace: Trace, nudged: str | None = None, h: float = 0.0) -> dict[str, Value]:
    """The graph of ``trace`` as Values (the op table forward), optionally with one node moved
    by ``h`` (its value replaced by a leaf at ``data + h``, so everything after it follows)."""
    values: dict[str, Value] = {}
    for n in trace.nodes:
        if n.id == nudged and not n.is_leaf:
            kids = [values[c] for c in n.children]
            values[n.id] = Value(apply(n.op, *kids, arg=n.arg).data + h)
        elif n.is_leaf:
            values[n.id] = Value(n.data + (h if n.id == nudged else 0.0))
        else:
            values[n.id] = apply(n.op, *(values[c] for c in n.children), arg=n.arg)
    return values


def _check(trace: Trace) -> None:
    """Raise ``ValueError`` unless the engine and finite differences agree with the trace."""
    values = _rebuild(trace)
    root = values[trace.root]
    root.backward()
    for n in trace.nodes:
        got = values[n.id].grad
        if not math.isclose(got, n.grad, rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(f"the engine gives ∂/∂{n.name} = {got!r}, the trace {n.grad!r}: not exported")
    leaves = [n for n in trace.nodes if n.is_leaf]

    def fn(*xs: Value) -> Value:
        vals: dict[str, Value] = dict(zip((n.id for n in leaves), xs))
        for n in trace.nodes:
            if not n.is_leaf:
                vals[n.id] = apply(n.op, *(vals[c] for c in n.children), arg=n.arg)
        return vals[trace.root]

    try:
        gradcheck(fn, [n.data for n in leaves], atol=1e-5, rtol=1e-4)
    except GradcheckError as exc:
        raise ValueError(f"finite differences disagree with the trace: {exc}; not exported") from None
    for n in trace.nodes:
        if n.is_leaf or n.id == trace.root:
            continue
        h = 1e-6 * max(1.0, abs(n.data))
        slope = (_rebuild(trace, n.id, h)[trace.root].data - _rebuild(trace, n.id, -h)[trace.root].data) / (
            2 * h
        )
        if not math.isclose(slope, n.grad, rel_tol=1e-4, abs_tol=1e-6):
            raise ValueError(
                f"finite differences give ∂/∂{n.name} ≈ {slope!r} but the trace {n.grad!r}: not exported"
            )


# ---- the questions -------------------------------------------------------------------------


def _name(name: str) -> str:
    """A node's name as a gradient writes it: ``a``, ``w[0]``, but ``(x1*w1 + x2*w2)``."""
    return name if re.fullmatch(r"[\w.\[\]]+", name) else f"({name})"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "x"


def _category(text: str) -> str:
    return text.replace("/", "//")  # Moodle's category paths use "/" as the separator


def build_questions(ws: Worksheet) -> list[Question]:
    """One :class:`Question` per gradient asked (all but the output's own) per version.

    Raises:
        ValueError: an answer that the engine or finite differences do not confirm.
    """

    t = localize("lms", LMS_STRINGS, ws.lang)
    wt_seed = t["seed"]
    f = ws.number_format
    out: list[Question] = []
    for v in ws.versions:
        trace = v.trace
        _check(trace)
        root = trace.node(trace.root)
        exact = exact_format(trace, f)  # inputs and constants as they are, not rounded
        definitions = [
            f"<code>{html.escape(n.name)} = {html.escape(_formula(trace, n, exact))}</code>"
            for n in trace.nodes
            if not n.is_leaf
        ]
        inputs = [
            f"<code>{html.escape(n.name)} = {html.escape(format_number(n.data, exact))}</code>"
            for n in trace.nodes
            if n.is_leaf and not n.is_constant
        ]
        for node in _asked(trace):
            if node.id == trace.root:
                continue
            grad = f"∂{_name(root.name)}/∂{_name(node.name)}"
            answer = node.grad
            tol = tolerance(answer)
            wrong: list[WrongAnswer] = []
            taken = [(answer, tol)]
            for kind in _KIND_ORDER:
                for value, site in wrong_answers(trace, kind, node.id)[:2]:
                    wtol = tolerance(value)
                    if any(abs(value - x) <= wtol + xt for x, xt in taken) or len(wrong) >= MAX_WRONG:
                        continue
                    taken.append((value, wtol))
                    wrong.append(WrongAnswer(value, wtol, kind, feedback(trace, kind, site, ws.lang)))
            text = (
                f"<p>{html.escape(t['computed'].format(root=root.name))} {', '.join(definitions)}.</p>"
                f"<p>{html.escape(t['values'])} {', '.join(inputs)}.</p>"
                "<p>"
                + html.escape(
                    t["ask"].format(grad=grad, root=root.name, node=node.name, tol=format_number(tol, "{:g}"))
                )
                + "</p>"
            )
            working = _working(trace, node, f, wt_seed)
            out.append(
                Question(
                    ident=f"v{v.number:02d}-{_slug(root.name)}-{_slug(node.name)}-{node.id}",
                    version=v.number,
                    name=t["name"].format(number=v.number, grad=grad),
                    category=t["category"].format(root=root.name, node=node.name),
                    ask=grad,
                    text_html=text,
                    answer=answer,
                    tolerance=tol,
                    right_feedback=t["right"].format(grad=grad, answer=format_number(answer, f)),
                    general_feedback=t["working"].format(
                        grad=grad, working=working, answer=format_number(answer, f)
                    ),
                    wrong=tuple(wrong),
                )
            )
    return out


# ---- Moodle XML ----------------------------------------------------------------------------


def _text(parent: ET.Element, tag: str, text: str, fmt: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = text
    return el


def _moodle(ws: Worksheet, questions: Sequence[Question]) -> str:
    quiz = ET.Element("quiz")
    quiz.append(ET.Comment(f" microgradnet: {ws.title} "))
    category = None
    for q in sorted(questions, key=lambda q: (q.category, q.version)):
        if q.category != category:
            category = q.category
            cat = ET.SubElement(quiz, "question", {"type": "category"})
            _text(cat, "category", f"$course$/top/{_category(ws.title)}/{_category(q.category)}")
        el = ET.SubElement(quiz, "question", {"type": "numerical"})
        _text(el, "name", q.name)
        _text(el, "questiontext", q.text_html, "html")
        _text(el, "generalfeedback", html.escape(q.general_feedback), "html")
        ET.SubElement(el, "defaultgrade").text = "1"
        ET.SubElement(el, "penalty").text = "0.3333333"
        ET.SubElement(el, "hidden").text = "0"
        ET.SubElement(el, "idnumber").text = q.ident
        for fraction, value, tol, fb in [
            ("100", q.answer, q.tolerance, q.right_feedback),
            *[("0", w.value, w.tolerance, w.feedback) for w in q.wrong],
        ]:
            answer = ET.SubElement(el, "answer", {"fraction": fraction, "format": "moodle_auto_format"})
            ET.SubElement(answer, "text").text = _number(value)
            _text(answer, "feedback", html.escape(fb), "html")
            ET.SubElement(answer, "tolerance").text = _number(tol)
        ET.SubElement(el, "unitgradingtype").text = "0"
        ET.SubElement(el, "unitpenalty").text = "0.1000000"
        ET.SubElement(el, "showunits").text = "3"
        ET.SubElement(el, "unitsleft").text = "0"
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


# ---- GIFT ----------------------------------------------------------------------------------


def _gift_escape(text: str) -> str:
    return re.sub(r"([~=#{}:\\])", r"\\\1", " ".join(text.split()))


def _gift(ws: Worksheet, questions: Sequence[Question]) -> str:
    lines = [f"// microgradnet: {' '.join(ws.title.split())}", ""]
    category = None
    for q in sorted(questions, key=lambda q: (q.category, q.version)):
        if q.category != category:
            category = q.category
            lines += [f"$CATEGORY: $course$/top/{_category(ws.title)}/{_category(q.category)}", ""]
        answers = [f"\t={_number(q.answer)}:{_number(q.tolerance)}#{_gift_escape(q.right_feedback)}"]
        answers += [
            f"\t=%0%{_number(w.value)}:{_number(w.tolerance)}#{_gift_escape(w.feedback)}" for w in q.wrong
        ]
        lines.append(f"::{_gift_escape(q.name)}::[html]{_gift_escape(q.text_html)}{{#")
        lines += answers
        lines.append(f"\t####{_gift_escape(html.escape(q.general_feedback))}")
        lines += ["}", ""]
    return "\n".join(lines)


# ---- QTI 2.1 -------------------------------------------------------------------------------

_QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_CP = "http://www.imsglobal.org/xsd/imscp_v1p1"


def _set_outcome(parent: ET.Element, identifier: str, base_type: str, value: str) -> None:
    el = ET.SubElement(parent, "setOutcomeValue", {"identifier": identifier})
    ET.SubElement(el, "baseValue", {"baseType": base_type}).text = value


def _equal(parent: ET.Element, tol: float, other: ET.Element) -> None:
    t = _number(tol)
    eq = ET.SubElement(parent, "equal", {"toleranceMode": "absolute", "tolerance": f"{t} {t}"})
    ET.SubElement(eq, "variable", {"identifier": "RESPONSE"})
    eq.append(other)


def _qti_item(q: Question, lang: str) -> str:
    item = ET.Element(
        "assessmentItem",
        {
            "xmlns": _QTI,
            "xmlns:xsi": _XSI,
            "xsi:schemaLocation": f"{_QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd",
            "identifier": q.ident,
            "title": q.name,
            "adaptive": "false",
            "timeDependent": "false",
            "xml:lang": lang,
        },
    )
    rd = ET.SubElement(
        item, "responseDeclaration", {"identifier": "RESPONSE", "cardinality": "single", "baseType": "float"}
    )
    ET.SubElement(ET.SubElement(rd, "correctResponse"), "value").text = _number(q.answer)
    score = ET.SubElement(
        item, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"}
    )
    ET.SubElement(ET.SubElement(score, "defaultValue"), "value").text = "0"
    ET.SubElement(
        item,
        "outcomeDeclaration",
        {"identifier": "FEEDBACK", "cardinality": "single", "baseType": "identifier"},
    )
    body = ET.SubElement(item, "itemBody")
    body.extend(ET.fromstring(f"<div>{q.text_html}</div>"))
    prompt = ET.SubElement(body, "p")
    prompt.text = f"{q.ask} = "
    ET.SubElement(prompt, "textEntryInteraction", {"responseIdentifier": "RESPONSE", "expectedLength": "12"})
    rp = ET.SubElement(item, "responseProcessing")
    cond = ET.SubElement(rp, "responseCondition")
    branch = ET.SubElement(cond, "responseIf")
    _equal(branch, q.tolerance, ET.Element("correct", {"identifier": "RESPONSE"}))
    _set_outcome(branch, "SCORE", "float", "1")
    _set_outcome(branch, "FEEDBACK", "identifier", "RIGHT")
    for k, w in enumerate(q.wrong, 1):
        branch = ET.SubElement(cond, "responseElseIf")
        value = ET.Element("baseValue", {"baseType": "float"})
        value.text = _number(w.value)
        _equal(branch, w.tolerance, value)
        _set_outcome(branch, "FEEDBACK", "identifier", f"SLIP{k}")
    for ident, text in [
        ("RIGHT", q.right_feedback),
        *[(f"SLIP{k}", w.feedback) for k, w in enumerate(q.wrong, 1)],
    ]:
        fb = ET.SubElement(
            item, "modalFeedback", {"outcomeIdentifier": "FEEDBACK", "identifier": ident, "showHide": "show"}
        )
        ET.SubElement(fb, "p").text = text
    ET.indent(item)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(item, encoding="unicode") + "\n"


def _qti(ws: Worksheet, questions: Sequence[Question]) -> bytes:
    manifest = ET.Element(
        "manifest",
        {
            "xmlns": _CP,
            "xmlns:xsi": _XSI,
            "xsi:schemaLocation": f"{_CP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd",
            "identifier": "MANIFEST-microgradnet",
        },
    )
    meta = ET.SubElement(manifest, "metadata")
    ET.SubElement(meta, "schema").text = "QTIv2.1 Package"
    ET.SubElement(meta, "schemaversion").text = "1.0.0"
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    files: dict[str, str] = {}
    for q in questions:
        href = f"items/{q.ident}.xml"
        files[href] = _qti_item(q, ws.lang)
        res = ET.SubElement(
            resources,
            "resource",
            {"identifier": f"RES-{q.ident}", "type": "imsqti_item_xmlv2p1", "href": href},
        )
        ET.SubElement(res, "file", {"href": href})
    ET.indent(manifest)
    files = {
        "imsmanifest.xml": '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ET.tostring(manifest, encoding="unicode")
        + "\n",
        **files,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # byte-deterministic
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def export(ws: Worksheet, format: str) -> str | bytes:
    """The worksheet as ``"moodle"`` (XML text), ``"gift"`` (text) or ``"qti"`` (zip bytes).

    Raises:
        ValueError: an unknown format, or an answer the checks do not confirm.
    """
    writers: dict[str, Callable[[Worksheet, Sequence[Question]], str | bytes]] = {
        "moodle": _moodle,
        "gift": _gift,
        "qti": _qti,
    }
    if format not in writers:
        raise ValueError(f"format must be one of {', '.join(writers)}, got {format!r}")
    return writers[format](ws, build_questions(ws))
