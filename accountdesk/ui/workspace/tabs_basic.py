"""The record tabs of the workspace: service, value-added services, improvement plan, equipment and
opportunities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QPushButton

from ...i18n import _
from ...labels import label, metric_label, target_text
from ...models.enums import (
    ClientServiceStatus,
    EquipmentStatus,
    ItemStatus,
    OpportunityStage,
)
from ...services import records
from ...services.equipment import next_calibration_on, next_service_on
from ..forms.fmt import fmt_date, fmt_money
from ..item_models.columns import Column
from ..style import AMBER, RED
from .base import Tab, date_sort, date_text, datetime_text, split

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ..dialogs.import_wizard import ImportWizard
    from ..forms import Lookups

#: A record's next due date from its row (next service, next calibration).
DueOn = Callable[[dict[str, Any]], dt.date | None]


class ServiceTab(Tab):
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
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
                Column(
                    "valid_from", _("Valid from"), date_text("valid_from"), date_sort("valid_from"), width=100
                ),
                Column(
                    "valid_to",
                    _("Valid to"),
                    date_text("valid_to"),
                    date_sort("valid_to"),
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

        def notes() -> list[dict[str, Any]]:
            rows = records.list_records(
                ctx, "service_note", client_id, order_by="created_at", descending=True
            )
            return [r for r in rows if sees or not r.get("confidential")]

        self.notes = self.panel(
            "service_note",
            [
                Column(
                    "created_at", _("Written on"), date_text("created_at"), date_sort("created_at"), width=100
                ),
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
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        sees = ctx.actor.sees_confidential

        def offering(r: dict[str, Any]) -> str:
            o = lookups.offerings().get(r.get("offering_id") or "", {})
            name: str = o.get("name", "")
            return name

        def category(r: dict[str, Any]) -> str:
            o = lookups.offerings().get(r.get("offering_id") or "", {})
            return {"standard": _("Standard service"), "value_added": _("Value-added service")}.get(
                o.get("category") or "", ""
            )

        cols = [
            Column("offering_id", _("Service"), offering, width=220),
            Column("category", _("Category"), category, width=110),
            Column("status", _("Status"), lambda r: label(ClientServiceStatus, r.get("status")), width=90),
            Column(
                "start_date", _("Start date"), date_text("start_date"), date_sort("start_date"), width=100
            ),
            Column("end_date", _("End date"), date_text("end_date"), date_sort("end_date"), width=100),
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

        def service_name(r: dict[str, Any]) -> str:
            return lookups.ref_label("client_service", r.get("client_service_id"))

        self.deliveries = self.panel(
            "service_delivery",
            [
                Column(
                    "delivered_at",
                    _("Delivered at"),
                    datetime_text("delivered_at"),
                    date_sort("delivered_at"),
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
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
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

        def items() -> list[dict[str, Any]]:  # every item; those of the plan chosen are shown (row_filter)
            return records.list_records(ctx, "improvement_item", client_id, order_by="due_on")

        today = ctx.today()
        self.items = self.panel(
            "improvement_item",
            [
                Column("action", _("Action"), width=300),
                Column("owner_id", _("Owner"), lambda r: lookups.user_name(r.get("owner_id")), width=110),
                Column(
                    "due_on",
                    _("Due"),
                    date_text("due_on"),
                    date_sort("due_on"),
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
        self.items.row_filter = self._of_plan
        self.items.empty_when_filtered = True
        self.plans.selection_changed.connect(lambda _r: self.items.refilter())
        self.plans.loaded.connect(self._plans_loaded)
        self.layout_.addWidget(split(self.plans, self.items, sizes=[200, 400]))

    def _of_plan(self, row: dict[str, Any]) -> bool:
        plan = self.plans.current_id()
        return plan is None or row["plan_id"] == plan

    def _plans_loaded(self) -> None:
        if self.plans.current_id() is None and self.plans.model.rows:
            self.plans.view.selectRow(0)
        self.items.refilter()

    def _select(self, row_id: str) -> bool:
        if self.plans.select(row_id or ""):
            return True
        item = self.items.row(row_id)
        if item is not None:
            self.plans.select(item["plan_id"])
            return self.items.select(row_id)
        return False


class EquipmentTab(Tab):
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        today = ctx.today()

        def due_color(fn: DueOn) -> Callable[[dict[str, Any]], str | None]:
            def color(r: dict[str, Any]) -> str | None:
                d = fn(r)
                if d is None or r.get("status") == "retired":
                    return None
                if d < today:
                    return RED
                if (d - today).days <= 30:
                    return AMBER
                return None

            return color

        def due_text(fn: DueOn) -> Callable[[dict[str, Any]], str]:
            def text(r: dict[str, Any]) -> str:
                d = fn(r)
                if d is None:
                    return ""
                if d < today and r.get("status") != "retired":
                    return _("{date} (overdue)").format(date=fmt_date(d))
                return fmt_date(d)

            return text

        def sort_due(fn: DueOn) -> Callable[[dict[str, Any]], tuple[bool, dt.date]]:
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

    def import_equipment(self) -> ImportWizard | None:
        """The import wizard of the main window, for equipment of this client."""
        window = self.window()
        if not hasattr(window, "import_file"):
            return None
        wizard: ImportWizard | None = window.import_file(self.client_id, kind="equipment")
        if wizard is not None:
            wizard.imported.connect(lambda _result: self.reload())
        return wizard


class OpportunitiesTab(Tab):
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        cols = [
            Column("title", _("Title"), width=260),
            Column("stage", _("Stage"), lambda r: label(OpportunityStage, r.get("stage")), width=100),
            Column(
                "expected_on", _("Expected on"), date_text("expected_on"), date_sort("expected_on"), width=110
            ),
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
