"""``accountdesk-server import``: clients, contacts or equipment from CSV or Excel straight into the
server, for administrators who move a company in without a laptop.

The file is read and checked in a read transaction, then written in ONE write transaction
(checked again in it should another change have been committed meanwhile). The checks are the
laptop's own (:mod:`accountdesk.io.plan`: mapping, validation, links,
duplicates, the all-or-nothing rule); the value rules of a new record are
:mod:`accountdesk.domain.rules`, which the laptop's services run too. What the server holds
comes from its records (:func:`server_index`). The accepted rows are written in ONE transaction
through the push's set-wise :class:`~accountdesk.server.merge.Writer`: each is an ordinary record
with its sequence number, one field-history entry holding its first values and, for clients,
its scope; laptops pull them as they pull anybody's changes. An ``import`` entry goes into the
audit log.

Differences from the laptop's import, by design: the author of the records is the server
(as every change made with the server's command line); the account manager of a new client is
its file's account-manager cell, else ``--owner``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, and_, select

from ..domain import rules
from ..domain.standards import effective_standards, standard_plans
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..gcpause import gc_paused
from ..i18n import _
from ..io import plan as P
from ..models import ENTITIES, new_id
from ..models.enums import Role
from ..permissions import may_write
from ..sync.codec import column_kind, decode_value
from . import repo
from . import tables as t
from .db import Database
from .merge import SYSTEM, Writer
from .settings import Settings

#: The server's command line is run by its administrator.
ROLE = Role.ADMIN.value
#: New records are numbered and written this many at a time (all in the one transaction).
WRITE_EVERY = 5000


@dataclass(frozen=True)
class Outcome:
    plan: P.ImportPlan
    result: P.ImportResult | None  # None: a dry run

    def to_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"plan": self.plan.to_dict()}
        return {"plan": self.plan.to_dict(preview=False), "result": self.result.to_dict()}


def import_file(
    db: Database,
    path: Path | str,
    kind: str | None,
    *,
    owner: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    client: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    skip_rejected: bool = False,
    duplicates: str = P.SKIP,
    today: dt.date | None = None,
    planned: Callable[[P.ImportPlan], None] | None = None,
) -> Outcome:
    """Plan the file against the server's records and (unless ``dry_run``) write it, all or
    nothing. ``owner``: user name or id of the account manager of new clients whose
    account-manager cell is empty. ``client``: contacts or equipment of this one client.
    ``duplicates``: ``"skip"`` or ``"merge"`` (fill the existing record's empty fields, keep
    differing values in a note, as on a laptop). ``planned(plan)`` is called once the file is
    checked, before anything is written."""
    kinds = P.kinds_for(ROLE, kind, client)
    today = today or dt.date.today()
    # Read and check outside the write transaction (pushes go on meanwhile) ...
    with gc_paused(), db.read() as conn:
        owner_id = _owner(conn, owner)
        client_id = _client(conn, client) if client else None
        plan, data = P.read_plan(path, kinds, mapping, sheet=sheet, client_id=client_id)
        if plan.kind == "clients" and owner_id is None and "owner_id" not in plan.mapping.values():
            raise ValidationError(
                "owner",
                _(
                    "Who is the account manager of these clients? Give --owner USER or map a "
                    "column to owner_id."
                ),
            )
        seen = repo.current_seq(conn)
        P.check_rows(plan, data, server_index(conn, plan.kind), _checker(owner_id, today))
    if planned is not None:
        planned(plan)
    if dry_run:
        return Outcome(plan, None)
    P.refuse_rejected(plan, skip_rejected)
    with gc_paused(), db.write() as conn:
        # ... and again inside it should anything have changed since: the owner, the client,
        # duplicates and links are those of the records the import is written beside. The
        # counter stays locked until the commit: no push commits in between (a push takes it last).
        if repo.lock_counter(conn) != seen:
            owner_id = _owner(conn, owner)
            plan.client_id = _client(conn, client) if client else None
            plan.rows, plan.rejected = [], []
            P.check_rows(plan, data, server_index(conn, plan.kind), _checker(owner_id, today))
            P.refuse_rejected(plan, skip_rejected)
        result = _write(conn, plan, _checker(owner_id, today), duplicates)
        repo.audit(
            conn,
            "import",
            file=plan.path.name,
            kind=plan.kind,
            owner_id=owner_id,
            created=result.created,
            skipped=result.skipped,
            rejected=result.rejected,
        )
    return Outcome(plan, result)


def _owner(conn: Connection, ref: str | None) -> str | None:
    if ref is None:
        return None
    user = repo.user_by_name(conn, ref) or repo.user_by_id(conn, ref)
    if user is None:
        raise ValidationError("owner", _("Unknown user: {user}").format(user=ref))
    if not user["active"]:
        raise ValidationError("owner", _("This user has been deactivated: {user}").format(user=ref))
    return str(user["id"])


def _client(conn: Connection, ref: str) -> str:
    found = repo.find_clients(conn, ref)
    if not found:
        raise ValidationError("client", _("No client matches “{ref}”.").format(ref=ref))
    if len(found) > 1:
        raise ValidationError(
            "client", _("More than one client matches “{ref}”; use its id.").format(ref=ref)
        )
    return str(found[0]["id"])


def _live(entity: str, *fields: str) -> Select[Any]:
    data = t.records.c.data
    return select(t.records.c.id, *(data[f].as_string() for f in fields)).where(
        and_(t.records.c.entity == entity, t.records.c.deleted.is_(False))
    )


def server_index(conn: Connection, kind: str) -> P.Index:
    """What the server holds, for duplicate checks and links (read once per import)."""
    index = P.Index()
    users = conn.execute(select(t.users.c.id, t.users.c.username, t.users.c.display_name, t.users.c.active))
    index.add_users(users)
    index.add_clients(conn.execute(_live("client", "name", "uscc")))
    if kind == "contacts":
        stmt = select(
            t.records.c.id,
            t.records.c.client_id,
            *(t.records.c.data[f].as_string() for f in ("name", "mobile", "email")),
        )
        index.add_contacts(
            conn.execute(stmt.where(and_(t.records.c.entity == "contact", t.records.c.deleted.is_(False))))
        )
    elif kind == "equipment":
        index.add_equipment(conn.execute(_live("equipment", "name", "serial", "model")))
    return index


def _checker(owner_id: str | None, today: dt.date) -> P.CheckCreate:
    """Every rule of a create on the server: the role's permission, the default account manager,
    the value rules (:mod:`accountdesk.domain.rules`). Links (client, users, reports-to) were
    made from the server's records by :func:`accountdesk.io.plan.check_rows`."""

    def check_create(entity: str, values: dict[str, Any], client_id: str | None) -> dict[str, Any]:
        values = dict(values)
        if not may_write(ROLE, entity, "create", frozenset(values)):
            raise PermissionDenied(_("Your role may not change this."))
        if entity == "client":
            if not values.get("owner_id"):
                if owner_id is None:
                    raise ValidationError(
                        "owner_id", _("No account manager: fill the cell or give --owner USER.")
                    )
                values["owner_id"] = owner_id
        elif not client_id:
            raise NotFoundError(_("The client no longer exists (it may have been deleted)."))
        rules.check_new(entity, values, today)
        return values

    return check_create


