"""The agenda (待办): what is overdue or due within the next days, across the user's clients.

Items, each derived from the data (nothing is stored):

- ``visit_due``: a visit cadence is due (see :mod:`.scheduling`) and no visit of that kind is
  planned;
- ``visit_planned``: a planned visit (one whose time has passed without being recorded as held
  is overdue);
- ``complaint``: the deadline of a complaint or appeal not yet answered or closed (paused time
  extends it);
- ``equipment_service`` / ``equipment_calibration``: last service/calibration plus its interval;
- ``contract_renewal``: the client's contract renewal date;
- ``improvement_item``: an open improvement item with a due date;
- ``conflict``: a concurrent edit that lost the merge and waits to be reviewed;
- ``task``: an open task (a visit's next step) with a due date.

Sorted overdue first (the longest overdue first), then by due date.

Each item's severity is computed from its kind, the client's tier and how late it is
(:func:`severity_of`), and each item falls into one section of the Today triage
(:func:`section_of`): urgent complaints first, then what is due today, then overdue routine work,
then the rest of the week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import String, func, literal, or_, select, union
from sqlalchemy.orm import Session

from ..domain.dates import add_months
from ..errors import ValidationError
from ..i18n import N_, _
from ..labels import label
from ..models import (
    Client,
    Conflict,
    Equipment,
    Feedback,
    ImprovementItem,
    Task,
    User,
    Visit,
    VisitPlan,
)
from ..models.enums import (
    ClientStatus,
    EquipmentStatus,
    ItemStatus,
    Severity,
    TaskStatus,
    VisitKind,
    VisitStatus,
)
from .context import AppContext
from .feedback import OPEN_STATUSES, effective_due
from .scheduling import id_list, local_date, plan_statuses_in
from .scope import scope_condition, serves

KINDS: dict[str, str] = {
    "visit_due": N_("Visit due"),
    "visit_planned": N_("Planned visit"),
    "complaint": N_("Complaint deadline"),
    "equipment_service": N_("Equipment service"),
    "equipment_calibration": N_("Equipment calibration"),
    "contract_renewal": N_("Contract renewal"),
    "improvement_item": N_("Improvement item"),
    "conflict": N_("Conflict to review"),
    "task": N_("Task"),
}
SEVERITY_RANK = {
    Severity.CRITICAL.value: 0,
    Severity.HIGH.value: 1,
    Severity.MEDIUM.value: 2,
    Severity.LOW.value: 3,
}
MAX_DAYS = 366

#: The sections of the Today triage, most urgent first.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("urgent", N_("Urgent: complaints and deadlines")),
    ("today", N_("Due today")),
    ("overdue", N_("Overdue routine work")),
    ("week", N_("Later this week")),
)
#: How much each kind weighs in an item's severity (a complaint's deadline is a promise to the client).
KIND_WEIGHT = {
    "complaint": 3,
    "visit_planned": 1,
    "equipment_calibration": 1,
    "contract_renewal": 1,
    "task": 1,
    "conflict": 1,
    "visit_due": 0,
    "equipment_service": 0,
    "improvement_item": 0,
}
TIER_WEIGHT = {"strategic": 2, "key": 1}
FEEDBACK_WEIGHT = {Severity.CRITICAL.value: 2, Severity.HIGH.value: 1, Severity.LOW.value: -1}
#: A complaint due within this many hours is urgent.
URGENT_HOURS = 48


def severity_of(
    kind: str,
    tier: str | None,
    *,
    overdue: bool,
    days_overdue: int,
    due_today: bool = False,
    feedback_severity: str | None = None,
) -> str:
    """Severity from the kind, the client's tier and the lateness. Routine work stops growing
    after a month late (a survey 283 days late is not more urgent than one 40 days late), a
    missed complaint deadline weighs most."""
    points = KIND_WEIGHT.get(kind, 0) + TIER_WEIGHT.get(tier or "", 0)
    if kind == "complaint":
        points += FEEDBACK_WEIGHT.get(feedback_severity or "", 0)
        if overdue:
            points += 3
        elif due_today:
            points += 1
    elif overdue:
        points += 1 if days_overdue <= 7 else 2
    elif due_today:
        points += 1
    if points >= 6:
        return Severity.CRITICAL.value
    if points >= 4:
        return Severity.HIGH.value
    if points >= 2:
        return Severity.MEDIUM.value
    return Severity.LOW.value


def section_of(item: AgendaItem, now: dt.datetime, today: dt.date) -> str:
    """The triage section of an item (see :data:`SECTIONS`)."""
    if item.kind == "complaint":
        deadline = item.due_at or dt.datetime.combine(item.due, dt.time(23, 59)).astimezone()
        # Missed, nearly due, or just received and not yet taken up by anyone.
        if item.overdue or deadline <= now + dt.timedelta(hours=URGENT_HOURS) or item.status == "received":
            return "urgent"
    if item.overdue and item.severity == Severity.CRITICAL.value:
        return "urgent"
    if item.due == today:
        return "today"
    if item.overdue or item.due < today:
        return "overdue"
    return "week"


def triage_key(item: AgendaItem, section: str):
    """The order within a section: most severe first; then the earliest deadline (urgent, today),
    the longest overdue (overdue) or the soonest (later this week)."""
    rank = SEVERITY_RANK.get(item.severity, 9)
    when = (
        item.due_at.timestamp()
        if item.due_at is not None
        else dt.datetime.combine(item.due, dt.time(23, 59)).timestamp()
    )
    if section == "overdue":
        return (rank, -item.days_overdue, item.client_name, item.title)
    return (rank, when, item.client_name, item.title)


@dataclass(frozen=True)
class AgendaItem:
    kind: str
    due: dt.date
    client_id: str | None
    client_name: str
    entity: str
    row_id: str
    title: str
    overdue: bool
    days_overdue: int
    severity: str
    #: The deadline or start time where there is one (a complaint, a planned visit).
    due_at: dt.datetime | None = None
    tier: str = "standard"
    #: Who the item itself is assigned to (a visit's or a plan's owner, a complaint's handler,
    #: an improvement item's or a task's owner); ``None``: the client's manager.
    assignee_id: str | None = None
    #: The client's manager.
    owner_id: str | None = None
    #: The record's own status where it matters (a complaint just received is urgent).
    status: str | None = None

    @property
    def key(self) -> str:
        """Identifies the item across loads (snoozes and notifications remember it)."""
        return f"{self.kind}:{self.row_id}"

    @property
    def kind_label(self) -> str:
        return _(KINDS.get(self.kind, self.kind))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat()
        data["due_at"] = self.due_at.isoformat() if self.due_at is not None else None
        data["kind_label"] = self.kind_label
        return data


def _people_condition(user_ids):
    """Clients that these users own, back up or serve (the scope rule, services/scope.py)."""
    return serves(user_ids)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()).astimezone()


def _quick_clients(now: dt.datetime, today: dt.date, horizon: dt.date):
    """A SELECT of the clients with an open complaint, a visit planned from today until the
    horizon, or an open task due by then."""
    end = _day_start(horizon + dt.timedelta(days=1))
    return union(
        select(Feedback.client_id).where(
            Feedback.deleted_at.is_(None),
            Feedback.due_at.is_not(None),
            Feedback.status.in_(sorted(OPEN_STATUSES)),
        ),
        select(Visit.client_id).where(
            Visit.status == VisitStatus.PLANNED.value,
            Visit.planned_start >= _day_start(today),
            Visit.planned_start < end,
            Visit.deleted_at.is_(None),
        ),
        select(Task.client_id).where(
            Task.status == TaskStatus.OPEN.value, Task.due_on <= horizon, Task.deleted_at.is_(None)
        ),
    )


def _clients(
    ctx: AppContext, session: Session, user_ids: list[str] | None, *, assigned: bool = False, restrict=None
):
    """Live clients in scope (and, with ``user_ids``, those these users own, back up or serve, and
    with ``assigned`` those where one of them is assigned an open item), excluding lost ones:
    ``(Names, a SELECT of their ids)``."""
    conditions = [Client.deleted_at.is_(None), Client.status != ClientStatus.LOST.value, scope_condition(ctx)]
    if restrict is not None:
        conditions.append(Client.id.in_(restrict))
    own = literal(True)
    if user_ids is not None:
        own = _people_condition(user_ids)
        conditions.append(or_(own, Client.id.in_(_assigned_clients(user_ids))) if assigned else own)
    names = Names()
    for cid, name, tier, owner, is_own in session.execute(
        select(Client.id, Client.name, Client.tier, Client.owner_id, own).where(*conditions)
    ):
        names[cid] = name
        names.info[cid] = (tier, owner)
        if is_own:
            names.own.add(cid)
    return names, select(Client.id).where(*conditions)


class Names(dict):
    """``{client id: name}`` with each client's ``(tier, owner id)`` beside it, and which of the
    clients were asked for (``own``) rather than added for an item assigned on them."""

    def __init__(self) -> None:
        super().__init__()
        self.info: dict[str, tuple[str | None, str | None]] = {}
        self.own: set[str] = set()


def team_of(ctx: AppContext, session: Session) -> list[str] | None:
    """The active users of the acting user's team (``None``: the user has no team)."""
    team = session.scalar(select(User.team).where(User.id == ctx.actor.id))
    if not team:
        return None
    return list(session.scalars(select(User.id).where(User.team == team, User.deleted_at.is_(None))))


