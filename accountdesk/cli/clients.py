"""``accountdesk clients list|show|add|set|delete``.

Output contract (scripts rely on it):

- ``clients list --json``: a JSON array of objects with ``id``, ``name``, ``short_name``,
  ``tier``, ``status``, ``owner`` (the account manager's display name or ``null``), ``owner_id``,
  ``province``, ``city``, ``industry``, ``contract_renewal_date``. Codes (tier, status) are the
  stable enumeration values, never translated labels.
- ``clients show --json``: the client's fields plus the lists ``contacts``, ``visits``,
  ``feedback``, ``surveys``, ``risks``, ``equipment``, ``services``, ``commitments`` (and more, see
  :func:`accountdesk.services.detail.client_detail`). Dates are ISO, datetimes ISO UTC with ``Z``.
- ``clients add --json``: the created client; ``clients set --json``: ``{"id", "changed"}``;
  ``clients delete --json``: ``{"id", "deleted"}``.
- Errors with ``--json``: ``{"error", "exit_code", "field", "errors"}`` on stdout as well as the
  message on stderr.

The helpers of this module (opening the profile, formatting values for people) are shared by
the ``contacts``, ``visits`` and ``feedback`` command modules.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..domain.schema import SCHEMAS
from ..domain.validation import format_phone
from ..errors import ValidationError
from ..i18n import _
from ..labels import label
from ..services.context import AppContext
from .common import Subparsers, emit_json, open_ctx, parse_assignments, print_table

if TYPE_CHECKING:
    from ..services.search import ClientRow

# -- helpers shared by the entity command modules ---------------------------------------------


@contextlib.contextmanager
def profile(args: argparse.Namespace) -> Iterator[AppContext]:
    ctx = open_ctx(args)
    try:
        yield ctx
    finally:
        ctx.close()


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))


def fmt_datetime(value: dt.datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def short_text(value: str | None, width: int = 40) -> str:
    """The first line of a text, cut to ``width`` characters."""
    if not value:
        return ""
    line = value.strip().splitlines()[0] if value.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def fmt_value(entity: str, name: str, value: Any, users: dict[str, str] | None = None) -> str:
    """A stored value as people read it, using the field's kind from the schema."""
    if value is None or value == [] or value == "":
        return ""
    spec = SCHEMAS.get(entity, {}).get(name)
    kind = spec.kind if spec else None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if spec is not None and spec.enum is not None:
        return label(spec.enum, value)
    if kind in ("phone", "mobile"):
        return format_phone(value)
    if kind == "user" and users is not None:
        shown: str = users.get(value, value)
        return shown
    if kind == "users" and users is not None:
        return ", ".join(users.get(v, v) for v in value)
    if isinstance(value, dt.datetime):
        return fmt_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def user_names(ctx: AppContext) -> dict[str, str]:
    from ..services.users import list_users

    return {u["id"]: u["display_name"] for u in list_users(ctx, include_inactive=True)}


def print_fields(entity: str, data: dict[str, Any], users: dict[str, str] | None = None) -> None:
    """``Label  value`` lines for the non-empty schema fields of a row, in schema order."""
    rows = []
    for name, spec in SCHEMAS[entity].items():
        if name in data.get("_hidden", ()):
            rows.append([spec.title, _("(confidential)")])
            continue
        text = fmt_value(entity, name, data.get(name), users)
        if text:
            rows.append([spec.title, short_text(text, 80) if spec.kind == "text" else text])
    print_table(rows, [_("Field"), _("Value")])


def created_message(what: str, name: str, row_id: str) -> None:
    sys.stdout.write(_("{what} created: {name} ({id})").format(what=what, name=name, id=row_id) + "\n")


# -- commands ---------------------------------------------------------------------------------