def _standards(conn: Connection) -> dict[str, dict[str, int]]:
    """The tiers' service standards in force: the ``service_standard`` records (in the order
    they were written) over the shipped default, as every laptop reads its copies."""
    rows = conn.execute(
        select(t.records.c.data)
        .where(and_(t.records.c.entity == "service_standard", t.records.c.deleted.is_(False)))
        .order_by(t.records.c.seq)
    )
    return effective_standards(
        (d["tier"], d["kind"], int(d["every_months"]), bool(d.get("active", True))) for (d,) in rows
    )


@cache
def _defaults(entity: str) -> dict[str, Any]:
    """The column defaults a laptop gives a new record (its push carries them)."""
    model = ENTITIES[entity]
    out: dict[str, Any] = {}
    for col in model.__table__.columns:
        if col.default is None or col.key in ("id", "server_seq"):
            continue
        if col.default.is_scalar:
            out[col.key] = col.default.arg
        elif column_kind(model, col.key) == "json":
            out[col.key] = []
    return out


def _write(conn: Connection, plan: P.ImportPlan, check: P.CheckCreate, duplicates: str) -> P.ImportResult:
    entity = plan.entity
    new, merges, skipped = P.split_rows(plan, duplicates)
    ids = {row.row: new_id() for row in new}
    defaults = _defaults(entity)
    # a new client gets its tier's service standard, as on a laptop (the standards in force here)
    standards = _standards(conn) if entity == "client" else None
    for start in range(0, len(new), WRITE_EVERY):  # one writer per slice: memory stays bounded
        writer = Writer(conn, SYSTEM, Settings())
        for row in new[start : start + WRITE_EVERY]:
            try:
                values = check(entity, row.values, row.client_id)
            except (ValidationError, NotFoundError) as exc:
                raise P.row_error(row, exc) from exc
            if row.boss_row is not None and row.boss_row in ids:
                values["reports_to_id"] = ids[row.boss_row]
            row_id = ids[row.row]
            values = defaults | values
            writer.server_create(
                entity, values, client_id=row_id if entity == "client" else row.client_id, row_id=row_id
            )
            if standards is not None:
                tier = standards.get(values.get("tier") or "", {})
                for cadence in standard_plans(tier, values.get("owner_id")):
                    writer.server_create("visit_plan", _defaults("visit_plan") | cadence, client_id=row_id)
        writer.finish()
    writer = Writer(conn, SYSTEM, Settings())
    merged = 0
    for row in merges:  # after the new rows: a duplicate may merge into a row of this import
        target = row.match_id or ids.get(row.match_row or -1)
        rec = writer.get(target, lock=True) if target else None
        if rec is None or rec["deleted"]:
            skipped += 1
            continue
        _merge(writer, rec, row, plan.path.name)
        merged += 1
    writer.finish()
    return P.ImportResult(len(new), merged, skipped, plan.rejected_rows, tuple(ids.values()))


def _merge(writer: Writer, rec: dict[str, Any], row: P.PlannedRow, file_name: str) -> None:
    """As the laptop merges a duplicate (:func:`accountdesk.io.plan.merge_changes`): the record's
    empty fields filled, the differing values kept in a service note (a client) or its notes."""
    model = ENTITIES[rec["entity"]]
    fills, differing = P.merge_changes(
        rec["entity"], lambda name: decode_value(model, name, rec["data"].get(name)), row.values
    )
    if fills:
        rec = writer.server_update(rec, fills)
    if not differing:
        return
    text = P.merge_note(file_name, row.row, dt.datetime.now(dt.UTC), differing)
    if rec["entity"] == "client":
        writer.server_create(
            "service_note",
            _defaults("service_note") | {"category": _("Import"), "text": text},
            client_id=rec["id"],
        )
    else:
        notes = rec["data"].get("notes")
        writer.server_update(rec, {"notes": (notes + "\n\n" if notes else "") + text})
