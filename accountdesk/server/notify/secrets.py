"""Channel secrets (SMTP password, webhook URLs with their keys, signing secrets) at rest.

They are stored only in the server's database, in ``srv_notify_channels.secret``, encrypted with
Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under a key derived from
``ACCOUNTDESK_SERVER_SECRET_KEY`` when that variable is set in the environment of every server
process and command. Without it they are stored encoded but not encrypted, protected only by
the database's own access rights, and the commands that store one say so. They are never
logged, never written to a file and never sent back by the CLI or the API.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from ..errors import ServerError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

ENV_KEY = "ACCOUNTDESK_SERVER_SECRET_KEY"
_FERNET = "fernet:"
_PLAIN = "plain:"


def _fernet() -> Fernet | None:
    key = os.environ.get(ENV_KEY)
    if not key:
        return None
    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypted() -> bool:
    """Whether secrets stored now are encrypted (a key is configured)."""
    return bool(os.environ.get(ENV_KEY))


def seal(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    box = _fernet()
    if box is None:
        return _PLAIN + base64.b64encode(raw).decode()
    return _FERNET + box.encrypt(raw).decode()


def unseal(text: str) -> dict[str, Any]:
    """The secret values of a channel; a :class:`ServerError` when they cannot be read (the key
    is missing or another one)."""
    values: dict[str, Any]  # what :func:`seal` stored
    if text.startswith(_PLAIN):
        values = json.loads(base64.b64decode(text[len(_PLAIN) :]))
        return values
    box = _fernet()
    if box is None:
        raise ServerError(500, "secret_key_missing", f"The channel's secrets are encrypted: set {ENV_KEY}.")
    from cryptography.fernet import InvalidToken

    try:
        values = json.loads(box.decrypt(text[len(_FERNET) :].encode()))
    except InvalidToken:
        raise ServerError(
            500, "secret_key_wrong", f"The channel's secrets do not open with this {ENV_KEY}."
        ) from None
    return values
