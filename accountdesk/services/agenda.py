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
- ``conflict``: a concurrent edit that lost the merge and waits to be reviewed.

Sorted overdue first (the longest overdue first), then by due date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import String, func, or_, select
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
    Visit,
)
from ..models.enums import ClientStatus, EquipmentStatus, ItemStatus, Severity, VisitKind, VisitStatus
from .context import AppContext
from .feedback import OPEN_STATUSES, effective_due
from .scheduling import local_date, plan_statuses_in
from .scope import scope_condition, served_by

KINDS: dict[str, str] = {
    "visit_due": N_("Visit due"),
    "visit_planned": N_("Planned visit"),
    "complaint": N_("Complaint deadline"),
    "equipment_service": N_("Equipment service"),
    "equipment_calibration": N_("Equipment calibration"),
    "contract_renewal": N_("Contract renewal"),
    "improvement_item": N_("Improvement item"),
    "conflict": N_("Conflict to review"),
}
SEVERITY_RANK = {Severity.CRITICAL.value: 0, Severity.HIGH.value: 1, Severity.MEDIUM.value: 2, Severity.LOW.value: 3}
MAX_DAYS = 366


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

    @property
    def kind_label(self) -> str:
        return _(KINDS.get(self.kind, self.kind))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat()
        data["kind_label"] = self.kind_label
        return data


def _severity_for_delay(days_overdue: int, overdue: bool) -> str:
    if not overdue:
        return Severity.LOW.value
    if days_overdue > 30:
        return Severity.HIGH.value
    return Severity.MEDIUM.value


def _clients(ctx: AppContext, session: Session, user_id: str | None):
    """Live clients in scope (and, with ``user_id``, those the user owns, backs up or serves),
    excluding lost ones: ``({id: name}, a SELECT of their ids)``."""
    conditions = [Client.deleted_at.is_(None), Client.status != ClientStatus.LOST.value, scope_condition(ctx)]
    if user_id:
        conditions.append(served_by(user_id))
    names = dict(session.execute(select(Client.id, Client.name).where(*conditions)).all())
    return names, select(Client.id).where(*conditions)


def agenda(ctx: AppContext, *, days: int = 7, user_id: str | None = None) -> list[AgendaItem]:
    """Overdue items and items due within ``days`` days, for the acting user's clients (or for
    the clients of ``user_id``)."""
    if not isinstance(days, int) or isinstance(days, bool) or days < 0 or days > MAX_DAYS:
        raise ValidationError("days", _("Give a number of days from 0 to {max}.").format(max=MAX_DAYS))
    now = ctx.now()
    today = ctx.today()
    horizon = today + dt.timedelta(days=days)
    items: list[AgendaItem] = []
    with ctx.read() as session:
        names, ids = _clients(ctx, session, user_id)
        if not names:
            return []
        items += _visit_items(session, names, ids, now, today, horizon)
        items += _complaint_items(session, names, ids, now, today, horizon)
        items += _equipment_items(session, names, ids, today, horizon)
        items += _renewal_items(session, names, ids, today, horizon)
        items += _improvement_items(session, names, ids, today, horizon)
        items += _conflict_items(session, names, ids, today)
    items.sort(key=lambda i: (not i.overdue, -i.days_overdue, i.due, SEVERITY_RANK.get(i.severity, 9), i.client_name, i.title))
    return items


def _in_clients(col, ids):
    return col.in_(ids)


def _item(kind, due, client_id, names, entity, row_id, title, today, severity=None, overdue=None) -> AgendaItem:
    is_overdue = due < today if overdue is None else overdue
    late = (today - due).days if is_overdue else 0
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
        severity=severity or _severity_for_delay(late, is_overdue),
    )


def _visit_title(kind: str, title: str | None) -> str:
    if kind == VisitKind.CUSTOM.value and title:
        return title
    return label(VisitKind, kind)


