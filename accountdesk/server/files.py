"""Attachment files on the server (issue 18): content-addressed blobs on disk, uploaded and
downloaded in pieces beside the row sync, with the same scope and confidentiality as the rows.

Storage: ``<files dir>/<sha[:2]>/<sha>``, named by their SHA-256. The folder is the server
setting ``ACCOUNTDESK_SERVER_FILES_DIR`` (``serve --files-dir``); by default a folder beside a
SQLite database (``<database>-files``), or one per database under the server's data folder for
PostgreSQL. An upload in progress is ``partial/<sha>.part``: it grows piece by piece (each
``PUT`` continues exactly where the file stands, so a device or a server killed half-way resumes
from the last byte that reached the disk), and becomes the blob only when its hash is right
(renamed into place: a blob on disk is always whole and correct). ``srv_blobs`` records who
uploaded each blob first (the per-user quota counts those).

What the server trusts (nothing a device claims):
- a device may upload or download a blob only when a live attachment record with that hash lies
  in a client it may see, and, for roles that may not see confidential data, that record is not
  confidential — the same answer (404) whether the blob or the client exists or not;
- the size comes from that record (pushed and checked like every row), never from the request;
  the bytes must hash to the name, or the upload is thrown away;
- a file over the per-file limit or over the user's quota is refused with its own code
  (``too_large``, ``quota_exceeded``) before a byte is kept;
- the record's file (hash, size, name, type) and what it belongs to never change; field staff
  mark nothing confidential and delete only the attachments they added
  (:func:`check_push`, called by the merge for every pushed attachment).
"""

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from starlette.requests import ClientDisconnect

from ..domain.files import SHA256_RE
from ..domain.schema import ATTACHMENT_PARENTS
from ..models.enums import Role
from ..permissions import sees_all_clients, sees_confidential
from ..sync import protocol as p
from . import repo
from . import tables as t
from .db import Database, data_dir_default
from .errors import ServerError
from .settings import Settings

log = logging.getLogger("accountdesk.server")

#: Fields of an attachment fixed when it is made.
IMMUTABLE = frozenset({"file_name", "media_type", "size", "sha256", *ATTACHMENT_PARENTS})
#: Largest piece of an upload (streamed to the disk as it arrives: its size costs no memory).
MAX_PIECE = 64 * 1024 * 1024
#: Partial uploads untouched for this long are removed by the purge.
PARTIAL_MAX_AGE = dt.timedelta(days=7)
#: A blob no record names is kept this long after it was stored (its record may still be on its
#: way: devices push rows first, files after, but a retried upload can come later).
UNREFERENCED_GRACE = dt.timedelta(days=1)

E_QUOTA = "quota_exceeded"
E_HASH = "hash_mismatch"
E_OFFSET = "offset_mismatch"
E_NOT_UPLOADED = "not_uploaded"

