"""First start without a profile: open the demo, connect to a server, or start empty."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
)

from ...i18n import _
from .. import icons, style

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ...sync.client import SyncEngine
    from ..settings import Settings
    from ..tasks import CancelToken, ProgressCallback, TaskHandle, TaskManager
    from .login import LoginDialog

log = logging.getLogger(__name__)

DEMO_CLIENTS = 200


def demo_generator() -> Callable[..., Any] | None:
    """``accountdesk.services.demo.generate_demo`` if installed, else None."""
    try:
        from ...services import demo
    except ImportError:
        return None
    generate: Callable[..., Any] | None = getattr(demo, "generate_demo", None)
    return generate


def _choice_button(icon: str, title: str, text: str) -> QPushButton:
    button = QPushButton()
    button.setObjectName("Choice")
    button.setIcon(icons.icon(icon, style.ACCENT))
    button.setIconSize(QSize(28, 28))
    button.setText(f"{title}\n{text}")
    button.setMinimumHeight(72)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


class FirstStartDialog(QDialog):
    """On acceptance ``ctx`` holds the opened profile."""

    def __init__(
        self,
        data_dir: Path,
        tasks: TaskManager,
        settings: Settings | None,
        parent: QWidget | None = None,
        *,
        demo_clients: int = DEMO_CLIENTS,
    ) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self._tasks = tasks
        self._settings = settings
        self._demo_clients = demo_clients
        self.ctx: AppContext | None = None
        self.engine: SyncEngine | None = None
        self._handle: TaskHandle | None = None
        self.setWindowTitle(_("Welcome to AccountDesk"))
        self.setWindowIcon(icons.app_icon())
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        head = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(48, 48))
        head.addWidget(logo)
        titles = QVBoxLayout()
        title = QLabel(_("Welcome to AccountDesk"))
        title.setObjectName("PageTitle")
        subtitle = QLabel(_("Your key clients, visits, service and feedback — also offline."))
        subtitle.setObjectName("Hint")
        titles.addWidget(title)
        titles.addWidget(subtitle)
        head.addLayout(titles, 1)
        layout.addLayout(head)
        layout.addSpacing(6)

        self.demo_button = _choice_button(
            "demo",
            _("Open the demo"),
            _("Explore with {n} sample clients. Nothing is sent anywhere.").format(n=demo_clients),
        )
        self.demo_button.clicked.connect(self.open_demo)
        self.connect_button = _choice_button(
            "server",
            _("Connect to a server"),
            _("Sign in to your company's AccountDesk server to get your clients."),
        )
        self.connect_button.clicked.connect(self.connect_server)
        layout.addWidget(self.demo_button)
        layout.addWidget(self.connect_button)
        if demo_generator() is None:
            self.demo_button.setEnabled(False)
            self.demo_button.setToolTip(_("The demo is not available in this version."))

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.setObjectName("Hint")
        self.progress_label.hide()
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        self.error_label = QLabel()
        self.error_label.setObjectName("Error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        foot = QHBoxLayout()
        self.empty_button = QToolButton()
        self.empty_button.setObjectName("Link")
        self.empty_button.setText(_("Start with an empty profile"))
        self.empty_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.empty_button.clicked.connect(self.start_empty)
        folder = QLabel(_("Data folder: {folder}").format(folder=self.data_dir))
        folder.setObjectName("Hint")
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        foot.addWidget(self.empty_button)
        foot.addStretch(1)
        layout.addLayout(foot)
        layout.addWidget(folder)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self._cancel)
        foot.addWidget(self.cancel_button)

    # -- choices ---------------------------------------------------------------------------------
    def _busy(self, busy: bool, text: str = "") -> None:
        for button in (self.demo_button, self.connect_button, self.empty_button):
            button.setEnabled(not busy)
        if not busy and demo_generator() is None:
            self.demo_button.setEnabled(False)
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)
        self.progress_label.setText(text)

    def open_demo(self) -> None:
        generate = demo_generator()
        if generate is None:
            return
        self.error_label.hide()
        self._busy(True, _("Creating the demo profile…"))
        folder, clients = self.data_dir, self._demo_clients

        def work(token: CancelToken, progress: ProgressCallback) -> AppContext:
            from ...services.context import open_profile

            ctx = open_profile(folder)
            params = inspect.signature(generate).parameters
            kwargs: dict[str, Any] = {"clients": clients}
            if "progress" in params:
                # the demo reports (fraction, message)
                kwargs["progress"] = lambda fraction, message="": progress(
                    int(float(fraction) * 1000), 1000, message
                )
            if "cancel" in params:
                kwargs["cancel"] = token
            try:
                generate(ctx, **kwargs)
            except BaseException:
                ctx.close()
                raise
            return ctx

        self._handle = self._tasks.run_db(
            work, on_result=self._opened, on_error=self._failed, on_progress=self._progress, name="demo"
        )

    def _progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        if message:
            self.progress_label.setText(message)

    def connect_server(self) -> None:
        """Open the (empty) profile, then sign in: a successful sign-in is the first sync."""
        self._busy(True, _("Opening the profile…"))
        folder = self.data_dir

        def work() -> AppContext:
            from ...services.context import open_profile

            return open_profile(folder)

        self._handle = self._tasks.run_db(
            work, on_result=self._login_with, on_error=self._failed, name="open-profile"
        )

    def _login_with(self, ctx: AppContext) -> None:
        from .login import LoginDialog

        self._busy(False)
        dialog = LoginDialog(self._settings, self._tasks, self, ctx=ctx)
        dialog.signed_in.connect(lambda _url: self._signed_in(dialog))
        dialog.rejected.connect(ctx.close)
        dialog.open()
        self._login = dialog

    def _signed_in(self, dialog: LoginDialog) -> None:
        self.engine = dialog.engine
        self.ctx = dialog.ctx
        self.accept()

    def start_empty(self) -> None:
        self._busy(True, _("Opening the profile…"))
        folder = self.data_dir

        def work() -> AppContext:
            from ...services.context import open_profile

            return open_profile(folder)

        self._handle = self._tasks.run_db(
            work, on_result=self._opened, on_error=self._failed, name="open-profile"
        )

    def _opened(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._busy(False)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        log.error("first start failed: %s", exc)
        self._busy(False)
        self.error_label.setText(_("That did not work: {error}").format(error=exc))
        self.error_label.show()

    def _cancel(self) -> None:
        if self._handle is not None and not self._handle.done:
            self._handle.cancel()
        self.reject()
