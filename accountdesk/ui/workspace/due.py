"""What is due for one client (next visits by cadence, deadlines, service and calibration dates),
computed from service data; uses the scheduling service when it is available."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...domain.feedback import is_open
from ...i18n import _
from ...labels import label
from ...models.enums import VisitKind
from ...services.equipment import next_calibration_on, next_service_on

if TYPE_CHECKING:
    from ...services.scheduling import PlanStatus


@dataclass(frozen=True)
class DueItem:
    on: dt.date
    text: str
    tab: str
    row_id: str | None


def due_items(
    client: dict[str, Any], lists: Mapping[str, list[Any]], today: dt.date, now: dt.datetime
) -> list[DueItem]:
    """``lists``: the client's rows by list (dicts), and its ``plan_statuses`` (PlanStatus)."""
    out: list[DueItem] = []
    visits = lists.get("visits", [])
    plan_statuses: list[PlanStatus] = lists.get("plan_statuses", [])
    for st in plan_statuses:
        if st.scheduled is None:  # a planned visit is listed below
            name = st.title or label(VisitKind, st.kind)
            out.append(DueItem(st.due, _("{kind} due").format(kind=name), "visits", st.plan_id))
    for v in visits:
        if v.get("status") == "planned":
            out.append(
                DueItem(
                    v["planned_start"].astimezone().date(),
                    _("Planned: {kind}").format(kind=label(VisitKind, v["kind"])),
                    "visits",
                    v["id"],
                )
            )
    for f in lists.get("feedback", []):
        due = f.get("effective_due") or f.get("due_at")
        if due is not None and is_open(f):
            out.append(
                DueItem(
                    due.astimezone().date(),
                    _("Deadline: {subject}").format(subject=f["subject"]),
                    "feedback",
                    f["id"],
                )
            )
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
            out.append(
                DueItem(
                    item["due_on"],
                    _("Improvement: {action}").format(action=item["action"]),
                    "improvement",
                    item["id"],
                )
            )
    out.sort(key=lambda d: d.on)
    return out
