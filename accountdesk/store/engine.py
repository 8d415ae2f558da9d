"""SQLite engine with the pragmas AccountDesk relies on.

- WAL journal, ``synchronous=NORMAL``, foreign keys on, a busy timeout;
- write transactions begin ``IMMEDIATE`` so two writers fail fast (after the busy timeout)
  instead of deadlocking when a reader upgrades to a writer;
- the file encrypted at rest with SQLCipher where the profile has a key (``store/crypto.py``).

The unit of work on one profile's file (:class:`Store`) is in ``store/profile.py``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry

BUSY_TIMEOUT_MS = 10_000


def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy's "begin" hook emit BEGIN itself (pysqlite's own handling is off).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-32000")
    cur.close()
    # SQL functions the search index triggers call (store/search.py); on every connection.
    from .search.text import register_functions

    register_functions(dbapi_connection)


def _on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def create_sqlite_engine(path: Path | str, key: bytes | None = None) -> Engine:
    """An engine on the SQLite file ``path``; with ``key``, through SQLCipher, keyed on every
    connection before anything reads the file."""
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
    if key is None:
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            pool_use_lifo=True,
        )
    else:
        from . import crypto_sqlite

        def creator() -> Any:  # a SQLCipher connection (its driver ships no type information)
            return crypto_sqlite.connect(path, key, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)

        engine = create_engine(url, module=crypto_sqlite.driver(), creator=creator, pool_use_lifo=True)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine
