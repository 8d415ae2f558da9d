"""The profile's file of attachment bytes: ``accountdesk-blobs.sqlite3`` beside ``accountdesk.sqlite3``.

Why a second file: every byte of a download was written into the profile's database, whose pages
are 4 KB (right for rows); a file of 1 MB is 256 overflow pages, each written to the WAL and then
copied again by the checkpoint, and checkpoints came every 4 MB. Here the pages are 64 KB
(:data:`PAGE_SIZE`): a piece is 16 pages, and the default checkpoint comes every 64 MB.

- The same protection as the profile's database: encrypted by SQLCipher with the same key when the
  profile is (``cipher_page_size`` 64 KB, set on every connection: SQLCipher cannot read it from
  the file), encrypted in place with it (store/crypto.py), copied into backups (io/backup.py),
  emptied by a wipe, owner-only (made 0600, in the owner-only folder).
- WAL, ``synchronous=NORMAL`` (as the database: a killed process loses nothing committed, a power
  cut at most the last transactions, never the file), ``secure_delete`` on (the pages of removed
  bytes are overwritten).
- One table, ``blob_chunks`` (sha256, idx, data): the pieces. What is known about a blob (its
  size, how much is here, complete, uploaded) stays in the database (``local_blobs``), so the two
  files are never written in one transaction. The order makes every crash safe: bytes are
  committed here *before* the database says it has them (a download, a file added), and removed
  here *after* the database stopped naming them (a delete). A crash can only leave pieces the
  database does not count: beyond a download's ``have`` (written again on resume) or of a blob it
  no longer names (:meth:`BlobDB.sweep` removes them).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from . import crypto_sqlite

log = logging.getLogger("accountdesk.store")

#: Bytes per page of this file (SQLite's largest).
PAGE_SIZE = 65536
BUSY_TIMEOUT_MS = 10_000
#: Pages of cache per connection (4 MB: a few pieces; memory stays flat).
CACHE_PAGES = 64
#: Pieces a sweep leaves alone that were written less than this long ago (a file being added by
#: another process commits its pieces here before its row in the database).
SWEEP_GRACE_S = 3600
#: Bytes a :class:`BulkWriter` commits between two checkpoints (SQLite's own default: 1,000 pages).
CHECKPOINT_BYTES = 64 * 1024 * 1024
#: Bytes a :class:`BulkWriter` lets wait for a checkpoint before it waits itself.
WAL_MAX_BYTES = 4 * CHECKPOINT_BYTES

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS blob_chunks ("
    " sha256 TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,"
    " added_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),"
    " PRIMARY KEY (sha256, idx))"
)


def connect(path: Path | str, key: bytes | None, **kwargs: Any) -> Any:
    """A DB-API connection on a file of this kind (keyed, 64 KB pages)."""
    return crypto_sqlite.connect(path, key, page_size=PAGE_SIZE, **kwargs)


def _create_owner_only(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class BlobDB:
    """The pieces of a profile's blobs. Thread-safe: each call takes a connection of a small pool."""

    def __init__(self, path: Path | str, key: bytes | None):
        self.path = Path(path)
        self.key = key
        self._pool: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False
        _create_owner_only(self.path)  # (SQLite gives the -wal and -shm files the same mode)
        crypto_sqlite.note_open(self.path, key is not None)
        try:
            with self.write() as conn:
                conn.execute(SCHEMA)
        except Exception:
            self.close()
            raise

    # -- connections ----------------------------------------------------------------------------

    def _open(self) -> Any:
        conn = connect(self.path, self.key, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.isolation_level = None  # explicit transactions only
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "secure_delete=ON",
            f"cache_size={CACHE_PAGES}",
            "temp_store=MEMORY",
        ):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        with self._lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._open()
        try:
            yield conn
        finally:
            with self._lock:
                if self._closed:
                    conn.close()
                else:
                    self._pool.append(conn)

    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        """A transaction (``BEGIN IMMEDIATE``) committed at the end of the block, rolled back on error."""
        with self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
            first = not self._closed
            self._closed = True
        for conn in pool:
            with contextlib.suppress(Exception):
                conn.close()
        if first:
            crypto_sqlite.note_closed(self.path)

    # -- pieces ---------------------------------------------------------------------------------

    def put(self, sha256: str, first: int, pieces: Iterable[bytes]) -> None:
        """Store ``pieces`` as pieces ``first``, ``first + 1``, ... of a blob (replacing any there),
        in one transaction."""
        with self.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO blob_chunks (sha256, idx, data) VALUES (?, ?, ?)",
                ((sha256, first + i, piece) for i, piece in enumerate(pieces)),
            )

    def put_rows(self, rows: Iterable[tuple[str, int, bytes]]) -> None:
        """Store pieces given as (sha256, idx, data), replacing any there, in one transaction."""
        with self.write() as conn:
            conn.executemany("INSERT OR REPLACE INTO blob_chunks (sha256, idx, data) VALUES (?, ?, ?)", rows)

    def bulk_writer(self) -> BulkWriter:
        """A writer for a stream of pieces (downloads: sync/file_writer.py) whose checkpoints run
        on a thread of their own (:class:`BulkWriter`); close it when done."""
        return BulkWriter(self)

    def piece(self, sha256: str, idx: int) -> bytes | None:
        with self.connection() as conn:
            row = conn.execute(
                "SELECT data FROM blob_chunks WHERE sha256 = ? AND idx = ?", (sha256, idx)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def last_idx(self, sha256: str) -> int | None:
        with self.connection() as conn:
            row = conn.execute("SELECT max(idx) FROM blob_chunks WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def trim(self, sha256: str, keep: int = 0) -> int:
        """Remove the pieces of a blob from piece ``keep`` on (all of them by default); returns how many."""
        with self.write() as conn:
            return int(
                conn.execute("DELETE FROM blob_chunks WHERE sha256 = ? AND idx >= ?", (sha256, keep)).rowcount
            )

    def shas(self) -> set[str]:
        with self.connection() as conn:
            return {r[0] for r in conn.execute("SELECT DISTINCT sha256 FROM blob_chunks")}

    def sweep(self, named: Callable[[], set[str]], grace_s: float = SWEEP_GRACE_S) -> int:
        """Remove the pieces of blobs the database does not name (``named()``: the blobs of its
        ``local_blobs``, read *after* the candidates here) that were written more than ``grace_s``
        seconds ago: what a crash between the two files left. Returns how many pieces went."""
        cutoff = int(time.time() - grace_s)
        # the blobs here, from the primary key's index alone (``added_at`` lies after each piece's
        # bytes: reading it for every piece read the whole file), then the age of the orphans only
        candidates = self.shas()
        orphans = candidates - named() if candidates else set()
        if orphans:
            with self.connection() as conn:
                orphans = {
                    sha
                    for sha in orphans
                    if (
                        conn.execute(
                            "SELECT max(added_at) FROM blob_chunks WHERE sha256 = ?", (sha,)
                        ).fetchone()[0]
                        or 0
                    )
                    <= cutoff
                }
        n = 0
        for sha in sorted(orphans):
            n += self.trim(sha)
        return n

    def clear(self) -> None:
        """Remove every piece, then rewrite the file without its free pages and empty its WAL (a
        wipe: nothing of the bytes is left to carve out)."""
        with self.write() as conn:
            conn.execute("DELETE FROM blob_chunks")
        self.vacuum()

    def vacuum(self) -> None:
        with self.connection() as conn:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def integrity(self) -> bool:
        with self.connection() as conn:
            return bool(conn.execute("PRAGMA quick_check").fetchone()[0] == "ok")


class BulkWriter:
    """Commits pieces through a connection of its own whose checkpoints (copying the WAL into the
    file, each copy synced to the disk: most of the time a download spent storing its bytes) run
    on a thread of their own, while the next pieces are written: every :data:`CHECKPOINT_BYTES`, a
    ``PASSIVE`` checkpoint (writers go on), then a ``RESTART`` one (what came meanwhile; the next
    transaction starts the WAL again from its beginning, so it stays about that size). Should the
    disk fall behind, :meth:`put_rows` waits once :data:`WAL_MAX_BYTES` are not yet checkpointed."""

    def __init__(self, db: BlobDB) -> None:
        self.db = db
        self._conn = db._open()
        self._conn.execute("PRAGMA wal_autocheckpoint=0")
        self._cond = threading.Condition()
        self._unsynced = 0  # bytes committed since the last checkpoint began
        self._busy = False
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="accountdesk-blobs-checkpoint", daemon=True)
        self._thread.start()

    def put_rows(self, rows: list[tuple[str, int, bytes | bytearray]]) -> None:
        """Store pieces given as (sha256, idx, data), replacing any there, in one transaction."""
        with self._cond:
            while self._unsynced >= WAL_MAX_BYTES and self._busy and self._thread.is_alive():
                self._cond.wait(1.0)
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR REPLACE INTO blob_chunks (sha256, idx, data) VALUES (?, ?, ?)", rows)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        with self._cond:
            self._unsynced += sum(len(r[2]) for r in rows)
            if self._unsynced >= CHECKPOINT_BYTES:
                self._cond.notify_all()

    def _loop(self) -> None:
        conn = self.db._open()
        try:
            while True:
                with self._cond:
                    while not self._stop and self._unsynced < CHECKPOINT_BYTES:
                        self._cond.wait()
                    if self._stop:
                        return
                    self._busy, self._unsynced = True, 0
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                except Exception:  # noqa: BLE001 - the next checkpoint (or a later writer's) does it
                    log.warning("a checkpoint of the file of bytes failed", exc_info=True)
                finally:
                    with self._cond:
                        self._busy = False
                        self._cond.notify_all()
        finally:
            conn.close()

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join()
        self._conn.close()  # (a later writer's automatic checkpoint copies what is left)


# -- copies -----------------------------------------------------------------------------------------


def copy_file(
    src: Path | str,
    src_key: bytes | None,
    dest: Path | str,
    dest_key: bytes | None,
    on_fraction: Callable[[float], None] | None = None,
) -> int:
    """Copy the file of blobs ``src`` into a new file ``dest`` under another key (None: plaintext),
    piece by piece from one consistent snapshot (one piece in memory at a time; SQLCipher cannot
    attach a file of 64 KB pages, so ``sqlcipher_export`` is not used). ``dest`` is made owner-only
    and left in rollback-journal mode (a backup, or a copy about to be renamed into place; WAL is
    set again when a profile opens it). Returns how many pieces were copied."""
    dest = Path(dest)
    for p in (dest, *(dest.with_name(dest.name + s) for s in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    _create_owner_only(dest)
    s = connect(src, src_key, isolation_level=None)
    d = connect(dest, dest_key, isolation_level=None)
    n = 0
    try:
        d.execute("PRAGMA journal_mode=DELETE")
        d.execute("PRAGMA synchronous=OFF")  # (a copy that is stopped half-way is thrown away)
        d.execute(SCHEMA)
        s.execute("BEGIN")  # one snapshot of a file that may be in use
        total = max(1, s.execute("SELECT count(*) FROM blob_chunks").fetchone()[0]) if on_fraction else 1
        d.execute("BEGIN")
        for row in s.execute("SELECT sha256, idx, data, added_at FROM blob_chunks ORDER BY rowid"):
            d.execute("INSERT INTO blob_chunks (sha256, idx, data, added_at) VALUES (?, ?, ?, ?)", row)
            n += 1
            if n % 64 == 0:  # (commits keep the copy's cache small)
                d.execute("COMMIT")
                d.execute("BEGIN")
                if on_fraction is not None:
                    on_fraction(n / total)
        d.execute("COMMIT")
        s.execute("COMMIT")
        d.execute("PRAGMA synchronous=FULL")
    finally:
        s.close()
        d.close()
    with open(dest, "rb+") as fh:
        os.fsync(fh.fileno())
    if on_fraction is not None:
        on_fraction(1.0)
    return n


def same_pieces(a: Any, b: Any) -> bool:
    """True when two connections on files of blobs hold the same pieces (compared in batches of a
    few pieces: each may be a megabyte)."""
    return bool(crypto_sqlite.same_rows(a, b, batch=4))


def is_sqlite_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error | crypto_sqlite.driver().Error)
