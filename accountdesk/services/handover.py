"""Handover (离职交接): a supervisor gives a client to a new owner on their device.

One unit of work: the client's new owner, an ownership-history row and a handover with its
checklist (open feedback, upcoming visits, open improvement items, key contacts). All of it is
recorded in the outbox and syncs; the new owner's next sync brings the client's whole state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.feedback import OPEN_STATUSES as OPEN_FEEDBACK
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..i18n import _
from ..models import (
    Client,
    Contact,
    Feedback,
    Handover,
    ImprovementItem,
    OwnershipChange,
    User,
    Visit,
    VisitPlan,
)
from ..permissions import sees_all_clients
from ..sync.changes import ChangeWriter
from ..sync.checklist import OPEN_ITEMS, build_checklist
from ..sync.codec import row_to_wire
from .context import AppContext
from .userref import require_active, resolve_user


def checklist_for(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    with ctx.read() as session:
        return checklist_in(session, client_id, ctx.today().isoformat())


#: Open work a successor takes over with a client: (model, field, is it still open?).
OPEN_WORK = (
    (Feedback, "handler_id", lambda r: r.status in OPEN_FEEDBACK),
    (Visit, "owner_id", lambda r: r.status == "planned"),
    (VisitPlan, "owner_id", lambda r: bool(r.active)),
    (ImprovementItem, "owner_id", lambda r: r.status in OPEN_ITEMS),
)


def _work_title(row: Any) -> str:
    for name in ("subject", "purpose", "action", "title"):
        value = getattr(row, name, None)
        if value:
            return str(value)
    kind = str(getattr(row, "kind", "") or "")
    if isinstance(row, (Visit, VisitPlan)) and kind:
        from ..labels import label
        from ..models.enums import VisitKind

        return label(VisitKind, kind)
    return kind


def move_open_work(
    session: Session,
    writer: ChangeWriter,
    client_id: str,
    from_user_id: str | None,
    to_user_id: str,
    *,
    fallback_user_id: str | None = None,
) -> list[dict[str, Any]]:
    """Give ``to_user_id`` the open work ``from_user_id`` held in this client: the complaints
    they handle, their planned visits and visit plans, their open improvement items. Each move is
    a recorded field change (field history). A complaint the successor is involved in goes to
    ``fallback_user_id`` instead (recusal), or stays where it was and is reported ``moved=False``."""
    if not from_user_id or from_user_id == to_user_id:
        return []
    out = []
    for model, field, is_open in OPEN_WORK:
        col = getattr(model, field)
        rows: list[Any] = list(
            session.scalars(
                select(model).where(
                    model.client_id == client_id, col == from_user_id, model.deleted_at.is_(None)
                )
            )
        )
        for row in rows:
            if not is_open(row):
                continue
            target: str | None = to_user_id
            involved = (row.involved_user_ids or []) if model is Feedback else []
            if target in involved:
                target = fallback_user_id if fallback_user_id and fallback_user_id not in involved else None
            if target is not None:
                writer.update(row, {field: target})
            out.append(
                {
                    "entity": model.__entity__,
                    "row_id": row.id,
                    "field": field,
                    "title": _work_title(row),
                    "from_user_id": from_user_id,
                    "to_user_id": target,
                    "moved": target is not None,
                }
            )
    return out


def hand_over_client(
    ctx: AppContext,
    client_id: str,
    to_user: str,
    reason: str | None = None,
    *,
    checklist: list[dict[str, Any]] | None = None,
    notes: str | None = None,
    backup_user: str | None = None,
    require_reason: bool = False,
    field: str = "to",
) -> dict[str, Any]:
    """Hand a client over to ``to_user`` (id, login or display name). Supervisors and admins only.

    ``checklist`` defaults to what the new owner must pick up (:func:`checklist_for`); the
    handover stays ``open`` until every item of it is done. ``backup_user`` also changes the
    backup owner. The open work the previous owner held in the client (complaints they handle,
    planned visits, visit plans, improvement items) moves to the new owner, each move recorded.
    Returns the client, handover id, previous and new owner, the checklist and the moves.
    """
    with ctx.write() as (session, writer):
        return hand_over_in(
            ctx,
            session,
            writer,
            client_id,
            to_user,
            reason,
            checklist=checklist,
            notes=notes,
            backup_user=backup_user,
            require_reason=require_reason,
            field=field,
        )


def hand_over_in(
    ctx: AppContext,
    session: Session,
    writer: ChangeWriter,
    client_id: str,
    to_user: str,
    reason: str | None = None,
    *,
    checklist: list[dict[str, Any]] | None = None,
    notes: str | None = None,
    backup_user: str | None = None,
    require_reason: bool = False,
    field: str = "to",
) -> dict[str, Any]:
    """:func:`hand_over_client` inside an existing unit of work (a resignation: many clients, one
    transaction)."""
    actor = ctx.actor
    if not sees_all_clients(actor.role):
        raise PermissionDenied(_("Only supervisors and administrators may reassign clients."))
    reason = (reason or "").strip() or None
    if require_reason and reason is None:
        raise ValidationError("reason", _("Give the reason for the handover."))
    client = session.get(Client, client_id)
    if client is None or client.deleted_at is not None:
        raise NotFoundError(_("The client no longer exists (it may have been deleted)."))
    if checklist is None:
        checklist = checklist_in(session, client_id, ctx.today().isoformat())
    target = require_active(resolve_user(session, to_user, field=field), field=field)
    backup = (
        require_active(resolve_user(session, backup_user, field="backup_owner_id"), field="backup_owner_id")
        if backup_user
        else None
    )
    if client.owner_id == target.id and (backup is None or backup.id == client.backup_owner_id):
        raise ValidationError(field, _("{user} already owns this client.").format(user=target.display_name))
    new_backup = backup.id if backup is not None else client.backup_owner_id
    if new_backup == target.id:
        if backup is not None:
            raise ValidationError(
                "backup_owner_id", _("The backup owner must be someone other than the account manager.")
            )
        new_backup = None  # the backup becomes the owner: no backup until one is named
    old = client.owner_id
    old_backup = client.backup_owner_id
    now = ctx.now()
    done = bool(checklist) and all(item.get("done") for item in checklist)
    handover = writer.create(
        Handover,
        {
            "from_user_id": old,
            "to_user_id": target.id,
            "by_user_id": actor.id,
            "at": now,
            "reason": reason,
            "checklist": checklist,
            "notes": notes,
            "status": "completed" if done else "open",
        },
        client_id=client_id,
    )
    changes: dict[str, Any] = {}
    if old != target.id:
        writer.create(
            OwnershipChange,
            {
                "kind": "owner",
                "from_user_id": old,
                "to_user_id": target.id,
                "by_user_id": actor.id,
                "at": now,
                "reason": reason,
                "handover_id": handover.id,
            },
            client_id=client_id,
        )
        changes["owner_id"] = target.id
    if new_backup != old_backup:
        writer.create(
            OwnershipChange,
            {
                "kind": "backup",
                "from_user_id": old_backup,
                "to_user_id": new_backup,
                "by_user_id": actor.id,
                "at": now,
                "reason": reason,
                "handover_id": handover.id,
            },
            client_id=client_id,
        )
        changes["backup_owner_id"] = new_backup
    writer.update(client, changes)
    moves = move_open_work(session, writer, client_id, old, target.id, fallback_user_id=new_backup)
    session.flush()
    return {
        "client_id": client_id,
        "client_name": client.name,
        "handover_id": handover.id,
        "from_user_id": old,
        "to_user_id": target.id,
        "backup_owner_id": new_backup,
        "checklist": checklist,
        "moves": moves,
    }


def checklist_in(session: Session, client_id: str, today_iso: str) -> list[dict[str, Any]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for model in (Feedback, Visit, ImprovementItem, Contact):
        found: Any = session.scalars(
            select(model).where(model.client_id == client_id, model.deleted_at.is_(None))
        )
        rows[model.__entity__] = [row_to_wire(r) for r in found]
    return build_checklist(rows, today_iso)


#: The name the CLI (``clients assign``) and the sync tests use.
assign_client = hand_over_client


def clients_needing_owner(ctx: AppContext) -> list[dict[str, Any]]:
    """Live clients whose owner is missing or deactivated (待分配主管)."""
    with ctx.read() as session:
        users = {u.id: u for u in session.scalars(select(User))}
        out = []
        for c in session.scalars(select(Client).where(Client.deleted_at.is_(None)).order_by(Client.name)):
            owner = users.get(c.owner_id) if c.owner_id else None
            if owner is None or not owner.active or owner.deleted_at is not None:
                out.append({"id": c.id, "name": c.name, "owner": owner.display_name if owner else None})
        return out


def handovers_of(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    with ctx.read() as session:
        rows = session.scalars(
            select(Handover)
            .where(Handover.client_id == client_id, Handover.deleted_at.is_(None))
            .order_by(Handover.at.desc())
        )
        return [row_to_wire(r) for r in rows]


def handovers_to_acknowledge(ctx: AppContext) -> list[dict[str, Any]]:
    """The handovers made to the acting user that they have not acknowledged yet, newest first,
    each with ``client_name`` and ``from_name`` (the "handed over to you" section of Today)."""
    with ctx.read() as session:
        rows = session.scalars(
            select(Handover)
            .where(
                Handover.to_user_id == ctx.actor.id,
                Handover.deleted_at.is_(None),
                Handover.status != "acknowledged",
            )
            .order_by(Handover.at.desc())
        )
        out = []
        for h in rows:
            client = session.get(Client, h.client_id)
            if client is None or client.deleted_at is not None or client.owner_id != ctx.actor.id:
                continue  # handed on again since
            data = row_to_wire(h)
            data["client_name"] = client.name
            from_user = session.get(User, h.from_user_id) if h.from_user_id else None
            data["from_name"] = from_user.display_name if from_user is not None else None
            out.append(data)
        return out


def acknowledge_handover(
    ctx: AppContext, handover_id: str, done_keys: list[str] | None = None
) -> dict[str, Any]:
    """The successor confirms taking the client over, with the checklist items they have gone
    through (``done_keys``; default: as it stands). Recorded (it syncs; the supervisor sees it
    on the Team screen). Only the handover's successor may."""
    with ctx.write() as (session, writer):
        h = session.get(Handover, handover_id)
        if h is None or h.deleted_at is not None:
            raise NotFoundError(_("The handover no longer exists."))
        if h.to_user_id != ctx.actor.id:
            raise PermissionDenied(_("Only the new account manager acknowledges a handover."))
        checklist = [dict(item) for item in (h.checklist or []) if isinstance(item, dict)]
        if done_keys is not None:
            for item in checklist:
                item["done"] = bool(item.get("done")) or item.get("key") in done_keys
        writer.update(h, {"status": "acknowledged", "checklist": checklist})
        return row_to_wire(h)


def recent_handovers(ctx: AppContext, limit: int = 50) -> list[dict[str, Any]]:
    """The latest handovers with their client, the people and whether the successor has
    acknowledged them (the Team screen)."""
    with ctx.read() as session:
        names = dict(session.execute(select(User.id, User.display_name)).all())
        rows = session.scalars(
            select(Handover).where(Handover.deleted_at.is_(None)).order_by(Handover.at.desc()).limit(limit)
        )
        out = []
        for h in rows:
            client = session.get(Client, h.client_id)
            out.append(
                {
                    "id": h.id,
                    "client_id": h.client_id,
                    "client_name": client.name if client is not None else "",
                    "from_name": names.get(h.from_user_id or ""),
                    "to_name": names.get(h.to_user_id, ""),
                    "at": h.at,
                    "status": h.status,
                    "acknowledged": h.status == "acknowledged",
                }
            )
        return out
