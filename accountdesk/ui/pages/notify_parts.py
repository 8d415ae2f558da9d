"""What the notification settings share: the words for events, recipients, kinds, tiers and
severities, the small tables, and a settings section that calls the server off the GUI thread."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
)

from ...i18n import _

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...sync.notify_api import NotifyClient
    from ..tasks import TaskManager

#: Gives a client of the signed-in user's notification settings on the server (None: not signed in).
ClientSource: TypeAlias = "Callable[[], NotifyClient | None]"
_T = TypeVar("_T")

EVENTS = ("escalation", "escalation:1", "escalation:2", "escalation:3", "digest")
PEOPLE = ("handler", "owner", "backup", "team-supervisor", "supervisors", "admins", "managers")
_FIELD = re.compile(r"\b([a-z][a-z-]*)\s*[:：]")


def event_label(event: str) -> str:
    return {
        "escalation": _("Every escalation"),
        "escalation:1": _("Deadline near (level 1)"),
        "escalation:2": _("Deadline imminent (level 2)"),
        "escalation:3": _("Deadline passed (level 3)"),
        "digest": _("Daily digest"),
    }.get(event, event)


def recipient_label(to: str) -> str:
    if to.startswith("user:"):
        return _("User {name}").format(name=to[5:])
    if to.startswith("group:"):
        return _("Group {name}").format(name=to[6:])
    return {
        "handler": _("The handler"),
        "owner": _("The account manager"),
        "backup": _("The backup owner"),
        "team-supervisor": _("The team's supervisor"),
        "supervisors": _("Every supervisor"),
        "admins": _("Every administrator"),
        "managers": _("Every account manager"),
    }.get(to, to)


def kind_label(kind: str) -> str:
    return {"smtp": _("E-mail"), "wecom": _("WeCom"), "dingtalk": _("DingTalk"), "feishu": _("Feishu")}.get(
        kind, kind
    )


def tier_label(tier: str | None) -> str:
    return {"strategic": _("Strategic client"), "key": _("Key client"), "standard": _("Standard client")}.get(
        tier or "", tier or ""
    )


def severity_label(severity: str | None) -> str:
    return {"low": _("Low"), "medium": _("Medium"), "high": _("High"), "critical": _("Critical")}.get(
        severity or "", severity or ""
    )


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setMinimumHeight(120)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], keys: list[Any]) -> None:
    table.setRowCount(0)
    for r, (cells, key) in enumerate(zip(rows, keys, strict=True)):
        table.insertRow(r)
        for c, text in enumerate(cells):
            item = QTableWidgetItem(str(text) if text is not None else "")
            item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(r, c, item)


def _selected(table: QTableWidget) -> Any:
    items = table.selectedItems()
    return items[0].data(Qt.ItemDataRole.UserRole) if items else None


class _Section(QGroupBox):
    """A group box whose work runs on the task pool through a client made on demand."""

    def __init__(
        self, client_source: ClientSource, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._client_source = client_source
        self._tasks = tasks
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("Hint")

    def _call(
        self,
        work: Callable[[NotifyClient], _T],
        done: Callable[[_T], None],
        name: str,
        *,
        quiet: bool = False,
    ) -> bool:
        client = self._client_source()
        if client is None:
            self._say(_("Sign in to your server first (Server › Sign in…)."), error=not quiet)
            return False
        self._say("")
        self._tasks.run(
            lambda: work(client),
            on_result=done,
            on_error=lambda exc: self._say(str(exc), error=True),
            name=name,
        )
        return True

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setObjectName("Error" if error else "Hint")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)
