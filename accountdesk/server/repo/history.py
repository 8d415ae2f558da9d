"""Push batches already answered, the field history and the audit log."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, insert, select

from .. import tables as t
from .base import bulk_insert, utcnow


def stored_batch(conn: Connection, device_id: str, batch_id: str) -> dict[str, Any] | None:
    stmt = select(t.batches.c.result).where(
        t.batches.c.device_id == device_id, t.batches.c.batch_id == batch_id
    )
    result = conn.execute(stmt).scalar()
    if isinstance(result, str):  # stored as its JSON text (see store_batch)
        loaded: dict[str, Any] = orjson.loads(result)
        return loaded
    return result


def store_batch(conn: Connection, device_id: str, batch_id: str, result: dict[str, Any]) -> None:
    """Keep a batch's answer for a device that sends it again. Stored as its JSON text in a JSON
    string (a join's batch answers a thousand items: PostgreSQL parsed each answer into JSONB,
    about as long as it took to write the batch's history); answers stored as objects by
    earlier versions are read as they are."""
    conn.execute(
        insert(t.batches).values(
            device_id=device_id, batch_id=batch_id, result=orjson.dumps(result).decode(), created_at=utcnow()
        )
    )


# -- history and audit -------------------------------------------------------------------------
_HISTORY_COLUMNS = (
    "seq",
    "entity",
    "row_id",
    "client_id",
    "field",
    "old",
    "new",
    "user_id",
    "device_id",
    "at",
    "hidden",
)


def add_history(conn: Connection, entries: list[dict[str, Any]], *, returning: bool = False) -> list[int]:
    if not entries:
        return []
    if returning:
        return list(conn.execute(insert(t.history).returning(t.history.c.id), entries).scalars())
    bulk_insert(conn, t.history, _HISTORY_COLUMNS, entries)
    return []


def history_of(
    conn: Connection, client_id: str, field: str | None, limit: int = 1000
) -> list[dict[str, Any]]:
    stmt = (
        select(t.history, t.users.c.username)
        .select_from(t.history.outerjoin(t.users, t.users.c.id == t.history.c.user_id))
        .where(t.history.c.client_id == client_id)
    )
    if field:
        stmt = stmt.where(t.history.c.field == field)
    stmt = stmt.order_by(t.history.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def audit(
    conn: Connection, action: str, *, user_id: str | None = None, address: str | None = None, **detail: Any
) -> None:
    conn.execute(
        insert(t.audit).values(at=utcnow(), user_id=user_id, action=action, detail=detail, address=address)
    )


def audits(
    conn: Connection, entries: list[tuple[str, dict[str, Any]]], *, user_id: str | None = None
) -> None:
    """Several audit entries (action, detail) of one user in one statement (a join's batch
    brings a hundred handovers)."""
    if entries:
        at = utcnow()
        conn.execute(
            insert(t.audit),
            [{"at": at, "user_id": user_id, "action": a, "detail": d, "address": None} for a, d in entries],
        )


def audit_log(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    stmt = select(t.audit).order_by(t.audit.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]
