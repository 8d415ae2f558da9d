"""Pulling: pages written in groups, scope changes (snapshots of clients that entered, removal of those that
left), and the fresh snapshot of a device whose cursor is older than the server's tombstone retention."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ...gcpause import gc_paused as _gc_paused
from ...i18n import _
from ...models import SYNCABLE, Client, OutboxEntry
from ...store import bulk_indexes, search
from ..changes import get_meta, set_meta
from .base import (
    FETCH_AHEAD,
    GROUP_ROWS,
    GROUP_SECONDS,
    META_CURSOR,
    META_HELD,
    META_RESNAPSHOT,
    META_SCOPE,
    META_SNAPSHOT,
    META_SYNC_USER,
    Progress,
    ResnapshotRequired,
    SyncError,
    SyncReport,
    _Cancelled,
    _now_iso,
    log,
)
from .core import EngineCore
from .pages import _Page, _page, _PageStream, _snapshot_page
from .push import _held_marks


class _Scope(TypedDict):
    """The scope this device was last told (:data:`META_SCOPE`)."""

    all: bool
    clients: list[str]


def _purge_client(session: Session, client_id: str) -> None:
    for model in SYNCABLE:
        if model.__global__:
            continue
        session.execute(delete(model).where(model.client_id == client_id))


class PullMixin(EngineCore):
    """The part of :class:`SyncEngine` that does this job (see the module docstring)."""

    def _fetch(self, cursor: int, target: int | None, limit: int | None = None, marks: bool = False) -> _Page:
        return self._read_page(self._fetch_body(cursor, target, limit, marks))

    def _fetch_body(
        self, cursor: int, target: int | None, limit: int | None = None, marks: bool = False
    ) -> bytes:
        """A pull page as received; :meth:`_read_page` parses it."""
        params: dict[str, Any] = {"cursor": cursor, "limit": limit or self.page_size}
        if target is not None:
            params["target"] = target
        if marks:
            params["marks"] = "true"
        body: bytes = self._request("GET", "/v1/sync/pull", params=params, parse=False)
        return body

    @staticmethod
    def _read_page(body: bytes) -> _Page:
        try:
            raw = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise SyncError(_("The server sent a malformed change.")) from exc
        return _page(raw)

    def _pull(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        with _gc_paused():
            self._pull_or_resnapshot(report, notify, check)

    def _pull_or_resnapshot(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        for _attempt in range(3):
            with self.store.read() as session:
                due = get_meta(session, META_RESNAPSHOT) is not None
            if due:
                self._resnapshot(report, notify, check)
            try:
                self._pull_changes(report, notify, check)
                return
            except ResnapshotRequired:
                with self.store.write() as session:  # remembered: a crash from here on resumes it
                    set_meta(session, META_RESNAPSHOT, {"since": _now_iso()})
        raise SyncError(_("The server kept asking for a fresh copy of this device's clients."))

    def _pull_changes(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        with self.store.read() as session:
            cursor = int(get_meta(session, META_CURSOR) or 0)
        check()
        first = self._fetch(cursor, None, marks=True)
        if self._scope_changed(first, cursor, report):
            cursor = 0
            first = self._fetch(0, None, marks=True)
        self._snapshots(report, notify, check)
        target = first.target
        bulk = first.has_more and self._suspend_index(cursor, target)
        try:
            # Pages are fetched ahead while the ones before are written (the server and the disk
            # overlap). Pages already fetched share a transaction, up to GROUP_ROWS rows or
            # GROUP_SECONDS (a commit per page was a tenth of an initial sync); the cursor is
            # stored with the rows, so an interruption resumes after the last commit. No
            # transaction waits for the network: a fetch that has to log in again writes too.
            with (
                ThreadPoolExecutor(max_workers=FETCH_AHEAD, thread_name_prefix="accountdesk-pull") as pool,
                contextlib.closing(_PageStream(self, pool, first)) as pages,
            ):
                page: _Page | None = pages.next()
                while page is not None:
                    check()
                    applied, more = 0, True
                    failure: Exception | None = None
                    with self.store.write() as session:
                        began = time.monotonic()
                        while page is not None:
                            report.conflicts += self._apply(session, page.items)
                            set_meta(session, META_CURSOR, page.cursor)
                            applied += len(page.items)
                            cursor, page = page.cursor, None
                            if (
                                applied >= GROUP_ROWS
                                or time.monotonic() - began >= GROUP_SECONDS
                                or self._cancelled(check)
                                or not pages.ready()
                            ):
                                break  # commit; the next page after it
                            try:
                                page = pages.next()
                            except Exception as exc:  # what is applied is kept
                                failure = exc
                                break
                            more = page is not None
                    report.pulled += applied
                    # The young objects of the pages just written, collected: each fetch leaves
                    # a small cycle (httpx's request and response) holding a page's bytes, which
                    # with the collector paused would otherwise pile up for the whole pull
                    # (hundreds of MB for a company). A young collection does not walk the heap.
                    gc.collect(1)
                    notify("pull", cursor, target)
                    if failure is not None:
                        raise failure
                    if page is None and more:
                        page = pages.next()
        finally:
            if bulk:  # at the target, cancelled or failed: the indexes are whole again
                with self.store.write() as session:
                    conn = session.connection()
                    # the indexes set aside are built while a thread computes the search
                    # documents (store/search/bulk.py)
                    search.restore(conn, meanwhile=bulk_indexes.statements(conn))
                    bulk_indexes.forget(conn)

    @staticmethod
    def _cancelled(check: Callable[[], None]) -> bool:
        try:
            check()
        except _Cancelled:
            return True
        return False

    def _suspend_index(self, cursor: int, target: int) -> bool:
        """A large pull (more changes to come than rows indexed, and at least ``bulk_rows``) is
        written without keeping the search index row by row; the index is rebuilt in one pass
        at the end (and, should the laptop crash meanwhile, when the store is next opened)."""
        if target - cursor < self.bulk_rows:
            return False
        with self.store.write() as session:
            conn = session.connection()
            if target - cursor < conn.exec_driver_sql("SELECT count(*) FROM search_rows").scalar_one():
                return False
            search.suspend(conn)
            bulk_indexes.set_aside(conn)  # built once at the end (store/bulk_indexes.py)
        return True

    def _scope_changed(self, page: _Page, cursor: int, report: SyncReport) -> bool:
        """Compare the scope the server reports with the one this device had. Clients that left
        are removed (unless edits for them are still pending: next sync); clients that entered
        get a snapshot of their current state. Returns True when the pull must restart at 0."""
        new: _Scope = {"all": page.scope_all, "clients": sorted(page.scope)}
        with self.store.read() as session:
            old = get_meta(session, META_SCOPE)
            if old == new and cursor > 0:
                local = set(session.scalars(select(Client.id)).all())
                if new["all"] or local <= set(new["clients"]):
                    return False  # nothing entered, nothing left
        with self.store.write() as session:
            old = get_meta(session, META_SCOPE)
            if not new["all"]:
                wanted = set(new["clients"])
                local = set(session.scalars(select(Client.id)).all())
                if old and not old.get("all"):
                    local |= set(old.get("clients", []))
                pending = set(
                    session.scalars(
                        select(OutboxEntry.client_id).where(OutboxEntry.status == "pending")
                    ).all()
                )
                held = False
                for client_id in sorted(local - wanted):
                    if client_id in pending:
                        held = True
                        continue  # pushed first, removed at the next sync
                    _purge_client(session, client_id)
                    report.removed_clients.append(client_id)
                if held:  # what is pending now was written before the device learned of it
                    last = session.scalar(
                        select(OutboxEntry.seq)
                        .where(OutboxEntry.status == "pending")
                        .order_by(OutboxEntry.seq.desc())
                        .limit(1)
                    )
                    marks = _held_marks(session)
                    if last is not None and (not marks or marks[-1][0] < last):  # (held: one is pending)
                        set_meta(session, META_HELD, [*marks, [last, cursor]])
            if old is None or cursor == 0:
                set_meta(session, META_SCOPE, new)
                return False
            if new["all"] and not old.get("all"):
                set_meta(session, META_SCOPE, new)
                set_meta(session, META_CURSOR, 0)
                return True  # everything is now in scope: pull it all (known rows are skipped)
            if not new["all"]:
                entered = sorted(
                    set(new["clients"]) - set(old.get("clients", [])) if not old.get("all") else []
                )
                if entered:
                    todo = get_meta(session, META_SNAPSHOT) or {"clients": [], "upto": cursor, "after": None}
                    todo["clients"] = sorted(set(todo["clients"]) | set(entered))
                    todo["upto"] = max(int(todo.get("upto") or 0), cursor)
                    set_meta(session, META_SNAPSHOT, todo)
            set_meta(session, META_SCOPE, new)
        return False

    def _snapshots(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        while True:
            check()
            with self.store.read() as session:
                todo = get_meta(session, META_SNAPSHOT)
            if not todo or not todo.get("clients"):
                return
            req = {
                "clients": todo["clients"],
                "upto": todo["upto"],
                "after": todo.get("after"),
                "limit": self.page_size,
            }
            page = _snapshot_page(self._request("POST", "/v1/sync/snapshot", body=req))
            with self.store.write() as session:
                report.conflicts += self._apply(session, page.items)
                set_meta(session, META_SNAPSHOT, None if page.after is None else dict(todo, after=page.after))
            report.pulled += len(page.items)
            notify("snapshot", report.pulled, None)

    def _resnapshot(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        """Replace this device's rows with a fresh snapshot of its scope (the server purged
        deletes this device has not seen): (a) push the whole outbox, (b) fetch the snapshot,
        applying it page by page, (c) remove the rows absent from it, except those with local
        changes, and (d) take the snapshot's sequence as the cursor — (c) and (d) in one
        transaction. Until then the marker stays set and the cursor stale: an interrupted run
        starts again at the next sync and never shows a half-replaced store as synced."""
        self._push(report, notify, check)
        check()
        head = self._fetch(0, None, limit=1)  # the sequence the snapshot stands at, and the scope
        seen: set[str] = set()
        after = None
        while True:
            check()
            req = {"clients": [], "upto": head.target, "after": after, "limit": self.page_size, "scope": True}
            page = _snapshot_page(self._request("POST", "/v1/sync/snapshot", body=req))
            with self.store.write() as session:
                report.conflicts += self._apply(session, page.items)
            seen.update(i["id"] for i in page.items)
            report.pulled += len(page.items)
            notify("snapshot", report.pulled, None)
            if page.after is None:
                break
            after = page.after
        with self.store.write() as session:
            keep = set(session.scalars(select(OutboxEntry.row_id)).all())  # pending or refused
            keep |= seen
            keep.add(get_meta(session, META_SYNC_USER) or "")
            removed = 0
            for model in reversed(SYNCABLE):
                ids = [i for i in session.scalars(select(model.id)).all() if i not in keep]
                for start in range(0, len(ids), 500):
                    session.execute(delete(model).where(model.id.in_(ids[start : start + 500])))
                removed += len(ids)
                if model is Client:
                    report.removed_clients.extend(sorted(ids))
            set_meta(session, META_CURSOR, head.target)
            scope: _Scope = {"all": head.scope_all, "clients": sorted(head.scope)}
            set_meta(session, META_SCOPE, scope)
            set_meta(session, META_SNAPSHOT, None)
            set_meta(session, META_RESNAPSHOT, None)
        log.info("fresh snapshot at %s: %s rows kept, %s removed", head.target, len(seen), removed)
