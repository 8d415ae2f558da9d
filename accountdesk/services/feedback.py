"""Client feedback (客户反馈): complaints, appeals, praise, suggestions and inquiries.

Decisions, in one place:

**Deadline** (处理时限). Complaints and appeals get ``due_at = received_at + DEADLINE_HOURS[severity]``
when no deadline is given (critical 24 h, high 2 days, medium 5 days, low 10 days, counted in
calendar hours). Other kinds have no deadline unless one is given. When the kind, severity or
received time of a feedback changes and its deadline was the derived one, the deadline is derived
again; a deadline that somebody set by hand is kept.

**Pausing** the clock while we wait for the client: :func:`pause_feedback` stores
``paused_since``; :func:`resume_feedback` adds the paused time to ``paused_seconds``. The
*effective* deadline (:func:`effective_due`) is ``due_at`` plus all paused time, including the
running pause. Answering or closing a paused feedback ends the pause.

**Escalation** (升级) is tiered by severity (:data:`ESCALATION_LEAD_HOURS`): level 1 ("the
deadline is near", the handler's team lead is told) starts a number of hours before the effective
deadline, level 2 ("imminent", the supervisor) closer to it, level 3 when the deadline has passed
(management). :func:`escalation_level` is a pure function; :func:`escalate_due_feedback` raises the
stored ``escalation_level`` of open feedback as ordinary synced changes. Levels only go up: an
escalation that happened stays on record even if the deadline is later extended.

**Recusal** (回避): the handler may never be one of the involved staff; checked on create and on
every update of either field (error on ``handler_id``).

**Workflow**: received → investigating → resolved → answered → closed. Moving forward may skip
steps. Moving back needs a reason, which is written into the resolution (use
:func:`reopen_feedback`; a raw update must change ``resolution`` in the same step). ``answered``
needs the answer to the client and sets ``answered_at``; ``closed`` sets ``closed_at`` and a
complaint or appeal can only be closed once the client got an answer. Leaving ``closed`` clears
``closed_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.feedback import (  # noqa: F401 - the rules, re-exported for the services' callers
    DEADLINE_HOURS,
    DEADLINE_KINDS,
    ESCALATION_LEAD_HOURS,
    LEVEL_OVERDUE,
    OPEN_STATUSES,
    STATUS_ORDER,
    _get,
    default_due,
    effective_due,
    escalation_level,
    escalation_reached_at,
    feedback_escalation_level,
    is_open,
    is_overdue,
    paused_total,
)
from ..errors import ValidationError
from ..i18n import _
from ..labels import label
from ..models import Feedback, User
from ..models.enums import FeedbackStatus, Severity
from . import records
from .context import AppContext
from .records import RuleContext, register_rule


def _rank(status: str | None) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else 0


# -- rules ------------------------------------------------------------------------------------


@register_rule("feedback")
def _recusal(rc: RuleContext) -> None:
    if "handler_id" not in rc.values and "involved_user_ids" not in rc.values:
        return
    handler = rc.current("handler_id")
    involved = rc.current("involved_user_ids") or []
    if handler and handler in involved:
        user = rc.session.get(User, handler)
        name = user.display_name if user is not None else handler
        raise ValidationError(
            "handler_id",
            _(
                "{name} is involved in this case and may not handle it (recusal); choose another handler."
            ).format(name=name),
        )


@register_rule("feedback")
def _received_not_in_future(rc: RuleContext) -> None:
    received = rc.values.get("received_at")
    if received is not None and received > rc.ctx.now() + dt.timedelta(minutes=5):
        raise ValidationError("received_at", _("Feedback cannot be received in the future."))


@register_rule("feedback")
def _deadline(rc: RuleContext) -> None:
    if rc.values.get("due_at") is None:
        if rc.row is None:
            rc.values["due_at"] = default_due(
                rc.current("kind"), rc.current("severity") or Severity.MEDIUM.value, rc.current("received_at")
            )
        elif {"kind", "severity", "received_at"} & set(rc.values) and "due_at" not in rc.values:
            derived_before = default_due(rc.stored("kind"), rc.stored("severity"), rc.stored("received_at"))
            if rc.stored("due_at") is None or rc.stored("due_at") == derived_before:
                rc.values["due_at"] = default_due(
                    rc.current("kind"), rc.current("severity"), rc.current("received_at")
                )
    due, received = rc.current("due_at"), rc.current("received_at")
    if (
        due is not None
        and received is not None
        and due <= received
        and ("due_at" in rc.values or "received_at" in rc.values)
    ):
        raise ValidationError("due_at", _("The deadline must come after the time the feedback was received."))


@register_rule("feedback")
def _workflow(rc: RuleContext) -> None:
    now = rc.ctx.now()
    new = rc.current("status") or FeedbackStatus.RECEIVED.value
    old = rc.stored("status")
    if rc.row is not None and "status" not in rc.values:
        if (
            rc.stored("status") == FeedbackStatus.ANSWERED.value
            and "answer" in rc.values
            and not (rc.values["answer"] or "").strip()
        ):
            raise ValidationError(
                "answer", _("Feedback marked as answered needs the answer given to the client.")
            )
        return
    if old is not None and _rank(new) < _rank(old):
        reason = rc.values.get("resolution")
        if not (reason or "").strip() or reason == rc.stored("resolution"):
            raise ValidationError(
                "status",
                _("Moving the status back from “{old}” to “{new}” needs a reason.").format(
                    old=label(FeedbackStatus, old), new=label(FeedbackStatus, new)
                ),
            )
    if new == FeedbackStatus.ANSWERED.value and not (rc.current("answer") or "").strip():
        raise ValidationError(
            "answer", _("Feedback marked as answered needs the answer given to the client.")
        )
    if (
        new == FeedbackStatus.CLOSED.value
        and rc.current("kind") in DEADLINE_KINDS
        and not (rc.current("answer") or "").strip()
    ):
        raise ValidationError(
            "answer", _("A complaint or appeal can only be closed once the client has had an answer.")
        )
    if new in (FeedbackStatus.ANSWERED.value, FeedbackStatus.CLOSED.value):
        if old != new and rc.values.get("answered_at") is None:
            if new == FeedbackStatus.ANSWERED.value:
                # a new answer (moving forward) is stamped now; stepping back from closed keeps
                # the time the client was answered
                if old is None or _rank(old) < _rank(new) or rc.current("answered_at") is None:
                    rc.values["answered_at"] = now
            elif rc.current("answered_at") is None and (rc.current("answer") or "").strip():
                rc.values["answered_at"] = now  # closed straight away with an answer
        if new == FeedbackStatus.CLOSED.value and old != new:
            rc.values["closed_at"] = now
        since = rc.current("paused_since")
        if since is not None:  # answering or closing ends a pause
            rc.values["paused_seconds"] = (rc.current("paused_seconds") or 0) + max(
                int((now - since).total_seconds()), 0
            )
            rc.values["paused_since"] = None
    if old == FeedbackStatus.CLOSED.value and new != old:
        rc.values["closed_at"] = None


# -- use cases --------------------------------------------------------------------------------


def record_feedback(
    ctx: AppContext,
    client_id: str,
    kind: str,
    subject: str,
    *,
    severity: str | None = None,
    received_at: dt.datetime | str | None = None,
    involved: list[str] | None = None,
    handler: str | None = None,
    **values: Any,
) -> str:
    """Record a piece of feedback (received now unless said otherwise); returns its id.
    ``involved`` and ``handler`` take user ids or user names."""
    data: dict[str, Any] = {
        "kind": kind,
        "subject": subject,
        "received_at": received_at or ctx.now(),
        **values,
    }
    if severity is not None:
        data["severity"] = severity
    if involved:
        data["involved_user_ids"] = list(involved)
    if handler is not None:
        data["handler_id"] = handler
    return records.create_record(ctx, "feedback", data, client_id=client_id)


def create_feedback(ctx: AppContext, client_id: str, **values: Any) -> str:
    return records.create_record(ctx, "feedback", values, client_id=client_id)


def update_feedback(ctx: AppContext, feedback_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "feedback", feedback_id, values)


def delete_feedback(ctx: AppContext, feedback_id: str) -> bool:
    return records.delete_record(ctx, "feedback", feedback_id)


def _with_reason(ctx: AppContext, current: str | None, status: str, reason: str) -> str:
    stamp = ctx.now().astimezone().strftime("%Y-%m-%d %H:%M")
    line = _("{when} back to “{status}”: {reason}").format(
        when=stamp, status=label(FeedbackStatus, status), reason=reason.strip()
    )
    return f"{current.rstrip()}\n{line}" if current and current.strip() else line


def set_feedback_status(
    ctx: AppContext,
    feedback_id: str,
    status: str,
    *,
    answer: str | None = None,
    resolution: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Move a feedback along the workflow. ``reason`` (needed to move back) is added to the
    resolution with the date."""
    changes: dict[str, Any] = {"status": status}
    if answer is not None:
        changes["answer"] = answer
    if resolution is not None:
        changes["resolution"] = resolution
    if reason is not None and reason.strip():
        current = (
            resolution
            if resolution is not None
            else records.get_record(ctx, "feedback", feedback_id).get("resolution")
        )
        changes["resolution"] = _with_reason(ctx, current, status, reason)
    return update_feedback(ctx, feedback_id, **changes)


