"""The device's sync engine: push the outbox, then pull the server's changes (DESIGN.md §5).

A Qt-free library call the desktop app runs off the GUI thread::

    report = SyncEngine(ctx, "https://sync.example.com", credentials).sync(progress=cb, cancel=event)

- every step is resumable: a batch keeps its id in the outbox until its result is stored (a
  retried batch is answered from the server's record and applied once), the pull cursor is
  stored with each applied page, and the list of clients still waiting for a snapshot is kept;
- a rejected item stays in the outbox with its reason and never blocks the others;
- pulled values never overwrite a field that still has a pending local edit;
- a client that leaves the scope is removed after its pending edits are pushed; those edits
  are sent with the cursor the device had when it made them, so the server accepts them;
- a device whose cursor is older than the server's tombstone retention pushes its outbox, then
  replaces its rows with a fresh snapshot of its scope (rows with local changes are kept);
  until that is done, it keeps the old cursor and resumes the snapshot at the next sync;
- a revoked device wipes the company's data and says so;
- a server that is down (or whose database is) is "unavailable" (exit 3), never a refusal; a
  sign-in the server ended asks for the password again (exit 4); a server whose database was
  re-initialised is explained, and ``rejoin=True`` joins it again (:meth:`SyncEngine._rejoin`);
- plain http:// to another computer is refused unless the person allowed it (``allow_insecure``,
  remembered for that address).

``ctx`` is the profile's ``AppContext`` (duck-typed: ``store``, ``clock``, ``device_id``,
``set_actor``), so this module stays below the services layer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import gzip
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from itertools import islice, repeat
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, func, select, update

from .. import PROTOCOL_VERSION, SCHEMA_VERSION
from ..errors import AccountDeskError
from ..i18n import _
from ..models import ENTITIES, SYNCABLE, Client, Meta, OutboxEntry, User, new_id, utcnow
from ..store import search
from . import protocol as p
from .address import check_server_url, is_insecure
from .changes import META_DEMO, get_meta, set_meta
from .codec import column_kind, decode_value
from .credentials import Credentials

log = logging.getLogger("accountdesk.sync")

META_CURSOR = "sync_cursor"
META_SCOPE = "sync_scope"
META_SNAPSHOT = "sync_snapshot"  # {"clients": [...], "upto": n, "after": token}
META_RESNAPSHOT = "sync_resnapshot"  # set while a fresh snapshot of the whole scope is due
#: [[outbox seq, cursor], ...]: outbox entries up to that seq were made when the device's cursor
#: was that (kept when clients left the scope while they still had pending edits)
META_HELD = "sync_held"
META_SERVER_URL = "server_url"
META_SYNC_USER = "sync_user_id"
META_SYNC_USERNAME = "sync_username"
META_CURRENT_USER = "current_user_id"
#: [local user id, server user id]: a profile used on its own before joining; its pending
#: changes name the local user, who is the server user now (replaced as batches are sent)
META_USER_ALIAS = "sync_user_alias"
META_INSECURE_OK = "sync_insecure_url"  # the http:// address the person allowed

#: consecutive pulled pages applied in one transaction: at most this many rows, or this long
GROUP_ROWS = 8000
GROUP_SECONDS = 0.5
#: pages (windows of a long pull) fetched ahead, side by side, while earlier ones are written
FETCH_AHEAD = 2
#: a pulled clock further ahead of our wall clock than this does not drag our clock along
MAX_AHEAD_MS = 5 * 60 * 1000


# -- errors (each with its own exit code for the command line) -------------------------------
class SyncError(AccountDeskError):
    exit_code = 1
    code = "sync_error"


class ServerUnreachable(SyncError):
    exit_code = 3
    code = "unreachable"


class LoginRequired(SyncError):
    exit_code = 4
    code = "login_required"


class UserDeactivated(SyncError):
    exit_code = 5
    code = p.E_USER_DEACTIVATED


class DeviceRevoked(SyncError):
    exit_code = 6
    code = p.E_DEVICE_REVOKED


class UpdateRequired(SyncError):
    exit_code = 7
    code = p.E_UPDATE_REQUIRED


class ServerReinitialised(SyncError):
    """The server no longer knows this profile's user (its database was re-initialised): join
    it again with ``rejoin=True`` (``accountdesk sync --rejoin``)."""

    exit_code = 8
    code = "server_reinitialised"


class DemoProfileRefused(SyncError):
    """A profile holding demo data tried to join a company server."""

    exit_code = 2
    code = "demo_profile"


class ResnapshotRequired(SyncError):
    """The pull cursor is older than the server's tombstone retention (handled by the engine)."""

    code = p.E_RESNAPSHOT


REJECT_TEXT = {
    p.R_NOT_ALLOWED: lambda: _("Your role may not make this change."),
    p.R_OUT_OF_SCOPE: lambda: _("This client is not (or no longer) one of yours."),
    p.R_UNKNOWN_ENTITY: lambda: _("The server does not know this kind of record; please update."),
    p.R_UNKNOWN_ROW: lambda: _("The record does not exist on the server."),
    p.R_INVALID: lambda: _("The server refused an invalid value."),
    p.R_CONFIDENTIAL: lambda: _("You may not change a confidential field."),
    p.R_SERVER_OWNED: lambda: _("Users are managed on the server."),
}


def reject_message(code: str | None, reason: str | None) -> str:
    text = REJECT_TEXT.get(code or "", lambda: _("The server refused this change."))()
    return f"{text} ({reason})" if reason else text


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0
    removed_clients: list[str] = field(default_factory=list)
    cancelled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"pushed": self.pushed, "pulled": self.pulled, "conflicts": self.conflicts, "rejected": self.rejected}


Progress = Callable[[str, int, int | None], None]


class _Cancelled(Exception):
    pass