_SHA_PATH = Annotated[str, PathParam(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]
_PIECE_PATH = re.compile(r"/v1/files/[0-9a-f]{64}/upload")
#: Bytes of a piece handed to the disk at a time (the next arrive meanwhile).
WRITE_BYTES = 1024 * 1024
#: How long a piece waits for another request writing the same blob.
LOCK_WAIT_S = 30.0


def is_piece_path(method: str, path: str) -> bool:
    """A piece of a file (``PUT /v1/files/<sha>/upload``): its body is not read by the request
    guard but streamed to the disk by :func:`router`'s route, which caps it."""
    return method == "PUT" and _PIECE_PATH.fullmatch(path) is not None


def _piece_length(request: Request) -> int:
    """The announced length of a piece, checked before its body is read."""
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise ServerError(415, p.E_BAD_REQUEST, "A piece of a file is sent as it is (no content encoding).")
    raw = request.headers.get("content-length")
    if raw is None or not raw.isdigit():
        raise ServerError(411, p.E_BAD_REQUEST, "A piece of a file must give its Content-Length.")
    length = int(raw)
    if length > MAX_PIECE:
        raise ServerError(413, p.E_TOO_LARGE, f"A piece may have at most {MAX_PIECE} bytes.")
    return length


# -- where the files live --------------------------------------------------------------------


def default_root(database_url: str) -> Path:
    """The files folder of a database: beside a SQLite file, or per PostgreSQL database under the
    server's data folder."""
    url = make_url(database_url)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        db = Path(url.database)
        return db.with_name(db.name + "-files")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{url.host or 'local'}_{url.port or 5432}_{url.database or 'db'}")
    return data_dir_default() / "files" / name


def root_for(database_url: str, settings: Settings | None = None) -> Path:
    settings = settings or Settings()
    return Path(settings.files_dir) if settings.files_dir else default_root(database_url)


class OffsetMismatch(Exception):
    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


class HashMismatch(Exception):
    pass


class Busy(Exception):
    """Another request is writing the same blob."""


class FileStore:
    """Blobs on disk, named by hash; partial uploads beside them."""

    _locks: dict[str, threading.Lock] = {}
    _locks_guard = threading.Lock()
    #: sha -> (bytes hashed, running SHA-256) of uploads under way in this process
    _hashes: dict[str, tuple[int, Any]] = {}

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.partial = self.root / "partial"

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def part(self, sha: str) -> Path:
        return self.partial / f"{sha}.part"

    def has(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def offset(self, sha: str) -> int:
        try:
            return self.part(sha).stat().st_size
        except FileNotFoundError:
            return 0

    def _acquire(self, sha: str, timeout: float | None = None) -> int:
        """Take the blob's lock — one writer per blob: a thread lock in this process and, where
        the system has it, a file lock across the server's processes; returns the lock file's
        descriptor (:meth:`_release`). :class:`Busy` after ``timeout`` seconds."""
        with self._locks_guard:
            lock = self._locks.setdefault(sha, threading.Lock())
        if not lock.acquire(timeout=-1 if timeout is None else timeout):
            raise Busy()
        try:
            self.partial.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.partial / f"{sha}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        except BaseException:
            lock.release()
            raise
        try:
            import fcntl
        except ImportError:  # Windows: one serving process per files folder
            return fd
        try:
            if timeout is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                deadline = time.monotonic() + timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise Busy() from None
                        time.sleep(0.05)
        except BaseException:
            os.close(fd)
            lock.release()
            raise
        return fd

    def _release(self, sha: str, fd: int) -> None:
        os.close(fd)  # (the file lock goes with it)
        self._locks[sha].release()

    @contextlib.contextmanager
    def _lock(self, sha: str) -> Iterator[None]:
        fd = self._acquire(sha)
        try:
            yield
        finally:
            self._release(sha, fd)

    def open_piece(
        self, sha: str, offset: int, length: int, size: int, timeout: float | None = None
    ) -> "Piece | None":
        """Begin writing a piece of ``length`` bytes at ``offset`` (where the partial file must
        stand; :class:`OffsetMismatch` otherwise, or when the piece would run past ``size``). The
        blob's lock is held until :meth:`Piece.close`. A blob already whole: None."""
        fd = self._acquire(sha, timeout)
        try:
            if self.has(sha):
                self._release(sha, fd)
                return None
            part = self.part(sha)
            current = self.offset(sha)
            if offset != current or current + length > size:
                raise OffsetMismatch(current)
            # The running hash of what this process received continues piece by piece; after a
            # restart (or a piece another process took) it is made again from the file.
            running = self._hashes.pop(sha, None)
            if running is None or running[0] != current:
                running = (current, self._hash_of(part, current))
            f = open(part, "ab", buffering=0)  # noqa: SIM115 - closed by Piece.close
        except BaseException:
            self._release(sha, fd)
            raise
        return Piece(self, sha, size, current, length, f, running[1], fd)

    def append(self, sha: str, offset: int, data: bytes, size: int) -> int:
        """Add a piece held in memory at ``offset`` (where the partial file stands); returns the
        new offset. At ``size`` the hash is checked and the blob put in place
        (:class:`HashMismatch`: thrown away)."""
        piece = self.open_piece(sha, offset, len(data), size)
        if piece is None:
            return size
        try:
            piece.write([data])
            return piece.finish()
        finally:
            piece.close()

    @staticmethod
    def _hash_of(part: Path, length: int):
        h = hashlib.sha256()
        if length:
            with open(part, "rb") as f:
                while piece := f.read(1024 * 1024):
                    h.update(piece)
        return h

    def _finish(self, sha: str, h) -> None:
        part = self.part(sha)
        if h.hexdigest() != sha:
            part.unlink(missing_ok=True)
            raise HashMismatch()
        with open(part, "rb+") as f:  # on the disk before it becomes the blob
            os.fsync(f.fileno())
        target = self.path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
        with contextlib.suppress(OSError):  # the rename itself reaches the disk
            dfd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def delete(self, sha: str) -> None:
        self.path(sha).unlink(missing_ok=True)
        self.part(sha).unlink(missing_ok=True)

    def stored(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for sub in self.root.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                for f in sub.iterdir():
                    if SHA256_RE.fullmatch(f.name):
                        yield f.name

    def stale_partials(self, older_than: dt.timedelta) -> list[Path]:
        if not self.partial.is_dir():
            return []
        cutoff = dt.datetime.now(dt.UTC).timestamp() - older_than.total_seconds()
        return [f for f in self.partial.iterdir() if f.stat().st_mtime < cutoff]


class Piece:
    """A piece of an upload being written as it arrives (:meth:`FileStore.open_piece`): its
    bytes go to the partial file (the page cache: a killed process loses nothing it wrote) and
    into the running hash, never gathered in memory. What reached the file before a dropped
    connection stays: the next piece continues from there."""

    def __init__(self, store: FileStore, sha: str, size: int, start: int, length: int, f, h, fd: int):
        self.store, self.sha, self.size = store, sha, size
        self.at, self.end = start, start + length
        self._f, self._h, self._fd = f, h, fd
        self._done = False

    def write(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            if self.at + len(chunk) > self.end:
                raise OffsetMismatch(self.at)  # more than the piece announced
            self._f.write(chunk)
            self._h.update(chunk)
            self.at += len(chunk)

    def finish(self) -> int:
        """The piece is whole: at the file's size its hash is checked and it becomes the blob;
        returns the new offset."""
        if self.at == self.size:
            self._f.close()
            self._done = True
            self.store._finish(self.sha, self._h)  # (HashMismatch: thrown away)
        return self.at

    def close(self) -> None:
        """Let go of the file and the lock; the running hash stays for the next piece."""
        if self._fd < 0:
            return
        try:
            self._f.close()
            if not self._done:
                self.store._hashes[self.sha] = (self.at, self._h)
        finally:
            fd, self._fd = self._fd, -1
            self.store._release(self.sha, fd)


# -- who may have which blob ---------------------------------------------------------------------


def _sha_expr(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        return "(data->>'sha256')"
    return "json_extract(data, '$.sha256')"


def attachment_records(conn: Connection, sha: str) -> list[dict[str, Any]]:
    """The live attachment records that name a blob (client, hidden fields, size)."""
    sql = text(
        f"SELECT id, client_id, hidden, data FROM srv_records WHERE entity = 'attachment' "
        f"AND deleted = :no AND {_sha_expr(conn)} = :sha"
    )
    rows = conn.execute(sql, {"sha": sha, "no": False}).mappings().all()
    out = []
    for r in rows:
        data = r["data"] if isinstance(r["data"], dict) else json.loads(r["data"])
        hidden = r["hidden"] if isinstance(r["hidden"], list) else json.loads(r["hidden"] or "[]")
        out.append({"id": r["id"], "client_id": r["client_id"], "hidden": hidden, "data": data})
    return out


def allowed_record(conn: Connection, who, sha: str) -> dict[str, Any] | None:
    """A live attachment record naming ``sha`` that ``who`` may read, or None."""
    everything = sees_all_clients(who.role)
    secret_ok = sees_confidential(who.role)
    for rec in attachment_records(conn, sha):
        if rec["hidden"] and not secret_ok:
            continue
        if everything or (rec["client_id"] and repo.in_scope(conn, who.user_id, rec["client_id"])):
            return rec
    return None


def used_bytes(conn: Connection, user_id: str) -> int:
    return int(
        conn.execute(
            select(func.coalesce(func.sum(t.blobs.c.size), 0)).where(t.blobs.c.uploaded_by == user_id)
        ).scalar_one()
    )


# -- the merge's rules for pushed attachment rows ------------------------------------------------


def check_push(
    writer, op: str, fields: set[str], existing: dict[str, Any] | None, values: dict[str, Any] | None
) -> None:
    """Rules of attachment rows on top of the generic ones (see the module docstring)."""
    from .validate import Rejected, invalid

    role = writer.who.role
    if op == "update":
        fixed = sorted(IMMUTABLE & fields)
        if fixed:
            raise invalid(
                fixed[0], "the file of an attachment cannot change (another file is another attachment)"
            )
        if existing is not None:
            parents = [k for k in ATTACHMENT_PARENTS if existing["data"].get(k)]
            if len(parents) > 1:
                raise invalid(parents[1], "an attachment belongs to one record at most")
    if op == "create":
        values = values or {}
        parents = [k for k in ATTACHMENT_PARENTS if values.get(k)]
        if len(parents) > 1:
            raise invalid(parents[1], "an attachment belongs to one record at most")
        if values.get("confidential") and not sees_confidential(role):
            raise Rejected(p.R_CONFIDENTIAL, "your role may not mark a file confidential")
        size = values.get("size")
        limit = writer.settings.max_file_bytes
        if isinstance(size, int) and limit > 0 and size > limit:
            raise invalid("size", f"larger than the server's limit for one file ({limit} bytes)")
    if (
        op == "delete"
        and role == Role.FIELD
        and existing is not None
        and existing["data"].get("created_by") != writer.who.user_id
    ):
        raise Rejected(p.R_NOT_ALLOWED, "field staff delete only the attachments they added")


# -- HTTP ------------------------------------------------------------------------------------------


class _BlobResponse(FileResponse):
    chunk_size = 1024 * 1024  # (Starlette's default of 64 KB costs a send per 64 KB)


class UploadStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int = Field(ge=0, le=p.MAX_INT)


class UploadState(BaseModel):
    offset: int
    size: int
    complete: bool


class Limits(BaseModel):
    max_file_bytes: int
    quota_bytes: int
    used_bytes: int
    piece_bytes: int


def router(db: Database, settings: Settings, store: FileStore, who_dep) -> APIRouter:
    r = APIRouter()

    def _allowed(conn: Connection, who, sha: str) -> dict[str, Any]:
        rec = allowed_record(conn, who, sha)
        if rec is None:
            raise ServerError(404, p.E_NOT_FOUND, "No such file.")
        return rec

    def _size_of(rec: dict[str, Any]) -> int:
        size = rec["data"].get("size")
        if not isinstance(size, int) or size < 0:
            raise ServerError(404, p.E_NOT_FOUND, "No such file.")
        return size

    def _check_size(size: int) -> None:
        if settings.max_file_bytes > 0 and size > settings.max_file_bytes:
            raise ServerError(
                413,
                p.E_TOO_LARGE,
                f"The file is larger than the server's limit ({settings.max_file_bytes} bytes).",
                limit=settings.max_file_bytes,
            )

    def _reserve(who, sha: str, size: int) -> None:
        """Charge the blob to the user who uploads it first, before a byte is kept: their
        uploads under way count against the quota too, and uploads side by side are counted one
        after the other (the user's row is locked; SQLite serialises writers anyway)."""
        _check_size(size)
        with db.write() as conn:
            if conn.execute(select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha)).first() is not None:
                return  # charged already (to whoever started it)
            if conn.dialect.name == "postgresql":
                conn.execute(select(t.users.c.id).where(t.users.c.id == who.user_id).with_for_update())
            if settings.file_quota_bytes > 0:
                used = used_bytes(conn, who.user_id)
                if used + size > settings.file_quota_bytes:
                    raise ServerError(
                        413,
                        E_QUOTA,
                        "Your quota for files on the server is used up.",
                        quota=settings.file_quota_bytes,
                        used=used,
                    )
            try:
                with conn.begin_nested():  # another upload of the same bytes may have started meanwhile
                    conn.execute(
                        insert(t.blobs).values(
                            sha256=sha, size=size, uploaded_by=who.user_id, created_at=repo.utcnow()
                        )
                    )
            except IntegrityError:
                pass

    def _release(sha: str) -> None:
        """An upload thrown away (its bytes did not match): it no longer counts."""
        if not store.has(sha):
            with db.write() as conn:
                conn.execute(t.blobs.delete().where(t.blobs.c.sha256 == sha))

    @r.get("/v1/files/limits", response_model=Limits)
    def limits(who: who_dep) -> Limits:
        with db.read() as conn:
            used = used_bytes(conn, who.user_id)
        return Limits(
            max_file_bytes=settings.max_file_bytes,
            quota_bytes=settings.file_quota_bytes,
            used_bytes=used,
            piece_bytes=settings.file_piece_bytes,
        )

    @r.post(
        "/v1/files/{sha}/upload",
        response_model=UploadState,
        responses={404: {"model": p.ErrorBody}, 413: {"model": p.ErrorBody}, 409: {"model": p.ErrorBody}},
    )
    def upload_start(sha: _SHA_PATH, req: UploadStart, who: who_dep) -> UploadState:
        """Begin or resume an upload: where the server's copy stands."""
        with db.read() as conn:
            rec = _allowed(conn, who, sha)
            size = _size_of(rec)
            if req.size != size:
                raise ServerError(409, p.E_BAD_REQUEST, "The size does not match the attachment's.")
            if store.has(sha):
                return UploadState(offset=size, size=size, complete=True)
        _reserve(who, sha, size)
        if size == 0:  # nothing to send: the empty blob is made at once
            try:
                store.append(sha, 0, b"", 0)
            except HashMismatch:
                _release(sha)
                raise ServerError(
                    422, E_HASH, "The bytes do not match their hash; the upload was discarded."
                ) from None
            return UploadState(offset=0, size=0, complete=True)
        return UploadState(offset=store.offset(sha), size=size, complete=False)

    @r.put(
        "/v1/files/{sha}/upload",
        response_model=UploadState,
        responses={
            404: {"model": p.ErrorBody},
            409: {"model": p.ErrorBody},
            411: {"model": p.ErrorBody},
            413: {"model": p.ErrorBody},
            415: {"model": p.ErrorBody},
            422: {"model": p.ErrorBody},
        },
    )
    async def upload_piece(
        sha: _SHA_PATH,
        request: Request,
        who: who_dep,
        offset: Annotated[int, Header(alias="X-AccountDesk-Offset", ge=0, le=p.MAX_INT)],
    ) -> Any:
        """One piece of an upload at ``X-AccountDesk-Offset`` (the body: raw bytes, with their
        ``Content-Length``). It streams to the disk and into the running hash as it arrives
        (never held whole in memory: the request guard passes it through, see
        :func:`is_piece_path`); everything is checked before a byte of it is read."""
        length = _piece_length(request)

        def prepare() -> UploadState | Piece:
            with db.read() as conn:
                rec = _allowed(conn, who, sha)
                size = _size_of(rec)
                if store.has(sha):
                    return UploadState(offset=size, size=size, complete=True)
                charged = (
                    conn.execute(select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha)).first() is not None
                )
            if charged:
                _check_size(size)
            else:  # (a device that did not begin with POST)
                _reserve(who, sha, size)
            try:
                piece = store.open_piece(sha, offset, length, size, timeout=LOCK_WAIT_S)
            except OffsetMismatch as exc:
                raise ServerError(
                    409, E_OFFSET, "The piece does not continue the upload.", offset=exc.offset
                ) from None
            except Busy:
                raise ServerError(
                    409,
                    E_OFFSET,
                    "Another upload of this file is under way.",
                    offset=store.offset(sha),
                ) from None
            return piece if piece is not None else UploadState(offset=size, size=size, complete=True)

        ready = await anyio.to_thread.run_sync(prepare)
        if isinstance(ready, UploadState):
            return JSONResponse(ready.model_dump())
        piece = ready
        pending: list[bytes] = []
        held = 0
        try:
            async for chunk in request.stream():
                if chunk:
                    pending.append(chunk)
                    held += len(chunk)
                if held >= WRITE_BYTES:
                    await anyio.to_thread.run_sync(piece.write, pending)
                    pending, held = [], 0
            if pending:
                await anyio.to_thread.run_sync(piece.write, pending)
            if piece.at != piece.end:
                raise ServerError(400, p.E_BAD_REQUEST, "The piece is shorter than its Content-Length.")
            now = await anyio.to_thread.run_sync(piece.finish)
        except ClientDisconnect:  # what arrived is kept (nobody reads this answer)
            if pending:
                await anyio.to_thread.run_sync(piece.write, pending)
            return Response(status_code=400)
        except OffsetMismatch:
            raise ServerError(400, p.E_BAD_REQUEST, "The piece is longer than its Content-Length.") from None
        except HashMismatch:
            await anyio.to_thread.run_sync(_release, sha)
            raise ServerError(
                422, E_HASH, "The bytes do not match their hash; the upload was discarded."
            ) from None
        finally:
            piece.close()
        return JSONResponse(UploadState(offset=now, size=piece.size, complete=now == piece.size).model_dump())

    @r.get(
        "/v1/files/{sha}",
        responses={404: {"model": p.ErrorBody}, 206: {"content": {"application/octet-stream": {}}}},
    )
    def download(sha: _SHA_PATH, who: who_dep) -> Any:
        """The blob's bytes (``Range: bytes=N-`` continues a download)."""
        with db.read() as conn:
            _allowed(conn, who, sha)
        if not store.has(sha):
            raise ServerError(404, E_NOT_UPLOADED, "The file has not reached the server yet.")
        return _BlobResponse(
            store.path(sha),
            media_type="application/octet-stream",
            headers={"Content-Encoding": "identity", "Cache-Control": "no-store"},
        )

    return r


# -- retention -------------------------------------------------------------------------------------


def purge(db: Database, store: FileStore, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Remove blobs that no attachment record names any more (their records were purged after
    the tombstone retention, or never arrived) and partial uploads left for a week."""
    now = now or repo.utcnow()
    removed = 0
    with db.read() as conn:
        sql = text(f"SELECT DISTINCT {_sha_expr(conn)} FROM srv_records WHERE entity = 'attachment'")
        named = {r[0] for r in conn.execute(sql) if r[0]}
        known = {r.sha256: r.created_at for r in conn.execute(select(t.blobs.c.sha256, t.blobs.c.created_at))}
    for sha in list(store.stored()):
        if sha in named:
            continue
        made = known.get(sha)
        made = made if made is None or made.tzinfo else made.replace(tzinfo=dt.UTC)
        if made is not None and now - made < UNREFERENCED_GRACE:
            continue
        store.delete(sha)
        removed += 1
        with db.write() as conn:
            conn.execute(t.blobs.delete().where(t.blobs.c.sha256 == sha))
    partials = 0
    for f in store.stale_partials(PARTIAL_MAX_AGE):
        f.unlink(missing_ok=True)
        partials += 1
    # uploads begun and abandoned: their reservation no longer counts against the quota
    for sha, made in known.items():
        made = made if made.tzinfo else made.replace(tzinfo=dt.UTC)
        if not store.has(sha) and store.offset(sha) == 0 and now - made > PARTIAL_MAX_AGE:
            with db.write() as conn:
                conn.execute(t.blobs.delete().where(t.blobs.c.sha256 == sha))
    if removed or partials:
        log.info("files purge: %d blobs no record names, %d stale partial uploads removed", removed, partials)
    return {"files_removed": removed, "partials_removed": partials}
