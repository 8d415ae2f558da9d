"""Encryption at rest of a profile's database (SQLCipher), its key, and owner-only files.

The whole database file is encrypted page by page by SQLCipher 4 (AES-256, HMAC-SHA512 per page):
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
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sqlite3
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AccountDeskError
from ..i18n import _

log = logging.getLogger(__name__)

PLAIN_HEADER = b"SQLite format 3\x00"
DESCRIPTOR = "encryption.json"
KEYRING_SERVICE = "AccountDesk"
KEY_BYTES = 32
#: Argon2id costs for a passphrase (RFC 9106's second recommended option, 64 MiB).
ARGON2 = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
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


class EncryptionError(AccountDeskError):
    """The profile's database cannot be opened or encrypted."""


class KeyLost(EncryptionError):
    """The profile is encrypted but its key is not in this computer's keyring."""

    exit_code = 4


class PassphraseRequired(EncryptionError):
    """The profile needs a passphrase and none was given (bad input: the command line names the field)."""

    exit_code = 2
    field = "passphrase"


class WrongPassphrase(EncryptionError):
    exit_code = 2
    field = "passphrase"


# -- environment ---------------------------------------------------------------------------------


def plain_forced() -> bool:
    return os.environ.get("ACCOUNTDESK_PLAIN_STORE") == "1"


def keyring_usable() -> bool:
    """True when a real keyring backend is there (not the fail/null/plain-file ones)."""
    if os.environ.get("ACCOUNTDESK_NO_KEYRING") == "1":
        return False
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - no keyring at all
        return False
    if isinstance(backend, fail.Keyring):
        return False
    name = type(backend).__module__ + "." + type(backend).__name__
    if any(bad in name.lower() for bad in ("null", "plaintext", "fail")):
        return False
    try:
        return backend.priority > 0
    except Exception:  # noqa: BLE001
        return False


#: Asked for a passphrase: ``provider(reason, confirm)`` -> the passphrase or None. ``reason`` is
#: "open" (an existing profile) or "new" (one being encrypted now; the front end asks twice).
PassphraseProvider = Callable[[str, bool], "str | None"]
_provider: PassphraseProvider | None = None


def set_passphrase_provider(provider: PassphraseProvider | None) -> None:
    """The front end's way to ask the person for a passphrase (CLI: terminal or environment;
    GUI: a dialog asked before the profile opens)."""
    global _provider
    _provider = provider


def env_passphrase_provider(reason: str, confirm: bool) -> str | None:
    """The command line's provider: ``ACCOUNTDESK_PASSPHRASE`` (scripts), else the terminal."""
    value = os.environ.get("ACCOUNTDESK_PASSPHRASE")
    if value:
        return value
    if not sys.stdin or not sys.stdin.isatty():
        return None
    import getpass

    first = getpass.getpass(_("Passphrase of this profile: "))
    if confirm:
        again = getpass.getpass(_("The same passphrase again: "))
        if again != first:
            raise PassphraseRequired(_("The two passphrases differ."))
    return first or None


def _ask(reason: str, confirm: bool) -> str | None:
    provider = _provider or env_passphrase_provider
    return provider(reason, confirm)


# -- files ---------------------------------------------------------------------------------------


def owner_only(path: Path) -> None:
    """Readable by the user only: 0700 for a folder, 0600 for a file (POSIX); on Windows a folder
    gets an owner-only ACL (:func:`windows_owner_only`), which the files in it inherit."""
    if os.name == "nt":
        if Path(path).is_dir():
            windows_owner_only(Path(path))
        return
    if os.name != "posix":
        return
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def windows_account(environ: dict[str, str] | None = None) -> str:
    """The Windows account running this process, as ``icacls`` names it (``DOMAIN\\user``)."""
    env = os.environ if environ is None else environ
    user = env.get("USERNAME") or ""
    if not user:
        import getpass

        user = getpass.getuser()
    domain = env.get("USERDOMAIN") or ""
    return f"{domain}\\{user}" if domain else user


