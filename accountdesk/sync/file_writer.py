"""The storing side of downloads (issue 18): the transfer threads only receive and hash; one
thread of its own stores what they received, so the two cores work at once (socket reads,
``hashlib`` and ``sqlite3`` let go of the GIL) and the file of bytes has a single writer (several
threads taking its write lock in turn waited in SQLite's busy handler, which sleeps up to 100 ms).

- A transfer thread hands over a :class:`Batch` (pieces of :data:`blobs.CHUNK` bytes, at most
  :data:`COMMIT_BYTES`); :meth:`BlobWriter.submit` blocks while :data:`QUEUED_BATCHES` are not stored (memory
  stays flat however fast the bytes come).
- The writer takes what waits (up to :data:`GROUP_BYTES`), commits the pieces to the file of bytes in
  one transaction, then counts them in the profile's database in one transaction (``have``, and the
  last batch of a file, whose hash the transfer thread checked, completes it): the same order as
  before (bytes committed before the database counts them), with fewer, larger transactions. A
  kill at any point leaves at most pieces the database does not count (written again on resume).
- An error stays with its file's :class:`Ticket` (the transfer thread raises it); the other files
  go on. :meth:`Ticket.drain` waits until everything a thread handed over was stored or refused.
"""

from __future__ import annotations

import collections
import collections.abc
import hashlib
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..store import blobs

if TYPE_CHECKING:
    from ..store.profile import Store

log = logging.getLogger("accountdesk.sync")

#: Bytes a transfer thread gathers before handing them over.
COMMIT_BYTES = 4 * blobs.CHUNK
#: Batches handed over and not yet stored before the transfer threads wait (4 x 4 MB: what a
#: transfer thread receives ahead of the disk).
QUEUED_BATCHES = 4
#: Bytes the writer stores per pair of transactions.
GROUP_BYTES = 16 * blobs.CHUNK


