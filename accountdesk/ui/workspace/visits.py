"""Visits: cadence plans with their next due date, planned visits and the history with reports,
and the quick "Record visit" dialog."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QPushButton, QTextBrowser, QVBoxLayout, QWidget

from ...i18n import _
from ...labels import label
from ...models.enums import VisitChannel, VisitKind, VisitStatus
from ...services import records, scheduling
from ..forms import Lookups, RecordDialog
from ..forms.fmt import fmt_date, fmt_datetime
from .common import AMBER, GREEN, GREY, RED, Column, icon, section_title
from .tabs_basic import Tab, split

QUICK_FIELDS = ["kind", "planned_start", "channel", "outcome"]
REPORT_FIELDS = ["done_at", "attendee_contact_ids", "attendee_user_ids", "outcome", "client_requests", "follow_ups",
                 "next_steps"]


def record_visit_dialog(ctx, client_id: str, lookups: Lookups | None = None, parent=None, *,
                        kind: str | None = None, purpose: str | None = None) -> RecordDialog:
    """Four fields, sensible defaults: a held visit recorded in seconds (of ``kind``: the kind of
    the plan it was made for)."""

    def done(values):
        values = dict(values)
        values["status"] = VisitStatus.DONE.value
        values.setdefault("owner_id", ctx.actor.id)
        if purpose:
            values.setdefault("purpose", purpose)
        return values

    now = ctx.now().replace(second=0, microsecond=0)
    return RecordDialog(
        ctx, "visit", client_id=client_id, fields=QUICK_FIELDS, lookups=lookups, parent=parent,
        defaults={"kind": kind or VisitKind.RETURN_VISIT.value, "planned_start": now, "channel": VisitChannel.ONSITE.value,
                  **({"purpose": purpose} if purpose else {})},
        title=_("Record visit"), before_save=done,
    )


STATUS_COLOURS = {"planned": "#1f6feb", "done": GREEN, "cancelled": GREY, "missed": RED}


class VisitsTab(Tab):
    def __init__(self, ctx, client_id, lookups, parent=None):
        super().__init__(ctx, client_id, lookups, parent)
        today = ctx.today()
        self._visits: list[dict] = []
        self._status: dict[str, scheduling.PlanStatus] = {}

        def status(r):
            return self._status.get(r["id"])

        def last_text(r):
            st = status(r)
            return fmt_date(st.last_done) if st else ""

        def next_text(r):
            st = status(r)
            if st is None:
                return _("Paused") if not r.get("active", True) else ""
            text = fmt_date(st.due)
            if st.overdue:
                text = _("{date} (overdue)").format(date=text)
            if st.scheduled is not None:
                text += " · " + _("planned for {date}").format(date=fmt_date(st.scheduled))
            return text

        def next_color(r):
            st = status(r)
            if st is None:
                return None
            if st.overdue:
                return RED
            return AMBER if st.scheduled is None and (st.due - today).days <= 7 else None

        def load_plans():
            self._status = {st.plan_id: st for st in scheduling.plan_statuses(ctx, client_id)}
            return records.list_records(ctx, "visit_plan", client_id)

        self.plans = self.panel(
            "visit_plan",
            [
                Column("kind", _("Cadence"), lambda r: r.get("title") or label(VisitKind, r["kind"]), width=170),
                Column("every_months", _("Every (months)"), width=130, align_right=True),
                Column("owner_id", _("Owner"), lambda r: lookups.user_name(r.get("owner_id")), width=110),
                Column("last", _("Last held"), last_text, width=110),
                Column("next", _("Next due"), next_text, sort=lambda r: (status(r) is None, str(status(r) and status(r).due)),
                       color=next_color),
            ],
            title=_("Visit plans (cadence)"),
            empty=_("No visit plan yet. Add a cadence, e.g. a return visit every month, "
                    "an executive meeting every quarter."),
            new_label=_("New plan"),
            load=load_plans,
            describe=lambda r: r.get("title") or label(VisitKind, r["kind"]),
            defaults=lambda: {"owner_id": ctx.actor.id, "active": True},
        )

        def load_visits():
            self._visits = records.list_records(ctx, "visit", client_id, order_by="planned_start", descending=True)
            return self._visits

        self.visits = self.panel(
            "visit",
            [
                Column("planned_start", _("When"), lambda r: fmt_datetime(r.get("done_at") or r["planned_start"]),
                       sort=lambda r: r["planned_start"], width=140),
                Column("kind", _("Kind"), lambda r: label(VisitKind, r["kind"]), width=150),
                Column("channel", _("Channel"), lambda r: label(VisitChannel, r.get("channel")), width=80),
                Column("status", _("Status"), lambda r: label(VisitStatus, r.get("status")), width=80,
                       color=lambda r: STATUS_COLOURS.get(r.get("status"))),
                Column("owner_id", _("Owner"), lambda r: lookups.user_name(r.get("owner_id")), width=100),
                Column("purpose", _("Purpose"), lambda r: (r.get("purpose") or "").replace("\n", " "), width=200),
                Column("outcome", _("Outcome"), lambda r: (r.get("outcome") or "").replace("\n", " ")),
            ],
            title=_("Visits"),
            empty=_("No visits yet. Plan the next visit, or record one you have just made."),
            load=load_visits,
            new_label=_("Plan visit"),
            describe=lambda r: label(VisitKind, r["kind"]) + " " + fmt_date(r["planned_start"]),
            defaults=lambda: {"owner_id": ctx.actor.id, "status": "planned"},
        )
        self.record_button = QPushButton(icon("visit"), _("Record visit"), self)
        self.record_button.setObjectName("record_visit")
        self.record_button.setToolTip(_("Record a visit you have made (Ctrl+R)"))
        self.visits.extra_bar.addWidget(self.record_button)
        self.record_button.setVisible(not self.visits.new_button.isHidden())
        self.record_button.clicked.connect(self.record_visit)
        self.complete_button = QPushButton(icon("check"), _("Write report…"), self)
        self.complete_button.setObjectName("complete_visit")
        self.complete_button.setToolTip(_("Mark the selected visit as held and write its report"))
        self.complete_button.setVisible(self.visits.can_edit)
        self.complete_button.setEnabled(False)
        self.visits.extra_bar.addWidget(self.complete_button)
        self.complete_button.clicked.connect(self.complete_visit)
        self.visits.selection_changed.connect(lambda r: self.complete_button.setEnabled(r is not None))
        self.report = QTextBrowser(self)
        self.report.setObjectName("visit_report")
        self.report.setOpenLinks(False)
        self.report.setMaximumHeight(150)
        holder = QWidget(self)
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(section_title(_("Visit report"), holder))
        box.addWidget(self.report)
        self.visits.selection_changed.connect(self._show_report)
        self.visits.changed.connect(lambda _e: self.plans.reload())
        self.layout_.addWidget(split(self.plans, self.visits, holder, sizes=[170, 330, 150]))

    def reload(self) -> None:
        self.visits.reload()  # first: the plans' next due dates come from the visits
        self.plans.reload()
        if self.visits.current_row() is None and self.visits.model.rows:
            self.visits.view.selectRow(0)
        self._show_report(self.visits.current_row())

    def record_visit(self, plan_id: str | None = None) -> RecordDialog:
        """Record a held visit; with ``plan_id`` (or a plan selected) of that plan's kind."""
        kind = purpose = None
        plan = None
        if plan_id:
            plan = next((r for r in self.plans.model.rows if r["id"] == plan_id), None)
            if plan is None:
                plan = records.get_record(self.ctx, "visit_plan", plan_id)
        elif self.plans.view.hasFocus():
            plan = self.plans.current_row()
        if plan is not None:
            kind = plan["kind"]
            purpose = plan.get("title") if kind == VisitKind.CUSTOM.value else None
        dlg = record_visit_dialog(self.ctx, self.client_id, self.lookups, self, kind=kind, purpose=purpose)
        dlg.saved.connect(self._recorded)
        dlg.open()
        return dlg

    def complete_visit(self) -> RecordDialog | None:
        """The report of the selected visit; saving marks it held."""
        row = self.visits.current_row()
        if row is None:
            return None

        def done(values):
            return {**values, "status": VisitStatus.DONE.value}

        dlg = RecordDialog(self.ctx, "visit", client_id=self.client_id, row_id=row["id"], lookups=self.lookups,
                           fields=REPORT_FIELDS, title=_("Visit report"), before_save=done, parent=self)
        dlg.saved.connect(self._recorded)
        dlg.open()
        return dlg

    def _recorded(self, row_id: str) -> None:
        self.reload()
        self.visits.select(row_id)
        self.changed.emit("visit")

    def _show_report(self, row) -> None:
        if not row:
            self.report.setHtml(f"<p style='color:#667085'>{html.escape(_('Select a visit to read its report.'))}</p>")
            return
        parts = []
        for key, title in (("purpose", _("Purpose")), ("outcome", _("Outcome")), ("client_requests", _("Client requests")),
                           ("follow_ups", _("Follow-ups")), ("next_steps", _("Next steps"))):
            text = row.get(key)
            if text:
                parts.append(f"<p><b>{html.escape(title)}</b><br>{html.escape(text).replace(chr(10), '<br>')}</p>")
        attendees = [self.lookups.ref_label("contact", c) for c in row.get("attendee_contact_ids") or []]
        attendees += [self.lookups.user_name(u) for u in row.get("attendee_user_ids") or []]
        if attendees:
            parts.append(f"<p><b>{html.escape(_('Attendees'))}</b><br>{html.escape(', '.join(a for a in attendees if a))}</p>")
        if not parts:
            parts.append(f"<p style='color:#667085'>{html.escape(_('No report written yet. Edit the visit to write it.'))}</p>")
        self.report.setHtml("".join(parts))
