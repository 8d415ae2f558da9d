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
from ..item_models.columns import Column
from ..lane_reads import LaneReads, LoadingNote, after_all
from .common import RecordPanel

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..tasks import TaskManager

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
    """Base of a workspace tab: ``reload()``, ``changed`` after a write, ``show_row(id)``.

    Every read runs on the database lane once the workspace has given the tab its ``tasks``: the
    panels read their rows, and a tab with data of its own reads it with :meth:`read`. ``then(fn)``
    runs ``fn`` once all of them have landed."""

    changed = Signal(str)
    open_requested = Signal(str, object)  # tab name, row id

    def __init__(self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.lookups = lookups
        self.panels: list[RecordPanel] = []
        self.reads = LaneReads(self, f"tab {type(self).__name__}")
        self._more_reads: list[LaneReads] = []
        self._read_once = False
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 14, 16, 14)
        self.layout_.setSpacing(10)
        self.note = LoadingNote(self)
        self.layout_.addWidget(self.note)

    @property
    def tasks(self) -> TaskManager | None:
        return self.reads.tasks

    @tasks.setter
    def tasks(self, tasks: TaskManager | None) -> None:
        self.reads.tasks = tasks
        for r in self._more_reads:
            r.tasks = tasks
        for p in self.panels:
            p.tasks = tasks

    def more_reads(self, name: str) -> LaneReads:
        """Another line of reads of this tab (a dialog's data read before it opens)."""
        reads = LaneReads(self, name)
        reads.tasks = self.tasks
        self._more_reads.append(reads)
        return reads

    def panel(self, entity: str, columns: list[Column], **kw: Any) -> RecordPanel:
        p = RecordPanel(
            self.ctx,
            self.client_id,
            entity,
            columns,
            lookups=self.lookups,
            tasks=self.tasks,
            parent=self,
            **kw,
        )
        p.changed.connect(self.changed)
        self.panels.append(p)
        return p

    def reload(self) -> None:
        for p in self.panels:
            p.reload()

    def read(self, fetch: Callable[[], Any], show: Callable[[Any], None]) -> None:
        """Read the tab's own data with ``fetch`` (services only) on the database lane, then
        ``show`` it; "Loading…" until the first read lands, what went wrong if one fails."""
        if not self._read_once:
            self.note.loading()

        def landed(data: Any) -> None:
            self._read_once = True
            self.note.done()
            show(data)

        self.reads.read(fetch, landed, self.note.failed)

    @property
    def loading(self) -> bool:
        return (
            self.reads.loading
            or any(r.loading for r in self._more_reads)
            or any(p.loading for p in self.panels)
        )

    def then(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once every read under way (the tab's and its panels') has landed."""
        after_all([self.reads, *(p.reads for p in self.panels)], fn)

    def show_row(self, row_id: str | None) -> bool:
        """Select a row (once the rows have landed). True: selected now."""
        if not row_id:
            return False
        if self.loading:

            def select_later() -> None:
                self._select(row_id)

            self.then(select_later)
            return False
        return self._select(row_id)

    def _select(self, row_id: str) -> bool:
        return any(p.select(row_id) for p in self.panels)


def split(
    *widgets: QWidget, orientation: Qt.Orientation = Qt.Orientation.Vertical, sizes: list[int] | None = None
) -> QSplitter:
    s = QSplitter(orientation)
    s.setChildrenCollapsible(False)
    for w in widgets:
        s.addWidget(w)
    if sizes:
        s.setSizes(sizes)
    return s
