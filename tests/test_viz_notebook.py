"""Jupyter display: a Value shows its graph (or a summary when big), a Trace shows the stepper,
and the engine imports no drawing code for it."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from microgradnet import Value, apply
from microgradnet.viz import trace_backward
from microgradnet.viz.limits import INLINE_NODES, INLINE_PAGE_NODES, MAX_NODES
from microgradnet.viz.notebook import value_mimebundle


@pytest.fixture(autouse=True)
def _wasm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRADNET_GRAPHVIZ", "wasm")


def test_a_value_shows_its_graph_as_svg_and_keeps_its_text() -> None:
    w = Value(0.5, label="w")
    loss = (w * 2 - 3) ** 2
    loss.label = "loss"
    bundle = loss._repr_mimebundle_()
    assert bundle is not None and bundle["text/plain"] == repr(loss)
    svg = ET.fromstring(bundle["image/svg+xml"])
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "loss" in texts and "grad 0" in texts  # the grad it holds: no backward() yet
    assert loss._repr_mimebundle_(include=["text/plain"]) == {"text/plain": repr(loss)}
    assert "image/svg+xml" not in (loss._repr_mimebundle_(exclude=["image/svg+xml"]) or {})
    assert Value(1.0)._repr_mimebundle_() == {"text/plain": "Value(data=1.0, grad=0.0)"}  # a leaf: text


def test_a_big_graph_shows_a_summary_instead_of_a_huge_picture() -> None:
    a = Value(2.0, label="a")
    big = apply("sum", *[a * a for _ in range(INLINE_NODES)])
    bundle = value_mimebundle(big)
    assert "image/svg+xml" not in bundle
    assert f"{INLINE_NODES + 2:,} value nodes" in bundle["text/html"]
    assert "collapse=&#x27;neuron&#x27;" in bundle["text/html"]  # the way out, HTML-escaped


def test_a_trace_shows_the_stepper_inline_and_a_short_repr() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b
    L.label = "L"
    t = trace_backward(L)
    assert repr(t) == "<Trace of L: 3 nodes, 2 edge events>"
    page = t._repr_html_()
    assert page is not None and page.startswith('<div class="mg-stepper') and "mg-trace" in page


def test_a_big_trace_shows_a_summary_that_names_its_real_limit() -> None:
    # audit of issue 12, bug 2: the message said "more than 150" while the cut-off was 5,000, and a
    # 2,400-node stepper (1.3 MB) went into the notebook inline
    assert INLINE_NODES <= INLINE_PAGE_NODES < MAX_NODES
    a = Value(2.0, label="a")
    small = trace_backward(apply("sum", *[a * a for _ in range(INLINE_PAGE_NODES - 2)]))
    big = trace_backward(apply("sum", *[a * a for _ in range(INLINE_PAGE_NODES - 1)]))
    assert len(small.nodes) == INLINE_PAGE_NODES and len(big.nodes) == INLINE_PAGE_NODES + 1
    page = small._repr_html_()
    assert page is not None and page.startswith('<div class="mg-stepper')
    text = big._repr_html_()
    assert text is not None and text.startswith("<p>&lt;Trace of t")
    assert f"{INLINE_PAGE_NODES + 1:,} value nodes" in text
    assert f"more than {INLINE_PAGE_NODES:,})" in text
    assert "export_html(trace, &#x27;steps.html&#x27;)" in text
    assert len(text) < 300


def test_the_engine_imports_no_drawing_code_until_a_value_is_displayed() -> None:
    program = """
import sys
import microgradnet
from microgradnet import Value
x = Value(2.0, label="x"); y = x * x
assert not any(m.startswith("microgradnet.viz") for m in sys.modules), "viz imported too early"
bundle = y._repr_mimebundle_()
assert "image/svg+xml" in bundle and "microgradnet.viz.notebook" in sys.modules
print("ok")
"""
    proc = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=300,
        env={"MICROGRADNET_GRAPHVIZ": "wasm", "PATH": ""},
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
