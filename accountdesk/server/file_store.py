"""Attachment blobs on the server's disk (issue 18; the HTTP side is :mod:`.files`):
content-addressed files named by their SHA-256 under ``<files dir>/<sha[:2]>/<sha>``, partial
uploads beside them in ``partial/<sha>.part``, one writer per blob (a thread lock and, where the
system has it, a file lock across processes). Split off server/files.py (issue 17)."""

import contextlib
import datetime as dt
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from io import FileIO
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from ..domain.files import SHA256_RE
from .db import data_dir_default
from .settings import Settings

if TYPE_CHECKING:
    from hashlib import _Hash

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
    def __init__(self, offset: int) -> None:
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
    _hashes: dict[str, tuple[int, "_Hash"]] = {}

    def __init__(self, root: Path | str) -> None:
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
    def _hash_of(part: Path, length: int) -> "_Hash":
        h = hashlib.sha256()
        if length:
            with open(part, "rb") as f:
                while piece := f.read(1024 * 1024):
                    h.update(piece)
        return h

    def _finish(self, sha: str, h: "_Hash") -> None:
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

    def __init__(
        self, store: FileStore, sha: str, size: int, start: int, length: int, f: FileIO, h: "_Hash", fd: int
    ) -> None:
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
