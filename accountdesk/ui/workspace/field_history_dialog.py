"""The history of one field of a record (who changed it, when, from what to what), with restore."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypeAlias

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from ...labels import label
from ...services import workspace as ws
from .. import style
from ..forms import Lookups, visible_fields
from ..forms.fmt import fmt_datetime, fmt_value
from ..item_models.columns import Column
from ..item_models.records import RecordTableModel
from ..lane_reads import LaneReads, error_text
from ..widgets.tables import make_table

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ...services.workspace import FieldChange
    from ...sync.client import SyncEngine
    from ...sync.protocol import HistoryEntry
    from ..forms.lookups import LookupData
    from ..tasks import TaskManager

#: What a reload reads: the lookups, the field shown, its changes here, the record's client.
_Read: TypeAlias = "tuple[LookupData, str, list[FieldChange], str | None]"


class FieldHistoryDialog(QDialog):
    """This device's changes of one field of a record (read on the database lane when the main
    window's ``tasks`` are known), and the server's on demand."""

    restored = Signal(str)  # field
    loaded = Signal()

    @property
    def loading(self) -> bool:
        return self.reads.loading

    def __init__(
        self,
        ctx: AppContext,
        entity: str,
        row_id: str,
        field: str | None = None,
        *,
        lookups: Lookups | None = None,
        engine: SyncEngine | None = None,
        tasks: TaskManager | None = None,
        client_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        window = parent.window() if parent is not None else None
        #: the sync engine and task lanes of the main window, for the server's part of the history
        self.engine: SyncEngine | None = (
            engine if engine is not None else getattr(window, "sync_engine", None)
        )
        self.tasks: TaskManager | None = tasks if tasks is not None else getattr(window, "tasks", None)
        self._server: list[dict[str, Any]] = []
        self.ctx = ctx
        self.entity = entity
        self.row_id = row_id
        self.lookups = lookups or Lookups(ctx, client_id)
        self.client_id = client_id
        self.reads = LaneReads(self, "field history")
        self.reads.tasks = self.tasks
        self._local: list[FieldChange] = []
        self.setWindowTitle(_("Field history"))
        self.resize(720, 420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Field:"), self))
        self.field_combo = QComboBox(self)
        self.field_combo.setObjectName("field")
        self.specs = {s.name: s for s in visible_fields(ctx, entity)}
        for s in self.specs.values():
            self.field_combo.addItem(s.title, s.name)
        top.addWidget(self.field_combo, 1)
        layout.addLayout(top)
        self.model = RecordTableModel(
            [
                Column("at", _("When"), lambda r: fmt_datetime(r["at"]), sort=lambda r: r["at"], width=140),
                Column("who", _("Who"), lambda r: r["who"], width=120),
                Column("old", _("Before"), lambda r: r["old_text"], width=180),
                Column("new", _("After"), lambda r: r["new_text"], width=180),
            ],
            self,
        )
        self.view = make_table(self.model, self)
        layout.addWidget(self.view, 1)
        self.note = QLabel(
            _(
                "Changes made on this device that are not yet synced are listed here; "
                "after a sync the server keeps the full history."
            ),
            self,
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet(style.NOTE_CSS)
        layout.addWidget(self.note)
        self.message = QLabel("", self)
        self.message.setStyleSheet(style.ERROR_CSS)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(self)
        self.server_button = QPushButton(_("Load the server's history"), self)
        self.server_button.setObjectName("server_history")
        self.server_button.setToolTip(_("Changes synced from every device, kept by the server"))
        buttons.addButton(self.server_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.server_button.setVisible(self.engine is not None and self.tasks is not None)
        self.server_button.clicked.connect(self.load_server_history)
        self.restore_button = QPushButton(_("Restore the value before"), self)
        self.restore_button.setObjectName("restore")
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText(_("Close"))
        buttons.rejected.connect(self.reject)
        close.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.restore_button.clicked.connect(self.restore_selected)
        self.field_combo.currentIndexChanged.connect(self.reload)
        self.view.selectionModel().selectionChanged.connect(self._update)
        if field is not None:
            idx = self.field_combo.findData(field)
            if idx >= 0:
                self.field_combo.setCurrentIndex(idx)
        self.reload(first_changed=field is None)

    @property
    def field(self) -> str:
        name: str = self.field_combo.currentData()
        return name

    def _text(self, value: Any) -> str:
        s = self.specs.get(self.field)
        if value is None:
            return "—"
        if s is not None:
            if s.kind == "enum" and s.enum is not None:
                return label(s.enum, value)
            if s.kind == "user":
                return self.lookups.user_name(value)
            if s.kind == "users":
                return ", ".join(self.lookups.user_name(v) for v in value)
            if s.kind == "ref" and s.ref:
                return self.lookups.ref_label(s.ref, value) or str(value)
        return fmt_value(value)

    def reload(self, *_a: object, first_changed: bool = False) -> None:
        """Read this device's changes of the field chosen (with ``first_changed``: of the first
        field that has any, which is then chosen) on the database lane."""
        self.message.setText(_("Loading…"))
        ctx, entity, row_id, lookups = self.ctx, self.entity, self.row_id, self.lookups
        names = [self.field_combo.itemData(i) for i in range(self.field_combo.count())]
        field = self.field
        refs = {s.ref for s in self.specs.values() if s.kind in ("ref", "refs") and s.ref}
        client_id = self.client_id

        def fetch() -> _Read:
            chosen = field
            changes = ws.local_field_history(ctx, entity, row_id, field) if field else []
            if first_changed:
                for name in names:
                    found = ws.local_field_history(ctx, entity, row_id, name)
                    if found:
                        chosen, changes = name, found
                        break
            if client_id is None:
                from ...services import records

                owner = records.get_record(ctx, entity, row_id).get("client_id")
            else:
                owner = client_id
            return lookups.read(refs), chosen, changes, owner

        self.reads.read(fetch, self._landed, lambda exc: self.message.setText(error_text(exc)))

    def _landed(self, data: _Read) -> None:
        lookup_data, field, changes, self.client_id = data
        self.lookups.apply(lookup_data)
        if field != self.field:
            self.field_combo.blockSignals(True)
            self.field_combo.setCurrentIndex(self.field_combo.findData(field))
            self.field_combo.blockSignals(False)
        self.message.setText("")
        self._local = changes
        self._show_rows()
        self.loaded.emit()

    def _show_rows(self) -> None:
        field = self.field
        rows = []
        changes = self._local
        for i, c in enumerate(changes):
            rows.append(
                {
                    "id": f"local-{i}",
                    "at": c.at,
                    "who": c.user_name,
                    "old": c.old,
                    "new": c.new,
                    "field": field,
                    "old_text": self._text(c.old),
                    "new_text": self._text(c.new),
                    "hidden": False,
                }
            )
        for r in self._server:
            if r["field"] == field:
                rows.append(
                    {
                        **r,
                        "old_text": r["old_text"] or self._text(r["old"]),
                        "new_text": r["new_text"] or self._text(r["new"]),
                    }
                )
        rows.sort(key=lambda r: r["at"], reverse=True)
        self.model.set_rows(rows)
        if rows:
            self.view.selectRow(0)
        self._update()

    def _update(self, *_a: object) -> None:
        rows = self.view.selectionModel().selectedRows()
        self.restore_button.setEnabled(bool(rows) and not self.model.rows[rows[0].row()]["hidden"])

    # -- the server's part -----------------------------------------------------------------------
    def load_server_history(self) -> None:
        from ...models import model_for
        from ...sync.codec import decode_value

        client_id = self.client_id  # read with this device's history
        engine, entity, row_id, model = self.engine, self.entity, self.row_id, model_for(self.entity)
        tasks = self.tasks
        if engine is None or tasks is None or client_id is None:  # the button shows only with both
            return
        self.server_button.setEnabled(False)
        self.message.setText(_("Loading…"))

        def fetch() -> list[HistoryEntry]:
            return [e for e in engine.history(client_id) if e.entity == entity and e.row_id == row_id]

        def show(entries: list[HistoryEntry]) -> None:
            out = []
            for e in entries:
                at = dt.datetime.fromisoformat(e.at.replace("Z", "+00:00"))
                try:
                    old = decode_value(model, e.field, e.old)
                    new = decode_value(model, e.field, e.new)
                except (ValueError, KeyError):
                    old, new = e.old, e.new
                hidden = bool(e.hidden)
                out.append(
                    {
                        "id": f"server-{e.id}",
                        "at": at,
                        "who": e.username or "",
                        "old": old,
                        "new": new,
                        "field": e.field,
                        "hidden": hidden,
                        "old_text": _("(confidential)") if hidden else None,
                        "new_text": _("(confidential)") if hidden else None,
                    }
                )
            self._server = out
            self.message.setText("")
            self._show_rows()

        def failed(exc: BaseException) -> None:
            self.server_button.setEnabled(True)
            self.message.setText(getattr(exc, "message", None) or str(exc))

        tasks.run(fetch, on_result=show, on_error=failed, name="field history")

    def restore_selected(self) -> bool:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return False
        row = self.model.rows[rows[0].row()]
        try:
            ws.restore_field(self.ctx, self.entity, self.row_id, self.field, row["old"])
        except ValidationError as exc:
            self.message.setText("\n".join(m for _f, m in exc.errors))
            return False
        except AccountDeskError as exc:
            self.message.setText(exc.message)
            return False
        self.restored.emit(self.field)
        self.reload()
        return True


def open_field_history(
    ctx: AppContext, entity: str, row_id: str, field: str | None = None, parent: QWidget | None = None
) -> FieldHistoryDialog:
    dlg = FieldHistoryDialog(ctx, entity, row_id, field, parent=parent)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    return dlg
