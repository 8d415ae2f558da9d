"""Full profile backup and restore.

A backup is a zip file holding:

- ``accountdesk.sqlite3``: a consistent copy of the profile's database made with SQLite's online
  backup API (safe while the app runs; the WAL is included): every table — the synced rows, the
  outbox of changes not yet pushed, and the device's settings;
- ``accountdesk-blobs.sqlite3``: a copy of the profile's file of attachment bytes
  (store/blobdb.py), encrypted exactly as the database copy is (a backup of a profile older than
  that file has none: its bytes are in its database);
- ``manifest.json``: the app and its version, the data schema version and Alembic revision, the
  time, the number of rows per table, and the size and SHA-256 of every other file.

A backup of an encrypted or company profile is encrypted (SQLCipher, the whole database file) with
a key stretched by Argon2id from a passphrase the person gives, so that it can be restored on
another computer; the manifest holds the salt and costs, never the key, and (as before) no client
data. Without a passphrase such a backup is refused. The backups the app makes in the profile's
own folder (before a rejoin) are encrypted with the profile's key instead (``"key": "profile"``):
they restore on this computer only. A plaintext stand-alone profile may still be backed up plain.
The zip is written owner-only (0600).

Restore goes into an **empty** profile only (a new laptop, or a fresh ``--data-dir``); it refuses
a profile that holds any client data. It checks the manifest, every checksum and the database's
integrity before anything is put in place, then upgrades the copy if it came from an older
version. A restored profile carries the identity of the device it was made on: use it to replace
that laptop, not beside it.
"""

from __future__ import annotations

import contextlib
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
from typing import TYPE_CHECKING, Any

from .. import SCHEMA_VERSION, __version__
from ..errors import ValidationError
from ..i18n import _
from ..models import SYNCABLE, User
from ..paths import blobs_path, database_path

if TYPE_CHECKING:
    from ..services.context import AppContext

DB_NAME = "accountdesk.sqlite3"
BLOBS_NAME = "accountdesk-blobs.sqlite3"
MANIFEST = "manifest.json"
FORMAT = "accountdesk-backup"
#: Largest backup a restore opens, packed and unpacked.
MAX_BACKUP_BYTES = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class BackupResult:
    path: Path
    tables: dict[str, int]
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "tables": self.tables, "sha256": self.sha256}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _is_company(ctx: AppContext) -> bool:
    from ..models import Meta

    with ctx.store.read() as session:
        for k in ("server_url", "sync_user_id"):
            meta = session.get(Meta, k)
            if meta is not None and meta.value:
                return True
        return False


def backup_needs_passphrase(ctx: AppContext) -> bool:
    """True when a backup of this profile must be encrypted (an encrypted or company profile)."""
    return ctx.store.encrypted or _is_company(ctx)


