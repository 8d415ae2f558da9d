"""Constants, errors and the report of the device's sync engine."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import AccountDeskError
from ...i18n import _
from .. import protocol as p
from ..lease import META_OFFLINE_DAYS, META_SERVER_CONTACT, META_SYNC_USER, META_UNLOCK_VERIFIER  # noqa: F401 - re-exported

log = logging.getLogger("accountdesk.sync")

META_CURSOR = "sync_cursor"
META_SCOPE = "sync_scope"
META_SNAPSHOT = "sync_snapshot"  # {"clients": [...], "upto": n, "after": token}
META_RESNAPSHOT = "sync_resnapshot"  # set while a fresh snapshot of the whole scope is due
#: [[outbox seq, cursor], ...]: outbox entries up to that seq were made when the device's cursor
#: was that (kept when clients left the scope while they still had pending edits)
META_HELD = "sync_held"
#: [[batch id, first outbox seq, last outbox seq], ...]: push batches claimed and not answered yet,
#: in the order they were claimed. A batch is every pending entry of its range that no older
#: version claimed by id: entries made later are numbered above every claimed range (so whatever
#: empties the outbox outside a push clears this too: sequence numbers start again).
META_BATCHES = "sync_push_batches"
META_SERVER_URL = "server_url"
META_SYNC_USERNAME = "sync_username"
META_CURRENT_USER = "current_user_id"
#: {old user id: server user id}: a profile used on its own before joining (or a server that was
#: re-initialised); its pending changes name the old user, who is the server user now (replaced
#: as batches are sent)
META_USER_ALIAS = "sync_user_alias"
META_INSECURE_OK = "sync_insecure_url"  # the http:// address the person allowed

#: consecutive pulled pages applied in one transaction: at most this many rows, or this long
GROUP_ROWS = 8000
GROUP_SECONDS = 0.5
#: pages (windows of a long pull) fetched ahead, side by side, while earlier ones are written
FETCH_AHEAD = 2
#: a pulled clock further ahead of our wall clock than this does not drag our clock along
MAX_AHEAD_MS = 5 * 60 * 1000


# -- errors (each with its own exit code for the command line) -------------------------------
class SyncError(AccountDeskError):
    exit_code = 1
    code = "sync_error"


class ServerUnreachable(SyncError):
    exit_code = 3
    code = "unreachable"


class LoginRequired(SyncError):
    exit_code = 4
    code = "login_required"


class UserDeactivated(SyncError):
    exit_code = 5
    code = p.E_USER_DEACTIVATED
    #: the server's farewell grant, when it sent one; ``left``: the farewell was made
    farewell: dict[str, Any] | None = None
    left: bool = False


class DeviceRevoked(SyncError):
    exit_code = 6
    code = p.E_DEVICE_REVOKED
    farewell: dict[str, Any] | None = None
    left: bool = False


class UpdateRequired(SyncError):
    exit_code = 7
    code = p.E_UPDATE_REQUIRED


class ServerReinitialised(SyncError):
    """The server no longer knows this profile's user (its database was re-initialised): join
    it again with ``rejoin=True`` (``accountdesk sync --rejoin``)."""

    exit_code = 8
    code = "server_reinitialised"


class DemoProfileRefused(SyncError):
    """A profile holding demo data tried to join a company server."""

    exit_code = 2
    code = "demo_profile"


class ResnapshotRequired(SyncError):
    """The pull cursor is older than the server's tombstone retention (handled by the engine)."""

    code = p.E_RESNAPSHOT


REJECT_TEXT = {
    p.R_NOT_ALLOWED: lambda: _("Your role may not make this change."),
    p.R_OUT_OF_SCOPE: lambda: _("This client is not (or no longer) one of yours."),
    p.R_UNKNOWN_ENTITY: lambda: _("The server does not know this kind of record; please update."),
    p.R_UNKNOWN_ROW: lambda: _("The record does not exist on the server."),
    p.R_INVALID: lambda: _("The server refused an invalid value."),
    p.R_CONFIDENTIAL: lambda: _("You may not change a confidential field."),
    p.R_SERVER_OWNED: lambda: _("Users are managed on the server."),
}


def reject_message(code: str | None, reason: str | None) -> str:
    text = REJECT_TEXT.get(code or "", lambda: _("The server refused this change."))()
    return f"{text} ({reason})" if reason else text


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0
    removed_clients: list[str] = field(default_factory=list)
    cancelled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "pushed": self.pushed,
            "pulled": self.pulled,
            "conflicts": self.conflicts,
            "rejected": self.rejected,
        }


Progress = Callable[[str, int, int | None], None]


class _Cancelled(Exception):
    pass


def _device_name() -> str:
    import platform

    return platform.node()[:200]


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


__all__ = [
    "reject_message",
    "_device_name",
    "_now_iso",
    "DemoProfileRefused",
    "DeviceRevoked",
    "FETCH_AHEAD",
    "GROUP_ROWS",
    "GROUP_SECONDS",
    "LoginRequired",
    "MAX_AHEAD_MS",
    "META_CURRENT_USER",
    "META_CURSOR",
    "META_HELD",
    "META_BATCHES",
    "META_INSECURE_OK",
    "META_OFFLINE_DAYS",
    "META_SERVER_CONTACT",
    "META_UNLOCK_VERIFIER",
    "META_RESNAPSHOT",
    "META_SCOPE",
    "META_SERVER_URL",
    "META_SNAPSHOT",
    "META_SYNC_USER",
    "META_SYNC_USERNAME",
    "META_USER_ALIAS",
    "Progress",
    "REJECT_TEXT",
    "ResnapshotRequired",
    "ServerReinitialised",
    "ServerUnreachable",
    "SyncError",
    "SyncReport",
    "UpdateRequired",
    "UserDeactivated",
    "_Cancelled",
]
