"""``accountdesk history CLIENT [--field NAME] [--json] [--restore ID]``: who changed what, when.

From the server when it can be reached (every accepted change), otherwise the device's own part
(changes not yet sent). ``--restore ID`` writes again the value that change ID set, as an
ordinary synced change (supervisors and the client's owner).
"""

from __future__ import annotations

import sys
from argparse import Namespace
from typing import TYPE_CHECKING, Any

from ..i18n import _
from ..labels import entity_label
from .common import CLIError, Subparsers, emit_json, open_ctx, print_table

if TYPE_CHECKING:
    from ..services.context import AppContext
    from ..sync.client import SyncEngine
    from ..sync.protocol import HistoryEntry

#: Bookkeeping columns a history never lists (every change sets them).
_BOOKKEEPING = frozenset({"updated_at", "updated_by", "created_at", "created_by", "client_id", "server_seq"})


def history_field(key: str | None) -> str | None:
    """The field ``--field`` means: a field name of any record of a client, or its label in
    English or in the current language (``客户名称``, ``Client name``); an unknown one is bad input
    naming ``field``."""
    from ..domain.schema import SCHEMAS
    from ..errors import ValidationError
    from .clients import field_name

    if key is None:
        return None
    entities = [e for e in SCHEMAS if e != "user"]
    if any(key in SCHEMAS[e] for e in entities) or key == "deleted_at":
        return key
    for entity in entities:
        name = field_name(entity, key)
        if name != key:
            return name
    raise ValidationError("field", _("Unknown field: {field}").format(field=key))


def _field_label(entity: str, name: str) -> str:
    from ..domain.schema import SCHEMAS

    if name == "deleted_at":
        return _("Deleted")
    spec = SCHEMAS.get(entity, {}).get(name)
    return spec.title if spec is not None else name


def _shown(entry: dict[str, Any]) -> bool:
    """Worth a line: a real field whose value changed (a new record's empty fields are not)."""
    if entry["field"] in _BOOKKEEPING:
        return False
    return entry.get("hidden") or entry["old"] not in (None, "", []) or entry["new"] not in (None, "", [])


def _local_history(ctx: AppContext, client_id: str, field: str | None) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from ..models import OutboxEntry, User

    out = []
    with ctx.read() as session:
        names = {u.id: u.username for u in session.scalars(select(User))}
        for e in session.scalars(
            select(OutboxEntry).where(OutboxEntry.client_id == client_id).order_by(OutboxEntry.seq.desc())
        ):
            for name, new in (e.fields or {}).items():
                if field and name != field:
                    continue
                out.append(
                    {
                        "id": None,
                        "entity": e.entity,
                        "row_id": e.row_id,
                        "field": name,
                        "old": (e.old_values or {}).get(name),
                        "new": new,
                        "user_id": e.user_id,
                        "username": names.get(e.user_id) if e.user_id else None,
                        "at": e.created_at.isoformat(),
                        "hidden": False,
                        "local": True,
                        "status": e.status,
                    }
                )
    return out


def _server_history(
    ctx: AppContext, args: Namespace, client_id: str
) -> tuple[SyncEngine, list[HistoryEntry]] | None:
    from ..sync.client import SyncError
    from .sync_engine import make_engine

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


def _restore(ctx: AppContext, entry: HistoryEntry) -> None:
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


def _row(e: dict[str, Any], names: dict[str, str]) -> list[str]:
    """One line of the table: labels for the record and field, people by name, values as the
    forms show them (decoded from their wire form)."""
    from ..models import model_for
    from ..sync.codec import decode_value
    from .clients import fmt_datetime, fmt_value

    entity, field = e["entity"], e["field"]

    def value(raw: Any) -> str:
        if e["hidden"]:
            return _("(confidential)")
        try:
            decoded = decode_value(model_for(entity), field, raw)
        except (KeyError, ValueError, TypeError):
            decoded = raw
        return fmt_value(entity, field, decoded, names)

    try:
        when = fmt_datetime(decode_value(model_for("client"), "created_at", e["at"]))
    except (KeyError, ValueError, TypeError):
        when = str(e["at"])[:19]
    who = names.get(e.get("user_id") or "") or e.get("username") or ""
    return [
        str(e["id"] or "*"),
        when,
        who,
        entity_label(entity),
        _field_label(entity, field),
        value(e["old"]),
        value(e["new"]),
    ]


def cmd_history(args: Namespace) -> int:
    from ..services.clients import resolve_client
    from .clients import user_names

    ctx = open_ctx(args)
    engine = None
    try:
        client_id = resolve_client(ctx, args.client)
        names = user_names(ctx)
        args.field = history_field(args.field)
        local = _local_history(ctx, client_id, args.field)
        online = _server_history(ctx, args, client_id)
        entries: list[dict[str, Any]] = list(local)
        if online is not None:
            engine, server_entries = online
            if args.restore is not None:
                match = [e for e in server_entries if e.id == args.restore]
                if not match:
                    raise CLIError(
                        _("No change {id} in this client's history.").format(id=args.restore), exit_code=2
                    )
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
    entries = [e for e in entries if _shown(e)]
    if not entries:
        sys.stdout.write(_("No changes recorded.") + "\n")
        return 0
    print_table(
        [_row(e, names) for e in entries],
        [_("ID"), _("When"), _("Who"), _("Record"), _("Field"), _("Before"), _("After")],
    )
    if local:
        sys.stdout.write(_("* not yet sent to the server") + "\n")
    return 0


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "history", help=_("show who changed a client's fields, and restore an earlier value")
    )
    p.add_argument("client", metavar="CLIENT")
    p.add_argument("--field", metavar="NAME", help=_("only this field (its name or its label)"))
    p.add_argument("--restore", type=int, metavar="ID", help=_("write again the value that change ID set"))
    p.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_history)
