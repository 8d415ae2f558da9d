"""The sync server's address as a person types it: https:// is required, except to this computer
itself (``http://localhost``, ``http://127.0.0.1``) or when the person explicitly allows an
unencrypted connection (``--allow-insecure``, a tick in the sign-in dialog): over plain http://
the password, the tokens and every client's data cross the network readable by anyone on the way.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ..errors import ValidationError
from ..i18n import _

FIELD = "server_url"


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_insecure(url: str) -> bool:
    """True for an http:// address of another computer."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() == "http" and not is_loopback(parts.hostname or "")


def check_server_url(url: str, *, allow_insecure: bool = False) -> str:
    """The address without a trailing slash, or :class:`ValidationError` on ``server_url``."""
    url = url.strip().rstrip("/")
    if not url:
        raise ValidationError(FIELD, _("Enter the server address, e.g. https://accountdesk.example.com"))
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise ValidationError(
            FIELD, _("The server address starts with https://, e.g. https://accountdesk.example.com")
        )
    if is_insecure(url) and not allow_insecure:
        raise ValidationError(
            FIELD,
            _(
                "{url} is not encrypted (http://): your password and your clients' data would cross "
                "the network readable by anyone on the way. Use https://, or allow an unencrypted "
                "connection only on a network you trust."
            ).format(url=url),
        )
    return url
