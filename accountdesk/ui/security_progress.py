"""The progress of the one-time encryption of a plaintext profile at start (issue 14).

The store reports it (store/crypto.py: Progress) on the database lane's thread; ui/tasks.py brings
each report to the GUI thread, where :class:`EncryptionProgress` shows it in a progress dialog over
the window. The dialog appears with the first report (most starts have none: nothing to encrypt)
and closes when the profile is open or has failed to open. It has no Cancel: an encryption stopped
half-way keeps the plaintext file and is done again at the next start, so there is nothing to offer
but waiting.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from ..i18n import _


class EncryptionProgress:
    """``on_progress`` for the task that opens the profile; ``close()`` when that task ends."""

    def __init__(self, parent: QWidget | None):
        self.parent = parent
        self.dialog: QProgressDialog | None = None

    def __call__(self, done: int, total: int, message: str) -> None:
        if self.dialog is None:
            dialog = QProgressDialog(self.parent)
            dialog.setWindowTitle(_("Encrypting this profile"))
            dialog.setCancelButton(None)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(0)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.setMinimumWidth(460)
            self.dialog = dialog
        self.dialog.setRange(0, max(1, total))
        self.dialog.setLabelText(
            message
            + "\n"
            + _("This happens once, after an update; the data stays on this computer, encrypted.")
        )
        self.dialog.setValue(min(done, total))
        self.dialog.show()

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
