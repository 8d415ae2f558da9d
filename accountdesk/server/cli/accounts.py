"""Administering people and what they hold: ``init``, ``user …``, ``client …``, ``device …``,
``address unlock``, ``lockouts`` and ``audit``."""

from __future__ import annotations

import argparse
import sys

from ...i18n import _
from .common import address_arg, emit, open_db, read_password


def cmd_init(args: argparse.Namespace) -> int:
    from .. import admin

    db = open_db(args)
    if admin.has_users(db):
        sys.stdout.write(_("The server is already initialised.") + "\n")
        return 0
    admin.add_user(db, args.admin, "admin", read_password(args))
    sys.stdout.write(_("Initialised; administrator {name} created.").format(name=args.admin) + "\n")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from .. import admin

    db = open_db(args)
    user = admin.add_user(db, args.name, args.role, read_password(args), display_name=args.display_name)
    emit(
        args,
        {"id": user["id"], "username": user["username"], "role": user["role"]},
        _("User {name} added ({role}).").format(name=user["username"], role=user["role"]),
    )
    return 0


def cmd_user_deactivate(args: argparse.Namespace) -> int:
    from .. import admin

    db = open_db(args)
    result = admin.deactivate_user(db, args.name)
    lines = [
        _("User {name} deactivated; {n} device(s) revoked.").format(
            name=result["username"], n=result["devices_revoked"]
        )
    ]
    if result["clients_needing_owner"]:
        lines.append(
            _("Clients that need a new owner: {names}").format(
                names=", ".join(map(str, result["clients_needing_owner"]))
            )
        )
    emit(args, result, "\n".join(lines))
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from .. import admin

    users = admin.list_users(open_db(args))
    if args.json:
        emit(args, users, "")
        return 0
    for u in users:
        state = _("active") if u["active"] else _("deactivated")
        sys.stdout.write(f"{u['username']:<20} {u['role']:<11} {state:<12} {u['clients']}\n")
    return 0


def cmd_client_assign(args: argparse.Namespace) -> int:
    from .. import admin

    result = admin.assign_client(open_db(args), args.client, args.to, args.reason)
    emit(
        args,
        result,
        _("Client {client} handed over to {user}.").format(client=result["client"], user=args.to),
    )
    return 0


def cmd_user_handover(args: argparse.Namespace) -> int:
    from ..turnover import hand_over_user

    result = hand_over_user(open_db(args), args.leaver, args.to, args.reason, deactivate=args.deactivate)
    lines = [_("{n} client(s) handed over to {user}.").format(n=len(result["handovers"]), user=args.to)]
    for h in result["handovers"]:
        lines.append(
            f"  {h['client']}: "
            + _("{n} open item(s) moved").format(n=sum(1 for m in h["moves"] if m["moved"]))
        )
    if result["backups"]:
        lines.append(_("Backup owner changed on {n} client(s).").format(n=len(result["backups"])))
    if result["teams"]:
        lines.append(_("Service team place taken over on {n} client(s).").format(n=len(result["teams"])))
    if result["unmoved"]:
        lines.append(
            _("{n} complaint(s) need another handler (the successor is involved).").format(
                n=len(result["unmoved"])
            )
        )
    if result["deactivated"]:
        lines.append(
            _("User {name} deactivated; {n} device(s) revoked.").format(
                name=args.leaver, n=result["devices_revoked"]
            )
        )
    for d in result["devices"]:
        lines.append(
            _(
                "Device {name} last synced {when}: at its next contact it sends what it changed before the "
                "deactivation (kept as conflicts for the successor), then wipes itself."
            ).format(name=d["name"] or d["id"], when=d["last_seen"] or "—")
            if result["deactivated"]
            else _("Device {name} last synced {when}: let it sync once before deactivating the user.").format(
                name=d["name"] or d["id"], when=d["last_seen"] or "—"
            )
        )
    emit(args, result, "\n".join(lines))
    return 0


def cmd_clients_unowned(args: argparse.Namespace) -> int:
    from .. import admin

    rows = admin.clients_needing_owner(open_db(args))
    if args.json:
        emit(args, rows, "")
        return 0
    for c in rows:
        sys.stdout.write(f"{c['name']}  ({c['owner'] or '-'})\n")
    return 0


def cmd_device_list(args: argparse.Namespace) -> int:
    from .. import admin

    devices = admin.list_devices(open_db(args))
    if args.json:
        emit(args, devices, "")
        return 0
    for d in devices:
        state = _("revoked") if d["revoked"] else _("active")
        sys.stdout.write(
            f"{d['id']:<18} {d['user'] or '-':<16} {state:<8} {d['last_seen'] or '-'}  {d['name']}\n"
        )
    return 0


def cmd_device_revoke(args: argparse.Namespace) -> int:
    from .. import admin

    admin.revoke_device(open_db(args), args.device)
    sys.stdout.write(
        _("Device {device} revoked; it will wipe its data when it next connects.").format(device=args.device)
        + "\n"
    )
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from .. import repo

    db = open_db(args)
    with db.read() as conn:
        rows = repo.audit_log(conn, args.limit)
        names = {u["id"]: u["username"] for u in repo.list_users(conn)}
    entries = [
        {
            "at": str(r["at"])[:19],
            "user": names.get(r["user_id"], r["user_id"]),
            "action": r["action"],
            "detail": r["detail"],
            "address": r["address"],
        }
        for r in rows
    ]
    if args.json:
        emit(args, entries, "")
        return 0
    for e in entries:
        detail = " ".join(f"{k}={v}" for k, v in sorted(e["detail"].items()) if v is not None)
        sys.stdout.write(f"{e['at']}  {e['user'] or '-':<14} {e['action']:<16} {detail}\n")
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    from .. import auth

    result = auth.unlock(open_db(args), username=args.name)
    emit(
        args,
        result,
        _("Logins of {name} are allowed again ({n} lockout(s) lifted).").format(
            name=args.name, n=result["lifted"]
        ),
    )
    return 0


def cmd_address_unlock(args: argparse.Namespace) -> int:
    from .. import auth

    address = address_arg(args.address)
    result = auth.unlock(open_db(args), address=address)
    emit(
        args,
        result,
        _("Logins from {address} are allowed again ({n} lockout(s) lifted).").format(
            address=address, n=result["lifted"]
        ),
    )
    return 0


def cmd_lockouts(args: argparse.Namespace) -> int:
    from .. import auth_repo, repo

    db = open_db(args)
    with db.read() as conn:
        rows = auth_repo.list_locks(conn, repo.utcnow())
    entries = [
        {
            "kind": r["kind"],
            "who": r["key"].split(":", 1)[1],
            "since": str(r["since"])[:19],
            "until": str(r["until"])[:19],
            "strikes": r["strikes"],
        }
        for r in rows
    ]
    if args.json:
        emit(args, entries, "")
        return 0
    if not entries:
        sys.stdout.write(_("No login is locked out.") + "\n")
    for e in entries:
        sys.stdout.write(f"{e['kind']:<8} {e['who']:<40} {e['since']}  ->  {e['until']}\n")
    return 0
