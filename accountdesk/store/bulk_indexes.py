"""Secondary indexes set aside during a bulk load (a fresh laptop's first pull of a company).

Keeping every secondary index row by row while hundreds of thousands of rows arrive costs more
than building each index once at the end from the loaded table. :func:`set_aside` drops the
non-unique indexes of the synced tables and records their definitions in ``meta`` in the same
transaction; :func:`put_back` recreates them and clears the record. The record is itself the mark
of an unfinished load: a store opened with it (the laptop stopped mid-load) puts the indexes back
first, as it restores the search index (:func:`accountdesk.store.search.suspend`). Unique indexes
(constraints) stay; the pull's own lookups go by primary key and through the outbox.
"""

from __future__ import annotations

import json
from typing import Any

from ..models import SYNCABLE

#: meta key: [[name, CREATE INDEX statement], ...] of the indexes set aside.
META_KEY = "bulk_indexes_set_aside"


def _exec(conn: Any) -> Any:
    return conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute


#: The outbox's indexes a large push sets aside (:func:`set_aside_outbox`): every acknowledged entry
#: is deleted, and each of these indexes took a write to a page of its own (encrypted at commit);
#: the batch index stays (a push looks for batches claimed by an older version through it).
OUTBOX_INDEXES = ("ix_outbox_client_id", "ix_outbox_row_id", "ix_outbox_hlc")


def set_aside(conn: Any, tables: list[str] | None = None, names: tuple[str, ...] | None = None) -> int:
    """Drop the synced tables' non-unique secondary indexes (or those of ``tables``, only
    ``names`` among them), recording them; returns how many."""
    exec_ = _exec(conn)
    tables = tables or sorted({model.__tablename__ for model in SYNCABLE})
    marks = ", ".join("?" * len(tables))
    rows = exec_(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND upper(sql) NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({marks}) ORDER BY name",
        tuple(tables),
    ).fetchall()
    if names is not None:
        rows = [row for row in rows if row[0] in names]
    if not rows:
        return 0
    kept = _recorded(conn)
    known = {name for name, _sql in kept}
    record = kept + [[name, sql] for name, sql in rows if name not in known]
    exec_(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (META_KEY, json.dumps(record)),
    )
    for name, _sql in rows:
        exec_(f'DROP INDEX IF EXISTS "{name}"')
    return len(rows)


def set_aside_outbox(conn: Any) -> int:
    """Set the outbox's :data:`OUTBOX_INDEXES` aside for a large push (put back by
    :func:`put_back`; a store opened with them aside puts them back first)."""
    return set_aside(conn, ["outbox"], OUTBOX_INDEXES)


def _recorded(conn: Any) -> list[list[str]]:
    row = _exec(conn)("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is None or row[0] in (None, "null"):
        return []
    return [list(item) for item in json.loads(row[0])]


def pending(conn: Any) -> bool:
    """True while indexes are set aside (a bulk load running, or interrupted)."""
    return bool(_recorded(conn))


def statements(conn: Any) -> list[str]:
    """The statements that recreate the indexes :func:`set_aside` dropped (run them, then
    :func:`forget`; :func:`put_back` does both)."""
    return [sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1) for _name, sql in _recorded(conn)]


def forget(conn: Any) -> None:
    """Clears the record, once the indexes are back (in the same transaction)."""
    _exec(conn)("DELETE FROM meta WHERE key = ?", (META_KEY,))


def put_back(conn: Any) -> int:
    """Recreate the indexes :func:`set_aside` dropped; returns how many."""
    exec_ = _exec(conn)
    todo = statements(conn)
    for sql in todo:
        exec_(sql)
    if todo:
        forget(conn)
    return len(todo)
