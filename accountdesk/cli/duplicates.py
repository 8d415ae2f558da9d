"""``accountdesk duplicates``, ``accountdesk merge CLIENT --into CLIENT``, ``accountdesk merge --undo MERGE``.

``duplicates --json``: ``{"clients": [group], "contacts": [group]}``, a group being
``{"entity", "reason" (uscc|name|mobile|email), "key", "ids", "names", "client_ids"}``.
``merge --json``: ``{"merge_id", "source_id", "into_id"}``; ``merge --undo --json``:
``{"merge_id", "restored_client_id"}``.
"""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from ..services.clients import resolve_client
from ..services.duplicates import find_duplicates
from ..services.merge import merge_clients, undo_merge
from .common import CLIError, Subparsers, emit_json, open_ctx


def register(sub: Subparsers) -> None:
    p = sub.add_parser("duplicates", help=_("list likely duplicate clients and contacts"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=run_duplicates)
    m = sub.add_parser("merge", help=_("merge a duplicate client into another, or undo a merge"))
    m.add_argument("client", nargs="?", metavar="CLIENT", help=_("the client to merge (it is removed)"))
    m.add_argument("--into", metavar="CLIENT", help=_("the client to keep"))
    m.add_argument("--undo", metavar="MERGE", help=_("undo this merge (its id)"))
    m.add_argument("--json", action="store_true", help=_("machine-readable output"))
    m.set_defaults(func=run_merge)


def _reason(code: str) -> str:
    return {
        "uscc": _("Same credit code"),
        "name": _("Same name"),
        "mobile": _("Same mobile"),
        "email": _("Same email"),
    }.get(code, code)


def run_duplicates(args: argparse.Namespace) -> int:
    ctx = open_ctx(args)
    try:
        report = find_duplicates(ctx)
    finally:
        ctx.close()
    if args.json:
        emit_json(report.to_dict())
        return 0
    w = sys.stdout.write
    if not report.clients and not report.contacts:
        w(_("No likely duplicates found.") + "\n")
        return 0
    if report.clients:
        w(_("Clients:") + "\n")
        for g in report.clients:
            w(f"  {_reason(g.reason)}: {g.key}\n")
            for i, name in zip(g.ids, g.names, strict=True):
                w(f"    {name}  ({i})\n")
    if report.contacts:
        w(_("Contacts:") + "\n")
        for g in report.contacts:
            w(f"  {_reason(g.reason)}: {g.key}\n")
            for i, name in zip(g.ids, g.names, strict=True):
                w(f"    {name}  ({i})\n")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    ctx = open_ctx(args)
    try:
        if args.undo:
            if args.client or args.into:
                raise CLIError(_("Use either CLIENT --into CLIENT or --undo MERGE."), exit_code=2)
            restored = undo_merge(ctx, args.undo)
            payload = {"merge_id": args.undo, "restored_client_id": restored}
            message = _("Merge undone; the client is back (new id {id}).").format(id=restored)
        else:
            if not args.client or not args.into:
                raise CLIError(
                    _("Say which client to merge and into which: merge CLIENT --into CLIENT."), exit_code=2
                )
            source = resolve_client(ctx, args.client)
            into = resolve_client(ctx, args.into)
            merge_id = merge_clients(ctx, source, into)
            payload = {"merge_id": merge_id, "source_id": source, "into_id": into}
            message = _("Merged. To undo: accountdesk merge --undo {id}").format(id=merge_id)
    finally:
        ctx.close()
    if args.json:
        emit_json(payload)
    else:
        sys.stdout.write(message + "\n")
    return 0
