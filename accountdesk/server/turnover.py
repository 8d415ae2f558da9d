"""Handovers made on the server (``accountdesk-server client assign`` and ``user handover``):
the same workflow as on a supervisor's laptop (:mod:`accountdesk.services.turnover`), written as
server-side changes so that every device learns it at its next pull.

A handover records the checklist and the ownership history; the open work the previous owner
held in the client (complaints they handle, planned visits, visit plans, open improvement items)
moves to the successor, each move a field change in the history. ``user handover`` does it for
every client a leaver owns, backs up or serves on, then (``--deactivate``) deactivates the
leaver, which revokes their tokens and devices: a revoked laptop first sends what it had not
pushed (its farewell, :mod:`.farewell`: kept as conflicts for the successor), then wipes itself;
what it would push later is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from ..domain.feedback import OPEN_STATUSES
from ..i18n import _
from ..sync.checklist import OPEN_ITEMS, build_checklist
from ..sync.codec import encode_value
from . import repo
from .auth import Identity
from .db import Database
from .errors import ServerError
from .merge import SYSTEM, Writer
from .settings import Settings

OWNER_ROLES = ("manager", "supervisor", "admin")
#: entity -> (the field naming who does it, is it still open?)
OPEN_WORK: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "feedback": ("handler_id", lambda d: d.get("status") in OPEN_STATUSES),
    "visit": ("owner_id", lambda d: d.get("status") == "planned"),
    "visit_plan": ("owner_id", lambda d: bool(d.get("active"))),
    "improvement_item": ("owner_id", lambda d: d.get("status") in OPEN_ITEMS),
}


def find_user(conn: Connection, ref: str, *, field: str = "user") -> dict[str, Any]:
    """A user by id, login (any case) or display name; an ambiguous display name lists the
    candidates (400), an unknown user is a 404."""
    ref = (ref or "").strip()
    users = repo.list_users(conn)
    tests: tuple[Callable[[dict[str, Any]], bool], ...] = (
        lambda u: u["id"] == ref,
        lambda u: u["username"].lower() == ref.lower(),
    )
    for test in tests:
        found = [u for u in users if test(u)]
        if found:
            return found[0]
    named = [u for u in users if (u["display_name"] or "").lower() == ref.lower()]
    if len(named) > 1:
        raise ServerError(
            400,
            "bad_request",
            _("“{name}” names several users: {candidates}. Give the login instead.").format(
                name=ref, candidates=", ".join(f"{u['display_name']} ({u['username']})" for u in named)
            ),
        )
    if not named:
        raise ServerError(404, "not_found", _("No user {name}.").format(name=ref))
    return named[0]


def _current(writer: Writer, rec: dict[str, Any]) -> dict[str, Any]:
    """A record as this transaction left it (changed here: the writer's copy; else as read)."""
    if rec["id"] in writer.new or rec["id"] in writer.dirty:
        changed = writer.state[rec["id"]]
        if changed is not None:  # (always: what the writer changed, it holds)
            return changed
    return rec


def _successor(conn: Connection, ref: str) -> dict[str, Any]:
    user = find_user(conn, ref, field="to")
    if not user["active"]:
        raise ServerError(
            400, "bad_request", _("The user {name} has been deactivated.").format(name=user["username"])
        )
    if user["role"] not in OWNER_ROLES:
        raise ServerError(
            400,
            "bad_request",
            _("{user} is field staff and cannot own clients.").format(user=user["username"]),
        )
    return user


def move_open_work(
    writer: Writer,
    conn: Connection,
    client_id: str,
    from_user: str | None,
    to_user: str,
    fallback: str | None = None,
) -> list[dict[str, Any]]:
    """The server twin of :func:`accountdesk.services.handover.move_open_work`."""
    if not from_user or from_user == to_user:
        return []
    out: list[dict[str, Any]] = []
    for rec in repo.client_rows(conn, client_id, tuple(OPEN_WORK)):
        rec = writer.get(rec["id"], lock=True) or rec
        name, is_open = OPEN_WORK[rec["entity"]]
        data = rec["data"]
        if data.get(name) != from_user or not is_open(data) or rec["deleted"]:
            continue
        target: str | None = to_user
        involved = (data.get("involved_user_ids") or []) if rec["entity"] == "feedback" else []
        if target in involved:
            target = fallback if fallback and fallback not in involved else None
        if target is not None:
            writer.server_update(rec, {name: target})
        out.append(
            {
                "entity": rec["entity"],
                "row_id": rec["id"],
                "field": name,
                "from_user_id": from_user,
                "to_user_id": target,
                "moved": target is not None,
                "title": str(
                    data.get("subject")
                    or data.get("purpose")
                    or data.get("action")
                    or data.get("title")
                    or ""
                ),
            }
        )
    return out


def hand_over(
    writer: Writer,
    conn: Connection,
    client: dict[str, Any],
    target_id: str,
    reason: str | None,
    by: Identity,
    today: dt.date,
) -> dict[str, Any]:
    """One client's handover inside a server write: handover + checklist, ownership history,
    new owner (the backup cleared when it was the successor), open work moved."""
    client = writer.get(client["id"], lock=True) or client
    data = client["data"]
    old_owner, old_backup = data.get("owner_id"), data.get("backup_owner_id")
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in repo.client_rows(conn, client["id"]):
        r = _current(writer, r)
        rows.setdefault(r["entity"], []).append(r["data"])
    checklist = build_checklist(rows, today.isoformat())
    now = repo.utcnow()
    by_id = by.user_id or None
    handover = writer.server_create(
        "handover",
        {
            "from_user_id": old_owner,
            "to_user_id": target_id,
            "by_user_id": by_id,
            "at": now,
            "reason": reason,
            "checklist": checklist,
            "notes": None,
            "status": "open",
        },
        client_id=client["id"],
    )
    changes: dict[str, Any] = {"owner_id": target_id}
    writer.server_create(
        "ownership_change",
        {
            "kind": "owner",
            "from_user_id": old_owner,
            "to_user_id": target_id,
            "by_user_id": by_id,
            "at": now,
            "reason": reason,
            "handover_id": handover["id"],
        },
        client_id=client["id"],
    )
    new_backup = old_backup
    if old_backup == target_id:
        new_backup = None
        changes["backup_owner_id"] = None
        writer.server_create(
            "ownership_change",
            {
                "kind": "backup",
                "from_user_id": old_backup,
                "to_user_id": None,
                "by_user_id": by_id,
                "at": now,
                "reason": reason,
                "handover_id": handover["id"],
            },
            client_id=client["id"],
        )
    writer.server_update(client, changes)
    moves = move_open_work(writer, conn, client["id"], old_owner, target_id, new_backup)
    repo.audit(
        conn,
        "handover",
        user_id=by_id,
        client_id=client["id"],
        from_user=old_owner,
        to_user=target_id,
        reason=reason,
    )
    return {
        "client_id": client["id"],
        "client": data.get("name"),
        "from_user_id": old_owner,
        "to_user_id": target_id,
        "backup_owner_id": new_backup,
        "handover_id": handover["id"],
        "checklist": checklist,
        "moves": moves,
    }


def assign_client(
    db: Database,
    client_ref: str,
    to_user: str,
    reason: str | None,
    *,
    by: Identity = SYSTEM,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """``client assign``: one client to a new owner."""
    with db.write() as conn:
        writer = Writer(conn, by, Settings())
        found = repo.find_clients(conn, client_ref)
        if not found:
            raise ServerError(404, "not_found", _("No client {client}.").format(client=client_ref))
        if len(found) > 1:
            raise ServerError(
                400,
                "bad_request",
                _("More than one client is called {client}; use its id.").format(client=client_ref),
            )
        target = _successor(conn, to_user)
        result = hand_over(writer, conn, found[0], target["id"], reason, by, today or dt.date.today())
        writer.finish()
    return result


def hand_over_user(
    db: Database,
    leaver_ref: str,
    to_user: str,
    reason: str | None,
    *,
    deactivate: bool = False,
    by: Identity = SYSTEM,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """``user handover``: every client ``leaver`` owns, backs up or serves on goes to ``to_user``
    with its open work, in one transaction; then, optionally, the leaver is deactivated."""
    today = today or dt.date.today()
    with db.write() as conn:
        writer = Writer(conn, by, Settings())
        leaver = find_user(conn, leaver_ref, field="leaver")
        target = _successor(conn, to_user)
        if target["id"] == leaver["id"]:
            raise ServerError(
                400,
                "bad_request",
                _("{user} is the one leaving; choose someone else.").format(user=target["username"]),
            )
        uid, new, by_id = leaver["id"], target["id"], by.user_id or None
        clients = sorted(repo.live_clients(conn), key=lambda c: str(c["data"].get("name")))
        team = {
            r["client_id"]: r
            for r in repo.team_rows(conn, [c["id"] for c in clients])
            if r["data"].get("user_id") == uid
        }
        out: dict[str, Any] = {
            "leaver_id": uid,
            "to_user_id": new,
            "handovers": [],
            "backups": [],
            "teams": [],
            "other_moves": [],
            "deactivated": False,
            "devices_revoked": 0,
        }
        for c in clients:
            data = c["data"]
            if data.get("owner_id") == uid:
                out["handovers"].append(hand_over(writer, conn, c, new, reason, by, today))
            elif data.get("backup_owner_id") == uid:
                backup = None if data.get("owner_id") == new else new
                writer.server_create(
                    "ownership_change",
                    {
                        "kind": "backup",
                        "from_user_id": uid,
                        "to_user_id": backup,
                        "by_user_id": by_id,
                        "at": repo.utcnow(),
                        "reason": reason,
                    },
                    client_id=c["id"],
                )
                writer.server_update(c, {"backup_owner_id": backup})
                out["backups"].append(
                    {
                        "client_id": c["id"],
                        "client": data.get("name"),
                        "to_user_id": backup,
                        "moves": move_open_work(writer, conn, c["id"], uid, new, data.get("owner_id")),
                    }
                )
            if c["id"] in team:
                member = writer.get(team[c["id"]]["id"], lock=True) or team[c["id"]]
                writer.server_update(member, {"deleted_at": repo.utcnow()})
                current = _current(writer, c)
                holds = new in (
                    current["data"].get("owner_id"),
                    current["data"].get("backup_owner_id"),
                ) or any(r["data"].get("user_id") == new for r in repo.team_rows(conn, [c["id"]]))
                if not holds:
                    writer.server_create(
                        "client_team_member",
                        {"user_id": new, "role": member["data"].get("role")},
                        client_id=c["id"],
                    )
                out["teams"].append(
                    {
                        "client_id": c["id"],
                        "client": data.get("name"),
                        "to_user_id": None if holds else new,
                        "moves": move_open_work(
                            writer, conn, c["id"], uid, new, current["data"].get("owner_id")
                        ),
                    }
                )
            elif data.get("owner_id") not in (uid, None) and data.get("backup_owner_id") != uid:
                owner = data.get("owner_id")
                out["other_moves"] += move_open_work(
                    writer, conn, c["id"], uid, owner, data.get("backup_owner_id")
                )
        repo.audit(
            conn,
            "user_handover",
            user_id=by_id,
            leaver=leaver["username"],
            to_user=target["username"],
            clients=len(out["handovers"]),
            reason=reason,
        )
        # the leaver's laptops and when each last synced: edits made on one since then arrive at its
        # next contact, before it wipes itself (after a deactivation as its farewell: as conflicts)
        out["devices"] = [
            {"id": d["id"], "name": d["name"], "last_seen": encode_value(d["last_seen"])}
            for d in repo.list_devices(conn)
            if d["username"] == leaver["username"] and d["revoked_at"] is None
        ]
        if deactivate:
            repo.set_user_active(conn, uid, False)
            out["devices_revoked"] = repo.revoke_devices(conn, user_id=uid)
            rec = repo.get_record(conn, uid)
            if rec is not None:
                writer.server_update(rec, {"active": False})
            repo.audit(
                conn,
                "user_deactivate",
                user_id=by_id,
                username=leaver["username"],
                devices=out["devices_revoked"],
            )
            out["deactivated"] = True
        writer.finish()
    out["unmoved"] = [
        m
        for group in (
            *(h["moves"] for h in out["handovers"]),
            *(b["moves"] for b in out["backups"]),
            *(t["moves"] for t in out["teams"]),
            out["other_moves"],
        )
        for m in group
        if not m["moved"]
    ]
    return out
