"""The frozen records the client dossier and the handover report are printed from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ...domain.feedback import OPEN_STATUSES
from ...domain.surveys import overall_score
from ..attachments import AttachmentInfo
from ..health import level_label
from .common import DONE_ITEMS


# -- DTOs ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamMemberInfo:
    name: str
    role: str | None


@dataclass(frozen=True)
class ClientProfile:
    id: str
    name: str
    short_name: str | None
    uscc: str | None
    industry: str | None
    tier: str
    status: str
    province: str | None
    city: str | None
    address: str | None
    employees: int | None
    annual_fees: int | None  # None when hidden (confidential) or unknown
    service_frequency: int | None
    report_usage: str | None
    deadline_demands: str | None
    owner_name: str
    backup_owner_name: str
    team: tuple[TeamMemberInfo, ...]
    relationship_since: dt.date | None
    contract_renewal_date: dt.date | None
    tags: tuple[str, ...]
    description: str | None


@dataclass(frozen=True)
class ContactInfo:
    id: str
    name: str
    title: str | None
    department: str | None
    buying_role: str | None
    relationship_role: str | None
    influence: int | None
    attitude: str | None
    relationship_strength: int | None
    reports_to_id: str | None
    mobile: str | None
    phone: str | None
    email: str | None
    wechat: str | None
    preferred_channel: str | None
    is_primary: bool
    left_company_on: dt.date | None
    notes: str | None

    @property
    def has_left(self) -> bool:
        return self.left_company_on is not None


@dataclass(frozen=True)
class VisitPlanInfo:
    kind: str
    title: str | None
    every_months: int
    owner_name: str
    last_done: dt.date | None
    next_due: dt.date
    overdue: bool


@dataclass(frozen=True)
class VisitInfo:
    kind: str
    channel: str
    planned_start: dt.datetime
    status: str
    owner_name: str
    location: str | None
    purpose: str | None
    attendees: tuple[str, ...]
    outcome: str | None
    client_requests: str | None
    follow_ups: str | None
    next_steps: str | None
    #: with ``visit_photos``: the visit's photos scaled for printing (JPEG bytes)
    photos: tuple[bytes, ...] = ()

    @property
    def has_report(self) -> bool:
        return any((self.outcome, self.client_requests, self.follow_ups, self.next_steps))


@dataclass(frozen=True)
class CommitmentInfo:
    title: str
    metric: str | None
    target: float | None
    coverage: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    notes: str | None


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    code: str
    category: str
    status: str
    start_date: dt.date | None
    end_date: dt.date | None
    value_estimate: int | None  # confidential
    deliveries: int
    last_delivered: dt.date | None


@dataclass(frozen=True)
class NoteInfo:
    category: str | None
    text: str
    confidential: bool


@dataclass(frozen=True)
class FeedbackInfo:
    kind: str
    channel: str | None
    received_at: dt.datetime
    severity: str
    subject: str
    description: str | None
    handler_name: str
    due_at: dt.datetime | None
    status: str
    resolution: str | None
    answer: str | None
    answered_at: dt.datetime | None
    overdue: bool
    answered_on_time: bool | None  # None while unanswered or without a deadline

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class SurveyInfo:
    conducted_on: dt.date
    respondent: str | None
    scores: tuple[int | None, ...]  # in the order of models.SCORE_FIELDS
    comments: str | None

    @property
    def overall(self) -> float | None:
        return overall_score(self.scores)


@dataclass(frozen=True)
class ImprovementItemInfo:
    year: int
    action: str
    owner_name: str
    due_on: dt.date | None
    status: str
    result: str | None

    @property
    def is_open(self) -> bool:
        return self.status not in DONE_ITEMS


@dataclass(frozen=True)
class RiskInfo:
    kind: str
    severity: str
    note: str | None
    raised_by_name: str
    raised_at: dt.datetime
    cleared_at: dt.datetime | None


@dataclass(frozen=True)
class EquipmentInfo:
    name: str
    model: str | None
    serial: str | None
    category: str | None
    location: str | None
    status: str
    last_serviced_on: dt.date | None
    next_service_due: dt.date | None
    last_calibrated_on: dt.date | None
    next_calibration_due: dt.date | None

    @property
    def next_due(self) -> dt.date | None:
        dates = [d for d in (self.next_service_due, self.next_calibration_due) if d is not None]
        return min(dates) if dates else None


@dataclass(frozen=True)
class OpportunityInfo:
    title: str
    estimated_value: int | None  # confidential
    stage: str
    expected_on: dt.date | None
    notes: str | None


@dataclass(frozen=True)
class OwnershipInfo:
    kind: str
    from_name: str
    to_name: str
    by_name: str
    at: dt.datetime
    reason: str | None


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str | None


@dataclass(frozen=True)
class HandoverInfo:
    id: str
    from_name: str
    to_name: str
    by_name: str
    at: dt.datetime
    reason: str | None
    checklist: tuple[ChecklistItem, ...]
    notes: str | None
    status: str


@dataclass(frozen=True)
class HealthInfo:
    """The account health score (services.health) with the reasons that took points off."""

    score: int
    level: str
    level_label: str
    reasons: tuple[str, ...]


def _health_info(h: Any) -> HealthInfo | None:
    if h is None:
        return None
    return HealthInfo(
        h.score, h.level, level_label(h.level), tuple(r.text for r in h.reasons if r.impact < 0)
    )


@dataclass(frozen=True)
class ClientDossier:
    """Everything one client's dossier prints."""

    profile: ClientProfile
    contacts: tuple[ContactInfo, ...]
    plans: tuple[VisitPlanInfo, ...]
    recent_visits: tuple[VisitInfo, ...]  # the last 12 months, newest first
    upcoming_visits: tuple[VisitInfo, ...]  # planned from today on, soonest first
    commitments: tuple[CommitmentInfo, ...]
    services: tuple[ServiceInfo, ...]
    notes: tuple[NoteInfo, ...]
    feedback: tuple[FeedbackInfo, ...]  # newest first
    surveys: tuple[SurveyInfo, ...]  # oldest first (a trend)
    improvement_items: tuple[ImprovementItemInfo, ...]
    risks: tuple[RiskInfo, ...]  # active first
    equipment: tuple[EquipmentInfo, ...]
    opportunities: tuple[OpportunityInfo, ...]
    ownership: tuple[OwnershipInfo, ...]  # oldest first
    handovers: tuple[HandoverInfo, ...]  # newest first
    as_of: dt.date
    generated_at: dt.datetime
    generated_by: str
    confidential_visible: bool
    #: "internal" (the account team) or "external" (no personal data of contacts, no confidential figures)
    audience: str = "internal"
    health: HealthInfo | None = None
    #: the files kept with the client (services/attachments.py), newest first; confidential ones
    #: only for roles that may see them
    attachments: tuple[AttachmentInfo, ...] = ()

    @property
    def active_risks(self) -> tuple[RiskInfo, ...]:
        return tuple(r for r in self.risks if r.cleared_at is None)


@dataclass(frozen=True)
class HandoverReportData:
    dossier: ClientDossier
    handover: HandoverInfo | None  # None when the client has no handover recorded yet
