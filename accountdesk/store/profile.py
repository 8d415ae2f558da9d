"""The unit of work on one profile's SQLite file: :class:`Store`.

- one place commits or rolls back: :meth:`Store.write` (``BEGIN IMMEDIATE``, see ``store/engine.py``);
- the file is migrated (``store/migrate.py``) and keyed (``store/crypto.py``) when it is opened;
- the bytes of attachments are in a second file beside it, keyed alike (``store/blobdb.py``):
  :attr:`Store.blobdb`; every session carries the store in its ``info`` (store/blobs.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ..paths import backups_dir, blobs_path, database_path
from . import crypto, crypto_files, crypto_keys, crypto_sqlite
from .blobdb import BlobDB
from .engine import create_sqlite_engine
from .migrate import migrate_store
from .search.schema import restore, suspended

log = logging.getLogger(__name__)


class Store:
    """One profile's SQLite file. Thread-safe: every unit of work gets its own session.

    ``read()`` gives a session for queries; ``write()`` a session inside a
    ``BEGIN IMMEDIATE`` transaction that commits at the end of the ``with`` block or rolls back
    on any exception, so a failing write leaves neither the row nor its outbox entry.
    """

    def __init__(
        self, data_dir: Path | str, *, migrate: bool = True, progress: crypto.Progress | None = None
    ):
        """``progress``: told how far the one-time encryption in place of a plaintext profile has
        got, when this start does it (see crypto.Progress)."""
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        crypto_files.owner_only(self.data_dir)
        self.path = database_path(self.data_dir)
        self.blobs_path = blobs_path(self.data_dir)
        # The key (keyring or passphrase), after encrypting a plaintext profile in place if due.
        self.protection = crypto.prepare(self.data_dir, self.path, progress)
        if migrate:
            self.migration_report = migrate_store(self.path, self.data_dir, key=self.protection.key)
        self._local = threading.local()
        self._swap = threading.Lock()
        self._bind()
        crypto_files.secure_tree(self.data_dir)
        self._restore_index()

    def _bind(self) -> None:
        self.engine = create_sqlite_engine(self.path, self.protection.key)
        crypto_sqlite.note_open(self.path, self.protection.encrypted)  # see crypto_sqlite.note_open
        self.blobdb = BlobDB(self.blobs_path, self.protection.key)
        info = {"store": self}
        self._reader = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._writer = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False, info=info
        )
        event.listen(self._writer, "after_commit", self._after_commit)
        event.listen(self._writer, "after_rollback", self._after_rollback)

    # -- the pieces of blobs follow the database (see store/blobdb.py for the order) --------------

    def _after_commit(self, session: Session) -> None:
        session.info.pop("wrote_pieces", None)
        self._trim_pieces(session.info.pop("trim_pieces", None))

    def _after_rollback(self, session: Session) -> None:
        session.info.pop("trim_pieces", None)
        self._trim_pieces(session.info.pop("wrote_pieces", None))

    def _trim_pieces(self, shas: set[str] | None) -> None:
        """Remove the pieces of ``shas`` the database does not count (now committed)."""
        if not shas:
            return
        from .blobs import counted_pieces

        try:
            with self.read() as session:
                keep = {sha: counted_pieces(session, sha) for sha in shas}
            for sha, n in keep.items():
                self.blobdb.trim(sha, n)
        except Exception:  # noqa: BLE001 - left to the next sweep (store/blobdb.py: BlobDB.sweep)
            log.warning("could not remove the pieces of %d blobs", len(shas), exc_info=True)

    def sweep_pieces(self, grace_s: float | None = None) -> int:
        """Remove pieces of blobs the database does not name (left by a crash); returns how many."""
        from .blobdb import SWEEP_GRACE_S
        from .blobs import named

        def names() -> set[str]:
            with self.read() as session:
                return named(session)

        return self.blobdb.sweep(names, SWEEP_GRACE_S if grace_s is None else grace_s)

    @property
    def encrypted(self) -> bool:
        return self.protection.encrypted

    def connect_raw(self, **kwargs: Any) -> Any:
        """A DB-API connection on this store's file (keyed when encrypted): for the backup copy."""
        return crypto_sqlite.connect(self.path, self.protection.key, **kwargs)

    def warm_search(self, cancelled: Any = None) -> int:
        """Read the search index once into the page cache of a pooled connection (see
        store/search/warm.py); an encrypted store's connection gets a page cache that holds it.
        Returns how many statements ran (fewer when ``cancelled()`` turned true)."""
        from .search.warm import ENCRYPTED_CACHE_KIB, warm_search

        with self.engine.connect() as conn:  # back to the pool on top: the next query gets it
            raw: Any = conn.connection.dbapi_connection
            if self.encrypted:
                raw.execute(f"PRAGMA cache_size=-{ENCRYPTED_CACHE_KIB}")
            return warm_search(raw, cancelled)

    def remove_backups(self) -> int:
        """Overwrite and remove every backup kept in the profile folder (a wipe); returns how many."""
        n = 0
        folder = backups_dir(self.data_dir)
        if folder.exists():
            for path in sorted(folder.rglob("*"), reverse=True):
                if path.is_file():
                    crypto_files.secure_remove(path)
                    n += 1
                elif path.is_dir():
                    path.rmdir()
        return n

    def vacuum(self) -> None:
        """Rewrite the file and the file of bytes without their free pages, and empty their WALs
        (after a wipe)."""
        raw = self.engine.raw_connection()  # autocommit (see _on_connect): VACUUM runs outside a transaction
        try:
            cur = raw.cursor()
            cur.execute("VACUUM")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.close()
        finally:
            raw.close()
        self.blobdb.vacuum()

    def ensure_encrypted(self, progress: crypto.Progress | None = None) -> bool:
        """Encrypt this (plaintext) store in place now: a profile joining a company server. Returns
        True when it was encrypted by this call. Raises PassphraseRequired where this computer has no
        keyring and no passphrase was given. Call it with no unit of work open. ``progress``: as
        for the constructor."""
        with self._swap:
            if self.protection.encrypted or crypto_keys.plain_forced():
                return False
            protection = crypto.new_key_protection(self.data_dir)
            self.engine.dispose()
            crypto_sqlite.note_closed(self.path)
            self.blobdb.close()
            try:
                crypto.encrypt_in_place(self.path, protection.key, progress)  # type: ignore[arg-type]
            except Exception:
                self._bind()
                raise
            self.protection = protection
            crypto.encrypt_blobs(self.blobs_path, protection.key)  # type: ignore[arg-type]
            self._bind()
            crypto_files.secure_tree(self.data_dir)
            return True

    def _restore_index(self) -> None:
        """A bulk load that suspended the search index or set the secondary indexes aside was
        interrupted (see search.suspend, store/bulk_indexes.py): both are whole again first."""
        from . import bulk_indexes

        with self.engine.connect() as conn:
            if not suspended(conn) and not bulk_indexes.pending(conn):
                return
        with self.write() as session:
            conn = session.connection()
            if suspended(conn):
                restore(conn, meanwhile=bulk_indexes.statements(conn))
            bulk_indexes.put_back(conn)  # (those left, and the record cleared)

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
        self.blobdb.close()
        if not getattr(self, "_closed", False):
            self._closed = True
            crypto_sqlite.note_closed(self.path)
