"""The columns of the Clients screen's table: which are shown, in which order and width, kept in
the settings, and the header's menu (split off ui/pages/clients.py, issue 17).

:class:`ClientColumns` is a part of :class:`~.clients.ClientsPage` (its base): it uses the
page's ``table``, ``model``, ``_settings``, ``_save_timer`` and ``_restoring_columns``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QMenu, QTableView

from ...i18n import _
from ..item_models.clients import COLUMNS, DEFAULT_COLUMNS, ClientTableModel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget as _PageBase

    from ..settings import Settings
else:
    _PageBase = object


class ClientColumns(_PageBase):
    """The column methods of the Clients page."""

    # the page's parts these methods use (ClientsPage makes them)
    table: QTableView
    model: ClientTableModel
    _settings: Settings | None
    _save_timer: QTimer
    _restoring_columns: bool

    def _restore_columns(self) -> None:
        self._restoring_columns = True
        try:
            self._apply_columns()
        finally:
            self._restoring_columns = False

    def _apply_columns(self) -> None:
        hh = self.table.horizontalHeader()
        visible = list(self._settings.get("client_columns")) if self._settings else []
        visible = [k for k in visible if k in {c.key for c in COLUMNS}] or list(DEFAULT_COLUMNS)
        widths = self._settings.get("client_column_widths") if self._settings else {}
        keys = [c.key for c in COLUMNS]
        # order: the visible ones in the saved order, hidden ones after
        order = visible + [k for k in keys if k not in visible]
        for target, key in enumerate(order):
            logical = keys.index(key)
            hh.moveSection(hh.visualIndex(logical), target)
        for logical, col in enumerate(COLUMNS):
            hh.setSectionHidden(logical, col.key not in visible)
            width = widths.get(col.key) if isinstance(widths, dict) else None
            if width:
                self.table.setColumnWidth(logical, int(width))
            elif col.width is not None:
                self.table.setColumnWidth(logical, col.width)
        hh.setSortIndicator(
            self.model.sort_column(),
            Qt.SortOrder.DescendingOrder if self.model.descending else Qt.SortOrder.AscendingOrder,
        )

    def visible_columns(self) -> list[str]:
        hh = self.table.horizontalHeader()
        out: list[str] = []
        for visual in range(hh.count()):
            logical = hh.logicalIndex(visual)
            if not hh.isSectionHidden(logical):
                out.append(COLUMNS[logical].key)
        return out

    def set_column_visible(self, key: str, visible: bool) -> None:
        logical = [c.key for c in COLUMNS].index(key)
        if key == "name":
            visible = True  # the name always stays
        self.table.horizontalHeader().setSectionHidden(logical, not visible)
        self.save_columns()

    def _header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for col in COLUMNS:
            action = menu.addAction(_(col.header))
            action.setCheckable(True)
            action.setChecked(col.key in self.visible_columns())
            action.setEnabled(col.key != "name")
            action.toggled.connect(lambda checked, k=col.key: self.set_column_visible(k, checked))
        menu.addSeparator()
        menu.addAction(_("Reset columns"), self.reset_columns)
        menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

    def reset_columns(self) -> None:
        if self._settings is not None:
            self._settings.reset("client_columns")
            self._settings.reset("client_column_widths")
        self._restore_columns()

    def _save_columns_later(self, *_args: object) -> None:
        if not self._restoring_columns:
            self._save_timer.start()

    def save_columns(self) -> None:
        if self._settings is None:
            return
        self._settings.set("client_columns", self.visible_columns())
        widths = {
            COLUMNS[i].key: self.table.columnWidth(i)
            for i in range(len(COLUMNS))
            if not self.table.horizontalHeader().isSectionHidden(i)
        }
        self._settings.set("client_column_widths", widths)
