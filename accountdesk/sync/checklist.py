"""The handover checklist, built from a client's rows (wire dicts), shared by the device's
handover service and the server's ``client assign`` command.

Each item is ``{"key", "label", "done", "detail", "count"}``; ``label`` is English marked for
translation (shown with ``_()`` at display time), ``detail`` lists what the new owner must pick up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..domain.feedback import OPEN_STATUSES as OPEN_FEEDBACK
from ..i18n import N_

OPEN_ITEMS = ("open", "in_progress")

LABELS = {
    "open_feedback": N_("Open feedback"),
    "upcoming_visits": N_("Upcoming visits"),
    "open_improvement_items": N_("Open improvement items"),
    "key_contacts": N_("Key contacts"),
}


def _due(value: Any) -> str:
    """The deadline of a wire datetime as ``· 2026-03-09``, empty without one (no words: the
    detail is stored data, shown in either language)."""
    text = str(value or "")
    return f"· {text[:10]}" if text else ""


def build_checklist(rows: Mapping[str, Iterable[Mapping[str, Any]]], today_iso: str) -> list[dict[str, Any]]:
    """``rows`` maps entity -> live rows of one client (wire values); ``today_iso`` is YYYY-MM-DD."""

    def live(entity: str) -> list[Mapping[str, Any]]:
        return [r for r in rows.get(entity, ()) if not r.get("deleted_at")]

    feedback = [r for r in live("feedback") if r.get("status") in OPEN_FEEDBACK]
    visits = sorted(
        (
            r
            for r in live("visit")
            if r.get("status") == "planned" and str(r.get("planned_start") or "")[:10] >= today_iso
        ),
        key=lambda r: str(r.get("planned_start")),
    )
    items = [r for r in live("improvement_item") if r.get("status") in OPEN_ITEMS]
    contacts = [
        r
        for r in live("contact")
        if not r.get("left_company_on")
        and (
            r.get("is_primary")
            or r.get("relationship_role") in ("executive_sponsor", "decision_maker")
            or (r.get("influence") or 0) >= 7
        )
    ]
    out = []
    describe: Callable[[Mapping[str, Any]], str]
    for key, found, describe in (
        (
            "open_feedback",
            feedback,
            lambda r: " ".join(x for x in (str(r.get("subject") or ""), _due(r.get("due_at"))) if x),
        ),
        (
            "upcoming_visits",
            visits,
            lambda r: (
                f"{str(r.get('planned_start') or '')[:16]} {r.get('purpose') or r.get('kind') or ''}".strip()
            ),
        ),
        ("open_improvement_items", items, lambda r: str(r.get("action") or "")),
        (
            "key_contacts",
            contacts,
            lambda r: " ".join(str(x) for x in (r.get("name"), r.get("title"), r.get("mobile")) if x),
        ),
    ):
        out.append(
            {
                "key": key,
                "label": LABELS[key],
                "done": False,
                "count": len(found),
                "detail": [describe(r) for r in found[:20]],
            }
        )
    return out
