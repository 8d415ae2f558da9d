"""``accountdesk conflicts list|resolve``: edits that lost a merge, and refused changes."""

from __future__ import annotations

import sys
from argparse import Namespace

from ..i18n import _
from .common import Subparsers, emit_json, open_ctx, print_table


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def cmd_list(args: Namespace) -> int:
    from sqlalchemy import select

    from ..models import OutboxEntry
    from ..sync.conflicts import list_conflicts

    ctx = open_ctx(args)
    try:
        rows = list_conflicts(ctx)
        with ctx.read() as session:
            refused = [
                {
                    "seq": e.seq,
                    "entity": e.entity,
                    "row_id": e.row_id,
                    "op": e.op,
                    "fields": e.fields,
                    "reason": e.reject_reason,
                }
                for e in session.scalars(
                    select(OutboxEntry).where(OutboxEntry.status == "rejected").order_by(OutboxEntry.seq)
                )
            ]
    finally:
        ctx.close()
    if args.json:
        emit_json({"conflicts": rows, "rejected": refused})
        return 0
    if not rows and not refused:
        sys.stdout.write(_("No conflicts.") + "\n")
        return 0
    if rows:
        print_table(
            [
                [
                    r["id"],
                    r["entity"],
                    r["field"] or _("(deleted)"),
                    _short(r["kept_value"]),
                    r["kept_by"] or "",
                    _short(r["lost_value"]),
                    r["lost_by"] or "",
                ]
                for r in rows
            ],
            [
                _("ID"),
                _("Record"),
                _("Field"),
                _("Kept value"),
                _("Changed by"),
                _("Lost value"),
                _("Changed by"),
            ],
        )
    if refused:
        sys.stdout.write("\n" + _("Changes refused by the server:") + "\n")
        for r in refused:
            sys.stdout.write(f"  #{r['seq']} {r['entity']} {r['row_id']}: {r['reason']}\n")
        sys.stdout.write(_("Drop one with: accountdesk conflicts discard NUMBER") + "\n")
    return 0


def cmd_resolve(args: Namespace) -> int:
    from ..sync.conflicts import resolve_conflict

    ctx = open_ctx(args)
    try:
        result = resolve_conflict(ctx, args.id, args.keep)
    finally:
        ctx.close()
    if args.json:
        emit_json(result)
    elif result["restored"]:
        sys.stdout.write(_("The other value was restored; it reaches the others at the next sync.") + "\n")
    else:
        sys.stdout.write(_("The current value was kept; the conflict is resolved.") + "\n")
    return 0


def cmd_discard(args: Namespace) -> int:
    from ..sync.conflicts import discard_refused

    ctx = open_ctx(args)
    try:
        result = discard_refused(ctx, args.number)
    finally:
        ctx.close()
    if args.json:
        emit_json(result)
    else:
        sys.stdout.write(
            _("The refused change was dropped; the next sync brings back the server's version.") + "\n"
        )
    return 0


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("conflicts", help=_("review conflicting edits"))
    sub = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    p = sub.add_parser("list", help=_("list unresolved conflicts and refused changes"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("resolve", help=_("keep my value or theirs"))
    p.add_argument("id", metavar="ID")
    p.add_argument("--keep", required=True, choices=["mine", "theirs"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_resolve)
    p = sub.add_parser("discard", help=_("drop a change the server refused"))
    p.add_argument("number", type=int, metavar="NUMBER")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_discard)