SCOPES = ("mine", "team", "all")


#: The kinds read first when a screen must show something at once (cheap, indexed queries): the
#: complaint deadlines, the planned visits and the tasks.
QUICK_KINDS = frozenset({"complaint", "visit_planned", "task"})


def agenda(
    ctx: AppContext,
    *,
    days: int = 7,
    user_id: str | None = None,
    scope: str = "all",
    only: frozenset[str] | None = None,
) -> list[AgendaItem]:
    """Overdue items and items due within ``days`` days, for the acting user's clients (or for
    the clients of ``user_id``). ``scope`` narrows them to the clients of the acting user
    (``mine``) or of their team (``team``), with the items assigned to them on other clients."""
    if not isinstance(days, int) or isinstance(days, bool) or days < 0 or days > MAX_DAYS:
        raise ValidationError("days", _("Give a number of days from 0 to {max}.").format(max=MAX_DAYS))
    if scope not in SCOPES:
        raise ValidationError("scope", _("Choose one of: {choices}.").format(choices=", ".join(SCOPES)))
    now = ctx.now()
    today = ctx.today()
    horizon = today + dt.timedelta(days=days)
    items: list[AgendaItem] = []
    with ctx.read() as session:
        people: list[str] | None = [user_id] if user_id else None
        if scope == "mine":
            people = [ctx.actor.id]
        elif scope == "team":
            people = team_of(ctx, session) or [ctx.actor.id]
        quick = only is not None and only <= QUICK_KINDS
        restrict = None
        full_horizon = horizon
        if quick:
            # What a screen shows at once: only the clients with an open complaint, a visit planned
            # today or a task due (a handful of rows through indexes, not every client).
            horizon = today
            restrict = _quick_clients(now, today, horizon)
        names, ids = _clients(ctx, session, people, assigned=scope != "all", restrict=restrict)
        if not names:
            return []
        if quick:
            # The few clients found, as a list: each query below reads them instead of running the
            # clients' query (and its union of complaints, visits and tasks) again.
            ids = id_list(list(names))

        def wanted(*kinds: str) -> bool:
            return only is None or bool(only & set(kinds))

        if wanted("visit_due", "visit_planned"):
            items += _visit_items(
                session,
                names,
                ids,
                now,
                today,
                horizon,
                due=wanted("visit_due"),
                since=_day_start(today) if quick else None,
            )
        if wanted("complaint"):
            items += _complaint_items(session, names, ids, now, today, full_horizon)
        if wanted("equipment_service", "equipment_calibration"):
            items += _equipment_items(session, names, ids, today, horizon)
        if wanted("contract_renewal"):
            items += _renewal_items(session, names, ids, today, horizon)
        if wanted("improvement_item"):
            items += _improvement_items(session, names, ids, today, horizon)
        if wanted("conflict"):
            items += _conflict_items(session, names, ids, today)
        if wanted("task"):
            items += _extra_items(ctx, session, names, ids, now, today, horizon)
    if only is not None:
        items = [i for i in items if i.kind in only]
    if people is not None and scope != "all":
        own = names.own
        items = [i for i in items if i.client_id in own or i.client_id is None or i.assignee_id in people]
    items.sort(
        key=lambda i: (
            not i.overdue,
            -i.days_overdue,
            i.due,
            SEVERITY_RANK.get(i.severity, 9),
            i.client_name,
            i.title,
        )
    )
    return items


