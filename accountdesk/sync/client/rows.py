"""Applying pulled rows to the store: new rows straight from their wire values, known rows field by field
(a pending local edit keeps its value), and the push's answers (what this device now holds as is)."""

from __future__ import annotations

from collections.abc import Callable, Container
from itertools import repeat
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...i18n import _
from ...models import ENTITIES, OutboxEntry, SyncMixin, User, per_model, utcnow
from ..codec import STORAGE, column_kind, decode_value, sqlite_date, sqlite_datetime
from .base import MAX_AHEAD_MS, SyncError, log
from .core import EngineCore
from .membership import _drop_local_users


def _insert_params(model: type[SyncMixin], item: dict[str, Any]) -> list[Any] | None:
    """The parameters of one new row, straight from its wire values (no ORM objects: initial
    syncs bring tens of thousands of rows); None for a tombstone or a malformed row."""
    if item.get("deleted"):
        return None
    hidden = item.get("hidden")
    try:
        if hidden:  # stripped confidential fields: blanks where the column may not be null
            data = dict(item["data"])
            for key in hidden:
                if data.get(key) is None and key in _columns(model):
                    data[key] = _blank(model, key)
            item = {**item, "data": data}
        return _row_builder(model)(item)
    except (ValueError, TypeError):
        log.warning("ignored a malformed %s %s", item["entity"], item["id"])
        return None


@per_model
def _row_builder(model: type[SyncMixin]) -> Callable[[dict[str, Any]], list[Any]]:
    """A function made for ``model`` that turns a wire item into its INSERT parameters in one
    expression (a generic loop over the columns was most of the Python work of an initial sync,
    52,000 rows): each value read from the item's data and, where the column needs it, converted
    for SQLite; ``created_at`` defaults to now; ``id`` and ``server_seq`` come from the item."""
    keys, _index, convert = _insert_plan(model)
    conversions = dict(convert)
    names: dict[Callable[[Any], Any], str] = {}
    parts: list[str] = []
    for i, key in enumerate(keys):
        if key == "id":
            parts.append('item["id"]')
        elif key == "server_seq":
            parts.append('item["seq"]')
        elif i in conversions:
            fn = names.setdefault(conversions[i], f"_c{len(names)}")
            default = f"{fn}(_now())" if key == "created_at" else "None"
            parts.append(f"({default} if (v := g({key!r})) is None else {fn}(v))")
        elif key == "created_at":
            parts.append(f"(_now() if (v := g({key!r})) is None else v)")
        else:
            parts.append(f"g({key!r})")
    source = "def build(item):\n    g = item['data'].get\n    return [" + ", ".join(parts) + "]\n"
    scope: dict[str, Any] = {fn_name: fn for fn, fn_name in names.items()}
    scope["_now"] = lambda: utcnow().isoformat()
    exec(compile(source, f"<insert parameters of {model.__tablename__}>", "exec"), scope)  # noqa: S102 - our own columns
    build: Callable[[dict[str, Any]], list[Any]] = scope["build"]  # (made by the exec above)
    return build


# the storage converters, under the names the tests know
_wire_date = sqlite_date
_wire_datetime = sqlite_datetime
_CONVERT = STORAGE


