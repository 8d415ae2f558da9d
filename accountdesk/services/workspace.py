"""Read models for the client workspace, the calendar and the feedback queue (Qt-free).

The UI never builds SQL: these functions gather what the screens show across entities (users for
pickers, visits in a date range, the feedback queue, the timeline of a client, the device's own
field history from the outbox, conflicts to review) and return plain frozen dataclasses or dicts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ScalarResult, select

from ..domain.feedback import OPEN_STATUSES, STATUS_ORDER, effective_due, is_open, is_overdue
from ..errors import NotFoundError, ValidationError
from ..i18n import _
from ..models import (
    Client,
    Conflict,
    Contact,
    Equipment,
    Feedback,
    ImprovementItem,
    Interaction,
    Opportunity,
    OutboxEntry,
    OwnershipChange,
    RiskFlag,
    ServiceDelivery,
    ServiceNote,
    Survey,
    SyncMixin,
    User,
    Visit,
    model_for,
)
from ..sync.codec import decode_value
from . import records
from .context import AppContext
from .scope import scope_condition
from .service import list_offerings  # noqa: F401 - the offering catalogue, for the forms' lookups

#: kept for callers of the old name: the open statuses are the feedback service's
OPEN_FEEDBACK = tuple(s for s in STATUS_ORDER if s in OPEN_STATUSES)
M = TypeVar("M", bound=SyncMixin)


@dataclass(frozen=True)
class UserRow:
    id: str
    username: str
    display_name: str
    role: str
    active: bool


def list_users(ctx: AppContext, *, include_inactive: bool = False) -> list[UserRow]:
    """Users for pickers, by display name."""
    with ctx.read() as session:
        stmt = select(User).where(User.deleted_at.is_(None)).order_by(User.display_name)
        if not include_inactive:
            stmt = stmt.where(User.active.is_(True))
        return [
            UserRow(u.id, u.username, u.display_name, u.role, bool(u.active)) for u in session.scalars(stmt)
        ]


def user_names(ctx: AppContext) -> dict[str, str]:
    """id -> display name of every user (deactivated ones too: history shows them)."""
    with ctx.read() as session:
        return {uid: name for uid, name in session.execute(select(User.id, User.display_name))}


# -- calendar ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CalendarVisit:
    id: str
    client_id: str
    client_name: str
    kind: str
    channel: str | None
    status: str
    start: dt.datetime
    end: dt.datetime | None
    location: str | None
    purpose: str | None


def visits_between(ctx: AppContext, start: dt.datetime, end: dt.datetime) -> list[CalendarVisit]:
    """Visits (planned and held) whose start lies in ``[start, end)``, in time order."""
    with ctx.read() as session:
        stmt = (
            select(Visit, Client.id, Client.name, Client.short_name)
            .join(Client, Client.id == Visit.client_id)
            .where(
                Visit.deleted_at.is_(None),
                Client.deleted_at.is_(None),
                Visit.planned_start >= start,
                Visit.planned_start < end,
            )
            .order_by(Visit.planned_start)
        )
        stmt = stmt.where(scope_condition(ctx, Visit.client_id))
        return [
            CalendarVisit(
                v.id,
                cid,
                short or name,
                v.kind,
                v.channel,
                v.status,
                v.planned_start,
                v.planned_end,
                v.location,
                v.purpose,
            )
            for v, cid, name, short in session.execute(stmt)
        ]


def list_client_choices(ctx: AppContext, limit: int = 5000) -> list[tuple[str, str]]:
    """(id, name) of the clients the actor serves, by name (for the calendar's new-visit dialog)."""
    with ctx.read() as session:
        stmt = (
            select(Client.id, Client.name)
            .where(Client.deleted_at.is_(None))
            .order_by(Client.name)
            .limit(limit)
        )
        stmt = stmt.where(scope_condition(ctx, Client.id))
        return [(cid, name) for cid, name in session.execute(stmt)]


# -- feedback queue -----------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueItem:
    id: str
    client_id: str
    client_name: str
    kind: str
    severity: str
    status: str
    subject: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    handler_id: str | None
    handler_name: str
    paused: bool
    paused_seconds: int = 0
    paused_since: dt.datetime | None = None

    def effective_due(self, now: dt.datetime) -> dt.datetime | None:
        """The deadline after pauses (the feedback service's rule)."""
        return effective_due(self, now)

    def remaining(self, now: dt.datetime) -> dt.timedelta | None:
        due = effective_due(self, now)
        return None if due is None else due - now

    def overdue(self, now: dt.datetime) -> bool:
        return is_overdue(self, now)


def feedback_queue(
    ctx: AppContext,
    *,
    statuses: list[str] | None = None,
    kinds: list[str] | None = None,
    severities: list[str] | None = None,
    client_id: str | None = None,
) -> list[QueueItem]:
    """All feedback the actor may see; overdue open items first, then by deadline, then newest."""
    names = user_names(ctx)
    with ctx.read() as session:
        stmt = (
            select(Feedback, Client.id, Client.name, Client.short_name)
            .join(Client, Client.id == Feedback.client_id)
            .where(Feedback.deleted_at.is_(None), Client.deleted_at.is_(None))
        )
        if statuses:
            stmt = stmt.where(Feedback.status.in_(statuses))
        if kinds:
            stmt = stmt.where(Feedback.kind.in_(kinds))
        if severities:
            stmt = stmt.where(Feedback.severity.in_(severities))
        if client_id:
            stmt = stmt.where(Feedback.client_id == client_id)
        stmt = stmt.where(scope_condition(ctx, Feedback.client_id))
        items = [
            QueueItem(
                f.id,
                cid,
                short or name,
                f.kind,
                f.severity,
                f.status,
                f.subject,
                f.received_at,
                f.due_at,
                f.handler_id,
                names.get(f.handler_id or "", ""),
                f.paused_since is not None,
                f.paused_seconds or 0,
                f.paused_since,
            )
            for f, cid, name, short in session.execute(stmt)
        ]
    now = ctx.now()
    far = dt.datetime.max.replace(tzinfo=dt.UTC)

    def key(item: QueueItem) -> tuple[int, dt.datetime, float]:
        return (
            0 if item.overdue(now) else 1 if is_open(item) else 2,
            item.effective_due(now) or far,
            -item.received_at.timestamp(),
        )

    return sorted(items, key=key)


# -- timeline -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    entity: str
    row_id: str
    kind: str  # an enum value of the entity, when it has one
    title: str
    detail: str


def _aware(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(0, 0), tzinfo=dt.UTC)


def timeline(ctx: AppContext, client_id: str) -> list[TimelineEntry]:
    """Everything that happened with a client, newest first."""
    confidential = ctx.actor.sees_confidential
    out: list[TimelineEntry] = []
    with ctx.read() as session:

        def rows(model: type[M]) -> ScalarResult[M]:
            return session.scalars(
                select(model).where(model.client_id == client_id, model.deleted_at.is_(None))
            )

        for v in rows(Visit):
            at = v.done_at or v.planned_start
            out.append(TimelineEntry(at, "visit", v.id, v.kind, v.purpose or "", v.outcome or v.status))
        for i in rows(Interaction):
            out.append(TimelineEntry(i.at, "interaction", i.id, i.kind, i.summary, ""))
        for f in rows(Feedback):
            out.append(TimelineEntry(f.received_at, "feedback", f.id, f.kind, f.subject, f.status))
        for s in rows(Survey):
            score = "" if s.score_overall is None else str(s.score_overall)
            out.append(TimelineEntry(_aware(s.conducted_on), "survey", s.id, "", s.respondent or "", score))
        for n in rows(ServiceNote):
            if n.confidential and not confidential:
                continue
            out.append(TimelineEntry(n.created_at, "service_note", n.id, "", n.category or "", n.text))
        for d in rows(ServiceDelivery):
            out.append(TimelineEntry(d.delivered_at, "service_delivery", d.id, "", d.notes or "", ""))
        for r in rows(RiskFlag):
            out.append(TimelineEntry(r.raised_at, "risk_flag", r.id, r.kind, r.note or "", r.severity))
        for o in rows(Opportunity):
            out.append(TimelineEntry(o.created_at, "opportunity", o.id, o.stage, o.title, ""))
        for c in rows(OwnershipChange):
            out.append(TimelineEntry(c.at, "ownership_change", c.id, c.kind, c.reason or "", ""))
        for item in rows(ImprovementItem):
            out.append(
                TimelineEntry(item.created_at, "improvement_item", item.id, item.status, item.action, "")
            )
        for e in rows(Equipment):
            out.append(TimelineEntry(e.created_at, "equipment", e.id, e.status, e.name, e.model or ""))
        for p in rows(Contact):
            out.append(TimelineEntry(p.created_at, "contact", p.id, "", p.name, p.title or ""))
    out.sort(key=lambda e: e.at, reverse=True)
    return out


# -- field history (this device's part) ---------------------------------------------------------
@dataclass(frozen=True)
class FieldChange:
    at: dt.datetime
    user_id: str | None
    user_name: str
    old: Any
    new: Any
    source: str  # "device" (this device's outbox, not yet pushed)


def local_field_history(ctx: AppContext, entity: str, row_id: str, field: str) -> list[FieldChange]:
    """Changes of one field made on this device and still in its outbox, newest first."""
    model = model_for(entity)
    names = user_names(ctx)
    out: list[FieldChange] = []
    with ctx.read() as session:
        stmt = (
            select(OutboxEntry)
            .where(OutboxEntry.row_id == row_id, OutboxEntry.entity == entity)
            .order_by(OutboxEntry.seq.desc())
        )
        for entry in session.scalars(stmt):
            if field not in (entry.fields or {}):
                continue
            if entry.op == "create" and entry.fields[field] in (None, "", []):
                continue  # created empty: nothing to tell
            old = (entry.old_values or {}).get(field)
            out.append(
                FieldChange(
                    entry.created_at,
                    entry.user_id,
                    names.get(entry.user_id or "", ""),
                    decode_value(model, field, old) if old is not None else None,
                    decode_value(model, field, entry.fields[field]),
                    "device",
                )
            )
    return out


def restore_field(ctx: AppContext, entity: str, row_id: str, field: str, value: Any) -> dict[str, Any]:
    """Set a field back to an earlier value (validated like any edit)."""
    return records.update_record(ctx, entity, row_id, {field: value})


# -- conflicts ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConflictRow:
    id: str
    client_id: str | None
    client_name: str
    entity: str
    row_id: str
    field: str | None
    kept_value: Any
    kept_by: str
    kept_hlc: str | None
    lost_value: Any
    lost_by: str
    lost_hlc: str | None
    created_at: dt.datetime
    resolved: bool


def list_conflicts(
    ctx: AppContext, *, client_id: str | None = None, include_resolved: bool = False
) -> list[ConflictRow]:
    names = user_names(ctx)
    with ctx.read() as session:
        stmt = (
            select(Conflict, Client.name)
            .outerjoin(Client, Client.id == Conflict.client_id)
            .where(Conflict.deleted_at.is_(None))
            .order_by(Conflict.created_at.desc())
        )
        if client_id:
            stmt = stmt.where(Conflict.client_id == client_id)
        if not include_resolved:
            stmt = stmt.where(Conflict.resolved_at.is_(None))
        hide = not ctx.actor.sees_confidential
        out = []
        for c, cname in session.execute(stmt):
            kept, lost = c.kept_value, c.lost_value
            if hide and c.field is not None:
                try:
                    model = model_for(c.entity)
                except KeyError:
                    model = None
                if model is not None and c.field in model.__confidential__:
                    kept = lost = None
            out.append(
                ConflictRow(
                    c.id,
                    c.client_id,
                    cname or "",
                    c.entity,
                    c.row_id,
                    c.field,
                    kept,
                    names.get(c.kept_by or "", ""),
                    c.kept_hlc,
                    lost,
                    names.get(c.lost_by or "", ""),
                    c.lost_hlc,
                    c.created_at,
                    c.resolved_at is not None,
                )
            )
        return out


def resolve_conflict(ctx: AppContext, conflict_id: str, keep: str) -> None:
    """``keep="kept"`` accepts the merged value; ``keep="lost"`` restores the other one (through
    the sync area's resolver, which also brings back a row whose edit lost against a delete)."""
    from ..sync.conflicts import resolve_conflict as resolve

    if keep not in ("kept", "lost"):
        raise ValidationError("keep", "keep must be 'kept' or 'lost'")
    with ctx.read() as session:
        c = session.get(Conflict, conflict_id)
        if c is None or c.deleted_at is not None:
            raise NotFoundError(_("The record no longer exists (it may have been deleted)."))
        mine_is_lost = c.lost_by == ctx.actor.id and c.kept_by != ctx.actor.id
    restore = keep == "lost"
    resolve(ctx, conflict_id, "mine" if restore == mine_is_lost else "theirs")


#: translated through the workspace catalogue (the label of the dialog's field)
REASON_LABEL = "Reason"


# -- handover (one implementation: services.handover) ----------------------------------------
def handover_checklist(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """What the new owner must pick up (open feedback, upcoming visits, open items, key contacts)."""
    from .handover import checklist_for

    return checklist_for(ctx, client_id)


def record_handover(
    ctx: AppContext,
    client_id: str,
    to_user_id: str,
    *,
    reason: str,
    checklist: list[dict[str, Any]] | None = None,
    notes: str | None = None,
    backup_user_id: str | None = None,
) -> str:
    """The handover dialog's call: :func:`services.handover.hand_over_client` with a required
    reason, the errors named after the dialog's fields. Returns the handover id."""
    from .handover import hand_over_client

    if not (reason or "").strip():
        raise ValidationError("reason", _("{label} is required.").format(label=_(REASON_LABEL)))
    try:
        result = hand_over_client(
            ctx, client_id, to_user_id, reason, checklist=checklist, notes=notes, backup_user=backup_user_id
        )
    except ValidationError as exc:
        if exc.field != "to":
            raise
        raise ValidationError("to_user_id", exc.message) from None
    handover_id: str = result["handover_id"]
    return handover_id
