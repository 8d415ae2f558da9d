"""``accountdesk agenda [--days N] [--user USER] [--json]``: overdue and upcoming items.

Output contract: ``--json`` prints a JSON array of objects with ``kind`` (``visit_due``,
``visit_planned``, ``complaint``, ``equipment_service``, ``equipment_calibration``,
``contract_renewal``, ``improvement_item``, ``conflict``), ``kind_label``, ``due`` (ISO date),
``client_id``, ``client_name``, ``entity``, ``row_id``, ``title``, ``overdue``, ``days_overdue``
and ``severity`` (``low``/``medium``/``high``/``critical``), overdue items first.
Exit codes: 0 success, 2 bad input (the field is named), 1 other errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..i18n import _
from ..labels import label
from ..models.enums import Severity
from .common import Subparsers, emit_json, open_ctx, print_table

if TYPE_CHECKING:
    from ..services.context import AppContext


def _days(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationError(
            "days", _("Give a whole number of days (got “{value}”).").format(value=value)
        ) from None


def cmd_agenda(args: argparse.Namespace) -> int:
    from ..services.agenda import agenda

    days = _days(args.days)
    ctx = open_ctx(args)
    try:
        user_id = None
        if args.user:
            user_id = _resolve_user(ctx, args.user)
        items = agenda(ctx, days=days, user_id=user_id)
    finally:
        ctx.close()
    if args.json:
        emit_json([i.to_dict() for i in items])
        return 0
    if not items:
        text = (
            _("Nothing overdue or due today.")
            if days == 0
            else _("Nothing overdue or due in the next {n} days.").format(n=days)
        )
        sys.stdout.write(text + "\n")
        return 0
    rows = []
    for i in items:
        if i.overdue:
            when = (
                _("1 day overdue") if i.days_overdue == 1 else _("{n} days overdue").format(n=i.days_overdue)
            )
        else:
            when = ""
        rows.append(
            [i.due.isoformat(), when, i.kind_label, i.client_name, i.title, label(Severity, i.severity)]
        )
    print_table(rows, [_("Due"), _("Overdue"), _("Kind"), _("Client"), _("What"), _("Severity")])
    overdue = sum(1 for i in items if i.overdue)
    sys.stdout.write(
        "\n" + _("{total} items, {overdue} overdue.").format(total=len(items), overdue=overdue) + "\n"
    )
    return 0


def _resolve_user(ctx: AppContext, ref: str) -> str:
    from ..services.users import resolve_user_id

    return resolve_user_id(ctx, ref, field="user")


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("agenda", help=_("overdue and upcoming visits, deadlines and renewals"))
    p.add_argument("--days", default="7", metavar="N", help=_("look N days ahead (default 7)"))
    p.add_argument(
        "--user", metavar=_("USER"), help=_("only the clients of this user (login or display name)")
    )
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=cmd_agenda)