class Ticket:
    """The batches of one file: how many are still to be stored, the first error."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending = 0
        self.error: BaseException | None = None
        self.stored = 0  # bytes counted in the database

    def _add(self) -> None:
        with self._cond:
            self._pending += 1

    def _done(self, n: int, error: BaseException | None) -> None:
        with self._cond:
            self._pending -= 1
            if error is not None and self.error is None:
                self.error = error
            elif error is None:
                self.stored += n
            self._cond.notify_all()

    def drain(self, leave: int = 0) -> None:
        """Wait until every batch handed over was stored (or refused), or all but ``leave``."""
        with self._cond:
            while self._pending > leave:
                self._cond.wait()

    def check(self) -> None:
        """Raise the error of a batch of this file, if one failed."""
        if self.error is not None:
            raise self.error


@dataclass
class Batch:
    """Pieces of one blob at ``offset`` (a multiple of CHUNK), to be committed and counted."""

    ticket: Ticket
    sha: str
    offset: int
    pieces: list[bytes | bytearray]
    size: int
    first: bool = False  # the blob row is made when missing
    restart: bool = False  # the download started again from the first byte
    running: hashlib._Hash | None = None  # the last batch: the checked hash (completes the blob)
    n: int = field(init=False)

    def __post_init__(self) -> None:
        self.n = sum(map(len, self.pieces))


class BlobWriter:
    """The one thread that stores downloaded pieces of a profile (see the module docstring)."""

    def __init__(self, store: Store, on_stored: collections.abc.Callable[[int], None] | None = None) -> None:
        self.store = store
        self.on_stored = on_stored or (lambda _n: None)
        self._queue: collections.deque[Batch] = collections.deque()
        self._cond = threading.Condition()
        self._room = threading.Semaphore(QUEUED_BATCHES)
        self._closing = False
        self._bulk = store.blobdb.bulk_writer()  # (its checkpoints on a thread of their own)
        self._thread = threading.Thread(target=self._loop, name="accountdesk-files-writer", daemon=True)
        self._thread.start()

    def submit(self, batch: Batch) -> None:
        """Hand a batch over (waits while :data:`QUEUED_BATCHES` wait)."""
        if not self._thread.is_alive():
            raise RuntimeError("the writer of downloaded files has stopped")
        self._room.acquire()
        batch.ticket._add()
        with self._cond:
            self._queue.append(batch)
            self._cond.notify()

    def close(self) -> None:
        """Store what waits, then end the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()
        self._bulk.close()

    def _take(self) -> list[Batch] | None:
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            if not self._queue:
                return None
            group = [self._queue.popleft()]
            held = group[0].n
            while self._queue and held < GROUP_BYTES:
                group.append(self._queue.popleft())
                held += group[-1].n
            return group

    def _loop(self) -> None:
        while (group := self._take()) is not None:
            try:
                self._store_group(group)
            finally:
                for _b in group:
                    self._room.release()

    def _store_group(self, group: list[Batch]) -> None:
        live = [b for b in group if b.ticket.error is None]
        for b in group:
            if b.ticket.error is not None:  # (a batch of a file that failed already: dropped)
                b.ticket._done(0, None)
        if not live:
            return
        try:
            self._store(live)
        except Exception as exc:  # noqa: BLE001 - each batch again on its own: the error goes to its file
            if len(live) == 1:
                self._finish(live, exc)
                return
            for b in live:
                try:
                    self._store([b])
                except Exception as one:  # noqa: BLE001 - kept with the file's ticket
                    self._finish([b], one)
                else:
                    self._finish([b], None)
            return
        self._finish(live, None)

    def _finish(self, batches: list[Batch], error: BaseException | None) -> None:
        if error is not None:
            log.debug("storing downloaded pieces failed", exc_info=error)
        for b in batches:
            b.ticket._done(b.n, error)
            if error is None:
                try:
                    self.on_stored(b.n)
                except Exception:  # noqa: BLE001 - a count for the report only
                    log.warning("on_stored failed", exc_info=True)

    def _store(self, batches: list[Batch]) -> None:
        """Commit the pieces to the file of bytes, then count them in the database (one
        transaction each); a rollback of the count removes the pieces it would have counted."""
        rows = [
            (b.sha, b.offset // blobs.CHUNK + i, piece) for b in batches for i, piece in enumerate(b.pieces)
        ]
        if rows:
            self._bulk.put_rows(rows)
        with self.store.write() as session:
            for b in batches:
                if b.restart:
                    blobs.restart(session, b.sha)
                blobs.count(session, b.sha, b.offset, b.n, size=b.size if b.first else None)
                if b.running is not None:
                    blobs.finish_download(session, b.sha, b.running)


def receive(
    writer: BlobWriter,
    pieces: collections.abc.Iterable[bytes | bytearray],
    start: Batch,
    step: collections.abc.Callable[[int], None],
    on_stored: collections.abc.Callable[[int], None],
) -> int:
    """Hash the pieces of a body as they come (exactly CHUNK bytes each, the last one shorter)
    and hand them to ``writer`` COMMIT_BYTES at a time; the last batch, whose hash was checked
    here, completes the blob (:class:`blobs.BlobCorrupt` instead when the bytes are not right).
    ``start``: the blob, where its download stands (``offset``), its running hash and whether it
    starts again. ``step`` receives what is stored as it is (a kill keeps it); ``on_stored`` the
    bytes stored in all. Returns where the blob stands once everything handed over is stored."""
    ticket, sha, size = start.ticket, start.sha, start.size
    running = start.running if start.running is not None else hashlib.sha256()
    offset, first, restart = start.offset, True, start.restart
    batch: list[bytes | bytearray] = []
    held = 0
    reported = 0

    def progress() -> None:
        nonlocal reported
        stored = ticket.stored
        if stored > reported:
            step(stored - reported)
            reported = stored

    def hand_over() -> None:
        nonlocal offset, batch, held, first, restart
        final = offset + held >= size
        if final and (offset + held != size or running.hexdigest() != sha):
            raise blobs.BlobCorrupt("the received bytes do not match their hash")
        writer.submit(Batch(ticket, sha, offset, batch, size, first, restart, running if final else None))
        offset += held
        batch, held, first, restart = [], 0, False, False
        ticket.drain(leave=1)  # (one batch stored while the next arrives)
        ticket.check()
        progress()

    try:
        for piece in pieces:
            running.update(piece)
            batch.append(piece)
            held += len(piece)
            if offset + held > size:
                raise blobs.BlobCorrupt("the server sent more bytes than the file has")
            if held >= COMMIT_BYTES:
                hand_over()
        if batch:
            hand_over()
    finally:
        ticket.drain()
        on_stored(ticket.stored)
    ticket.check()
    progress()
    return offset
