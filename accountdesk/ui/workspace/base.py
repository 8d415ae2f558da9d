"""What every workspace tab shares: the :class:`Tab` base, a splitter, cell helpers for dates, and
which tab shows which entity (:data:`ENTITY_TABS`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from ...labels import entity_label
from ..forms import Lookups
from ..forms.fmt import fmt_date, fmt_datetime
from .common import Column, RecordPanel

if TYPE_CHECKING:
    from ...services.context import AppContext

#: entity -> the tab that shows it
ENTITY_TABS = {
    "client": "overview",
    "risk_flag": "overview",
    "contact": "contacts",
    "visit": "visits",
    "visit_plan": "visits",
    "task": "visits",
    "service_commitment": "service",
    "service_note": "service",
    "client_service": "services",
    "service_delivery": "services",
    "feedback": "feedback",
    "survey": "surveys",
    "improvement_plan": "improvement",
    "improvement_item": "improvement",
    "equipment": "equipment",
    "opportunity": "opportunities",
    "interaction": "timeline",
    "ownership_change": "ownership",
    "handover": "ownership",
    "attachment": "attachments",
}


def entity_name(entity: str) -> str:
    return entity_label(entity)


def date_text(key: str) -> Callable[[dict[str, Any]], str]:
    """A cell showing the date in ``key``."""
    return lambda r: fmt_date(r.get(key))


def datetime_text(key: str) -> Callable[[dict[str, Any]], str]:
    """A cell showing the date and time in ``key``."""
    return lambda r: fmt_datetime(r.get(key))


def date_sort(key: str) -> Callable[[dict[str, Any]], tuple[bool, dt.date]]:
    """Sorts by the date in ``key``, empty ones last."""
    return lambda r: (r.get(key) is None, r.get(key) or dt.date.min)


class Tab(QWidget):
    """Base of a workspace tab: ``reload()``, ``changed`` after a write, ``show_row(id)``."""

    changed = Signal(str)
    open_requested = Signal(str, object)  # tab name, row id

    def __init__(self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.lookups = lookups
        self.panels: list[RecordPanel] = []
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 14, 16, 14)
        self.layout_.setSpacing(10)

    def panel(self, entity: str, columns: list[Column], **kw) -> RecordPanel:
        p = RecordPanel(self.ctx, self.client_id, entity, columns, lookups=self.lookups, parent=self, **kw)
        p.changed.connect(self.changed)
        self.panels.append(p)
        return p

    def reload(self) -> None:
        for p in self.panels:
            p.reload()

    def show_row(self, row_id: str | None) -> bool:
        if not row_id:
            return False
        return any(p.select(row_id) for p in self.panels)


def split(
    *widgets: QWidget, orientation=Qt.Orientation.Vertical, sizes: list[int] | None = None
) -> QSplitter:
    s = QSplitter(orientation)
    s.setChildrenCollapsible(False)
    for w in widgets:
        s.addWidget(w)
    if sizes:
        s.setSizes(sizes)
    return s
