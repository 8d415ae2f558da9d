"""The equipment ledger of a client in bulk (issue 16): a status filter and a search box above the
list, the user's saved views of it (filters, columns, sort; synced with the profile), and several
instruments selected (Ctrl, Shift) edited at once — status, location, category — and undone in one
step, as on the client and feedback lists (:mod:`..dialogs.bulk_edit`,
:mod:`accountdesk.services.bulk`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from ...i18n import _
from ...labels import choices
from ...models.enums import EquipmentStatus
from .common import RecordPanel

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtGui import QShowEvent

    from ..tasks import ErrorCallback, ProgressCallback, ResultCallback, TaskHandle
    from .base import Tab

#: What the search box looks in.
SEARCHED = ("name", "model", "serial", "location", "category", "notes")


class _TabTasks:
    """The workspace's task runner, looked up when work starts (the workspace hands it to its
    tabs after making them)."""

    def __init__(self, owner: Tab) -> None:
        self._owner = owner

    def run_db(
        self,
        fn: Callable[..., Any],
        *,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_progress: ProgressCallback | None = None,
        name: str = "",
        owner: QObject | None = None,
    ) -> TaskHandle:
        tasks = self._owner.tasks
        assert tasks is not None  # handed to the tab before any of its work starts
        return tasks.run_db(
            fn, on_result=on_result, on_error=on_error, on_progress=on_progress, name=name, owner=owner
        )


class EquipmentListTools(QWidget):
    """Filters, saved views and the bulk bar of an equipment panel."""

    def __init__(self, owner: Tab, panel: RecordPanel, parent: QWidget | None = None) -> None:
        from ..dialogs.bulk_edit import BulkBar
        from ..widgets.saved_views import SavedViewsBar, TableColumns

        super().__init__(parent)
        self.panel = panel
        self.setObjectName("equipment_tools")
        ctx = panel.ctx
        tasks = _TabTasks(owner)
        panel.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        panel.row_filter = self.keeps
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.status = QComboBox(self)
        self.status.setObjectName("status")
        self.status.addItem(_("All statuses"), None)
        for value, text in choices(EquipmentStatus):
            self.status.addItem(text, value)
        self.status.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(_("Filter by name, model, serial number or location"))
        self.search.setClearButtonEnabled(True)
        columns = panel.model.columns
        self.columns = TableColumns(
            panel.view, [c.key for c in columns], [c.header for c in columns], keep=columns[0].key
        )
        self.views_bar = SavedViewsBar("equipment", ctx, tasks, self.view_state, self.apply_view_state, self)
        self.bulk_bar = BulkBar("equipment", ctx, tasks, self.selected_ids, self)
        self.bulk_bar.changed.connect(panel.reload)
        layout.addWidget(self.status)
        layout.addWidget(self.search, 1)
        layout.addWidget(self.views_bar)
        layout.addStretch(0)
        layout.addWidget(self.bulk_bar)
        self.status.currentIndexChanged.connect(lambda _i: panel.refilter())
        self.search.textChanged.connect(lambda _t: panel.refilter())
        panel.view.selectionModel().selectionChanged.connect(lambda *_a: self.bulk_bar.update_selection())
        panel.model.modelReset.connect(self._reset)
        self._views_loaded = False
        outer = panel.layout()
        assert isinstance(outer, QVBoxLayout)  # RecordPanel's own
        outer.insertWidget(1, self)  # below the panel's title and buttons

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - the user's views, once the workspace runs tasks
        super().showEvent(event)
        if not self._views_loaded:
            self._views_loaded = True
            self.views_bar.reload()

    # -- filters -------------------------------------------------------------------------------
    def keeps(self, row: dict[str, Any]) -> bool:
        status = self.status.currentData()
        if status is not None and row.get("status") != status:
            return False
        text = self.search.text().strip().casefold()
        return not text or any(text in str(row.get(k) or "").casefold() for k in SEARCHED)

    def _reset(self) -> None:
        """New rows: keep the sort the list had, and the bulk bar's count."""
        self.columns.apply_sort(self.columns.sort())
        self.bulk_bar.update_selection()

    def selected_ids(self) -> list[str]:
        """The instruments selected (several with Ctrl or Shift), in list order."""
        model = self.panel.view.selectionModel()
        if model is None:
            return []
        rows = self.panel.model.rows
        return [
            rows[i.row()]["id"]
            for i in sorted(model.selectedRows(), key=lambda i: i.row())
            if i.row() < len(rows)
        ]

    # -- saved views ---------------------------------------------------------------------------
    def view_state(self) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        if self.status.currentData() is not None:
            filters["status"] = self.status.currentData()
        if self.search.text().strip():
            filters["search"] = self.search.text().strip()
        return {"filters": filters, "columns": self.columns.visible(), "sort": self.columns.sort()}

    def apply_view_state(self, state: dict[str, Any]) -> None:
        filters = state.get("filters") or {}
        for widget in (self.status, self.search):
            widget.blockSignals(True)
        status = filters.get("status")
        self.status.setCurrentIndex(max(0, self.status.findData(status)) if status else 0)
        self.search.setText(str(filters.get("search") or ""))
        for widget in (self.status, self.search):
            widget.blockSignals(False)
        self.columns.show_only(list(state.get("columns") or []))
        self.panel.refilter()
        self.columns.apply_sort(list(state.get("sort") or []))


__all__ = ["EquipmentListTools"]
