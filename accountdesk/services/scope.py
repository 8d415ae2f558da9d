"""Scope: which clients a user may see, one rule for every read, search, list, report and export.

The rule (docs/architecture.md, "Roles and scope"; the server's ``Writer.scope_of_client`` is the
same rule on the other side of the wire): supervisors and administrators see every client; every
other role — account managers and field staff alike — sees the clients they **own**, **back up**
or **serve** (a live row in the client's team). A field engineer therefore sees the clients whose
team they are on and, when a supervisor made them owner or backup of one, that client too: the
laptop shows what the server sends it, and the server sends exactly this set.

Screens and commands never write this condition themselves: they call :func:`scope_condition`
(SQL), :func:`visible_client_ids` or :func:`require_in_scope` from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, literal, or_, select
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..i18n import _
from ..models import Client, ClientTeamMember
from .context import AppContext


def serves(user_ids: str | Sequence[str]) -> ColumnElement[bool]:
    """SQL over ``clients``: one of these users owns, backs up or serves (team) the client."""
    if isinstance(user_ids, str):
        team = select(ClientTeamMember.client_id).where(
            ClientTeamMember.user_id == user_ids, ClientTeamMember.deleted_at.is_(None)
        )
        return or_(Client.owner_id == user_ids, Client.backup_owner_id == user_ids, Client.id.in_(team))
    team = select(ClientTeamMember.client_id).where(
        ClientTeamMember.user_id.in_(user_ids), ClientTeamMember.deleted_at.is_(None)
    )
    return or_(Client.owner_id.in_(user_ids), Client.backup_owner_id.in_(user_ids), Client.id.in_(team))


def served_by(user_id: str | Sequence[str], client_id_col: Any = Client.id) -> ColumnElement[bool]:
    """SQL: ``client_id_col`` is a live client that ``user_id`` (or one of several) owns, backs
    up or serves."""
    condition: ColumnElement[bool] = client_id_col.in_(
        select(Client.id).where(Client.deleted_at.is_(None), serves(user_id))
    )
    return condition


def scope_condition(ctx: AppContext, client_id_col: Any = Client.id) -> ColumnElement[bool]:
    """SQL restricting ``client_id_col`` to the clients the acting user may see."""
    if ctx.actor.sees_all_clients:
        return literal(True)
    return served_by(ctx.actor.id, client_id_col)


def visible_client_ids(ctx: AppContext, session: Session) -> set[str]:
    """Ids of the live clients the acting user may see."""
    stmt = select(Client.id).where(Client.deleted_at.is_(None), scope_condition(ctx))
    return set(session.scalars(stmt))


def in_scope(ctx: AppContext, session: Session, client_id: str | None) -> bool:
    """May the acting user see this client? (Rows without a client, e.g. users, always.)"""
    if client_id is None or ctx.actor.sees_all_clients:
        return True
    stmt = select(Client.id).where(Client.id == client_id, scope_condition(ctx))
    return session.scalar(stmt) is not None


def require_in_scope(
    ctx: AppContext, session: Session, client_id: str | None, ref: str | None = None
) -> None:
    """Raise :class:`NotFoundError` for a client out of scope — the same answer as for one that
    does not exist (``ref``: what the user typed), so that nobody learns whether a client outside
    their scope exists."""
    if not in_scope(ctx, session, client_id):
        raise NotFoundError(_("No client matches “{ref}”.").format(ref=ref or client_id), field="client")


__all__ = ["in_scope", "require_in_scope", "scope_condition", "served_by", "serves", "visible_client_ids"]
