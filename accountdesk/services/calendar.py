"""The calendar's entries: everything dated across the user's clients, for a date range.

Kinds of entry (each derived from the data; nothing is stored here):

- ``visit``: a visit (planned, held, cancelled, missed) at its planned start, with its end;
- ``plan``: a visit cadence (拜访计划) falling due with no visit of that kind scheduled — the
  next due date (see :mod:`.scheduling`), then every interval after it, inside the range; an
  overdue one is shown on today (status ``overdue``), not on the day long past;
- ``task``: an open task (a visit's next step) on its due date;
- ``calibration``: an in-service instrument's next calibration (last calibration + interval);
- ``renewal``: a client's contract renewal date.

Only visits have a time of day; the others are all-day entries. Each entry carries the person it
is for (``person_id``: the visit's, plan's or task's owner, else the client's manager), which the
supervisor's filter by manager uses. Rescheduling a visit (:func:`reschedule_visit`) goes through
the visit service, so it is validated, recorded in the field history and synced like any edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..domain.dates import add_months
from ..errors import ValidationError
from ..i18n import N_, _
from ..labels import label
from ..models import Client, Equipment, Task, User, Visit, VisitPlan
from ..models.enums import EquipmentStatus, TaskStatus, VisitKind, VisitStatus
from ..permissions import sees_all_clients
from . import visits as visit_service
from .context import AppContext
from .scheduling import local_date, plan_statuses_in
from .scope import scope_condition

#: The kinds of entry, in the order the calendar lists them, with their names.
KINDS: dict[str, str] = {
    "visit": N_("Visits"),
    "plan": N_("Cadence plans"),
    "task": N_("Tasks"),
    "calibration": N_("Calibration due"),
    "renewal": N_("Contract renewals"),
}
#: The widest range one call reads (a month view shows six weeks).
MAX_DAYS = 400


@dataclass(frozen=True)
class CalendarEntry:
    kind: str
    #: The record the entry opens: visit, visit_plan, task, equipment or client.
    entity: str
    row_id: str
    client_id: str
    client_name: str
    title: str
    day: dt.date
    #: Only visits have a time; the others are all-day entries.
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    status: str | None = None
    person_id: str | None = None
    location: str | None = None

    @property
    def all_day(self) -> bool:
        return self.start is None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.row_id}:{self.day.isoformat()}"


def _check_range(start: dt.date, end: dt.date) -> None:
    if end <= start:
        raise ValidationError("end", _("The end must come after the start."))
    if (end - start).days > MAX_DAYS:
        raise ValidationError("end", _("Show at most {n} days at once.").format(n=MAX_DAYS))


def entries_between(
    ctx: AppContext,
    start: dt.date,
    end: dt.date,
    *,
    kinds: Iterable[str] | None = None,
    person_id: str | None = None,
) -> list[CalendarEntry]:
    """Entries of the given kinds (all when ``None``) on days in ``[start, end)`` across the
    clients the acting user serves; with ``person_id``, only those for that person. Sorted by day,
    all-day entries first, then by time."""
    _check_range(start, end)
    wanted = set(KINDS) if kinds is None else set(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValidationError("kinds", _("Choose one of: {choices}.").format(choices=", ".join(KINDS)))
    out: list[CalendarEntry] = []
    with ctx.read() as session:
        clients = {
            cid: (short or name, owner)
            for cid, name, short, owner in session.execute(
                select(Client.id, Client.name, Client.short_name, Client.owner_id).where(
                    Client.deleted_at.is_(None), scope_condition(ctx, Client.id)
                )
            )
        }
        if not clients:
            return []
        ids = select(Client.id).where(Client.deleted_at.is_(None), scope_condition(ctx, Client.id))

        def make(
            kind: str,
            entity: str,
            row_id: str,
            client_id: Any,  # a row's client id (never None for these rows)
            title: str,
            day: Any,
            person: str | None = None,
            **extra: Any,
        ) -> CalendarEntry:
            name, owner = clients.get(client_id, ("", None))
            return CalendarEntry(
                kind, entity, row_id, client_id, name, title, day, person_id=person or owner, **extra
            )

        if "visit" in wanted:
            lo = dt.datetime.combine(start, dt.time()).astimezone()
            hi = dt.datetime.combine(end, dt.time()).astimezone()
            for v in session.scalars(
                select(Visit).where(
                    Visit.client_id.in_(ids),
                    Visit.deleted_at.is_(None),
                    Visit.planned_start >= lo,
                    Visit.planned_start < hi,
                )
            ):
                title = label(VisitKind, v.kind)
                out.append(
                    make(
                        "visit",
                        "visit",
                        v.id,
                        v.client_id,
                        title,
                        local_date(v.planned_start),
                        v.owner_id,
                        start=v.planned_start,
                        end=v.planned_end,
                        status=v.status,
                        location=v.location,
                    )
                )
        if "plan" in wanted:
            owners = dict(
                session.execute(
                    select(VisitPlan.id, VisitPlan.owner_id).where(
                        VisitPlan.client_id.in_(ids), VisitPlan.deleted_at.is_(None)
                    )
                ).all()
            )
            today = ctx.today()
            for s in plan_statuses_in(session, list(clients), today):
                if s.scheduled is not None:
                    continue  # the planned visit stands for it
                kind_name = (
                    s.title if s.kind == VisitKind.CUSTOM.value and s.title else label(VisitKind, s.kind)
                )
                every = (
                    _("every month")
                    if s.every_months == 1
                    else _("every {n} months").format(n=s.every_months)
                )
                title = _("{visit} due ({every})").format(visit=kind_name, every=every)
                if s.overdue and start <= today < end:  # a visit owed since before today is owed today
                    out.append(
                        make(
                            "plan",
                            "visit_plan",
                            s.plan_id,
                            s.client_id,
                            title,
                            today,
                            owners.get(s.plan_id),
                            status="overdue",
                        )
                    )
                day, n = s.due, 0
                while day < end and n < 400:
                    if day >= start and not (s.overdue and day <= today):
                        out.append(
                            make(
                                "plan",
                                "visit_plan",
                                s.plan_id,
                                s.client_id,
                                title,
                                day,
                                owners.get(s.plan_id),
                                status="due",
                            )
                        )
                    n += 1
                    day = add_months(s.due, s.every_months * n)
        if "task" in wanted:
            for t in session.execute(
                select(Task.id, Task.client_id, Task.title, Task.due_on, Task.owner_id, Task.status).where(
                    Task.client_id.in_(ids),
                    Task.deleted_at.is_(None),
                    Task.status == TaskStatus.OPEN.value,
                    Task.due_on >= start,
                    Task.due_on < end,
                )
            ):
                out.append(
                    make("task", "task", t.id, t.client_id, t.title, t.due_on, t.owner_id, status=t.status)
                )
        if "calibration" in wanted:
            for e in session.execute(
                select(
                    Equipment.id,
                    Equipment.client_id,
                    Equipment.name,
                    Equipment.serial,
                    Equipment.last_calibrated_on,
                    Equipment.calibration_interval_months,
                ).where(
                    Equipment.client_id.in_(ids),
                    Equipment.deleted_at.is_(None),
                    Equipment.status == EquipmentStatus.IN_SERVICE.value,
                    Equipment.last_calibrated_on.is_not(None),
                    Equipment.calibration_interval_months.is_not(None),
                )
            ):
                due = add_months(e.last_calibrated_on, e.calibration_interval_months)
                if start <= due < end:
                    what = " ".join(filter(None, [e.name, e.serial and f"({e.serial})"]))
                    out.append(
                        make(
                            "calibration",
                            "equipment",
                            e.id,
                            e.client_id,
                            _("Calibration: {equipment}").format(equipment=what),
                            due,
                        )
                    )
        if "renewal" in wanted:
            for cid, renewal in session.execute(
                select(Client.id, Client.contract_renewal_date).where(
                    Client.id.in_(ids),
                    Client.contract_renewal_date >= start,
                    Client.contract_renewal_date < end,
                )
            ):
                out.append(make("renewal", "client", cid, cid, _("Contract renewal"), renewal))
    if person_id:
        out = [e for e in out if e.person_id == person_id]
    order = list(KINDS)
    out.sort(
        key=lambda e: (
            e.day,
            not e.all_day,
            e.start or dt.datetime.min.replace(tzinfo=dt.UTC),
            order.index(e.kind),
            e.client_name,
            e.title,
        )
    )
    return out


def may_filter_by_manager(ctx: AppContext) -> bool:
    """Supervisors and admins see everyone's calendar and may narrow it to one manager."""
    return sees_all_clients(ctx.actor.role)


