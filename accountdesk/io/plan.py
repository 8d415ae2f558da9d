"""The import's checks, shared by the laptop (``accountdesk import``, the import wizard) and the
server (``accountdesk-server import``): reading the file, the column mapping, every row's
validation, the links to clients, users and other contacts, duplicate detection and the
all-or-nothing rule. Nothing here reads or writes a store: each side gives

- an :class:`Index` of what it already holds (users, clients, contacts, equipment), and
- ``check_create(entity, values, client_id)``: every rule of a create as that side runs it
  (raises :class:`ValidationError` naming the field; returns the values to write),

and writes the accepted rows itself (the laptop: ordinary changes with their outbox entries;
the server: ordinary changes with field history and sequence numbers that laptops pull).

Duplicates: a client is a duplicate when its credit code or its normalised name is taken; a
contact when its client already has a contact of the same name, or its mobile or email is
taken; equipment when its serial number and model are taken (both normalised). A row may also
duplicate an earlier row of the same file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.names import normalise_code, normalise_company_name, normalise_email, normalise_person_name
from ..domain.schema import SCHEMAS, FieldSpec, parse_value
from ..domain.validation import validate_uscc
from ..errors import AccountDeskError, PermissionDenied, ValidationError
from ..i18n import _
from ..permissions import may_write
from . import mapping as M
from .csv_excel import Sheet, cell_value, read_table_file

PREVIEW_ROWS = 50
SKIP, MERGE = "skip", "merge"
#: User fields that make someone responsible: a deactivated user takes none of them on (the
#: server refuses such a change from a laptop too).
RESPONSIBLE = frozenset({"owner_id", "backup_owner_id", "user_id", "handler_id"})
#: Kinds whose rows belong to a client (a client column, or one client for the whole file).
CLIENT_KINDS = frozenset({"contacts", "equipment"})

CheckCreate = Callable[[str, dict[str, Any], "str | None"], dict[str, Any]]


@dataclass(frozen=True)
class Rejection:
    """One reason a row cannot be imported: spreadsheet row number, field, column, message."""

    row: int
    field: str
    column: str | None
    message: str

    def to_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "column": self.column, "message": self.message}


@dataclass
class PlannedRow:
    row: int
    raw: dict[str, Any]  # target -> cell value (non-empty cells only)
    values: dict[str, Any]  # parsed field values (no link targets)
    status: str = "new"  # new | duplicate | rejected
    client_id: str | None = None  # contacts, equipment: the client it belongs to
    match_id: str | None = None  # duplicate of this existing row
    match_row: int | None = None  # ... or of this earlier row of the file
    match_name: str | None = None
    reason: str | None = None  # uscc | name | mobile | email | serial
    boss_row: int | None = None  # contacts: reports to the contact of this row of the file
    cells: list[Any] | None = None  # the row's cells by column (preview rows only)


@dataclass
class ImportPlan:
    path: Path
    kind: str  # clients | contacts | equipment
    format: str  # csv | xlsx
    encoding: str | None
    sheet: str | None
    header_row: int
    columns: list[str]
    mapping: dict[str, str | None]  # column -> target (None: ignored)
    rows: list[PlannedRow] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    client_id: str | None = None

    @property
    def entity(self) -> str:
        return M.KINDS[self.kind]

    @property
    def total(self) -> int:
        return len(self.rows)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def new(self) -> int:
        return self.count("new")

    @property
    def duplicates(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.status == "duplicate"]

    @property
    def rejected_rows(self) -> int:
        return self.count("rejected")

    @property
    def preview(self) -> list[PlannedRow]:
        return self.rows[:PREVIEW_ROWS]

    def to_dict(self, *, preview: bool = True) -> dict:
        return {
            "file": str(self.path),
            "kind": self.kind,
            "format": self.format,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "columns": self.columns,
            "mapping": self.mapping,
            "counts": {
                "total": self.total,
                "new": self.new,
                "duplicate": len(self.duplicates),
                "rejected": self.rejected_rows,
            },
            "duplicates": [
                {
                    "row": r.row,
                    "reason": r.reason,
                    "existing_id": r.match_id,
                    "existing_name": r.match_name,
                    "same_as_row": r.match_row,
                }
                for r in self.duplicates
            ],
            "rejected": [r.to_dict() for r in self.rejected],
            "preview": [
                {
                    "row": r.row,
                    "status": r.status,
                    "values": {k: str(v) for k, v in r.raw.items()},
                    "cells": ["" if c is None else str(c) for c in (r.cells or [])],
                }
                for r in self.preview
            ]
            if preview
            else [],
        }


@dataclass(frozen=True)
class ImportResult:
    created: int
    merged: int
    skipped: int
    rejected: int
    created_ids: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "created": self.created,
            "merged": self.merged,
            "skipped": self.skipped,
            "rejected": self.rejected,
        }


class Index:
    """What a store already holds, for duplicate checks and links (filled once per plan by the
    side that plans: the laptop from its store, the server from its records)."""

    def __init__(self) -> None:
        self.users: dict[str, str] = {}  # id, user name or display name -> id
        self.inactive: set[str] = set()  # ids of deactivated users
        self.clients_by_uscc: dict[str, tuple[str, str]] = {}
        self.clients_by_name: dict[str, list[tuple[str, str]]] = {}
        self.clients_by_exact: dict[str, list[tuple[str, str]]] = {}
        self.contacts_by_name: dict[tuple[str, str], tuple[str, str]] = {}
        self.contacts_by_mobile: dict[str, tuple[str, str]] = {}
        self.contacts_by_email: dict[str, tuple[str, str]] = {}
        self.contact_ids: dict[str, str] = {}  # contact id -> client id
        self.equipment_by_code: dict[str, tuple[str, str]] = {}  # serial|model key -> (id, name)

    def add_users(self, rows: Iterable[tuple[str, str | None, str | None, bool | None]]) -> None:
        """(id, user name, display name, active) of live users."""
        for user_id, username, display_name, active in rows:
            for key in (display_name, username, user_id):
                if key:
                    self.users[key] = user_id
            if active is False:
                self.inactive.add(user_id)

    def add_clients(self, rows: Iterable[tuple[str, str, str | None]]) -> None:
        """(id, name, credit code) of live clients."""
        for client_id, name, uscc in rows:
            name = name or ""
            if uscc:
                self.clients_by_uscc.setdefault(uscc, (client_id, name))
            self.clients_by_name.setdefault(normalise_company_name(name), []).append((client_id, name))
            self.clients_by_exact.setdefault(name.strip(), []).append((client_id, name))

    def add_contacts(self, rows: Iterable[tuple[str, str, str | None, str | None, str | None]]) -> None:
        """(id, client id, name, mobile, email) of live contacts."""
        for contact_id, client_id, name, mobile, email in rows:
            self.contact_ids[contact_id] = client_id
            self.contacts_by_name.setdefault(
                (client_id, normalise_person_name(name)), (contact_id, name or "")
            )
            if mobile:
                self.contacts_by_mobile.setdefault(mobile, (contact_id, name or ""))
            if email:
                self.contacts_by_email.setdefault(normalise_email(email), (contact_id, name or ""))

    def add_equipment(self, rows: Iterable[tuple[str, str | None, str | None, str | None]]) -> None:
        """(id, name, serial, model) of live equipment."""
        for row_id, name, serial, model in rows:
            key = equipment_key(serial, model)
            if key:
                self.equipment_by_code.setdefault(key, (row_id, name or ""))


def equipment_key(serial: Any, model: Any) -> str:
    """The duplicate key of an instrument: serial number and model, normalised ("" without a
    serial number: such rows are never duplicates)."""
    s = normalise_code(serial)
    return f"{s}|{normalise_code(model)}" if s else ""


# -- reading ------------------------------------------------------------------------------------
def _choose_sheet(sheets: list[Sheet], kinds: list[str], sheet: str | None):
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
    best = None
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


# -- checking -----------------------------------------------------------------------------------
@dataclass
class _Columns:
    """The mapping worked out once per plan: what each row's cells go through."""

    positions: list[tuple[int, str, FieldSpec | None]]  # (column index, target, its field: None for a link)
    col_of: dict[str, str]  # target -> column name
    user_fields: set[str]
    required: list[FieldSpec]
    #: (target, type, cell) -> (parsed value, None) or (None, errors): the fields of MEMO_KINDS,
    #: checked once per distinct cell in this plan (a landline shared by a client's contacts)
    checked: dict[tuple[str, type, Any], tuple[Any, list[tuple[str, str]] | None]] = field(
        default_factory=dict
    )


