"""Account health (客户健康度): a 0–100 score with the reasons behind it.

The score starts at 100 and each finding takes points off (a few add some back):

- **visit recency against cadence**: each active visit cadence that is overdue costs 8 points,
  16 when more than one full interval overdue (no plan at all and no held visit in 90 days:
  10 points);
- **surveys**: the last survey's overall score (``score_overall``, else the mean of the scores,
  1–5) below 3 costs 20, below 3.5 costs 10; a drop of 0.5 or more against the previous survey
  costs 10, a rise of 0.5 or more gives 5 back; no survey in 18 months costs 5;
- **complaints**: each open complaint (not yet answered or closed) costs 6 (at most 18), each
  open complaint past its deadline 10 more (at most 30);
- **risk flags**: each active flag costs by severity: low 5, medium 10, high 15, critical 20
  (at most 40).

Levels: ``good`` from 75, ``watch`` from 50, ``poor`` below. Derived on demand, never stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ..domain.feedback import OPEN_STATUSES, effective_due
from ..domain.surveys import overall_score
from ..errors import NotFoundError
from ..i18n import N_, _
from ..labels import label
from ..models import SCORE_FIELDS, Client, Feedback, RiskFlag, Survey, Visit
from ..models.enums import RiskKind, Severity, VisitKind, VisitStatus
from .context import AppContext
from .scheduling import PlanFlag, PlanStatus, id_list, local_date, next_due_by_client, plan_statuses_in

GOOD, WATCH, POOR = "good", "watch", "poor"
LEVEL_FLOORS = ((75, GOOD), (50, WATCH))
RISK_IMPACT = {
    Severity.LOW.value: 5,
    Severity.MEDIUM.value: 10,
    Severity.HIGH.value: 15,
    Severity.CRITICAL.value: 20,
}


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    impact: int  # points added (negative: taken off)


@dataclass(frozen=True)
class Health:
    score: int
    level: str
    reasons: list[Reason] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "level": self.level,
            "reasons": [{"code": r.code, "text": r.text, "impact": r.impact} for r in self.reasons],
        }


#: Points an overdue cadence costs; more than one interval overdue.
OVERDUE_PENALTY, LONG_OVERDUE_PENALTY = 8, 16
#: Points a client without any active plan and without a visit held in 90 days loses.
NO_PLAN_PENALTY = 10
#: Points each open complaint or appeal costs, and the most they cost together.
COMPLAINT_PENALTY, COMPLAINT_MAX_PENALTY = 6, 18
#: Points each open complaint past its deadline costs more, and the most they cost together.
LATE_COMPLAINT_PENALTY, LATE_COMPLAINT_MAX_PENALTY = 10, 30
#: The most the active risk flags cost together (each by its severity: ``RISK_IMPACT``).
RISK_MAX_PENALTY = 40
#: The most the surveys take off: a low last survey (20), a fall in satisfaction (10), no survey
#: for 18 months (5) (:data:`SURVEY_IMPACT`).
SURVEY_MAX_PENALTY = 20 + 10 + 5
#: The most a client loses without an overdue cadence, an open complaint or appeal and an active
#: risk flag (the reasons below): no plan and no visit in 90 days (10) and the surveys'. Such a
#: client is never poor, so :func:`poor_candidates_in` leaves it out (``tests/test_health.py``
#: holds the sum to the reasons).
QUIET_MAX_PENALTY = NO_PLAN_PENALTY + SURVEY_MAX_PENALTY
#: Up to this many clients :func:`poor_candidates_in` asks SQLite for their complaints and flags by
#: id; for more it reads every open complaint and active flag and leaves the others out.
CANDIDATE_LOOKUP_IDS = 500


def poor_candidates_in(
    session: Session,
    ids: list[str],
    statuses: Iterable[PlanStatus | PlanFlag],
    today: dt.date | None = None,
) -> set[str]:
    """The clients among ``ids`` whose health may be poor, so that a screen listing the poor ones
    computes the health of those only: the clients whose score would fall below the poor line
    with the most every reason can cost them, from what is known without reading their surveys
    and deadlines — their overdue cadences (``statuses``: the states of their plans; no plan:
    the points for having none), their open complaints and appeals counted all past their
    deadline, their active risk flags by severity — and the worst surveys. The bound takes its
    points from the constants the score is made with (``tests/test_health.py`` holds it to the
    scores). With ``today``, the clients that this bound keeps have their surveys read (their
    last two, the few thousand rows of those clients only) and count the survey points they
    really lose, by the rule health scores them with (:func:`_survey_codes`): on the
    10,000-client demo portfolio the worst surveys keep 1,895 clients, their real ones 124 (115
    of them poor)."""
    poor_line = LEVEL_FLOORS[-1][0]
    if 100 - QUIET_MAX_PENALTY < poor_line:  # pragma: no cover - a change of the weights
        return set(ids)
    points: dict[str, int] = dict.fromkeys(ids, NO_PLAN_PENALTY)
    planned: set[str] = set()
    for s in statuses:
        cid = s.client_id
        if cid not in points:
            continue
        if cid not in planned:  # a client with a plan never loses the points for having none
            planned.add(cid)
            points[cid] -= NO_PLAN_PENALTY
        if s.overdue:
            points[cid] += LONG_OVERDUE_PENALTY if s.long_overdue else OVERDUE_PENALTY
    # many clients (a whole portfolio): every open complaint and active flag, those of other
    # clients left out here, instead of SQLite looking 10,000 ids up (~20 ms); Core execution
    # (plain rows, without the ORM's loading of each)
    by_id = len(ids) <= CANDIDATE_LOOKUP_IDS
    complaints = select(Feedback.client_id, func.count()).where(
        Feedback.deleted_at.is_(None),
        Feedback.kind.in_(["complaint", "appeal"]),
        Feedback.status.in_(sorted(OPEN_STATUSES)),
    )
    flags = select(RiskFlag.client_id, RiskFlag.severity, func.count()).where(
        RiskFlag.deleted_at.is_(None), RiskFlag.cleared_at.is_(None)
    )
    if by_id:
        complaints = complaints.where(Feedback.client_id.in_(id_list(ids)))
        flags = flags.where(RiskFlag.client_id.in_(id_list(ids)))
    conn = session.connection()
    for complained, n in conn.execute(complaints.group_by(Feedback.client_id)):
        if complained in points:  # every open one counted past its deadline too
            points[complained] += min(COMPLAINT_MAX_PENALTY, COMPLAINT_PENALTY * n) + min(
                LATE_COMPLAINT_MAX_PENALTY, LATE_COMPLAINT_PENALTY * n
            )
    risks: dict[str, int] = defaultdict(int)
    for flagged, severity, n in conn.execute(flags.group_by(RiskFlag.client_id, RiskFlag.severity)):
        if flagged in points:
            risks[flagged] += _risk_impact(severity) * n
    for cid, total in risks.items():
        points[cid] += min(RISK_MAX_PENALTY, total)
    loose = {cid: lost for cid, lost in points.items() if 100 - lost - SURVEY_MAX_PENALTY < poor_line}
    if today is None or not loose:
        return set(loose)
    surveys = _last_surveys(session, id_list(loose))
    kept: set[str] = set()
    for cid, lost in loose.items():
        last = surveys.get(cid)
        if last is not None:
            lost -= sum(SURVEY_IMPACT[code] for code in _survey_codes(*last, today))
        if 100 - lost < poor_line:
            kept.add(cid)
    return kept


def _risk_impact(severity: str | None) -> int:
    return RISK_IMPACT.get(str(severity), 10)


def level_of(score: int) -> str:
    for floor, level in LEVEL_FLOORS:
        if score >= floor:
            return level
    return POOR


def level_label(level: str) -> str:
    return {GOOD: _("Good"), WATCH: _("Watch"), POOR: _("Poor")}.get(level, level)


class SurveyScores(Protocol):
    """A survey's scores: a :class:`~accountdesk.models.Survey` or a row of its score columns
    (the other scores, :data:`~accountdesk.models.SCORE_FIELDS`, are read by name)."""

    @property
    def score_overall(self) -> int | None: ...


def survey_score(s: SurveyScores) -> float | None:
    """The overall score of a survey: ``score_overall``, else the mean of the scores given."""
    return overall_score([getattr(s, f) for f in SCORE_FIELDS])


def client_health(ctx: AppContext, client_id: str) -> Health:
    with ctx.read() as session:
        client = session.get(Client, client_id)
        if client is None or client.deleted_at is not None:
            raise NotFoundError(_("The client no longer exists (it may have been deleted)."))
        return health_in(session, [client_id], ctx.now(), ctx.today())[client_id]


def health_for_clients(ctx: AppContext, ids: Iterable[str]) -> dict[str, Health]:
    """Health of many clients at once (a few batched queries per 500 clients)."""
    with ctx.read() as session:
        return health_in(session, list(ids), ctx.now(), ctx.today())


class PageExtras(TypedDict):
    """The health and next-due columns of one row of the client list."""

    health_score: int | None
    health_level: str | None
    next_due: dt.date | None
    overdue: bool


def page_extras(ctx: AppContext, session: Session, ids: list[str]) -> dict[str, PageExtras]:
    """The health and next-due columns of a page of the client list."""
    now, today = ctx.now(), ctx.today()
    statuses = plan_statuses_in(session, ids, today)
    healths = health_in(session, ids, now, today, statuses=statuses, texts=False)
    dues = next_due_by_client(session, ids, today, statuses)
    out: dict[str, PageExtras] = {}
    for cid in ids:
        h = healths.get(cid)
        due, overdue = dues.get(cid, (None, False))
        out[cid] = {
            "health_score": h.score if h else None,
            "health_level": h.level if h else None,
            "next_due": due,
            "overdue": overdue,
        }
    return out


def health_in(
    session: Session,
    ids: list[str],
    now: dt.datetime,
    today: dt.date,
    *,
    statuses: list[PlanStatus] | list[PlanFlag] | None = None,
    texts: bool = True,
    reasons: bool = True,
) -> dict[str, Health]:
    """Health of the clients ``ids`` (``statuses``: their plan statuses, when already known —
    with ``texts=False`` also the set-wise :class:`~.scheduling.PlanFlag` of every active plan;
    ``texts=False``: reasons without their text, for list pages; ``reasons=False``: the score and
    level only, an empty list of reasons, for screens that list scores)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    if statuses is None:
        statuses = plan_statuses_in(session, ids, today)
    plans: dict[str, list[PlanStatus | PlanFlag]] = defaultdict(list)
    for s in statuses:
        plans[s.client_id].append(s)
    out: dict[str, Health] = {}
    for i in range(0, len(ids), 5000):
        out.update(_health_chunk(session, ids[i : i + 5000], plans, now, today, texts, reasons))
    return out


