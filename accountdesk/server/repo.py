"""Repositories: every SQL statement of the server lives here (routers → logic → repositories)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Row,
    String,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError

from . import tables as t


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- sequence ----------------------------------------------------------------------------------
def lock_counter(conn: Connection) -> int:
    """Take the counter row lock (held until commit) and return the last sequence handed out."""
    return conn.execute(select(t.counter.c.seq).where(t.counter.c.id == 1).with_for_update()).scalar_one()


def store_counter(conn: Connection, seq: int) -> None:
    conn.execute(update(t.counter).where(t.counter.c.id == 1).values(seq=seq))


def take_numbers(conn: Connection, used: int) -> int:
    """Lock the counter row (held until commit) and take ``used`` sequence numbers; returns the
    last number handed out before them (the first taken is that + 1). Every writer calls this
    last, just before writing with the numbers and committing: numbers commit in order, so a
    pull cursor can never pass a commit still in flight (docs/architecture.md, "Sync")."""
    if conn.dialect.name == "postgresql":
        return conn.execute(
            text("UPDATE srv_counter SET seq = seq + :used WHERE id = 1 RETURNING seq - :used"),
            {"used": used},
        ).scalar_one()
    last = lock_counter(conn)
    store_counter(conn, last + used)
    return last


def current_seq(conn: Connection) -> int:
    return conn.execute(select(t.counter.c.seq).where(t.counter.c.id == 1)).scalar_one()


_SEQ_AND_HORIZON = select(t.counter.c.seq, select(func.max(t.purges.c.horizon)).scalar_subquery()).where(
    t.counter.c.id == 1
)


def seq_and_horizon(conn: Connection) -> tuple[int, int]:
    """:func:`current_seq` and :func:`purge_horizon` in one query (every pull needs both)."""
    seq, purged = conn.execute(_SEQ_AND_HORIZON).one()
    return int(seq), int(purged or 0)


#: PostgreSQL errors after which a push starts again: unique violation (the same new row or batch
#: from a concurrent push), deadlock, serialisation failure.
COLLISIONS = frozenset({"23505", "40P01", "40001"})


def is_collision(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in COLLISIONS


def _among(conn: Connection, column, ids: list[str]):
    """``column IN ids`` with one parameter whatever the number of ids: an array on PostgreSQL,
    a JSON list on SQLite (a thousand-parameter IN list cost more to build than the query)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(String), unique=True))
    return column.in_(
        select(literal_column("value")).select_from(
            func.json_each(bindparam(None, orjson.dumps(ids).decode(), unique=True))
        )
    )


