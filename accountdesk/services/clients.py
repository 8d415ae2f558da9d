"""Clients: create, change, delete, find."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..domain import rules
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
            raise ValidationError(
                "uscc", _("Another client already has this credit code: {name}").format(name=known[code])
            )
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
    rules.backup_is_not_the_owner(rc.current("owner_id"), rc.current("backup_owner_id"))


@register_rule("client")
def _renewal_after_start(rc: RuleContext) -> None:
    if "relationship_since" not in rc.values and "contract_renewal_date" not in rc.values:
        return
    rules.renewal_after_start(rc.current("relationship_since"), rc.current("contract_renewal_date"))


def create_client(ctx: AppContext, *, standard: bool = False, **values: Any) -> str:
    """A new client. ``standard=True`` (a person's "new client" in the GUI and the CLI) gives it
    its tier's service standard as visit plans in the same unit of work
    (:mod:`.standards`)."""
    if not standard:
        return records.create_record(ctx, "client", values)
    from .standards import new_client_plans

    with ctx.write() as (session, writer):
        row = records.create_in(ctx, session, writer, "client", values)
        assert isinstance(row, Client)
        session.flush()
        for plan in new_client_plans(session, row.tier, row.owner_id):
            records.create_in(ctx, session, writer, "visit_plan", plan, client_id=row.id)
        return row.id


@register_rule("client")
def _owners_change_by_handover(rc: RuleContext) -> None:
    """A new account manager or backup is a handover (recorded, with its checklist, the open
    work moving along): a plain field edit that would change them is refused with a pointer to
    it. Clearing the backup gives nobody anything and stays a field edit."""
    if rc.row is None:
        return
    for name in ("owner_id", "backup_owner_id"):
        if name not in rc.values or rc.values[name] == getattr(rc.row, name):
            continue
        if name == "backup_owner_id" and rc.values[name] is None:
            continue
        raise ValidationError(
            name,
            _(
                "The account manager and the backup owner change only through a handover: "
                "Hand over on the client or the Team screen, or `accountdesk clients assign`."
            ),
        )


def update_client(ctx: AppContext, client_id: str, **values: Any) -> dict[str, Any]:
    """Change a client's fields. A new owner or backup owner (id, login or display name) goes
    through the handover workflow (:func:`services.handover.hand_over_in`) in the same unit of
    work, so it is recorded with its checklist and the open work moves along."""
    from .handover import hand_over_in
    from .userref import resolve_user

    owner_ref = values.pop("owner_id", None)
    backup_ref = values.get("backup_owner_id")
    if backup_ref not in (None, ""):
        values.pop("backup_owner_id")
    else:
        backup_ref = None
    owner_ref = None if owner_ref in (None, "") else str(owner_ref)
    if owner_ref is None and backup_ref is None:
        return records.update_record(ctx, "client", client_id, values)
    with ctx.write() as (session, writer):
        changed = records.update_in(ctx, session, writer, "client", client_id, values) if values else {}
        client = records.get_live_row(session, Client, client_id)
        owner = resolve_user(session, owner_ref, field="owner_id") if owner_ref else None
        backup = resolve_user(session, str(backup_ref), field="backup_owner_id") if backup_ref else None
        to_user = owner.id if owner is not None else client.owner_id
        if to_user is None:
            raise ValidationError("owner_id", _("Choose the account manager first."))
        if to_user == client.owner_id and (backup is None or backup.id == client.backup_owner_id):
            return changed
        if backup is not None and backup.id == to_user:
            raise ValidationError(
                "backup_owner_id", _("The backup owner must be someone other than the account manager.")
            )
        result = hand_over_in(
            ctx,
            session,
            writer,
            client_id,
            to_user,
            field="owner_id",
            backup_user=backup.id if backup is not None else None,
        )
        if result["to_user_id"] != result["from_user_id"]:
            changed["owner_id"] = result["to_user_id"]
        if backup is not None:
            changed["backup_owner_id"] = result["backup_owner_id"]
        return changed


def delete_client(ctx: AppContext, client_id: str) -> bool:
    return records.delete_record(ctx, "client", client_id)


def get_client(ctx: AppContext, client_id: str) -> dict[str, Any]:
    """The client's fields (confidential ones hidden for field staff)."""
    return records.get_record(ctx, "client", client_id)


def clients_named(ctx: AppContext, name: str) -> list[tuple[str, str]]:
    """Live clients with the same name as ``name`` once width, case and spacing are set aside
    (``ＡＢＣ 公司`` = ``abc公司``; a different legal form is another name — the duplicates finder
    weighs those): ``[(id, name)]``."""
    import unicodedata

    def key(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).casefold().split())

    wanted = key(name)
    if not wanted:
        return []
    with ctx.read() as session:
        rows = session.execute(select(Client.id, Client.name).where(Client.deleted_at.is_(None))).all()
    return [(cid, n) for cid, n in rows if key(n) == wanted]


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
                raise ValidationError(
                    "client", _("More than one client matches “{ref}”; use its id.").format(ref=ref)
                )
    raise NotFoundError(_("No client matches “{ref}”.").format(ref=ref), field="client")
