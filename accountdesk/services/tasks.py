"""Tasks (待办任务): next steps someone owes a client — owner, due date, and the visit they came from.

Rules: a task done gets the time it was done (``done_at``, never in the future); a task opened
again loses it. A visit's "next steps" become tasks with :func:`tasks_from_visit`, each owned by
the visit's owner unless given, in the same unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ..errors import ValidationError
from ..i18n import _
from ..models import Task
from ..models.enums import TaskStatus
from . import records
from .context import AppContext
from .records import RuleContext, register_rule

#: How long after the visit a next step is due when no date is given.
DEFAULT_DUE_DAYS = 14


@register_rule("task")
def _done_at_follows_status(rc: RuleContext) -> None:
    status = rc.current("status") or TaskStatus.OPEN.value
    given = rc.values.get("done_at")
    now = rc.ctx.now()
    if given is not None:
        if status != TaskStatus.DONE.value:
            raise ValidationError("done_at", _("Only a task that is done has a time it was done."))
        if given > now + dt.timedelta(minutes=5):
            raise ValidationError("done_at", _("A task cannot have been done in the future."))
        return
    if status == TaskStatus.DONE.value and rc.current("done_at") is None:
        rc.values["done_at"] = now
    elif (
        "status" in rc.values
        and status != TaskStatus.DONE.value
        and rc.row is not None
        and rc.stored("done_at") is not None
    ):
        rc.values["done_at"] = None


@register_rule("task")
def _default_owner(rc: RuleContext) -> None:
    if rc.row is None and not rc.values.get("owner_id"):
        rc.values["owner_id"] = rc.ctx.actor.id


def create_task(ctx: AppContext, client_id: str, title: str, **values: Any) -> str:
    return records.create_record(ctx, "task", {"title": title, **values}, client_id=client_id)


def update_task(ctx: AppContext, task_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "task", task_id, values)


def complete_task(ctx: AppContext, task_id: str) -> dict[str, Any]:
    return update_task(ctx, task_id, status=TaskStatus.DONE.value)


def delete_task(ctx: AppContext, task_id: str) -> bool:
    return records.delete_record(ctx, "task", task_id)


def list_tasks(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The client's tasks, open ones first, then by due date."""
    rows = records.list_records(ctx, "task", client_id, order_by="due_on")
    return sorted(
        rows,
        key=lambda r: (
            r.get("status") != TaskStatus.OPEN.value,
            r.get("due_on") is None,
            r.get("due_on") or dt.date.max,
        ),
    )


def next_step_lines(text: str | None) -> list[str]:
    """The separate next steps written in a visit report: one per line (list marks removed)."""
    out = []
    for line in (text or "").replace("；", "\n").replace(";", "\n").splitlines():
        line = line.strip().lstrip("-*•·").strip()
        if len(line) > 2 and line[0].isdigit() and line[1] in ".、)）":
            line = line[2:].strip()
        if line:
            out.append(line[:200])
    return out


def tasks_from_visit(ctx: AppContext, visit_id: str, steps: Iterable[dict[str, Any]]) -> list[str]:
    """Make tasks of a visit's next steps (each ``{"title", "owner_id"?, "due_on"?}``), all or
    none; returns their ids. A step without a due date is due two weeks after the visit."""
    from ..models import Visit

    steps = list(steps)
    if not steps:
        return []
    with ctx.write() as (session, writer):
        visit = records.get_live(session, "visit", visit_id)
        assert isinstance(visit, Visit)
        held = (visit.done_at or visit.planned_start).astimezone().date()
        existing = set(
            session.scalars(select(Task.title).where(Task.visit_id == visit_id, Task.deleted_at.is_(None)))
        )
        ids = []
        for step in steps:
            title = (step.get("title") or "").strip()
            if not title or title in existing:
                continue
            values = {
                "title": title,
                "owner_id": step.get("owner_id") or visit.owner_id or ctx.actor.id,
                "due_on": step.get("due_on") or held + dt.timedelta(days=DEFAULT_DUE_DAYS),
                "visit_id": visit_id,
                "status": TaskStatus.OPEN.value,
            }
            ids.append(records.create_in(ctx, session, writer, "task", values, client_id=visit.client_id).id)
            existing.add(title)
        return ids


__all__ = [
    "DEFAULT_DUE_DAYS",
    "complete_task",
    "create_task",
    "delete_task",
    "list_tasks",
    "next_step_lines",
    "tasks_from_visit",
    "update_task",
]
