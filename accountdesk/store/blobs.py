"""The device's blob store: the bytes of attachments, content-addressed (SHA-256), in pieces of
:data:`CHUNK` bytes inside the profile.

What is known about a blob (table ``local_blobs`` of the profile's database: size, how much is
here, complete, uploaded) is written in the same transaction as the attachment row that names it;
the pieces themselves live in the profile's file of bytes (``accountdesk-blobs.sqlite3``, 64 KB
pages, encrypted with the same key: store/blobdb.py), which takes them several times faster than
the database's 4 KB pages did. Pieces are committed there *before* the database counts them and
removed *after* it stopped naming them (see blobdb's docstring), so a crash at any point leaves
nothing the database counts on missing. Both files travel with the profile's backups.
Identical files are stored once. A download appends pieces as they arrive (each committed), so a
transfer killed half-way resumes from ``have``; the hash is checked before a blob is complete.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import Attachment, LocalBlob
from .blobdb import BlobDB

#: Bytes per stored piece.
CHUNK = 1024 * 1024


#: Bytes of a file being added written to the file of bytes per transaction.
ADD_BYTES = 16 * CHUNK


class BlobCorrupt(Exception):
    """The bytes received do not have the hash their attachment names."""


def pieces_of(session: Session) -> BlobDB:
    """The file of bytes of the profile whose store made ``session`` (store/profile.py puts the
    store in every session's ``info``)."""
    store: Any = session.info.get("store")
    if store is None:
        raise RuntimeError("a session not made by a profile's Store has no file of bytes")
    db: BlobDB = store.blobdb
    return db


def _after_commit(session: Session, sha256: str) -> None:
    """The pieces of ``sha256`` beyond what the database counts once this transaction commits go
    then (see store/profile.py: ``Store._trim_pieces``); nothing goes when it rolls back."""
    session.info.setdefault("trim_pieces", set()).add(sha256)


def _wrote(session: Session, sha256: str) -> None:
    """Pieces of ``sha256`` are written during this transaction: no trim scheduled earlier in it
    once it commits, a trim back to what the database counts if it rolls back."""
    pending = session.info.get("trim_pieces")
    if pending:
        pending.discard(sha256)
    session.info.setdefault("wrote_pieces", set()).add(sha256)


def counted_pieces(session: Session, sha256: str) -> int:
    """How many pieces of ``sha256`` the database counts (what a trim keeps): all of a complete
    blob, those of ``have`` of a partial one, none of a blob it does not name."""
    row = session.execute(
        select(LocalBlob.complete, LocalBlob.have, LocalBlob.size).where(LocalBlob.sha256 == sha256)
    ).first()
    if row is None:
        return 0
    complete, have, size = row
    n = size if complete else have
    return -(-int(n) // CHUNK)


def hash_file(path: Path | str) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in pieces (memory stays flat)."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while piece := f.read(CHUNK):
            h.update(piece)
            size += len(piece)
    return h.hexdigest(), size


def get(session: Session, sha256: str) -> LocalBlob | None:
    return session.get(LocalBlob, sha256)


def is_complete(session: Session, sha256: str | None) -> bool:
    if not sha256:
        return False
    return bool(session.scalar(select(LocalBlob.complete).where(LocalBlob.sha256 == sha256)))


def store_file(session: Session, path: Path | str, sha256: str, size: int) -> bool:
    """Keep the bytes of ``path`` (whose hash and size the caller computed with :func:`hash_file`)
    unless they are here already; returns True when they were stored now. The file is hashed again
    as it is read: a file changed in between is refused (:class:`BlobCorrupt`). The pieces are
    committed to the file of bytes as they are read (:data:`ADD_BYTES` per transaction); the blob
    is complete when the caller's transaction commits."""
    blob = session.get(LocalBlob, sha256)
    if blob is not None and blob.complete:
        return False
    if blob is None:
        blob = LocalBlob(sha256=sha256, size=size, have=0, complete=False, uploaded=False)
        session.add(blob)
    db = pieces_of(session)
    _wrote(session, sha256)
    h = hashlib.sha256()
    n = 0
    idx = 0
    batch: list[bytes] = []
    with open(path, "rb") as f:
        while piece := f.read(CHUNK):
            h.update(piece)
            n += len(piece)
            batch.append(piece)
            if len(batch) * CHUNK >= ADD_BYTES:
                db.put(sha256, idx, batch)
                idx += len(batch)
                batch = []
    if batch:
        db.put(sha256, idx, batch)
    if h.hexdigest() != sha256 or n != size:
        _after_commit(session, sha256)  # (and when the caller's transaction rolls back: see _wrote)
        raise BlobCorrupt("the file changed while it was being read")
    blob.size, blob.have, blob.complete, blob.last_error = size, size, True, None
    session.flush()
    return True


def store_bytes(session: Session, data: bytes) -> tuple[str, int]:
    """Keep bytes held in memory (a pasted image); returns their hash and size."""
    sha = hashlib.sha256(data).hexdigest()
    blob = session.get(LocalBlob, sha)
    if blob is not None and blob.complete:
        return sha, len(data)
    if blob is None:
        blob = LocalBlob(sha256=sha, size=len(data), have=0, complete=False, uploaded=False)
        session.add(blob)
    _wrote(session, sha)
    pieces_of(session).put(sha, 0, (data[start : start + CHUNK] for start in range(0, len(data), CHUNK)))
    blob.size = blob.have = len(data)
    blob.complete, blob.last_error = True, None
    session.flush()
    return sha, len(data)


def iter_bytes(session: Session, sha256: str, offset: int = 0) -> Iterator[bytes]:
    """The stored bytes of a blob from ``offset`` on, piece by piece (one piece in memory)."""
    db = pieces_of(session)
    first = offset // CHUNK
    last = db.last_idx(sha256)
    if last is None:
        return
    for idx in range(first, last + 1):
        data = db.piece(sha256, idx)
        if data is None:
            return
        if idx == first and offset % CHUNK:
            data = data[offset % CHUNK :]
        yield data


def write_to(session: Session, sha256: str, out: BinaryIO) -> str:
    """Copy a complete blob into ``out``; returns the hash of what was written (the caller
    compares it with the expected one)."""
    h = hashlib.sha256()
    for piece in iter_bytes(session, sha256):
        h.update(piece)
        out.write(piece)
    return h.hexdigest()


def export(session: Session, sha256: str, target: Path) -> None:
    """Write a complete blob to ``target`` atomically (a temporary file beside it, checked, then
    renamed): a reader never sees half a file, and a failed export leaves nothing behind."""
    target = Path(target)
    tmp = target.with_name(f".accountdesk-{os.getpid()}-{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "wb") as f:
            got = write_to(session, sha256, f)
            f.flush()
            os.fsync(f.fileno())
        if got != sha256:
            raise BlobCorrupt("the stored bytes do not match their hash")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


# -- downloads ----------------------------------------------------------------------------------


def begin_download(session: Session, sha256: str, size: int) -> LocalBlob:
    """The blob row a download fills (made when missing); ``have`` says where to resume."""
    blob = session.get(LocalBlob, sha256)
    if blob is None:
        blob = LocalBlob(sha256=sha256, size=size, have=0, complete=False, uploaded=True)
        session.add(blob)
        session.flush()
    return blob


def _as_pieces(offset: int, data: bytes | list[bytes]) -> list[bytes]:
    if offset % CHUNK:
        raise ValueError("a piece that does not continue the blob")
    if isinstance(data, list | tuple):
        pieces = list(data)
        if any(len(piece) != CHUNK for piece in pieces[:-1]) or (pieces and len(pieces[-1]) > CHUNK):
            raise ValueError("pieces of another size than CHUNK")
        return pieces
    return [data[start : start + CHUNK] for start in range(0, len(data), CHUNK)]


def put_pieces(db: BlobDB, sha256: str, offset: int, data: bytes | list[bytes]) -> None:
    """Commit received bytes at ``offset`` to the file of bytes *before* the database counts them
    (:func:`append` with ``stored=True``, in a transaction of the database that follows): a
    download then holds the database's write lock only to count them."""
    pieces = _as_pieces(offset, data)
    if pieces:
        db.put(sha256, offset // CHUNK, pieces)


def append(
    session: Session, sha256: str, offset: int, data: bytes | list[bytes], *, stored: bool = False
) -> int:
    """Add received bytes at ``offset`` (which must be where the blob stands, a multiple of
    :data:`CHUNK` unless the blob ends with this piece); returns the new ``have``. ``data`` may
    come as pieces of :data:`CHUNK` bytes (the last one shorter), stored as they are (committed to
    the file of bytes now, counted by the database when the caller commits). ``stored``: they were
    committed already (:func:`put_pieces`); only counted here."""
    blob = session.get(LocalBlob, sha256)
    if blob is None or blob.complete:
        raise ValueError("no download of this blob is under way")
    pieces = _as_pieces(offset, data)
    if offset != blob.have:
        raise ValueError("a piece that does not continue the blob")
    if pieces:
        _wrote(session, sha256)
        if not stored:
            pieces_of(session).put(sha256, offset // CHUNK, pieces)
    blob.have = offset + sum(len(piece) for piece in pieces)
    session.flush()
    return blob.have


_BLOBS = cast(Table, LocalBlob.__table__)  # (a declarative model's table is a Table)
#: The blob row a download fills, made when missing (Core: no ORM compile, load or flush).
_BEGIN = sqlite_insert(_BLOBS).on_conflict_do_nothing(index_elements=["sha256"])
#: Count pieces committed to the file of bytes (only where the blob stands, not complete).
_COUNT = (
    _BLOBS.update()
    .where(
        _BLOBS.c.sha256 == bindparam("b_sha"),
        _BLOBS.c.have == bindparam("b_offset"),
        _BLOBS.c.complete.is_(False),
    )
    .values(have=bindparam("b_have"))
)
#: Count the last pieces and complete the blob in one statement (their hash checked by the
#: caller; only when they end the blob exactly at its size).
_COUNT_LAST = (
    _BLOBS.update()
    .where(
        _BLOBS.c.sha256 == bindparam("b_sha"),
        _BLOBS.c.have == bindparam("b_offset"),
        _BLOBS.c.size == bindparam("b_have"),
        _BLOBS.c.complete.is_(False),
    )
    .values(have=bindparam("b_have"), complete=True, uploaded=True, last_error=None)
)


def count(
    session: Session,
    sha256: str,
    offset: int,
    n: int,
    *,
    size: int | None = None,
    running: hashlib._Hash | None = None,
) -> int:
    """Count ``n`` bytes at ``offset`` that :func:`put_pieces` committed to the file of bytes
    (``offset`` must be where the blob stands); returns the new ``have``. ``size``: the blob row is
    made first when missing (as :func:`begin_download`). ``running``: these are the last bytes, and
    the hash kept while they arrived; the blob is completed as by :func:`finish_download` (in the
    same statement when the hash and size are right). Plain Core statements on the session's
    connection: no ORM compile, load or flush (a download counts every few megabytes)."""
    if offset % CHUNK or n < 0:
        raise ValueError("bytes that do not continue the blob")
    conn = session.connection()
    if size is not None:
        conn.execute(_BEGIN, {"sha256": sha256, "size": size, "have": 0, "complete": False, "uploaded": True})
    params = {"b_sha": sha256, "b_offset": offset, "b_have": offset + n}
    if running is not None and running.hexdigest() == sha256:
        if conn.execute(_COUNT_LAST, params).rowcount == 1:
            _wrote(session, sha256)
            return offset + n
    if conn.execute(_COUNT, params).rowcount != 1:
        raise ValueError("no download of this blob stands at this offset")
    _wrote(session, sha256)
    if running is not None:  # (a wrong hash or size: emptied, BlobCorrupt)
        finish_download(session, sha256, running)
    return offset + n


def hash_stored(session: Session, sha256: str, upto: int) -> hashlib._Hash:
    """A running SHA-256 of the first ``upto`` stored bytes of a blob (a download resumed)."""
    h = hashlib.sha256()
    n = 0
    for piece in iter_bytes(session, sha256):
        piece = piece[: upto - n]
        h.update(piece)
        n += len(piece)
        if n >= upto:
            break
    return h


def finish_download(session: Session, sha256: str, running: hashlib._Hash | None = None) -> None:
    """Check the hash of a fully received blob (``running``: the hash kept while its bytes
    arrived, else the stored bytes are read again): complete when right, emptied (to be fetched
    again from the start) when not."""
    blob = session.get(LocalBlob, sha256)
    if blob is None:
        return
    if running is not None:
        digest, n = running.hexdigest(), blob.have
    else:
        h = hashlib.sha256()
        n = 0
        for piece in iter_bytes(session, sha256):
            h.update(piece)
            n += len(piece)
        digest = h.hexdigest()
    if digest != sha256 or n != blob.size:
        discard(session, sha256)
        raise BlobCorrupt("the received bytes do not match their hash")
    blob.complete, blob.uploaded, blob.last_error = True, True, None
    session.flush()


def discard(session: Session, sha256: str) -> None:
    """Throw away the bytes of a download found damaged: fetched again from the start (the pieces
    leave the file of bytes once this transaction commits; its pages are overwritten there)."""
    if session.scalar(select(LocalBlob.complete).where(LocalBlob.sha256 == sha256)) is False:
        session.execute(
            update(LocalBlob).where(LocalBlob.sha256 == sha256).values(have=0, last_error="corrupt")
        )
        _after_commit(session, sha256)
    session.flush()


def restart(session: Session, sha256: str) -> None:
    """A download of a partial blob starts again from the first byte (the server sent the whole
    file): its pieces are written again over the ones here."""
    session.execute(update(LocalBlob).where(LocalBlob.sha256 == sha256).values(have=0))
    session.flush()


def drop(session: Session, sha256: str) -> None:
    """Forget a blob; its pieces leave the file of bytes (pages overwritten: a file made
    confidential, or whose client left this device, leaves nothing in the profile) once this
    transaction commits."""
    session.execute(delete(LocalBlob).where(LocalBlob.sha256 == sha256))
    _after_commit(session, sha256)


def mark_uploaded(session: Session, sha256: str) -> None:
    session.execute(
        update(LocalBlob).where(LocalBlob.sha256 == sha256).values(uploaded=True, last_error=None)
    )


def unreferenced(session: Session) -> list[str]:
    """Blobs no live attachment of this device names any more (deleted, or their client left
    this device's scope)."""
    live = select(Attachment.sha256).where(Attachment.deleted_at.is_(None), Attachment.sha256.is_not(None))
    return list(session.scalars(select(LocalBlob.sha256).where(LocalBlob.sha256.not_in(live))))


def prune(session: Session, keep: set[str] | None = None) -> int:
    """Drop blobs no live attachment names (except ``keep``); returns how many."""
    gone = [s for s in unreferenced(session) if not keep or s not in keep]
    for sha in gone:
        drop(session, sha)
    return len(gone)


def named(session: Session) -> set[str]:
    """Every blob the database knows (what a sweep of the file of bytes keeps)."""
    return set(session.scalars(select(LocalBlob.sha256)))