# -- records -----------------------------------------------------------------------------------
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
            .where(_among(conn, t.records.c.id, ids[start : start + 2000]))
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
            select(*cols).where(_among(conn, t.records.c.id, ids[start : start + 2000]))
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
_JSON_COLUMNS = frozenset({"data", "clocks", "hidden", "old", "new"})
#: Below this many rows a plain INSERT; above, PostgreSQL's COPY (a join brings batches of a
#: thousand new records: one statement instead of a thousand round trips).
COPY_FROM = 20


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _bulk_insert(conn: Connection, table, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Insert many rows as fast as each database allows: COPY on PostgreSQL, the driver's own
    executemany on SQLite (values were checked before: JSON is serialised here with orjson)."""
    if not rows:
        return
    raw = conn.connection.driver_connection
    names = ", ".join(columns)
    json_at = [i for i, c in enumerate(columns) if c in _JSON_COLUMNS]

    def values(row: dict[str, Any]) -> list[Any]:
        out = [row.get(c) for c in columns]
        for i in json_at:
            out[i] = _dumps(out[i])
        return out

    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        import psycopg

        sql = f"COPY {table.name} ({names}) FROM STDIN"
        try:
            with raw.cursor() as cur, cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row(values(row))
        except psycopg.Error as exc:  # as SQLAlchemy reports it (collisions, the per-item retry, logs)
            raise DBAPIError.instance(sql, None, exc, psycopg.Error, hide_parameters=True) from exc
        return
    if conn.dialect.name == "sqlite":
        import sqlite3

        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
        at = [i for i, c in enumerate(columns) if c == "at"]
        params = []
        for row in rows:
            v = values(row)
            for i in at:  # as SQLAlchemy stores a datetime in SQLite
                v[i] = v[i].strftime("%Y-%m-%d %H:%M:%S.%f") if hasattr(v[i], "strftime") else v[i]
            params.append(v)
        try:
            raw.executemany(sql, params)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, None, exc, sqlite3.Error, hide_parameters=True) from exc
        return
    conn.execute(insert(table), [{c: row.get(c) for c in columns} for row in rows])


def insert_records(conn: Connection, recs: list[dict[str, Any]]) -> None:
    """New records, in bulk."""
    _bulk_insert(conn, t.records, _RECORD_COLUMNS, recs)


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
            _among(conn, t.records.c.client_id, ids[start : start + 2000]),
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


#: What a pull sends of a record; ``data`` and ``hidden`` as the JSON text the database holds
#: (pages are large: they are passed on without being decoded and encoded again).
WIRE_COLUMNS = (
    t.records.c.entity,
    t.records.c.id,
    t.records.c.client_id,
    t.records.c.seq,
    t.records.c.deleted,
    cast(t.records.c.data, Text).label("data"),
    cast(t.records.c.hidden, Text).label("hidden"),
)


def _not_written_by(device: str | None):
    return t.records.c.writer.is_distinct_from(device)


def changes(
    conn: Connection,
    *,
    after: int,
    upto: int,
    user_id: str | None,
    limit: int,
    skip_device: str | None = None,
) -> list[Row]:
    """Records changed in ``(after, upto]`` in sequence order (:data:`WIRE_COLUMNS`); ``user_id``
    limits to that user's scope plus global rows (None: everything); ``skip_device`` leaves out
    the versions that device wrote and holds."""
    stmt = select(*WIRE_COLUMNS).where(t.records.c.seq > after, t.records.c.seq <= upto)
    if skip_device is not None:
        stmt = stmt.where(_not_written_by(skip_device))
    if user_id is not None:
        mine = select(t.scope.c.client_id).where(t.scope.c.user_id == user_id)
        stmt = stmt.where(or_(t.records.c.client_id.is_(None), t.records.c.client_id.in_(mine)))
    stmt = stmt.order_by(t.records.c.seq).limit(limit)
    return conn.execute(stmt).all()


#: A record's wire item built by PostgreSQL itself (the same JSON as :func:`pull.to_item`): an
#: initial sync sends tens of thousands of records, and assembling them row by row in Python
#: was most of the server's work. ``:conf`` is true for roles that see confidential fields;
#: for the others the fields named in ``hidden`` are sent as null and named in ``hidden``.
_PG_ITEM = (
    """'{"entity":' || to_json(r.entity)::text || ',"id":' || to_json(r.id)::text"""
    """ || ',"client_id":' || COALESCE(to_json(r.client_id)::text, 'null') || ',"seq":' || r.seq::text"""
    """ || ',"deleted":' || CASE WHEN r.deleted THEN 'true' ELSE 'false' END"""
    """ || ',"data":' || CASE WHEN :conf OR r.hidden = '[]'::jsonb THEN r.data::text"""
    """ ELSE (r.data || (SELECT jsonb_object_agg(k, NULL) FROM jsonb_array_elements_text(r.hidden) AS k))::text END"""
    """ || ',"hidden":' || CASE WHEN :conf THEN '[]' ELSE r.hidden::text END || '}'"""
)


def changes_joined(
    conn: Connection,
    *,
    after: int,
    upto: int,
    user_id: str | None,
    limit: int,
    confidential: bool,
    skip_device: str | None = None,
) -> tuple[bytes, int, int | None]:
    """PostgreSQL only: :func:`changes` as one UTF-8 text of wire items joined by commas (built
    and joined by the database), their number and the last one's sequence. The text is read as
    bytes and sent as it came: decoding megabytes of Chinese into a str, only to encode them
    again for the answer, was a third of the server's work on a large pull."""
    scoped = (
        ""
        if user_id is None
        else (
            " AND (r.client_id IS NULL OR r.client_id IN (SELECT s.client_id FROM srv_scope AS s WHERE s.user_id = %(uid)s))"
        )
    )
    if skip_device is not None:
        scoped += " AND r.writer IS DISTINCT FROM %(dev)s"
    item = _PG_ITEM.replace(":conf", "%(conf)s")
    sql = (
        f"SELECT count(*), max(r.seq), string_agg({item}, ',' ORDER BY r.seq) FROM ("
        f"SELECT * FROM srv_records AS r WHERE r.seq > %(after)s AND r.seq <= %(upto)s{scoped} ORDER BY r.seq "
        f"LIMIT %(limit)s) AS r"
    )
    params: dict[str, Any] = {
        "after": after,
        "upto": upto,
        "limit": limit,
        "conf": confidential,
        "dev": skip_device,
    }
    if user_id is not None:
        params["uid"] = user_id
    with conn.connection.driver_connection.cursor() as cur:  # psycopg, in this transaction
        cur.adapters.register_loader("text", _bytes_loader())
        n, last, joined = cur.execute(sql, params).fetchone()
    return joined or b"", int(n), None if last is None else int(last)


_LOADER: list[type] = []


def _bytes_loader() -> type:
    """A psycopg loader giving ``text`` as the bytes PostgreSQL sent (psycopg is imported only
    by a server on PostgreSQL)."""
    if not _LOADER:
        from psycopg.adapt import Loader

        class BytesLoader(Loader):
            def load(self, data) -> bytes:
                return bytes(data)

        _LOADER.append(BytesLoader)
    return _LOADER[0]


def has_changes(
    conn: Connection, *, after: int, upto: int, user_id: str | None, skip_device: str | None = None
) -> bool:
    """Whether any record in ``(after, upto]`` is in ``user_id``'s scope (None: anyone's)."""
    stmt = select(t.records.c.seq).where(t.records.c.seq > after, t.records.c.seq <= upto)
    if skip_device is not None:
        stmt = stmt.where(_not_written_by(skip_device))
    if user_id is not None:
        mine = select(t.scope.c.client_id).where(t.scope.c.user_id == user_id)
        stmt = stmt.where(or_(t.records.c.client_id.is_(None), t.records.c.client_id.in_(mine)))
    return conn.execute(stmt.order_by(t.records.c.seq).limit(1)).first() is not None


def page_marks(
    conn: Connection,
    *,
    after: int,
    upto: int,
    user_id: str | None,
    limit: int,
    skip_device: str | None = None,
) -> list[int]:
    """Boundaries that cut ``(after, upto]`` of ``user_id``'s changes (None: everyone's) into
    windows of at most ``limit`` records: ``[m1, m2, ..., upto]`` for ``(after, m1], (m1, m2], …``.
    A window can only shrink later (a record changed again moves past ``upto``), so a device
    can fetch the windows of a long pull side by side."""
    rn = func.row_number().over(order_by=t.records.c.seq).label("rn")
    stmt = select(t.records.c.seq, rn).where(t.records.c.seq > after, t.records.c.seq <= upto)
    if skip_device is not None:
        stmt = stmt.where(_not_written_by(skip_device))
    if user_id is not None:
        mine = select(t.scope.c.client_id).where(t.scope.c.user_id == user_id)
        stmt = stmt.where(or_(t.records.c.client_id.is_(None), t.records.c.client_id.in_(mine)))
    sub = stmt.subquery()
    marks = [
        int(seq)
        for seq in conn.execute(select(sub.c.seq).where(sub.c.rn % limit == 0).order_by(sub.c.seq)).scalars()
    ]
    return [m for m in marks if m < upto] + [upto]


def snapshot(conn: Connection, *, clients: list[str], upto: int, after: str | None, limit: int) -> list[Row]:
    stmt = select(*WIRE_COLUMNS).where(
        t.records.c.client_id.in_(clients), t.records.c.seq <= upto, t.records.c.deleted.is_(False)
    )
    if after:
        stmt = stmt.where(t.records.c.id > after)
    stmt = stmt.order_by(t.records.c.id).limit(limit)
    return conn.execute(stmt).all()


def scope_snapshot(
    conn: Connection, *, user_id: str | None, upto: int, after: str | None, limit: int
) -> list[Row]:
    """Every record of a user's scope plus the global rows (None: of every client), tombstones
    not yet purged included, in id order: a fresh copy for a device whose cursor is older than
    the purge horizon (what is absent from it is gone from the server)."""
    stmt = select(*WIRE_COLUMNS).where(t.records.c.seq <= upto)
    if user_id is not None:
        mine = select(t.scope.c.client_id).where(t.scope.c.user_id == user_id)
        stmt = stmt.where(or_(t.records.c.client_id.is_(None), t.records.c.client_id.in_(mine)))
    if after:
        stmt = stmt.where(t.records.c.id > after)
    stmt = stmt.order_by(t.records.c.id).limit(limit)
    return conn.execute(stmt).all()


# -- tombstone retention -----------------------------------------------------------------------
def purge_horizon(conn: Connection) -> int:
    """The highest sequence purged so far (0: nothing ever purged)."""
    return conn.execute(select(func.max(t.purges.c.horizon))).scalar() or 0


def last_purge_at(conn: Connection) -> dt.datetime | None:
    at = conn.execute(select(func.max(t.purges.c.at))).scalar()
    if at is not None and at.tzinfo is None:  # SQLite gives naive UTC
        at = at.replace(tzinfo=dt.UTC)
    return at


def tombstones(conn: Connection) -> list[dict[str, Any]]:
    """Every tombstone, locked until commit; one that a push in flight has locked is left out
    (the push holds it while it waits for the counter, which the purge holds: waiting for it
    would deadlock). The next purge takes it."""
    stmt = select(
        t.records.c.id, t.records.c.entity, t.records.c.client_id, t.records.c.seq, t.records.c.data
    ).where(t.records.c.deleted.is_(True))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def delete_records(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Hard-delete records and the per-row state that goes with them (a client's scope marks);
    the field history stays."""
    ids = [r["id"] for r in rows]
    clients = [r["id"] for r in rows if r["entity"] == "client"]
    for start in range(0, len(ids), 500):
        conn.execute(delete(t.records).where(t.records.c.id.in_(ids[start : start + 500])))
    for start in range(0, len(clients), 500):
        chunk = clients[start : start + 500]
        conn.execute(delete(t.scope).where(t.scope.c.client_id.in_(chunk)))
        conn.execute(delete(t.former_scope).where(t.former_scope.c.client_id.in_(chunk)))


def add_purge(conn: Connection, *, older_than_s: int, purged: int, horizon: int) -> None:
    conn.execute(
        insert(t.purges).values(at=utcnow(), older_than_s=older_than_s, purged=purged, horizon=horizon)
    )


# -- scope -------------------------------------------------------------------------------------
_SCOPE_OF = select(t.scope.c.client_id).where(t.scope.c.user_id == bindparam("user_id")).distinct()


def scope_of(conn: Connection, user_id: str) -> list[str]:
    return sorted(conn.execute(_SCOPE_OF, {"user_id": user_id}).scalars())


def in_scope(conn: Connection, user_id: str, client_id: str) -> bool:
    stmt = (
        select(t.scope.c.client_id)
        .where(t.scope.c.user_id == user_id, t.scope.c.client_id == client_id)
        .limit(1)
    )
    return conn.execute(stmt).first() is not None


def formerly_in_scope_until(conn: Connection, user_id: str, client_id: str) -> tuple[int, int | None] | None:
    """When a user lost a client: (wall clock ms, sequence of that change), or None."""
    stmt = select(t.former_scope.c.until_ms, t.former_scope.c.until_seq).where(
        t.former_scope.c.user_id == user_id, t.former_scope.c.client_id == client_id
    )
    row = conn.execute(stmt).first()
    return (row[0], row[1]) if row else None


def scope_users(conn: Connection, client_id: str) -> set[str]:
    rows = conn.execute(select(t.scope.c.user_id).where(t.scope.c.client_id == client_id))
    return {r[0] for r in rows}


def scoped_clients(conn: Connection, user_id: str, client_ids: list[str]) -> set[str]:
    """Which of these clients are in the user's scope now."""
    out: set[str] = set()
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(t.scope.c.client_id).where(
            t.scope.c.user_id == user_id, _among(conn, t.scope.c.client_id, ids[start : start + 2000])
        )
        out.update(conn.execute(stmt).scalars())
    return out


def former_marks(conn: Connection, user_id: str, client_ids: list[str]) -> dict[str, tuple[int, int | None]]:
    """client -> (wall clock ms, sequence) of the change that took it from the user."""
    out: dict[str, tuple[int, int | None]] = {}
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(
            t.former_scope.c.client_id, t.former_scope.c.until_ms, t.former_scope.c.until_seq
        ).where(
            t.former_scope.c.user_id == user_id,
            _among(conn, t.former_scope.c.client_id, ids[start : start + 2000]),
        )
        out.update({r[0]: (r[1], r[2]) for r in conn.execute(stmt)})
    return out


def losses_seen(
    conn: Connection, user_id: str, device_id: str, client_ids: list[str]
) -> dict[str, dt.datetime]:
    """client -> when the server first served this device a pull after the user lost the client."""
    out: dict[str, dt.datetime] = {}
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(t.loss_seen.c.client_id, t.loss_seen.c.at).where(
            t.loss_seen.c.user_id == user_id,
            t.loss_seen.c.device_id == device_id,
            _among(conn, t.loss_seen.c.client_id, ids[start : start + 2000]),
        )
        for client_id, at in conn.execute(stmt):
            out[client_id] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return out


def record_losses_served(conn: Connection, user_id: str, device_id: str, upto: int) -> None:
    """A pull at sequence ``upto`` was served to this device: every scope loss of its user up to
    there is now known to it (the first serve is kept)."""
    seen = select(t.loss_seen.c.client_id).where(
        t.loss_seen.c.user_id == user_id, t.loss_seen.c.device_id == device_id
    )
    new = select(t.former_scope.c.client_id).where(
        t.former_scope.c.user_id == user_id,
        or_(t.former_scope.c.until_seq.is_(None), t.former_scope.c.until_seq <= upto),
        t.former_scope.c.client_id.not_in(seen),
    )
    clients = list(conn.execute(new).scalars())
    if clients:
        now = utcnow()
        conn.execute(
            insert(t.loss_seen),
            [{"client_id": c, "user_id": user_id, "device_id": device_id, "at": now} for c in clients],
        )


def scope_entries_of(conn: Connection, client_ids: list[str]) -> dict[str, set[str]]:
    """client -> the users who see it now."""
    out: dict[str, set[str]] = {c: set() for c in client_ids}
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 2000):
        stmt = select(t.scope.c.client_id, t.scope.c.user_id).where(
            _among(conn, t.scope.c.client_id, ids[start : start + 2000])
        )
        for client_id, user_id in conn.execute(stmt):
            out[client_id].add(user_id)
    return out


def apply_scopes(
    conn: Connection, scopes: dict[str, set[tuple[str, str]]], seqs: dict[str, int | None], now_ms: int
) -> None:
    """Set the scope rows of these clients (client -> {(user, kind)}); users who lose one keep a
    grace mark for older edits (the time and the sequence ``seqs[client]`` of the change that
    took it away, which must be final); users who regain one lose their mark."""
    if not scopes:
        return
    clients = sorted(scopes)
    before = scope_entries_of(conn, clients)
    for start in range(0, len(clients), 2000):
        conn.execute(delete(t.scope).where(_among(conn, t.scope.c.client_id, clients[start : start + 2000])))
    rows = [{"client_id": c, "user_id": u, "kind": k} for c in clients for u, k in sorted(scopes[c])]
    _bulk_insert(conn, t.scope, ("client_id", "user_id", "kind"), rows)
    lost, regained = [], []
    for c in clients:
        after = {u for u, _k in scopes[c]}
        lost += [(c, u) for u in sorted(before[c] - after)]
        regained += [(c, u) for u in sorted(after - before[c])]
    fresh = [c for c in clients if not before[c]]  # nobody saw them: marks only if everyone lost them
    marked = (
        set().union(*(_marked(conn, fresh[i : i + 2000]) for i in range(0, len(fresh), 2000)))
        if fresh
        else set()
    )
    pairs = [(c, u) for c, u in lost + regained if before[c] or c in marked]
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        conn.execute(
            delete(t.former_scope).where(
                tuple_(t.former_scope.c.client_id, t.former_scope.c.user_id).in_(chunk)
            )
        )
        conn.execute(
            delete(t.loss_seen).where(tuple_(t.loss_seen.c.client_id, t.loss_seen.c.user_id).in_(chunk))
        )
    _bulk_insert(
        conn,
        t.former_scope,
        ("client_id", "user_id", "until_ms", "until_seq"),
        [{"client_id": c, "user_id": u, "until_ms": now_ms, "until_seq": seqs.get(c)} for c, u in lost],
    )


def _marked(conn: Connection, client_ids: list[str]) -> set[str]:
    """Clients with any scope-loss mark (a client nobody has seen yet has none)."""
    stmt = (
        select(t.former_scope.c.client_id)
        .where(_among(conn, t.former_scope.c.client_id, client_ids))
        .distinct()
    )
    return set(conn.execute(stmt).scalars())


def replace_scope(
    conn: Connection, client_id: str, entries: set[tuple[str, str]], now_ms: int, seq: int | None = None
) -> None:
    """:func:`apply_scopes` for one client."""
    apply_scopes(conn, {client_id: entries}, {client_id: seq}, now_ms)


# -- batches -----------------------------------------------------------------------------------
def stored_batch(conn: Connection, device_id: str, batch_id: str) -> dict[str, Any] | None:
    stmt = select(t.batches.c.result).where(
        t.batches.c.device_id == device_id, t.batches.c.batch_id == batch_id
    )
    return conn.execute(stmt).scalar()


def store_batch(conn: Connection, device_id: str, batch_id: str, result: dict[str, Any]) -> None:
    conn.execute(
        insert(t.batches).values(device_id=device_id, batch_id=batch_id, result=result, created_at=utcnow())
    )


# -- history and audit -------------------------------------------------------------------------
_HISTORY_COLUMNS = (
    "seq",
    "entity",
    "row_id",
    "client_id",
    "field",
    "old",
    "new",
    "user_id",
    "device_id",
    "at",
    "hidden",
)


def add_history(conn: Connection, entries: list[dict[str, Any]], *, returning: bool = False) -> list[int]:
    if not entries:
        return []
    if returning:
        return list(conn.execute(insert(t.history).returning(t.history.c.id), entries).scalars())
    _bulk_insert(conn, t.history, _HISTORY_COLUMNS, entries)
    return []


def history_of(
    conn: Connection, client_id: str, field: str | None, limit: int = 1000
) -> list[dict[str, Any]]:
    stmt = (
        select(t.history, t.users.c.username)
        .select_from(t.history.outerjoin(t.users, t.users.c.id == t.history.c.user_id))
        .where(t.history.c.client_id == client_id)
    )
    if field:
        stmt = stmt.where(t.history.c.field == field)
    stmt = stmt.order_by(t.history.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def audit(
    conn: Connection, action: str, *, user_id: str | None = None, address: str | None = None, **detail: Any
) -> None:
    conn.execute(
        insert(t.audit).values(at=utcnow(), user_id=user_id, action=action, detail=detail, address=address)
    )


def audit_log(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    stmt = select(t.audit).order_by(t.audit.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]


# -- users, devices, tokens --------------------------------------------------------------------
def user_by_name(conn: Connection, username: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.users).where(t.users.c.username == username)).mappings().first()
    return dict(row) if row else None


def user_by_id(conn: Connection, user_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.users).where(t.users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def list_users(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(t.users).order_by(t.users.c.username)).mappings()]


def insert_user(conn: Connection, **values: Any) -> None:
    conn.execute(insert(t.users).values(**values))


def set_user_active(conn: Connection, user_id: str, active: bool) -> None:
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(active=active))


def device(conn: Connection, device_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.devices).where(t.devices.c.id == device_id)).mappings().first()
    return dict(row) if row else None


def upsert_device(conn: Connection, device_id: str, user_id: str, name: str) -> None:
    now = utcnow()
    if device(conn, device_id) is None:
        conn.execute(
            insert(t.devices).values(
                id=device_id,
                user_id=user_id,
                name=name,
                created_at=now,
                last_seen=now,
                first_seq=select(t.counter.c.seq).where(t.counter.c.id == 1).scalar_subquery(),
            )
        )
    else:
        conn.execute(
            update(t.devices)
            .where(t.devices.c.id == device_id)
            .values(user_id=user_id, last_seen=now, name=name or t.devices.c.name)
        )


def device_first_seq(conn: Connection, device_id: str) -> int | None:
    return conn.execute(select(t.devices.c.first_seq).where(t.devices.c.id == device_id)).scalar()


def list_devices(conn: Connection) -> list[dict[str, Any]]:
    stmt = select(t.devices, t.users.c.username).select_from(
        t.devices.outerjoin(t.users, t.users.c.id == t.devices.c.user_id)
    )
    return [dict(r) for r in conn.execute(stmt.order_by(t.devices.c.created_at)).mappings()]


def revoke_devices(conn: Connection, *, device_id: str | None = None, user_id: str | None = None) -> int:
    now = utcnow()
    cond = t.devices.c.id == device_id if device_id else t.devices.c.user_id == user_id
    n = conn.execute(
        update(t.devices).where(cond, t.devices.c.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount
    tcond = t.tokens.c.device_id == device_id if device_id else t.tokens.c.user_id == user_id
    conn.execute(update(t.tokens).where(tcond, t.tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    return n


#: Built once (every request runs it; a statement built per call cost more than the query).
_TOKEN_HOLDER = (
    select(
        t.tokens.c.kind,
        t.tokens.c.user_id,
        t.tokens.c.device_id,
        t.tokens.c.expires_at,
        t.tokens.c.revoked_at,
        t.devices.c.id.label("device_found"),
        t.devices.c.revoked_at.label("device_revoked_at"),
        t.users.c.username,
        t.users.c.role,
        t.users.c.active,
    )
    .select_from(
        t.tokens.outerjoin(t.devices, t.devices.c.id == t.tokens.c.device_id).outerjoin(
            t.users, t.users.c.id == t.tokens.c.user_id
        )
    )
    .where(t.tokens.c.token_hash == bindparam("token_hash"))
)


def token_holder(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """A token with its device's revocation and its user (every request checks all three: one
    query rather than three)."""
    row = conn.execute(_TOKEN_HOLDER, {"token_hash": token_hash}).mappings().first()
    return dict(row) if row else None
