"""The calendar's day grids as views: the delegates that paint the month's and the week's cells, and the
view that moves a planned visit to another cell. Their item models are in ``ui/item_models/calendar.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QTableView

from .. import style
from ..item_models.calendar import AllDayModel, MonthModel, WeekModel  # noqa: F401 - re-exported
from .calendar_look import (
    paint_entries,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QKeyEvent, QMouseEvent, QPaintEvent
    from PySide6.QtWidgets import QStyleOptionViewItem, QWidget


def _index(persistent: QPersistentModelIndex) -> QModelIndex:
    index: QModelIndex = QModelIndex(persistent)  # type: ignore[call-overload]  # Qt has it; the stub lacks it
    return index


class MonthDelegate(QStyledItemDelegate):
    """Day number, then one bar per entry in the look of its kind ("+N more" when they do not fit)."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        model = index.model()
        assert isinstance(model, MonthModel)  # the month view's delegate
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

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(120, 96)


class EntriesDelegate(QStyledItemDelegate):
    """A week cell: its entries as bars in the look of their kind."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        model = index.model()
        assert isinstance(model, (WeekModel, AllDayModel))  # the week's and the all-day row's delegate
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


class EntryMoveView(QTableView):
    """A month or week grid where a planned visit is moved with the mouse: pressed on its cell,
    dragged past the drag distance (the cell under the pointer is outlined, the cursor is a closed
    hand) and released on another cell, it goes to that day or hour through the model's
    ``dropMimeData`` (the model decides what may move and where). Esc or a release outside the
    grid cancels.

    The move happens inside the view, without a platform drag-and-drop session: it behaves the
    same on every desktop and under the offscreen platform, where a real mouse drag in a test
    (press, move, release) reaches it like a person's."""

    def __init__(self, parent: QWidget | None = None) -> None:
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

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._cancel()
        if event.button() == Qt.MouseButton.LeftButton:
            index = self.indexAt(event.position().toPoint())
            model = self.model()
            if index.isValid() and model is not None and model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled:
                self._press = QPersistentModelIndex(index)
                self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
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
                if _index(self.move_target) != target:
                    self.move_target = QPersistentModelIndex(target)
                    self.viewport().update()
                event.accept()
                return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.moving and event.button() == Qt.MouseButton.LeftButton:
            source = _index(self._press) if self._press is not None else QModelIndex()
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

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if self.moving and event.key() == Qt.Key.Key_Escape:
            self._cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        target = _index(self.move_target)
        if self.moving and target.isValid():
            painter = QPainter(self.viewport())
            pen = QPen(QColor(style.ACCENT))
            pen.setWidth(2)
            painter.setPen(pen)
            painter.drawRect(self.visualRect(target).adjusted(1, 1, -2, -2))
            painter.end()
