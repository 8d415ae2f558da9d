"""The sync engine of a command: the server and user from the arguments or the profile, the
password from standard input or a terminal. Used by ``sync``, ``files sync``, ``history --server``
and ``calendar-feed``."""

from __future__ import annotations

import getpass
import sys
from argparse import Namespace
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..i18n import _
from ..sync.address import check_server_url, is_insecure
from .common import CLIError

if TYPE_CHECKING:
    from ..services.context import AppContext
    from ..sync.client import SyncEngine


def password_source(args: Namespace) -> Callable[[], str | None]:
    """Read the password once from stdin (``--password-stdin``), else ask on a terminal."""
    cache: dict[str, str | None] = {}

    def get() -> str | None:
        if "pw" not in cache:
            if getattr(args, "password_stdin", False):
                cache["pw"] = sys.stdin.readline().rstrip("\r\n") or None
            elif sys.stdin.isatty():
                cache["pw"] = getpass.getpass(_("Password: ")) or None
            else:
                cache["pw"] = None
        return cache["pw"]

    return get


def make_engine(ctx: AppContext, args: Namespace) -> SyncEngine:
    """The sync engine for this profile: server and user from the arguments or the profile."""
    from ..sync.changes import get_meta
    from ..sync.client import META_INSECURE_OK, META_SERVER_URL, META_SYNC_USERNAME, SyncEngine
    from ..sync.credentials import Credentials

    with ctx.read() as session:
        url = getattr(args, "server", None) or get_meta(session, META_SERVER_URL)
        user = getattr(args, "user", None) or get_meta(session, META_SYNC_USERNAME)
    if not url or not user:
        raise CLIError(
            _("This profile has no sync server yet: give --server URL and --user NAME."), exit_code=2
        )
    allow = getattr(args, "allow_insecure", False)
    with ctx.read() as session:
        allow = allow or get_meta(session, META_INSECURE_OK) == url.strip().rstrip("/")
    try:
        check_server_url(url, allow_insecure=allow)
    except ValidationError as exc:
        hint = " " + _("Give --allow-insecure to connect anyway.") if is_insecure(url) else ""
        raise ValidationError("server", exc.message + hint) from None
    creds = Credentials(url, user, password=password_source(args))
    engine = SyncEngine(
        ctx,
        url,
        creds,
        allow_insecure=allow,
        rejoin=getattr(args, "rejoin", False),
        start_clean=getattr(args, "start_clean", False),
        include_demo_data=getattr(args, "include_demo_data", False),
    )
    if not creds.keyring_ok:
        sys.stderr.write(
            _(
                "No keyring is available on this computer: the login cannot be remembered, so the password is asked for at every sync."
            )
            + "\n"
        )
    return engine
