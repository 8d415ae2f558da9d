"""``accountdesk users list [--json]``: every user of this profile with the login that commands
accept (``--to``, ``--user``, ``--involved`` and ``owner=`` take a login or a display name).

Output contract: ``--json`` prints a JSON array of objects with ``id``, ``login``,
``display_name``, ``role`` (``admin|supervisor|manager|field``), ``team`` and ``active``
(deactivated users are listed too: their history stays readable), by display name.
Exit codes: 0 success, 1 other errors.
"""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from ..labels import label
from ..models.enums import Role
from .common import emit_json, open_ctx, print_table


def cmd_list(args: argparse.Namespace) -> int:
    from ..services.users import list_users

    ctx = open_ctx(args)
    try:
        rows = [
            {"id": u["id"], "login": u["username"], "display_name": u["display_name"], "role": u["role"],
             "team": u.get("team"), "active": bool(u["active"])}
            for u in list_users(ctx, include_inactive=True)
        ]
    finally:
        ctx.close()
    if args.json:
        emit_json(rows)
        return 0
    table = [[r["login"], r["display_name"], label(Role, r["role"]), r["team"] or "",
              _("active") if r["active"] else _("deactivated")] for r in rows]
    print_table(table, [_("Login"), _("Name"), _("Role"), _("Team"), _("State")])
    sys.stdout.write(_("{n} users.").format(n=len(rows)) + "\n")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("users", help=_("the users of this profile and their logins"))
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help=_("every user: login, display name, role, active"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=cmd_list)
