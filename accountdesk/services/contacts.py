"""Contacts: the people at a client and who reports to whom (the org chart / relationship map).

Rules (checked on every create and update, naming the field):

- ``reports_to_id`` must be a live contact of the same client (the generic reference check), may
  not be the contact itself and may not close a loop (A reports to B reports to A): the org chart
  is a forest. Loops through deleted contacts are ignored because a deleted contact is no longer
  part of the chart.
- ``left_company_on`` may not lie in the future (a planned departure is a note, not a fact).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..domain import rules
from ..errors import ValidationError
from ..i18n import _
from ..models import Contact
from . import records
from .context import AppContext
from .records import RuleContext, register_rule

#: Safety net against corrupt (already cyclic) data synced in from elsewhere.
_MAX_CHAIN = 10_000


@register_rule("contact")
def _reports_to_is_not_a_loop(rc: RuleContext) -> None:
    if "reports_to_id" not in rc.values:
        return
    boss_id = rc.values["reports_to_id"]
    if not boss_id:
        return
    own_id = rc.row.id if rc.row is not None else None
    if own_id is not None and boss_id == own_id:
        raise ValidationError("reports_to_id", _("A contact cannot report to themselves."))
    if own_id is None:
        return  # a new contact has nobody reporting to it yet, so no loop is possible
    seen: set[str] = set()
    current = boss_id
    for _step in range(_MAX_CHAIN):
        if current is None or current in seen:
            return
        if current == own_id:
            raise ValidationError(
                "reports_to_id",
                _(
                    "This would make a loop in the organisation chart: {name} already reports (directly or "
                    "indirectly) to this contact."
                ).format(name=_contact_name(rc, boss_id)),
            )
        seen.add(current)
        current = rc.session.scalar(
            select(Contact.reports_to_id).where(Contact.id == current, Contact.deleted_at.is_(None))
        )


def _contact_name(rc: RuleContext, contact_id: str) -> str:
    row = rc.session.get(Contact, contact_id)
    return row.name if row is not None else contact_id


@register_rule("contact")
def _left_company_not_in_future(rc: RuleContext) -> None:
    rules.left_company_not_in_future(rc.values.get("left_company_on"), rc.ctx.today())


def create_contact(ctx: AppContext, client_id: str, **values: Any) -> str:
    """Add a contact to a client; returns its id."""
    return records.create_record(ctx, "contact", values, client_id=client_id)


def update_contact(ctx: AppContext, contact_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "contact", contact_id, values)


def delete_contact(ctx: AppContext, contact_id: str) -> bool:
    """Tombstone a contact. Contacts that reported to it keep the (now dangling) reference, which
    the org chart shows as a root; nothing else is changed so a restore brings the chart back."""
    return records.delete_record(ctx, "contact", contact_id)


def list_contacts(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The client's live contacts, primary contacts first, then by name."""
    rows = records.list_records(ctx, "contact", client_id, order_by="name")
    return sorted(rows, key=lambda r: (not r.get("is_primary"), r.get("name") or ""))
