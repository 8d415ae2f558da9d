"""The supervisor's dashboard (and a manager's "My portfolio"): the figures behind its charts,
each with the list of clients behind it for the click-through.

The definitions are those of the portfolio report (:func:`.dossier.load_portfolio`), so the
screen and the PDF show the same numbers (``tests/test_dashboard.py`` compares them on the demo
profile): the pyramid counts the paying clients (not prospects, not lost) per tier; visits
"planned" are the visits not cancelled whose start lies in the period, "done" those of them held,
counted for the visit's owner (else the client's); satisfaction is the average overall score
per quarter of the surveys taken in the period; renewals are due from a month ago to three
months ahead (clients not lost); at-risk clients have the status "at risk" or poor health.
Complaints by age and severity are the open complaints and appeals (not answered, not closed)
by days since they came in. Here they are computed with aggregate queries, not by loading every
row as the report does: the period's visits from covering indexes (on a whole portfolio in
owner order, ``ix_visits_owner_period``, without sorting every visit of the period; a whole
portfolio's rows are those of any client but a deleted one, not looked up client by client),
served to standard and the at-risk clients from cadence flags SQLite computes for every plan at
once (:func:`.scheduling.plan_flags_in`), health only for the clients that may be poor
(:func:`.health.poor_candidates_in`, with each kept client's surveys counted as they are). The screen runs the two steps side by side, each on its own
read connection (:func:`load_dashboard` with ``standing=False``, and :func:`load_standing`).
Figures on 10,000 clients: ``benchmarks/bench_dashboard.py`` (the target is every figure within
500 ms; measured in issue 16's note).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..domain.dates import add_months
from ..domain.surveys import overall_score
from ..errors import ValidationError
from ..i18n import N_, _
from ..models import SCORE_FIELDS, Client, Feedback, Survey, User, Visit
from .context import AppContext
from .scheduling import id_list, local_date, plan_flags_in
from .scope import scope_condition
from .standards import ServedFigures, served_figures_from

TIER_ORDER = ("strategic", "key", "standard")
#: Age buckets of open complaints: (upper bound in days or None, label).
AGE_BUCKETS: tuple[tuple[int | None, str], ...] = (
    (7, N_("up to 7 days")),
    (30, N_("8 to 30 days")),
    (90, N_("31 to 90 days")),
    (None, N_("over 90 days")),
)
SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class TierFigure:
    tier: str
    clients: int
    #: Annual fees of the tier's paying clients (``None``: the user may not see fees).
    fees: int | None


@dataclass(frozen=True)
class ManagerFigure:
    user_id: str | None
    name: str
    planned: int
    done: int


@dataclass(frozen=True)
class QuarterScore:
    label: str
    average: float | None
    surveys: int


@dataclass(frozen=True)
class ComplaintCell:
    age: int  # index into AGE_BUCKETS
    severity: str
    count: int
    client_ids: tuple[str, ...]


@dataclass(frozen=True)
class ClientMark:
    client_id: str
    name: str
    tier: str
    owner_id: str | None
    date: dt.date | None = None
    score: int | None = None


@dataclass(frozen=True)
class Dashboard:
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date
    owner_id: str | None
    clients: int
    pyramid: tuple[TierFigure, ...]
    visits: tuple[ManagerFigure, ...]
    complaints: tuple[ComplaintCell, ...]
    satisfaction: tuple[QuarterScore, ...]
    renewals: tuple[ClientMark, ...]
    at_risk: tuple[ClientMark, ...]
    served: ServedFigures
    fees_visible: bool = True
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def complaints_count(self) -> int:
        return sum(c.count for c in self.complaints)


def period(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period of a preset: ``month``, ``quarter``, ``half``, ``year`` (to date) or ``12m``
    (the last twelve months, the report's default)."""
    if preset == "month":
        return today.replace(day=1), today
    if preset == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "half":
        return today.replace(month=1 if today.month <= 6 else 7, day=1), today
    if preset == "year":
        return today.replace(month=1, day=1), today
    if preset == "12m":
        return add_months(today, -12) + dt.timedelta(days=1), today
    raise ValidationError("period", _("Unknown period: {name}").format(name=preset))


