"""Alerts of the desktop app: the escalation of complaints on a timer (recorded as ordinary
synced changes) and desktop notifications through the system tray (skipped where there is none,
e.g. offscreen). Owned by the main window; work on the database lane, never the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QSystemTrayIcon

from ..i18n import _
from ..paths import APP_NAME
from . import icons

log = logging.getLogger(__name__)

ESCALATION_CHECK_MS = 15 * 60_000


class AlertCenter(QObject):
    def __init__(self, window, *, notifier: Callable[[str, str], None] | None = None):
        super().__init__(window)
        self.window = window
        #: tests (and the screenshots) receive ``(title, text)`` here instead of the tray
        self.notifier = notifier
        self.tray: QSystemTrayIcon | None = None
        # complaints nearing their deadline are escalated as ordinary synced changes
        self._escalation_timer = QTimer(self)
        self._escalation_timer.setInterval(ESCALATION_CHECK_MS)
        self._escalation_timer.timeout.connect(self.escalate_feedback)

    @property
    def ctx(self):
        return self.window.ctx

    def attach(self) -> None:
        """Start on the opened profile."""
        self._escalation_timer.start()
        QTimer.singleShot(0, self.escalate_feedback)

    def escalate_feedback(self) -> None:
        """Record the escalation of complaints whose deadline nears (in the database lane)."""
        if self.ctx is None:
            return
        ctx = self.ctx

        def work():
            from ..services.feedback import escalate_due_feedback

            return escalate_due_feedback(ctx)

        def failed(exc: BaseException) -> None:
            log.warning("escalating due feedback failed: %s", exc)

        self.window.tasks.run_db(
            work,
            on_result=lambda made: made and self.window.refresh_sync_status(),
            on_error=failed,
            name="escalate-feedback",
        )

    def notify_due_items(self, items: list) -> None:
        """Raise one desktop notification for due items not notified before (remembered)."""
        settings = self.window.settings
        if settings is None:
            return
        seen = set(settings.get("notified_items"))
        fresh = [i for i in items if _notify_key(i) not in seen]
        if not fresh:
            return
        if len(fresh) == 1:
            title = _("Due: {title}").format(title=fresh[0].title)
            text = fresh[0].client_name
        else:
            title = _("{n} items are due").format(n=len(fresh))
            text = "\n".join(f"{i.client_name}: {i.title}" for i in fresh[:4])
        self.notify(title, text)
        keep = list(seen | {_notify_key(i) for i in fresh})
        settings.set("notified_items", keep[-2000:])

    def notify(self, title: str, text: str) -> None:
        """One desktop notification (the tray's balloon; nothing where there is no tray)."""
        if self.notifier is not None:
            self.notifier(title, text)
            return
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            window = self.window
            self.tray = QSystemTrayIcon(icons.app_icon(), window)
            self.tray.setToolTip(APP_NAME)
            self.tray.messageClicked.connect(
                lambda: (window.showNormal(), window.raise_(), window.show_page("today"))
            )
            self.tray.show()
        self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)

    def close(self) -> None:
        self._escalation_timer.stop()
        if self.tray is not None:
            self.tray.hide()


def _notify_key(item) -> str:
    return f"{item.entity}:{item.row_id}:{item.due}"
