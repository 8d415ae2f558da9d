"""Files kept with a client or one of its records (issue 18): photos, certificates, signed
agreements, contracts, letters, e-mails.

An attachment is a synced row (title, kind, file name, size, SHA-256, confidential flag, the
record it belongs to) and a blob of bytes kept in the profile (:mod:`accountdesk.store.blobs`):
adding a file writes both in one transaction, so the laptop has the file offline at once; the
bytes travel to the server and the other laptops beside the rows (:mod:`accountdesk.sync.files`).

Rules: roles as for the rows (field staff may add files to the clients they serve, and delete
only those they added themselves); only roles that see confidential data may mark a file
confidential, and for the others a confidential file's title, name and hash are hidden; a file
larger than the server's limit (default 50 MB) is refused here already; the content of an
attachment never changes (another file is another attachment).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import files as F
from ..domain.schema import ATTACHMENT_PARENTS
from ..errors import AccountDeskError, PermissionDenied, ValidationError
from ..i18n import _
from ..models import (
    Attachment,
    ClientService,
    Equipment,
    Feedback,
    ServiceCommitment,
    ServiceOffering,
    SyncMixin,
    Visit,
)
from ..models.enums import AttachmentKind
from ..permissions import may_write
from ..store import blobs
from ..sync.changes import get_meta
from ..sync.files import META_FILE_LIMITS
from . import records
from .attachments_offline import (  # noqa: F401 - importable from here as before
    default_keep_offline,
    keeps_offline,
    request_file,
    set_keep_offline,
    transfer_errors,
)
from .context import AppContext
from .records import RuleContext, register_rule

#: Per-file limit the server applies when it has not said otherwise (bytes).
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024

#: The ``--to`` names of the command line and their fields.
TARGETS = {
    "visit": "visit_id",
    "feedback": "feedback_id",
    "complaint": "feedback_id",
    "equipment": "equipment_id",
    "commitment": "commitment_id",
    "sla": "commitment_id",
    "service": "client_service_id",
}
_PARENT_MODELS: dict[str, type[SyncMixin]] = {
    "visit_id": Visit,
    "feedback_id": Feedback,
    "equipment_id": Equipment,
    "commitment_id": ServiceCommitment,
    "client_service_id": ClientService,
}
#: Fields fixed when the attachment is made: its content and where it belongs.
IMMUTABLE = frozenset({"file_name", "media_type", "size", "sha256", *ATTACHMENT_PARENTS})


class FileTooLarge(ValidationError):
    pass


@register_rule("attachment")
def _attachment_rules(rc: RuleContext) -> None:
    if rc.row is not None:
        fixed = IMMUTABLE & rc.values.keys()
        if fixed:
            name = sorted(fixed)[0]
            raise ValidationError(
                name,
                _("The file of an attachment cannot be changed; add the new file as another attachment."),
            )
    parents = [k for k in ATTACHMENT_PARENTS if rc.current(k)]
    if len(parents) > 1:
        raise ValidationError(parents[1], _("An attachment belongs to one record at most."))
    if rc.values.get("confidential") and not rc.ctx.actor.sees_confidential:
        raise PermissionDenied(_("Your role may not mark a file confidential."))
    if rc.row is not None and "confidential" in rc.values and not rc.ctx.actor.sees_confidential:
        raise PermissionDenied(_("Your role may not change what is confidential."))


def max_file_bytes(ctx: AppContext) -> int:
    """The largest file the server accepts (as it last said; its default before the first sync)."""
    with ctx.read() as session:
        limits = get_meta(session, META_FILE_LIMITS) or {}
    value = limits.get("max_file_bytes") if isinstance(limits, dict) else None
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_MAX_FILE_BYTES


def parse_target(target: str | None) -> tuple[str, str] | None:
    """``visit:ID`` (or feedback, equipment, commitment, service) as ``(field, id)``."""
    if not target:
        return None
    kind, sep, row_id = target.partition(":")
    field = TARGETS.get(kind.strip().lower())
    if not sep or field is None or not row_id.strip():
        raise ValidationError(
            "to", _("Attach to visit:ID, feedback:ID, equipment:ID, commitment:ID or service:ID.")
        )
    return field, row_id.strip()


def _default_kind(media_type: str, name: str) -> str:
    if F.is_image(media_type) or media_type == "image/heic":
        return AttachmentKind.PHOTO.value
    if name.lower().endswith((".eml", ".msg")):
        return AttachmentKind.EMAIL.value
    return AttachmentKind.OTHER.value


def _check_size(ctx: AppContext, size: int) -> None:
    limit = max_file_bytes(ctx)
    if size > limit:
        raise FileTooLarge(
            "file",
            _("The file is too large: {size} (the server accepts files of at most {limit}).").format(
                size=human_size(size), limit=human_size(limit)
            ),
        )


def add_file(
    ctx: AppContext,
    client_id: str,
    path: Path | str,
    *,
    to: tuple[str, str] | None = None,
    title: str | None = None,
    kind: str | None = None,
    confidential: bool = False,
    file_name: str | None = None,
) -> str:
    """Attach a file to a client (or to one of its records, ``to=(field, id)``); returns the new
    attachment's id. The bytes are kept in the profile at once; identical files are kept once."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError("file", _("Not a file: {path}").format(path=str(path)))
    try:
        sha, size = blobs.hash_file(path)
    except OSError as exc:
        raise ValidationError(
            "file", _("The file cannot be read: {error}").format(error=exc.strerror or exc)
        ) from exc
    _check_size(ctx, size)
    name = F.plain_name(file_name or path.name)
    values = _values(name, sha, size, to=to, title=title, kind=kind, confidential=confidential)
    with ctx.write() as (session, writer):
        row = records.create_in(ctx, session, writer, "attachment", values, client_id=client_id)
        try:
            blobs.store_file(session, path, sha, size)
        except blobs.BlobCorrupt as exc:
            raise AccountDeskError(_("The file changed while it was being read; try again.")) from exc
        return row.id


