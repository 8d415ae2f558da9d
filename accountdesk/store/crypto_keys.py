"""The key of an encrypted profile (split off :mod:`.crypto`, issue 17; every name here is still
importable from there): the errors of encryption, whether the keyring or plaintext is used, asking
for a passphrase, the key in the OS keyring and the Argon2id key of a passphrase."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Callable
from typing import Any

from ..errors import AccountDeskError
from ..i18n import _

KEYRING_SERVICE = "AccountDesk"
KEY_BYTES = 32
#: Argon2id costs for a passphrase (RFC 9106's second recommended option, 64 MiB).
ARGON2 = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}


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
