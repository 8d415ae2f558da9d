"""Administration: users, devices and handovers (used by the server CLI and the API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from ..i18n import _
from ..models import new_id
from ..models.enums import Role
from ..sync.codec import encode_value
from . import repo
from .auth import Identity
from .db import Database
from .errors import ServerError
from .merge import SYSTEM, Writer
from .security import hash_password
from .settings import Settings

ROLES = tuple(r.value for r in Role)


def add_user(
    db: Database,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str | None = None,
    by: Identity = SYSTEM,
) -> dict[str, Any]:
    if role not in ROLES:
        raise ServerError(
            400, "bad_request", _("The role must be one of {roles}.").format(roles=", ".join(ROLES))
        )
    if not username.strip() or len(username) > 64:
        raise ServerError(400, "bad_request", _("The user name must have 1 to 64 characters."))
    if len(password) < 8:
        raise ServerError(400, "bad_request", _("The password must have at least 8 characters."))
    with db.write() as conn:
        writer = Writer(conn, by, Settings())
        if repo.user_by_name(conn, username) is not None:
            raise ServerError(409, "exists", _("The user {name} already exists.").format(name=username))
        user_id = new_id()
        repo.insert_user(
            conn,
            id=user_id,
            username=username,
            display_name=display_name or username,
            role=role,
            active=True,
            password_hash=hash_password(password),
            created_at=repo.utcnow(),
        )
        # the user's public record syncs to every device (names, roles)
        writer.server_create(
            "user",
            {
                "username": username,
                "display_name": display_name or username,
                "role": role,
                "team": None,
                "email": None,
                "active": True,
            },
            client_id=None,
            row_id=user_id,
        )
        repo.audit(conn, "user_add", user_id=by.user_id or None, username=username, role=role)
        writer.finish()
        added = repo.user_by_id(conn, user_id)
    assert added is not None  # inserted above, in the same transaction
    return added


def has_users(db: Database) -> bool:
    with db.read() as conn:
        return bool(repo.list_users(conn))


def list_users(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        users = repo.list_users(conn)
        owned: dict[str, int] = {}
        for client in repo.live_clients(conn):
            owner = client["data"].get("owner_id")
            if owner:
                owned[owner] = owned.get(owner, 0) + 1
    return [
        {
            "id": u["id"],
            "username": u["username"],
            "display_name": u["display_name"],
            "role": u["role"],
            "active": u["active"],
            "clients": owned.get(u["id"], 0),
        }
        for u in users
    ]


def _user(conn: Connection, ref: str) -> dict[str, Any]:
    """A user by id, login or display name (:func:`accountdesk.server.turnover.find_user`)."""
    from .turnover import find_user

    return find_user(conn, ref)


def deactivate_user(db: Database, username: str, *, by: Identity = SYSTEM) -> dict[str, Any]:
    """Deactivate a user: every token and device of theirs is revoked at once."""
    with db.write() as conn:
        writer = Writer(conn, by, Settings())
        user = _user(conn, username)
        repo.set_user_active(conn, user["id"], False)
        devices = repo.revoke_devices(conn, user_id=user["id"])
        rec = repo.get_record(conn, user["id"])
        if rec is not None:
            writer.server_update(rec, {"active": False})
        repo.audit(
            conn, "user_deactivate", user_id=by.user_id or None, username=user["username"], devices=devices
        )
        writer.finish()
    return {
        "username": user["username"],
        "devices_revoked": devices,
        "clients_needing_owner": [
            c["name"] for c in clients_needing_owner(db) if c["owner_id"] == user["id"]
        ],
    }


def clients_needing_owner(db: Database) -> list[dict[str, Any]]:
    """Live clients whose owner is missing or deactivated."""
    with db.read() as conn:
        active = {u["id"] for u in repo.list_users(conn) if u["active"]}
        names = {u["id"]: u["username"] for u in repo.list_users(conn)}
        out = []
        for c in repo.live_clients(conn):
            owner = c["data"].get("owner_id")
            if owner not in active:
                out.append(
                    {
                        "id": c["id"],
                        "name": c["data"].get("name"),
                        "owner_id": owner,
                        "owner": names.get(owner),
                    }
                )
    return sorted(out, key=lambda c: str(c["name"]))


def list_devices(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = repo.list_devices(conn)
    return [
        {
            "id": d["id"],
            "user": d["username"],
            "name": d["name"],
            "last_seen": encode_value(d["last_seen"]),
            "revoked": d["revoked_at"] is not None,
        }
        for d in rows
    ]


def revoke_device(db: Database, device_id: str, *, by: Identity = SYSTEM) -> None:
    with db.write() as conn:
        if repo.device(conn, device_id) is None:
            raise ServerError(404, "not_found", _("No device {device}.").format(device=device_id))
        repo.revoke_devices(conn, device_id=device_id)
        repo.audit(conn, "device_revoke", user_id=by.user_id or None, device_id=device_id)


def assign_client(
    db: Database,
    client_ref: str,
    to_user: str,
    reason: str | None,
    *,
    by: Identity = SYSTEM,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """A handover made on the server: new owner, ownership history, a checklist and the open work
    moved along, all synced (:mod:`accountdesk.server.turnover`)."""
    from .turnover import assign_client as assign

    return assign(db, client_ref, to_user, reason, by=by, today=today)
