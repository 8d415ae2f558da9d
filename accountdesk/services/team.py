"""A client's service team (服务团队): field staff and implementation team members.

Rules: a user is at most once in a client's team (error on ``user_id``); only an active user
can join. Removing a member tombstones the membership (the history stays).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..errors import NotFoundError, ValidationError
from ..i18n import _
from ..models import ClientTeamMember, User
from . import records
from .context import AppContext
from .records import RuleContext, register_rule
from .userref import lookup_user


@register_rule("client_team_member")
def _no_duplicate_member(rc: RuleContext) -> None:
    user_id = rc.values.get("user_id")
    if not user_id:
        return
    user = rc.session.get(User, user_id)
    if user is not None and not user.active and rc.row is None:
        raise ValidationError("user_id", _("{name} is no longer active.").format(name=user.display_name))
    stmt = select(ClientTeamMember.id).where(
        ClientTeamMember.client_id == rc.client_id,
        ClientTeamMember.user_id == user_id,
        ClientTeamMember.deleted_at.is_(None),
    )
    if rc.row is not None:
        stmt = stmt.where(ClientTeamMember.id != rc.row.id)
    if rc.session.scalar(stmt) is not None:
        name = user.display_name if user is not None else user_id
        raise ValidationError(
            "user_id", _("{name} is already in this client's service team.").format(name=name)
        )


def add_team_member(ctx: AppContext, client_id: str, user: str, *, role: str | None = None) -> str:
    """Add a user (id or user name) to the client's service team; returns the membership id."""
    values: dict[str, Any] = {"user_id": user}
    if role is not None:
        values["role"] = role
    return records.create_record(ctx, "client_team_member", values, client_id=client_id)


def remove_team_member(ctx: AppContext, client_id: str, user: str) -> bool:
    """Take a user (id or user name) off the client's service team."""
    with ctx.read() as session:
        user_row = lookup_user(session, user, field="user")
        member_id = None
        if user_row is not None:
            member_id = session.scalar(
                select(ClientTeamMember.id).where(
                    ClientTeamMember.client_id == client_id,
                    ClientTeamMember.user_id == user_row.id,
                    ClientTeamMember.deleted_at.is_(None),
                )
            )
    if member_id is None:
        raise NotFoundError(_("{user} is not in this client's service team.").format(user=user))
    return records.delete_record(ctx, "client_team_member", member_id)


def list_team(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The team with each member's ``username`` and ``display_name``, by display name."""
    rows = records.list_records(ctx, "client_team_member", client_id)
    with ctx.read() as session:
        stmt = select(User.id, User.username, User.display_name).where(
            User.id.in_([r["user_id"] for r in rows])
        )
        users = {u.id: (u.username, u.display_name) for u in session.execute(stmt)}
    for r in rows:
        r["username"], r["display_name"] = users.get(r["user_id"], (None, None))
    return sorted(rows, key=lambda r: r["display_name"] or "")
