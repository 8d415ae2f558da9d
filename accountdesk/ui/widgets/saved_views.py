"""Saved views above a list: pick one of your views (filters, columns, sort), save the current
one under a name, delete one. Views are synced with your profile
(:mod:`accountdesk.services.saved_views`); the list says what its state is (``get_state``) and
how to show one (``apply_state``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QMenu, QPushButton, QTableView, QWidget

from ...i18n import _

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ...services.saved_views import View
    from ..tasks import DatabaseLane


class SavedViewsBar(QWidget):
    #: The views were (re)loaded.
    loaded = Signal()
    #: A view was applied: its name.
    applied = Signal(str)

    def __init__(
        self,
        list_name: str,
        ctx: AppContext,
        tasks: DatabaseLane,
        get_state: Callable[[], dict[str, Any]],
        apply_state: Callable[[dict[str, Any]], None],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.list_name = list_name
        self._ctx = ctx
        self._tasks = tasks
        self._get_state = get_state
        self._apply_state = apply_state
        self.views: list[View] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(8)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.activated.connect(self._chosen)
        self.save_button = QPushButton()
        self.save_button.clicked.connect(self.ask_save)
        self.delete_button = QPushButton()
        self.delete_button.clicked.connect(self.delete_current)
        layout.addWidget(self.combo)
        layout.addWidget(self.save_button)
        layout.addWidget(self.delete_button)
        self.retranslate()

    def retranslate(self) -> None:
        self.save_button.setText(_("Save view…"))
        self.save_button.setToolTip(
            _("Save the filters, columns and sort as a view (synced to your other computers)")
        )
        self.delete_button.setText(_("Delete view"))
        self._fill()

    def reload(self) -> None:
        from ...services import saved_views

        ctx, name = self._ctx, self.list_name
        self._tasks.run_db(
            lambda: saved_views.list_views(ctx, name),
            on_result=self._arrived,
            on_error=lambda exc: None,
            name="saved-views",
        )

    def _arrived(self, views: list[View]) -> None:
        self.views = list(views)
        self._fill()
        self.loaded.emit()

    def _fill(self) -> None:
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(_("Views…"), None)
        for view in self.views:
            self.combo.addItem(view.name, view.id)
        self.combo.setCurrentIndex(max(0, self.combo.findData(current)))
        self.combo.blockSignals(False)
        self.delete_button.setEnabled(self.combo.currentData() is not None)

    def _chosen(self, index: int) -> None:
        view_id = self.combo.itemData(index)
        self.delete_button.setEnabled(view_id is not None)
        if view_id is not None:
            self.apply_view(next(v for v in self.views if v.id == view_id))

    def apply_view(self, view: View) -> None:
        self._apply_state({"filters": view.filters, "columns": view.columns, "sort": view.sort})
        self.combo.setCurrentIndex(max(0, self.combo.findData(view.id)))
        self.applied.emit(view.name)

    def ask_save(self) -> None:
        current = self.combo.currentText() if self.combo.currentData() is not None else ""
        name, ok = QInputDialog.getText(self, _("Save view"), _("Name of the view:"), text=current)
        if ok and name.strip():
            self.save(name.strip())

    def save(self, name: str) -> None:
        from ...services import saved_views

        state = self._get_state()
        ctx, list_name = self._ctx, self.list_name

        def work() -> list[View]:
            saved_views.save_view(
                ctx,
                list_name,
                name,
                filters=state.get("filters"),
                columns=state.get("columns"),
                sort=state.get("sort"),
            )
            return saved_views.list_views(ctx, list_name)

        self._tasks.run_db(work, on_result=self._arrived, on_error=lambda exc: None, name="save-view")

    def delete_current(self) -> None:
        from ...services import saved_views

        view_id = self.combo.currentData()
        if view_id is None:
            return
        ctx, list_name = self._ctx, self.list_name

        def work() -> list[View]:
            saved_views.delete_view(ctx, view_id)
            return saved_views.list_views(ctx, list_name)

        self.combo.setCurrentIndex(0)
        self._tasks.run_db(work, on_result=self._arrived, on_error=lambda exc: None, name="delete-view")


class TableColumns:
    """The columns of a table as a saved view keeps them: which are shown (a menu on the header
    hides and shows them; ``keep`` always stays) and the sort (column key and order), for lists
    whose columns have keys (``keys[i]``: the key of logical column ``i``)."""

    def __init__(self, view: QTableView, keys: list[str], titles: list[str], keep: str | None = None):
        self.view = view
        self.keys = list(keys)
        self.titles = list(titles)
        self.keep = keep
        header = view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self.menu)

    def visible(self) -> list[str]:
        header = self.view.horizontalHeader()
        return [
            self.keys[header.logicalIndex(v)]
            for v in range(header.count())
            if not header.isSectionHidden(header.logicalIndex(v))
        ]

    def set_visible(self, key: str, visible: bool) -> None:
        self.view.horizontalHeader().setSectionHidden(self.keys.index(key), not (visible or key == self.keep))

    def show_only(self, keys: list[str]) -> None:
        wanted = [k for k in keys if k in self.keys]
        if wanted:  # a view naming no known column leaves the columns as they are
            for key in self.keys:
                self.set_visible(key, key in wanted)

    def menu(self, pos: QPoint) -> QMenu:
        menu = QMenu(self.view)
        shown = self.visible()
        for key, title in zip(self.keys, self.titles, strict=True):
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(key in shown)
            action.setEnabled(key != self.keep)
            action.toggled.connect(lambda on, k=key: self.set_visible(k, on))
        menu.popup(self.view.horizontalHeader().mapToGlobal(pos))
        return menu

    def sort(self) -> list[Any]:
        """``[key, "asc"|"desc"]``, or ``[]`` when the table is not sorted by a column."""
        header = self.view.horizontalHeader()
        column = header.sortIndicatorSection()
        if not self.view.isSortingEnabled() or not 0 <= column < len(self.keys):
            return []
        desc = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        return [self.keys[column], "desc" if desc else "asc"]

    def apply_sort(self, sort: list[Any]) -> None:
        if len(sort) == 2 and sort[0] in self.keys and self.view.isSortingEnabled():
            order = Qt.SortOrder.DescendingOrder if sort[1] == "desc" else Qt.SortOrder.AscendingOrder
            self.view.sortByColumn(self.keys.index(sort[0]), order)


__all__ = ["SavedViewsBar", "TableColumns"]
