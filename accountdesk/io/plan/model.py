"""What an import plan is made of: the rows, their rejections, the index of what a side already
holds, and the result of a run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...domain.names import normalise_code, normalise_company_name, normalise_email, normalise_person_name
from .. import mapping as M

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

    def to_dict(self) -> dict[str, Any]:
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

    def to_dict(self, *, preview: bool = True) -> dict[str, Any]:
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

    def to_dict(self) -> dict[str, Any]:
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
