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

The plan lives by job: :mod:`.model` (the plan, its rows, the index), :mod:`.reading`,
:mod:`.checking` and :mod:`.merging`; the names callers use are importable from here.
"""

from __future__ import annotations

from .checking import (
    MEMO_KINDS,
    check_rows,
)
from .merging import (
    SAME_BY_KEY,
    describe,
    merge_changes,
    merge_note,
    refuse_rejected,
    row_error,
    split_rows,
)
from .model import (
    CLIENT_KINDS,
    MERGE,
    PREVIEW_ROWS,
    RESPONSIBLE,
    SKIP,
    CheckCreate,
    ImportPlan,
    ImportResult,
    Index,
    PlannedRow,
    Rejection,
    equipment_key,
)
from .reading import (
    check_required_columns,
    kinds_for,
    missing_columns,
    read_plan,
)

__all__ = [
    "CLIENT_KINDS",
    "CheckCreate",
    "ImportPlan",
    "ImportResult",
    "Index",
    "MEMO_KINDS",
    "MERGE",
    "PREVIEW_ROWS",
    "PlannedRow",
    "RESPONSIBLE",
    "Rejection",
    "SAME_BY_KEY",
    "SKIP",
    "check_required_columns",
    "check_rows",
    "describe",
    "equipment_key",
    "kinds_for",
    "merge_changes",
    "merge_note",
    "missing_columns",
    "read_plan",
    "refuse_rejected",
    "row_error",
    "split_rows",
]
