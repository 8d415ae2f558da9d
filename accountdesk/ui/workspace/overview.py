"""Overview: profile, health with its reasons, risk flags, what is due next, owner and backup."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...domain.schema import SCHEMAS
from ...errors import NotFoundError
from ...i18n import _
from ...labels import label
from ...models.enums import RiskKind, Severity
from ...permissions import may_write
from ...services import health as health_service
from ...services import records, scheduling
from ...services.detail import client_detail
from .. import style
from ..forms import RecordDialog
from ..forms.fmt import fmt_date, fmt_money
from ..forms.lookups import form_refs
from ..item_models.columns import Column
from ..style import AMBER, GREEN, RED
from .base import Tab
from .common import Card, RecordPanel
from .due import due_items

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ...services.health import Health
    from ...services.standards import StandardChange
    from ..dialogs.standards import ApplyStandardDialog
    from ..forms import Lookups
    from ..forms.lookups import LookupData

PROFILE_FIELDS = (
    "short_name",
    "uscc",
    "industry",
    "tier",
    "status",
    "province",
    "city",
    "address",
    "employees",
    "annual_fees",
    "service_frequency",
    "report_usage",
    "deadline_demands",
    "relationship_since",
    "contract_renewal_date",
    "tags",
)

LEVEL_COLOURS = {"good": GREEN, "watch": AMBER, "poor": RED}


def client_health(ctx: AppContext, client_id: str) -> Health:
    """The health service's verdict: score, level and its reasons."""
    return health_service.client_health(ctx, client_id)


def _value_text(name: str, value: Any) -> str:
    s = SCHEMAS["client"][name]
    if value is None or value == [] or value == "":
        return "—"
    if s.kind == "enum" and s.enum is not None:
        return label(s.enum, value)
    if s.kind == "date":
        return fmt_date(value)
    if s.kind == "tags":
        return "、".join(value)
    if name == "annual_fees":
        return fmt_money(value)
    return str(value)


class TeamDialog(QDialog):
    """The client's service team (OverviewTab.edit_team); ``panel`` lists its members."""

    panel: RecordPanel


