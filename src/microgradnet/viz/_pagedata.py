"""Reading back the JSON a stepper page embeds (used by :mod:`microgradnet.viz.html`, which
re-exports :func:`read_embedded`, and by :mod:`microgradnet.viz.exercises`)."""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any

__all__ = ["read_embedded"]


def read_embedded(page: str, cls: str) -> Any:
    """The JSON a stepper page embeds in ``<script class="{cls}">`` (``"mg-trace"`` or
    ``"mg-steps"``), unpacked when compressed; ``ValueError`` when the page has none."""
    found = re.search(rf'<script type="([^"]+)" class="{re.escape(cls)}"([^>]*)>(.*?)</script>', page, re.S)
    if found is None:
        raise ValueError(f'no <script class="{cls}"> in this page')
    body = found.group(3)
    if "deflate-base64" in found.group(2):
        body = zlib.decompress(base64.b64decode(body)).decode("utf-8")
    return json.loads(body)
