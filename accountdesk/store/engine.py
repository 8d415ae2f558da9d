"""SQLite engine with the pragmas AccountDesk relies on, and the unit of work.

- WAL journal, ``synchronous=NORMAL``, foreign keys on, a busy timeout;
- write transactions begin ``IMMEDIATE`` so two writers fail fast (after the busy timeout)
  instead of deadlocking when a reader upgrades to a writer;
- one place commits or rolls back: :meth:`Store.write`.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ..paths import database_path

BUSY_TIMEOUT_MS = 10_000


def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
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
    from .search import register_functions

    register_functions(dbapi_connection)


def _on_begin(conn) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def create_sqlite_engine(path: Path | str) -> Engine:
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


class Store:
    """One profile's SQLite file. Thread-safe: every unit of work gets its own session.

    ``read()`` gives a session for queries; ``write()`` a session inside a
    ``BEGIN IMMEDIATE`` transaction that commits at the end of the ``with`` block or rolls back
    on any exception, so a failing write leaves neither the row nor its outbox entry.
    """

    def __init__(self, data_dir: Path | str, *, migrate: bool = True):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = database_path(self.data_dir)
        if migrate:
            from .migrate import migrate_store

            self.migration_report = migrate_store(self.path, self.data_dir)
        self.engine = create_sqlite_engine(self.path)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        self._local = threading.local()
        self._restore_index()

    def _restore_index(self) -> None:
        """A bulk load that suspended the search index was interrupted (see search.suspend)."""
        from . import search

        with self.engine.connect() as conn:
            if not search.suspended(conn):
                return
        with self.write() as session:
            conn = session.connection()
            if search.suspended(conn):
                search.restore(conn)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session
            session.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work. Nested calls on the same thread join the outer transaction."""
        outer = getattr(self._local, "session", None)
        if outer is not None:
            yield outer
            return
        session = self._writer()
        self._local.session = session
        try:
            with session.begin():
                yield session
        finally:
            self._local.session = None
            session.close()

    def close(self) -> None:
        self.engine.dispose()
