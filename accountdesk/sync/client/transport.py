"""Requests to the server and signing in: versions, compression, token refresh, answers mapped to errors;
the farewell of a revoked device (what it had not pushed is sent, then it wipes itself)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from typing import Any, NoReturn

import httpx
import orjson
from sqlalchemy.orm import Session

from ...i18n import _
from ...models import OutboxEntry, User
from .. import protocol as p
from ..address import check_server_url, is_insecure
from ..changes import META_DEMO, get_meta, set_meta
from .base import (
    META_CURSOR,
    META_HELD,
    META_INSECURE_OK,
    META_OFFLINE_DAYS,
    META_RESNAPSHOT,
    META_SCOPE,
    META_SERVER_CONTACT,
    META_SERVER_URL,
    META_SNAPSHOT,
    META_SYNC_USER,
    META_SYNC_USERNAME,
    META_UNLOCK_VERIFIER,
    DemoProfileRefused,
    DeviceRevoked,
    LoginRequired,
    ResnapshotRequired,
    ServerReinitialised,
    ServerUnreachable,
    SyncError,
    SyncReport,
    UpdateRequired,
    UserDeactivated,
    _device_name,
    _now_iso,
    log,
)
from .core import EngineCore
from .membership import (
    _drop_demo_data,
    _drop_local_users,
    _hand_local_work_over,
    _has_company_data,
    _replace_user,
)


class TransportMixin(EngineCore):
    """The part of :class:`SyncEngine` that does this job (see the module docstring)."""

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
        parse: bool = True,
        encoded: bytes | None = None,
    ) -> Any:
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
                raise ServerUnreachable(
                    _("The sync server cannot be reached ({error}).").format(error=type(exc).__name__)
                ) from exc
            if path.startswith("/v1/auth/"):
                self._auth_headers = resp.headers  # the offline lease comes with a sign-in
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
        body: Any = None
        try:
            body = resp.json()
            code = body.get("code", "")
            message = body.get("message", "")
        except (ValueError, AttributeError):
            code, message = "", resp.text[:200]
        if (
            resp.status_code in (502, 503, 504) or code == p.E_UNAVAILABLE
        ):  # the server, or its database, is down or busy
            raise ServerUnreachable(
                _(
                    "The sync server is unavailable for the moment (it or its database is down, or "
                    "busy); try again later."
                )
            )
        if resp.status_code >= 500:
            raise SyncError(
                _(
                    "The sync server failed on this request (an error on the server: its administrator can "
                    "find it in the server's log)."
                )
            )
        if resp.status_code == 426 or code == p.E_UPDATE_REQUIRED:
            raise UpdateRequired(_("This version of AccountDesk is too old for the server; please update."))
        if code in (p.E_DEVICE_REVOKED, p.E_USER_DEACTIVATED):
            self._revoked(code, body.get("farewell") if isinstance(body, dict) else None)
        if code == p.E_RESNAPSHOT:
            raise ResnapshotRequired(
                _(
                    "This device was offline for longer than the server keeps deleted records; "
                    "it takes a fresh copy of its clients."
                )
            )
        if code == p.E_RATE_LIMITED:
            raise LoginRequired(_("Too many failed logins; try again in a few minutes."))
        if code in (p.E_BAD_CREDENTIALS, p.E_TOKEN_INVALID, p.E_TOKEN_EXPIRED):
            raise LoginRequired(_("Wrong user name or password."))
        raise SyncError(
            _("The server refused the request: {message}").format(message=message or resp.status_code)
        )

    # -- login ---------------------------------------------------------------------------------

    def _authenticate(self) -> None:
        token = self.credentials.refresh_token()
        pair = None
        ended = False
        if token:
            try:
                pair = self._request(
                    "POST",
                    "/v1/auth/refresh",
                    auth=False,
                    body={"refresh_token": token, "device_id": self.ctx.device_id},
                )
            except LoginRequired:  # too old, or ended by the server (e.g. its token was used elsewhere)
                self.credentials.forget()
                pair, ended = None, True
        if pair is None:
            password = self.credentials.password()
            if not password and ended:
                raise LoginRequired(
                    _(
                        "Your sign-in on this computer has ended (a sign-in lasts a limited time, and the "
                        "server ends it when its token is used elsewhere): sign in again with your password."
                    )
                )
            if not password:
                if not self.credentials.keyring_ok:
                    raise LoginRequired(
                        _(
                            "No keyring is available on this computer, so the password cannot be remembered: enter it for every sync."
                        )
                    )
                raise LoginRequired(_("Log in to the sync server first (user name and password)."))
            pair = self._request(
                "POST",
                "/v1/auth/login",
                auth=False,
                body={
                    "username": self.credentials.username,
                    "password": password,
                    "device_id": self.ctx.device_id,
                    "device_name": _device_name(),
                    "device_key": self.credentials.device_key(),
                },
            )
            self._unlock_password = password  # its hash is kept for the app lock, once the user is adopted
        tokens = p.TokenPair.model_validate(pair)
        self.credentials.save_refresh_token(tokens.refresh_token)
        self._adopt_user(
            tokens.user
        )  # may refuse (a demo profile, another user's): the engine stays signed out
        self._access = tokens.access_token
        self.user = tokens.user
        self._note_contact(self._auth_headers, self._unlock_password)
        self._unlock_password = None

    def _note_contact(self, headers: httpx.Headers | None = None, password: str | None = None) -> None:
        """The server was reached with a valid sign-in: the offline lease starts again (and its
        length, when the server sent it, is kept)."""
        days = None
        if headers is not None:
            try:
                days = int(headers.get(p.HEADER_OFFLINE_DAYS, ""))
            except ValueError:
                days = None
        with self.store.write() as session:
            set_meta(session, META_SERVER_CONTACT, self.ctx.now().astimezone(dt.UTC).isoformat())
            if days is not None and days > 0:
                set_meta(session, META_OFFLINE_DAYS, days)
            if password:
                from argon2 import PasswordHasher

                set_meta(session, META_UNLOCK_VERIFIER, PasswordHasher().hash(password))

    def _adopt_user(self, info: p.UserInfo) -> None:
        """Make the server's user the actor of this profile."""
        with self.store.write() as session:
            previous = get_meta(session, META_SYNC_USER)
            same_login = (
                get_meta(session, META_SYNC_USERNAME) == info.username
                and (get_meta(session, META_SERVER_URL) or "").rstrip("/") == self.server_url
            )
            if previous and previous != info.id and same_login and not _has_company_data(session):
                self._rejoin(session, previous, info.id)  # a new database on the server, nothing to lose here
            elif previous and previous != info.id and _has_company_data(session):
                if not same_login:
                    raise SyncError(
                        _("This profile holds another user's data; use a new profile (--data-dir).")
                    )
                if not self.rejoin:  # the same name on the same server, but a new user: a new database
                    raise ServerReinitialised(
                        _(
                            "The server no longer knows this laptop's user {name}: its database was probably "
                            "re-initialised. Join it again (accountdesk sync --rejoin): your unsent changes are kept and "
                            "sent, and this laptop takes a fresh copy of your clients from the server (a backup of "
                            "this profile is made first)."
                        ).format(name=info.username)
                    )
                self._rejoin(session, previous, info.id)
            if not previous:  # joining a server: what was done before was done by this user
                if get_meta(session, META_DEMO) and not self.include_demo_data:
                    if not self.start_clean:
                        raise DemoProfileRefused(
                            _(
                                "This profile holds demo data, which must not reach a company server. Start the profile "
                                "clean (its demo data is removed and the company's data is fetched): "
                                "accountdesk sync --start-clean, or the “Start clean” button of the sign-in dialog."
                            )
                        )
                    _drop_demo_data(session)
                _hand_local_work_over(session, info.id)
            _drop_local_users(session, info.username, info.id)
            row = session.get(User, info.id)
            if row is None:
                session.add(
                    User(
                        id=info.id,
                        username=info.username,
                        display_name=info.display_name,
                        role=info.role,
                        active=True,
                        updated_at="",
                    )
                )
            else:
                row.role, row.display_name = info.role, info.display_name
            set_meta(session, META_SYNC_USER, info.id)
            set_meta(session, META_SYNC_USERNAME, info.username)
            set_meta(session, META_SERVER_URL, self.server_url)
            if self.allow_insecure and is_insecure(self.server_url):
                set_meta(session, META_INSECURE_OK, self.server_url)
        self.ctx.set_actor(info.id)

    @staticmethod
    def _rejoin(session: Session, previous: str, user_id: str) -> None:
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

    def history(self, client_id: str, field: str | None = None) -> list[p.HistoryEntry]:
        """The server's history of a client's fields (newest first), stripped for this role."""
        params = {"field": field} if field else None
        page = p.HistoryPage.model_validate(self._request("GET", f"/v1/history/{client_id}", params=params))
        return page.entries

    # -- revocation ----------------------------------------------------------------------------

    def _revoked(self, code: str, grant: Any) -> NoReturn:
        """The server says this device is revoked (or its user deactivated). Outside a sync the
        farewell is made at once; during one (its lock held, maybe by another thread of it) the
        error goes up to :meth:`sync`, which makes it (:meth:`_leave`)."""
        error: DeviceRevoked | UserDeactivated
        if code == p.E_DEVICE_REVOKED:
            error = DeviceRevoked(_("This device has been revoked: the company's data was removed from it."))
        else:
            error = UserDeactivated(_("Your account has been deactivated; ask your administrator."))
        error.farewell = grant if isinstance(grant, dict) else None
        if self._lock.acquire(blocking=False):
            try:
                raise self._leave(error)
            finally:
                self._lock.release()
        raise error

    def _leave(self, error: DeviceRevoked | UserDeactivated) -> SyncError:
        """A revoked device's farewell, then its wipe; returns the error to raise. What the
        outbox holds is sent with the server's farewell grant (kept there as conflicts for whoever
        holds the clients now), then the company's data is removed (:meth:`_wipe`). When the
        server cannot be reached meanwhile nothing is wiped (``ServerUnreachable``): the next
        contact tries again — as long as the server grants a farewell; once it grants none (the
        farewell ended, or the revocation is too old), the device is wiped with what it held."""
        if getattr(error, "left", False):
            return error
        grant = getattr(error, "farewell", None)
        pending = self._pending_count()
        if grant is None:
            try:
                grant = self._ask_farewell()
            except ServerUnreachable:
                if pending:
                    raise
                grant = None  # nothing to send: the wipe does not wait for the network
        if grant is None and isinstance(error, UserDeactivated):
            error.left = True
            return error  # the device is not revoked: nothing is wiped
        report = SyncReport()
        if grant is not None:
            self._farewell(grant, report)
        self._wipe()
        self._access = None
        if report.pushed or report.rejected:
            done = DeviceRevoked(
                _(
                    "This device has been revoked. Its {sent} unsent change(s) were sent to the server, "
                    "where whoever now holds its clients will find them ({refused} refused); then the "
                    "company's data was removed from it."
                ).format(sent=report.pushed, refused=report.rejected)
            )
        else:
            done = DeviceRevoked(_("This device has been revoked: the company's data was removed from it."))
        done.left = True
        return done

    def _pending_count(self) -> int:
        from sqlalchemy import func, select

        with self.store.read() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "pending")
                )
                or 0
            )

    def _ask_farewell(self) -> dict[str, Any] | None:
        """A farewell grant from the server, asked with this device's refresh token, else with
        its user's password (the server says "revoked" with the grant, while it permits one)."""
        token = self.credentials.refresh_token()
        if token:
            grant = self._grant_of(
                self._raw_post("/v1/auth/refresh", {"refresh_token": token, "device_id": self.ctx.device_id})
            )
            if grant is not None:
                return grant
        password = self.credentials.password()
        if not password:
            return None
        return self._grant_of(
            self._raw_post(
                "/v1/auth/login",
                {
                    "username": self.credentials.username,
                    "password": password,
                    "device_id": self.ctx.device_id,
                    "device_name": _device_name(),
                    "device_key": self.credentials.device_key(),
                },
            )
        )

    @staticmethod
    def _grant_of(resp: httpx.Response) -> dict[str, Any] | None:
        if resp.status_code != 403:
            return None
        try:
            grant = resp.json().get("farewell")
            return p.FarewellGrant.model_validate(grant).model_dump() if grant else None
        except (ValueError, AttributeError):
            return None

    def _raw_post(
        self, path: str, body: Any = None, *, token: str | None = None, encoded: bytes | None = None
    ) -> httpx.Response:
        """A request whose answer the caller reads itself (a farewell's: a refusal there is not
        handled as anywhere else)."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        content = encoded if encoded is not None else json.dumps(body or {}).encode()
        if len(content) > 2048:
            content = gzip.compress(content, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        try:
            resp = self._http.post(path, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                _("The sync server cannot be reached ({error}).").format(error=type(exc).__name__)
            ) from exc
        if resp.status_code in (502, 503, 504):
            raise ServerUnreachable(
                _(
                    "The sync server is unavailable for the moment (it or its database is down, or "
                    "busy); try again later."
                )
            )
        return resp

    def _farewell(self, grant: dict[str, Any], report: SyncReport) -> None:
        """Send the outbox with the farewell grant, batch by batch, then end the farewell. A
        grant that stops working (it lasts half an hour) is asked for again; when the server
        grants none any more, what is left is not sent."""
        from sqlalchemy import delete

        with self.store.write() as session:  # users are the server's: their local records are not sent
            session.execute(
                delete(OutboxEntry).where(OutboxEntry.entity == "user", OutboxEntry.status == "pending")
            )
        token = str(grant["token"])
        for _attempt in range(3):
            try:
                while (claimed := self._claim_batch()) is not None:
                    batch = self._batch_body(*claimed)
                    self._store_push_result(
                        batch,
                        self._farewell_answer(
                            self._raw_post(p.PATH_FAREWELL_PUSH, token=token, encoded=batch.body)
                        ),
                        report,
                    )
                self._farewell_answer(self._raw_post(p.PATH_FAREWELL_END, token=token))
                log.warning(
                    "farewell of a revoked device: %s change(s) sent, %s refused",
                    report.pushed,
                    report.rejected,
                )
                return
            except _GrantEnded:
                again = self._ask_farewell()
                if again is None:
                    break
                token = str(again["token"])
        log.warning("farewell of a revoked device ended by the server: %s change(s) sent", report.pushed)

    @staticmethod
    def _farewell_answer(resp: httpx.Response) -> Any:
        if resp.status_code in (401, 403):
            raise _GrantEnded
        if resp.status_code == 426:
            raise UpdateRequired(_("This version of AccountDesk is too old for the server; please update."))
        if resp.status_code >= 400:
            raise SyncError(
                _("The server refused the request: {message}").format(
                    message=resp.text[:200] or resp.status_code
                )
            )
        return orjson.loads(resp.content)


class _GrantEnded(Exception):
    """The farewell grant stopped working (it expired, or the farewell ended)."""
