"""Alerts of the desktop app (issue 15, point 3), owned by the main window:

- the escalation of complaints on a timer, recorded as ordinary synced changes;
- alerts computed from this laptop's data every minute (a complaint's deadline nearing or passed,
  tasks due, a reminder ``visit_reminder_min`` minutes before a planned visit) and the escalations
  the server sends to this person, pulled after each sync (:mod:`accountdesk.services.alerts`:
  each raised once, remembered in the profile);
- each fresh alert shown once as a desktop notification through the system tray (skipped where
  there is none, e.g. offscreen) and kept in the bell's history.

Database work runs on the database lane, the server call on the pool; never on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon
from shiboken6 import isValid

from ..i18n import _
from ..paths import APP_NAME
from . import icons
from .widgets.bell import BellButton

if TYPE_CHECKING:
    from ..services.alerts import AlertView
    from ..services.context import AppContext
    from ..services.feedback import Escalation
    from ..sync.client import SyncEngine
    from .main_window import MainWindow
    from .tasks import TaskManager

log = logging.getLogger(__name__)

ESCALATION_CHECK_MS = 15 * 60_000
ALERT_CHECK_MS = 60_000
#: the first check waits for the screens to fill (they share the database lane)
FIRST_CHECK_MS = 2_000
#: pages of server alerts read after one sync (200 each)
SERVER_PAGES = 10


class AlertCenter(QObject):
    #: fresh alerts recorded (list of services.alerts.AlertView), after they were notified
    raised = Signal(list)

    def __init__(self, window: MainWindow, *, notifier: Callable[[str, str], None] | None = None) -> None:
        super().__init__(window)
        self.window = window
        #: tests (and the screenshots) receive ``(title, text)`` here instead of the tray
        self.notifier = notifier
        self.tray: QSystemTrayIcon | None = None
        self.bell = BellButton()
        self.bell.clicked.connect(self.show_history)
        self.bell.popup.alert_clicked.connect(self.open_alert)
        self.bell.popup.mark_all_requested.connect(self.mark_all_read)
        self._last_fresh: list[AlertView] = []
        # complaints nearing their deadline are escalated as ordinary synced changes
        self._escalation_timer = QTimer(self)
        self._escalation_timer.setInterval(ESCALATION_CHECK_MS)
        self._escalation_timer.timeout.connect(self.escalate_feedback)
        self._check_timer = QTimer(self)
        self._check_timer.setInterval(ALERT_CHECK_MS)
        self._check_timer.timeout.connect(self.check)
        self._first_check = QTimer(self)
        self._first_check.setSingleShot(True)
        self._first_check.setInterval(FIRST_CHECK_MS)
        self._first_check.timeout.connect(self.check)

    @property
    def ctx(self) -> AppContext | None:
        return self.window.ctx

    @property
    def tasks(self) -> TaskManager:
        return self.window.tasks

    def attach(self) -> None:
        """Start on the opened profile."""
        self._escalation_timer.start()
        self._check_timer.start()
        QTimer.singleShot(0, self.escalate_feedback)
        self._first_check.start()

    def retranslate(self) -> None:
        self.bell.retranslate()

    def _lead_minutes(self) -> int:
        from ..services.alerts import DEFAULT_VISIT_LEAD_MIN

        settings = self.window.settings
        value = settings.get("visit_reminder_min") if settings is not None else DEFAULT_VISIT_LEAD_MIN
        return int(value if value is not None else DEFAULT_VISIT_LEAD_MIN)

    # -- work ------------------------------------------------------------------------------------
    def escalate_feedback(self) -> None:
        """Record the escalation of complaints whose deadline nears (in the database lane)."""
        if self.ctx is None:
            return
        ctx = self.ctx

        def work() -> list[Escalation]:
            from ..services.feedback import escalate_due_feedback

            return escalate_due_feedback(ctx)

        def failed(exc: BaseException) -> None:
            log.warning("escalating due feedback failed: %s", exc)

        def done(made: list[Escalation]) -> None:
            if made:
                self.window.refresh_sync_status()

        self.tasks.run_db(
            work,
            on_result=done,
            on_error=failed,
            name="escalate-feedback",
        )

    def check(self) -> None:
        """Raise the alerts this laptop's data calls for now (database lane)."""
        if self.ctx is None or self._locked():
            return
        ctx, lead = self.ctx, self._lead_minutes()

        def work() -> tuple[list[AlertView], int]:
            from ..services import alerts

            fresh = alerts.raise_due(ctx, lead)
            return fresh, alerts.unread_count(ctx)

        self.tasks.run_db(
            work, on_result=self._shown, on_error=lambda exc: log.warning("alerts: %s", exc), name="alerts"
        )

    def after_sync(self, engine: SyncEngine | None) -> None:
        """Pull the alerts the server sends to this person (pool), record them (database lane)."""
        if engine is None or self.ctx is None:
            return
        ctx = self.ctx

        def cursor() -> int:
            from ..services.alerts import server_cursor

            return server_cursor(ctx)

        def fetch(after: int) -> list[dict[str, Any]]:
            from ..sync.notify_api import NotifyClient

            client = NotifyClient(engine)
            answers: list[dict[str, Any]] = []
            for _page in range(SERVER_PAGES):
                answer = client.alerts(after)
                answers.append(answer)
                after = int(answer.get("next") or after)
                if not answer.get("more"):
                    break
            return answers

        def record(answers: list[dict[str, Any]]) -> None:
            def work() -> tuple[list[AlertView], int]:
                from ..services import alerts

                fresh = [a for answer in answers for a in alerts.record_server_alerts(ctx, answer)]
                return fresh, alerts.unread_count(ctx)

            self.tasks.run_db(work, on_result=self._shown, on_error=failed, name="alerts-record")

        def failed(exc: BaseException) -> None:
            log.warning("server alerts not read: %s", getattr(exc, "message", exc))

        def pull(after: int) -> None:
            self.tasks.run(lambda: fetch(after), on_result=record, on_error=failed, name="alerts-pull")

        self.tasks.run_db(
            cursor,
            on_result=pull,
            on_error=failed,
            name="alerts-cursor",
        )

    def _alive(self) -> bool:
        """The window still there (a result may arrive after it closed)."""
        return isValid(self.bell) and isValid(self.window)

    def _shown(self, result: tuple[list[AlertView], int]) -> None:
        if not self._alive():
            return
        fresh, unread = result
        self.bell.set_unread(unread)
        if not fresh:
            return
        self._last_fresh = fresh
        if self._locked():  # nothing of a client on a locked screen
            self.notify(_("New alerts"), _("Unlock AccountDesk to read them."))
        elif len(fresh) == 1:
            self.notify(fresh[0].title, fresh[0].text)
        else:
            self.notify(
                _("{n} new alerts").format(n=len(fresh)),
                "\n".join(f"{a.title} · {a.text.splitlines()[0]}" for a in fresh[:4]),
            )
        if self.bell.popup.isVisible():
            self.show_history()
        self.raised.emit(fresh)

    # -- the bell -------------------------------------------------------------------------------
    def show_history(self) -> None:
        """The bell's popup with the person's alerts (read on the database lane); nothing while
        the app is locked (client names)."""
        if self.ctx is None or self._locked():
            return
        ctx = self.ctx

        def work() -> list[AlertView]:
            from ..services import alerts

            return alerts.history(ctx)

        def show(history: list[AlertView]) -> None:
            if self._alive() and not self._locked():
                self.bell.show_history(history)

        self.tasks.run_db(
            work,
            on_result=show,
            on_error=lambda exc: None,
            name="alerts-history",
        )

    def open_alert(self, alert: AlertView) -> None:
        """Open the alert's client on its record's tab, and count it read."""
        if alert.client_id:
            self.window.open_item(alert.client_id, alert.entity, alert.row_id)
        self._mark_read([alert.key])

    def mark_all_read(self) -> None:
        self._mark_read(None)
        self.bell.popup.hide()

    def _mark_read(self, keys: list[str] | None) -> None:
        ctx = self.ctx
        if ctx is None:
            return

        def work() -> int:
            from ..services import alerts

            alerts.mark_read(ctx, keys)
            return alerts.unread_count(ctx)

        def show(unread: int) -> None:
            if self._alive():
                self.bell.set_unread(unread)

        self.tasks.run_db(
            work,
            on_result=show,
            on_error=lambda exc: None,
            name="alerts-read",
        )

    # -- the desktop notification ------------------------------------------------------------------
    def notify(self, title: str, text: str) -> None:
        """One desktop notification (the tray's balloon; nothing where there is no tray)."""
        if self.notifier is not None:
            self.notifier(title, text)
            return
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            self.tray = QSystemTrayIcon(icons.app_icon(), self.window)
            self.tray.setToolTip(APP_NAME)
            self.tray.messageClicked.connect(self._notification_clicked)
            self.tray.show()
        self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)

    def _notification_clicked(self) -> None:
        window = self.window
        window.showNormal()
        window.raise_()
        if len(self._last_fresh) == 1:
            self.open_alert(self._last_fresh[0])
        else:
            self.show_history()

    def _locked(self) -> bool:
        lock = getattr(self.window, "app_lock", None)
        return lock is not None and lock.locked is not None

    def close(self) -> None:
        self._escalation_timer.stop()
        self._check_timer.stop()
        self._first_check.stop()
        if self.tray is not None:
            self.tray.hide()
