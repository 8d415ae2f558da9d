"""``accountdesk history CLIENT [--field NAME] [--json] [--restore ID]``: who changed what, when.

From the server when it can be reached (every accepted change), otherwise the device's own part
(changes not yet sent). ``--restore ID`` writes again the value that change ID set, as an
ordinary synced change (supervisors and the client's owner).
"""

from __future__ import annotations

import sys
from argparse import Namespace
from typing import Any

from ..i18n import _
from .common import CLIError, emit_json, open_ctx, print_table


def _local_history(ctx, client_id: str, field: str | None) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from ..models import OutboxEntry, User

    out = []
    with ctx.read() as session:
        names = {u.id: u.username for u in session.scalars(select(User))}
        for e in session.scalars(select(OutboxEntry).where(OutboxEntry.client_id == client_id).order_by(OutboxEntry.seq.desc())):
            for name, new in (e.fields or {}).items():
                if field and name != field:
                    continue
                out.append({"id": None, "entity": e.entity, "row_id": e.row_id, "field": name,
                            "old": (e.old_values or {}).get(name), "new": new, "username": names.get(e.user_id),
                            "at": e.created_at.isoformat(), "hidden": False, "local": True, "status": e.status})
    return out


def _server_history(ctx, args: Namespace, client_id: str):
    from ..sync.client import SyncError
    from .sync import make_engine

    try:
        engine = make_engine(ctx, args)
    except CLIError:
        return None
    try:
        return engine, engine.history(client_id, args.field)
    except SyncError as exc:
        engine.close()
        sys.stderr.write(_("Showing this device's changes only: {reason}").format(reason=exc.message) + "\n")
        return None


def _restore(ctx, entry) -> None:
    from ..errors import NotFoundError, PermissionDenied
    from ..models import Client, model_for
    from ..permissions import may_write, sees_all_clients
    from ..sync.codec import decode_value

    if entry.hidden:
        raise PermissionDenied(_("This value is confidential."))
    with ctx.write() as (session, writer):
        client = session.get(Client, entry.client_id)
        actor = ctx.actor
        if not sees_all_clients(actor.role) and (client is None or client.owner_id != actor.id):
            raise PermissionDenied(_("Only a supervisor or the client's owner may restore a value."))
        model = model_for(entry.entity)
        row = session.get(model, entry.row_id)
        if row is None or row.deleted_at is not None or entry.field not in model.__table__.columns:
            raise NotFoundError(_("The record no longer exists (it may have been deleted)."))
        if not may_write(actor.role, entry.entity, "update", frozenset({entry.field})):
            raise PermissionDenied(_("Your role may not change this."))
        writer.update(row, {entry.field: decode_value(model, entry.field, entry.new)})


def cmd_history(args: Namespace) -> int:
    from ..services.clients import resolve_client

    ctx = open_ctx(args)
    engine = None
    try:
        client_id = resolve_client(ctx, args.client)
        local = _local_history(ctx, client_id, args.field)
        online = _server_history(ctx, args, client_id)
        entries: list[dict[str, Any]] = list(local)
        if online is not None:
            engine, server_entries = online
            if args.restore is not None:
                match = [e for e in server_entries if e.id == args.restore]
                if not match:
                    raise CLIError(_("No change {id} in this client's history.").format(id=args.restore), exit_code=2)
                _restore(ctx, match[0])
                sys.stdout.write(_("Restored; the value reaches the others at the next sync.") + "\n")
                return 0
            entries += [dict(e.model_dump(), local=False, status="accepted") for e in server_entries]
        elif args.restore is not None:
            raise CLIError(_("Restoring needs the server's history; connect and try again."), exit_code=3)
    finally:
        if engine is not None:
            engine.close()
        ctx.close()
    if args.json:
        emit_json(entries)
        return 0
    if not entries:
        sys.stdout.write(_("No changes recorded.") + "\n")
        return 0
    hidden = _("(confidential)")
    print_table(
        [[str(e["id"] or "*"), str(e["at"])[:19], e.get("username") or "", e["entity"], e["field"],
          hidden if e["hidden"] else str(e["old"] if e["old"] is not None else ""),
          hidden if e["hidden"] else str(e["new"] if e["new"] is not None else "")] for e in entries],
        [_("ID"), _("When"), _("Who"), _("Record"), _("Field"), _("Before"), _("After")],
    )
    if local:
        sys.stdout.write(_("* not yet sent to the server") + "\n")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("history", help=_("show who changed a client's fields, and restore an earlier value"))
    p.add_argument("client", metavar="CLIENT")
    p.add_argument("--field", metavar="NAME")
    p.add_argument("--restore", type=int, metavar="ID", help=_("write again the value that change ID set"))
    p.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_history)
