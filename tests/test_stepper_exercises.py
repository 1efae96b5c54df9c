"""The stepper page's exercises and languages, without a browser (tests/test_browser_exercises.py
drives the same pages in Chromium): find the wrong gradient (``bug=``, the answer sealed),
faded worked examples (``fade=``), the page and the slides in Nepali (``lang=``), and the
command-line options for them."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from microgradnet import Value
from microgradnet.cli import main
from microgradnet.examples import load_example
from microgradnet.locales import FONT_FAMILY, FONT_NAME, font_files, localize
from microgradnet.slips import SLIPS, SlipError, sites
from microgradnet.viz import HtmlStepper, export_frames, export_html, trace_backward
from microgradnet.viz.exercises import CODES, answer, verdict
from microgradnet.viz.expr import parse_expression
from microgradnet.viz.html import PAGE_STRINGS, read_embedded
from microgradnet.viz.strings import format_number
from microgradnet.viz.worksheet import rule_cards

LECTURE = {"a": 2, "b": -3, "c": 10, "f": -2}


def lecture() -> Value:
    # Karpathy's lecture expression; dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4
    return parse_expression("(a*b + c) * f", LECTURE)


def applicable(root: Value) -> list[str]:
    trace = trace_backward(root)
    return [k for k in SLIPS if sites(trace, k)]


# ---- find the wrong gradient -------------------------------------------------------------------

CASES = [
    (name, kind)
    for name in ("lecture-expression", "lecture-neuron", "mazur-network")
    for kind in applicable(load_example(name).root)
]


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_the_sealed_verdicts_and_answer_match_the_planted_slip(name: str, kind: str) -> None:
    page = HtmlStepper(load_example(name).root, bug=kind, seed=3)
    slipped, text = page.slipped, page.html()
    assert slipped is not None and slipped.kind.name == kind
    right, wrong = slipped.right.events, slipped.wrong.events
    for k, (r, w) in enumerate(zip(right, wrong)):
        same = (r.local, r.upstream, r.contribution, r.grad_after) == (
            w.local,
            w.upstream,
            w.contribution,
            w.grad_after,
        )
        expected = "first" if k == slipped.first_step else ("right" if same else "later")
        assert verdict(text, k) == expected, (k, expected)
    key = answer(text)
    step = page.data()["steps"][key["step"] - 1]
    assert key["event"] == slipped.first_step and step["event"] == slipped.first_step
    assert key["explanation"] == slipped.explanation and key["title"] == slipped.kind.title
    # the edge done right is the right pass's line, and it differs from what the page shows
    after = format_number(right[slipped.first_step].grad_after)
    assert key["right"][-1].split(" → ")[1].startswith(after) and key["right"] != step["lines"]


@pytest.mark.parametrize(("name", "kind"), CASES[:4])
def test_viewing_the_source_does_not_show_the_answer(name: str, kind: str) -> None:
    page = HtmlStepper(load_example(name).root, bug=kind, seed=3)
    text, slipped = page.html(), page.slipped
    assert slipped is not None
    key = answer(text)
    shown = page.data()["steps"][key["step"] - 1]["lines"]  # the symbolic line is the same in both
    for secret in (slipped.explanation, key["title"], *(line for line in key["right"] if line not in shown)):
        assert secret not in text and secret.replace("→", "\\u2192") not in text, secret
    exercise = page.data()["exercise"]
    assert sorted(exercise) == ["mode", "salt", "sealed", "verdicts"]
    # no quiz data on a find-the-slip page: its hints would single out the slipped edge
    assert all("masked" not in s for s in page.data()["steps"])
    # every verdict byte is one of the codes only when unsealed with its own edge's key
    raw = base64.b64decode(exercise["verdicts"])
    opened = [b ^ hashlib.sha256(f"{exercise['salt']}/{k}".encode()).digest()[0] for k, b in enumerate(raw)]
    assert set(opened) <= {0, 1, 2} and opened.count(1) == 1 and CODES[1] == "first"


def test_a_find_the_slip_page_is_deterministic_and_its_seed_matters() -> None:
    root = load_example("mazur-network").root
    first, again = (
        HtmlStepper(root, bug="fanout", seed=1).html(),
        HtmlStepper(root, bug="fanout", seed=1).html(),
    )
    assert first == again
    other = HtmlStepper(root, bug="fanout", seed=2)
    mine, theirs = (read_embedded(p, "mg-steps")["exercise"] for p in (first, other.html()))
    assert mine["salt"] != theirs["salt"] and mine["verdicts"] != theirs["verdicts"]
    page = HtmlStepper(root, bug="random", seed=5)
    assert page.slipped is not None and page.slipped.kind.name in applicable(root)
    assert page.title.startswith("Find the slip: ") and "Find the slip" in page.html()


def test_the_summary_says_the_nudge_found_a_slip() -> None:
    page = HtmlStepper(lecture(), bug="local_only", seed=1)
    done = page.steps[-1]["narration"]
    assert "there is a slip in the backward pass" in done and "∂L/∂b" in done
    assert "kink" not in done


def test_a_kind_that_cannot_apply_is_refused_in_one_line(tmp_path: Path) -> None:
    target = tmp_path / "slip.html"
    with pytest.raises(SlipError) as caught:
        export_html(lecture(), target, bug="fanout")
    assert str(caught.value) == (
        "cannot plant 'fanout' (fan-out not accumulated (= instead of +=)): "
        "no node of this graph feeds two others (no fan-out)"
    )
    assert not target.exists()


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"bug": "nope"}, ValueError, "the kinds are fanout"),
        ({"bug": 3}, TypeError, "slip kind"),
        ({"bug": "local_only", "quiz": True}, ValueError, "two exercises"),
        ({"bug": "local_only", "fade": 2}, ValueError, "two exercises"),
        ({"seed": 4}, ValueError, "give bug="),
        ({"bug": "local_only", "seed": 1.5}, TypeError, "seed must be an int"),
        ({"fade": 7}, ValueError, "from 0 to 6"),
        ({"fade": -1}, ValueError, "fade must be"),
        ({"fade": True}, ValueError, "fade must be"),
        ({"lang": "xx"}, ValueError, "en, ne"),
    ],
)
def test_bad_exercise_options_raise_and_write_nothing(
    tmp_path: Path, kwargs: dict[str, object], error: type, words: str
) -> None:
    target = tmp_path / "page.html"
    with pytest.raises(error, match=re.escape(words)):
        export_html(lecture(), target, **kwargs)  # type: ignore[arg-type]  # wrong on purpose
    assert not target.exists()


def test_bug_needs_the_value_and_fade_refuses_a_level() -> None:
    with pytest.raises(TypeError, match="bug= needs the output Value"):
        HtmlStepper(trace_backward(lecture()), bug="local_only")
    with pytest.raises(ValueError, match="collapse"):
        HtmlStepper(load_example("moons-mlp").root, fade=3, collapse="layer")


# ---- faded worked examples ---------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 3, 6])
def test_a_faded_page_hides_exactly_the_last_k_edges(k: int) -> None:
    full, faded = HtmlStepper(lecture()), HtmlStepper(lecture(), fade=k)
    trace = full.trace
    edge_steps = [i for i, s in enumerate(full.steps) if s["kind"] == "edge"]
    hidden = set(edge_steps[len(edge_steps) - k :])
    assert [i for i, s in enumerate(faded.steps) if s.get("faded")] == sorted(hidden)
    rules = rule_cards()
    for i, (a, b) in enumerate(zip(full.steps, faded.steps)):
        if b["kind"] == "done":
            continue
        if i not in hidden:
            assert a == b, i  # every other step is exactly the worked example's
            continue
        e = trace.events[b["event"]]
        assert b["lines"][0] == a["lines"][0]  # the equation's shape stays, its numbers go
        assert b["lines"][1] == "   = ?" and b["lines"][2].endswith(" → ?")
        assert b["set"][0][2] == "grad ?" and "masked" not in b
        assert b["rule"] == rules[e.op] and "Which rule gives this edge?" in b["narration"]
    page = faded.html()
    # nothing a hidden step computes is anywhere in the page: not its line, not its ledger term,
    # not the trace (a faded page embeds none)
    visible = {line for i, st in enumerate(faded.steps) if i not in hidden for line in st["lines"]}
    for i in hidden:
        update, numbers = full.steps[i]["lines"][2], full.steps[i]["lines"][1]
        assert update not in page and (numbers in visible or numbers not in page), (update, numbers)
    assert ('class="mg-trace"' in page) == (k == 0)
    done = faded.steps[-1]
    unknown = {trace.node(trace.events[full.steps[i]["event"]].operand).name for i in hidden}
    for leaf in ("a", "b", "c", "f"):
        shown = f"∂L/∂{leaf} = ?" in done["lines"][0]
        assert shown == (leaf in unknown), (leaf, done["lines"][0])
    if k:
        assert done["lines"][1] == "" and f"The last {k} of the 6 edges are yours" in done["narration"]
    assert faded.levels == [] or k == 0


def test_a_faded_fan_out_hides_its_ledger_terms() -> None:
    # b feeds two nodes: hiding the last edges hides the contributions they add to its ledger
    root = parse_expression("(a*b + b) * c", {"a": 2, "b": -3, "c": 4})
    full, faded = HtmlStepper(root), HtmlStepper(root, fade=3)
    (key,) = [k for k, v in full.data()["ledgers"].items() if v["name"] == "b"]
    shown, hidden = full.data()["ledgers"][key], faded.data()["ledgers"][key]
    assert shown["total"] != "?" and hidden["total"] == "?"
    faded_steps = {i for i, s in enumerate(faded.steps) if s.get("faded")}
    for (step, text, waiting), (step2, text2, _) in zip(shown["terms"], hidden["terms"]):
        assert step == step2 and text2 == (waiting if step in faded_steps else text)


# ---- Nepali ------------------------------------------------------------------------------------


def test_the_nepali_page_takes_every_sentence_from_the_table() -> None:
    page = HtmlStepper(load_example("lecture-neuron").root, lang="ne")
    ui = page.data()["ui"]
    nepali = localize("page", PAGE_STRINGS, "ne")
    assert all(ui[key] == nepali[key] for key in PAGE_STRINGS)
    assert ui["data_word"] == "मान" and ui["lang"] == "ne" and ui["font_family"] == FONT_FAMILY
    text = page.html()
    assert '<html lang="ne">' in text and 'lang="ne"' in text.split("<style>")[0]
    assert "font/woff2;base64," in text and f'.mg-stepper[lang="ne"] {{ --mg-font: "{FONT_FAMILY}"' in text
    edge = next(s for s in page.steps if s["kind"] == "edge")
    assert edge["title"].startswith("ब्याकवार्ड पास") and edge["narration"].endswith("।")
    assert edge["rule"] == rule_cards("ne")[trace_backward(load_example("lecture-neuron").root).events[0].op]
    assert not re.search("[०-९]", text)  # numbers in Western digits, as the lesson's translation
    english = HtmlStepper(load_example("lecture-neuron").root)
    assert english.html() == HtmlStepper(load_example("lecture-neuron").root, lang="en").html()
    assert english.data()["ui"]["font_family"] == "" and "@font-face" not in english.html()


def test_the_find_the_slip_page_in_nepali() -> None:
    page = HtmlStepper(lecture(), bug="local_only", seed=1, lang="ne")
    key = answer(page.html())
    assert key["title"] == SLIPS["local_only"].text("title", "ne") and "स्थानीय डेरिभेटिभ" in key["explanation"]
    assert key["explanation"] not in page.html() and key["right"][2] == "b.grad 0 → -4  (अन्तिम)"
    assert page.title.startswith("गल्ती पत्ता लगाउनुहोस्: ")
    assert page.data()["ui"]["find_intro"].startswith("यो ब्याकवार्ड पासको एउटा किनारा")


@pytest.fixture(scope="module")
def nepali_slides(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return export_frames(
        load_example("lecture-expression").root, tmp_path_factory.mktemp("ne"), "svg", lang="ne"
    )


def test_nepali_slides_write_every_text_in_nepali_with_their_font(nepali_slides: list[Path]) -> None:
    svg = nepali_slides[11].read_text(encoding="utf-8")  # the edge into a
    assert "@font-face" in svg and FONT_FAMILY in svg
    plain = re.sub(r"<style>.*?</style>|<title>.*?</title>", "", svg, flags=re.S)  # not drawn
    shown = re.sub(r"<[^>]+>", "", plain)
    assert "ब्याकवार्ड पास" in shown and "(अन्तिम)" in shown and "मान 2" in shown and "ग्रेडियन्ट 6" in shown
    words = {w.lower() for w in re.findall(r">([^<]*)<", plain) for w in re.findall("[A-Za-z]{3,}", w)}
    assert not words - {"grad"}, words  # op symbols, names and a.grad only
    # every text with Devanagari is shaped as Devanagari: it starts with a Devanagari letter
    for text in re.findall(r"<text[^>]*>(.*?)</text>", plain, re.S):
        content = re.sub(r"<[^>]+>", "", text)
        if re.search("[\u0900-\u097f]", content):
            assert re.match("[\u0904-\u0939]", content.lstrip()), content


def test_the_slides_font_file_is_the_embedded_font_as_truetype() -> None:
    ttlib = pytest.importorskip("fontTools.ttLib")
    from microgradnet.viz.rendering import _PROBE, _PROBE_EM

    (path,) = font_files("ne")
    font = ttlib.TTFont(path)
    assert font.flavor is None and font["name"].getDebugName(1) == FONT_NAME
    glyph = font.getBestCmap()[ord(_PROBE)]
    assert font["hmtx"][glyph][0] / font["head"].unitsPerEm == pytest.approx(_PROBE_EM)
    woff2 = Path(path).with_suffix(".woff2").read_bytes()
    assert woff2[:4] == b"wOF2" and font_files("en") == []


# ---- the command line --------------------------------------------------------------------------


def test_step_bug_fade_and_lang_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "find.html"
    argv = ["step", "(a*b + c) * f", "a=2", "b=-3", "c=10", "f=-2"]
    assert main([*argv, "--bug", "local_only", "--seed", "1", "-o", str(out)]) == 0
    key = answer(out.read_text(encoding="utf-8"))
    assert key["step"] == 11 and "Find the slip: Backpropagation through L = (a*b + c) * f" in out.read_text()
    assert main([*argv, "--fade", "2", "--lang", "ne", "-o", str(tmp_path / "fade.html")]) == 0
    faded = read_embedded((tmp_path / "fade.html").read_text(encoding="utf-8"), "mg-steps")
    assert sum(1 for s in faded["steps"] if s.get("faded")) == 2 and faded["ui"]["lang"] == "ne"
    assert faded["title"] == "L = (a*b + c) * f मार्फत ब्याकप्रोपोगेसन"
    capsys.readouterr()
    assert main([*argv, "--bug", "fanout", "-o", str(tmp_path / "no.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgradnet: error: cannot plant 'fanout'") and err.count("\n") == 1
    for extra in (["--seed", "2"], ["--bug", "sign", "--quiz"], ["--fade", "9"]):
        assert main([*argv, *extra, "-o", str(tmp_path / "no.html")]) == 2, extra
    for extra in (["--bug", "nope"], ["--fade", "x"], ["--fade", "-1"]):  # refused by argparse
        with pytest.raises(SystemExit) as stopped:
            main([*argv, *extra, "-o", str(tmp_path / "no.html")])
        assert stopped.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "no.html").exists()


def test_step_bug_text_prints_the_pass_with_its_slip(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["step", "(a*b + c) * f", "a=2", "b=-3", "c=10", "f=-2", "--text"]
    assert main([*argv, "--bug", "local_only", "--seed", "1"]) == 0
    assert "b.grad 0 → 2" in capsys.readouterr().out  # the slipped line, as the page shows it


def test_frames_in_nepali_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "slides"
    assert (
        main(["frames", "--example", "lecture-expression", "-o", str(out), "--format", "svg", "--lang", "ne"])
        == 0
    )
    first = (out / "frame_000.svg").read_text(encoding="utf-8")
    assert "फर्वार्ड" in first and "मार्फत ब्याकप्रोपोगेसन" in first and "lecture" not in first.lower()