class SyncEngine:
    def __init__(self, ctx, server_url: str, credentials: Credentials, *, page_size: int = p.DEFAULT_PAGE,
                 batch_size: int = p.MAX_ITEMS_PER_BATCH, timeout: float = 30.0, transport: httpx.BaseTransport | None = None,
                 bulk_rows: int = 5000, start_clean: bool = False, include_demo_data: bool = False,
                 allow_insecure: bool = False, rejoin: bool = False):
        """``start_clean``: a profile with demo data that joins a server drops it first;
        ``include_demo_data``: it pushes the demo data instead (a test server only);
        ``allow_insecure``: the person allowed plain http:// to another computer;
        ``rejoin``: join again a server whose database was re-initialised (:meth:`_rejoin`)."""
        self.ctx = ctx
        self.start_clean = start_clean
        self.include_demo_data = include_demo_data
        self.store = ctx.store
        self.server_url = check_server_url(server_url, allow_insecure=True)
        self.allow_insecure = allow_insecure or not is_insecure(self.server_url)  # else: what the profile says
        self.rejoin = rejoin
        self.credentials = credentials
        self.page_size = page_size
        self.batch_size = min(batch_size, p.MAX_ITEMS_PER_BATCH)
        self.bulk_rows = bulk_rows
        self._access: str | None = None
        self.user: p.UserInfo | None = None
        self._http = httpx.Client(
            base_url=self.server_url, timeout=timeout, transport=transport,
            headers={p.HEADER_PROTOCOL: str(PROTOCOL_VERSION), p.HEADER_SCHEMA: str(SCHEMA_VERSION),
                     p.HEADER_FEATURES: p.FEATURE_NO_ECHO, "User-Agent": "AccountDesk-sync"},
        )
        self._lock = threading.Lock()
        self._auth_lock = threading.RLock()

    def close(self) -> None:
        self._http.close()

    # -- HTTP ----------------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, body: Any = None, params: dict | None = None, auth: bool = True,
                 parse: bool = True, encoded: bytes | None = None) -> Any:
        """The server's answer, parsed (or, without ``parse``, its body as received). ``body`` is
        sent as JSON; ``encoded`` is a JSON body already encoded."""
        if not self.allow_insecure:  # before any byte is sent: http:// to another computer needs consent
            with self.store.read() as session:
                self.allow_insecure = get_meta(session, META_INSECURE_OK) == self.server_url
            check_server_url(self.server_url, allow_insecure=self.allow_insecure)
        headers: dict[str, str] = {}
        content = None
        if body is not None:
            encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        if encoded is not None:
            headers["Content-Type"] = "application/json"
            if len(encoded) > 2048:
                encoded = gzip.compress(encoded, compresslevel=1)
                headers["Content-Encoding"] = "gzip"
            content = encoded
        token = None
        for attempt in (1, 2):
            if auth:
                with self._auth_lock:  # pages are fetched side by side: one refresh for all
                    if self._access is None:
                        self._authenticate()
                    token = self._access
                headers["Authorization"] = f"Bearer {token}"
            try:
                resp = self._http.request(method, path, content=content, params=params, headers=headers)
            except httpx.TransportError as exc:
                raise ServerUnreachable(_("The sync server cannot be reached ({error}).").format(error=type(exc).__name__)) from exc
            if resp.status_code == 401 and auth and attempt == 1:
                with self._auth_lock:
                    if self._access == token:
                        self._access = None  # expired: refresh once and retry
                continue
            return self._answer(resp, parse)
        raise LoginRequired(_("The server did not accept the login; please log in again."))

    def _answer(self, resp: httpx.Response, parse: bool = True) -> Any:
        if resp.status_code < 400:
            if not parse:
                return resp.content
            return orjson.loads(resp.content)  # pages are large: a few times faster than json
        try:
            body = resp.json()
            code = body.get("code", "")
            message = body.get("message", "")
        except (ValueError, AttributeError):
            code, message = "", resp.text[:200]
        if resp.status_code in (502, 503, 504) or code == p.E_UNAVAILABLE:  # the server, or its database, is down or busy
            raise ServerUnreachable(_("The sync server is unavailable for the moment (it or its database is down, or "
                                      "busy); try again later."))
        if resp.status_code >= 500:
            raise SyncError(_("The sync server failed on this request (an error on the server: its administrator can "
                              "find it in the server's log)."))
        if resp.status_code == 426 or code == p.E_UPDATE_REQUIRED:
            raise UpdateRequired(_("This version of AccountDesk is too old for the server; please update."))
        if code == p.E_DEVICE_REVOKED:
            self._wipe()
            raise DeviceRevoked(_("This device has been revoked: the company's data was removed from it."))
        if code == p.E_USER_DEACTIVATED:
            raise UserDeactivated(_("Your account has been deactivated; ask your administrator."))
        if code == p.E_RESNAPSHOT:
            raise ResnapshotRequired(_("This device was offline for longer than the server keeps deleted records; "
                                       "it takes a fresh copy of its clients."))
        if code == p.E_RATE_LIMITED:
            raise LoginRequired(_("Too many failed logins; try again in a few minutes."))
        if code in (p.E_BAD_CREDENTIALS, p.E_TOKEN_INVALID, p.E_TOKEN_EXPIRED):
            raise LoginRequired(_("Wrong user name or password."))
        raise SyncError(_("The server refused the request: {message}").format(message=message or resp.status_code))

    # -- login ---------------------------------------------------------------------------------
    def _authenticate(self) -> None:
        token = self.credentials.refresh_token()
        pair = None
        ended = False
        if token:
            try:
                pair = self._request("POST", "/v1/auth/refresh", auth=False,
                                     body={"refresh_token": token, "device_id": self.ctx.device_id})
            except LoginRequired:  # too old, or ended by the server (e.g. its token was used elsewhere)
                self.credentials.forget()
                pair, ended = None, True
        if pair is None:
            password = self.credentials.password()
            if not password and ended:
                raise LoginRequired(_("Your sign-in on this computer has ended (a sign-in lasts a limited time, and the "
                                      "server ends it when its token is used elsewhere): sign in again with your password."))
            if not password:
                if not self.credentials.keyring_ok:
                    raise LoginRequired(_("No keyring is available on this computer, so the password cannot be remembered: enter it for every sync."))
                raise LoginRequired(_("Log in to the sync server first (user name and password)."))
            pair = self._request("POST", "/v1/auth/login", auth=False, body={
                "username": self.credentials.username, "password": password,
                "device_id": self.ctx.device_id, "device_name": _device_name(),
                "device_key": self.credentials.device_key()})
        tokens = p.TokenPair.model_validate(pair)
        self.credentials.save_refresh_token(tokens.refresh_token)
        self._adopt_user(tokens.user)  # may refuse (a demo profile, another user's): the engine stays signed out
        self._access = tokens.access_token
        self.user = tokens.user

    def _adopt_user(self, info: p.UserInfo) -> None:
        """Make the server's user the actor of this profile."""
        with self.store.write() as session:
            previous = get_meta(session, META_SYNC_USER)
            same_login = (get_meta(session, META_SYNC_USERNAME) == info.username
                          and (get_meta(session, META_SERVER_URL) or "").rstrip("/") == self.server_url)
            if previous and previous != info.id and same_login and not _has_company_data(session):
                self._rejoin(session, previous, info.id)  # a new database on the server, nothing to lose here
            elif previous and previous != info.id and _has_company_data(session):
                if not same_login:
                    raise SyncError(_("This profile holds another user's data; use a new profile (--data-dir)."))
                if not self.rejoin:  # the same name on the same server, but a new user: a new database
                    raise ServerReinitialised(_(
                        "The server no longer knows this laptop's user {name}: its database was probably "
                        "re-initialised. Join it again (accountdesk sync --rejoin): your unsent changes are kept and "
                        "sent, and this laptop takes a fresh copy of your clients from the server (a backup of "
                        "this profile is made first).").format(name=info.username))
                self._rejoin(session, previous, info.id)
            if not previous:  # joining a server: what was done before was done by this user
                if get_meta(session, META_DEMO) and not self.include_demo_data:
                    if not self.start_clean:
                        raise DemoProfileRefused(_(
                            "This profile holds demo data, which must not reach a company server. Start the profile "
                            "clean (its demo data is removed and the company's data is fetched): "
                            "accountdesk sync --start-clean, or the “Start clean” button of the sign-in dialog."))
                    _drop_demo_data(session)
                _hand_local_work_over(session, info.id)
            _drop_local_users(session, info.username, info.id)
            row = session.get(User, info.id)
            if row is None:
                session.add(User(id=info.id, username=info.username, display_name=info.display_name, role=info.role,
                                 active=True, updated_at=""))
            else:
                row.role, row.display_name = info.role, info.display_name
            set_meta(session, META_SYNC_USER, info.id)
            set_meta(session, META_SYNC_USERNAME, info.username)
            set_meta(session, META_SERVER_URL, self.server_url)
            if self.allow_insecure and is_insecure(self.server_url):
                set_meta(session, META_INSECURE_OK, self.server_url)
        self.ctx.set_actor(info.id)

    @staticmethod
    def _rejoin(session, previous: str, user_id: str) -> None:
        """Join a server that was re-initialised: this profile's work becomes the new user's (as
        when a profile joins for the first time), the sync state of the old server is forgotten,
        and the next pull replaces the rows with a fresh copy of the scope, keeping every row with
        a change still to send or refused (:meth:`_resnapshot`)."""
        _replace_user(session, previous, user_id)
        for key in (META_SCOPE, META_SNAPSHOT, META_HELD):
            set_meta(session, key, None)
        set_meta(session, META_CURSOR, 0)
        set_meta(session, META_RESNAPSHOT, {"since": _now_iso(), "rejoin": True})
        log.info("rejoining a re-initialised server as user %s", user_id)

    # -- the whole sync ------------------------------------------------------------------------
    def sync(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> SyncReport:
        report = SyncReport()
        notify = progress or (lambda *_a: None)

        def check() -> None:
            if cancel is not None and cancel.is_set():
                raise _Cancelled

        with self._lock:
            try:
                if self._access is None:
                    self._authenticate()
                self._push(report, notify, check)
                self._pull(report, notify, check)
                self._push(report, notify, check)  # edits made while pulling, and removals held back
            except _Cancelled:
                report.cancelled = True
        return report

    # -- push ----------------------------------------------------------------------------------
    def _next_batch(self, exclude: str | None = None) -> tuple[str, list[OutboxEntry]] | None:
        """The next batch to send (an interrupted one first), as outbox entries (tests use it)."""
        with self.store.write() as session:
            session.execute(delete(OutboxEntry).where(OutboxEntry.entity == "user", OutboxEntry.status == "pending"))
        batch = self._claim_batch(exclude)
        if batch is None:
            return None
        with self.store.read() as session:
            entries = session.scalars(
                select(OutboxEntry).where(OutboxEntry.batch_id == batch[0], OutboxEntry.status == "pending")
                .order_by(OutboxEntry.seq)).all()
            session.expunge_all()
        return batch[0], list(entries)

    def _claim_batch(self, exclude: str | None = None) -> tuple[str, int] | None:
        """Give the next pending entries a batch id (kept until the server's answer is stored,
        so a retried batch is answered from the server's record): an interrupted batch first.
        Returns the batch id and the highest outbox sequence in it; ``exclude``: a batch in
        flight. Every query here goes through an index: a join claims hundreds of batches from
        an outbox of hundreds of thousands of entries."""
        with self.store.write() as session:
            raw = session.connection().connection.driver_connection
            # ``batch_id > ''`` (not IS NOT NULL) so that SQLite reads the batch index
            open_batches = [(first, last, batch) for batch, first, last in raw.execute(
                "SELECT batch_id, min(seq), max(seq) FROM outbox WHERE batch_id > '' AND status = 'pending' "
                "GROUP BY batch_id").fetchall() if batch != exclude]
            if open_batches:
                first, last, batch = min(open_batches)
                return batch, int(last)
            stmt = select(OutboxEntry.seq).where(OutboxEntry.status == "pending", OutboxEntry.batch_id.is_(None))
            held = _held_marks(session)
            if held:  # a batch never mixes edits made before and after the cursor moved
                first = session.scalar(stmt.order_by(OutboxEntry.seq).limit(1))
                bound = next((upto for upto, _c in held if first is not None and first <= upto), None)
                if bound is not None:
                    stmt = stmt.where(OutboxEntry.seq <= bound)
            seqs = session.scalars(stmt.order_by(OutboxEntry.seq).limit(self.batch_size)).all()
            if not seqs:
                return None
            batch = new_id()
            raw.execute("UPDATE outbox SET batch_id = ? WHERE seq BETWEEN ? AND ? AND status = 'pending' "
                        "AND batch_id IS NULL", (batch, seqs[0], seqs[-1]))
            return batch, seqs[-1]

    def _batch_body(self, batch_id: str, last: int) -> _Batch:
        """A claimed batch read straight from the store, and its request body: the stored JSON of
        each entry's fields is spliced in as it is (a join sends hundreds of thousands)."""
        with self.store.read() as session:
            raw = session.connection().connection.driver_connection
            rows = raw.execute(
                "SELECT seq, entity, row_id, client_id, op, fields, hlc, base_seq, schema_version FROM outbox "
                "WHERE batch_id = ? AND status = 'pending' ORDER BY seq", (batch_id,)).fetchall()
        cursor = self._batch_cursor_at(last)
        with self.store.read() as session:
            alias = get_meta(session, META_USER_ALIAS)
        dumps = orjson.dumps
        parts = [b'{"batch_id":', dumps(batch_id), b',"cursor":', str(cursor).encode(), b',"items":[']
        for i, (_seq, entity, row_id, client_id, op, fields, hlc, base_seq, version) in enumerate(rows):
            if i:
                parts.append(b",")
            parts += [b'{"entity":', dumps(entity), b',"row_id":', dumps(row_id), b',"client_id":', dumps(client_id),
                      b',"op":', dumps(op), b',"fields":', (fields or "{}").encode(), b',"hlc":', dumps(hlc),
                      b',"base_seq":', dumps(base_seq), b',"schema_version":', dumps(version), b"}"]
        parts.append(b"]}")
        body = b"".join(parts)
        if alias:  # ids are UUIDs: an exact match of the quoted id is that user
            body = body.replace(dumps(alias[0]), dumps(alias[1]))
        return _Batch(batch_id, [(r[0], r[1], r[2]) for r in rows], body)

    def _batch_cursor(self, entries: list[OutboxEntry]) -> int:
        """The pull cursor the device had when the entries were made (the server does not rely
        on it any more: it decides from what it served this device; sent for older servers)."""
        return self._batch_cursor_at(max(e.seq for e in entries))

    def _batch_cursor_at(self, last: int) -> int:
        with self.store.read() as session:
            cursor = int(get_meta(session, META_CURSOR) or 0)
            held = _held_marks(session)
            if not held:
                return cursor
            pending = session.scalar(select(OutboxEntry.seq).where(OutboxEntry.status == "pending")
                                     .order_by(OutboxEntry.seq).limit(1))
        live = [[upto, c] for upto, c in held if pending is not None and upto >= pending]
        if live != held:  # marks whose entries are all pushed are dropped
            with self.store.write() as session:
                set_meta(session, META_HELD, live or None)
        return next((min(cursor, c) for upto, c in live if last <= upto), cursor)

    def _push(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        """Send the outbox batch by batch. While the server applies one batch the next is read
        and encoded (a join of a whole profile is mostly waiting otherwise); batches still go one
        at a time, in order, each answer stored before the next is sent."""
        with self.store.write() as session:  # users are the server's: their local records are not sent
            session.execute(delete(OutboxEntry).where(OutboxEntry.entity == "user", OutboxEntry.status == "pending"))
            total = session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "pending"))
        if not total:
            return
        done = 0
        notify("push", 0, total)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="accountdesk-push") as pool:
            claimed = self._claim_batch()
            batch = self._batch_body(*claimed) if claimed else None
            while batch is not None:
                check()
                answer = pool.submit(self._request, "POST", "/v1/sync/push", encoded=batch.body)
                claimed = self._claim_batch(exclude=batch.batch_id)
                following = self._batch_body(*claimed) if claimed else None
                self._store_push_result(batch, answer.result(), report)
                done += len(batch.entries)
                notify("push", done, max(total, done))
                batch = following

    def _store_push_result(self, batch: _Batch, answer: Any, report: SyncReport) -> None:
        try:
            results = answer["results"]
            ok = answer["batch_id"] == batch.batch_id and len(results) == len(batch.entries)
        except (KeyError, TypeError):
            ok = False
        if not ok:
            raise SyncError(_("The server answered a push with the wrong number of results."))
        with self.store.write() as session:
            done_seqs: list[int] = []
            current: dict[str, list[tuple[int, str]]] = {}
            for (seq, entity, row_id), res in zip(batch.entries, results, strict=True):
                if res.get("status") == "rejected":
                    session.execute(update(OutboxEntry).where(OutboxEntry.seq == seq).values(
                        status="rejected", batch_id=None, reject_reason=reject_message(res.get("code"), res.get("reason"))))
                    report.rejected += 1
                else:
                    done_seqs.append(seq)
                    report.pushed += 1
                    if res.get("current") and res.get("seq") is not None:
                        current.setdefault(entity, []).append((int(res["seq"]), row_id))
            for start in range(0, len(done_seqs), 900):
                session.execute(delete(OutboxEntry).where(OutboxEntry.seq.in_(done_seqs[start:start + 900])))
            _record_current(session, current)

    # -- pull ----------------------------------------------------------------------------------
    def _fetch(self, cursor: int, target: int | None, limit: int | None = None, marks: bool = False) -> _Page:
        return self._read_page(self._fetch_body(cursor, target, limit, marks))

    def _fetch_body(self, cursor: int, target: int | None, limit: int | None = None, marks: bool = False) -> bytes:
        """A pull page as received; :meth:`_read_page` parses it."""
        params: dict[str, Any] = {"cursor": cursor, "limit": limit or self.page_size}
        if target is not None:
            params["target"] = target
        if marks:
            params["marks"] = "true"
        return self._request("GET", "/v1/sync/pull", params=params, parse=False)

    @staticmethod
    def _read_page(body: bytes) -> _Page:
        try:
            raw = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise SyncError(_("The server sent a malformed change.")) from exc
        return _page(raw)

    def _pull(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        with _gc_paused():
            self._pull_or_resnapshot(report, notify, check)

    def _pull_or_resnapshot(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        for _attempt in range(3):
            with self.store.read() as session:
                due = get_meta(session, META_RESNAPSHOT) is not None
            if due:
                self._resnapshot(report, notify, check)
            try:
                self._pull_changes(report, notify, check)
                return
            except ResnapshotRequired:
                with self.store.write() as session:  # remembered: a crash from here on resumes it
                    set_meta(session, META_RESNAPSHOT, {"since": _now_iso()})
        raise SyncError(_("The server kept asking for a fresh copy of this device's clients."))

    def _pull_changes(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        with self.store.read() as session:
            cursor = int(get_meta(session, META_CURSOR) or 0)
        check()
        page = self._fetch(cursor, None, marks=True)
        if self._scope_changed(page, cursor, report):
            cursor = 0
            page = self._fetch(0, None, marks=True)
        self._snapshots(report, notify, check)
        target = page.target
        bulk = page.has_more and self._suspend_index(cursor, target)
        try:
            # Pages are fetched ahead while the ones before are written (the server and the disk
            # overlap). Pages already fetched share a transaction, up to GROUP_ROWS rows or
            # GROUP_SECONDS (a commit per page was a tenth of an initial sync); the cursor is
            # stored with the rows, so an interruption resumes after the last commit. No
            # transaction waits for the network: a fetch that has to log in again writes too.
            with ThreadPoolExecutor(max_workers=FETCH_AHEAD, thread_name_prefix="accountdesk-pull") as pool, \
                    contextlib.closing(_PageStream(self, pool, page)) as pages:
                page = pages.next()
                while page is not None:
                    check()
                    applied, failure, more = 0, None, True
                    with self.store.write() as session:
                        began = time.monotonic()
                        while page is not None:
                            report.conflicts += self._apply(session, page.items)
                            set_meta(session, META_CURSOR, page.cursor)
                            applied += len(page.items)
                            cursor, page = page.cursor, None
                            if (applied >= GROUP_ROWS or time.monotonic() - began >= GROUP_SECONDS
                                    or self._cancelled(check) or not pages.ready()):
                                break  # commit; the next page after it
                            try:
                                page = pages.next()
                            except Exception as exc:  # what is applied is kept
                                failure = exc
                                break
                            more = page is not None
                    report.pulled += applied
                    # The young objects of the pages just written, collected: each fetch leaves
                    # a small cycle (httpx's request and response) holding a page's bytes, which
                    # with the collector paused would otherwise pile up for the whole pull
                    # (hundreds of MB for a company). A young collection does not walk the heap.
                    gc.collect(1)
                    notify("pull", cursor, target)
                    if failure is not None:
                        raise failure
                    if page is None and more:
                        page = pages.next()
        finally:
            if bulk:  # at the target, cancelled or failed: the index is whole again
                with self.store.write() as session:
                    search.restore(session.connection())

    @staticmethod
    def _cancelled(check: Callable[[], None]) -> bool:
        try:
            check()
        except _Cancelled:
            return True
        return False

    def _suspend_index(self, cursor: int, target: int) -> bool:
        """A large pull (more changes to come than rows indexed, and at least ``bulk_rows``) is
        written without keeping the search index row by row; the index is rebuilt in one pass
        at the end (and, should the laptop crash meanwhile, when the store is next opened)."""
        if target - cursor < self.bulk_rows:
            return False
        with self.store.write() as session:
            conn = session.connection()
            if target - cursor < conn.exec_driver_sql("SELECT count(*) FROM search_rows").scalar_one():
                return False
            search.suspend(conn)
        return True

    def _scope_changed(self, page: _Page, cursor: int, report: SyncReport) -> bool:
        """Compare the scope the server reports with the one this device had. Clients that left
        are removed (unless edits for them are still pending: next sync); clients that entered
        get a snapshot of their current state. Returns True when the pull must restart at 0."""
        new = {"all": page.scope_all, "clients": sorted(page.scope)}
        with self.store.read() as session:
            old = get_meta(session, META_SCOPE)
            if old == new and cursor > 0:
                local = set(session.scalars(select(Client.id)).all())
                if new["all"] or local <= set(new["clients"]):
                    return False  # nothing entered, nothing left
        with self.store.write() as session:
            old = get_meta(session, META_SCOPE)
            if not new["all"]:
                wanted = set(new["clients"])
                local = set(session.scalars(select(Client.id)).all())
                if old and not old.get("all"):
                    local |= set(old.get("clients", []))
                pending = set(session.scalars(select(OutboxEntry.client_id).where(OutboxEntry.status == "pending")).all())
                held = False
                for client_id in sorted(local - wanted):
                    if client_id in pending:
                        held = True
                        continue  # pushed first, removed at the next sync
                    _purge_client(session, client_id)
                    report.removed_clients.append(client_id)
                if held:  # what is pending now was written before the device learned of it
                    last = session.scalar(select(OutboxEntry.seq).where(OutboxEntry.status == "pending")
                                          .order_by(OutboxEntry.seq.desc()).limit(1))
                    marks = _held_marks(session)
                    if not marks or marks[-1][0] < last:
                        set_meta(session, META_HELD, [*marks, [last, cursor]])
            if old is None or cursor == 0:
                set_meta(session, META_SCOPE, new)
                return False
            if new["all"] and not old.get("all"):
                set_meta(session, META_SCOPE, new)
                set_meta(session, META_CURSOR, 0)
                return True  # everything is now in scope: pull it all (known rows are skipped)
            if not new["all"]:
                entered = sorted(set(new["clients"]) - set(old.get("clients", [])) if not old.get("all") else [])
                if entered:
                    todo = get_meta(session, META_SNAPSHOT) or {"clients": [], "upto": cursor, "after": None}
                    todo["clients"] = sorted(set(todo["clients"]) | set(entered))
                    todo["upto"] = max(int(todo.get("upto") or 0), cursor)
                    set_meta(session, META_SNAPSHOT, todo)
            set_meta(session, META_SCOPE, new)
        return False

    def _snapshots(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        while True:
            check()
            with self.store.read() as session:
                todo = get_meta(session, META_SNAPSHOT)
            if not todo or not todo.get("clients"):
                return
            req = {"clients": todo["clients"], "upto": todo["upto"], "after": todo.get("after"), "limit": self.page_size}
            page = _snapshot_page(self._request("POST", "/v1/sync/snapshot", body=req))
            with self.store.write() as session:
                report.conflicts += self._apply(session, page.items)
                set_meta(session, META_SNAPSHOT, None if page.after is None else dict(todo, after=page.after))
            report.pulled += len(page.items)
            notify("snapshot", report.pulled, None)

    def _resnapshot(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        """Replace this device's rows with a fresh snapshot of its scope (the server purged
        deletes this device has not seen): (a) push the whole outbox, (b) fetch the snapshot,
        applying it page by page, (c) remove the rows absent from it, except those with local
        changes, and (d) take the snapshot's sequence as the cursor — (c) and (d) in one
        transaction. Until then the marker stays set and the cursor stale: an interrupted run
        starts again at the next sync and never shows a half-replaced store as synced."""
        self._push(report, notify, check)
        check()
        head = self._fetch(0, None, limit=1)  # the sequence the snapshot stands at, and the scope
        seen: set[str] = set()
        after = None
        while True:
            check()
            req = {"clients": [], "upto": head.target, "after": after, "limit": self.page_size, "scope": True}
            page = _snapshot_page(self._request("POST", "/v1/sync/snapshot", body=req))
            with self.store.write() as session:
                report.conflicts += self._apply(session, page.items)
            seen.update(i["id"] for i in page.items)
            report.pulled += len(page.items)
            notify("snapshot", report.pulled, None)
            if page.after is None:
                break
            after = page.after
        with self.store.write() as session:
            keep = set(session.scalars(select(OutboxEntry.row_id)).all())  # pending or refused
            keep |= seen
            keep.add(get_meta(session, META_SYNC_USER) or "")
            removed = 0
            for model in reversed(SYNCABLE):
                ids = [i for i in session.scalars(select(model.id)).all() if i not in keep]
                for start in range(0, len(ids), 500):
                    session.execute(delete(model).where(model.id.in_(ids[start:start + 500])))
                removed += len(ids)
                if model is Client:
                    report.removed_clients.extend(sorted(ids))
            set_meta(session, META_CURSOR, head.target)
            set_meta(session, META_SCOPE, {"all": head.scope_all, "clients": sorted(head.scope)})
            set_meta(session, META_SNAPSHOT, None)
            set_meta(session, META_RESNAPSHOT, None)
        log.info("fresh snapshot at %s: %s rows kept, %s removed", head.target, len(seen), removed)

    def _apply(self, session, items: list[dict[str, Any]]) -> int:
        """Apply pulled rows (wire items, see :func:`_items`); fields with a pending local edit
        keep the local value. Returns the number of new unresolved conflicts."""
        if not items:
            return 0
        try:
            return self._apply_items(session, items)
        except (KeyError, TypeError, AttributeError) as exc:
            raise SyncError(_("The server sent a malformed change.")) from exc

    def _apply_items(self, session, items: list[dict[str, Any]]) -> int:
        by_model: dict[type, list[dict[str, Any]]] = {}
        for item in items:
            model = ENTITIES.get(item["entity"])
            if model is not None:  # else written by a newer version: ignored until this one is updated
                by_model.setdefault(model, []).append(item)
        pending: dict[str, set[str]] = {}
        if session.scalar(select(OutboxEntry.seq).where(OutboxEntry.status == "pending").limit(1)) is not None:
            for row_id, op, fields in session.execute(
                select(OutboxEntry.row_id, OutboxEntry.op, OutboxEntry.fields)
                .where(OutboxEntry.status == "pending", OutboxEntry.row_id.in_([i["id"] for i in items]))
            ):
                keep = pending.setdefault(row_id, set())
                keep.update(fields or {})
                if op == "delete":
                    keep.add("deleted_at")
        conflicts = 0
        newest = ""
        raw = session.connection()
        for model, group in by_model.items():
            # which rows are known, in one query; only those are loaded as objects
            known = [r[0] for r in raw.exec_driver_sql(
                f'SELECT id FROM "{model.__tablename__}" WHERE id IN (SELECT value FROM json_each(?))',
                (orjson.dumps([i["id"] for i in group]).decode(),))]
            existing: dict[str, Any] = {}
            for start in range(0, len(known), 500):
                for row in session.scalars(select(model).where(model.id.in_(known[start:start + 500]))):
                    existing[row.id] = row
            newest = max(newest, max(str(i["data"].get("updated_at") or "") for i in group))
            if model is User:
                for item in group:
                    _drop_local_users(session, item["data"].get("username"), item["id"])
            if not existing:  # all new (an initial sync): straight to parameters
                inserts = [params for params in map(_insert_params, repeat(model), group) if params is not None]
            else:
                inserts = []
                for item in group:
                    row = existing.get(item["id"])
                    if row is None:
                        params = _insert_params(model, item)
                        if params is not None:
                            inserts.append(params)
                    elif row.server_seq is None or row.server_seq < item["seq"]:
                        self._update_row(model, row, item, pending.get(item["id"], ()))
            if inserts:
                # straight to sqlite3, in this transaction (it takes lists; SQLAlchemy wants tuples)
                raw.connection.driver_connection.executemany(_insert_sql(model)[0], inserts)
                if model.__entity__ == "conflict":
                    resolved = _insert_plan(model)[1]["resolved_at"]
                    conflicts += sum(1 for params in inserts if params[resolved] is None)
        if newest:
            try:
                self.ctx.clock.observe(newest, max_ahead_ms=MAX_AHEAD_MS)
            except ValueError:
                pass
        return conflicts

    @staticmethod
    def _update_row(model, row, item: dict[str, Any], keep) -> None:
        columns = _columns(model)
        typed = _typed(model)
        hidden = item.get("hidden") or ()
        for name, value in item["data"].items():
            if name not in columns or name in keep:
                continue
            if name in typed and value is not None:
                try:
                    value = decode_value(model, name, value)
                except ValueError:
                    log.warning("ignored a bad value of %s.%s", item["entity"], name)
                    continue
            if value is None and name in hidden:
                value = _blank(model, name)
            setattr(row, name, value)
        row.server_seq = item["seq"]

    # -- field history -------------------------------------------------------------------------
    def history(self, client_id: str, field: str | None = None) -> list[p.HistoryEntry]:
        """The server's history of a client's fields (newest first), stripped for this role."""
        params = {"field": field} if field else None
        page = p.HistoryPage.model_validate(self._request("GET", f"/v1/history/{client_id}", params=params))
        return page.entries

    # -- revocation ----------------------------------------------------------------------------
    def _wipe(self) -> None:
        """Remove the company's data from this store (a revoked device)."""
        with self.store.write() as session:
            for model in reversed(SYNCABLE):
                session.execute(delete(model))
            session.execute(delete(OutboxEntry))
            session.execute(delete(Meta).where(Meta.key.in_(
                [META_CURSOR, META_SCOPE, META_SNAPSHOT, META_RESNAPSHOT, META_HELD, META_SYNC_USER, META_CURRENT_USER,
                 META_USER_ALIAS])))
            set_meta(session, "device_id", new_id().replace("-", "")[-16:])
            set_meta(session, "wiped_at", _now_iso())
        self.credentials.forget()
        log.warning("device revoked: local company data wiped")


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a pull runs. A page's thousands of parsed
    dicts hold no cycles, yet every few hundred of them set a collection off, and now and then
    a full one that walks every object of the process: a sixth of an initial sync here, more in
    the desktop app's larger heap. Reference counting still frees each page once written; the
    cycles a pull leaves, if any, are collected afterwards. Pauses nest (syncs of two profiles);
    the collector is left as the first found it."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _items(raw: Any) -> list[dict[str, Any]]:
    """A page's wire items (:class:`protocol.ChangeItem`) as the dicts they were parsed into
    (pages are large: no object per row). Their keys are read, and checked, as they are applied."""
    if type(raw) is not list or any(type(i) is not dict for i in raw):
        raise SyncError(_("The server sent a malformed change."))
    return raw


@dataclass
class _Page:
    cursor: int
    target: int
    has_more: bool
    items: list[dict[str, Any]]
    scope_all: bool
    scope: list[str]
    marks: list[int] | None = None


class _PageStream:
    """The pages of a pull in order, from ``first`` on, fetched ahead on ``pool`` while the
    caller writes the ones before: side by side when the server sent the marks of the pages to
    come (a long pull; over a real network the round trips add up), else each as soon as the one
    before has arrived (its last row is the next one's cursor).

    The fetches bring the pages as received; :meth:`next` parses them, on the writing thread.
    A fetch thread parsing a page holds Python's lock for milliseconds at a time, and the writer,
    which lets go of it for every row SQLite inserts, had to wait for it again and again: an
    initial sync took a fifth longer than with the parsing done by the writer itself."""

    def __init__(self, engine: SyncEngine, pool: ThreadPoolExecutor, first: _Page):
        self._engine, self._pool, self._target = engine, pool, first.target
        self._first: _Page | None = first
        self._ahead: deque[tuple[Future[bytes], int]] = deque()  # a fetch, and its window's end
        self._windows: Iterator[tuple[int, int]] | None = None
        self._limit: int | None = None
        if first.has_more and first.marks:
            # A window holds one page of the size the server used for the first (a full page:
            # it has more), which may be larger than asked (a cursor far behind).
            self._limit = max(engine.page_size, len(first.items))
            self._windows = iter(zip([first.cursor, *first.marks[:-1]], first.marks, strict=True))
            for window in islice(self._windows, FETCH_AHEAD):
                self._fetch(*window)
        elif first.has_more:
            self._fetch(first.cursor, self._target)

    def _fetch(self, cursor: int, target: int, *, first: bool = False) -> None:
        future = self._pool.submit(self._engine._fetch_body, cursor, target, self._limit)
        (self._ahead.appendleft if first else self._ahead.append)((future, target))

    def ready(self) -> bool:
        """Whether :meth:`next` answers without waiting for the network."""
        return self._first is not None or not self._ahead or self._ahead[0][0].done()

    def next(self) -> _Page | None:
        """The next page; None after the last."""
        if self._first is not None:
            page, self._first = self._first, None
            return page
        if not self._ahead:
            return None
        future, target = self._ahead.popleft()
        page = self._engine._read_page(future.result())
        if self._windows is None:
            if page.has_more:
                self._fetch(page.cursor, self._target)
        elif page.has_more:  # the server's pages became smaller: the rest of this window first
            self._fetch(page.cursor, target, first=True)
        elif (window := next(self._windows, None)) is not None:
            self._fetch(*window)
        return page

    def close(self) -> None:
        """Stopped early (cancelled, failed): fetches not yet started need not run."""
        for future, _target in self._ahead:
            future.cancel()


@dataclass
class _Batch:
    """A claimed outbox batch: its entries (outbox sequence, entity, row id) and request body."""

    batch_id: str
    entries: list[tuple[int, str, str]]
    body: bytes


@dataclass
class _SnapshotPage:
    items: list[dict[str, Any]]
    after: str | None


def _page(raw: dict[str, Any]) -> _Page:
    try:
        return _Page(int(raw["cursor"]), int(raw["target"]), bool(raw["has_more"]), _items(raw["items"]),
                     bool(raw["scope_all"]), [str(c) for c in raw.get("scope") or ()],
                     [int(m) for m in raw["marks"]] if raw.get("marks") else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncError(_("The server sent a malformed change.")) from exc


def _snapshot_page(raw: dict[str, Any]) -> _SnapshotPage:
    try:
        return _SnapshotPage(_items(raw["items"]), raw.get("after"))
    except (KeyError, TypeError) as exc:
        raise SyncError(_("The server sent a malformed change.")) from exc


def _wire_datetime(value: Any) -> str:
    """A wire datetime (ISO 8601, UTC) as SQLAlchemy stores it in SQLite: naive UTC text."""
    text = str(value)
    if text[-1:] == "Z" and text[10:11] == "T":
        if len(text) == 27:  # 2026-03-01T09:05:07.000123Z
            return f"{text[:10]} {text[11:26]}"
        if len(text) == 20:  # 2026-03-01T09:05:07Z
            return f"{text[:10]} {text[11:19]}.000000"
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
    return (f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d} {parsed.hour:02d}:{parsed.minute:02d}:"
            f"{parsed.second:02d}.{parsed.microsecond:06d}")


def _insert_params(model, item: dict[str, Any]) -> list | None:
    """The parameters of one new row, straight from its wire values (no ORM objects: initial
    syncs bring tens of thousands of rows); None for a tombstone or a malformed row."""
    if item.get("deleted"):
        return None
    hidden = item.get("hidden")
    try:
        if hidden:  # stripped confidential fields: blanks where the column may not be null
            data = dict(item["data"])
            for key in hidden:
                if data.get(key) is None and key in _columns(model):
                    data[key] = _blank(model, key)
            item = {**item, "data": data}
        return _row_builder(model)(item)
    except (ValueError, TypeError):
        log.warning("ignored a malformed %s %s", item["entity"], item["id"])
        return None


@cache
def _row_builder(model) -> Callable[[dict[str, Any]], list]:
    """A function made for ``model`` that turns a wire item into its INSERT parameters in one
    expression (a generic loop over the columns was most of the Python work of an initial sync,
    52,000 rows): each value read from the item's data and, where the column needs it, converted
    for SQLite; ``created_at`` defaults to now; ``id`` and ``server_seq`` come from the item."""
    keys, _index, convert = _insert_plan(model)
    conversions = dict(convert)
    names: dict[Callable, str] = {}
    parts = []
    for i, key in enumerate(keys):
        if key == "id":
            parts.append('item["id"]')
        elif key == "server_seq":
            parts.append('item["seq"]')
        elif i in conversions:
            fn = names.setdefault(conversions[i], f"_c{len(names)}")
            default = f"{fn}(_now())" if key == "created_at" else "None"
            parts.append(f"({default} if (v := g({key!r})) is None else {fn}(v))")
        elif key == "created_at":
            parts.append(f"(_now() if (v := g({key!r})) is None else v)")
        else:
            parts.append(f"g({key!r})")
    source = "def build(item):\n    g = item['data'].get\n    return [" + ", ".join(parts) + "]\n"
    scope: dict[str, Any] = {fn_name: fn for fn, fn_name in names.items()}
    scope["_now"] = lambda: utcnow().isoformat()
    exec(compile(source, f"<insert parameters of {model.__tablename__}>", "exec"), scope)  # noqa: S102 - our own columns
    return scope["build"]


def _wire_date(value: Any) -> str:
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-" and value.isascii():
        dt.date.fromisoformat(value)  # a valid YYYY-MM-DD is its own ISO form
        return value
    return dt.date.fromisoformat(str(value)[:10]).isoformat()


def _wire_bool(value: Any) -> int:
    return 1 if value else 0


def _wire_json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # (what orjson cannot write, json can: very large integers)
        return json.dumps(value)


_CONVERT = {"datetime": _wire_datetime, "json": _wire_json, "bool": _wire_bool, "date": _wire_date}


@cache
def _insert_plan(model) -> tuple[tuple[str, ...], dict[str, int], tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """Column keys in insert order, their positions, and the positions whose wire value needs
    converting for SQLite with the function that does it."""
    _sql, cols = _insert_sql(model)
    keys = tuple(key for key, _kind in cols)
    convert = tuple((i, _CONVERT[kind]) for i, (key, kind) in enumerate(cols)
                    if kind in _CONVERT and key not in ("id", "server_seq"))
    return keys, {key: i for i, key in enumerate(keys)}, convert


@cache
def _insert_sql(model) -> tuple[str, tuple[tuple[str, str], ...]]:
    cols = tuple((c.key, column_kind(model, c.key)) for c in model.__table__.columns)
    names = ", ".join(f'"{c.name}"' for c in model.__table__.columns)
    marks = ", ".join("?" for _ in cols)
    return f'INSERT INTO "{model.__tablename__}" ({names}) VALUES ({marks})', cols


@cache
def _typed(model) -> frozenset[str]:
    """Columns whose wire value needs decoding (dates, datetimes, numbers, flags); text and
    JSON columns are stored as they come (the server checked them when they were pushed)."""
    return frozenset(c for c in _columns(model) if column_kind(model, c) not in ("str", "json"))


@cache
def _columns(model) -> frozenset[str]:
    return frozenset(c.key for c in model.__table__.columns) - {"id", "server_seq"}


def _blank(model, name: str) -> Any:
    """What a stripped confidential field holds locally: null, or an empty value where the
    column may not be null."""
    column = model.__table__.columns[name]
    if column.nullable:
        return None
    kind = column_kind(model, name)
    return {"str": "", "int": 0, "float": 0.0, "bool": False, "json": []}.get(kind)


def _record_current(session, current: dict[str, list[tuple[int, str]]]) -> None:
    """Rows the server says this device now holds as they stand at a sequence (its pulls will
    not send them back): that sequence becomes their ``server_seq``, the base of the next edit."""
    conn = session.connection().connection.driver_connection
    for entity, pairs in current.items():
        model = ENTITIES.get(entity)
        if model is None:
            continue
        conn.executemany(f'UPDATE "{model.__tablename__}" SET server_seq = ? WHERE id = ? '
                         "AND (server_seq IS NULL OR server_seq < ?)", [(seq, rid, seq) for seq, rid in pairs])


def _held_marks(session) -> list[list[int]]:
    return [[int(upto), int(cursor)] for upto, cursor in get_meta(session, META_HELD) or []]


def _purge_client(session, client_id: str) -> None:
    for model in SYNCABLE:
        if model.__global__:
            continue
        session.execute(delete(model).where(model.client_id == client_id))


def _hand_local_work_over(session, user_id: str) -> None:
    """A profile used before it joined a server belongs to a local user (the person at the
    keyboard, see ``AppContext``). On joining, that user's work becomes the server user's: every
    reference to the local user — owners, authors, the outbox's pending changes and their
    authors — names the server user instead, and the local user, which the server does not
    know, is neither kept nor pushed. (Before, the clients kept an owner no other laptop knew,
    and the server refused the local user's row.) Ids are UUIDs, so an exact match is one."""
    local = get_meta(session, META_CURRENT_USER)
    if not local or local == user_id:
        return
    row = session.get(User, local)
    if row is None or row.server_seq is not None:  # a user that came from a server is not local
        return
    _replace_user(session, local, user_id)


def _replace_user(session, local: str, user_id: str) -> None:
    """Every reference to user ``local`` (owners, authors, the outbox's changes) names ``user_id``
    instead, and ``local`` is neither kept nor pushed."""
    conn = session.connection()
    quoted_old, quoted_new = orjson.dumps(local).decode(), orjson.dumps(user_id).decode()
    for model in SYNCABLE:
        for col in model.__table__.columns:
            kind = column_kind(model, col.key)
            assign = f'UPDATE "{model.__tablename__}" SET "{col.name}" ='
            if kind == "str" and col.key != "id" and col.key.endswith(("_id", "_by")):
                conn.exec_driver_sql(f'{assign} ? WHERE "{col.name}" = ?', (user_id, local))
            elif kind == "json":
                conn.exec_driver_sql(f'{assign} replace("{col.name}", ?, ?) WHERE instr("{col.name}", ?)',
                                     (quoted_old, quoted_new, quoted_old))
    conn.exec_driver_sql("DELETE FROM outbox WHERE row_id = ?", (local,))
    conn.exec_driver_sql("UPDATE outbox SET user_id = ? WHERE user_id = ?", (user_id, local))
    # The pending changes name the local user in their stored JSON: rather than rewrite the
    # whole outbox in one transaction (a profile of a whole company: hundreds of MB of SQLite
    # memory), the push puts the server user in as each batch is sent (:data:`META_USER_ALIAS`).
    set_meta(session, META_USER_ALIAS, [local, user_id])
    conn.exec_driver_sql(f'DELETE FROM "{User.__tablename__}" WHERE id = ?', (local,))
    session.expire_all()


def _drop_demo_data(session) -> None:
    """Remove the made-up records of a demo profile (and their pending changes) before it joins
    a server; what remains is an empty profile."""
    for model in reversed(SYNCABLE):
        if model is not User:
            session.execute(delete(model))
    session.execute(delete(User).where(User.server_seq.is_(None)))  # the demo's made-up staff
    session.execute(delete(OutboxEntry))
    set_meta(session, META_DEMO, None)
    session.expire_all()


def _drop_local_users(session, username: str | None, keep_id: str) -> None:
    """A profile used before joining a server has a local user; the server's user replaces it."""
    if not username:
        return
    for other in session.scalars(select(User).where(User.username == username, User.id != keep_id)).all():
        session.delete(other)
    session.flush()


def _has_company_data(session) -> bool:
    return session.scalar(select(Client.id).where(Client.server_seq.is_not(None)).limit(1)) is not None


def _device_name() -> str:
    import platform

    return platform.node()[:200]


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
