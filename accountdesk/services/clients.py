"""Clients: create, change, delete, find."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..errors import NotFoundError, ValidationError
from ..i18n import _
from ..models import Client
from ..permissions import may_create_client
from . import records
from .context import AppContext
from .records import RuleContext, register_rule
from .scope import in_scope, scope_condition

#: ``session.info`` key: ``{credit code: client name}`` of every live client, which a bulk
#: writer (an import) reads once and keeps up to date as it adds clients, so that the rule below
#: answers each new client from it instead of one query per row.
CREDIT_CODES = "accountdesk.client_credit_codes"


@register_rule("client")
def _unique_credit_code(rc: RuleContext) -> None:
    code = rc.values.get("uscc")
    if not code:
        return
    known = rc.session.info.get(CREDIT_CODES) if rc.row is None else None
    if known is not None:
        if code in known:
            raise ValidationError("uscc", _("Another client already has this credit code: {name}").format(name=known[code]))
        return
    stmt = select(Client.id, Client.name).where(Client.uscc == code, Client.deleted_at.is_(None))
    if rc.row is not None:
        stmt = stmt.where(Client.id != rc.row.id)
    other = rc.session.execute(stmt).first()
    if other is not None:
        raise ValidationError(
            "uscc", _("Another client already has this credit code: {name}").format(name=other.name)
        )


@register_rule("client")
def _default_owner(rc: RuleContext) -> None:
    if rc.row is None and "owner_id" not in rc.values:
        rc.values["owner_id"] = rc.ctx.actor.id


@register_rule("client")
def _who_assigns_owners(rc: RuleContext) -> None:
    """Supervisors assign owners and backups; anybody else creates clients they own, without a
    backup (the server refuses the rest too: naming someone would widen scopes)."""
    if rc.row is not None:
        return
    role, actor = rc.ctx.actor.role, rc.ctx.actor.id
    if may_create_client(role, actor, rc.values.get("owner_id"), rc.values.get("backup_owner_id")):
        return
    if rc.values.get("owner_id") != actor:
        raise ValidationError("owner_id", _("Only supervisors assign a client to another account manager."))
    raise ValidationError("backup_owner_id", _("Only supervisors assign a backup owner."))


@register_rule("client")
def _backup_is_not_the_owner(rc: RuleContext) -> None:
    if "owner_id" not in rc.values and "backup_owner_id" not in rc.values:
        return
    owner, backup = rc.current("owner_id"), rc.current("backup_owner_id")
    if owner and backup and owner == backup:
        raise ValidationError("backup_owner_id", _("The backup owner must be someone other than the account manager."))


@register_rule("client")
def _renewal_after_start(rc: RuleContext) -> None:
    if "relationship_since" not in rc.values and "contract_renewal_date" not in rc.values:
        return
    since, renewal = rc.current("relationship_since"), rc.current("contract_renewal_date")
    if since is not None and renewal is not None and renewal < since:
        raise ValidationError(
            "contract_renewal_date", _("The contract renewal date cannot come before the start of the relationship.")
        )


def create_client(ctx: AppContext, **values: Any) -> str:
    return records.create_record(ctx, "client", values)


def update_client(ctx: AppContext, client_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "client", client_id, values)


def delete_client(ctx: AppContext, client_id: str) -> bool:
    return records.delete_record(ctx, "client", client_id)


def get_client(ctx: AppContext, client_id: str) -> dict[str, Any]:
    """The client's fields (confidential ones hidden for field staff)."""
    return records.get_record(ctx, "client", client_id)


def resolve_client(ctx: AppContext, ref: str) -> str:
    """A client id from an id or an exact name (or short name / credit code), among the clients
    the acting user may see (one out of scope is "not found", as one that does not exist)."""
    with ctx.read() as session:
        row = session.get(Client, ref)
        if row is not None and row.deleted_at is None and in_scope(ctx, session, row.id):
            return row.id
        for col in (Client.name, Client.short_name, Client.uscc):
            stmt = select(Client.id).where(col == ref, Client.deleted_at.is_(None), scope_condition(ctx))
            ids = session.scalars(stmt).all()
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1:
                raise ValidationError("client", _("More than one client matches “{ref}”; use its id.").format(ref=ref))
    raise NotFoundError(_("No client matches “{ref}”.").format(ref=ref))