#: Field kinds whose check costs most and depends on nothing but the cell (phonenumbers, the
#: credit code's check character, email_validator).
MEMO_KINDS = frozenset({"phone", "mobile", "email", "uscc"})


def _parse_cell(spec: FieldSpec, value: Any) -> tuple[Any, list[tuple[str, str]] | None]:
    try:
        return parse_value(spec, value), None
    except ValidationError as exc:
        return None, list(exc.errors)


def check_rows(
    plan: ImportPlan, data: list[tuple[int, list[Any]]], index: Index, check_create: CheckCreate
) -> None:
    """Check every row of the file (fields, links, duplicates, the rules of a create) and fill
    ``plan.rows`` and ``plan.rejected``; writes nothing."""
    schema = SCHEMAS[plan.entity]
    cols = _Columns(
        [(i, t, schema.get(t)) for i, (_c, t) in enumerate(plan.mapping.items()) if t],
        {t: c for c, t in plan.mapping.items() if t},
        {n for n, s in schema.items() if s.kind in ("user", "users")},
        [s for s in schema.values() if s.required],
    )
    seen: dict[tuple[str, str], int] = {}  # duplicate keys of earlier rows of the file -> row number
    for number, cells in data:
        row = _plan_row(plan, index, cols, seen, number, cells, check_create)
        if row is not None:
            if len(plan.rows) < PREVIEW_ROWS:
                row.cells = [cell_value(c) for c in cells[: len(plan.columns)]]
            plan.rows.append(row)
    if plan.kind == "contacts":
        _link_bosses(plan, index, cols)


