"""Search over clients, contacts and service notes (first version: plain LIKE scans)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Client, Contact, ServiceNote


@dataclass(frozen=True)
class RawHit:
    entity: str
    row_id: str
    client_id: str
    label: str
    text: str
    confidential: bool = False


def name_sort_expr(model=Client):
    return model.name


def _pattern(text: str) -> str:
    text = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{text}%"


def matching_clients_select(text: str):
    p = _pattern(text)
    clients = select(Client.id).where(or_(Client.name.like(p, escape="\\"), Client.short_name.like(p, escape="\\")))
    contacts = select(Contact.client_id).where(
        Contact.deleted_at.is_(None),
        or_(Contact.name.like(p, escape="\\"), Contact.mobile.like(p, escape="\\"), Contact.email.like(p, escape="\\")),
    )
    return clients.union(contacts)


def search_rows(session: Session, text: str, *, limit: int = 200) -> list[RawHit]:
    p = _pattern(text)
    out: list[RawHit] = []
    for c in session.scalars(
        select(Client).where(Client.deleted_at.is_(None), or_(Client.name.like(p, escape="\\"), Client.short_name.like(p, escape="\\"))).limit(limit)
    ):
        out.append(RawHit("client", c.id, c.id, c.name, " ".join(filter(None, [c.name, c.short_name]))))
    for c in session.scalars(
        select(Contact).where(
            Contact.deleted_at.is_(None),
            or_(Contact.name.like(p, escape="\\"), Contact.mobile.like(p, escape="\\"), Contact.phone.like(p, escape="\\"), Contact.email.like(p, escape="\\")),
        ).limit(limit)
    ):
        out.append(RawHit("contact", c.id, c.client_id, c.name, " ".join(filter(None, [c.name, c.title, c.mobile, c.phone, c.email]))))
    for n in session.scalars(
        select(ServiceNote).where(ServiceNote.deleted_at.is_(None), ServiceNote.text.like(p, escape="\\")).limit(limit)
    ):
        out.append(RawHit("service_note", n.id, n.client_id, n.category or "", n.text, bool(n.confidential)))
    return out[:limit]


def snippet(text: str, query: str, width: int = 60) -> str:
    i = text.lower().find(query.strip().lower())
    if i < 0:
        return text[:width]
    start = max(0, i - width // 3)
    return ("…" if start else "") + text[start : start + width] + ("…" if start + width < len(text) else "")
