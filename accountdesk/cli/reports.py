"""``accountdesk dossier CLIENT... --out FILE.pdf [--audience internal|external]`` and ``accountdesk report portfolio|handover``.

Exit codes as everywhere: 0 written, 2 bad input (an unknown client, a bad date, an output path
that cannot be written — the message names the field), 1 anything else. ``--json`` prints
``{"path", "pages", "documents"}``. The language of the PDF follows ``--lang``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.validation import parse_date
from ..errors import ValidationError
from ..i18n import _
from ..services.clients import resolve_client
from ..services.dossier.client import check_audience
from .common import Subparsers, emit_json, open_ctx

if TYPE_CHECKING:
    from ..reports import RenderResult
    from ..reports.document import ProgressFn


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))


def _out_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, type=Path, metavar=_("FILE.pdf"), help=_("the PDF file to write")
    )


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "dossier", help=_("print client dossiers into one PDF (each client starts on a new page)")
    )
    p.add_argument("clients", nargs="+", metavar=_("CLIENT"), help=_("a client's id or exact name"))
    p.add_argument(
        "--visit-photos",
        action="store_true",
        help=_("print each visit's photos in its visit report (scaled; the files must be on this computer)"),
    )
    p.add_argument(
        "--audience",
        default="internal",
        metavar="internal|external",
        help=_(
            "internal (default): for the account team; external: without contacts' personal data "
            "(private mobiles, WeChat ids, personal notes) and without confidential figures"
        ),
    )
    _out_arg(p)
    _json_flag(p)
    p.set_defaults(func=cmd_dossier)

    rep = sub.add_parser("report", help=_("print the portfolio report or a handover report"))
    rsub = rep.add_subparsers(dest="report", metavar=_("REPORT"), required=True)
    pp = rsub.add_parser("portfolio", help=_("the portfolio / business-analysis report"))
    _out_arg(pp)
    pp.add_argument(
        "--from",
        dest="date_from",
        metavar=_("DATE"),
        help=_("start of the period (default: a year before the end)"),
    )
    pp.add_argument("--to", dest="date_to", metavar=_("DATE"), help=_("end of the period (default: today)"))
    _json_flag(pp)
    pp.set_defaults(func=cmd_portfolio)
    ph = rsub.add_parser("handover", help=_("the handover report of a client"))
    ph.add_argument("client", metavar=_("CLIENT"), help=_("a client's id or exact name"))
    ph.add_argument("--handover", metavar=_("ID"), help=_("a handover's id (default: the client's latest)"))
    _out_arg(ph)
    _json_flag(ph)
    ph.set_defaults(func=cmd_handover)


def _check_out(path: Path) -> Path:
    path = path.expanduser()
    if path.is_dir():
        raise ValidationError(
            "out", _("“{path}” is a folder; give a file name ending in .pdf.").format(path=path)
        )
    if not path.parent.exists():
        raise ValidationError("out", _("The folder “{path}” does not exist.").format(path=path.parent))
    if path.suffix.lower() != ".pdf":
        if path.suffix and not path.suffix[1:].isdigit():  # x.txt: another kind of file; 2026.03: a name
            raise ValidationError(
                "out",
                _("A report is a PDF: give a file name ending in .pdf (not “{name}”).").format(
                    name=path.name
                ),
            )
        path = path.with_name(path.name + ".pdf")
    return path


def _report(args: argparse.Namespace, result: RenderResult) -> int:
    if getattr(args, "json", False):
        emit_json({"path": str(result.path), "pages": result.pages, "documents": result.documents})
    else:
        sys.stdout.write(
            _("Wrote {path} ({pages} pages).").format(path=result.path, pages=result.pages) + "\n"
        )
    return 0


def _progress_printer() -> ProgressFn | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        sys.stderr.write("\r" + _("Printing {done} of {total}…").format(done=done, total=total))
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def cmd_dossier(args: argparse.Namespace) -> int:
    from ..reports import render_dossiers

    audience = check_audience((args.audience or "").strip().lower())
    out = _check_out(args.out)
    ctx = open_ctx(args)
    try:
        ids = list(dict.fromkeys(resolve_client(ctx, ref) for ref in args.clients))
        progress = _progress_printer() if len(ids) > 1 else None
        return _report(
            args,
            render_dossiers(
                ctx, ids, out, progress=progress, visit_photos=args.visit_photos, audience=audience
            ),
        )
    finally:
        ctx.close()


def cmd_portfolio(args: argparse.Namespace) -> int:
    from ..reports import render_portfolio

    out = _check_out(args.out)
    date_from = parse_date("from", args.date_from) if args.date_from else None
    date_to = parse_date("to", args.date_to) if args.date_to else None
    if date_from and date_to and date_from > date_to:
        raise ValidationError("from", _("The start of the period is after its end."))
    ctx = open_ctx(args)
    try:
        return _report(args, render_portfolio(ctx, out, date_from=date_from, date_to=date_to))
    finally:
        ctx.close()


def cmd_handover(args: argparse.Namespace) -> int:
    from ..reports import render_handover

    out = _check_out(args.out)
    ctx = open_ctx(args)
    try:
        client_id = resolve_client(ctx, args.client)
        return _report(args, render_handover(ctx, client_id, out, handover_id=args.handover))
    finally:
        ctx.close()
