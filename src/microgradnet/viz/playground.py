"""The browser playground's own words: its labels, buttons and messages, in one table.

The playground (``microgradnet playground``; ``playground/`` in the repository) shows the stepper
page, whose sentences come from :data:`microgradnet.viz.html.PAGE_STRINGS`, inside a page of its
own: tabs, a formula box, a code editor, a link to share, status lines and messages. Every text
of that page and of the Python it runs in the browser (``playground_runner.py``) is a key of
:data:`PLAYGROUND_STRINGS`; translations are the ``"playground"`` section of
:mod:`microgradnet.locales` (``locales/ne.py``). The build writes every language's table into the
page, so the page switches language without asking Python.

Templates use :meth:`str.format` fields (``{limit}``); text between backticks is code
(`` `e = a*b` ``), which the page shows in a ``<code>`` element and translations keep as it is.
The runner's messages may use ``!r`` (``{name!r}``); the page's own texts may not.

>>> playground_strings("ne")["run"]
'चलाउनुहोस् ▶'
"""

from __future__ import annotations

from microgradnet.locales import LANGUAGES, localize

__all__ = ["PLAYGROUND_STRINGS", "playground_strings", "playground_tables"]

#: The playground's texts by key, in English.
PLAYGROUND_STRINGS: dict[str, str] = {
    # the page (index.html)
    "page_title": "microgradnet playground: step through backpropagation",
    "heading": "microgradnet playground",
    "tagline": "Type a formula or micrograd-style Python, then step through its backward pass, edge by edge.",
    "input_section": "what to step through",
    "tabs": "how to give the graph",
    "tab_formula": "Formula",
    "tab_code": "Python code",
    "tab_examples": "Examples",
    "formula": "Formula",
    "values": "Values",
    "step_through": "Step through",
    "formula_help": "+ − * / ** and the ops tanh, exp, log, relu, sigmoid, …; name steps with "
    "`e = a*b; L = e + c`. Press Enter.",
    "editor": "Python code (Ctrl+Enter runs it; Tab indents, Esc then Tab leaves)",
    "run": "Run ▶",
    "stop": "Stop ■",
    "trace_output": "Trace the output",
    "trace_output_aria": "which value to trace",
    "biggest": "the biggest graph",
    "output_option": "{name} ({count} nodes)",
    "code_help": "`Value`, `Neuron`, `Layer`, `MLP`, `math` and `random` are ready to use; "
    "`from micrograd.engine import Value` works too. Ctrl+Enter runs.",
    "code_comment": "micrograd-style Python: build a graph, then press Run (Ctrl+Enter) and step through it.",
    "console": "printed output",
    "example": "Worked example",
    "open": "Open",
    "no_examples": "(loading…)",
    "link": "Link to this step",
    "copy": "Copy link",
    "limit": "Time limit",
    "seconds": "s",
    "language": "Language",
    "stepper_section": "the stepper",
    "footer": "Everything runs in this page: microgradnet's own engine on Python (Pyodide, compiled to "
    "WebAssembly). Nothing you type is sent anywhere.",
    "licenses": "Licenses",
    "noscript": "The playground needs JavaScript (it runs Python in your browser).",
    # the page's status line and messages (playground.js)
    "loading": "Loading Python in your browser…",
    "ready": "Ready: microgradnet {version} on Python {python}, running in this page "
    "(started in {seconds} s).",
    "restarting": "Restarting Python…",
    "running": "Running…",
    "drawing": "Tracing and laying out {count} nodes…",
    "timeout_code": "Stopped: your code was still running after {limit} s, the time limit. Is there a loop "
    "that never ends? Python has been restarted; change the code and press Run again.",
    "timeout_draw": "Stopped: your code finished, but tracing and drawing its graph of {count} nodes took "
    "longer than the {limit} s time limit. Try a smaller graph or a longer time limit.",
    "crashed": "Python stopped unexpectedly (out of memory?) and has been restarted: {error}",
    "crashed_stack": "Python ran out of stack space and has been restarted. Freeing a graph thousands of "
    "nodes deep in one go does this (a chain of `x = x + 1` thrown away for a new one, inside your "
    "code); keep graphs to a few thousand nodes. ({error})",
    "stopped": "Stopped. Python has been restarted.",
    "fatal": "Python could not start in this browser: {error}",
    "code_link": "This link carries Python code. Read it first: it runs only when you press Run.",
    "error_code": "Your code stopped with an error{line}:",
    "error_line": " on line {line}",
    "error_formula": "The formula: {error}",
    "error_values": "The values: {error}",
    "copied": "Link copied.",
    "copy_failed": "Select the link and copy it (Ctrl+C).",
    # what the Python half tells the student (playground_runner.py)
    "no_value": "Your code ran, but it made no `Value` to trace. Build one, e.g. "
    "`a = Value(2.0, label='a'); L = a * a`",
    "own_value": "Your code defines its own `Value` class, and the playground traces microgradnet's "
    "`Value`: delete the class (`Value` is ready to use, with the lecture's `label=`, `data`, `grad` and "
    "`backward()`) and run again.",
    "no_output": "There is no `Value` called {name!r} after your code ran; pick one of: {names}.",
    "too_many_nodes": "The graph of {name} has {count} nodes; the playground steps through at most "
    "{limit} (a smaller network, or fewer samples in the loss, keeps it readable).",
    "exit": "Your code called `exit()`; everything before it ran.",
    "bad_request": "The page sent a request the playground does not understand: {problem}.",
    "bad_exercise": "The exercise the link asks for does not fit this graph: {problem}.",
    "too_long": "The code is {count} characters long; the limit is {limit}.",
    "values_twice": "{name} is given twice ({first} and {second})",
    "bad_theme": "The colour theme must be one of {themes}, got {theme!r}.",
    "unknown_example": "No example is called {name!r}; the examples are: {names}.",
    "example_not_here": "The example {name!r} needs {module}, which the playground does not include; "
    "open it with `microgradnet step --example {name}` on a computer with microgradnet installed.",
    "not_here": "The playground runs Python without {name}: microgradnet's engine, `nn`, `losses`, `optim` "
    "and the formula parser work here; its data sets and `compile` need `NumPy`.",
}


def playground_strings(lang: str = "en") -> dict[str, str]:
    """:data:`PLAYGROUND_STRINGS` in ``lang``: English overlaid with the translation in
    :mod:`microgradnet.locales`. ``ValueError`` for a language that does not ship."""
    return localize("playground", PLAYGROUND_STRINGS, lang)


def playground_tables() -> dict[str, dict[str, str]]:
    """Every language's table, by language code (what the page carries, so it can switch)."""
    return {lang: playground_strings(lang) for lang in LANGUAGES}
