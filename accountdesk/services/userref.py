"""Naming a user: every command, form and import that takes a user accepts its id, its login
(user name, any case) or its display name (王磊). One rule, used everywhere.

- a login wins over a display name (logins are unique, display names are not);
- a display name shared by several users is ambiguous: a :class:`ValidationError` on the field
  that lists the candidates with their logins, so the caller can say which one;
- deleted users are never found; deactivated users are found (their history stays readable),
  and :func:`require_active` refuses them where a user would take on work.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..i18n import _
from ..models import User

#: Fields where a user takes on work: a deactivated user can never be put there.
RESPONSIBLE_FIELDS = frozenset(
    {
        ("client", "owner_id"),
        ("client", "backup_owner_id"),
        ("client_team_member", "user_id"),
        ("feedback", "handler_id"),
        ("visit", "owner_id"),
        ("visit_plan", "owner_id"),
        ("improvement_item", "owner_id"),
    }
)


def describe(user: User) -> str:
    """``王磊 (wanglei)`` — how a user is shown where a login is needed to tell two apart."""
    return f"{user.display_name} ({user.username})"


def lookup_user(session: Session, ref: str | None, *, field: str = "user") -> User | None:
    """The live user named by ``ref`` (id, login or display name), or ``None`` when nobody is.

    Raises :class:`ValidationError` on ``field`` when a display name names several users."""
    if ref is None:
        return None
    ref = str(ref).strip()
    if not ref:
        return None
    user = session.get(User, ref)
    if user is not None and user.deleted_at is None:
        return user
    live = User.deleted_at.is_(None)
    user = session.scalar(select(User).where(func.lower(User.username) == ref.lower(), live).limit(1))
    if user is not None:
        return user
    named = list(
        session.scalars(
            select(User).where(func.lower(User.display_name) == ref.lower(), live).order_by(User.username)
        )
    )
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise ValidationError(
            field,
            _("“{name}” names several users: {candidates}. Give the login instead.").format(
                name=ref, candidates=", ".join(describe(u) for u in named)
            ),
        )
    return None


def resolve_user(session: Session, ref: str, *, field: str = "user") -> User:
    """Like :func:`lookup_user`, but an unknown user is a :class:`ValidationError` on ``field``."""
    user = lookup_user(session, ref, field=field)
    if user is None:
        raise ValidationError(field, _("Unknown user: {user}").format(user=ref))
    return user


def require_active(user: User, *, field: str = "user") -> User:
    """Refuse a deactivated user where they would take on work (owner, backup, handler, team)."""
    if not user.active:
        raise ValidationError(
            field,
            _("{user} has been deactivated and cannot take on clients or work.").format(user=describe(user)),
        )
    return user
