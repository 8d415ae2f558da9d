"""Today (今日待办): overdue, due today, due this week — each item opens in one click."""

from __future__ import annotations

import datetime as dt
import logging
import time

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...i18n import N_, _
from ...labels import label
from ...models.enums import Severity
from .. import icons, style
from ..item_models.agenda import AgendaListModel, DueTextRole, IconRole, ItemRole, due_date
from ..widgets import badges
from ..widgets.badges import paint_badges
from ..widgets.empty_state import EmptyState

log = logging.getLogger(__name__)

ROW_HEIGHT = 56
#: Seconds after which showing Today again reloads it.
STALE_AFTER_S = 300
#: Rows shown per section before "Show all".
SECTION_LIMIT = 25
SECTIONS = (
    ("overdue", N_("Overdue")),
    ("today", N_("Due today")),
    ("week", N_("Due this week")),
)
SEVERITY_COLOURS = {"critical": style.RISK_COLOURS, "high": ("#b54708", "#fef0c7")}


def group_items(items: list, today: dt.date) -> dict[str, list]:
    groups: dict[str, list] = {key: [] for key, _title in SECTIONS}
    for item in items:
        day = due_date(item.due)
        if getattr(item, "overdue", False) or (day is not None and day < today):
            groups["overdue"].append(item)
        elif day is None or day <= today:
            groups["today"].append(item)
        else:
            groups["week"].append(item)
    groups["overdue"].sort(key=lambda i: (-(getattr(i, "days_overdue", 0) or 0), i.client_name, i.title))
    return groups


def secondary_text(item) -> str:
    kind = getattr(item, "kind_label", "") or ""
    parts = [p for p in (item.client_name, kind) if p]
    return "  ·  ".join(parts)


class AgendaDelegate(QStyledItemDelegate):
    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = opt.icon.__class__()
        widget = opt.widget
        widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        item = index.data(ItemRole)
        if item is None:
            return
        rect = opt.rect.adjusted(14, 0, -14, 0)
        painter.save()
        overdue = getattr(item, "overdue", False)
        colour = style.DANGER if overdue else style.ACCENT
        pm = icons.pixmap(index.data(IconRole), 20, colour, widget.devicePixelRatioF())
        painter.drawPixmap(rect.left(), rect.top() + (rect.height() - 20) // 2, pm)
        text_left = rect.left() + 34
        due = index.data(DueTextRole) or ""
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
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(item.title, Qt.TextElideMode.ElideRight, top.width()))
        painter.setFont(small)
        painter.setPen(QColor(style.TEXT_MUTED))
        bottom = QRect(text_left, rect.bottom() - 8 - fm_small.height(), text_right - text_left, fm_small.height())
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm_small.elidedText(secondary_text(item), Qt.TextElideMode.ElideRight, bottom.width()))
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

    def __init__(self, key: str, today: dt.date, parent=None):
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
        layout.addWidget(self.view)
        self.more_button = QToolButton()
        self.more_button.setObjectName("Link")
        self.more_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.more_button.clicked.connect(self.show_all)
        self.more_button.hide()
        layout.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._all: list = []
        self._today = today
        self.expanded = False

    def set_items(self, title: str, items: list, today: dt.date) -> None:
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
        item = index.data(ItemRole)
        if item is not None:
            self.activated.emit(item)


class TodayPage(QWidget):
    #: (client_id, entity, row_id) of the item to open.
    item_open_requested = Signal(str, str, str)
    #: Items overdue or due today, after each load (for desktop notifications).
    due_items_loaded = Signal(list)
    loaded = Signal()

    def __init__(self, ctx, tasks, parent=None, *, days: int = 7):
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._days = days
        self._generation = 0
        self.items: list = []
        self.available = True
        self._loaded_at: float | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 12)
        outer.setSpacing(12)
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("PageTitle")
        self.date_label = QLabel()
        self.date_label.setObjectName("Count")
        self.refresh_button = QPushButton(icons.icon("sync"), "")
        self.refresh_button.clicked.connect(self.refresh)
        head.addWidget(self.title)
        head.addSpacing(8)
        head.addWidget(self.date_label, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)
        head.addWidget(self.refresh_button)
        outer.addLayout(head)

        self.stack = QStackedWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.body_layout = QVBoxLayout(body)
        self.body_layout.setContentsMargins(0, 0, 8, 0)
        self.body_layout.setSpacing(18)
        today = ctx.today()
        self.sections: dict[str, AgendaSection] = {}
        for key, _title in SECTIONS:
            section = AgendaSection(key, today)
            section.activated.connect(self._open_item)
            section.hide()
            self.sections[key] = section
            self.body_layout.addWidget(section)
        self.body_layout.addStretch(1)
        scroll.setWidget(body)
        self.stack.addWidget(scroll)
        self.scroll = scroll
        self.empty = EmptyState("", "", icon="check")
        self.stack.addWidget(self.empty)
        self.loading_state = EmptyState("", "", icon="clock")
        self.stack.addWidget(self.loading_state)
        outer.addWidget(self.stack, 1)
        self.retranslate()
        self.stack.setCurrentWidget(self.loading_state)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        # Coming back to Today after a while (or on another day): load it again.
        if self._loaded_at is not None and time.monotonic() - self._loaded_at > STALE_AFTER_S:
            self.refresh()

    def retranslate(self) -> None:
        self.title.setText(_("Today"))
        self.refresh_button.setText(_("Refresh"))
        self.date_label.setText(self._ctx.today().isoformat())
        self.loading_state.set_text(_("Loading your agenda…"))

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        days = self._days
        ctx = self._ctx

        def work():
            try:
                from ...services.agenda import agenda
            except ImportError:
                return None
            return agenda(ctx, days=days)

        self._tasks.run_db(work, on_result=lambda items: self._show(generation, items),
                           on_error=lambda exc: self._failed(generation, exc), name="agenda")

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        log.error("agenda failed: %s", exc)
        self.empty.set_text(_("The agenda could not be loaded"), str(exc))
        self.stack.setCurrentWidget(self.empty)
        self.loaded.emit()

    def _show(self, generation: int, items) -> None:
        if generation != self._generation:
            return
        today = self._ctx.today()
        self.date_label.setText(today.isoformat())
        if items is None:
            self.available = False
            self.items = []
            self.empty.set_text(_("The agenda is not available in this version"),
                                _("Due visits, complaint deadlines and renewals will be listed here."))
            self.stack.setCurrentWidget(self.empty)
            self.loaded.emit()
            return
        self._loaded_at = time.monotonic()
        self.items = list(items)
        groups = group_items(self.items, today)
        if self.items:
            self.date_label.setText(_("{date}  ·  {overdue} overdue  ·  {today} due today  ·  {week} later this week").format(
                date=today.isoformat(), overdue=len(groups["overdue"]), today=len(groups["today"]), week=len(groups["week"])))
        for key, title in SECTIONS:
            self.sections[key].set_items(_(title), groups[key], today)
        if not self.items:
            self.empty.set_text(
                _("Nothing due this week"),
                _("Overdue and due visits, complaint deadlines, SLA and calibration dates, contract renewals "
                  "and conflicts to review appear here as they come up."),
            )
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.scroll)
        self.loaded.emit()
        self.due_items_loaded.emit(groups["overdue"] + groups["today"])

    def shown_titles(self, key: str) -> list[str]:
        """What a section shows (for tests and accessibility checks)."""
        model = self.sections[key].model
        return [model.data(model.index(r, 0)) for r in range(model.rowCount())]

    def _open_item(self, item) -> None:
        self.item_open_requested.emit(item.client_id, item.entity or "", item.row_id or "")
