"""The parts of the Today screen: its sections (a list of agenda items with their delegate and
"Show all"), grouping items into sections, and the date dialog of snooze and reschedule (split off
ui/pages/today.py, issue 17; still importable from there)."""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCalendarWidget,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from ...labels import label
from ...models.enums import Severity
from ...services.agenda import SECTIONS, section_of, triage_key
from ...services.agenda_rules import AgendaItem
from .. import icons, style
from ..item_models.agenda import AgendaListModel
from ..item_models.roles import DUE_TEXT_ROLE, ICON_ROLE, ROW_ROLE
from ..widgets import badges
from ..widgets.badges import paint_badges

ROW_HEIGHT = 56
#: Rows shown per section before "Show all".
SECTION_LIMIT = 25
SEVERITY_COLOURS = {
    "critical": style.RISK_COLOURS,
    "high": (style.WARNING, style.WARNING_SOFT),
    "medium": (style.ACCENT, style.ACCENT_SOFT),
}


def group_items(items: list[AgendaItem], today: dt.date) -> dict[str, list[AgendaItem]]:
    """Sections of items not sorted by the service (tests, a model handed ready-made items)."""
    now = dt.datetime.combine(today, dt.time(12)).astimezone()
    groups: dict[str, list[AgendaItem]] = {key: [] for key, _title in SECTIONS}
    for item in items:
        groups[section_of(item, now, today)].append(item)
    for key, rows in groups.items():
        rows.sort(key=partial(triage_key, section=key))
    return groups


def secondary_text(item: AgendaItem) -> str:
    kind = getattr(item, "kind_label", "") or ""
    parts = [p for p in (item.client_name, kind) if p]
    return "  ·  ".join(parts)


