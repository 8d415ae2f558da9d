"""SQLite engine with the pragmas AccountDesk relies on, and the unit of work.

- WAL journal, ``synchronous=NORMAL``, foreign keys on, a busy timeout;
- write transactions begin ``IMMEDIATE`` so two writers fail fast (after the busy timeout)
  instead of deadlocking when a reader upgrades to a writer;
- one place commits or rolls back: :meth:`Store.write`;
- the file encrypted at rest with SQLCipher where the profile has a key (``store/crypto.py``).
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


def create_sqlite_engine(path: Path | str, key: bytes | None = None) -> Engine:
    """An engine on the SQLite file ``path``; with ``key``, through SQLCipher, keyed on every
    connection before anything reads the file."""
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
    if key is None:
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        )
    else:
        from . import crypto

        def creator():
            return crypto.connect(path, key, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)

        engine = create_engine(url, module=crypto.driver(), creator=creator)
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
        from . import crypto

        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        crypto.owner_only(self.data_dir)
        self.path = database_path(self.data_dir)
        # The key (keyring or passphrase), after encrypting a plaintext profile in place if due.
        self.protection = crypto.prepare(self.data_dir, self.path)
        if migrate:
            from .migrate import migrate_store

            self.migration_report = migrate_store(self.path, self.data_dir, key=self.protection.key)
        self._local = threading.local()
        self._swap = threading.Lock()
        self._bind()
        crypto.secure_tree(self.data_dir)
        self._restore_index()

    def _bind(self) -> None:
        from . import crypto

        self.engine = create_sqlite_engine(self.path, self.protection.key)
        crypto.note_open(self.path, self.protection.encrypted)  # see crypto.note_open
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

    @property
    def encrypted(self) -> bool:
        return self.protection.encrypted

    def connect_raw(self, **kwargs):
        """A DB-API connection on this store's file (keyed when encrypted): for the backup copy."""
        from . import crypto

        return crypto.connect(self.path, self.protection.key, **kwargs)

    def remove_backups(self) -> int:
        """Overwrite and remove every backup kept in the profile folder (a wipe); returns how many."""
        from ..paths import backups_dir
        from . import crypto

        n = 0
        folder = backups_dir(self.data_dir)
        if folder.exists():
            for path in sorted(folder.rglob("*"), reverse=True):
                if path.is_file():
                    crypto.secure_remove(path)
                    n += 1
                elif path.is_dir():
                    path.rmdir()
        return n

    def vacuum(self) -> None:
        """Rewrite the file without its free pages, and empty the WAL (after a wipe)."""
        raw = self.engine.raw_connection()  # autocommit (see _on_connect): VACUUM runs outside a transaction
        try:
            cur = raw.cursor()
            cur.execute("VACUUM")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.close()
        finally:
            raw.close()

    def ensure_encrypted(self) -> bool:
        """Encrypt this (plaintext) store in place now: a profile joining a company server. Returns
        True when it was encrypted by this call. Raises PassphraseRequired where this computer has no
        keyring and no passphrase was given. Call it with no unit of work open."""
        from . import crypto

        with self._swap:
            if self.protection.encrypted or crypto.plain_forced():
                return False
            protection = crypto.new_key_protection(self.data_dir)
            self.engine.dispose()
            crypto.note_closed(self.path)
            try:
                crypto.encrypt_in_place(self.path, protection.key)  # type: ignore[arg-type]
            except Exception:
                self._bind()
                raise
            self.protection = protection
            self._bind()
            crypto.secure_tree(self.data_dir)
            return True

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
        from . import crypto

        self.engine.dispose()
        if not getattr(self, "_closed", False):
            self._closed = True
            crypto.note_closed(self.path)
