"""Translations: every sentence microgradnet writes, in one module per language.

English stays where each text is used (``viz.strings.STRINGS``, ``viz.html.PAGE_STRINGS``,
``viz.worksheet.WORKSHEET_STRINGS``, ``viz.lms.LMS_STRINGS``, ``slips.SLIP_STRINGS``); a
language module (``microgradnet/locales/ne.py``) holds ``TABLES``, the same keys per section,
translated. A renderer asks for its table in a language and gets English overlaid with the
translation:

>>> from microgradnet.locales import localize
>>> english = {"grads_header": "gradients:"}
>>> localize("strings", english, "ne")["grads_header"]
'ग्रेडियन्टहरू:'
>>> localize("strings", english)["grads_header"]
'gradients:'

Adding a language: copy ``ne.py`` to ``<code>.py``, translate the values (keep every
``{placeholder}``), add the code to :data:`LANGUAGES`; the test suite then checks that every
English string has a translation with the same placeholders. Numbers keep Western digits and
the decimal point in every language: the Nepali translation of the lesson writes its numbers so
(``w(0)``, ``0-1``), and so do its code and outputs.

This module imports only the standard library, so every layer may use it.
"""

from __future__ import annotations

import base64
import functools
import importlib
import shutil
import subprocess
from collections.abc import Mapping
from importlib import resources
from types import ModuleType

__all__ = [
    "FONT_FAMILY",
    "FONT_NAME",
    "LANGUAGES",
    "check_lang",
    "devanagari_font_note",
    "font_bytes",
    "font_face_css",
    "font_files",
    "localize",
    "needs_font",
]

#: The languages that ship, by code, with their own name for themselves.
LANGUAGES: dict[str, str] = {"en": "English", "ne": "नेपाली"}

#: The CSS family name of the embedded Devanagari font (a subset of Noto Sans Devanagari, OFL).
FONT_FAMILY = "Noto Sans Devanagari (microgradnet)"
#: The family name inside the font file itself (what a rasteriser that loads the file matches).
FONT_NAME = "Noto Sans Devanagari"


def check_lang(lang: object) -> str:
    """``lang`` if it is a language that ships; ``TypeError``/``ValueError`` naming them otherwise."""
    if not isinstance(lang, str):
        raise TypeError(f"lang must be a language code such as 'en' or 'ne', got {type(lang).__name__}")
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


@functools.cache
def _module(lang: str) -> ModuleType | None:
    return None if lang == "en" else importlib.import_module(f"microgradnet.locales.{lang}")


def localize(section: str, english: Mapping[str, str], lang: str = "en") -> dict[str, str]:
    """``english`` with every key the language translates replaced by its translation.

    ``section`` names the table (``"strings"``, ``"page"``, ``"worksheet"``, ``"lms"``,
    ``"slips"``); a key the language lacks stays English (the test suite forbids that for the
    languages that ship).

    Raises:
        ValueError: an unknown language.
    """
    check_lang(lang)
    out = dict(english)
    module = _module(lang)
    if module is not None:
        table: Mapping[str, str] = module.TABLES.get(section, {})
        out.update({k: v for k, v in table.items() if k in out})
    return out


def _needs_devanagari(lang: str) -> bool:
    module = _module(check_lang(lang))
    return module is not None and getattr(module, "SCRIPT", "") == "Devanagari"


def needs_font(lang: str = "en") -> bool:
    """Whether text in ``lang`` is written in a script microgradnet ships a font for (Devanagari),
    which pictures and pages then embed or load. ``ValueError`` for a language that does not ship."""
    return _needs_devanagari(lang)


def font_files(lang: str = "en") -> list[str]:
    """The TrueType font files a rasteriser needs for text in ``lang`` (``[]`` when the language
    needs none): the same Noto Sans Devanagari subset as the pages embed, as a ``.ttf`` (resvg,
    which draws the PNG slides, reads TrueType but not WOFF2). Its family name is
    :data:`FONT_NAME`; it has Devanagari glyphs only, so Latin text must be given another font."""
    if not _needs_devanagari(lang):
        return []
    return [str(resources.files("microgradnet.locales") / "fonts" / "NotoSansDevanagari-subset.ttf")]


def font_bytes(lang: str = "en") -> bytes:
    """The WOFF2 font a page in ``lang`` loads (the file :func:`font_face_css` embeds), or
    ``b""`` when the language needs none. ``ValueError`` for a language that does not ship."""
    if not _needs_devanagari(lang):
        return b""
    fonts = resources.files("microgradnet.locales") / "fonts"
    return (fonts / "NotoSansDevanagari-subset.woff2").read_bytes()


@functools.cache
def _font_data() -> str:
    return base64.b64encode(font_bytes("ne")).decode("ascii")


def font_face_css(lang: str = "en", url: str | None = None) -> str:
    """An ``@font-face`` rule embedding the Devanagari font for a page in ``lang`` (``""`` when
    the language needs none), so the page renders offline on a machine with no Devanagari font.

    The font is Noto Sans Devanagari (SIL Open Font License 1.1), the Devanagari subset that the
    ``@fontsource/noto-sans-devanagari`` package ships (about 50 kB); its ``unicode-range``
    limits it to Devanagari, so Latin text keeps the page's own font. With ``url`` the rule
    loads the font from there instead (a site that serves :func:`font_bytes` as a file, so its
    Content-Security-Policy needs no ``data:`` fonts).
    """
    if not _needs_devanagari(lang):
        return ""
    source = url if url is not None else f"data:font/woff2;base64,{_font_data()}"
    if any(c in source for c in "\"'()\\\n"):
        raise ValueError(f"font_face_css: a font url cannot hold quotes, brackets or backslashes: {url!r}")
    return (
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: 400; '
        f'src: url({source}) format("woff2"); '
        "unicode-range: U+0900-097F, U+1CD0-1CF9, U+200C-200D, U+20A8, U+20B9, U+25CC, U+A830-A839, "
        "U+A8E0-A8FF; }"
    )


def devanagari_font_note(lang: str = "en") -> str | None:
    """For text shown outside a page (a terminal, Markdown, a PDF): a one-line note when ``lang``
    uses Devanagari and ``fc-list`` finds no Devanagari font on this machine, else ``None``.

    HTML that microgradnet writes embeds its own font and needs no such font.
    """
    if not _needs_devanagari(lang):
        return None
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None  # no fontconfig (Windows, macOS): the system's own fonts cover Devanagari
    try:
        found = subprocess.run(
            [fc_list, ":lang=ne", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if found:
        return None
    return (
        "no Devanagari font found (fc-list :lang=ne is empty): Nepali text may show as boxes here; "
        "install one (Debian/Ubuntu: apt-get install fonts-noto-core) — HTML pages embed their own"
    )
