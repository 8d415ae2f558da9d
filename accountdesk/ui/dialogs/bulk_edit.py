"""Bulk edit of the rows selected in a list (clients, feedback, equipment): the dialog, and the
bar above the list that says how many rows are selected, edits them, hands clients over and
undoes the last change set. The work runs in :mod:`accountdesk.services.bulk` on the database
lane."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...i18n import N_, _
from ...labels import choices
from ...models.enums import ClientStatus, EquipmentStatus, FeedbackStatus, Severity, Tier

if TYPE_CHECKING:
    from ...services.bulk import ChangeSet
    from ...services.context import AppContext
    from ..tasks import DatabaseLane

#: list -> [(field, label msgid, enum or None for text)]
FIELDS: dict[str, list[tuple[str, str, type[StrEnum] | None]]] = {
    "clients": [
        ("tier", N_("Tier"), Tier),
        ("status", N_("Status"), ClientStatus),
        ("province", N_("Province"), None),
        ("city", N_("City"), None),
    ],
    "feedback": [("status", N_("Status"), FeedbackStatus), ("severity", N_("Severity"), Severity)],
    "equipment": [
        ("status", N_("Status"), EquipmentStatus),
        ("location", N_("Location"), None),
        ("category", N_("Category"), None),
    ],
}


def _split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.replace("，", ",").replace("、", ",").split(",") if t.strip()]


class BulkEditDialog(QDialog):
    """What to change on the selected rows; a field left at "(unchanged)" stays as it is."""

    def __init__(self, list_name: str, count: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.list_name = list_name
        self.setWindowTitle(_("Edit {n} selected").format(n=count))
        layout = QVBoxLayout(self)
        hint = QLabel(
            _(
                "The change applies to all {n} rows at once, or to none if one of them refuses it. "
                "Undo puts every row back."
            ).format(n=count)
        )
        hint.setWordWrap(True)
        hint.setObjectName("Hint")
        layout.addWidget(hint)
        form = QFormLayout()
        self.editors: dict[str, QComboBox | QLineEdit] = {}
        for name, title, enum in FIELDS[list_name]:
            if enum is not None:
                combo = QComboBox()
                combo.addItem(_("(unchanged)"), None)
                for value, text in choices(enum):
                    combo.addItem(text, value)
                self.editors[name] = combo
            else:
                edit = QLineEdit()
                edit.setPlaceholderText(_("(unchanged)"))
                self.editors[name] = edit
            form.addRow(_(title) + ":", self.editors[name])
        self.add_tags: QLineEdit | None = None
        self.remove_tags: QLineEdit | None = None
        if list_name == "clients":
            self.add_tags, self.remove_tags = QLineEdit(), QLineEdit()
            self.add_tags.setPlaceholderText(_("tags to add, separated by commas"))
            self.remove_tags.setPlaceholderText(_("tags to remove, separated by commas"))
            form.addRow(_("Add tags:"), self.add_tags)
            form.addRow(_("Remove tags:"), self.remove_tags)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Apply to all"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def change(self) -> tuple[dict[str, Any], list[str], list[str]]:
        values: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                if editor.currentData() is not None:
                    values[name] = editor.currentData()
            elif editor.text().strip():
                values[name] = editor.text().strip()
        add = _split_tags(self.add_tags.text()) if self.add_tags is not None else []
        remove = _split_tags(self.remove_tags.text()) if self.remove_tags is not None else []
        return values, add, remove


class BulkBar(QWidget):
    """ "N selected · Edit… · Hand over… · Undo" above a list."""

    #: The rows changed (reload the list).
    changed = Signal()
    #: A bulk change failed: the message.
    failed = Signal(str)

    def __init__(
        self,
        list_name: str,
        ctx: AppContext,
        tasks: DatabaseLane,
        selected: Callable[[], list[str]],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.list_name = list_name
        self._ctx = ctx
        self._tasks = tasks
        self._selected = selected
        self.last: ChangeSet | None = None  # the last ChangeSet (to undo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.count_label = QLabel()
        self.edit_button = QPushButton()
        self.assign_button = QPushButton()
        self.undo_button = QPushButton()
        self.edit_button.clicked.connect(self.edit)
        self.assign_button.clicked.connect(self.assign)
        self.undo_button.clicked.connect(self.undo)
        for w in (self.count_label, self.edit_button, self.assign_button, self.undo_button):
            layout.addWidget(w)
        self.assign_button.setVisible(
            list_name == "clients" and ctx is not None and ctx.actor.sees_all_clients
        )
        self.retranslate()
        self.update_selection()

    def retranslate(self) -> None:
        self.edit_button.setText(_("Edit selected…"))
        self.assign_button.setText(_("Hand over…"))
        self.undo_button.setText(_("Undo bulk edit"))
        for button in (self.edit_button, self.assign_button, self.undo_button):
            button.setMinimumWidth(button.sizeHint().width())
        self.update_selection()

    def update_selection(self) -> None:
        n = len(self._selected())
        self.count_label.setText(_("{n} selected").format(n=n) if n > 1 else "")
        self.edit_button.setEnabled(n > 0)
        self.assign_button.setEnabled(n > 0)
        self.undo_button.setEnabled(self.last is not None and self.last.changed > 0)

    def edit(self) -> BulkEditDialog | None:
        ids = self._selected()
        if not ids:
            return None
        dialog = BulkEditDialog(self.list_name, len(ids), self)
        dialog.accepted.connect(lambda: self.apply(ids, *dialog.change()))
        dialog.open()
        self._dialog = dialog
        return dialog

    def apply(self, ids: list[str], values: dict[str, Any], add: list[str], remove: list[str]) -> None:
        from ...services import bulk

        ctx, name = self._ctx, self.list_name

        def work() -> ChangeSet:
            return bulk.bulk_edit(ctx, name, ids, values, add_tags=add, remove_tags=remove)

        self._tasks.run_db(work, on_result=self._done, on_error=self._error, name="bulk-edit")

    def undo(self) -> None:
        from ...services import bulk

        if self.last is None:
            return
        ctx, change = self._ctx, self.last

        def work() -> ChangeSet:
            return bulk.undo(ctx, change)

        self._tasks.run_db(work, on_result=self._done, on_error=self._error, name="bulk-undo")

    def assign(self) -> None:
        """Hand the selected clients over (the handover workflow, one reason for all); who may
        take them is read on the database lane first."""
        from ...services.users import list_users

        ids = self._selected()
        if not ids:
            return
        ctx = self._ctx
        self._tasks.run_db(
            lambda: list_users(ctx),
            on_result=lambda users: self._ask_assignee(ids, users),
            on_error=self._error,
            name="bulk-assign-people",
        )

    def _ask_assignee(self, ids: list[str], users: list[dict[str, Any]]) -> None:
        people = [u for u in users if u["role"] in ("manager", "supervisor", "admin")]
        names = [u["display_name"] for u in people]
        name, ok = QInputDialog.getItem(
            self,
            _("Hand over"),
            _("New account manager for {n} clients:").format(n=len(ids)),
            names,
            0,
            False,
        )
        if not ok or not name:
            return
        reason, ok = QInputDialog.getText(self, _("Hand over"), _("Reason:"))
        if not ok:
            return
        self.hand_over(ids, people[names.index(name)]["id"], reason)

    def hand_over(self, ids: list[str], user_id: str, reason: str = "") -> None:
        from ...services import bulk

        ctx = self._ctx

        def work() -> None:
            bulk.bulk_assign(ctx, ids, user_id, reason=reason or None)

        self._tasks.run_db(
            work, on_result=lambda _r: self.changed.emit(), on_error=self._error, name="bulk-handover"
        )

    def _done(self, change: ChangeSet) -> None:
        self.last = change
        self.update_selection()
        self.changed.emit()

    def _error(self, exc: BaseException) -> None:
        self.error = _("Nothing was changed: {problem}").format(problem=exc)
        self.count_label.setText(self.error)
        self.failed.emit(str(exc))


__all__ = ["BulkBar", "BulkEditDialog", "FIELDS"]
