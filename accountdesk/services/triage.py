"""Today as triage: the agenda in sections by urgency, filtered, with actions on each item.

- :func:`triage` groups the agenda (:mod:`.agenda`) into its sections (urgent complaints and
  deadlines, due today, overdue routine work, later this week), each sorted most severe first,
  for the acting user's clients (``mine``), their team's or all in scope, optionally only some
  kinds, without the items snoozed on this device;
- :func:`snooze` hides an item until a date (remembered on this device: snoozing is a personal
  way of ordering one's day, not a fact about the client);
- :func:`reschedule` moves what has a date of its own: a planned visit, a cadence that is due (a
  visit is planned for it), an improvement item or a task;
- :func:`reassign` gives an item to someone else (supervisors and administrators): a visit's or a
  plan's owner, a complaint's handler (the recusal rule applies), an improvement item's owner;
- :func:`done_action` names the form that completes an item.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import PermissionDenied, ValidationError
from ..i18n import _
from ..permissions import RESPONSIBLE_FOR_WORK, sees_all_clients
from ..sync.changes import get_meta, set_meta
from .agenda import MAX_DAYS, QUICK_KINDS, SCOPES, SECTIONS, AgendaItem, agenda, section_of, triage_key
from .context import AppContext

META_SNOOZED = "agenda_snoozed"

#: What "done" means for each kind: the form the Today screen opens.
DONE_ACTIONS: dict[str, str] = {
    "visit_planned": "write_report",  # the planned visit's report; saving marks it held
    "visit_due": "record_visit",  # a visit of the plan's kind, recorded as held
    "complaint": "edit",  # the complaint: its resolution and answer
    "equipment_service": "edit",
    "equipment_calibration": "edit",
    "contract_renewal": "edit",
    "improvement_item": "edit",
    "conflict": "review",
    "task": "complete",  # a task is simply marked done
}
RESCHEDULABLE = frozenset({"visit_planned", "visit_due", "improvement_item", "task"})
REASSIGNABLE = frozenset({"visit_planned", "visit_due", "complaint", "improvement_item", "task"})


@dataclass(frozen=True)
class Triage:
    """The Today screen's content: ``sections`` in :data:`SECTIONS` order."""

    sections: dict[str, list[AgendaItem]]
    snoozed: int = 0
    #: Only the quick kinds were read (the rest follows).
    partial: bool = False
    #: How many items of each kind there are before the kind filter (for the filter's labels).
    kind_counts: dict[str, int] = field(default_factory=dict)

    @property
    def items(self) -> list[AgendaItem]:
        return [i for key, _title in SECTIONS for i in self.sections[key]]


def triage(
    ctx: AppContext,
    *,
    scope: str = "mine",
    kinds: Iterable[str] | None = None,
    days: int = 7,
    quick: bool = False,
) -> Triage:
    """The agenda of ``scope`` (``mine``, ``team``, ``all``) in sections, most urgent first.
    ``quick``: only the kinds that are cheap to read (complaints, planned visits, tasks) — what a
    screen shows at once while the rest is read."""
    only = QUICK_KINDS if quick else None
    if kinds is not None and only is not None:
        only = only & frozenset(kinds)
    items = agenda(ctx, days=days, scope=scope, only=only)
    snoozes = _snoozes(ctx)
    today = ctx.today()
    now = ctx.now()
    wanted = None if kinds is None else set(kinds)
    sections: dict[str, list[AgendaItem]] = {key: [] for key, _title in SECTIONS}
    counts: dict[str, int] = {}
    snoozed = 0
    for item in items:
        until = snoozes.get(item.key)
        if until is not None and until > today:
            snoozed += 1
            continue
        counts[item.kind] = counts.get(item.kind, 0) + 1
        if wanted is not None and item.kind not in wanted:
            continue
        sections[section_of(item, now, today)].append(item)
    for key, rows in sections.items():
        rows.sort(key=functools.partial(triage_key, section=key))
    return Triage(sections=sections, snoozed=snoozed, kind_counts=counts, partial=quick)


# -- snooze -------------------------------------------------------------------------------------


def _snoozes(ctx: AppContext) -> dict[str, dt.date]:
    with ctx.read() as session:
        raw = get_meta(session, META_SNOOZED) or {}
    out = {}
    for key, value in raw.items():
        try:
            out[key] = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            continue
    return out


