"""The all-or-nothing rule, the split into rows to create and to merge, the changes a merge makes,
and the plan in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ...domain.names import normalise_code
from ...domain.schema import SCHEMAS
from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from .. import mapping as M
from .model import (
    MERGE,
    SKIP,
    ImportPlan,
    PlannedRow,
)


# -- the all-or-nothing rule --------------------------------------------------------------------
def refuse_rejected(plan: ImportPlan, skip_rejected: bool) -> None:
    """A plan with rejected rows writes nothing unless the user chose to leave them out."""
    if plan.rejected and not skip_rejected:
        raise ValidationError(
            "file",
            _(
                "Rows that cannot be imported: {n}. Correct the file, or import the other rows and leave these out."
            ).format(n=plan.rejected_rows),
            errors=[
                (_("row {row}: {field}").format(row=r.row, field=r.field), r.message) for r in plan.rejected
            ],
        )


def split_rows(
    plan: ImportPlan, decisions: Mapping[int, str] | str | None
) -> tuple[list[PlannedRow], list[PlannedRow], int]:
    """(new rows, duplicates to merge, rows skipped): ``decisions`` says per duplicate (a row
    number) or for all of them ``"merge"`` or ``"skip"``; duplicates not named are skipped."""

    def decision(row: PlannedRow) -> str:
        if isinstance(decisions, str):
            return decisions
        if decisions is None:
            return SKIP
        return decisions.get(row.row, SKIP)

    todo = [r for r in plan.rows if r.status != "rejected"]
    new = [r for r in todo if r.status == "new"]
    merges = [r for r in todo if r.status == "duplicate" and decision(r) == MERGE]
    return new, merges, len(todo) - len(new) - len(merges)


#: Fields a duplicate was found by, written differently (``CMM-0007`` and ``cmm 0007``): not a
#: differing value worth a note.
SAME_BY_KEY = frozenset({"serial", "model"})


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def _display(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def merge_changes(
    entity: str,
    current: Callable[[str], Any],
    values: Mapping[str, Any],
    user_name: Callable[[str], str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """What merging a duplicate row into an existing record changes: ``(fills, differing)`` —
    the record's empty fields the row fills, and the row's other values that differ from the
    record's (as "Label: value" lines for a note). ``current(name)``: the record's value.
    A client's owner and backup owner are never filled: they change through a handover, so a
    differing one is only noted (``user_name`` shows it by name)."""
    schema = SCHEMAS[entity]
    fills: dict[str, Any] = {}
    differing: list[str] = []
    for name, value in values.items():
        if _is_empty(value):
            continue
        now = current(name)
        if entity == "client" and name in ("owner_id", "backup_owner_id"):
            if now != value:
                shown = (
                    user_name(value) if user_name is not None and isinstance(value, str) else _display(value)
                )
                differing.append(f"{schema[name].title}: {shown}")
            continue
        if _is_empty(now):
            fills[name] = value
        elif now != value and not (name in SAME_BY_KEY and normalise_code(now) == normalise_code(value)):
            differing.append(f"{schema[name].title}: {_display(value)}")
    return fills, differing


def merge_note(file_name: str, row: int, at: dt.datetime, differing: list[str]) -> str:
    """The note that keeps a merged row's differing values."""
    header = _("Values from the import of {file} (row {row}, {stamp}) that differ from this record:").format(
        file=file_name, row=row, stamp=at.astimezone().strftime("%Y-%m-%d %H:%M")
    )
    return header + "\n" + "\n".join(differing)


def row_error(row: PlannedRow, exc: AccountDeskError) -> ValidationError:
    """A failure of one row while writing fails the import, naming the row."""
    errors = getattr(exc, "errors", [("file", exc.message)])
    return ValidationError(
        errors[0][0],
        _("Row {row}: {message} Nothing was imported.").format(row=row.row, message=errors[0][1]),
        errors=[
            (f, _("Row {row}: {message} Nothing was imported.").format(row=row.row, message=m))
            for f, m in errors
        ],
    )


def describe(plan: ImportPlan) -> list[str]:
    """The plan as lines of text (both command lines print it before importing)."""
    lines = [
        _("File: {file} ({format}{encoding})").format(
            file=plan.path.name, format=plan.format, encoding=", " + plan.encoding if plan.encoding else ""
        )
    ]
    if plan.sheet:
        lines.append(_("Sheet: {sheet}").format(sheet=plan.sheet))
    lines.append(_("Header row: {row}").format(row=plan.header_row))
    titles = {t.name: t.title for t in M.targets(plan.kind)}
    lines.append(_("Columns:"))
    ignored = _("(ignored)")
    for column, target in plan.mapping.items():
        lines.append(f"  {column} → {titles[target] + ' (' + target + ')' if target else ignored}")
    lines.append(
        _("{total} rows: {new} new, {dup} duplicates, {rejected} rejected").format(
            total=plan.total, new=plan.new, dup=len(plan.duplicates), rejected=plan.rejected_rows
        )
    )
    for r in plan.duplicates:
        same = _("row {row} of the file").format(row=r.match_row) if r.match_row else f"“{r.match_name}”"
        lines.append(
            "  " + _("row {row}: same as {same} ({reason})").format(row=r.row, same=same, reason=r.reason)
        )
    for rej in plan.rejected:
        where = f"{rej.column} ({rej.field})" if rej.column else rej.field
        lines.append(
            "  " + _("row {row}, {where}: {message}").format(row=rej.row, where=where, message=rej.message)
        )
    return lines
