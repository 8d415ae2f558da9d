"""The complaint ladder on the server's schedule (docs/architecture.md, "One rule, one place"; rules in
:mod:`accountdesk.domain.feedback`).

Every run, in one write transaction that holds the ``notify`` job lock (one server process at a
time; another one skips its turn):

1. every open complaint or appeal whose level (deadline near, imminent, passed — tiered by
   severity, pauses counted) is above its stored ``escalation_level`` is raised, as a server-made
   change (:class:`merge.Writer`): it gets a sequence number and field history and reaches the
   laptops by pull, like an escalation recorded by a laptop. Levels only go up;
2. the highest level of an open feedback that has not been announced yet (raised here or by a
   laptop) is announced: one message per recipient of the matching rules, recorded in the
   outbox under a unique key ``esc:<feedback>:<level>:<recipient>`` together with the announced
   level, in that same transaction. Nothing is announced twice, however many processes run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Connection

from ...domain.feedback import OPEN_STATUSES, effective_due, escalation_reached_at, feedback_escalation_level
from ...models import Feedback
from ...sync.codec import decode_value, encode_value
from .. import repo
from ..merge import SYSTEM, Writer
from ..settings import Settings
from . import messages, outbox, rules, store
from .settings import NotifySettings, zone

log = logging.getLogger("accountdesk.server.notify")

_TIMES = ("due_at", "paused_since", "received_at")


def parsed(data: dict[str, Any]) -> dict[str, Any]:
    """A feedback record's data with its clock fields as datetimes."""
    out = dict(data)
    for name in _TIMES:
        try:
            out[name] = decode_value(Feedback, name, data.get(name))
        except (TypeError, ValueError):
            out[name] = None
    return out


def directory(conn: Connection, ns: NotifySettings) -> rules.Directory:
    return rules.Directory(store.users_with_prefs(conn), store.channels(conn), ns.language, ns.time_zone)


def escalate(conn: Connection, ns: NotifySettings, now: dt.datetime) -> dict[str, int]:
    """Raise and announce escalations (the caller holds the job lock and commits)."""
    writer = Writer(conn, SYSTEM, Settings())
    marks = store.escalation_marks(conn)
    people = directory(conn, ns)
    all_rules = store.rules(conn)
    smtp = outbox.smtp_channel(list(people.channels.values()))
    clients: dict[str, dict[str, Any] | None] = {}
    raised = announced = 0
    rows: list[dict[str, Any]] = []
    for rec in sorted(store.open_feedback(conn), key=lambda r: r["id"]):
        data = parsed(rec["data"])
        if data.get("status") not in OPEN_STATUSES:
            continue
        stored = int(data.get("escalation_level") or 0)
        level = feedback_escalation_level(data, now)
        if level > stored:
            locked = writer.get(rec["id"], lock=True)  # a push may be changing it
            if locked is None or locked["deleted"]:
                continue
            data = parsed(locked["data"])
            stored = int(data.get("escalation_level") or 0)
            level = feedback_escalation_level(data, now)
            if data.get("status") not in OPEN_STATUSES:
                continue
            if level > stored:
                writer.server_update(
                    locked,
                    {
                        "escalation_level": level,
                        "escalated_at": encode_value(escalation_reached_at(data, level, now)),
                    },
                )
                stored = level
                raised += 1
        if stored <= marks.get(rec["id"], 0):
            continue
        cid = rec["client_id"]
        if cid not in clients:
            client = repo.get_record(conn, cid) if cid else None
            clients[cid] = client if client and not client["deleted"] else None
        client = clients[cid]
        if client is None:
            continue
        rows += _announce(people, all_rules, smtp, client, rec["id"], data, stored, now)
        store.set_escalation_mark(conn, rec["id"], stored, now)
        announced += 1
    added = store.add_messages(conn, rows)
    if raised:
        writer.finish()
    return {"raised": raised, "announced": announced, "messages": added}


def _announce(
    people: rules.Directory,
    all_rules: list[dict[str, Any]],
    smtp: dict[str, Any] | None,
    client: dict[str, Any],
    feedback_id: str,
    data: dict[str, Any],
    level: int,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    tier = client["data"].get("tier")
    due = effective_due(data, now)
    handler = people.active(data.get("handler_id"))
    owner = people.users.get(client["data"].get("owner_id") or "")
    seen: set[str] = set()
    out = []
    ref = {
        "feedback_id": feedback_id,
        "client_id": client["id"],
        "client_name": client["data"].get("name") or "",
        "subject": data.get("subject") or "",
        "severity": data.get("severity"),
        "level": level,
        "due": encode_value(due),
    }
    for rule in all_rules:
        if not rules.matches(rule, "escalation", level, tier, data.get("severity")):
            continue
        for who in people.resolve(rule["recipient"], client=client, feedback=data):
            if who.key in seen:
                continue
            seen.add(who.key)
            tz = zone(people.time_zone_of(who.user))
            message = messages.escalation(
                who.language,
                tz,
                level=level,
                client=client,
                feedback=data,
                due=due,
                now=now,
                handler=handler,
                owner=owner,
            )
            key = f"esc:{feedback_id}:{level}:{who.key}"
            row = outbox.message_row(key, f"escalation:{level}", who, smtp, message, now)
            if row is not None:
                out.append(row)
            alert = outbox.in_app_row(key, f"escalation:{level}", who, ref, now)
            if alert is not None:
                out.append(alert)
    return out
