"""The calendar: planned and done visits by month and by week; a new visit from a day
(double-click); export to an .ics file."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import importlib
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...errors import AccountDeskError
from ...i18n import _, current_language
from ...labels import label
from ...models.enums import VisitChannel, VisitKind, VisitStatus
from ...services import workspace as ws
from ..forms import Lookups, RecordDialog
from ..forms.fmt import fmt_time, local
from ..workspace.common import emit_open, icon

VISITS_ROLE = Qt.ItemDataRole.UserRole
DATE_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_COLOURS = {"planned": "#1f6feb", "done": "#12b76a", "cancelled": "#98a2b3", "missed": "#f04438"}
FIRST_HOUR, LAST_HOUR = 7, 20
NEW_VISIT_FIELDS = ["kind", "channel", "planned_start", "planned_end", "location", "purpose", "owner_id"]


def visit_line(v: ws.CalendarVisit) -> str:
    return f"{fmt_time(v.start)} {v.client_name} · {label(VisitKind, v.kind)}"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekday_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def month_title(day: dt.date) -> str:
    if current_language() == "zh_CN":
        return f"{day.year}年{day.month}月"
    return f"{pycal.month_name[day.month]} {day.year}"


class MonthModel(QAbstractTableModel):
    """6 weeks × 7 days from the Monday on or before the 1st; each cell holds its visits."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.month = dt.date.today().replace(day=1)
        self.first = week_start(self.month)
        self.by_day: dict[dt.date, list[ws.CalendarVisit]] = {}
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

    def set_visits(self, visits: list[ws.CalendarVisit]) -> None:
        self.beginResetModel()
        self.by_day = {}
        for v in visits:
            self.by_day.setdefault(local(v.start).date(), []).append(v)
        self.endResetModel()

    def date_at(self, index: QModelIndex) -> dt.date:
        return self.first + dt.timedelta(days=index.row() * 7 + index.column())

    def index_of(self, day: dt.date) -> QModelIndex:
        n = (day - self.first).days
        if not 0 <= n < 42:
            return QModelIndex()
        return self.index(n // 7, n % 7)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 6

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 7

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < 6 and 0 <= index.column() < 7):
            return None
        day = self.date_at(index)
        visits = self.by_day.get(day, [])
        if role == Qt.ItemDataRole.DisplayRole:
            return str(day.day)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(visit_line(v) for v in visits) or None
        if role == VISITS_ROLE:
            return visits
        if role == DATE_ROLE:
            return day
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < 7:
            return weekday_names()[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class MonthDelegate(QStyledItemDelegate):
    """Day number, then one coloured line per visit ("+N more" when they do not fit)."""

    def paint(self, painter: QPainter, option, index) -> None:
        model: MonthModel = index.model()
        day = model.date_at(index)
        painter.save()
        rect = option.rect
        in_month = day.month == model.month.month
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.fillRect(rect, QColor("#eef4ff") if selected else QColor("#ffffff" if in_month else "#f7f8fa"))
        painter.setPen(QPen(QColor("#e4e7ec")))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        font = QFont(option.font)
        fm = painter.fontMetrics()
        num_rect = QRect(rect.left() + 6, rect.top() + 4, rect.width() - 12, fm.height() + 2)
        if day == model.today:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setBrush(QColor("#1f6feb"))
            painter.setPen(Qt.PenStyle.NoPen)
            d = fm.height() + 4
            painter.drawEllipse(QRectF(num_rect.left() - 3, num_rect.top() - 2, d, d))
            painter.setPen(QColor("#ffffff"))
        else:
            painter.setPen(QColor("#1f2733" if in_month else "#98a2b3"))
        font.setBold(day == model.today)
        painter.setFont(font)
        painter.drawText(QRect(num_rect.left() - 3, num_rect.top() - 2, fm.height() + 4, fm.height() + 4),
                         Qt.AlignmentFlag.AlignCenter, str(day.day))
        font.setBold(False)
        small = QFont(font)
        small.setPointSizeF(max(font.pointSizeF() - 1, 7))
        painter.setFont(small)
        sfm = painter.fontMetrics()
        line_h = sfm.height() + 3
        y = num_rect.bottom() + 4
        visits = model.by_day.get(day, [])
        room = max((rect.bottom() - y - 2) // line_h, 0)
        shown = visits if len(visits) <= room else visits[: max(room - 1, 0)]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for v in shown:
            colour = QColor(STATUS_COLOURS.get(v.status, "#1f6feb"))
            bar = QRectF(rect.left() + 4, y, rect.width() - 8, line_h - 1)
            bg = QColor(colour)
            bg.setAlpha(28)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bg)
            painter.drawRoundedRect(bar, 3, 3)
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(bar.left(), bar.top(), 3, bar.height()), 1.5, 1.5)
            painter.setPen(QColor("#344054") if v.status != "cancelled" else QColor("#98a2b3"))
            text = sfm.elidedText(f"{fmt_time(v.start)} {v.client_name}", Qt.TextElideMode.ElideRight,
                                  int(bar.width()) - 10)
            painter.drawText(bar.adjusted(7, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
            y += line_h
        if len(shown) < len(visits):
            painter.setPen(QColor("#667085"))
            painter.drawText(QRect(rect.left() + 7, y, rect.width() - 10, line_h), Qt.AlignmentFlag.AlignVCenter,
                             _("+{n} more").format(n=len(visits) - len(shown)))
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return QSize(120, 96)


class WeekModel(QAbstractTableModel):
    """Hours (rows) × the seven days of a week (columns); a cell lists the visits starting then."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.first = week_start(dt.date.today())
        self.cells: dict[tuple[int, int], list[ws.CalendarVisit]] = {}
        self.today = dt.date.today()

    def set_week(self, day: dt.date, today: dt.date) -> None:
        self.beginResetModel()
        self.first = week_start(day)
        self.today = today
        self.cells = {}
        self.endResetModel()

    def range(self) -> tuple[dt.date, dt.date]:
        return self.first, self.first + dt.timedelta(days=7)

    def set_visits(self, visits: list[ws.CalendarVisit]) -> None:
        self.beginResetModel()
        self.cells = {}
        for v in visits:
            start = local(v.start)
            col = (start.date() - self.first).days
            if not 0 <= col < 7:
                continue
            row = min(max(start.hour, FIRST_HOUR), LAST_HOUR) - FIRST_HOUR
            self.cells.setdefault((row, col), []).append(v)
        self.endResetModel()

    def slot(self, index: QModelIndex) -> dt.datetime:
        day = self.first + dt.timedelta(days=index.column())
        return dt.datetime.combine(day, dt.time(FIRST_HOUR + index.row(), 0)).astimezone()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else LAST_HOUR - FIRST_HOUR + 1

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 7

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < self.rowCount() and 0 <= index.column() < 7):
            return None
        visits = self.cells.get((index.row(), index.column()), [])
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return "\n".join(visit_line(v) for v in visits)
        if role == VISITS_ROLE:
            return visits
        if role == DATE_ROLE:
            return self.first + dt.timedelta(days=index.column())
        if role == Qt.ItemDataRole.BackgroundRole:
            if visits:
                colour = QColor(STATUS_COLOURS.get(visits[0].status, "#1f6feb"))
                colour.setAlpha(30)
                return colour
            if self.first + dt.timedelta(days=index.column()) == self.today:
                return QColor("#f5f8ff")
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < 7:
            day = self.first + dt.timedelta(days=section)
            return f"{weekday_names()[section]} {day.month}/{day.day}"
        if orientation == Qt.Orientation.Vertical and 0 <= section < self.rowCount():
            return f"{FIRST_HOUR + section:02d}:00"
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class NewVisitDialog(RecordDialog):
    """Plan a visit on a chosen day, for a client chosen here."""

    def __init__(self, ctx, start: dt.datetime, *, client_id: str | None = None, parent=None):
        self._clients = ws.list_client_choices(ctx)
        super().__init__(
            ctx, "visit", client_id=client_id, fields=NEW_VISIT_FIELDS, lookups=Lookups(ctx), parent=parent,
            defaults={"planned_start": start, "kind": VisitKind.RETURN_VISIT.value,
                      "channel": VisitChannel.ONSITE.value, "owner_id": ctx.actor.id},
            title=_("New visit"),
        )
        row = QHBoxLayout()
        lab = QLabel(_("Client") + " *", self)
        self.client_combo = QComboBox(self)
        self.client_combo.setObjectName("client")
        self.client_combo.setEditable(True)
        self.client_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.client_combo.lineEdit().setPlaceholderText(_("Type to search"))
        for cid, name in self._clients:
            self.client_combo.addItem(name, cid)
        completer = self.client_combo.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.client_combo.setCurrentIndex(self.client_combo.findData(client_id) if client_id else -1)
        row.addWidget(lab)
        row.addWidget(self.client_combo, 1)
        self.layout().insertLayout(1, row)
        self.client_error = QLabel("", self)
        self.client_error.setStyleSheet("color: #c0392b; font-size: 11px;")
        self.client_error.hide()
        self.layout().insertWidget(2, self.client_error)

    def choose_client(self, client_id: str) -> None:
        self.client_combo.setCurrentIndex(self.client_combo.findData(client_id))

    def save(self) -> bool:
        idx = self.client_combo.currentIndex()
        cid = self.client_combo.itemData(idx) if idx >= 0 and self.client_combo.currentText() == self.client_combo.itemText(idx) else None
        self.client_error.setVisible(cid is None)
        if cid is None:
            self.client_error.setText(_("Choose a client."))
            return False
        self.client_id = cid
        return super().save()


class CalendarPage(QWidget):
    """Month and week views of visits across the clients the user serves."""

    client_opened = Signal(str)
    item_open_requested = Signal(str, str, str)  # client id, entity, row id
    loaded = Signal()

    def __init__(self, ctx, tasks, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.setObjectName("CalendarPage")
        self.anchor = ctx.today()
        self.visits: list[ws.CalendarVisit] = []
        self._handle = None
        self._shown_before = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.prev_button = QPushButton("‹", self)
        self.prev_button.setObjectName("prev")
        self.prev_button.setToolTip(_("Previous"))
        self.today_button = QPushButton(_("Go to today"), self)
        self.today_button.setObjectName("today")
        self.next_button = QPushButton("›", self)
        self.next_button.setObjectName("next")
        self.next_button.setToolTip(_("Next"))
        for b in (self.prev_button, self.next_button):
            b.setFixedWidth(34)
        self.title = QLabel("", self)
        self.title.setObjectName("period")
        self.title.setStyleSheet("font-size: 18px; font-weight: 600; padding-left: 8px;")
        bar.addWidget(self.prev_button)
        bar.addWidget(self.today_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.title)
        bar.addStretch(1)
        self.month_button = QPushButton(_("Month"), self)
        self.week_button = QPushButton(_("Week"), self)
        self.view_group = QButtonGroup(self)
        for b in (self.month_button, self.week_button):
            b.setCheckable(True)
            self.view_group.addButton(b)
            bar.addWidget(b)
        self.month_button.setChecked(True)
        bar.addSpacing(12)
        self.new_button = QPushButton(icon("add"), _("New visit"), self)
        self.new_button.setObjectName("new_visit")
        self.new_button.setShortcut("Ctrl+N")
        self.export_button = QPushButton(icon("calendar"), _("Export .ics…"), self)
        self.export_button.setObjectName("export")
        self.export_button.setToolTip(_("Save the visits as an iCalendar file for Outlook, Apple or phone calendars"))
        self.export_button.setVisible(self._exporter() is not None)
        bar.addWidget(self.new_button)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)

        self.month_model = MonthModel(self)
        self.month_view = QTableView(self)
        self.month_view.setObjectName("month")
        self.month_view.setModel(self.month_model)
        self.month_view.setItemDelegate(MonthDelegate(self.month_view))
        self.month_view.setShowGrid(False)
        self.month_view.verticalHeader().hide()
        self.month_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.month_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.month_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.month_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.month_view.setMinimumHeight(420)

        self.week_model = WeekModel(self)
        self.week_view = QTableView(self)
        self.week_view.setObjectName("week")
        self.week_view.setModel(self.week_model)
        self.week_view.setWordWrap(True)
        self.week_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.week_view.verticalHeader().setDefaultSectionSize(40)
        self.week_view.verticalHeader().setMinimumSectionSize(36)
        self.week_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.week_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.month_view)
        self.stack.addWidget(self.week_view)
        side = QWidget(self)
        sl = QVBoxLayout(side)
        sl.setContentsMargins(8, 0, 0, 0)
        self.day_title = QLabel("", side)
        self.day_title.setStyleSheet("font-weight: 600; font-size: 14px;")
        self.day_list = QListWidget(side)
        self.day_list.setObjectName("day_visits")
        self.day_list.setWordWrap(True)
        self.day_hint = QLabel(_("Double-click a day to plan a visit. Double-click a visit to open its client."), side)
        self.day_hint.setWordWrap(True)
        self.day_hint.setStyleSheet("color: #667085;")
        sl.addWidget(self.day_title)
        sl.addWidget(self.day_list, 1)
        sl.addWidget(self.day_hint)
        split = QSplitter(self)
        split.addWidget(self.stack)
        split.addWidget(side)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([900, 280])
        layout.addWidget(split, 1)
        legend = QHBoxLayout()
        for status in ("planned", "done", "cancelled", "missed"):
            legend.addWidget(QLabel(f"<span style='color:{STATUS_COLOURS[status]}; font-size:14px'>■</span> "
                                    f"{label(VisitStatus, status)}", self))
        legend.addStretch(1)
        self.message = QLabel("", self)
        self.message.setStyleSheet("color: #667085;")
        self.message.setMinimumWidth(240)
        self.message.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        legend.addWidget(self.message)
        layout.addLayout(legend)

        self.prev_button.clicked.connect(lambda: self.move(-1))
        self.next_button.clicked.connect(lambda: self.move(1))
        self.today_button.clicked.connect(self.go_today)
        self.month_button.toggled.connect(lambda on: on and self.set_mode("month"))
        self.week_button.toggled.connect(lambda on: on and self.set_mode("week"))
        self.new_button.clicked.connect(lambda: self.new_visit(self.selected_day()))
        self.export_button.clicked.connect(self._export_clicked)
        self.month_view.doubleClicked.connect(lambda i: self.new_visit(self.month_model.date_at(i)))
        self.week_view.doubleClicked.connect(self._week_double_clicked)
        self.month_view.clicked.connect(lambda i: self.select_day(self.month_model.date_at(i)))
        self.week_view.clicked.connect(lambda i: self.select_day(self.week_model.data(i, DATE_ROLE)))
        self.day_list.itemDoubleClicked.connect(self._open_visit)
        self.mode = "month"
        self.refresh()

    # -- navigation ------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.month_button.setChecked(mode == "month")
        self.week_button.setChecked(mode == "week")
        self.stack.setCurrentWidget(self.month_view if mode == "month" else self.week_view)
        self.refresh()

    def move(self, step: int) -> None:
        if self.mode == "month":
            m = self.anchor.month - 1 + step
            self.anchor = dt.date(self.anchor.year + m // 12, m % 12 + 1, 1)
        else:
            self.anchor = self.anchor + dt.timedelta(days=7 * step)
        self.refresh()

    def go_today(self) -> None:
        self.anchor = self.ctx.today()
        self.refresh()
        self.select_day(self.anchor)

    def show_date(self, day: dt.date) -> None:
        self.anchor = day
        self.refresh()

    def range(self) -> tuple[dt.date, dt.date]:
        return self.month_model.range() if self.mode == "month" else self.week_model.range()

    def showEvent(self, event) -> None:  # noqa: N802 - data may have changed while another screen was shown
        super().showEvent(event)
        if self._shown_before:
            self.refresh()
        self._shown_before = True

    def refresh(self) -> None:
        today = self.ctx.today()
        if self.mode == "month":
            self.month_model.set_month(self.anchor, today)
            self.title.setText(month_title(self.anchor))
        else:
            self.week_model.set_week(self.anchor, today)
            first, end = self.week_model.range()
            last = end - dt.timedelta(days=1)
            self.title.setText(f"{first.isoformat()} – {last.isoformat()}")
        start, end = self.range()
        lo = dt.datetime.combine(start, dt.time()).astimezone()
        hi = dt.datetime.combine(end, dt.time()).astimezone()
        if self._handle is not None:
            self._handle.cancel()
        ctx = self.ctx
        self._handle = self.tasks.run_db(lambda: ws.visits_between(ctx, lo, hi), on_result=self._loaded,
                                         on_error=self._failed, name="calendar")

    def _loaded(self, visits: list[ws.CalendarVisit]) -> None:
        self.visits = visits
        if self.mode == "month":
            self.month_model.set_visits(visits)
        else:
            self.week_model.set_visits(visits)
            self.week_view.resizeRowsToContents()
        self.message.setText(_("{n} visits").format(n=len(visits)) if visits else _("No visits in this period."))
        self.select_day(self.selected_day())
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(str(exc))

    # -- days ------------------------------------------------------------------------------------
    def selected_day(self) -> dt.date:
        return getattr(self, "_selected", None) or self.anchor

    def select_day(self, day: dt.date | None) -> None:
        if day is None:
            return
        self._selected = day
        if self.mode == "month":
            idx = self.month_model.index_of(day)
            if idx.isValid():
                self.month_view.setCurrentIndex(idx)
        self.day_title.setText(day.isoformat() + " " + weekday_names()[day.weekday()])
        self.day_list.clear()
        for v in self.visits_on(day):
            item = QListWidgetItem(f"{visit_line(v)}\n{label(VisitStatus, v.status)}"
                                   + (f" · {v.location}" if v.location else ""))
            item.setData(Qt.ItemDataRole.UserRole, v)
            item.setForeground(QColor("#98a2b3") if v.status == "cancelled" else QColor("#1f2733"))
            self.day_list.addItem(item)
        if not self.day_list.count():
            item = QListWidgetItem(_("No visits on this day."))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.day_list.addItem(item)

    def visits_on(self, day: dt.date) -> list[ws.CalendarVisit]:
        return [v for v in self.visits if local(v.start).date() == day]

    def _week_double_clicked(self, index) -> None:
        visits = self.week_model.data(index, VISITS_ROLE)
        if visits:
            self.open_visit(visits[0])
        else:
            self.new_visit(self.week_model.slot(index))

    def _open_visit(self, item: QListWidgetItem) -> None:
        v = item.data(Qt.ItemDataRole.UserRole)
        if v is not None:
            self.open_visit(v)

    def open_visit(self, v: ws.CalendarVisit) -> None:
        emit_open(self, v.client_id, "visit", v.id)

    # -- actions ---------------------------------------------------------------------------------
    def new_visit(self, when: dt.date | dt.datetime, client_id: str | None = None) -> NewVisitDialog:
        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time(9, 0)).astimezone()
        dlg = NewVisitDialog(self.ctx, when, client_id=client_id, parent=self)
        dlg.saved.connect(lambda _id: (self.select_day(local(when).date()), self.refresh()))
        dlg.open()
        return dlg

    @staticmethod
    def _exporter():
        try:
            module = importlib.import_module("accountdesk.io.exports")
        except ImportError:
            return None
        return getattr(module, "export_ical", None)

    def export_ics(self, path: str) -> Any:
        """Write the visits from the first day shown onwards to ``path``."""
        exporter = self._exporter()
        start, _end = self.range()
        result = exporter(self.ctx, path, since=start)
        self.message.setText(_("Exported {n} visits to {path}.").format(n=result.count if hasattr(result, "count")
                                                                           else "", path=path))
        return result

    def _export_clicked(self) -> None:
        from ..file_dialogs import save_file

        path = save_file(self, _("Export visits"), "accountdesk-visits.ics", _("iCalendar files (*.ics)"))
        if not path:
            return
        try:
            self.export_ics(path)
        except AccountDeskError as exc:
            self.message.setText(exc.message)
        except OSError as exc:
            self.message.setText(_("Could not write the file: {error}").format(error=exc.strerror or exc))
