"""The history tabs: the timeline of everything done with a client, and the ownership history with
its handovers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton

from ...i18n import _
from ...labels import label
from ...models.enums import (
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
from ..forms import RecordDialog
from ..forms.fmt import fmt_datetime
from ..forms.lookups import form_refs
from ..item_models.columns import Column
from ..item_models.records import RecordTableModel
from ..widgets.tables import make_table
from .base import ENTITY_TABS, Tab, datetime_text, entity_name
from .common import section_title

if TYPE_CHECKING:
    from PySide6.QtCore import QModelIndex
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ..forms import Lookups
    from ..forms.lookups import LookupData

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


class TimelineTab(Tab):
    """Everything in date order; double-click opens the item in its tab."""

    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        bar = QHBoxLayout()
        bar.addWidget(section_title(_("Timeline"), self))
        bar.addStretch(1)
        self.log_button = QPushButton(_("Log interaction"), self)
        self.log_button.setObjectName("log_interaction")
        self.log_button.setToolTip(_("A call, mail, meeting or WeChat message with the client"))
        bar.addWidget(self.log_button)
        self.layout_.addLayout(bar)

        def kind(r: dict[str, Any]) -> str:
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
        self.log_button.setEnabled(False)  # until the form's people and contacts have been read

    def reload(self) -> None:
        ctx, client_id, lookups = self.ctx, self.client_id, self.lookups
        refs = form_refs("interaction")  # the "Log interaction" form's pickers

        def fetch() -> tuple[LookupData, list[dict[str, Any]]]:
            return lookups.read(refs), [
                {
                    "id": e.row_id,
                    "at": e.at,
                    "entity": e.entity,
                    "kind": e.kind,
                    "title": e.title,
                    "detail": e.detail,
                }
                for e in ws.timeline(ctx, client_id)
            ]

        def show(data: tuple[LookupData, list[dict[str, Any]]]) -> None:
            lookups.apply(data[0])
            self.model.set_rows(data[1])
            self.log_button.setEnabled(True)

        self.read(fetch, show)

    def _open(self, index: QModelIndex) -> None:
        row = self.model.rows[index.row()]
        self.open_requested.emit(ENTITY_TABS.get(row["entity"], "timeline"), row["id"])

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

        def saved(_id: str) -> None:
            self.reload()
            self.changed.emit("interaction")

        dlg.saved.connect(saved)
        dlg.open()
        return dlg

    def _select(self, row_id: str) -> bool:
        i = self.model.row_of(row_id or "")
        if i >= 0:
            self.view.selectRow(i)
            return True
        return False


def _detail(r: dict[str, Any]) -> str:
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
    detail: str = r["detail"]
    return detail.replace("\n", " ")


class OwnershipTab(Tab):
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        self.layout_.addWidget(section_title(_("Ownership history"), self))
        self.model = RecordTableModel(
            [
                Column("at", _("When"), datetime_text("at"), sort=lambda r: r["at"], width=140),
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
                Column("at", _("When"), datetime_text("at"), sort=lambda r: r["at"], width=140),
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
        ctx, client_id, lookups = self.ctx, self.client_id, self.lookups

        def fetch() -> tuple[LookupData, list[dict[str, Any]], list[dict[str, Any]]]:
            return (
                lookups.read(),
                records.list_records(ctx, "ownership_change", client_id, order_by="at", descending=True),
                records.list_records(ctx, "handover", client_id, order_by="at", descending=True),
            )

        def show(data: tuple[LookupData, list[dict[str, Any]], list[dict[str, Any]]]) -> None:
            lookup_data, changes, handovers = data
            lookups.apply(lookup_data)
            self.model.set_rows(changes)
            self.handovers.set_rows(handovers)

        self.read(fetch, show)