def _link_bosses(plan: ImportPlan, index: Index, cols: _Columns) -> None:
    """ "Reports to" holds a person's name: an existing contact of the same client, or a contact
    of the same client elsewhere in the file (linked after both are created)."""
    in_file = {}
    for r in plan.rows:
        if r.status == "new":
            in_file.setdefault((r.client_id, normalise_person_name(r.values.get("name"))), r.row)
    for r in plan.rows:
        boss = r.values.get("reports_to_id")
        if r.status == "rejected" or not boss:
            continue
        key = (r.client_id, normalise_person_name(boss))
        hit = index.contact_ids.get(boss)
        if hit is not None and hit == r.client_id:
            continue  # an id of a contact of this client
        existing = index.contacts_by_name.get(key)
        if existing is not None:
            r.values["reports_to_id"] = existing[0]
        elif key in in_file and in_file[key] != r.row:
            r.boss_row = in_file[key]
            del r.values["reports_to_id"]
        else:
            r.status = "rejected"
            r.values = {}
            plan.rejected.append(
                Rejection(
                    r.row,
                    "reports_to_id",
                    cols.col_of.get("reports_to_id"),
                    _("Reports to: no contact of this client is named “{name}”.").format(name=boss),
                )
            )


def _plan_row(
    plan: ImportPlan,
    index: Index,
    cols: _Columns,
    seen,
    number: int,
    cells: list[Any],
    check_create: CheckCreate,
) -> PlannedRow | None:
    entity = plan.entity
    raw: dict[str, Any] = {}
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    width = len(cells)
    for i, target, spec in cols.positions:
        if i < width:
            v = cell_value(cells[i])
            if v is not None:
                raw[target] = v
                if spec is None:
                    continue
                if spec.kind in MEMO_KINDS:  # each field as a form checks it (schema.parse_values)
                    key = (target, type(v), v)
                    hit = cols.checked.get(key)
                    if hit is None:
                        hit = cols.checked[key] = _parse_cell(spec, v)
                    if hit[1] is None:
                        values[target] = hit[0]
                    else:
                        errors.extend(hit[1])
                    continue
                try:
                    values[target] = parse_value(spec, v)
                except ValidationError as exc:
                    errors.extend(exc.errors)
    if not raw:
        return None  # a blank line
    planned = PlannedRow(number, raw, {})
    if errors:
        values = {}
    for s in cols.required:
        if s.name not in raw:
            errors.append((s.name, _("{label} is required.").format(label=s.title)))
    for name in cols.user_fields & values.keys():
        ids = values[name] if isinstance(values[name], list) else [values[name]]
        resolved = [index.users.get(u) for u in ids]
        if None in resolved:
            errors.append((name, _("Unknown user: {user}").format(user=ids[resolved.index(None)])))
        elif name in RESPONSIBLE and any(u in index.inactive for u in resolved):
            gone = ids[[u in index.inactive for u in resolved].index(True)]
            errors.append((name, _("This user has been deactivated: {user}").format(user=gone)))
        else:
            values[name] = resolved if isinstance(values[name], list) else resolved[0]
    if plan.kind in CLIENT_KINDS and not errors:
        planned.client_id = plan.client_id or _link_client(index, raw, errors)
    if not errors:
        planned.values = values
        keys = _dup_keys(plan.kind, planned)
        for reason, key in keys:
            match = _existing(index, plan.kind, reason, key, planned)
            if match is not None:
                planned.status, planned.reason, planned.match_id, planned.match_name = (
                    "duplicate",
                    reason,
                    *match,
                )
                break
            if (reason, key) in seen:
                planned.status, planned.reason, planned.match_row = "duplicate", reason, seen[(reason, key)]
                planned.match_name = str(values.get("name", ""))
                break
        for k in keys:
            seen.setdefault(k, number)
        if planned.status == "new":  # the rules of a create, as the write will run them
            try:
                check = {k: v for k, v in values.items() if k != "reports_to_id"}  # a name: linked later
                check_create(entity, check, planned.client_id)
            except ValidationError as exc:
                errors.extend(exc.errors)
            except AccountDeskError as exc:
                errors.append(("client" if entity != "client" else "file", exc.message))
    if errors:
        planned.status = "rejected"
        planned.values = {}
        for f, message in errors:
            plan.rejected.append(Rejection(number, f, cols.col_of.get(f), message))
    return planned


