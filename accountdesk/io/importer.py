"""Import of clients, contacts and equipment from CSV and Excel on the laptop: a preview first,
then one transaction.

``plan_import(ctx, path, kind)`` reads the file, finds the header row, maps the columns, checks
every row (the same validation as a form) and finds duplicates — without writing anything. The
GUI shows the plan (mapping, first rows, counts, rejected rows with their reasons) and lets the
user change the mapping (call ``plan_import`` again with ``mapping=``) and choose, per duplicate,
to merge or skip. ``run_import(ctx, plan, decisions)`` then writes every accepted row in ONE write
transaction: each row is an ordinary change with its outbox entry, and any failure rolls the
whole import back, leaving the store as it was.

A plan with rejected rows is refused unless ``skip_rejected=True`` (the user saw the report and
chose to import the rest).

The checks themselves (mapping, validation, links, duplicates, the all-or-nothing rule) are
:mod:`accountdesk.io.plan`, which the server's import shares; this module gives them the
laptop's store (:class:`Index` from its tables, the services' rules of a create) and writes.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import AccountDeskError, PermissionDenied
from ..i18n import _
from ..models import Client, Contact, Equipment, User, VisitPlan, model_for
from ..permissions import may_write
from ..services import records
from ..services.clients import CREDIT_CODES
from ..services.context import AppContext
from ..services.standards import new_client_plans, standards_in
from ..store import search
from ..sync.bulk import BulkWriter
from ..sync.changes import ChangeWriter
from . import plan as P
from .plan import (  # noqa: F401 - the import's names, as callers know them
    MERGE,
    PREVIEW_ROWS,
    SKIP,
    ImportPlan,
    ImportResult,
    Index,
    PlannedRow,
    Rejection,
    missing_columns,
)


def plan_import(
    ctx: AppContext,
    path: Path | str,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    *,
    sheet: str | None = None,
    client_id: str | None = None,
    require_columns: bool = True,
) -> ImportPlan:
    """Read and check a file without writing anything (see the module docstring).

    ``kind``: ``clients``, ``contacts`` or ``equipment`` (guessed from the headers when None).
    ``mapping``: manual ``{column: field}`` choices on top of the automatic ones. ``client_id``:
    import contacts or equipment into this client (then no client column is needed).
    ``require_columns=False``: a mapping that lacks a required field is planned anyway (every
    row is then rejected) so that a mapping editor can show the columns; :func:`missing_columns`
    says what is lacking.
    """
    actor = ctx.actor  # resolved (and a profile's local user made) before the store is read
    kinds = P.kinds_for(actor.role, kind, client_id)
    plan, data = P.read_plan(
        path, kinds, mapping, sheet=sheet, client_id=client_id, require_columns=require_columns
    )
    with ctx.read() as session:
        index = laptop_index(session, plan.kind)
        if plan.kind == "clients":  # the rules' credit-code check answered by the index (this session's only)
            session.info[CREDIT_CODES] = {code: hit[1] for code, hit in index.clients_by_uscc.items()}
        # the clients rows link to, held here so that the session's (weak) identity map answers
        # the rules' lookups instead of one query per row
        keep = (
            session.scalars(select(Client).where(Client.deleted_at.is_(None))).all()
            if plan.kind in P.CLIENT_KINDS
            else []
        )

        def check_create(entity: str, values: dict[str, Any], client_id: str | None) -> dict[str, Any]:
            return records.check_create(ctx, session, entity, values, client_id=client_id, parsed=True)

        P.check_rows(plan, data, index, check_create)
        del keep
    return plan


def laptop_index(session: Session, kind: str) -> Index:
    """What the laptop's store holds, for duplicate checks and links (read once per plan)."""
    index = Index()
    index.add_users(
        session.execute(
            select(User.id, User.username, User.display_name, User.active).where(User.deleted_at.is_(None))
        )
    )
    index.add_clients(
        session.execute(select(Client.id, Client.name, Client.uscc).where(Client.deleted_at.is_(None)))
    )
    if kind == "contacts":
        index.add_contacts(
            session.execute(
                select(Contact.id, Contact.client_id, Contact.name, Contact.mobile, Contact.email).where(
                    Contact.deleted_at.is_(None)
                )
            )
        )
    elif kind == "equipment":
        index.add_equipment(
            session.execute(
                select(Equipment.id, Equipment.name, Equipment.serial, Equipment.model).where(
                    Equipment.deleted_at.is_(None), Equipment.serial.is_not(None)
                )
            )
        )
    return index


