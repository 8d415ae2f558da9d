"""What is due for one client (next visits by cadence, deadlines, service and calibration dates),
computed from service data; uses the scheduling service when it is available."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ...i18n import _
from ...labels import label
from ...models.enums import VisitKind
from ...services.equipment import add_months, next_calibration_on, next_service_on


@dataclass(frozen=True)
class DueItem:
    on: dt.date
    text: str
    tab: str
    row_id: str | None


def plan_next_due(plan: dict[str, Any], visits: list[dict[str, Any]], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(last done, next due) of a cadence: the last completed visit of the kind + every N months."""
    if not plan.get("active", True):
        return None, None
    done = [
        (v.get("done_at") or v["planned_start"]).astimezone().date()
        for v in visits
        if v["kind"] == plan["kind"] and v.get("status") == "done"
    ]
    last = max(done) if done else None
    months = int(plan.get("every_months") or 1)
    if last is not None:
        return last, add_months(last, months)
    return None, plan.get("starts_on") or today


def due_items(client: dict[str, Any], lists: dict[str, list[dict[str, Any]]], today: dt.date,
              now: dt.datetime) -> list[DueItem]:
    out: list[DueItem] = []
    visits = lists.get("visits", [])
    for plan in lists.get("visit_plans", []):
        _last, nxt = plan_next_due(plan, visits, today)
        if nxt is not None:
            name = plan.get("title") or label(VisitKind, plan["kind"])
            out.append(DueItem(nxt, _("{kind} due").format(kind=name), "visits", plan["id"]))
    for v in visits:
        if v.get("status") == "planned":
            out.append(DueItem(v["planned_start"].astimezone().date(),
                               _("Planned: {kind}").format(kind=label(VisitKind, v["kind"])), "visits", v["id"]))
    for f in lists.get("feedback", []):
        due = f.get("effective_due") or f.get("due_at")
        if due is not None and f.get("status") in ("received", "investigating", "resolved"):
            out.append(DueItem(due.astimezone().date(), _("Deadline: {subject}").format(subject=f["subject"]),
                               "feedback", f["id"]))
    for e in lists.get("equipment", []):
        if e.get("status") == "retired":
            continue
        s = next_service_on(e)
        if s is not None:
            out.append(DueItem(s, _("Service due: {name}").format(name=e["name"]), "equipment", e["id"]))
        c = next_calibration_on(e)
        if c is not None:
            out.append(DueItem(c, _("Calibration due: {name}").format(name=e["name"]), "equipment", e["id"]))
    renewal = client.get("contract_renewal_date")
    if renewal is not None:
        out.append(DueItem(renewal, _("Contract renewal"), "overview", None))
    for item in lists.get("improvement_items", []):
        if item.get("due_on") and item.get("status") in ("open", "in_progress"):
            out.append(DueItem(item["due_on"], _("Improvement: {action}").format(action=item["action"]),
                               "improvement", item["id"]))
    out.sort(key=lambda d: d.on)
    return out
