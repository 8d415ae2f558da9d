"""Service (服务): commitments (SLA / 服务承诺), service notes (服务备注), the global catalogue of
offerings (标准服务 / 增值服务), a client's subscriptions to them and their deliveries.

Rules: a commitment's ``valid_to`` may not come before ``valid_from``; a subscription's
``end_date`` may not come before its ``start_date``; an offering's code is unique (compared
without regard to case); a delivery defaults to now and to the acting user, and may not be
recorded in the future.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from ..errors import PermissionDenied, ValidationError
from ..i18n import _
from ..models import ServiceOffering
from ..permissions import may_change_confidentiality
from . import records
from .context import AppContext
from .records import RuleContext, register_rule


def _date_order(rc: RuleContext, start: str, end: str, message: str) -> None:
    if start not in rc.values and end not in rc.values:
        return
    a, b = rc.current(start), rc.current(end)
    if a is not None and b is not None and b < a:
        raise ValidationError(end, message)


@register_rule("service_commitment")
def _commitment_period(rc: RuleContext) -> None:
    _date_order(rc, "valid_from", "valid_to", _("“Valid to” cannot come before “valid from”."))


@register_rule("client_service")
def _service_period(rc: RuleContext) -> None:
    _date_order(rc, "start_date", "end_date", _("The end date cannot come before the start date."))


@register_rule("service_note")
def _who_decides_confidentiality(rc: RuleContext) -> None:
    """What decides a note's confidentiality is changed only by roles that may read it."""
    if (
        rc.row is not None
        and "confidential" in rc.values
        and rc.values["confidential"] != rc.stored("confidential")
        and not may_change_confidentiality(rc.ctx.actor.role)
    ):
        raise PermissionDenied(_("Your role may not change whether a note is confidential."))


@register_rule("service_offering")
def _unique_code(rc: RuleContext) -> None:
    code = rc.values.get("code")
    if not code:
        return
    code = code.strip().upper()
    rc.values["code"] = code
    stmt = select(ServiceOffering.name).where(
        func.upper(ServiceOffering.code) == code, ServiceOffering.deleted_at.is_(None)
    )
    if rc.row is not None:
        stmt = stmt.where(ServiceOffering.id != rc.row.id)
    other = rc.session.scalar(stmt)
    if other is not None:
        raise ValidationError("code", _("Another service already has this code: {name}").format(name=other))


@register_rule("service_delivery")
def _delivery_defaults(rc: RuleContext) -> None:
    if rc.row is None and not rc.values.get("delivered_by"):
        rc.values["delivered_by"] = rc.ctx.actor.id
    at = rc.values.get("delivered_at")
    if at is not None and at > rc.ctx.now() + dt.timedelta(minutes=5):
        raise ValidationError("delivered_at", _("A delivery cannot be recorded in the future."))


# -- commitments and notes --------------------------------------------------------------------


def create_commitment(ctx: AppContext, client_id: str, **values: Any) -> str:
    return records.create_record(ctx, "service_commitment", values, client_id=client_id)


def update_commitment(ctx: AppContext, commitment_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "service_commitment", commitment_id, values)


def delete_commitment(ctx: AppContext, commitment_id: str) -> bool:
    return records.delete_record(ctx, "service_commitment", commitment_id)


def list_commitments(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    return records.list_records(ctx, "service_commitment", client_id, order_by="title")


def create_note(ctx: AppContext, client_id: str, text: str, **values: Any) -> str:
    return records.create_record(ctx, "service_note", {"text": text, **values}, client_id=client_id)


def update_note(ctx: AppContext, note_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "service_note", note_id, values)


def delete_note(ctx: AppContext, note_id: str) -> bool:
    return records.delete_record(ctx, "service_note", note_id)


def list_notes(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """Service notes; the text of a confidential note is hidden from field staff."""
    return records.list_records(ctx, "service_note", client_id, order_by="created_at", descending=True)


# -- the catalogue ----------------------------------------------------------------------------


def create_offering(ctx: AppContext, code: str, name: str, category: str, **values: Any) -> str:
    """Add a service product to the global catalogue (supervisors and administrators)."""
    return records.create_record(
        ctx, "service_offering", {"code": code, "name": name, "category": category, **values}
    )


def update_offering(ctx: AppContext, offering_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "service_offering", offering_id, values)


def list_offerings(ctx: AppContext) -> list[dict[str, Any]]:
    with ctx.read() as session:
        stmt = (
            select(ServiceOffering)
            .where(ServiceOffering.deleted_at.is_(None))
            .order_by(ServiceOffering.category, ServiceOffering.code)
        )
        return [records.to_dict(r, confidential=True) for r in session.scalars(stmt)]


# -- subscriptions and deliveries -------------------------------------------------------------


def subscribe(ctx: AppContext, client_id: str, offering_id: str, **values: Any) -> str:
    """Subscribe a client to an offering (a client service); returns its id."""
    return records.create_record(
        ctx, "client_service", {"offering_id": offering_id, **values}, client_id=client_id
    )


def update_client_service(ctx: AppContext, client_service_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "client_service", client_service_id, values)


def delete_client_service(ctx: AppContext, client_service_id: str) -> bool:
    return records.delete_record(ctx, "client_service", client_service_id)


def record_delivery(
    ctx: AppContext, client_service_id: str, *, delivered_at: dt.datetime | str | None = None, **values: Any
) -> str:
    """Record one delivery of a subscribed service (now, by the acting user, unless said otherwise)."""
    with ctx.read() as session:
        client_id = records.get_live(session, "client_service", client_service_id).client_id
    data = {"client_service_id": client_service_id, "delivered_at": delivered_at or ctx.now(), **values}
    return records.create_record(ctx, "service_delivery", data, client_id=client_id)


def list_client_services(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """A client's services with the offering's code, name and category and their deliveries
    (newest first)."""
    services = records.list_records(ctx, "client_service", client_id, order_by="start_date")
    deliveries = records.list_records(
        ctx, "service_delivery", client_id, order_by="delivered_at", descending=True
    )
    with ctx.read() as session:
        stmt = select(
            ServiceOffering.id, ServiceOffering.code, ServiceOffering.name, ServiceOffering.category
        )
        offerings = {o.id: (o.code, o.name, o.category) for o in session.execute(stmt)}
    for s in services:
        s["offering_code"], s["offering_name"], s["category"] = offerings.get(
            s["offering_id"], (None, None, None)
        )
        s["deliveries"] = [d for d in deliveries if d["client_service_id"] == s["id"]]
    return services