def add_bytes(
    ctx: AppContext,
    client_id: str,
    data: bytes,
    file_name: str,
    *,
    to: tuple[str, str] | None = None,
    title: str | None = None,
    kind: str | None = None,
    confidential: bool = False,
) -> str:
    """Attach bytes held in memory (an image pasted from the clipboard)."""
    _check_size(ctx, len(data))
    import hashlib

    name = F.plain_name(file_name)
    values = _values(
        name,
        hashlib.sha256(data).hexdigest(),
        len(data),
        to=to,
        title=title,
        kind=kind,
        confidential=confidential,
    )
    with ctx.write() as (session, writer):
        row = records.create_in(ctx, session, writer, "attachment", values, client_id=client_id)
        blobs.store_bytes(session, data)
        return row.id


def _values(
    name: str,
    sha: str,
    size: int,
    *,
    to: tuple[str, str] | None,
    title: str | None,
    kind: str | None,
    confidential: bool,
) -> dict[str, Any]:
    media = F.media_type_for(name)
    values: dict[str, Any] = {
        "title": (title or "").strip() or os.path.splitext(name)[0] or name,
        "kind": kind or _default_kind(media, name),
        "file_name": name,
        "media_type": media,
        "size": size,
        "sha256": sha,
        "confidential": bool(confidential),
    }
    if len(values["title"]) > 200:
        values["title"] = values["title"][:200]
    if to is not None:
        field, row_id = to
        if field not in ATTACHMENT_PARENTS:
            raise ValidationError(
                "to", _("Attach to visit:ID, feedback:ID, equipment:ID, commitment:ID or service:ID.")
            )
        values[field] = row_id
    return values


