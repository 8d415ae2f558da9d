"""What the front ends need of the profile's protection: its state (Settings, About), whether a
passphrase must be asked before the profile opens, and handing that passphrase to the store.

The encryption itself lives in ``store/crypto.py``; this module keeps the UI away from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..i18n import _
from ..paths import database_path
from ..store import crypto

#: why a passphrase is asked: to open an encrypted profile, or to encrypt one now (asked twice)
OPEN, NEW = "open", "new"


def folder_status(data_dir: Path | str) -> dict[str, Any]:
    """``{"encrypted", "mode", "keyring"}`` of the profile in ``data_dir`` (no key needed)."""
    data_dir = Path(data_dir)
    info = crypto.describe(data_dir, database_path(data_dir))
    info["keyring"] = crypto.keyring_usable()
    return info


def status(ctx) -> dict[str, Any]:
    """The open profile's protection, with a sentence for Settings and About."""
    info = folder_status(ctx.store.data_dir)
    info["text"] = describe_mode(info["mode"])
    return info


def describe_mode(mode: str) -> str:
    return {
        crypto.MODE_PLAIN: _("Not encrypted: this computer has no system keyring, and this profile is used on its own. "
                             "It is encrypted when it joins a company server."),
        crypto.MODE_KEYRING: _("Encrypted on this computer; its key is kept in the system keyring."),
        crypto.MODE_PASSPHRASE: _("Encrypted on this computer with your passphrase (there is no system keyring)."),
    }.get(mode, mode)


def passphrase_needed(data_dir: Path | str) -> str | None:
    """``OPEN`` when the profile is encrypted with a passphrase, ``NEW`` when opening it will encrypt
    it with one (a company profile still in plaintext on a computer without keyring), else None."""
    data_dir = Path(data_dir)
    db = database_path(data_dir)
    desc = crypto.read_descriptor(data_dir)
    if crypto.is_encrypted_file(db):
        return OPEN if desc.get("mode") == crypto.MODE_PASSPHRASE else None
    if crypto.plain_forced() or not db.exists() or crypto.keyring_usable():
        return None
    if desc.get("mode") == crypto.MODE_PASSPHRASE:
        return OPEN  # an encryption with this passphrase was interrupted
    return NEW if _plain_company(db) else None


def join_needs_passphrase(ctx) -> bool:
    """True when joining a server will ask for a passphrase (no keyring, profile not encrypted)."""
    return not ctx.store.encrypted and not crypto.plain_forced() and not crypto.keyring_usable()


def _plain_company(db: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT value FROM meta WHERE key IN ('server_url', 'sync_user_id')").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return any(r[0] not in (None, "null") for r in rows)


def use_passphrase(passphrase: str | None) -> None:
    """The passphrase the person typed, for the store to use (this process only, never written)."""
    crypto.set_passphrase_provider(None if passphrase is None else (lambda _reason, _confirm: passphrase))


def is_wrong_passphrase(exc: BaseException) -> bool:
    return isinstance(exc, crypto.WrongPassphrase)


def is_key_lost(exc: BaseException) -> bool:
    return isinstance(exc, crypto.KeyLost)


def start_fresh(data_dir: Path | str) -> Path:
    """The key of this encrypted profile is lost: move its files aside (kept, never overwritten)
    into ``unreadable-<time>/`` and leave the folder for a new, empty profile. Returns the folder
    they went to. Refuses (KeyLost is not raised) when the key is actually there."""
    import datetime as dt

    data_dir = Path(data_dir)
    db = database_path(data_dir)
    if not crypto.is_encrypted_file(db):
        raise crypto.EncryptionError(_("This profile is not encrypted: there is no lost key to recover from."))
    try:
        crypto.existing_protection(data_dir, db)
    except crypto.KeyLost:
        pass
    else:
        raise crypto.EncryptionError(_("The key of this profile is there: nothing to recover from."))
    aside = data_dir / f"unreadable-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    crypto.set_aside(data_dir, aside)
    return aside
