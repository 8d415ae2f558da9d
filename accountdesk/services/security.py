"""What the front ends need of the profile's protection: its state (Settings, About), whether a
passphrase must be asked before the profile opens, and handing that passphrase to the store.

The encryption itself lives in ``store/crypto.py``; this module keeps the UI away from it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import TypedDict

from ..errors import AccountDeskError
from ..i18n import _
from ..paths import database_path
from ..store import crypto, crypto_keys, crypto_sqlite
from .context import AppContext

#: why a passphrase is asked: to open an encrypted profile, or to encrypt one now (asked twice)
OPEN, NEW = "open", "new"


class FolderStatus(TypedDict):
    """A profile's protection (no secret in it)."""

    encrypted: bool
    mode: str  # crypto.MODE_PLAIN | MODE_KEYRING | MODE_PASSPHRASE
    keyring: bool  # this computer has a usable system keyring


class Status(FolderStatus):
    text: str  # the sentence for Settings and About


def folder_status(data_dir: Path | str) -> FolderStatus:
    """The protection of the profile in ``data_dir`` (no key needed)."""
    data_dir = Path(data_dir)
    info = crypto.describe(data_dir, database_path(data_dir))
    return {"encrypted": info["encrypted"], "mode": info["mode"], "keyring": crypto_keys.keyring_usable()}


def status(ctx: AppContext) -> Status:
    """The open profile's protection, with a sentence for Settings and About."""
    info = folder_status(ctx.store.data_dir)
    return {
        "encrypted": info["encrypted"],
        "mode": info["mode"],
        "keyring": info["keyring"],
        "text": describe_mode(info["mode"]),
    }


def describe_mode(mode: str) -> str:
    return {
        crypto.MODE_PLAIN: _(
            "Not encrypted: this computer has no system keyring, and this profile is used on its own. "
            "It is encrypted when it joins a company server."
        ),
        crypto.MODE_KEYRING: _("Encrypted on this computer; its key is kept in the system keyring."),
        crypto.MODE_PASSPHRASE: _(
            "Encrypted on this computer with your passphrase (there is no system keyring)."
        ),
    }.get(mode, mode)


def start_key_lookup(data_dir: Path | str) -> bool:
    """At the app's start, before the window is built: start looking up the key of a profile
    encrypted with a key in the OS keyring on a thread (the keyring's backends and a few D-Bus round
    trips, tens of milliseconds), so that it overlaps the window's construction; the profile's
    opening takes the key (store/crypto_keys.KeyLookup; memory only). True when started."""
    return crypto.start_key_lookup_of(Path(data_dir))


def passphrase_needed(data_dir: Path | str) -> str | None:
    """``OPEN`` when the profile is encrypted with a passphrase, ``NEW`` when opening it will encrypt
    it with one (a company profile still in plaintext on a computer without keyring), else None."""
    data_dir = Path(data_dir)
    db = database_path(data_dir)
    desc = crypto.read_descriptor(data_dir)
    if crypto_sqlite.is_encrypted_file(db):
        return OPEN if desc.get("mode") == crypto.MODE_PASSPHRASE else None
    if crypto_keys.plain_forced() or not db.exists() or crypto_keys.keyring_usable():
        return None
    if desc.get("mode") == crypto.MODE_PASSPHRASE:
        return OPEN  # an encryption with this passphrase was interrupted
    return NEW if _plain_company(db) else None


def join_needs_passphrase(ctx: AppContext) -> bool:
    """True when joining a server will ask for a passphrase (no keyring, profile not encrypted)."""
    return not ctx.store.encrypted and not crypto_keys.plain_forced() and not crypto_keys.keyring_usable()


