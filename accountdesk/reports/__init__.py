"""AccountDesk reports: ReportLab PDFs with an embedded CJK font, built from the service DTOs of
:mod:`accountdesk.services.dossier`.

The API the CLI and the desktop app call (each blocks: run it off the GUI thread):

- :func:`render_dossiers` ``(ctx, client_ids, out_path, *, progress=None, cancel=None)``
- :func:`render_portfolio` ``(ctx, out_path, *, date_from=None, date_to=None, progress=None)``
- :func:`render_handover` ``(ctx, client_id, out_path, *, handover_id=None)``

Each returns a :class:`RenderResult` (path, pages, documents); a cancelled batch raises
:class:`RenderCancelled` and writes nothing.
"""

from __future__ import annotations

from .batch import RenderCancelled, RenderResult, render_dossiers
from .handover import render_handover
from .portfolio import render_portfolio

__all__ = ["RenderCancelled", "RenderResult", "render_dossiers", "render_handover", "render_portfolio"]
