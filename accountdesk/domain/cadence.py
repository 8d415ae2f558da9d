"""When a visit cadence is next due (pure rule shared by the laptop's scheduling service and the
server's digest and calendar feed). See :mod:`accountdesk.services.scheduling` for the rules."""

from __future__ import annotations

import datetime as dt

from .dates import add_months


def cadence_due(
    every_months: int | None,
    last_done: dt.date | None,
    *,
    starts_on: dt.date | None,
    relationship_since: dt.date | None,
    created_on: dt.date,
) -> dt.date:
    """The next due date of a plan: the last completed visit plus the interval; with none yet,
    ``starts_on``; without that, the relationship start plus the interval; without that, the
    day the plan was made plus the interval. Never before ``starts_on``."""
    months = max(1, every_months or 1)
    if last_done is not None:
        due = add_months(last_done, months)
    elif starts_on is not None:
        due = starts_on
    elif relationship_since is not None:
        due = add_months(relationship_since, months)
    else:
        due = add_months(created_on, months)
    if starts_on is not None and due < starts_on:
        due = starts_on
    return due
