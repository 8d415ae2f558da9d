"""What the import dialogs share: the wizard's steps, the words for a row's status and reason, an
error in words, and the tables of rows."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QTableView,
)

from ...errors import AccountDeskError
from ...i18n import N_, _

FILE, MAPPING, PREVIEW, RESULT = range(4)
STEPS = (N_("File"), N_("Columns"), N_("Preview"), N_("Import"))
#: How long the mapping waits for more changes before it checks the file again (ms).
REPLAN_DELAY_MS = 250
FILE_FIELDS = {"file", "kind", "sheet", "map"}


def reason_text(code: str | None) -> str:
    return {
        "uscc": _("Same credit code"),
        "name": _("Same name"),
        "mobile": _("Same mobile"),
        "email": _("Same email"),
        "serial": _("Same serial number and model"),
    }.get(code or "", code or "")


def status_text(code: str) -> str:
    return {"new": _("New"), "duplicate": _("Duplicate"), "rejected": _("Rejected")}.get(code, code)


def error_text(exc: BaseException) -> str:
    """A message for the user, never a traceback."""
    if isinstance(exc, AccountDeskError):
        return exc.message
    if isinstance(exc, OSError):
        return _("The file cannot be read: {error}").format(error=exc.strerror or exc)
    return _("Something went wrong: {error}").format(error=exc)


def _table(model: QAbstractItemModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(30)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _fit_columns(view: QTableView, most: int = 280) -> None:
    """Columns as wide as their contents plus some air, none wider than ``most``."""
    view.resizeColumnsToContents()
    for c in range(view.model().columnCount()):
        view.setColumnWidth(c, min(view.columnWidth(c) + 20, most))
