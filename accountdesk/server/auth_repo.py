"""Repositories of sign-ins: failed logins, lockouts, token families, device keys and the
pruning that keeps the login tables bounded. (Users, devices and the token lookup of every
request stay in :mod:`repo`.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from . import tables as t

#: audit actions that an attacker can make in bulk: pruned by age and by number
LOGIN_NOISE = ("login_failed", "login_throttled", "login_locked")


# -- failed logins and lockouts -----------------------------------------------------------------
def active_locks(conn: Connection, keys: list[str], now: dt.datetime) -> dict[str, dt.datetime]:
    """The keys among ``keys`` that are locked now, with the end of their lockout."""
    stmt = select(t.login_locks.c.key, t.login_locks.c.until).where(
        t.login_locks.c.key.in_(keys), t.login_locks.c.until > now
    )
    return {key: _aware(until) for key, until in conn.execute(stmt).all()}


def add_failures(conn: Connection, keys: list[str], now: dt.datetime) -> None:
    conn.execute(insert(t.login_failures), [{"key": key, "at": now} for key in keys])


def count_failures(conn: Connection, key: str, since: dt.datetime) -> int:
    stmt = (
        select(func.count())
        .select_from(t.login_failures)
        .where(t.login_failures.c.key == key, t.login_failures.c.at >= since)
    )
    return conn.execute(stmt).scalar_one()


def clear_failures(conn: Connection, keys: list[str]) -> None:
    conn.execute(delete(t.login_failures).where(t.login_failures.c.key.in_(keys)))


def lock(conn: Connection, key: str, kind: str, now: dt.datetime, base_s: int) -> dt.datetime:
    """Lock ``key`` from now: ``base_s`` seconds, twice as long for each lockout of the same key
    that started within the last day (at most a day). Returns the end of the lockout."""
    row = (
        conn.execute(select(t.login_locks).where(t.login_locks.c.key == key).with_for_update())
        .mappings()
        .first()
    )
    strikes = 1
    if row is not None and _aware(row["since"]) > now - dt.timedelta(days=1):
        strikes = int(row["strikes"]) + 1
    until = now + dt.timedelta(seconds=min(base_s * 2 ** min(strikes - 1, 16), 86400))
    values = {"kind": kind, "since": now, "until": until, "strikes": strikes}
    if row is None:
        conn.execute(insert(t.login_locks).values(key=key, **values))
    else:
        conn.execute(update(t.login_locks).where(t.login_locks.c.key == key).values(**values))
    return until


def lift(conn: Connection, keys: list[str]) -> int:
    """End the lockouts of ``keys`` and forget their failed logins; returns how many were locked."""
    now = dt.datetime.now(dt.UTC)
    n = conn.execute(
        delete(t.login_locks).where(t.login_locks.c.key.in_(keys), t.login_locks.c.until > now)
    ).rowcount
    conn.execute(delete(t.login_locks).where(t.login_locks.c.key.in_(keys)))
    clear_failures(conn, keys)
    return n


def list_locks(conn: Connection, now: dt.datetime) -> list[dict[str, Any]]:
    stmt = select(t.login_locks).where(t.login_locks.c.until > now).order_by(t.login_locks.c.until)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def prune_failures(conn: Connection, before: dt.datetime) -> None:
    """Failed logins older than the window count for nothing; lockouts a day past their end
    no longer lengthen the next one."""
    conn.execute(delete(t.login_failures).where(t.login_failures.c.at < before))
    conn.execute(delete(t.login_locks).where(t.login_locks.c.until < before - dt.timedelta(days=1)))


def prune_login_audit(conn: Connection, *, keep_rows: int, before: dt.datetime) -> int:
    """Drop audit rows of failed, throttled and locked logins older than ``before`` and beyond
    the newest ``keep_rows`` of them (other audit rows are never pruned)."""
    noise = t.audit.c.action.in_(LOGIN_NOISE)
    n = conn.execute(delete(t.audit).where(noise, t.audit.c.at < before)).rowcount
    cutoff = conn.execute(
        select(t.audit.c.id).where(noise).order_by(t.audit.c.id.desc()).offset(max(keep_rows, 0)).limit(1)
    ).scalar()
    if cutoff is not None:
        n += conn.execute(delete(t.audit).where(noise, t.audit.c.id <= cutoff)).rowcount
    return n


# -- token families ------------------------------------------------------------------------------
def add_family(
    conn: Connection, family_id: str, user_id: str, device_id: str, now: dt.datetime, expires_at: dt.datetime
) -> None:
    conn.execute(
        insert(t.token_families).values(
            id=family_id, user_id=user_id, device_id=device_id, created_at=now, expires_at=expires_at
        )
    )


def family(conn: Connection, family_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.token_families).where(t.token_families.c.id == family_id)).mappings().first()
    return dict(row) if row else None


def add_token(
    conn: Connection,
    token_hash: str,
    kind: str,
    user_id: str,
    device_id: str,
    family_id: str,
    expires_at: dt.datetime,
) -> None:
    conn.execute(
        insert(t.tokens).values(
            token_hash=token_hash,
            kind=kind,
            user_id=user_id,
            device_id=device_id,
            family_id=family_id,
            expires_at=expires_at,
        )
    )


def token_kind(conn: Connection, token_hash: str) -> str | None:
    return conn.execute(select(t.tokens.c.kind).where(t.tokens.c.token_hash == token_hash)).scalar()


def token_for_update(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """A token, locked until commit (two refreshes with the same token run one after the other)."""
    row = (
        conn.execute(select(t.tokens).where(t.tokens.c.token_hash == token_hash).with_for_update())
        .mappings()
        .first()
    )
    return dict(row) if row else None


def revoke_family_tokens(conn: Connection, family_id: str, now: dt.datetime) -> int:
    """Revoke every live token of a sign-in (at rotation: the old refresh and access tokens)."""
    return conn.execute(
        update(t.tokens)
        .where(t.tokens.c.family_id == family_id, t.tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount


def end_family(conn: Connection, family_id: str, reason: str, now: dt.datetime) -> int:
    """End a sign-in: the family and every token it issued. Returns the number of tokens revoked."""
    conn.execute(
        update(t.token_families)
        .where(t.token_families.c.id == family_id, t.token_families.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return revoke_family_tokens(conn, family_id, now)


def purge_expired(conn: Connection, now: dt.datetime) -> None:
    """Tokens and sign-ins a day past their end (a refresh token stays until then, so that its
    reuse is still recognised)."""
    old = now - dt.timedelta(days=1)
    conn.execute(delete(t.tokens).where(t.tokens.c.expires_at < old))
    gone = select(t.token_families.c.id).where(t.token_families.c.expires_at < old)
    conn.execute(delete(t.tokens).where(t.tokens.c.family_id.in_(gone)))
    conn.execute(delete(t.token_families).where(t.token_families.c.expires_at < old))


# -- devices -------------------------------------------------------------------------------------
def revoke_farewells(conn: Connection, device_id: str, now: dt.datetime) -> None:
    """End the farewell grants of a device still live (a new one replaces them)."""
    conn.execute(
        update(t.tokens)
        .where(
            t.tokens.c.device_id == device_id, t.tokens.c.kind == "farewell", t.tokens.c.revoked_at.is_(None)
        )
        .values(revoked_at=now)
    )


def end_farewell(conn: Connection, device_id: str, now: dt.datetime) -> None:
    """A device's farewell is over: its grants end and none is given again."""
    revoke_farewells(conn, device_id, now)
    conn.execute(
        update(t.devices)
        .where(t.devices.c.id == device_id, t.devices.c.farewell_at.is_(None))
        .values(farewell_at=now)
    )


def set_device_key(conn: Connection, device_id: str, key_hash: str | None) -> None:
    conn.execute(update(t.devices).where(t.devices.c.id == device_id).values(key_hash=key_hash))


def device_ids_of(conn: Connection, user_id: str) -> list[str]:
    return list(conn.execute(select(t.devices.c.id).where(t.devices.c.user_id == user_id)).scalars())


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
