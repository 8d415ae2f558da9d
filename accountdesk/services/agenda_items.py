"""The agenda's queries: the clients an agenda covers and, for each kind, the items due on them
(visits, complaints, equipment, renewals, improvement items, conflicts, tasks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    func,
    intersect,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.orm import QueryableAttribute, Session

from ..domain.dates import add_months
from ..domain.feedback import OPEN_STATUSES, effective_due
from ..i18n import _
from ..labels import label
from ..models import (
    Client,
    ClientTeamMember,
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
from .agenda_rules import (
    AgendaItem,
    severity_of,
)
from .context import AppContext
from .scheduling import local_date, plan_statuses_in
from .scope import scope_condition, serves


def _people_condition(user_ids: list[str]) -> ColumnElement[bool]:
    """Clients that these users own, back up or serve (the scope rule, services/scope.py)."""
    return serves(user_ids)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()).astimezone()


def _quick_clients(
    now: dt.datetime,
    today: dt.date,
    horizon: dt.date,
    people: list[str] | None = None,
    *,
    assigned: bool = False,
) -> CompoundSelect[Any]:
    """A SELECT of the clients with an open complaint, a visit planned from today until the
    horizon, or an open task due by then. With ``people``: only those of them that these users own,
    back up or serve, and with ``assigned`` those where one of them is assigned such an item —
    narrowed by client ids read from indexes alone before any client's row is read (at 10,000
    clients ~700 have an open complaint; reading their rows to test the scope afterwards read
    ~740 pages, which an encrypted profile decrypts, for a user who serves none of them)."""
    end = _day_start(horizon + dt.timedelta(days=1))
    open_complaint = (
        Feedback.deleted_at.is_(None),
        Feedback.due_at.is_not(None),
        Feedback.status.in_(sorted(OPEN_STATUSES)),
    )
    planned = (
        Visit.status == VisitStatus.PLANNED.value,
        Visit.planned_start >= _day_start(today),
        Visit.planned_start < end,
        Visit.deleted_at.is_(None),
    )
    due_task = (Task.status == TaskStatus.OPEN.value, Task.due_on <= horizon, Task.deleted_at.is_(None))
    items = union(
        select(Feedback.client_id).where(*open_complaint),
        select(Visit.client_id).where(*planned),
        select(Task.client_id).where(*due_task),
    )
    if people is None:
        return items
    theirs: list[Select[Any]] = [
        select(Client.id).where(Client.owner_id.in_(people)),
        select(Client.id).where(Client.backup_owner_id.in_(people)),
        select(ClientTeamMember.client_id).where(
            ClientTeamMember.user_id.in_(people), ClientTeamMember.deleted_at.is_(None)
        ),
    ]
    if assigned:
        theirs += _quick_assigned(people, open_complaint, planned, due_task)
    mine = union(*theirs).subquery()
    found = items.subquery()
    return intersect(select(found.c[0]), select(mine.c[0]))


def _quick_assigned(people: list[str], complaint: Any, planned: Any, task: Any) -> list[Select[Any]]:
    """SELECTs of the clients where one of ``people`` is assigned a quick item (the conditions of
    :func:`_quick_clients`): the complaint's handler, the visit's or the task's owner."""
    return [
        select(Feedback.client_id).where(Feedback.handler_id.in_(people), *complaint),
        select(Visit.client_id).where(Visit.owner_id.in_(people), *planned),
        select(Task.client_id).where(Task.owner_id.in_(people), *task),
    ]


def _clients(
    ctx: AppContext,
    session: Session,
    user_ids: list[str] | None,
    *,
    assigned: bool = False,
    restrict: CompoundSelect[Any] | None = None,
    narrowed: bool = False,
) -> tuple[Names, Select[Any]]:
    """Live clients in scope (and, with ``user_ids``, those these users own, back up or serve, and
    with ``assigned`` those where one of them is assigned an open item), excluding lost ones:
    ``(Names, a SELECT of their ids)``. ``narrowed``: ``restrict`` has applied ``user_ids``
    already (:func:`_quick_clients` with people)."""
    conditions = [Client.deleted_at.is_(None), Client.status != ClientStatus.LOST.value, scope_condition(ctx)]
    if restrict is not None:
        conditions.append(Client.id.in_(restrict))
    own: ColumnElement[bool] = literal(True)
    if user_ids is not None:
        own = _people_condition(user_ids)
        if not narrowed:
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


