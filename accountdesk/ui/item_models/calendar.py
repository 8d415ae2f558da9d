"""The calendar's day grids as item models: the month (6 weeks × 7 days), the week (24 hours ×
7 days) and its all-day row. A cell's entries are its ``ROW_ROLE``, its date ``DATE_ROLE`` (the
roles of :mod:`.roles`); a grid has days for columns, so no :class:`~.columns.Column` list. Dragging
a planned visit from a cell to another emits ``visit_dropped(visit id, new start)``.

The delegates that paint the cells and the view that moves entries stay with the calendar page
(``ui/pages/calendar_grid.py``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from ...i18n import _
from ...models.enums import VisitStatus
from ...services import calendar as cal
from .. import style
from ..forms.fmt import fmt_time, local
from .roles import DATE_ROLE, ROW_ROLE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from PySide6.QtCore import QObject

Index = QModelIndex | QPersistentModelIndex

#: The week view shows every hour and opens scrolled to FIRST_HOUR; LAST_HOUR is the last one a
#: working day fills.
FIRST_HOUR, LAST_HOUR = 7, 20
HOURS = 24
MIME_VISIT = "application/x-accountdesk-visit"


def entry_line(e: cal.CalendarEntry) -> str:
    if e.start is not None:
        return f"{fmt_time(e.start)} {e.client_name} · {e.title}"
    return f"{e.client_name} · {e.title}"


visit_line = entry_line


def movable(e: cal.CalendarEntry) -> bool:
    return e.kind == "visit" and e.status == VisitStatus.PLANNED.value


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekday_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


class _DayGridModel(QAbstractTableModel):
    """Shared by the views: entries per cell, and dragging a planned visit from a cell to another
    (``visit_dropped(visit id, new start)``)."""

    visit_dropped = Signal(str, object)

    def cell_entries(self, index: Index) -> list[cal.CalendarEntry]:
        raise NotImplementedError

    def drop_start(self, index: Index, old: dt.datetime) -> dt.datetime | None:
        raise NotImplementedError

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
        if any(movable(e) for e in self.cell_entries(index)):
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME_VISIT]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData | None:  # type: ignore[override]  # noqa: N802 - None: no drag (Qt accepts it)
        for index in indexes:
            for e in self.cell_entries(index):
                if movable(e) and e.start is not None:
                    data = QMimeData()
                    data.setData(MIME_VISIT, QByteArray(f"{e.row_id}|{e.start.isoformat()}".encode()))
                    return data
        return None

    def canDropMimeData(  # noqa: N802
        self, data: QMimeData | None, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        return data is not None and data.hasFormat(MIME_VISIT) and parent.isValid()

    def dropMimeData(  # noqa: N802
        self, data: QMimeData | None, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if data is None or not self.canDropMimeData(data, action, row, column, parent):
            return False
        visit_id, _sep, start = bytes(data.data(MIME_VISIT).data()).decode().partition("|")
        new_start = self.drop_start(parent, dt.datetime.fromisoformat(start))
        if new_start is None:
            return False
        self.visit_dropped.emit(visit_id, new_start)
        return True

    def setData(  # noqa: N802 - a finished move clears nothing
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        return False


class MonthModel(_DayGridModel):
    """6 weeks × 7 days from the Monday on or before the 1st; each cell holds its entries."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.month = dt.date.today().replace(day=1)
        self.first = week_start(self.month)
        self.by_day: dict[dt.date, list[cal.CalendarEntry]] = {}
        self.today = dt.date.today()

    def set_month(self, month: dt.date, today: dt.date) -> None:
        self.beginResetModel()
        self.month = month_start(month)
        self.first = week_start(self.month)
        self.today = today
        self.by_day = {}
        self.endResetModel()

    def range(self) -> tuple[dt.date, dt.date]:
        return self.first, self.first + dt.timedelta(days=42)

    def set_entries(self, entries: list[cal.CalendarEntry]) -> None:
        self.beginResetModel()
        self.by_day = {}
        for e in entries:
            self.by_day.setdefault(e.day, []).append(e)
        self.endResetModel()

    set_visits = set_entries

    def date_at(self, index: Index) -> dt.date:
        return self.first + dt.timedelta(days=index.row() * 7 + index.column())

    def index_of(self, day: dt.date) -> QModelIndex:
        n = (day - self.first).days
        if not 0 <= n < 42:
            return QModelIndex()
        return self.index(n // 7, n % 7)

    def cell_entries(self, index: Index) -> list[cal.CalendarEntry]:
        return self.by_day.get(self.date_at(index), []) if index.isValid() else []

    def drop_start(self, index: Index, old: dt.datetime) -> dt.datetime | None:
        """The same time of day on the day dropped on."""
        return dt.datetime.combine(self.date_at(index), local(old).time()).astimezone()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 6

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 7

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not (0 <= index.row() < 6 and 0 <= index.column() < 7):
            return None
        day = self.date_at(index)
        entries = self.by_day.get(day, [])
        if role == Qt.ItemDataRole.DisplayRole:
            return str(day.day)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(entry_line(e) for e in entries) or None
        if role == ROW_ROLE:
            return entries
        if role == DATE_ROLE:
            return day
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < 7
        ):
            return weekday_names()[section]
        return None


