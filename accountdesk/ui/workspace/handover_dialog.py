"""Hand a client over to another account manager: new owner, reason, checklist, notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from ...services import records
from ...services import workspace as ws
from .. import style
from ..lane_reads import LaneReads, error_text

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ...services.workspace import UserRow
    from ..tasks import TaskManager

#: What the dialog reads before it opens: the client, user names, users, the checklist.
_Read: TypeAlias = "tuple[dict[str, Any], dict[str, str], list[UserRow], list[dict[str, Any]]]"

ERROR_STYLE = style.FIELD_ERROR_CSS


class HandoverDialog(QDialog):
    """The client, its people and its checklist are read on the database lane (given ``tasks``);
    the dialog shows "Loading…" and cannot hand over until they have landed."""

    handed_over = Signal(str)  # handover id
    loaded = Signal()

    @property
    def loading(self) -> bool:
        return self.reads.loading

    def __init__(
        self,
        ctx: AppContext,
        client_id: str,
        parent: QWidget | None = None,
        *,
        tasks: TaskManager | None = None,
    ):
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.checklist: list[dict[str, Any]] = []
        self.setWindowTitle(_("Hand over"))
        self.resize(620, 560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 12)
        self.intro = QLabel(_("Loading…"), self)
        self.intro.setObjectName("intro")
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.owner = QComboBox(self)
        self.owner.setObjectName("to_user_id")
        self.backup = QComboBox(self)
        self.backup.setObjectName("backup_user_id")
        self.backup.addItem(_("(unchanged)"), None)
        self.owner.setPlaceholderText(_("Choose…"))
        self.owner_error = self._error()
        self.reason = QLineEdit(self)
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText(_("e.g. the account manager left the company"))
        self.reason_error = self._error()
        form.addRow(_("New account manager") + " *", self.owner)
        form.addRow("", self.owner_error)
        form.addRow(_("Backup owner"), self.backup)
        form.addRow(_(ws.REASON_LABEL) + " *", self.reason)
        form.addRow("", self.reason_error)
        layout.addLayout(form)
        layout.addWidget(QLabel("<b>" + _("Checklist") + "</b>", self))
        self.checklist_view = QTreeWidget(self)
        self.checklist_view.setObjectName("checklist")
        self.checklist_view.setHeaderHidden(True)
        layout.addWidget(self.checklist_view, 1)
        layout.addWidget(QLabel(_("Notes for the new account manager"), self))
        self.notes = QPlainTextEdit(self)
        self.notes.setFixedHeight(70)
        layout.addWidget(self.notes)
        self.general = self._error()
        layout.addWidget(self.general)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Hand over"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ok_button.setEnabled(False)
        self.reads = LaneReads(self, "handover")
        self.reads.tasks = tasks

        def fetch() -> _Read:
            return (
                records.get_record(ctx, "client", client_id),
                ws.user_names(ctx),
                ws.list_users(ctx),
                ws.handover_checklist(ctx, client_id),
            )

        self.reads.read(fetch, self._fill, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.intro.setStyleSheet(ERROR_STYLE)
        self.intro.setText(error_text(exc))

    def _fill(self, data: _Read) -> None:
        client, names, users, self.checklist = data
        self.setWindowTitle(_("Hand over {client}").format(client=client["name"]))
        current = names.get(client.get("owner_id") or "", "")
        self.intro.setText(
            _(
                "The client belongs to the company, not to a person. The new account manager receives the whole "
                "history; go through the checklist together."
            )
            + "\n"
            + (
                _("Current account manager: {name}").format(name=current)
                if current
                else _("Needs a new owner")
            )
        )
        for u in users:
            if u.role in ("manager", "supervisor", "admin") and u.id != client.get("owner_id"):
                self.owner.addItem(u.display_name, u.id)
            if u.role != "field":
                self.backup.addItem(u.display_name, u.id)
        self.owner.setCurrentIndex(-1)
        for item in self.checklist:
            top = QTreeWidgetItem([f"{_(item['label'])} ({item.get('count', len(item.get('detail', [])))})"])
            top.setFlags(top.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            top.setCheckState(0, Qt.CheckState.Unchecked)
            top.setData(0, Qt.ItemDataRole.UserRole, item["key"])
            for line in item.get("detail", []):
                QTreeWidgetItem(top, [line])
            self.checklist_view.addTopLevelItem(top)
        self.checklist_view.expandAll()
        self.ok_button.setEnabled(True)
        self.loaded.emit()

    def _error(self) -> QLabel:
        lab = QLabel("", self)
        lab.setStyleSheet(ERROR_STYLE)
        lab.setWordWrap(True)
        lab.hide()
        return lab

    def checked_items(self) -> list[dict[str, Any]]:
        out = []
        for i, item in enumerate(self.checklist):
            top = self.checklist_view.topLevelItem(i)
            out.append({**item, "done": top is not None and top.checkState(0) == Qt.CheckState.Checked})
        return out

    def submit(self) -> bool:
        for lab in (self.owner_error, self.reason_error, self.general):
            lab.hide()
        try:
            hid = ws.record_handover(
                self.ctx,
                self.client_id,
                self.owner.currentData() or "",
                reason=self.reason.text(),
                checklist=self.checked_items(),
                notes=self.notes.toPlainText().strip() or None,
                backup_user_id=self.backup.currentData(),
            )
        except ValidationError as exc:
            for field, message in exc.errors:
                target = {"to_user_id": self.owner_error, "reason": self.reason_error}.get(
                    field, self.general
                )
                target.setText(message)
                target.show()
            return False
        except AccountDeskError as exc:
            self.general.setText(exc.message)
            self.general.show()
            return False
        self.handed_over.emit(hid)
        self.accept()
        return True
