"""The lock screen: client data hidden behind a sign-in.

Two reasons: the window was idle for the minutes chosen in Settings (unlocked by the password of
the OS account where the platform offers a check, the password of the last sign-in on this
computer, checked offline against its hash, or the profile's passphrase; else by signing in), or the offline lease of a company profile ran out (unlocked only by signing
in to the server again)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ...i18n import _

IDLE, LEASE = "idle", "lease"


class LockScreen(QWidget):
    unlock_requested = Signal(str)
    sign_in_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("LockScreen")
        self.reason = IDLE
        self._offline = True
        self._os_account = False
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        box = QWidget()
        box.setFixedWidth(440)  # word-wrapped labels need a width to compute their height
        layout = QVBoxLayout(box)
        self.title = QLabel()
        self.title.setObjectName("PageTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.text)
        row = QHBoxLayout()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self._unlock)
        self.unlock_button = QPushButton()
        self.unlock_button.setObjectName("Primary")
        self.unlock_button.clicked.connect(self._unlock)
        row.addWidget(self.password, 1)
        row.addWidget(self.unlock_button)
        layout.addLayout(row)
        self.error = QLabel()
        self.error.setObjectName("Error")
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.hide()
        layout.addWidget(self.error)
        self.sign_in_button = QPushButton()
        self.sign_in_button.clicked.connect(self.sign_in_requested)
        layout.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignCenter)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(box)
        centred.addStretch(1)
        outer.addLayout(centred)
        outer.addStretch(3)
        self.retranslate()

    def set_reason(self, reason: str, *, offline: bool, os_account: bool = False) -> None:
        """``offline``: a password can be checked on this computer (else only a sign-in unlocks);
        ``os_account``: the OS account's password is one of them."""
        self.reason, self._offline, self._os_account = reason, offline, os_account
        self.password.clear()
        self.error.hide()
        password = reason == IDLE and offline
        self.password.setVisible(password)
        self.unlock_button.setVisible(password)
        self.retranslate()
        if password:
            self.password.setFocus()

    def set_checking(self, checking: bool) -> None:
        """While a password is checked (a wrong one takes seconds): no second try, no stale error."""
        self.password.setEnabled(not checking)
        self.unlock_button.setEnabled(not checking)
        if checking:
            self.error.hide()
        else:
            self.password.setFocus()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.password.selectAll()

    def _unlock(self) -> None:
        self.unlock_requested.emit(self.password.text())

    def retranslate(self) -> None:
        self.title.setText(_("AccountDesk is locked"))
        if self.reason == LEASE:
            self.text.setText(
                _(
                    "This computer has not reached the company's server for too long: its company data "
                    "stays locked until you sign in again."
                )
            )
        elif self._offline and self._os_account:
            self.text.setText(
                _(
                    "The window was locked after a while without use. Enter the password of your account "
                    "on this computer, or your AccountDesk password, to go on."
                )
            )
        elif self._offline:
            self.text.setText(
                _("The window was locked after a while without use. Enter your password to go on.")
            )
        else:
            self.text.setText(_("The window was locked after a while without use. Sign in to go on."))
        self.password.setPlaceholderText(_("Password"))
        self.unlock_button.setText(_("Unlock"))
        self.sign_in_button.setText(_("Sign in…"))
