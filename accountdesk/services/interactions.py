"""Interactions (往来记录): calls, mails, meetings and messages on the client's timeline.

Rules: the contacts belong to the same client (the generic reference check); an interaction
cannot lie in the future (plan a visit instead).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import ValidationError
from ..i18n import _
from . import records
from .context import AppContext
from .records import RuleContext, register_rule


@register_rule("interaction")
def _not_in_future(rc: RuleContext) -> None:
    at = rc.values.get("at")
    if at is not None and at > rc.ctx.now() + dt.timedelta(minutes=5):
        raise ValidationError("at", _("An interaction cannot lie in the future; plan a visit instead."))


def log_interaction(
    ctx: AppContext,
    client_id: str,
    kind: str,
    summary: str,
    *,
    at: dt.datetime | str | None = None,
    **values: Any,
) -> str:
    """Record an interaction (now unless said otherwise); returns its id."""
    data = {"kind": kind, "summary": summary, "at": at or ctx.now(), **values}
    return records.create_record(ctx, "interaction", data, client_id=client_id)


def update_interaction(ctx: AppContext, interaction_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "interaction", interaction_id, values)


def delete_interaction(ctx: AppContext, interaction_id: str) -> bool:
    return records.delete_record(ctx, "interaction", interaction_id)


def list_interactions(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    return records.list_records(ctx, "interaction", client_id, order_by="at", descending=True)
