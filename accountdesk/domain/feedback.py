"""The complaint clock as pure rules (docs/architecture.md, "One rule, one place"), shared by the laptop's services,
the agenda, the reports and the server's escalation schedule: deadline by severity, pauses
while waiting for the client, the escalation ladder, and which statuses are still open.

No database, no Qt: the server (which never imports ``services``) and the device use the same
functions. See :mod:`accountdesk.services.feedback` for the workflow built on them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models.enums import FeedbackKind, FeedbackStatus, Severity

#: Kinds of feedback that run against a deadline.
DEADLINE_KINDS = frozenset({FeedbackKind.COMPLAINT.value, FeedbackKind.APPEAL.value})
#: Hours allowed to handle a complaint or appeal, by severity.
DEADLINE_HOURS: dict[str, int] = {
    Severity.CRITICAL.value: 24,
    Severity.HIGH.value: 2 * 24,
    Severity.MEDIUM.value: 5 * 24,
    Severity.LOW.value: 10 * 24,
}
#: Hours before the effective deadline at which escalation levels 1 and 2 begin, by severity.
ESCALATION_LEAD_HOURS: dict[str, tuple[int, int]] = {
    Severity.CRITICAL.value: (12, 4),
    Severity.HIGH.value: (24, 8),
    Severity.MEDIUM.value: (48, 12),
    Severity.LOW.value: (72, 24),
}
#: Level 3: the deadline has passed.
LEVEL_OVERDUE = 3
STATUS_ORDER: tuple[str, ...] = tuple(s.value for s in FeedbackStatus)
#: Statuses in which the deadline still counts (the client has not had an answer yet).
OPEN_STATUSES = frozenset(
    {FeedbackStatus.RECEIVED.value, FeedbackStatus.INVESTIGATING.value, FeedbackStatus.RESOLVED.value}
)


def _get(feedback: Any, name: str) -> Any:
    if isinstance(feedback, dict):
        return feedback.get(name)
    return getattr(feedback, name, None)


# -- pure functions ---------------------------------------------------------------------------


def default_due(
    kind: str | None, severity: str | None, received_at: dt.datetime | None
) -> dt.datetime | None:
    """The deadline a feedback gets when none is given (``None``: no deadline)."""
    if kind not in DEADLINE_KINDS or received_at is None:
        return None
    hours = DEADLINE_HOURS.get(severity or Severity.MEDIUM.value, DEADLINE_HOURS[Severity.MEDIUM.value])
    return received_at + dt.timedelta(hours=hours)


def paused_total(feedback: Any, now: dt.datetime | None = None) -> dt.timedelta:
    """All the time the clock was paused, including a pause still running at ``now``."""
    seconds = _get(feedback, "paused_seconds") or 0
    total = dt.timedelta(seconds=seconds)
    since = _get(feedback, "paused_since")
    if since is not None:
        now = now or dt.datetime.now(dt.UTC)
        total += max(now - since, dt.timedelta(0))
    return total


def effective_due(feedback: Any, now: dt.datetime | None = None) -> dt.datetime | None:
    """The deadline after pauses: ``due_at`` plus all paused time (a running pause counts up to
    ``now``, the current time when not given). Works on a row or on a ``to_dict`` mapping."""
    due: dt.datetime | None = _get(feedback, "due_at")
    if due is None:
        return None
    return due + paused_total(feedback, now)


def escalation_level(
    now: dt.datetime,
    due: dt.datetime | None,
    severity: str | None,
    *,
    paused_seconds: int = 0,
    paused_since: dt.datetime | None = None,
) -> int:
    """The escalation level (0–3) a feedback should have at ``now``; see the module docstring."""
    if due is None:
        return 0
    remaining = (
        due + paused_total({"paused_seconds": paused_seconds, "paused_since": paused_since}, now) - now
    )
    if remaining <= dt.timedelta(0):
        return LEVEL_OVERDUE
    first, second = ESCALATION_LEAD_HOURS.get(severity or "", ESCALATION_LEAD_HOURS[Severity.MEDIUM.value])
    if remaining <= dt.timedelta(hours=second):
        return 2
    if remaining <= dt.timedelta(hours=first):
        return 1
    return 0


def feedback_escalation_level(feedback: Any, now: dt.datetime) -> int:
    """:func:`escalation_level` of a row or mapping; 0 once it is answered or closed."""
    if _get(feedback, "status") not in OPEN_STATUSES:
        return 0
    return escalation_level(
        now,
        _get(feedback, "due_at"),
        _get(feedback, "severity"),
        paused_seconds=_get(feedback, "paused_seconds") or 0,
        paused_since=_get(feedback, "paused_since"),
    )


def escalation_reached_at(feedback: Any, level: int, now: dt.datetime) -> dt.datetime | None:
    """The moment ``level`` began for a row or mapping (its threshold before the effective
    deadline; the deadline itself for level 3), never before the feedback was received. The
    laptop and the server record the same ``escalated_at`` for the same level this way, so an
    escalation recorded on both sides is one value, not a conflict."""
    eff = effective_due(feedback, now)
    if eff is None or level <= 0:
        return None
    if level >= LEVEL_OVERDUE:
        when = eff
    else:
        first, second = ESCALATION_LEAD_HOURS.get(
            _get(feedback, "severity") or "", ESCALATION_LEAD_HOURS[Severity.MEDIUM.value]
        )
        when = eff - dt.timedelta(hours=first if level == 1 else second)
    received = _get(feedback, "received_at")
    if received is not None and when < received:
        when = received
    return min(when, now)


def is_open(feedback: Any) -> bool:
    """Is the client still waiting for an answer (the deadline counts)? Row or mapping."""
    return _get(feedback, "status") in OPEN_STATUSES


def is_overdue(feedback: Any, now: dt.datetime) -> bool:
    """Open and past its effective deadline at ``now`` (a running pause counts up to ``now``, so
    a feedback paused after its deadline had passed stays overdue). Row or mapping."""
    if not is_open(feedback):
        return False
    due = effective_due(feedback, now)
    return due is not None and due < now
