"""A flat list of agenda items (one section of the Today screen)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from ...i18n import _
from .roles import DUE_TEXT_ROLE, ICON_ROLE, ROW_ROLE

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

#: The icon of an agenda kind (matched on a word of the kind).
KIND_ICONS = (
    ("conflict", "conflict"),
    ("feedback", "feedback"),
    ("complaint", "feedback"),
    ("calibration", "equipment"),
    ("equipment", "equipment"),
    ("sla", "contract"),
    ("commitment", "contract"),
    ("renewal", "contract"),
    ("contract", "contract"),
    ("improvement", "improvement"),
    ("survey", "check"),
    ("task", "check"),
    ("visit", "visit"),
)


def kind_icon(kind: str) -> str:
    kind = (kind or "").lower()
    for word, name in KIND_ICONS:
        if word in kind:
            return name
    return "clock"


def due_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone().date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def due_text(item: Any, today: dt.date) -> str:
    if getattr(item, "overdue", False):
        days = int(getattr(item, "days_overdue", 0) or 0)
        if days <= 0:
            return _("Overdue")
        return (_("{n} day overdue") if days == 1 else _("{n} days overdue")).format(n=days)
    day = due_date(item.due)
    if day is None:
        return ""
    when = getattr(item, "due_at", None)
    if not isinstance(when, dt.datetime):
        when = item.due if isinstance(item.due, dt.datetime) else None
    hour = when.astimezone().strftime("%H:%M") if when is not None else None
    if day == today:
        return _("Today {time}").format(time=hour) if hour else _("Due today")
    if day == today + dt.timedelta(days=1):
        return _("Tomorrow {time}").format(time=hour) if hour else _("Tomorrow")
    return f"{day.isoformat()} {hour}" if hour else day.isoformat()


class AgendaListModel(QAbstractListModel):
    def __init__(self, today: dt.date, parent: QObject | None = None):
        super().__init__(parent)
        self._items: list[Any] = []
        self.today = today

    def set_items(self, items: list[Any], today: dt.date | None = None) -> None:
        self.beginResetModel()
        self._items = list(items)
        if today is not None:
            self.today = today
        self.endResetModel()

    def item_at(self, row: int) -> Any:
        return self._items[row] if 0 <= row < len(self._items) else None

    def items(self) -> list[Any]:
        return list(self._items)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._items)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.parent().isValid() or index.column() != 0:
            return None
        item = self.item_at(index.row())
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return item.title
        if role == ROW_ROLE:
            return item
        if role == DUE_TEXT_ROLE:
            return due_text(item, self.today)
        if role == ICON_ROLE:
            return kind_icon(item.kind)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.title}\n{item.client_name} · {due_text(item, self.today)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{item.title}, {item.client_name}"
        return None
