"""The client workspace: a header (name, tier, status, risks, owner) over one tab per area."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...errors import NotFoundError
from ...i18n import _
from ...labels import label
from ...models.enums import ClientStatus, RiskKind, Tier
from ...services import records
from ...services import workspace as ws
from .. import style
from ..forms import Lookups
from ..lane_reads import LaneReads, error_text
from ..style import AMBER, GREEN, GREY, RED
from .attachments import AttachmentsTab
from .base import ENTITY_TABS, Tab
from .common import badge, icon
from .contacts import ContactsTab
from .feedback_tab import FeedbackTab
from .file_drops import accept_file_drops
from .history import OwnershipTab, TimelineTab
from .overview import OverviewTab
from .surveys import SurveysTab
from .tabs_basic import EquipmentTab, ImprovementTab, OpportunitiesTab, ServiceTab, ValueAddedTab
from .visits import VisitsTab

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ...services.undo import Undone
    from ..forms.lookups import LookupData
    from ..tasks import CancelToken, TaskHandle, TaskManager
    from .conflicts_dialog import ConflictsDialog
    from .handover_dialog import HandoverDialog

#: What the header reads: lookups, the client, its active risks, its number of conflicts.
_Header: TypeAlias = "tuple[LookupData, dict[str, Any], list[dict[str, Any]], int]"

TIER_COLOURS = {"strategic": style.VIOLET, "key": style.ACCENT, "standard": style.TEXT_MUTED}
STATUS_COLOURS = {"prospect": GREY, "active": GREEN, "at_risk": AMBER, "dormant": GREY, "lost": RED}

#: tab name -> (class, English title msgid via _ at build time, icon)
TAB_ORDER = (
    "overview",
    "contacts",
    "visits",
    "service",
    "services",
    "feedback",
    "surveys",
    "improvement",
    "equipment",
    "opportunities",
    "timeline",
    "attachments",
    "ownership",
)

TAB_ALIASES = {
    "value_added": "services",
    "vas": "services",
    "history": "ownership",
    "risks": "overview",
    "risk_flag": "overview",
    "interactions": "timeline",
}


def _tab_titles() -> dict[str, str]:
    return {
        "overview": _("Overview"),
        "contacts": _("Contacts"),
        "visits": _("Visits"),
        "service": _("Service"),
        "services": _("Value-added"),
        "feedback": _("Feedback"),
        "surveys": _("Satisfaction"),
        "improvement": _("Improvement plan"),
        "equipment": _("Equipment"),
        "opportunities": _("Opportunities"),
        "timeline": _("Timeline"),
        "attachments": _("Attachments"),
        "ownership": _("Ownership"),
    }


TAB_CLASSES: dict[str, type[Tab]] = {
    "overview": OverviewTab,
    "contacts": ContactsTab,
    "visits": VisitsTab,
    "service": ServiceTab,
    "services": ValueAddedTab,
    "feedback": FeedbackTab,
    "surveys": SurveysTab,
    "improvement": ImprovementTab,
    "equipment": EquipmentTab,
    "opportunities": OpportunitiesTab,
    "timeline": TimelineTab,
    "attachments": AttachmentsTab,
    "ownership": OwnershipTab,
}


class ClientWorkspace(QWidget):
    """Everything about one client. Tabs are built when first shown, and refreshed when another
    tab changed data they show. Every read (the header's, each tab's) runs on the database lane;
    a result for a workspace that was closed meanwhile is dropped."""

    title_changed = Signal(str)
    completion_opened = Signal(object)  # the form complete_item opened
    client_changed = Signal(str)  # client id, after any write in the workspace
    dossier_saved = Signal(str)  # path of the PDF

    def __init__(self, ctx: AppContext, tasks: TaskManager, client_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.client_id = client_id
        self.setObjectName("ClientWorkspace")
        self.lookups = Lookups(ctx, client_id)
        self.client: dict[str, Any] = {}
        self.header_reads = LaneReads(self, "workspace header")
        self.header_reads.tasks = tasks
        #: The form Today's "Done" opened (complete_item), once the tab's rows have landed.
        self.completion: QDialog | None = None
        self.tabs_by_name: dict[str, Tab] = {}
        self._stale: set[str] = set()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QWidget(self)
        header.setObjectName("workspace_header")
        header.setStyleSheet(style.WORKSPACE_HEADER_CSS)
        hl = QHBoxLayout(header)
        hl.setContentsMargins(18, 12, 18, 10)
        hl.setSpacing(8)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.name_label = QLabel("", header)
        self.name_label.setObjectName("client_name")
        self.name_label.setStyleSheet(style.CLIENT_NAME_CSS)
        self.sub_label = QLabel("", header)
        self.sub_label.setObjectName("client_sub")
        self.sub_label.setStyleSheet(style.MUTED_CSS)
        self.sub_label.setMinimumWidth(120)
        name_row = QHBoxLayout()
        name_row.setSpacing(10)
        name_row.addWidget(self.name_label)
        self.badges = QHBoxLayout()
        self.badges.setSpacing(6)
        name_row.addLayout(self.badges)
        name_row.addStretch(1)
        text.addLayout(name_row)
        text.addWidget(self.sub_label)
        hl.addLayout(text, 1)
        self.record_visit_button = QPushButton(icon("visit"), _("Record visit"), header)
        self.record_visit_button.setObjectName("header_record_visit")
        self.record_visit_button.setShortcut("Ctrl+R")
        self.record_visit_button.setToolTip(_("Record a visit you have made (Ctrl+R)"))
        self.feedback_button = QPushButton(icon("feedback"), _("Record feedback"), header)
        self.feedback_button.setObjectName("header_record_feedback")
        self.feedback_button.setShortcut("Ctrl+Shift+F")
        self.feedback_button.setToolTip(_("Record a complaint, praise or suggestion (Ctrl+Shift+F)"))
        self.conflicts_button = QPushButton(icon("conflict"), "", header)
        self.conflicts_button.setObjectName("header_conflicts")
        self.conflicts_button.setStyleSheet(style.WARNING_CSS)
        self.conflicts_button.hide()
        self.conflicts_button.clicked.connect(self.review_conflicts)
        hl.addWidget(self.conflicts_button)
        self.dossier_button = QPushButton(icon("reports"), _("Dossier"), header)
        self.dossier_button.setObjectName("header_dossier")
        self.dossier_button.setToolTip(_("Print this client's dossier"))
        self.dossier_button.clicked.connect(lambda: self.print_dossier())
        self.open_when_saved = True
        self._dossier_task: TaskHandle | None = None
        hl.addWidget(self.dossier_button)
        hl.addWidget(self.record_visit_button)
        hl.addWidget(self.feedback_button)
        layout.addWidget(header)
        self.tab_widget = QTabWidget(self)
        self.tab_widget.setObjectName("workspace_tabs")
        self.tab_widget.setDocumentMode(True)
        self.tab_widget.setUsesScrollButtons(True)
        layout.addWidget(self.tab_widget, 1)
        titles = _tab_titles()
        self._names: list[str] = []
        for name in TAB_ORDER:
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.tab_widget.addTab(holder, titles[name])
            self._names.append(name)
        self.tab_widget.currentChanged.connect(self._current_changed)
        self.record_visit_button.clicked.connect(self._record_visit)
        self.feedback_button.clicked.connect(self._record_feedback)
        self.undo_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        self.undo_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_shortcut.activated.connect(self.undo)
        self.undo_message = QLabel("", self)
        self.undo_message.setObjectName("undo_message")
        self.undo_message.setStyleSheet(style.UNDO_MESSAGE_CSS)
        self.undo_message.hide()
        layout.addWidget(self.undo_message)
        self.refresh_header()
        self._current_changed(0)

    def undo(self) -> Undone | None:
        """Ctrl+Z: put back the fields of the last edit made here to this client (services.undo)."""
        from ...errors import AccountDeskError
        from ...services.undo import undo_last_change

        try:
            done = undo_last_change(self.ctx, self.client_id)
        except AccountDeskError as exc:
            self.undo_message.setText(exc.message)
            self.undo_message.show()
            return None
        if done is None:
            self.undo_message.setText(_("Nothing to undo here."))
        else:
            self.undo_message.setText(done.describe())
            self.reload()
            self.client_changed.emit(self.client_id)
        self.undo_message.show()
        return done

    # -- header ----------------------------------------------------------------------------------
    def refresh_header(self) -> None:
        """Read the client, its active risks and its conflicts on the database lane."""
        ctx, client_id, lookups = self.ctx, self.client_id, self.lookups
        if not self.client:
            self.sub_label.setText(_("Loading…"))

        def fetch() -> _Header | None:
            try:
                c = records.get_record(ctx, "client", client_id)
            except NotFoundError:
                return None
            risks = [
                r for r in records.list_records(ctx, "risk_flag", client_id) if r.get("cleared_at") is None
            ]
            return lookups.read(), c, risks, len(ws.list_conflicts(ctx, client_id=client_id))

        def failed(exc: BaseException) -> None:
            self.sub_label.setText(error_text(exc))

        self.header_reads.read(fetch, self._show_header, failed)

    def _show_header(self, data: _Header | None) -> None:
        if data is None:
            self.name_label.setText(_("This client no longer exists."))
            self.sub_label.setText("")
            return
        lookup_data, c, risks, conflicts = data
        self.lookups.apply(lookup_data)
        self.client = c
        self.name_label.setText(c["name"])
        sub = [
            x
            for x in (
                c.get("short_name"),
                c.get("industry"),
                " ".join(x for x in (c.get("province"), c.get("city")) if x),
            )
            if x
        ]
        owner = self.lookups.user_name(c.get("owner_id"))
        sub.append(_("Account manager: {name}").format(name=owner) if owner else _("Needs a new owner"))
        self.sub_label.setText(html.unescape("  ·  ".join(sub)))
        while self.badges.count():
            item = self.badges.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.setParent(None)
                w.deleteLater()
        self.badges.addWidget(badge(label(Tier, c.get("tier")), TIER_COLOURS.get(c.get("tier") or "", GREY)))
        self.badges.addWidget(
            badge(label(ClientStatus, c.get("status")), STATUS_COLOURS.get(c.get("status") or "", GREY))
        )
        for r in risks:
            b = badge("⚠ " + label(RiskKind, r.get("kind")), RED)
            b.setObjectName("risk_badge")
            self.badges.addWidget(b)
        self.conflicts_button.setText(_("Conflicts to review: {n}").format(n=conflicts))
        self.conflicts_button.setVisible(conflicts > 0)
        self.title_changed.emit(c["name"])

    # -- tabs ------------------------------------------------------------------------------------
    def tab(self, name: str) -> Tab:
        """The tab of that name, built on first use."""
        name = TAB_ALIASES.get(name, name)
        if name not in self.tabs_by_name:
            tab = TAB_CLASSES[name](self.ctx, self.client_id, self.lookups)
            tab.tasks = self.tasks  # the tab's reads run on the database lane
            for panel in getattr(tab, "panels", []):  # files dropped onto a visit, complaint, instrument...
                accept_file_drops(panel)
            tab.changed.connect(lambda entity, n=name: self._data_changed(n, entity))
            tab.open_requested.connect(self.show_tab)
            if isinstance(tab, OverviewTab):
                tab.handover_requested.connect(self.hand_over)
            holder = self.tab_widget.widget(self._names.index(name))
            holder_layout = holder.layout() if holder is not None else None
            assert holder_layout is not None  # every tab's place was made with its layout
            holder_layout.addWidget(tab)
            self.tabs_by_name[name] = tab
            tab.reload()
        return self.tabs_by_name[name]

    def tab_names(self) -> list[str]:
        return list(self._names)

    def current_tab_name(self) -> str:
        return self._names[self.tab_widget.currentIndex()]

    def show_tab(self, name: str, row_id: str | None = None) -> Tab:
        """Open a tab (and select a row in it)."""
        name = TAB_ALIASES.get(name, name)
        if name not in TAB_CLASSES:
            name = "overview"
        tab = self.tab(name)
        self.tab_widget.setCurrentIndex(self._names.index(name))
        if row_id:
            tab.show_row(row_id)
        return tab

    def show_item(self, entity: str, row_id: str | None = None) -> Tab:
        """Open the tab that shows one record of ``entity`` (and select it)."""
        return self.show_tab(ENTITY_TABS.get(entity, entity), None if entity == "client" else row_id)

    def complete_item(self, entity: str, row_id: str | None, action: str) -> QDialog | None:
        """Open the form that completes one record (Today's "Done"): a planned visit's report, a
        visit recorded for a due cadence (of the plan's kind), or the record's own form.

        The form opens once the tab's rows have landed: returned when they already had, else
        None; either way it is ``completion`` then (``completion_opened`` says when)."""
        self.completion = None
        if action == "write_report":
            tab = self.show_tab("visits", row_id)
        elif action == "record_visit":
            tab = self.show_tab("visits")
        elif entity == "client":
            tab = self.show_tab("overview")
        else:
            tab = self.show_item(entity, row_id)

        def open_form() -> QDialog | None:
            dlg: QDialog | None = None
            if action == "write_report":
                tab.show_row(row_id)
                if isinstance(tab, VisitsTab):
                    dlg = tab.complete_visit()
            elif action == "record_visit":
                if isinstance(tab, VisitsTab):
                    dlg = tab.record_visit(plan_id=row_id)
            elif entity == "client":
                if isinstance(tab, OverviewTab):
                    dlg = tab.edit_profile()
            else:
                for panel in getattr(tab, "panels", []):
                    if row_id and panel.current_id() == row_id:
                        dlg = panel.edit()
                        break
            return dlg

        return self._open_when_ready(tab, open_form)

    def _open_when_ready(self, tab: Tab, open_form: Callable[[], QDialog | None]) -> QDialog | None:
        """Open a form of ``tab`` once its rows (and what its forms look up) have landed: the form
        if that was at once, else None; ``completion`` and ``completion_opened`` either way."""
        self.completion = None
        done: list[QDialog | None] = []

        def now() -> None:
            dlg = open_form()
            done.append(dlg)
            self.completion = dlg
            if dlg is not None:
                self.completion_opened.emit(dlg)

        tab.then(now)
        return done[0] if done else None

    def _current_changed(self, index: int) -> None:
        if index < 0:
            return
        name = self._names[index]
        fresh = name not in self.tabs_by_name
        tab = self.tab(name)
        if not fresh and name in self._stale:
            tab.reload()
        self._stale.discard(name)

    def _data_changed(self, source: str, entity: str) -> None:
        """Another tab wrote: the others reload when next shown (with fresh names and references
        for their forms); the header now."""
        for name in self.tabs_by_name:
            if name != source:
                self._stale.add(name)
        self.refresh_header()
        self.client_changed.emit(self.client_id)

    def reload(self) -> None:
        self.refresh_header()
        for name, tab in self.tabs_by_name.items():
            if name == self.current_tab_name():
                tab.reload()
            else:
                self._stale.add(name)

    # -- header actions --------------------------------------------------------------------------
    def _record_visit(self) -> QDialog | None:
        tab = self.show_tab("visits")
        assert isinstance(tab, VisitsTab)
        return self._open_when_ready(tab, tab.record_visit)

    def _record_feedback(self) -> QDialog | None:
        tab = self.show_tab("feedback")
        assert isinstance(tab, FeedbackTab)
        return self._open_when_ready(tab, tab.feedback.new_record)

    @property
    def loading(self) -> bool:
        """A read of the header or of a tab built so far has not landed yet."""
        return self.header_reads.loading or any(t.loading for t in self.tabs_by_name.values())

    def cancel_reads(self) -> None:
        """The workspace is closing: drop every read under way (none lands)."""
        self.header_reads.cancel()
        for tab in self.tabs_by_name.values():
            for reads in (tab.reads, *tab._more_reads, *(p.reads for p in tab.panels)):
                reads.cancel()

    def print_dossier(self, path: str | None = None) -> TaskHandle | None:
        """Render the client's dossier to a PDF in the background."""
        if path is None:
            from ..file_dialogs import save_file

            name = f"{self.client.get('short_name') or self.client['name']}.pdf"
            path = save_file(self, _("Save the dossier"), name, "PDF (*.pdf)")
            if not path:
                return None
        ctx, client_id = self.ctx, self.client_id
        self.dossier_button.setEnabled(False)
        self.dossier_button.setText(_("Creating the PDF…"))

        def work(token: CancelToken) -> object:
            from ...reports import render_dossiers  # ReportLab loads on first use, not at start-up

            return render_dossiers(ctx, [client_id], path, cancel=token)

        def done(_result: object) -> None:
            self._dossier_finished()
            self.dossier_saved.emit(path)
            if self.open_when_saved:
                QDesktopServices.openUrl(QUrl.fromLocalFile(path))

        def failed(exc: BaseException) -> None:
            self._dossier_finished()
            QMessageBox.warning(self, _("Dossier"), getattr(exc, "message", None) or str(exc))

        self._dossier_task = self.tasks.run(work, on_result=done, on_error=failed, name="dossier")
        return self._dossier_task

    def _dossier_finished(self) -> None:
        self.dossier_button.setEnabled(True)
        self.dossier_button.setText(_("Dossier"))

    def review_conflicts(self) -> ConflictsDialog:
        from .conflicts_dialog import ConflictsDialog

        dlg = ConflictsDialog(self.ctx, self.client_id, parent=self, tasks=self.tasks)
        dlg.resolved.connect(lambda _cid: self._data_changed("", "conflict"))
        dlg.finished.connect(lambda _r: self.reload())
        dlg.open()
        return dlg

    def hand_over(self) -> HandoverDialog:
        from .handover_dialog import HandoverDialog

        dlg = HandoverDialog(self.ctx, self.client_id, parent=self, tasks=self.tasks)
        dlg.handed_over.connect(lambda: self._data_changed("", "client"))
        dlg.handed_over.connect(self.reload)
        dlg.open()
        return dlg
