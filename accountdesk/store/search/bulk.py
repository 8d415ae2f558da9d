"""Building the search index in one pass (:func:`accountdesk.store.search.rebuild`): after a fresh
laptop's first pull of a company, when a store interrupted in one is opened, after a migration.

The documents of every indexed row are computed here in Python, from the same builders the
triggers call as SQL functions (``text.py``), and written chunk by chunk with ``executemany``:
the rows of ``search_rows``, the two-character grams of ``search_bi`` and the trigram index
``search_tri``. Computing the documents (normalisation, pinyin, grams) is about half of the work,
and it needs no database: for many rows, when the machine has a second core, it runs in a helper
process while this one writes the chunks already computed and runs the statements it was given to
run meanwhile (the secondary indexes a bulk pull set aside, which SQLite builds in C). Same rows,
documents and tokens as the triggers give (tests/test_search_bulk.py)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from typing import Any

from .text import body_doc, grams, join_docs, name_doc, phones_doc, sort_key

log = logging.getLogger(__name__)

#: Rows computed per task (a few MB of text at most in flight).
CHUNK = 4000
#: Tasks handed to the helper process ahead of the rows being written.
AHEAD = 3
#: From this many indexed rows the documents are computed in a helper process (below, a helper
#: would cost more than it saves: about half a second of CPU to start, pypinyin's dictionaries).
#: The helper is off unless ``ACCOUNTDESK_SEARCH_HELPER=1``: it takes ~3 s off a fresh laptop's
#: 10,000-client company pull on two idle cores, but the laptop and its helper together then
#: peaked at 371 MB (bench_join.py), above the 300 MB a laptop's sync may take.
PARALLEL_MIN = 20_000 if os.environ.get("ACCOUNTDESK_SEARCH_HELPER") == "1" else sys.maxsize

#: entity -> (table, columns read, in order). The SQL each is read with mirrors
#: ``schema.SOURCES``; tests/test_search.py checks both give the same index.
READ: dict[str, tuple[str, str]] = {
    "client": ("clients", "id, id, name, short_name, uscc"),
    "contact": ("contacts", "id, client_id, name, mobile, phone, email, wechat, title, department, notes"),
    "service_note": ("service_notes", "id, client_id, category, text, COALESCE(confidential, 0)"),
}

#: entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential; and the grams
Row = tuple[str, str, str, str, str, str, str | None, int, str]


def _client(r: tuple[Any, ...]) -> Row:
    row_id, client_id, name, short_name, uscc = r
    ndoc, bdoc = name_doc(name, short_name), body_doc(uscc)
    return ("client", row_id, client_id, name, ndoc, bdoc, sort_key(name), 0, grams(ndoc, bdoc))


def _contact(r: tuple[Any, ...]) -> Row:
    row_id, client_id, name, mobile, phone, email, wechat, title, department, notes = r
    ndoc = name_doc(name)
    bdoc = join_docs(phones_doc(mobile, phone), body_doc(email, wechat, title, department, notes))
    return ("contact", row_id, client_id, name, ndoc, bdoc, None, 0, grams(ndoc, bdoc))


def _service_note(r: tuple[Any, ...]) -> Row:
    row_id, client_id, category, text, confidential = r
    bdoc = body_doc(category, text)
    return ("service_note", row_id, client_id, category or "", "", bdoc, None, confidential, grams("", bdoc))


_BUILD: dict[str, Callable[[tuple[Any, ...]], Row]] = {
    "client": _client,
    "contact": _contact,
    "service_note": _service_note,
}


def documents(entity: str, rows: list[tuple[Any, ...]]) -> list[Row]:
    """The ``search_rows`` values (and grams) of source rows read with ``READ[entity]``."""
    return list(map(_BUILD[entity], rows))


def _warm() -> None:
    """Loads pypinyin in the helper process while the rows are read."""
    sort_key("中")


def _where(entity: str) -> str:
    return f"deleted_at IS NULL AND {'id' if entity == 'client' else 'client_id'} IS NOT NULL"


def _read(exec_: Callable[..., Any]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """The source rows in chunks, in rowid order; each chunk a statement of its own (no cursor
    stays open while the caller writes and builds indexes)."""
    for entity, (table, columns) in READ.items():
        after = 0
        while rows := exec_(
            f"SELECT rowid, {columns} FROM {table} WHERE rowid > ? AND {_where(entity)} ORDER BY rowid LIMIT {CHUNK}",
            (after,),
        ).fetchall():
            after = rows[-1][0]
            yield entity, [tuple(r)[1:] for r in rows]


def _helper() -> ProcessPoolExecutor | None:
    if (os.cpu_count() or 1) < 2:
        return None
    # never fork: the app has threads (Qt, the sync's fetchers); spawn starts a clean interpreter
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def fill(
    exec_: Callable[..., Any], executemany: Callable[[str, Any], Any], meanwhile: Iterable[str] = ()
) -> int:
    """Writes ``search_rows`` and ``search_bi`` (both empty, without their triggers) from the
    source tables; runs each statement of ``meanwhile`` too, while the helper process computes
    (or before, without one). Returns the rows indexed."""
    todo = deque(meanwhile)
    count = sum(
        exec_(f"SELECT count(*) FROM {table} WHERE {_where(entity)}").fetchone()[0]
        for entity, (table, _columns) in READ.items()
    )
    helper = _helper() if count >= PARALLEL_MIN else None
    pool = helper  # None from the moment the helper fails
    written = 0

    def write(rows: list[Row]) -> None:
        nonlocal written
        ids = range(written + 1, written + 1 + len(rows))
        executemany(
            "INSERT INTO search_rows (id, entity, row_id, client_id, label, name_doc, body_doc, sort_key, "
            "confidential) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, *r[:8]) for i, r in zip(ids, rows, strict=True)],
        )
        executemany(
            "INSERT INTO search_bi (rowid, grams) VALUES (?, ?)",
            [(i, r[8]) for i, r in zip(ids, rows, strict=True)],
        )
        # the trigram index chunk by chunk too (the same work as one 'rebuild' at the end, but
        # done while the helper computes the next chunks)
        executemany(
            "INSERT INTO search_tri (rowid, name_doc, body_doc) VALUES (?, ?, ?)",
            [(i, r[4], r[5]) for i, r in zip(ids, rows, strict=True)],
        )
        written += len(rows)

    # Each chunk's documents are handed to the helper; while it computes, this process writes
    # the chunk before and runs the statements it was given. A helper that cannot start or
    # dies leaves the rest to this process (same documents, only slower).
    pending: deque[tuple[str, list[tuple[Any, ...]], Future[list[Row]] | None]] = deque()

    def failed(exc: BaseException) -> None:
        nonlocal pool
        if pool is not None:
            log.warning("the search index's helper process failed (%s): indexing in this one", exc)
        pool = None

    def submit(entity: str, rows: list[tuple[Any, ...]]) -> Future[list[Row]] | None:
        try:
            return None if pool is None else pool.submit(documents, entity, rows)
        except (BrokenExecutor, OSError, RuntimeError) as exc:  # could not start
            failed(exc)
            return None

    def next_done() -> list[Row]:
        entity, rows, future = pending.popleft()
        if future is not None:
            while todo and not future.done():
                exec_(todo.popleft())
            try:
                return future.result()
            except BrokenExecutor as exc:  # the helper died (a pickling or documents() error
                failed(exc)  # is raised as such below, by the same call in this process)
        return documents(entity, rows)

    try:
        if pool is not None:
            with contextlib.suppress(BrokenExecutor, OSError, RuntimeError):
                pool.submit(_warm)
        for entity, rows in _read(exec_):
            pending.append((entity, rows, submit(entity, rows)))
            if len(pending) >= AHEAD:
                write(next_done())
        while pending:
            write(next_done())
        while todo:
            exec_(todo.popleft())
    finally:
        if helper is not None:
            helper.shutdown(cancel_futures=True)
    return written
