"""The pages of a pull: fetched ahead, in order, parsed by the writing thread; the collector paused meanwhile."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from ...i18n import _
from .base import FETCH_AHEAD, SyncError

if TYPE_CHECKING:
    from .pull import PullMixin


def _items(raw: Any) -> list[dict[str, Any]]:
    """A page's wire items (:class:`protocol.ChangeItem`) as the dicts they were parsed into
    (pages are large: no object per row). Their keys are read, and checked, as they are applied."""
    if type(raw) is not list or any(type(i) is not dict for i in raw):
        raise SyncError(_("The server sent a malformed change."))
    return raw


@dataclass
class _Page:
    cursor: int
    target: int
    has_more: bool
    items: list[dict[str, Any]]
    scope_all: bool
    scope: list[str]
    marks: list[int] | None = None


class _PageStream:
    """The pages of a pull in order, from ``first`` on, fetched ahead on ``pool`` while the
    caller writes the ones before: side by side when the server sent the marks of the pages to
    come (a long pull; over a real network the round trips add up), else each as soon as the one
    before has arrived (its last row is the next one's cursor).

    The fetches bring the pages as received; :meth:`next` parses them, on the writing thread.
    A fetch thread parsing a page holds Python's lock for milliseconds at a time, and the writer,
    which lets go of it for every row SQLite inserts, had to wait for it again and again: an
    initial sync took a fifth longer than with the parsing done by the writer itself."""

    def __init__(self, engine: PullMixin, pool: ThreadPoolExecutor, first: _Page):
        self._engine, self._pool, self._target = engine, pool, first.target
        self._first: _Page | None = first
        self._ahead: deque[tuple[Future[bytes], int]] = deque()  # a fetch, and its window's end
        self._windows: Iterator[tuple[int, int]] | None = None
        self._limit: int | None = None
        if first.has_more and first.marks:
            # A window holds one page of the size the server used for the first (a full page:
            # it has more), which may be larger than asked (a cursor far behind).
            self._limit = max(engine.page_size, len(first.items))
            self._windows = iter(zip([first.cursor, *first.marks[:-1]], first.marks, strict=True))
            for window in islice(self._windows, FETCH_AHEAD):
                self._fetch(*window)
        elif first.has_more:
            self._fetch(first.cursor, self._target)

    def _fetch(self, cursor: int, target: int, *, first: bool = False) -> None:
        future = self._pool.submit(self._engine._fetch_body, cursor, target, self._limit)
        (self._ahead.appendleft if first else self._ahead.append)((future, target))

    def ready(self) -> bool:
        """Whether :meth:`next` answers without waiting for the network."""
        return self._first is not None or not self._ahead or self._ahead[0][0].done()

    def next(self) -> _Page | None:
        """The next page; None after the last."""
        if self._first is not None:
            page, self._first = self._first, None
            return page
        if not self._ahead:
            return None
        future, target = self._ahead.popleft()
        page = self._engine._read_page(future.result())
        if self._windows is None:
            if page.has_more:
                self._fetch(page.cursor, self._target)
        elif page.has_more:  # the server's pages became smaller: the rest of this window first
            self._fetch(page.cursor, target, first=True)
        elif (window := next(self._windows, None)) is not None:
            self._fetch(*window)
        return page

    def close(self) -> None:
        """Stopped early (cancelled, failed): fetches not yet started need not run."""
        for future, _target in self._ahead:
            future.cancel()


@dataclass
class _SnapshotPage:
    items: list[dict[str, Any]]
    after: str | None


def _page(raw: dict[str, Any]) -> _Page:
    try:
        return _Page(
            int(raw["cursor"]),
            int(raw["target"]),
            bool(raw["has_more"]),
            _items(raw["items"]),
            bool(raw["scope_all"]),
            [str(c) for c in raw.get("scope") or ()],
            [int(m) for m in raw["marks"]] if raw.get("marks") else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncError(_("The server sent a malformed change.")) from exc


def _snapshot_page(raw: dict[str, Any]) -> _SnapshotPage:
    try:
        return _SnapshotPage(_items(raw["items"]), raw.get("after"))
    except (KeyError, TypeError) as exc:
        raise SyncError(_("The server sent a malformed change.")) from exc
