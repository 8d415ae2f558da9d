"""Users of this profile (our own staff). Users are global rows owned by the server; a profile
used without a server creates its own local users here.

Rules: user names are unique (compared without regard to case, error on ``username``) and are
stored in lower case; they may not contain spaces.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..errors import ValidationError
from ..i18n import _
from ..models import User
from . import records
from .context import AppContext
from .records import RuleContext, register_rule
from .userref import lookup_user, require_active, resolve_user


@register_rule("user")
def _unique_username(rc: RuleContext) -> None:
    name = rc.values.get("username")
    if name is None:
        return
    name = name.strip().lower()
    if any(ch.isspace() for ch in name):
        raise ValidationError("username", _("A user name cannot contain spaces."))
    rc.values["username"] = name
    stmt = select(User.id).where(func.lower(User.username) == name, User.deleted_at.is_(None))
    if rc.row is not None:
        stmt = stmt.where(User.id != rc.row.id)
    if rc.session.scalar(stmt) is not None:
        raise ValidationError("username", _("The user name “{name}” is taken.").format(name=name))


def create_user(ctx: AppContext, username: str, display_name: str, role: str, **values: Any) -> str:
    """Create a local user (supervisors and administrators); returns its id."""
    return records.create_record(
        ctx,
        "user",
        {"username": username, "display_name": display_name, "role": role, "active": True, **values},
    )


def update_user(ctx: AppContext, user_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "user", user_id, values)


def deactivate_user(ctx: AppContext, user_id: str) -> dict[str, Any]:
    """A user who left: kept (their history stays readable) but no longer active."""
    return update_user(ctx, user_id, active=False)


def find_user(ctx: AppContext, ref: str) -> dict[str, Any] | None:
    """A user by id, login or display name (``None`` when nobody is; an ambiguous display name
    is a :class:`ValidationError` listing the candidates)."""
    with ctx.read() as session:
        user = lookup_user(session, ref)
        return None if user is None else records.to_dict(user, confidential=True)


def resolve_user_id(ctx: AppContext, ref: str, *, field: str = "user", active: bool = False) -> str:
    """The id of the user named by ``ref`` (id, login or display name); a :class:`ValidationError`
    on ``field`` when unknown or ambiguous, or deactivated when ``active`` is asked for."""
    with ctx.read() as session:
        user = resolve_user(session, ref, field=field)
        if active:
            require_active(user, field=field)
        return user.id


def list_users(ctx: AppContext, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Users by display name (only active ones unless ``include_inactive``)."""
    with ctx.read() as session:
        stmt = select(User).where(User.deleted_at.is_(None)).order_by(User.display_name)
        if not include_inactive:
            stmt = stmt.where(User.active.is_(True))
        return [records.to_dict(u, confidential=True) for u in session.scalars(stmt)]
