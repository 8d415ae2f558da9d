"""Alerts for the person at this laptop (issue 15, point 3): the bell's history and the desktop
notifications, each raised once.

Two sources, one table (:class:`~accountdesk.models.Alert`, device-local, keyed):

- **computed here** from this laptop's data (:func:`raise_due`): a complaint whose deadline
  nears or has passed, for its handler (the client's owner when it has none), once per level of
  the escalation ladder (:mod:`accountdesk.domain.feedback`); the person's open tasks due today
  (or in the last week); a reminder before each of their planned visits (``lead`` minutes before
  its start, and on the day);
- **from the server** (:func:`record_server_alerts`): the escalations the server's routing rules
  send to this person (the supervisor a complaint escalates to), pulled after each sync
  (``GET /v1/notify/alerts``). A complaint level the handler's laptop raised itself has the same
  key, so it is one alert whichever source came first.

Each alert keeps what its text is made of, so the history reads in the language shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, literal, or_, select, update

from ..domain.feedback import LEVEL_OVERDUE, OPEN_STATUSES, effective_due, feedback_escalation_level
from ..i18n import N_, _
from ..models import Alert, Client, Feedback, Task, Visit
from ..models.enums import TaskStatus, VisitStatus
from ..sync.changes import get_meta, set_meta
from ..sync.codec import decode_value
from .context import AppContext
from .scope import served_by

#: Minutes before a planned visit at which its reminder is raised (the setting's default; a
#: negative value: none).
DEFAULT_VISIT_LEAD_MIN = 60
#: Tasks overdue longer than this are Today's business, not a fresh alert.
TASK_WINDOW_DAYS = 7
HISTORY_LIMIT = 200
#: alerts kept per person (the oldest beyond are forgotten)
KEEP = 500

LEVEL_TITLES = {
    1: N_("Complaint deadline near"),
    2: N_("Complaint deadline imminent"),
    3: N_("Complaint past its deadline"),
}


@dataclass(frozen=True)
class AlertView:
    key: str
    kind: str  # escalation | deadline | task | visit
    client_id: str | None
    entity: str | None
    row_id: str | None
    params: dict[str, Any]
    due_at: dt.datetime | None
    created_at: dt.datetime
    read: bool

    @property
    def title(self) -> str:
        p = self.params
        if self.kind in ("escalation", "deadline"):
            return _(LEVEL_TITLES.get(int(p.get("level") or 1), LEVEL_TITLES[1]))
        if self.kind == "task":
            return _("Task due: {title}").format(title=p.get("title") or "")
        if self.kind == "visit" and self.due_at is not None:
            return _("Visit at {time}").format(time=self.due_at.astimezone().strftime("%H:%M"))
        return ""

    @property
    def text(self) -> str:
        p = self.params
        parts = [p.get("client_name") or ""]
        if self.kind in ("escalation", "deadline"):
            parts.append(p.get("subject") or "")
        elif self.kind == "visit":
            parts.append(p.get("title") or "")
        text = " · ".join(x for x in parts if x)
        if self.kind == "escalation":
            level = int(p.get("level") or 1)
            text += "\n" + _("Escalated to you (level {level} of {top})").format(
                level=level, top=LEVEL_OVERDUE
            )
        return text


def _key(ctx: AppContext, key: str) -> str:
    """Keys are per person: two people sharing a laptop each get their alerts."""
    return f"{ctx.actor.id}/{key}"


def _view(row: Alert, user_prefix: str) -> AlertView:
    return AlertView(
        key=row.key[len(user_prefix) :] if row.key.startswith(user_prefix) else row.key,
        kind=row.kind,
        client_id=row.client_id,
        entity=row.entity,
        row_id=row.row_id,
        params=dict(row.params or {}),
        due_at=row.due_at,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


# -- computing ----------------------------------------------------------------------------------
def due_candidates(ctx: AppContext, lead_minutes: int = DEFAULT_VISIT_LEAD_MIN) -> list[dict[str, Any]]:
    """The alerts this laptop's data calls for now (raised or not)."""
    me = ctx.actor.id
    now = ctx.now()
    today = ctx.today()
    day_start = dt.datetime.combine(today, dt.time()).astimezone()
    out: list[dict[str, Any]] = []
    with ctx.read() as session:
        names: dict[str, str] = {}

        def name(client_id: str | None) -> str:
            if client_id and client_id not in names:
                names[client_id] = session.scalar(select(Client.name).where(Client.id == client_id)) or ""
            return names.get(client_id or "", "")

        live = select(Client.id).where(Client.deleted_at.is_(None))  # a deleted client's work is not alerted
        owner = select(Client.owner_id).where(Client.id == Feedback.client_id).scalar_subquery()
        complaints = session.scalars(
            select(Feedback).where(
                Feedback.deleted_at.is_(None),
                Feedback.client_id.in_(live),
                Feedback.due_at.is_not(None),
                Feedback.status.in_(sorted(OPEN_STATUSES)),
                (Feedback.handler_id == me) | (Feedback.handler_id.is_(None) & (owner == me)),
            )
        )
        for row in complaints:
            level = feedback_escalation_level(row, now)
            if level <= 0:
                continue
            out.append(
                {
                    "key": f"escalation:{row.id}:{level}",
                    "kind": "deadline",
                    "client_id": row.client_id,
                    "entity": "feedback",
                    "row_id": row.id,
                    "params": {"level": level, "subject": row.subject, "client_name": name(row.client_id)},
                    "due_at": effective_due(row, now),
                }
            )
        tasks = session.scalars(
            select(Task).where(
                Task.deleted_at.is_(None),
                Task.client_id.in_(live),
                (Task.owner_id == me) | (Task.owner_id.is_(None) & served_by(me, Task.client_id)),
                Task.status == TaskStatus.OPEN.value,
                Task.due_on.is_not(None),
                Task.due_on <= today,
                Task.due_on >= today - dt.timedelta(days=TASK_WINDOW_DAYS),
            )
        )
        for task in tasks:
            out.append(
                {
                    "key": f"task:{task.id}:{task.due_on.isoformat() if task.due_on else ''}",
                    "kind": "task",
                    "client_id": task.client_id,
                    "entity": "task",
                    "row_id": task.id,
                    "params": {"title": task.title, "client_name": name(task.client_id)},
                    "due_at": None,
                }
            )
        visits = session.scalars(
            select(Visit).where(
                literal(lead_minutes >= 0),  # a negative lead: no visit reminders
                Visit.deleted_at.is_(None),
                Visit.client_id.in_(live),
                Visit.status == VisitStatus.PLANNED.value,
                Visit.planned_start >= day_start,
                Visit.planned_start <= now + dt.timedelta(minutes=max(lead_minutes, 0)),
            )
        )
        unassigned = set(
            session.scalars(select(Client.id).where(served_by(me)))
        )  # the visits nobody is assigned to are for those who serve the client
        for visit in visits:
            if (
                visit.owner_id != me
                and me not in (visit.attendee_user_ids or [])
                and not (visit.owner_id is None and visit.client_id in unassigned)
            ):
                continue
            start = visit.planned_start
            out.append(
                {
                    "key": f"visit:{visit.id}:{start.isoformat()}",
                    "kind": "visit",
                    "client_id": visit.client_id,
                    "entity": "visit",
                    "row_id": visit.id,
                    "params": {"title": visit.purpose or "", "client_name": name(visit.client_id)},
                    "due_at": start,
                }
            )
    return out


