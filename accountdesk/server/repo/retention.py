"""Tombstone retention: the purge horizon, the tombstones to purge, and the purge log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, exists, func, insert, select

from .. import tables as t
from .base import utcnow


def purge_horizon(conn: Connection) -> int:
    """The highest sequence purged so far (0: nothing ever purged)."""
    return conn.execute(select(func.max(t.purges.c.horizon))).scalar() or 0


def last_purge_at(conn: Connection) -> dt.datetime | None:
    at = conn.execute(select(func.max(t.purges.c.at))).scalar()
    if at is not None and at.tzinfo is None:  # SQLite gives naive UTC
        at = at.replace(tzinfo=dt.UTC)
    return at


def tombstones(conn: Connection) -> list[dict[str, Any]]:
    """Every tombstone, locked until commit; one that a push in flight has locked is left out
    (the push holds it while it waits for the counter, which the purge holds: waiting for it
    would deadlock). The next purge takes it."""
    stmt = select(
        t.records.c.id, t.records.c.entity, t.records.c.client_id, t.records.c.seq, t.records.c.data
    ).where(t.records.c.deleted.is_(True))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def delete_records(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Hard-delete records and the per-row state that goes with them (a client's scope marks);
    the field history stays."""
    ids = [r["id"] for r in rows]
    clients = [r["id"] for r in rows if r["entity"] == "client"]
    for start in range(0, len(ids), 500):
        conn.execute(delete(t.records).where(t.records.c.id.in_(ids[start : start + 500])))
    for start in range(0, len(clients), 500):
        chunk = clients[start : start + 500]
        conn.execute(delete(t.scope).where(t.scope.c.client_id.in_(chunk)))
        conn.execute(delete(t.former_scope).where(t.former_scope.c.client_id.in_(chunk)))


def add_purge(conn: Connection, *, older_than_s: int, purged: int, horizon: int) -> None:
    conn.execute(
        insert(t.purges).values(at=utcnow(), older_than_s=older_than_s, purged=purged, horizon=horizon)
    )


def purge_batch_answers(conn: Connection, cutoff: dt.datetime) -> int:
    """Forget the answers of push batches stored before ``cutoff`` that their device has since
    followed with a later batch. A laptop sends its next batch only once it holds the answer of the
    last one (it sends a batch it has no answer for again first), so such an answer is never asked
    for again; each device's newest answer stays, whatever its age. Returns how many went."""
    later = t.batches.alias("later")
    followed = exists(
        select(later.c.batch_id).where(
            later.c.device_id == t.batches.c.device_id, later.c.created_at > t.batches.c.created_at
        )
    )
    result = conn.execute(delete(t.batches).where(t.batches.c.created_at <= cutoff, followed))
    return int(result.rowcount or 0)
