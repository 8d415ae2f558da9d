"""The Clients screen: search-as-you-type, filters, a paged table with badges, keyboard navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from ...labels import choices
from ...models.enums import ClientStatus, Tier
from .. import icons, style
from ..item_models.clients import COLUMNS, ClientTableModel
from ..item_models.roles import ID_ROLE
from ..widgets.badges import BadgeDelegate
from ..widgets.empty_state import EmptyState
from ..widgets.search_box import SearchBox
from .clients_columns import ClientColumns
from .clients_dialog import NewClientDialog

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ...services.search import ClientFilter, FilterOptions
    from ..dialogs.import_wizard import ImportWizard
    from ..settings import Settings
    from ..tasks import TaskManager

ROW_HEIGHT = 34


class ClientsPage(ClientColumns, QWidget):
    #: A client to open in the workspace.
    client_open_requested = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        tasks: TaskManager,
        settings: Settings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._settings = settings
        self._options_loaded = False
        self._options: FilterOptions | None = None
        self._after_paint: list[
            Callable[[], None]
        ] = []  # the rows' second step, waiting for the new rows' paint
        self._extra_filter: ClientFilter | None = None
        self._restoring = False
        self._restoring_columns = False
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(400)
        self._save_timer.timeout.connect(self.save_columns)

        self.model = ClientTableModel(ctx, tasks, self)
        sort = settings.get("client_sort") if settings else "name"
        desc = settings.get("client_sort_desc") if settings else False
        self.model.set_sort(sort, bool(desc))
        # The first page is read on the database lane while the widgets are built (the page is
        # made when it is first shown).
        self._first_query = tasks is not None
        if self._first_query:
            self.model.reload()

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 12)
        outer.setSpacing(12)

        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("PageTitle")
        self.count_label = QLabel()
        self.count_label.setObjectName("Count")
        self.new_button = QPushButton(icons.icon("add", style.WHITE), "")
        self.new_button.setObjectName("Primary")
        self.new_button.clicked.connect(self.new_client)
        self.import_button = QPushButton(icons.icon("import"), "")
        self.import_button.clicked.connect(self.import_file)
        self.search = SearchBox()
        self.search.setMinimumWidth(300)
        self.search.setMaximumWidth(420)
        self.search.search_changed.connect(self._search_changed)
        head.addWidget(self.title)
        head.addSpacing(8)
        head.addWidget(self.count_label, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)
        head.addWidget(self.search, 1)
        head.addSpacing(8)
        head.addWidget(self.import_button)
        head.addWidget(self.new_button)
        outer.addLayout(head)

        bar = QHBoxLayout()
        bar.setSpacing(8)
        self.filter_icon = QLabel()
        self.filter_icon.setPixmap(icons.pixmap("filter", 16, style.TEXT_MUTED, self.devicePixelRatioF()))
        bar.addWidget(self.filter_icon)
        self.tier_combo = QComboBox()
        self.status_combo = QComboBox()
        self.region_combo = QComboBox()
        self.industry_combo = QComboBox()
        self.owner_combo = QComboBox()
        for combo in (
            self.tier_combo,
            self.status_combo,
            self.region_combo,
            self.industry_combo,
            self.owner_combo,
        ):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(6)
            combo.currentIndexChanged.connect(self._filters_changed)
            bar.addWidget(combo)
        self.risk_check = QCheckBox()
        self.risk_check.toggled.connect(self._filters_changed)
        bar.addWidget(self.risk_check)
        self.scope_label = QLabel()  # a list opened from a dashboard figure: what it shows
        self.scope_label.setObjectName("Hint")
        self.scope_label.setVisible(False)
        bar.addWidget(self.scope_label)
        bar.addStretch(1)
        self.clear_button = QPushButton()
        self.clear_button.setIcon(icons.icon("clear"))
        self.clear_button.clicked.connect(self.clear_filters)
        bar.addWidget(self.clear_button)
        outer.addLayout(bar)

        # Saved views (synced with the profile) and bulk edit of the selected rows.
        from ..dialogs.bulk_edit import BulkBar
        from ..widgets.saved_views import SavedViewsBar

        tools = QHBoxLayout()
        self.views_bar = SavedViewsBar("clients", ctx, tasks, self.view_state, self.apply_view_state, self)
        self.bulk_bar = BulkBar("clients", ctx, tasks, self.selected_client_ids, self)
        self.bulk_bar.changed.connect(self.refresh)
        tools.addWidget(self.views_bar)
        tools.addStretch(1)
        tools.addWidget(self.bulk_bar)
        outer.addLayout(tools)

        self.stack = QStackedWidget()
        self.table = QTableView()
        self.table.setModel(self.model)
        # Badges on the badge columns only: the other cells are painted by Qt's own delegate,
        # without a call into Python per cell.
        self.badge_delegate = BadgeDelegate(self.table)
        for logical, col in enumerate(COLUMNS):
            if col.badge:
                self.table.setItemDelegateForColumn(logical, self.badge_delegate)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(ROW_HEIGHT)
        hh = self.table.horizontalHeader()
        hh.setSectionsMovable(True)
        hh.setHighlightSections(False)
        hh.setStretchLastSection(True)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._header_menu)
        hh.sectionResized.connect(self._save_columns_later)
        hh.sectionMoved.connect(self._save_columns_later)
        self._restore_columns()
        self.table.setSortingEnabled(True)
        hh.sortIndicatorChanged.connect(self._sort_changed)
        self.table.doubleClicked.connect(self._open_index)
        self.table.installEventFilter(self)
        self.stack.addWidget(self.table)
        self.empty = EmptyState("", "", icon="clients", action="")
        self.empty.action_triggered.connect(self._empty_action)
        self.stack.addWidget(self.empty)
        self.loading_state = EmptyState("", "", icon="search")
        self.stack.addWidget(self.loading_state)
        outer.addWidget(self.stack, 1)

        self.table.selectionModel().selectionChanged.connect(lambda *_a: self.bulk_bar.update_selection())
        self.model.modelReset.connect(self.bulk_bar.update_selection)
        self.model.query_finished.connect(self._query_finished)
        # The rows' second step starts once the new rows are painted (or at the latest 100 ms later,
        # e.g. when the page is hidden): beside the paint it would slow it down (the model's gate).
        self._paint_fallback = QTimer(self)
        self._paint_fallback.setSingleShot(True)
        self._paint_fallback.setInterval(100)
        self._paint_fallback.timeout.connect(self._painted)
        self.table.viewport().installEventFilter(self)
        self.model.extras_gate = self._run_after_paint
        self.model.total_changed.connect(self._show_count)
        self.model.failed.connect(self._query_failed)

        QShortcut(
            QKeySequence.StandardKey.Find,
            self,
            self.focus_search,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.new_action = QAction(self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_action.triggered.connect(self.new_client)
        self.addAction(self.new_action)

        self.retranslate()
        self.stack.setCurrentWidget(self.loading_state)
        self._started = False

    # -- life cycle ------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._started:
            self._started = True
            # The list first: the filter choices (which read every client and sort the values in
            # pinyin order) and the saved views queue behind its first page on the database lane.
            if not self._first_query:
                self.model.reload()
            self.load_filter_options()
            self.views_bar.reload()

    def refresh(self) -> None:
        """Reload the list (after a change elsewhere), keeping the query."""
        self.model.reload()
        self.load_filter_options()

    def retranslate(self) -> None:
        self.title.setText(_("Clients"))
        self.new_button.setText(_("New client"))
        self.new_button.setToolTip(_("Add a client (Ctrl+N)"))
        self.import_button.setText(_("Import…"))
        self.import_button.setToolTip(_("Import clients or contacts from an Excel or CSV file (Ctrl+I)"))
        self.search.setPlaceholderText(_("Search name, pinyin initials, contact, phone…  (Ctrl+F)"))
        self.risk_check.setText(_("Risk flagged"))
        self.clear_button.setText(_("Clear"))
        self.clear_button.setToolTip(_("Clear the search and all filters"))
        if hasattr(self, "views_bar"):
            self.views_bar.retranslate()
            self.bulk_bar.retranslate()
        self.loading_state.set_text(_("Loading clients…"))
        self._fill_static_combos()
        if self._options_loaded and self._options is not None:
            self._fill_dynamic_combos(self._options)
        self._show_count(self.model.total)
        self._update_empty()

    # -- filters ---------------------------------------------------------------------------
    def _fill_combo(self, combo: QComboBox, everything: str, items: list[tuple[str, str]]) -> None:
        current = combo.currentData()
        self._restoring = True
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for value, text in items:
            combo.addItem(text, value)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)
        self._restoring = False

    def _fill_static_combos(self) -> None:
        self._fill_combo(self.tier_combo, _("All tiers"), choices(Tier))
        self._fill_combo(self.status_combo, _("All statuses"), choices(ClientStatus))
        if not self._options_loaded:
            self._fill_combo(self.region_combo, _("All regions"), [])
            self._fill_combo(self.industry_combo, _("All industries"), [])
            self._fill_combo(self.owner_combo, _("All account managers"), [])

    def _fill_dynamic_combos(self, options: FilterOptions) -> None:
        self._fill_combo(self.region_combo, _("All regions"), [(p, p) for p in options.get("provinces", [])])
        self._fill_combo(
            self.industry_combo, _("All industries"), [(i, i) for i in options.get("industries", [])]
        )
        owners = [(oid, name) for oid, name in options.get("owners", [])]
        self._fill_combo(self.owner_combo, _("All account managers"), owners)

    def load_filter_options(self) -> None:
        def work() -> FilterOptions:
            from ...services.search import filter_options

            return filter_options(self._ctx)

        self._tasks.run_db(work, on_result=self._options_arrived, name="client-filter-options")

    def _options_arrived(self, options: FilterOptions) -> None:
        self._options = options
        self._options_loaded = True
        self._fill_dynamic_combos(options)

    def current_filter(self) -> ClientFilter:
        from ...services.search import ClientFilter

        def one(combo: QComboBox) -> tuple[str, ...]:
            value = combo.currentData()
            return () if value is None else (value,)

        base = ClientFilter(
            tiers=one(self.tier_combo),
            statuses=one(self.status_combo),
            provinces=one(self.region_combo),
            industries=one(self.industry_combo),
            owner_ids=one(self.owner_combo),
            risk_only=self.risk_check.isChecked(),
        )
        extra = self._extra_filter
        if extra is None:
            return base
        from dataclasses import replace

        return replace(
            base,
            tiers=base.tiers or extra.tiers,
            statuses=base.statuses or extra.statuses,
            owner_ids=base.owner_ids or extra.owner_ids,
            ids=extra.ids,
            needs_owner=base.needs_owner or extra.needs_owner,
        )

    def apply_filter(self, filters: ClientFilter, description: str = "") -> None:
        """Show the clients of ``filters`` (a dashboard figure's click-through): the combos take
        the single values they can show, the rest (several statuses, a list of clients) stays
        as a named limit until Clear."""
        self._restoring = True
        for combo, values in (
            (self.tier_combo, filters.tiers),
            (self.status_combo, filters.statuses),
            (self.owner_combo, filters.owner_ids),
        ):
            index = combo.findData(values[0]) if len(values) == 1 else -1
            combo.setCurrentIndex(max(0, index))
        for combo in (self.region_combo, self.industry_combo):
            combo.setCurrentIndex(0)
        self.risk_check.setChecked(filters.risk_only)
        self._restoring = False
        self._extra_filter = filters
        self.scope_label.setText(description)
        self.scope_label.setVisible(bool(description))
        self.model.set_query(search="", filters=self.current_filter())

    def _filters_changed(self, *_args: object) -> None:
        if self._restoring:
            return
        self.model.set_query(filters=self.current_filter())

    def _search_changed(self, text: str) -> None:
        self.model.set_query(search=text)

    def clear_filters(self) -> None:
        self._extra_filter = None
        self.scope_label.setVisible(False)
        self._restoring = True
        for combo in (
            self.tier_combo,
            self.status_combo,
            self.region_combo,
            self.industry_combo,
            self.owner_combo,
        ):
            combo.setCurrentIndex(0)
        self.risk_check.setChecked(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search._last = ""
        self.search.blockSignals(False)
        self._restoring = False
        self.model.set_query(search="", filters=self.current_filter())

    def has_query(self) -> bool:
        f = self.current_filter()
        return bool(
            self.model.search_text
            or f.tiers
            or f.statuses
            or f.provinces
            or f.industries
            or f.owner_ids
            or f.risk_only
            or f.ids is not None
        )

    # -- results ---------------------------------------------------------------------------
    def _query_finished(self) -> None:
        self._update_empty()
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )

    def _update_empty(self) -> None:
        if self.model.loading and self.model.rowCount() == 0:
            return
        if self.model.rowCount():
            self.stack.setCurrentWidget(self.table)
            return
        if self.has_query():
            self.empty.set_text(
                _("No client matches"),
                _("Try fewer letters, pinyin initials (e.g. “hhkj”), or clear the filters."),
            )
            self.empty.button.setText(_("Clear search and filters"))
        else:
            self.empty.set_text(
                _("No clients yet"),
                _("Add your first client, or sync with your server to receive your clients."),
            )
            self.empty.button.setText(_("New client"))
        self.empty.button.show()
        self.stack.setCurrentWidget(self.empty)

    def _empty_action(self) -> None:
        if self.has_query():
            self.clear_filters()
        else:
            self.new_client()

    def _show_count(self, total: int | None) -> None:
        if total is None:
            self.count_label.setText("")
            return
        self.count_label.setText((_("{n} client") if total == 1 else _("{n} clients")).format(n=total))

    def _query_failed(self, message: str) -> None:
        self.empty.set_text(_("The client list could not be loaded"), message)
        self.empty.button.hide()
        self.stack.setCurrentWidget(self.empty)

    # -- sorting ---------------------------------------------------------------------------
    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if COLUMNS[column].order_by is None:
            # Not sortable in the database: put the indicator back.
            hh = self.table.horizontalHeader()
            hh.blockSignals(True)
            hh.setSortIndicator(
                self.model.sort_column(),
                Qt.SortOrder.DescendingOrder if self.model.descending else Qt.SortOrder.AscendingOrder,
            )
            hh.blockSignals(False)
            return
        if self._settings is not None:
            self._settings.set("client_sort", COLUMNS[column].order_by)
            self._settings.set("client_sort_desc", order == Qt.SortOrder.DescendingOrder)

    # -- opening ---------------------------------------------------------------------------
    def _run_after_paint(self, start: Callable[[], None]) -> None:
        self._after_paint.append(start)
        self._paint_fallback.start()

    def _painted(self) -> None:
        self._paint_fallback.stop()
        waiting, self._after_paint = self._after_paint, []
        for start in waiting:
            start()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if self._after_paint and event.type() == QEvent.Type.Paint and obj is self.table.viewport():
            QTimer.singleShot(0, self._painted)  # right after this paint
        if obj is self.table and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._open_index(self.table.currentIndex())
                return True
        return super().eventFilter(obj, event)

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            client_id = index.data(ID_ROLE)
            if client_id:
                self.client_open_requested.emit(client_id)

    def selected_client_ids(self) -> list[str]:
        """The clients selected in the list (several with Ctrl or Shift), in list order."""
        table = getattr(self, "table", None)  # (asked while the page is being built)
        model = table.selectionModel() if table is not None else None
        if model is None:
            return []
        rows = sorted(index.row() for index in model.selectedRows())
        return [i for i in (self.model.index(r, 0).data(ID_ROLE) for r in rows) if i]

    # -- saved views -------------------------------------------------------------------------
    def view_state(self) -> dict[str, Any]:
        """The list as it is now: filters, visible columns, sort (what a saved view keeps)."""
        combos = {
            "tier": self.tier_combo,
            "status": self.status_combo,
            "province": self.region_combo,
            "industry": self.industry_combo,
            "owner": self.owner_combo,
        }
        filters = {k: c.currentData() for k, c in combos.items() if c.currentData() is not None}
        if self.risk_check.isChecked():
            filters["risk_only"] = True
        if self.model.search_text:
            filters["search"] = self.model.search_text
        return {
            "filters": filters,
            "columns": self.visible_columns(),
            "sort": [self.model.sort_key, "desc" if self.model.descending else "asc"],
        }

    def apply_view_state(self, state: dict[str, Any]) -> None:
        """Show a saved view: its filters, columns and sort."""
        filters = state.get("filters") or {}
        self._extra_filter = None
        self.scope_label.setVisible(False)
        self._restoring = True
        combos = {
            "tier": self.tier_combo,
            "status": self.status_combo,
            "province": self.region_combo,
            "industry": self.industry_combo,
            "owner": self.owner_combo,
        }
        for key, combo in combos.items():
            combo.setCurrentIndex(max(0, combo.findData(filters.get(key))) if filters.get(key) else 0)
        self.risk_check.setChecked(bool(filters.get("risk_only")))
        search = str(filters.get("search") or "")
        self.search.blockSignals(True)
        self.search.setText(search)
        self.search._last = search
        self.search.blockSignals(False)
        self._restoring = False
        columns = [c for c in state.get("columns") or [] if c in {col.key for col in COLUMNS}]
        if columns:
            hh = self.table.horizontalHeader()
            for logical, col in enumerate(COLUMNS):
                hh.setSectionHidden(logical, col.key not in columns and col.key != "name")
            self.save_columns()
        sort = state.get("sort") or []
        key, desc = (
            (sort[0], sort[1] == "desc") if len(sort) == 2 else (self.model.sort_key, self.model.descending)
        )
        self.model.set_query(search=search, filters=self.current_filter(), sort=key, descending=desc)
        hh = self.table.horizontalHeader()
        hh.blockSignals(True)
        hh.setSortIndicator(
            self.model.sort_column(),
            Qt.SortOrder.DescendingOrder if self.model.descending else Qt.SortOrder.AscendingOrder,
        )
        hh.blockSignals(False)

    def selected_client_id(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def new_client(self) -> None:
        dialog = NewClientDialog(self._ctx, self._tasks, self)
        dialog.client_created.connect(self._client_created)
        dialog.open()
        self._new_dialog = dialog

    def import_file(self) -> ImportWizard | None:
        """The import wizard (the main window's, so that every screen refreshes after it)."""
        window = self.window()
        if hasattr(window, "import_file"):
            wizard_of_window: ImportWizard | None = window.import_file()
            return wizard_of_window
        from ..dialogs.import_wizard import ImportWizard

        wizard = ImportWizard(self._ctx, self._tasks, self)
        wizard.imported.connect(lambda _result: self.refresh())
        wizard.open()
        self._import_wizard = wizard
        return wizard

    def _client_created(self, client_id: str) -> None:
        self.refresh()
        self.client_open_requested.emit(client_id)
