"""Reading an import file into a plan: the sheet, the kinds a user may import, the columns."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...domain.schema import SCHEMAS
from ...errors import PermissionDenied, ValidationError
from ...i18n import _
from ...permissions import may_write
from .. import mapping as M
from ..csv_excel import Sheet, read_table_file
from .model import (
    CLIENT_KINDS,
    ImportPlan,
)


# -- reading ------------------------------------------------------------------------------------
def _choose_sheet(sheets: list[Sheet], kinds: list[str], sheet: str | None) -> tuple[Sheet, str, int, int]:
    candidates = sheets
    if sheet is not None:
        candidates = [s for s in sheets if s.name == sheet]
        if not candidates:
            raise ValidationError(
                "sheet",
                _("There is no sheet “{sheet}” (sheets: {sheets}).").format(
                    sheet=sheet, sheets=", ".join(s.name for s in sheets)
                ),
            )
    best: tuple[Sheet, str, int, int] | None = None
    for s in candidates:
        kind, index, score = M.find_header(kinds, s.rows)
        if score and (best is None or score > best[3]):
            best = (s, kind, index, score)
    if best is None:
        raise ValidationError(
            "file",
            _(
                "No header row was found: the first rows name no known column (such as 客户名称 or 姓名). "
                "Add a header row or map the columns by hand."
            ),
        )
    return best


def kinds_for(role: str, kind: str | None, client_id: str | None) -> list[str]:
    """The kinds a file may hold for this role (``kind`` given, else guessed among these)."""
    if kind is not None and kind not in M.KINDS:
        raise ValidationError("kind", _("Choose what to import: clients, contacts or equipment."))
    kinds = (
        [kind] if kind else (["contacts", "equipment"] if client_id else ["clients", "contacts", "equipment"])
    )
    kinds = [k for k in kinds if may_write(role, M.KINDS[k], "create", frozenset())]
    if not kinds:
        raise PermissionDenied(_("Your role may not change this."))
    return kinds


def read_plan(
    path: Path | str,
    kinds: list[str],
    mapping: Mapping[str, str | None] | None = None,
    *,
    sheet: str | None = None,
    client_id: str | None = None,
    require_columns: bool = True,
) -> tuple[ImportPlan, list[tuple[int, list[Any]]]]:
    """Read the file, find its header row and map its columns: the plan without its rows, and
    the data rows to check (:func:`check_rows`)."""
    table = read_table_file(path, choose=lambda heads: _choose_sheet(heads, kinds, sheet)[0].name)
    sh, kind, index, _score = _choose_sheet(table.sheets, kinds, None)
    header_number, header_cells = sh.rows[index]
    data = sh.rows[index + 1 :]
    width = max([len(header_cells), *(len(c) for _n, c in data[:200])] or [0])
    columns = M.column_names(header_cells, width)
    auto = M.auto_mapping(kind, columns)
    final = M.apply_overrides(kind, columns, auto, dict(mapping or {}))
    plan = ImportPlan(
        Path(path),
        kind,
        table.format,
        table.encoding,
        sh.name if table.format == "xlsx" else None,
        header_number,
        columns,
        final,
        client_id=client_id,
    )
    if require_columns:
        check_required_columns(plan)
    return plan, data


def missing_columns(plan: ImportPlan) -> list[str]:
    """The fields the mapping lacks: required fields without a column, and ``client`` for
    contacts or equipment that do not say their client (no client or client_uscc column, no
    ``client_id``)."""
    mapped = {t for t in plan.mapping.values() if t}
    missing = [s.name for s in SCHEMAS[plan.entity].values() if s.required and s.name not in mapped]
    if plan.kind in CLIENT_KINDS and not plan.client_id and not ({"client", "client_uscc"} & mapped):
        missing.append("client")
    return missing


def check_required_columns(plan: ImportPlan) -> None:
    errors = []
    for name in missing_columns(plan):
        if name == "client":
            errors.append(
                (
                    "client",
                    _(
                        "No column says which client each row belongs to; map a column to client "
                        "(client name) or client_uscc (credit code)."
                    ),
                )
            )
        else:
            s = SCHEMAS[plan.entity][name]
            errors.append(
                (
                    s.name,
                    _("No column is mapped to {label}; choose one (e.g. --map COLUMN={field}).").format(
                        label=s.title, field=s.name
                    ),
                )
            )
    if errors:
        raise ValidationError.collect(errors)
