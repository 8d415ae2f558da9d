"""Generic create / update / delete / read of any client-scoped entity.

Every entity-specific service (clients, contacts, visits, feedback, ...) goes through these
functions, adding its own rules with :func:`register_rule`. A rule sees the unit of work, the
existing row (``None`` on create) and the parsed values; it may add derived values and raises
:class:`ValidationError` naming the field when something is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from ..domain.schema import SCHEMAS, parse_values
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..i18n import _
from ..models import Client, SyncMixin, confidential_fields, model_for
from ..permissions import RESPONSIBLE_FOR_WORK, may_change_responsible, may_write
from ..sync.changes import ChangeWriter
from ..sync.codec import row_to_wire
from .context import AppContext
from .userref import RESPONSIBLE_FIELDS, describe, lookup_user

Rule = Callable[["RuleContext"], None]
M = TypeVar("M", bound=SyncMixin)
_RULES: dict[str, list[Rule]] = {}


@dataclass
class RuleContext:
    ctx: AppContext
    session: Session
    entity: str
    row: SyncMixin | None  # None on create
    values: dict[str, Any]  # parsed values being written (rules may add derived ones)
    client_id: str | None

    def current(self, name: str) -> Any:
        """The value a field will have after the write."""
        if name in self.values:
            return self.values[name]
        return getattr(self.row, name) if self.row is not None else None

    def stored(self, name: str) -> Any:
        """The value the row holds before the write (None on create): a rule reads an entity's
        own field through it (``row`` is typed as any synced row)."""
        return getattr(self.row, name) if self.row is not None else None


#: Service modules that register rules. They are imported before the first validated write, so a
#: write through these generic functions applies every entity's rules whichever module the caller
#: happened to import.
RULE_MODULES = (
    "clients",
    "contacts",
    "visits",
    "feedback",
    "service",
    "surveys",
    "improvement",
    "risks",
    "equipment",
    "interactions",
    "opportunities",
    "team",
    "users",
    "attachments",
    "tasks",
    "standards",
    "saved_views",
)
_rules_loaded = False


def _load_rules() -> None:
    global _rules_loaded
    if not _rules_loaded:
        import importlib

        for name in RULE_MODULES:
            importlib.import_module(f"{__package__}.{name}")
        _rules_loaded = True


def register_rule(entity: str) -> Callable[[Rule], Rule]:
    def deco(fn: Rule) -> Rule:
        _RULES.setdefault(entity, []).append(fn)
        return fn

    return deco


def _check_refs(rc: RuleContext) -> None:
    """References to users and rows must exist (and be live)."""
    schema = SCHEMAS[rc.entity]
    errors: list[tuple[str, str]] = []
    for name, value in rc.values.items():
        s = schema[name]
        if value in (None, []):
            continue
        if s.kind in ("user", "users"):
            ids = value if isinstance(value, list) else [value]
            for uid in ids:
                try:
                    user = lookup_user(rc.session, uid, field=name)
                except ValidationError as exc:
                    errors.extend(exc.errors)
                    break
                if user is None:
                    errors.append((name, _("Unknown user: {user}").format(user=uid)))
                    break
                if isinstance(value, list):
                    value[value.index(uid)] = user.id
                else:
                    rc.values[name] = user.id
                    # a deactivated user never takes on work (kept where it already was)
                    changed = rc.row is None or getattr(rc.row, name, None) != user.id
                    if not user.active and changed and (rc.entity, name) in RESPONSIBLE_FIELDS:
                        errors.append(
                            (
                                name,
                                _("{user} has been deactivated and cannot take on clients or work.").format(
                                    user=describe(user)
                                ),
                            )
                        )
                        break
        elif s.kind in ("ref", "refs"):
            assert s.ref is not None, f"{rc.entity}.{name}: a reference field names its entity"
            model = model_for(s.ref)
            ids = value if isinstance(value, list) else [value]
            for rid in ids:
                target = _get(rc.session, model, rid)
                if target is None or target.deleted_at is not None:
                    errors.append(
                        (name, _("{label}: the referenced record does not exist.").format(label=s.title))
                    )
                    break
                if not model.__global__ and target.client_id != rc.client_id:
                    errors.append(
                        (
                            name,
                            _("{label}: the referenced record belongs to another client.").format(
                                label=s.title
                            ),
                        )
                    )
                    break
    if errors:
        raise ValidationError.collect(errors)


def require_permission(ctx: AppContext, entity: str, op: str, fields: set[str]) -> None:
    """Raise :class:`PermissionDenied` unless the acting user's role may ``op`` (create, update,
    delete) these ``fields`` of ``entity`` (the server checks the same table again)."""
    if not may_write(ctx.actor.role, entity, op, frozenset(fields)):
        raise PermissionDenied(_("Your role may not change this."))


def require_may_reassign(ctx: AppContext, entity: str, row: SyncMixin, values: dict[str, Any]) -> None:
    """Raise :class:`PermissionDenied` when ``values`` move someone else's work to another person
    and the acting user may not reassign work (the server checks the same rule)."""
    field = RESPONSIBLE_FOR_WORK.get(entity)
    if field is None or field not in values:
        return
    current = getattr(row, field)
    if values[field] != current and not may_change_responsible(ctx.actor.role, ctx.actor.id, current):
        raise PermissionDenied(_("Only supervisors and administrators reassign someone else's work."))


def get_live(session: Session, entity: str, row_id: str) -> SyncMixin:
    return get_live_row(session, model_for(entity), row_id)


def get_live_row(session: Session, model: type[M], row_id: str) -> M:
    """:func:`get_live` for a caller that knows the row's model (and so its fields)."""
    row = session.get(model, row_id)
    if row is None or row.deleted_at is not None:
        raise NotFoundError(_("The record no longer exists (it may have been deleted)."))
    return row


