"""What a pull reads: the records changed in a window of sequence numbers, in a user's scope, as rows
or (PostgreSQL) as wire items joined by the database; page marks and snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Text, cast, func, or_, select

from .. import tables as t

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


def _not_written_by(device: str | None) -> ColumnElement[bool]:
    return t.records.c.writer.is_distinct_from(device)


def changes(
    conn: Connection,
    *,
    after: int,
    upto: int,
    user_id: str | None,
    limit: int,
    skip_device: str | None = None,
) -> Sequence[Row[Any]]:
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
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur:  # psycopg, in this transaction
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
            def load(self, data: Any) -> bytes:
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


def snapshot(
    conn: Connection, *, clients: list[str], upto: int, after: str | None, limit: int
) -> Sequence[Row[Any]]:
    stmt = select(*WIRE_COLUMNS).where(
        t.records.c.client_id.in_(clients), t.records.c.seq <= upto, t.records.c.deleted.is_(False)
    )
    if after:
        stmt = stmt.where(t.records.c.id > after)
    stmt = stmt.order_by(t.records.c.id).limit(limit)
    return conn.execute(stmt).all()


def scope_snapshot(
    conn: Connection, *, user_id: str | None, upto: int, after: str | None, limit: int
) -> Sequence[Row[Any]]:
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