def _health_chunk(
    session: Session,
    ids: list[str],
    plans: dict[str, list[PlanStatus | PlanFlag]],
    now: dt.datetime,
    today: dt.date,
    texts: bool,
    with_reasons: bool = True,
) -> dict[str, Health]:
    # (code, impact, msgid, values): texts are made at the end, and only when asked for (a
    # page of the client list needs the scores only). A value (enum, code) becomes its label.
    reasons: dict[str, list[tuple[str, int, str, dict[str, Any]]]] = defaultdict(list)

    def add(cid: str, code: str, impact: int, msgid: str, **values: Any) -> None:
        reasons[cid].append((code, impact, msgid, values))

    in_ids = id_list(ids)

    # Visits against cadence; the last visit held matters only for clients without a plan.
    last_visit: dict[str, dt.date] = {}
    unplanned = [cid for cid in ids if not plans.get(cid)]
    for cid, when in (
        session.execute(
            select(Visit.client_id, func.max(func.coalesce(Visit.done_at, Visit.planned_start)))
            .where(
                Visit.client_id.in_(id_list(unplanned)),
                Visit.deleted_at.is_(None),
                Visit.status == VisitStatus.DONE.value,
            )
            .group_by(Visit.client_id)
        )
        if unplanned
        else ()
    ):
        if cid is not None and when is not None:  # (the query asks for clients' visits)
            if isinstance(when, str):
                when = dt.datetime.fromisoformat(when)
            last_visit[cid] = local_date(when)
    for cid in ids:
        statuses = plans.get(cid, [])
        for s in statuses:
            if not s.overdue:
                continue
            visit = (VisitKind, s.kind) if s.kind != VisitKind.CUSTOM.value or not s.title else s.title
            if s.long_overdue:
                add(
                    cid,
                    "visit_long_overdue",
                    -LONG_OVERDUE_PENALTY,
                    N_("{visit} overdue by {days} days (more than one interval)"),
                    visit=visit,
                    days=s.days_overdue,
                )
            else:
                add(
                    cid,
                    "visit_overdue",
                    -OVERDUE_PENALTY,
                    N_("{visit} overdue by {days} days"),
                    visit=visit,
                    days=s.days_overdue,
                )
        if not statuses:
            last = last_visit.get(cid)
            if last is None or (today - last).days > 90:
                add(
                    cid,
                    "no_recent_visit",
                    -NO_PLAN_PENALTY,
                    N_("No visit plan and no visit held in the last 90 days"),
                )

    # Surveys: the last two, by date (the clients with a survey only).
    for cid, (on, score, prev) in _last_surveys(session, in_ids).items():
        for code in _survey_codes(on, score, prev, today):
            impact = SURVEY_IMPACT[code]
            if code in ("survey_low", "survey_mediocre"):
                msgid = N_("Last satisfaction survey scored {score} of 5")
                add(cid, code, impact, msgid, score=f"{score:.1f}")
            elif code == "survey_decline":
                msgid = N_("Satisfaction fell from {before} to {after}")
                add(cid, code, impact, msgid, before=f"{prev:.1f}", after=f"{score:.1f}")
            elif code == "survey_improved":
                msgid = N_("Satisfaction rose from {before} to {after}")
                add(cid, code, impact, msgid, before=f"{prev:.1f}", after=f"{score:.1f}")
            else:
                add(cid, code, impact, N_("No satisfaction survey in the last 18 months"))

    # Open complaints and their deadlines.
    open_count: dict[str, int] = defaultdict(int)
    late_count: dict[str, int] = defaultdict(int)
    for f in session.connection().execute(
        select(Feedback.client_id, Feedback.due_at, Feedback.paused_seconds, Feedback.paused_since).where(
            Feedback.client_id.in_(in_ids),
            Feedback.deleted_at.is_(None),
            Feedback.kind.in_(["complaint", "appeal"]),
            Feedback.status.in_(sorted(OPEN_STATUSES)),
        )
    ):
        open_count[f.client_id] += 1
        due = effective_due(f, now)
        if due is not None and due < now:
            late_count[f.client_id] += 1
    for cid, n in open_count.items():  # an overdue complaint is an open one
        if n:
            add(
                cid,
                "open_complaints",
                -min(COMPLAINT_MAX_PENALTY, COMPLAINT_PENALTY * n),
                N_("{n} open complaint") if n == 1 else N_("{n} open complaints"),
                n=n,
            )
        late = late_count.get(cid, 0)
        if late:
            add(
                cid,
                "overdue_complaints",
                -min(LATE_COMPLAINT_MAX_PENALTY, LATE_COMPLAINT_PENALTY * late),
                N_("{n} complaint past its deadline")
                if late == 1
                else N_("{n} complaints past their deadline"),
                n=late,
            )

    # Active risk flags.
    risk_total: dict[str, int] = defaultdict(int)
    for flag in session.connection().execute(
        select(RiskFlag.client_id, RiskFlag.kind, RiskFlag.severity)
        .where(RiskFlag.client_id.in_(in_ids), RiskFlag.deleted_at.is_(None), RiskFlag.cleared_at.is_(None))
        .order_by(RiskFlag.raised_at)
    ):
        impact = _risk_impact(flag.severity)
        room = RISK_MAX_PENALTY - risk_total[flag.client_id]
        impact = min(impact, max(room, 0))
        risk_total[flag.client_id] += impact
        add(
            flag.client_id,
            "risk_flag",
            -impact,
            N_("Risk: {kind} ({severity})"),
            kind=(RiskKind, flag.kind),
            severity=(Severity, flag.severity),
        )

    out = {}
    if not with_reasons:
        for cid in ids:
            score = max(0, min(100, 100 + sum(r[1] for r in reasons.get(cid, ()))))
            out[cid] = Health(score, level_of(score), [])
        return out
    for cid in ids:
        found = sorted(reasons.get(cid, []), key=lambda r: r[1])
        score = max(0, min(100, 100 + sum(r[1] for r in found)))
        rs = [
            Reason(code, _text(msgid, values) if texts else "", impact)
            for code, impact, msgid, values in found
        ]
        out[cid] = Health(score, level_of(score), rs)
    return out


