"""Adds ``clients assign`` (a handover), ``clients team`` and ``clients unowned`` to the
``clients`` command group, whose other subcommands live in ``clients.py``.

Modules register in alphabetical order, so the ``clients`` parser exists when this one runs;
its subcommand list is found through the public ``choices`` map (and created if missing).
"""

from __future__ import annotations

import argparse
import sys
from argparse import Namespace

from ..i18n import _
from .common import CLIError, emit_json, open_ctx


def _clients_subparsers(subparsers) -> argparse._SubParsersAction:
    parser = subparsers.choices.get("clients")
    if parser is None:
        parser = subparsers.add_parser("clients", help=_("clients"))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)


def cmd_assign(args: Namespace) -> int:
    from ..services.clients import resolve_client
    from ..services.handover import assign_client

    ctx = open_ctx(args)
    try:
        client_id = resolve_client(ctx, args.client)
        result = assign_client(ctx, client_id, args.to, args.reason)
    finally:
        ctx.close()
    if args.json:
        emit_json(result)
    else:
        sys.stdout.write(_("Handed over to {user}; the handover syncs at the next sync.").format(user=args.to) + "\n")
        for item in result["checklist"]:
            sys.stdout.write(f"  [ ] {_(item['label'])}: {item['count']}\n")
    return 0


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


def register(subparsers) -> None:
    sub = _clients_subparsers(subparsers)
    p = sub.add_parser("assign", help=_("hand a client over to a new owner (supervisors)"))
    p.add_argument("client", metavar="CLIENT")
    p.add_argument("--to", required=True, metavar="USER")
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