def people(ctx: AppContext) -> list[tuple[str, str]]:
    """``(id, name)`` of the active users, by name (the choices of the filter by manager)."""
    with ctx.read() as session:
        return [
            (uid, name or username)
            for uid, name, username in session.execute(
                select(User.id, User.display_name, User.username)
                .where(User.deleted_at.is_(None), User.active.is_(True))
                .order_by(User.display_name)
            )
        ]


def reschedule_visit(ctx: AppContext, visit_id: str, start: dt.datetime) -> dict[str, Any]:
    """Move a planned visit to ``start``, keeping its length. Only a planned visit moves (a held
    one records what happened). Goes through the visit service: validated, in the field history,
    synced."""
    if start.tzinfo is None:
        raise ValidationError("planned_start", _("Give a time with its time zone."))
    with ctx.read() as session:
        visit = session.get(Visit, visit_id)
        if visit is None or visit.deleted_at is not None:
            raise ValidationError("visit", _("No such visit."))
        if visit.status != VisitStatus.PLANNED.value:
            raise ValidationError("planned_start", _("Only a planned visit can be moved."))
        old_start, old_end = visit.planned_start, visit.planned_end
    values: dict[str, Any] = {"planned_start": start}
    if old_end is not None:
        values["planned_end"] = start + (old_end - old_start)
    return visit_service.update_visit(ctx, visit_id, **values)


__all__ = ["KINDS", "CalendarEntry", "entries_between", "may_filter_by_manager", "people", "reschedule_visit"]
