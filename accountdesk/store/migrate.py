"""Run the Alembic migrations of a local store safely: backup → upgrade → verify.

When a migration is pending on an existing file, the file is first copied (with SQLite's online
backup API, so the WAL is included; an encrypted store's copy is encrypted with the same key, by
``sqlcipher_export``) into ``<data-dir>/backups/`` (owner-only). If the upgrade or the check
afterwards fails, the copy is put back, so the old file stays usable, and the error is raised.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import AccountDeskError
from ..i18n import _
from ..paths import backups_dir
from . import crypto
from .engine import create_sqlite_engine

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_lock = threading.Lock()


class MigrationError(AccountDeskError):
    pass


@dataclass(frozen=True)
class MigrationReport:
    from_revision: str | None
    to_revision: str | None
    backup: Path | None


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(path: Path, key: bytes | None = None) -> str | None:
    if not path.exists():
        return None
    engine = create_sqlite_engine(path, key)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def backup_copy(src: Path, dest: Path, key: bytes | None = None) -> None:
    """A consistent copy of a live SQLite file (WAL included) via the online backup API; an
    encrypted one stays encrypted under the same key."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    crypto.owner_only(dest.parent)
    if key is not None:
        crypto.export_copy(src, key, dest, key)
        return
    with sqlite3.connect(src) as s, sqlite3.connect(dest) as d:
        s.backup(d)
    d.close()
    s.close()
    crypto.owner_only(dest)


def upgrade(path: Path, revision: str = "head", key: bytes | None = None) -> None:
    cfg = alembic_config()
    engine = create_sqlite_engine(path, key)
    try:
        with engine.connect() as conn:
            # Alembic manages its own transactions; keep SQLAlchemy's begin hook out of the way.
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
    finally:
        engine.dispose()


def downgrade(path: Path, revision: str, key: bytes | None = None) -> None:
    cfg = alembic_config()
    engine = create_sqlite_engine(path, key)
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
            conn.commit()
    finally:
        engine.dispose()


def _verify(path: Path, key: bytes | None = None) -> None:
    conn = crypto.connect(path, key)
    try:
        row = conn.execute("PRAGMA quick_check").fetchone()
        if not row or row[0] != "ok":
            raise MigrationError(_("The database failed its integrity check after the upgrade."))
    finally:
        conn.close()


def migrate_store(
    path: Path, data_dir: Path, *, target: str = "head", key: bytes | None = None
) -> MigrationReport:
    """Bring the store at ``path`` to ``target``; see the module docstring for the guarantees."""
    with _lock:
        head = head_revision() if target == "head" else target
        existed = path.exists() and path.stat().st_size > 0
        before = current_revision(path, key) if existed else None
        if existed and before == head:
            return MigrationReport(before, head, None)
        backup = None
        if existed:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            backup = backups_dir(data_dir) / f"before-migration-{before or 'none'}-{stamp}.sqlite3"
            backup_copy(path, backup, key)
        try:
            upgrade(path, target, key)
            _verify(path, key)
        except Exception as exc:
            log.exception("migration of %s failed", path)
            if backup is not None:
                _restore(backup, path)
            elif path.exists():
                path.unlink()
            raise MigrationError(
                _("Upgrading the data file failed; the previous file was kept unchanged. ({error})").format(
                    error=exc
                )
            ) from exc
        return MigrationReport(before, head, backup)


def _restore(backup: Path, path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.unlink()
    shutil.copyfile(backup, path)
