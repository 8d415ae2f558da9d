"""Where the device keeps its login: the refresh token lives in the OS keyring and nowhere else.

On a machine without a usable keyring backend nothing is stored: :attr:`Credentials.keyring_ok`
is False, the front end says so, and the password is asked for at every sync.

Beside it, the device key: a secret the laptop makes once and sends with every password login.
The server remembers it (hashed) for this device, and a login that carries it — the user's own
laptop — passes a lockout that someone else's failed attempts caused.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

log = logging.getLogger("accountdesk.sync")

SERVICE = "AccountDesk"


def keyring_usable() -> bool:
    """True when a real keyring backend is there (not the fail/null/plain-file ones)."""
    from ..store.crypto_keys import keyring_usable as usable

    return usable()


class Credentials:
    """The login of one user on one server. ``password`` is a callable asked only when no
    refresh token works (a GUI dialog, ``--password-stdin``, or a test)."""

    def __init__(
        self,
        server_url: str,
        username: str,
        *,
        password: Callable[[], str | None] | str | None = None,
        use_keyring: bool | None = None,
    ):
        self.server_url = server_url.rstrip("/")
        self.username = username
        self._password = password
        self.keyring_ok = keyring_usable() if use_keyring is None else use_keyring
        self._memory_token: str | None = None  # this process only, never written anywhere
        self._memory_key: str | None = None

    @property
    def _key(self) -> str:
        return f"{self.server_url}|{self.username}"

    def password(self) -> str | None:
        if callable(self._password):
            return self._password()
        return self._password

    def refresh_token(self) -> str | None:
        if self._memory_token:
            return self._memory_token
        if not self.keyring_ok:
            return None
        try:
            import keyring

            return keyring.get_password(SERVICE, self._key)
        except Exception:  # noqa: BLE001 - a locked or broken keyring: log in again
            log.warning("could not read the keyring", exc_info=True)
            return None

    def save_refresh_token(self, token: str) -> None:
        self._memory_token = token
        if not self.keyring_ok:
            return
        try:
            import keyring

            keyring.set_password(SERVICE, self._key, token)
        except Exception:  # noqa: BLE001
            log.warning("could not write the keyring", exc_info=True)

    def forget(self) -> None:
        self._memory_token = None
        if not self.keyring_ok:
            return
        try:
            import keyring

            keyring.delete_password(SERVICE, self._key)
        except Exception:  # noqa: BLE001 - nothing stored
            pass

    def device_key(self) -> str:
        """This laptop's key for this server and user, made at the first login."""
        if self._memory_key:
            return self._memory_key
        key = None
        if self.keyring_ok:
            try:
                import keyring

                key = keyring.get_password(SERVICE, self._key + "|device-key")
                if not key:
                    key = secrets.token_urlsafe(32)
                    keyring.set_password(SERVICE, self._key + "|device-key", key)
            except Exception:  # noqa: BLE001 - a broken keyring: a key for this process only
                log.warning("could not keep the device key in the keyring", exc_info=True)
                key = None
        self._memory_key = key or secrets.token_urlsafe(32)
        return self._memory_key
