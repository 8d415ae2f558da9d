"""Adds ``clients assign`` (a handover), ``clients team`` and ``clients unowned`` to the
``clients`` command group, whose other subcommands live in ``clients.py``.

Modules register in alphabetical order, so the ``clients`` parser exists when this one runs;
its subcommand list is found through the public ``choices`` map (and created if missing).
"""

from __future__ import annotations

import argparse
import sys
from argparse import Namespace
from typing import TYPE_CHECKING

from ..i18n import _
from .common import CLIError, Subparsers, emit_json, open_ctx

if TYPE_CHECKING:
    from ..services.context import AppContext


def _clients_subparsers(subparsers: Subparsers) -> Subparsers:
    parser = subparsers.choices.get("clients")
    if parser is None:
        parser = subparsers.add_parser("clients", help=_("clients"))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)


def cmd_assign(args: Namespace) -> int:
    """``clients assign CLIENT... --to USER`` or ``clients assign --from USER --to USER``.

    JSON: one CLIENT prints the handover object (``client_id``, ``handover_id``, ``from_user_id``,
    ``to_user_id``, ``backup_owner_id``, ``checklist``, ``moves``); several print a list of them;
    ``--from`` prints the resignation (``handovers``, ``backups``, ``teams``, ``other_moves``,
    ``unmoved``, ``deactivated``)."""
    from ..services import turnover

    if bool(args.clients) == bool(args.from_user):
        raise CLIError(
            _("Name the clients to hand over, or --from USER for every client of a user."), exit_code=2
        )
    ctx = open_ctx(args)
    try:
        if args.from_user:
            result = turnover.resign(ctx, args.from_user, to=args.to, reason=args.reason)
            data: object = result.to_dict()
            handovers = result.handovers
        else:
            handovers = turnover.assign_clients(ctx, args.clients, args.to, reason=args.reason)
            data = handovers[0] if len(args.clients) == 1 else handovers
        names = _user_names(ctx)
    finally:
        ctx.close()
    if args.json:
        emit_json(data)
        return 0
    for h in handovers:
        sys.stdout.write(
            _("{client}: handed over from {old} to {new}.").format(
                client=h["client_name"],
                old=names.get(h["from_user_id"] or "", "—"),
                new=names.get(h["to_user_id"], ""),
            )
            + "\n"
        )
        for item in h["checklist"]:
            sys.stdout.write(
                f"  [{'x' if item.get('done') else ' '}] {_(item['label'])}: {item.get('count', 0)}\n"
            )
        for m in h["moves"]:
            who = (
                names.get(m["to_user_id"] or "", "")
                if m["moved"]
                else _("needs a handler (the successor is involved)")
            )
            sys.stdout.write(f"  → {m['title']}: {who}\n")
    if args.from_user:
        for b in result.backups:
            sys.stdout.write(
                _("{client}: backup owner now {user}.").format(
                    client=b["client_name"], user=names.get(b["to_user_id"] or "", "—")
                )
                + "\n"
            )
        for t in result.teams:
            sys.stdout.write(
                _("{client}: service team place taken by {user}.").format(
                    client=t["client_name"], user=names.get(t["to_user_id"] or "", "—")
                )
                + "\n"
            )
    sys.stdout.write(_("The handovers sync at the next sync.") + "\n")
    return 0


def _user_names(ctx: AppContext) -> dict[str, str]:
    from ..services.workspace import user_names

    return user_names(ctx)


def cmd_team(args: Namespace) -> int:
    from ..services.clients import resolve_client
    from ..services.team import add_team_member, remove_team_member

    if bool(args.add) == bool(args.remove):
        raise CLIError(_("Give either --add USER or --remove USER."), exit_code=2)
    ctx = open_ctx(args)
    try:
        client_id = resolve_client(ctx, args.client)
        if args.add:
            add_team_member(ctx, client_id, args.add)
            message = _("{user} joined the service team.").format(user=args.add)
        else:
            remove_team_member(ctx, client_id, args.remove)
            message = _("{user} left the service team.").format(user=args.remove)
    finally:
        ctx.close()
    if args.json:
        emit_json({"client_id": client_id, "added": args.add, "removed": args.remove})
    else:
        sys.stdout.write(message + "\n")
    return 0


def cmd_unowned(args: Namespace) -> int:
    from ..services.handover import clients_needing_owner

    ctx = open_ctx(args)
    try:
        rows = clients_needing_owner(ctx)
    finally:
        ctx.close()
    if args.json:
        emit_json(rows)
    elif not rows:
        sys.stdout.write(_("Every client has an active owner.") + "\n")
    else:
        sys.stdout.write(_("Clients that need a new owner:") + "\n")
        for r in rows:
            sys.stdout.write(f"  {r['name']}  ({r['owner'] or '-'})\n")
    return 0


def register(subparsers: Subparsers) -> None:
    sub = _clients_subparsers(subparsers)
    p = sub.add_parser("assign", help=_("hand clients over to a new owner (supervisors)"))
    p.add_argument("clients", nargs="*", metavar="CLIENT", help=_("the clients' ids or exact names"))
    p.add_argument(
        "--from",
        dest="from_user",
        metavar="USER",
        help=_("every client of this user (owned, backed up, served on) with their open work"),
    )
    p.add_argument("--to", required=True, metavar="USER", help=_("the new owner (login or display name)"))
    p.add_argument("--reason", metavar="TEXT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_assign)
    p = sub.add_parser("team", help=_("add or remove a member of the client's service team"))
    p.add_argument("client", metavar="CLIENT")
    p.add_argument("--add", metavar="USER")
    p.add_argument("--remove", metavar="USER")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_team)
    p = sub.add_parser("unowned", help=_("list clients that need a new owner"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_unowned)
