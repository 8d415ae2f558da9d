"""Building blocks of the workspace tabs: a small table model over service rows and a panel with
a toolbar (new, edit, delete, field history), an empty state and double-click to edit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import SIGNAL, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...errors import AccountDeskError
from ...i18n import _
from ...permissions import may_write
from ...services import records
from ..forms import Lookups, RecordDialog, confirm_delete

ROW_ID_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

RED = "#c0392b"
AMBER = "#b9770e"
GREEN = "#1e8449"
GREY = "#8a94a3"


def icon(name: str) -> QIcon:
    """The shell's line icons when present (ui/icons.py), else no icon."""
    try:
        from .. import icons
    except ImportError:  # the shell's icon module has not landed
        return QIcon()
    try:
        return icons.icon(name)
    except (OSError, ValueError):
        return QIcon()


def emit_open(page, client_id: str, entity: str, row_id: str) -> None:
    """Ask the main window to open a record: ``item_open_requested`` (client, entity, row) when
    someone listens to it, else ``client_opened`` (the client only)."""
    if page.receivers(SIGNAL("item_open_requested(QString,QString,QString)")) > 0:
        page.item_open_requested.emit(client_id, entity, row_id)
    else:
        page.client_opened.emit(client_id)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    text: Callable[[dict[str, Any]], str] | None = None
    sort: Callable[[dict[str, Any]], Any] | None = None
    color: Callable[[dict[str, Any]], str | None] | None = None
    width: int | None = None
    align_right: bool = False

    def display(self, row: dict[str, Any]) -> str:
        if self.text is not None:
            return self.text(row)
        value = row.get(self.key)
        return "" if value is None else str(value)

    def sort_key(self, row: dict[str, Any]) -> Any:
        if self.sort is not None:
            return self.sort(row)
        value = row.get(self.key)
        return (value is None, value if value is not None else "")