def update_attachment(ctx: AppContext, attachment_id: str, **values: Any) -> dict[str, Any]:
    """Change the title, kind or confidential flag (the file itself never changes)."""
    return records.update_record(ctx, "attachment", attachment_id, values)


def delete_attachment(ctx: AppContext, attachment_id: str) -> bool:
    """Remove an attachment (a tombstone, as for every row); its bytes leave this laptop when no
    other attachment names them. Field staff may delete only the files they added."""
    if not may_write(ctx.actor.role, "attachment", "delete"):
        raise PermissionDenied(_("Your role may not change this."))
    with ctx.write() as (session, writer):
        row = records.get_live_row(session, Attachment, attachment_id)
        if not ctx.actor.sees_all_clients and ctx.actor.role == "field" and row.created_by != ctx.actor.id:
            raise PermissionDenied(_("Field staff may delete only the files they added themselves."))
        sha = row.sha256
        done = writer.delete(row)
        if sha:
            still = session.scalar(
                select(Attachment.id)
                .where(Attachment.sha256 == sha, Attachment.deleted_at.is_(None))
                .limit(1)
            )
            if still is None:
                blobs.drop(session, sha)
        return done


class AttachedTo(TypedDict):
    """The record an attachment belongs to (``attached_to`` of its dict)."""

    entity: str
    id: str
    label: str


def _describe_parents(session: Session, rows: list[Attachment]) -> dict[str, AttachedTo]:
    """What each attachment belongs to, by attachment id (none: the client itself)."""
    out: dict[str, AttachedTo] = {}
    from ..labels import label
    from ..models.enums import FeedbackKind, VisitKind

    for r in rows:
        for field, entity in ATTACHMENT_PARENTS.items():
            pid = getattr(r, field)
            if not pid:
                continue
            parent = session.get(_PARENT_MODELS[field], pid)
            text = ""
            if isinstance(parent, Visit):
                when = parent.planned_start.astimezone().strftime("%Y-%m-%d") if parent.planned_start else ""
                text = f"{label(VisitKind, parent.kind)} {when}".strip()
            elif isinstance(parent, Feedback):
                text = f"{label(FeedbackKind, parent.kind)}: {parent.subject}"
            elif isinstance(parent, Equipment):
                text = parent.name + (f" ({parent.serial})" if parent.serial else "")
            elif isinstance(parent, ServiceCommitment):
                text = parent.title
            elif isinstance(parent, ClientService):
                offering = session.get(ServiceOffering, parent.offering_id)
                text = offering.name if offering is not None else ""
            if parent is not None and parent.deleted_at is not None:
                text = _("{record} (deleted)").format(record=text)
            out[r.id] = {"entity": entity, "id": pid, "label": text}
    return out


def list_attachments(
    ctx: AppContext, client_id: str, *, parent: tuple[str, str] | None = None
) -> list[dict[str, Any]]:
    """The client's attachments, newest first (only those of one record with ``parent=(field,
    id)``). Each has its values plus ``attached_to`` (None: the client itself) and ``available``
    (the bytes are on this laptop)."""
    sees = ctx.actor.sees_confidential
    with ctx.read() as session:
        stmt = select(Attachment).where(Attachment.client_id == client_id, Attachment.deleted_at.is_(None))
        if parent is not None:
            stmt = stmt.where(getattr(Attachment, parent[0]) == parent[1])
        rows = list(session.scalars(stmt.order_by(Attachment.created_at.desc(), Attachment.id.desc())))
        parents = _describe_parents(session, rows)
        out = []
        for r in rows:
            d = records.to_dict(r, confidential=sees)
            d["attached_to"] = parents.get(r.id)
            d["available"] = blobs.is_complete(session, d.get("sha256"))
            out.append(d)
        return out


