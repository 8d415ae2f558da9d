"""``accountdesk demo``: fill an empty profile with realistic, deterministic demo data.

    accountdesk [--data-dir DIR] demo [--clients N] [--seed S] [--reference-date YYYY-MM-DD] [--json]

Exit 0 when done; 2 for bad input (the message names the option) and when the profile already
holds data (demo data only goes into an empty profile: there is no --force, because demo rows
mixed with real ones could not be told apart and would be synced to the server).
"""

from __future__ import annotations

import argparse
import sys

from ..errors import ValidationError
from ..i18n import _
from .common import Subparsers, emit_json, open_ctx


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "demo",
        help=_("fill an empty profile with realistic demo data"),
        description=_(
            "Fill an empty profile with realistic demo data: staff, the service catalogue and, per client, "
            "contacts, a year of visits with reports, services, feedback, surveys, risks, equipment and more. "
            "The same seed and reference date always give the same data. A profile that already holds data "
            "is refused."
        ),
    )
    p.add_argument(
        "--clients", type=str, default="200", metavar="N", help=_("number of clients (default: 200)")
    )
    p.add_argument("--seed", type=str, default="1", metavar="S", help=_("random seed (default: 1)"))
    p.add_argument(
        "--reference-date",
        dest="reference_date",
        metavar="YYYY-MM-DD",
        help=_("the demo's today: history lies before it, planned visits after it (default: today)"),
    )
    p.add_argument("--json", action="store_true", help=_("print a machine-readable summary"))
    p.set_defaults(func=run)


def _int_option(name: str, text: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValidationError(name, _("Enter a whole number.")) from None


def run(args: argparse.Namespace) -> int:
    from ..domain.validation import parse_date
    from ..services.demo import MAX_CLIENTS, generate_demo

    clients = _int_option("--clients", args.clients)
    if not 1 <= clients <= MAX_CLIENTS:
        raise ValidationError(
            "--clients", _("Enter a number of clients from 1 to {max}.").format(max=MAX_CLIENTS)
        )
    seed = _int_option("--seed", args.seed)
    reference = parse_date("--reference-date", args.reference_date) if args.reference_date else None

    show_progress = not args.json and sys.stderr.isatty()

    def progress(fraction: float, message: str) -> None:
        if show_progress:
            sys.stderr.write(f"\r{fraction * 100:5.1f}%  {message}\033[K")
            sys.stderr.flush()

    ctx = open_ctx(args)
    try:
        summary = generate_demo(ctx, clients=clients, seed=seed, reference=reference, progress=progress)
    finally:
        if show_progress:
            sys.stderr.write("\n")
        ctx.close()
    if args.json:
        emit_json(summary.to_dict())
        return 0
    sys.stdout.write(
        _(
            "Created demo data: {clients} clients, {rows} records in {seconds:.1f} s (seed {seed}, reference date {date})."
        ).format(
            clients=summary.clients,
            rows=summary.rows,
            seconds=summary.seconds,
            seed=summary.seed,
            date=summary.reference_date.isoformat(),
        )
        + "\n"
    )
    sys.stdout.write(
        _("You are now working as {name} ({username}), supervisor: every client is visible.").format(
            name=summary.current_user_name, username=summary.current_user
        )
        + "\n"
    )
    return 0