class OverviewTab(Tab):
    profile_changed = Signal()
    handover_requested = Signal()

    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.note.setContentsMargins(16, 10, 16, 0)  # in line with the cards below
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        self.layout_.addWidget(scroll)
        cols = QHBoxLayout(body)
        cols.setContentsMargins(16, 14, 16, 14)
        cols.setSpacing(14)
        left = QVBoxLayout()
        left.setSpacing(14)
        right = QVBoxLayout()
        right.setSpacing(14)
        cols.addLayout(left, 3)
        cols.addLayout(right, 2)

        # profile
        self.profile_card = Card(_("Profile"), body)
        self.edit_button = QPushButton(_("Edit profile"), self.profile_card)
        self.edit_button.setObjectName("edit_profile")
        self.edit_button.setShortcut("Ctrl+E")
        self.edit_button.setVisible(may_write(ctx.actor.role, "client", "update"))
        self.edit_button.clicked.connect(self.edit_profile)
        self.edit_button.setEnabled(False)  # until the profile has been read
        first = self.profile_card.body.itemAt(0)
        head = first.widget() if first is not None else None
        assert head is not None  # the card's title, made by Card
        self.profile_card.body.removeWidget(head)
        row = QHBoxLayout()
        row.addWidget(head)
        row.addStretch(1)
        row.addWidget(self.edit_button)
        self.profile_card.body.insertLayout(0, row)
        self.profile_grid = QGridLayout()
        self.profile_grid.setHorizontalSpacing(14)
        self.profile_grid.setVerticalSpacing(6)
        self.profile_card.body.addLayout(self.profile_grid)
        self.description = QLabel("", self.profile_card)
        self.description.setWordWrap(True)
        self.description.setStyleSheet(style.SECONDARY_FLAT_CSS)
        self.profile_card.body.addWidget(self.description)
        left.addWidget(self.profile_card)

        # risk flags
        self.risks = RecordPanel(
            ctx,
            client_id,
            "risk_flag",
            [
                Column("kind", _("Risk"), lambda r: label(RiskKind, r.get("kind")), width=170),
                Column(
                    "severity",
                    _("Severity"),
                    lambda r: label(Severity, r.get("severity")),
                    width=80,
                    color=lambda r: RED if r.get("severity") in ("high", "critical") else AMBER,
                ),
                Column("raised_at", _("Raised on"), lambda r: fmt_date(r.get("raised_at")), width=100),
                Column("cleared_at", _("Cleared"), lambda r: fmt_date(r.get("cleared_at")), width=100),
                Column("note", _("Note"), lambda r: (r.get("note") or "").replace("\n", " ")),
            ],
            title=_("Risk flags"),
            lookups=lookups,
            parent=body,
            empty=_(
                "No risk flags. Flag clients whose results are used in litigation, "
                "who demand extreme deadlines or who are on the dishonest-debtor list."
            ),
            load=lambda: sorted(
                records.list_records(ctx, "risk_flag", client_id),
                key=lambda r: (r.get("cleared_at") is not None, str(r.get("raised_at"))),
            ),
            defaults=lambda: {"raised_at": ctx.now().replace(second=0, microsecond=0), "severity": "high"},
            new_label=_("Flag a risk"),
            describe=lambda r: label(RiskKind, r.get("kind")),
        )
        self.risks.model.muted = lambda r: r.get("cleared_at") is not None
        self.risks.setMinimumHeight(200)
        self.risks.changed.connect(self.changed)
        self.panels.append(self.risks)
        left.addWidget(self.risks, 1)

        # health
        self.health_card = Card(_("Client health"), body)
        self.health_score = QLabel("", self.health_card)
        self.health_score.setObjectName("health_score")
        self.health_reasons = QLabel("", self.health_card)
        self.health_reasons.setObjectName("health_reasons")
        self.health_reasons.setWordWrap(True)
        self.health_reasons.setStyleSheet(style.SECONDARY_FLAT_CSS)
        self.health_card.body.addWidget(self.health_score)
        self.health_card.body.addWidget(self.health_reasons)
        right.addWidget(self.health_card)

        # owner and team
        self.team_card = Card(_("Account team"), body)
        self.owner_label = QLabel("", self.team_card)
        self.owner_label.setObjectName("owner")
        self.owner_label.setWordWrap(True)
        self.owner_label.setStyleSheet(style.FLAT_CSS)
        self.owner_label.setTextFormat(Qt.TextFormat.RichText)
        self.team_card.body.addWidget(self.owner_label)
        self.handover_button = QPushButton(_("Hand over…"), self.team_card)
        self.handover_button.setObjectName("handover")
        self.handover_button.setToolTip(_("Give this client to another account manager, with a checklist"))
        self.handover_button.setVisible(ctx.actor.sees_all_clients)
        self.handover_button.clicked.connect(self.handover_requested)
        self.team_button = QPushButton(_("Service team…"), self.team_card)
        self.team_button.setObjectName("service_team")
        self.team_button.setToolTip(_("The field staff and engineers who serve this client"))
        self.team_button.setVisible(may_write(ctx.actor.role, "client_team_member", "create"))
        self.team_button.clicked.connect(self.edit_team)
        buttons = QHBoxLayout()
        buttons.addWidget(self.handover_button)
        buttons.addWidget(self.team_button)
        buttons.addStretch(1)
        self.team_card.body.addLayout(buttons)
        right.addWidget(self.team_card)

        # next due
        self.due_card = Card(_("Next due"), body)
        self.due_list = QLabel("", self.due_card)
        self.due_list.setObjectName("due_list")
        self.due_list.setWordWrap(True)
        self.due_list.setTextFormat(Qt.TextFormat.RichText)
        self.due_list.setStyleSheet(style.FLAT_CSS)
        self.due_list.linkActivated.connect(self._open_link)
        self.due_card.body.addWidget(self.due_list)
        right.addWidget(self.due_card)
        right.addStretch(1)
        self.detail: dict[str, Any] = {}
        self.standard_dialog: ApplyStandardDialog | None = None
        self.standard_reads = self.more_reads("tier standard")

    # -- data ------------------------------------------------------------------------------------
    def reload(self) -> None:
        ctx, client_id, lookups = self.ctx, self.client_id, self.lookups
        refs = form_refs("client")

        def fetch() -> tuple[LookupData, dict[str, Any], Health] | None:
            try:
                detail = client_detail(ctx, client_id)
            except NotFoundError:  # deleted (here or by a sync) while the workspace was open
                return None
            detail["plan_statuses"] = scheduling.plan_statuses(ctx, client_id)
            return lookups.read(refs), detail, client_health(ctx, client_id)

        def show(data: tuple[LookupData, dict[str, Any], Health] | None) -> None:
            if data is None:
                self.setEnabled(False)
                return
            lookup_data, self.detail, health = data
            lookups.apply(lookup_data)
            self.edit_button.setEnabled(True)
            self._fill_profile()
            self._fill_health(health)
            self._fill_team()
            self._fill_due()

        self.read(fetch, show)
        self.risks.reload()

    def _fill_profile(self) -> None:
        d = self.detail
        while self.profile_grid.count():
            item = self.profile_grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.setParent(None)
                w.deleteLater()
        hidden = set(d.get("_hidden", []))
        shown = [n for n in PROFILE_FIELDS if n not in hidden]
        half = (len(shown) + 1) // 2
        for i, name in enumerate(shown):
            col = 0 if i < half else 2
            r = i if i < half else i - half
            key = QLabel(SCHEMAS["client"][name].title, self.profile_card)
            key.setStyleSheet(style.MUTED_FLAT_CSS)
            val = QLabel(_value_text(name, d.get(name)), self.profile_card)
            val.setObjectName(f"value_{name}")
            val.setWordWrap(True)
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            val.setStyleSheet(style.FLAT_CSS)
            self.profile_grid.addWidget(key, r, col, Qt.AlignmentFlag.AlignTop)
            self.profile_grid.addWidget(val, r, col + 1, Qt.AlignmentFlag.AlignTop)
        self.profile_grid.setColumnStretch(1, 1)
        self.profile_grid.setColumnStretch(3, 1)
        self.description.setText(d.get("description") or "")
        self.description.setVisible(bool(d.get("description")))

    def _fill_health(self, h: Health | None) -> None:
        if h is None:
            self.health_card.hide()
            return
        self.health_card.show()
        level = str(getattr(h, "level", "") or "")
        colour = LEVEL_COLOURS.get(level, style.ACCENT)
        level_text = health_service.level_label(level)
        self.health_score.setText(
            f"<span style='font-size:26px; font-weight:600; color:{colour}'>{int(round(h.score))}</span>"
            f"<span style='color:{style.TEXT_MUTED}'> / 100</span>&nbsp;&nbsp;"
            f"<span style='color:{colour}; font-weight:600'>{html.escape(level_text)}</span>"
        )
        lines = []
        for r in getattr(h, "reasons", None) or []:
            text = getattr(r, "text", None) or str(r)
            impact = getattr(r, "impact", None)
            lines.append(f"• {text}" + (f" ({impact:+d})" if isinstance(impact, int) and impact else ""))
        self.health_reasons.setText("\n".join(lines) if lines else _("Nothing to worry about."))

    def _fill_team(self) -> None:
        d = self.detail
        names = {m.get("user_id"): self.lookups.user_name(m.get("user_id")) for m in d.get("team", [])}
        owner = d.get("owner_name") or ""
        backup = d.get("backup_owner_name") or ""
        lines = [
            f"<b>{html.escape(_('Account manager'))}</b>: "
            + (
                html.escape(owner)
                if owner
                else f"<span style='color:{RED}'>{html.escape(_('Needs a new owner'))}</span>"
            ),
            f"<b>{html.escape(_('Backup owner'))}</b>: " + (html.escape(backup) if backup else "—"),
            f"<b>{html.escape(_('Service team'))}</b>: "
            + (html.escape("、".join(v for v in names.values() if v)) or "—"),
        ]
        self.owner_label.setText("<br>".join(lines))

    def _fill_due(self) -> None:
        d = self.detail
        lists = dict(d)
        items: list[dict[str, Any]] = []
        for plan in d.get("improvement_plans", []):
            items.extend(plan.get("items", []) if isinstance(plan, dict) else [])
        lists["improvement_items"] = items
        lists["plan_statuses"] = d.get("plan_statuses", [])
        today = self.ctx.today()
        due = due_items(d, lists, today, self.ctx.now())
        due = [x for x in due if (x.on - today).days <= 60][:8]
        if not due:
            self.due_list.setText(
                f"<span style='color:{style.TEXT_MUTED}'>{html.escape(_('Nothing due in the next 60 days.'))}</span>"
            )
            return
        rows = []
        for item in due:
            colour = (
                RED if item.on < today else AMBER if (item.on - today).days <= 7 else style.TEXT_SECONDARY
            )
            if item.on < today:
                when = _("{date} (overdue)").format(date=fmt_date(item.on))
            else:
                when = _("today") if item.on == today else fmt_date(item.on)
            rows.append(
                f"<tr><td style='color:{colour}; padding-right:10px; white-space:nowrap'>{html.escape(when)}</td>"
                f"<td><a style='color:{style.TEXT}; text-decoration:none' href='{item.tab}:{item.row_id or ''}'>"
                f"{html.escape(item.text)}</a></td></tr>"
            )
        self.due_list.setText("<table cellspacing='3'>" + "".join(rows) + "</table>")

    def _open_link(self, link: str) -> None:
        tab, _sep, row_id = link.partition(":")
        self.open_requested.emit(tab, row_id or None)

    def edit_team(self) -> TeamDialog:
        """The client's service team: add and remove members."""
        dlg = TeamDialog(self)
        dlg.setWindowTitle(_("Service team"))
        dlg.resize(520, 360)
        box = QVBoxLayout(dlg)
        panel = RecordPanel(
            self.ctx,
            self.client_id,
            "client_team_member",
            [
                Column(
                    "user_id", _("Team member"), lambda r: self.lookups.user_name(r.get("user_id")), width=160
                ),
                Column("role", _("Role in the team")),
            ],
            title=_("Service team"),
            lookups=self.lookups,
            parent=dlg,
            empty=_("Nobody yet. Add the field staff and engineers who serve this client."),
            new_label=_("Add member"),
            describe=lambda r: self.lookups.user_name(r.get("user_id")),
            tasks=self.tasks,
        )
        panel.history_button.hide()
        panel.changed.connect(lambda _e: self._after_change("client_team_member"))
        panel.reload()
        box.addWidget(panel)
        close = QPushButton(_("Close"), dlg)
        close.clicked.connect(dlg.accept)
        box.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        dlg.panel = panel
        dlg.open()
        return dlg

    def edit_profile(self) -> RecordDialog:
        """The profile's form, filled from the client as the tab read it (no read here; before
        the tab's first read landed, the form reads the client itself)."""
        original = {k: v for k, v in self.detail.items() if k in SCHEMAS["client"]} if self.detail else None
        dlg = RecordDialog(
            self.ctx,
            "client",
            row_id=self.client_id,
            lookups=self.lookups,
            original=original,
            parent=self,
            title=_("Edit profile"),
            fields=[
                n
                for n in SCHEMAS["client"]
                if may_write(self.ctx.actor.role, "client", "update", {n})
                and n not in ("owner_id", "backup_owner_id")
            ],
        )  # a handover changes those
        old_tier = dlg.original.get("tier")

        def saved(_id: str) -> None:
            self.reload()
            self.profile_changed.emit()
            self.changed.emit("client")
            self._offer_standard(old_tier)

        dlg.saved.connect(saved)
        dlg.open()
        return dlg

    def _offer_standard(self, old_tier: str | None) -> None:
        """After a tier change, offer the new tier's service standard (plans set by hand kept);
        what changes is read on the database lane, the dialog opens when it has landed."""
        from ...services.standards import proposed_changes

        ctx, client_id = self.ctx, self.client_id

        def fetch() -> tuple[str, list[StandardChange]] | None:
            tier: str = records.get_record(ctx, "client", client_id)["tier"]  # every client has one
            if tier == old_tier:
                return None
            return tier, proposed_changes(ctx, client_id)

        def show(data: tuple[str, list[StandardChange]] | None) -> None:
            self._show_standard(data)

        self.standard_reads.read(fetch, show, lambda exc: self.note.failed(exc))

    def _after_change(self, entity: str) -> None:
        self.reload()
        self.changed.emit(entity)

    def _show_standard(self, data: tuple[str, list[StandardChange]] | None) -> ApplyStandardDialog | None:
        from ..dialogs.standards import ApplyStandardDialog

        if data is None:
            return None
        tier, changes = data
        if not any(c.action != "keep" for c in changes):
            return None
        dlg = ApplyStandardDialog(self.ctx, self.client_id, tier, changes, self)
        dlg.accepted.connect(lambda: self._after_change("visit_plan"))
        dlg.open()
        self.standard_dialog = dlg
        return dlg


__all__ = ["OverviewTab", "client_health"]