def get_attachment(ctx: AppContext, attachment_id: str) -> dict[str, Any]:
    with ctx.read() as session:
        row = records.get_live_row(session, Attachment, attachment_id)
        d = records.to_dict(row, confidential=ctx.actor.sees_confidential)
        d["attached_to"] = _describe_parents(session, [row]).get(row.id)
        d["available"] = blobs.is_complete(session, d.get("sha256"))
        return d


class NotAvailable(AccountDeskError):
    """The attachment's bytes are not on this laptop (yet): they come with the next sync."""


def _readable(ctx: AppContext, session: Session, attachment_id: str) -> tuple[Attachment, str]:
    """The attachment and the hash of its bytes, which are on this laptop."""
    row = records.get_live_row(session, Attachment, attachment_id)
    if row.confidential and not ctx.actor.sees_confidential:
        raise PermissionDenied(_("This file is confidential."))
    sha = row.sha256
    if not sha or not blobs.is_complete(session, sha):
        raise NotAvailable(
            _(
                "The file is not on this computer yet; it is fetched at the next sync "
                "(or switch “keep offline” on for this client)."
            )
        )
    return row, sha


def export_attachment(ctx: AppContext, attachment_id: str, target: Path | str) -> Path:
    """Write the attachment's file to ``target`` (a file path, or a folder: then its own name,
    made safe, is used). The copy is checked against its hash before it appears."""
    target = Path(target)
    with ctx.read() as session:
        row, sha = _readable(ctx, session, attachment_id)
        if target.is_dir():
            target = target / F.safe_file_name(row.file_name)
        try:
            blobs.export(session, sha, target)
        except blobs.BlobCorrupt as exc:
            raise AccountDeskError(
                _("The stored file is damaged; it is fetched again at the next sync.")
            ) from exc
        except OSError as exc:
            raise AccountDeskError(
                _("The file cannot be written: {error}").format(error=exc.strerror or exc)
            ) from exc
    return target


def open_copy(ctx: AppContext, attachment_id: str) -> Path:
    """A copy of the file in a private folder of the profile, for the system's application (the
    name made safe for every file system; a new folder per attachment so names never clash)."""
    clear_open_copies(ctx)
    folder = Path(ctx.store.data_dir) / "open" / attachment_id
    folder.mkdir(parents=True, exist_ok=True)
    try:
        folder.chmod(0o700)
    except OSError:
        pass
    with ctx.read() as session:
        row, sha = _readable(ctx, session, attachment_id)
        target = folder / F.safe_file_name(row.file_name)
        if target.exists() and target.stat().st_size == row.size:
            return target
        blobs.export(session, sha, target)
    return target


#: Copies handed to the system's application are removed after this long (they are plaintext
#: outside the encrypted store: kept only while the person is likely to still have them open).
OPEN_COPY_HOURS = 12


def clear_open_copies(ctx: AppContext, *, older_than_hours: float = OPEN_COPY_HOURS) -> int:
    """Remove the copies opened longer ago than that; returns how many folders went."""
    import shutil
    import time

    root = Path(ctx.store.data_dir) / "open"
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_hours * 3600
    gone = 0
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else folder.unlink()
                gone += 1
        except OSError:
            continue
    return gone


def read_bytes(ctx: AppContext, attachment_id: str, limit: int = 64 * 1024 * 1024) -> bytes:
    """The bytes of a (small) attachment, for thumbnails and reports."""
    with ctx.read() as session:
        row, sha = _readable(ctx, session, attachment_id)
        if row.size > limit:
            raise ValidationError("file", _("The file is too large to show here."))
        return b"".join(blobs.iter_bytes(session, sha))


def counts_by_parent(ctx: AppContext, client_id: str) -> dict[str, int]:
    """How many attachments each record of the client has (record id -> count)."""
    out: dict[str, int] = {}
    with ctx.read() as session:
        for r in session.scalars(
            select(Attachment).where(Attachment.client_id == client_id, Attachment.deleted_at.is_(None))
        ):
            for field in ATTACHMENT_PARENTS:
                pid = getattr(r, field)
                if pid:
                    out[pid] = out.get(pid, 0) + 1
    return out


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