def _assigned_clients(people: list[str]):
    """A SELECT of the clients where one of ``people`` is assigned an open item."""
    parts = [
        select(Visit.client_id).where(
            Visit.owner_id.in_(people), Visit.status == VisitStatus.PLANNED.value, Visit.deleted_at.is_(None)
        ),
        select(VisitPlan.client_id).where(
            VisitPlan.owner_id.in_(people), VisitPlan.deleted_at.is_(None), VisitPlan.active.is_(True)
        ),
        select(Feedback.client_id).where(
            Feedback.handler_id.in_(people),
            Feedback.deleted_at.is_(None),
            Feedback.status.in_(sorted(OPEN_STATUSES)),
        ),
        select(ImprovementItem.client_id).where(
            ImprovementItem.owner_id.in_(people), ImprovementItem.deleted_at.is_(None)
        ),
        *_extra_assigned(people),
    ]
    return union(*parts)


def _extra_assigned(people: list[str]) -> list:
    """SELECTs of client ids where ``people`` own an open task."""
    return [
        select(Task.client_id).where(
            Task.owner_id.in_(people), Task.deleted_at.is_(None), Task.status == TaskStatus.OPEN.value
        )
    ]


def _extra_items(ctx, session, names, ids, now, today, horizon) -> list[AgendaItem]:
    return _task_items(session, names, ids, today, horizon)


