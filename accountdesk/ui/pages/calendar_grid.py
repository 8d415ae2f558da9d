"""The calendar's day grids: the month (6 weeks × 7 days), the week (24 hours × 7 days) with its
all-day row, the delegates that paint their cells, and dragging a planned visit to another cell."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QTableView

from ...i18n import _
from ...services import calendar as cal
from .. import style
from ..forms.fmt import local
from ..item_models.roles import DATE_ROLE, ROW_ROLE
from .calendar_look import (
    FIRST_HOUR,
    HOURS,
    LAST_HOUR,
    MIME_VISIT,
    entry_line,
    month_start,
    movable,
    paint_entries,
    week_start,
    weekday_names,
)

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QWidget


class _DayGridModel(QAbstractTableModel):
    """Shared by the views: entries per cell, and dragging a planned visit from a cell to another
    (``visit_dropped(visit id, new start)``)."""

    visit_dropped = Signal(str, object)

    def cell_entries(self, index: QModelIndex) -> list[cal.CalendarEntry]:
        raise NotImplementedError

    def drop_start(self, index: QModelIndex, old: dt.datetime) -> dt.datetime | None:
        raise NotImplementedError

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
        if any(movable(e) for e in self.cell_entries(index)):
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def supportedDropActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self):  # noqa: N802
        return [MIME_VISIT]

    def mimeData(self, indexes):  # noqa: N802
        for index in indexes:
            for e in self.cell_entries(index):
                if movable(e):
                    data = QMimeData()
                    data.setData(MIME_VISIT, QByteArray(f"{e.row_id}|{e.start.isoformat()}".encode()))
                    return data
        return None

    def canDropMimeData(self, data, action, row, column, parent):  # noqa: N802
        return data is not None and data.hasFormat(MIME_VISIT) and parent.isValid()

    def dropMimeData(self, data, action, row, column, parent):  # noqa: N802
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        visit_id, _sep, start = bytes(data.data(MIME_VISIT).data()).decode().partition("|")
        new_start = self.drop_start(parent, dt.datetime.fromisoformat(start))
        if new_start is None:
            return False
        self.visit_dropped.emit(visit_id, new_start)
        return True

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:  # noqa: N802 - a finished move clears nothing
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

    def date_at(self, index: QModelIndex) -> dt.date:
        return self.first + dt.timedelta(days=index.row() * 7 + index.column())

    def index_of(self, day: dt.date) -> QModelIndex:
        n = (day - self.first).days
        if not 0 <= n < 42:
            return QModelIndex()
        return self.index(n // 7, n % 7)

    def cell_entries(self, index: QModelIndex) -> list[cal.CalendarEntry]:
        return self.by_day.get(self.date_at(index), []) if index.isValid() else []

    def drop_start(self, index: QModelIndex, old: dt.datetime) -> dt.datetime | None:
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

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < 7
        ):
            return weekday_names()[section]
        return None


class MonthDelegate(QStyledItemDelegate):
    """Day number, then one bar per entry in the look of its kind ("+N more" when they do not fit)."""

    def paint(self, painter: QPainter, option, index) -> None:
        model: MonthModel = index.model()
        day = model.date_at(index)
        painter.save()
        rect = option.rect
        in_month = day.month == model.month.month
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.fillRect(
            rect,
            QColor(style.SELECTED_TINT)
            if selected
            else QColor(style.WHITE if in_month else style.OUTSIDE_MONTH),
        )
        painter.setPen(QPen(QColor(style.CELL_BORDER)))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        font = QFont(option.font)
        fm = painter.fontMetrics()
        num_rect = QRect(rect.left() + 6, rect.top() + 4, rect.width() - 12, fm.height() + 2)
        if day == model.today:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setBrush(QColor(style.ACCENT))
            painter.setPen(Qt.PenStyle.NoPen)
            d = fm.height() + 4
            painter.drawEllipse(QRectF(num_rect.left() - 3, num_rect.top() - 2, d, d))
            painter.setPen(QColor(style.WHITE))
        else:
            painter.setPen(QColor(style.TEXT if in_month else style.TEXT_FAINT))
        font.setBold(day == model.today)
        painter.setFont(font)
        painter.drawText(
            QRect(num_rect.left() - 3, num_rect.top() - 2, fm.height() + 4, fm.height() + 4),
            Qt.AlignmentFlag.AlignCenter,
            str(day.day),
        )
        font.setBold(False)
        paint_entries(painter, rect, num_rect.bottom() + 4, model.by_day.get(day, []), font)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return QSize(120, 96)


class EntriesDelegate(QStyledItemDelegate):
    """A week cell: its entries as bars in the look of their kind."""

    def paint(self, painter: QPainter, option, index) -> None:
        model = index.model()
        painter.save()
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        painter.fillRect(
            rect, QColor(style.SELECTED_TINT) if selected else (background or QColor(style.WHITE))
        )
        painter.setPen(QPen(QColor(style.GRID_LINE)))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.topRight(), rect.bottomRight())
        paint_entries(painter, rect, rect.top() + 2, model.cell_entries(index), QFont(option.font))
        painter.restore()


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

    def cell_entries(self, index: QModelIndex) -> list[cal.CalendarEntry]:
        return self.cells.get((index.row(), index.column()), []) if index.isValid() else []

    def slot(self, index: QModelIndex) -> dt.datetime:
        day = self.first + dt.timedelta(days=index.column())
        return dt.datetime.combine(day, dt.time(index.row(), 0)).astimezone()

    def drop_start(self, index: QModelIndex, old: dt.datetime) -> dt.datetime | None:
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

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
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

    def cell_entries(self, index: QModelIndex) -> list[cal.CalendarEntry]:
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

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
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


class EntryMoveView(QTableView):
    """A month or week grid where a planned visit is moved with the mouse: pressed on its cell,
    dragged past the drag distance (the cell under the pointer is outlined, the cursor is a closed
    hand) and released on another cell, it goes to that day or hour through the model's
    ``dropMimeData`` (the model decides what may move and where). Esc or a release outside the
    grid cancels.

    The move happens inside the view, without a platform drag-and-drop session: it behaves the
    same on every desktop and under the offscreen platform, where a real mouse drag in a test
    (press, move, release) reaches it like a person's."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._press: QPersistentModelIndex | None = None
        self._press_pos = QPoint()
        self.moving = False
        self.move_target = QPersistentModelIndex()

    def _cancel(self) -> None:
        self._press = None
        if self.moving:
            self.moving = False
            self.move_target = QPersistentModelIndex()
            self.viewport().unsetCursor()
            self.viewport().update()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._cancel()
        if event.button() == Qt.MouseButton.LeftButton:
            index = self.indexAt(event.position().toPoint())
            model = self.model()
            if index.isValid() and model is not None and model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled:
                self._press = QPersistentModelIndex(index)
                self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            if (
                not self.moving
                and (pos - self._press_pos).manhattanLength() >= QApplication.startDragDistance()
            ):
                self.moving = True
                self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            if self.moving:
                target = self.indexAt(pos)
                if QModelIndex(self.move_target) != target:
                    self.move_target = QPersistentModelIndex(target)
                    self.viewport().update()
                event.accept()
                return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self.moving and event.button() == Qt.MouseButton.LeftButton:
            source = QModelIndex(self._press) if self._press is not None else QModelIndex()
            target = self.indexAt(event.position().toPoint())
            self._cancel()
            event.accept()
            model = self.model()
            if model is None or not source.isValid() or not target.isValid() or target == source:
                return
            data = model.mimeData([source])
            if data is not None and model.canDropMimeData(data, Qt.DropAction.MoveAction, -1, -1, target):
                model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, target)
            return
        self._cancel()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if self.moving and event.key() == Qt.Key.Key_Escape:
            self._cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        target = QModelIndex(self.move_target)
        if self.moving and target.isValid():
            painter = QPainter(self.viewport())
            pen = QPen(QColor(style.ACCENT))
            pen.setWidth(2)
            painter.setPen(pen)
            painter.drawRect(self.visualRect(target).adjusted(1, 1, -2, -2))
            painter.end()