def _quarters(date_from: dt.date, date_to: dt.date) -> list[str]:
    out, day = [], date_from.replace(day=1)
    while day <= date_to:
        label = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        if label not in out:
            out.append(label)
        day = add_months(day, 1)
    return out


def _utc_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local days ``date_from``..``date_to`` as UTC instants (start inclusive, end exclusive)."""
    start = dt.datetime.combine(date_from, dt.time()).astimezone()
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()).astimezone()
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


# The visits of the period per owner, in owner order from ix_visits_owner_period (``+`` keeps
# SQLite from taking the start's own index and sorting every visit of the period by owner), less
# those of deleted clients; the visits without an owner (usually none) per their client's manager.
_VISITS_OWNED_SQL = """
SELECT v.owner_id, count(*), sum(v.status = 'done') FROM visits v
WHERE v.deleted_at IS NULL AND v.owner_id IS NOT NULL AND v.status != 'cancelled'
  AND +v.planned_start >= :start AND +v.planned_start < :end AND v.client_id IS NOT NULL
  AND v.client_id NOT IN (SELECT id FROM clients WHERE deleted_at IS NOT NULL)
GROUP BY v.owner_id
"""
_VISITS_UNOWNED_SQL = """
SELECT c.owner_id, count(*), sum(v.status = 'done') FROM visits v JOIN clients c ON c.id = v.client_id
WHERE v.deleted_at IS NULL AND v.owner_id IS NULL AND v.status != 'cancelled'
  AND v.planned_start >= :start AND v.planned_start < :end AND c.deleted_at IS NULL
GROUP BY c.owner_id
"""


def _visits_per_manager_whole(
    session: Session, start: dt.datetime, end: dt.datetime
) -> dict[str | None, tuple[int, int]]:
    """``{manager: (planned, done)}`` of the period's visits on every live client."""
    # stored as naive UTC text (models/base.py): the bounds in the same form
    params = {
        "start": start.replace(tzinfo=None).isoformat(" ", "microseconds"),
        "end": end.replace(tzinfo=None).isoformat(" ", "microseconds"),
    }
    conn = session.connection()
    out: dict[str | None, tuple[int, int]] = {}
    for sql in (_VISITS_OWNED_SQL, _VISITS_UNOWNED_SQL):
        for who, planned, done in conn.exec_driver_sql(sql, params).fetchall():
            had = out.get(who, (0, 0))
            out[who] = (had[0] + planned, had[1] + (done or 0))
    return out


@dataclass(frozen=True)
class Standing:
    """The figures that depend on every cadence and on health (as of today, whatever the
    period): served to standard and the at-risk clients. The slow half of the dashboard."""

    served: ServedFigures
    at_risk: tuple[ClientMark, ...]
    timings: dict[str, float] = field(default_factory=dict, compare=False)


def load_standing(ctx: AppContext, *, owner_id: str | None = None) -> Standing:
    """Served to standard and the at-risk clients, over the clients the acting user sees
    (``owner_id``: one manager's)."""
    import time

    from .health import POOR, health_in, poor_candidates_in

    today, now = ctx.today(), ctx.now()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    with ctx.read() as session:
        cond = [Client.deleted_at.is_(None), scope_condition(ctx)]
        if owner_id is not None:
            cond.append(Client.owner_id == owner_id)
        # unpacked by position below (a Row's attributes cost a lookup each: 10,000 rows here);
        # from the covering ix_clients_live (the names only of the clients listed, below)
        rows = (
            session.connection()
            .execute(select(Client.id, Client.tier, Client.status, Client.owner_id).where(*cond))
            .all()
        )
        ids = [r[0] for r in rows]
        whole = owner_id is None and ctx.actor.sees_all_clients
        # whether each cadence is overdue, computed by SQLite for every plan at once
        flags = plan_flags_in(session, None if whole else ids, today)
        timings["cadences"] = time.perf_counter() - t
        t = time.perf_counter()
        served = served_figures_from(session, [(cid, tier, owner) for cid, tier, _s, owner in rows], flags)
        # the health of the clients that may be poor only (the others cannot fall below 50), and
        # of those listed for their status, whose score the list shows and sorts by (as the
        # portfolio report does)
        maybe = poor_candidates_in(session, ids, flags, today)
        maybe.update(cid for cid, _t, status, _o in rows if status == "at_risk")
        health = health_in(
            session,
            [i for i in ids if i in maybe],
            now,
            today,
            statuses=[f for f in flags if f.client_id in maybe],
            reasons=False,
        )
        listed = [
            (cid, tier, owner, health.get(cid))
            for cid, tier, status, owner in rows
            if status == "at_risk" or ((h := health.get(cid)) is not None and h.level == POOR)
        ]
        names = dict(
            session.execute(
                select(Client.id, Client.name).where(Client.id.in_(id_list(c[0] for c in listed)))
            ).all()
        )
        timings["health"] = time.perf_counter() - t
    at_risk = [
        ClientMark(cid, names[cid], tier, owner, score=h.score if h else None)
        for cid, tier, owner, h in listed
    ]
    at_risk.sort(key=lambda m: (m.score if m.score is not None else 100, m.name))
    return Standing(served, tuple(at_risk), timings)


