"""Saved views (保存的视图): a user's named filter set, columns and sort of one list (clients,
feedback, equipment), synced with the profile to every laptop the user signs in on.

A view belongs to its user: only they write it (checked here and on the server). ``spec`` is a
JSON object: ``{"filters": {...}, "columns": [...], "sort": [column, "asc"|"desc"]}``; the
lists decide what their filters mean.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..errors import NotFoundError, ValidationError
from ..i18n import _
from ..models import SavedView
from . import records
from .context import AppContext
from .records import RuleContext, register_rule

#: The lists a view may be saved for.
LISTS = ("clients", "feedback", "equipment")


@register_rule("saved_view")
def _own_views_only(rc: RuleContext) -> None:
    owner = rc.current("user_id")
    if owner != rc.ctx.actor.id or (
        rc.row is not None and "user_id" in rc.values and rc.values["user_id"] != rc.stored("user_id")
    ):
        raise ValidationError("user_id", _("A saved view belongs to its user: you may change only your own."))
    if rc.current("list_name") not in LISTS:
        raise ValidationError("list_name", _("Views are saved for the client, feedback and equipment lists."))
    spec = rc.values.get("spec")
    if spec is not None:
        try:
            data = json.loads(spec)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ValidationError("spec", _("The view is damaged."))


@dataclass(frozen=True)
class View:
    id: str
    list_name: str
    name: str
    filters: dict[str, Any]
    columns: list[str]
    sort: list[Any]


def _view(row: SavedView) -> View:
    data = json.loads(row.spec or "{}")
    return View(
        row.id,
        row.list_name,
        row.name,
        dict(data.get("filters") or {}),
        list(data.get("columns") or []),
        list(data.get("sort") or []),
    )


def save_view(
    ctx: AppContext,
    list_name: str,
    name: str,
    *,
    filters: dict[str, Any] | None = None,
    columns: list[str] | None = None,
    sort: list[Any] | None = None,
) -> str:
    """Save (or overwrite, by name) one of the acting user's views of ``list_name``."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("name", _("Give the view a name."))
    spec = json.dumps(
        {"filters": filters or {}, "columns": columns or [], "sort": sort or []},
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    with ctx.write() as (session, writer):
        existing = session.scalar(
            select(SavedView).where(
                SavedView.user_id == ctx.actor.id,
                SavedView.list_name == list_name,
                SavedView.name == name,
                SavedView.deleted_at.is_(None),
            )
        )
        if existing is not None:
            records.update_in(ctx, session, writer, "saved_view", existing.id, {"spec": spec})
            return existing.id
        return records.create_in(
            ctx,
            session,
            writer,
            "saved_view",
            {"user_id": ctx.actor.id, "list_name": list_name, "name": name, "spec": spec},
        ).id


def list_views(ctx: AppContext, list_name: str) -> list[View]:
    """The acting user's views of one list, by name."""
    with ctx.read() as session:
        rows = session.scalars(
            select(SavedView)
            .where(
                SavedView.user_id == ctx.actor.id,
                SavedView.list_name == list_name,
                SavedView.deleted_at.is_(None),
            )
            .order_by(SavedView.name)
        )
        return [_view(r) for r in rows]


def delete_view(ctx: AppContext, view_id: str) -> bool:
    with ctx.write() as (session, writer):
        row = session.get(SavedView, view_id)
        if row is None or row.deleted_at is not None or row.user_id != ctx.actor.id:
            raise NotFoundError(_("No such view (it may have been deleted)."))
        return writer.delete(row)


__all__ = ["LISTS", "View", "delete_view", "list_views", "save_view"]
