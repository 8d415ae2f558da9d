"""Data commands: ``import`` (a spreadsheet into the server) and ``purge`` (tombstones)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ...errors import ValidationError
from ...i18n import _
from ..errors import ServerError
from .common import emit, open_db


def cmd_import(args: argparse.Namespace) -> int:
    from ...io.plan import describe
    from ..importer import import_file

    overrides: dict[str, str | None] = {}
    for item in args.map:
        column, sep, target = item.partition("=")
        if not sep or not column.strip():
            raise ValidationError("map", _("Write each mapping as COLUMN=FIELD: {value}").format(value=item))
        overrides[column.strip()] = target.strip() or None

    def planned(plan: Any) -> None:  # the plan is shown before anything is written (or refused)
        if not args.json:
            sys.stdout.write("\n".join(describe(plan)) + "\n")
            sys.stdout.flush()

    outcome = import_file(
        open_db(args),
        args.file,
        args.kind,
        owner=args.owner,
        mapping=overrides,
        client=args.client,
        sheet=args.sheet,
        dry_run=args.dry_run,
        skip_rejected=args.skip_rejected,
        duplicates=args.duplicates,
        planned=planned,
    )
    if args.json:
        emit(args, outcome.to_dict(), "")
    elif outcome.result is not None:
        sys.stdout.write(
            _("Imported: {created} created, {merged} merged, {skipped} skipped, {rejected} rejected.").format(
                **outcome.result.to_dict()
            )
            + "\n"
        )
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    import datetime as dt

    from .. import retention
    from ..settings import Settings

    days = Settings().retention_days if args.older_than is None else args.older_than
    if days <= 0 and args.older_than is None:
        raise ServerError(
            400, "bad_request", _("Tombstone retention is switched off; give --older-than DAYS.")
        )
    result = retention.purge(open_db(args), dt.timedelta(days=days))
    assert result is not None  # None only with only_if_due
    emit(
        args,
        result,
        _(
            "Purged {n} deleted record(s) older than {days:g} day(s); devices whose last sync is older "
            "than sequence {horizon} will take a fresh copy."
        ).format(n=result["purged"], days=days, horizon=result["horizon"]),
    )
    return 0