def record(ctx: AppContext, candidates: list[dict[str, Any]]) -> list[AlertView]:
    """Store the candidates not raised before; returns those (the fresh alerts), in order."""
    if not candidates:
        return []
    prefix = _key(ctx, "")
    by_key = {_key(ctx, c["key"]): c for c in candidates}
    fresh: list[AlertView] = []
    now = ctx.now()
    with ctx.store.write() as session:
        keys = list(by_key)
        have: set[str] = set()
        for start in range(0, len(keys), 500):
            have.update(session.scalars(select(Alert.key).where(Alert.key.in_(keys[start : start + 500]))))
        for key, c in by_key.items():
            if key in have:
                continue
            row = Alert(
                key=key,
                user_id=ctx.actor.id,
                kind=c["kind"],
                client_id=c.get("client_id"),
                entity=c.get("entity"),
                row_id=c.get("row_id"),
                params=c.get("params") or {},
                due_at=c.get("due_at"),
                created_at=now,
                read_at=None,
            )
            session.add(row)
            fresh.append(_view(row, prefix))
    return fresh


def raise_due(ctx: AppContext, lead_minutes: int = DEFAULT_VISIT_LEAD_MIN) -> list[AlertView]:
    """Compute and record this laptop's alerts; returns the fresh ones."""
    tidy(ctx)
    return record(ctx, due_candidates(ctx, lead_minutes))


