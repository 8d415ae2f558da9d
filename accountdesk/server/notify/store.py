"""Every SQL statement of the notification service (routers → logic → repositories)."""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

from sqlalchemy import Connection, delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from ...domain.feedback import OPEN_STATUSES
from .. import tables as t


@overload
def aware(value: dt.datetime) -> dt.datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` with a time zone (a naive one, as SQLite returns them, is UTC)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings()]


# -- job lock ----------------------------------------------------------------------------------
def lock_job(conn: Connection, name: str) -> bool:
    """Lock the job's row until commit; False when another process holds it (PostgreSQL: it is
    running this job now, so this one skips the turn). SQLite's write transaction already
    serialises writers."""
    stmt = select(t.notify_jobs.c.name).where(t.notify_jobs.c.name == name).with_for_update(skip_locked=True)
    if conn.execute(stmt).first() is not None:
        return True
    exists = conn.execute(select(t.notify_jobs.c.name).where(t.notify_jobs.c.name == name)).first()
    if exists is not None:
        return False  # locked by another process
    try:
        with conn.begin_nested():
            conn.execute(insert(t.notify_jobs).values(name=name, last_run=None))
    except IntegrityError:
        return False
    return conn.execute(stmt).first() is not None


def set_job_run(conn: Connection, name: str, at: dt.datetime) -> None:
    conn.execute(update(t.notify_jobs).where(t.notify_jobs.c.name == name).values(last_run=at))


# -- records read by the schedule --------------------------------------------------------------
def live_records(
    conn: Connection, entities: tuple[str, ...], client_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    stmt = select(t.records.c.id, t.records.c.entity, t.records.c.client_id, t.records.c.data).where(
        t.records.c.entity.in_(entities), t.records.c.deleted.is_(False)
    )
    if client_ids is not None:
        if not client_ids:
            return []
        stmt = stmt.where(t.records.c.client_id.in_(client_ids))
    # tuples, not mappings: a RowMapping builds its keys per row, which cost more than the query
    return [{"id": i, "entity": e, "client_id": c, "data": d} for i, e, c, d in conn.execute(stmt)]


def open_feedback(conn: Connection) -> list[dict[str, Any]]:
    """Live open feedback records with a deadline (the schedule checks status and level again).
    The database filters them (a company holds tens of thousands of closed ones: reading and
    parsing every one each minute was a sixth of a core on a 10,000-client server)."""
    statuses = sorted(OPEN_STATUSES)
    marks = ", ".join(f":s{i}" for i in range(len(statuses)))
    if conn.dialect.name == "postgresql":
        cond = f"(srv_records.data ->> 'status') IN ({marks}) AND (srv_records.data ->> 'due_at') IS NOT NULL"
    else:
        cond = (
            f"json_extract(srv_records.data, '$.status') IN ({marks}) "
            "AND json_extract(srv_records.data, '$.due_at') IS NOT NULL"
        )
    stmt = (
        select(t.records.c.id, t.records.c.entity, t.records.c.client_id, t.records.c.data)
        .where(t.records.c.entity == "feedback", t.records.c.deleted.is_(False))
        .where(text(cond).bindparams(**{f"s{i}": s for i, s in enumerate(statuses)}))
    )
    return [{"id": i, "entity": e, "client_id": c, "data": d} for i, e, c, d in conn.execute(stmt)]


def escalation_marks(conn: Connection) -> dict[str, int]:
    return {r.feedback_id: r.level for r in conn.execute(select(t.notify_escalations))}


def set_escalation_mark(conn: Connection, feedback_id: str, level: int, at: dt.datetime) -> None:
    done = conn.execute(
        update(t.notify_escalations)
        .where(t.notify_escalations.c.feedback_id == feedback_id)
        .values(level=level, at=at)
    ).rowcount
    if not done:
        conn.execute(insert(t.notify_escalations).values(feedback_id=feedback_id, level=level, at=at))


# -- users and preferences ---------------------------------------------------------------------
def users_with_prefs(conn: Connection) -> list[dict[str, Any]]:
    """Every user (server table) with the synced record's e-mail and team and the preferences."""
    users = _rows(
        conn.execute(
            select(t.users.c.id, t.users.c.username, t.users.c.display_name, t.users.c.role, t.users.c.active)
        )
    )
    recs = {r["id"]: r["data"] for r in live_records(conn, ("user",))}
    prefs = {r["user_id"]: r for r in _rows(conn.execute(select(t.user_prefs)))}
    for u in users:
        data = recs.get(u["id"], {})
        pref = prefs.get(u["id"], {})
        u.update(
            email=data.get("email"),
            team=data.get("team"),
            language=pref.get("language"),
            time_zone=pref.get("time_zone"),
            digest=pref.get("digest", True),
        )
    return users


def prefs(conn: Connection, user_id: str) -> dict[str, Any]:
    row = conn.execute(select(t.user_prefs).where(t.user_prefs.c.user_id == user_id)).mappings().first()
    return dict(row) if row else {"user_id": user_id, "language": None, "time_zone": None, "digest": True}


def set_prefs(conn: Connection, user_id: str, **values: Any) -> None:
    current = prefs(conn, user_id)
    current.update(values)
    conn.execute(delete(t.user_prefs).where(t.user_prefs.c.user_id == user_id))
    conn.execute(insert(t.user_prefs).values(**current))


# -- channels ----------------------------------------------------------------------------------
def channels(conn: Connection) -> list[dict[str, Any]]:
    return _rows(
        conn.execute(select(t.notify_channels).order_by(t.notify_channels.c.kind, t.notify_channels.c.name))
    )


def channel_by_name(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.notify_channels).where(t.notify_channels.c.name == name)).mappings().first()
    return dict(row) if row else None


def channel_by_id(conn: Connection, channel_id: str) -> dict[str, Any] | None:
    row = (
        conn.execute(select(t.notify_channels).where(t.notify_channels.c.id == channel_id)).mappings().first()
    )
    return dict(row) if row else None


def put_channel(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(
        delete(t.notify_channels).where(
            or_(t.notify_channels.c.id == values["id"], t.notify_channels.c.name == values["name"])
        )
    )
    conn.execute(insert(t.notify_channels).values(**values))


def delete_channel(conn: Connection, name: str) -> bool:
    return bool(conn.execute(delete(t.notify_channels).where(t.notify_channels.c.name == name)).rowcount)


# -- rules -------------------------------------------------------------------------------------
def rules(conn: Connection) -> list[dict[str, Any]]:
    return _rows(conn.execute(select(t.notify_rules).order_by(t.notify_rules.c.id)))


def add_rule(conn: Connection, **values: Any) -> int:
    return int(
        conn.execute(insert(t.notify_rules).values(**values).returning(t.notify_rules.c.id)).scalar_one()
    )


def delete_rule(conn: Connection, rule_id: int) -> bool:
    return bool(conn.execute(delete(t.notify_rules).where(t.notify_rules.c.id == rule_id)).rowcount)


def clear_rules(conn: Connection) -> None:
    conn.execute(delete(t.notify_rules))


# -- outbox ------------------------------------------------------------------------------------
def known_keys(conn: Connection, keys: list[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        out.update(
            conn.execute(select(t.notify_outbox.c.key).where(t.notify_outbox.c.key.in_(chunk))).scalars()
        )
    return out


def add_messages(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert the messages whose key is new; returns how many were added."""
    if not rows:
        return 0
    have = known_keys(conn, [r["key"] for r in rows])
    fresh = [r for r in rows if r["key"] not in have]
    if fresh:
        conn.execute(insert(t.notify_outbox), fresh)
    return len(fresh)


def claim_due(
    conn: Connection, now: dt.datetime, lease_until: dt.datetime, limit: int, ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Take the messages due now (pending, or held by a process whose lease ran out): they are
    marked ``sending`` until ``lease_until``. Rows another process is claiming are skipped."""
    o = t.notify_outbox
    due = or_(o.c.status == "pending", o.c.status == "sending")
    stmt = select(o).where(due, o.c.next_at <= now, or_(o.c.claimed_until.is_(None), o.c.claimed_until < now))
    if ids is not None:
        stmt = stmt.where(o.c.id.in_(ids))
    stmt = stmt.order_by(o.c.next_at, o.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = _rows(conn.execute(stmt))
    if rows:
        conn.execute(
            update(o)
            .where(o.c.id.in_([r["id"] for r in rows]))
            .values(status="sending", claimed_until=lease_until)
        )
    return rows


def message_sent(conn: Connection, message_id: int, at: dt.datetime, attempts: int) -> None:
    conn.execute(
        update(t.notify_outbox)
        .where(t.notify_outbox.c.id == message_id)
        .values(status="sent", sent_at=at, attempts=attempts, claimed_until=None, last_error=None)
    )


def message_failed(
    conn: Connection, message_id: int, *, attempts: int, error: str, dead: bool, next_at: dt.datetime
) -> None:
    conn.execute(
        update(t.notify_outbox)
        .where(t.notify_outbox.c.id == message_id)
        .values(
            status="dead" if dead else "pending",
            attempts=attempts,
            last_error=error[:300],
            next_at=next_at,
            claimed_until=None,
        )
    )


def messages(conn: Connection, *, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    stmt = select(t.notify_outbox)
    if status is not None:
        stmt = stmt.where(t.notify_outbox.c.status == status)
    return _rows(conn.execute(stmt.order_by(t.notify_outbox.c.id.desc()).limit(limit)))


def revive(conn: Connection, ids: list[int], now: dt.datetime) -> list[int]:
    """Dead messages back to pending, due now, with a fresh count of attempts."""
    o = t.notify_outbox
    stmt = update(o).where(o.c.status == "dead")
    if ids:
        stmt = stmt.where(o.c.id.in_(ids))
    rows = conn.execute(
        stmt.values(status="pending", attempts=0, next_at=now, claimed_until=None).returning(o.c.id)
    )
    return [r[0] for r in rows]


# -- calendar feeds ----------------------------------------------------------------------------
def feed_by_hash(conn: Connection, secret_hash: str) -> dict[str, Any] | None:
    row = (
        conn.execute(select(t.calendar_feeds).where(t.calendar_feeds.c.secret_hash == secret_hash))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def feed_of(conn: Connection, user_id: str) -> dict[str, Any] | None:
    row = (
        conn.execute(select(t.calendar_feeds).where(t.calendar_feeds.c.user_id == user_id)).mappings().first()
    )
    return dict(row) if row else None


def set_feed(conn: Connection, user_id: str, secret_hash: str, at: dt.datetime) -> None:
    conn.execute(delete(t.calendar_feeds).where(t.calendar_feeds.c.user_id == user_id))
    conn.execute(insert(t.calendar_feeds).values(user_id=user_id, secret_hash=secret_hash, created_at=at))


def delete_feed(conn: Connection, user_id: str) -> bool:
    return bool(conn.execute(delete(t.calendar_feeds).where(t.calendar_feeds.c.user_id == user_id)).rowcount)


def in_app_alerts(conn: Connection, user_id: str, after: int, limit: int) -> list[dict[str, Any]]:
    """A person's in-app alerts after the id ``after``, oldest first (``outbox.IN_APP`` rows)."""
    o = t.notify_outbox
    stmt = (
        select(o.c.id, o.c.event, o.c.message, o.c.created_at)
        .where(o.c.status == "app", o.c.recipient == f"user:{user_id}", o.c.id > after)
        .order_by(o.c.id)
        .limit(limit)
    )
    return _rows(conn.execute(stmt))
