"""The search index's schema: the ``search_rows`` table, its FTS5 indexes and the triggers on the
indexed tables (used by the migrations), rebuilding, bulk indexing, suspending and restoring."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any  # a DB-API or a SQLAlchemy connection: both are taken

# -- schema (used by the migration) ------------------------------------------------------------

#: entity -> (table, label SQL, name_doc SQL, body_doc SQL, confidential SQL), over ``NEW``.
SOURCES: dict[str, tuple[str, str, str, str, str]] = {
    "client": (
        "clients",
        "NEW.name",
        "ad_name_doc(NEW.name, NEW.short_name)",
        "ad_body_doc(NEW.uscc)",
        "0",
    ),
    "contact": (
        "contacts",
        "NEW.name",
        "ad_name_doc(NEW.name)",
        "ad_join_docs(ad_phones_doc(NEW.mobile, NEW.phone), "
        "ad_body_doc(NEW.email, NEW.wechat, NEW.title, NEW.department, NEW.notes))",
        "0",
    ),
    "service_note": (
        "service_notes",
        "COALESCE(NEW.category, '')",
        "''",
        "ad_body_doc(NEW.category, NEW.text)",
        "COALESCE(NEW.confidential, 0)",
    ),
}
#: Columns whose change re-indexes a row.
WATCHED = {
    "client": ("name", "short_name", "uscc", "deleted_at"),
    "contact": (
        "name",
        "mobile",
        "phone",
        "email",
        "wechat",
        "title",
        "department",
        "notes",
        "client_id",
        "deleted_at",
    ),
    "service_note": ("category", "text", "confidential", "client_id", "deleted_at"),
}

SCHEMA_SQL = [
    """CREATE TABLE IF NOT EXISTS search_rows (
        id INTEGER PRIMARY KEY,
        entity TEXT NOT NULL,
        row_id TEXT NOT NULL UNIQUE,
        client_id TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        name_doc TEXT NOT NULL DEFAULT '',
        body_doc TEXT NOT NULL DEFAULT '',
        sort_key TEXT,
        confidential INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_rows_client ON search_rows (client_id)",
    # The client list in name order pages through this index (keyset paging, no sort step).
    "CREATE INDEX IF NOT EXISTS ix_search_rows_sort ON search_rows (sort_key, row_id) WHERE entity = 'client'",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_tri USING fts5("
    "name_doc, body_doc, tokenize='trigram', content='search_rows', content_rowid='id')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_bi USING fts5(grams, tokenize='unicode61', content='', detail='none')",
    """CREATE TRIGGER IF NOT EXISTS search_rows_ai AFTER INSERT ON search_rows BEGIN
        INSERT INTO search_tri(rowid, name_doc, body_doc) VALUES (NEW.id, NEW.name_doc, NEW.body_doc);
        INSERT INTO search_bi(rowid, grams) VALUES (NEW.id, ad_grams(NEW.name_doc, NEW.body_doc));
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_rows_ad AFTER DELETE ON search_rows BEGIN
        INSERT INTO search_tri(search_tri, rowid, name_doc, body_doc) VALUES ('delete', OLD.id, OLD.name_doc, OLD.body_doc);
        INSERT INTO search_bi(search_bi, rowid, grams) VALUES ('delete', OLD.id, ad_grams(OLD.name_doc, OLD.body_doc));
    END""",
]


def _source_triggers(entity: str) -> list[str]:
    table, label, ndoc, bdoc, conf = SOURCES[entity]
    client_id = "NEW.id" if entity == "client" else "NEW.client_id"
    put = (
        f"DELETE FROM search_rows WHERE row_id = NEW.id;\n"
        f"        INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential)\n"
        f"        SELECT '{entity}', NEW.id, {client_id}, {label}, {ndoc}, {bdoc}, "
        f"{'ad_sort_key(NEW.name)' if entity == 'client' else 'NULL'}, {conf}\n"
        f"        WHERE NEW.deleted_at IS NULL AND {client_id} IS NOT NULL;"
    )
    cols = ", ".join(WATCHED[entity])
    return [
        f"CREATE TRIGGER IF NOT EXISTS search_{table}_ai AFTER INSERT ON {table} BEGIN\n        {put}\n    END",
        f"CREATE TRIGGER IF NOT EXISTS search_{table}_au AFTER UPDATE OF {cols} ON {table} BEGIN\n        {put}\n    END",
        f"CREATE TRIGGER IF NOT EXISTS search_{table}_ad AFTER DELETE ON {table} BEGIN\n"
        f"        DELETE FROM search_rows WHERE row_id = OLD.id;\n    END",
    ]


def schema_statements() -> list[str]:
    out = list(SCHEMA_SQL)
    for entity in SOURCES:
        out.extend(_source_triggers(entity))
    return out


def drop_statements() -> list[str]:
    out: list[str] = []
    for entity in SOURCES:
        table = SOURCES[entity][0]
        out.extend(f"DROP TRIGGER IF EXISTS search_{table}_{s}" for s in ("ai", "au", "ad"))
    out += [
        "DROP TRIGGER IF EXISTS search_rows_ai",
        "DROP TRIGGER IF EXISTS search_rows_ad",
        "DROP TABLE IF EXISTS search_tri",
        "DROP TABLE IF EXISTS search_bi",
        "DROP TABLE IF EXISTS search_rows",
    ]
    return out


def _backfill_sql(entity: str) -> str:
    table, label, ndoc, bdoc, conf = SOURCES[entity]
    client_id = "NEW.id" if entity == "client" else "NEW.client_id"
    sortk = "ad_sort_key(NEW.name)" if entity == "client" else "NULL"
    sql = (
        f"INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential) "
        f"SELECT '{entity}', NEW.id, {client_id}, {label}, {ndoc}, {bdoc}, {sortk}, {conf} "
        f"FROM {table} AS NEW WHERE NEW.deleted_at IS NULL AND {client_id} IS NOT NULL"
    )
    return sql


@contextlib.contextmanager
def indexed_in_bulk(conn: Any, entity: str) -> Iterator[None]:
    """Rows of ``entity`` inserted inside the block are indexed in one pass at its end rather than
    by the insert trigger once per row (several times faster for thousands of rows). For a write
    transaction that inserts many new rows (an import); ``conn`` is its SQLAlchemy connection.

    The insert trigger is dropped for the block and put back, as it was, at its end — all within
    the caller's transaction, so a rollback leaves the schema and the index as they were. Updates
    inside the block still index through their own trigger (a row already indexed is left as is)."""
    table = SOURCES[entity][0]
    name = f"search_{table}_ai"
    ddl = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
    ).scalar()
    if ddl is None:  # no index in this database
        yield
        return
    start = conn.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {table}").scalar()
    conn.exec_driver_sql(f"DROP TRIGGER {name}")
    try:
        yield
        conn.exec_driver_sql(
            _backfill_sql(entity)
            + " AND NEW.rowid > ? AND NOT EXISTS (SELECT 1 FROM search_rows AS s WHERE s.row_id = NEW.id)",
            (start,),
        )
    finally:
        conn.exec_driver_sql(ddl)


