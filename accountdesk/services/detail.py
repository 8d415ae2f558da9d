"""Everything about one client in one call: used by ``clients show`` and as the input of views
that show a whole client (the dossier, the handover)."""

from __future__ import annotations

from typing import Any

from ..models import User
from . import records
from .contacts import list_contacts
from .context import AppContext
from .equipment import list_equipment
from .feedback import list_feedback
from .improvement import list_plans
from .interactions import list_interactions
from .opportunities import list_opportunities
from .risks import list_risks
from .scope import require_in_scope
from .service import list_client_services, list_commitments, list_notes
from .surveys import list_surveys
from .team import list_team
from .visits import list_visit_plans, list_visits

#: The lists :func:`client_detail` always returns (the CLI contract of ``clients show``).
DETAIL_LISTS = ("contacts", "visits", "feedback", "surveys", "risks", "equipment", "services", "commitments")


def client_detail(ctx: AppContext, client_id: str) -> dict[str, Any]:
    """The client's fields (confidential ones hidden for field staff: ``None`` and listed in
    ``_hidden``), ``owner_name`` / ``backup_owner_name``, and the lists of :data:`DETAIL_LISTS`
    plus ``team``, ``visit_plans``, ``notes``, ``improvement_plans``, ``opportunities`` and
    ``interactions``. Each list holds plain dicts of live rows only."""
    with ctx.read() as session:
        require_in_scope(ctx, session, client_id)
    client = records.get_record(ctx, "client", client_id)
    with ctx.read() as session:
        for key in ("owner_id", "backup_owner_id"):
            user = session.get(User, client[key]) if client.get(key) else None
            client[key.removesuffix("_id") + "_name"] = user.display_name if user is not None else None
    client.update(
        contacts=list_contacts(ctx, client_id),
        visits=list_visits(ctx, client_id),
        feedback=list_feedback(ctx, client_id),
        surveys=list_surveys(ctx, client_id),
        risks=list_risks(ctx, client_id),
        equipment=list_equipment(ctx, client_id),
        services=list_client_services(ctx, client_id),
        commitments=list_commitments(ctx, client_id),
        team=list_team(ctx, client_id),
        visit_plans=list_visit_plans(ctx, client_id),
        notes=list_notes(ctx, client_id),
        improvement_plans=list_plans(ctx, client_id),
        opportunities=list_opportunities(ctx, client_id),
        interactions=list_interactions(ctx, client_id),
    )
    return client
