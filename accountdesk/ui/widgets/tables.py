"""A table view set up the way every record table of the app is: whole rows, one selection,
sortable, columns fitted once to their first rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ..item_models.records import RecordTableModel


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
    fitted: list[bool] = []

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