def _link_client(index: Index, raw: dict[str, Any], errors: list[tuple[str, str]]) -> str | None:
    code = raw.get("client_uscc")
    if code is not None:
        try:
            code = validate_uscc("client_uscc", str(code))
        except ValidationError as exc:
            errors.extend(exc.errors)
            return None
        hit = index.clients_by_uscc.get(code)
        if hit is not None:
            return hit[0]
        if raw.get("client") is None:
            errors.append(
                (
                    "client_uscc",
                    _("No client has the credit code {code}; import the clients first.").format(code=code),
                )
            )
            return None
    name = raw.get("client")
    if name is None:
        errors.append(("client", _("Which client? The client column is empty.")))
        return None
    name = str(name).strip()
    hits = index.clients_by_exact.get(name) or index.clients_by_name.get(normalise_company_name(name), [])
    if len(hits) == 1:
        return hits[0][0]
    if not hits:
        errors.append(
            ("client", _("No client is named “{name}”; import the clients first.").format(name=name))
        )
    else:
        errors.append(
            (
                "client",
                _("More than one client matches “{name}”; use the credit code column.").format(name=name),
            )
        )
    return None


def _dup_keys(kind: str, row: PlannedRow) -> list[tuple[str, str]]:
    v = row.values
    if kind == "clients":
        keys = []
        if v.get("uscc"):
            keys.append(("uscc", v["uscc"]))
        keys.append(("name", normalise_company_name(v.get("name"))))
        return [k for k in keys if k[1]]
    if kind == "equipment":
        key = equipment_key(v.get("serial"), v.get("model"))
        return [("serial", key)] if key else []
    keys = [("name", f"{row.client_id}:{normalise_person_name(v.get('name'))}")]
    if v.get("mobile"):
        keys.append(("mobile", v["mobile"]))
    if v.get("email"):
        keys.append(("email", normalise_email(v["email"])))
    return keys


def _existing(index: Index, kind: str, reason: str, key: str, row: PlannedRow) -> tuple[str, str] | None:
    if kind == "clients":
        if reason == "uscc":
            return index.clients_by_uscc.get(key)
        hits = index.clients_by_name.get(key)
        return hits[0] if hits else None
    if kind == "equipment":
        return index.equipment_by_code.get(key)
    if reason == "name":
        return index.contacts_by_name.get((row.client_id, key.split(":", 1)[1]))
    if reason == "mobile":
        return index.contacts_by_mobile.get(key)
    return index.contacts_by_email.get(key)


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
    for r in plan.rejected:
        where = f"{r.column} ({r.field})" if r.column else r.field
        lines.append(
            "  " + _("row {row}, {where}: {message}").format(row=r.row, where=where, message=r.message)
        )
    return lines