def answer_feedback(ctx: AppContext, feedback_id: str, answer: str) -> dict[str, Any]:
    """Record the answer given to the client (status ``answered``, ``answered_at`` now)."""
    return set_feedback_status(ctx, feedback_id, FeedbackStatus.ANSWERED.value, answer=answer)


def close_feedback(ctx: AppContext, feedback_id: str) -> dict[str, Any]:
    return set_feedback_status(ctx, feedback_id, FeedbackStatus.CLOSED.value)


def reopen_feedback(
    ctx: AppContext, feedback_id: str, reason: str, *, status: str = FeedbackStatus.INVESTIGATING.value
) -> dict[str, Any]:
    """Move a feedback back (by default to ``investigating``), recording why."""
    if not (reason or "").strip():
        raise ValidationError("status", _("Reopening needs a reason."))
    return set_feedback_status(ctx, feedback_id, status, reason=reason)


def _open_row(ctx: AppContext, session: Session, feedback_id: str) -> Feedback:
    records.require_permission(ctx, "feedback", "update", {"paused_since", "paused_seconds"})
    row = records.get_live_row(session, Feedback, feedback_id)
    if row.status not in OPEN_STATUSES:
        raise ValidationError("status", _("Only open feedback can be paused or resumed."))
    return row


def pause_feedback(ctx: AppContext, feedback_id: str) -> dict[str, Any]:
    """Stop the deadline clock while we wait for the client; returns what changed."""
    with ctx.write() as (session, writer):
        row = _open_row(ctx, session, feedback_id)
        if row.paused_since is not None:
            raise ValidationError("paused_since", _("The deadline clock is already paused."))
        return writer.update(row, {"paused_since": ctx.now()})


