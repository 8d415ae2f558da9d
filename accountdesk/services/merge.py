"""Merging duplicate clients, and undoing a merge — with ordinary synced changes only.

``merge_clients(ctx, source_id, into_id)`` keeps the ``into`` client and:

- fills its empty fields from the source (tags are united) and lists the source's *differing*
  values in a service note on the kept client;
- moves every live row of the source (contacts, visits, notes, feedback, ... every entity scoped
  by client) to the kept client. A row cannot change its ``client_id`` through the change log
  (it is the scope key of replication), so a move is a **copy in the kept client plus a tombstone
  of the original**; references between the moved rows (reports-to, attendees, a feedback's
  contact, a delivery's service ...) are rewritten to the copies. A copy keeps every field of
  the row but has a new id and creation time. A team member the kept client
  already has is not copied twice;
- tombstones the source client.

Everything happens in one transaction and is recorded as ordinary creates, updates and deletes
with outbox entries, so other devices receive the merge by syncing.

**The merge record** is the service note itself (category ``merge``): its text says in words what
was merged, and its last line (``ACCOUNTDESK-MERGE {json}``) holds what undo needs — the source's
values, the moved rows (old id → new id), the team members not copied, the fields filled. The note
syncs like any row, so a merge can be undone on another device. Its id is the merge id. The note
is marked confidential when the source had confidential values (annual fees).

``undo_merge(ctx, merge_id)`` brings the source back as a **new client with the same values**
(a tombstone is never revived: a delete is final in the sync protocol), moves the rows that came
from it back (again copy + tombstone, so they get new ids; rows deleted since the merge stay
deleted, edits made since are kept), removes the team members it had, reverts the filled fields
that nobody changed since, and tombstones the merge note. It returns the new client id.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from ..domain.schema import SCHEMAS
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..i18n import _
from ..models import (
    SYNCABLE,
    Client,
    ClientTeamMember,
    ServiceNote,
    SyncMixin,
    data_columns,
    model_for,
    new_id,
)
from ..permissions import may_write
from ..sync.codec import decode_value, encode_value
from .context import AppContext
from .records import get_live_row

MERGE_CATEGORY = "merge"
MARKER = "ACCOUNTDESK-MERGE "


def _require(ctx: AppContext) -> None:
    if not may_write(ctx.actor.role, "client", "delete"):
        raise PermissionDenied(_("Only supervisors and administrators may merge clients."))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _remap(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [ids.get(v, v) if isinstance(v, str) else v for v in value]
    return value


def _scoped_models() -> list[type[SyncMixin]]:
    return [m for m in SYNCABLE if not m.__global__ and m is not Client]


def _display(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def merge_clients(ctx: AppContext, source_id: str, into_id: str) -> str:
    """Merge client ``source_id`` into ``into_id`` (see the module docstring); returns the merge id."""
    _require(ctx)
    if source_id == into_id:
        raise ValidationError("into", _("A client cannot be merged into itself."))
    with ctx.write() as (session, writer):
        src = get_live_row(session, Client, source_id)
        dst = get_live_row(session, Client, into_id)
        schema = SCHEMAS["client"]
        fills: dict[str, Any] = {}
        differing: list[str] = []
        for name, s in schema.items():
            sv, dv = getattr(src, name), getattr(dst, name)
            if _empty(sv) or sv == dv:
                continue
            if s.kind == "tags":
                missing = [t for t in sv if t not in (dv or [])]
                if missing:
                    fills[name] = [*(dv or []), *missing]
            elif _empty(dv):
                fills[name] = sv
            else:
                differing.append(f"{s.title}: {_display(sv)}")
        filled = {
            name: [encode_value(getattr(dst, name)), encode_value(value)] for name, value in fills.items()
        }
        # every live row of the source, parents first; new ids decided up front so references
        # between the moved rows can be rewritten whatever their order
        moving: list[SyncMixin] = []
        for model in _scoped_models():
            moving += session.scalars(
                select(model)
                .where(model.client_id == src.id, model.deleted_at.is_(None))
                .order_by(model.created_at, model.id)
            ).all()
        team = set(
            session.scalars(
                select(ClientTeamMember.user_id).where(
                    ClientTeamMember.client_id == dst.id, ClientTeamMember.deleted_at.is_(None)
                )
            )
        )
        ids = {row.id: new_id() for row in moving}
        ids[src.id] = dst.id
        moved: list[list[str]] = []
        dropped: list[list[Any]] = []
        for row in moving:
            values = {c: getattr(row, c) for c in data_columns(type(row))}
            if isinstance(row, ClientTeamMember) and row.user_id in team:
                dropped.append([row.__entity__, row.id, {k: encode_value(v) for k, v in values.items()}])
            else:
                if isinstance(row, ClientTeamMember):
                    team.add(row.user_id)
                writer.create(
                    type(row),
                    {k: _remap(v, ids) for k, v in values.items()},
                    client_id=dst.id,
                    row_id=ids[row.id],
                )
                moved.append([row.__entity__, row.id, ids[row.id]])
            writer.delete(row)
        if fills:
            writer.update(dst, fills)
        source_values = {c: encode_value(getattr(src, c)) for c in data_columns(Client)}
        writer.delete(src)
        record = {
            "version": 1,
            "source": {"id": src.id, "values": source_values},
            "into": dst.id,
            "moved": moved,
            "dropped": dropped,
            "filled": filled,
            "at": encode_value(ctx.now()),
            "by": ctx.actor.id,
        }
        lines = [
            _(
                "“{source}” was merged into this client on {date} by {user}; {n} records were moved here."
            ).format(
                source=src.name,
                date=ctx.now().astimezone().strftime("%Y-%m-%d %H:%M"),
                user=ctx.actor.display_name,
                n=len(moved),
            )
        ]
        if differing:
            lines.append(_("Values of “{source}” that differ from this client:").format(source=src.name))
            lines += differing
        if fills:
            lines.append(
                _("Filled in from “{source}”: {fields}").format(
                    source=src.name, fields=", ".join(schema[n].title for n in fills)
                )
            )
        lines += [
            "",
            _("Merge record (used to undo the merge):"),
            MARKER + json.dumps(record, ensure_ascii=False, sort_keys=True),
        ]
        confidential = any(not _empty(getattr(src, f)) for f in Client.__confidential__)
        note = writer.create(
            ServiceNote,
            {"category": MERGE_CATEGORY, "text": "\n".join(lines), "confidential": confidential},
            client_id=dst.id,
        )
        return note.id


def read_merge_record(note: ServiceNote) -> dict[str, Any]:
    if note.category != MERGE_CATEGORY or MARKER not in (note.text or ""):
        raise ValidationError("merge", _("This is not a merge record."))
    line = note.text[note.text.rindex(MARKER) + len(MARKER) :].splitlines()[0]
    try:
        record = json.loads(line)
    except ValueError:
        raise ValidationError(
            "merge", _("The merge record is damaged; the merge cannot be undone.")
        ) from None
    if not isinstance(record, dict) or record.get("version") != 1:
        raise ValidationError("merge", _("The merge record is damaged; the merge cannot be undone."))
    return record


def _decode(model: type[SyncMixin], values: dict[str, Any]) -> dict[str, Any]:
    cols = set(data_columns(model))
    return {k: decode_value(model, k, v) for k, v in values.items() if k in cols}


def undo_merge(ctx: AppContext, merge_id: str) -> str:
    """Undo a merge (see the module docstring); returns the id of the restored client."""
    _require(ctx)
    with ctx.write() as (session, writer):
        note = session.get(ServiceNote, merge_id)
        if note is None or note.deleted_at is not None:
            raise NotFoundError(_("No such merge (it may have been undone already)."))
        record = read_merge_record(note)
        dst = get_live_row(session, Client, record["into"])
        # revert the filled fields nobody has changed since
        reverts = {}
        for name, (old, new) in record["filled"].items():
            if encode_value(getattr(dst, name)) == new:
                reverts[name] = decode_value(Client, name, old)
        if reverts:
            writer.update(dst, reverts)
        restored = writer.create(Client, _decode(Client, record["source"]["values"]))
        rows: list[SyncMixin] = []
        for entity, _old, new in record["moved"]:
            row = session.get(model_for(entity), new)
            if row is not None and row.deleted_at is None and row.client_id == dst.id:
                rows.append(row)
        ids = {row.id: new_id() for row in rows}
        ids[dst.id] = restored.id
        for row in rows:
            values = {c: getattr(row, c) for c in data_columns(type(row))}
            writer.create(
                type(row),
                {k: _remap(v, ids) for k, v in values.items()},
                client_id=restored.id,
                row_id=ids[row.id],
            )
            writer.delete(row)
        for entity, _old, values in record["dropped"]:
            model = model_for(entity)
            writer.create(
                model, {k: _remap(v, ids) for k, v in _decode(model, values).items()}, client_id=restored.id
            )
        writer.delete(note)
        return restored.id


def list_merges(ctx: AppContext, client_id: str | None = None) -> list[dict[str, Any]]:
    """Merges that can still be undone (newest first), optionally into one client:
    ``{"merge_id", "into_id", "source_id", "source_name", "at", "moved"}``."""
    stmt = select(ServiceNote).where(ServiceNote.category == MERGE_CATEGORY, ServiceNote.deleted_at.is_(None))
    if client_id is not None:
        stmt = stmt.where(ServiceNote.client_id == client_id)
    out = []
    with ctx.read() as session:
        for note in session.scalars(stmt.order_by(ServiceNote.created_at.desc(), ServiceNote.id.desc())):
            try:
                record = read_merge_record(note)
            except ValidationError:
                continue
            out.append(
                {
                    "merge_id": note.id,
                    "into_id": record["into"],
                    "source_id": record["source"]["id"],
                    "source_name": record["source"]["values"].get("name"),
                    "at": record["at"],
                    "moved": len(record["moved"]),
                }
            )
    return out
