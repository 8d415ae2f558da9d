"""Undo (Ctrl+Z): put back the fields of the acting user's last edit, through the field history
this device keeps (its outbox holds each change's old values until pushed).

Each undo is an ordinary, validated edit (it syncs like any other); the edits undone and the
undo edits themselves are remembered on this device, so pressing Ctrl+Z again goes one edit
further back instead of undoing the undo. An edit already pushed to the server has left the
outbox: it is restored from the server's field history instead (the workspace's history dialog).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..i18n import _
from ..models import OutboxEntry, model_for
from ..sync.changes import get_meta, set_meta
from ..sync.codec import decode_value
from . import records
from .context import AppContext

META_UNDONE = "undo_skip"
#: Fields an undo never writes back (bookkeeping the services derive).
SKIP_FIELDS = frozenset({"updated_at", "updated_by", "created_at", "created_by", "server_seq"})


@dataclass(frozen=True)
class Undone:
    entity: str
    row_id: str
    client_id: str | None
    fields: dict[str, Any]  # field -> value put back

    def describe(self) -> str:
        from ..domain.schema import SCHEMAS

        specs = SCHEMAS.get(self.entity, {})
        names = [specs[f].title if f in specs else f for f in self.fields]
        return _("Undone: {fields}").format(fields=", ".join(names))


def _last_edit(ctx: AppContext, client_id: str | None) -> OutboxEntry | None:
    with ctx.read() as session:
        skip = set(get_meta(session, META_UNDONE) or [])
        stmt = (
            select(OutboxEntry)
            .where(
                OutboxEntry.op == "update",
                OutboxEntry.user_id == ctx.actor.id,
                OutboxEntry.status == "pending",
            )
            .order_by(OutboxEntry.seq.desc())
        )
        if client_id is not None:
            stmt = stmt.where(OutboxEntry.client_id == client_id)
        for entry in session.scalars(stmt.limit(200)):
            if entry.seq in skip:
                continue
            if any(f not in SKIP_FIELDS for f in (entry.old_values or {})):
                session.expunge(entry)
                return entry
    return None


def can_undo(ctx: AppContext, client_id: str | None = None) -> bool:
    return _last_edit(ctx, client_id) is not None


def undo_last_change(ctx: AppContext, client_id: str | None = None) -> Undone | None:
    """Put back the old values of the acting user's last edit not yet pushed (of one client, when
    given); ``None`` when there is nothing to undo."""
    entry = _last_edit(ctx, client_id)
    if entry is None:
        return None
    model = model_for(entry.entity)
    old = {f: v for f, v in (entry.old_values or {}).items() if f not in SKIP_FIELDS}
    values = {f: decode_value(model, f, v) if v is not None else None for f, v in old.items()}
    records.update_record(ctx, entry.entity, entry.row_id, values)
    with ctx.store.write() as session:
        newest = session.scalar(select(OutboxEntry.seq).order_by(OutboxEntry.seq.desc()).limit(1))
        skip = list(get_meta(session, META_UNDONE) or [])
        skip += [entry.seq] + ([newest] if newest is not None and newest != entry.seq else [])
        set_meta(session, META_UNDONE, skip[-500:])
    return Undone(entry.entity, entry.row_id, entry.client_id, values)


__all__ = ["Undone", "can_undo", "undo_last_change"]
