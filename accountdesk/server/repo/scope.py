"""Scope: which users see which clients now, and the marks left when a user loses one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, bindparam, delete, insert, or_, select, tuple_

from .. import tables as t
from .base import among, bulk_insert, utcnow

_SCOPE_OF = select(t.scope.c.client_id).where(t.scope.c.user_id == bindparam("user_id")).distinct()


def scope_of(conn: Connection, user_id: str) -> list[str]:
    return sorted(conn.execute(_SCOPE_OF, {"user_id": user_id}).scalars())


def in_scope(conn: Connection, user_id: str, client_id: str) -> bool:
    stmt = (
        select(t.scope.c.client_id)
        .where(t.scope.c.user_id == user_id, t.scope.c.client_id == client_id)
        .limit(1)
    )
    return conn.execute(stmt).first() is not None


def formerly_in_scope_until(conn: Connection, user_id: str, client_id: str) -> tuple[int, int | None] | None:
    """When a user lost a client: (wall clock ms, sequence of that change), or None."""
    stmt = select(t.former_scope.c.until_ms, t.former_scope.c.until_seq).where(
        t.former_scope.c.user_id == user_id, t.former_scope.c.client_id == client_id
    )
    row = conn.execute(stmt).first()
    return (row[0], row[1]) if row else None


def scope_users(conn: Connection, client_id: str) -> set[str]:
    rows = conn.execute(select(t.scope.c.user_id).where(t.scope.c.client_id == client_id))
    return {r[0] for r in rows}


def scoped_clients(conn: Connection, user_id: str, client_ids: list[str]) -> set[str]:
    """Which of these clients are in the user's scope now."""
    out: set[str] = set()
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(t.scope.c.client_id).where(
            t.scope.c.user_id == user_id, among(conn, t.scope.c.client_id, ids[start : start + 2000])
        )
        out.update(conn.execute(stmt).scalars())
    return out


def former_marks(conn: Connection, user_id: str, client_ids: list[str]) -> dict[str, tuple[int, int | None]]:
    """client -> (wall clock ms, sequence) of the change that took it from the user."""
    out: dict[str, tuple[int, int | None]] = {}
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(
            t.former_scope.c.client_id, t.former_scope.c.until_ms, t.former_scope.c.until_seq
        ).where(
            t.former_scope.c.user_id == user_id,
            among(conn, t.former_scope.c.client_id, ids[start : start + 2000]),
        )
        out.update({r[0]: (r[1], r[2]) for r in conn.execute(stmt)})
    return out


def losses_seen(
    conn: Connection, user_id: str, device_id: str, client_ids: list[str]
) -> dict[str, dt.datetime]:
    """client -> when the server first served this device a pull after the user lost the client."""
    out: dict[str, dt.datetime] = {}
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(t.loss_seen.c.client_id, t.loss_seen.c.at).where(
            t.loss_seen.c.user_id == user_id,
            t.loss_seen.c.device_id == device_id,
            among(conn, t.loss_seen.c.client_id, ids[start : start + 2000]),
        )
        for client_id, at in conn.execute(stmt):
            out[client_id] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return out


def record_losses_served(conn: Connection, user_id: str, device_id: str, upto: int) -> None:
    """A pull at sequence ``upto`` was served to this device: every scope loss of its user up to
    there is now known to it (the first serve is kept)."""
    seen = select(t.loss_seen.c.client_id).where(
        t.loss_seen.c.user_id == user_id, t.loss_seen.c.device_id == device_id
    )
    new = select(t.former_scope.c.client_id).where(
        t.former_scope.c.user_id == user_id,
        or_(t.former_scope.c.until_seq.is_(None), t.former_scope.c.until_seq <= upto),
        t.former_scope.c.client_id.not_in(seen),
    )
    clients = list(conn.execute(new).scalars())
    if clients:
        now = utcnow()
        conn.execute(
            insert(t.loss_seen),
            [{"client_id": c, "user_id": user_id, "device_id": device_id, "at": now} for c in clients],
        )


def scope_entries_of(conn: Connection, client_ids: list[str]) -> dict[str, set[str]]:
    """client -> the users who see it now."""
    out: dict[str, set[str]] = {c: set() for c in client_ids}
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(t.scope.c.client_id, t.scope.c.user_id).where(
            among(conn, t.scope.c.client_id, ids[start : start + 2000])
        )
        for client_id, user_id in conn.execute(stmt):
            out[client_id].add(user_id)
    return out


def apply_scopes(
    conn: Connection, scopes: dict[str, set[tuple[str, str]]], seqs: dict[str, int | None], now_ms: int
) -> None:
    """Set the scope rows of these clients (client -> {(user, kind)}); users who lose one keep a
    grace mark for older edits (the time and the sequence ``seqs[client]`` of the change that
    took it away, which must be final); users who regain one lose their mark."""
    if not scopes:
        return
    clients = sorted(scopes)
    before = scope_entries_of(conn, clients)
    for start in range(0, len(clients), 2000):
        conn.execute(delete(t.scope).where(among(conn, t.scope.c.client_id, clients[start : start + 2000])))
    rows = [{"client_id": c, "user_id": u, "kind": k} for c in clients for u, k in sorted(scopes[c])]
    bulk_insert(conn, t.scope, ("client_id", "user_id", "kind"), rows)
    lost, regained = [], []
    for c in clients:
        after = {u for u, _k in scopes[c]}
        lost += [(c, u) for u in sorted(before[c] - after)]
        regained += [(c, u) for u in sorted(after - before[c])]
    fresh = [c for c in clients if not before[c]]  # nobody saw them: marks only if everyone lost them
    marked = (
        set().union(*(_marked(conn, fresh[i : i + 2000]) for i in range(0, len(fresh), 2000)))
        if fresh
        else set()
    )
    pairs = [(c, u) for c, u in lost + regained if before[c] or c in marked]
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        conn.execute(
            delete(t.former_scope).where(
                tuple_(t.former_scope.c.client_id, t.former_scope.c.user_id).in_(chunk)
            )
        )
        conn.execute(
            delete(t.loss_seen).where(tuple_(t.loss_seen.c.client_id, t.loss_seen.c.user_id).in_(chunk))
        )
    bulk_insert(
        conn,
        t.former_scope,
        ("client_id", "user_id", "until_ms", "until_seq"),
        [{"client_id": c, "user_id": u, "until_ms": now_ms, "until_seq": seqs.get(c)} for c, u in lost],
    )


def _marked(conn: Connection, client_ids: list[str]) -> set[str]:
    """Clients with any scope-loss mark (a client nobody has seen yet has none)."""
    stmt = (
        select(t.former_scope.c.client_id)
        .where(among(conn, t.former_scope.c.client_id, client_ids))
        .distinct()
    )
    return set(conn.execute(stmt).scalars())


def replace_scope(
    conn: Connection, client_id: str, entries: set[tuple[str, str]], now_ms: int, seq: int | None = None
) -> None:
    """:func:`apply_scopes` for one client."""
    apply_scopes(conn, {client_id: entries}, {client_id: seq}, now_ms)
