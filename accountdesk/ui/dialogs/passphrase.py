"""The passphrase of a profile (or of a backup), asked where the computer has no system keyring.

``confirm=True`` asks it twice (a passphrase being set now) and refuses two different entries or
one shorter than :data:`MIN_LENGTH`."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...i18n import _

MIN_LENGTH = 8


class PassphraseDialog(QDialog):
    def __init__(
        self, parent: QWidget | None = None, *, message: str, confirm: bool = False, title: str | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle(title or _("Passphrase"))
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        self.message = QLabel(message)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        form = QFormLayout()
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("Passphrase"), self.first)
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        if confirm:
            form.addRow(_("Again"), self.second)
        self._confirm = confirm
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("Error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.first.setFocus()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _accept(self) -> None:
        if self._confirm:
            if len(self.first.text()) < MIN_LENGTH:
                self.show_error(_("Use at least {n} characters.").format(n=MIN_LENGTH))
                return
            if self.first.text() != self.second.text():
                self.show_error(_("The two passphrases differ."))
                return
        elif not self.first.text():
            self.show_error(_("Enter the passphrase."))
            return
        self.accept()

    def passphrase(self) -> str:
        return self.first.text()


def ask_passphrase(
    parent: QWidget | None, message: str, *, confirm: bool = False, error: str | None = None
) -> str | None:
    """Modal; the passphrase, or None when cancelled."""
    dialog = PassphraseDialog(parent, message=message, confirm=confirm)
    if error:
        dialog.show_error(error)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.passphrase()
