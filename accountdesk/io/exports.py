"""Exports of clients, contacts (tables, vCard) and visits (iCalendar).

Only live rows the current user may see are exported, and confidential fields are left empty for
roles that may not read them. Tables use the translated field labels as headers and labels for
enumeration values, so an exported file can be imported again (into another profile) as is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.schema import SCHEMAS, FieldSpec
from ..domain.validation import format_phone
from ..errors import ValidationError
from ..i18n import N_, _
from ..labels import label
from ..models import Client, Contact, User, Visit
from ..services.context import AppContext
from ..services.records import to_dict
from ..services.scope import scope_condition
from ..sync.codec import encode_value
from .csv_excel import write_csv, write_xlsx

TABLE_FORMATS = ("xlsx", "csv", "json")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "format": self.format, "count": self.count}


def _live_clients(ctx: AppContext, session: Session) -> list[Client]:
    """The live clients the acting user may see (the one scope rule: services/scope.py)."""
    stmt = (
        select(Client)
        .where(Client.deleted_at.is_(None), scope_condition(ctx))
        .order_by(Client.name, Client.id)
    )
    return list(session.scalars(stmt).all())


def _users(session: Session) -> dict[str, str]:
    return {u.id: u.display_name for u in session.scalars(select(User))}


def _cell(spec: FieldSpec, value: Any, users: dict[str, str], names: dict[str, str]) -> Any:
    if value is None:
        return None
    if spec.kind == "enum" and spec.enum is not None:
        return label(spec.enum, value)
    if spec.kind == "user":
        return users.get(value, value)
    if spec.kind == "users":
        return ", ".join(users.get(v, v) for v in value)
    if spec.kind == "ref":
        return names.get(value, value)
    if spec.kind in ("mobile", "phone"):
        return format_phone(value)
    return value


def client_table(ctx: AppContext) -> tuple[list[str], list[list[Any]]]:
    schema = SCHEMAS["client"]
    confidential = ctx.actor.sees_confidential
    with ctx.read() as session:
        users = _users(session)
        rows = [
            [_cell(s, to_dict(c, confidential=confidential)[name], users, {}) for name, s in schema.items()]
            for c in _live_clients(ctx, session)
        ]
    return [s.title for s in schema.values()], rows


CLIENT_COLUMNS = (N_("Client name"), N_("Client credit code"))


def contact_table(ctx: AppContext) -> tuple[list[str], list[list[Any]]]:
    schema = SCHEMAS["contact"]
    confidential = ctx.actor.sees_confidential
    rows = []
    with ctx.read() as session:
        users = _users(session)
        for client in _live_clients(ctx, session):
            contacts = session.scalars(
                select(Contact)
                .where(Contact.client_id == client.id, Contact.deleted_at.is_(None))
                .order_by(Contact.name)
            ).all()
            names = {p.id: p.name for p in contacts}
            for p in contacts:
                data = to_dict(p, confidential=confidential)
                rows.append(
                    [client.name, client.uscc, *(_cell(s, data[n], users, names) for n, s in schema.items())]
                )
    return [_(h) for h in CLIENT_COLUMNS] + [s.title for s in schema.values()], rows


def json_records(ctx: AppContext, what: str) -> list[dict[str, Any]]:
    """Clients or contacts for programs: field names as keys, stored codes (not labels), ISO
    dates; contacts carry ``client_id`` and ``client_name``. Confidential fields are null for
    roles that may not see them."""
    confidential = ctx.actor.sees_confidential
    entity = {"clients": "client", "contacts": "contact"}[what]
    names = ["id", *SCHEMAS[entity]]
    out = []
    with ctx.read() as session:
        for client in _live_clients(ctx, session):
            rows: Sequence[Client | Contact]
            if what == "clients":
                rows = [client]
            else:
                rows = session.scalars(
                    select(Contact)
                    .where(Contact.client_id == client.id, Contact.deleted_at.is_(None))
                    .order_by(Contact.name)
                ).all()
            for row in rows:
                data = to_dict(row, confidential=confidential)
                record = {n: encode_value(data[n]) for n in names}
                if what == "contacts":
                    record = {"client_id": client.id, "client_name": client.name, **record}
                out.append(record)
    return out


def export_table(ctx: AppContext, what: str, path: Path | str, fmt: str | None = None) -> ExportResult:
    """Clients or contacts as ``xlsx``, ``csv`` (UTF-8 with BOM; both with translated headers and
    labels, for people and for importing again) or ``json`` (see :func:`json_records`)."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "xlsx").lower()
    if fmt not in TABLE_FORMATS:
        raise ValidationError(
            "format", _("Choose one of: {choices}.").format(choices=", ".join(TABLE_FORMATS))
        )
    if what not in ("clients", "contacts"):
        raise ValidationError("what", _("Choose what to export: clients or contacts."))
    if fmt == "json":
        records = json_records(ctx, what)
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
        return ExportResult(path, fmt, len(records))
    if what == "clients":
        headers, rows = client_table(ctx)
        title = _("Clients")
    else:
        headers, rows = contact_table(ctx)
        title = _("Contacts")
    n = write_csv(path, headers, rows) if fmt == "csv" else write_xlsx(path, [(title, headers, rows)])
    return ExportResult(path, fmt, n)


