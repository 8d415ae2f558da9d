"""Human labels for enumeration values (English msgids; translated through the catalogues)."""

from __future__ import annotations

from enum import StrEnum

from .i18n import N_, SUPPORTED, _, load_catalogue
from .models import enums as E

LABELS: dict[type[StrEnum], dict[str, str]] = {
    E.Role: {
        "admin": N_("Administrator"),
        "supervisor": N_("Supervisor"),
        "manager": N_("Account manager"),
        "field": N_("Field staff"),
    },
    E.Tier: {"strategic": N_("Strategic client"), "key": N_("Key client"), "standard": N_("Standard client")},
    E.ClientStatus: {
        "prospect": N_("Prospect"),
        "active": N_("Active"),
        "at_risk": N_("At risk"),
        "dormant": N_("Dormant"),
        "lost": N_("Lost"),
    },
    E.BuyingRole: {
        "economic_buyer": N_("Economic buyer"),
        "user": N_("User"),
        "technical": N_("Technical"),
        "coach": N_("Coach"),
        "other": N_("Other"),
    },
    E.RelationshipRole: {
        "executive_sponsor": N_("Executive sponsor"),
        "decision_maker": N_("Decision maker"),
        "influencer": N_("Influencer"),
        "daily_contact": N_("Daily contact"),
        "finance": N_("Finance"),
        "other": N_("Other"),
    },
    E.Attitude: {"supporter": N_("Supporter"), "neutral": N_("Neutral"), "detractor": N_("Detractor")},
    E.Channel: {
        "mobile": N_("Mobile"),
        "phone": N_("Phone"),
        "email": N_("Email"),
        "wechat": N_("WeChat"),
        "visit": N_("Visit"),
    },
    E.VisitKind: {
        "return_visit": N_("Return visit"),
        "executive_meeting": N_("Executive meeting"),
        "satisfaction_survey": N_("Satisfaction survey"),
        "improvement_review": N_("Improvement review"),
        "custom": N_("Custom"),
    },
    E.VisitChannel: {
        "onsite": N_("On site"),
        "phone": N_("Phone"),
        "video": N_("Video"),
        "informal": N_("Informal"),
    },
    E.VisitStatus: {
        "planned": N_("Planned"),
        "done": N_("Done"),
        "cancelled": N_("Cancelled"),
        "missed": N_("Missed"),
    },
    E.OfferingCategory: {"standard": N_("Standard service"), "value_added": N_("Value-added service")},
    E.ClientServiceStatus: {
        "proposed": N_("Proposed"),
        "active": N_("Active"),
        "paused": N_("Paused"),
        "ended": N_("Ended"),
    },
    E.FeedbackKind: {
        "complaint": N_("Complaint"),
        "appeal": N_("Appeal"),
        "praise": N_("Praise"),
        "suggestion": N_("Suggestion"),
        "inquiry": N_("Inquiry"),
    },
    E.FeedbackChannel: {
        "phone": N_("Phone"),
        "written": N_("Written"),
        "onsite": N_("On site"),
        "email": N_("Email"),
        "wechat": N_("WeChat"),
    },
    E.Severity: {"low": N_("Low"), "medium": N_("Medium"), "high": N_("High"), "critical": N_("Critical")},
    E.FeedbackStatus: {
        "received": N_("Received"),
        "investigating": N_("Investigating"),
        "resolved": N_("Resolved"),
        "answered": N_("Answered"),
        "closed": N_("Closed"),
    },
    E.TaskStatus: {"open": N_("Open"), "done": N_("Done"), "cancelled": N_("Cancelled")},
    E.ItemStatus: {
        "open": N_("Open"),
        "in_progress": N_("In progress"),
        "done": N_("Done"),
        "cancelled": N_("Cancelled"),
    },
    E.RiskKind: {
        "litigation_use": N_("Results used in litigation"),
        "extreme_deadlines": N_("Extreme deadline demands"),
        "dishonest_debtor": N_("Dishonest debtor"),
        "dominant_client": N_("Dominant client"),
        "payment_overdue": N_("Payment overdue"),
        "churn_risk": N_("Churn risk"),
        "other": N_("Other"),
    },
    E.EquipmentStatus: {
        "in_service": N_("In service"),
        "out_of_service": N_("Out of service"),
        "retired": N_("Retired"),
    },
    E.InteractionKind: {
        "call": N_("Call"),
        "email": N_("Email"),
        "meeting": N_("Meeting"),
        "wechat": N_("WeChat"),
        "other": N_("Other"),
    },
    E.OpportunityStage: {
        "identified": N_("Identified"),
        "qualified": N_("Qualified"),
        "proposal": N_("Proposal"),
        "negotiation": N_("Negotiation"),
        "won": N_("Won"),
        "lost": N_("Lost"),
    },
    E.OwnershipKind: {"owner": N_("Account manager"), "backup": N_("Backup owner")},
    E.HandoverStatus: {"open": N_("Open"), "completed": N_("Completed"), "acknowledged": N_("Acknowledged")},
    E.AttachmentKind: {
        "photo": N_("Photo"),
        "certificate": N_("Certificate"),
        "agreement": N_("Signed agreement"),
        "contract": N_("Contract"),
        "report": N_("Report"),
        "letter": N_("Letter"),
        "email": N_("E-mail"),
        "other": N_("Other"),
    },
}