#: Points each survey finding adds (taken off: negative); :func:`_survey_codes` says which apply.
SURVEY_IMPACT = {
    "survey_low": -20,
    "survey_mediocre": -10,
    "survey_decline": -10,
    "survey_improved": 5,
    "survey_stale": -5,
}


def _last_surveys(session: Session, in_ids: Any) -> dict[str, tuple[dt.date, float, float | None]]:
    """Per client among ``in_ids`` (a SELECT of ids) with a scored survey: the date and overall
    score of its last scored survey and the score of the one before, of its last two surveys by
    date. Every survey of these clients read in the order of ix_surveys_last (client, date,
    creation: no sort, half the time of numbering them with a window)."""
    surveys: dict[str, list[Row[*tuple[Any, ...]]]] = defaultdict(list)
    # (Core execution and one fetch: plain rows, without the ORM's loading of each row)
    for sv in (
        session.connection()
        .execute(
            select(Survey.client_id, Survey.conducted_on, *[getattr(Survey, f) for f in SCORE_FIELDS])
            .where(Survey.client_id.in_(in_ids), Survey.deleted_at.is_(None))
            .order_by(Survey.client_id, Survey.conducted_on, Survey.created_at)
        )
        .all()
    ):
        surveys[sv[0]].append(sv)
    out: dict[str, tuple[dt.date, float, float | None]] = {}
    for cid, taken in surveys.items():
        # the last two by date, latest first; the scores by position (SCORE_FIELDS after the
        # client and the date): a Row's attributes cost a look-up each
        scored = [(sv[1], sc) for sv in taken[:-3:-1] if (sc := overall_score(sv[2:])) is not None]
        if scored:
            out[cid] = (scored[0][0], scored[0][1], scored[1][1] if len(scored) > 1 else None)
    return out


