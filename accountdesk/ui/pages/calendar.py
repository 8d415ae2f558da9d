"""The calendar: visits beside cadence plans falling due, open tasks, calibration due dates and
contract renewals, by month and by week. Each kind has its own look and can be hidden (the choice
is remembered); supervisors narrow it to one manager. The week view scrolls through the hours
(07:00 at the top) under an all-day row for the date-only entries. A planned visit dragged to
another day or hour is rescheduled through the services. A new visit from a day (double-click);
export to an .ics file."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...errors import AccountDeskError
from ...i18n import _
from ...labels import label
from ...models.enums import VisitStatus
from ...services import calendar as cal
from .. import style
from ..forms.fmt import local
from ..item_models.calendar import (
    FIRST_HOUR,
    LAST_HOUR,
    AllDayModel,
    MonthModel,
    WeekModel,
    entry_line,
    visit_line,
    weekday_names,
)
from ..item_models.roles import DATE_ROLE
from ..workspace.common import emit_open, icon
from .calendar_dialog import NewVisitDialog
from .calendar_grid import EntriesDelegate, EntryMoveView, MonthDelegate
from .calendar_look import KIND_COLOURS, STATUS_COLOURS, entry_colour, month_title

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..forms.lookups import LookupData
    from ..settings import Settings
    from ..tasks import TaskHandle, TaskManager

__all__ = [
    "FIRST_HOUR",
    "KIND_COLOURS",
    "LAST_HOUR",
    "STATUS_COLOURS",
    "AllDayModel",
    "CalendarPage",
    "EntriesDelegate",
    "MonthDelegate",
    "MonthModel",
    "NewVisitDialog",
    "WeekModel",
    "entry_colour",
    "entry_line",
    "visit_line",
]


class CalendarPage(QWidget):
    """Month and week views of the visits, cadence plans, tasks, calibrations and renewals across
    the clients the user serves."""

    client_open_requested = Signal(str)
    item_open_requested = Signal(str, str, str)  # client id, entity, row id
    loaded = Signal()
    #: A visit was rescheduled by dragging (visit id), after the store has it.
    rescheduled = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        tasks: TaskManager,
        parent: QWidget | None = None,
        *,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self._settings = settings if settings is not None else getattr(parent, "settings", None)
        self.setObjectName("CalendarPage")
        self.anchor = ctx.today()
        self.entries: list[cal.CalendarEntry] = []
        self._handle: TaskHandle | None = None
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
        self.title.setStyleSheet(style.PERIOD_TITLE_CSS)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.today_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.title)
        bar.addStretch(1)
        self.manager_combo = QComboBox(self)
        self.manager_combo.setObjectName("manager")
        self.manager_combo.setToolTip(_("Show one manager's calendar"))
        self.manager_combo.addItem(_("All managers"), None)
        if cal.may_filter_by_manager(ctx):
            for uid, name in cal.people(ctx):
                self.manager_combo.addItem(name, uid)
        else:
            self.manager_combo.hide()
        bar.addWidget(self.manager_combo)
        bar.addSpacing(8)
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
        self.export_button.setToolTip(
            _("Save the visits as an iCalendar file for Outlook, Apple or phone calendars")
        )
        bar.addWidget(self.new_button)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)

        self.month_model = MonthModel(self)
        self.month_view = EntryMoveView(self)
        self.month_view.setObjectName("month")
        self.month_view.setModel(self.month_model)
        self.month_view.setItemDelegate(MonthDelegate(self.month_view))
        self.month_view.setShowGrid(False)
        self.month_view.verticalHeader().hide()
        self.month_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.month_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.month_view.setMinimumHeight(420)

        self.week_model = WeekModel(self)
        self.week_view = EntryMoveView(self)
        self.week_view.setObjectName("week")
        self.week_view.setModel(self.week_model)
        self.week_view.setItemDelegate(EntriesDelegate(self.week_view))
        self.week_view.setShowGrid(False)
        self.week_view.horizontalHeader().hide()  # the all-day row above carries the days
        self.week_view.verticalHeader().setDefaultSectionSize(44)
        self.week_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.all_day_model = AllDayModel(self)
        self.all_day_view = QTableView(self)
        self.all_day_view.setObjectName("all_day")
        self.all_day_view.setModel(self.all_day_model)
        self.all_day_view.setItemDelegate(EntriesDelegate(self.all_day_view))
        self.all_day_view.setShowGrid(False)
        # Both keep a vertical scroll bar so that their day columns line up.
        self.all_day_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.week_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.all_day_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for view in (self.week_view, self.all_day_view):
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            view.verticalHeader().setFixedWidth(64)
            view.verticalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        for view in (self.month_view, self.week_view, self.all_day_view):
            view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # A planned visit is moved by the views themselves (EntryMoveView), not by a platform
        # drag-and-drop session.
        week_box = QWidget(self)
        wl = QVBoxLayout(week_box)
        wl.setContentsMargins(0, 0, 0, 0)
        wl.setSpacing(0)
        wl.addWidget(self.all_day_view)
        wl.addWidget(self.week_view, 1)
        self.week_box = week_box

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.month_view)
        self.stack.addWidget(week_box)
        side = QWidget(self)
        sl = QVBoxLayout(side)
        sl.setContentsMargins(8, 0, 0, 0)
        self.day_title = QLabel("", side)
        self.day_title.setStyleSheet(style.DAY_TITLE_CSS)
        self.day_list = QListWidget(side)
        self.day_list.setObjectName("day_visits")
        self.day_list.setWordWrap(True)
        self.day_hint = QLabel(
            _(
                "Double-click a day to plan a visit. Double-click an entry to open it. "
                "Drag a planned visit to another day or hour to reschedule it."
            ),
            side,
        )
        self.day_hint.setWordWrap(True)
        self.day_hint.setStyleSheet(style.MUTED_CSS)
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
        legend.setSpacing(4)
        hidden = set(self._setting("calendar_hidden_kinds", []))
        self.kind_boxes: dict[str, QCheckBox] = {}
        for kind, name in cal.KINDS.items():
            swatch = QLabel(self)
            colour = KIND_COLOURS[kind]
            swatch.setFixedSize(12, 12)
            swatch.setStyleSheet(style.swatch_css(colour, outline=kind == "plan"))
            box = QCheckBox(_(name), self)
            box.setObjectName(f"kind_{kind}")
            box.setChecked(kind not in hidden)
            box.toggled.connect(self._kinds_changed)
            self.kind_boxes[kind] = box
            legend.addWidget(swatch)
            legend.addWidget(box)
            legend.addSpacing(10)
        legend.addSpacing(6)
        for status in ("planned", "done", "cancelled", "missed"):
            legend.addWidget(
                QLabel(
                    f"<span style='color:{STATUS_COLOURS[status]}; font-size:13px'>▌</span>"
                    f"{label(VisitStatus, status)}",
                    self,
                )
            )
        legend.addStretch(1)
        self.message = QLabel("", self)
        self.message.setStyleSheet(style.MUTED_CSS)
        self.new_visit_dialog: NewVisitDialog | None = None  # the last one new_visit opened
        self._new_visit_reads: Any = None
        self.message.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(legend)
        layout.addWidget(self.message)  # its own line: the legend's toggles keep their whole names at 1280 px

        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        self.month_button.toggled.connect(partial(self._mode_toggled, "month"))
        self.week_button.toggled.connect(partial(self._mode_toggled, "week"))
        self.manager_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.new_button.clicked.connect(lambda: self.new_visit(self.selected_day()))
        self.export_button.clicked.connect(self._export_clicked)
        self.month_view.doubleClicked.connect(self._month_double_clicked)
        self.week_view.doubleClicked.connect(self._week_double_clicked)
        self.all_day_view.doubleClicked.connect(self._all_day_double_clicked)
        self.month_view.clicked.connect(lambda i: self.select_day(self.month_model.date_at(i)))
        self.week_view.clicked.connect(lambda i: self.select_day(self.week_model.data(i, DATE_ROLE)))
        self.all_day_view.clicked.connect(lambda i: self.select_day(self.all_day_model.data(i, DATE_ROLE)))
        self.day_list.itemDoubleClicked.connect(self._open_item)
        self.month_model.visit_dropped.connect(self.reschedule)
        self.week_model.visit_dropped.connect(self.reschedule)
        mode = self._setting("calendar_view", "month")
        self.mode = mode if mode in ("month", "week") else "month"
        self.month_button.setChecked(self.mode == "month")
        self.week_button.setChecked(self.mode == "week")
        self.stack.setCurrentWidget(self.month_view if self.mode == "month" else self.week_box)
        self.refresh()

    def _mode_toggled(self, mode: str, on: bool) -> None:
        if on:
            self.set_mode(mode)

    # -- settings --------------------------------------------------------------------------------
    def _setting(self, name: str, default: Any) -> Any:
        if self._settings is None:
            return default
        try:
            return self._settings.get(name)
        except KeyError:
            return default

    def _remember(self, name: str, value: object) -> None:
        if self._settings is not None:
            self._settings.set(name, value)

    # -- filters ---------------------------------------------------------------------------------
    def shown_kinds(self) -> list[str]:
        return [k for k, box in self.kind_boxes.items() if box.isChecked()]

    def _kinds_changed(self) -> None:
        self._remember(
            "calendar_hidden_kinds", [k for k, box in self.kind_boxes.items() if not box.isChecked()]
        )
        self.refresh()

    def set_kind_shown(self, kind: str, shown: bool) -> None:
        self.kind_boxes[kind].setChecked(shown)

    def manager(self) -> str | None:
        user_id: str | None = self.manager_combo.currentData()
        return user_id

    def set_manager(self, user_id: str | None) -> None:
        self.manager_combo.setCurrentIndex(max(self.manager_combo.findData(user_id), 0))

    # -- navigation ------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self._remember("calendar_view", mode)
        self.month_button.setChecked(mode == "month")
        self.week_button.setChecked(mode == "week")
        self.stack.setCurrentWidget(self.month_view if mode == "month" else self.week_box)
        self.refresh()
        if mode == "week":
            self.scroll_to_working_hours()

    def scroll_to_working_hours(self) -> None:
        self.week_view.scrollTo(
            self.week_model.index(FIRST_HOUR, 0), QAbstractItemView.ScrollHint.PositionAtTop
        )

    def step(self, step: int) -> None:
        """The next (1) or previous (-1) month or week."""
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

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - data may have changed while another screen was shown
        super().showEvent(event)
        if self._shown_before:
            self.refresh()
        else:
            self.scroll_to_working_hours()
        self._shown_before = True

    def refresh(self) -> None:
        today = self.ctx.today()
        if self.mode == "month":
            self.month_model.set_month(self.anchor, today)
            self.title.setText(month_title(self.anchor))
        else:
            self.week_model.set_week(self.anchor, today)
            self.all_day_model.set_week(self.anchor)
            first, end = self.week_model.range()
            last = end - dt.timedelta(days=1)
            self.title.setText(f"{first.isoformat()} – {last.isoformat()}")
        start, end = self.range()
        if self._handle is not None:
            self._handle.cancel()
        ctx, kinds, person = self.ctx, self.shown_kinds(), self.manager()
        self._handle = self.tasks.run_db(
            lambda: cal.entries_between(ctx, start, end, kinds=kinds, person_id=person),
            on_result=self._loaded,
            on_error=self._failed,
            name="calendar",
        )

    @property
    def visits(self) -> list[cal.CalendarEntry]:
        return [e for e in self.entries if e.kind == "visit"]

    def _loaded(self, entries: list[cal.CalendarEntry]) -> None:
        self.entries = entries
        if self.mode == "month":
            self.month_model.set_entries(entries)
        else:
            self.week_model.set_entries(entries)
            self.all_day_model.set_entries(entries)
            fm = self.all_day_view.fontMetrics()
            lines = min(max(self.all_day_model.most(), 1), 4)
            row = lines * (fm.height() + 2) + 8
            self.all_day_view.verticalHeader().setDefaultSectionSize(row)
            self.all_day_view.setFixedHeight(
                self.all_day_view.horizontalHeader().sizeHint().height() + row + 2
            )
        self.message.setText(
            _("{n} entries").format(n=len(entries)) if entries else _("Nothing in this period.")
        )
        self.select_day(self.selected_day())
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(exc.message if isinstance(exc, AccountDeskError) else str(exc))

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
        for e in self.entries_on(day):
            second = label(VisitStatus, e.status) if e.kind == "visit" else _(cal.KINDS[e.kind])
            if e.location:
                second += f" · {e.location}"
            item = QListWidgetItem(f"{entry_line(e)}\n{second}")
            item.setData(Qt.ItemDataRole.UserRole, e)
            item.setForeground(
                QColor(style.TEXT_FAINT) if e.status == "cancelled" else entry_colour(e).darker(150)
            )
            self.day_list.addItem(item)
        if not self.day_list.count():
            item = QListWidgetItem(_("Nothing on this day."))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.day_list.addItem(item)

    def entries_on(self, day: dt.date) -> list[cal.CalendarEntry]:
        return [e for e in self.entries if e.day == day]

    def visits_on(self, day: dt.date) -> list[cal.CalendarEntry]:
        return [e for e in self.entries_on(day) if e.kind == "visit"]

    def _month_double_clicked(self, index: QModelIndex) -> None:
        self.new_visit(self.month_model.date_at(index))

    def _week_double_clicked(self, index: QModelIndex) -> None:
        entries = self.week_model.cell_entries(index)
        if entries:
            self.open_entry(entries[0])
        else:
            self.new_visit(self.week_model.slot(index))

    def _all_day_double_clicked(self, index: QModelIndex) -> None:
        entries = self.all_day_model.cell_entries(index)
        if entries:
            self.open_entry(entries[0])

    def _open_item(self, item: QListWidgetItem) -> None:
        e = item.data(Qt.ItemDataRole.UserRole)
        if e is not None:
            self.open_entry(e)

    def open_entry(self, e: cal.CalendarEntry) -> None:
        emit_open(self, e.client_id, e.entity, e.row_id)

    open_visit = open_entry

    # -- actions ---------------------------------------------------------------------------------
    def reschedule(self, visit_id: str, start: dt.datetime) -> None:
        """Move a planned visit to ``start`` (a drop on another day or hour), through the services."""
        ctx = self.ctx

        def done(_result: object) -> None:
            self.message.setText(
                _("Visit moved to {when}.").format(when=local(start).strftime("%Y-%m-%d %H:%M"))
            )
            self.select_day(local(start).date())
            self.refresh()
            self.rescheduled.emit(visit_id)

        self.tasks.run_db(
            lambda: cal.reschedule_visit(ctx, visit_id, start),
            on_result=done,
            on_error=self._failed,
            name="calendar-move",
        )

    def new_visit(self, when: dt.date | dt.datetime, client_id: str | None = None) -> None:
        """Plan a visit at ``when``: the clients and people to choose from are read on the
        database lane, then the form opens (``new_visit_dialog``)."""
        from ...services import workspace as ws
        from ..forms import Lookups
        from ..lane_reads import LaneReads, error_text

        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time(9, 0)).astimezone()
        at = when
        ctx = self.ctx
        lookups = Lookups(ctx)
        if self._new_visit_reads is None:
            self._new_visit_reads = LaneReads(self, "new visit")
            self._new_visit_reads.tasks = self.tasks

        def fetch() -> tuple[list[tuple[str, str]], LookupData]:
            return ws.list_client_choices(ctx), lookups.read()

        def show(data: tuple[list[tuple[str, str]], LookupData]) -> None:
            clients, lookup_data = data
            lookups.apply(lookup_data)
            dlg = NewVisitDialog(ctx, at, client_id=client_id, clients=clients, lookups=lookups, parent=self)

            def saved(_id: str) -> None:
                self.select_day(local(at).date())
                self.refresh()

            dlg.saved.connect(saved)
            dlg.open()
            self.new_visit_dialog = dlg

        self.new_visit_dialog = None
        self._new_visit_reads.read(fetch, show, lambda exc: self.message.setText(error_text(exc)))

    def export_ics(self, path: str) -> Any:
        """Write the visits from the first day shown onwards to ``path``."""
        from ...io.exports import export_ical  # loaded when first used (the page opens faster)

        start, _end = self.range()
        result = export_ical(self.ctx, path, since=start)
        self.message.setText(_("Exported {n} visits to {path}.").format(n=result.count, path=path))
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
