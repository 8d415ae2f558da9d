"""``accountdesk calendar-feed [--reset] [--revoke] [--password-stdin] [--json]``: the signed-in user's calendar
subscription URL (an ICS feed of their planned visits, tasks, complaint deadlines and renewals,
for Outlook, Apple, Google, WeCom or Feishu calendars).

The first call makes the feed. The URL is a secret: the server shows it only when it is made,
and this computer keeps it in the OS keyring to show it again. ``--reset`` makes a new URL (the
old one stops working at once: use it when the URL was shared by mistake, or on a computer that
does not know it); ``--revoke`` ends the feed. ``--json`` prints ``{"url", "active",
"created_at", "new"}`` (``url`` null when this computer does not know it).

Exit codes as ``accountdesk sync``: 0 done, 2 bad arguments (no server yet), 3 server
unreachable, 4 login needed or refused, 5 user deactivated, 6 device revoked, 7 please update,
1 any other error.
"""

from __future__ import annotations

import sys
from argparse import Namespace

from ..i18n import _
from .common import CLIError, Subparsers, emit_json, open_ctx


def cmd_calendar_feed(args: Namespace) -> int:
    from ..sync.notify_api import NotifyClient
    from .sync_engine import make_engine

    if args.reset and args.revoke:
        raise CLIError(_("Give --reset or --revoke, not both."), exit_code=2)
    ctx = open_ctx(args)
    try:
        engine = make_engine(ctx, args)
        try:
            client = NotifyClient(engine)
            feed = client.revoke_calendar_feed() if args.revoke else client.calendar_feed(reset=args.reset)
        finally:
            engine.close()
    finally:
        ctx.close()
    out = {
        "url": feed.get("url"),
        "active": feed.get("active", False),
        "created_at": feed.get("created_at"),
        "new": bool(feed.get("new")),
    }
    if args.json:
        emit_json(out)
    elif not out["active"]:
        sys.stdout.write(_("Your calendar feed is switched off; the old URL no longer works.") + "\n")
    elif out["url"]:
        sys.stdout.write(out["url"] + "\n")
        sys.stdout.write(
            _(
                "Subscribe to this URL in your calendar app. Keep it private: anyone with it sees your "
                "appointments. --reset makes a new one."
            )
            + "\n"
        )
    else:
        sys.stdout.write(
            _(
                "Your calendar feed was set up on another computer, and its URL is shown only once. "
                "Run calendar-feed --reset for a new URL (the old one stops working)."
            )
            + "\n"
        )
    return 0


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "calendar-feed", help=_("your calendar subscription URL (visits, tasks, deadlines, renewals)")
    )
    p.add_argument("--reset", action="store_true", help=_("make a new URL; the old one stops working"))
    p.add_argument("--revoke", action="store_true", help=_("switch the feed off"))
    p.add_argument(
        "--password-stdin", action="store_true", help=_("read the password from standard input (no keyring)")
    )
    p.add_argument("--json", action="store_true", help=_("print {url, active, created_at, new} as JSON"))
    p.set_defaults(func=cmd_calendar_feed)
