"""Handover (离职交接): a supervisor gives a client to a new owner on their device.

One unit of work: the client's new owner, an ownership-history row and a handover with its
checklist (open feedback, upcoming visits, open improvement items, key contacts). All of it is
recorded in the outbox and syncs; the new owner's next sync brings the client's whole state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..i18n import _
from ..models import SYNCABLE, Client, Handover, OwnershipChange, User
from ..permissions import sees_all_clients
from ..sync.checklist import build_checklist
from ..sync.codec import row_to_wire
from .context import AppContext


def _user(session, ref: str) -> User:
    user = session.get(User, ref) or session.scalar(select(User).where(User.username == ref))
    if user is None or user.deleted_at is not None:
        raise ValidationError("to", _("Unknown user: {user}").format(user=ref))
    return user


def checklist_for(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    with ctx.read() as session:
        for model in SYNCABLE:
            if model.__entity__ in ("feedback", "visit", "improvement_item", "contact"):
                found = session.scalars(select(model).where(model.client_id == client_id, model.deleted_at.is_(None)))
                rows[model.__entity__] = [row_to_wire(r) for r in found]
    return build_checklist(rows, ctx.today().isoformat())


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
) -> dict[str, Any]:
    """Hand a client over to ``to_user`` (id or user name). Supervisors and admins only.

    ``checklist`` defaults to what the new owner must pick up (:func:`checklist_for`); the
    handover stays ``open`` until every item of it is done. ``backup_user`` also changes the
    backup owner. Returns the client, handover id, previous and new owner and the checklist.
    """
    actor = ctx.actor
    if not sees_all_clients(actor.role):
        raise PermissionDenied(_("Only supervisors and administrators may reassign clients."))
    reason = (reason or "").strip() or None
    if require_reason and reason is None:
        raise ValidationError("reason", _("Give the reason for the handover."))
    if checklist is None:
        checklist = checklist_for(ctx, client_id)
    with ctx.write() as (session, writer):
        client = session.get(Client, client_id)
        if client is None or client.deleted_at is not None:
            raise NotFoundError(_("The client no longer exists (it may have been deleted)."))
        target = _user(session, to_user)
        if not target.active:
            raise ValidationError("to", _("{user} has been deactivated.").format(user=target.display_name))
        backup = _user(session, backup_user) if backup_user else None
        if client.owner_id == target.id and (backup is None or backup.id == client.backup_owner_id):
            raise ValidationError("to", _("{user} already owns this client.").format(user=target.display_name))
        old = client.owner_id
        now = ctx.now()
        done = bool(checklist) and all(item.get("done") for item in checklist)
        handover = writer.create(Handover, {
            "from_user_id": old, "to_user_id": target.id, "by_user_id": actor.id, "at": now, "reason": reason,
            "checklist": checklist, "notes": notes, "status": "completed" if done else "open"}, client_id=client_id)
        changes: dict[str, Any] = {}
        if old != target.id:
            writer.create(OwnershipChange, {
                "kind": "owner", "from_user_id": old, "to_user_id": target.id, "by_user_id": actor.id, "at": now,
                "reason": reason, "handover_id": handover.id}, client_id=client_id)
            changes["owner_id"] = target.id
        if backup is not None and backup.id != client.backup_owner_id:
            writer.create(OwnershipChange, {
                "kind": "backup", "from_user_id": client.backup_owner_id, "to_user_id": backup.id, "by_user_id": actor.id,
                "at": now, "reason": reason, "handover_id": handover.id}, client_id=client_id)
            changes["backup_owner_id"] = backup.id
        writer.update(client, changes)
        return {"client_id": client_id, "handover_id": handover.id, "from_user_id": old, "to_user_id": target.id,
                "checklist": checklist}


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
        rows = session.scalars(select(Handover).where(Handover.client_id == client_id, Handover.deleted_at.is_(None))
                               .order_by(Handover.at.desc()))
        return [row_to_wire(r) for r in rows]
