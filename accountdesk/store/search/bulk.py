"""Building the search index in one pass (:func:`accountdesk.store.search.rebuild`): after a fresh
laptop's first pull of a company, when a store interrupted in one is opened, after a migration.

The documents of every indexed row are computed here in Python, from the same builders the
triggers call as SQL functions (``text.py``), on a thread of their own, chunk by chunk, while this
thread writes the chunks already computed and runs the statements it was given to run meanwhile
(the secondary indexes a bulk pull set aside). Everything this thread does is one SQL statement per
chunk, which SQLite runs without Python's lock: the rows of ``search_rows`` and the grams of
``search_bi`` go in from one JSON text each (``json_each``), the trigram index ``search_tri`` from
``search_rows``; so the documents (Python, about a third of the work) are computed on one core while
SQLite builds the indexes on the other, with no helper process (a helper process computing them
took the laptop and its helper to 371 MB at 10,000 clients, above the 300 MB a sync may take).
Same rows, documents and tokens as the triggers give (tests/test_search_bulk.py)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import orjson

from .text import body_doc, grams, join_docs, name_doc, phones_doc, sort_key

#: Rows computed per task (a few MB of text at most in flight).
CHUNK = 4000
#: Chunks whose documents are computed ahead of the one being written.
AHEAD = 2

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


#: A text read back from JSON by ``json_each``: what :func:`_escaped` wrote, NULs again. (SQLite
#: before 3.45 cuts a JSON string at an escaped NUL, and every sort key holds one.)
_TEXT = "replace(replace(json_extract(value, '$[{i}]'), char(2, 4), char(0)), char(2, 3), char(2))"
_ROWS_SQL = (
    "INSERT INTO search_rows (id, entity, row_id, client_id, label, name_doc, body_doc, sort_key, "
    "confidential) SELECT ? + key, json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), "
    + ", ".join(_TEXT.format(i=i) for i in (3, 4, 5, 6))
    + ", json_extract(value, '$[7]') FROM json_each(?)"
)
_BI_SQL = "INSERT INTO search_bi (rowid, grams) SELECT ? + key, value FROM json_each(?)"
_TRI_SQL = (
    "INSERT INTO search_tri (rowid, name_doc, body_doc) SELECT id, name_doc, body_doc FROM search_rows "
    "WHERE id BETWEEN ? AND ?"
)


def _nul_free(text: str | None) -> str | None:
    """``text`` without NUL: each \\x02 written \\x02\\x03 and each NUL \\x02\\x04 (:data:`_TEXT`
    reads it back)."""
    if text is None or ("\x00" not in text and "\x02" not in text):
        return text
    return text.replace("\x02", "\x02\x03").replace("\x00", "\x02\x04")


def _escaped(r: Row) -> tuple[Any, ...]:
    """The ``search_rows`` values of a row, as :data:`_ROWS_SQL` reads them."""
    return (r[0], r[1], r[2], _nul_free(r[3]), _nul_free(r[4]), _nul_free(r[5]), _nul_free(r[6]), r[7])


def fill(exec_: Callable[..., Any], meanwhile: Iterable[str] = ()) -> int:
    """Writes ``search_rows``, ``search_bi`` and ``search_tri`` (all empty, without their
    triggers) from the source tables; runs each statement of ``meanwhile`` too, while the
    documents are computed. Returns the rows indexed."""
    todo = deque(meanwhile)
    written = 0

    def write(rows: list[Row]) -> None:
        nonlocal written
        if rows:
            first = written + 1
            # (rows of text, numbers and nulls: what orjson writes, json_each reads back the same)
            exec_(_ROWS_SQL, (first, orjson.dumps([_escaped(r) for r in rows]).decode()))
            exec_(_BI_SQL, (first, orjson.dumps([r[8] for r in rows]).decode()))
            exec_(_TRI_SQL, (first, first + len(rows) - 1))
        written += len(rows)

    pending: deque[Future[list[Row]]] = deque()

    def next_done() -> list[Row]:
        future = pending.popleft()
        while todo and not future.done():
            exec_(todo.popleft())
        return future.result()

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="accountdesk-search-docs")
    try:
        for entity, rows in _read(exec_):
            pending.append(pool.submit(documents, entity, rows))
            if len(pending) > AHEAD:
                write(next_done())
        while pending:
            write(next_done())
        while todo:
            exec_(todo.popleft())
    finally:
        pool.shutdown(cancel_futures=True)
    return written