def _task_items(session, names, ids, today, horizon) -> list[AgendaItem]:
    out = []
    for t in session.execute(
        select(Task.id, Task.client_id, Task.title, Task.due_on, Task.owner_id).where(
            _in_clients(Task.client_id, ids),
            Task.deleted_at.is_(None),
            Task.status == TaskStatus.OPEN.value,
            Task.due_on.is_not(None),
            Task.due_on <= horizon,
        )
    ):
        out.append(
            _item(
                "task",
                t.due_on,
                t.client_id,
                names,
                "task",
                t.id,
                _first_line(t.title),
                today,
                assignee_id=t.owner_id,
            )
        )
    return out


def _in_clients(col, ids):
    return col.in_(ids)


def _item(
    kind,
    due,
    client_id,
    names,
    entity,
    row_id,
    title,
    today,
    severity=None,
    overdue=None,
    *,
    due_at=None,
    assignee_id=None,
    feedback_severity=None,
    status=None,
) -> AgendaItem:
    is_overdue = due < today if overdue is None else overdue
    late = (today - due).days if is_overdue else 0
    tier, owner = names.info.get(client_id, (None, None)) if isinstance(names, Names) else (None, None)
    return AgendaItem(
        kind=kind,
        due=due,
        client_id=client_id,
        client_name=names.get(client_id, ""),
        entity=entity,
        row_id=row_id,
        title=title,
        overdue=is_overdue,
        days_overdue=max(late, 0),
        severity=severity
        or severity_of(
            kind,
            tier,
            overdue=is_overdue,
            days_overdue=max(late, 0),
            due_today=due == today,
            feedback_severity=feedback_severity,
        ),
        due_at=due_at,
        tier=tier or "standard",
        assignee_id=assignee_id,
        owner_id=owner,
        status=status,
    )