def _plain_company(db: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT value FROM meta WHERE key IN ('server_url', 'sync_user_id')"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return any(r[0] not in (None, "null") for r in rows)


def use_passphrase(passphrase: str | None) -> None:
    """The passphrase the person typed, for the store to use (this process only, never written)."""
    crypto_keys.set_passphrase_provider(
        None if passphrase is None else (lambda _reason, _confirm: passphrase)
    )


def is_wrong_passphrase(exc: BaseException) -> bool:
    return isinstance(exc, crypto_keys.WrongPassphrase)


def is_key_lost(exc: BaseException) -> bool:
    return isinstance(exc, crypto_keys.KeyLost)


def start_fresh(data_dir: Path | str) -> Path:
    """The key of this encrypted profile is lost: move its files aside (kept, never overwritten)
    into ``unreadable-<time>/`` and leave the folder for a new, empty profile. Returns the folder
    they went to. Refuses (KeyLost is not raised) when the key is actually there."""
    import datetime as dt

    data_dir = Path(data_dir)
    db = database_path(data_dir)
    if not crypto_sqlite.is_encrypted_file(db):
        raise crypto_keys.EncryptionError(
            _("This profile is not encrypted: there is no lost key to recover from.")
        )
    try:
        crypto.existing_protection(data_dir, db)
    except crypto_keys.KeyLost:
        pass
    else:
        raise crypto_keys.EncryptionError(_("The key of this profile is there: nothing to recover from."))
    aside = data_dir / f"unreadable-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    crypto.set_aside(data_dir, aside)
    return aside


# -- the offline lease ---------------------------------------------------------------------------

DEFAULT_OFFLINE_DAYS = 30
#: idle minutes before the window locks, for a company profile when Settings say nothing
DEFAULT_LOCK_MINUTES = 15


class LeaseExpired(AccountDeskError):
    """A company profile has not reached its server for longer than the offline lease."""

    exit_code = 4


def _parse(value: object) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Lease(TypedDict):
    """The offline lease of the open profile (:func:`lease`); times in ISO 8601."""

    company: bool
    days: int | None
    last_contact: str | None
    expires_at: str | None
    expired: bool


def lease(ctx: AppContext) -> Lease:
    """``{"company", "days", "last_contact", "expires_at", "expired"}`` of the open profile. A company
    profile without a recorded contact (joined before the lease existed) starts its lease now."""
    from ..sync.changes import get_meta, set_meta
    from ..sync.lease import META_OFFLINE_DAYS, META_SERVER_CONTACT, META_SYNC_USER

    with ctx.read() as session:
        company = bool(get_meta(session, META_SYNC_USER))
        days = get_meta(session, META_OFFLINE_DAYS) or DEFAULT_OFFLINE_DAYS
        contact = _parse(get_meta(session, META_SERVER_CONTACT)) if company else None
    if not company:
        return {"company": False, "days": None, "last_contact": None, "expires_at": None, "expired": False}
    now = ctx.now()
    if contact is None:
        with ctx.store.write() as session:
            set_meta(session, META_SERVER_CONTACT, now.astimezone(dt.UTC).isoformat())
        contact = now
    try:
        days = max(1, int(days))
    except (TypeError, ValueError):
        days = DEFAULT_OFFLINE_DAYS
    expires = contact + dt.timedelta(days=days)
    return {
        "company": True,
        "days": days,
        "last_contact": contact.isoformat(),
        "expires_at": expires.isoformat(),
        "expired": now >= expires,
    }


def lease_message(info: Lease) -> str:
    return _(
        "This computer has not reached the company's server for more than {days} days, so its company data is "
        "locked. Sign in again to unlock it (accountdesk sync, or Sign in in the app)."
    ).format(days=info["days"])


def check_lease(ctx: AppContext) -> None:
    """Raise :class:`LeaseExpired` when the open profile's offline lease has run out."""
    info = lease(ctx)
    if info["expired"]:
        raise LeaseExpired(lease_message(info))


# -- the app lock --------------------------------------------------------------------------------


def lock_minutes(ctx: AppContext, setting: int | None) -> int:
    """Idle minutes before the window locks (0: never). ``setting`` is the person's choice in
    Settings (None or negative: the default, 15 minutes for a company profile, never otherwise)."""
    if setting is not None and setting >= 0:
        return int(setting)
    from ..sync.changes import get_meta
    from ..sync.lease import META_SYNC_USER

    with ctx.read() as session:
        return DEFAULT_LOCK_MINUTES if get_meta(session, META_SYNC_USER) else 0


def os_password_available() -> bool:
    """True when this computer's account password can unlock the window (services/os_password.py:
    PAM on Linux and macOS, LogonUser on Windows)."""
    from . import os_password

    return os_password.method() is not None


def can_unlock_offline(ctx: AppContext) -> bool:
    """True when the lock screen can check a password on this computer (the OS account's password
    where the platform offers a check, the server password of the last sign-in, kept as an Argon2id
    hash inside the encrypted store, or the profile's passphrase)."""
    from ..sync.changes import get_meta
    from ..sync.lease import META_UNLOCK_VERIFIER

    if ctx.store.protection.mode == crypto.MODE_PASSPHRASE or os_password_available():
        return True
    with ctx.read() as session:
        return bool(get_meta(session, META_UNLOCK_VERIFIER))


def unlock(ctx: AppContext, password: str, *, os_user: str | None = None) -> bool:
    """True when ``password`` unlocks the window: the server password of the last sign-in on this
    computer (checked against its hash, no network needed), the profile's passphrase, or the
    password of the OS account (``os_user``: this process's). A wrong one takes the OS check's fail
    delay (seconds): call it off the GUI thread."""
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error

    from ..sync.changes import get_meta
    from ..sync.lease import META_UNLOCK_VERIFIER

    if not password:
        return False
    with ctx.read() as session:
        verifier = get_meta(session, META_UNLOCK_VERIFIER)
    if verifier:
        try:
            if PasswordHasher().verify(verifier, password):
                return True
        except Argon2Error:
            pass
    desc = crypto.read_descriptor(ctx.store.data_dir)
    if ctx.store.protection.mode == crypto.MODE_PASSPHRASE and isinstance(desc.get("kdf"), dict):
        if crypto_keys.kdf_key(password, desc["kdf"]) == ctx.store.protection.key:
            return True
    from . import os_password

    return os_password.check(password, os_user)
