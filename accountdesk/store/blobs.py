"""The device's blob store: the bytes of attachments, content-addressed (SHA-256), in pieces of
:data:`CHUNK` bytes inside the profile's database (tables ``local_blobs`` and ``blob_chunks``).

Keeping them in the database rather than in loose files means they are written in the same
transaction as the attachment row that names them (a crash leaves both or neither), they are
encrypted with the store once it is encrypted, and a backup of the profile holds them.
Identical files are stored once. A download appends pieces as they arrive (each committed), so a
transfer killed half-way resumes from ``have``; the hash is checked before a blob is complete.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..models import Attachment, BlobChunk, LocalBlob

#: Bytes per stored piece.
CHUNK = 1024 * 1024


class BlobCorrupt(Exception):
    """The bytes received do not have the hash their attachment names."""


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
    as it is read: a file changed in between is refused (:class:`BlobCorrupt`)."""
    blob = session.get(LocalBlob, sha256)
    if blob is not None and blob.complete:
        return False
    if blob is not None:  # a partial download of the same bytes: the file replaces it
        session.execute(delete(BlobChunk).where(BlobChunk.sha256 == sha256))
    else:
        blob = LocalBlob(sha256=sha256, size=size, have=0, complete=False, uploaded=False)
        session.add(blob)
    h = hashlib.sha256()
    n = 0
    idx = 0
    with open(path, "rb") as f:
        while piece := f.read(CHUNK):
            h.update(piece)
            n += len(piece)
            session.add(BlobChunk(sha256=sha256, idx=idx, data=piece))
            idx += 1
            if idx % 16 == 0:
                session.flush()  # the pieces go to SQLite as they are read, not all at the end
    if h.hexdigest() != sha256 or n != size:
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
    if blob is not None:
        session.execute(delete(BlobChunk).where(BlobChunk.sha256 == sha))
    else:
        blob = LocalBlob(sha256=sha, size=len(data), have=0, complete=False, uploaded=False)
        session.add(blob)
    for idx, start in enumerate(range(0, len(data), CHUNK)):
        session.add(BlobChunk(sha256=sha, idx=idx, data=data[start : start + CHUNK]))
    blob.size = blob.have = len(data)
    blob.complete, blob.last_error = True, None
    session.flush()
    return sha, len(data)


def iter_bytes(session: Session, sha256: str, offset: int = 0) -> Iterator[bytes]:
    """The stored bytes of a blob from ``offset`` on, piece by piece (one piece in memory)."""
    first = offset // CHUNK
    last = session.scalar(select(func.max(BlobChunk.idx)).where(BlobChunk.sha256 == sha256))
    if last is None:
        return
    for idx in range(first, last + 1):
        data = session.scalar(select(BlobChunk.data).where(BlobChunk.sha256 == sha256, BlobChunk.idx == idx))
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


def append(session: Session, sha256: str, offset: int, data: bytes | list[bytes]) -> int:
    """Add received bytes at ``offset`` (which must be where the blob stands, a multiple of
    :data:`CHUNK` unless the blob ends with this piece); returns the new ``have``. ``data`` may
    come as pieces of :data:`CHUNK` bytes (the last one shorter), stored as they are."""
    blob = session.get(LocalBlob, sha256)
    if blob is None or blob.complete:
        raise ValueError("no download of this blob is under way")
    if offset != blob.have or offset % CHUNK:
        raise ValueError("a piece that does not continue the blob")
    if isinstance(data, list | tuple):
        pieces = list(data)
        if any(len(piece) != CHUNK for piece in pieces[:-1]) or (pieces and len(pieces[-1]) > CHUNK):
            raise ValueError("pieces of another size than CHUNK")
    else:
        pieces = [data[start : start + CHUNK] for start in range(0, len(data), CHUNK)]
    if pieces:
        first = offset // CHUNK
        session.execute(
            insert(BlobChunk).prefix_with("OR REPLACE"),
            [{"sha256": sha256, "idx": first + i, "data": piece} for i, piece in enumerate(pieces)],
        )
    blob.have = offset + sum(len(piece) for piece in pieces)
    session.flush()
    return blob.have


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


def _erase_freed(session: Session) -> None:
    """The pages a deletion frees are overwritten with zeros (a file made confidential, or whose
    client left this device, leaves nothing in the profile's free pages; SQLite builds differ in
    their default)."""
    session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


def discard(session: Session, sha256: str) -> None:
    """Throw away the bytes of a download found damaged: fetched again from the start."""
    if session.scalar(select(LocalBlob.complete).where(LocalBlob.sha256 == sha256)) is False:
        _erase_freed(session)
        session.execute(delete(BlobChunk).where(BlobChunk.sha256 == sha256))
        session.execute(
            update(LocalBlob).where(LocalBlob.sha256 == sha256).values(have=0, last_error="corrupt")
        )
    session.flush()


def drop(session: Session, sha256: str) -> None:
    _erase_freed(session)
    session.execute(delete(BlobChunk).where(BlobChunk.sha256 == sha256))
    session.execute(delete(LocalBlob).where(LocalBlob.sha256 == sha256))


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
