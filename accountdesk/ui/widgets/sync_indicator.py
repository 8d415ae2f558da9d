"""The status-bar sync indicator: online/offline, pending changes, last sync, errors, conflicts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from ...i18n import _
from .. import icons, style

if TYPE_CHECKING:
    from ...services.sync_status import SyncStatus


def format_when(when: dt.datetime | None, today: dt.date) -> str:
    if when is None:
        return _("never")
    local = when.astimezone()
    if local.date() == today:
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


class SyncIndicator(QWidget):
    sync_requested = Signal()
    cancel_requested = Signal()
    conflicts_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(10)
        self.state_icon = QLabel()
        self.state_label = QLabel()
        self.pending_label = QLabel()
        self.pending_label.setObjectName("Muted")
        self.error_label = QLabel()
        self.error_label.setObjectName("Error")
        self.conflicts_button = QToolButton()
        self.conflicts_button.setObjectName("Link")
        self.conflicts_button.setIcon(icons.icon("conflict", style.WARNING))
        self.conflicts_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.conflicts_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.conflicts_button.clicked.connect(self.conflicts_clicked)
        self.progress = QProgressBar()
        self.progress.setFixedWidth(120)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.sync_button = QToolButton()
        self.sync_button.setIcon(icons.icon("sync"))
        self.sync_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.sync_button.setAutoRaise(True)
        self.sync_button.clicked.connect(self._clicked)
        for w in (
            self.state_icon,
            self.state_label,
            self.pending_label,
            self.error_label,
            self.conflicts_button,
        ):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(self.progress)
        layout.addWidget(self.sync_button)
        self.syncing = False
        self.status: SyncStatus | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.sync_button.setText(_("Cancel") if self.syncing else _("Sync now"))
        self.sync_button.setToolTip(_("Send your changes to the server and receive your colleagues' (F5)"))
        if self.status is not None:
            self.show_status(self.status, self._today)

    def _clicked(self) -> None:
        if self.syncing:
            self.cancel_requested.emit()
        else:
            self.sync_requested.emit()

    def set_syncing(self, syncing: bool) -> None:
        self.syncing = syncing
        self.progress.setVisible(syncing)
        self.progress.setRange(0, 0)
        self.sync_button.setIcon(icons.icon("cancel" if syncing else "sync"))
        self.retranslate()
        if syncing:
            self.state_label.setText(_("Syncing…"))

    def set_progress(self, done: int, total: int, message: str = "") -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        if message:
            self.progress.setToolTip(message)

    def show_status(self, status: SyncStatus, today: dt.date) -> None:
        self.status = status
        self._today = today
        if not status.connected:
            self.state_icon.setPixmap(icons.pixmap("offline", 16, style.TEXT_MUTED, self.devicePixelRatioF()))
            state = _("Not connected to a server")
        elif status.online:
            self.state_icon.setPixmap(icons.pixmap("online", 16, style.SUCCESS, self.devicePixelRatioF()))
            state = _("Online · last sync {when}").format(when=format_when(status.last_sync_at, today))
        else:
            self.state_icon.setPixmap(icons.pixmap("offline", 16, style.WARNING, self.devicePixelRatioF()))
            state = _("Offline · last sync {when}").format(when=format_when(status.last_sync_at, today))
        if not self.syncing:
            self.state_label.setText(state)
        if status.pending:
            self.pending_label.setText(
                (_("{n} pending change") if status.pending == 1 else _("{n} pending changes")).format(
                    n=status.pending
                )
            )
        else:
            self.pending_label.setText(_("All changes saved") if not status.connected else _("Synced"))
        errors = []
        if status.rejected:
            errors.append(
                (
                    _("{n} change refused by the server")
                    if status.rejected == 1
                    else _("{n} changes refused by the server")
                ).format(n=status.rejected)
            )
        if status.last_error:
            errors.append(_("Last sync failed"))
        self.error_label.setText(" · ".join(errors))
        self.error_label.setToolTip(status.last_error or "")
        self.error_label.setVisible(bool(errors))
        self.conflicts_button.setText(
            (_("{n} conflict to review") if status.conflicts == 1 else _("{n} conflicts to review")).format(
                n=status.conflicts
            )
        )
        self.conflicts_button.setVisible(status.conflicts > 0)
