"""The main window: a sidebar with the screens and the bell of alerts (``ui/alerts.py``), the
screens themselves, the client workspace, the status-bar sync indicator, and a menu bar
(``ui/window_menus.py``: File: import, exports, backup and restore, sync, quit; Tools: find
duplicates; Help: about) whose long work runs on the task lanes.

Each screen is imported when it is first shown (the window opens faster) and hosted in the
stack. A page that opens a client emits ``client_open_requested(client id)``; one that opens a
record emits ``item_open_requested(client id, entity, row id)``; the client workspace
(``ui/workspace``) brings the record's tab forward.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..errors import AccountDeskError
from ..i18n import N_, _
from ..paths import APP_NAME
from . import icons, style, window_menus
from .alerts import AlertCenter
from .sync_controller import SyncController
from .widgets.empty_state import EmptyState
from .widgets.sync_indicator import SyncIndicator
from .widgets.workspace_host import WorkspaceHost
from .window_io import FileActions
from .workspace.base import ENTITY_TABS

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QScreen

    from ..services.context import AppContext
    from ..services.search import ClientFilter
    from .settings import Settings
    from .tasks import TaskManager

log = logging.getLogger(__name__)

APP_TITLE = APP_NAME
STATUS_REFRESH_MS = 15_000


@dataclass(frozen=True)
class NavEntry:
    key: str
    icon: str
    title: str  # N_() msgid
    shortcut: str


NAV: tuple[NavEntry, ...] = (
    NavEntry("today", "today", N_("Today"), "Ctrl+1"),
    NavEntry("clients", "clients", N_("Clients"), "Ctrl+2"),
    NavEntry("calendar", "calendar", N_("Calendar"), "Ctrl+3"),
    NavEntry("feedback", "feedback", N_("Feedback"), "Ctrl+4"),
    NavEntry("reports", "reports", N_("Reports"), "Ctrl+5"),
    NavEntry("dashboard", "reports", N_("Dashboard"), "Ctrl+8"),  # "My portfolio" for account managers
    NavEntry("team", "team", N_("Team"), "Ctrl+6"),
    NavEntry("settings", "settings", N_("Settings"), "Ctrl+7"),
)


class MainWindow(FileActions, SyncController, QMainWindow):
    page_changed = Signal(str)
    language_changed = Signal(str)
    profile_opened = Signal()

    def __init__(
        self,
        ctx: AppContext | None,
        tasks: TaskManager,
        settings: Settings | None,
        parent: QWidget | None = None,
        *,
        notifier: Callable[[str, str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.settings = settings
        self.pages: dict[str, QWidget] = {}
        self.current_key = ""
        self.current_client_id: str | None = None
        self.current_item: tuple[str, str | None] | None = None
        self._client_title = ""
        self._sync_handle = None
        self.sync_engine = None
        self._return_to = "clients"
        self.setWindowIcon(icons.app_icon())
        self.setMinimumSize(QSize(960, 600))
        self.resize(1280, 800)
        from .file_dialogs import remember_in

        remember_in(settings)  # file dialogs open in the last folder used
        self.alerts = AlertCenter(self, notifier=notifier)  # the bell, tray notifications, escalation

        central = QWidget()
        root = QHBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_sidebar())
        self.stack = QStackedWidget()
        root.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.workspace_host = WorkspaceHost()
        self.workspace_host.back_requested.connect(self._back_from_workspace)
        self.stack.addWidget(self.workspace_host)

        self.sync_indicator = SyncIndicator()
        self.sync_indicator.sync_requested.connect(self.sync_now)
        self.sync_indicator.cancel_requested.connect(self.cancel_sync)
        self.sync_indicator.conflicts_clicked.connect(self.review_conflicts)
        self.statusBar().addPermanentWidget(self.sync_indicator, 1)
        self.statusBar().setSizeGripEnabled(False)

        self._build_actions()
        self.opening = EmptyState("", "", icon="clients")
        self.stack.addWidget(self.opening)

        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_REFRESH_MS)
        self._status_timer.timeout.connect(self.refresh_sync_status)
        self._auto_sync_timer = QTimer(self)
        self._auto_sync_timer.timeout.connect(self._auto_sync)
        self._restore_layout()
        self.fit_to_screen()
        from .applock import AppLock

        self.app_lock = AppLock(self)  # idle lock and offline lease (issue 14)
        if ctx is not None:
            self.attach(ctx)
        else:
            # The window shows at once; the profile (database, migrations) opens in the background
            # and ``attach`` fills the screens.
            self.nav.setEnabled(False)
            self.stack.setCurrentWidget(self.opening)
            self.retranslate()

    def attach(self, ctx: AppContext) -> None:
        """Start working on the opened profile ``ctx``."""
        self.ctx = ctx
        self.nav.setEnabled(True)
        team = [e.key for e in NAV].index("team")
        self.nav.item(team).setHidden(not ctx.actor.sees_all_clients)  # never for field staff and managers
        dashboard = [e.key for e in NAV].index("dashboard")
        self.nav.item(dashboard).setHidden(ctx.actor.role == "field")  # field staff have no portfolio
        self.retranslate()
        self._status_timer.start()
        self._configure_auto_sync()
        self.alerts.attach()
        start = self.settings.get("last_page") if self.settings else "today"
        self.show_page(start if start in self._nav_keys() else "today")
        QTimer.singleShot(0, self.refresh_sync_status)
        self.app_lock.configure()
        self.profile_opened.emit()

    # -- building ------------------------------------------------------------------------------
    def _build_sidebar(self) -> QWidget:
        side = QWidget()
        side.setObjectName("Sidebar")
        side.setFixedWidth(208)
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 16, 0, 12)
        layout.setSpacing(8)
        brand = QHBoxLayout()
        brand.setContentsMargins(18, 0, 12, 8)
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(28, 28))
        self.app_name = QLabel(APP_TITLE)
        self.app_name.setObjectName("AppName")
        brand.addWidget(logo)
        brand.addSpacing(6)
        brand.addWidget(self.app_name, 1)
        layout.addLayout(brand)
        self.nav = QListWidget()
        self.nav.setObjectName("Nav")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for entry in NAV:
            item = QListWidgetItem(icons.icon(entry.icon, style.TEXT_MUTED, active=style.ACCENT), "")
            item.setData(Qt.ItemDataRole.UserRole, entry.key)
            item.setSizeHint(QSize(180, 40))
            self.nav.addItem(item)
            if entry.key == "team":
                item.setHidden(True)  # shown in attach() for supervisors and administrators
        self.nav.currentItemChanged.connect(self._nav_changed)
        layout.addWidget(self.nav, 1)
        self.user_label = QLabel()
        self.user_label.setObjectName("UserName")
        self.user_label.setContentsMargins(18, 0, 12, 0)
        self.user_label.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 10, 0)
        bottom.addWidget(self.user_label, 1)
        bottom.addWidget(self.alerts.bell, 0, Qt.AlignmentFlag.AlignBottom)  # unread alerts, history
        layout.addLayout(bottom)
        return side

    def _build_actions(self) -> None:
        self.nav_actions: dict[str, QAction] = {}
        for entry in NAV:
            action = QAction(self)
            action.setShortcut(QKeySequence(entry.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, k=entry.key: self.show_page(k))
            self.addAction(action)
            self.nav_actions[entry.key] = action
        self.sync_action = QAction(self)
        self.sync_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.sync_action.triggered.connect(self.sync_now)
        self.addAction(self.sync_action)
        self.quit_action = QAction(self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.addAction(self.quit_action)
        window_menus.build_menus(self)

    def _nav_keys(self) -> list[str]:
        return [
            self.nav.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.nav.count())
            if not self.nav.item(i).isHidden()
        ]

    def retranslate(self) -> None:
        if getattr(self, "app_lock", None) is not None:
            self.app_lock.retranslate()
        for i, entry in enumerate(NAV):
            item = self.nav.item(i)
            item.setText(_(entry.title))
            item.setToolTip(f"{_(entry.title)} ({entry.shortcut})")
            if entry.key == "dashboard" and self.ctx is not None and not self.ctx.actor.sees_all_clients:
                item.setText(_("My portfolio"))
                item.setToolTip(f"{_('My portfolio')} ({entry.shortcut})")
        self.workspace_host.set_back_text(self._back_text())
        self.opening.set_text(_("Opening your profile…"))
        if self.ctx is not None:
            from ..labels import label
            from ..models.enums import Role

            actor = self.ctx.actor
            self.user_label.setText(f"{actor.display_name}\n{label(Role, actor.role)}")
        self.sync_indicator.retranslate()
        self.alerts.retranslate()
        window_menus.retranslate(self)
        self._update_title()

    def _back_text(self) -> str:
        entry = next((e for e in NAV if e.key == self._return_to), NAV[1])
        return _("Back to {screen}").format(screen=_(entry.title))

    # -- pages -------------------------------------------------------------------------------------
    def nav_title(self, key: str) -> str:
        entry = next(e for e in NAV if e.key == key)
        return _(entry.title)

    def page(self, key: str) -> QWidget:
        """The screen ``key``, created on first use."""
        if key not in self.pages:
            widget = self._create_page(key)
            self.pages[key] = widget
            self.stack.addWidget(widget)
        return self.pages[key]

    def _create_page(self, key: str) -> QWidget:
        ctx = self.ctx
        assert ctx is not None  # the screens are made once a profile is attached
        if key == "today":
            from .pages.today import TodayPage

            today_page = TodayPage(ctx, self.tasks, self, settings=self.settings)
            today_page.item_open_requested.connect(self.open_item)
            today_page.item_action_requested.connect(self.complete_item)
            return today_page
        if key == "clients":
            from .pages.clients import ClientsPage

            clients_page = ClientsPage(ctx, self.tasks, self.settings, self)
            clients_page.client_open_requested.connect(self.open_client)
            return clients_page
        if key == "team":
            from .pages.team import TeamPage

            team_page = TeamPage(ctx, self.tasks, self)
            team_page.client_open_requested.connect(self.open_client)
            return team_page
        if key == "dashboard":
            from .pages.dashboard import DashboardPage

            dashboard_page = DashboardPage(self.tasks, self, ctx=ctx)
            dashboard_page.filter_requested.connect(self.show_clients_filtered)
            return dashboard_page
        if key == "reports":
            from .pages.reports import ReportsPage

            return ReportsPage(ctx, self.tasks, self)
        if key == "settings":
            from .pages.settings import SettingsPage

            assert self.settings is not None  # the window of the app always has them

            settings_page = SettingsPage(
                ctx, self.tasks, self.settings, self, notify_client=self.notify_client
            )
            settings_page.language_changed.connect(self.apply_language)
            settings_page.server_changed.connect(self._server_changed)
            settings_page.sign_in_requested.connect(self.sign_in)
            return settings_page
        if key == "calendar":
            from .pages.calendar import CalendarPage

            calendar_page = CalendarPage(ctx, self.tasks, self)
            calendar_page.client_open_requested.connect(self.open_client)
            calendar_page.item_open_requested.connect(self.open_item)
            return calendar_page
        if key == "feedback":
            from .pages.feedback import FeedbackPage

            feedback_page = FeedbackPage(ctx, self.tasks, self)
            feedback_page.client_open_requested.connect(self.open_client)
            feedback_page.item_open_requested.connect(self.open_item)  # opens the record on its tab
            return feedback_page
        raise KeyError(key)

    def show_clients_filtered(self, filters: ClientFilter, description: str = "") -> None:
        """The client list showing the clients behind a dashboard figure."""
        from .pages.clients import ClientsPage

        self.show_page("clients")
        page = self.pages.get("clients")
        if isinstance(page, ClientsPage):
            page.apply_filter(filters, description)

    def _locked(self) -> bool:
        lock = getattr(self, "app_lock", None)
        return lock is not None and lock.locked is not None

    def show_page(self, key: str) -> None:
        if (
            key not in self._nav_keys() or self.ctx is None or self._locked()
        ):  # (a notification clicked while locked)
            return
        widget = self.page(key)
        self.current_key = key
        self.current_client_id = None
        self.current_item = None
        self.stack.setCurrentWidget(widget)
        row = [e.key for e in NAV].index(key)
        if self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)
        if self.settings is not None:
            self.settings.set("last_page", key)
        self._update_title()
        self.page_changed.emit(key)

    def _nav_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.show_page(current.data(Qt.ItemDataRole.UserRole))

    def _update_title(self) -> None:
        if self.current_client_id is not None and self._client_title:
            self.setWindowTitle(f"{self._client_title} — {APP_TITLE}")
        elif self.current_key:
            self.setWindowTitle(f"{self.nav_title(self.current_key)} — {APP_TITLE}")
        else:
            self.setWindowTitle(APP_TITLE)

    # -- the client workspace --------------------------------------------------------------------
    def open_client(self, client_id: str) -> None:
        self.open_item(client_id, None, None)

    def open_item(self, client_id: str, entity: str | None, row_id: str | None) -> None:
        """Open a client's workspace, on the tab of ``entity`` (and the row) when given."""
        if self._locked():
            return
        if self.current_key and self.stack.currentWidget() is not self.workspace_host:
            self._return_to = self.current_key
        from .workspace import ClientWorkspace

        assert self.ctx is not None  # clients are opened from the screens of an open profile
        widget: QWidget | None = None
        try:
            widget = ClientWorkspace(self.ctx, self.tasks, client_id, self.workspace_host)
        except AccountDeskError as exc:  # deleted or handed over meanwhile
            widget = EmptyState(_("This client cannot be opened"), exc.message, icon="clients")
            self._load_client_title(client_id)
        else:
            known = getattr(widget, "client", None)  # the workspace has read its client already
            if isinstance(known, dict) and known.get("name"):
                self._client_title = str(known["name"])
            else:
                self._load_client_title(client_id)
            signal = getattr(widget, "title_changed", None)
            if signal is not None:
                signal.connect(self._workspace_title)
            if entity:
                self._show_in_workspace(widget, client_id, entity, row_id)
        self.workspace_host.set_widget(widget, client_id)
        self.workspace_host.set_back_text(self._back_text())
        self.stack.setCurrentWidget(self.workspace_host)
        self.current_client_id = client_id
        self.current_item = (entity, row_id) if entity else None
        self._update_title()

    def complete_item(
        self, client_id: str, entity: str, row_id: str, action: str, _item: object = None
    ) -> QWidget | None:
        """Open an item's client on its tab and the form that completes it (Today's "Done")."""
        self.open_item(client_id, entity, row_id)
        if entity == "conflict":
            return None
        widget = self.workspace_host.widget
        complete = getattr(widget, "complete_item", None)
        if complete is None:
            return None
        try:
            form: QWidget | None = complete(entity, row_id, action)
            return form
        except Exception:  # noqa: BLE001 - the workspace stays open on the record's tab
            log.exception("cannot open the form of %s %s", entity, row_id)
            return None

    def _show_in_workspace(self, widget: QWidget, client_id: str, entity: str, row_id: str | None) -> None:
        """Bring the tab (and row) of one record forward; a conflict opens the review dialog."""
        try:
            if entity == "conflict":
                from .workspace import ConflictsDialog

                assert self.ctx is not None  # set before any client is shown

                dialog = ConflictsDialog(self.ctx, client_id, self, tasks=self.tasks)
                dialog.open()
                self._conflicts_dialog = dialog
                return
            show_item = getattr(widget, "show_item", None)
            if show_item is not None:
                show_item(entity, row_id)
                return
            show_tab = getattr(widget, "show_tab", None)
            if show_tab is not None:
                tab = ENTITY_TABS.get(entity, entity)
                show_tab(tab, None if entity == "client" else row_id)
        except Exception:  # noqa: BLE001 - the workspace stays open on its first tab
            log.exception("cannot show %s %s in the workspace", entity, row_id)

    def review_conflicts(self) -> None:
        """The conflict review dialog (both values, who and when, keep either) for all clients."""
        from .workspace import ConflictsDialog

        if self.ctx is None:
            return
        dialog = ConflictsDialog(self.ctx, None, self, tasks=self.tasks)
        dialog.finished.connect(lambda _code: self.refresh_sync_status())
        dialog.open()
        self._conflicts_dialog = dialog

    def _load_client_title(self, client_id: str) -> None:
        """The client's name for the title, read on the database lane."""
        self._client_title = ""
        ctx = self.ctx
        if ctx is None:
            return

        def work() -> str:
            from ..services.records import get_record

            return str(get_record(ctx, "client", client_id).get("name") or "")

        def done(name: str) -> None:
            if self.current_client_id == client_id:
                self._workspace_title(name)

        self.tasks.run_db(work, on_result=done, on_error=lambda exc: None, name="client-title")

    def _workspace_title(self, title: str) -> None:
        self._client_title = title
        self._update_title()

    def _back_from_workspace(self) -> None:
        target = self._return_to
        self.show_page(target)
        page = self.pages.get(target)
        refresh = getattr(page, "refresh", None)
        if refresh is not None:
            refresh()

    # -- import, export, backup, duplicates ------------------------------------------------------------
    def about(self) -> None:
        window_menus.show_about(self)

    def _refresh_pages(self) -> None:
        for page in self.pages.values():
            refresh = getattr(page, "refresh", None)
            if refresh is not None:
                refresh()

    # -- language ---------------------------------------------------------------------------------
    def apply_language(self, lang: str) -> None:
        """Switch every screen to ``lang`` now: retranslate the shell, rebuild the screens."""
        from .language import install_language

        install_language(lang)
        current = self.current_key or "today"
        for widget in list(self.pages.values()):
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self.pages.clear()
        if self.workspace_host.client_id is not None:
            self.workspace_host.set_widget(QWidget(), "")
            self.workspace_host.client_id = None
        self.retranslate()
        self.show_page(current)
        self.refresh_sync_status()
        self.language_changed.emit(lang)

    # -- layout ----------------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        if self.settings is None:
            return
        geometry = self.settings.get("window_geometry")
        if geometry and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.get("window_state")
        if state and not state.isEmpty():
            self.restoreState(state)

    def fit_to_screen(self, screen: QScreen | None = None) -> None:
        """Never larger than the screen it opens on (a 1366×768 laptop less its taskbar), and on it."""
        screen = screen or self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        frame_extra = self.frameGeometry().size() - self.geometry().size()
        width = min(self.width(), area.width() - max(frame_extra.width(), 0))
        height = min(self.height(), area.height() - max(frame_extra.height(), 40))
        self.setMinimumSize(QSize(min(self.minimumWidth(), width), min(self.minimumHeight(), height)))
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        geometry = self.frameGeometry()
        if not area.contains(geometry):
            self.move(
                max(area.left(), min(geometry.left(), area.right() - geometry.width())),
                max(area.top(), min(geometry.top(), area.bottom() - geometry.height())),
            )

    def save_layout(self) -> None:
        if self.settings is None:
            return
        self.settings.set("window_geometry", self.saveGeometry())
        self.settings.set("window_state", self.saveState())
        from .pages.clients import ClientsPage

        clients = self.pages.get("clients")
        if isinstance(clients, ClientsPage):
            clients.save_columns()
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_layout()
        if self._sync_handle is not None:
            self._sync_handle.cancel()
        self._status_timer.stop()
        self._auto_sync_timer.stop()
        self.alerts.close()
        super().closeEvent(event)