def _visit_title(kind: str, title: str | None) -> str:
    if kind == VisitKind.CUSTOM.value and title:
        return title
    return label(VisitKind, kind)


def _visit_items(
    session, names, ids, now, today, horizon, *, due: bool = True, since=None
) -> list[AgendaItem]:
    out = []
    due = (
        [s for s in plan_statuses_in(session, list(names), today) if s.scheduled is None and s.due <= horizon]
        if due
        else []
    )
    owners = (
        dict(
            session.execute(
                select(VisitPlan.id, VisitPlan.owner_id).where(
                    _in_clients(VisitPlan.client_id, ids), VisitPlan.deleted_at.is_(None)
                )
            ).all()
        )
        if due
        else {}
    )
    for s in due:
        every = _("every month") if s.every_months == 1 else _("every {n} months").format(n=s.every_months)
        title = _("{visit} ({every})").format(visit=_visit_title(s.kind, s.title), every=every)
        out.append(
            _item(
                "visit_due",
                s.due,
                s.client_id,
                names,
                "visit_plan",
                s.plan_id,
                title,
                today,
                assignee_id=owners.get(s.plan_id),
            )
        )
    horizon_end = dt.datetime.combine(horizon + dt.timedelta(days=1), dt.time()).astimezone()
    for v in session.execute(
        select(
            Visit.id, Visit.client_id, Visit.kind, Visit.planned_start, Visit.purpose, Visit.owner_id
        ).where(
            _in_clients(Visit.client_id, ids),
            Visit.deleted_at.is_(None),
            Visit.status == VisitStatus.PLANNED.value,
            Visit.planned_start < horizon_end,
            *([Visit.planned_start >= since] if since is not None else []),
        )
    ):
        due = local_date(v.planned_start)
        overdue = v.planned_start < now
        title = _visit_title(v.kind, None)
        if v.purpose:
            title = _("{visit}: {purpose}").format(visit=title, purpose=_first_line(v.purpose))
        out.append(
            _item(
                "visit_planned",
                due,
                v.client_id,
                names,
                "visit",
                v.id,
                title,
                today,
                overdue=overdue,
                due_at=v.planned_start,
                assignee_id=v.owner_id,
            )
        )
    return out


def _first_line(text: str, width: int = 60) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _complaint_items(session, names, ids, now, today, horizon) -> list[AgendaItem]:
    out = []
    for f in session.execute(
        # The columns used here and by effective_due (not the whole record: its JSON and texts)
        select(
            Feedback.id,
            Feedback.client_id,
            Feedback.subject,
            Feedback.due_at,
            Feedback.paused_since,
            Feedback.paused_seconds,
            Feedback.handler_id,
            Feedback.severity,
            Feedback.status,
        ).where(
            _in_clients(Feedback.client_id, ids),
            Feedback.deleted_at.is_(None),
            Feedback.due_at.is_not(None),
            Feedback.status.in_(sorted(OPEN_STATUSES)),
        )
    ):
        due_at = effective_due(f, now)
        if due_at is None:
            continue
        due = local_date(due_at)
        if due > horizon:
            continue
        overdue = due_at < now
        out.append(
            _item(
                "complaint",
                due,
                f.client_id,
                names,
                "feedback",
                f.id,
                f.subject,
                today,
                overdue=overdue,
                due_at=due_at,
                assignee_id=f.handler_id,
                feedback_severity=f.severity or Severity.MEDIUM.value,
                status=f.status,
            )
        )
    return out