class AgendaDelegate(QStyledItemDelegate):
    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = opt.icon.__class__()
        widget = opt.widget
        widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        item = index.data(ROW_ROLE)
        if item is None:
            return
        rect = opt.rect.adjusted(14, 0, -14, 0)
        painter.save()
        overdue = getattr(item, "overdue", False)
        colour = style.DANGER if overdue else style.ACCENT
        pm = icons.pixmap(index.data(ICON_ROLE), 20, colour, widget.devicePixelRatioF())
        painter.drawPixmap(rect.left(), rect.top() + (rect.height() - 20) // 2, pm)
        text_left = rect.left() + 34
        due = index.data(DUE_TEXT_ROLE) or ""
        base = QFont(opt.font)
        small = QFont(opt.font)
        small.setPointSizeF(max(8.0, base.pointSizeF() * 0.9))
        fm_small = QFontMetrics(small)
        due_width = fm_small.horizontalAdvance(due) + 8
        badge = None
        severity = getattr(item, "severity", None)
        if severity in SEVERITY_COLOURS:
            fg, bg = SEVERITY_COLOURS[severity]
            badge = (label(Severity, severity), fg, bg)
        badge_width = badges.badge_width(fm_small, badge[0]) + 12 if badge else 0  # paint_badges insets 6 + 4
        text_right = rect.right() - due_width - badge_width - 12
        title_font = QFont(base)
        title_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(title_font)
        painter.setPen(QColor(style.TEXT))
        fm = QFontMetrics(title_font)
        top = QRect(text_left, rect.top() + 8, text_right - text_left, fm.height())
        painter.drawText(
            top,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(item.title, Qt.TextElideMode.ElideRight, top.width()),
        )
        painter.setFont(small)
        painter.setPen(QColor(style.TEXT_MUTED))
        bottom = QRect(
            text_left, rect.bottom() - 8 - fm_small.height(), text_right - text_left, fm_small.height()
        )
        painter.drawText(
            bottom,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm_small.elidedText(secondary_text(item), Qt.TextElideMode.ElideRight, bottom.width()),
        )
        painter.setPen(QColor(style.DANGER if overdue else style.TEXT_MUTED))
        due_rect = QRect(rect.right() - due_width, rect.top(), due_width, rect.height())
        painter.drawText(due_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, due)
        painter.restore()
        if badge:
            box = QRect(rect.right() - due_width - badge_width - 4, rect.top(), badge_width, rect.height())
            paint_badges(painter, box, [badge], small)


class AgendaSection(QWidget):
    """A heading and a list that grows with its items (the page scrolls, not the list)."""

    activated = Signal(object)
    #: The current item changed (None: nothing selected).
    current_changed = Signal(object)
    #: A context menu was asked for at this global position.
    menu_requested = Signal(object, object)
    #: Up past the first row (-1) or down past the last (+1): the page moves to the next section.
    leave_requested = Signal(int)

    def __init__(self, key: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.heading = QLabel()
        self.heading.setObjectName("SectionTitle")
        layout.addWidget(self.heading)
        self.model = AgendaListModel(today, self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(AgendaDelegate(self.view))
        self.view.setMouseTracking(True)
        self.view.setUniformItemSizes(True)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setCursor(Qt.CursorShape.PointingHandCursor)
        self.view.clicked.connect(self._open)
        self.view.activated.connect(self._open)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.selectionModel().currentChanged.connect(
            lambda cur, _prev: self.current_changed.emit(cur.data(ROW_ROLE))
        )
        self.view.installEventFilter(self)
        layout.addWidget(self.view)
        self.more_button = QToolButton()
        self.more_button.setObjectName("Link")
        self.more_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.more_button.clicked.connect(self.show_all)
        self.more_button.hide()
        layout.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._all: list[AgendaItem] = []
        self._today = today
        self.expanded = False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.view and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            row = self.view.currentIndex().row()
            if event.key() == Qt.Key.Key_Down and row == self.model.rowCount() - 1:
                self.leave_requested.emit(1)
                return True
            if event.key() == Qt.Key.Key_Up and row <= 0:
                self.leave_requested.emit(-1)
                return True
        return super().eventFilter(obj, event)

    def current_item(self) -> AgendaItem | None:
        index = self.view.currentIndex()
        item: AgendaItem | None = index.data(ROW_ROLE) if index.isValid() else None
        return item

    def focus_row(self, row: int) -> None:
        row = max(0, min(row, self.model.rowCount() - 1))
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.view.setCurrentIndex(self.model.index(row, 0))

    def _menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        self.menu_requested.emit(index.data(ROW_ROLE), self.view.viewport().mapToGlobal(pos))

    def set_items(self, title: str, items: list[AgendaItem], today: dt.date) -> None:
        self.heading.setText(f"{title} · {len(items)}")
        self._all = list(items)
        self._today = today
        self._fill()
        self.setVisible(bool(items))

    def _fill(self) -> None:
        shown = self._all if self.expanded else self._all[:SECTION_LIMIT]
        self.model.set_items(shown, self._today)
        self.view.setFixedHeight(max(1, len(shown)) * ROW_HEIGHT + 4)
        self.more_button.setText(_("Show all {n}").format(n=len(self._all)))
        self.more_button.setVisible(len(shown) < len(self._all))

    def show_all(self) -> None:
        self.expanded = True
        self._fill()

    def _open(self, index: QModelIndex) -> None:
        item = index.data(ROW_ROLE)
        if item is not None:
            self.activated.emit(item)


class DateDialog(QDialog):
    """Pick a day (snooze until, reschedule to): a calendar from tomorrow or today on."""

    def __init__(self, title: str, first: dt.date, initial: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        self.calendar = QCalendarWidget(self)
        self.calendar.setMinimumDate(QDate(first.year, first.month, first.day))
        self.calendar.setSelectedDate(QDate(initial.year, initial.month, initial.day))
        self.calendar.activated.connect(lambda _d: self.accept())
        layout.addWidget(self.calendar)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def day(self) -> dt.date:
        day = self.calendar.selectedDate().toPython()
        assert isinstance(day, dt.date)  # QDate.toPython gives a date (the stub says object)
        return day
