"""Tables of the import wizard and the duplicates dialog: rows of text with headers, and one
optional check column (a duplicate row to merge)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from .. import style

if TYPE_CHECKING:
    from PySide6.QtCore import QObject


class RowsModel(QAbstractTableModel):
    """Read-only rows of text. ``check_column``: that column shows a check box the user may tick
    (``checked(row)``); ``marks``: rows drawn in the danger colour (rejected rows)."""

    checks_changed = Signal()

    def __init__(self, parent: QObject | None = None, *, check_column: int | None = None):
        super().__init__(parent)
        self._headers: list[str] = []
        self._rows: list[list[str]] = []
        self._tips: list[str] = []
        self._checked: list[bool] = []
        self._marked: set[int] = set()
        self.check_column = check_column

    def set_rows(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        tips: Sequence[str] = (),
        checked: Sequence[bool] = (),
        marked: set[int] | None = None,
    ) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        width = len(self._headers)
        self._rows = [[*(str(c) for c in r[:width]), *([""] * (width - len(r)))] for r in rows]
        self._tips = list(tips) + [""] * (len(self._rows) - len(tips))
        self._checked = list(checked) + [False] * (len(self._rows) - len(checked))
        self._marked = set(marked or ())
        self.endResetModel()

    def text(self, row: int, column: int) -> str:
        return self._rows[row][column]

    def checked(self, row: int) -> bool:
        return self._checked[row]

    def set_all_checked(self, value: bool) -> None:
        if not self._rows or self.check_column is None:
            return
        self._checked = [value] * len(self._rows)
        self.dataChanged.emit(
            self.index(0, self.check_column),
            self.index(len(self._rows) - 1, self.check_column),
            [Qt.ItemDataRole.CheckStateRole],
        )
        self.checks_changed.emit()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._headers)
        ):
            return self._headers[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if index.column() == self.check_column:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= col < len(self._headers)):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._rows[row][col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tips[row] or self._rows[row][col] or None
        if role == Qt.ItemDataRole.CheckStateRole and col == self.check_column:
            return Qt.CheckState.Checked if self._checked[row] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole and row in self._marked:
            return QColor(style.DANGER)
        return None

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:  # noqa: N802
        if (
            not index.isValid()
            or role != Qt.ItemDataRole.CheckStateRole
            or index.column() != self.check_column
        ):
            return False
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(value)
        self._checked[index.row()] = state == Qt.CheckState.Checked
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checks_changed.emit()
        return True

    def as_tsv(self) -> str:
        """The table as tab-separated text (headers first), for the clipboard."""
        lines = ["\t".join(self._headers)]
        lines += ["\t".join(c.replace("\t", " ").replace("\n", " ") for c in r) for r in self._rows]
        return "\n".join(lines) + "\n"
