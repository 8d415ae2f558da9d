"""``accountdesk feedback add CLIENT --kind KIND --subject TEXT [--severity S] [--involved USER...] [--json]``.

The feedback is received now. Complaints and appeals get their deadline from the severity (see
:mod:`accountdesk.services.feedback`). ``--involved`` takes user names or ids of the staff
involved in the case (they may never handle it). ``--json`` prints the created feedback with its
``due_at``.

``accountdesk feedback escalate [--json]`` raises the escalation level of open feedback whose
deadline nears or has passed (see :func:`accountdesk.services.feedback.escalate_due_feedback`);
run it from a scheduler, or let the desktop app do it. ``--json`` prints a list of
``{feedback_id, client_id, subject, old_level, new_level, effective_due}``.
"""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from ..models.enums import FeedbackKind, Severity
from .clients import add_json_flag, created_message, fmt_datetime, profile
from .common import Subparsers, emit_json, print_table


def cmd_add(args: argparse.Namespace) -> int:
    from ..services import records
    from ..services.clients import resolve_client
    from ..services.feedback import record_feedback

    with profile(args) as ctx:
        client_id = resolve_client(ctx, args.client)
        feedback_id = record_feedback(
            ctx, client_id, args.kind, args.subject, severity=args.severity, involved=args.involved or None
        )
        data = records.get_record(ctx, "feedback", feedback_id)
    if args.json:
        emit_json(data)
    else:
        created_message(_("Feedback"), data["subject"], feedback_id)
        if data["due_at"] is not None:
            sys.stdout.write(_("Deadline: {when}").format(when=fmt_datetime(data["due_at"])) + "\n")
    return 0


def cmd_escalate(args: argparse.Namespace) -> int:
    import dataclasses

    from ..services.feedback import escalate_due_feedback

    with profile(args) as ctx:
        done = escalate_due_feedback(ctx)
    if args.json:
        emit_json([dataclasses.asdict(e) for e in done])
    elif not done:
        sys.stdout.write(_("No feedback needs escalation.") + "\n")
    else:
        rows = [[e.subject, str(e.old_level), str(e.new_level), fmt_datetime(e.effective_due)] for e in done]
        print_table(rows, [_("Subject"), _("Old level"), _("New level"), _("Effective deadline")])
    return 0


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("feedback", help=_("record client feedback"))
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help=_("record feedback received now"))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    p.add_argument("--kind", required=True, help=", ".join(k.value for k in FeedbackKind))
    p.add_argument("--subject", required=True, metavar="TEXT", help=_("what it is about"))
    p.add_argument("--severity", help=", ".join(s.value for s in Severity))
    p.add_argument("--involved", nargs="+", metavar="USER", help=_("staff involved in the case (user names)"))
    add_json_flag(p)
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("escalate", help=_("escalate open feedback whose deadline nears or has passed"))
    add_json_flag(p)
    p.set_defaults(func=cmd_escalate)
