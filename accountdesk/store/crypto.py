"""Encryption at rest of a profile's database (SQLCipher), its key, and owner-only files.

The whole database file is encrypted page by page by SQLCipher 4 (AES-256, an HMAC per page:
HMAC-SHA256; files encrypted before it came have SQLCipher's default HMAC-SHA512 and still open; see
crypto_sqlite.HMAC):
every table, the search index (FTS5 tables live in the same file), the WAL and the temporary files
SQLite writes. The binding is ``sqlcipher3-wheels`` (see docs/security.md for why).

Where the key comes from (``encryption.json`` in the profile folder says which; it never holds a
key, only the profile's id, the mode and the Argon2id salt and costs):

- ``keyring``: a random 256-bit key made for this profile and kept in the OS keyring (Windows
  Credential Manager, macOS Keychain, Secret Service on Linux). No prompt for the person.
- ``passphrase``: where no keyring exists, a passphrase given at start, stretched with Argon2id.
- ``plain``: a stand-alone or demo profile on a computer without keyring (so ``scripts/run`` opens
  the demo on a fresh machine without prompts). A profile that joins a company server is encrypted
  before its first pull (:meth:`Store.ensure_encrypted`).

A plaintext profile is encrypted in place (:func:`encrypt_in_place`): an encrypted copy is made
next to it and checked table by table, then put in place with one atomic rename; the plaintext
file is overwritten before it is removed. A start interrupted at any point finds either the old
plaintext file (and does it again) or the encrypted one (and finishes removing the plaintext).

``ACCOUNTDESK_PLAIN_STORE=1`` keeps every profile plain (the test suite sets it for the tests that
read a store's file directly; the encryption tests clear it). The app itself never sets it.

The key (errors, keyring, passphrase, Argon2id) lives in :mod:`.crypto_keys` and the database files
(which are open here, plain or encrypted, SQLCipher connections, the row-by-row comparison) in
:mod:`.crypto_sqlite`; every name of both is importable from here as before. Owner-only files (modes, the
Windows ACL, overwriting before removing) are in :mod:`.crypto_files`. What the tests patch
(``export_copy``) stays here with what reads it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import _
from .crypto_files import (  # noqa: F401 - the files' names, importable from here as before
    icacls_owner_only_command,
    owner_only,
    secure_remove,
    secure_tree,
    windows_account,
    windows_owner_only,
)
from .crypto_keys import (  # noqa: F401 - the key's names, importable from here as before
    ARGON2,
    KEY_BYTES,
    KEYRING_SERVICE,
    EncryptionError,
    KeyLost,
    PassphraseProvider,
    PassphraseRequired,
    WrongPassphrase,
    _ask,
    _keyring_user,
    derive_key,
    env_passphrase_provider,
    kdf_key,
    keyring_delete,
    keyring_get,
    keyring_put,
    keyring_usable,
    new_kdf,
    plain_forced,
    set_passphrase_provider,
    start_key_lookup,
    take_key_lookup,
)
from .crypto_sqlite import (  # noqa: F401 - the database files' names, importable from here as before
    HMAC,
    LEGACY_HMAC,
    PLAIN_HEADER,
    _open_key,
    _size,
    _stored_tables,
    check_key,
    connect,
    driver,
    is_encrypted_file,
    is_plain_file,
    key_pragma,
    note_closed,
    note_open,
    open_here,
    same_rows,
    table_digests,
)

log = logging.getLogger(__name__)

DESCRIPTOR = "encryption.json"
MODE_PLAIN, MODE_KEYRING, MODE_PASSPHRASE = "plain", "keyring", "passphrase"
ENCRYPTING_SUFFIX = ".encrypting"
WIPE_SUFFIX = ".plaintext-to-remove"
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


#: ``progress(done, total, message)``: how far the one-time encryption in place has got (``done`` of
#: ``total`` thousandths; ``message`` names the step, translated). Called on the thread doing the work
#: (the GUI marshals it to its thread: ui/tasks.py); no Qt here.
Progress = Callable[[int, int, str], None]
PROGRESS_TOTAL = 1000
#: The thousandths each step of :func:`encrypt_in_place` takes, as measured on a 10,000-client
#: profile (905 MB, 1.3 million rows; bench_encryption.py --migrate-only): the export 8.7 s (19%),
#: the check 36.9 s (79%: SQLite's quick_check, then the row-by-row comparison), the overwrite of
#: the plaintext 0.4 s from the page cache (more from a disk: 2% kept for it).
STEPS = {"export": (0, 190), "check": (190, 980), "wipe": (980, 1000)}
#: the share of the check that SQLite's quick_check takes (it says nothing while it runs)
QUICK_CHECK_SHARE = 0.35


def _step_text(step: str) -> str:
    return {
        "export": _("Encrypting this profile's data (one time): writing the encrypted copy"),
        "check": _("Encrypting this profile's data (one time): checking the copy row by row"),
        "wipe": _("Encrypting this profile's data (one time): removing the unencrypted file"),
    }[step]


_listener: Progress | None = None


def set_progress_listener(listener: Progress | None) -> None:
    """Where the progress of an encryption in place goes when the caller passed none (the command
    line prints it for every command that opens a profile)."""
    global _listener
    _listener = listener


class _Reporter:
    """Maps each step's own fraction onto the whole and calls ``progress`` when a thousandth changes."""

    def __init__(self, progress: Progress | None):
        self.progress = progress or _listener
        self.last = -1

    def __call__(self, step: str, fraction: float) -> None:
        if self.progress is None:
            return
        lo, hi = STEPS[step]
        done = lo + int((hi - lo) * min(1.0, max(0.0, fraction)))
        if done != self.last:
            self.last = done
            self.progress(done, PROGRESS_TOTAL, _step_text(step))


