"""Login, refresh, and the identity behind an access token."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Connection

from ..sync import protocol as p
from . import repo
from .db import Database
from .errors import ServerError
from .security import DUMMY_HASH, new_token, token_hash, verify_password
from .settings import Settings

log = logging.getLogger("accountdesk.server")


@dataclass(frozen=True)
class Identity:
    user_id: str
    username: str
    role: str
    device_id: str


def aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _issue(conn: Connection, settings: Settings, user: dict, device_id: str) -> p.TokenPair:
    now = repo.utcnow()
    access, refresh = new_token(), new_token()
    repo.add_token(conn, token_hash(access), "access", user["id"], device_id, now + dt.timedelta(seconds=settings.access_ttl_s))
    repo.add_token(conn, token_hash(refresh), "refresh", user["id"], device_id, now + dt.timedelta(seconds=settings.refresh_ttl_s))
    return p.TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_ttl_s,
        user=p.UserInfo(id=user["id"], username=user["username"], display_name=user["display_name"], role=user["role"]),
    )


def _check_device(conn: Connection, device_id: str, user_id: str) -> None:
    dev = repo.device(conn, device_id)
    if dev is not None and dev["revoked_at"] is not None:
        raise ServerError(403, p.E_DEVICE_REVOKED, "This device has been revoked.")
    if dev is not None and dev["user_id"] != user_id:
        # a laptop changing hands must be wiped first: its store holds another user's scope
        raise ServerError(403, p.E_FORBIDDEN, "This device belongs to another user.")


def login(db: Database, settings: Settings, req: p.LoginRequest, address: str) -> p.TokenPair:
    key = f"{req.username.lower()}|{address}"
    since = repo.utcnow() - dt.timedelta(seconds=settings.login_window_s)
    with db.write() as conn:
        if repo.recent_failures(conn, key, since) >= settings.login_attempts:
            repo.audit(conn, "login_throttled", address=address, username=req.username)
            raise ServerError(429, p.E_RATE_LIMITED, "Too many failed logins; try again in a few minutes.")
        user = repo.user_by_name(conn, req.username)
        ok = verify_password(user["password_hash"] if user else DUMMY_HASH, req.password)
        if not ok or user is None:
            repo.add_failure(conn, key)
            repo.audit(conn, "login_failed", address=address, username=req.username)
            failed = True
        else:
            failed = False
    if failed:  # the failure must be committed before answering
        raise ServerError(401, p.E_BAD_CREDENTIALS, "Wrong user name or password.")
    with db.write() as conn:
        _check_device(conn, req.device_id, user["id"])  # a revoked laptop learns it must wipe
        if not user["active"]:
            repo.audit(conn, "login_refused", user_id=user["id"], address=address, reason="deactivated")
            raise ServerError(403, p.E_USER_DEACTIVATED, "This user has been deactivated.")
        repo.clear_failures(conn, key)
        repo.upsert_device(conn, req.device_id, user["id"], req.device_name)
        repo.audit(conn, "login", user_id=user["id"], address=address, device_id=req.device_id)
        repo.purge_expired_tokens(conn)
        return _issue(conn, settings, user, req.device_id)


def refresh(db: Database, settings: Settings, req: p.RefreshRequest) -> p.TokenPair:
    with db.write() as conn:
        row = repo.token(conn, token_hash(req.refresh_token))
        if row is None or row["kind"] != "refresh" or row["device_id"] != req.device_id:
            raise ServerError(401, p.E_TOKEN_INVALID, "Please log in again.")
        dev = repo.device(conn, row["device_id"])
        if dev is not None and dev["revoked_at"] is not None:
            raise ServerError(403, p.E_DEVICE_REVOKED, "This device has been revoked.")
        user = repo.user_by_id(conn, row["user_id"])
        if user is None or not user["active"]:
            raise ServerError(403, p.E_USER_DEACTIVATED, "This user has been deactivated.")
        if row["revoked_at"] is not None or aware(row["expires_at"]) < repo.utcnow():
            raise ServerError(401, p.E_TOKEN_EXPIRED, "Please log in again.")
        repo.revoke_token(conn, row["token_hash"])  # rotation: a refresh token works once
        repo.upsert_device(conn, row["device_id"], user["id"], "")
        return _issue(conn, settings, user, row["device_id"])


def identify(conn: Connection, token: str | None) -> Identity:
    if not token:
        raise ServerError(401, p.E_TOKEN_INVALID, "Log in first.")
    row = repo.token_holder(conn, token_hash(token))
    if row is None or row["kind"] != "access":
        raise ServerError(401, p.E_TOKEN_INVALID, "Log in first.")
    if row["device_found"] is None or row["device_revoked_at"] is not None:
        raise ServerError(403, p.E_DEVICE_REVOKED, "This device has been revoked.")
    if row["username"] is None or not row["active"]:
        raise ServerError(403, p.E_USER_DEACTIVATED, "This user has been deactivated.")
    if row["revoked_at"] is not None or aware(row["expires_at"]) < repo.utcnow():
        raise ServerError(401, p.E_TOKEN_EXPIRED, "The access token has expired.")
    return Identity(row["user_id"], row["username"], row["role"], row["device_id"])