#: What a folder import takes: photos (a phone's DCIM folder copied over) and scans.
IMPORT_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".pdf")


class FolderImport(TypedDict):
    added: list[str]  # the new attachments' ids
    skipped: int  # files the client already has
    refused: list[tuple[str, str]]  # (file name, why)


def import_folder(
    ctx: AppContext,
    client_id: str,
    folder: Path | str,
    *,
    to: tuple[str, str] | None = None,
    kind: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> FolderImport:
    """Attach the photos and scans of a folder and its subfolders (a camera-free laptop takes a
    phone's photos this way). Files this client already has (same bytes) are skipped, and so are
    files over the size limit (listed). ``progress(done, total, file name)`` before each file.
    Returns ``{"added": [ids], "skipped": n, "refused": [(name, why)]}``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError("folder", _("Not a folder: {path}").format(path=str(folder)))
    with ctx.read() as session:
        have = set(
            session.scalars(
                select(Attachment.sha256).where(
                    Attachment.client_id == client_id,
                    Attachment.deleted_at.is_(None),
                    Attachment.sha256.is_not(None),
                )
            )
        )
    added: list[str] = []
    refused: list[tuple[str, str]] = []
    skipped = 0
    found = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in IMPORT_SUFFIXES and not p.name.startswith(".")
    )
    for done, path in enumerate(found):
        if progress is not None:
            progress(done, len(found), path.name)
        try:
            sha, _size = blobs.hash_file(path)
        except OSError as exc:
            refused.append((path.name, exc.strerror or str(exc)))
            continue
        if sha in have:
            skipped += 1
            continue
        try:
            added.append(add_file(ctx, client_id, path, to=to, kind=kind))
            have.add(sha)
        except ValidationError as exc:
            refused.append((path.name, exc.message))
    return {"added": added, "skipped": skipped, "refused": refused}


# -- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInfo:
    """One file as the dossier lists it."""

    title: str
    kind: str
    file_name: str
    size: int
    attached_to: str | None  # "Visit 2026-03-10", ... (None: the client itself)
    added_at: Any
    added_by: str
    confidential: bool
    sha256: str


#: Photos printed with one visit, at most; larger originals are skipped (a report scales them).
VISIT_PHOTOS_MAX = 6
VISIT_PHOTO_MAX_BYTES = 25 * 1024 * 1024


def attachment_infos(
    session: Session, rows: list[Attachment], uname: Callable[[str | None], str]
) -> tuple[AttachmentInfo, ...]:
    parents = _describe_parents(session, rows)
    out = []
    for r in rows:
        to = parents.get(r.id)
        out.append(
            AttachmentInfo(
                r.title or "",
                r.kind,
                r.file_name or "",
                r.size or 0,
                to["label"] if to else None,
                r.created_at,
                uname(r.created_by),
                bool(r.confidential),
                r.sha256 or "",
            )
        )
    return tuple(out)


def visit_photo_bytes(session: Session, rows: list[Attachment]) -> dict[str, tuple[bytes, ...]]:
    """The photos of each visit whose bytes are on this laptop (visit id -> originals, oldest
    first, at most :data:`VISIT_PHOTOS_MAX`)."""
    out: dict[str, list[bytes]] = {}
    for r in sorted(rows, key=lambda r: r.created_at):
        if not r.visit_id or not F.is_image(r.media_type) or (r.size or 0) > VISIT_PHOTO_MAX_BYTES:
            continue
        sha = r.sha256
        if len(out.get(r.visit_id, ())) >= VISIT_PHOTOS_MAX or not sha or not blobs.is_complete(session, sha):
            continue
        out.setdefault(r.visit_id, []).append(b"".join(blobs.iter_bytes(session, sha)))
    return {k: tuple(v) for k, v in out.items()}
