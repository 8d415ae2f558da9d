"""The synced records: reading them by id (whole or light), writing them in bulk, and the few
queries about clients the server logic needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from .. import tables as t
from .base import among, bulk_insert


def get_record(conn: Connection, row_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    """A record; ``lock``: locked until commit (a push about to change it)."""
    stmt = select(t.records).where(t.records.c.id == row_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def get_records(conn: Connection, ids: list[str], *, lock: bool = False) -> dict[str, dict[str, Any]]:
    """Records by id (absent ids are missing from the answer); ``lock``: locked until commit, in
    id order (two pushes locking the same rows take them in the same order)."""
    out: dict[str, dict[str, Any]] = {}
    ids = sorted(set(ids))
    for start in range(0, len(ids), 2000):
        stmt = (
            select(t.records)
            .where(among(conn, t.records.c.id, ids[start : start + 2000]))
            .order_by(t.records.c.id)
        )
        if lock:
            stmt = stmt.with_for_update()
        for row in conn.execute(stmt).mappings():
            out[row["id"]] = dict(row)
    return out


#: What the merge reads of a record it only refers to (a reference's target, an item's client):
#: who owns and serves it, whether a user is active — not the whole JSON of the record.
LIGHT_FIELDS = ("owner_id", "backup_owner_id", "user_id")


def get_light_records(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Records by id with only :data:`LIGHT_FIELDS` and ``active`` of their data (marked
    ``_light``): a batch refers to thousands of rows it does not change."""
    out: dict[str, dict[str, Any]] = {}
    ids = sorted(set(ids))
    d = t.records.c.data
    cols = (
        t.records.c.id,
        t.records.c.entity,
        t.records.c.client_id,
        t.records.c.seq,
        t.records.c.deleted,
        t.records.c.hidden,
        t.records.c.writer,
        *(d[f].as_string().label(f) for f in LIGHT_FIELDS),
        d["active"].as_boolean().label("active"),
    )
    for start in range(0, len(ids), 2000):
        for row in conn.execute(
            select(*cols).where(among(conn, t.records.c.id, ids[start : start + 2000]))
        ).mappings():
            data = {f: row[f] for f in LIGHT_FIELDS}
            data["active"] = row["active"]
            out[row["id"]] = {
                "id": row["id"],
                "entity": row["entity"],
                "client_id": row["client_id"],
                "seq": row["seq"],
                "deleted": row["deleted"],
                "hidden": row["hidden"],
                "writer": row["writer"],
                "data": data,
                "clocks": {},
                "_light": True,
            }
    return out


_RECORD_VALUES = ("entity", "client_id", "seq", "deleted", "data", "clocks", "hidden", "writer")
_RECORD_COLUMNS = ("id", *_RECORD_VALUES)


def insert_records(conn: Connection, recs: list[dict[str, Any]]) -> None:
    """New records, in bulk."""
    bulk_insert(conn, t.records, _RECORD_COLUMNS, recs)


_UPDATE_RECORD = (
    update(t.records)
    .where(t.records.c.id == bindparam("b_id"))
    .values(**{k: bindparam("b_" + k) for k in _RECORD_VALUES})
)


def update_records(conn: Connection, recs: list[dict[str, Any]]) -> None:
    if recs:
        conn.execute(
            _UPDATE_RECORD, [{"b_id": r["id"], **{"b_" + k: r.get(k) for k in _RECORD_VALUES}} for r in recs]
        )


def put_record(conn: Connection, rec: dict[str, Any], *, new: bool) -> None:
    (insert_records if new else update_records)(conn, [rec])


def client_rows(
    conn: Connection, client_id: str, entities: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    stmt = select(t.records).where(t.records.c.client_id == client_id, t.records.c.deleted.is_(False))
    if entities:
        stmt = stmt.where(t.records.c.entity.in_(entities))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def team_rows(conn: Connection, client_ids: list[str]) -> list[dict[str, Any]]:
    """The live service-team records of these clients."""
    out: list[dict[str, Any]] = []
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(t.records).where(
            among(conn, t.records.c.client_id, ids[start : start + 2000]),
            t.records.c.entity == "client_team_member",
            t.records.c.deleted.is_(False),
        )
        out.extend(dict(r) for r in conn.execute(stmt).mappings())
    return out


def conflicts_of(conn: Connection, client_id: str | None, row_id: str) -> list[dict[str, Any]]:
    """Conflict records about one row (of one client; None: a global row)."""
    cond = t.records.c.client_id == client_id if client_id is not None else t.records.c.client_id.is_(None)
    stmt = select(t.records).where(cond, t.records.c.entity == "conflict")
    return [dict(r) for r in conn.execute(stmt).mappings() if r["data"].get("row_id") == row_id]


def live_offering_codes(conn: Connection) -> dict[str, str]:
    """CODE (upper case) -> id of the live service offerings (the catalogue is small)."""
    stmt = select(t.records.c.id, t.records.c.data).where(
        t.records.c.entity == "service_offering", t.records.c.deleted.is_(False)
    )
    return {str(r.data["code"]).upper(): r.id for r in conn.execute(stmt) if r.data.get("code")}


def find_clients(conn: Connection, ref: str) -> list[dict[str, Any]]:
    rec = get_record(conn, ref)
    if rec and rec["entity"] == "client" and not rec["deleted"]:
        return [rec]
    rows = conn.execute(
        select(t.records).where(t.records.c.entity == "client", t.records.c.deleted.is_(False))
    ).mappings()
    return [dict(r) for r in rows if r["data"].get("name") == ref or r["data"].get("short_name") == ref]


def live_clients(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(t.records).where(t.records.c.entity == "client", t.records.c.deleted.is_(False))
    )
    return [dict(r) for r in rows.mappings()]
