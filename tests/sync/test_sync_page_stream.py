"""The order and concurrency of a long pull's pages on the laptop (sync.client._PageStream): the
windows named by the server's marks are fetched side by side, with the page size the server
used, and handed over in order whatever order they arrive in; the fetches bring the pages as
received and the stream parses them on the caller's thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from accountdesk.sync import client as C


def _page(cursor, target, n, has_more=False, marks=None):
    items = [{"entity": "client", "id": f"{cursor}-{i}", "seq": cursor, "data": {}} for i in range(n)]
    return C._Page(cursor, target, has_more, items, True, [], marks)


class _Server:
    """Answers page fetches; window (10, 20] waits until (20, 30] has been asked for. A fetch
    brings a page's "body" (here the page itself, marked unread), read by ``_read_page``."""

    page_size = 5

    def __init__(self):
        self.calls: list[tuple[int, int, int | None]] = []
        self.read_by: list[str] = []
        self.second_started = threading.Event()
        self.lock = threading.Lock()

    def _fetch_body(self, cursor, target, limit):
        with self.lock:
            self.calls.append((cursor, target, limit))
        if limit is None:  # the chain (no marks): one page after another
            return _page(cursor + 10, 40, 2, has_more=cursor + 10 < 40)
        if cursor == 20:
            self.second_started.set()
        if cursor == 10:
            assert self.second_started.wait(10), "the second window was not fetched alongside the first"
        return _page(target, 40, 3)

    def _read_page(self, body):
        self.read_by.append(threading.current_thread().name)
        return body


def test_windows_are_fetched_side_by_side_with_the_servers_page_size_and_handed_over_in_order():
    server = _Server()
    first = _page(10, 40, 20, has_more=True, marks=[20, 30, 40])  # the server used pages of 20
    with ThreadPoolExecutor(max_workers=C.FETCH_AHEAD) as pool:
        stream = C._PageStream(server, pool, first)
        assert stream.next() is first
        got = []
        while (page := stream.next()) is not None:
            got.append(page.cursor)
    assert got == [20, 30, 40]
    assert sorted(server.calls) == [(10, 20, 20), (20, 30, 20), (30, 40, 20)]
    assert server.read_by == [threading.current_thread().name] * 3  # parsed by the writer


def test_a_window_the_server_splits_into_smaller_pages_is_finished_before_the_next():
    class Smaller(_Server):
        def _fetch_body(self, cursor, target, limit):
            with self.lock:
                self.calls.append((cursor, target, limit))
            end = min(cursor + 4, target)  # the server now sends pages of 4
            return _page(end, target, 1, has_more=end < target)

    server = Smaller()
    first = _page(10, 30, 10, has_more=True, marks=[20, 30])
    with ThreadPoolExecutor(max_workers=C.FETCH_AHEAD) as pool:
        stream = C._PageStream(server, pool, first)
        got = [p.cursor for p in iter(stream.next, None)]
    assert got == [10, 14, 18, 20, 24, 28, 30]
    assert {c[2] for c in server.calls} == {10}


def test_without_marks_each_page_is_fetched_once_the_one_before_has_arrived():
    server = _Server()
    first = _page(10, 40, 5, has_more=True)
    with ThreadPoolExecutor(max_workers=C.FETCH_AHEAD) as pool:
        stream = C._PageStream(server, pool, first)
        pages = [stream.next()]
        while (page := stream.next()) is not None:
            pages.append(page)
    assert [p.cursor for p in pages] == [10, 20, 30, 40]
    assert server.calls == [(10, 40, None), (20, 40, None), (30, 40, None)]


def test_a_stream_closed_early_cancels_the_fetches_not_started():
    gate = threading.Event()

    class Slow(_Server):
        def _fetch_body(self, cursor, target, limit):
            with self.lock:
                self.calls.append((cursor, target, limit))
            gate.wait(10)
            return _page(target, 100, 1)

    server = Slow()
    first = _page(10, 100, 5, has_more=True, marks=[20, 30, 40, 50, 100])
    with ThreadPoolExecutor(max_workers=1) as pool:  # one at a time: the second waits its turn
        stream = C._PageStream(server, pool, first)
        stream.next()
        assert not stream.ready()  # the first window is still on its way
        stream.close()
        gate.set()
    assert [c[0] for c in server.calls] == [10]  # the queued window never ran


def test_new_rows_from_the_wire_become_sqlite_parameters():
    """Wire values are converted as SQLite stores them; a stripped confidential field is written
    blank where its column may not be null; a malformed value skips the row, a tombstone too."""
    from accountdesk.models import ENTITIES

    note, visit = ENTITIES["service_note"], ENTITIES["visit"]
    keys = [c.key for c in note.__table__.columns]
    item = {
        "entity": "service_note",
        "id": "n1",
        "seq": 7,
        "hidden": ["text"],
        "data": {
            "text": None,
            "confidential": True,
            "category": "交付",
            "created_at": "2026-03-01T09:05:07Z",
        },
    }
    row = dict(zip(keys, C._insert_params(note, item), strict=True))
    assert row["text"] == "" and row["confidential"] == 1 and row["category"] == "交付"
    assert row["id"] == "n1" and row["server_seq"] == 7 and row["created_at"] == "2026-03-01 09:05:07.000000"
    keys = [c.key for c in visit.__table__.columns]
    wire = {
        "kind": "review",
        "planned_start": "2026-03-01T09:05:07.000123Z",
        "attendee_contact_ids": ["c1", "联系人"],
    }
    row = dict(
        zip(
            keys,
            C._insert_params(visit, {"entity": "visit", "id": "v1", "seq": 8, "data": wire}),
            strict=True,
        )
    )
    assert row["planned_start"] == "2026-03-01 09:05:07.000123" and row["done_at"] is None
    import json

    assert json.loads(row["attendee_contact_ids"]) == ["c1", "联系人"]
    assert row["created_at"]  # defaults to now
    assert (
        C._insert_params(
            visit, {"entity": "visit", "id": "v2", "seq": 9, "data": {**wire, "planned_start": "soon"}}
        )
        is None
    )
    assert (
        C._insert_params(visit, {"entity": "visit", "id": "v3", "seq": 9, "deleted": True, "data": wire})
        is None
    )


def test_a_wire_date_is_checked_and_kept_in_its_iso_form():
    assert C._wire_date("2026-03-01") == "2026-03-01"
    assert C._wire_date("2026-03-01T08:00:00Z") == "2026-03-01"  # a datetime sent for a date
    import pytest

    for bad in ("2026-02-30", "2026-13-01", "２０２６-03-01", "soon"):
        with pytest.raises(ValueError):
            C._wire_date(bad)


def test_the_garbage_collector_is_paused_during_a_pull_and_restored_after_nested_pauses():
    import gc

    assert gc.isenabled()
    with C._gc_paused():
        assert not gc.isenabled()
        with C._gc_paused():  # a second profile's sync at the same time
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pull still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with C._gc_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
