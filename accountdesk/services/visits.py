"""Visits (拜访) and visit plans (拜访计划 / 回访周期).

Rules of a visit:

- the end (``planned_end``) must come after the start;
- when the status becomes ``done`` and no ``done_at`` is given, ``done_at`` is set to the start
  of the visit, or to now if the start still lies in the future (a visit held early); when the
  status leaves ``done`` the derived ``done_at`` is cleared (unless one is given explicitly);
- ``done_at`` is only allowed on a visit that is done and may not lie in the future;
- a new visit recorded as held cannot start in the future (a planned visit held early is
  completed: it is done now);
- a satisfaction-survey visit recorded as held through :func:`record_visit` or
  :func:`complete_visit` carries the survey (scores per dimension, comments): the survey row is
  written with it, linked by ``visit_id``, so the Satisfaction tab and the cadence agree;
- its next steps become tasks with :func:`.tasks.tasks_from_visit`.

Rules of a visit plan: a ``custom`` plan needs a title; there is at most one active plan per
kind per client for the standard kinds (two monthly return-visit cadences would double the
agenda). When no interval is given, the usual cadence of the kind is used
(:data:`DEFAULT_CADENCE_MONTHS`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.validation import parse_datetime
from ..errors import ValidationError
from ..i18n import _
from ..models import SCORE_FIELDS, Survey, VisitPlan
from ..models.enums import VisitKind, VisitStatus
from ..sync.changes import ChangeWriter
from . import records
from .context import AppContext
from .records import RuleContext, register_rule

#: The usual cadence of each kind of visit, in months (monthly return visits, quarterly
#: executive meetings, half-yearly satisfaction surveys, a yearly improvement review).
DEFAULT_CADENCE_MONTHS: dict[str, int] = {
    VisitKind.RETURN_VISIT.value: 1,
    VisitKind.EXECUTIVE_MEETING.value: 3,
    VisitKind.SATISFACTION_SURVEY.value: 6,
    VisitKind.IMPROVEMENT_REVIEW.value: 12,
}

_REPORT_FIELDS = ("outcome", "client_requests", "follow_ups", "next_steps")


@register_rule("visit")
def _end_after_start(rc: RuleContext) -> None:
    if "planned_start" not in rc.values and "planned_end" not in rc.values:
        return
    start, end = rc.current("planned_start"), rc.current("planned_end")
    if start is not None and end is not None and end <= start:
        raise ValidationError("planned_end", _("The end must come after the start."))


@register_rule("visit")
def _done_at_follows_status(rc: RuleContext) -> None:
    status = rc.current("status") or VisitStatus.PLANNED.value
    now = rc.ctx.now()
    given = rc.values.get("done_at")
    if given is not None:
        if status != VisitStatus.DONE.value:
            raise ValidationError("done_at", _("Only a visit that is done has a time it was held."))
        if given > now + dt.timedelta(minutes=5):
            raise ValidationError("done_at", _("A visit cannot have been held in the future."))
        return
    if status == VisitStatus.DONE.value:
        start = rc.current("planned_start")
        future = start is not None and start > now + dt.timedelta(minutes=5)
        if future and rc.row is None:
            # A planned visit held early is completed (done now); a new one cannot be "held" ahead.
            raise ValidationError(
                "planned_start", _("A visit that lies in the future cannot be done yet; plan it instead.")
            )
        if rc.current("done_at") is None:
            rc.values["done_at"] = start if start is not None and start <= now else now
    elif (
        "status" in rc.values
        and rc.row is not None
        and rc.stored("done_at") is not None
        and "done_at" not in rc.values
    ):
        rc.values["done_at"] = None


@register_rule("visit_plan")
def _plan_rules(rc: RuleContext) -> None:
    kind = rc.current("kind")
    if kind == VisitKind.CUSTOM.value and not (rc.current("title") or "").strip():
        raise ValidationError("title", _("A custom visit plan needs a title."))
    active = rc.current("active") if (rc.row is not None or "active" in rc.values) else True
    if kind == VisitKind.CUSTOM.value or not active:
        return
    if rc.row is not None and not ({"kind", "active"} & set(rc.values)):
        return
    stmt = select(VisitPlan.id).where(
        VisitPlan.client_id == rc.client_id,
        VisitPlan.kind == kind,
        VisitPlan.active.is_(True),
        VisitPlan.deleted_at.is_(None),
    )
    if rc.row is not None:
        stmt = stmt.where(VisitPlan.id != rc.row.id)
    if rc.session.scalar(stmt) is not None:
        raise ValidationError("kind", _("This client already has an active plan of this kind."))


# -- visits -----------------------------------------------------------------------------------


def create_visit(ctx: AppContext, client_id: str, **values: Any) -> str:
    return records.create_record(ctx, "visit", values, client_id=client_id)


def update_visit(ctx: AppContext, visit_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "visit", visit_id, values)


def delete_visit(ctx: AppContext, visit_id: str) -> bool:
    return records.delete_record(ctx, "visit", visit_id)


def plan_visit(
    ctx: AppContext,
    client_id: str,
    kind: str,
    at: dt.datetime | str,
    *,
    end: dt.datetime | str | None = None,
    **values: Any,
) -> str:
    """Put a visit in the calendar (status ``planned``); returns its id."""
    values = {"kind": kind, "planned_start": at, "status": VisitStatus.PLANNED.value, **values}
    if end is not None:
        values["planned_end"] = end
    return create_visit(ctx, client_id, **values)


def record_visit(
    ctx: AppContext,
    client_id: str,
    kind: str,
    at: dt.datetime | str,
    report: str | None = None,
    *,
    status: str = VisitStatus.DONE.value,
    survey: dict[str, Any] | None = None,
    **values: Any,
) -> str:
    """Record a visit in one step (by default one that was held); ``report`` is its outcome
    (the 拜访纪要). A held satisfaction-survey visit needs ``survey`` (scores, comments,
    respondent), written with it. Returns the visit's id."""
    values = {"kind": kind, "planned_start": at, "status": status, **values}
    if report is not None:
        values["outcome"] = report
    with ctx.write() as (session, writer):
        row = records.create_in(ctx, session, writer, "visit", values, client_id=client_id)
        _survey_of_visit(ctx, session, writer, row, survey)
        return row.id


