"""The key of an encrypted profile (split off :mod:`.crypto`, issue 17; every name here is still
importable from there): the errors of encryption, whether the keyring or plaintext is used, asking
for a passphrase, the key in the OS keyring and the Argon2id key of a passphrase."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import threading
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


#: The keyring backend found usable in this process (its ``priority`` asks the Secret Service over
#: D-Bus each time it is read: a new connection and a round trip, several milliseconds at every start)
_usable_backend: Any = None


def keyring_usable() -> bool:
    """True when a real keyring backend is there (not the fail/null/plain-file ones)."""
    global _usable_backend
    if os.environ.get("ACCOUNTDESK_NO_KEYRING") == "1":
        return False
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - no keyring at all
        return False
    if backend is _usable_backend:
        return True  # probed already (a keyring that goes away later fails its lookup: EncryptionError)
    if isinstance(backend, fail.Keyring):
        return False
    name = type(backend).__module__ + "." + type(backend).__name__
    if any(bad in name.lower() for bad in ("null", "plaintext", "fail")):
        return False
    try:
        usable = backend.priority > 0
    except Exception:  # noqa: BLE001
        return False
    if usable:
        _usable_backend = backend
    return bool(usable)


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


class KeyLookup:
    """The key of a keyring-encrypted profile looked up on a thread of its own, started as early as
    the app starts (ui/app.py, through services.security.start_key_lookup): the lookup (the
    keyring's backends found, then a few D-Bus round trips to the Secret Service) overlaps the
    building of the window instead of delaying the profile's opening after it. The key stays in
    this object's memory until the store takes it (:func:`take_key_lookup`); never in a file."""

    def __init__(self, profile_id: str):
        self.profile_id = profile_id
        self._done = threading.Event()
        self._key: bytes | None = None
        self._failed = False
        self._thread = threading.Thread(target=self._run, name="key-lookup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._key = keyring_get(self.profile_id) if keyring_usable() else None
        except Exception:  # noqa: BLE001 - the opening looks the key up again and says why
            self._failed = True
        finally:
            self._done.set()

    def wait(self, timeout: float = 30.0) -> bool:
        """True once the lookup has finished."""
        return self._done.wait(timeout)

    def result(self, timeout: float = 30.0) -> tuple[bool, bytes | None]:
        """``(found, key)``: ``found`` is False when the lookup failed or did not finish in time
        (the caller then looks the key up itself, raising what it raises)."""
        if not self._done.wait(timeout) or self._failed:
            return False, None
        key, self._key = self._key, None  # handed over once
        return True, key


_lookups: dict[str, KeyLookup] = {}
_lookups_lock = threading.Lock()


def start_key_lookup(profile_id: str) -> None:
    """Start looking up the key of ``profile_id`` in the keyring (see :class:`KeyLookup`)."""
    with _lookups_lock:
        if profile_id not in _lookups:
            _lookups[profile_id] = KeyLookup(profile_id)


def take_key_lookup(profile_id: str) -> KeyLookup | None:
    """The lookup started for ``profile_id`` (removed: one opening takes it), or None."""
    with _lookups_lock:
        return _lookups.pop(profile_id, None)


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
