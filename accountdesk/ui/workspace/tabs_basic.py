"""The simpler workspace tabs: service, value-added services, improvement plan, equipment,
opportunities, timeline and ownership history."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from ...i18n import _
from ...labels import entity_label, label, metric_label, target_text
from ...models.enums import (
    ClientServiceStatus,
    EquipmentStatus,
    FeedbackKind,
    InteractionKind,
    ItemStatus,
    OpportunityStage,
    OwnershipKind,
    RiskKind,
    VisitKind,
)
from ...services import records
from ...services import workspace as ws
from ...services.equipment import next_calibration_on, next_service_on
from ..forms import Lookups, RecordDialog
from ..forms.fmt import fmt_date, fmt_datetime, fmt_money
from .common import AMBER, RED, Column, RecordPanel, RecordTableModel, make_table, section_title


def _d(key: str):
    return lambda r: fmt_date(r.get(key))


def _dt(key: str):
    return lambda r: fmt_datetime(r.get(key))


def _sort_date(key: str):
    return lambda r: (r.get(key) is None, r.get(key) or dt.date.min)


class Tab(QWidget):
    """Base of a workspace tab: ``reload()``, ``changed`` after a write, ``show_row(id)``."""

    changed = Signal(str)
    open_requested = Signal(str, object)  # tab name, row id

    def __init__(self, ctx, client_id: str, lookups: Lookups, parent=None):
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


class ServiceTab(Tab):
    def __init__(self, ctx, client_id, lookups, parent=None):
        super().__init__(ctx, client_id, lookups, parent)
        self.commitments = self.panel(
            "service_commitment",
            [
                Column("title", _("Commitment"), width=220),
                Column("metric", _("Metric"), lambda r: metric_label(r.get("metric")), width=150),
                Column(
                    "target",
                    _("Target"),
                    lambda r: target_text(r.get("metric"), r.get("target")),
                    width=110,
                    align_right=True,
                ),
                Column("coverage", _("Coverage"), width=90),
                Column("valid_from", _("Valid from"), _d("valid_from"), _sort_date("valid_from"), width=100),
                Column(
                    "valid_to",
                    _("Valid to"),
                    _d("valid_to"),
                    _sort_date("valid_to"),
                    width=100,
                    color=lambda r: RED if r.get("valid_to") and r["valid_to"] < ctx.today() else None,
                ),
            ],
            title=_("Service level commitments (SLA)"),
            empty=_(
                "No service commitments yet. Record what was promised, e.g. on-site within 24 h, 7×24 support."
            ),
            new_label=_("New commitment"),
        )
        sees = ctx.actor.sees_confidential

        def notes():
            rows = records.list_records(
                ctx, "service_note", client_id, order_by="created_at", descending=True
            )
            return [r for r in rows if sees or not r.get("confidential")]

        self.notes = self.panel(
            "service_note",
            [
                Column("created_at", _("Written on"), _d("created_at"), _sort_date("created_at"), width=100),
                Column("category", _("Category"), width=120),
                Column(
                    "confidential",
                    _("Confidential"),
                    lambda r: _("Confidential") if r.get("confidential") else "",
                    width=90,
                    color=lambda r: AMBER,
                ),
                Column("text", _("Note"), lambda r: (r.get("text") or "").replace("\n", " ")),
            ],
            title=_("Service notes"),
            empty=_("No service notes yet. Write down what a newcomer must know to serve this client well."),
            load=notes,
            new_label=_("New note"),
            describe=lambda r: (r.get("text") or "")[:30],
            fields=None if sees else ["category", "text"],
        )
        self.layout_.addWidget(split(self.commitments, self.notes, sizes=[300, 300]))


class ValueAddedTab(Tab):
    def __init__(self, ctx, client_id, lookups, parent=None):
        super().__init__(ctx, client_id, lookups, parent)
        sees = ctx.actor.sees_confidential

        def offering(r):
            o = lookups.offerings().get(r.get("offering_id"), {})
            return o.get("name", "")

        def category(r):
            o = lookups.offerings().get(r.get("offering_id"), {})
            return {"standard": _("Standard service"), "value_added": _("Value-added service")}.get(
                o.get("category"), ""
            )

        cols = [
            Column("offering_id", _("Service"), offering, width=220),
            Column("category", _("Category"), category, width=110),
            Column("status", _("Status"), lambda r: label(ClientServiceStatus, r.get("status")), width=90),
            Column("start_date", _("Start date"), _d("start_date"), _sort_date("start_date"), width=100),
            Column("end_date", _("End date"), _d("end_date"), _sort_date("end_date"), width=100),
        ]
        if sees:
            cols.append(
                Column(
                    "value_estimate",
                    _("Estimated value"),
                    lambda r: fmt_money(r.get("value_estimate")),
                    width=110,
                    align_right=True,
                )
            )
        cols.append(Column("notes", _("Notes")))
        self.subscriptions = self.panel(
            "client_service",
            cols,
            title=_("Subscribed services"),
            empty=_("No services yet. Add the standard and value-added services this client uses."),
            new_label=_("Add service"),
            describe=offering,
        )

        def service_name(r):
            return lookups.ref_label("client_service", r.get("client_service_id"))

        self.deliveries = self.panel(
            "service_delivery",
            [
                Column(
                    "delivered_at",
                    _("Delivered at"),
                    _dt("delivered_at"),
                    _sort_date("delivered_at"),
                    width=140,
                ),
                Column("client_service_id", _("Service"), service_name, width=200),
                Column(
                    "delivered_by",
                    _("Delivered by"),
                    lambda r: lookups.user_name(r.get("delivered_by")),
                    width=110,
                ),
                Column("notes", _("Notes")),
            ],
            title=_("Service deliveries"),
            empty=_("No deliveries recorded. Record each delivery of a value-added service here."),
            load=lambda: records.list_records(
                ctx, "service_delivery", client_id, order_by="delivered_at", descending=True
            ),
            defaults=lambda: {
                "delivered_at": ctx.now(),
                "delivered_by": ctx.actor.id,
                **(
                    {"client_service_id": self.subscriptions.current_id()}
                    if self.subscriptions.current_id()
                    else {}
                ),
            },
            new_label=_("Record delivery"),
            describe=service_name,
        )
        self.layout_.addWidget(split(self.subscriptions, self.deliveries, sizes=[300, 300]))


class ImprovementTab(Tab):
    def __init__(self, ctx, client_id, lookups, parent=None):
        super().__init__(ctx, client_id, lookups, parent)
        self.plans = self.panel(
            "improvement_plan",
            [
                Column("year", _("Year"), width=70),
                Column("title", _("Title"), width=260),
                Column("notes", _("Notes")),
            ],
            title=_("Improvement plans"),
            empty=_("No improvement plan yet. Make one every year, even for clients that scored high."),
            load=lambda: records.list_records(
                ctx, "improvement_plan", client_id, order_by="year", descending=True
            ),
            defaults=lambda: {"year": ctx.today().year},
            new_label=_("New plan"),
            describe=lambda r: str(r.get("year")),
        )

        def items():
            plan = self.plans.current_id()
            rows = records.list_records(ctx, "improvement_item", client_id, order_by="due_on")
            return [r for r in rows if plan is None or r["plan_id"] == plan]

        today = ctx.today()
        self.items = self.panel(
            "improvement_item",
            [
                Column("action", _("Action"), width=300),
                Column("owner_id", _("Owner"), lambda r: lookups.user_name(r.get("owner_id")), width=110),
                Column(
                    "due_on",
                    _("Due"),
                    _d("due_on"),
                    _sort_date("due_on"),
                    width=100,
                    color=lambda r: (
                        RED
                        if r.get("due_on")
                        and r["due_on"] < today
                        and r.get("status") in ("open", "in_progress")
                        else None
                    ),
                ),
                Column("status", _("Status"), lambda r: label(ItemStatus, r.get("status")), width=90),
                Column("result", _("Result")),
            ],
            title=_("Items of the plan"),
            empty=_("No items. Choose a plan above and add what will be improved, by whom and when."),
            load=items,
            defaults=lambda: {"plan_id": self.plans.current_id()} if self.plans.current_id() else {},
            new_label=_("New item"),
            describe=lambda r: r.get("action", "")[:30],
        )
        self.plans.selection_changed.connect(lambda _r: self.items.reload())
        self.layout_.addWidget(split(self.plans, self.items, sizes=[200, 400]))

    def reload(self) -> None:
        self.plans.reload()
        if self.plans.current_id() is None and self.plans.model.rows:
            self.plans.view.selectRow(0)
        self.items.reload()

    def show_row(self, row_id):
        if self.plans.select(row_id or ""):
            return True
        for r in records.list_records(self.ctx, "improvement_item", self.client_id):
            if r["id"] == row_id:
                self.plans.select(r["plan_id"])
                return self.items.select(row_id)
        return False


class EquipmentTab(Tab):
    def __init__(self, ctx, client_id, lookups, parent=None):
        super().__init__(ctx, client_id, lookups, parent)
        today = ctx.today()

        def due_color(fn):
            def color(r):
                d = fn(r)
                if d is None or r.get("status") == "retired":
                    return None
                if d < today:
                    return RED
                if (d - today).days <= 30:
                    return AMBER
                return None

            return color

        def due_text(fn):
            def text(r):
                d = fn(r)
                if d is None:
                    return ""
                if d < today and r.get("status") != "retired":
                    return _("{date} (overdue)").format(date=fmt_date(d))
                return fmt_date(d)

            return text

        def sort_due(fn):
            return lambda r: (fn(r) is None, fn(r) or dt.date.min)

        self.equipment = self.panel(
            "equipment",
            [
                Column("name", _("Name"), width=180),
                Column("model", _("Model"), width=110),
                Column("serial", _("Serial number"), width=110),
                Column("location", _("Location"), width=110),
                Column("status", _("Status"), lambda r: label(EquipmentStatus, r.get("status")), width=90),
                Column(
                    "next_service",
                    _("Next service"),
                    due_text(next_service_on),
                    sort_due(next_service_on),
                    due_color(next_service_on),
                    width=140,
                ),
                Column(
                    "next_calibration",
                    _("Next calibration"),
                    due_text(next_calibration_on),
                    sort_due(next_calibration_on),
                    due_color(next_calibration_on),
                    width=140,
                ),
            ],
            title=_("Equipment and instruments"),
            empty=_(
                "No equipment registered. Add the installed instruments to track service and calibration dates."
            ),
            new_label=_("New equipment"),
        )
        self.layout_.addWidget(self.equipment)
        self.import_button = QPushButton(_("Import…"))
        self.import_button.setToolTip(_("Import this client's equipment ledger from an Excel or CSV file"))
        self.import_button.clicked.connect(self.import_equipment)
        self.equipment.extra_bar.addWidget(self.import_button)
        # filters, saved views, bulk edit with undo (the workspace sets ``tasks`` after making the tab)
        from .equipment_list import EquipmentListTools

        self.tasks = None
        self.tools = EquipmentListTools(self, self.equipment)

    def import_equipment(self):
        """The import wizard of the main window, for equipment of this client."""
        window = self.window()
        if not hasattr(window, "import_file"):
            return None
        wizard = window.import_file(self.client_id, kind="equipment")
        if wizard is not None:
            wizard.imported.connect(lambda _result: self.reload())
        return wizard


class OpportunitiesTab(Tab):
    def __init__(self, ctx, client_id, lookups, parent=None):
        super().__init__(ctx, client_id, lookups, parent)
        cols = [
            Column("title", _("Title"), width=260),
            Column("stage", _("Stage"), lambda r: label(OpportunityStage, r.get("stage")), width=100),
            Column("expected_on", _("Expected on"), _d("expected_on"), _sort_date("expected_on"), width=110),
        ]
        if ctx.actor.sees_confidential:
            cols.append(
                Column(
                    "estimated_value",
                    _("Estimated value"),
                    lambda r: fmt_money(r.get("estimated_value")),
                    width=120,
                    align_right=True,
                )
            )
        cols.append(Column("notes", _("Notes")))
        self.opportunities = self.panel(
            "opportunity",
            cols,
            title=_("Opportunities"),
            empty=_("No opportunities yet. Record the needs you hear about during visits."),
            new_label=_("New opportunity"),
        )
        self.layout_.addWidget(self.opportunities)


ENTITY_TAB = {
    "visit": "visits",
    "interaction": "timeline",
    "feedback": "feedback",
    "survey": "surveys",
    "service_note": "service",
    "service_delivery": "services",
    "risk_flag": "overview",
    "opportunity": "opportunities",
    "ownership_change": "ownership",
    "improvement_item": "improvement",
    "equipment": "equipment",
    "contact": "contacts",
}
KIND_ENUMS = {
    "visit": VisitKind,
    "interaction": InteractionKind,
    "feedback": FeedbackKind,
    "risk_flag": RiskKind,
    "opportunity": OpportunityStage,
    "ownership_change": OwnershipKind,
    "improvement_item": ItemStatus,
    "equipment": EquipmentStatus,
}


def entity_name(entity: str) -> str:
    return entity_label(entity)


class TimelineTab(Tab):
    """Everything in date order; double-click opens the item in its tab."""

    def __init__(self, ctx, client_id, lookups, parent=None):
        super().__init__(ctx, client_id, lookups, parent)
        bar = QHBoxLayout()
        bar.addWidget(section_title(_("Timeline"), self))
        bar.addStretch(1)
        self.log_button = QPushButton(_("Log interaction"), self)
        self.log_button.setObjectName("log_interaction")
        self.log_button.setToolTip(_("A call, mail, meeting or WeChat message with the client"))
        bar.addWidget(self.log_button)
        self.layout_.addLayout(bar)

        def kind(r):
            enum = KIND_ENUMS.get(r["entity"])
            return label(enum, r["kind"]) if enum and r["kind"] else ""

        self.model = RecordTableModel(
            [
                Column("at", _("When"), lambda r: fmt_datetime(r["at"]), sort=lambda r: r["at"], width=140),
                Column("entity", _("Type"), lambda r: entity_name(r["entity"]), width=110),
                Column("kind", _("Kind"), kind, width=130),
                Column("title", _("Summary"), lambda r: r["title"].replace("\n", " "), width=360),
                Column("detail", _("Details"), lambda r: _detail(r)),
            ],
            self,
        )
        self.view = make_table(self.model, self)
        self.view.setObjectName("table_timeline")
        self.layout_.addWidget(self.view, 1)
        self.view.doubleClicked.connect(self._open)
        self.log_button.clicked.connect(self.log_interaction)

    def reload(self) -> None:
        rows = [
            {
                "id": e.row_id,
                "at": e.at,
                "entity": e.entity,
                "kind": e.kind,
                "title": e.title,
                "detail": e.detail,
            }
            for e in ws.timeline(self.ctx, self.client_id)
        ]
        self.model.set_rows(rows)

    def _open(self, index) -> None:
        row = self.model.rows[index.row()]
        self.open_requested.emit(ENTITY_TAB.get(row["entity"], "timeline"), row["id"])

    def log_interaction(self) -> RecordDialog:
        dlg = RecordDialog(
            self.ctx,
            "interaction",
            client_id=self.client_id,
            lookups=self.lookups,
            defaults={"at": self.ctx.now(), "kind": "call"},
            title=_("Log interaction"),
            parent=self,
        )
        dlg.saved.connect(lambda _i: (self.reload(), self.changed.emit("interaction")))
        dlg.open()
        return dlg

    def show_row(self, row_id):
        i = self.model.row_of(row_id or "")
        if i >= 0:
            self.view.selectRow(i)
            return True
        return False


def _detail(r) -> str:
    if r["entity"] == "feedback":
        from ...models.enums import FeedbackStatus

        return label(FeedbackStatus, r["detail"])
    if r["entity"] == "visit" and r["detail"] in ("planned", "done", "cancelled", "missed"):
        from ...models.enums import VisitStatus

        return label(VisitStatus, r["detail"])
    if r["entity"] == "survey" and r["detail"]:
        return _("Overall {score} / 5").format(score=r["detail"])
    if r["entity"] == "risk_flag":
        from ...models.enums import Severity

        return label(Severity, r["detail"])
    return r["detail"].replace("\n", " ")


class OwnershipTab(Tab):
    def __init__(self, ctx, client_id, lookups, parent=None):
        super().__init__(ctx, client_id, lookups, parent)
        self.layout_.addWidget(section_title(_("Ownership history"), self))
        self.model = RecordTableModel(
            [
                Column("at", _("When"), _dt("at"), sort=lambda r: r["at"], width=140),
                Column("kind", _("Role"), lambda r: label(OwnershipKind, r.get("kind")), width=110),
                Column(
                    "from_user_id",
                    _("From"),
                    lambda r: lookups.user_name(r.get("from_user_id")) or "—",
                    width=120,
                ),
                Column(
                    "to_user_id", _("To"), lambda r: lookups.user_name(r.get("to_user_id")) or "—", width=120
                ),
                Column("by_user_id", _("By"), lambda r: lookups.user_name(r.get("by_user_id")), width=120),
                Column("reason", _("Reason")),
            ],
            self,
        )
        self.view = make_table(self.model, self)
        self.view.setObjectName("table_ownership")
        self.layout_.addWidget(self.view, 1)
        self.layout_.addWidget(section_title(_("Handovers"), self))
        self.handovers = RecordTableModel(
            [
                Column("at", _("When"), _dt("at"), sort=lambda r: r["at"], width=140),
                Column(
                    "from_user_id",
                    _("From"),
                    lambda r: lookups.user_name(r.get("from_user_id")) or "—",
                    width=120,
                ),
                Column("to_user_id", _("To"), lambda r: lookups.user_name(r.get("to_user_id")), width=120),
                Column(
                    "checklist",
                    _("Checklist"),
                    lambda r: _("{done} of {n} done").format(
                        done=sum(1 for i in r.get("checklist") or [] if i.get("done")),
                        n=len(r.get("checklist") or []),
                    ),
                    width=120,
                ),
                Column("reason", _("Reason")),
            ],
            self,
        )
        self.handover_view = make_table(self.handovers, self)
        self.handover_view.setMaximumHeight(180)
        self.layout_.addWidget(self.handover_view)

    def reload(self) -> None:
        self.lookups.invalidate()
        self.model.set_rows(
            records.list_records(self.ctx, "ownership_change", self.client_id, order_by="at", descending=True)
        )
        self.handovers.set_rows(
            records.list_records(self.ctx, "handover", self.client_id, order_by="at", descending=True)
        )
