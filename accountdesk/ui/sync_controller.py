"""The main window's sync: status refresh, sign-in, sync now and automatically, the attachment
files after each sync, errors shown in words (a mixin of :class:`.main_window.MainWindow`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..i18n import _

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMainWindow as _WindowBase
    from PySide6.QtWidgets import QWidget

    from ..services.context import AppContext
    from ..services.sync_status import SyncStatus
    from ..sync.client import SyncEngine, SyncReport
    from ..sync.files import FileReport
    from ..sync.notify_api import NotifyClient
    from .alerts import AlertCenter
    from .applock import AppLock
    from .dialogs.login import LoginDialog
    from .settings import Settings
    from .tasks import CancelToken, ProgressCallback, TaskHandle, TaskManager
    from .widgets.sync_indicator import SyncIndicator
else:
    _WindowBase = object

log = logging.getLogger(__name__)


class SyncController(_WindowBase):
    """Drives the sync engine for the window (``ctx``, ``tasks``, ``settings``, ``sync_indicator``)."""

    # the main window's parts these methods use (MainWindow makes them)
    ctx: AppContext | None
    tasks: TaskManager
    settings: Settings | None
    pages: dict[str, QWidget]
    sync_indicator: SyncIndicator
    alerts: AlertCenter
    app_lock: AppLock
    sync_engine: SyncEngine | None
    _sync_handle: TaskHandle | None
    _files_handle: TaskHandle | None  # set by transfer_files
    _auto_sync_timer: QTimer
    _login_dialog: LoginDialog
    _connected: bool

    def refresh_sync_status(self) -> None:
        ctx = self.ctx
        if ctx is None:
            return

        def work() -> SyncStatus:
            from ..services.sync_status import sync_status

            return sync_status(ctx)

        self.tasks.run_db(
            work, on_result=self._show_sync_status, on_error=lambda exc: None, name="sync-status"
        )

    def _show_sync_status(self, status: SyncStatus) -> None:
        if self.ctx is None:  # the profile closed meanwhile
            return
        self.sync_indicator.show_status(status, self.ctx.today())
        self._connected = status.connected

    def sync_engine_class(self) -> type[SyncEngine] | None:
        from ..sync.client import SyncEngine

        return SyncEngine

    def _server_and_user(self) -> tuple[str, str]:
        status = self.sync_indicator.status
        url = (status.server_url if status is not None else "") or (
            self.settings.get("server_url") if self.settings else ""
        )
        user: str = self.settings.get("username") if self.settings else ""
        return url, user

    def notify_client(self) -> NotifyClient | None:
        """The server's notification calls for the signed-in user (None: no server or user yet)."""
        from ..sync.client import SyncEngine
        from ..sync.credentials import Credentials

        if self.sync_engine is None:
            url, user = self._server_and_user()
            if not url or not user or self.ctx is None:
                return None
            self.sync_engine = SyncEngine(self.ctx, url, Credentials(url, user))
        from ..sync.notify_api import NotifyClient

        return NotifyClient(self.sync_engine)

    def sync_now(self) -> None:
        from ..sync.client import SyncEngine
        from ..sync.credentials import Credentials
        from .dialogs.login import run_sync

        if self._sync_handle is not None:
            return
        url, user = self._server_and_user()
        if not url:
            self.statusBar().showMessage(_("Not connected: set your server in Settings, then sign in."), 8000)
            return
        if self.sync_engine is None and not user:
            self.sign_in()
            return
        if self.sync_engine is None:
            if self.ctx is None:  # no profile open yet
                return
            # no password: the refresh token in the keyring signs in; otherwise LoginRequired
            self.sync_engine = SyncEngine(self.ctx, url, Credentials(url, user))
        engine = self.sync_engine

        def work(token: CancelToken, progress: ProgressCallback) -> SyncReport:
            return run_sync(engine, token, progress)

        self.sync_indicator.set_syncing(True)
        self._sync_handle = self.tasks.run(
            work,
            on_result=self._sync_done,
            on_error=self._sync_failed,
            on_progress=self.sync_indicator.set_progress,
            on_finished=self._sync_finished,  # connected before the start: a quick sync cannot miss it
            name="sync",
        )

    def sign_in(self) -> None:
        """The login dialog; a successful sign-in is a first sync."""
        from .dialogs.login import LoginDialog

        dialog = LoginDialog(self.settings, self.tasks, self, ctx=self.ctx)
        dialog.signed_in.connect(lambda _url: self._signed_in(dialog))
        dialog.open()
        self._login_dialog = dialog

    def _signed_in(self, dialog: LoginDialog) -> None:
        if dialog.engine is not None:
            self.sync_engine = dialog.engine
            self._sync_done(None)
            self.app_lock.signed_in()
        self._configure_auto_sync()
        self.refresh_sync_status()

    def cancel_sync(self) -> None:
        if self._sync_handle is not None:
            self._sync_handle.cancel()
            self.statusBar().showMessage(_("Sync cancelled."), 5000)

    def _sync_done(self, result: SyncReport | None) -> None:
        if getattr(result, "cancelled", False):
            self.statusBar().showMessage(_("Sync cancelled."), 5000)
            return
        self.statusBar().showMessage(_("Sync finished."), 5000)
        for page in self.pages.values():
            refresh = getattr(page, "refresh", None)
            if refresh is not None:
                refresh()
        self.transfer_files()
        self.alerts.after_sync(self.sync_engine)  # the escalations the server sends to this person

    def transfer_files(self) -> TaskHandle | None:
        """Attachment files after the rows, on the pool: a long upload never holds up the next
        row sync. Progress shows in the status bar; the workspaces refresh when files arrive."""
        if self.sync_engine is None or getattr(self, "_files_handle", None) is not None:
            return None
        from ..sync.files import FileSync

        engine = self.sync_engine

        def work(token: CancelToken, progress: ProgressCallback) -> FileReport:
            return FileSync(engine).run(
                progress=lambda done, total, name: progress(done, total, name), cancel=token.event
            )

        def shown(done: int, total: int, name: str) -> None:
            if total:
                self.statusBar().showMessage(
                    _("Files: {percent}% ({name})").format(percent=done * 100 // total, name=name), 3000
                )

        def finished(report: FileReport) -> None:
            self._files_handle = None
            if report.failed:
                self.statusBar().showMessage(
                    _("Some files were not transferred: {error}").format(error=report.failed[0]["error"]),
                    10000,
                )
            if report.downloaded or report.uploaded or report.failed:
                for page in self.pages.values():
                    refresh = getattr(page, "refresh", None)
                    if refresh is not None:
                        refresh()

        def failed(exc: BaseException) -> None:
            self._files_handle = None
            self.statusBar().showMessage(
                _("Files were not transferred: {error}").format(error=getattr(exc, "message", exc)), 10000
            )

        handle = self.tasks.run(work, on_result=finished, on_error=failed, on_progress=shown, name="files")
        self._files_handle = handle
        return handle

    def _sync_failed(self, exc: BaseException) -> None:
        code = getattr(exc, "code", None)
        if (
            type(exc).__name__ == "LoginRequired"
            or code == "server_reinitialised"
            or getattr(exc, "field", None) == "server_url"
        ):
            # sign in again; join a re-initialised server again; allow (or fix) an http:// address
            self.sync_engine = None
            message: str = getattr(exc, "message", str(exc))
            self.statusBar().showMessage(message, 10000)
            self.sign_in()
            if code == "server_reinitialised":
                self._login_dialog.offer_rejoin(message)
            elif getattr(exc, "field", None) == "server_url":
                self._login_dialog.show_error("server_url", message)
            return
        self.statusBar().showMessage(_("Sync failed: {error}").format(error=exc), 10000)

    def _sync_finished(self) -> None:
        self._sync_handle = None
        self.sync_indicator.set_syncing(False)
        self.refresh_sync_status()

    def _configure_auto_sync(self) -> None:
        minutes = self.settings.get("sync_interval_min") if self.settings else 0
        if minutes and minutes > 0:
            self._auto_sync_timer.start(int(minutes) * 60_000)
        else:
            self._auto_sync_timer.stop()

    def _auto_sync(self) -> None:
        status = self.sync_indicator.status
        if status is not None and status.connected and self.sync_engine_class() is not None:
            self.sync_now()

    def _server_changed(self, _url: str) -> None:
        self._configure_auto_sync()
        self.refresh_sync_status()

    # -- desktop notifications ------------------------------------------------------------------------