def create_backup(
    ctx: AppContext, path: Path | str, *, passphrase: str | None = None, profile_key: bool = False
) -> BackupResult:
    """Write a backup of the profile of ``ctx`` to ``path`` (a .zip): encrypted with ``passphrase``,
    or with the profile's own key (``profile_key``: the backups kept in the profile folder).
    Raises ValidationError on ``passphrase`` when the profile needs one and none is given."""
    from ..store import blobdb, crypto, crypto_keys, crypto_sqlite

    path = Path(path)
    store = ctx.store
    encryption: dict[str, Any] | None = None
    key: bytes | None = None
    if passphrase:
        kdf = crypto_keys.new_kdf()
        key = crypto_keys.kdf_key(passphrase, kdf)
        encryption = {"cipher": "sqlcipher4", "kdf": kdf}
    elif profile_key:
        if store.encrypted:  # (a plaintext store's own backup is no more readable than the store)
            key = store.protection.key
            encryption = {
                "cipher": "sqlcipher4",
                "key": "profile",
                "profile_id": crypto.read_descriptor(store.data_dir).get("profile_id"),
            }
    elif backup_needs_passphrase(ctx):
        raise ValidationError(
            "passphrase",
            _(
                "This profile is encrypted or belongs to a company server: its backup must be encrypted too. "
                "Give a passphrase (you need it to restore the backup)."
            ),
        )
    with tempfile.TemporaryDirectory(prefix="accountdesk-backup-") as tmp:
        copy = Path(tmp) / DB_NAME
        if key is not None or store.encrypted:
            crypto.export_copy(store.path, store.protection.key, copy, key)
            d = crypto_sqlite.connect(copy, key)
            try:
                d.execute("PRAGMA journal_mode=DELETE")
                tables = _table_counts(d)
                revision = _revision(d)
            finally:
                d.close()
        else:
            src = database_path(store.data_dir)
            with sqlite3.connect(src) as s, sqlite3.connect(copy) as d:
                s.backup(d)
                d.execute("PRAGMA journal_mode=DELETE")
                tables = _table_counts(d)
                revision = _revision(d)
            s.close()
            d.close()
        blobs_copy = Path(tmp) / BLOBS_NAME
        pieces = blobdb.copy_file(store.blobs_path, store.protection.key, blobs_copy, key)
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
            "files": {
                DB_NAME: {"size": copy.stat().st_size, "sha256": digest},
                BLOBS_NAME: {
                    "size": blobs_copy.stat().st_size,
                    "sha256": _sha256(blobs_copy),
                    "pieces": pieces,
                },
            },
        }
        if encryption is not None:
            manifest["encryption"] = encryption
        tmp_zip = path.with_name(path.name + ".part")
        with contextlib.suppress(FileNotFoundError):
            tmp_zip.unlink()
        os.close(os.open(tmp_zip, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # owner-only from the start
        # (an encrypted database does not compress: stored, not deflated)
        method = zipfile.ZIP_STORED if key is not None else zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(tmp_zip, "w", compression=method) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            zf.write(copy, DB_NAME)
            # (attachments are mostly compressed already: photos, PDF; stored, not deflated)
            zf.write(blobs_copy, BLOBS_NAME, compress_type=zipfile.ZIP_STORED)
        os.replace(tmp_zip, path)
    return BackupResult(path, tables, digest)


def _bad(message: str) -> ValidationError:
    return ValidationError("file", message)


def profile_is_empty(data_dir: Path | str) -> bool:
    """True when the profile has no database yet, or one without any client data (a profile
    that was only opened holds its local user and settings, which a restore replaces)."""
    from ..store import crypto, crypto_keys, crypto_sqlite

    db = database_path(Path(data_dir))
    if not db.exists() or db.stat().st_size == 0:
        return True
    if crypto_sqlite.is_encrypted_file(db):
        try:
            conn = crypto_sqlite.connect(db, crypto.existing_protection(Path(data_dir), db).key)
        except crypto_keys.EncryptionError:
            return False  # an encrypted profile this computer cannot open: not ours to replace
    else:
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


def read_manifest(path: Path | str) -> dict[str, Any]:
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
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or DB_NAME not in manifest.get("files", {})
    ):
        raise _bad(_("This is not an AccountDesk backup, or the file is damaged."))
    return manifest


def _backup_key(manifest: dict[str, Any], passphrase: str | None) -> bytes | None:
    """The key of the backup's database (None: plaintext); ValidationError on ``passphrase``."""
    from ..store import crypto_keys

    enc = manifest.get("encryption")
    if not enc:
        return None
    if not isinstance(enc, dict):
        raise _bad(_("This is not an AccountDesk backup, or the file is damaged."))
    if enc.get("key") == "profile":
        key = None
        if enc.get("profile_id") and crypto_keys.keyring_usable():
            with contextlib.suppress(crypto_keys.EncryptionError):
                key = crypto_keys.keyring_get(str(enc["profile_id"]))
        if key is None:
            raise _bad(
                _(
                    "This backup is encrypted with the key of the profile it was made in, which this computer "
                    "does not hold; restore it on that computer."
                )
            )
        return key
    kdf = enc.get("kdf")
    if not isinstance(kdf, dict) or not {"salt", "time_cost", "memory_cost", "parallelism"} <= set(kdf):
        raise _bad(_("This is not an AccountDesk backup, or the file is damaged."))
    if not passphrase:
        raise ValidationError("passphrase", _("This backup is encrypted: give its passphrase."))
    try:
        return crypto_keys.kdf_key(passphrase, kdf)
    except Exception as exc:  # noqa: BLE001 - hostile values in a crafted manifest
        raise _bad(_("This is not an AccountDesk backup, or the file is damaged.")) from exc


def restore_backup(
    path: Path | str, data_dir: Path | str, *, passphrase: str | None = None
) -> dict[str, Any]:
    """Restore the backup ``path`` into the EMPTY profile ``data_dir``; returns the manifest.
    Nothing in ``data_dir`` changes unless every check passes. An encrypted backup needs its
    ``passphrase``; the restored profile is encrypted as a new profile of this computer would be
    (its key in the keyring), or with a passphrase where no keyring exists and the backup was."""
    from ..store import blobdb, crypto, crypto_files, crypto_keys, crypto_sqlite
    from ..store.migrate import head_revision, migrate_store

    data_dir = Path(data_dir)
    manifest = read_manifest(path)
    if not profile_is_empty(data_dir):
        raise ValidationError(
            "data_dir",
            _(
                "The profile in {dir} already holds data; restore only into an empty profile "
                "(choose a new folder with --data-dir)."
            ).format(dir=data_dir),
        )
    revision = manifest.get("alembic_revision")
    from alembic.script import ScriptDirectory

    from ..store.migrate import alembic_config

    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision not in known:
        raise _bad(
            _(
                "This backup was made by a newer version of AccountDesk ({version}); update the app first."
            ).format(version=manifest.get("app_version", "?"))
        )
    _check_costs(manifest)
    data_dir.mkdir(parents=True, exist_ok=True)
    crypto_files.owner_only(data_dir)
    expected = manifest["files"][DB_NAME]
    with tempfile.TemporaryDirectory(prefix="restore-", dir=data_dir) as tmp:
        staged = _extract(path, DB_NAME, Path(tmp), expected)
        has_blobs = BLOBS_NAME in manifest["files"]
        staged_blobs = (
            _extract(path, BLOBS_NAME, Path(tmp), manifest["files"][BLOBS_NAME]) if has_blobs else None
        )
        key = _backup_key(manifest, passphrase)
        if key is not None and not crypto_sqlite.check_key(staged, key):
            raise ValidationError("passphrase", _("Wrong passphrase for this backup."))
        errors = (sqlite3.Error, crypto_sqlite.driver().Error)
        try:
            conn = crypto_sqlite.connect(staged, key)
            try:
                ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                counts = _table_counts(conn)
            finally:
                conn.close()
        except errors:
            ok, counts = False, {}
        if ok and staged_blobs is not None:
            ok = _blobs_sound(staged_blobs, key, manifest["files"][BLOBS_NAME])
        if not ok or counts != manifest.get("tables", counts):
            raise _bad(_("The backup is damaged: its database fails the integrity check."))
        conn = crypto_sqlite.connect(staged, key)
        try:
            # A restored profile is a new device: the server skips, in a device's pulls, what that
            # device pushed itself (no echo), and this copy may predate some of it.
            conn.execute("DELETE FROM meta WHERE key = 'device_id'")
            conn.commit()
        finally:
            conn.close()
        # The restored profile's own protection: a new key in this computer's keyring, or a
        # passphrase where there is none and the backup was encrypted; plaintext otherwise.
        if crypto_keys.plain_forced() or (key is None and not crypto_keys.keyring_usable()):
            target_key = None
        else:
            target_key = crypto.new_key_protection(data_dir).key
        if target_key != key:
            converted = Path(tmp) / (DB_NAME + ".converted")
            crypto.export_copy(staged, key, converted, target_key)
            staged = converted
            if staged_blobs is not None:
                converted = Path(tmp) / (BLOBS_NAME + ".converted")
                blobdb.copy_file(staged_blobs, key, converted, target_key)
                staged_blobs = converted
        target = database_path(data_dir)
        # (the empty profile's own file of bytes goes: the backup's replaces it, or the bytes of a
        # backup made before that file existed are moved out of its database by the upgrade)
        target_blobs = blobs_path(data_dir)
        for side in (
            *(target.with_name(target.name + s) for s in ("-wal", "-shm")),
            *(target_blobs.with_name(target_blobs.name + s) for s in ("", "-wal", "-shm")),
        ):
            if side.exists():
                side.unlink()
        if staged_blobs is not None:
            shutil.move(str(staged_blobs), target_blobs)
            crypto_files.owner_only(target_blobs)
        shutil.move(str(staged), target)
        crypto_files.owner_only(target)
    if revision != head_revision():
        migrate_store(target, data_dir, key=target_key)
    return manifest


def _extract(path: Path | str, name: str, folder: Path, expected: dict[str, Any]) -> Path:
    """One file of the backup written into ``folder``, its size and checksum checked."""
    staged = folder / name
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as zf:
        try:
            with zf.open(name) as src, open(staged, "wb") as dst:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    dst.write(chunk)
        except (zipfile.BadZipFile, KeyError, EOFError, OSError, zlib.error):
            raise _bad(_("This is not an AccountDesk backup, or the file is damaged.")) from None
    if (
        not isinstance(expected, dict)
        or h.hexdigest() != expected.get("sha256")
        or staged.stat().st_size != expected.get("size")
    ):
        raise _bad(_("The backup is damaged: the checksum of {name} does not match.").format(name=name))
    return staged


def _blobs_sound(staged: Path, key: bytes | None, expected: dict[str, Any]) -> bool:
    """The backup's file of attachment bytes opens with the backup's key, passes the integrity
    check and holds the pieces its manifest counts."""
    from ..store import blobdb, crypto_sqlite

    try:
        conn = blobdb.connect(staged, key)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            pieces = conn.execute("SELECT count(*) FROM blob_chunks").fetchone()[0]
        finally:
            conn.close()
    except (sqlite3.Error, crypto_sqlite.driver().Error):
        return False
    return ok and bool(pieces == expected.get("pieces", pieces))


def _check_costs(manifest: dict[str, Any]) -> None:
    """A crafted manifest cannot make a restore stretch a passphrase for hours or with gigabytes."""
    kdf = (
        (manifest.get("encryption") or {}).get("kdf")
        if isinstance(manifest.get("encryption"), dict)
        else None
    )
    if not isinstance(kdf, dict):
        return
    try:
        ok = (
            1 <= int(kdf["time_cost"]) <= 10
            and 8192 <= int(kdf["memory_cost"]) <= 1 << 20
            and 1 <= int(kdf["parallelism"]) <= 16
            and len(bytes.fromhex(kdf["salt"])) >= 16
        )
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise _bad(_("This is not an AccountDesk backup, or the file is damaged."))