def _equipment_items(session, names, ids, today, horizon) -> list[AgendaItem]:
    out = []
    # SQLite's month arithmetic runs past short months (01-31 + 1 month = 03-03): it only
    # narrows the rows, with a few days' slack; add_months decides.
    limit = (horizon + dt.timedelta(days=4)).isoformat()
    service_due = func.date(
        Equipment.last_serviced_on, "+" + func.cast(Equipment.service_interval_months, String) + " months"
    )
    calibration_due = func.date(
        Equipment.last_calibrated_on,
        "+" + func.cast(Equipment.calibration_interval_months, String) + " months",
    )
    for e in session.execute(
        select(
            Equipment.id,
            Equipment.client_id,
            Equipment.name,
            Equipment.serial,
            Equipment.last_serviced_on,
            Equipment.service_interval_months,
            Equipment.last_calibrated_on,
            Equipment.calibration_interval_months,
        ).where(
            _in_clients(Equipment.client_id, ids),
            Equipment.deleted_at.is_(None),
            Equipment.status == EquipmentStatus.IN_SERVICE.value,
            or_(service_due <= limit, calibration_due <= limit),
        )
    ):
        what = " ".join(filter(None, [e.name, e.serial and f"({e.serial})"]))
        if e.last_serviced_on and e.service_interval_months:
            due = add_months(e.last_serviced_on, e.service_interval_months)
            if due <= horizon:
                out.append(
                    _item(
                        "equipment_service",
                        due,
                        e.client_id,
                        names,
                        "equipment",
                        e.id,
                        _("Service: {equipment}").format(equipment=what),
                        today,
                    )
                )
        if e.last_calibrated_on and e.calibration_interval_months:
            due = add_months(e.last_calibrated_on, e.calibration_interval_months)
            if due <= horizon:
                out.append(
                    _item(
                        "equipment_calibration",
                        due,
                        e.client_id,
                        names,
                        "equipment",
                        e.id,
                        _("Calibration: {equipment}").format(equipment=what),
                        today,
                    )
                )
    return out


def _renewal_items(session, names, ids, today, horizon) -> list[AgendaItem]:
    out = []
    for cid, renewal in session.execute(
        select(Client.id, Client.contract_renewal_date).where(
            _in_clients(Client.id, ids),
            Client.contract_renewal_date.is_not(None),
            Client.contract_renewal_date <= horizon,
        )
    ):
        out.append(
            _item("contract_renewal", renewal, cid, names, "client", cid, _("Contract renewal"), today)
        )
    return out


def _improvement_items(session, names, ids, today, horizon) -> list[AgendaItem]:
    out = []
    for it in session.execute(
        select(
            ImprovementItem.id,
            ImprovementItem.client_id,
            ImprovementItem.due_on,
            ImprovementItem.action,
            ImprovementItem.owner_id,
        ).where(
            _in_clients(ImprovementItem.client_id, ids),
            ImprovementItem.deleted_at.is_(None),
            ImprovementItem.status.in_([ItemStatus.OPEN.value, ItemStatus.IN_PROGRESS.value]),
            ImprovementItem.due_on.is_not(None),
            ImprovementItem.due_on <= horizon,
        )
    ):
        out.append(
            _item(
                "improvement_item",
                it.due_on,
                it.client_id,
                names,
                "improvement_item",
                it.id,
                _first_line(it.action),
                today,
                assignee_id=it.owner_id,
            )
        )
    return out


def _conflict_items(session, names, ids, today) -> list[AgendaItem]:
    out = []
    for c in session.scalars(
        select(Conflict).where(
            or_(_in_clients(Conflict.client_id, ids), Conflict.client_id.is_(None)),
            Conflict.deleted_at.is_(None),
            Conflict.resolved_at.is_(None),
        )
    ):
        what = c.entity + (f".{c.field}" if c.field else "")
        title = _("Review a conflicting edit: {what}").format(what=what)
        out.append(
            _item(
                "conflict",
                local_date(c.created_at) or today,
                c.client_id,
                names,
                "conflict",
                c.id,
                title,
                today,
                severity=Severity.MEDIUM.value,
                overdue=False,
            )
        )
    return out


__all__ = [
    "SECTIONS",
    "AgendaItem",
    "KINDS",
    "agenda",
    "effective_due",
    "section_of",
    "severity_of",
    "triage_key",
]
