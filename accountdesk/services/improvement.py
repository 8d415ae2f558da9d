"""Improvement plans (改进计划): one per client per year, with items (action, owner, due, status).

Rules: one live plan per client and year (error on ``year``); an item belongs to a plan of the
same client (the generic reference check).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..errors import ValidationError
from ..i18n import _
from ..models import ImprovementPlan
from . import records
from .context import AppContext
from .records import RuleContext, register_rule


@register_rule("improvement_plan")
def _one_plan_per_year(rc: RuleContext) -> None:
    if "year" not in rc.values:
        return
    stmt = select(ImprovementPlan.id).where(
        ImprovementPlan.client_id == rc.client_id,
        ImprovementPlan.year == rc.values["year"],
        ImprovementPlan.deleted_at.is_(None),
    )
    if rc.row is not None:
        stmt = stmt.where(ImprovementPlan.id != rc.row.id)
    if rc.session.scalar(stmt) is not None:
        raise ValidationError(
            "year",
            _("This client already has an improvement plan for {year}.").format(year=rc.values["year"]),
        )


def create_plan(ctx: AppContext, client_id: str, year: int, **values: Any) -> str:
    return records.create_record(ctx, "improvement_plan", {"year": year, **values}, client_id=client_id)


def update_plan(ctx: AppContext, plan_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "improvement_plan", plan_id, values)


def delete_plan(ctx: AppContext, plan_id: str) -> bool:
    """Tombstone a plan together with its items (one unit of work)."""
    records.require_permission(ctx, "improvement_plan", "delete", set())
    from ..models import ImprovementItem

    with ctx.write() as (session, writer):
        plan = records.get_live(session, "improvement_plan", plan_id)
        items = session.scalars(
            select(ImprovementItem).where(
                ImprovementItem.plan_id == plan_id, ImprovementItem.deleted_at.is_(None)
            )
        ).all()
        for item in items:
            writer.delete(item)
        return writer.delete(plan)


def add_item(ctx: AppContext, plan_id: str, action: str, **values: Any) -> str:
    with ctx.read() as session:
        client_id = records.get_live(session, "improvement_plan", plan_id).client_id
    return records.create_record(
        ctx, "improvement_item", {"plan_id": plan_id, "action": action, **values}, client_id=client_id
    )


def update_item(ctx: AppContext, item_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "improvement_item", item_id, values)


def delete_item(ctx: AppContext, item_id: str) -> bool:
    return records.delete_record(ctx, "improvement_item", item_id)


def list_plans(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The client's plans, newest year first, each with its ``items``."""
    plans = records.list_records(ctx, "improvement_plan", client_id, order_by="year", descending=True)
    items = records.list_records(ctx, "improvement_item", client_id, order_by="due_on")
    for p in plans:
        p["items"] = [i for i in items if i["plan_id"] == p["id"]]
    return plans