# -- the descriptor (no secret in it) ------------------------------------------------------------


def read_descriptor(data_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((Path(data_dir) / DESCRIPTOR).read_text("utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_descriptor(data_dir: Path, data: dict[str, Any]) -> None:
    path = Path(data_dir) / DESCRIPTOR
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def export_copy(
    src: Path,
    src_key: bytes | None,
    dest: Path,
    dest_key: bytes | None,
    on_fraction: Callable[[float], None] | None = None,
) -> None:
    """Copy the database ``src`` into a new file ``dest`` under another key (None: plaintext),
    with SQLCipher's ``sqlcipher_export``: schema, every table, the search index, user_version.
    Reads one consistent snapshot (WAL included) of a database that may be in use.
    ``on_fraction`` hears how far the copy has got (0..1: the size written beside the source's)."""
    dest = Path(dest)
    for p in (dest, *(dest.with_name(dest.name + s) for s in SIDE_SUFFIXES)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # born owner-only
    os.close(fd)
    d = driver()
    if src_key is None:
        conn = d.connect(str(src), isolation_level=None)
    else:  # keyed with the HMAC the source was written with (crypto_sqlite._keyed)
        conn = connect(src, src_key, isolation_level=None)
    try:
        attach_key = f"x'{dest_key.hex()}'" if dest_key is not None else ""
        conn.execute(f'ATTACH DATABASE ? AS target KEY "{attach_key}"', (str(dest),))
        if dest_key is not None:  # a new encrypted file: the current HMAC (crypto_sqlite.HMAC)
            conn.execute(f"PRAGMA target.cipher_hmac_algorithm = {HMAC}")
        if on_fraction is not None:
            src_size = max(1, sum(_size(Path(src).with_name(Path(src).name + s)) for s in ("", "-wal")))

            def tick() -> int:
                with contextlib.suppress(Exception):  # a report never stops the copy
                    on_fraction(min(1.0, _size(dest) / src_size))
                return 0

            # The copy's pages reach its file as they leave a small cache (with SQLite's default one
            # a small database is only written at COMMIT): no slower here (142 MB: 2.7-3.1 s with
            # 256 pages, 2.7-4.2 s with the default), and the file's size tells how far it has got.
            conn.execute("PRAGMA target.cache_size = 256")
            conn.set_progress_handler(tick, 10_000)  # every 10,000 SQLite instructions
        conn.execute("BEGIN")
        conn.execute("SELECT sqlcipher_export('target')")
        version = conn.execute("PRAGMA main.user_version").fetchone()[0]
        conn.execute(f"PRAGMA target.user_version = {int(version)}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE target")
        if on_fraction is not None:
            conn.set_progress_handler(None, 0)
            on_fraction(1.0)
    finally:
        conn.close()


def encrypt_in_place(
    path: Path, key: bytes, progress: Progress | None = None, *, blob_file: bool = False
) -> None:
    """Encrypt the plaintext database ``path`` with ``key``: see the module docstring for the
    steps and what an interruption leaves. Raises EncryptionError (the plaintext file is kept).
    ``progress`` hears how far it has got (a 10,000-client profile takes minutes). ``blob_file``:
    ``path`` is the profile's file of attachment bytes (store/blobdb.py: 64 KB pages, copied
    piece by piece)."""
    from . import blobdb

    path = Path(path)
    staged = path.with_name(path.name + ENCRYPTING_SUFFIX)
    report = _Reporter(progress)
    heard = report.progress is not None  # without a listener: no progress handler, no row count

    def on(step: str, lo: float = 0.0) -> Callable[[float], None] | None:
        return (lambda f: report(step, lo + (1 - lo) * f)) if heard else None

    try:
        report("export", 0.0)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if blob_file:
            blobdb.copy_file(path, None, staged, key, on_fraction=on("export"))
        else:
            export_copy(path, None, staged, key, on_fraction=on("export"))
        report("check", 0.0)
        page_size, batch = (blobdb.PAGE_SIZE, 4) if blob_file else (None, 2000)
        with (
            contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as plain,
            contextlib.closing(connect(staged, key, page_size=page_size)) as enc,
        ):
            ok = enc.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            report("check", QUICK_CHECK_SHARE)
            ok = ok and same_rows(plain, enc, batch=batch, on_fraction=on("check", QUICK_CHECK_SHARE))
            enc.execute("PRAGMA journal_mode=WAL")
        if not ok:
            raise EncryptionError(
                _("The encrypted copy of the data file does not match it; nothing was changed.")
            )
    except Exception as exc:
        for p in (staged, *(staged.with_name(staged.name + s) for s in SIDE_SUFFIXES)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        if isinstance(exc, EncryptionError):
            raise
        log.exception("encrypting %s failed", path)
        raise EncryptionError(
            _("Encrypting the data file failed; the previous file was kept unchanged. ({error})").format(
                error=exc
            )
        ) from exc
    # The plaintext inode gets a second name, so that it can be overwritten after the rename.
    leftover = path.with_name(path.name + WIPE_SUFFIX)
    with contextlib.suppress(FileNotFoundError):
        leftover.unlink()
    for suffix in SIDE_SUFFIXES:
        secure_remove(path.with_name(path.name + suffix))
    try:
        os.link(path, leftover)
    except OSError:  # a file system without hard links: two renames (finish_interrupted covers the gap)
        os.replace(path, leftover)
    report("wipe", 0.0)
    os.replace(staged, path)  # the step that switches: before it plaintext, after it encrypted
    _fsync_dir(path.parent)
    secure_remove(leftover, on_fraction=on("wipe"))
    report("wipe", 1.0)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def finish_interrupted(path: Path) -> None:
    """Clean up after an encryption that was interrupted: a staged copy (the plaintext is still in
    place: it is done again) or a plaintext copy left to overwrite."""
    path = Path(path)
    staged = path.with_name(path.name + ENCRYPTING_SUFFIX)
    leftover = path.with_name(path.name + WIPE_SUFFIX)
    if not path.exists() and leftover.exists():
        # stopped between the two renames of a file system without hard links: the staged copy was
        # complete and checked (it is renamed only then), else the plaintext goes back
        os.replace(staged if staged.exists() else leftover, path)
    for p in (staged, *(staged.with_name(staged.name + s) for s in SIDE_SUFFIXES)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    if leftover.exists() and path.exists() and os.path.samefile(leftover, path):
        leftover.unlink()  # stopped before the switch: the second name of the plaintext still in use
    else:
        secure_remove(leftover)


def encrypt_blobs(path: Path, key: bytes) -> bool:
    """The profile's file of attachment bytes encrypted with the profile's ``key`` when it is still
    plaintext (the profile was encrypted in place, or a start stopped between the two files): the
    same steps and guarantees as :func:`encrypt_in_place`. True when it was encrypted now."""
    path = Path(path)
    finish_interrupted(path)
    if not path.exists() or path.stat().st_size == 0 or not is_plain_file(path):
        return False
    log.info("encrypting the plaintext file of attachment bytes %s", path)
    encrypt_in_place(path, key, blob_file=True)
    return True


# -- deciding and finding the key of a profile ---------------------------------------------------


@dataclass(frozen=True)
class Protection:
    mode: str  # plain | keyring | passphrase
    key: bytes | None = None

    @property
    def encrypted(self) -> bool:
        return self.key is not None


def _is_company(path: Path) -> bool:
    """A plaintext profile that has joined a company server (read before it is encrypted)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute(
                "SELECT value FROM meta WHERE key IN ('server_url', 'sync_user_id')"
            ).fetchall()
    except sqlite3.Error:
        return False
    return any(r[0] not in (None, "null") for r in rows)


def new_key_protection(data_dir: Path, *, reason: str = "new") -> Protection:
    """A key for a profile being encrypted now: the keyring where there is one, else a passphrase
    (asked twice). Writes the descriptor. Raises PassphraseRequired when neither is there."""
    desc = read_descriptor(data_dir)
    profile_id = desc.get("profile_id") or secrets.token_hex(16)
    if keyring_usable():
        key = secrets.token_bytes(KEY_BYTES)
        keyring_put(profile_id, key)
        write_descriptor(data_dir, {"profile_id": profile_id, "mode": MODE_KEYRING})
        return Protection(MODE_KEYRING, key)
    passphrase = _ask(reason, True)
    if not passphrase:
        raise PassphraseRequired(
            _(
                "This computer has no keyring to keep the key of this profile: give a passphrase (the app asks for it; "
                "the command line reads ACCOUNTDESK_PASSPHRASE or asks on the terminal)."
            )
        )
    kdf = new_kdf()
    key = kdf_key(passphrase, kdf)
    write_descriptor(data_dir, {"profile_id": profile_id, "mode": MODE_PASSPHRASE, "kdf": kdf})
    return Protection(MODE_PASSPHRASE, key)


def existing_protection(data_dir: Path, path: Path) -> Protection:
    """The key of the encrypted database ``path`` (keyring or passphrase)."""
    desc = read_descriptor(data_dir)
    mode = desc.get("mode")
    if mode == MODE_PASSPHRASE and isinstance(desc.get("kdf"), dict):
        passphrase = _ask("open", False)
        if not passphrase:
            raise PassphraseRequired(
                _("This profile is encrypted with a passphrase: give it to open the profile.")
            )
        key = kdf_key(passphrase, desc["kdf"])
        if not check_key(path, key):
            raise WrongPassphrase(_("Wrong passphrase for this profile."))
        return Protection(MODE_PASSPHRASE, key)
    profile_id = desc.get("profile_id")
    lookup = take_key_lookup(profile_id) if profile_id else None
    found, stored = lookup.result() if lookup is not None else (False, None)
    if not found:
        stored = keyring_get(profile_id) if (profile_id and keyring_usable()) else None
    if stored is None or not check_key(path, stored):
        raise KeyLost(
            _(
                "The data of this profile is encrypted and its key is not in this computer's keyring (the keyring was "
                "reset, or the profile was copied from another computer). Nothing was changed. To go on, sign in again "
                "and take a fresh copy from the server: accountdesk security start-fresh, then accountdesk sync."
            )
        )
    return Protection(MODE_KEYRING, stored)


def start_key_lookup_of(data_dir: Path) -> bool:
    """Start looking up the key of the profile in ``data_dir`` on a thread when it is encrypted
    with a key in the keyring (see crypto_keys.KeyLookup); True when started. The profile's opening
    (:func:`existing_protection`) takes the result. Reads only the descriptor and the file's header
    (call it before this process opens the store: see crypto_sqlite.note_open)."""
    from ..paths import database_path

    data_dir = Path(data_dir)
    desc = read_descriptor(data_dir)
    profile_id = desc.get("profile_id")
    if desc.get("mode") != MODE_KEYRING or not profile_id or plain_forced():
        return False
    if not is_encrypted_file(database_path(data_dir)):
        return False
    start_key_lookup(profile_id)
    return True


def prepare(data_dir: Path, path: Path, progress: Progress | None = None) -> Protection:
    """Decide how the profile's database is protected, finding its key; a plaintext profile is
    encrypted in place first where it should be (see the module docstring), telling ``progress``."""
    data_dir = Path(data_dir)
    protection = _prepare(data_dir, path, progress)
    if protection.key is not None:
        from ..paths import blobs_path

        encrypt_blobs(blobs_path(data_dir), protection.key)
    return protection


def _prepare(data_dir: Path, path: Path, progress: Progress | None) -> Protection:
    finish_interrupted(path)
    if is_encrypted_file(path):
        return existing_protection(data_dir, path)
    if plain_forced():
        return Protection(MODE_PLAIN)
    exists = path.exists() and path.stat().st_size > 0
    desc = read_descriptor(data_dir)
    wants = desc.get("mode") in (MODE_KEYRING, MODE_PASSPHRASE)  # an encryption was interrupted
    if not exists:
        if keyring_usable():  # a new profile: encrypted from its first byte
            return new_key_protection(data_dir)
        return Protection(MODE_PLAIN)
    if keyring_usable() or wants or _is_company(path):
        if desc.get("mode") == MODE_PASSPHRASE and isinstance(desc.get("kdf"), dict):
            passphrase = _ask("open", False)
            if not passphrase:
                raise PassphraseRequired(
                    _("This profile is encrypted with a passphrase: give it to open the profile.")
                )
            protection = Protection(MODE_PASSPHRASE, kdf_key(passphrase, desc["kdf"]))
        elif (
            desc.get("mode") == MODE_KEYRING
            and desc.get("profile_id")
            and keyring_usable()
            and (key := keyring_get(desc["profile_id"])) is not None
        ):
            protection = Protection(MODE_KEYRING, key)
        else:
            protection = new_key_protection(data_dir)
        log.info("encrypting the plaintext profile in %s", data_dir)
        encrypt_in_place(path, protection.key, progress)  # type: ignore[arg-type]
        return protection
    return Protection(MODE_PLAIN)


def describe(data_dir: Path, path: Path) -> dict[str, Any]:
    """What the app shows in Settings and About: {"encrypted", "mode"} (no secret)."""
    encrypted = is_encrypted_file(path)
    mode = read_descriptor(data_dir).get("mode", MODE_PLAIN) if encrypted else MODE_PLAIN
    return {"encrypted": encrypted, "mode": mode}


def set_aside(data_dir: Path, aside: Path) -> list[str]:
    """Move the database, its side files, the descriptor and the backups of ``data_dir`` into
    ``aside`` (a profile whose key is lost: kept, never overwritten). Returns the names moved."""
    from ..paths import backups_dir, blobs_path, database_path

    data_dir, aside = Path(data_dir), Path(aside)
    aside.mkdir(parents=True, exist_ok=False)
    owner_only(aside)
    db, blob_file = database_path(data_dir), blobs_path(data_dir)
    moved = []
    for p in (
        db,
        *(db.with_name(db.name + s) for s in SIDE_SUFFIXES),
        blob_file,
        *(blob_file.with_name(blob_file.name + s) for s in SIDE_SUFFIXES),
        data_dir / DESCRIPTOR,
        backups_dir(data_dir),
    ):
        if p.exists():
            os.replace(p, aside / p.name)
            moved.append(p.name)
    return moved
