"""The device's file transfers (issue 18): attachment bytes go up and come down beside the row
sync, never inside it.

- **Rows first.** An attachment row syncs like any other; its bytes are uploaded once the server
  has accepted the row (a blob whose row is still in the outbox waits), and downloaded once the
  row has arrived.
- **Resumable.** An upload asks the server where its copy stands and continues from there (the
  server keeps what reached its disk, even of a piece cut short; a file of one piece just goes,
  and a ``409`` says where the server stands); a download continues with ``Range: bytes=N-``
  from what this device has counted: the bytes are committed to the profile's file of bytes
  ``COMMIT_BYTES`` at a time as they arrive, then counted in the database (``have``) in a short
  transaction of its own (one UPDATE: the database's write lock is not held while the bytes are
  written). The hash is checked at the end on both sides: a corrupt or duplicate blob cannot
  appear.
- **Memory flat.** A piece is read from the profile as it is sent, and a download stored as it
  arrives: neither is gathered whole.
- **What is kept offline.** The files of the clients this device's user owns, backs up or serves,
  unless the person switched "keep offline" off for a client; for other clients (a supervisor's
  laptop need not hold the company's files), those asked for (:func:`request`). A client's
  files leave the device with the client (:meth:`FileSync.prune`).
- **Progress and cancel**: a callback receives ``(done bytes, total bytes, file name)``; an
  ``Event`` stops between pieces (what arrived is kept).
- **Refusals** (over the server's limit, quota used up, not allowed) are kept with the blob
  (``last_error``) and shown beside the attachment; the transfer goes on with the other files.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import Session

from ..i18n import _
from ..models import Attachment, Client, ClientTeamMember, LocalBlob, OfflineChoice, OutboxEntry
from ..store import blobs
from .changes import get_meta, set_meta
from .client.base import LoginRequired, ServerUnreachable, SyncError
from .context import SignedIn
from .file_fetch import Fetcher
from .file_writer import Batch, BlobWriter, Ticket, receive

log = logging.getLogger("accountdesk.sync")

#: Meta key of the limits the server announced (``max_file_bytes``, ``quota_bytes``, ...).
META_FILE_LIMITS = "file_limits"
#: Files transferred side by side.
STREAMS = 3
#: Size of the pieces sent when the server does not say (it does: ``piece_bytes`` of its limits).
DEFAULT_PIECE = 4 * 1024 * 1024

Progress = Callable[[int, int, str], None]

E_QUOTA = "quota_exceeded"
E_NOT_UPLOADED = "not_uploaded"
E_OFFSET = "offset_mismatch"


class _Stop(Exception):
    pass


@dataclass
class FileReport:
    uploaded: int = 0
    downloaded: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    waiting: int = 0  # files the server does not have yet (another device still uploads them)
    failed: list[dict[str, str]] = field(default_factory=list)  # {"sha256", "error"}
    cancelled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, n: int) -> None:
        """Count (from the transfer threads)."""
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, Any]:
        return {
            "uploaded": self.uploaded,
            "downloaded": self.downloaded,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "waiting": self.waiting,
            "failed": self.failed,
            "cancelled": self.cancelled,
        }


class Refused(Exception):
    def __init__(self, code: str, message: str, body: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.body = body or {}


def request(session: Session, sha256: str, size: int) -> None:
    """Ask for a blob on demand (a file of a client that is not kept offline, opened by the
    person): the next transfer fetches it."""
    blobs.begin_download(session, sha256, size)


def _kept_offline_clause(user_id: str | None) -> ColumnElement[bool]:
    """SQL: the attachment's client is kept offline on this device."""
    mine = or_(
        Client.owner_id == user_id,
        Client.backup_owner_id == user_id,
        exists(
            select(ClientTeamMember.id).where(
                ClientTeamMember.client_id == Client.id,
                ClientTeamMember.user_id == user_id,
                ClientTeamMember.deleted_at.is_(None),
            )
        ),
    )
    choice = select(OfflineChoice.keep).where(OfflineChoice.client_id == Client.id).scalar_subquery()
    return or_(choice.is_(True), and_(choice.is_(None), mine))


