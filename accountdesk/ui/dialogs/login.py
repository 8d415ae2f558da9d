"""Sign in to a sync server: server address, user name, password.

The password is never stored by the app: the sync library exchanges it for tokens that it keeps
in the OS keyring (``accountdesk.sync.credentials``). Until that library is installed, the
dialog saves the server and user name and says that signing in is not available yet.
"""

from __future__ import annotations

import inspect
import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from .. import icons

log = logging.getLogger(__name__)


def find_sign_in():
    """The sync library's sign-in function, if installed: ``fn(ctx, server_url, username, password)``."""
    import importlib

    for module, name in (("accountdesk.sync.credentials", "sign_in"), ("accountdesk.sync.credentials", "login"),
                         ("accountdesk.sync.client", "sign_in"), ("accountdesk.sync.client", "login")):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn
    return None


def validate_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url:
        raise ValidationError("server_url", _("Enter the server address, e.g. https://accountdesk.example.com"))
    if not (url.startswith("http://") or url.startswith("https://")):
        raise ValidationError("server_url", _("The address starts with https:// (or http:// on a local network)."))
    return url


class LoginDialog(QDialog):
    #: The server address, after a successful sign-in (or after saving it when sign-in is absent).
    signed_in = Signal(str)

    def __init__(self, settings, tasks, parent=None, *, ctx=None):
        super().__init__(parent)
        self._settings = settings
        self._tasks = tasks
        self.ctx = ctx
        self.setWindowTitle(_("Connect to a server"))
        self.setWindowIcon(icons.icon("server"))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        intro = QLabel(_("Sign in with the account your administrator gave you. Your clients are then "
                         "copied to this computer and stay available offline."))
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
        for field, text, edit in (("server_url", _("Server address"), self.url_edit),
                                  ("username", _("User name"), self.user_edit),
                                  ("password", _("Password"), self.password_edit)):
            form.addRow(text, edit)
            err = QLabel()
            err.setObjectName("Error")
            err.setWordWrap(True)
            err.hide()
            form.addRow("", err)
            self.errors[field] = err
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("Error")
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons = buttons
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Sign in"))
        self.ok_button.setObjectName("Primary")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _show_error(self, field: str, message: str) -> None:
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
            url = validate_url(self.url_edit.text())
        except ValidationError as exc:
            self._show_error(exc.field, exc.message)
            return
        user = self.user_edit.text().strip()
        if not user:
            self._show_error("username", _("Enter your user name."))
            return
        password = self.password_edit.text()
        if self._settings is not None:
            self._settings.set("server_url", url)
            self._settings.set("username", user)
        sign_in = find_sign_in()
        if sign_in is None:
            self.message.setObjectName("Hint")
            self._show_error("", _("The server address is saved. Signing in is not available in this version yet."))
            self._finish(url, close=False)
            return
        self.ok_button.setEnabled(False)
        ctx = self.ctx

        def work():
            params = inspect.signature(sign_in).parameters
            if "ctx" in params or len(params) >= 4:
                return sign_in(ctx, url, user, password)
            return sign_in(url, user, password)

        self._tasks.run(work, on_result=lambda _r: self._finish(url), on_error=self._failed, name="sign-in")

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self._show_error(exc.field, exc.message)
        elif isinstance(exc, AccountDeskError):
            self._show_error("", exc.message)
        else:
            log.warning("sign-in failed: %s", exc)
            self._show_error("", _("Could not sign in: {error}").format(error=exc))

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
