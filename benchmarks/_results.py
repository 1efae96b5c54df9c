"""Writing one benchmark's section of benchmarks/RESULTS.md, shared by the benchmark scripts.

Each script owns the lines between its two markers and leaves the rest of the file alone.
"""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, begin: str, end: str, lines: list[str]) -> None:
    """Put ``lines`` between the markers ``begin`` and ``end`` of ``path`` (added at the end
    when the file has no such section), keeping everything else; written atomically."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = "\n".join([begin, *lines, end])
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(path)
