"""Translations: every English string of every table has a translation in every language that
ships, with the same placeholders; Nepali output carries no English UI text; the Devanagari font
ships with its licence."""

from __future__ import annotations

import importlib
import re
import string
from collections.abc import Mapping
from importlib import resources

import pytest

from microgradnet.locales import FONT_FAMILY, LANGUAGES, check_lang, font_face_css, localize
from microgradnet.ops import OPS
from microgradnet.slips import SLIP_STRINGS
from microgradnet.viz import make_worksheet, trace_backward
from microgradnet.viz.html import PAGE_STRINGS
from microgradnet.viz.lms import LMS_STRINGS
from microgradnet.viz.strings import STRINGS, strings
from microgradnet.viz.worksheet import WORKSHEET_STRINGS, rule_cards

BUILTIN_RULES = {name: op.rule for name, op in OPS.items()}
SECTIONS: dict[str, Mapping[str, str]] = {
    "strings": STRINGS,
    "page": PAGE_STRINGS,
    "worksheet": WORKSHEET_STRINGS,
    "lms": LMS_STRINGS,
    "slips": SLIP_STRINGS,
    "rules": BUILTIN_RULES,
}
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def fields(template: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)


def english_words(text: str) -> set[str]:
    """Words of three or more Latin letters outside placeholders, math and code."""
    text = re.sub(r"\{[^}]*\}", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}


# names that stay as they are in any language: op names, key names, notation
NOTATION = {op for op in OPS} | {
    "grad",
    "enter",
    "space",
    "home",
    "end",
    "cs231n",
    "pytorch",
    "node",
    "weight",
}


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_english_string_has_a_translation_with_the_same_placeholders(section: str, lang: str) -> None:
    table = importlib.import_module(f"microgradnet.locales.{lang}").TABLES[section]
    english = SECTIONS[section]
    assert sorted(table) == sorted(english), f"{lang}/{section}: missing {set(english) - set(table)}"
    for key, text in english.items():
        assert fields(table[key]) == fields(text), (section, key)
        leftover = english_words(table[key]) - NOTATION
        assert not leftover, f"{lang}/{section}/{key} still has English: {leftover}"


def test_localize_overlays_english_and_rejects_unknown_languages() -> None:
    english = {"grads_header": "gradients:", "only_english": "x"}
    assert localize("strings", english, "en") == english
    assert localize("strings", english, "ne") == {"grads_header": "ग्रेडियन्टहरू:", "only_english": "x"}
    with pytest.raises(ValueError, match="en, ne"):
        check_lang("fr")
    with pytest.raises(TypeError):
        check_lang(None)
    assert strings("ne")["grads_header"] == "ग्रेडियन्टहरू:" and STRINGS["grads_header"] == "gradients:"


def test_the_nepali_terminal_trace_has_no_english_sentence() -> None:
    from microgradnet.examples import load_example

    trace = trace_backward(load_example("lecture-expression").root)
    text = trace.text(lang="ne")
    assert text.splitlines()[0] == "फर्वार्ड पास (गणनाको क्रममा):"
    assert not english_words(text) - NOTATION - {"grad"}
    assert trace.text() == trace.text(lang="en")  # English unchanged
    # numbers keep Western digits, as the Nepali translation of the lesson writes them
    assert "(b = -3) · (-2) = 6" in text and not re.search("[०-९]", text)
    sentence = trace.narration(0, lang="ne")
    assert "गेट" in sentence and not english_words(sentence) - NOTATION


def test_nepali_worksheets_and_rule_cards() -> None:
    ws = make_worksheet("(a*b + c) * f", {"c": 10}, seed=2, lang="ne", fmt="html")
    page = ws.answers()
    assert '<html lang="ne">' in page and FONT_FAMILY in page and "font/woff2;base64," in page
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    words = english_words(re.sub(r"<[^>]+>", " ", body)) - NOTATION
    assert not words, words
    assert rule_cards("ne")["mul"] != rule_cards()["mul"] == OPS["mul"].rule
    assert make_worksheet("a*b", seed=0).sheet() == make_worksheet("a*b", seed=0, lang="en").sheet()
    with pytest.raises(ValueError, match="lang"):
        make_worksheet("a*b", lang="xx")


def test_the_devanagari_font_ships_with_its_licence() -> None:
    fonts = resources.files("microgradnet.locales") / "fonts"
    data = (fonts / "NotoSansDevanagari-subset.woff2").read_bytes()
    assert data[:4] == b"wOF2"  # a WOFF2 file
    assert "SIL OPEN FONT LICENSE Version 1.1" in (fonts / "OFL.txt").read_text(encoding="utf-8")
    assert font_face_css("en") == "" and "U+0900-097F" in font_face_css("ne")