def create_record(
    ctx: AppContext, entity: str, values: dict[str, Any], *, client_id: str | None = None
) -> str:
    """Validate and create a row; returns its id. Nothing is written when anything is wrong."""
    with ctx.write() as (session, writer):
        return create_in(ctx, session, writer, entity, values, client_id=client_id).id


def create_in(
    ctx: AppContext,
    session: Session,
    writer: ChangeWriter,
    entity: str,
    values: dict[str, Any],
    *,
    client_id: str | None = None,
    parsed: bool = False,
) -> SyncMixin:
    """Validate and create a row inside an existing unit of work (bulk imports: many rows, one
    transaction); returns the new row. Raises before writing anything when the row is wrong.
    ``parsed=True``: ``values`` already came out of ``parse_values`` (complete for a create);
    the reference checks and rules still run."""
    model = model_for(entity)
    checked = check_create(ctx, session, entity, values, client_id=client_id, parsed=parsed)
    return writer.create(model, checked, client_id=None if model.__global__ else client_id)


def _get(session: Session, model: type[SyncMixin], row_id: str) -> SyncMixin | None:
    """``session.get`` that first looks in the identity map itself: an import checks tens of
    thousands of rows against the same few thousand clients, already loaded, and ``get``'s own
    option handling cost ~20 µs a row."""
    found = session.identity_map.get(identity_key(model, row_id))
    return found if found is not None else session.get(model, row_id)


def check_create(
    ctx: AppContext,
    session: Session,
    entity: str,
    values: dict[str, Any],
    *,
    client_id: str | None = None,
    parsed: bool = False,
) -> dict[str, Any]:
    """Every check of a create (fields, permission, client, references, rules) without writing;
    returns the values to write. Import previews use it inside a read session."""
    _load_rules()
    model = model_for(entity)
    parsed_values = dict(values) if parsed else parse_values(entity, values, partial=False)
    require_permission(ctx, entity, "create", set(parsed_values))
    if not model.__global__ and entity != "client":
        if not client_id:
            raise ValidationError("client", _("Choose a client."))
        client = _get(session, Client, client_id)
        if client is None or client.deleted_at is not None:
            raise NotFoundError(_("The client no longer exists (it may have been deleted)."))
    rc = RuleContext(ctx, session, entity, None, parsed_values, client_id)
    _check_refs(rc)
    for rule in _RULES.get(entity, []):
        rule(rc)
    return rc.values


def update_record(ctx: AppContext, entity: str, row_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate and apply a per-field update; returns the fields that really changed."""
    _load_rules()
    parsed = parse_values(entity, values, partial=True)
    require_permission(ctx, entity, "update", set(parsed))
    with ctx.write() as (session, writer):
        return update_in(ctx, session, writer, entity, row_id, parsed, parsed_already=True)


def update_in(
    ctx: AppContext,
    session: Session,
    writer: ChangeWriter,
    entity: str,
    row_id: str,
    values: dict[str, Any],
    *,
    parsed_already: bool = False,
) -> dict[str, Any]:
    """:func:`update_record` inside an existing unit of work."""
    _load_rules()
    parsed = values if parsed_already else parse_values(entity, values, partial=True)
    if not parsed_already:
        require_permission(ctx, entity, "update", set(parsed))
    row = get_live(session, entity, row_id)
    require_may_reassign(ctx, entity, row, parsed)
    rc = RuleContext(ctx, session, entity, row, parsed, row.client_id)
    _check_refs(rc)
    for rule in _RULES.get(entity, []):
        rule(rc)
    return writer.update(row, rc.values)


def delete_record(ctx: AppContext, entity: str, row_id: str) -> bool:
    """Tombstone a row (rows are never hard-deleted by a user action)."""
    require_permission(ctx, entity, "delete", set())
    with ctx.write() as (session, writer):
        row = get_live(session, entity, row_id)
        return writer.delete(row)


def to_dict(row: SyncMixin, *, confidential: bool) -> dict[str, Any]:
    """Plain values of a row for the UI, reports and JSON output; confidential fields are
    ``None`` (and listed in ``_hidden``) for users who may not see them."""
    data = {c.key: getattr(row, c.key) for c in row.__table__.columns}
    if not confidential:
        hidden = confidential_fields(type(row), data)
        for name in hidden:
            data[name] = None
        data["_hidden"] = sorted(hidden)
    return data


def get_record(ctx: AppContext, entity: str, row_id: str) -> dict[str, Any]:
    with ctx.read() as session:
        return to_dict(get_live(session, entity, row_id), confidential=ctx.actor.sees_confidential)


def list_records(
    ctx: AppContext, entity: str, client_id: str, *, order_by: str | None = None, descending: bool = False
) -> list[dict[str, Any]]:
    model = model_for(entity)
    stmt = select(model).where(model.client_id == client_id, model.deleted_at.is_(None))
    if order_by:
        col = getattr(model, order_by)
        stmt = stmt.order_by(col.desc() if descending else col)
    with ctx.read() as session:
        return [to_dict(r, confidential=ctx.actor.sees_confidential) for r in session.scalars(stmt)]


def wire_dict(row: SyncMixin) -> dict[str, Any]:
    """JSON-safe values of a row (for ``--json`` output)."""
    return row_to_wire(row)
