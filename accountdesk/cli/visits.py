"""``accountdesk visits add CLIENT --kind KIND --at DATETIME [--status STATUS] [--report TEXT] [--json]``.

Without ``--status`` a visit whose time has passed is recorded as held (``done``) and a visit in
the future as ``planned``. ``--report`` is the outcome written in the visit report. ``--kind``
and ``--status`` take the codes or their labels (``return_visit`` or 回访). ``--json`` prints the
created visit.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import _
from ..models.enums import VisitKind, VisitStatus
from .clients import add_json_flag, created_message, fmt_datetime, profile
from .common import Subparsers, emit_json


def cmd_add(args: argparse.Namespace) -> int:
    from ..domain.validation import parse_datetime
    from ..labels import label
    from ..services import records
    from ..services.clients import resolve_client
    from ..services.visits import create_visit

    at = parse_datetime("planned_start", args.at)
    values: dict[str, Any] = {"kind": args.kind, "planned_start": at}
    if args.report is not None:
        values["outcome"] = args.report
    with profile(args) as ctx:
        status = args.status
        if status is None:
            status = VisitStatus.DONE.value if at <= ctx.now() else VisitStatus.PLANNED.value
        values["status"] = status
        client_id = resolve_client(ctx, args.client)
        visit_id = create_visit(ctx, client_id, **values)
        data = records.get_record(ctx, "visit", visit_id)
    if args.json:
        emit_json(data)
    else:
        name = _("{kind} {when} ({status})").format(
            kind=label(VisitKind, data["kind"]),
            when=fmt_datetime(data["planned_start"]),
            status=label(VisitStatus, data["status"]),
        )
        created_message(_("Visit"), name, visit_id)
    return 0


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("visits", help=_("record and plan visits"))
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help=_("record a visit or put one in the calendar"))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    p.add_argument("--kind", required=True, help=", ".join(k.value for k in VisitKind))
    p.add_argument(
        "--at", required=True, metavar="DATETIME", help=_("start, e.g. 2026-03-31 14:30 (local time)")
    )
    p.add_argument(
        "--status",
        help=_("{choices} (default: done if the time has passed, else planned)").format(
            choices=", ".join(s.value for s in VisitStatus)
        ),
    )
    p.add_argument("--report", metavar="TEXT", help=_("the outcome for the visit report"))
    add_json_flag(p)
    p.set_defaults(func=cmd_add)
