"""Tombstone retention (docs/architecture.md, "Sync"): records deleted longer ago than the retention period are
hard-deleted, the field history stays, and the highest sequence purged becomes the *horizon*.
A device whose pull cursor is below the horizon may have missed a delete: its pull is answered
with ``resnapshot_required`` and it takes a fresh snapshot of its scope (after pushing its
outbox). The same purge forgets the stored answers of push batches older than the retention
that their device has since followed with another batch (``repo.purge_batch_answers``).

The purge runs from ``accountdesk-server purge`` and, at most once a day, from every serving
process (the first one to find it due does it; the others see its mark under the same lock).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from . import repo
from .db import Database
from .errors import describe
from .settings import Settings

log = logging.getLogger("accountdesk.server")

DAY = dt.timedelta(days=1)


def _deleted_at(data: dict[str, Any]) -> dt.datetime | None:
    text = data.get("deleted_at")
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def purge(
    db: Database, older_than: dt.timedelta, *, only_if_due: dt.timedelta | None = None
) -> dict[str, Any] | None:
    """Hard-delete the records that have been tombstones for longer than ``older_than``.

    Runs under the sequence counter lock, so it is serialised with pushes and with other purges.
    With ``only_if_due``, does nothing (returns None) when the last purge is more recent than that.
    """
    with db.write() as conn:
        repo.lock_counter(conn)
        now = repo.utcnow()
        if only_if_due is not None:
            last = repo.last_purge_at(conn)
            if last is not None and now - last < only_if_due:
                return None
        cutoff = now - older_than
        old = []
        for row in repo.tombstones(conn):
            when = _deleted_at(row["data"])
            if when is not None and when <= cutoff:
                old.append(row)
        before = repo.purge_horizon(conn)
        horizon = max([before, *(r["seq"] for r in old)])
        repo.delete_records(conn, old)
        answers = repo.purge_batch_answers(conn, cutoff)
        seconds = int(older_than.total_seconds())
        repo.add_purge(conn, older_than_s=seconds, purged=len(old), horizon=horizon)
        if old:
            repo.audit(conn, "purge", purged=len(old), horizon=horizon, older_than_s=seconds)
    if old:
        log.info("purged %d tombstones older than %s; horizon now %d", len(old), older_than, horizon)
    from . import file_store, files  # attachment files no record names any more go with their records

    removed = files.purge(db, file_store.FileStore(file_store.root_for(db.url)))
    return {
        "purged": len(old),
        "horizon": horizon,
        "older_than_days": older_than.total_seconds() / 86400,
        "cutoff": cutoff.isoformat(),
        "batch_answers": answers,
        **removed,
    }


class DailyPurge:
    """A daemon thread of a serving process: checks every ``purge_check_s`` seconds whether a day
    has passed since the last purge, and if so purges tombstones older than the retention."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.settings.retention_days <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="accountdesk-purge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                purge(self.db, dt.timedelta(days=self.settings.retention_days), only_if_due=DAY)
            except Exception as exc:  # noqa: BLE001 - a failed purge is retried at the next check
                log.error("tombstone purge failed\n%s", describe(exc))
            if self._stop.wait(max(self.settings.purge_check_s, 1)):
                return
