"""Sign in to a sync server: server address, user name, password.

The password is never stored by the app: the sync library exchanges it for tokens that it keeps
in the OS keyring (``accountdesk.sync.credentials``). Until that library is installed, the
dialog saves the server and user name and says that signing in is not available yet.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
)

from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from .. import icons

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ...sync.client import SyncEngine, SyncReport
    from ..settings import Settings
    from ..tasks import CancelToken, ProgressCallback, TaskHandle, TaskManager

log = logging.getLogger(__name__)


def run_sync(engine: SyncEngine, token: CancelToken, progress: ProgressCallback) -> SyncReport:
    """Run one sync on a worker thread, reporting ``progress(done, total, stage)``, and remember the
    outcome for the status bar."""
    from ...services.sync_status import record_sync_result

    def report(stage: str, done: int = 0, total: int | None = None) -> None:
        progress(int(done or 0), int(total or 0), str(stage))

    try:
        result = engine.sync(progress=report, cancel=token.event)
    except Exception as exc:
        record_sync_result(engine.ctx, ok=False, error=str(exc))
        raise
    record_sync_result(engine.ctx, ok=True)
    return result


def validate_url(url: str, *, allow_insecure: bool = False) -> str:
    """The address, or :class:`ValidationError` on ``server_url`` (https:// unless this computer,
    or an unencrypted connection the person allowed)."""
    from ...sync.address import check_server_url

    return check_server_url(url, allow_insecure=allow_insecure)


def make_backup_before_rejoin(ctx: AppContext) -> str:
    """A backup of the whole profile in its folder, before joining a re-initialised server again."""
    import datetime as dt

    from ...io.backup import create_backup

    folder = ctx.store.data_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return str(create_backup(ctx, folder / f"before-rejoin-{stamp}.zip", profile_key=True).path)


class LoginDialog(QDialog):
    #: The server address, after a successful sign-in (or after saving it when sign-in is absent).
    signed_in = Signal(str)

    def __init__(
        self,
        settings: Settings | None,
        tasks: TaskManager,
        parent: QWidget | None = None,
        *,
        ctx: AppContext | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._tasks = tasks
        self.ctx = ctx
        self.engine: SyncEngine | None = None
        self._handle: TaskHandle | None = None
        self._rejoin = False
        self.setWindowTitle(_("Connect to a server"))
        self.setWindowIcon(icons.icon("server"))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        intro = QLabel(
            _(
                "Sign in with the account your administrator gave you. Your clients are then "
                "copied to this computer and stay available offline."
            )
        )
        intro.setWordWrap(True)
        intro.setObjectName("Hint")
        layout.addWidget(intro)
        form = QFormLayout()
        form.setVerticalSpacing(6)
        self.url_edit = QLineEdit(settings.get("server_url") if settings else "")
        self.url_edit.setPlaceholderText("https://accountdesk.example.com")
        self.user_edit = QLineEdit(settings.get("username") if settings else "")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors: dict[str, QLabel] = {}
        for field, text, edit in (
            ("server_url", _("Server address"), self.url_edit),
            ("username", _("User name"), self.user_edit),
            ("password", _("Password"), self.password_edit),
        ):
            form.addRow(text, edit)
            err = QLabel()
            err.setObjectName("Error")
            err.setWordWrap(True)
            err.hide()
            form.addRow("", err)
            self.errors[field] = err
        layout.addLayout(form)
        self.insecure_check = QCheckBox(
            _("Allow an unencrypted connection (http://): only on a network you trust")
        )
        self.insecure_check.setToolTip(
            _(
                "Over http:// your password and your clients' data cross the network readable "
                "by anyone on the way."
            )
        )
        layout.addWidget(self.insecure_check)
        self.url_edit.textChanged.connect(self._url_changed)
        self._url_changed(self.url_edit.text())
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("Error")
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons = buttons
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Sign in"))
        self.ok_button.setObjectName("Primary")
        #: shown when a profile with demo data tries to join: its demo data goes, the company's comes
        self.start_clean_button = buttons.addButton(_("Start clean"), QDialogButtonBox.ButtonRole.ActionRole)
        self.start_clean_button.setObjectName("startClean")
        self.start_clean_button.hide()
        self.start_clean_button.clicked.connect(self._start_clean)
        self._clean = False
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self._cancel)
        layout.addWidget(buttons)

    def _url_changed(self, text: str) -> None:
        from ...sync.address import is_insecure

        insecure = is_insecure(text)
        self.insecure_check.setVisible(insecure)
        if not insecure:
            self.insecure_check.setChecked(False)

    def offer_rejoin(self, message: str) -> None:
        """The server's database was re-initialised: explain it, and make the button join again."""
        self._rejoin = True
        self.message.setText(message)
        self.message.show()
        self.ok_button.setText(_("Join again"))

    def _cancel(self) -> None:
        if self._handle is not None and not self._handle.done:
            self._handle.cancel()
        self.reject()

    def show_error(self, field: str, message: str) -> None:
        label = self.errors.get(field)
        if label is None:
            self.message.setText(message)
            self.message.show()
        else:
            label.setText(message)
            label.show()

    def submit(self) -> None:
        for label in self.errors.values():
            label.hide()
        self.message.hide()
        try:
            url = validate_url(self.url_edit.text(), allow_insecure=self.insecure_check.isChecked())
        except ValidationError as exc:
            self.show_error(exc.field, exc.message)
            return
        user = self.user_edit.text().strip()
        if not user:
            self.show_error("username", _("Enter your user name."))
            return
        password = self.password_edit.text()
        if self._settings is not None:
            self._settings.set("server_url", url)
            self._settings.set("username", user)
        if self.ctx is None:  # no profile open: the address is kept for the next start
            self.message.setObjectName("Hint")
            self.show_error(
                "", _("The server address is saved. Signing in is not available in this version yet.")
            )
            self._finish(url, close=False)
            return
        from ...services import security
        from ...sync.client import SyncEngine as engine_cls
        from ...sync.credentials import Credentials as credentials_cls

        if security.join_needs_passphrase(self.ctx):
            # a company profile is encrypted before its first pull; with no system keyring, by a passphrase
            from .profile_passphrase import ask_profile_passphrase

            if not ask_profile_passphrase(self, security.NEW):
                return
        self.ok_button.setEnabled(False)
        self.progress.show()
        ctx = self.ctx
        allow, rejoin = self.insecure_check.isChecked(), self._rejoin

        start_clean = self._clean

        def work(token: CancelToken, progress: ProgressCallback) -> SyncEngine:
            engine = engine_cls(
                ctx,
                url,
                credentials_cls(url, user, password=password),
                start_clean=start_clean,
                allow_insecure=allow,
                rejoin=rejoin,
            )
            if rejoin:
                make_backup_before_rejoin(ctx)
            run_sync(engine, token, progress)
            return engine

        self._handle = self._tasks.run(
            work, on_result=self._signed_in, on_error=self._failed, on_progress=self._progress, name="sign-in"
        )

    def _progress(self, done: int, total: int, stage: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _signed_in(self, engine: SyncEngine) -> None:
        self.engine = engine
        self.progress.hide()
        self._finish(engine.server_url)

    def _start_clean(self) -> None:
        """The user chose to drop this profile's demo data and fetch the company's."""
        self._clean = True
        self.start_clean_button.hide()
        self.submit()

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.progress.hide()
        if getattr(exc, "code", None) == "demo_profile":
            self.show_error(
                "",
                _(
                    "This profile holds demo data, which must not reach your company's server. "
                    "“Start clean” removes the demo data and fetches your clients from the server."
                ),
            )
            self.start_clean_button.show()
            return
        if isinstance(exc, ValidationError):
            self.show_error(exc.field, exc.message)
        elif isinstance(exc, AccountDeskError) and getattr(exc, "code", None) == "server_reinitialised":
            self.offer_rejoin(exc.message)
        elif isinstance(exc, AccountDeskError):
            self.show_error("", exc.message)
        else:
            log.warning("sign-in failed: %s", exc)
            self.show_error("", _("Could not sign in: {error}").format(error=exc))

    def _finish(self, url: str, *, close: bool = True) -> None:
        if self.ctx is not None:
            from ...services.sync_status import set_server_url

            set_server_url(self.ctx, url)
        self.signed_in.emit(url)
        if close:
            self.accept()
        else:
            self.ok_button.setText(_("Close"))
            self.buttons.accepted.disconnect(self.submit)
            self.buttons.accepted.connect(self.accept)
