"""Likely duplicates: the rules shared by imports and by the scan of the store.

Clients are the same when they have the same unified social credit code, or the same company
name once normalised (full-width and half-width forms, case, spaces and punctuation, and legal
suffixes such as 有限公司 / 股份有限公司 / 有限责任公司 / 集团 / Co., Ltd. are ignored).
Contacts are the same when they belong to the same client and have the same name, or when they
have the same mobile number or email address.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..domain.names import normalise_company_name, normalise_email, normalise_person_name
from ..models import Client, Contact
from .context import AppContext


@dataclass(frozen=True)
class DuplicateGroup:
    """Rows that are probably the same thing. ``reason``: ``uscc``, ``name``, ``mobile`` or
    ``email``; ``key`` the shared value; ``ids`` and ``names`` in creation order."""

    entity: str
    reason: str
    key: str
    ids: tuple[str, ...]
    names: tuple[str, ...]
    client_ids: tuple[str | None, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "reason": self.reason,
            "key": self.key,
            "ids": list(self.ids),
            "names": list(self.names),
            "client_ids": list(self.client_ids),
        }


@dataclass(frozen=True)
class DuplicateReport:
    clients: list[DuplicateGroup]
    contacts: list[DuplicateGroup]

    def to_dict(self) -> dict[str, Any]:
        return {
            "clients": [g.to_dict() for g in self.clients],
            "contacts": [g.to_dict() for g in self.contacts],
        }


def _groups(
    entity: str, reason: str, rows: Iterable[tuple[str, str, str, str | None]], seen: set[frozenset[str]]
) -> list[DuplicateGroup]:
    """rows: (key, id, name, client_id); groups of two or more rows with the same non-empty key."""
    buckets: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for key, row_id, name, client_id in rows:
        if key:
            buckets[key].append((row_id, name, client_id))
    out = []
    for key, members in buckets.items():
        ids = frozenset(m[0] for m in members)
        if len(ids) < 2 or ids in seen:
            continue
        seen.add(ids)
        out.append(
            DuplicateGroup(
                entity,
                reason,
                key,
                tuple(m[0] for m in members),
                tuple(m[1] for m in members),
                tuple(m[2] for m in members),
            )
        )
    return out


def find_duplicates(ctx: AppContext) -> DuplicateReport:
    """Likely duplicate clients and contacts among the live rows of this profile."""
    with ctx.read() as session:
        clients = session.execute(
            select(Client.id, Client.name, Client.uscc)
            .where(Client.deleted_at.is_(None))
            .order_by(Client.created_at, Client.id)
        ).all()
        contacts = session.execute(
            select(Contact.id, Contact.name, Contact.client_id, Contact.mobile, Contact.email)
            .join(Client, Client.id == Contact.client_id)
            .where(Contact.deleted_at.is_(None), Client.deleted_at.is_(None))
            .order_by(Contact.created_at, Contact.id)
        ).all()
    seen: set[frozenset[str]] = set()
    client_groups = _groups("client", "uscc", ((c.uscc or "", c.id, c.name, c.id) for c in clients), seen)
    client_groups += _groups(
        "client", "name", ((normalise_company_name(c.name), c.id, c.name, c.id) for c in clients), seen
    )
    seen = set()
    contact_groups = _groups(
        "contact",
        "name",
        (
            (f"{c.client_id}:{normalise_person_name(c.name)}" if c.name else "", c.id, c.name, c.client_id)
            for c in contacts
        ),
        seen,
    )
    for group in contact_groups:  # the key of a name group is internal; show the name
        object.__setattr__(group, "key", group.names[0])
    contact_groups += _groups(
        "contact", "mobile", ((c.mobile or "", c.id, c.name, c.client_id) for c in contacts), seen
    )
    contact_groups += _groups(
        "contact", "email", ((normalise_email(c.email), c.id, c.name, c.client_id) for c in contacts), seen
    )
    return DuplicateReport(client_groups, contact_groups)
