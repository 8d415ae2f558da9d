"""The client list: a table model paged from ``services.search.list_clients_page``.

Like Anki's browser table and calibre's library model, the model is thin: it holds the rows
loaded so far (``rowCount`` is their number), asks the service for the next keyset page in
``fetchMore``, and delegates searching, filtering and sorting to the database. Queries run on the
database lane; a new query cancels the one in flight, and results of an older query are dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor

from ...i18n import N_, _, current_language
from ...labels import label
from ...models.enums import ClientStatus, RiskKind, Tier
from .. import style
from ..tasks import CancelToken, TaskHandle, TaskManager
from .columns import Column
from .roles import BADGE_ROLE, ID_ROLE, ROW_ROLE

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from ...services.context import AppContext
    from ...services.search import ClientFilter, ClientPage, ClientRow, RowExtras

_T = TypeVar("_T")

PAGE_SIZE = 200
#: The first page of a query is small (about one full-height screen of rows), so that a keystroke
#: redraws the list fast; the following pages are fetched as the user scrolls.
FIRST_PAGE_SIZE = 30
#: The total is counted once typing pauses this long (milliseconds).
COUNT_DELAY_MS = 250


COLUMNS: tuple[Column, ...] = (
    Column("name", N_("Client"), order_by="name", width=220),
    Column("tier", N_("Tier"), order_by="tier", width=120, badge=True),
    Column("status", N_("Status"), order_by="status", width=84, badge=True),
    Column("health", N_("Health"), width=64, badge=True),
    Column("risk", N_("Risk"), width=150, badge=True),
    Column("region", N_("Region"), order_by="province", width=108),
    Column("industry", N_("Industry"), width=110),
    Column("owner", N_("Account manager"), order_by="owner", width=148),
    Column("next_due", N_("Next due"), width=100),
    Column("renewal", N_("Contract renewal"), order_by="contract_renewal_date", width=110),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
#: The columns filled by the rows' second step (health, risk, next due), as runs of adjacent columns.
_EXTRAS_SPANS = ((COLUMN_KEYS.index("health"), COLUMN_KEYS.index("risk")),) + (
    (COLUMN_KEYS.index("next_due"), COLUMN_KEYS.index("next_due")),
)
DEFAULT_COLUMNS = ("name", "tier", "status", "health", "risk", "region", "owner", "next_due")


def list_separator() -> str:
    return "、" if current_language().startswith("zh") else ", "


def _fmt_date(value: dt.date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.AccessibleTextRole,
        ID_ROLE,
        BADGE_ROLE,
        ROW_ROLE,
    }
)


_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags


def _release_free_memory() -> None:
    from ..memory import release_free_memory

    release_free_memory()


class ClientTableModel(QAbstractTableModel):
    """Rows are ``ClientRow`` objects. ``set_query`` starts a new search; the first page replaces
    the rows, ``fetchMore`` appends the next one."""

    #: Emitted on the GUI thread after the first page of a query has been shown.
    query_finished = Signal()
    #: Emitted after each page (the first included) with the number of rows now loaded.
    page_loaded = Signal(int)
    #: The first page's health, risk and next-due columns are filled (they follow its rows).
    extras_loaded = Signal()
    #: The total count of the query (computed after the first page).
    total_changed = Signal(int)
    failed = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        tasks: TaskManager | None,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._page_size = page_size
        self._rows: list[ClientRow] = []
        self._next_after: tuple[Any, ...] | None = None
        self._search = ""
        self._filters: ClientFilter | None = None
        self._sort = "name"
        self._descending = False
        self._generation = 0
        self._loading = False
        self._pending: TaskHandle | None = None
        self._count_task: TaskHandle | None = None
        self._extras_task: TaskHandle | None = None
        self.total: int | None = None
        self.today = ctx.today()
        #: Called with a function that starts the second step (health, risk, next due) of a first
        #: page; ``None`` starts it at once. The clients page starts it once the view has painted
        #: the new rows: run beside that paint, its Python work would hold the interpreter lock
        #: the paint's calls into the model wait for.
        self.extras_gate: Callable[[Callable[[], None]], None] | None = None
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self._count_now)
        # Once the whole list is in (the last page read), what the pages' work freed goes back to
        # the system (ui/memory.py): a second after the last page, not between pages.
        self._trim_timer = QTimer(self)
        self._trim_timer.setSingleShot(True)
        self._trim_timer.setInterval(1000)
        self._trim_timer.timeout.connect(_release_free_memory)

    # -- query -------------------------------------------------------------------------------
    @property
    def search_text(self) -> str:
        return self._search

    @property
    def sort_key(self) -> str:
        return self._sort

    @property
    def descending(self) -> bool:
        return self._descending

    @property
    def loading(self) -> bool:
        return self._loading

    def set_sort(self, sort: str, descending: bool = False) -> None:
        """Set the sort order without loading (before the first :meth:`reload`); an unknown
        sort key falls back to the name."""
        self._sort = sort if sort in {c.order_by for c in COLUMNS if c.order_by} else "name"
        self._descending = bool(descending)

    def set_query(
        self,
        *,
        search: str | None = None,
        filters: Any = ...,
        sort: str | None = None,
        descending: bool | None = None,
    ) -> None:
        """Change any part of the query and reload from the first page (in the background)."""
        if search is not None:
            self._search = search
        if filters is not ...:
            self._filters = filters
        if sort is not None:
            self._sort = sort
        if descending is not None:
            self._descending = descending
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        self._count_timer.stop()
        for handle in (self._pending, self._count_task, self._extras_task):
            if handle is not None:
                handle.cancel()
        self._loading = True
        self.today = self._ctx.today()
        search, filters, sort, desc = self._search, self._filters, self._sort, self._descending
        first_limit = min(FIRST_PAGE_SIZE, self._page_size)

        def first_page(token: CancelToken) -> ClientPage:
            from ...services.search import list_clients_page

            token.check()
            return list_clients_page(
                self._ctx,
                search=search or None,
                filters=filters,
                sort=sort,
                descending=desc,
                after=None,
                limit=first_limit,
                # The rows at once; their health, risks and next due date right after
                # (_load_extras): a keystroke redraws the list without waiting for them.
                extras=self._tasks is None,
            )

        self._pending = self._run(
            first_page,
            lambda page: self._first_page(generation, page),
            lambda exc: self._failed(generation, exc),
            "clients-first-page",
        )

    def _run(
        self,
        fn: Callable[[CancelToken], _T],
        on_result: Callable[[_T], None],
        on_error: Callable[[BaseException], None],
        name: str,
        lane: str = "db",
    ) -> TaskHandle | None:
        if self._tasks is None:  # synchronous (scripts)
            try:
                value = fn(CancelToken())
            except Exception as exc:  # noqa: BLE001
                on_error(exc)
            else:
                on_result(value)
            return None
        run = self._tasks.run if lane == "pool" else self._tasks.run_db
        return run(fn, on_result=on_result, on_error=on_error, name=name)

    def _first_page(self, generation: int, page: ClientPage) -> None:
        if generation != self._generation:
            return  # a newer query has started: this result is stale
        self._pending = None
        self.beginResetModel()
        self._rows = list(page.rows)
        self._next_after = page.next_after
        # Still "loading" (no fetchMore, no total) until the extras are in.
        self._loading = not page.extras and bool(page.rows)
        self.endResetModel()
        self.page_loaded.emit(len(self._rows))
        self.query_finished.emit()
        if self._loading:
            if self.extras_gate is None:
                self._load_extras(generation)
            else:
                self.extras_gate(lambda: self._load_extras(generation))
            return
        self.extras_loaded.emit()
        self._after_first_page(generation)

    def _load_extras(self, generation: int) -> None:
        if generation != self._generation:
            return  # a newer query started while the gate held this one
        ids = [r.id for r in self._rows]

        def extras(token: CancelToken) -> dict[str, RowExtras]:
            from ...services.search import client_row_extras

            token.check()
            return client_row_extras(self._ctx, ids)

        self._extras_task = self._run(
            extras,
            lambda values: self._extras_arrived(generation, values),
            lambda exc: self._extras_arrived(generation, {}),  # the rows stay, without those columns
            "clients-extras",
        )

    def _extras_arrived(self, generation: int, values: dict[str, RowExtras]) -> None:
        if generation != self._generation:
            return
        self._extras_task = None
        from dataclasses import replace

        for i, row in enumerate(self._rows):
            extra = values.get(row.id)
            if extra:
                self._rows[i] = replace(row, **extra)
        self._loading = False
        if self._rows:  # only the columns the second step filled are repainted
            last = len(self._rows) - 1
            for first_col, last_col in _EXTRAS_SPANS:
                self.dataChanged.emit(self.index(0, first_col), self.index(last, last_col))
        self.extras_loaded.emit()
        self._after_first_page(generation)

    def _after_first_page(self, generation: int) -> None:
        if self._next_after is None:
            self.total = len(self._rows)
            self.total_changed.emit(self.total)
        elif self._tasks is None:
            self._start_count(generation)
        else:
            # Counting can wait until typing pauses: a keystroke's query never queues behind it.
            self._count_timer.start()

    def _count_now(self) -> None:
        self._start_count(self._generation)

    def _start_count(self, generation: int) -> None:
        if generation != self._generation:
            return
        search, filters = self._search, self._filters

        def count(token: CancelToken) -> int:
            from ...services.search import count_clients

            token.check()
            return count_clients(self._ctx, search=search or None, filters=filters)

        def done(n: int) -> None:
            if generation == self._generation:
                self.total = n
                self.total_changed.emit(n)

        self._count_task = self._run(count, done, lambda exc: None, "clients-count")

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._pending = None
        self._loading = False
        self.failed.emit(str(exc))

    # -- paging ------------------------------------------------------------------------------
    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        if parent.isValid():
            return False
        return self._next_after is not None and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: N802, B008
        if parent.isValid() or self._next_after is None or self._loading:
            return
        self._loading = True
        generation = self._generation
        after = self._next_after
        search, filters, sort, desc = self._search, self._filters, self._sort, self._descending

        def next_page(token: CancelToken) -> ClientPage:
            from ...services.search import list_clients_page

            token.check()
            return list_clients_page(
                self._ctx,
                search=search or None,
                filters=filters,
                sort=sort,
                descending=desc,
                after=after,
                limit=self._page_size,
            )

        self._pending = self._run(
            next_page,
            lambda page: self._next_page(generation, page),
            lambda exc: self._failed(generation, exc),
            "clients-next-page",
        )

    def _next_page(self, generation: int, page: ClientPage) -> None:
        if generation != self._generation:
            return
        self._pending = None
        self._loading = False
        self._next_after = page.next_after
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()
        if self._next_after is None:
            self._trim_timer.start()
        self.page_loaded.emit(len(self._rows))

    # -- access ------------------------------------------------------------------------------
    def client_at(self, row: int) -> ClientRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, client_id: str) -> int:
        for i, r in enumerate(self._rows):
            if r.id == client_id:
                return i
        return -1

    def loaded_names(self) -> list[str]:
        return [r.name for r in self._rows]

    # -- Qt model interface ------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section].header)
        if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section].order_by is None:
            return _("This column cannot be sorted.")
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # asked for every cell at every paint: one flag value made once, not three enums OR-ed
        return _CELL_FLAGS if index.isValid() else _NO_FLAGS

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role not in _ROLES:  # the view asks for many roles per cell while painting: answer fast
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(self._rows) and 0 <= c < len(COLUMNS)) or not index.isValid():
            return None
        row = self._rows[r]
        key = COLUMN_KEYS[c]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == ID_ROLE:
            return row.id
        if role == ROW_ROLE:
            return row
        if role == BADGE_ROLE:
            return self._badges(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, key)
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "next_due" and self._overdue(row):
                return QBrush(QColor(style.DANGER))
            if key == "renewal" and row.contract_renewal_date is not None:
                days = (row.contract_renewal_date - self.today).days
                if days < 0:
                    return QBrush(QColor(style.DANGER))
                if days <= 30:
                    return QBrush(QColor(style.WARNING))
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(row, key)
        return None

    def _display(self, row: ClientRow, key: str) -> str:
        if key == "name":
            return row.name
        if key == "tier":
            return label(Tier, row.tier)
        if key == "status":
            return label(ClientStatus, row.status)
        if key == "health":
            return "" if row.health_score is None else str(row.health_score)
        if key == "risk":
            return list_separator().join(label(RiskKind, k) for k in row.risk_kinds)
        if key == "region":
            parts = [p for p in (row.province, row.city) if p]
            if len(parts) == 2 and parts[0] == parts[1]:
                parts = parts[:1]
            return " ".join(parts)
        if key == "industry":
            return row.industry or ""
        if key == "owner":
            return row.owner_name or (_("Needs a new owner") if row.owner_id is None else "")
        if key == "next_due":
            return _fmt_date(row.next_due)
        if key == "renewal":
            return _fmt_date(row.contract_renewal_date)
        return ""

    def _badges(self, row: ClientRow, key: str) -> list[tuple[str, str, str]] | None:
        if key == "tier":
            fg, bg = style.TIER_COLOURS.get(row.tier, style.TIER_COLOURS["standard"])
            return [(label(Tier, row.tier), fg, bg)]
        if key == "status":
            fg, bg = style.STATUS_COLOURS.get(row.status, style.STATUS_COLOURS["prospect"])
            return [(label(ClientStatus, row.status), fg, bg)]
        if key == "health":
            if row.health_score is None:
                return []
            band = (
                row.health_level
                if row.health_level is not None and row.health_level in style.HEALTH_COLOURS
                else style.health_band(row.health_score)
            )
            fg, bg = style.HEALTH_COLOURS[band]
            return [(str(row.health_score), fg, bg)]
        if key == "risk":
            kinds = list(row.risk_kinds)
            if not kinds:
                return []
            fg, bg = style.RISK_COLOURS
            out = [(label(RiskKind, kinds[0]), fg, bg)]
            if len(kinds) > 1:
                out.append((f"+{len(kinds) - 1}", fg, bg))
            return out
        return None

    def _overdue(self, row: ClientRow) -> bool:
        if row.overdue:
            return True
        due = row.next_due
        if isinstance(due, dt.datetime):
            due = due.date()
        return isinstance(due, dt.date) and due < self.today

    def _tooltip(self, row: ClientRow, key: str) -> str | None:
        if key == "risk" and row.risk_kinds:
            return "\n".join(label(RiskKind, k) for k in row.risk_kinds)
        if key == "name" and row.short_name:
            return f"{row.name}\n{row.short_name}"
        if key == "owner" and row.owner_id is None:
            return _("No account manager is responsible for this client.")
        if key == "next_due" and self._overdue(row):
            return _("Overdue")
        return None

    # -- sorting: delegated to the database ---------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS) or COLUMNS[column].order_by is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if COLUMNS[column].order_by == self._sort and descending == self._descending:
            return
        self.set_query(sort=COLUMNS[column].order_by, descending=order == Qt.SortOrder.DescendingOrder)

    def sort_column(self) -> int:
        for i, c in enumerate(COLUMNS):
            if c.order_by == self._sort:
                return i
        return 0
