"""Full profile backup and restore.

A backup is a zip file holding:

- ``accountdesk.sqlite3``: a consistent copy of the profile's database made with SQLite's online
  backup API (safe while the app runs; the WAL is included): every table — the synced rows, the
  outbox of changes not yet pushed, and the device's settings;
- ``manifest.json``: the app and its version, the data schema version and Alembic revision, the
  time, the number of rows per table, and the size and SHA-256 of every other file.

Restore goes into an **empty** profile only (a new laptop, or a fresh ``--data-dir``); it refuses
a profile that holds any client data. It checks the manifest, every checksum and the database's
integrity before anything is put in place, then upgrades the copy if it came from an older
version. A restored profile carries the identity of the device it was made on: use it to replace
that laptop, not beside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .. import SCHEMA_VERSION, __version__
from ..errors import ValidationError
from ..i18n import _
from ..models import SYNCABLE, User
from ..paths import database_path

DB_NAME = "accountdesk.sqlite3"
MANIFEST = "manifest.json"
FORMAT = "accountdesk-backup"
#: Largest backup a restore opens, packed and unpacked.
MAX_BACKUP_BYTES = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class BackupResult:
    path: Path
    tables: dict[str, int]
    sha256: str

    def to_dict(self) -> dict:
        return {"file": str(self.path), "tables": self.tables, "sha256": self.sha256}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def create_backup(ctx, path: Path | str) -> BackupResult:
    """Write a backup of the profile of ``ctx`` to ``path`` (a .zip)."""
    path = Path(path)
    src = database_path(ctx.store.data_dir)
    with tempfile.TemporaryDirectory(prefix="accountdesk-backup-") as tmp:
        copy = Path(tmp) / DB_NAME
        with sqlite3.connect(src) as s, sqlite3.connect(copy) as d:
            s.backup(d)
            d.execute("PRAGMA journal_mode=DELETE")
            tables = _table_counts(d)
            revision = _revision(d)
        s.close()
        d.close()
        digest = _sha256(copy)
        manifest = {
            "format": FORMAT,
            "format_version": 1,
            "app": "AccountDesk",
            "app_version": __version__,
            "schema_version": SCHEMA_VERSION,
            "alembic_revision": revision,
            "created_at": ctx.now().astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "device_id": ctx.device_id,
            "tables": tables,
            "files": {DB_NAME: {"size": copy.stat().st_size, "sha256": digest}},
        }
        tmp_zip = path.with_name(path.name + ".part")
        with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            zf.write(copy, DB_NAME)
        os.replace(tmp_zip, path)
    return BackupResult(path, tables, digest)


def _bad(message: str) -> ValidationError:
    return ValidationError("file", message)


def profile_is_empty(data_dir: Path | str) -> bool:
    """True when the profile has no database yet, or one without any client data (a profile
    that was only opened holds its local user and settings, which a restore replaces)."""
    db = database_path(Path(data_dir))
    if not db.exists() or db.stat().st_size == 0:
        return True
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for model in SYNCABLE:
            if model is User or model.__global__:
                continue
            table = model.__tablename__
            if table in existing and conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                return False
        return True
    finally:
        conn.close()


def read_manifest(path: Path | str) -> dict:
    """The manifest of a backup, after checking that the file is one (raises ValidationError)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _bad(_("The file cannot be opened: {error}").format(error=exc.strerror or exc)) from None
    if size > MAX_BACKUP_BYTES:
        raise _bad(_("The file is too large to be an AccountDesk backup."))
    try:
        with zipfile.ZipFile(path) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_BACKUP_BYTES:
                raise _bad(_("The file is too large to be an AccountDesk backup."))
            manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError):
        raise _bad(_("This is not an AccountDesk backup, or the file is damaged.")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or DB_NAME not in manifest.get("files", {}):
        raise _bad(_("This is not an AccountDesk backup, or the file is damaged."))
    return manifest


def restore_backup(path: Path | str, data_dir: Path | str) -> dict:
    """Restore the backup ``path`` into the EMPTY profile ``data_dir``; returns the manifest.
    Nothing in ``data_dir`` changes unless every check passes."""
    from ..store.migrate import head_revision, migrate_store

    data_dir = Path(data_dir)
    manifest = read_manifest(path)
    if not profile_is_empty(data_dir):
        raise ValidationError(
            "data_dir",
            _("The profile in {dir} already holds data; restore only into an empty profile "
              "(choose a new folder with --data-dir).").format(dir=data_dir),
        )
    revision = manifest.get("alembic_revision")
    from alembic.script import ScriptDirectory

    from ..store.migrate import alembic_config

    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision not in known:
        raise _bad(
            _("This backup was made by a newer version of AccountDesk ({version}); update the app first.").format(
                version=manifest.get("app_version", "?")
            )
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    expected = manifest["files"][DB_NAME]
    with tempfile.TemporaryDirectory(prefix="restore-", dir=data_dir) as tmp:
        staged = Path(tmp) / DB_NAME
        h = hashlib.sha256()
        with zipfile.ZipFile(path) as zf:
            try:
                with zf.open(DB_NAME) as src, open(staged, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        h.update(chunk)
                        dst.write(chunk)
            except (zipfile.BadZipFile, KeyError, EOFError, OSError, zlib.error):
                raise _bad(_("This is not an AccountDesk backup, or the file is damaged.")) from None
        if h.hexdigest() != expected.get("sha256") or staged.stat().st_size != expected.get("size"):
            raise _bad(_("The backup is damaged: the checksum of {name} does not match.").format(name=DB_NAME))
        try:
            with sqlite3.connect(staged) as conn:
                ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                counts = _table_counts(conn)
            conn.close()
        except sqlite3.Error:
            ok, counts = False, {}
        if not ok or counts != manifest.get("tables", counts):
            raise _bad(_("The backup is damaged: its database fails the integrity check."))
        with sqlite3.connect(staged) as conn:
            # A restored profile is a new device: the server skips, in a device's pulls, what that
            # device pushed itself (no echo), and this copy may predate some of it.
            conn.execute("DELETE FROM meta WHERE key = 'device_id'")
        conn.close()
        target = database_path(data_dir)
        for suffix in ("-wal", "-shm"):
            side = target.with_name(target.name + suffix)
            if side.exists():
                side.unlink()
        shutil.move(str(staged), target)
    if revision != head_revision():
        migrate_store(target, data_dir)
    return manifest