def _visit_items(session, names, ids, now, today, horizon) -> list[AgendaItem]:
    out = []
    for s in plan_statuses_in(session, list(names), today):
        if s.scheduled is not None or s.due > horizon:
            continue
        every = _("every month") if s.every_months == 1 else _("every {n} months").format(n=s.every_months)
        title = _("{visit} ({every})").format(visit=_visit_title(s.kind, s.title), every=every)
        out.append(_item("visit_due", s.due, s.client_id, names, "visit_plan", s.plan_id, title, today))
    horizon_end = dt.datetime.combine(horizon + dt.timedelta(days=1), dt.time()).astimezone()
    for v in session.execute(
        select(Visit.id, Visit.client_id, Visit.kind, Visit.planned_start, Visit.purpose).where(
            _in_clients(Visit.client_id, ids),
            Visit.deleted_at.is_(None),
            Visit.status == VisitStatus.PLANNED.value,
            Visit.planned_start < horizon_end,
        )
    ):
        due = local_date(v.planned_start)
        overdue = v.planned_start < now
        title = _visit_title(v.kind, None)
        if v.purpose:
            title = _("{visit}: {purpose}").format(visit=title, purpose=_first_line(v.purpose))
        out.append(_item("visit_planned", due, v.client_id, names, "visit", v.id, title, today, overdue=overdue))
    return out


def _first_line(text: str, width: int = 60) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _complaint_items(session, names, ids, now, today, horizon) -> list[AgendaItem]:
    out = []
    for f in session.scalars(
        select(Feedback).where(
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
        severity = f.severity or Severity.MEDIUM.value
        if overdue and SEVERITY_RANK.get(severity, 9) > SEVERITY_RANK[Severity.HIGH.value]:
            severity = Severity.HIGH.value  # a missed deadline is at least high
        out.append(_item("complaint", due, f.client_id, names, "feedback", f.id, f.subject, today, severity=severity, overdue=overdue))
    return out


def _equipment_items(session, names, ids, today, horizon) -> list[AgendaItem]:
    out = []
    # SQLite's month arithmetic runs past short months (01-31 + 1 month = 03-03): it only
    # narrows the rows, with a few days' slack; add_months decides.
    limit = (horizon + dt.timedelta(days=4)).isoformat()
    service_due = func.date(Equipment.last_serviced_on, "+" + func.cast(Equipment.service_interval_months, String) + " months")
    calibration_due = func.date(
        Equipment.last_calibrated_on, "+" + func.cast(Equipment.calibration_interval_months, String) + " months"
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
                out.append(_item("equipment_service", due, e.client_id, names, "equipment", e.id,
                                 _("Service: {equipment}").format(equipment=what), today))
        if e.last_calibrated_on and e.calibration_interval_months:
            due = add_months(e.last_calibrated_on, e.calibration_interval_months)
            if due <= horizon:
                out.append(_item("equipment_calibration", due, e.client_id, names, "equipment", e.id,
                                 _("Calibration: {equipment}").format(equipment=what), today))
    return out


def _renewal_items(session, names, ids, today, horizon) -> list[AgendaItem]:
    out = []
    for cid, renewal in session.execute(
        select(Client.id, Client.contract_renewal_date).where(
            _in_clients(Client.id, ids), Client.contract_renewal_date.is_not(None), Client.contract_renewal_date <= horizon
        )
    ):
        out.append(_item("contract_renewal", renewal, cid, names, "client", cid, _("Contract renewal"), today))
    return out


def _improvement_items(session, names, ids, today, horizon) -> list[AgendaItem]:
    out = []
    for it in session.execute(
        select(ImprovementItem.id, ImprovementItem.client_id, ImprovementItem.due_on, ImprovementItem.action).where(
            _in_clients(ImprovementItem.client_id, ids),
            ImprovementItem.deleted_at.is_(None),
            ImprovementItem.status.in_([ItemStatus.OPEN.value, ItemStatus.IN_PROGRESS.value]),
            ImprovementItem.due_on.is_not(None),
            ImprovementItem.due_on <= horizon,
        )
    ):
        out.append(_item("improvement_item", it.due_on, it.client_id, names, "improvement_item", it.id, _first_line(it.action), today))
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
        out.append(_item("conflict", local_date(c.created_at) or today, c.client_id, names, "conflict", c.id, title, today,
                         severity=Severity.MEDIUM.value, overdue=False))
    return out


__all__ = ["AgendaItem", "KINDS", "agenda", "effective_due"]
