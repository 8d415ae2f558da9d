"""The domain model: typed SQLAlchemy 2.0 classes, one module per aggregate (docs/architecture.md, "Domain model").

``ENTITIES`` maps each wire/outbox entity name to its model class, in an order where a row's
natural parents come first (useful for snapshots and imports; there are no database-level foreign
keys between syncable rows because replication delivers rows in sequence order, not in
dependency order — services check references instead).
"""

from __future__ import annotations

from .attachment import Attachment
from .base import (
    SYNC_COLUMNS,
    WIRE_SYNC_COLUMNS,
    Base,
    SyncMixin,
    UTCDateTime,
    confidential_fields,
    new_id,
    per_model,
    utcnow,
)
from .client import Client, ClientTeamMember
from .conflict import Conflict
from .contact import Contact
from .equipment import Equipment
from .feedback import Feedback
from .improvement import ImprovementItem, ImprovementPlan
from .interaction import Interaction
from .local import Alert, LocalBlob, Meta, OfflineChoice, OutboxEntry
from .opportunity import Opportunity
from .ownership import Handover, OwnershipChange
from .risk import RiskFlag
from .service import ClientService, ServiceCommitment, ServiceDelivery, ServiceNote, ServiceOffering
from .standard import SavedView, ServiceStandard
from .survey import SCORE_FIELDS, Survey
from .task import Task
from .user import User
from .visit import Visit, VisitPlan

SYNCABLE: tuple[type[SyncMixin], ...] = (
    User,
    ServiceOffering,
    ServiceStandard,
    SavedView,
    Client,
    ClientTeamMember,
    Contact,
    VisitPlan,
    Visit,
    ServiceCommitment,
    ServiceNote,
    ClientService,
    ServiceDelivery,
    Feedback,
    Survey,
    ImprovementPlan,
    ImprovementItem,
    RiskFlag,
    Equipment,
    Interaction,
    Opportunity,
    OwnershipChange,
    Handover,
    Task,
    Attachment,
    Conflict,
)

ENTITIES: dict[str, type[SyncMixin]] = {m.__entity__: m for m in SYNCABLE}


def model_for(entity: str) -> type[SyncMixin]:
    try:
        return ENTITIES[entity]
    except KeyError:
        raise KeyError(f"unknown entity {entity!r}") from None


def data_columns(model: type[SyncMixin]) -> list[str]:
    """The user-editable columns of a model (everything but the sync bookkeeping)."""
    return [c.key for c in model.__table__.columns if c.key not in SYNC_COLUMNS]


__all__ = [
    "Base",
    "SyncMixin",
    "UTCDateTime",
    "SYNC_COLUMNS",
    "WIRE_SYNC_COLUMNS",
    "SYNCABLE",
    "ENTITIES",
    "SCORE_FIELDS",
    "confidential_fields",
    "data_columns",
    "model_for",
    "new_id",
    "per_model",
    "utcnow",
    "User",
    "Client",
    "ClientTeamMember",
    "Contact",
    "VisitPlan",
    "Visit",
    "ServiceCommitment",
    "ServiceNote",
    "ServiceOffering",
    "ClientService",
    "ServiceDelivery",
    "Feedback",
    "Survey",
    "ImprovementPlan",
    "ImprovementItem",
    "RiskFlag",
    "Equipment",
    "Interaction",
    "Opportunity",
    "OwnershipChange",
    "Handover",
    "Conflict",
    "Attachment",
    "Task",
    "ServiceStandard",
    "SavedView",
    "OutboxEntry",
    "LocalBlob",
    "OfflineChoice",
    "Alert",
    "Meta",
]
