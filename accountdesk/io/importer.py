"""Import of clients and contacts from CSV and Excel: a preview first, then one transaction.

``plan_import(ctx, path, kind)`` reads the file, finds the header row, maps the columns, checks
every row (the same validation as a form) and finds duplicates — without writing anything. The
GUI shows the plan (mapping, first rows, counts, rejected rows with their reasons) and lets the
user change the mapping (call ``plan_import`` again with ``mapping=``) and choose, per duplicate,
to merge or skip. ``run_import(ctx, plan, decisions)`` then writes every accepted row in ONE write
transaction: each row is an ordinary change with its outbox entry, and any failure rolls the
whole import back, leaving the store as it was.

A plan with rejected rows is refused unless ``skip_rejected=True`` (the user saw the report and
chose to import the rest).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..domain.schema import SCHEMAS, FieldSpec, parse_value
from ..domain.validation import validate_uscc
from ..errors import AccountDeskError, PermissionDenied, ValidationError
from ..i18n import _
from ..models import Client, Contact, User, model_for
from ..permissions import may_write
from ..services import records
from ..services.clients import CREDIT_CODES
from ..services.demo_bulk import BulkWriter
from ..services.duplicates import normalise_company_name, normalise_email, normalise_person_name
from ..store import search
from . import mapping as M
from .csv_excel import Sheet, cell_value, read_table_file

PREVIEW_ROWS = 50
SKIP, MERGE = "skip", "merge"


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
    client_id: str | None = None  # contacts: the client it belongs to
    match_id: str | None = None  # duplicate of this existing row
    match_row: int | None = None  # ... or of this earlier row of the file
    match_name: str | None = None
    reason: str | None = None  # uscc | name | mobile | email
    boss_row: int | None = None  # contacts: reports to the contact of this row of the file
    cells: list[Any] | None = None  # the row's cells by column (preview rows only)



@dataclass
class ImportPlan:
    path: Path
    kind: str  # clients | contacts
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
                {"row": r.row, "reason": r.reason, "existing_id": r.match_id, "existing_name": r.match_name, "same_as_row": r.match_row}
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
        return {"created": self.created, "merged": self.merged, "skipped": self.skipped, "rejected": self.rejected}


# -- planning -----------------------------------------------------------------------------------
def _choose_sheet(sheets: list[Sheet], kinds: list[str], sheet: str | None):
    candidates = sheets
    if sheet is not None:
        candidates = [s for s in sheets if s.name == sheet]
        if not candidates:
            raise ValidationError(
                "sheet", _("There is no sheet “{sheet}” (sheets: {sheets}).").format(
                    sheet=sheet, sheets=", ".join(s.name for s in sheets)
                )
            )
    best = None
    for s in candidates:
        kind, index, score = M.find_header(kinds, s.rows)
        if score and (best is None or score > best[3]):
            best = (s, kind, index, score)
    if best is None:
        raise ValidationError(
            "file",
            _("No header row was found: the first rows name no known column (such as 客户名称 or 姓名). "
              "Add a header row or map the columns by hand."),
        )
    return best


def plan_import(
    ctx,
    path: Path | str,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    *,
    sheet: str | None = None,
    client_id: str | None = None,
    require_columns: bool = True,
) -> ImportPlan:
    """Read and check a file without writing anything (see the module docstring).

    ``kind``: ``clients`` or ``contacts`` (guessed from the headers when None). ``mapping``:
    manual ``{column: field}`` choices on top of the automatic ones. ``client_id``: import
    contacts into this client (then no client column is needed). ``require_columns=False``: a
    mapping that lacks a required field is planned anyway (every row is then rejected) so that
    a mapping editor can show the columns; :func:`missing_columns` says what is lacking.
    """
    if kind is not None and kind not in M.KINDS:
        raise ValidationError("kind", _("Choose what to import: clients or contacts."))
    actor = ctx.actor  # resolved (and a profile's local user made) before the store is read
    kinds = [kind] if kind else (["contacts"] if client_id else ["clients", "contacts"])
    kinds = [k for k in kinds if may_write(actor.role, M.KINDS[k], "create", frozenset())]
    if not kinds:
        raise PermissionDenied(_("Your role may not change this."))
    table = read_table_file(path, choose=lambda heads: _choose_sheet(heads, kinds, sheet)[0].name)
    sh, kind, index, _score = _choose_sheet(table.sheets, kinds, None)
    header_number, header_cells = sh.rows[index]
    data = sh.rows[index + 1 :]
    width = max([len(header_cells), *(len(c) for _n, c in data[:200])] or [0])
    columns = M.column_names(header_cells, width)
    auto = M.auto_mapping(kind, columns)
    final = M.apply_overrides(kind, columns, auto, dict(mapping or {}))
    plan = ImportPlan(
        Path(path), kind, table.format, table.encoding, sh.name if table.format == "xlsx" else None,
        header_number, columns, final, client_id=client_id,
    )
    if require_columns:
        _check_required_columns(plan)
    _plan_rows(ctx, plan, data)
    return plan


def missing_columns(plan: ImportPlan) -> list[str]:
    """The fields the mapping lacks: required fields without a column, and ``client`` for
    contacts that do not say their client (no client or client_uscc column, no ``client_id``)."""
    mapped = {t for t in plan.mapping.values() if t}
    missing = [s.name for s in SCHEMAS[plan.entity].values() if s.required and s.name not in mapped]
    if plan.kind == "contacts" and not plan.client_id and not ({"client", "client_uscc"} & mapped):
        missing.append("client")
    return missing


def _check_required_columns(plan: ImportPlan) -> None:
    errors = []
    for name in missing_columns(plan):
        if name == "client":
            errors.append(("client", _("No column says which client each contact belongs to; map a column to client "
                                       "(client name) or client_uscc (credit code).")))
        else:
            s = SCHEMAS[plan.entity][name]
            errors.append((s.name, _("No column is mapped to {label}; choose one (e.g. --map COLUMN={field}).").format(
                label=s.title, field=s.name)))
    if errors:
        raise ValidationError.collect(errors)


class _Index:
    """What the store already holds, for duplicate checks and links (read once per plan)."""

    def __init__(self, session, kind: str):
        self.users: dict[str, str] = {}
        self.clients_by_uscc: dict[str, tuple[str, str]] = {}
        self.clients_by_name: dict[str, list[tuple[str, str]]] = {}
        self.clients_by_exact: dict[str, list[tuple[str, str]]] = {}
        self.contacts_by_name: dict[tuple[str, str], tuple[str, str]] = {}
        self.contacts_by_mobile: dict[str, tuple[str, str]] = {}
        self.contacts_by_email: dict[str, tuple[str, str]] = {}
        self.contact_ids: dict[str, str] = {}  # contact id -> client id
        for u in session.execute(select(User.id, User.username, User.display_name).where(User.deleted_at.is_(None))):
            for key in (u.display_name, u.username, u.id):
                if key:
                    self.users[key] = u.id
        for c in session.execute(select(Client.id, Client.name, Client.uscc).where(Client.deleted_at.is_(None))):
            if c.uscc:
                self.clients_by_uscc.setdefault(c.uscc, (c.id, c.name))
            self.clients_by_name.setdefault(normalise_company_name(c.name), []).append((c.id, c.name))
            self.clients_by_exact.setdefault(c.name.strip(), []).append((c.id, c.name))
        if kind == "contacts":
            stmt = select(Contact.id, Contact.client_id, Contact.name, Contact.mobile, Contact.email).where(
                Contact.deleted_at.is_(None)
            )
            for p in session.execute(stmt):
                self.contact_ids[p.id] = p.client_id
                self.contacts_by_name.setdefault((p.client_id, normalise_person_name(p.name)), (p.id, p.name))
                if p.mobile:
                    self.contacts_by_mobile.setdefault(p.mobile, (p.id, p.name))
                if p.email:
                    self.contacts_by_email.setdefault(normalise_email(p.email), (p.id, p.name))


@dataclass
class _Columns:
    """The mapping worked out once per plan: what each row's cells go through."""

    positions: list[tuple[int, str, FieldSpec | None]]  # (column index, target, its field: None for a link)
    col_of: dict[str, str]  # target -> column name
    user_fields: set[str]
    required: list[FieldSpec]
    #: (target, type, cell) -> (parsed value, None) or (None, errors): the fields of MEMO_KINDS,
    #: checked once per distinct cell in this plan (a landline shared by a client's contacts)
    checked: dict[tuple[str, type, Any], tuple[Any, list[tuple[str, str]] | None]] = field(default_factory=dict)


