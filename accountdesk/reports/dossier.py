"""The client dossier (客户档案): cover, profile, org chart, SLA and services, visit plan and the
last 12 months of visits with their reports, survey trend, feedback, risks, equipment,
improvement plan, opportunities and ownership history.

Input: :class:`accountdesk.services.dossier.ClientDossier` (confidential values are already left
out for roles that may not see them; this module also drops the columns that would stay empty).

The pages live by job: :mod:`.dossier_parts` (cover, marking, helpers), :mod:`.dossier_summary`,
:mod:`.dossier_sections` (the client and the service) and :mod:`.dossier_records` (what happened).
"""

from __future__ import annotations

from ..i18n import _
from ..services.dossier import ClientDossier
from .attachments import attachments_section
from .dossier_parts import (
    _Numbers,
    coloured,
    cover,
    empty,
    marking,
    metric_label,
)
from .dossier_records import (
    equipment_section,
    feedback_section,
    improvement_section,
    opportunities_section,
    ownership_section,
    risks_section,
)
from .dossier_sections import (
    _visit_block,
    contacts_section,
    profile_section,
    score_names,
    services_section,
    surveys_section,
    visits_section,
)
from .dossier_summary import (
    FEEDBACK_ANSWER_KINDS,
    SUMMARY_ROWS,
    _more,
    _tiles,
    commitment_state,
    summary_page,
)
from .styles import Story

__all__ = [
    "FEEDBACK_ANSWER_KINDS",
    "SUMMARY_ROWS",
    "_Numbers",
    "_more",
    "_tiles",
    "_visit_block",
    "coloured",
    "commitment_state",
    "contacts_section",
    "cover",
    "dossier_story",
    "empty",
    "equipment_section",
    "feedback_section",
    "improvement_section",
    "marking",
    "metric_label",
    "opportunities_section",
    "ownership_section",
    "profile_section",
    "risks_section",
    "score_names",
    "services_section",
    "summary_page",
    "surveys_section",
    "visits_section",
]


def dossier_story(d: ClientDossier) -> Story:
    """The flowables of one client's dossier (starting with its cover page)."""
    story = cover(d, _("Client dossier"))
    story += summary_page(d)
    num = _Numbers()
    story += profile_section(d, num())
    story += contacts_section(d, num())
    story += services_section(d, num())
    story += visits_section(d, num())
    story += surveys_section(d, num())
    story += feedback_section(d, num())
    story += risks_section(d, num())
    story += equipment_section(d, num())
    story += improvement_section(d, num())
    story += opportunities_section(d, num())
    story += attachments_section(d, num())
    if d.ownership or d.handovers:  # else the summary says "No change of account manager."
        story += ownership_section(d, num())
    return story
