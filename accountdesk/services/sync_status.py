"""What the sync indicator shows, read in one small query: pending and rejected outbox entries,
conflicts to review, when the last sync ended and how.

The sync engine records its outcome in the store's meta table under the ``META_*`` keys below
(``record_sync_result``), so the status survives a restart and is readable without a network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ..models import Conflict, OutboxEntry
from ..sync.changes import get_meta, set_meta
from ..sync.context import SyncContext
from .context import AppContext

META_LAST_SYNC_AT = "last_sync_at"
META_LAST_SYNC_ERROR = "last_sync_error"
META_LAST_SYNC_OK = "last_sync_ok"
META_SERVER_URL = "server_url"


@dataclass(frozen=True)
class SyncStatus:
    pending: int
    rejected: int
    conflicts: int
    last_sync_at: dt.datetime | None
    last_error: str | None
    #: True when the last sync attempt reached the server.
    online: bool
    #: The server this profile syncs with ("" for a profile without a server).
    server_url: str

    @property
    def connected(self) -> bool:
        return bool(self.server_url)


def sync_status(ctx: AppContext) -> SyncStatus:
    with ctx.read() as session:
        counts = dict(
            session.execute(select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)).all()
        )
        conflicts = session.scalar(
            select(func.count(Conflict.id)).where(
                Conflict.deleted_at.is_(None), Conflict.resolved_at.is_(None)
            )
        )
        last = get_meta(session, META_LAST_SYNC_AT)
        error = get_meta(session, META_LAST_SYNC_ERROR)
        ok = get_meta(session, META_LAST_SYNC_OK)
        server = get_meta(session, META_SERVER_URL) or ""
    last_at = None
    if last:
        try:
            last_at = dt.datetime.fromisoformat(last)
        except (TypeError, ValueError):
            last_at = None
    return SyncStatus(
        pending=int(counts.get("pending", 0)),
        rejected=int(counts.get("rejected", 0)),
        conflicts=int(conflicts or 0),
        last_sync_at=last_at,
        last_error=error or None,
        online=bool(ok),
        server_url=str(server),
    )


def record_sync_result(ctx: SyncContext, *, ok: bool, error: str | None = None) -> None:
    """Remember the outcome of a sync attempt (called by whoever ran it, with the engine's
    ``ctx`` or the profile's)."""
    with ctx.store.write() as session:
        set_meta(session, META_LAST_SYNC_OK, bool(ok))
        set_meta(session, META_LAST_SYNC_ERROR, error or None)
        if ok:
            set_meta(session, META_LAST_SYNC_AT, ctx.now().isoformat())


def set_server_url(ctx: AppContext, url: str) -> None:
    with ctx.store.write() as session:
        set_meta(session, META_SERVER_URL, url.strip())