def resume_feedback(ctx: AppContext, feedback_id: str) -> dict[str, Any]:
    """Restart the deadline clock; the paused time extends the effective deadline."""
    with ctx.write() as (session, writer):
        row = _open_row(ctx, session, feedback_id)
        if row.paused_since is None:
            raise ValidationError("paused_since", _("The deadline clock is not paused."))
        elapsed = max(int((ctx.now() - row.paused_since).total_seconds()), 0)
        return writer.update(
            row, {"paused_since": None, "paused_seconds": (row.paused_seconds or 0) + elapsed}
        )


@dataclass(frozen=True)
class Escalation:
    feedback_id: str
    client_id: str
    subject: str
    old_level: int
    new_level: int
    effective_due: dt.datetime


def escalate_due_feedback(ctx: AppContext) -> list[Escalation]:
    """Raise the escalation level of every open feedback whose deadline nears or has passed, as
    ordinary synced changes (one unit of work). Returns the escalations made."""
    now = ctx.now()
    done: list[Escalation] = []
    with ctx.write() as (session, writer):
        stmt = select(Feedback).where(
            Feedback.deleted_at.is_(None),
            Feedback.due_at.is_not(None),
            Feedback.status.in_(sorted(OPEN_STATUSES)),
            Feedback.escalation_level < LEVEL_OVERDUE,
        )
        for row in session.scalars(stmt):
            level = feedback_escalation_level(row, now)
            if level > (row.escalation_level or 0):
                old = row.escalation_level or 0
                # the moment the level began: the server records the same value for the same level
                writer.update(
                    row, {"escalation_level": level, "escalated_at": escalation_reached_at(row, level, now)}
                )
                due = effective_due(row, now)
                # the query asks for a deadline; feedback always belongs to a client
                assert due is not None and row.client_id is not None
                done.append(Escalation(row.id, row.client_id, row.subject, old, level, due))
    return done


def list_feedback(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The client's feedback, newest first, each with its ``effective_due``."""
    rows = records.list_records(ctx, "feedback", client_id, order_by="received_at", descending=True)
    now = ctx.now()
    for r in rows:
        r["effective_due"] = effective_due(r, now)
    return rows
