"""Small previews of attachment files (Qt-free, so that they are made off the GUI thread and
reused by the reports): photos and other images through Pillow (turned upright by their EXIF
orientation), the first page of a PDF through PDFium (``pypdfium2``)."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

#: Files larger than this get no preview (the bytes are read into memory to make one).
MAX_PREVIEW_BYTES = 64 * 1024 * 1024


def can_preview(media_type: str | None) -> bool:
    return media_type is not None and (media_type.startswith("image/") or media_type == "application/pdf")


def image_of(data: bytes, media_type: str | None) -> Image.Image | None:
    """A Pillow image of a photo or of a PDF's first page (None when it cannot be read)."""
    from PIL import Image, ImageOps

    try:
        if media_type == "application/pdf" or data[:5] == b"%PDF-":
            import pypdfium2 as pdfium  # type: ignore[import-untyped]  # no type information shipped

            pdf = pdfium.PdfDocument(data)
            try:
                if len(pdf) == 0:
                    return None
                page = pdf[0]
                width = page.get_width() or 1
                image = page.render(scale=min(2.0, 800 / width)).to_pil()
                page.close()
                return ImageOps.expand(
                    image.convert("RGB"), border=2, fill="#98a2b3"
                )  # a page on a white list
            finally:
                pdf.close()
        image = Image.open(io.BytesIO(data))
        image.load()
        return ImageOps.exif_transpose(image)
    except Exception as exc:  # noqa: BLE001 - a damaged or unknown file simply has no preview
        log.debug("no preview: %s", type(exc).__name__)
        return None


def thumbnail_png(data: bytes, media_type: str | None, size: int = 160) -> bytes | None:
    """A PNG of at most ``size``×``size`` pixels, or None."""
    if len(data) > MAX_PREVIEW_BYTES:
        return None
    image = image_of(data, media_type)
    if image is None:
        return None
    image.thumbnail((size, size))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def scaled_jpeg(data: bytes, media_type: str | None, max_side: int = 1600, quality: int = 80) -> bytes | None:
    """A photo scaled down for printing (a report embeds this, not the camera's 12 MP original)."""
    image = image_of(data, media_type)
    if image is None:
        return None
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()