def icacls_owner_only_command(folder: Path, account: str) -> list[str]:
    """The ``icacls`` command that leaves ``folder`` to ``account`` alone: the ACL entries inherited
    from the parent folders removed (``/inheritance:r``: the Users and Administrators groups that
    AppData may pass on), and full control granted to the account, replacing any grant it had
    (``/grant:r``), inherited by the subfolders (CI) and files (OI) in it, present and future."""
    return ["icacls", str(folder), "/inheritance:r", "/grant:r", f"{account}:(OI)(CI)F", "/Q"]


_acl_done: set[str] = set()


def windows_owner_only(folder: Path, run: Callable[..., Any] | None = None) -> bool:
    """Give the profile folder an owner-only ACL (once per folder and process). Returns True when
    it was set; a failure is logged, never raised (the profile still opens: AppData's own ACL is
    the user's already)."""
    key = str(Path(folder).resolve())
    if key in _acl_done:
        return True
    import subprocess

    command = icacls_owner_only_command(Path(folder), windows_account())
    runner = run or subprocess.run
    try:
        result = runner(
            command,
            capture_output=True,
            text=True,
            timeout=30,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not restrict the ACL of %s: %s", folder, exc)
        return False
    if result.returncode != 0:
        log.warning("icacls refused to restrict %s (%s): %s", folder, result.returncode, result.stdout)
        return False
    _acl_done.add(key)
    return True


def secure_tree(data_dir: Path) -> None:
    """The profile folder and everything in it: owner only."""
    data_dir = Path(data_dir)
    if not data_dir.exists():
        return
    owner_only(data_dir)  # on Windows: the folder's ACL, inherited by everything in it
    if os.name != "posix":
        return
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            owner_only(Path(root) / name)
        for name in files:
            p = Path(root) / name
            with contextlib.suppress(FileNotFoundError):
                mode = stat.S_IMODE(p.lstat().st_mode)
                if mode & 0o077 and not p.is_symlink():
                    os.chmod(p, 0o600)


def secure_remove(path: Path, on_fraction: Callable[[float], None] | None = None) -> None:
    """Overwrite a file with zeros, flush it to disk, then remove it. (On SSDs and copy-on-write
    file systems the old blocks may survive elsewhere: that is why the store is encrypted at all;
    this only keeps a plaintext copy from being read back with ordinary tools.) ``on_fraction``
    hears how much is overwritten (0..1)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    try:
        with open(path, "r+b", buffering=0) as fh:
            block = b"\0" * (1 << 20)
            left = size
            while left > 0:
                n = min(left, len(block))
                fh.write(block[:n])
                left -= n
                if on_fraction is not None:
                    on_fraction(1 - left / size)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        log.warning("could not overwrite %s before removing it", path, exc_info=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


# -- databases this process has open -------------------------------------------------------------
# SQLite coordinates processes with POSIX advisory locks, and POSIX drops *every* lock a process
# holds on a file when the process closes *any* descriptor of that file. Reading a database's header
# with open()/close() while a connection of this process has the database open therefore silently
# releases that connection's locks: another process (the command line, a second window) then takes
# itself for the last user of the database, checkpoints and deletes the WAL the open connection is
# still writing to, and that connection's next commits are lost (reproduced in
# tests/test_store_locks.py). So the header of a database this process holds open is never read
# again: the store registers what it knows here, and the checks below answer from it.
_OPEN_LOCK = threading.Lock()
_OPEN: dict[str, list[Any]] = {}  # real path -> [stores open on it, encrypted]


def _open_key(path: Path | str) -> str:
    return os.path.realpath(path)


def note_open(path: Path | str, encrypted: bool) -> None:
    """A store of this process opened (or re-keyed) the database ``path``."""
    with _OPEN_LOCK:
        entry = _OPEN.setdefault(_open_key(path), [0, encrypted])
        entry[0] += 1
        entry[1] = encrypted


def note_closed(path: Path | str) -> None:
    with _OPEN_LOCK:
        key = _open_key(path)
        entry = _OPEN.get(key)
        if entry is not None:
            entry[0] -= 1
            if entry[0] <= 0:
                del _OPEN[key]


def open_here(path: Path | str) -> bool | None:
    """Whether the database ``path`` is held open by a store of this process and encrypted
    (``True``/``False``), or ``None`` when no store of this process has it open."""
    with _OPEN_LOCK:
        entry = _OPEN.get(_open_key(path))
        return None if entry is None else bool(entry[1])


def is_plain_file(path: Path) -> bool:
    """True when ``path`` is a plaintext SQLite database (its header reads as one)."""
    held = open_here(path)
    if held is not None:
        return not held  # never open() a database this process holds (see above)
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == PLAIN_HEADER
    except OSError:
        return False


def is_encrypted_file(path: Path) -> bool:
    held = open_here(path)
    if held is not None:
        return held
    try:
        size = Path(path).stat().st_size
    except OSError:
        return False
    return size > 0 and not is_plain_file(path)


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


# -- keys ----------------------------------------------------------------------------------------


def _keyring_user(profile_id: str) -> str:
    return f"profile-key|{profile_id}"


def keyring_get(profile_id: str) -> bytes | None:
    import keyring

    try:
        value = keyring.get_password(KEYRING_SERVICE, _keyring_user(profile_id))
    except Exception as exc:  # noqa: BLE001 - a locked or broken keyring
        raise EncryptionError(
            _("The keyring of this computer cannot be read ({error}); unlock it and start again.").format(
                error=type(exc).__name__
            )
        ) from None
    if not value:
        return None
    try:
        key = bytes.fromhex(value)
    except ValueError:
        return None
    return key if len(key) == KEY_BYTES else None


def keyring_put(profile_id: str, key: bytes) -> None:
    import keyring

    keyring.set_password(KEYRING_SERVICE, _keyring_user(profile_id), key.hex())
    if keyring_get(profile_id) != key:
        raise EncryptionError(_("The keyring of this computer did not keep the key of this profile."))


def keyring_delete(profile_id: str) -> None:
    with contextlib.suppress(Exception):
        import keyring

        keyring.delete_password(KEYRING_SERVICE, _keyring_user(profile_id))


def derive_key(passphrase: str, salt: bytes, costs: dict[str, int] | None = None) -> bytes:
    """A 256-bit key from a passphrase: Argon2id."""
    from argon2.low_level import Type, hash_secret_raw

    c = costs or ARGON2
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=int(c["time_cost"]),
        memory_cost=int(c["memory_cost"]),
        parallelism=int(c["parallelism"]),
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def new_kdf() -> dict[str, Any]:
    return {"alg": "argon2id", "salt": secrets.token_hex(16), **ARGON2}


def kdf_key(passphrase: str, kdf: dict[str, Any]) -> bytes:
    return derive_key(passphrase, bytes.fromhex(kdf["salt"]), kdf)


# -- connections ---------------------------------------------------------------------------------


def driver():
    """SQLCipher's DB-API module (the same API as the standard sqlite3)."""
    from sqlcipher3 import dbapi2

    return dbapi2


def key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect(path: Path | str, key: bytes | None = None, **kwargs):
    """A DB-API connection: SQLCipher keyed with ``key``, or the standard sqlite3 when plain."""
    if key is None:
        return sqlite3.connect(str(path), **kwargs)
    conn = driver().connect(str(path), **kwargs)
    conn.execute(key_pragma(key))
    return conn


def check_key(path: Path, key: bytes) -> bool:
    """True when ``key`` opens the encrypted database ``path``."""
    d = driver()
    conn = d.connect(str(path))
    try:
        conn.execute(key_pragma(key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except d.DatabaseError:
        return False
    finally:
        conn.close()


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
    conn = d.connect(str(src), isolation_level=None)
    try:
        if src_key is not None:
            conn.execute(key_pragma(src_key))
        attach_key = f"x'{dest_key.hex()}'" if dest_key is not None else ""
        conn.execute(f'ATTACH DATABASE ? AS target KEY "{attach_key}"', (str(dest),))
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


def _size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def table_digests(conn) -> dict[str, tuple[int, str]]:
    """Rows and a digest of every row of every table (ordered by rowid or the whole row), for
    checking a copy row by row."""
    import hashlib

    out: dict[str, tuple[int, str]] = {}
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for name in names:
        h = hashlib.sha256()
        n = 0
        try:
            cur = conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
        except Exception:  # noqa: BLE001 - WITHOUT ROWID tables and virtual tables: by their content
            try:
                cur = conn.execute(f'SELECT * FROM "{name}" ORDER BY 1')
            except Exception:  # noqa: BLE001 - a contentless FTS table has nothing to select
                continue
        for row in cur:
            h.update(repr(row).encode("utf-8"))
            n += 1
        out[name] = (n, h.hexdigest())
    return out


def _stored_tables(conn) -> list[str]:
    """Every table that stores rows (virtual tables are left out: their shadow tables hold their
    rows and are compared themselves)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
        )
    ]


def same_rows(a, b, batch: int = 2000, on_fraction: Callable[[float], None] | None = None) -> bool:
    """True when the databases of connections ``a`` and ``b`` hold the same tables with the same
    rows, compared row by row in rowid order (tuples compared in C: no hashing). ``on_fraction``
    hears the share of ``a``'s rows compared so far (0..1)."""
    tables = _stored_tables(a)
    if tables != _stored_tables(b):
        return False
    total = done = 0
    if on_fraction is not None:
        total = max(1, sum(a.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables))
    for name in tables:
        try:
            ca, cb = (
                a.execute(f'SELECT * FROM "{name}" ORDER BY rowid'),
                b.execute(f'SELECT * FROM "{name}" ORDER BY rowid'),
            )
        except Exception:  # noqa: BLE001 - a WITHOUT ROWID table: by its primary key order
            ca, cb = (
                a.execute(f'SELECT * FROM "{name}" ORDER BY 1'),
                b.execute(f'SELECT * FROM "{name}" ORDER BY 1'),
            )
        while True:
            ra, rb = ca.fetchmany(batch), cb.fetchmany(batch)
            if ra != rb:
                return False
            if not ra:
                break
            if on_fraction is not None:
                done += len(ra)
                on_fraction(done / total)
    return True


def encrypt_in_place(path: Path, key: bytes, progress: Progress | None = None) -> None:
    """Encrypt the plaintext database ``path`` with ``key``: see the module docstring for the
    steps and what an interruption leaves. Raises EncryptionError (the plaintext file is kept).
    ``progress`` hears how far it has got (a 10,000-client profile takes minutes)."""
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
        export_copy(path, None, staged, key, on_fraction=on("export"))
        report("check", 0.0)
        with (
            contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as plain,
            contextlib.closing(connect(staged, key)) as enc,
        ):
            ok = enc.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            report("check", QUICK_CHECK_SHARE)
            ok = ok and same_rows(plain, enc, on_fraction=on("check", QUICK_CHECK_SHARE))
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
    key = keyring_get(profile_id) if (profile_id and keyring_usable()) else None
    if key is None or not check_key(path, key):
        raise KeyLost(
            _(
                "The data of this profile is encrypted and its key is not in this computer's keyring (the keyring was "
                "reset, or the profile was copied from another computer). Nothing was changed. To go on, sign in again "
                "and take a fresh copy from the server: accountdesk security start-fresh, then accountdesk sync."
            )
        )
    return Protection(MODE_KEYRING, key)


def prepare(data_dir: Path, path: Path, progress: Progress | None = None) -> Protection:
    """Decide how the profile's database is protected, finding its key; a plaintext profile is
    encrypted in place first where it should be (see the module docstring), telling ``progress``."""
    data_dir = Path(data_dir)
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
    from ..paths import backups_dir, database_path

    data_dir, aside = Path(data_dir), Path(aside)
    aside.mkdir(parents=True, exist_ok=False)
    owner_only(aside)
    db = database_path(data_dir)
    moved = []
    for p in (
        db,
        *(db.with_name(db.name + s) for s in SIDE_SUFFIXES),
        data_dir / DESCRIPTOR,
        backups_dir(data_dir),
    ):
        if p.exists():
            os.replace(p, aside / p.name)
            moved.append(p.name)
    return moved