class RecordTableModel(QAbstractTableModel):
    """Rows are plain dicts with an ``id`` (small, fully loaded per-client lists)."""

    def __init__(self, columns: list[Column], parent=None):
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[dict[str, Any]] = []
        self.muted: Callable[[dict[str, Any]], bool] = lambda _r: False

    def set_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows) or index.column() >= len(self.columns):
            return None
        row = self.rows[index.row()]
        col = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return col.display(row)
        if role == ROW_ID_ROLE:
            return row.get("id")
        if role == SORT_ROLE:
            return col.sort_key(row)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self.muted(row):
                return QBrush(QColor(GREY))
            color = col.color(row) if col.color else None
            return QBrush(QColor(color)) if color else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col.align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.columns):
                return self.columns[section].header
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        col = self.columns[column]
        self.layoutAboutToBeChanged.emit()
        self.rows.sort(key=col.sort_key, reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()

    def row_of(self, row_id: str) -> int:
        for i, r in enumerate(self.rows):
            if r.get("id") == row_id:
                return i
        return -1


def make_table(model: RecordTableModel, parent: QWidget | None = None) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(28)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    fit_columns(view)
    # Fit once to the first rows shown; afterwards the user's own column widths stay.
    fitted = []

    def first_rows() -> None:
        if not fitted and model.rowCount():
            fitted.append(True)
            fit_columns(view)

    model.modelReset.connect(first_rows)
    view.setSortingEnabled(True)
    view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    return view


#: No column of a record table is fitted wider than this (long texts are elided, with a tooltip).
MAX_FITTED_WIDTH = 340


def fit_columns(view: QTableView) -> None:
    """Every column but the last (which stretches) as wide as its header and its widest value,
    within its designed width and ``MAX_FITTED_WIDTH``: no clipped headers, no elided short values."""
    model = view.model()
    metrics = view.horizontalHeader().fontMetrics()
    columns = getattr(model, "columns", [])
    for i in range(model.columnCount() - 1):
        header = str(model.headerData(i, Qt.Orientation.Horizontal) or "")
        need = metrics.horizontalAdvance(header) + 34  # padding and the sort arrow
        if model.rowCount():
            need = max(need, view.sizeHintForColumn(i) + 12)
        designed = columns[i].width if i < len(columns) and columns[i].width else 120
        view.setColumnWidth(i, min(max(need, designed if not model.rowCount() else 0), MAX_FITTED_WIDTH))


def section_title(text: str, parent: QWidget | None = None) -> QLabel:
    lab = QLabel(text, parent)
    lab.setStyleSheet("font-weight: 600; font-size: 14px; padding: 2px 0;")
    return lab


class RecordPanel(QWidget):
    """A list of one entity of the client with new / edit / delete / history.

    ``load`` gives the rows (default: every live row of the entity for the client);
    ``defaults`` pre-fills new records; ``fields`` limits the form.
    """

    changed = Signal(str)  # entity
    selection_changed = Signal(object)  # row dict or None

    def __init__(
        self,
        ctx,
        client_id: str,
        entity: str,
        columns: list[Column],
        *,
        title: str,
        empty: str,
        lookups: Lookups,
        load: Callable[[], list[dict[str, Any]]] | None = None,
        fields: Iterable[str] | None = None,
        defaults: Callable[[], dict[str, Any]] | None = None,
        describe: Callable[[dict[str, Any]], str] | None = None,
        new_label: str | None = None,
        create_fields: Iterable[str] | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.entity = entity
        self.lookups = lookups
        self._load = load or (lambda: records.list_records(ctx, entity, client_id))
        self.fields = list(fields) if fields is not None else None
        self.create_fields = list(create_fields) if create_fields is not None else self.fields
        self.defaults = defaults
        self.describe = describe or (lambda r: str(r.get("name") or r.get("title") or r.get("subject") or ""))
        self.setObjectName(f"panel_{entity}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.title = section_title(title, self)
        bar.addWidget(self.title)
        bar.addStretch(1)
        self.extra_bar = QHBoxLayout()
        self.extra_bar.setSpacing(6)
        bar.addLayout(self.extra_bar)
        role = ctx.actor.role
        self.new_button = QPushButton(icon("add"), new_label or _("New"), self)
        self.new_button.setObjectName("new")
        self.edit_button = QPushButton(_("Edit"), self)
        self.edit_button.setObjectName("edit")
        self.delete_button = QPushButton(_("Delete"), self)
        self.delete_button.setObjectName("delete")
        self.history_button = QPushButton(icon("clock"), _("History"), self)
        self.history_button.setObjectName("history")
        self.history_button.setToolTip(_("Who changed a field of this record, and when"))
        for b in (self.new_button, self.edit_button, self.delete_button, self.history_button):
            bar.addWidget(b)
        self.new_button.setVisible(may_write(role, entity, "create"))
        self.can_edit = may_write(role, entity, "update")
        self.delete_button.setVisible(may_write(role, entity, "delete"))
        layout.addLayout(bar)
        self.model = RecordTableModel(columns, self)
        self.view = make_table(self.model, self)
        self.view.setObjectName(f"table_{entity}")
        self.empty = QLabel(empty, self)
        self.empty.setObjectName("empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #6b7480; padding: 24px; border: 1px dashed #cfd6de; border-radius: 6px;")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        self.new_button.clicked.connect(self.create)
        self.edit_button.clicked.connect(self.edit)
        self.delete_button.clicked.connect(self.delete)
        self.history_button.clicked.connect(lambda: self.history())
        self.view.doubleClicked.connect(lambda _i: self.edit())
        self.view.activated.connect(lambda _i: self.edit())  # Enter
        for keys, slot in ((QKeySequence.StandardKey.Delete, self.delete), (QKeySequence.StandardKey.New, self.create)):
            shortcut = QShortcut(QKeySequence(keys), self.view)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self._update_buttons()

    # -- data ----------------------------------------------------------------------------------
    def reload(self) -> None:
        selected = self.current_id()
        self.model.set_rows(self._load())
        self.stack.setCurrentWidget(self.view if self.model.rows else self.empty)
        if selected:
            self.select(selected)
        self._update_buttons()

    def current_row(self) -> dict[str, Any] | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.rows[rows[0].row()]

    def current_id(self) -> str | None:
        row = self.current_row()
        return row["id"] if row else None

    def select(self, row_id: str) -> bool:
        i = self.model.row_of(row_id)
        if i < 0:
            return False
        self.view.selectRow(i)
        self.view.scrollTo(self.model.index(i, 0))
        return True

    def _selection_changed(self, *_a) -> None:
        self._update_buttons()
        self.selection_changed.emit(self.current_row())

    def _update_buttons(self) -> None:
        has = self.current_row() is not None
        self.edit_button.setEnabled(has and self.can_edit)
        self.delete_button.setEnabled(has)
        self.history_button.setEnabled(has)

    # -- actions -------------------------------------------------------------------------------
    def dialog(self, row_id: str | None = None, **kw) -> RecordDialog:
        defaults = self.defaults() if (self.defaults and not row_id) else None
        self.lookups.invalidate()
        return RecordDialog(
            self.ctx, self.entity, client_id=self.client_id, row_id=row_id,
            fields=self.fields if row_id else self.create_fields,
            defaults=defaults, lookups=self.lookups, parent=self, title=kw.pop("title", None), **kw,
        )

    def _run(self, dlg: RecordDialog) -> None:
        dlg.saved.connect(self._saved)
        if dlg.row_id:
            dlg.field_history_requested.connect(lambda field, d=dlg: self.history(field, parent=d))
        dlg.open()

    def _saved(self, row_id: str) -> None:
        self.reload()
        self.select(row_id)
        self.changed.emit(self.entity)

    def create(self) -> RecordDialog:
        dlg = self.dialog(title=self.new_button.text())
        self._run(dlg)
        return dlg

    def edit(self) -> RecordDialog | None:
        row_id = self.current_id()
        if not row_id or not self.can_edit:
            return None
        dlg = self.dialog(row_id, title=_("Edit"))
        self._run(dlg)
        return dlg

    def delete(self) -> bool:
        row = self.current_row()
        if row is None or not confirm_delete(self, self.describe(row) or _("this record")):
            return False
        try:
            records.delete_record(self.ctx, self.entity, row["id"])
        except AccountDeskError as exc:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(self, _("Delete"), exc.message)
            return False
        self.reload()
        self.changed.emit(self.entity)
        return True

    def history(self, field: str | None = None, parent: QWidget | None = None):
        row_id = self.current_id()
        if not row_id:
            return None
        from .field_history_dialog import FieldHistoryDialog

        dlg = FieldHistoryDialog(self.ctx, self.entity, row_id, field if isinstance(field, str) else None,
                                 parent=parent or self, lookups=self.lookups)
        dlg.restored.connect(lambda: (self.reload(), self.changed.emit(self.entity)))
        dlg.open()
        return dlg


class Card(QFrame):
    """A white rounded box for the overview."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.setStyleSheet(
            "QFrame#card { background: palette(base); border: 1px solid #dde3ea; border-radius: 8px; }"
        )
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 10, 14, 12)
        self.body.setSpacing(6)
        head = QLabel(title, self)
        head.setStyleSheet("font-weight: 600; color: #3b4552; border: none;")
        self.body.addWidget(head)


def badge(text: str, color: str, parent: QWidget | None = None) -> QLabel:
    lab = QLabel(text, parent)
    lab.setStyleSheet(
        f"color: white; background: {color}; border-radius: 8px; padding: 1px 9px; font-size: 11px; border: none;"
        " min-height: 18px; max-height: 18px;"
    )
    lab.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return lab