class FileSync:
    """Uploads and downloads of one profile's blobs through a signed-in :class:`SyncEngine`
    (its HTTP client, token and refresh)."""

    def __init__(self, engine: SignedIn) -> None:
        self.engine = engine
        self.ctx = engine.ctx
        self.store = engine.store
        #: the size of the pieces sent: the server's (:meth:`refresh_limits`), or a smaller one set here
        self.piece: int | None = None
        self._piece_bytes = DEFAULT_PIECE
        #: files transferred side by side
        self.streams = STREAMS
        #: during :meth:`run`: the thread storing downloaded pieces (sync/file_writer.py) and the
        #: connections fetching them (sync/file_fetch.py)
        self._writer: BlobWriter | None = None
        self._fetcher: Fetcher | None = None

    # -- HTTP ---------------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | Callable[[], Iterator[bytes]] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One request with the engine's token (signed in again once on 401); ``content`` may be
        a function making the body's pieces (called again for a second attempt; the pieces are
        sent as they come, never gathered — give their Content-Length in ``headers``)."""
        e = self.engine
        hdrs = dict(headers or {})
        hdrs["Accept-Encoding"] = "identity"
        if json_body is not None:
            content = orjson.dumps(json_body)
            hdrs["Content-Type"] = "application/json"
        token = None
        for attempt in (1, 2):
            with e._auth_lock:
                if e._access is None:
                    e._authenticate()
                token = e._access
            hdrs["Authorization"] = f"Bearer {token}"
            body = content() if callable(content) else content
            try:
                resp = e._http.request(method, path, content=body, headers=hdrs, timeout=120)
            except httpx.TransportError as exc:
                raise ServerUnreachable(
                    _("The sync server cannot be reached ({error}).").format(error=type(exc).__name__)
                ) from exc
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()  # (a generator's read transaction ends here)
            if resp.status_code == 401 and attempt == 1:
                with e._auth_lock:
                    if e._access == token:
                        e._access = None
                continue
            return resp
        raise LoginRequired(_("The server did not accept the login; please log in again."))

    def _check(self, resp: httpx.Response) -> dict[str, Any]:
        """The JSON of a success; :class:`Refused` for the refusals a transfer handles itself;
        the engine's errors for the others (server down, please update, revoked, ...)."""
        if resp.status_code < 400:
            return orjson.loads(resp.content) if resp.content else {}
        try:
            body = resp.json()
            code = body.get("code", "")
        except ValueError:
            body, code = {}, ""
        if resp.status_code in (404, 409, 413, 422) and code:
            raise Refused(code, body.get("message", ""), body)
        self.engine._answer(resp)
        raise SyncError(str(resp.status_code))  # pragma: no cover - _answer raised

    def refresh_limits(self) -> dict[str, Any]:
        limits = self._check(self._send("GET", "/v1/files/limits"))
        with self.store.write() as session:
            set_meta(session, META_FILE_LIMITS, limits)
        server = int(limits.get("piece_bytes") or DEFAULT_PIECE)
        self._piece_bytes = min(self.piece or server, server)
        return limits

    # -- what to do ---------------------------------------------------------------------------
    def pending_uploads(self) -> list[tuple[str, int, str]]:
        """(sha, size, file name) of blobs here that the server may not have, whose row it has."""
        with self.store.read() as session:
            queued = select(OutboxEntry.row_id).where(
                OutboxEntry.entity == "attachment", OutboxEntry.op == "create"
            )
            stmt = (
                select(LocalBlob.sha256, LocalBlob.size, Attachment.file_name)
                .join(Attachment, Attachment.sha256 == LocalBlob.sha256)
                .where(
                    LocalBlob.complete.is_(True),
                    LocalBlob.uploaded.is_(False),
                    Attachment.deleted_at.is_(None),
                    Attachment.id.not_in(queued),
                )
            )
            seen: dict[str, tuple[str, int, str]] = {}
            for sha, size, name in session.execute(stmt):
                seen.setdefault(sha, (sha, size, name or sha[:12]))
            return list(seen.values())

    def wanted_downloads(self) -> list[tuple[str, int, str]]:
        """(sha, size, file name) of blobs this device should hold and does not (yet)."""
        user_id = self.ctx.actor.id
        with self.store.read() as session:
            complete = select(LocalBlob.sha256).where(LocalBlob.complete.is_(True))
            requested = select(LocalBlob.sha256).where(LocalBlob.complete.is_(False))
            stmt = (
                select(Attachment.sha256, Attachment.size, Attachment.file_name)
                .join(Client, Client.id == Attachment.client_id)
                .where(
                    Attachment.deleted_at.is_(None),
                    Attachment.sha256.is_not(None),
                    not_(Attachment.sha256.in_(complete)),
                    or_(_kept_offline_clause(user_id), Attachment.sha256.in_(requested)),
                )
            )
            seen: dict[str, tuple[str, int, str]] = {}
            for sha, size, name in session.execute(stmt):
                if sha is not None:  # (always: the query asks for a hash)
                    seen.setdefault(sha, (sha, size or 0, name or sha[:12]))
            return list(seen.values())

    # -- the whole transfer -------------------------------------------------------------------
    def run(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> FileReport:
        report = FileReport()
        notify = progress or (lambda *_a: None)
        try:
            self.refresh_limits()
            ups = self.pending_uploads()
            downs = self.wanted_downloads()
            total = sum(s for _sha, s, _n in ups) + sum(s for _sha, s, _n in downs)
            done = [0]
            lock = threading.Lock()

            def step(n: int, name: str) -> None:
                with lock:
                    done[0] += n
                    now = done[0]
                notify(now, total, name)
                if cancel is not None and cancel.is_set():
                    raise _Stop

            # A few files at a time: while one piece is on the server's disk, the next is read
            # from the profile and sent (the pieces of one file stay in order).
            jobs = [
                (sha, name, lambda s=sha, z=size, n=name: self.upload(s, z, lambda k: step(k, n), report))
                for sha, size, name in ups
            ]
            jobs += [
                (sha, name, lambda s=sha, z=size, n=name: self.download(s, z, lambda k: step(k, n), report))
                for sha, size, name in downs
            ]
            if downs:
                self._writer = BlobWriter(self.store)
                self._fetcher = Fetcher(self.engine._http)
            if self.streams <= 1 or len(jobs) <= 1:
                for sha, name, work in jobs:
                    self._one(report, sha, name, work)
            else:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(
                    max_workers=self.streams, thread_name_prefix="accountdesk-files"
                ) as pool:
                    futures = [pool.submit(self._one, report, sha, name, work) for sha, name, work in jobs]
                    try:
                        for f in futures:
                            f.result()
                    except BaseException:
                        for f in futures:
                            f.cancel()
                        raise
            self._close_writer()
            self.prune()
        except _Stop:
            report.cancelled = True
        finally:
            self._close_writer()
        return report

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        fetcher, self._fetcher = self._fetcher, None
        if fetcher is not None:
            fetcher.close()

    def _one(self, report: FileReport, sha: str, name: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Refused as exc:
            message = describe_refusal(exc)
            report.failed.append({"sha256": sha, "file_name": name, "code": exc.code, "error": message})
            with self.store.write() as session:
                blob = blobs.get(session, sha)
                if blob is not None:
                    blob.last_error = message
        except blobs.BlobCorrupt:
            report.failed.append(
                {
                    "sha256": sha,
                    "file_name": name,
                    "code": "corrupt",
                    "error": _("The file arrived damaged; it is fetched again at the next sync."),
                }
            )

    def _read_piece(self, sha: str, offset: int, length: int) -> Iterator[bytes]:
        """The stored bytes of a blob from ``offset``, ``length`` of them, read from the profile
        as they are sent (one stored piece in memory at a time)."""
        sent = 0
        with self.store.read() as session:
            for part in blobs.iter_bytes(session, sha, offset):
                if sent + len(part) > length:
                    part = part[: length - sent]
                yield part
                sent += len(part)
                if sent >= length:
                    break
        if sent != length:  # the profile holds less than its blob row says
            raise blobs.BlobCorrupt("a stored blob is shorter than its size")

    def upload(self, sha: str, size: int, step: Callable[[int], None], report: FileReport) -> None:
        if size > self._piece_bytes:  # where the server's copy stands (a file of one piece just goes)
            state = self._check(self._send("POST", f"/v1/files/{sha}/upload", json_body={"size": size}))
        else:
            state = {"offset": 0, "size": size, "complete": False}
        offset = int(state["offset"])
        while not state["complete"]:
            length = min(self._piece_bytes, size - offset)
            try:
                state = self._check(
                    self._send(
                        "PUT",
                        f"/v1/files/{sha}/upload",
                        content=functools.partial(self._read_piece, sha, offset, length),
                        headers={
                            "Content-Type": "application/octet-stream",
                            "Content-Length": str(length),
                            "X-AccountDesk-Offset": str(offset),
                        },
                    )
                )
            except Refused as exc:
                if exc.code == E_OFFSET and isinstance(exc.body.get("offset"), int):
                    offset = exc.body["offset"]  # the server kept less (or more) than we thought
                    continue
                raise
            sent = int(state["offset"]) - offset
            offset = int(state["offset"])
            report.add("bytes_up", max(sent, 0))
            step(max(sent, 0))
        with self.store.write() as session:
            blobs.mark_uploaded(session, sha)
        report.add("uploaded", 1)

    def download(self, sha: str, size: int, step: Callable[[int], None], report: FileReport) -> None:
        """Fetch a blob from where this device's copy stands (``Range``), storing it COMMIT_BYTES
        per transaction as it arrives; the last transaction checks the hash and completes it.
        Damaged bytes are thrown away (:class:`blobs.BlobCorrupt`, fetched again next time)."""
        with self.store.read() as session:
            blob = blobs.get(session, sha)
            have = blob.have if blob is not None else 0
        try:
            self._download(sha, size, have, step, report)
        except blobs.BlobCorrupt:
            with self.store.write() as session:  # (the failed transaction was rolled back)
                blobs.discard(session, sha)
            raise

    def _download(
        self, sha: str, size: int, have: int, step: Callable[[int], None], report: FileReport
    ) -> None:
        if have >= size and size > 0:  # all here, but not checked yet (stopped just before)
            with self.store.write() as session:
                blobs.finish_download(session, sha)
            report.add("downloaded", 1)
            return
        if size == 0:
            resp = self._send("GET", f"/v1/files/{sha}")
            try:
                self._check(resp) if resp.status_code >= 400 else None
            except Refused as exc:
                if exc.code == E_NOT_UPLOADED:
                    report.add("waiting", 1)
                    return
                raise
            with self.store.write() as session:
                blobs.begin_download(session, sha, size)
                blobs.finish_download(session, sha)
            report.add("downloaded", 1)
            return
        e = self.engine
        with e._auth_lock:
            if e._access is None:
                e._authenticate()
            token = e._access
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept-Encoding": "identity",
            "Range": f"bytes={have}-",
        }
        fetcher = self._fetcher or Fetcher(e._http)
        writer = self._writer or BlobWriter(self.store)
        try:
            with fetcher.get(f"/v1/files/{sha}", headers) as got:
                if got.status_code == 401:
                    with e._auth_lock:
                        if e._access == token:
                            e._access = None
                    got.error_response()
                    return self._download(sha, size, have, step, report)
                if got.status_code >= 400:
                    try:
                        self._check(got.error_response())
                    except Refused as exc:
                        if exc.code == E_NOT_UPLOADED:
                            report.add("waiting", 1)
                            return None
                        raise
                restart = got.status_code == 200 and have > 0  # the server sent everything
                if restart:
                    have = 0
                if have:
                    with self.store.read() as session:
                        running = blobs.hash_stored(session, sha, have)
                else:
                    running = hashlib.sha256()
                offset = receive(
                    writer,
                    got.pieces(),
                    Batch(Ticket(), sha, have, [], size, first=True, restart=restart, running=running),
                    step,
                    lambda n: report.add("bytes_down", n),
                )
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                _("The sync server cannot be reached ({error}).").format(error=type(exc).__name__)
            ) from exc
        finally:
            if fetcher is not self._fetcher:  # (a download outside run())
                fetcher.close()
            if writer is not self._writer:
                writer.close()
        if offset != size:  # the server's copy is not the size its record says
            raise blobs.BlobCorrupt("the received bytes do not have the file's size")
        report.add("downloaded", 1)
        return None

    def prune(self) -> int:
        """Drop blobs no live attachment names any more (deleted, or their client left this
        device's scope), except those still to be uploaded for a live row; and pieces a crash
        left in the profile's file of bytes that the database does not name (store/blobdb.py)."""
        with self.store.write() as session:
            n = blobs.prune(session)
        self.store.sweep_pieces()
        return n


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def describe_refusal(exc: Refused) -> str:
    """A refusal as the person reads it."""
    body = exc.body
    if exc.code == "too_large":
        limit = body.get("limit")
        return _("The file is larger than the server accepts ({limit}).").format(
            limit=_human(limit) if isinstance(limit, int) else "?"
        )
    if exc.code == E_QUOTA:
        quota = body.get("quota")
        return _("Your quota for files on the server ({quota}) is used up; ask your administrator.").format(
            quota=_human(quota) if isinstance(quota, int) else "?"
        )
    if exc.code == "hash_mismatch":
        return _("The server received damaged bytes; the file is sent again at the next sync.")
    if exc.code in ("not_found",):
        return _("The server does not let this computer have this file.")
    return _("The server refused the file: {message}").format(message=exc.message or exc.code)


def last_errors(session: Session) -> dict[str, str]:
    return {
        sha: err
        for sha, err in session.execute(
            select(LocalBlob.sha256, LocalBlob.last_error).where(LocalBlob.last_error.is_not(None))
        )
        if err is not None  # (always: the query asks for an error)
    }


def limits(session: Session) -> dict[str, Any]:
    return get_meta(session, META_FILE_LIMITS) or {}
