"""``accountdesk import FILE``: clients, contacts or equipment from CSV or Excel, all or nothing.

Without ``--dry-run`` the rows are written in one transaction; a file with rejected rows changes
nothing (exit 2, every rejected row listed with its reason) unless ``--skip-rejected`` is given.
Duplicates of existing clients/contacts/equipment are skipped, or merged with ``--duplicates merge``.

``--json`` prints ``{"plan": {...}, "result": {...}}``: the plan has ``kind``, ``format``,
``encoding``, ``sheet``, ``header_row``, ``columns``, ``mapping`` (column → field or null),
``counts`` (``total``, ``new``, ``duplicate``, ``rejected``), ``duplicates`` and ``rejected``
(``row``, ``field``, ``column``, ``message``); the result (absent with ``--dry-run``) has
``created``, ``merged``, ``skipped``, ``rejected``. When rejected rows stop the import, the
error object lists them in ``errors`` (``field`` = ``row N: FIELD``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import _
from ..io import mapping as M
from ..io.importer import plan_import, run_import
from ..io.plan import ImportPlan, describe
from ..services.clients import resolve_client
from .common import Subparsers, emit_json, open_ctx, parse_assignments


def register(sub: Subparsers) -> None:
    p = sub.add_parser("import", help=_("import clients, contacts or equipment from a CSV or Excel file"))
    p.add_argument("file", type=Path, metavar=_("FILE"))
    p.add_argument(
        "--kind", choices=sorted(M.KINDS), help=_("what the file holds (default: guessed from the headers)")
    )
    p.add_argument(
        "--map",
        nargs="+",
        action="extend",
        default=[],
        metavar="COLUMN=FIELD",
        help=_("map a column to a field by hand (FIELD empty: ignore the column)"),
    )
    p.add_argument(
        "--client",
        metavar=_("CLIENT"),
        help=_("contacts or equipment of this client (id, name or credit code): no client column needed"),
    )
    p.add_argument("--sheet", help=_("the sheet of a workbook to read (default: the best match)"))
    p.add_argument(
        "--duplicates",
        choices=["skip", "merge"],
        default="skip",
        help=_("what to do with rows that duplicate existing records (default: skip)"),
    )
    p.add_argument(
        "--skip-rejected",
        action="store_true",
        help=_("import the valid rows and leave out the rejected ones"),
    )
    p.add_argument("--dry-run", action="store_true", help=_("show what would be imported; write nothing"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=run)


def _print_plan(plan: ImportPlan) -> None:
    sys.stdout.write("\n".join(describe(plan)) + "\n")


def run(args: argparse.Namespace) -> int:
    overrides = {k: (v or None) for k, v in parse_assignments(args.map).items()}
    ctx = open_ctx(args)
    try:
        client_id = resolve_client(ctx, args.client) if args.client else None
        plan = plan_import(ctx, args.file, args.kind, overrides, sheet=args.sheet, client_id=client_id)
        if not args.json:
            _print_plan(plan)
        if args.dry_run:
            if args.json:
                emit_json({"plan": plan.to_dict()})
            return 0
        result = run_import(ctx, plan, args.duplicates, skip_rejected=args.skip_rejected)
    finally:
        ctx.close()
    if args.json:
        emit_json({"plan": plan.to_dict(preview=False), "result": result.to_dict()})
    else:
        sys.stdout.write(
            _("Imported: {created} created, {merged} merged, {skipped} skipped, {rejected} rejected.").format(
                **result.to_dict()
            )
            + "\n"
        )
    return 0