# -- vCard ----------------------------------------------------------------------------------------
def _vcards(ctx: AppContext, version: str) -> Iterator[str]:
    import vobject

    with ctx.read() as session:
        for client in _live_clients(ctx, session):
            contacts = session.scalars(
                select(Contact)
                .where(Contact.client_id == client.id, Contact.deleted_at.is_(None))
                .order_by(Contact.name)
            ).all()
            for p in contacts:
                card = vobject.vCard()
                card.add("version").value = version
                card.add("uid").value = f"urn:uuid:{p.id}"
                card.add("fn").value = p.name
                card.add("n").value = vobject.vcard.Name(family=p.name)
                card.add("org").value = [client.name, p.department] if p.department else [client.name]
                if p.title:
                    card.add("title").value = p.title
                for number, kind in ((p.mobile, "cell"), (p.phone, "work")):
                    if number:
                        tel = card.add("tel")
                        if version == "4.0":
                            tel.value = "tel:" + number  # RFC 3966: +86...;ext=12
                            tel.params["VALUE"] = ["uri"]
                            tel.params["TYPE"] = [kind, "voice"]
                        else:
                            tel.value = number
                            tel.params["TYPE"] = [kind.upper(), "VOICE"]
                if p.email:
                    email = card.add("email")
                    email.value = p.email
                    email.params["TYPE"] = ["work"] if version == "4.0" else ["INTERNET", "WORK"]
                if p.birthday:
                    card.add("bday").value = (
                        p.birthday.strftime("%Y%m%d") if version == "4.0" else p.birthday.isoformat()
                    )
                if p.wechat:
                    card.add("x-wechat").value = p.wechat
                if p.notes:
                    card.add("note").value = p.notes
                card.add("rev").value = (
                    (p.created_at or ctx.now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
                )
                yield card.serialize()


def export_vcard(ctx: AppContext, path: Path | str, version: str = "3.0") -> ExportResult:
    """Every live contact as vCard 3.0 (RFC 2426) or 4.0 (RFC 6350), UTF-8, CRLF."""
    if version not in ("3.0", "4.0"):
        raise ValidationError("format", _("Choose one of: {choices}.").format(choices="vcf3, vcf4"))
    path = Path(path)
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for text in _vcards(ctx, version):
            fh.write(text)
            n += 1
    return ExportResult(path, "vcf4" if version == "4.0" else "vcf3", n)


# -- iCalendar ------------------------------------------------------------------------------------
_STATUS = {"planned": "CONFIRMED", "done": "CONFIRMED", "cancelled": "CANCELLED", "missed": "CANCELLED"}


def export_ical(
    ctx: AppContext, path: Path | str, *, tz: str = "Asia/Shanghai", since: dt.date | None = None
) -> ExportResult:
    """Visits as an RFC 5545 calendar: times in ``tz`` with its VTIMEZONE, one VEVENT per visit
    (a stable UID, so re-importing into a calendar updates rather than duplicates)."""
    import zoneinfo

    import icalendar

    from ..models.enums import VisitKind

    try:
        zone = zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError("tz", _("Unknown time zone: {tz}").format(tz=tz)) from None
    cal = icalendar.Calendar()
    cal.add("prodid", "-//AccountDesk//AccountDesk visits//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("AccountDesk visits"))
    cal.add("x-wr-timezone", tz)
    n = 0
    stamp = ctx.now().astimezone(dt.UTC)
    with ctx.read() as session:
        clients = {c.id: c.name for c in _live_clients(ctx, session)}
        stmt = select(Visit).where(Visit.deleted_at.is_(None)).order_by(Visit.planned_start)
        if since is not None:
            stmt = stmt.where(Visit.planned_start >= dt.datetime.combine(since, dt.time(), tzinfo=zone))
        for v in session.scalars(stmt):
            if v.client_id not in clients:
                continue
            ev = icalendar.Event()
            ev.add("uid", f"{v.id}@accountdesk")
            ev.add("dtstamp", stamp)
            start = v.planned_start.astimezone(zone)
            ev.add("dtstart", start)
            ev.add("dtend", (v.planned_end or v.planned_start + dt.timedelta(hours=1)).astimezone(zone))
            ev.add(
                "summary",
                _("{kind}: {client}").format(kind=label(VisitKind, v.kind), client=clients[v.client_id]),
            )
            if v.location:
                ev.add("location", v.location)
            text = [
                t
                for t in (
                    v.purpose,
                    v.outcome and _("Outcome: {text}").format(text=v.outcome),
                    v.next_steps and _("Next steps: {text}").format(text=v.next_steps),
                )
                if t
            ]
            if text:
                ev.add("description", "\n\n".join(text))
            ev.add("status", _STATUS.get(v.status, "CONFIRMED"))
            ev.add("categories", [label(VisitKind, v.kind)])
            ev.add("created", v.created_at.astimezone(dt.UTC))
            cal.add_component(ev)
            n += 1
    cal.add_missing_timezones()
    Path(path).write_bytes(cal.to_ical())
    return ExportResult(Path(path), "ics", n)
