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

The rules of an item are in :mod:`.agenda_rules`, the queries in :mod:`.agenda_items`.
"""

from __future__ import annotations

import datetime as dt

from ..domain.feedback import effective_due
from ..errors import ValidationError
from ..i18n import _
from .agenda_items import (
    Names,
    _clients,
    _complaint_items,
    _conflict_items,
    _day_start,
    _equipment_items,
    _extra_items,
    _improvement_items,
    _quick_clients,
    _renewal_items,
    _visit_items,
    team_of,
)
from .agenda_rules import (
    FEEDBACK_WEIGHT,
    KIND_WEIGHT,
    KINDS,
    MAX_DAYS,
    SECTIONS,
    SEVERITY_RANK,
    TIER_WEIGHT,
    URGENT_HOURS,
    AgendaItem,
    section_of,
    severity_of,
    triage_key,
)
from .context import AppContext
from .scheduling import id_list

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
            restrict = _quick_clients(now, today, horizon, people, assigned=scope != "all")
        names, ids = _clients(
            ctx,
            session,
            people,
            assigned=scope != "all",
            restrict=restrict,
            narrowed=quick and people is not None,
        )
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


__all__ = [
    "AgendaItem",
    "FEEDBACK_WEIGHT",
    "KINDS",
    "KIND_WEIGHT",
    "MAX_DAYS",
    "Names",
    "QUICK_KINDS",
    "SCOPES",
    "SECTIONS",
    "SEVERITY_RANK",
    "TIER_WEIGHT",
    "URGENT_HOURS",
    "agenda",
    "effective_due",
    "section_of",
    "severity_of",
    "team_of",
    "triage_key",
]
