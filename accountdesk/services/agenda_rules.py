"""What an agenda item is: its kinds, its severity (kind, tier, lateness) and its section of the
Today triage (:func:`section_of`, :func:`triage_key`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from ..i18n import N_, _
from ..models.enums import (
    Severity,
)

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


def triage_key(item: AgendaItem, section: str) -> tuple[Any, ...]:
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
