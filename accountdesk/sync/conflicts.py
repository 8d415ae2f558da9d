"""Conflicts on the device: list them and resolve one (keep mine / keep theirs).

Resolving is an ordinary synced change: restoring the losing value writes it to the row (an
outbox entry like any edit), and the conflict itself is marked resolved (synced to every device
that has it). ``ctx`` is the profile's AppContext (duck-typed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..i18n import _
from ..models import SYNC_COLUMNS, Conflict, User, model_for
from ..permissions import may_write
from .codec import decode_value


def _name(session: Session, user_id: str | None) -> str | None:
    if not user_id:
        return None
    user = session.get(User, user_id)
    return user.display_name if user else user_id


def list_conflicts(ctx: Any, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    with ctx.read() as session:
        stmt = select(Conflict).where(Conflict.deleted_at.is_(None))
        if not include_resolved:
            stmt = stmt.where(Conflict.resolved_at.is_(None))
        out = []
        for c in session.scalars(stmt.order_by(Conflict.updated_at.desc())):
            out.append(
                {
                    "id": c.id,
                    "client_id": c.client_id,
                    "entity": c.entity,
                    "row_id": c.row_id,
                    "field": c.field,
                    "kept_value": c.kept_value,
                    "kept_by": _name(session, c.kept_by),
                    "kept_hlc": c.kept_hlc,
                    "lost_value": c.lost_value,
                    "lost_by": _name(session, c.lost_by),
                    "lost_hlc": c.lost_hlc,
                    "resolved": c.resolved_at is not None,
                    "resolution": c.resolution,
                }
            )
        return out


def resolve_conflict(ctx: Any, conflict_id: str, keep: str) -> dict[str, Any]:
    """``keep`` is ``mine`` or ``theirs``. "Mine" is the value the current user wrote (when
    they wrote neither, the value in force now)."""
    if keep not in ("mine", "theirs"):
        raise ValidationError("keep", _("Choose “mine” or “theirs”."))
    actor = ctx.actor
    with ctx.write() as (session, writer):
        c = session.get(Conflict, conflict_id)
        if c is None or c.deleted_at is not None:
            raise NotFoundError(_("No such conflict."))
        if c.resolved_at is not None:
            raise ValidationError("conflict", _("This conflict has already been resolved."))
        mine_is_lost = c.lost_by == actor.id and c.kept_by != actor.id
        restore = (keep == "mine") == mine_is_lost
        model = model_for(c.entity)
        row = session.get(model, c.row_id)
        if (
            restore
            and row is None
            and c.field is None
            and isinstance(c.lost_value, dict)
            and c.kept_value is None
        ):
            # a record made by someone who had just lost the client: restoring it adds it
            fields = {
                k: decode_value(model, k, v)
                for k, v in c.lost_value.items()
                if k in model.__table__.columns and k not in SYNC_COLUMNS
            }
            if not may_write(actor.role, c.entity, "create", frozenset(fields)):
                raise PermissionDenied(_("Your role may not change this."))
            writer.create(model, fields, client_id=c.client_id, row_id=c.row_id)
        elif restore:
            if row is None:
                raise NotFoundError(_("The record of this conflict is not on this device."))
            if c.field is None:  # an edit lost against a delete: bring the row back with the edit
                fields = {
                    k: decode_value(model, k, v)
                    for k, v in (c.lost_value or {}).items()
                    if k in model.__table__.columns
                }
                if not may_write(actor.role, c.entity, "update", frozenset(fields)):
                    raise PermissionDenied(_("Your role may not change this."))
                writer.undelete(row, fields)
            else:
                value = decode_value(model, c.field, c.lost_value)
                if not may_write(actor.role, c.entity, "update", frozenset({c.field})):
                    raise PermissionDenied(_("Your role may not change this."))
                writer.update(row, {c.field: value})
        writer.update(
            c,
            {
                "resolved_at": ctx.now(),
                "resolved_by": actor.id,
                "resolution": "restored" if restore else "kept",
            },
        )
        return {"id": c.id, "restored": restore}


def discard_refused(ctx: Any, entry_seq: int) -> dict[str, Any]:
    """Drop a change the server refused. The record goes back to the server's version at the
    next sync (a refused new record is removed from this device)."""
    from sqlalchemy import delete as sql_delete

    from ..models import ENTITIES, OutboxEntry
    from .changes import get_meta, set_meta

    with ctx.store.write() as session:
        entry = session.get(OutboxEntry, entry_seq)
        if entry is None or entry.status != "rejected":
            raise NotFoundError(_("No refused change with this number."))
        model = ENTITIES.get(entry.entity)
        row = session.get(model, entry.row_id) if model is not None else None
        session.execute(sql_delete(OutboxEntry).where(OutboxEntry.seq == entry_seq))
        others = session.scalar(select(OutboxEntry.seq).where(OutboxEntry.row_id == entry.row_id).limit(1))
        if row is not None and others is None:
            if row.server_seq is None:
                session.delete(row)  # never reached the server
            elif entry.client_id:
                row.server_seq = 0  # fetched again with its client's snapshot
                cursor = int(get_meta(session, "sync_cursor") or 0)
                todo = get_meta(session, "sync_snapshot") or {"clients": [], "upto": cursor, "after": None}
                todo["clients"] = sorted(set(todo["clients"]) | {entry.client_id})
                todo["upto"] = max(int(todo.get("upto") or 0), cursor)
                todo["after"] = None
                set_meta(session, "sync_snapshot", todo)
        return {"seq": entry_seq, "entity": entry.entity, "row_id": entry.row_id}
