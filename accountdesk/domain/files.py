"""Rules about files kept with clients (attachments), shared by the laptop and the server.

A file name travels with its attachment for display and for the name a copy gets when it is
written to disk (opened with the system's application, saved with ``attachments get``). It is
checked where it is made (the laptop's services) and again on the server, and made safe once
more wherever it becomes a path (:func:`safe_file_name`): a hostile device could still send one.
"""

from __future__ import annotations

import re
import unicodedata

from ..i18n import N_

#: A SHA-256 as lowercase hex.
SHA256_RE = re.compile(r"[0-9a-f]{64}")
#: Longest file name, in bytes of UTF-8 (most file systems' limit).
NAME_MAX_BYTES = 255
#: Names Windows reserves for devices, with any extension.
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
    | {"COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"}
)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')

#: Media types by file extension (what the laptop records; display and thumbnails only).
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".pdf": "application/pdf",
    ".eml": "message/rfc822",
    ".msg": "application/vnd.ms-outlook",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".zip": "application/zip",
}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp", "image/webp", "image/tiff"})


def file_name_problem(name: str) -> str | None:
    """Why ``name`` is not an acceptable file name for an attachment (None: it is).

    A plain name: not empty, no path (``/``, ``\\``), not ``.`` or ``..``, no NUL or other
    control characters, at most :data:`NAME_MAX_BYTES` bytes of UTF-8."""
    if not name or not name.strip():
        return N_("is empty")
    if "/" in name or "\\" in name:
        return N_("may not contain a path")
    if name in (".", ".."):
        return N_("is not a file name")
    if re.search(r"[\x00-\x1f\x7f]", name):
        return N_("contains a control character")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return N_("contains an unpaired surrogate")
    if len(encoded) > NAME_MAX_BYTES:
        return N_("is longer than 255 bytes")
    return None


def _cut_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def plain_name(path_or_name: str) -> str:
    """The last part of a path as an attachment's file name: path parts dropped, control
    characters removed, cut to :data:`NAME_MAX_BYTES` bytes keeping the extension."""
    name = re.split(r"[/\\]", path_or_name)[-1]
    name = unicodedata.normalize("NFC", re.sub(r"[\x00-\x1f\x7f]", "", name)).strip()
    name = name.encode("utf-8", errors="replace").decode("utf-8")
    if name in ("", ".", ".."):
        name = "file"
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext.encode("utf-8")) <= 16:
            name = _cut_utf8(stem, NAME_MAX_BYTES - len(ext.encode("utf-8")) - 1) + "." + ext
        else:
            name = _cut_utf8(name, NAME_MAX_BYTES)
    return name


def safe_file_name(name: str | None, fallback: str = "file") -> str:
    """A name that is safe to create in a folder on Windows, macOS and Linux, whatever a device
    sent: characters Windows refuses replaced, no leading or trailing dots or spaces, not a
    reserved device name, at most 255 bytes."""
    text = plain_name(name or "")
    text = _UNSAFE.sub("_", text).strip(" .")
    if not text:
        text = fallback
    stem = text.split(".", 1)[0].strip().upper()
    if stem in WINDOWS_RESERVED:
        text = "_" + text
    return plain_name(text)


def media_type_for(name: str) -> str:
    """A media type from a file name's extension (``application/octet-stream`` when unknown)."""
    dot = name.rfind(".")
    return (
        MEDIA_TYPES.get(name[dot:].lower(), "application/octet-stream")
        if dot >= 0
        else "application/octet-stream"
    )


def is_image(media_type: str | None) -> bool:
    return media_type in IMAGE_TYPES
