"""Lists in bulk: one change of several rows (clients, feedback, equipment) as one change set.

- :func:`bulk_edit` sets the same fields on every selected row (clients: tier, status, region,
  tags added or removed; feedback: status, severity; equipment: status, location, category) in one unit of
  work: all rows or none (the first row a rule refuses names itself and nothing is written). Each
  row's change is an ordinary per-field update, so it syncs and the server records it in the
  field history like an edit made by hand.
- The returned :class:`ChangeSet` holds every row's values before and after; :func:`undo`
  writes the values before back, again as one unit of work, but only on the fields that still
  hold what the change set wrote (a later edit, here or synced from elsewhere, is kept).
- A new account manager is not a field edit: :func:`bulk_assign` hands the clients over through
  the handover workflow (:func:`.turnover.assign_clients`: recorded, open work moved along).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..domain.schema import parse_values
from ..errors import NotFoundError, ValidationError
from ..i18n import _
from ..models import new_id
from . import records
from .context import AppContext
from .scope import in_scope

#: list name -> (entity, fields that may be set in bulk)
BULK_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "clients": ("client", ("tier", "status", "province", "city", "tags")),
    "feedback": ("feedback", ("status", "severity")),
    "equipment": ("equipment", ("status", "location", "category")),
}


@dataclass(frozen=True)
class RowChange:
    row_id: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class ChangeSet:
    id: str
    entity: str
    rows: tuple[RowChange, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> int:
        return len(self.rows)


def _entity(list_name: str) -> tuple[str, tuple[str, ...]]:
    try:
        return BULK_FIELDS[list_name]
    except KeyError:
        raise ValidationError("list", _("Unknown list: {name}").format(name=list_name)) from None


def bulk_edit(
    ctx: AppContext,
    list_name: str,
    row_ids: Sequence[str],
    values: dict[str, Any] | None = None,
    *,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
) -> ChangeSet:
    """Set ``values`` (and, on clients, add or remove tags) on every row of ``row_ids``; all or
    none. Returns the change set (rows that did not change are left out of it)."""
    entity, allowed = _entity(list_name)
    values = dict(values or {})
    if "owner_id" in values or "backup_owner_id" in values:
        raise ValidationError("owner_id", _("A new account manager is a handover: use Hand over."))
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError(unknown[0], _("This field cannot be changed in bulk."))
    add = [t.strip() for t in add_tags if t and t.strip()]
    remove = {t.strip() for t in remove_tags if t and t.strip()}
    if (add or remove) and "tags" not in allowed:
        raise ValidationError("tags", _("This field cannot be changed in bulk."))
    if not values and not add and not remove:
        raise ValidationError("values", _("Choose what to change."))
    ids = list(dict.fromkeys(row_ids))
    if not ids:
        raise ValidationError("rows", _("Select at least one row."))
    parsed = parse_values(entity, values, partial=True)
    records.require_permission(ctx, entity, "update", set(parsed) | ({"tags"} if add or remove else set()))
    changes: list[RowChange] = []
    with ctx.write() as (session, writer):
        for row_id in ids:
            row: Any = records.get_live(session, entity, row_id)  # a row of the entity chosen by name
            if not in_scope(ctx, session, row.client_id):
                raise NotFoundError(_("The record no longer exists (it may have been deleted)."))
            wanted = dict(parsed)
            if add or remove:
                tags = [t for t in (wanted.get("tags", row.tags) or []) if t not in remove]
                tags += [t for t in add if t not in tags]
                wanted["tags"] = parse_values(entity, {"tags": tags}, partial=True)["tags"]
            before = {c.key: getattr(row, c.key) for c in row.__table__.columns}
            try:
                done = records.update_in(ctx, session, writer, entity, row_id, wanted, parsed_already=True)
            except ValidationError as exc:
                name = getattr(row, "name", None) or getattr(row, "subject", None) or row_id
                raise ValidationError(
                    exc.errors[0][0] if exc.errors else "rows",
                    _("{row}: {problem}").format(
                        row=name, problem=exc.errors[0][1] if exc.errors else str(exc)
                    ),
                ) from exc
            if done:
                changes.append(
                    RowChange(row_id, {k: before[k] for k in done}, {k: getattr(row, k) for k in done})
                )
    return ChangeSet(new_id(), entity, tuple(changes))


def undo(ctx: AppContext, change_set: ChangeSet) -> ChangeSet:
    """Put back the values before ``change_set`` (one unit of work) on the fields that still hold
    what it wrote; returns the change set of the undo (itself undoable)."""
    out: list[RowChange] = []
    with ctx.write() as (session, writer):
        for change in change_set.rows:
            try:
                row = records.get_live(session, change_set.entity, change.row_id)
            except Exception:  # noqa: BLE001 - deleted meanwhile: nothing to put back
                continue
            back = {k: v for k, v in change.before.items() if getattr(row, k) == change.after.get(k)}
            if not back:
                continue
            now = {k: getattr(row, k) for k in back}
            done = records.update_in(
                ctx, session, writer, change_set.entity, change.row_id, back, parsed_already=True
            )
            if done:
                out.append(RowChange(change.row_id, {k: now[k] for k in done}, {k: back[k] for k in done}))
    return ChangeSet(new_id(), change_set.entity, tuple(out))


def bulk_assign(
    ctx: AppContext, client_ids: Sequence[str], to_user: str, *, reason: str | None = None
) -> list[dict[str, Any]]:
    """Hand the clients to a new account manager through the handover workflow (supervisors)."""
    from .turnover import assign_clients

    return assign_clients(ctx, list(client_ids), to_user, reason=reason)


__all__ = ["BULK_FIELDS", "ChangeSet", "RowChange", "bulk_assign", "bulk_edit", "undo"]