#: Field kinds whose check costs most and depends on nothing but the cell (phonenumbers, the
#: credit code's check character, email_validator).
MEMO_KINDS = frozenset({"phone", "mobile", "email", "uscc"})


def _parse_cell(spec: FieldSpec, value: Any) -> tuple[Any, list[tuple[str, str]] | None]:
    try:
        return parse_value(spec, value), None
    except ValidationError as exc:
        return None, list(exc.errors)


def _plan_rows(ctx, plan: ImportPlan, data: list[tuple[int, list[Any]]]) -> None:
    schema = SCHEMAS[plan.entity]
    cols = _Columns(
        [(i, t, schema.get(t)) for i, (_c, t) in enumerate(plan.mapping.items()) if t],
        {t: c for c, t in plan.mapping.items() if t},
        {n for n, s in schema.items() if s.kind in ("user", "users")},
        [s for s in schema.values() if s.required],
    )
    seen: dict[tuple[str, str], int] = {}  # duplicate keys of earlier rows of the file -> row number
    with ctx.read() as session:
        index = _Index(session, plan.kind)
        if plan.kind == "clients":  # the rules' credit-code check answered by the index (this session's only)
            session.info[CREDIT_CODES] = {code: hit[1] for code, hit in index.clients_by_uscc.items()}
        # the clients contacts link to, held here so that the session's (weak) identity map
        # answers the rules' lookups instead of one query per row
        keep = session.scalars(select(Client).where(Client.deleted_at.is_(None))).all() if plan.kind == "contacts" else []
        for number, cells in data:
            row = _plan_row(ctx, session, plan, index, cols, seen, number, cells)
            if row is not None:
                if len(plan.rows) < PREVIEW_ROWS:
                    row.cells = [cell_value(c) for c in cells[: len(plan.columns)]]
                plan.rows.append(row)
        del keep
    if plan.kind == "contacts":
        _link_bosses(plan, index, cols)


