"""The server's database: SQLite (embedded default) or PostgreSQL, and its units of work.

- writes: on SQLite ``BEGIN IMMEDIATE``; on PostgreSQL READ COMMITTED with the records a push
  changes locked as it reads them, and serialised only for the last step, when the sequence
  counter row is locked and the final numbers are stamped just before the commit;
- reads (pulls): one snapshot per request (SQLite's read transaction in WAL mode,
  PostgreSQL REPEATABLE READ), so scope and data are seen at the same moment.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, exc, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from . import tables as t

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def data_dir_default() -> Path:
    """The server's data folder: ACCOUNTDESK_SERVER_DATA_DIR, else the user's data folder."""
    env = os.environ.get("ACCOUNTDESK_SERVER_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("AccountDeskServer", "AccountDesk"))


def default_url(data_dir: Path | str) -> str:
    path = Path(data_dir).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'server.sqlite3'}"


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def unavailable(error: BaseException) -> bool:
    """True for errors that mean the database cannot be reached or used now (down, file gone,
    connection lost, locked for too long): the server answers 503, not 500."""
    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)):
        return True
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (sqlite3.OperationalError, sqlite3.InterfaceError))


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """``create``: a SQLite file that does not exist yet is created (``init``, migrations);
    without it (a serving process) a missing file is an error, never a new empty database.
    Statement parameters never appear in errors (``hide_parameters``): they hold field values."""

    def __init__(self, url: str, *, pool_size: int = 10, create: bool = True) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.sqlite_path = make_url(url).database if self.is_sqlite else None
        if self.is_sqlite:
            kwargs: dict[str, Any] = (
                {} if create or not self.sqlite_path else {"creator": lambda: self._sqlite_file(30)}
            )
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True, **kwargs
            )
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
            self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
            self._reader = self.engine
        else:
            from psycopg.types.json import set_json_loads

            set_json_loads(orjson.loads)  # records' JSON read by psycopg: orjson is several times faster
            self.engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=20,
                pool_pre_ping=True,
                hide_parameters=True,
                json_serializer=_json_dumps,
            )
            self._writer = self.engine.execution_options(isolation_level="READ COMMITTED")
            self._reader = self.engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self._reader.connect() as conn, conn.begin():
            yield conn

    def _sqlite_file(self, timeout: float) -> sqlite3.Connection:
        """A connection to the existing SQLite file (never creating one)."""
        return sqlite3.connect(
            f"file:{quote(str(self.sqlite_path))}?mode=rw", uri=True, check_same_thread=False, timeout=timeout
        )

    def ready(self) -> None:
        """Raise unless the database can serve now. On SQLite a new connection is opened (the
        pool's may still hold a file that has since gone); on failure the pool is emptied, so
        requests do not go on using such connections."""
        try:
            if self.is_sqlite and self.sqlite_path:
                probe = self._sqlite_file(2)
                try:
                    probe.execute("SELECT seq FROM srv_counter WHERE id = 1").fetchone()
                finally:
                    probe.close()
            else:
                with self.read() as conn:
                    conn.execute(select(t.counter.c.seq).where(t.counter.c.id == 1)).scalar_one()
        except Exception:
            self.engine.dispose()
            raise

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent) and seed the counter."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with self.write() as conn:
            if conn.execute(select(t.counter.c.seq).where(t.counter.c.id == 1)).first() is None:
                conn.execute(insert(t.counter).values(id=1, seq=0))

    def close(self) -> None:
        self.engine.dispose()