@per_model
def _insert_plan(
    model: type[SyncMixin],
) -> tuple[tuple[str, ...], dict[str, int], tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """Column keys in insert order, their positions, and the positions whose wire value needs
    converting for SQLite with the function that does it."""
    _sql, cols = _insert_sql(model)
    keys = tuple(key for key, _kind in cols)
    convert = tuple(
        (i, _CONVERT[kind])
        for i, (key, kind) in enumerate(cols)
        if kind in _CONVERT and key not in ("id", "server_seq")
    )
    return keys, {key: i for i, key in enumerate(keys)}, convert


@per_model
def _insert_sql(model: type[SyncMixin]) -> tuple[str, tuple[tuple[str, str], ...]]:
    cols = tuple((c.key, column_kind(model, c.key)) for c in model.__table__.columns)
    names = ", ".join(f'"{c.name}"' for c in model.__table__.columns)
    marks = ", ".join("?" for _ in cols)
    return f'INSERT INTO "{model.__tablename__}" ({names}) VALUES ({marks})', cols


@per_model
def _typed(model: type[SyncMixin]) -> frozenset[str]:
    """Columns whose wire value needs decoding (dates, datetimes, numbers, flags); text and
    JSON columns are stored as they come (the server checked them when they were pushed)."""
    return frozenset(c for c in _columns(model) if column_kind(model, c) not in ("str", "json"))


@per_model
def _columns(model: type[SyncMixin]) -> frozenset[str]:
    return frozenset(c.key for c in model.__table__.columns) - {"id", "server_seq"}


def _blank(model: type[SyncMixin], name: str) -> Any:
    """What a stripped confidential field holds locally: null, or an empty value where the
    column may not be null."""
    column = model.__table__.columns[name]
    if column.nullable:
        return None
    kind = column_kind(model, name)
    return {"str": "", "int": 0, "float": 0.0, "bool": False, "json": []}.get(kind)


def _driver(session: Session) -> Any:
    """The DB-API connection under the session's: sqlite3's, or SQLCipher's (which has no type
    information), for the statements run straight on it."""
    raw = session.connection().connection.driver_connection
    assert raw is not None  # (the connection of a session in a transaction is never detached)
    return raw


def _record_current(session: Session, current: dict[str, list[tuple[int, str]]]) -> None:
    """Rows the server says this device now holds as they stand at a sequence (its pulls will
    not send them back): that sequence becomes their ``server_seq``, the base of the next edit."""
    conn = _driver(session)
    for entity, pairs in current.items():
        model = ENTITIES.get(entity)
        if model is None:
            continue
        conn.executemany(
            f'UPDATE "{model.__tablename__}" SET server_seq = ? WHERE id = ? '
            "AND (server_seq IS NULL OR server_seq < ?)",
            [(seq, rid, seq) for seq, rid in pairs],
        )


class RowsMixin(EngineCore):
    """The part of :class:`SyncEngine` that does this job (see the module docstring)."""

    def _apply(self, session: Session, items: list[dict[str, Any]]) -> int:
        """Apply pulled rows (wire items, see :func:`_items`); fields with a pending local edit
        keep the local value. Returns the number of new unresolved conflicts."""
        if not items:
            return 0
        try:
            return self._apply_items(session, items)
        except (KeyError, TypeError, AttributeError) as exc:
            raise SyncError(_("The server sent a malformed change.")) from exc

    def _apply_items(self, session: Session, items: list[dict[str, Any]]) -> int:
        by_model: dict[type[SyncMixin], list[dict[str, Any]]] = {}
        for item in items:
            model = ENTITIES.get(item["entity"])
            if model is not None:  # else written by a newer version: ignored until this one is updated
                by_model.setdefault(model, []).append(item)
        pending: dict[str, set[str]] = {}
        if (
            session.scalar(select(OutboxEntry.seq).where(OutboxEntry.status == "pending").limit(1))
            is not None
        ):
            for row_id, op, fields in session.execute(
                select(OutboxEntry.row_id, OutboxEntry.op, OutboxEntry.fields).where(
                    OutboxEntry.status == "pending", OutboxEntry.row_id.in_([i["id"] for i in items])
                )
            ):
                keep = pending.setdefault(row_id, set())
                keep.update(fields or {})
                if op == "delete":
                    keep.add("deleted_at")
        conflicts = 0
        newest = ""
        raw = session.connection()
        for model, group in by_model.items():
            # which rows are known, in one query; only those are loaded as objects
            known = [
                r[0]
                for r in raw.exec_driver_sql(
                    f'SELECT id FROM "{model.__tablename__}" WHERE id IN (SELECT value FROM json_each(?))',
                    (orjson.dumps([i["id"] for i in group]).decode(),),
                )
            ]
            existing: dict[str, SyncMixin] = {}
            for start in range(0, len(known), 500):
                for found in session.scalars(select(model).where(model.id.in_(known[start : start + 500]))):
                    existing[found.id] = found
            newest = max(newest, max(str(i["data"].get("updated_at") or "") for i in group))
            if model is User:
                for item in group:
                    _drop_local_users(session, item["data"].get("username"), item["id"])
            if not existing:  # all new (an initial sync): straight to parameters
                inserts = [
                    params for params in map(_insert_params, repeat(model), group) if params is not None
                ]
            else:
                inserts = []
                for item in group:
                    row = existing.get(item["id"])
                    if row is None:
                        params = _insert_params(model, item)
                        if params is not None:
                            inserts.append(params)
                    elif row.server_seq is None or row.server_seq < item["seq"]:
                        self._update_row(model, row, item, pending.get(item["id"], ()))
            if inserts:
                # straight to sqlite3, in this transaction (it takes lists; SQLAlchemy wants tuples)
                _driver(session).executemany(_insert_sql(model)[0], inserts)
                if model.__entity__ == "conflict":
                    resolved = _insert_plan(model)[1]["resolved_at"]
                    conflicts += sum(1 for params in inserts if params[resolved] is None)
        if newest:
            try:
                self.ctx.clock.observe(newest, max_ahead_ms=MAX_AHEAD_MS)
            except ValueError:
                pass
        return conflicts

    @staticmethod
    def _update_row(
        model: type[SyncMixin], row: SyncMixin, item: dict[str, Any], keep: Container[str]
    ) -> None:
        columns = _columns(model)
        typed = _typed(model)
        hidden = item.get("hidden") or ()
        for name, value in item["data"].items():
            if name not in columns or name in keep:
                continue
            if name in typed and value is not None:
                try:
                    value = decode_value(model, name, value)
                except ValueError:
                    log.warning("ignored a bad value of %s.%s", item["entity"], name)
                    continue
            if value is None and name in hidden:
                value = _blank(model, name)
            setattr(row, name, value)
        row.server_seq = item["seq"]

    # -- field history -------------------------------------------------------------------------