def _client_row_json(row: ClientRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "short_name": row.short_name,
        "tier": row.tier,
        "status": row.status,
        "owner": row.owner_name,
        "owner_id": row.owner_id,
        "province": row.province,
        "city": row.city,
        "industry": row.industry,
        "contract_renewal_date": row.contract_renewal_date,
    }


def cmd_list(args: argparse.Namespace) -> int:
    from ..models.enums import ClientStatus, Tier
    from ..services.search import list_clients_page

    with profile(args) as ctx:
        page = list_clients_page(ctx, search=args.search, filters=None, limit=None)
    if args.json:
        emit_json([_client_row_json(r) for r in page.rows])
        return 0
    if not page.rows:
        sys.stdout.write(_("No clients found.") + "\n")
        return 0
    table = [
        [
            r.name,
            label(Tier, r.tier),
            label(ClientStatus, r.status),
            r.owner_name or "",
            r.province or "",
            r.id,
        ]
        for r in page.rows
    ]
    print_table(table, [_("Name"), _("Tier"), _("Status"), _("Account manager"), _("Province"), _("ID")])
    return 0


def _section_specs() -> list[tuple[str, str, str, list[str]]]:
    """(key in the detail, entity, translated title, columns)."""
    return [
        ("contacts", "contact", _("Contacts"), ["name", "title", "mobile", "email", "relationship_role"]),
        ("visits", "visit", _("Visits"), ["planned_start", "kind", "status", "outcome"]),
        (
            "feedback",
            "feedback",
            _("Feedback"),
            ["received_at", "kind", "severity", "status", "subject", "effective_due"],
        ),
        (
            "surveys",
            "survey",
            _("Satisfaction surveys"),
            ["conducted_on", "score_overall", "respondent", "comments"],
        ),
        ("risks", "risk_flag", _("Risk flags"), ["kind", "severity", "raised_at", "cleared_at", "note"]),
        (
            "equipment",
            "equipment",
            _("Equipment"),
            ["name", "model", "serial", "next_service_on", "next_calibration_on"],
        ),
        (
            "services",
            "client_service",
            _("Services"),
            ["offering_name", "category", "status", "start_date", "end_date"],
        ),
        (
            "commitments",
            "service_commitment",
            _("Service commitments"),
            ["title", "metric", "target", "coverage", "valid_to"],
        ),
        ("team", "client_team_member", _("Service team"), ["display_name", "role"]),
    ]


def _extra_headers() -> dict[str, str]:
    return {
        "effective_due": _("Effective deadline"),
        "next_service_on": _("Next service"),
        "next_calibration_on": _("Next calibration"),
        "offering_name": _("Service"),
        "display_name": _("Name"),
    }


def _header(entity: str, name: str) -> str:
    spec = SCHEMAS.get(entity, {}).get(name)
    return spec.title if spec is not None else _extra_headers().get(name, name)


def _cell(entity: str, name: str, row: dict[str, Any], users: dict[str, str]) -> str:
    if name in row.get("_hidden", ()):
        return _("(confidential)")
    if name == "category":
        from ..models.enums import OfferingCategory

        return label(OfferingCategory, row.get(name))
    text = fmt_value(entity, name, row.get(name), users)
    spec = SCHEMAS.get(entity, {}).get(name)
    return short_text(text) if (spec is not None and spec.kind == "text") or name == "subject" else text