def _survey_codes(on: dt.date, score: float, prev: float | None, today: dt.date) -> list[str]:
    """The survey findings of a client (codes of :data:`SURVEY_IMPACT`) from its last scored
    survey (date, score) and the score of the one before: the one rule of health's survey section
    and of :func:`poor_candidates_in`."""
    codes = []
    if score < 3:
        codes.append("survey_low")
    elif score < 3.5:
        codes.append("survey_mediocre")
    if prev is not None:
        if score - prev <= -0.5:
            codes.append("survey_decline")
        elif score - prev >= 0.5:
            codes.append("survey_improved")
    if (today - on).days > 548:
        codes.append("survey_stale")
    return codes


def _text(msgid: str, values: dict[str, Any]) -> str:
    shown = {k: label(*v) if isinstance(v, tuple) else v for k, v in values.items()}
    return _(msgid).format(**shown)


__all__ = [
    "COMPLAINT_MAX_PENALTY",
    "COMPLAINT_PENALTY",
    "LATE_COMPLAINT_MAX_PENALTY",
    "LATE_COMPLAINT_PENALTY",
    "LONG_OVERDUE_PENALTY",
    "NO_PLAN_PENALTY",
    "RISK_MAX_PENALTY",
    "OVERDUE_PENALTY",
    "QUIET_MAX_PENALTY",
    "SURVEY_MAX_PENALTY",
    "poor_candidates_in",
    "Health",
    "Reason",
    "client_health",
    "health_for_clients",
    "level_label",
    "level_of",
    "page_extras",
    "survey_score",
]
