"""Opportunities (商机 / 潜在需求): needs found during visits; the value is confidential."""

from __future__ import annotations

from typing import Any

from . import records
from .context import AppContext


def create_opportunity(ctx: AppContext, client_id: str, title: str, **values: Any) -> str:
    return records.create_record(ctx, "opportunity", {"title": title, **values}, client_id=client_id)


def update_opportunity(ctx: AppContext, opportunity_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "opportunity", opportunity_id, values)


def delete_opportunity(ctx: AppContext, opportunity_id: str) -> bool:
    return records.delete_record(ctx, "opportunity", opportunity_id)


def list_opportunities(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The client's opportunities; ``estimated_value`` is hidden from field staff."""
    return records.list_records(ctx, "opportunity", client_id, order_by="created_at", descending=True)
