"""The portfolio / business-analysis report's data: pyramid, segments, visits per manager,
overdue visits, satisfaction, complaints, at-risk clients and renewals."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from ...domain.dates import add_months
from ...errors import ValidationError
from ...i18n import _
from ...models import (
    SCORE_FIELDS,
    Client,
    Feedback,
    Survey,
    Visit,
    VisitPlan,
)
from ..context import AppContext
from ..health import POOR, health_in
from ..scheduling import plan_flags_in, plan_statuses_in
from ..scope import scope_condition
from ..standards import ServedFigures, served_figures_from
from .client import _feedback_info
from .common import _local_date, _rows, _user_names
from .records import SurveyInfo


# -- the portfolio / business analysis -------------------------------------------------------------
@dataclass(frozen=True)
class TierRow:
    tier: str
    clients: int
    fees: int | None  # None when hidden
    fee_share: float | None  # 0..1


@dataclass(frozen=True)
class SegmentRow:
    key: str  # a region, an industry or a tier code
    clients: int
    at_risk: int
    fees: int | None


@dataclass(frozen=True)
class ManagerVisits:
    manager: str
    clients: int
    planned: int
    done: int
    overdue: int

    @property
    def rate(self) -> float | None:
        return self.done / self.planned if self.planned else None


@dataclass(frozen=True)
class OverdueVisit:
    client: str
    kind: str
    due: dt.date
    owner: str
    days: int
    never_held: bool = False  # a cadence with no visit of its kind held yet


@dataclass(frozen=True)
class PeriodScore:
    label: str  # "2026-Q1"
    average: float | None
    surveys: int


@dataclass(frozen=True)
class ComplaintMonth:
    label: str  # "2026-03"
    received: int
    answered_on_time: int
    answered_late: int


@dataclass(frozen=True)
class AtRiskClient:
    client: str
    tier: str
    owner: str
    reasons: tuple[str, ...]
    score: int | None = None  # account health 0..100


@dataclass(frozen=True)
class BandRow:
    """A band of the fee pyramid (services.segmentation): A top 20 %, B next 30 %, C the rest."""

    code: str
    label: str
    clients: int
    fees: int
    client_share: float
    fee_share: float


@dataclass(frozen=True)
class MismatchRow:
    """A client whose assigned tier differs from its fee band ("under": serve better)."""

    client: str
    tier: str
    band: str
    fees: int
    direction: str


@dataclass(frozen=True)
class RenewalDue:
    client: str
    tier: str
    owner: str
    date: dt.date
    fees: int | None


@dataclass(frozen=True)
class ServedRow:
    """Clients served to their tier's standard in one group: a tier (``key``: the tier) or an
    account manager (``key``: the manager's name)."""

    key: str
    clients: int
    served: int

    @property
    def share(self) -> float | None:
        return self.served / self.clients if self.clients else None


@dataclass(frozen=True)
class PortfolioData:
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date
    generated_at: dt.datetime
    generated_by: str
    confidential_visible: bool
    clients: int
    paying_clients: int
    total_fees: int | None
    pyramid: tuple[TierRow, ...]
    bands: tuple[BandRow, ...]  # empty for roles that may not see fees
    mismatches: tuple[MismatchRow, ...]
    by_region: tuple[SegmentRow, ...]
    by_industry: tuple[SegmentRow, ...]
    by_tier: tuple[SegmentRow, ...]
    visits_by_manager: tuple[ManagerVisits, ...]
    overdue_visits: tuple[OverdueVisit, ...]
    satisfaction: tuple[PeriodScore, ...]
    complaints: tuple[ComplaintMonth, ...]
    complaints_total: int
    complaints_answered_on_time: int
    complaints_open_overdue: int
    at_risk: tuple[AtRiskClient, ...]
    renewals: tuple[RenewalDue, ...]
    #: Served to the tier's standard (as of today), per tier and per account manager: the
    #: dashboard's figures, from the same function (:func:`.standards.served_figures_from`).
    served: ServedFigures
    served_by_tier: tuple[ServedRow, ...]
    served_by_manager: tuple[ServedRow, ...]

    @property
    def on_time_share(self) -> float | None:
        answered = sum(m.answered_on_time + m.answered_late for m in self.complaints)
        return self.complaints_answered_on_time / answered if answered else None


TIER_ORDER = ("strategic", "key", "standard")


def _months(date_from: dt.date, date_to: dt.date) -> list[str]:
    out, day = [], date_from.replace(day=1)
    while day <= date_to:
        out.append(f"{day.year}-{day.month:02d}")
        day = add_months(day, 1)
    return out


def _quarters(date_from: dt.date, date_to: dt.date) -> list[str]:
    out: list[str] = []
    for m in _months(date_from, date_to):
        year, month = m.split("-")
        q = f"{year}-Q{(int(month) - 1) // 3 + 1}"
        if q not in out:
            out.append(q)
    return out


def load_portfolio(
    ctx: AppContext, *, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> PortfolioData:
    """The figures of the portfolio / business-analysis report for the period (default: the last
    12 months up to today), over the clients the acting user may see. Counts of visits, surveys
    and complaints are for the period; the pyramid, segments, overdue visits, health and renewals
    are as of today. The pyramid and the fee shares count the paying clients (not prospects, not
    lost), as :mod:`.segmentation` does; cadences and health come from :mod:`.scheduling` and
    :mod:`.health`, so the report agrees with the Today screen and the client list."""
    today = ctx.today()
    now = ctx.now()
    date_to = date_to or today
    date_from = date_from or add_months(date_to, -12) + dt.timedelta(days=1)
    if date_from > date_to:
        raise ValidationError("from", _("The start of the period is after its end."))
    secret = ctx.actor.sees_confidential
    unassigned = _("(no account manager)")
    with ctx.read() as session:
        users = _user_names(session)

        def uname(uid: str | None) -> str:
            return users.get(uid, "") if uid else ""

        clients = list(
            session.scalars(
                select(Client).where(Client.deleted_at.is_(None), scope_condition(ctx)).order_by(Client.name)
            )
        )
        ids = [c.id for c in clients]
        visits = _rows(session, Visit, ids)
        plans = {p.id: p for rows in _rows(session, VisitPlan, ids).values() for p in rows}
        feedback = _rows(session, Feedback, ids)
        surveys = _rows(session, Survey, ids)
        statuses = plan_statuses_in(session, ids, today)
        health = health_in(session, ids, now, today, statuses=statuses)
        name_of = {c.id: c.name for c in clients}
        owner_of = {c.id: uname(c.owner_id) or unassigned for c in clients}

        def in_period(value: dt.datetime | dt.date | None) -> bool:
            if value is None:
                return False
            day = _local_date(value) if isinstance(value, dt.datetime) else value
            return date_from <= day <= date_to

        paying = [c for c in clients if c.status not in ("prospect", "lost")]
        fees_of = {c.id: (c.annual_fees or 0) for c in clients}
        total_fees = sum(fees_of[c.id] for c in paying)
        pyramid_rows = []
        for tier in TIER_ORDER:
            members = [c for c in paying if c.tier == tier]
            fees = sum(fees_of[c.id] for c in members)
            pyramid_rows.append(
                TierRow(
                    tier,
                    len(members),
                    fees if secret else None,
                    (fees / total_fees if total_fees else 0.0) if secret else None,
                )
            )
        bands: tuple[BandRow, ...] = ()
        mismatches: tuple[MismatchRow, ...] = ()
        if secret:
            from ..segmentation import pyramid as fee_pyramid

            pyr = fee_pyramid(ctx)
            bands = tuple(
                BandRow(b.code, b.label, b.clients, b.fees, b.client_share, b.fee_share) for b in pyr.bands
            )
            mismatches = tuple(
                MismatchRow(m.client_name, m.tier, m.band, m.fees, m.direction) for m in pyr.mismatches
            )

        def segments(key: Callable[[Client], str | None]) -> tuple[SegmentRow, ...]:
            groups: dict[str, list[Client]] = defaultdict(list)
            for c in paying:
                groups[(key(c) or "").strip() or _("(not recorded)")].append(c)
            rows = [
                SegmentRow(
                    k,
                    len(v),
                    sum(1 for c in v if c.status == "at_risk"),
                    sum(fees_of[c.id] for c in v) if secret else None,
                )
                for k, v in groups.items()
            ]
            rows.sort(key=lambda r: (-(r.fees or 0), -r.clients, r.key))
            return tuple(rows)

        # visits done against planned, per manager; overdue visits and cadences
        per_manager: dict[str, dict[str, int]] = defaultdict(
            lambda: {"clients": 0, "planned": 0, "done": 0, "overdue": 0}
        )
        for c in clients:
            per_manager[owner_of[c.id]]["clients"] += 1
        overdue: list[OverdueVisit] = []
        for c in clients:
            for v in visits.get(c.id, []):
                who = uname(v.owner_id) or owner_of[c.id]
                if v.status != "cancelled" and in_period(v.planned_start):
                    per_manager[who]["planned"] += 1
                    if v.status == "done":
                        per_manager[who]["done"] += 1
                if v.status == "planned" and _local_date(v.planned_start) < today:
                    due = _local_date(v.planned_start)
                    overdue.append(OverdueVisit(c.name, v.kind, due, who, (today - due).days))
                    per_manager[who]["overdue"] += 1
        for st in statuses:
            if st.overdue and st.client_id in name_of:
                plan = plans.get(st.plan_id)
                who = uname(plan.owner_id if plan else None) or owner_of[st.client_id]
                overdue.append(
                    OverdueVisit(
                        name_of[st.client_id], st.kind, st.due, who, st.days_overdue, st.last_done is None
                    )
                )
                per_manager[who]["overdue"] += 1
        overdue.sort(key=lambda o: (-o.days, o.client))
        managers = tuple(
            sorted(
                (
                    ManagerVisits(k, v["clients"], v["planned"], v["done"], v["overdue"])
                    for k, v in per_manager.items()
                ),
                key=lambda m: (m.manager == unassigned, m.manager),
            )
        )
        # satisfaction per quarter
        scores: dict[str, list[float]] = defaultdict(list)
        for c in clients:
            for sv in surveys.get(c.id, []):
                overall = SurveyInfo(
                    sv.conducted_on, sv.respondent, tuple(getattr(sv, f) for f in SCORE_FIELDS), sv.comments
                ).overall
                if overall is not None and in_period(sv.conducted_on):
                    scores[f"{sv.conducted_on.year}-Q{(sv.conducted_on.month - 1) // 3 + 1}"].append(overall)
        satisfaction = tuple(
            PeriodScore(q, sum(scores[q]) / len(scores[q]) if scores[q] else None, len(scores[q]))
            for q in _quarters(date_from, date_to)
        )
        # complaints (and appeals): received per month, answered on time or late
        months = {m: [0, 0, 0] for m in _months(date_from, date_to)}
        total = on_time_total = open_overdue = 0
        for c in clients:
            for f in feedback.get(c.id, []):
                if f.kind not in ("complaint", "appeal"):
                    continue
                info = _feedback_info(f, uname, now)
                if info.overdue:
                    open_overdue += 1
                if not in_period(f.received_at):
                    continue
                day = _local_date(f.received_at)
                key = f"{day.year}-{day.month:02d}"
                total += 1
                months[key][0] += 1
                if info.answered_on_time is True:
                    months[key][1] += 1
                    on_time_total += 1
                elif info.answered_on_time is False:
                    months[key][2] += 1
        complaints = tuple(ComplaintMonth(k, *v) for k, v in months.items())
        # at-risk clients: status "at risk" or poor health, with the reasons
        at_risk = []
        for c in clients:
            h = health.get(c.id)
            if c.status != "at_risk" and (h is None or h.level != POOR):
                continue
            reasons = ([_("status is “at risk”")] if c.status == "at_risk" else []) + [
                r.text for r in (h.reasons if h else []) if r.impact < 0
            ]
            at_risk.append(
                AtRiskClient(
                    c.name, c.tier, owner_of[c.id], tuple(dict.fromkeys(reasons)), h.score if h else None
                )
            )
        at_risk.sort(key=lambda a: (a.score if a.score is not None else 100, a.client))
        # served to standard: the dashboard's figures, from the same function over the same
        # set-wise cadence flags
        served = served_figures_from(
            session, [(c.id, c.tier, c.owner_id) for c in clients], plan_flags_in(session, ids, today)
        )
        served_by_tier = tuple(ServedRow(f.key or "", f.clients, f.served) for f in served.by_tier)
        served_by_manager = tuple(
            sorted(
                (ServedRow(uname(f.key) or unassigned, f.clients, f.served) for f in served.by_manager),
                key=lambda r: (r.key == unassigned, r.key),
            )
        )
        horizon = add_months(today, 3)
        renewals = tuple(
            sorted(
                (
                    RenewalDue(
                        c.name,
                        c.tier,
                        owner_of[c.id],
                        c.contract_renewal_date,
                        c.annual_fees if secret else None,
                    )
                    for c in clients
                    if c.contract_renewal_date is not None
                    and add_months(today, -1) <= c.contract_renewal_date <= horizon
                    and c.status != "lost"
                ),
                key=lambda r: r.date,
            )
        )
        return PortfolioData(
            date_from=date_from,
            date_to=date_to,
            as_of=today,
            generated_at=now,
            generated_by=ctx.actor.display_name,
            confidential_visible=secret,
            clients=len(clients),
            paying_clients=len(paying),
            total_fees=total_fees if secret else None,
            pyramid=tuple(pyramid_rows),
            bands=bands,
            mismatches=mismatches,
            by_region=segments(lambda c: c.province),
            by_industry=segments(lambda c: c.industry),
            by_tier=tuple(
                sorted(
                    segments(lambda c: c.tier),
                    key=lambda r: TIER_ORDER.index(r.key) if r.key in TIER_ORDER else 9,
                )
            ),
            visits_by_manager=managers,
            overdue_visits=tuple(overdue),
            satisfaction=satisfaction,
            complaints=complaints,
            complaints_total=total,
            complaints_answered_on_time=on_time_total,
            complaints_open_overdue=open_overdue,
            at_risk=tuple(at_risk),
            renewals=renewals,
            served=served,
            served_by_tier=served_by_tier,
            served_by_manager=served_by_manager,
        )