def _day(name: str, value: dt.date | dt.datetime | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone().date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(name, _("Enter a date as YYYY-MM-DD.")) from None


def snooze(ctx: AppContext, item_key: str, until: dt.date | str) -> dt.date:
    """Hide an item (``AgendaItem.key``) from Today until ``until`` (a later day, within a year)."""
    day = _day("until", until)
    today = ctx.today()
    if day <= today:
        raise ValidationError("until", _("Snooze until a day after today."))
    if day > today + dt.timedelta(days=MAX_DAYS):
        raise ValidationError("until", _("Snooze for a year at most."))
    with ctx.store.write() as session:
        current = dict(get_meta(session, META_SNOOZED) or {})
        # Forget snoozes that have run out, so the setting does not grow for ever.
        current = {k: v for k, v in current.items() if isinstance(v, str) and v > today.isoformat()}
        current[item_key] = day.isoformat()
        set_meta(session, META_SNOOZED, current)
    return day


def unsnooze(ctx: AppContext, item_key: str) -> bool:
    with ctx.store.write() as session:
        current = dict(get_meta(session, META_SNOOZED) or {})
        found = current.pop(item_key, None) is not None
        set_meta(session, META_SNOOZED, current)
    return found


# -- reschedule and reassign ----------------------------------------------------------------------


def reschedule(ctx: AppContext, item: AgendaItem, when: dt.date | dt.datetime | str) -> str:
    """Move an item to another day (a planned visit keeps its hour); returns the id of the row
    that now carries the date (a due cadence gets a planned visit)."""
    from . import records
    from .visits import plan_visit

    if item.kind not in RESCHEDULABLE:
        raise ValidationError("kind", _("This item has no date of its own to move; snooze it instead."))
    day = _day("when", when)
    if day < ctx.today():
        raise ValidationError("when", _("Choose today or a later day."))
    if item.kind == "visit_planned":
        row = records.get_record(ctx, "visit", item.row_id)
        start: dt.datetime = row["planned_start"]
        local = start.astimezone()
        new_start = dt.datetime.combine(day, local.time().replace(tzinfo=None)).astimezone()
        values: dict[str, Any] = {"planned_start": new_start}
        if row.get("planned_end") is not None:
            values["planned_end"] = row["planned_end"] + (new_start - start)
        records.update_record(ctx, "visit", item.row_id, values)
        return item.row_id
    if item.kind == "visit_due":
        plan = records.get_record(ctx, "visit_plan", item.row_id)
        at = dt.datetime.combine(day, dt.time(9, 0)).astimezone()
        extra = {"purpose": plan["title"]} if plan.get("title") else {}
        return plan_visit(
            ctx, plan["client_id"], plan["kind"], at, owner_id=plan.get("owner_id") or ctx.actor.id, **extra
        )
    entity = "improvement_item" if item.kind == "improvement_item" else "task"
    records.update_record(ctx, entity, item.row_id, {"due_on": day})
    return item.row_id


def may_reassign(ctx: AppContext) -> bool:
    """Moving work between people is for supervisors and administrators (the same rule as
    :func:`accountdesk.permissions.may_change_responsible` for someone else's work)."""
    return sees_all_clients(ctx.actor.role)


def reassign(ctx: AppContext, item: AgendaItem, user_id: str) -> dict[str, Any]:
    """Give an item to another person (supervisors and administrators only)."""
    from . import records

    if not may_reassign(ctx):
        raise PermissionDenied(_("Only supervisors and administrators reassign work."))
    if item.kind not in REASSIGNABLE:
        raise ValidationError(
            "kind", _("This item belongs to the client's manager; hand the client over instead.")
        )
    if not user_id:
        raise ValidationError("user", _("Choose a person."))
    entity = {
        "visit_planned": "visit",
        "visit_due": "visit_plan",
        "complaint": "feedback",
        "improvement_item": "improvement_item",
        "task": "task",
    }[item.kind]
    # who does the work is named by one field per entity (permissions.RESPONSIBLE_FOR_WORK, the
    # rule the laptop's records and the server's merge both apply)
    return records.update_record(ctx, entity, item.row_id, {RESPONSIBLE_FOR_WORK[entity]: user_id})


def done_action(item: AgendaItem) -> str:
    """The form that completes an item (see :data:`DONE_ACTIONS`)."""
    return DONE_ACTIONS.get(item.kind, "edit")


__all__ = [
    "DONE_ACTIONS",
    "REASSIGNABLE",
    "RESCHEDULABLE",
    "SCOPES",
    "Triage",
    "done_action",
    "may_reassign",
    "reassign",
    "reschedule",
    "snooze",
    "triage",
    "unsnooze",
]