#: What one record of each entity is called (history, timeline, conflicts).
ENTITY_LABELS: dict[str, str] = {
    "user": N_("User"),
    "client": N_("Client"),
    "client_team_member": N_("Team member"),
    "contact": N_("Contact"),
    "visit_plan": N_("Visit plan"),
    "visit": N_("Visit"),
    "service_commitment": N_("SLA commitment"),
    "service_note": N_("Service note"),
    "service_offering": N_("Service offering"),
    "client_service": N_("Value-added service"),
    "service_delivery": N_("Service delivery"),
    "feedback": N_("Feedback"),
    "survey": N_("Survey"),
    "improvement_plan": N_("Improvement plan"),
    "improvement_item": N_("Improvement"),
    "risk_flag": N_("Risk flag"),
    "equipment": N_("Equipment"),
    "interaction": N_("Interaction"),
    "opportunity": N_("Opportunity"),
    "attachment": N_("Attachment"),
    "ownership_change": N_("Ownership"),
    "handover": N_("Handover"),
}


def entity_label(entity: str) -> str:
    """The translated name of one record of ``entity`` (the entity itself if unknown)."""
    text = ENTITY_LABELS.get(entity)
    return _(text) if text else entity


#: Labels of the usual SLA metric codes of a service commitment (anything else shows as written).
SLA_METRICS: dict[str, str] = {
    "response_hours": N_("Response time (hours)"),
    "onsite_hours": N_("On site within (hours)"),
    "availability_pct": N_("Availability (%)"),
    "report_days": N_("Report within (working days)"),
    "report_hours": N_("Report within (hours)"),
    "notice_days": N_("Advance notice (days)"),
    "resolution_hours": N_("Resolution time (hours)"),
}


#: The unit of each usual SLA metric's target.
SLA_UNITS: dict[str, str] = {
    "response_hours": N_("{n} h"),
    "onsite_hours": N_("{n} h"),
    "resolution_hours": N_("{n} h"),
    "report_hours": N_("{n} h"),
    "availability_pct": N_("{n} %"),
    "report_days": N_("{n} working days"),
    "notice_days": N_("{n} days"),
}


def target_text(code: str | None, target: float | None) -> str:
    """An SLA target with the unit of its metric ("24 h", "99.5 %"); a bare number otherwise."""
    if target is None:
        return ""
    number = f"{target:g}"
    return _(SLA_UNITS[code]).format(n=number) if code in SLA_UNITS else number


def metric_label(code: str | None) -> str:
    """A commitment's SLA metric code in words ('' for none; an unknown code as written)."""
    if not code:
        return ""
    return _(SLA_METRICS[code]) if code in SLA_METRICS else code


def label(enum: type[StrEnum], value: str | None) -> str:
    """The translated label of a value ('' for None; the raw value if unknown)."""
    if value is None:
        return ""
    text = LABELS.get(enum, {}).get(value)
    return _(text) if text else str(value)


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """``[(value, translated label)]`` in declaration order, for combo boxes."""
    return [(e.value, label(enum, e.value)) for e in enum]


_reverse: dict[type[StrEnum], dict[str, str]] | None = None


def value_for_label(enum: type[StrEnum], text: str) -> str | None:
    """Find the value whose label (English or any shipped translation) is ``text``."""
    global _reverse
    if _reverse is None:
        _reverse = {}
        catalogues = [c for c in (load_catalogue(lang) for lang in SUPPORTED) if c is not None]
        for en, labels in LABELS.items():
            rev: dict[str, str] = {}
            for value, english in labels.items():
                rev[english.casefold()] = value
                for cat in catalogues:
                    msg = cat.get(english)
                    if msg is not None and msg.string:
                        rev[str(msg.string).casefold()] = value
            _reverse[en] = rev
    return _reverse.get(enum, {}).get(text.strip().casefold())
