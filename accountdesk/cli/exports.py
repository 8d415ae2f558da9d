"""``accountdesk export contacts|calendar|clients|backup --out FILE [--format ...]``.

Formats: contacts ``vcf3`` (default), ``vcf4``, ``xlsx``, ``csv``, ``json``; calendar ``ics``;
clients ``xlsx`` (default), ``csv``, ``json``; backup: a zip (SQLite copy + manifest.json with
checksums), encrypted with a passphrase (``--passphrase-stdin``, else asked twice on a terminal);
an encrypted or company profile's backup without one is refused (exit 2, field ``passphrase``). Without ``--format`` the extension of ``--out`` decides when it names a format.
``--json`` prints ``{"file", "format", "count"}`` (backup: ``{"file", "tables", "sha256"}``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import _
from ..io.backup import BackupResult, create_backup
from ..io.exports import ExportResult, export_ical, export_table, export_vcard
from .common import CLIError, Subparsers, emit_json, open_ctx

FORMATS = {
    "contacts": ("vcf3", "vcf4", "xlsx", "csv", "json"),
    "calendar": ("ics",),
    "clients": ("xlsx", "csv", "json"),
    "backup": ("zip",),
}
_BY_SUFFIX = {
    ".vcf": "vcf3",
    ".ics": "ics",
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".json": "json",
    ".zip": "zip",
    ".adbackup": "zip",
}


def register(sub: Subparsers) -> None:
    p = sub.add_parser("export", help=_("export contacts, the calendar of visits, clients, or a full backup"))
    p.add_argument("what", choices=sorted(FORMATS))
    p.add_argument("--out", type=Path, required=True, metavar=_("FILE"), help=_("the file to write"))
    p.add_argument(
        "--format", choices=sorted({f for fs in FORMATS.values() for f in fs}), help=_("file format")
    )
    p.add_argument(
        "--tz", default="Asia/Shanghai", help=_("time zone of the calendar (default: Asia/Shanghai)")
    )
    p.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help=_("backup: read the passphrase that encrypts it from standard input"),
    )
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=run)


def read_passphrase(args: argparse.Namespace, *, confirm: bool) -> str | None:
    """``--passphrase-stdin``: one line of standard input; else asked on a terminal (twice when
    ``confirm``); else None."""
    if getattr(args, "passphrase_stdin", False):
        return sys.stdin.readline().rstrip("\r\n") or None
    if not sys.stdin or not sys.stdin.isatty():
        return None
    import getpass

    first = getpass.getpass(_("Passphrase of the backup: "))
    if confirm and first and getpass.getpass(_("The same passphrase again: ")) != first:
        raise CLIError(_("The two passphrases differ."), exit_code=2)
    return first or None


def run(args: argparse.Namespace) -> int:
    allowed = FORMATS[args.what]
    fmt = args.format or _BY_SUFFIX.get(args.out.suffix.lower())
    if fmt not in allowed:
        fmt = allowed[0] if args.format is None else fmt
    if fmt not in allowed:
        raise CLIError(
            _("{what} can be exported as: {formats}.").format(what=args.what, formats=", ".join(allowed)),
            exit_code=2,
        )
    if not args.out.parent.exists():
        raise CLIError(_("The folder {dir} does not exist.").format(dir=args.out.parent), exit_code=2)
    ctx = open_ctx(args)
    try:
        if args.what == "backup":
            from ..io.backup import backup_needs_passphrase

            passphrase = (
                read_passphrase(args, confirm=True)
                if (args.passphrase_stdin or backup_needs_passphrase(ctx))
                else None
            )
            result: BackupResult | ExportResult = create_backup(ctx, args.out, passphrase=passphrase)
        elif args.what == "calendar":
            result = export_ical(ctx, args.out, tz=args.tz)
        elif fmt in ("vcf3", "vcf4"):
            result = export_vcard(ctx, args.out, "4.0" if fmt == "vcf4" else "3.0")
        else:
            result = export_table(ctx, args.what, args.out, fmt)
    finally:
        ctx.close()
    if args.json:
        emit_json(result.to_dict())
    elif isinstance(result, BackupResult):
        sys.stdout.write(
            _("Backup written to {file} ({n} rows).").format(file=result.path, n=sum(result.tables.values()))
            + "\n"
        )
    else:
        sys.stdout.write(_("{n} records written to {file}.").format(n=result.count, file=result.path) + "\n")
    return 0
