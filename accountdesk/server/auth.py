"""Login, refresh, and the identity behind an access token.

A login is refused before any password is checked when its account or its address is locked
out (``login_attempts`` failures per account, ``login_address_attempts`` per address within
``login_window_s``); the address is the peer's, or what a configured trusted proxy says it
forwarded for (``Settings.trusted_proxies``, none by default). The user's own laptop — a device
registered to them that proves it with the key it made at its first login — passes those
lockouts with the right password, and has its own, smaller, limit. Password checks run a bounded
number at a time (:class:`security.HashGate`). Failed, throttled and refused logins are audited,
in their own committed transaction. Throttled attempts are audited once per key and minute with
their count, so a flood writes (almost) nothing.

Tokens: a login starts a *family*; each refresh rotates the refresh token and revokes every
earlier token of the family (the old access token included). A refresh token presented a second
time — stolen, or replayed — ends the whole family: the pair it already issued stops working
too. A family ends ``session_days`` after its login in any case.

Farewell (issue 13): a revoked device — its user deactivated, or the device itself revoked — is
told so at its next sign-in, and that refusal carries a *farewell grant* while the server permits
one: a short-lived token of kind ``farewell`` that pushes, once, what the device had not sent
(:mod:`.farewell`), and does nothing else. It is granted to the device's refresh token that was
live at the revocation (not rotated away before it), or to its user's password, within
``farewell_days`` of the revocation and until the device ends its farewell.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, NoReturn, overload

from sqlalchemy import Connection

from ..models import new_id
from ..sync import protocol as p
from . import auth_repo, repo
from .db import Database
from .errors import ServerError
from .security import DUMMY_HASH, Busy, HashGate, new_token, token_hash, verify_password
from .settings import Settings

log = logging.getLogger("accountdesk.server")

ACCOUNT, ADDRESS, DEVICE = "account", "address", "device"


#: How long a farewell grant's token works (the device asks again at its next contact).
FAREWELL_TTL_S = 1800


@dataclass(frozen=True)
class Identity:
    user_id: str
    username: str
    role: str
    device_id: str
    #: a farewell's identity (:func:`identify_farewell`): the revocation of its device, before
    #: which whatever it pushes must have been written
    farewell_before: dt.datetime | None = None


@overload
def aware(value: dt.datetime) -> dt.datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` with a time zone (a naive one, as SQLite returns them, is UTC)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def lock_key(kind: str, value: str) -> str:
    return f"{kind}:{value.casefold() if kind == ACCOUNT else value}"[:200]


def storable_address(address: str) -> str:
    """An address as it may be stored and shown (a proxy may forward anything)."""
    return "".join(c for c in address if " " < c < "\x7f")[:64] or "?"


def _issue(
    conn: Connection,
    settings: Settings,
    user: dict[str, Any],
    device_id: str,
    family_id: str,
    family_ends: dt.datetime,
) -> p.TokenPair:
    now = repo.utcnow()
    access, refresh = new_token(), new_token()
    access_ends = min(now + dt.timedelta(seconds=settings.access_ttl_s), family_ends)
    auth_repo.add_token(conn, token_hash(access), "access", user["id"], device_id, family_id, access_ends)
    auth_repo.add_token(
        conn,
        token_hash(refresh),
        "refresh",
        user["id"],
        device_id,
        family_id,
        min(now + dt.timedelta(seconds=settings.refresh_ttl_s), family_ends),
    )
    return p.TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=max(1, int((access_ends - now).total_seconds())),
        user=p.UserInfo(
            id=user["id"], username=user["username"], display_name=user["display_name"], role=user["role"]
        ),
    )


class ThrottleAudit:
    """Throttled logins are audited per lockout key: the first at once, the next ones as one row
    with their count per minute (per process). A flood of refused logins thus costs no write."""

    EVERY_S = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, list[float]] = {}  # key -> [last audit (monotonic), refused since]

    def note(self, key: str) -> int:
        """Count a throttled login; returns how many to audit now (0: not yet)."""
        now = time.monotonic()
        with self._lock:
            entry = self._seen.get(key)
            if entry is None:
                if len(self._seen) > 10_000:  # keys not seen for a while
                    self._seen = {k: v for k, v in self._seen.items() if now - v[0] < 600}
                self._seen[key] = [now, 0]
                return 1
            entry[1] += 1
            if now - entry[0] < self.EVERY_S:
                return 0
            count, entry[0], entry[1] = int(entry[1]), now, 0
            return count

    def drain(self) -> dict[str, int]:
        with self._lock:
            pending = {k: int(v[1]) for k, v in self._seen.items() if v[1]}
            self._seen.clear()
        return pending


class Logins:
    """The login and refresh logic of one serving process (its hashing gate and throttle audit)."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self.gate = HashGate(settings.login_hashers, settings.login_queue, settings.login_wait_s)
        self.throttled = ThrottleAudit()
        self._noise = 0
        self._noise_lock = threading.Lock()

    # -- login ---------------------------------------------------------------------------------
    def login(self, req: p.LoginRequest, peer: str) -> p.TokenPair:
        address = storable_address(peer)
        now = repo.utcnow()
        account, by_address, by_device = (
            lock_key(ACCOUNT, req.username),
            lock_key(ADDRESS, address),
            lock_key(DEVICE, req.device_id),
        )
        # cheap checks first: a locked account or address costs one read, never a password check
        with self.db.read() as conn:
            locks = auth_repo.active_locks(conn, [account, by_address, by_device], now)
            user = repo.user_by_name(conn, req.username)
            dev = repo.device(conn, req.device_id)
        known = self._known_device(user, dev, req.device_key)
        # the user's own laptop passes the account's and the address's lockouts, not its own
        locked = [k for k in ([by_device] if known else [account, by_address]) if k in locks]
        if locked:
            self._throttled(locked[0], req, address, max(locks[k] for k in locked), now)
        try:
            ok = (
                self.gate.run(verify_password, user["password_hash"] if user else DUMMY_HASH, req.password)
                and user is not None
            )
        except Busy:
            raise ServerError(
                503,
                p.E_UNAVAILABLE,
                "The server is busy; try again in a moment.",
                headers={"Retry-After": "5"},
            ) from None
        if not ok or user is None:  # (``ok`` only with a user)
            self._failed(req, address, [by_device] if known else [account, by_address], now, known)
        return self._succeeded(req, user, address, known, account, by_device, now)

    @staticmethod
    def _known_device(user: dict[str, Any] | None, dev: dict[str, Any] | None, key: str | None) -> bool:
        """The user's own device, proven by the key it made at its first login."""
        return bool(
            user is not None
            and dev is not None
            and key
            and dev["user_id"] == user["id"]
            and dev["revoked_at"] is None
            and dev["key_hash"]
            and hmac.compare_digest(dev["key_hash"], token_hash(key))
        )

    def _throttled(
        self, key: str, req: p.LoginRequest, address: str, until: dt.datetime, now: dt.datetime
    ) -> None:
        count = self.throttled.note(key)
        if count:
            with self.db.write() as conn:
                repo.audit(
                    conn,
                    "login_throttled",
                    address=address,
                    username=req.username,
                    lock=key.split(":", 1)[0],
                    refused=count,
                )
        wait = max(1, int((until - now).total_seconds()) + 1)
        raise ServerError(
            429,
            p.E_RATE_LIMITED,
            "Too many failed logins; try again later.",
            headers={"Retry-After": str(wait)},
        )

    def _failed(
        self, req: p.LoginRequest, address: str, keys: list[str], now: dt.datetime, known: bool
    ) -> NoReturn:
        s = self.settings
        limits = {
            ACCOUNT: s.login_attempts,
            ADDRESS: s.login_address_attempts,
            DEVICE: s.login_device_attempts,
        }
        with self.db.write() as conn:  # committed before the answer, whatever follows
            auth_repo.add_failures(conn, keys, now)
            repo.audit(
                conn,
                "login_failed",
                address=address,
                username=req.username,
                device_id=req.device_id,
                own_device=known or None,
            )
            since = now - dt.timedelta(seconds=s.login_window_s)
            for key in keys:
                kind = key.split(":", 1)[0]
                if auth_repo.count_failures(conn, key, since) >= limits[kind]:
                    until = auth_repo.lock(conn, key, kind, now, s.login_lockout_s)
                    repo.audit(
                        conn,
                        "login_locked",
                        address=address,
                        username=req.username,
                        lock=kind,
                        until=until.isoformat(timespec="seconds"),
                    )
            auth_repo.prune_failures(conn, since)
            if self._noise_due():
                self.prune_audit(conn, now)
        raise ServerError(401, p.E_BAD_CREDENTIALS, "Wrong user name or password.")

    def _succeeded(
        self,
        req: p.LoginRequest,
        user: dict[str, Any],
        address: str,
        known: bool,
        account: str,
        by_device: str,
        now: dt.datetime,
    ) -> p.TokenPair:
        problem: ServerError | None = None
        with self.db.write() as conn:
            dev = repo.device(conn, req.device_id)
            if dev is not None and dev["revoked_at"] is not None:  # a revoked laptop learns it must wipe
                # (its user's password proves it may first send what it had not pushed)
                grant = (
                    farewell_grant(conn, self.settings, dev, now, address)
                    if dev["user_id"] == user["id"]
                    else None
                )
                problem = revoked(grant)
            elif dev is not None and dev["user_id"] != user["id"]:
                # a laptop changing hands must be wiped first: its store holds another user's scope
                problem = ServerError(403, p.E_FORBIDDEN, "This device belongs to another user.")
            elif not user["active"]:
                problem = ServerError(403, p.E_USER_DEACTIVATED, "This user has been deactivated.")
            if problem is not None:
                repo.audit(
                    conn,
                    "login_refused",
                    user_id=user["id"],
                    address=address,
                    device_id=req.device_id,
                    reason=problem.code,
                )
            else:
                auth_repo.clear_failures(conn, [by_device] if known else [account, by_device])
                repo.upsert_device(conn, req.device_id, user["id"], req.device_name)
                if (
                    not known and req.device_key
                ):  # a new laptop, or one that lost its key: the password proved it
                    auth_repo.set_device_key(conn, req.device_id, token_hash(req.device_key))
                repo.audit(
                    conn,
                    "login",
                    user_id=user["id"],
                    address=address,
                    device_id=req.device_id,
                    own_device=known or None,
                )
                auth_repo.purge_expired(conn, now)
                family, ends = new_id(), now + dt.timedelta(days=self.settings.session_days)
                auth_repo.add_family(conn, family, user["id"], req.device_id, now, ends)
                pair = _issue(conn, self.settings, user, req.device_id, family, ends)
        if problem is not None:
            raise problem
        return pair

    # -- refresh -------------------------------------------------------------------------------
    def refresh(self, req: p.RefreshRequest, peer: str) -> p.TokenPair:
        address = storable_address(peer)
        now = repo.utcnow()
        problem: ServerError | None = None
        ended = "Please sign in again."
        with self.db.read() as conn:  # a flood of made-up tokens costs reads, never the writer's lock
            if auth_repo.token_kind(conn, token_hash(req.refresh_token)) != "refresh":
                raise ServerError(401, p.E_TOKEN_INVALID, ended)
        with self.db.write() as conn:
            row = auth_repo.token_for_update(conn, token_hash(req.refresh_token))
            dev = repo.device(conn, row["device_id"]) if row is not None else None
            user = repo.user_by_id(conn, row["user_id"]) if row is not None else None
            fam = auth_repo.family(conn, row["family_id"]) if row is not None else None
            if row is None or row["kind"] != "refresh":
                problem = ServerError(401, p.E_TOKEN_INVALID, ended)
            elif row["device_id"] != req.device_id:
                problem = self._end(conn, row, fam, "wrong_device", address, now)
            elif dev is not None and dev["revoked_at"] is not None:  # the laptop learns it must wipe
                # first sending what it had not pushed, when this token was live at the revocation
                live = row["revoked_at"] is None or aware(row["revoked_at"]) >= aware(dev["revoked_at"])
                live = live and aware(row["expires_at"]) > aware(dev["revoked_at"])
                live = live and (
                    fam is None
                    or fam["revoked_at"] is None
                    or aware(fam["revoked_at"]) >= aware(dev["revoked_at"])
                )
                problem = revoked(farewell_grant(conn, self.settings, dev, now, address) if live else None)
            elif user is None or not user["active"]:
                problem = ServerError(403, p.E_USER_DEACTIVATED, "This user has been deactivated.")
            elif row["revoked_at"] is not None:
                problem = self._end(conn, row, fam, "reuse", address, now)
            elif fam is None or fam["revoked_at"] is not None:
                problem = ServerError(401, p.E_TOKEN_INVALID, ended)
            elif aware(fam["expires_at"]) <= now:
                auth_repo.end_family(conn, fam["id"], "expired", now)
                repo.audit(
                    conn, "session_expired", user_id=user["id"], address=address, device_id=row["device_id"]
                )
                problem = ServerError(
                    401,
                    p.E_TOKEN_EXPIRED,
                    "This sign-in is older than the server allows; please sign in again.",
                )
            elif aware(row["expires_at"]) < now:
                problem = ServerError(401, p.E_TOKEN_EXPIRED, ended)
            else:
                auth_repo.revoke_family_tokens(conn, fam["id"], now)  # rotation: the old pair dies
                repo.upsert_device(conn, row["device_id"], user["id"], "")
                pair = _issue(
                    conn, self.settings, user, row["device_id"], fam["id"], aware(fam["expires_at"])
                )
        if problem is not None:
            raise problem
        return pair

    @staticmethod
    def _end(
        conn: Connection,
        row: dict[str, Any],
        fam: dict[str, Any] | None,
        reason: str,
        address: str,
        now: dt.datetime,
    ) -> ServerError:
        """A refresh token used before (rotated) or shown by another device: whoever holds it,
        its sign-in is over, and the tokens issued since stop working too."""
        if fam is not None and fam["revoked_at"] is None:
            n = auth_repo.end_family(conn, row["family_id"], reason, now)
            repo.audit(
                conn,
                "token_reuse",
                user_id=row["user_id"],
                address=address,
                device_id=row["device_id"],
                reason=reason,
                revoked=n,
            )
        return ServerError(401, p.E_TOKEN_INVALID, "Please sign in again.")

    # -- bounded tables ------------------------------------------------------------------------
    def _noise_due(self) -> bool:
        every = max(1, min(256, self.settings.audit_login_rows // 10))
        with self._noise_lock:
            self._noise += 1
            if self._noise < every:
                return False
            self._noise = 0
            return True

    def prune_audit(self, conn: Connection, now: dt.datetime) -> int:
        return auth_repo.prune_login_audit(
            conn,
            keep_rows=self.settings.audit_login_rows,
            before=now - dt.timedelta(days=self.settings.audit_login_days),
        )

    def flush(self) -> None:
        """Audit the throttled logins counted but not yet written (at shutdown)."""
        pending = self.throttled.drain()
        if pending:
            with self.db.write() as conn:
                for key, count in pending.items():
                    repo.audit(conn, "login_throttled", lock=key.split(":", 1)[0], refused=count)


def unlock(db: Database, *, username: str | None = None, address: str | None = None) -> dict[str, Any]:
    """Lift the lockout of an account (and of its devices) or of an address (an administrator's
    command); forgets their failed logins. Returns what was lifted."""
    keys: list[str] = []
    with db.write() as conn:
        user_id = None
        if username is not None:
            user = repo.user_by_name(conn, username)
            if user is None:
                raise ServerError(404, p.E_NOT_FOUND, f"No user {username}.")
            user_id = user["id"]
            keys = [lock_key(ACCOUNT, username)] + [
                lock_key(DEVICE, d) for d in auth_repo.device_ids_of(conn, user_id)
            ]
        if address is not None:
            keys.append(lock_key(ADDRESS, storable_address(address)))
        lifted = auth_repo.lift(conn, keys)
        repo.audit(
            conn,
            "login_unlocked",
            user_id=user_id,
            address=storable_address(address) if address else None,
            username=username,
            lifted=lifted,
        )
    return {"username": username, "address": address, "lifted": lifted}


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


# -- farewell of a revoked device (issue 13) ----------------------------------------------------
def revoked(grant: p.FarewellGrant | None) -> ServerError:
    """The refusal a revoked device gets at sign-in, with its farewell grant when it has one."""
    extra = {"farewell": grant.model_dump()} if grant is not None else {}
    return ServerError(403, p.E_DEVICE_REVOKED, "This device has been revoked.", **extra)


def farewell_grant(
    conn: Connection, settings: Settings, dev: dict[str, Any], now: dt.datetime, address: str
) -> p.FarewellGrant | None:
    """A farewell for a revoked device that proved itself (the caller checked how), or None: its
    farewell ended already, or the revocation is older than ``farewell_days``. A new grant
    replaces the device's earlier ones (one farewell at a time)."""
    revoked_at = aware(dev["revoked_at"])
    if revoked_at is None or dev.get("farewell_at") is not None:
        return None
    if now - revoked_at > dt.timedelta(days=settings.farewell_days):
        return None
    auth_repo.revoke_farewells(conn, dev["id"], now)
    token = new_token()
    ends = now + dt.timedelta(seconds=FAREWELL_TTL_S)
    auth_repo.add_token(conn, token_hash(token), "farewell", dev["user_id"], dev["id"], new_id(), ends)
    repo.audit(conn, "farewell_granted", user_id=dev["user_id"], address=address, device_id=dev["id"])
    return p.FarewellGrant(
        token=token, before=revoked_at.isoformat(timespec="milliseconds"), expires_in=FAREWELL_TTL_S
    )


def identify_farewell(conn: Connection, token: str | None) -> Identity:
    """The identity of a farewell (its pushes and its end): a live farewell token of a revoked
    device whose farewell has not ended. Nothing else is accepted on those paths, and a farewell
    token is accepted nowhere else (:func:`identify` takes access tokens only)."""
    refused = ServerError(403, p.E_DEVICE_REVOKED, "This device has been revoked.")
    if not token:
        raise ServerError(401, p.E_TOKEN_INVALID, "Log in first.")
    row = repo.token_holder(conn, token_hash(token))
    if row is None or row["kind"] != "farewell":
        raise ServerError(401, p.E_TOKEN_INVALID, "Log in first.")
    if row["revoked_at"] is not None or aware(row["expires_at"]) < repo.utcnow():
        raise refused
    dev = repo.device(conn, row["device_id"])
    if dev is None or dev["revoked_at"] is None or dev["farewell_at"] is not None or row["username"] is None:
        raise refused
    return Identity(
        row["user_id"],
        row["username"],
        row["role"],
        row["device_id"],
        farewell_before=aware(dev["revoked_at"]),
    )


def end_farewell(conn: Connection, who: Identity) -> None:
    """The device has sent what it had: its farewell is over, nothing more is granted to it."""
    now = repo.utcnow()
    auth_repo.end_farewell(conn, who.device_id, now)
    repo.audit(conn, "farewell_ended", user_id=who.user_id, device_id=who.device_id)
