"""Run the Alembic migrations of a local store safely: backup → upgrade → verify.

When a migration is pending on an existing file, the file is first copied (with SQLite's online
backup API, so the WAL is included; an encrypted store's copy is encrypted with the same key, by
``sqlcipher_export``) into ``<data-dir>/backups/`` (owner-only). If the upgrade or the check
afterwards fails, the copy is put back, so the old file stays usable, and the error is raised.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AccountDeskError
from ..i18n import _
from ..paths import backups_dir
from . import crypto, crypto_files, crypto_sqlite
from .engine import create_sqlite_engine

if TYPE_CHECKING:
    from alembic.config import Config

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
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(path: Path, key: bytes | None = None) -> str | None:
    if not path.exists():
        return None
    from alembic.runtime.migration import MigrationContext

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
    crypto_files.owner_only(dest.parent)
    if key is not None:
        crypto.export_copy(src, key, dest, key)
        return
    with sqlite3.connect(src) as s, sqlite3.connect(dest) as d:
        s.backup(d)
    d.close()
    s.close()
    crypto_files.owner_only(dest)


#: The revision that drops the pieces of blobs from the database (0013_blob_file).
BLOB_FILE_REVISION = "0013_blob_file"
#: Pieces moved per transaction of the file of bytes.
MOVE_BATCH = 16


def move_pieces(path: Path, key: bytes | None = None) -> int:
    """Move the pieces of blobs a database older than 0013 holds (table ``blob_chunks``) into the
    profile's file of bytes beside it (store/blobdb.py): copied there, committed batch by batch,
    and only then deleted from the database, in one transaction (0013 then drops the empty table),
    which is vacuumed (it gives back the pages the bytes took and keeps none of them). A stop at
    any point leaves every piece in the database (the copy is done again, replacing what is
    there). Returns how many pieces were moved. Done before the backup that precedes a migration,
    which therefore does not copy the bytes a second time."""
    from ..paths import blobs_path
    from .blobdb import BlobDB

    conn = crypto_sqlite.connect(path, key)
    try:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blob_chunks'"
        ).fetchone()
        if not has_table or conn.execute("SELECT 1 FROM blob_chunks LIMIT 1").fetchone() is None:
            return 0
        db = BlobDB(blobs_path(path.parent), key)
        n = 0
        try:
            cur = conn.execute("SELECT sha256, idx, data FROM blob_chunks ORDER BY sha256, idx")
            while rows := cur.fetchmany(MOVE_BATCH):
                db.put_rows(rows)
                n += len(rows)
        finally:
            db.close()
        conn.execute("DELETE FROM blob_chunks")
        conn.commit()
        conn.isolation_level = None  # VACUUM runs outside a transaction
        conn.execute("VACUUM")
        log.info("moved %d pieces of attachment bytes into the file of bytes", n)
        return n
    finally:
        conn.close()


def _moves_pieces(target: str) -> bool:
    return target == "head" or (target[:4].isdigit() and target >= BLOB_FILE_REVISION)


def upgrade(path: Path, revision: str = "head", key: bytes | None = None) -> None:
    from alembic import command

    if _moves_pieces(revision):
        move_pieces(path, key)
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
    from alembic import command

    cfg = alembic_config()
    engine = create_sqlite_engine(path, key)
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
            conn.commit()
    finally:
        engine.dispose()


_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:None|(['"])([^'"]+)\2)\s*$""", re.MULTILINE
)


def quick_head() -> str | None:
    """The head revision read from the ``revision =`` and ``down_revision =`` lines of the migration
    files, without importing Alembic (a third of a second at every start). ``None`` when a file
    does not read plainly (a merge, a computed value) or there is not exactly one head: then
    Alembic decides."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found: dict[str, str | None] = {}
        for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1), m.group(3))
        revision, down = found.get("revision"), found.get("down_revision")
        if revision is None or "down_revision" not in found:
            return None
        revisions.add(revision)
        if down is not None:
            downs.add(down)
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 and downs <= revisions else None


def _quick_current(path: Path, key: bytes | None) -> str | None:
    """The store's revision read with one query (None when it cannot be read so: Alembic decides)."""
    try:
        conn = crypto_sqlite.connect(path, key)
    except Exception:  # noqa: BLE001 - the slow path reports it
        return None
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except Exception:  # noqa: BLE001
        return None
    finally:
        conn.close()
    return rows[0][0] if len(rows) == 1 else None


def _verify(path: Path, key: bytes | None = None) -> None:
    from ..paths import blobs_path
    from . import blobdb

    conn = crypto_sqlite.connect(path, key)
    try:
        row = conn.execute("PRAGMA quick_check").fetchone()
        if not row or row[0] != "ok":
            raise MigrationError(_("The database failed its integrity check after the upgrade."))
    finally:
        conn.close()
    pieces = blobs_path(path.parent)
    if pieces.exists() and pieces.stat().st_size > 0:
        conn = blobdb.connect(pieces, key)
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
        existed = path.exists() and path.stat().st_size > 0
        if existed and target == "head":
            # At every start the store is already at the head: say so without loading Alembic.
            head = quick_head()
            if head is not None and _quick_current(path, key) == head:
                return MigrationReport(head, head, None)
        head = head_revision() if target == "head" else target
        before = current_revision(path, key) if existed else None
        if existed and before == head:
            return MigrationReport(before, head, None)
        backup = None
        if existed and _moves_pieces(target):
            try:
                move_pieces(path, key)  # (first: the backup below need not copy the bytes)
            except Exception as exc:  # the database is unchanged until the copy is complete
                log.exception("moving the attachment bytes of %s failed", path)
                raise MigrationError(
                    _(
                        "Upgrading the data file failed; the previous file was kept unchanged. ({error})"
                    ).format(error=exc)
                ) from exc
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
