"""The New client dialog of the Clients screen (split off ui/pages/clients.py, issue 17;
still importable from there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from ...labels import choices
from ...models.enums import Tier

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..tasks import TaskManager


class NewClientDialog(QDialog):
    """The quickest way to add a client: name and tier; everything else in the workspace."""

    client_created = Signal(str)

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.setWindowTitle(_("New client"))
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        form = QFormLayout()
        form.setVerticalSpacing(6)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(
            _("Full registered name, e.g. Huadong Precision Instruments Co., Ltd.")
        )
        self.name_error = QLabel()
        self.name_error.setObjectName("Error")
        self.name_error.hide()
        self.error_label = QLabel()
        self.uscc_edit = QLineEdit()
        self.uscc_edit.setObjectName("uscc")
        self.uscc_edit.setMaxLength(18)
        self.uscc_edit.setPlaceholderText(_("18 characters, e.g. 91330106MA2KXXXX0X (optional)"))
        self.uscc_error = QLabel()
        self.uscc_error.setObjectName("Error")
        self.uscc_error.setWordWrap(True)
        self.uscc_error.hide()
        self.tier_combo = QComboBox()
        for value, text in choices(Tier):
            self.tier_combo.addItem(text, value)
        self.tier_combo.setCurrentIndex(self.tier_combo.findData(Tier.KEY.value))
        form.addRow(_("Name"), self.name_edit)
        form.addRow("", self.name_error)
        form.addRow(_("Unified social credit code"), self.uscc_edit)
        form.addRow("", self.uscc_error)
        form.addRow(_("Tier"), self.tier_combo)
        # A corrected field loses its error at once, not at the next "Create".
        self.name_edit.textChanged.connect(lambda _t: self.name_error.hide())
        self.uscc_edit.textChanged.connect(lambda _t: self.uscc_error.hide())
        self.name_edit.textChanged.connect(lambda _t: self.error_label.hide())
        self.uscc_edit.textChanged.connect(lambda _t: self.error_label.hide())
        layout.addLayout(form)
        self.error_label.setObjectName("Error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Create"))
        self.ok_button.setObjectName("Primary")
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _create(self) -> None:
        name = self.name_edit.text().strip()
        tier = self.tier_combo.currentData()
        uscc = self.uscc_edit.text().strip().upper()
        self.ok_button.setEnabled(False)

        def work() -> str:
            from ...services.clients import create_client

            extra = {"uscc": uscc} if uscc else {}
            return create_client(self._ctx, name=name, tier=tier, standard=True, **extra)

        self._tasks.run_db(work, on_result=self._created, on_error=self._failed, name="create-client")

    def _created(self, client_id: str) -> None:
        self.client_created.emit(client_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            for field, message in exc.errors:
                if field in ("name", "uscc"):
                    label = self.name_error if field == "name" else self.uscc_error
                    label.setText(message)
                    label.show()
                else:
                    self.error_label.setText(message)
                    self.error_label.show()
        else:
            self.error_label.setText(
                str(exc) if isinstance(exc, AccountDeskError) else _("The client could not be created.")
            )
            self.error_label.show()
