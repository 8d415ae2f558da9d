"""Users, devices and tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from .. import tables as t
from .base import utcnow


def user_by_name(conn: Connection, username: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.users).where(t.users.c.username == username)).mappings().first()
    return dict(row) if row else None


def user_by_id(conn: Connection, user_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.users).where(t.users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def list_users(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(t.users).order_by(t.users.c.username)).mappings()]


def insert_user(conn: Connection, **values: Any) -> None:
    conn.execute(insert(t.users).values(**values))


def set_user_active(conn: Connection, user_id: str, active: bool) -> None:
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(active=active))


def device(conn: Connection, device_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.devices).where(t.devices.c.id == device_id)).mappings().first()
    return dict(row) if row else None


def upsert_device(conn: Connection, device_id: str, user_id: str, name: str) -> None:
    now = utcnow()
    if device(conn, device_id) is None:
        conn.execute(
            insert(t.devices).values(
                id=device_id,
                user_id=user_id,
                name=name,
                created_at=now,
                last_seen=now,
                first_seq=select(t.counter.c.seq).where(t.counter.c.id == 1).scalar_subquery(),
            )
        )
    else:
        conn.execute(
            update(t.devices)
            .where(t.devices.c.id == device_id)
            .values(user_id=user_id, last_seen=now, name=name or t.devices.c.name)
        )


def device_first_seq(conn: Connection, device_id: str) -> int | None:
    return conn.execute(select(t.devices.c.first_seq).where(t.devices.c.id == device_id)).scalar()


def list_devices(conn: Connection) -> list[dict[str, Any]]:
    stmt = select(t.devices, t.users.c.username).select_from(
        t.devices.outerjoin(t.users, t.users.c.id == t.devices.c.user_id)
    )
    return [dict(r) for r in conn.execute(stmt.order_by(t.devices.c.created_at)).mappings()]


def revoke_devices(conn: Connection, *, device_id: str | None = None, user_id: str | None = None) -> int:
    now = utcnow()
    cond = t.devices.c.id == device_id if device_id else t.devices.c.user_id == user_id
    n = conn.execute(
        update(t.devices).where(cond, t.devices.c.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount
    tcond = t.tokens.c.device_id == device_id if device_id else t.tokens.c.user_id == user_id
    conn.execute(update(t.tokens).where(tcond, t.tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    return n


#: Built once (every request runs it; a statement built per call cost more than the query).
_TOKEN_HOLDER = (
    select(
        t.tokens.c.kind,
        t.tokens.c.user_id,
        t.tokens.c.device_id,
        t.tokens.c.expires_at,
        t.tokens.c.revoked_at,
        t.devices.c.id.label("device_found"),
        t.devices.c.revoked_at.label("device_revoked_at"),
        t.users.c.username,
        t.users.c.role,
        t.users.c.active,
    )
    .select_from(
        t.tokens.outerjoin(t.devices, t.devices.c.id == t.tokens.c.device_id).outerjoin(
            t.users, t.users.c.id == t.tokens.c.user_id
        )
    )
    .where(t.tokens.c.token_hash == bindparam("token_hash"))
)


def token_holder(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """A token with its device's revocation and its user (every request checks all three: one
    query rather than three)."""
    row = conn.execute(_TOKEN_HOLDER, {"token_hash": token_hash}).mappings().first()
    return dict(row) if row else None
