"""The handover report's data: the client's dossier and the handover it prints."""

from __future__ import annotations

from ...errors import NotFoundError
from ...i18n import _
from ..context import AppContext
from .client import load_dossier
from .records import HandoverReportData


# -- the handover report -------------------------------------------------------------------------
def load_handover(ctx: AppContext, client_id: str, handover_id: str | None = None) -> HandoverReportData:
    """A client's dossier with the handover to print (the given one, else the latest)."""
    dossier = load_dossier(ctx, client_id)
    chosen = None
    if handover_id is not None:
        chosen = next((h for h in dossier.handovers if h.id == handover_id), None)
        if chosen is None:
            raise NotFoundError(_("No handover {id} for this client.").format(id=handover_id))
    elif dossier.handovers:
        chosen = dossier.handovers[0]
    return HandoverReportData(dossier, chosen)