class Names(dict[str, str]):
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


def _assigned_clients(people: list[str]) -> CompoundSelect[Any]:
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


def _extra_assigned(people: list[str]) -> list[Select[Any]]:
    """SELECTs of client ids where ``people`` own an open task."""
    return [
        select(Task.client_id).where(
            Task.owner_id.in_(people), Task.deleted_at.is_(None), Task.status == TaskStatus.OPEN.value
        )
    ]


def _extra_items(
    ctx: AppContext,
    session: Session,
    names: Names,
    ids: Select[Any],
    now: dt.datetime,
    today: dt.date,
    horizon: dt.date,
) -> list[AgendaItem]:
    return _task_items(session, names, ids, today, horizon)


def _task_items(
    session: Session, names: Names, ids: Select[Any], today: dt.date, horizon: dt.date
) -> list[AgendaItem]:
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


def _in_clients(col: QueryableAttribute[Any], ids: Select[Any]) -> ColumnElement[bool]:
    return col.in_(ids)


def _item(
    kind: str,
    due: dt.date,
    client_id: str | None,
    names: Mapping[str, str],
    entity: str,
    row_id: str,
    title: str,
    today: dt.date,
    severity: str | None = None,
    overdue: bool | None = None,
    *,
    due_at: dt.datetime | None = None,
    assignee_id: str | None = None,
    feedback_severity: str | None = None,
    status: str | None = None,
) -> AgendaItem:
    is_overdue = due < today if overdue is None else overdue
    late = (today - due).days if is_overdue else 0
    tier, owner = (
        names.info.get(client_id, (None, None))
        if isinstance(names, Names) and client_id is not None
        else (None, None)
    )
    return AgendaItem(
        kind=kind,
        due=due,
        client_id=client_id,
        client_name=names.get(client_id, "") if client_id is not None else "",
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
    session: Session,
    names: Names,
    ids: Select[Any],
    now: dt.datetime,
    today: dt.date,
    horizon: dt.date,
    *,
    due: bool = True,
    since: dt.datetime | None = None,
) -> list[AgendaItem]:
    out = []
    statuses = (
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
        if statuses
        else {}
    )
    for s in statuses:
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
        day = local_date(v.planned_start)
        overdue = v.planned_start < now
        title = _visit_title(v.kind, None)
        if v.purpose:
            title = _("{visit}: {purpose}").format(visit=title, purpose=_first_line(v.purpose))
        out.append(
            _item(
                "visit_planned",
                day,
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


def _first_line(text: str | None, width: int = 60) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _complaint_items(
    session: Session, names: Names, ids: Select[Any], now: dt.datetime, today: dt.date, horizon: dt.date
) -> list[AgendaItem]:
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


def _equipment_items(
    session: Session, names: Names, ids: Select[Any], today: dt.date, horizon: dt.date
) -> list[AgendaItem]:
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


def _renewal_items(
    session: Session, names: Names, ids: Select[Any], today: dt.date, horizon: dt.date
) -> list[AgendaItem]:
    out = []
    for cid, renewal in session.execute(
        select(Client.id, Client.contract_renewal_date).where(
            _in_clients(Client.id, ids),
            Client.contract_renewal_date.is_not(None),
            Client.contract_renewal_date <= horizon,
        )
    ):
        assert renewal is not None  # the query asks for a renewal date
        out.append(
            _item("contract_renewal", renewal, cid, names, "client", cid, _("Contract renewal"), today)
        )
    return out


def _improvement_items(
    session: Session, names: Names, ids: Select[Any], today: dt.date, horizon: dt.date
) -> list[AgendaItem]:
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


def _conflict_items(session: Session, names: Names, ids: Select[Any], today: dt.date) -> list[AgendaItem]:
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