# -- running ------------------------------------------------------------------------------------
def run_import(
    ctx: AppContext,
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
    P.refuse_rejected(plan, skip_rejected)
    entity = plan.entity
    if not may_write(ctx.actor.role, entity, "create", frozenset()):
        raise PermissionDenied(_("Your role may not change this."))

    new, merges, skipped = P.split_rows(plan, decisions)
    todo = len(new) + len(merges) + skipped
    merged = 0
    with ctx.write() as (session, writer), session.no_autoflush:
        created = _create_rows(ctx, session, writer, plan, new, progress, todo)
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
                records.update_record(
                    ctx, "contact", created[row.row], {"reports_to_id": created[row.boss_row]}
                )
    if progress is not None and todo:
        progress(todo, todo)
    return ImportResult(len(created), merged, skipped, plan.rejected_rows, tuple(created.values()))


def _create_rows(
    ctx: AppContext,
    session: Session,
    writer: ChangeWriter,
    plan: ImportPlan,
    rows: list[PlannedRow],
    progress: Callable[[int, int], None] | None,
    total: int,
) -> dict[int, str]:
    """Check and write the new rows (file row number -> new id) with the bulk writer: each is an
    ordinary create with its outbox entry, written FLUSH_EVERY at a time, in the caller's
    transaction. The rules see the rows already checked through ``session.info`` (credit codes)."""
    entity = plan.entity
    model = model_for(entity)
    created: dict[int, str] = {}
    loaded = _preload_clients(session, plan)  # noqa: F841 - kept alive on purpose
    standards = None
    if entity == "client":  # the credit codes taken, read once (not one query per row)
        taken = session.execute(
            select(Client.uscc, Client.name).where(Client.uscc.is_not(None), Client.deleted_at.is_(None))
        )
        codes: dict[str, str | None] = {code: name for code, name in taken if code is not None}
        session.info[CREDIT_CODES] = codes
        # a new client gets its tier's service standard, as a client made by hand does
        if may_write(ctx.actor.role, "visit_plan", "create", frozenset(_PLAN_FIELDS)):
            standards = standards_in(session)
    now = writer.now()
    bulk = BulkWriter(
        session,
        user_id=writer.user_id,
        hlc_start=writer.clock.now(),
        entry_created_at=now,
        id_rng=random.SystemRandom(),
        id_base=now,  # UUIDv7 ids, as new_id() makes them but faster
    )

    def flush() -> None:
        bulk.flush()
        writer.clock.observe(bulk.last_hlc)  # later changes come after the import's

    in_bulk = (
        search.indexed_in_bulk(session.connection(), entity)
        if len(rows) >= BULK_INDEX_ROWS
        else contextlib.nullcontext()
    )
    try:
        with in_bulk:
            for done, row in enumerate(rows, start=1):
                with _row_errors(row):
                    values = records.check_create(
                        ctx, session, entity, row.values, client_id=row.client_id, parsed=True
                    )
                row_id = bulk.new_id()
                if entity == "client" and values.get("uscc"):
                    codes[values["uscc"]] = values.get("name")
                owner = row_id if entity == "client" else row.client_id
                created_at = writer.now()
                created[row.row] = bulk.add(
                    model, dict(values), client_id=owner, created_at=created_at, row_id=row_id
                )
                if standards is not None:
                    for visit_plan in new_client_plans(
                        session,
                        values.get("tier") or _DEFAULT_TIER,
                        values.get("owner_id"),
                        standards=standards,
                    ):
                        bulk.add(VisitPlan, visit_plan, client_id=row_id, created_at=created_at)
                if done % FLUSH_EVERY == 0:
                    flush()
                    if progress is not None:
                        progress(done, total)
            flush()
    finally:
        session.info.pop(CREDIT_CODES, None)
    return created


#: A client's tier when the file gives none (the column's default).
_DEFAULT_TIER = Client.__table__.c.tier.default.arg
#: The fields of a plan a new client gets from its tier's standard.
_PLAN_FIELDS = ("kind", "title", "every_months", "owner_id", "active", "starts_on", "from_standard")

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
        raise P.row_error(row, exc) from exc


def _preload_clients(session: Session, plan: ImportPlan) -> list[Client]:
    """Load the clients the rows belong to into the session once (not one query per row); the
    caller keeps the list so that the session's weak identity map keeps them."""
    ids = sorted({r.client_id for r in plan.rows if r.client_id})
    out: list[Client] = []
    for i in range(0, len(ids), 500):
        out += session.scalars(select(Client).where(Client.id.in_(ids[i : i + 500]))).all()
    return out


def _merge_into(
    ctx: AppContext,
    session: Session,
    writer: ChangeWriter,
    entity: str,
    target_id: str,
    row: PlannedRow,
    file_name: str,
) -> None:
    """Fill the empty fields of an existing row from the file; keep the differing values in a
    note (a service note for a client, the record's notes otherwise): :func:`plan.merge_changes`."""
    existing = records.get_live(session, entity, target_id)

    def user_name(uid: str) -> str:
        from ..models import User

        user = session.get(User, uid)
        return user.display_name if user is not None else uid

    fills, differing = P.merge_changes(entity, lambda name: getattr(existing, name), row.values, user_name)
    if fills:
        if not may_write(ctx.actor.role, entity, "update", frozenset(fills)):
            raise PermissionDenied(_("Your role may not change this."))
        writer.update(existing, fills)
        session.flush()
    if not differing:
        return
    text = P.merge_note(file_name, row.row, ctx.now(), differing)
    if entity == "client":
        records.create_in(
            ctx,
            session,
            writer,
            "service_note",
            {"category": _("Import"), "text": text},
            client_id=existing.id,
        )
    else:
        assert isinstance(existing, (Contact, Equipment))  # the other kinds a file imports
        notes = (existing.notes + "\n\n" if existing.notes else "") + text
        writer.update(existing, {"notes": notes})
