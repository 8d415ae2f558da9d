"""``accountdesk users list [--json]``: every user of this profile with the login that commands
accept (``--to``, ``--user``, ``--involved`` and ``owner=`` take a login or a display name).

Output contract: ``--json`` prints a JSON array of objects with ``id``, ``login``,
``display_name``, ``role`` (``admin|supervisor|manager|field``), ``team`` and ``active``
(deactivated users are listed too: their history stays readable), by display name.
``accountdesk users holdings USER [--json]``: everything a user holds (before a resignation):
``clients`` (``id``, ``name``, ``province``, ``city``, ``tier``, ``role`` owner|backup|team and
counts of open work), ``complaints``, ``improvement_items``, ``planned_visits``, ``visit_plans``,
``opportunities`` (each ``entity``, ``id``, ``client_id``, ``client_name``, ``title``, ``due``).
``accountdesk users candidates [--json]``: who could take clients over, each with ``login``,
``display_name``, ``role``, ``clients_owned``, ``clients_backed_up``, ``open_complaints``,
``planned_visits`` and ``region``. Supervisors and administrators.
Exit codes: 0 success, 2 bad input (an unknown or ambiguous user), 1 other errors.
"""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from ..labels import label
from ..models.enums import Role
from .common import Subparsers, emit_json, open_ctx, print_table


def cmd_list(args: argparse.Namespace) -> int:
    from ..services.users import list_users

    ctx = open_ctx(args)
    try:
        rows = [
            {
                "id": u["id"],
                "login": u["username"],
                "display_name": u["display_name"],
                "role": u["role"],
                "team": u.get("team"),
                "active": bool(u["active"]),
            }
            for u in list_users(ctx, include_inactive=True)
        ]
    finally:
        ctx.close()
    if args.json:
        emit_json(rows)
        return 0
    table = [
        [
            r["login"],
            r["display_name"],
            label(Role, r["role"]),
            r["team"] or "",
            _("active") if r["active"] else _("deactivated"),
        ]
        for r in rows
    ]
    print_table(table, [_("Login"), _("Name"), _("Role"), _("Team"), _("State")])
    sys.stdout.write(_("{n} users.").format(n=len(rows)) + "\n")
    return 0


def cmd_holdings(args: argparse.Namespace) -> int:
    from ..services.turnover import holdings

    ctx = open_ctx(args)
    try:
        held = holdings(ctx, args.user)
    finally:
        ctx.close()
    if args.json:
        emit_json(held.to_dict())
        return 0
    sys.stdout.write(
        f"{held.display_name} ({held.login})" + ("" if held.active else " — " + _("deactivated")) + "\n"
    )
    roles = {"owner": _("owner"), "backup": _("backup"), "team": _("service team")}
    if held.clients:
        print_table(
            [
                [
                    c.name,
                    roles[c.role],
                    c.province or "",
                    str(c.open_complaints),
                    str(c.planned_visits),
                    str(c.open_items),
                ]
                for c in held.clients
            ],
            [_("Client"), _("Role"), _("Region"), _("Open complaints"), _("Planned visits"), _("Open items")],
        )
    for title, group in (
        (_("Complaints handled"), held.complaints),
        (_("Open improvement items"), held.improvement_items),
        (_("Planned visits"), held.planned_visits),
        (_("Visit plans"), held.visit_plans),
        (_("Open opportunities"), held.opportunities),
    ):
        sys.stdout.write(f"{title}: {len(group)}\n")
        for i in group:
            sys.stdout.write(f"  {i.client_name}  {i.title}  {str(i.due or '')[:16]}\n")
    return 0


def cmd_candidates(args: argparse.Namespace) -> int:
    from ..services.turnover import candidates

    ctx = open_ctx(args)
    try:
        found = candidates(ctx)
    finally:
        ctx.close()
    if args.json:
        emit_json([c.to_dict() for c in found])
        return 0
    print_table(
        [
            [
                c.login,
                c.display_name,
                label(Role, c.role),
                str(c.clients_owned),
                str(c.open_complaints),
                str(c.planned_visits),
                c.region,
            ]
            for c in found
        ],
        [
            _("Login"),
            _("Name"),
            _("Role"),
            _("Clients"),
            _("Open complaints"),
            _("Planned visits"),
            _("Region"),
        ],
    )
    return 0


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("users", help=_("the users of this profile and their logins"))
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help=_("every user: login, display name, role, active"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=cmd_list)
    p = sub.add_parser(
        "holdings", help=_("everything a user holds: clients, complaints, visits, improvement items")
    )
    p.add_argument("user", metavar="USER", help=_("login or display name"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=cmd_holdings)
    p = sub.add_parser("candidates", help=_("who could take clients over, with their workload and region"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=cmd_candidates)
