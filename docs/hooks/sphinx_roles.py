"""MkDocs hook: Sphinx roles in docstrings (``:func:`softmax```, ``:class:`~microgradnet.nn.MLP```)
become code, linked to the object's entry in the reference when the site has one.

mkdocstrings renders the docstrings as Markdown, where a role shows as ``:func:<code>x</code>``.
``on_page_content`` turns each into ``<code class="mg-ref" data-mg-ref="candidates">x</code>``
(so the search index holds clean text); the candidates are the role's target resolved from the
nearest enclosing object (its heading id), innermost first. ``on_post_build``, when every page's
anchors are known, links each to the first candidate that exists, or leaves plain code.
The docstrings themselves stay as they are (they are also read by ``help()`` and Sphinx users).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const|ref|term):<code>(.*?)</code>", re.S)
HEADING = re.compile(r'<h\d id="(microgradnet(?:\.\w+)*)"')
REF = re.compile(r'<code class="mg-ref" data-mg-ref="([^"]*)">(.*?)</code>', re.S)
ANCHOR = re.compile(r'\bid="([^"]+)"')


def _candidates(target: str, context: str) -> list[str]:
    name = target.lstrip("~!").removesuffix("()")
    if name.startswith("microgradnet"):
        return [name]
    parts = context.split(".") if context else ["microgradnet"]
    return [".".join([*parts[:k], name]) for k in range(len(parts), 0, -1)]


def on_page_content(html_text: str, page: Any, config: Any, files: Any) -> str:
    headings = [(m.start(), m.group(1)) for m in HEADING.finditer(html_text)]

    def context_at(pos: int) -> str:
        found = ""
        for start, ident in headings:
            if start > pos:
                break
            found = ident
        return found

    def replace(m: re.Match[str]) -> str:
        target = html.unescape(m.group(1))
        shown = target.lstrip("!").removeprefix("~")
        if target.startswith("~"):
            shown = shown.rsplit(".", 1)[-1]
        refs = " ".join(_candidates(target, context_at(m.start())))
        return f'<code class="mg-ref" data-mg-ref="{html.escape(refs)}">{html.escape(shown)}</code>'

    return ROLE.sub(replace, html_text)


def on_post_build(config: Any) -> None:
    site = Path(config["site_dir"])
    pages = sorted(site.rglob("*.html"))
    where: dict[str, Path] = {}
    for page in pages:
        for ident in ANCHOR.findall(page.read_text(encoding="utf-8")):
            where.setdefault(ident, page)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if 'class="mg-ref"' not in text:
            continue

        def link(m: re.Match[str], page: Path = page) -> str:
            for ident in html.unescape(m.group(1)).split():
                if ident in where:
                    href = os.path.relpath(where[ident], page.parent).replace(os.sep, "/")
                    href = "" if where[ident] == page else href
                    return f'<a href="{href}#{html.escape(ident)}"><code>{m.group(2)}</code></a>'
            return f"<code>{m.group(2)}</code>"

        page.write_text(REF.sub(link, text), encoding="utf-8")