def tidy(ctx: AppContext, keep: int = KEEP) -> int:
    """Forget the alerts of clients no longer on this laptop (deleted, handed over: their names
    leave with them; an escalation from the server only once its client is deleted here) and all
    but the newest ``keep`` of each person; returns how many went."""
    live = select(Client.id).where(Client.deleted_at.is_(None))
    deleted = select(Client.id).where(Client.deleted_at.is_not(None))
    # an escalation the server sent may name a client this laptop never had: kept until deleted
    gone = delete(Alert).where(
        Alert.client_id.is_not(None),
        or_(
            Alert.client_id.in_(deleted),
            (Alert.kind != "escalation") & Alert.client_id.not_in(live),
        ),
    )
    with ctx.store.write() as session:
        result: Any = session.execute(gone)  # a DELETE: its CursorResult has the row count
        removed = result.rowcount or 0
        for user_id in session.scalars(select(Alert.user_id).distinct()):
            old = (
                select(Alert.key)
                .where(Alert.user_id == user_id)
                .order_by(Alert.created_at.desc(), Alert.key)
                .offset(keep)
            )
            stale = list(session.scalars(old))
            if stale:
                session.execute(delete(Alert).where(Alert.key.in_(stale)))
                removed += len(stale)
    return removed


# -- from the server ----------------------------------------------------------------------------
def server_cursor(ctx: AppContext) -> int:
    with ctx.read() as session:
        return int(get_meta(session, f"alerts_cursor:{ctx.actor.id}", 0) or 0)


def record_server_alerts(ctx: AppContext, answer: dict[str, Any]) -> list[AlertView]:
    """Record the server's answer to ``GET /v1/notify/alerts`` (its alerts and the next cursor);
    returns the fresh alerts. An alert seen before (the cursor lost, a restore) is not raised again."""
    candidates = []
    for a in answer.get("alerts") or []:
        if not str(a.get("event") or "").startswith("escalation") or not a.get("feedback_id"):
            continue
        try:
            level = int(a.get("level") or 0)
            due = decode_value(Feedback, "due_at", a.get("due"))
        except (TypeError, ValueError):
            continue
        candidates.append(
            {
                "key": f"escalation:{a['feedback_id']}:{level}",
                "kind": "escalation",
                "client_id": a.get("client_id"),
                "entity": "feedback",
                "row_id": a["feedback_id"],
                "params": {
                    "level": level,
                    "subject": str(a.get("subject") or ""),
                    "client_name": str(a.get("client_name") or ""),
                },
                "due_at": due,
            }
        )
    fresh = record(ctx, candidates)
    cursor = int(answer.get("next") or 0)
    if cursor:
        with ctx.store.write() as session:
            set_meta(session, f"alerts_cursor:{ctx.actor.id}", cursor)
    return fresh


# -- the bell ------------------------------------------------------------------------------------
def history(ctx: AppContext, limit: int = HISTORY_LIMIT) -> list[AlertView]:
    """The person's alerts, newest first."""
    prefix = _key(ctx, "")
    with ctx.read() as session:
        rows = session.scalars(
            select(Alert)
            .where(Alert.user_id == ctx.actor.id)
            .order_by(Alert.created_at.desc(), Alert.key)
            .limit(limit)
        )
        return [_view(r, prefix) for r in rows]


def unread_count(ctx: AppContext) -> int:
    with ctx.read() as session:
        return int(
            session.scalar(select(func.count()).where(Alert.user_id == ctx.actor.id, Alert.read_at.is_(None)))
            or 0
        )


def mark_read(ctx: AppContext, keys: list[str] | None = None) -> None:
    """Mark these alerts (all when None) read."""
    stmt = update(Alert).where(Alert.user_id == ctx.actor.id, Alert.read_at.is_(None))
    if keys is not None:
        stmt = stmt.where(Alert.key.in_([_key(ctx, k) for k in keys]))
    with ctx.store.write() as session:
        session.execute(stmt.values(read_at=ctx.now()))
