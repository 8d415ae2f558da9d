"""The app lock of the main window (issue 14, points 5 and 6).

- Idle: after the minutes chosen in Settings (default 15 for a company profile, never for a profile
  used on its own) without a key press or mouse use, the window shows the lock screen instead of
  client data (menus, navigation and open dialogs hidden). The password of the OS account unlocks
  it where the platform offers a check (PAM, LogonUser: services/os_password.py), and the password
  of the last sign-in on this computer, checked offline against its Argon2id hash; a passphrase
  profile's passphrase too; else signing in again. The check runs off the GUI thread.
- Offline lease: a company profile that has not reached its server for the lease's days opens
  locked; only a sign-in to the server unlocks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from ..i18n import _
from ..services import security
from .dialogs.lock import IDLE, LEASE, LockScreen

if TYPE_CHECKING:
    from .main_window import MainWindow

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class AppLock(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.screen = LockScreen()
        window.stack.addWidget(self.screen)
        self.screen.unlock_requested.connect(self.try_unlock)
        self.screen.sign_in_requested.connect(window.sign_in)
        self.locked: str | None = None
        self._before: QWidget | None = None
        self._hidden: list[QDialog] = []
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lambda: self.lock(IDLE))
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    # -- configuration --------------------------------------------------------------------------
    def minutes(self) -> int:
        if self.window.ctx is None:
            return 0
        setting = self.window.settings.get("lock_minutes") if self.window.settings else -1
        return security.lock_minutes(self.window.ctx, setting)

    def configure(self) -> None:
        """(Re)start the idle timer from the Settings; lock at once when the offline lease ran out."""
        minutes = self.minutes()
        if minutes > 0:
            self.timer.start(minutes * 60_000)
        else:
            self.timer.stop()
        if self.window.ctx is not None and self.locked is None and security.lease(self.window.ctx)["expired"]:
            self.lock(LEASE)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in _ACTIVITY and self.locked is None and self.timer.isActive():
            self.timer.start()  # same interval: idle time starts again
        return False

    # -- locking --------------------------------------------------------------------------------
    def lock(self, reason: str) -> None:
        ctx = self.window.ctx
        if ctx is None:
            return
        if self.locked is None:
            self._before = self.window.stack.currentWidget()
            self._hidden = [d for d in self.window.findChildren(QDialog) if d.isVisible()]
            for dialog in self._hidden:
                dialog.hide()
        self.locked = reason if self.locked != LEASE else LEASE
        self.timer.stop()
        self.screen.set_reason(
            self.locked, offline=security.can_unlock_offline(ctx), os_account=security.os_password_available()
        )
        self.window.stack.setCurrentWidget(self.screen)
        self.window.nav.setEnabled(False)
        self.window.menuBar().setEnabled(False)

    def unlock(self) -> None:
        if self.locked is None:
            return
        self.locked = None
        self.window.nav.setEnabled(True)
        self.window.menuBar().setEnabled(True)
        if self._before is not None and self._before is not self.screen:
            self.window.stack.setCurrentWidget(self._before)
        for dialog in self._hidden:
            dialog.show()
        self._hidden = []
        self.configure()

    def try_unlock(self, password: str) -> None:
        """Check the password off the GUI thread (the OS account's check waits seconds on a wrong
        one, as a sign-in does); the screen stays locked meanwhile."""
        if self.locked != IDLE or not password:
            self.screen.show_error(_("Wrong password."))
            return
        ctx = self.window.ctx
        if ctx is None:  # nothing is locked without a profile
            return
        self.screen.set_checking(True)

        def checked(ok: bool) -> None:
            self.screen.set_checking(False)
            if ok and self.locked == IDLE:
                self.unlock()
            elif self.locked is not None:
                self.screen.show_error(_("Wrong password."))

        self.window.tasks.run(
            lambda: security.unlock(ctx, password),
            on_result=checked,
            on_error=lambda _exc: checked(False),
            name="unlock",
        )

    def signed_in(self) -> None:
        """A sign-in to the server succeeded: it unlocks either lock (the lease starts again), and a
        profile that just joined a company server takes the company's idle default."""
        if self.locked is None:
            self.configure()
        elif self.window.ctx is not None and not security.lease(self.window.ctx)["expired"]:
            self.unlock()

    def retranslate(self) -> None:
        self.screen.retranslate()
