"""The dialogs that add a delivery channel of the server's notifications: mail (SMTP) and webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from .notify_parts import (
    _FIELD,
)

if TYPE_CHECKING:
    from ...sync.notify_api import NotifyClient
    from ..tasks import TaskManager
    from .notify_parts import ClientSource


class _ChannelDialog(QDialog):
    """A form sent to the server; a refusal is shown next to the field it names."""

    saved = Signal(object)
    FIELDS: dict[str, str] = {}

    def __init__(
        self, client_source: ClientSource, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._client_source = client_source
        self._tasks = tasks
        self.form = QFormLayout()
        self.errors: dict[str, QLabel] = {}
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.general = QLabel()
        self.general.setObjectName("Error")
        self.general.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def add_field(self, key: str, label: str, widget: QWidget) -> None:
        error = QLabel()
        error.setObjectName("Error")
        error.setWordWrap(True)
        error.hide()
        self.errors[key] = error
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(error)
        self.form.addRow(label, box)
        for signal in ("textEdited", "currentIndexChanged", "valueChanged"):
            sig = getattr(widget, signal, None)
            if sig is not None:
                sig.connect(lambda *_a, k=key: self.clear_error(k))

    def clear_error(self, key: str) -> None:
        self.errors[key].hide()

    def show_error(self, key: str | None, text: str) -> None:
        if key in self.errors:
            self.errors[key].setText(text)
            self.errors[key].show()
        else:
            self.general.setText(text)
        self.adjustSize()  # room for the message

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def check(self) -> bool:
        return True

    def send(self, client: NotifyClient, values: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def submit(self) -> None:
        self.general.setText("")
        for error in self.errors.values():
            error.hide()
        if not self.check():
            return
        client = self._client_source()
        if client is None:
            self.show_error(None, _("Sign in to your server first (Server › Sign in…)."))
            return
        values = self.values()
        self.buttons.setEnabled(False)
        self._tasks.run(
            lambda: self.send(client, values),
            on_result=self._done,
            on_error=self._refused,
            name="notify-channel",
        )

    def _done(self, result: dict[str, Any]) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(result)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        text = str(exc)
        match = _FIELD.search(text.split(":", 1)[-1] if "refused" in text else text)
        key = self.FIELDS.get(match.group(1)) if match else None
        self.show_error(key, text)


class SmtpDialog(_ChannelDialog):
    FIELDS = {
        "host": "host",
        "port": "port",
        "security": "security",
        "from": "sender",
        "user": "username",
        "password": "password",
        "name": "host",
    }

    def __init__(
        self, client_source: ClientSource, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(client_source, tasks, parent)
        self.setWindowTitle(_("E-mail server"))
        self.host = QLineEdit()
        self.host.setPlaceholderText("smtp.example.com")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.security = QComboBox()
        for code, text in (
            ("starttls", _("STARTTLS (port 587)")),
            ("tls", _("TLS (port 465)")),
            ("none", _("None")),
        ):
            self.security.addItem(text, code)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sender_edit = QLineEdit()
        self.sender_edit.setPlaceholderText("accountdesk@example.com")
        self.add_field("host", _("Server"), self.host)
        self.add_field("port", _("Port"), self.port)
        self.add_field("security", _("Encryption"), self.security)
        self.add_field("username", _("User name"), self.username)
        self.add_field("password", _("Password"), self.password)
        self.add_field("sender", _("Sender address"), self.sender_edit)

    def check(self) -> bool:
        ok = True
        if not self.host.text().strip():
            self.show_error("host", _("Give the e-mail server's name or address."))
            ok = False
        if "@" not in self.sender_edit.text():
            self.show_error("sender", _("Give the address the messages come from."))
            ok = False
        if self.username.text().strip() and not self.password.text():
            self.show_error("password", _("A user name needs its password."))
            ok = False
        return ok

    def values(self) -> dict[str, Any]:
        return {
            "host": self.host.text().strip(),
            "port": self.port.value(),
            "security": self.security.currentData(),
            "sender": self.sender_edit.text().strip(),
            "username": self.username.text().strip() or None,
            "password": self.password.text() or None,
        }

    def send(self, client: NotifyClient, values: dict[str, Any]) -> dict[str, Any]:
        return client.add_smtp(**values)


class WebhookDialog(_ChannelDialog):
    FIELDS = {"kind": "kind", "url": "url", "secret": "secret", "name": "name", "language": "language"}

    def __init__(
        self, client_source: ClientSource, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(client_source, tasks, parent)
        self.setWindowTitle(_("Group robot"))
        self.kind = QComboBox()
        for code, text in (("wecom", _("WeCom")), ("dingtalk", _("DingTalk")), ("feishu", _("Feishu"))):
            self.kind.addItem(text, code)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://…")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(_("DingTalk and Feishu: the signing secret, if the robot has one"))
        self.name = QLineEdit()
        self.language = QComboBox()
        for code, text in (("", _("The server's language")), ("zh_CN", "简体中文"), ("en", "English")):
            self.language.addItem(text, code)
        self.add_field("kind", _("Kind"), self.kind)
        self.add_field("url", _("Webhook address"), self.url)
        self.add_field("secret", _("Signing secret"), self.secret)
        self.add_field("name", _("Name"), self.name)
        self.add_field("language", _("Language"), self.language)

    def check(self) -> bool:
        if not self.url.text().strip().startswith(("https://", "http://")):
            self.show_error("url", _("Paste the robot's webhook address (https://…)."))
            return False
        if self.name.text().strip() and (" " in self.name.text().strip() or ":" in self.name.text()):
            self.show_error("name", _("A name without spaces or colons."))
            return False
        return True

    def values(self) -> dict[str, Any]:
        return {
            "kind": self.kind.currentData(),
            "url": self.url.text().strip(),
            "secret": self.secret.text().strip() or None,
            "name": self.name.text().strip() or None,
            "language": self.language.currentData() or None,
        }

    def send(self, client: NotifyClient, values: dict[str, Any]) -> dict[str, Any]:
        return client.add_webhook(**values)
