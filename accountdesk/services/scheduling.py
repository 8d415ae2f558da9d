"""Visit cadences (拜访计划): when each kind of visit is next due for a client.

A visit plan says "visits of this kind every N months" (monthly return visits, quarterly
executive meetings, half-yearly satisfaction surveys, a yearly improvement review, or a custom
cadence). Nothing about the due date is stored: it is derived here.

- The next due date is the last **completed** visit of that kind (status ``done``; its
  ``done_at``, else its start) plus the interval.
- With no completed visit yet, the plan's ``starts_on`` is the first due date; without one, the
  relationship start (``relationship_since``) plus the interval; without that, the day the plan
  was made plus the interval.
- A due date never lies before the plan's ``starts_on``.
- A satisfaction survey recorded as a survey counts as a held satisfaction-survey visit.
- A **planned** visit of that kind after the last completed one counts as scheduled: the cadence
  is then covered by that visit (which shows in the agenda itself).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, overload

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..domain.cadence import cadence_due
from ..domain.dates import add_months
from ..models import Client, Survey, Visit, VisitPlan
from ..models.enums import VisitKind, VisitStatus
from .context import AppContext
from .visits import DEFAULT_CADENCE_MONTHS, create_visit_plan

#: The cadences every client gets by default, in months.
DEFAULT_PLANS: tuple[tuple[str, int], ...] = tuple(DEFAULT_CADENCE_MONTHS.items())


@dataclass(frozen=True)
class PlanStatus:
    plan_id: str
    client_id: str
    kind: str
    title: str | None
    every_months: int
    last_done: dt.date | None
    due: dt.date
    #: Date of the next planned visit of this kind (after the last completed one), if any.
    scheduled: dt.date | None
    scheduled_visit_id: str | None
    overdue: bool
    days_overdue: int

    @property
    def long_overdue(self) -> bool:
        """Overdue by more than one interval (``every_months`` × 30 days)."""
        return self.days_overdue > self.every_months * 30


@overload
def local_date(value: dt.datetime | dt.date) -> dt.date: ...
@overload
def local_date(value: None) -> None: ...
def local_date(value: dt.datetime | dt.date | None) -> dt.date | None:
    """The date, in this computer's time zone, of a stored (UTC) datetime."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone().date()
    return value


def ensure_default_plans(ctx: AppContext, client_id: str) -> list[str]:
    """Give a client the default cadences it lacks (an active plan of that kind); returns the
    ids of the plans created."""
    with ctx.read() as session:
        have = set(
            session.scalars(
                select(VisitPlan.kind).where(
                    VisitPlan.client_id == client_id,
                    VisitPlan.deleted_at.is_(None),
                    VisitPlan.active.is_(True),
                )
            )
        )
    created = []
    for kind, months in DEFAULT_PLANS:
        if kind not in have:
            created.append(create_visit_plan(ctx, client_id, kind, months))
    return created


