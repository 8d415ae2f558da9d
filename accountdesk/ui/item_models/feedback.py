"""The feedback queue's table: every client's feedback in queue order with a deadline countdown
(the Feedback screen)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ...i18n import _
from ...labels import label
from ...models.enums import FeedbackKind, FeedbackStatus, Severity
from ...services import workspace as ws
from .. import style
from ..forms.fmt import fmt_datetime, fmt_remaining
from .roles import ID_ROLE

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

#: The feedback service's open statuses.
OPEN = ws.OPEN_FEEDBACK


class FeedbackQueueModel(QAbstractTableModel):
    """The queue as returned by the service (already in queue order); the countdown is computed
    against ``now`` so a timer can refresh it without a query."""

    COLUMNS = ("due", "client", "subject", "kind", "severity", "status", "handler", "received")

    def __init__(self, now: Callable[[], dt.datetime], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: list[ws.QueueItem] = []
        self.now = now

    def headers(self) -> list[str]:
        return [
            _("Deadline"),
            _("Client"),
            _("Subject"),
            _("Kind"),
            _("Severity"),
            _("Status"),
            _("Handler"),
            _("Received at"),
        ]

    def set_items(self, items: list[ws.QueueItem]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def tick(self) -> None:
        if self.items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.items) - 1, 0))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def _text(self, item: ws.QueueItem, col: str) -> str:
        if col == "due":
            if item.due_at is None:
                return ""
            if item.status not in OPEN:
                return fmt_datetime(item.due_at)
            return fmt_remaining(item.remaining(self.now())) + (" · " + _("Paused") if item.paused else "")
        if col == "client":
            return item.client_name
        if col == "subject":
            return item.subject
        if col == "kind":
            return label(FeedbackKind, item.kind)
        if col == "severity":
            return label(Severity, item.severity)
        if col == "status":
            return label(FeedbackStatus, item.status)
        if col == "handler":
            return item.handler_name or "—"
        return fmt_datetime(item.received_at)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            not index.isValid()
            or not (0 <= index.row() < len(self.items))
            or not 0 <= index.column() < len(self.COLUMNS)
        ):
            return None
        item = self.items[index.row()]
        col = self.COLUMNS[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(item, col)
        if role == ID_ROLE:
            return item.id
        if role == Qt.ItemDataRole.ForegroundRole:
            # remaining() is None exactly when there is no due date
            if col == "due" and item.status in OPEN and (remaining := item.remaining(self.now())) is not None:
                left = remaining.total_seconds()
                return QBrush(
                    QColor(style.DANGER if left < 0 else style.WARNING if left < 86400 else style.SUCCESS)
                )
            if col == "severity":
                return QBrush(QColor(style.SEVERITY_COLOURS.get(item.severity, style.TEXT)))
            if item.status not in OPEN:
                return QBrush(QColor(style.TEXT_MUTED))
            return None
        if role == Qt.ItemDataRole.FontRole and col == "due" and item.overdue(self.now()):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.COLUMNS):
                return self.headers()[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