def rebuild(conn: Any, meanwhile: Iterable[str] = ()) -> int:
    """Recreate the index from the tables (a DB-API or SQLAlchemy connection); returns rows
    indexed. The statements of ``meanwhile`` are run too, while a thread computes the documents
    (see ``bulk.py``)."""
    from .bulk import fill

    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    # The rows and both full-text indexes written chunk by chunk (rather than through the rows'
    # triggers row by row); the triggers are put back.
    exec_("DROP TRIGGER IF EXISTS search_rows_ai")
    exec_("DROP TRIGGER IF EXISTS search_rows_ad")
    exec_("DELETE FROM search_rows")
    exec_("INSERT INTO search_tri(search_tri) VALUES ('delete-all')")
    exec_("INSERT INTO search_bi(search_bi) VALUES ('delete-all')")
    count = fill(exec_, meanwhile)
    for stmt in SCHEMA_SQL:
        if stmt.startswith("CREATE TRIGGER"):
            exec_(stmt)
    return count


def _source_trigger_names() -> list[str]:
    return [f"search_{SOURCES[entity][0]}_{s}" for entity in SOURCES for s in ("ai", "au", "ad")]


def suspend(conn: Any) -> None:
    """Stop keeping the index row by row, before a bulk load (a large pull): the source tables'
    triggers are dropped, and :func:`restore` rebuilds the index in one pass afterwards. The
    missing triggers are themselves the mark, committed with the rows: a store that is opened
    without them (the load was interrupted by a crash) restores the index first."""
    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for name in _source_trigger_names():
        exec_(f"DROP TRIGGER IF EXISTS {name}")


def suspended(conn: Any) -> bool:
    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    names = _source_trigger_names()
    found = exec_(
        f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({', '.join('?' * len(names))})",
        tuple(names),
    ).fetchone()[0]
    if found == len(names):
        return False
    return bool(
        exec_("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'search_rows'").fetchone()[
            0
        ]
        > 0
    )


def restore(conn: Any, meanwhile: Iterable[str] = ()) -> int:
    """Recreate the triggers :func:`suspend` dropped and rebuild the index; returns rows indexed.
    ``meanwhile``: as for :func:`rebuild`."""
    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for stmt in schema_statements():
        exec_(stmt)
    return rebuild(conn, meanwhile)
