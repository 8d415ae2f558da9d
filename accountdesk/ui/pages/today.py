"""Today (今日待办) as triage: urgent complaints and deadlines, due today, overdue routine work, later
this week — severity from kind, tier and lateness (services.triage); filters mine / my team / all and
by kind, remembered; inline actions by button, context menu and keyboard (D done, S snooze,
R reschedule, A reassign, Enter open)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...i18n import N_, _
from ...services.agenda import KINDS, SECTIONS
from .. import icons, style
from ..widgets.empty_state import EmptyState
from .today_sections import (  # noqa: F401 - importable from here as before
    ROW_HEIGHT,
    SECTION_LIMIT,
    SEVERITY_COLOURS,
    AgendaDelegate,
    AgendaSection,
    DateDialog,
    group_items,
    secondary_text,
)

if TYPE_CHECKING:
    from ...services.agenda_rules import AgendaItem
    from ...services.context import AppContext
    from ...services.triage import Triage
    from ..settings import Settings
    from ..tasks import TaskManager

log = logging.getLogger(__name__)

#: Seconds after which showing Today again reloads it.
STALE_AFTER_S = 300
SCOPE_TITLES = (("mine", N_("Mine")), ("team", N_("My team")), ("all", N_("All")))


class TodayPage(QWidget):
    #: (client_id, entity, row_id) of the item to open.
    item_open_requested = Signal(str, str, str)
    #: (client_id, entity, row_id, action, item): complete an item in its form (services.triage.DONE_ACTIONS).
    item_action_requested = Signal(str, str, str, str, object)
    #: Items urgent, due today or overdue, after each load (for desktop notifications).
    due_items_loaded = Signal(list)
    loaded = Signal()
    #: The first, quick part is on screen (complaints, planned visits, tasks); ``loaded`` follows.
    first_items_shown = Signal()

    def __init__(
        self,
        ctx: AppContext,
        tasks: TaskManager,
        parent: QWidget | None = None,
        *,
        days: int = 7,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._settings = settings
        self._days = days
        self._generation = 0
        self.items: list[AgendaItem] = []
        self.triage: Triage | list[AgendaItem] | None = None
        self.available = True
        self._loaded_at: float | None = None
        self._users: list[dict[str, Any]] | None = None
        self.scope = self._setting("today_scope", "")
        if self.scope not in dict(SCOPE_TITLES):
            # A supervisor's own clients are few or none: their day starts with everyone's work.
            self.scope = "all" if ctx.actor.sees_all_clients else "mine"
        stored_kinds = self._setting("today_kinds", [])
        self.kinds: set[str] | None = {k for k in stored_kinds if k in KINDS} or None
        self._complete_generation = -1
        # The urgent part of the agenda is read on the database lane while the widgets are built.
        self._load_quick()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 12)
        outer.setSpacing(10)
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("PageTitle")
        self.date_label = QLabel()
        self.date_label.setObjectName("Count")
        self.date_label.setWordWrap(True)  # the summary wraps rather than widening the window
        self.refresh_button = QPushButton(icons.icon("sync"), "")
        self.refresh_button.clicked.connect(self.refresh)
        head.addWidget(self.title)
        head.addSpacing(8)
        head.addWidget(self.date_label, 1, Qt.AlignmentFlag.AlignBottom)
        head.addWidget(self.refresh_button)
        outer.addLayout(head)

        # Filters: whose work, which kinds.
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.scope_group = QButtonGroup(self)
        self.scope_buttons: dict[str, QToolButton] = {}
        for key, _title in SCOPE_TITLES:
            button = QToolButton()
            button.setObjectName("Segment")
            button.setCheckable(True)
            button.setChecked(key == self.scope)
            button.clicked.connect(lambda _c=False, key=key: self.set_scope(key))
            self.scope_group.addButton(button)
            self.scope_buttons[key] = button
            bar.addWidget(button)
        bar.addSpacing(12)
        self.kind_button = QToolButton()
        self.kind_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.kind_button.setStyleSheet(style.MENU_BUTTON_CSS)  # room for the menu arrow
        self.kind_menu = QMenu(self.kind_button)
        self.kind_actions: dict[str, QAction] = {}
        self.all_kinds_action = self.kind_menu.addAction("")
        self.all_kinds_action.triggered.connect(lambda: self.set_kinds(None))
        self.kind_menu.addSeparator()
        for kind in KINDS:
            action = self.kind_menu.addAction("")
            action.setCheckable(True)
            action.setChecked(self.kinds is None or kind in self.kinds)
            action.toggled.connect(self._kind_toggled)
            self.kind_actions[kind] = action
        self.kind_button.setMenu(self.kind_menu)
        bar.addWidget(self.kind_button)
        bar.addStretch(1)
        # Actions on the selected item.
        self.done_button = QPushButton(icons.icon("check"), "")
        self.done_button.clicked.connect(self.done_current)
        self.snooze_button = QPushButton(icons.icon("clock"), "")
        self.snooze_menu = QMenu(self.snooze_button)
        self.snooze_button.setMenu(self.snooze_menu)
        self.reschedule_button = QPushButton(icons.icon("calendar"), "")
        self.reschedule_button.clicked.connect(self.reschedule_current)
        self.reassign_button = QPushButton(icons.icon("team"), "")
        self.reassign_menu = QMenu(self.reassign_button)
        self.reassign_menu.aboutToShow.connect(
            lambda: self._fill_reassign_menu(self.reassign_menu, self.current_item())
        )
        self.reassign_button.setMenu(self.reassign_menu)
        for action_button in (
            self.done_button,
            self.snooze_button,
            self.reschedule_button,
            self.reassign_button,
        ):
            bar.addWidget(action_button)
        outer.addLayout(bar)
        from .handed_over import HandedOverPanel  # clients handed over to the user, to acknowledge

        self.handed_over = HandedOverPanel(ctx, tasks, self)
        self.handed_over.client_open_requested.connect(
            lambda cid: self.item_open_requested.emit(cid, "client", cid)
        )
        outer.addWidget(self.handed_over)

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
            section.current_changed.connect(lambda item, key=key: self._current_changed(key, item))
            section.menu_requested.connect(self._context_menu)
            section.leave_requested.connect(lambda step, key=key: self._leave_section(key, step))
            section.hide()
            self.sections[key] = section
            self.body_layout.addWidget(section)
        self.body_layout.addStretch(1)
        scroll.setWidget(body)
        self.stack.addWidget(scroll)
        self.scroll_area = scroll
        self.empty = EmptyState("", "", icon="check")
        self.stack.addWidget(self.empty)
        self.loading_state = EmptyState("", "", icon="clock")
        self.stack.addWidget(self.loading_state)
        outer.addWidget(self.stack, 1)
        self._current_section: str | None = None
        self._shortcuts = []
        for keys, slot in (
            ("D", self.done_current),
            ("S", self.snooze_current),
            ("R", self.reschedule_current),
            ("A", self.reassign_current),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self._shortcuts.append(shortcut)
        self.retranslate()
        self._update_actions()
        self.stack.setCurrentWidget(self.loading_state)
        self.handed_over.refresh()
        self._load_rest()

    # -- settings ----------------------------------------------------------------------------------
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

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        # Coming back to Today after a while (or on another day): load it again.
        if self._loaded_at is not None and time.monotonic() - self._loaded_at > STALE_AFTER_S:
            self.refresh()

    def retranslate(self) -> None:
        self.title.setText(_("Today"))
        self.refresh_button.setText(_("Refresh"))
        self.date_label.setText(self._ctx.today().isoformat())
        self.loading_state.set_text(_("Loading your agenda…"))
        for key, title in SCOPE_TITLES:
            self.scope_buttons[key].setText(_(title))
        self.scope_buttons["mine"].setToolTip(
            _("Work on the clients you manage, back up or serve, and work assigned to you")
        )
        self.scope_buttons["team"].setToolTip(_("Work of everyone in your team"))
        self.scope_buttons["all"].setToolTip(_("All work you may see"))
        self.all_kinds_action.setText(_("All kinds"))
        for kind, action in self.kind_actions.items():
            action.setText(_(KINDS[kind]))
        self._update_kind_button()
        self.done_button.setText(_("Done…"))
        self.done_button.setToolTip(_("Complete the selected item in its form (D)"))
        self.snooze_button.setText(_("Snooze"))
        self.snooze_button.setToolTip(_("Hide the selected item until a later day (S)"))
        self.reschedule_button.setText(_("Reschedule…"))
        self.reschedule_button.setToolTip(_("Move the selected item to another day (R)"))
        self.reassign_button.setText(_("Reassign"))
        self.reassign_button.setToolTip(_("Give the selected item to someone else (A)"))
        self._fill_snooze_menu(self.snooze_menu, None)

    def _update_kind_button(self) -> None:
        if self.kinds is None:
            self.kind_button.setText(_("All kinds"))
        else:
            self.kind_button.setText(_("Kinds: {n} of {total}").format(n=len(self.kinds), total=len(KINDS)))

    # -- filters -----------------------------------------------------------------------------------
    def set_scope(self, scope: str) -> None:
        if scope not in self.scope_buttons:
            return
        self.scope = scope
        self.scope_buttons[scope].setChecked(True)
        self._remember("today_scope", scope)
        self.refresh()

    def set_kinds(self, kinds: Iterable[str] | None) -> None:
        self.kinds = None if kinds is None or set(kinds) >= set(KINDS) else {k for k in kinds if k in KINDS}
        for kind, action in self.kind_actions.items():
            action.blockSignals(True)
            action.setChecked(self.kinds is None or kind in self.kinds)
            action.blockSignals(False)
        self._remember("today_kinds", sorted(self.kinds) if self.kinds is not None else [])
        self._update_kind_button()
        self.refresh()

    def _kind_toggled(self, _checked: bool) -> None:
        self.set_kinds([k for k, a in self.kind_actions.items() if a.isChecked()])

    # -- loading -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._load_quick()
        self.handed_over.refresh()
        self._load_rest()

    def _work(self, quick: bool) -> Callable[[], Triage]:
        days, ctx, scope, kinds = self._days, self._ctx, self.scope, self.kinds

        def work() -> Triage:
            from ...services.triage import triage

            return triage(ctx, scope=scope, kinds=kinds, days=days, quick=quick)

        return work

    def _load_quick(self) -> None:
        """First what is cheap to read and most urgent (complaints, planned visits, tasks), so that
        the screen has data at once; :meth:`_load_rest` reads everything, which replaces it."""
        self._generation += 1
        generation = self._generation
        self._tasks.run_db(
            self._work(True),
            on_result=lambda result: self._show(generation, result),
            on_error=lambda exc: None,
            name="agenda-quick",
        )

    def _load_rest(self) -> None:
        generation = self._generation
        self._tasks.run_db(
            self._work(False),
            on_result=lambda result: self._show(generation, result),
            on_error=lambda exc: self._failed(generation, exc),
            name="agenda",
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        log.error("agenda failed: %s", exc)
        self.empty.set_text(_("The agenda could not be loaded"), str(exc))
        self.stack.setCurrentWidget(self.empty)
        self.loaded.emit()

    def _show(self, generation: int, result: Triage | list[AgendaItem]) -> None:
        """Show a triage (services.triage.Triage), or a plain list of items (sectioned here)."""
        if generation != self._generation:
            return
        partial = getattr(result, "partial", False)
        if partial and self._complete_generation == generation:
            return  # everything was there first
        if not partial:
            self._complete_generation = generation
        today = self._ctx.today()
        if isinstance(result, list):
            groups = group_items(result, today)
            snoozed = 0
        else:
            groups = result.sections
            snoozed = result.snoozed
        self.triage = result
        self._loaded_at = time.monotonic()
        self.items = [i for key, _title in SECTIONS for i in groups[key]]
        parts = [today.isoformat()]
        for key, title in SECTIONS:
            if groups[key]:
                parts.append(_("{section}: {n}").format(section=_(title), n=len(groups[key])))
        if snoozed:
            parts.append(_("{n} snoozed").format(n=snoozed))
        if partial:
            parts.append(_("loading the rest…"))
        self.date_label.setText("  ·  ".join(parts))
        for key, title in SECTIONS:
            self.sections[key].set_items(_(title), groups[key], today)
        if not self.items and partial:
            self.stack.setCurrentWidget(self.loading_state)
        elif not self.items:
            if self.kinds is not None or self.scope != "all":
                self.empty.set_text(
                    _("Nothing due this week"),
                    _("Nothing matches the filters. Choose “All” or “All kinds” to see more."),
                )
            else:
                self.empty.set_text(
                    _("Nothing due this week"),
                    _(
                        "Overdue and due visits, complaint deadlines, SLA and calibration dates, contract renewals "
                        "and conflicts to review appear here as they come up."
                    ),
                )
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.scroll_area)
        self._current_section = None
        self._update_actions()
        if partial:
            self.first_items_shown.emit()
            return
        self.loaded.emit()
        self.due_items_loaded.emit(groups["urgent"] + groups["today"] + groups["overdue"])

    def shown_titles(self, key: str) -> list[str]:
        """What a section shows (for tests and accessibility checks)."""
        model = self.sections[key].model
        return [model.data(model.index(r, 0)) for r in range(model.rowCount())]

    # -- selection and keyboard ------------------------------------------------------------------------
    def current_item(self) -> AgendaItem | None:
        if self._current_section is None:
            return None
        return self.sections[self._current_section].current_item()

    def select(self, key: str, row: int = 0) -> None:
        """Make a row of a section the current item (keyboard focus on it)."""
        self.sections[key].focus_row(row)
        self._current_section = key
        self._update_actions()

    def _current_changed(self, key: str, item: AgendaItem | None) -> None:
        if item is not None:
            self._current_section = key
            for other, section in self.sections.items():
                if other != key:
                    section.view.clearSelection()
        self._update_actions()

    def _leave_section(self, key: str, step: int) -> None:
        keys = [k for k, _t in SECTIONS if self.sections[k].model.rowCount()]
        if key not in keys:
            return
        i = keys.index(key) + step
        if 0 <= i < len(keys):
            target = keys[i]
            self.select(target, 0 if step > 0 else self.sections[target].model.rowCount() - 1)
            self.scroll_area.ensureWidgetVisible(self.sections[target].view)

    def _update_actions(self) -> None:
        from ...services.triage import REASSIGNABLE, RESCHEDULABLE, may_reassign

        item = self.current_item()
        self.done_button.setEnabled(item is not None)
        self.snooze_button.setEnabled(item is not None)
        self.reschedule_button.setEnabled(item is not None and item.kind in RESCHEDULABLE)
        self.reassign_button.setVisible(may_reassign(self._ctx))
        self.reassign_button.setEnabled(item is not None and item.kind in REASSIGNABLE)
        if item is not None:
            self._fill_snooze_menu(self.snooze_menu, item)

    # -- actions -----------------------------------------------------------------------------------
    def _open_item(self, item: AgendaItem) -> None:
        self.item_open_requested.emit(item.client_id, item.entity or "", item.row_id or "")

    def _context_menu(self, item: AgendaItem, global_pos: QPoint) -> None:
        menu = self.item_menu(item)
        menu.exec(global_pos)

    def item_menu(self, item: AgendaItem) -> QMenu:
        """The context menu of an item: open, done, snooze, reschedule, reassign."""
        from ...services.triage import REASSIGNABLE, RESCHEDULABLE, may_reassign

        menu = QMenu(self)
        menu.addAction(_("Open the item"), lambda: self._open_item(item))
        menu.addAction(_("Done…"), lambda: self.done(item)).setShortcut(QKeySequence("D"))
        snooze = menu.addMenu(_("Snooze"))
        self._fill_snooze_menu(snooze, item)
        if item.kind in RESCHEDULABLE:
            menu.addAction(_("Reschedule…"), lambda: self.reschedule(item)).setShortcut(QKeySequence("R"))
        if may_reassign(self._ctx) and item.kind in REASSIGNABLE:
            reassign = menu.addMenu(_("Reassign"))
            self._fill_reassign_menu(reassign, item)
        return menu

    def _fill_snooze_menu(self, menu: QMenu, item: AgendaItem | None) -> None:
        menu.clear()
        today = self._ctx.today()
        monday = today + dt.timedelta(days=7 - today.weekday())
        for title, day in (
            (_("Until tomorrow"), today + dt.timedelta(days=1)),
            (_("Until next Monday"), monday),
            (_("For a week"), today + dt.timedelta(days=7)),
        ):
            action = menu.addAction(f"{title}  ({day.isoformat()})")
            action.triggered.connect(partial(self._snooze_chosen, item, day))
        menu.addAction(_("Until a day…"), partial(self._snooze_chosen, item, None))

    def _snooze_chosen(self, item: AgendaItem | None, day: dt.date | None, *_checked: object) -> None:
        self.snooze(item or self.current_item(), day)

    def _fill_reassign_menu(self, menu: QMenu, item: AgendaItem | None) -> None:
        menu.clear()
        if item is None:
            return
        if self._users is None:
            from ...services.users import list_users

            self._users = [u for u in list_users(self._ctx) if u.get("role") != "admin"]
        for user in self._users:
            action = menu.addAction(user.get("display_name") or user.get("username") or "")
            action.setCheckable(True)
            action.setChecked(user["id"] == item.assignee_id)
            action.triggered.connect(lambda _c=False, uid=user["id"], item=item: self.reassign(item, uid))

    def done_current(self) -> None:
        item = self.current_item()
        if item is not None:
            self.done(item)

    def snooze_current(self) -> None:
        item = self.current_item()
        if item is not None:
            self.snooze(item, self._ctx.today() + dt.timedelta(days=1))

    def reschedule_current(self) -> None:
        from ...services.triage import RESCHEDULABLE

        item = self.current_item()
        if item is not None and item.kind in RESCHEDULABLE:
            self.reschedule(item)

    def reassign_current(self) -> None:
        from ...services.triage import REASSIGNABLE, may_reassign

        item = self.current_item()
        key = self._current_section
        if item is None or key is None or item.kind not in REASSIGNABLE or not may_reassign(self._ctx):
            return
        menu = QMenu(self)
        self._fill_reassign_menu(menu, item)
        view = self.sections[key].view
        menu.popup(view.viewport().mapToGlobal(view.visualRect(view.currentIndex()).center()))
        self._reassign_popup = menu

    def done(self, item: AgendaItem) -> None:
        """Complete an item: its form opens (a task is marked done at once)."""
        from ...services.triage import done_action

        action = done_action(item)
        if action == "complete":
            self._run_write(lambda ctx: _complete_task(ctx, item.row_id))
            return
        self.item_action_requested.emit(
            item.client_id or "", item.entity or "", item.row_id or "", action, item
        )

    def ask_date(self, title: str, first: dt.date, initial: dt.date) -> dt.date | None:
        """A day from the user (tests replace this)."""
        dialog = DateDialog(title, first, initial, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.day()

    def snooze(self, item: AgendaItem | None, day: dt.date | None) -> None:
        if item is None:
            return
        today = self._ctx.today()
        if day is None:
            day = self.ask_date(_("Snooze until"), today + dt.timedelta(days=1), today + dt.timedelta(days=1))
            if day is None:
                return
        from ...services.triage import snooze

        self._run_write(lambda ctx: snooze(ctx, item.key, day))

    def reschedule(self, item: AgendaItem) -> None:
        today = self._ctx.today()
        initial = max(item.due, today) if item.due else today
        day = self.ask_date(_("Reschedule to"), today, initial)
        if day is None:
            return
        from ...services.triage import reschedule

        self._run_write(lambda ctx: reschedule(ctx, item, day))

    def reassign(self, item: AgendaItem, user_id: str) -> None:
        from ...services.triage import reassign

        self._run_write(lambda ctx: reassign(ctx, item, user_id))

    def _run_write(self, fn: Callable[[AppContext], object]) -> None:
        ctx = self._ctx
        self._tasks.run_db(
            lambda: fn(ctx),
            on_result=lambda _r: self.refresh(),
            on_error=self._write_failed,
            name="agenda-action",
        )

    def _write_failed(self, exc: BaseException) -> None:
        log.warning("agenda action failed: %s", exc)
        QMessageBox.warning(self, _("Today"), str(exc))


def _complete_task(ctx: AppContext, task_id: str) -> dict[str, Any]:
    from ...services import tasks

    return tasks.complete_task(ctx, task_id)