def cmd_show(args: argparse.Namespace) -> int:
    from ..services.clients import resolve_client
    from ..services.detail import client_detail

    with profile(args) as ctx:
        detail = client_detail(ctx, resolve_client(ctx, args.client))
        users = user_names(ctx)
    if args.json:
        emit_json(detail)
        return 0
    sys.stdout.write(f"{detail['name']}  ({detail['id']})\n\n")
    print_fields("client", detail, users)
    for key, entity, title, columns in _section_specs():
        rows = detail.get(key) or []
        sys.stdout.write("\n" + _("{title} ({n})").format(title=title, n=len(rows)) + "\n")
        if rows:
            print_table(
                [[_cell(entity, c, r, users) for c in columns] for r in rows],
                [_header(entity, c) for c in columns],
            )
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from ..services import clients, records

    values: dict[str, Any] = {"name": args.name}
    if args.uscc is not None:
        values["uscc"] = args.uscc
    if args.tier is not None:
        values["tier"] = args.tier
    with profile(args) as ctx:
        same = [] if args.allow_duplicate_name else clients.clients_named(ctx, args.name)
        if same:
            raise ValidationError(
                "name",
                _(
                    "A client named “{name}” exists already ({id}); give --allow-duplicate-name to add another."
                ).format(name=same[0][1], id=same[0][0]),
            )
        client_id = clients.create_client(ctx, standard=not args.no_standard, **values)
        data = records.get_record(ctx, "client", client_id)
    if args.json:
        emit_json(data)
    else:
        created_message(_("Client"), data["name"], client_id)
    return 0


def field_name(entity: str, key: str) -> str:
    """The field a ``FIELD=VALUE`` key means: a field name, or its label in English or in the
    current language, or one of its import aliases (``城市=杭州``, ``tier=key``). Unknown keys are
    returned unchanged so that the service reports them naming the key."""
    schema = SCHEMAS[entity]
    if key in schema:
        return key
    wanted = key.strip().casefold()
    for name, spec in schema.items():
        if wanted in {spec.label.casefold(), spec.title.casefold(), *(a.casefold() for a in spec.aliases)}:
            return name
    return key


def cmd_set(args: argparse.Namespace) -> int:
    from ..services import clients

    changes = {field_name("client", k): v for k, v in parse_assignments(args.assignments).items()}
    with profile(args) as ctx:
        client_id = clients.resolve_client(ctx, args.client)
        changed = clients.update_client(ctx, client_id, **changes)
        users = user_names(ctx)
    if args.json:
        emit_json({"id": client_id, "changed": changed})
    elif not changed:
        sys.stdout.write(_("Nothing changed.") + "\n")
    else:
        rows = [[SCHEMAS["client"][k].title, fmt_value("client", k, v, users)] for k, v in changed.items()]
        sys.stdout.write(_("Changed:") + "\n")
        print_table(rows, [_("Field"), _("New value")])
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from ..services import clients

    with profile(args) as ctx:
        client_id = clients.resolve_client(ctx, args.client)
        name = clients.get_client(ctx, client_id)["name"]
        deleted = clients.delete_client(ctx, client_id)
    if args.json:
        emit_json({"id": client_id, "deleted": deleted})
    else:
        sys.stdout.write(_("Client deleted: {name}").format(name=name) + "\n")
    return 0


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("clients", help=_("list, show, add, change and delete clients"))
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("list", help=_("list the clients (optionally matching a search)"))
    p.add_argument(
        "--search", metavar="TEXT", help=_("name, short name, pinyin, contact, phone, email or note")
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help=_("everything about one client"))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    add_json_flag(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("add", help=_("add a client"))
    p.add_argument("--name", required=True, help=_("the client's full name"))
    p.add_argument("--uscc", metavar="CODE", help=_("unified social credit code (18 characters)"))
    p.add_argument("--tier", help=_("strategic, key or standard"))
    p.add_argument(
        "--no-standard",
        action="store_true",
        help=_("do not give the client its tier's service standard (visit plans)"),
    )
    p.add_argument(
        "--allow-duplicate-name",
        action="store_true",
        help=_("add the client even if one with the same name exists"),
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("set", help=_("change fields of a client: FIELD=VALUE ..."))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    p.add_argument("assignments", nargs="+", metavar="FIELD=VALUE", help=_("e.g. tier=key city=杭州"))
    add_json_flag(p)
    p.set_defaults(func=cmd_set)

    p = sub.add_parser("delete", help=_("delete a client"))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    add_json_flag(p)
    p.set_defaults(func=cmd_delete)
