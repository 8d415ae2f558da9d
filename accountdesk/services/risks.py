"""Risk flags (风险标记): reasons for stricter handling of a client, active until cleared.

``raised_at`` defaults to now and ``raised_by`` to the acting user; ``cleared_at`` may not come
before ``raised_at`` nor lie in the future.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import ValidationError
from ..i18n import _
from . import records
from .context import AppContext
from .records import RuleContext, register_rule


@register_rule("risk_flag")
def _raised_defaults(rc: RuleContext) -> None:
    now = rc.ctx.now()
    if rc.row is None:
        if rc.values.get("raised_at") is None:
            rc.values["raised_at"] = now
        rc.values.setdefault("raised_by", rc.ctx.actor.id)
    elif "raised_at" in rc.values and rc.values["raised_at"] is None:
        raise ValidationError("raised_at", _("{label} is required.").format(label=_("Raised at")))
    raised, cleared = rc.current("raised_at"), rc.current("cleared_at")
    if "raised_at" in rc.values and raised is not None and raised > now + dt.timedelta(minutes=5):
        raise ValidationError("raised_at", _("A risk cannot be raised in the future."))
    if "cleared_at" in rc.values and cleared is not None:
        if raised is not None and cleared < raised:
            raise ValidationError("cleared_at", _("A risk cannot be cleared before it was raised."))
        if cleared > now + dt.timedelta(minutes=5):
            raise ValidationError("cleared_at", _("A risk cannot be cleared in the future."))


def raise_risk(ctx: AppContext, client_id: str, kind: str, **values: Any) -> str:
    """Flag a risk on a client (now, by the acting user, unless said otherwise)."""
    return records.create_record(ctx, "risk_flag", {"kind": kind, **values}, client_id=client_id)


def update_risk(ctx: AppContext, risk_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "risk_flag", risk_id, values)


def clear_risk(ctx: AppContext, risk_id: str, *, at: dt.datetime | str | None = None) -> dict[str, Any]:
    """The risk no longer applies (it stays in the history)."""
    return records.update_record(ctx, "risk_flag", risk_id, {"cleared_at": at or ctx.now()})


def delete_risk(ctx: AppContext, risk_id: str) -> bool:
    return records.delete_record(ctx, "risk_flag", risk_id)


def list_risks(ctx: AppContext, client_id: str, *, active_only: bool = False) -> list[dict[str, Any]]:
    """The client's risk flags, newest first (only those not cleared with ``active_only``)."""
    rows = records.list_records(ctx, "risk_flag", client_id, order_by="raised_at", descending=True)
    return [r for r in rows if r["cleared_at"] is None] if active_only else rows