def load_dashboard(
    ctx: AppContext,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    owner_id: str | None = None,
    standing: Standing | None | bool = True,
) -> Dashboard:
    """The dashboard over the clients the acting user sees (``owner_id``: only that account
    manager's clients: "My portfolio"), for the period (default: the last twelve months).
    ``standing``: ``True`` computes served-to-standard and at-risk too; a :class:`Standing`
    already loaded is used as it is; ``False`` leaves them empty (the screen loads them
    separately, see :func:`load_standing`)."""
    import time

    today = ctx.today()
    date_to = date_to or today
    date_from = date_from or add_months(date_to, -12) + dt.timedelta(days=1)
    if date_from > date_to:
        raise ValidationError("from", _("The start of the period is after its end."))
    secret = ctx.actor.sees_confidential
    start, end = _utc_bounds(date_from, date_to)
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        timings[name] = time.perf_counter() - t
        t = time.perf_counter()

    with ctx.read() as session:
        cond = [Client.deleted_at.is_(None), scope_condition(ctx)]
        if owner_id is not None:
            cond.append(Client.owner_id == owner_id)
        # counted by SQLite, not by loading every client: the pyramid and tier against fees
        # (paying clients), the number of clients and their account managers
        total = session.scalar(select(func.count()).select_from(Client).where(*cond)) or 0
        counts = {tier: [0, 0] for tier in TIER_ORDER}
        for tier, n, fees in session.execute(
            select(Client.tier, func.count(), func.coalesce(func.sum(Client.annual_fees), 0))
            .where(*cond, Client.status.not_in(("prospect", "lost")))
            .group_by(Client.tier)
        ):
            counts[tier] = [n, int(fees or 0)]
        pyramid = tuple(TierFigure(t_, n, fees if secret else None) for t_, (n, fees) in counts.items())
        owners = set(session.scalars(select(Client.owner_id).where(*cond).distinct()))
        mine = select(Client.id).where(*cond)
        # the whole portfolio (a supervisor's): rows of any client but a deleted one (usually
        # none, from ix_clients_deleted) instead of a look-up of every row's client among 10,000
        whole = owner_id is None and ctx.actor.sees_all_clients
        deleted = select(Client.id).where(Client.deleted_at.is_not(None))

        def of_mine(column: Any) -> Any:
            if whole:
                return and_(column.is_not(None), column.not_in(deleted))
            return column.in_(mine)

        lap("clients")
        # visits done against planned, per manager (the visit's owner, else the client's)
        if whole:
            per_user = _visits_per_manager_whole(session, start, end)
        else:
            # the period's visits of each client in scope, from the covering index
            # ix_visits_period; the client's manager looked up only for a visit without an owner
            client_owner = select(Client.owner_id).where(Client.id == Visit.client_id).scalar_subquery()
            who = func.coalesce(Visit.owner_id, client_owner)
            stmt = (
                select(
                    who.label("who"),
                    func.count().label("planned"),
                    func.sum(case((Visit.status == "done", 1), else_=0)).label("done"),
                )
                .select_from(Visit)
                .where(
                    Visit.deleted_at.is_(None),
                    Visit.status != "cancelled",
                    Visit.client_id.in_(mine),
                    Visit.planned_start >= start,
                    Visit.planned_start < end,
                )
                .group_by(who)
            )
            per_user = {w: (p, d or 0) for w, p, d in session.execute(stmt)}
        for owner in owners:
            per_user.setdefault(owner, (0, 0))
        names = {u: n for u, n in session.execute(select(User.id, User.display_name))}
        unassigned = _("(no account manager)")
        visits = tuple(
            sorted(
                (
                    ManagerFigure(u, names.get(u, "") if u else unassigned, p, d)
                    for u, (p, d) in per_user.items()
                ),
                key=lambda m: (m.user_id is None, m.name),
            )
        )
        lap("visits")
        # open complaints by age and severity
        cells: dict[tuple[int, str], list[Any]] = defaultdict(list)  # client ids (never None: IN mine)
        open_complaints = select(Feedback.client_id, Feedback.severity, Feedback.received_at).where(
            Feedback.deleted_at.is_(None),
            Feedback.kind.in_(("complaint", "appeal")),
            Feedback.status.not_in(("answered", "closed")),
            of_mine(Feedback.client_id),
        )
        for cid, severity, received in session.execute(open_complaints):
            age = (today - (local_date(received) or today)).days
            index = next(i for i, (upper, _l) in enumerate(AGE_BUCKETS) if upper is None or age <= upper)
            cells[(index, severity)].append(cid)
        complaints = tuple(
            ComplaintCell(i, sev, len(cells.get((i, sev), [])), tuple(dict.fromkeys(cells.get((i, sev), []))))
            for i in range(len(AGE_BUCKETS))
            for sev in SEVERITIES
        )
        lap("complaints")
        # satisfaction per quarter: the surveys counted by month and scores (a few hundred groups
        # instead of every survey), each group's overall score by the one rule
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        month = func.substr(Survey.conducted_on, 1, 7)
        columns = [getattr(Survey, f) for f in SCORE_FIELDS]
        stmt = (
            select(month, func.count(), *columns)
            .where(
                Survey.deleted_at.is_(None),
                of_mine(Survey.client_id),
                Survey.conducted_on >= date_from,
                Survey.conducted_on <= date_to,
            )
            .group_by(month, *columns)
        )
        for yyyy_mm, n, *values in session.execute(stmt):
            overall = overall_score(values)
            if overall is not None:
                bucket = totals[f"{yyyy_mm[:4]}-Q{(int(yyyy_mm[5:7]) - 1) // 3 + 1}"]
                bucket[0] += float(overall) * n
                bucket[1] += n
        satisfaction = tuple(
            QuarterScore(q, totals[q][0] / totals[q][1] if totals[q][1] else None, int(totals[q][1]))
            for q in _quarters(date_from, date_to)
        )
        lap("satisfaction")
        # renewals due
        low, high = add_months(today, -1), add_months(today, 3)
        renewals = tuple(
            sorted(
                (
                    ClientMark(r.id, r.name, r.tier, r.owner_id, r.contract_renewal_date)
                    for r in session.execute(
                        select(
                            Client.id, Client.name, Client.tier, Client.owner_id, Client.contract_renewal_date
                        ).where(
                            *cond,
                            Client.contract_renewal_date >= low,
                            Client.contract_renewal_date <= high,
                            Client.status != "lost",
                        )
                    )
                ),
                key=lambda m: (m.date, m.name),
            )
        )
    if standing is True:
        standing = load_standing(ctx, owner_id=owner_id)
    if isinstance(standing, Standing):
        served, at_risk = standing.served, list(standing.at_risk)
        timings.update(standing.timings)
    else:
        served, at_risk = ServedFigures([], [], frozenset()), []
    return Dashboard(
        date_from,
        date_to,
        today,
        owner_id,
        total,
        pyramid,
        visits,
        complaints,
        satisfaction,
        renewals,
        tuple(at_risk),
        served,
        secret,
        timings,
    )


__all__ = [
    "AGE_BUCKETS",
    "SEVERITIES",
    "TIER_ORDER",
    "ClientMark",
    "ComplaintCell",
    "Dashboard",
    "ManagerFigure",
    "QuarterScore",
    "Standing",
    "TierFigure",
    "load_dashboard",
    "load_standing",
    "period",
]
