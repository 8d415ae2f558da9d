"""Decoding text files as they are found in practice, without asking the user.

Order of attempts: UTF-8 (with or without the byte-order mark Excel writes), then GB18030 — the
superset of GBK/GB2312 that Excel uses for "CSV" on Chinese Windows — both strictly, and only then
charset-normalizer's detection (UTF-16 from "Unicode text", Big5, ...).
"""

from __future__ import annotations

import codecs

from ..errors import ValidationError
from ..i18n import _

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, *, field: str = "file") -> tuple[str, str]:
    """``(text, encoding)`` of a text file; raises :class:`ValidationError` when the bytes are not
    text in any encoding we can tell."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break
    for name in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # binary, or UTF-16 without a BOM: let detection decide
        return text, "utf-8" if name == "utf-8-sig" else name
    from charset_normalizer import from_bytes

    best = from_bytes(data[:2_000_000]).best()
    if best is not None and best.encoding:
        guessed: str | None
        try:
            guessed = data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            guessed = None
        if guessed is not None and "\x00" not in guessed:
            return guessed, best.encoding
    raise ValidationError(
        field,
        _(
            "The file is not readable text in a known encoding (UTF-8, GBK/GB18030, ...). "
            "Save it from Excel as “CSV UTF-8” or as an Excel workbook (.xlsx) and try again."
        ),
    )
