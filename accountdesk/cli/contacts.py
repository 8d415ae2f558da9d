"""``accountdesk contacts add CLIENT --name NAME [--title T] [--mobile M] [--email E] [--json]``.

``--json`` prints the created contact (mobile numbers in E.164, e.g. ``+8613800138000``).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import _
from .clients import add_json_flag, created_message, profile
from .common import Subparsers, emit_json


def cmd_add(args: argparse.Namespace) -> int:
    from ..services import records
    from ..services.clients import resolve_client
    from ..services.contacts import create_contact

    values: dict[str, Any] = {"name": args.name}
    for name in ("title", "mobile", "email"):
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    with profile(args) as ctx:
        client_id = resolve_client(ctx, args.client)
        contact_id = create_contact(ctx, client_id, **values)
        data = records.get_record(ctx, "contact", contact_id)
    if args.json:
        emit_json(data)
    else:
        created_message(_("Contact"), data["name"], contact_id)
    return 0


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("contacts", help=_("add contacts of a client"))
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help=_("add a contact to a client"))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    p.add_argument("--name", required=True, help=_("the contact's name"))
    p.add_argument("--title", help=_("job title"))
    p.add_argument("--mobile", help=_("mobile number, e.g. 13800138000"))
    p.add_argument("--email", help=_("email address"))
    add_json_flag(p)
    p.set_defaults(func=cmd_add)