def _survey_of_visit(
    ctx: AppContext, session: Session, writer: ChangeWriter, visit: Any, survey: dict[str, Any] | None
) -> str | None:
    """Write the survey a held satisfaction-survey visit carries (required for one)."""
    if visit.kind != VisitKind.SATISFACTION_SURVEY.value or visit.status != VisitStatus.DONE.value:
        if survey:
            raise ValidationError(
                "kind", _("Only a satisfaction-survey visit that was held records a survey.")
            )
        return None
    if not survey or all(survey.get(name) in (None, "") for name in SCORE_FIELDS):
        raise ValidationError("score_overall", _("A satisfaction survey visit records the client's scores."))
    existing: str | None = session.scalar(
        select(Survey.id).where(Survey.visit_id == visit.id, Survey.deleted_at.is_(None))
    )
    held = (visit.done_at or visit.planned_start).astimezone().date()
    values = {**survey, "visit_id": visit.id}
    values.setdefault("conducted_on", held)
    if existing is not None:
        records.update_in(ctx, session, writer, "survey", existing, values)
        return existing
    return records.create_in(ctx, session, writer, "survey", values, client_id=visit.client_id).id


def complete_visit(
    ctx: AppContext,
    visit_id: str,
    *,
    outcome: str | None = None,
    client_requests: str | None = None,
    follow_ups: str | None = None,
    next_steps: str | None = None,
    done_at: dt.datetime | str | None = None,
    survey: dict[str, Any] | None = None,
    **values: Any,
) -> dict[str, Any]:
    """Mark a visit as held and write its report (and, for a satisfaction survey, the survey);
    returns what changed. Report fields left as ``None`` keep their current text."""
    changes: dict[str, Any] = {"status": VisitStatus.DONE.value, **values}
    for name, value in zip(_REPORT_FIELDS, (outcome, client_requests, follow_ups, next_steps), strict=True):
        if value is not None:
            changes[name] = value
    if done_at is not None:
        changes["done_at"] = parse_datetime("done_at", done_at)
    with ctx.write() as (session, writer):
        changed = records.update_in(ctx, session, writer, "visit", visit_id, changes)
        row = records.get_live(session, "visit", visit_id)
        _survey_of_visit(ctx, session, writer, row, survey)
        return changed


def cancel_visit(ctx: AppContext, visit_id: str) -> dict[str, Any]:
    return update_visit(ctx, visit_id, status=VisitStatus.CANCELLED.value)


def list_visits(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The client's visits, newest first."""
    return records.list_records(ctx, "visit", client_id, order_by="planned_start", descending=True)


# -- visit plans ------------------------------------------------------------------------------


def create_visit_plan(
    ctx: AppContext, client_id: str, kind: str, every_months: int | str | None = None, **values: Any
) -> str:
    """A cadence for visits of ``kind``; the interval defaults to the kind's usual cadence."""
    if every_months is None:
        from ..domain.validation import parse_enum

        every_months = DEFAULT_CADENCE_MONTHS.get(parse_enum("kind", kind, VisitKind))
    data = {"kind": kind, **values}
    if every_months is not None:
        data["every_months"] = every_months
    return records.create_record(ctx, "visit_plan", data, client_id=client_id)


def update_visit_plan(ctx: AppContext, plan_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "visit_plan", plan_id, values)


def delete_visit_plan(ctx: AppContext, plan_id: str) -> bool:
    return records.delete_record(ctx, "visit_plan", plan_id)


def list_visit_plans(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    return records.list_records(ctx, "visit_plan", client_id, order_by="every_months")
