"""The feedback queue: every client's feedback, overdue first, with a deadline countdown; filters by
status, kind and severity; an item opens in its client's workspace."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypedDict

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from ...labels import choices
from ...models.enums import FeedbackKind, FeedbackStatus, Severity
from ...services import workspace as ws
from .. import style
from ..item_models.feedback import FeedbackQueueModel
from ..workspace.common import emit_open

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..tasks import TaskHandle, TaskManager

OPEN = ws.OPEN_FEEDBACK  # the feedback service's open statuses


class QueueFilters(TypedDict):
    """The filters of the queue, as ``services.workspace.feedback_queue`` takes them."""

    statuses: list[str] | None
    kinds: list[str] | None
    severities: list[str] | None


def _filter_combo(
    parent: QWidget | None, everything: str, items: list[tuple[str, str]], name: str
) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName(name)
    combo.addItem(everything, None)
    for value, text in items:
        combo.addItem(text, value)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


class FeedbackPage(QWidget):
    client_open_requested = Signal(str)
    item_open_requested = Signal(str, str, str)  # client id, entity, row id
    loaded = Signal()

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.setObjectName("FeedbackPage")
        self._handle: TaskHandle | None = None
        self._shown_before = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        head = QHBoxLayout()
        title = QLabel(_("Feedback queue"), self)
        title.setStyleSheet(style.PAGE_TITLE_CSS)
        head.addWidget(title)
        head.addSpacing(12)
        self.summary = QLabel("", self)
        self.summary.setObjectName("summary")
        self.summary.setStyleSheet(style.MUTED_CSS)
        head.addWidget(self.summary)
        head.addStretch(1)
        from ..dialogs.bulk_edit import BulkBar  # several items selected: edit them at once, undo

        self.bulk_bar = BulkBar("feedback", ctx, tasks, self.selected_ids, self)
        self.bulk_bar.changed.connect(self.refresh)
        head.addWidget(self.bulk_bar)
        layout.addLayout(head)
        bar = QHBoxLayout()
        bar.setSpacing(8)
        self.open_only = QCheckBox(_("Open only"), self)
        self.open_only.setObjectName("open_only")
        self.open_only.setChecked(True)
        self.status = _filter_combo(self, _("All statuses"), choices(FeedbackStatus), "status")
        self.kind = _filter_combo(self, _("All kinds"), choices(FeedbackKind), "kind")
        self.severity = _filter_combo(self, _("All severities"), choices(Severity), "severity")
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(_("Filter by client or subject"))
        self.search.setClearButtonEnabled(True)
        for w in (self.open_only, self.status, self.kind, self.severity):
            bar.addWidget(w)
        bar.addWidget(self.search, 1)
        from ..widgets.saved_views import SavedViewsBar  # the user's views of the queue, synced

        self.views_bar = SavedViewsBar("feedback", ctx, tasks, self.view_state, self.apply_view_state, self)
        bar.addWidget(self.views_bar)
        layout.addLayout(bar)
        self.model = FeedbackQueueModel(ctx.now, self)
        self.view = QTableView(self)
        self.view.setObjectName("queue")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(30)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for i, width in enumerate((150, 150, 0, 90, 80, 100, 90, 130)):
            if width:
                self.view.setColumnWidth(i, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        from ..widgets.saved_views import TableColumns

        self.columns = TableColumns(self.view, list(self.model.COLUMNS), self.model.headers(), keep="subject")
        self.empty = QLabel(
            _(
                "No feedback matches. Feedback recorded in a client's workspace appears here, "
                "overdue items first."
            ),
            self,
        )
        self.empty.setObjectName("empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(style.EMPTY_LIST_CSS)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        hint = QLabel(_("Double-click an item (or press Enter) to open it in its client's workspace."), self)
        hint.setStyleSheet(style.MUTED_CSS)
        layout.addWidget(hint)
        self.all_items: list[ws.QueueItem] = []
        self.open_only.toggled.connect(self._open_only_toggled)
        for combo in (self.status, self.kind, self.severity):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.search.textChanged.connect(lambda _t: self._apply_search())
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.bulk_bar.update_selection())
        self.model.modelReset.connect(self.bulk_bar.update_selection)
        self.view.doubleClicked.connect(lambda i: self.open_row(i.row()))
        self.view.activated.connect(lambda i: self.open_row(i.row()))
        self.timer = QTimer(self)
        self.timer.setInterval(60_000)
        self.timer.timeout.connect(self.model.tick)
        self.timer.start()
        self.refresh()
        self.views_bar.reload()

    def _open_only_toggled(self, on: bool) -> None:
        if on and self.status.currentData() not in (None, *OPEN):
            self.status.blockSignals(True)
            self.status.setCurrentIndex(0)
            self.status.blockSignals(False)
        self.refresh()

    def filters(self) -> QueueFilters:
        status = self.status.currentData()
        statuses = [status] if status else (list(OPEN) if self.open_only.isChecked() else None)
        kind = self.kind.currentData()
        severity = self.severity.currentData()
        return {
            "statuses": statuses,
            "kinds": [kind] if kind else None,
            "severities": [severity] if severity else None,
        }

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - data may have changed while another screen was shown
        super().showEvent(event)
        if self._shown_before:
            self.refresh()
        self._shown_before = True

    def refresh(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        ctx, filters = self.ctx, self.filters()
        self._handle = self.tasks.run_db(
            lambda: ws.feedback_queue(ctx, **filters),
            on_result=self._loaded,
            on_error=lambda exc: self.summary.setText(str(exc)),
            name="feedback queue",
        )

    def _loaded(self, items: list[ws.QueueItem]) -> None:
        self.all_items = items
        self._apply_search()
        self.loaded.emit()

    def _apply_search(self) -> None:
        text = self.search.text().strip().casefold()
        items = [
            i
            for i in self.all_items
            if not text or text in i.client_name.casefold() or text in i.subject.casefold()
        ]
        self.model.set_items(items)
        self.stack.setCurrentWidget(self.view if items else self.empty)
        now = self.ctx.now()
        overdue = sum(1 for i in items if i.overdue(now))
        due_soon = sum(
            1
            for i in items
            if not i.overdue(now)
            and i.status in OPEN
            and i.due_at is not None
            and i.due_at - now < dt.timedelta(days=1)
        )
        parts = [_("{n} items").format(n=len(items))]
        if overdue:
            parts.append(_("{n} overdue").format(n=overdue))
        if due_soon:
            parts.append(_("{n} due within a day").format(n=due_soon))
        self.summary.setText(" · ".join(parts))

    # -- saved views ---------------------------------------------------------------------------
    def view_state(self) -> dict[str, Any]:
        """The queue as it is now: filters and visible columns (what a saved view keeps; the
        queue's order is its own: overdue first)."""
        filters: dict[str, Any] = {"open_only": self.open_only.isChecked()}
        for key, combo in (("status", self.status), ("kind", self.kind), ("severity", self.severity)):
            if combo.currentData() is not None:
                filters[key] = combo.currentData()
        if self.search.text().strip():
            filters["search"] = self.search.text().strip()
        return {"filters": filters, "columns": self.columns.visible(), "sort": []}

    def apply_view_state(self, state: dict[str, Any]) -> None:
        """Show a saved view: its filters and columns."""
        filters = state.get("filters") or {}
        widgets = (self.open_only, self.status, self.kind, self.severity, self.search)
        for w in widgets:
            w.blockSignals(True)
        self.open_only.setChecked(bool(filters.get("open_only", True)))
        for key, combo in (("status", self.status), ("kind", self.kind), ("severity", self.severity)):
            value = filters.get(key)
            combo.setCurrentIndex(max(0, combo.findData(value)) if value else 0)
        self.search.setText(str(filters.get("search") or ""))
        for w in widgets:
            w.blockSignals(False)
        self.columns.show_only(list(state.get("columns") or []))
        self.refresh()

    def selected_ids(self) -> list[str]:
        """The feedback items selected (several with Ctrl or Shift)."""
        view = getattr(self, "view", None)
        if view is None or view.selectionModel() is None:
            return []
        rows = sorted(i.row() for i in view.selectionModel().selectedRows())
        return [self.model.items[r].id for r in rows if 0 <= r < len(self.model.items)]

    def open_row(self, row: int) -> None:
        if not 0 <= row < len(self.model.items):
            return
        item = self.model.items[row]
        emit_open(self, item.client_id, "feedback", item.id)
