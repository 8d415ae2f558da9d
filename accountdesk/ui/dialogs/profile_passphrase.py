"""Ask the passphrase of an encrypted profile (where the computer has no system keyring): at
start, and when a company profile is encrypted before its first pull."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...i18n import _
from .passphrase import ask_passphrase

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


def ask_profile_passphrase(parent: QWidget | None, need: str, *, error: str | None = None) -> bool:
    """Ask the profile's passphrase (twice when it is being set now); False when cancelled."""
    from ...services import security

    if need == security.NEW:
        message = _(
            "This computer has no system keyring to keep the key of this company profile. Choose a "
            "passphrase: the profile is encrypted with it, and AccountDesk asks for it at every start."
        )
    else:
        message = _("This profile is encrypted with a passphrase. Enter it to open the profile.")
    passphrase = ask_passphrase(parent, message, confirm=need == security.NEW, error=error)
    if passphrase is None:
        return False
    security.use_passphrase(passphrase)
    return True
