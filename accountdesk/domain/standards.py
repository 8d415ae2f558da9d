"""Service standards per tier (服务标准, the key-account pyramid's service guide): which visit
cadences every client of a tier gets. Pure data and rules shared by the laptop's services and
the dashboard; the supervisor's own standard is stored as ``service_standard`` rows.

The shipped default follows the key-account practice: strategic and key clients get the monthly
return visit, the quarterly executive meeting, the half-yearly satisfaction survey and the
yearly improvement review; standard clients get a lighter standard (a quarterly return visit
and a yearly satisfaction survey).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..models.enums import Tier, VisitKind

_KEY_PRACTICE = {
    VisitKind.RETURN_VISIT.value: 1,
    VisitKind.EXECUTIVE_MEETING.value: 3,
    VisitKind.SATISFACTION_SURVEY.value: 6,
    VisitKind.IMPROVEMENT_REVIEW.value: 12,
}

#: ``{tier: {visit kind: every_months}}`` when a supervisor has defined nothing for a tier.
DEFAULT_STANDARDS: dict[str, dict[str, int]] = {
    Tier.STRATEGIC.value: dict(_KEY_PRACTICE),
    Tier.KEY.value: dict(_KEY_PRACTICE),
    Tier.STANDARD.value: {VisitKind.RETURN_VISIT.value: 3, VisitKind.SATISFACTION_SURVEY.value: 12},
}

#: Kinds a standard may name (a custom cadence has a title and is always set by hand).
STANDARD_KINDS: tuple[str, ...] = tuple(k.value for k in VisitKind if k is not VisitKind.CUSTOM)
TIERS: tuple[str, ...] = (Tier.STRATEGIC.value, Tier.KEY.value, Tier.STANDARD.value)


def effective_standards(rows: Iterable[tuple[str, str, int, bool]]) -> dict[str, dict[str, int]]:
    """Each tier's standard from the stored rows ``(tier, kind, every_months, active)``: a tier
    with any row is defined by its active rows only; a tier without rows keeps the default."""
    defined: dict[str, dict[str, int]] = {}
    for tier, kind, months, active in rows:
        bucket = defined.setdefault(tier, {})
        if active:
            bucket[kind] = int(months)
    out = {tier: dict(DEFAULT_STANDARDS.get(tier, {})) for tier in TIERS}
    for tier, plans in defined.items():
        out[tier] = plans
    return out


def standard_plans(standard: Mapping[str, int], owner_id: str | None) -> list[dict[str, Any]]:
    """The visit plans a new client gets from its tier's ``standard`` (``{kind: every_months}``),
    as the values of new ``visit_plan`` rows marked ``from_standard``, in the standard's kind
    order. Every path that makes clients uses this: the laptop through
    :func:`accountdesk.services.standards.new_client_plans` (a person's new client, the import,
    the demo), the server's import directly (it keeps the standards as records)."""
    return [
        {
            "kind": kind,
            "title": None,
            "every_months": int(standard[kind]),
            "owner_id": owner_id,
            "active": True,
            "starts_on": None,
            "from_standard": True,
        }
        for kind in STANDARD_KINDS
        if kind in standard
    ]


def served_to_standard(standard: dict[str, int], plans: dict[str, tuple[int, bool]]) -> bool:
    """Whether a client is served to its tier's standard: every kind of the standard has an
    active cadence at least as frequent as the standard's, and none of them is overdue.
    ``plans``: ``{kind: (every_months, overdue)}`` of the client's active plans."""
    for kind, months in standard.items():
        have = plans.get(kind)
        if have is None or have[0] > months or have[1]:
            return False
    return True
