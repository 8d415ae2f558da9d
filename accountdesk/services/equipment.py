"""The client's equipment registry (设备 / 计量器具).

Rules: the last service and calibration dates cannot lie in the future. Next due dates are
derived (:func:`next_service_on`, :func:`next_calibration_on`), never stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..domain import rules
from ..domain.dates import add_months
from . import records
from .context import AppContext
from .records import RuleContext, register_rule


@register_rule("equipment")
def _dates_not_in_future(rc: RuleContext) -> None:
    rules.equipment_dates_not_in_future(rc.values, rc.ctx.today())


def next_service_on(equipment: dict[str, Any]) -> dt.date | None:
    last, every = equipment.get("last_serviced_on"), equipment.get("service_interval_months")
    return add_months(last, every) if last and every else None


def next_calibration_on(equipment: dict[str, Any]) -> dt.date | None:
    last, every = equipment.get("last_calibrated_on"), equipment.get("calibration_interval_months")
    return add_months(last, every) if last and every else None


def create_equipment(ctx: AppContext, client_id: str, name: str, **values: Any) -> str:
    return records.create_record(ctx, "equipment", {"name": name, **values}, client_id=client_id)


def update_equipment(ctx: AppContext, equipment_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "equipment", equipment_id, values)


def delete_equipment(ctx: AppContext, equipment_id: str) -> bool:
    return records.delete_record(ctx, "equipment", equipment_id)


def list_equipment(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The client's equipment by name, each with ``next_service_on`` and ``next_calibration_on``."""
    rows = records.list_records(ctx, "equipment", client_id, order_by="name")
    for r in rows:
        r["next_service_on"] = next_service_on(r)
        r["next_calibration_on"] = next_calibration_on(r)
    return rows
