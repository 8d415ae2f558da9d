"""Visits: cadence plans with their next due date, planned visits and the history with reports
(the forms it opens are in :mod:`visit_dialogs`)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from ...labels import label
from ...models.enums import TaskStatus, VisitChannel, VisitKind, VisitStatus
from ...services import records, scheduling
from ...services import tasks as tasks_service
from .. import style
from ..forms import Lookups, RecordDialog
from ..forms.fmt import fmt_date, fmt_datetime
from ..forms.lookups import form_refs
from ..item_models.columns import Column
from ..style import AMBER, GREEN, GREY, RED
from .base import Tab, split
from .common import icon, section_title
from .visit_dialogs import (  # noqa: F401  (the forms, also by their old path)
    QUICK_FIELDS,
    REPORT_FIELDS,
    SURVEY_FIELDS,
    NextStepsDialog,
    VisitDialog,
    record_visit_dialog,
)

if TYPE_CHECKING:
    from ...services.context import AppContext

STATUS_COLOURS = {"planned": style.ACCENT, "done": GREEN, "cancelled": GREY, "missed": RED}


class VisitsTab(Tab):
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        today = ctx.today()

        def status(r: dict[str, Any]) -> scheduling.PlanStatus | None:
            st: scheduling.PlanStatus | None = r.get("_plan_status")
            return st

        def last_text(r: dict[str, Any]) -> str:
            st = status(r)
            return fmt_date(st.last_done) if st else ""

        def next_text(r: dict[str, Any]) -> str:
            st = status(r)
            if st is None:
                return _("Paused") if not r.get("active", True) else ""
            text = fmt_date(st.due)
            if st.overdue:
                text = _("{date} (overdue)").format(date=text)
            if st.scheduled is not None:
                text += " · " + _("planned for {date}").format(date=fmt_date(st.scheduled))
            return text

        def next_color(r: dict[str, Any]) -> str | None:
            st = status(r)
            if st is None:
                return None
            if st.overdue:
                return RED
            return AMBER if st.scheduled is None and (st.due - today).days <= 7 else None

        def load_plans() -> list[
            dict[str, Any]
        ]:  # each plan with its status (last held, next due) under _plan_status
            status = {st.plan_id: st for st in scheduling.plan_statuses(ctx, client_id)}
            rows = records.list_records(ctx, "visit_plan", client_id)
            for r in rows:
                r["_plan_status"] = status.get(r["id"])
            return rows

        self.plans = self.panel(
            "visit_plan",
            [
                Column(
                    "kind", _("Cadence"), lambda r: r.get("title") or label(VisitKind, r["kind"]), width=170
                ),
                Column("every_months", _("Every (months)"), width=130, align_right=True),
                Column("owner_id", _("Owner"), lambda r: lookups.user_name(r.get("owner_id")), width=110),
                Column("last", _("Last held"), last_text, width=110),
                Column(
                    "next",
                    _("Next due"),
                    next_text,
                    sort=lambda r: (status(r) is None, str(st.due if (st := status(r)) else None)),
                    color=next_color,
                ),
            ],
            title=_("Visit plans (cadence)"),
            empty=_(
                "No visit plan yet. Add a cadence, e.g. a return visit every month, "
                "an executive meeting every quarter."
            ),
            new_label=_("New plan"),
            load=load_plans,
            describe=lambda r: r.get("title") or label(VisitKind, r["kind"]),
            defaults=lambda: {"owner_id": ctx.actor.id, "active": True},
        )

        def load_visits() -> list[
            dict[str, Any]
        ]:  # each visit with its satisfaction survey (if any) under _survey
            rows = records.list_records(ctx, "visit", client_id, order_by="planned_start", descending=True)
            surveys = {
                s["visit_id"]: s for s in records.list_records(ctx, "survey", client_id) if s.get("visit_id")
            }
            for r in rows:
                r["_survey"] = surveys.get(r["id"])
            return rows

        self.visits = self.panel(
            "visit",
            [
                Column(
                    "planned_start",
                    _("When"),
                    lambda r: fmt_datetime(r.get("done_at") or r["planned_start"]),
                    sort=lambda r: r["planned_start"],
                    width=140,
                ),
                Column("kind", _("Kind"), lambda r: label(VisitKind, r["kind"]), width=150),
                Column("channel", _("Channel"), lambda r: label(VisitChannel, r.get("channel")), width=80),
                Column(
                    "status",
                    _("Status"),
                    lambda r: label(VisitStatus, r.get("status")),
                    width=80,
                    color=lambda r: STATUS_COLOURS.get(r.get("status") or ""),
                ),
                Column("owner_id", _("Owner"), lambda r: lookups.user_name(r.get("owner_id")), width=100),
                Column(
                    "purpose", _("Purpose"), lambda r: (r.get("purpose") or "").replace("\n", " "), width=200
                ),
                Column("outcome", _("Outcome"), lambda r: (r.get("outcome") or "").replace("\n", " ")),
            ],
            title=_("Visits"),
            empty=_("No visits yet. Plan the next visit, or record one you have just made."),
            load=load_visits,
            refs=form_refs("visit", REPORT_FIELDS) | form_refs("survey", SURVEY_FIELDS),
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
        self.task_panel = self.panel(
            "task",
            [
                Column("title", _("Task"), width=220),
                Column("owner_id", _("Owner"), lambda r: lookups.user_name(r.get("owner_id")), width=90),
                Column(
                    "due_on",
                    _("Due"),
                    lambda r: fmt_date(r.get("due_on")),
                    sort=lambda r: str(r.get("due_on") or ""),
                    width=90,
                    color=lambda r: (
                        RED if r.get("status") == "open" and r.get("due_on") and r["due_on"] < today else None
                    ),
                ),
                Column("status", _("Status"), lambda r: label(TaskStatus, r.get("status")), width=70),
            ],
            title=_("Tasks"),
            empty=_("No tasks. Next steps of a visit report become tasks."),
            new_label=_("New task"),
            load=lambda: tasks_service.list_tasks(ctx, client_id),
            describe=lambda r: r.get("title") or "",
            defaults=lambda: {"owner_id": ctx.actor.id, "status": "open"},
        )
        self.task_done_button = QPushButton(icon("check"), _("Mark done"), self)
        self.task_done_button.setObjectName("task_done")
        self.task_done_button.setEnabled(False)
        self.task_done_button.setVisible(self.task_panel.can_edit)
        self.task_panel.extra_bar.addWidget(self.task_done_button)
        self.task_done_button.clicked.connect(self.complete_task)
        self.task_panel.selection_changed.connect(
            lambda r: self.task_done_button.setEnabled(bool(r) and r.get("status") == "open")
        )
        self.plan_record_button = QPushButton(icon("visit"), _("Record a visit of this plan"), self)
        self.plan_record_button.setObjectName("record_plan_visit")
        self.plan_record_button.setEnabled(False)
        self.plan_record_button.setVisible(not self.visits.new_button.isHidden())
        self.plans.extra_bar.addWidget(self.plan_record_button)
        self.plan_record_button.clicked.connect(lambda: self.record_visit(plan_id=self.plans.current_id()))
        self.plans.selection_changed.connect(lambda r: self.plan_record_button.setEnabled(r is not None))
        bottom = split(holder, self.task_panel, orientation=Qt.Orientation.Horizontal, sizes=[400, 400])
        self.layout_.addWidget(split(self.plans, self.visits, bottom, sizes=[170, 330, 170]))
        self.last_dialog: RecordDialog | None = None
        self.next_steps_dialog: NextStepsDialog | None = None
        self.steps_reads = self.more_reads("next steps")

    def complete_task(self) -> None:
        row = self.task_panel.current_row()
        if not row:
            return
        tasks_service.complete_task(self.ctx, row["id"])
        self.task_panel.reload()
        task_id = row["id"]

        def select_task() -> None:
            self.task_panel.select(task_id)

        self.task_panel.then(select_task)
        self.changed.emit("task")

    def reload(self) -> None:
        super().reload()
        self.then(self._first_visit)

    def _first_visit(self) -> None:
        if self.visits.current_row() is None and self.visits.model.rows:
            self.visits.view.selectRow(0)
        self._show_report(self.visits.current_row())

    def record_visit(self, plan_id: str | None = None) -> RecordDialog | None:
        """Record a held visit; with ``plan_id`` (or a plan selected) of that plan's kind. Before
        the plans have landed, the dialog opens when they have (``last_dialog``); None then."""
        if plan_id and self.plans.loading:
            self.last_dialog = None

            def record_later() -> None:
                self.record_visit(plan_id)

            self.plans.then(record_later)
            return None
        kind = purpose = None
        plan = self.plans.row(plan_id) if plan_id else None
        if plan is not None:
            kind = plan["kind"]
            purpose = plan.get("title") if kind == VisitKind.CUSTOM.value else None
        dlg = record_visit_dialog(self.ctx, self.client_id, self.lookups, self, kind=kind, purpose=purpose)
        self.last_dialog = dlg
        dlg.saved.connect(self._recorded)
        dlg.open()
        return dlg

    def complete_visit(self) -> RecordDialog | None:
        """The report of the selected visit; saving marks it held."""
        row = self.visits.current_row()
        if row is None:
            return None

        def done(values: dict[str, Any]) -> dict[str, Any]:
            return {**values, "status": VisitStatus.DONE.value}

        dlg = VisitDialog(
            self.ctx,
            self.client_id,
            row_id=row["id"],
            original=row,
            lookups=self.lookups,
            fields=REPORT_FIELDS,
            title=_("Visit report"),
            before_save=done,
            parent=self,
        )
        dlg.saved.connect(self._recorded)
        dlg.open()
        return dlg

    def _recorded(self, row_id: str) -> None:
        self.reload()

        def select_visit() -> None:
            self.visits.select(row_id)

        self.visits.then(select_visit)
        self.changed.emit("visit")
        self.offer_tasks(row_id)

    def offer_tasks(self, visit_id: str) -> None:
        """After a report with next steps: offer them as tasks (those not made yet). The visit and
        its tasks are read on the database lane; the dialog (``next_steps_dialog``) opens after."""
        from ...services.tasks import next_step_lines

        ctx, client_id = self.ctx, self.client_id

        def fetch() -> dict[str, Any] | None:
            visit = records.get_record(ctx, "visit", visit_id)
            if visit.get("status") != VisitStatus.DONE.value or not next_step_lines(visit.get("next_steps")):
                return None
            made = {
                r["title"]
                for r in records.list_records(ctx, "task", client_id)
                if r.get("visit_id") == visit_id
            }
            if set(next_step_lines(visit.get("next_steps"))) <= made:
                return None
            return visit

        def offer(visit: dict[str, Any] | None) -> None:
            self._offer(visit)

        self.steps_reads.read(fetch, offer, self.note.failed)

    def _offer(self, visit: dict[str, Any] | None) -> NextStepsDialog | None:
        if visit is None:
            return None
        dlg = NextStepsDialog(self.ctx, visit, self.lookups, self)
        dlg.accepted.connect(self._tasks_made)
        self.next_steps_dialog = dlg
        dlg.open()
        return dlg

    def _tasks_made(self) -> None:
        self.task_panel.reload()
        self.changed.emit("task")

    def _show_report(self, row: dict[str, Any] | None) -> None:
        if not row:
            self.report.setHtml(
                f"<p style='color:{style.TEXT_MUTED}'>{html.escape(_('Select a visit to read its report.'))}</p>"
            )
            return
        parts = []
        for key, title in (
            ("purpose", _("Purpose")),
            ("outcome", _("Outcome")),
            ("client_requests", _("Client requests")),
            ("follow_ups", _("Follow-ups")),
            ("next_steps", _("Next steps")),
        ):
            text = row.get(key)
            if text:
                parts.append(
                    f"<p><b>{html.escape(title)}</b><br>{html.escape(text).replace(chr(10), '<br>')}</p>"
                )
        attendees = [self.lookups.ref_label("contact", c) for c in row.get("attendee_contact_ids") or []]
        attendees += [self.lookups.user_name(u) for u in row.get("attendee_user_ids") or []]
        if attendees:
            parts.append(
                f"<p><b>{html.escape(_('Attendees'))}</b><br>{html.escape(', '.join(a for a in attendees if a))}</p>"
            )
        if not parts:
            parts.append(
                f"<p style='color:{style.TEXT_MUTED}'>{html.escape(_('No report written yet. Edit the visit to write it.'))}</p>"
            )
        self.report.setHtml("".join(parts))
