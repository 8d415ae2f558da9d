"""The read side of the printed reports: frozen DTOs for the dossier, handover and portfolio PDFs.

The reports (``accountdesk.reports``) never see a session: they take what this module returns.
Every query lives here; each loader reads a batch of clients with a few ``IN (...)`` queries
(one per table), so that 200 dossiers cost about as many queries as one.

Confidential values (annual fees, opportunity values, client-service value estimates and
confidential service notes) are left out here — set to ``None`` or dropped — for an actor who
may not see them, so that no report can print them by accident.
"""

from __future__ import annotations

from .client import (
    AUDIENCES,
    check_audience,
    checklist_detail,
    checklist_line,
    load_dossier,
    load_dossiers,
)

# By report: client (the dossier), handover, portfolio; records (the dossier's frozen records),
# common (batched reads); every public name is re-exported here.
from .common import (
    DONE_ITEMS,
)
from .handover import (
    load_handover,
)
from .portfolio import (
    TIER_ORDER,
    AtRiskClient,
    BandRow,
    ComplaintMonth,
    ManagerVisits,
    MismatchRow,
    OverdueVisit,
    PeriodScore,
    PortfolioData,
    RenewalDue,
    SegmentRow,
    ServedRow,
    TierRow,
    load_portfolio,
)
from .records import (
    ChecklistItem,
    ClientDossier,
    ClientProfile,
    CommitmentInfo,
    ContactInfo,
    EquipmentInfo,
    FeedbackInfo,
    HandoverInfo,
    HandoverReportData,
    HealthInfo,
    ImprovementItemInfo,
    NoteInfo,
    OpportunityInfo,
    OwnershipInfo,
    RiskInfo,
    ServiceInfo,
    SurveyInfo,
    TeamMemberInfo,
    VisitInfo,
    VisitPlanInfo,
)

__all__ = [
    "AUDIENCES",
    "AtRiskClient",
    "BandRow",
    "ChecklistItem",
    "ClientDossier",
    "ClientProfile",
    "CommitmentInfo",
    "ComplaintMonth",
    "ContactInfo",
    "DONE_ITEMS",
    "EquipmentInfo",
    "FeedbackInfo",
    "HandoverInfo",
    "HandoverReportData",
    "HealthInfo",
    "ImprovementItemInfo",
    "ManagerVisits",
    "MismatchRow",
    "NoteInfo",
    "OpportunityInfo",
    "OverdueVisit",
    "OwnershipInfo",
    "PeriodScore",
    "PortfolioData",
    "RenewalDue",
    "RiskInfo",
    "SegmentRow",
    "ServedRow",
    "ServiceInfo",
    "SurveyInfo",
    "TIER_ORDER",
    "TeamMemberInfo",
    "TierRow",
    "VisitInfo",
    "VisitPlanInfo",
    "check_audience",
    "checklist_detail",
    "checklist_line",
    "load_dossier",
    "load_dossiers",
    "load_handover",
    "load_portfolio",
]