def _link_bosses(plan: ImportPlan, index: _Index, cols: _Columns) -> None:
    """"Reports to" holds a person's name: an existing contact of the same client, or a contact
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
                Rejection(r.row, "reports_to_id", cols.col_of.get("reports_to_id"),
                          _("Reports to: no contact of this client is named “{name}”.").format(name=boss))
            )


def _plan_row(ctx, session, plan: ImportPlan, index: _Index, cols: _Columns, seen, number: int, cells: list[Any]) -> PlannedRow | None:
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
        else:
            values[name] = resolved if isinstance(values[name], list) else resolved[0]
    if plan.kind == "contacts" and not errors:
        planned.client_id = plan.client_id or _link_client(index, raw, errors)
    if not errors:
        planned.values = values
        keys = _dup_keys(plan.kind, planned)
        for reason, key in keys:
            match = _existing(index, plan.kind, reason, key, planned)
            if match is not None:
                planned.status, planned.reason, planned.match_id, planned.match_name = "duplicate", reason, *match
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
                records.check_create(ctx, session, entity, check, client_id=planned.client_id, parsed=True)
            except ValidationError as exc:
                errors.extend(exc.errors)
            except AccountDeskError as exc:
                errors.append(("client" if entity == "contact" else "file", exc.message))
    if errors:
        planned.status = "rejected"
        planned.values = {}
        for f, message in errors:
            plan.rejected.append(Rejection(number, f, cols.col_of.get(f), message))
    return planned


def _link_client(index: _Index, raw: dict[str, Any], errors: list[tuple[str, str]]) -> str | None:
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
            errors.append(("client_uscc", _("No client has the credit code {code}; import the clients first.").format(code=code)))
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
        errors.append(("client", _("No client is named “{name}”; import the clients first.").format(name=name)))
    else:
        errors.append(("client", _("More than one client matches “{name}”; use the credit code column.").format(name=name)))
    return None


def _dup_keys(kind: str, row: PlannedRow) -> list[tuple[str, str]]:
    v = row.values
    if kind == "clients":
        keys = []
        if v.get("uscc"):
            keys.append(("uscc", v["uscc"]))
        keys.append(("name", normalise_company_name(v.get("name"))))
        return [k for k in keys if k[1]]
    keys = [("name", f"{row.client_id}:{normalise_person_name(v.get('name'))}")]
    if v.get("mobile"):
        keys.append(("mobile", v["mobile"]))
    if v.get("email"):
        keys.append(("email", normalise_email(v["email"])))
    return keys


def _existing(index: _Index, kind: str, reason: str, key: str, row: PlannedRow) -> tuple[str, str] | None:
    if kind == "clients":
        if reason == "uscc":
            return index.clients_by_uscc.get(key)
        hits = index.clients_by_name.get(key)
        return hits[0] if hits else None
    if reason == "name":
        return index.contacts_by_name.get((row.client_id, key.split(":", 1)[1]))
    if reason == "mobile":
        return index.contacts_by_mobile.get(key)
    return index.contacts_by_email.get(key)


# -- running ------------------------------------------------------------------------------------
def run_import(
    ctx,
    plan: ImportPlan,
    decisions: Mapping[int, str] | str | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    skip_rejected: bool = False,
) -> ImportResult:
    """Write the plan in one transaction (all or nothing).

    ``decisions``: for duplicate rows, ``"merge"`` or ``"skip"`` — one word for all of them, or
    ``{row number: word}`` (rows not named are skipped). Merging keeps the existing record, fills
    its empty fields from the file and keeps the differing values in a note.
    ``progress(done, total)`` is called now and then (from the calling thread).
    """
    if plan.rejected and not skip_rejected:
        raise ValidationError(
            "file",
            _("Rows that cannot be imported: {n}. Correct the file, or import the other rows and leave these out.").format(
                n=plan.rejected_rows
            ),
            errors=[(_("row {row}: {field}").format(row=r.row, field=r.field), r.message) for r in plan.rejected],
        )
    entity = plan.entity
    if not may_write(ctx.actor.role, entity, "create", frozenset()):
        raise PermissionDenied(_("Your role may not change this."))

    def decision(row: PlannedRow) -> str:
        if isinstance(decisions, str):
            return decisions
        if decisions is None:
            return SKIP
        return decisions.get(row.row, SKIP)

    todo = [r for r in plan.rows if r.status != "rejected"]
    new = [r for r in todo if r.status == "new"]
    merges = [r for r in todo if r.status == "duplicate" and decision(r) == MERGE]
    skipped = len(todo) - len(new) - len(merges)
    merged = 0
    with ctx.write() as (session, writer), session.no_autoflush:
        created = _create_rows(ctx, session, writer, plan, new, progress, len(todo))
        for row in merges:  # after the new rows: a duplicate may merge into a row of this import
            target = row.match_id or created.get(row.match_row or -1)
            if target is None:
                skipped += 1
                continue
            with _row_errors(row):
                _merge_into(ctx, session, writer, entity, target, row, plan.path.name)
            merged += 1
        session.flush()
        for row in new:
            if row.boss_row is not None and row.boss_row in created:
                records.update_record(ctx, "contact", created[row.row], {"reports_to_id": created[row.boss_row]})
    if progress is not None and todo:
        progress(len(todo), len(todo))
    return ImportResult(len(created), merged, skipped, plan.rejected_rows, tuple(created.values()))


def _create_rows(ctx, session, writer, plan: ImportPlan, rows: list[PlannedRow], progress, total: int) -> dict[int, str]:
    """Check and write the new rows (file row number -> new id) with the bulk writer: each is an
    ordinary create with its outbox entry, written FLUSH_EVERY at a time, in the caller's
    transaction. The rules see the rows already checked through ``session.info`` (credit codes)."""
    entity = plan.entity
    model = model_for(entity)
    created: dict[int, str] = {}
    loaded = _preload_clients(session, plan)  # noqa: F841 - kept alive on purpose
    if entity == "client":  # the credit codes taken, read once (not one query per row)
        taken = session.execute(select(Client.uscc, Client.name).where(Client.uscc.is_not(None), Client.deleted_at.is_(None)))
        session.info[CREDIT_CODES] = codes = {code: name for code, name in taken}
    now = writer.now()
    bulk = BulkWriter(
        session, user_id=writer.user_id, hlc_start=writer.clock.now(), entry_created_at=now,
        id_rng=random.SystemRandom(), id_base=now,  # UUIDv7 ids, as new_id() makes them but faster
    )

    def flush() -> None:
        bulk.flush()
        writer.clock.observe(bulk.last_hlc)  # later changes come after the import's

    in_bulk = search.indexed_in_bulk(session.connection(), entity) if len(rows) >= BULK_INDEX_ROWS else contextlib.nullcontext()
    try:
        with in_bulk:
            for done, row in enumerate(rows, start=1):
                with _row_errors(row):
                    values = records.check_create(ctx, session, entity, row.values, client_id=row.client_id, parsed=True)
                row_id = bulk.new_id()
                if entity == "client" and values.get("uscc"):
                    codes[values["uscc"]] = values.get("name")
                owner = row_id if entity == "client" else row.client_id
                created[row.row] = bulk.add(model, values, client_id=owner, created_at=writer.now(), row_id=row_id)
                if done % FLUSH_EVERY == 0:
                    flush()
                    if progress is not None:
                        progress(done, total)
            flush()
    finally:
        session.info.pop(CREDIT_CODES, None)
    return created


#: New rows are written to the database in batches of this many (one executemany per batch).
FLUSH_EVERY = 1000
#: From this many new rows on, the search index takes them in one pass after they are written
#: (:func:`accountdesk.store.search.indexed_in_bulk`) rather than row by row.
BULK_INDEX_ROWS = 1000


@contextlib.contextmanager
def _row_errors(row: PlannedRow) -> Iterator[None]:
    """A failure of one row fails the import, naming the row."""
    try:
        yield
    except AccountDeskError as exc:
        errors = getattr(exc, "errors", [("file", exc.message)])
        raise ValidationError(
            errors[0][0],
            _("Row {row}: {message} Nothing was imported.").format(row=row.row, message=errors[0][1]),
            errors=[(f, _("Row {row}: {message} Nothing was imported.").format(row=row.row, message=m)) for f, m in errors],
        ) from exc


def _preload_clients(session, plan: ImportPlan) -> list[Client]:
    """Load the clients the rows belong to into the session once (not one query per row); the
    caller keeps the list so that the session's weak identity map keeps them."""
    ids = sorted({r.client_id for r in plan.rows if r.client_id})
    out: list[Client] = []
    for i in range(0, len(ids), 500):
        out += session.scalars(select(Client).where(Client.id.in_(ids[i : i + 500]))).all()
    return out


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def _merge_into(ctx, session, writer, entity: str, target_id: str, row: PlannedRow, file_name: str) -> None:
    """Fill the empty fields of an existing row from the file; keep the differing values in a
    note (a service note for a client, the contact's notes for a contact)."""
    existing = records.get_live(session, entity, target_id)
    schema = SCHEMAS[entity]
    fills: dict[str, Any] = {}
    differing: list[str] = []
    for name, value in row.values.items():
        if _is_empty(value):
            continue
        current = getattr(existing, name)
        if _is_empty(current):
            fills[name] = value
        elif current != value:
            differing.append(f"{schema[name].title}: {_display(value)}")
    if fills:
        if not may_write(ctx.actor.role, entity, "update", frozenset(fills)):
            raise PermissionDenied(_("Your role may not change this."))
        writer.update(existing, fills)
        session.flush()
    if not differing:
        return
    stamp = ctx.now().astimezone().strftime("%Y-%m-%d %H:%M")
    header = _("Values from the import of {file} (row {row}, {stamp}) that differ from this record:").format(
        file=file_name, row=row.row, stamp=stamp
    )
    text = header + "\n" + "\n".join(differing)
    if entity == "client":
        records.create_in(ctx, session, writer, "service_note", {"category": _("Import"), "text": text}, client_id=existing.id)
    else:
        notes = (existing.notes + "\n\n" if existing.notes else "") + text
        writer.update(existing, {"notes": notes})


def _display(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