def _chunks(ids: list[str], size: int = 5000) -> Iterable[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def id_list(ids: Iterable[str]) -> Select[Any]:
    """A SELECT of the given ids for ``col.in_(...)``: one JSON parameter instead of one
    parameter per id (cheaper to build, and no limit on the number of ids)."""
    values = func.json_each(json.dumps(list(ids))).table_valued("value")
    return select(values.c.value)


def plan_statuses_in(session: Session, client_ids: Iterable[str] | None, today: dt.date) -> list[PlanStatus]:
    """The status of every active plan of these clients (all live clients when ``None``),
    computed with a few batched queries."""
    ids = None if client_ids is None else list(dict.fromkeys(client_ids))
    if ids is not None and not ids:
        return []
    groups = [None] if ids is None else list(_chunks(ids))
    out: list[PlanStatus] = []
    for group in groups:
        plans_q = (
            select(*_PLAN_COLUMNS, Client.relationship_since)
            .join(Client, Client.id == VisitPlan.client_id)
            .where(VisitPlan.deleted_at.is_(None), VisitPlan.active.is_(True), Client.deleted_at.is_(None))
        )
        done_q = select(
            Visit.client_id, Visit.kind, func.max(func.coalesce(Visit.done_at, Visit.planned_start))
        ).where(Visit.deleted_at.is_(None), Visit.status == VisitStatus.DONE.value)
        planned_q = select(Visit.id, Visit.client_id, Visit.kind, Visit.planned_start).where(
            Visit.deleted_at.is_(None), Visit.status == VisitStatus.PLANNED.value
        )
        surveys_q = select(Survey.client_id, func.max(Survey.conducted_on)).where(Survey.deleted_at.is_(None))
        if group is not None:
            surveys_q = surveys_q.where(Survey.client_id.in_(id_list(group)))
            plans_q = plans_q.where(VisitPlan.client_id.in_(id_list(group)))
            done_q = done_q.where(Visit.client_id.in_(id_list(group)))
            planned_q = planned_q.where(Visit.client_id.in_(id_list(group)))
        plans = session.execute(plans_q).all()
        if not plans:
            continue
        # keys: (client id, kind); the client ids come from rows that always have one
        last_done: dict[tuple[Any, str], Any] = {}
        for cid, kind, when in session.execute(done_q.group_by(Visit.client_id, Visit.kind)):
            if when is not None:
                if isinstance(when, str):  # func.max over a TypeDecorator returns the raw text
                    when = dt.datetime.fromisoformat(when)
                last_done[(cid, kind)] = local_date(when)
        # A satisfaction survey recorded as a survey (without a visit of that kind) counts as held.
        for cid, held in session.execute(surveys_q.group_by(Survey.client_id)):
            if held is None:
                continue
            held = dt.date.fromisoformat(held) if isinstance(held, str) else held
            key = (cid, VisitKind.SATISFACTION_SURVEY.value)
            if key not in last_done or last_done[key] < held:
                last_done[key] = held
        planned: dict[tuple[Any, str], list[tuple[Any, str]]] = {}
        for vid, cid, kind, start in session.execute(planned_q):
            planned.setdefault((cid, kind), []).append((local_date(start), vid))
        for plan in plans:
            out.append(
                _status(
                    plan,
                    plan.relationship_since,
                    last_done.get((plan.client_id, plan.kind)),
                    planned.get((plan.client_id, plan.kind), []),
                    today,
                )
            )
    return out


_PLAN_COLUMNS = (
    VisitPlan.id,
    VisitPlan.client_id,
    VisitPlan.kind,
    VisitPlan.title,
    VisitPlan.every_months,
    VisitPlan.starts_on,
    VisitPlan.created_at,
)


def _status(
    plan: Any, since: dt.date | None, last: dt.date | None, planned: list[tuple[dt.date, str]], today: dt.date
) -> PlanStatus:
    months = max(1, plan.every_months or 1)
    due = cadence_due(
        months,
        last,
        starts_on=plan.starts_on,
        relationship_since=since,
        created_on=local_date(plan.created_at) or today,
    )
    upcoming = sorted(p for p in planned if last is None or p[0] >= last)
    scheduled, scheduled_id = upcoming[0] if upcoming else (None, None)
    overdue = scheduled is None and due < today
    return PlanStatus(
        plan_id=plan.id,
        client_id=plan.client_id,
        kind=plan.kind,
        title=plan.title,
        every_months=months,
        last_done=last,
        due=due,
        scheduled=scheduled,
        scheduled_visit_id=scheduled_id,
        overdue=overdue,
        days_overdue=(today - due).days if overdue else 0,
    )


def plan_statuses(ctx: AppContext, client_id: str | None = None) -> list[PlanStatus]:
    """The cadence status of one client's plans (or of every client's), soonest due first."""
    with ctx.read() as session:
        rows = plan_statuses_in(session, None if client_id is None else [client_id], ctx.today())
    return sorted(rows, key=lambda s: (s.due, s.kind))


def next_due(ctx: AppContext, client_id: str) -> dt.date | None:
    """The earliest date a visit of any active cadence of the client is due (``None``: no plan)."""
    rows = plan_statuses(ctx, client_id)
    return min((r.due for r in rows), default=None)


def next_due_by_client(
    session: Session, client_ids: list[str], today: dt.date, statuses: list[PlanStatus] | None = None
) -> dict[str, tuple[dt.date, bool]]:
    """``{client_id: (earliest due date, any cadence overdue)}`` for a page of clients: a cadence
    counts on the day of its scheduled visit when one is planned."""
    out: dict[str, tuple[dt.date, bool]] = {}
    if statuses is None:
        statuses = plan_statuses_in(session, client_ids, today)
    for s in statuses:
        # A cadence with a visit on the calendar is next due on that visit's day (as the agenda
        # and the workspace show it), not on the date it fell due before it was scheduled.
        when = s.scheduled if s.scheduled is not None else s.due
        due, overdue = out.get(s.client_id, (when, False))
        out[s.client_id] = (min(due, when), overdue or s.overdue)
    return out


# -- cadence flags, set-wise ------------------------------------------------------------------
class PlanFlag(NamedTuple):
    """Whether one active plan is overdue, computed by SQLite for every plan at once
    (:func:`plan_flags_in`): the same answer as :class:`PlanStatus` (``tests/test_dashboard.py``
    compares them), without loading the visits behind it."""

    plan_id: str
    client_id: str
    kind: str
    title: str | None
    every_months: int
    overdue: bool
    #: Overdue by more than one interval (``every_months`` × 30 days).
    long_overdue: bool
    #: Not computed here (health's texts need :class:`PlanStatus`).
    days_overdue: None = None


def _cutoff(months: int, bound: dt.date) -> dt.date:
    """The first day ``d`` with ``add_months(d, months) >= bound``: a due date ``add_months(base,
    months)`` lies before ``bound`` exactly when ``base`` lies before this day (``add_months`` never
    goes back as its start moves on)."""
    day = add_months(bound, -months) - dt.timedelta(days=40)
    while add_months(day, months) < bound:
        day += dt.timedelta(days=1)
    return day


# The due date of :func:`cadence_due` compared with a bound: with a held visit (the last done
# visit of the kind; for satisfaction surveys also the last survey), ``add_months(last, m)``
# (never before ``starts_on``); else ``starts_on``; else ``add_months(relationship start or the
# plan's day, m)`` — each ``add_months(x, m) < bound`` as ``x < cutoff(m, bound)``. A planned
# visit of the kind on or after the last held one covers the cadence (:func:`_status`). Dates of
# stored times are taken in this computer's time zone ('localtime'), as :func:`local_date` does.
# The last visits and surveys are looked up per plan in the covering indexes (no scan of all
# visits). A planned visit is looked for only for a plan whose due date has passed (a quarter of
# them on the demo portfolio). The client's row is read by primary key for its relationship start
# (SQLite prefers the unique index to the covering ix_clients_live; taking the live plans by ``IN``
# instead saved ~5% on a whole portfolio but drove a manager's scope from every live client).
_PLAN_FLAGS_SQL = """
WITH cut(m, c_today, c_long, d_long) AS MATERIALIZED (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
           json_extract(value, '$[3]')
    FROM json_each(:cuts)
),
plan AS MATERIALIZED (
    SELECT p.id, p.client_id, p.kind, p.title, max(coalesce(p.every_months, 1), 1) AS m,
           p.starts_on, coalesce(c.relationship_since, date(p.created_at, 'localtime')) AS base,
           (SELECT date(max(coalesce(v.done_at, v.planned_start)), 'localtime') FROM visits v
            WHERE v.status = 'done' AND v.client_id = p.client_id AND v.kind = p.kind
              AND v.deleted_at IS NULL) AS visited,
           CASE WHEN p.kind = 'satisfaction_survey' THEN (
               SELECT max(s.conducted_on) FROM surveys s
               WHERE s.client_id = p.client_id AND s.deleted_at IS NULL) END AS surveyed
    FROM visit_plans p
    JOIN clients c ON c.id = p.client_id
    WHERE p.deleted_at IS NULL AND p.active = 1 AND c.deleted_at IS NULL {scope}
),
dated AS (
    SELECT id, client_id, kind, title, m, starts_on, base,
           CASE WHEN surveyed IS NULL OR visited > surveyed THEN visited ELSE surveyed END AS last
    FROM plan
),
passed AS (
    SELECT plan.id, plan.client_id, plan.kind, plan.title, plan.m, plan.last,
        CASE WHEN plan.last IS NOT NULL
                  THEN plan.last < cut.c_today AND (plan.starts_on IS NULL OR plan.starts_on < :today)
             WHEN plan.starts_on IS NOT NULL THEN plan.starts_on < :today
             ELSE plan.base < cut.c_today END AS due_passed,
        CASE WHEN plan.last IS NOT NULL
                  THEN plan.last < cut.c_long AND (plan.starts_on IS NULL OR plan.starts_on < cut.d_long)
             WHEN plan.starts_on IS NOT NULL THEN plan.starts_on < cut.d_long
             ELSE plan.base < cut.c_long END AS long_passed
    -- CROSS JOIN: the plans outside (else SQLite builds an index on the 22,000 plans for 5 cuts)
    FROM dated AS plan CROSS JOIN cut ON cut.m = plan.m
)
SELECT id, client_id, kind, title, m, due_passed, long_passed,
    CASE WHEN due_passed THEN EXISTS (
        SELECT 1 FROM visits v
        WHERE v.deleted_at IS NULL AND v.status = 'planned' AND v.client_id = passed.client_id
          AND v.kind = passed.kind AND (passed.last IS NULL OR date(v.planned_start, 'localtime') >= passed.last)
    ) END AS scheduled
FROM passed
"""


def plan_flags_in(session: Session, client_ids: Iterable[str] | None, today: dt.date) -> list[PlanFlag]:
    """Whether each active plan of these clients (all live clients when ``None``) is overdue,
    computed by SQLite in one statement: what :func:`plan_statuses_in` says of it, for screens
    that need only that (the dashboard, served to standard, at-risk clients)."""
    scope, params = "", {}
    if client_ids is not None:
        scope = "AND p.client_id IN (SELECT value FROM json_each(:ids))"
        params["ids"] = json.dumps(list(dict.fromkeys(client_ids)))
    months = [
        max(1, m or 1)
        for m in session.scalars(
            select(VisitPlan.every_months).where(VisitPlan.deleted_at.is_(None)).distinct()
        )
    ]
    cuts = [
        [
            m,
            str(_cutoff(m, today)),
            str(_cutoff(m, today - dt.timedelta(days=30 * m))),
            str(today - dt.timedelta(days=30 * m)),
        ]
        for m in sorted(set(months))
    ]
    params.update(cuts=json.dumps(cuts), today=str(today))
    # straight to the driver (named parameters as sqlite3 takes them): plain tuples back,
    # without a result processor per value
    # one fetchall (not a fetch per row): 22,000 plans at 10,000 clients
    rows = session.connection().exec_driver_sql(_PLAN_FLAGS_SQL.format(scope=scope), params).fetchall()
    return [
        PlanFlag(pid, cid, kind, title, m, bool(due and not scheduled), bool(long and not scheduled))
        for pid, cid, kind, title, m, due, long, scheduled in rows
    ]


__all__ = [
    "DEFAULT_PLANS",
    "PlanFlag",
    "plan_flags_in",
    "id_list",
    "PlanStatus",
    "add_months",
    "ensure_default_plans",
    "local_date",
    "next_due",
    "next_due_by_client",
    "plan_statuses",
    "plan_statuses_in",
]
