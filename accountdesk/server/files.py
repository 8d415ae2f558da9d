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

import datetime as dt
import json
import logging
import re
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from fastapi import APIRouter, Header, Request, params
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from starlette.requests import ClientDisconnect

from ..domain.schema import ATTACHMENT_PARENTS
from ..models.enums import Role
from ..permissions import sees_all_clients, sees_confidential
from ..sync import protocol as p
from . import repo
from . import tables as t
from .auth import Identity
from .db import Database
from .errors import ServerError
from .file_store import (  # noqa: F401 - the store's names, importable from here as before
    Busy,
    FileStore,
    HashMismatch,
    OffsetMismatch,
    Piece,
    default_root,
    root_for,
)
from .settings import Settings

if TYPE_CHECKING:
    from .merge.core import WriterCore


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
    out: list[dict[str, Any]] = []
    for r in rows:
        data = r["data"] if isinstance(r["data"], dict) else json.loads(r["data"])
        hidden = r["hidden"] if isinstance(r["hidden"], list) else json.loads(r["hidden"] or "[]")
        out.append({"id": r["id"], "client_id": r["client_id"], "hidden": hidden, "data": data})
    return out


def access_sql(conn: Connection) -> str:
    """The one query of a file's request: the live attachment records naming ``:sha`` (found
    through ``ix_srv_records_attachment_sha``), whether ``:user_id`` has each one's client in scope,
    and whether the blob is charged already (``srv_blobs``)."""
    return (
        "SELECT r.id, r.client_id, r.hidden, r.data, "
        "EXISTS (SELECT 1 FROM srv_scope s WHERE s.user_id = :user_id AND s.client_id = r.client_id) "
        "AS in_scope, EXISTS (SELECT 1 FROM srv_blobs b WHERE b.sha256 = :sha) AS charged "
        f"FROM srv_records r WHERE r.entity = 'attachment' AND r.deleted = :no AND {_sha_expr(conn)} = :sha"
    )


def file_access(conn: Connection, who: Identity, sha: str) -> tuple[dict[str, Any] | None, bool]:
    """A live attachment record naming ``sha`` that ``who`` may read (or None), and whether the
    blob is charged to someone already: one query (:func:`access_sql`), the rules of the module
    docstring."""
    everything = sees_all_clients(who.role)
    secret_ok = sees_confidential(who.role)
    rows = conn.execute(text(access_sql(conn)), {"sha": sha, "no": False, "user_id": who.user_id}).mappings()
    charged = False
    for r in rows:
        charged = bool(r["charged"])
        hidden = r["hidden"] if isinstance(r["hidden"], list) else json.loads(r["hidden"] or "[]")
        if hidden and not secret_ok:
            continue
        if everything or (r["client_id"] and r["in_scope"]):
            data = r["data"] if isinstance(r["data"], dict) else json.loads(r["data"])
            return {"id": r["id"], "client_id": r["client_id"], "hidden": hidden, "data": data}, charged
    return None, charged


def used_bytes(conn: Connection, user_id: str) -> int:
    return int(
        conn.execute(
            select(func.coalesce(func.sum(t.blobs.c.size), 0)).where(t.blobs.c.uploaded_by == user_id)
        ).scalar_one()
    )


# -- the merge's rules for pushed attachment rows ------------------------------------------------


def check_push(
    writer: "WriterCore",
    op: str,
    fields: set[str],
    existing: dict[str, Any] | None,
    values: dict[str, Any] | None,
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


def router(db: Database, settings: Settings, store: FileStore, who_dep: params.Depends) -> APIRouter:
    """The routes of files; ``who_dep``: the dependency that gives the request's :class:`Identity`."""
    r = APIRouter()
    Who = Annotated[Identity, who_dep]

    def _allowed(conn: Connection, who: Identity, sha: str) -> tuple[dict[str, Any], bool]:
        """The record ``who`` may read (else 404) and whether the blob is charged already."""
        rec, charged = file_access(conn, who, sha)
        if rec is None:
            raise ServerError(404, p.E_NOT_FOUND, "No such file.")
        return rec, charged

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

    def _reserve(who: Identity, sha: str, size: int) -> None:
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
            add = pg_insert(t.blobs) if conn.dialect.name == "postgresql" else sqlite_insert(t.blobs)
            conn.execute(  # (another upload of the same bytes may have started meanwhile)
                add.values(
                    sha256=sha, size=size, uploaded_by=who.user_id, created_at=repo.utcnow()
                ).on_conflict_do_nothing(index_elements=["sha256"])
            )

    def _release(sha: str) -> None:
        """An upload thrown away (its bytes did not match): it no longer counts."""
        if not store.has(sha):
            with db.write() as conn:
                conn.execute(t.blobs.delete().where(t.blobs.c.sha256 == sha))

    @r.get("/v1/files/limits", response_model=Limits)
    def limits(who: Who) -> Limits:
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
    def upload_start(sha: _SHA_PATH, req: UploadStart, who: Who) -> UploadState:
        """Begin or resume an upload: where the server's copy stands."""
        with db.read() as conn:
            rec, charged = _allowed(conn, who, sha)
            size = _size_of(rec)
            if req.size != size:
                raise ServerError(409, p.E_BAD_REQUEST, "The size does not match the attachment's.")
            if store.has(sha):
                return UploadState(offset=size, size=size, complete=True)
        if charged:  # (an upload resumed: no write transaction)
            _check_size(size)
        else:
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
        who: Who,
        offset: Annotated[int, Header(alias="X-AccountDesk-Offset", ge=0, le=p.MAX_INT)],
    ) -> Any:
        """One piece of an upload at ``X-AccountDesk-Offset`` (the body: raw bytes, with their
        ``Content-Length``). It streams to the disk and into the running hash as it arrives
        (never held whole in memory: the request guard passes it through, see
        :func:`is_piece_path`); everything is checked before a byte of it is read."""
        length = _piece_length(request)

        def prepare() -> UploadState | Piece:
            with db.read() as conn:
                rec, charged = _allowed(conn, who, sha)
                size = _size_of(rec)
                if store.has(sha):
                    return UploadState(offset=size, size=size, complete=True)
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
    def download(sha: _SHA_PATH, who: Who) -> Any:
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
