"""Settings: language, data folder, server, automatic sync, column choices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _, current_language
from ...paths import default_data_dir

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ...sync.notify_api import NotifyClient
    from ..settings import Settings
    from ..tasks import TaskManager

LANGUAGES = (("", None), ("zh_CN", "简体中文"), ("en", "English"))
#: Choices of the automatic sync interval (minutes; 0 = only on demand).
INTERVALS = (0, 5, 15, 30, 60)
#: idle minutes before the window locks (-1: the default for this profile, 0: never)
LOCK_MINUTES = (-1, 0, 5, 15, 30, 60)


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(8)
    return form


class SettingsPage(QWidget):
    language_changed = Signal(str)
    server_changed = Signal(str)
    data_dir_changed = Signal(str)
    sign_in_requested = Signal()

    def __init__(
        self,
        ctx: AppContext,
        tasks: TaskManager,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        notify_client: Callable[[], NotifyClient | None] | None = None,
    ) -> None:
        super().__init__(parent)
        #: a callable giving a NotifyClient of the signed-in user (None: not signed in)
        self._notify_client = notify_client or (lambda: None)
        self._ctx = ctx
        self._tasks = tasks
        self._settings = settings
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 12)
        outer.setSpacing(12)
        self.title = QLabel()
        self.title.setObjectName("PageTitle")
        outer.addWidget(self.title)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        body.setMaximumWidth(720)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)

        # language
        self.language_box = QGroupBox()
        form = _form(self.language_box)
        self.language_combo = QComboBox()
        for code, name in LANGUAGES:
            self.language_combo.addItem(name or "", code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(settings.get("language"))))
        self.language_combo.currentIndexChanged.connect(self._language_chosen)
        self.language_label = QLabel()
        form.addRow(self.language_label, self.language_combo)
        self.language_note = QLabel()
        self.language_note.setObjectName("Hint")
        self.language_note.setWordWrap(True)
        form.addRow("", self.language_note)
        layout.addWidget(self.language_box)

        # data folder
        self.data_box = QGroupBox()
        form = _form(self.data_box)
        row = QHBoxLayout()
        self.data_edit = QLineEdit(settings.get("data_dir"))
        self.data_edit.setPlaceholderText(str(default_data_dir()))
        self.data_edit.editingFinished.connect(self._data_dir_edited)
        self.browse_button = QPushButton()
        self.browse_button.clicked.connect(self._browse)
        row.addWidget(self.data_edit, 1)
        row.addWidget(self.browse_button)
        self.data_label = QLabel()
        form.addRow(self.data_label, row)
        self.current_data = QLabel()
        self.current_data.setObjectName("Hint")
        self.current_data.setWordWrap(True)
        self.current_data.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("", self.current_data)
        self.data_note = QLabel()
        self.data_note.setObjectName("Note")
        self.data_note.setWordWrap(True)
        self.data_note.hide()
        form.addRow("", self.data_note)
        layout.addWidget(self.data_box)

        # server
        self.server_box = QGroupBox()
        form = _form(self.server_box)
        self.server_edit = QLineEdit(settings.get("server_url"))
        self.server_edit.setPlaceholderText("https://accountdesk.example.com")
        self.server_edit.editingFinished.connect(self._server_edited)
        self.server_label = QLabel()
        form.addRow(self.server_label, self.server_edit)
        self.interval_combo = QComboBox()
        for minutes in INTERVALS:
            self.interval_combo.addItem("", minutes)
        current = settings.get("sync_interval_min")
        if self.interval_combo.findData(current) < 0:
            self.interval_combo.addItem("", current)
        self.interval_combo.setCurrentIndex(self.interval_combo.findData(current))
        self.interval_combo.currentIndexChanged.connect(
            lambda _i: self._settings.set("sync_interval_min", int(self.interval_combo.currentData()))
        )
        self.interval_label = QLabel()
        form.addRow(self.interval_label, self.interval_combo)
        self.login_button = QPushButton()
        self.login_button.clicked.connect(self._login)
        form.addRow("", self.login_button)
        form.setAlignment(self.login_button, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.server_box)

        # security: is this profile encrypted, and how
        self.security_box = QGroupBox()
        form = _form(self.security_box)
        self.security_label = QLabel()
        self.security_state = QLabel()
        self.security_state.setObjectName("SecurityState")
        self.security_state.setWordWrap(True)
        form.addRow(self.security_label, self.security_state)
        self.lock_combo = QComboBox()
        for minutes in LOCK_MINUTES:
            self.lock_combo.addItem("", minutes)
        current = settings.get("lock_minutes")
        if self.lock_combo.findData(current) < 0:
            self.lock_combo.addItem("", current)
        self.lock_combo.setCurrentIndex(self.lock_combo.findData(current))
        self.lock_combo.currentIndexChanged.connect(self._lock_chosen)
        self.lock_label = QLabel()
        form.addRow(self.lock_label, self.lock_combo)
        layout.addWidget(self.security_box)

        from ..widgets.bell import AlertSettings

        self.alert_settings = AlertSettings(settings)  # the visit reminder
        layout.addWidget(self.alert_settings)

        # calendar feed and messages; notification channels and rules for administrators
        from .notify_settings import CalendarSection, NotifyAdminSection

        self.calendar_section = CalendarSection(self._notify_client, tasks)
        layout.addWidget(self.calendar_section)
        self.notify_admin_section = NotifyAdminSection(self._notify_client, tasks)
        self.notify_admin_section.setVisible(getattr(ctx.actor, "role", None) == "admin")
        layout.addWidget(self.notify_admin_section)

        # layout
        self.layout_box = QGroupBox()
        box = QVBoxLayout(self.layout_box)
        self.layout_hint = QLabel()
        self.layout_hint.setObjectName("Hint")
        self.layout_hint.setWordWrap(True)
        self.reset_columns_button = QPushButton()
        self.reset_columns_button.clicked.connect(self._reset_layout)
        box.addWidget(self.layout_hint)
        box.addWidget(self.reset_columns_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.layout_box)
        layout.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.retranslate()
        self.refresh()

    def refresh(self) -> None:
        """Ask the server for the calendar feed (and, for administrators, channels and rules)."""
        self.notify_admin_section.setVisible(getattr(self._ctx.actor, "role", None) == "admin")
        self.calendar_section.refresh()
        if self.notify_admin_section.isVisibleTo(self):
            self.notify_admin_section.refresh()

    def retranslate(self) -> None:
        self.title.setText(_("Settings"))
        self.language_box.setTitle(_("Language"))
        self.language_label.setText(_("Language"))
        self.language_combo.setItemText(
            0,
            _("Follow the system ({language})").format(
                language="简体中文" if current_language() == "zh_CN" else "English"
            ),
        )
        self.language_note.setText(_("The change applies at once; an open client workspace closes."))
        self.data_box.setTitle(_("Data folder"))
        self.data_label.setText(_("Folder"))
        self.browse_button.setText(_("Browse…"))
        self.current_data.setText(_("In use now: {folder}").format(folder=self._ctx.store.data_dir))
        self.data_note.setText(_("The new data folder is used after you restart AccountDesk."))
        self.security_box.setTitle(_("Security"))
        self.security_label.setText(_("Data on this computer"))
        from ...services import security

        self.security_state.setText(security.status(self._ctx)["text"])
        self.lock_label.setText(_("Lock when idle"))
        default = security.lock_minutes(self._ctx, None)
        for i in range(self.lock_combo.count()):
            minutes = int(self.lock_combo.itemData(i))
            if minutes < 0:
                text = _("Default ({choice})").format(
                    choice=_("never") if default == 0 else _("after {n} minutes").format(n=default)
                )
            else:
                text = _("Never") if minutes == 0 else _("After {n} minutes").format(n=minutes)
            self.lock_combo.setItemText(i, text)
        self.server_box.setTitle(_("Server"))
        self.server_label.setText(_("Server address"))
        self.interval_label.setText(_("Automatic sync"))
        for i in range(self.interval_combo.count()):
            minutes = int(self.interval_combo.itemData(i))
            self.interval_combo.setItemText(
                i, _("Only on demand") if minutes == 0 else _("Every {n} minutes").format(n=minutes)
            )
        self.login_button.setText(_("Sign in…"))
        self.calendar_section.retranslate()
        self.notify_admin_section.retranslate()
        self.layout_box.setTitle(_("Window and columns"))
        self.layout_hint.setText(
            _(
                "The window size, the client list's columns, their widths and order are "
                "remembered. Right-click a column header to choose columns."
            )
        )
        self.reset_columns_button.setText(_("Reset the client list's columns"))
        labels = (
            self.language_label,
            self.data_label,
            self.server_label,
            self.interval_label,
            self.security_label,
            self.lock_label,
        )
        width = max(lbl.sizeHint().width() for lbl in labels)
        for lbl in labels:  # one label column across the groups
            lbl.setMinimumWidth(width)
            lbl.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _lock_chosen(self, _index: int) -> None:
        self._settings.set("lock_minutes", int(self.lock_combo.currentData()))
        app_lock = getattr(self.window(), "app_lock", None)
        if app_lock is not None:
            app_lock.configure()

    def _language_chosen(self, _index: int) -> None:
        code = self.language_combo.currentData() or ""
        self._settings.set("language", code)
        self.language_changed.emit(code)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, _("Choose the data folder"), self.data_edit.text() or str(Path.home())
        )
        if folder:
            self.data_edit.setText(folder)
            self._data_dir_edited()

    def _data_dir_edited(self) -> None:
        value = self.data_edit.text().strip()
        if value == self._settings.get("data_dir"):
            return
        self._settings.set("data_dir", value)
        self.data_note.show()
        self.data_dir_changed.emit(value)

    def _server_edited(self) -> None:
        url = self.server_edit.text().strip()
        if url == self._settings.get("server_url"):
            return
        self._settings.set("server_url", url)
        ctx = self._ctx

        def work() -> str:
            from ...services.sync_status import set_server_url

            set_server_url(ctx, url)
            return url

        self._tasks.run_db(work, on_result=self.server_changed.emit, name="set-server")

    def _login(self) -> None:
        self._server_edited()
        self.sign_in_requested.emit()

    def _reset_layout(self) -> None:
        self._settings.reset("client_columns")
        self._settings.reset("client_column_widths")
        window = self.window()
        clients = getattr(window, "pages", {}).get("clients")
        if clients is not None:
            clients.reset_columns()
