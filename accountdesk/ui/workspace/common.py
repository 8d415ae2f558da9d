"""Building blocks of the workspace tabs: a small table model over service rows and a panel with
a toolbar (new, edit, delete, field history), an empty state and double-click to edit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import SIGNAL, QObject, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...errors import AccountDeskError
from ...i18n import _
from ...permissions import may_write
from ...services import records
from .. import icons, style
from ..forms import Lookups, RecordDialog, confirm_delete
from ..forms.lookups import LookupData, form_refs
from ..item_models.columns import Column  # noqa: F401 - re-exported
from ..item_models.records import RecordTableModel
from ..lane_reads import LaneReads, error_text
from ..style import AMBER, GREEN, GREY, RED  # noqa: F401 - re-exported: the tabs' status colours
from ..widgets.tables import MAX_FITTED_WIDTH, fit_columns, make_table  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..tasks import TaskManager
    from .field_history_dialog import FieldHistoryDialog


def icon(name: str) -> QIcon:
    """The line icon ``name`` (ui/icons.py), or no icon."""
    return icons.icon_or_blank(name)


def emit_open(page: Any, client_id: str, entity: str, row_id: str) -> None:
    """Ask the main window to open a record: ``item_open_requested`` (client, entity, row) when
    someone listens to it, else ``client_open_requested`` (the client only). ``page``: any
    screen with those two signals."""
    if page.receivers(SIGNAL("item_open_requested(QString,QString,QString)")) > 0:
        page.item_open_requested.emit(client_id, entity, row_id)
    else:
        page.client_open_requested.emit(client_id)


def section_title(text: str, parent: QWidget | None = None) -> QLabel:
    lab = QLabel(text, parent)
    lab.setStyleSheet(style.SECTION_TITLE_CSS)
    return lab


class RecordPanel(QWidget):
    """A list of one entity of the client with new / edit / delete / history.

    ``load`` gives the rows (default: every live row of the entity for the client); it runs on
    the database lane (given ``tasks``), so it calls services only and never a widget.
    ``defaults`` pre-fills new records; ``fields`` limits the form; ``refs``: references the
    columns show besides those the form offers. ``loaded`` is emitted once new rows are shown.
    """

    #: files dropped on a row attach to it (workspace.file_drops.accept_file_drops sets it)
    file_drop: QObject

    changed = Signal(str)  # entity
    selection_changed = Signal(object)  # row dict or None
    loaded = Signal()

    def __init__(
        self,
        ctx: AppContext,
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
        refs: Iterable[str] = (),
        tasks: TaskManager | None = None,
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
        #: Rows shown: those this keeps (a list's own filters, e.g. the equipment ledger's); None: all.
        self.row_filter: Callable[[dict[str, Any]], bool] | None = None
        #: Rows filtered down to nothing show the empty state (True) or an empty table (False).
        self.empty_when_filtered = False
        #: What the form and the columns look up (read with the rows).
        self.lookup_refs = form_refs(entity, self.fields) | form_refs(entity, self.create_fields) | set(refs)
        self.loaded_rows: list[dict[str, Any]] | None = None  # None: not read yet
        self.reads = LaneReads(self, f"panel {entity}")
        self.reads.tasks = tasks
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
        self.empty.setStyleSheet(style.EMPTY_PANEL_CSS)
        self.status = QLabel("", self)  # loading, or what went wrong
        self.status.setObjectName("status")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setWordWrap(True)
        self.status.setStyleSheet(style.EMPTY_PANEL_CSS)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.status)
        layout.addWidget(self.stack, 1)
        self.new_button.clicked.connect(self.new_record)
        self.edit_button.clicked.connect(self.edit)
        self.delete_button.clicked.connect(self.delete)
        self.history_button.clicked.connect(lambda: self.history())
        self.view.doubleClicked.connect(lambda _i: self.edit())
        self.view.activated.connect(lambda _i: self.edit())  # Enter
        for keys, slot in (
            (QKeySequence.StandardKey.Delete, self.delete),
            (QKeySequence.StandardKey.New, self.new_record),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.view)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self._update_buttons()

    # -- data ----------------------------------------------------------------------------------
    @property
    def tasks(self) -> TaskManager | None:
        return self.reads.tasks

    @tasks.setter
    def tasks(self, tasks: TaskManager | None) -> None:
        self.reads.tasks = tasks

    @property
    def loading(self) -> bool:
        return self.reads.loading

    def reload(self) -> None:
        """Read the rows (and what the columns and forms look up) on the database lane."""
        load, lookups, refs = self._load, self.lookups, sorted(self.lookup_refs)
        if self.loaded_rows is None:  # first read: nothing to show, no names for a form yet
            self._show_status(_("Loading…"))
            self.new_button.setEnabled(False)

        def fetch() -> tuple[LookupData, list[dict[str, Any]]]:
            return lookups.read(refs), load()

        self.reads.read(fetch, self._landed, self._failed)

    def then(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the rows asked for have landed."""
        self.reads.then(fn)

    def _landed(self, data: tuple[LookupData, list[dict[str, Any]]]) -> None:
        lookup_data, rows = data
        self.lookups.apply(lookup_data)
        self.loaded_rows = rows
        self.new_button.setEnabled(True)
        self.refilter()
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._show_status(error_text(exc))

    def _show_status(self, text: str) -> None:
        self.status.setText(text)
        self.stack.setCurrentWidget(self.status)

    def refilter(self) -> None:
        """Show the rows read last through ``row_filter`` (no read)."""
        if self.loaded_rows is None:
            return
        selected = self.current_id()
        loaded = self.loaded_rows
        rows = loaded if self.row_filter is None else [r for r in loaded if self.row_filter(r)]
        self.model.set_rows(rows)
        # filtered down to nothing: the (empty) table, not "nothing registered yet"
        self.stack.setCurrentWidget(
            self.view if (rows if self.empty_when_filtered else loaded) else self.empty
        )
        if selected:
            self.select(selected)
        self._update_buttons()

    def row(self, row_id: str | None) -> dict[str, Any] | None:
        """A row read last (filtered out or not)."""
        return next((r for r in self.loaded_rows or [] if r.get("id") == row_id), None)

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

    def _selection_changed(self, *_a: object) -> None:
        self._update_buttons()
        self.selection_changed.emit(self.current_row())

    def _update_buttons(self) -> None:
        has = self.current_row() is not None
        self.edit_button.setEnabled(has and self.can_edit)
        self.delete_button.setEnabled(has)
        self.history_button.setEnabled(has)

    # -- actions -------------------------------------------------------------------------------
    def dialog(self, row_id: str | None = None, **kw: Any) -> RecordDialog:
        defaults = self.defaults() if (self.defaults and not row_id) else None
        return RecordDialog(
            self.ctx,
            self.entity,
            client_id=self.client_id,
            row_id=row_id,
            fields=self.fields if row_id else self.create_fields,
            defaults=defaults,
            lookups=self.lookups,
            original=self.row(row_id) if row_id else None,
            parent=self,
            title=kw.pop("title", None),
            **kw,
        )

    def _run(self, dlg: RecordDialog) -> None:
        dlg.saved.connect(self._saved)
        if dlg.row_id:
            dlg.field_history_requested.connect(lambda field, d=dlg: self.history(field, parent=d))
        dlg.open()

    def _saved(self, row_id: str) -> None:
        self.reload()

        def select_saved() -> None:
            self.select(row_id)

        self.then(select_saved)
        self.changed.emit(self.entity)

    def new_record(self) -> RecordDialog:
        """The form of a new record (it was ``create``, which hid ``QWidget.create``)."""
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

    def history(self, field: str | None = None, parent: QWidget | None = None) -> FieldHistoryDialog | None:
        row_id = self.current_id()
        if not row_id:
            return None
        from .field_history_dialog import FieldHistoryDialog

        dlg = FieldHistoryDialog(
            self.ctx,
            self.entity,
            row_id,
            field if isinstance(field, str) else None,
            parent=parent or self,
            lookups=self.lookups,
            tasks=self.tasks,
            client_id=self.client_id,
        )
        dlg.restored.connect(self._restored)
        dlg.open()
        return dlg

    def _restored(self, _field: str) -> None:
        self.reload()
        self.changed.emit(self.entity)


class Card(QFrame):
    """A white rounded box for the overview."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.setStyleSheet(style.CARD_CSS)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 10, 14, 12)
        self.body.setSpacing(6)
        head = QLabel(title, self)
        head.setStyleSheet(style.CARD_HEADING_CSS)
        self.body.addWidget(head)


def badge(text: str, color: str, parent: QWidget | None = None) -> QLabel:
    lab = QLabel(text, parent)
    lab.setStyleSheet(style.badge_css(color))
    lab.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return lab
