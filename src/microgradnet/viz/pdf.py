"""A PDF with one picture per page, written with the standard library (pictures decoded by Pillow).

:func:`pngs_to_pdf` turns PNG pictures (the slides of :func:`~microgradnet.viz.frames.export_frames`)
into a PDF 1.4 file: each page is one picture, drawn at ``dpi`` (so a 1920×1080 slide at 144 dpi
is a 13.33×7.5-inch page, PowerPoint's 16:9). No dates, ids or producer strings are written, so
the same pictures give the same bytes. Nothing runs outside Python: no Ghostscript, no network.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

__all__ = ["pngs_to_pdf"]


def _rgb(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the RGB bytes of a PNG (an alpha channel is dropped: the slides are
    drawn on an opaque background)."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            "PDF slides need Pillow to read the PNG pictures: pip install 'microgradnet[viz]'"
        ) from exc
    try:
        with Image.open(io.BytesIO(png)) as im:
            rgb = im.convert("RGB")
            return rgb.width, rgb.height, rgb.tobytes()
    except OSError as exc:
        raise ValueError(f"not a PNG picture: {exc}") from exc


def pngs_to_pdf(pictures: Sequence[bytes], *, dpi: float = 144.0, title: str = "") -> bytes:
    """One PDF page per PNG picture in ``pictures``, in order.

    Raises:
        ValueError: no pictures, a non-positive ``dpi``, or something that is not a PNG.
        ImportError: Pillow is missing (it is part of ``microgradnet[viz]``).
    """
    if not pictures:
        raise ValueError("a PDF needs at least one picture")
    if not dpi > 0:
        raise ValueError(f"dpi must be positive, got {dpi!r}")
    objects: list[bytes] = []  # object k + 1

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page list is known
    pages = add(b"")
    kids = []
    for png in pictures:
        width, height, pixels = _rgb(png)
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        data = zlib.compress(pixels, 6)
        image = add(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
            % (width, height, len(data), data)
        )
        draw = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (w_pt, h_pt)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject "
                b"<< /Im0 %d 0 R >> >> /Contents %d 0 R >>" % (pages, w_pt, h_pt, image, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    objects[pages - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    info = add(b"<< /Title (%s) >>" % _pdf_string(title)) if title else 0

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (k, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    trailer = b"/Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


def _pdf_string(text: str) -> bytes:
    """``text`` as the inside of a PDF literal string (UTF-16 with a byte-order mark)."""
    raw = b"\xfe\xff" + text.encode("utf-16-be")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