class WeekModel(_DayGridModel):
    """The 24 hours (rows) × the seven days of a week (columns); a cell lists the visits starting
    in that hour. Date-only entries go to the all-day row (:class:`AllDayModel`)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.first = week_start(dt.date.today())
        self.cells: dict[tuple[int, int], list[cal.CalendarEntry]] = {}
        self.today = dt.date.today()

    def set_week(self, day: dt.date, today: dt.date) -> None:
        self.beginResetModel()
        self.first = week_start(day)
        self.today = today
        self.cells = {}
        self.endResetModel()

    def range(self) -> tuple[dt.date, dt.date]:
        return self.first, self.first + dt.timedelta(days=7)

    def set_entries(self, entries: list[cal.CalendarEntry]) -> None:
        self.beginResetModel()
        self.cells = {}
        for e in entries:
            if e.start is None:
                continue
            start = local(e.start)
            col = (start.date() - self.first).days
            if 0 <= col < 7:
                self.cells.setdefault((start.hour, col), []).append(e)
        self.endResetModel()

    set_visits = set_entries

    def cell_entries(self, index: Index) -> list[cal.CalendarEntry]:
        return self.cells.get((index.row(), index.column()), []) if index.isValid() else []

    def slot(self, index: Index) -> dt.datetime:
        day = self.first + dt.timedelta(days=index.column())
        return dt.datetime.combine(day, dt.time(index.row(), 0)).astimezone()

    def drop_start(self, index: Index, old: dt.datetime) -> dt.datetime | None:
        """The hour dropped on, keeping the minutes."""
        return self.slot(index).replace(minute=local(old).minute)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else HOURS

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 7

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not (0 <= index.row() < self.rowCount() and 0 <= index.column() < 7):
            return None
        entries = self.cell_entries(index)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return "\n".join(entry_line(e) for e in entries)
        if role == ROW_ROLE:
            return entries
        if role == DATE_ROLE:
            return self.first + dt.timedelta(days=index.column())
        if role == Qt.ItemDataRole.BackgroundRole:
            if self.first + dt.timedelta(days=index.column()) == self.today:
                return QColor(style.TODAY_TINT)
            if not FIRST_HOUR <= index.row() <= LAST_HOUR:
                return QColor(style.OFF_HOURS)  # outside working hours
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < 7:
            day = self.first + dt.timedelta(days=section)
            return f"{weekday_names()[section]} {day.month}/{day.day}"
        if orientation == Qt.Orientation.Vertical and 0 <= section < self.rowCount():
            return f"{section:02d}:00"
        return None


class AllDayModel(QAbstractTableModel):
    """One row × the seven days of the week: the date-only entries (cadence plans, tasks,
    calibrations, renewals)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.first = week_start(dt.date.today())
        self.by_col: dict[int, list[cal.CalendarEntry]] = {}

    def set_week(self, day: dt.date) -> None:
        self.beginResetModel()
        self.first = week_start(day)
        self.by_col = {}
        self.endResetModel()

    def set_entries(self, entries: list[cal.CalendarEntry]) -> None:
        self.beginResetModel()
        self.by_col = {}
        for e in entries:
            col = (e.day - self.first).days
            if e.all_day and 0 <= col < 7:
                self.by_col.setdefault(col, []).append(e)
        self.endResetModel()

    def cell_entries(self, index: Index) -> list[cal.CalendarEntry]:
        return self.by_col.get(index.column(), []) if index.isValid() else []

    def most(self) -> int:
        return max((len(v) for v in self.by_col.values()), default=0)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 1

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 7

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() != 0 or not 0 <= index.column() < 7:
            return None
        entries = self.cell_entries(index)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return "\n".join(entry_line(e) for e in entries)
        if role == ROW_ROLE:
            return entries
        if role == DATE_ROLE:
            return self.first + dt.timedelta(days=index.column())
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """The days of the week above (the hour grid below has no header of its own)."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < 7:
            day = self.first + dt.timedelta(days=section)
            return f"{weekday_names()[section]} {day.month}/{day.day}"
        if orientation == Qt.Orientation.Vertical and section == 0:
            return _("All day")
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


__all__ = [
    "FIRST_HOUR",
    "HOURS",
    "LAST_HOUR",
    "MIME_VISIT",
    "AllDayModel",
    "MonthModel",
    "WeekModel",
    "entry_line",
    "month_start",
    "movable",
    "visit_line",
    "week_start",
    "weekday_names",
]
