"""Checking every row of a plan: parsing its cells, linking it to its client, its boss and its
owner, and finding duplicates in the side's index and earlier in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...domain.names import normalise_company_name, normalise_email, normalise_person_name
from ...domain.schema import SCHEMAS, FieldSpec, parse_value
from ...domain.validation import validate_uscc
from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from ..csv_excel import cell_value
from .model import (
    CLIENT_KINDS,
    PREVIEW_ROWS,
    RESPONSIBLE,
    CheckCreate,
    ImportPlan,
    Index,
    PlannedRow,
    Rejection,
    equipment_key,
)


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
    in_file: dict[tuple[str | None, str], int] = {}
    for r in plan.rows:
        if r.status == "new":
            in_file.setdefault((r.client_id, normalise_person_name(r.values.get("name"))), r.row)
    for r in plan.rows:
        boss = r.values.get("reports_to_id")
        if r.status == "rejected" or not boss:
            continue
        boss_name = normalise_person_name(boss)
        key = (r.client_id, boss_name)
        hit = index.contact_ids.get(boss)
        if hit is not None and hit == r.client_id:
            continue  # an id of a contact of this client
        # a row without a client (rejected above) matches no existing contact
        existing = index.contacts_by_name.get((r.client_id, boss_name)) if r.client_id is not None else None
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
    seen: dict[tuple[str, str], int],
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
        for reason, dup_key in keys:
            match = _existing(index, plan.kind, reason, dup_key, planned)
            if match is not None:
                planned.status, planned.reason, planned.match_id, planned.match_name = (
                    "duplicate",
                    reason,
                    *match,
                )
                break
            if (reason, dup_key) in seen:
                planned.status, planned.reason, planned.match_row = (
                    "duplicate",
                    reason,
                    seen[(reason, dup_key)],
                )
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
        if row.client_id is None:
            return None  # no client, no contact of it
        return index.contacts_by_name.get((row.client_id, key.split(":", 1)[1]))
    if reason == "mobile":
        return index.contacts_by_mobile.get(key)
    return index.contacts_by_email.get(key)
