"""The notification schedule of a serving process: every ``ACCOUNTDESK_NOTIFY_INTERVAL_S``
seconds, escalations and digests are recorded (under the ``notify`` job lock: by one process at
a time, each thing once) and the messages due are sent (each claimed by one process)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from sqlalchemy.exc import DBAPIError

from .. import repo
from ..db import Database
from . import digest, escalation, outbox, store
from .settings import NotifySettings

log = logging.getLogger("accountdesk.server.notify")
ATTEMPTS = 3


def record(
    db: Database, ns: NotifySettings, now: dt.datetime | None = None, *, force_digest: bool = False
) -> dict[str, Any]:
    """Record the escalations and digests due at ``now`` (one transaction, under the job lock)."""
    now = now or ns.now()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with db.write() as conn:
                if not store.lock_job(conn, "notify"):
                    return {"skipped": True}
                result = escalation.escalate(conn, ns, now)
                people = escalation.directory(conn, ns)
                result["digests"] = digest.run(conn, ns, people, now, force=force_digest)
                store.set_job_run(conn, "notify", now)
                return result
        except DBAPIError as exc:
            # a push locked the same complaint in the other order (deadlock) or the like: again
            if attempt == ATTEMPTS or not repo.is_collision(exc):
                raise
    raise AssertionError("unreachable")


def run_once(db: Database, ns: NotifySettings, now: dt.datetime | None = None) -> dict[str, Any]:
    result = record(db, ns, now)
    result.update(outbox.deliver(db, ns))
    return result


class NotifyScheduler:
    """A daemon thread of a serving process."""

    def __init__(self, db: Database, ns: NotifySettings | None = None):
        self.db = db
        self.ns = ns or NotifySettings()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.ns.interval_s <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="accountdesk-notify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(self.ns.timeout_s, 5) + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = run_once(self.db, self.ns)
                if any(result.get(k) for k in ("raised", "messages", "digests", "sent", "dead")):
                    log.info("notify: %s", result)
            except Exception:  # noqa: BLE001 - the next run tries again
                log.exception("notification run failed")
            if self._stop.wait(max(self.ns.interval_s, 0.05)):
                return
