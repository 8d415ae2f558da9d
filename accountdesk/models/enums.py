"""Enumerations of the domain. Values are stable wire/storage codes; labels live in ``labels.py``."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    FIELD = "field"


class Tier(StrEnum):
    STRATEGIC = "strategic"
    KEY = "key"
    STANDARD = "standard"


class ClientStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    AT_RISK = "at_risk"
    DORMANT = "dormant"
    LOST = "lost"


class BuyingRole(StrEnum):
    ECONOMIC_BUYER = "economic_buyer"
    USER = "user"
    TECHNICAL = "technical"
    COACH = "coach"
    OTHER = "other"


class RelationshipRole(StrEnum):
    EXECUTIVE_SPONSOR = "executive_sponsor"
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    DAILY_CONTACT = "daily_contact"
    FINANCE = "finance"
    OTHER = "other"


class Attitude(StrEnum):
    SUPPORTER = "supporter"
    NEUTRAL = "neutral"
    DETRACTOR = "detractor"


class Channel(StrEnum):
    """Preferred channel of a contact."""

    MOBILE = "mobile"
    PHONE = "phone"
    EMAIL = "email"
    WECHAT = "wechat"
    VISIT = "visit"


class VisitKind(StrEnum):
    RETURN_VISIT = "return_visit"
    EXECUTIVE_MEETING = "executive_meeting"
    SATISFACTION_SURVEY = "satisfaction_survey"
    IMPROVEMENT_REVIEW = "improvement_review"
    CUSTOM = "custom"


class VisitChannel(StrEnum):
    ONSITE = "onsite"
    PHONE = "phone"
    VIDEO = "video"
    INFORMAL = "informal"


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"
    MISSED = "missed"


class OfferingCategory(StrEnum):
    STANDARD = "standard"
    VALUE_ADDED = "value_added"


class ClientServiceStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class FeedbackKind(StrEnum):
    COMPLAINT = "complaint"
    APPEAL = "appeal"
    PRAISE = "praise"
    SUGGESTION = "suggestion"
    INQUIRY = "inquiry"


class FeedbackChannel(StrEnum):
    PHONE = "phone"
    WRITTEN = "written"
    ONSITE = "onsite"
    EMAIL = "email"
    WECHAT = "wechat"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FeedbackStatus(StrEnum):
    RECEIVED = "received"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    ANSWERED = "answered"
    CLOSED = "closed"


class TaskStatus(StrEnum):
    """Status of a task (a next step from a visit, or one added by hand)."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ItemStatus(StrEnum):
    """Status of an improvement item."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class RiskKind(StrEnum):
    LITIGATION_USE = "litigation_use"
    EXTREME_DEADLINES = "extreme_deadlines"
    DISHONEST_DEBTOR = "dishonest_debtor"
    DOMINANT_CLIENT = "dominant_client"
    PAYMENT_OVERDUE = "payment_overdue"
    CHURN_RISK = "churn_risk"
    OTHER = "other"


class EquipmentStatus(StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"
    RETIRED = "retired"


class InteractionKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    WECHAT = "wechat"
    OTHER = "other"


class OpportunityStage(StrEnum):
    IDENTIFIED = "identified"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


class OwnershipKind(StrEnum):
    OWNER = "owner"
    BACKUP = "backup"


class HandoverStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    ACKNOWLEDGED = "acknowledged"  # the successor confirmed taking the client over


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    CERTIFICATE = "certificate"
    AGREEMENT = "agreement"
    CONTRACT = "contract"
    REPORT = "report"
    LETTER = "letter"
    EMAIL = "email"
    OTHER = "other"
