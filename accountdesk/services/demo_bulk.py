"""Fast, deterministic bulk writing for the demo generator.

Rows are buffered per table and written with SQLAlchemy Core ``insert()`` as one executemany per
table and flush, inside the caller's write transaction. Each row gets its outbox entry (op
``create``, every field encoded with :func:`accountdesk.sync.codec.encode_value`), exactly as
:class:`accountdesk.sync.changes.ChangeWriter` would write it, only without the ORM.

Speed: values are converted to their SQLite storage form here, once, with the same formats
SQLAlchemy's SQLite dialect uses (``YYYY-MM-DD HH:MM:SS.ffffff`` naive UTC for datetimes,
ISO dates, ``json.dumps`` for JSON, 0/1 for booleans), and the statement is built over a
lightweight ``table()`` whose columns carry no type, so no per-value bind processing happens.
``tests/test_demo.py`` checks that the stored text is what the ORM writes and reads back.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .. import SCHEMA_VERSION
from ..models import OutboxEntry, SyncMixin
from ..sync.clock import HLC, MAX_COUNTER
from ..sync.codec import column_kind

#: Columns a create entry leaves out (as ChangeWriter.create does).
_NOT_IN_ENTRY = frozenset({"id", "server_seq", "updated_at", "updated_by", "deleted_at"})
_UTC = dt.UTC


def db_datetime(value: dt.datetime) -> str:
    """The SQLite storage text of a datetime column (naive UTC, microseconds), as the ORM writes it."""
    if value.tzinfo is not None:
        value = value.astimezone(_UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


_dumps = json.dumps  # SQLAlchemy's default JSON serialiser
_ENTRY_COLUMNS = [
    "entity", "row_id", "client_id", "op", "fields", "old_values", "hlc", "base_seq", "schema_version",
    "user_id", "created_at", "batch_id", "status", "reject_reason",
]


class _Buffer:
    """One table: its column order, per-kind column positions and the rows waiting."""

    def __init__(self, model: type[SyncMixin], dialect) -> None:
        self.model = model
        self.entity = model.__entity__
        self.defaults: list[tuple[str, Any]] = []
        self.entry: list[tuple[str, int]] = []  # (key, position) of the fields a create entry carries
        self.datetimes: list[tuple[int, str, bool]] = []  # (position, key, in entry)
        self.dates: list[tuple[int, str, bool]] = []
        self.jsons: list[int] = []
        self.bools: list[int] = []
        for i, col in enumerate(model.__table__.columns):
            kind = column_kind(model, col.key)
            default = None
            if col.default is not None:
                if col.default.is_scalar:
                    default = col.default.arg
                elif kind == "json":
                    default = []
            self.defaults.append((col.key, default))
            in_entry = col.key not in _NOT_IN_ENTRY
            if in_entry:
                self.entry.append((col.key, i))
            if kind == "datetime":
                self.datetimes.append((i, col.key, in_entry))
            elif kind == "date":
                self.dates.append((i, col.key, in_entry))
            elif kind == "json":
                self.jsons.append(i)
            elif kind == "bool":
                self.bools.append(i)
        # Core builds the statement (every column, in table order); rows go in as tuples.
        self.sql = str(insert(model.__table__).compile(dialect=dialect))
        self.rows: list[tuple[Any, ...]] = []


class BulkWriter:
    """Buffers new rows with their outbox entries; :meth:`flush` writes what is buffered.

    ``ids``: ids are UUIDv7-shaped (48-bit milliseconds from ``id_base``, a 12-bit counter in
    ``rand_a`` as RFC 9562 allows, 62 random bits from the seeded ``id_rng``), so they are
    deterministic for a seed and increase in creation order, keeping B-tree inserts at the end.

    ``hlc_start``: the first clock value (from the device clock); the writer counts on from it
    as the device clock itself would, and :attr:`last_hlc` tells the caller where it ended so the
    device clock can be advanced past it.
    """

    def __init__(
        self,
        session: Session,
        *,
        user_id: str | None,
        hlc_start: HLC,
        entry_created_at: dt.datetime,
        id_rng: random.Random,
        id_base: dt.datetime,
    ) -> None:
        self.session = session
        self.user_id = user_id
        self.node = hlc_start.node
        self._wall = hlc_start.wall_ms
        self._counter = hlc_start.counter - 1
        self._entry_created_at = db_datetime(entry_created_at)
        self._id_bits = id_rng.getrandbits
        self._id_ms = int(id_base.timestamp() * 1000)
        self._id_n = 0
        self._buffers: dict[type[SyncMixin], _Buffer] = {}
        self._entries: list[dict[str, Any]] = []
        self._dialect = session.get_bind().dialect
        self._outbox_sql = str(insert(OutboxEntry.__table__).compile(dialect=self._dialect, column_keys=_ENTRY_COLUMNS))
        self.counts: Counter[str] = Counter()
        self.entries_written = 0

    # -- ids and clocks ---------------------------------------------------------------------
    def new_id(self) -> str:
        n = self._id_n
        self._id_n = n + 1
        value = ((self._id_ms + (n >> 12)) << 80) | (0x7 << 76) | ((n & 0xFFF) << 64) | (0b10 << 62) | self._id_bits(62)
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _next_hlc(self) -> str:
        counter = self._counter + 1
        if counter > MAX_COUNTER:  # as HybridClock.now(): borrow a millisecond
            self._wall += 1
            counter = 0
        self._counter = counter
        return f"{self._wall:016d}-{counter:05d}-{self.node}"

    @property
    def last_hlc(self) -> HLC:
        return HLC(self._wall, max(self._counter, 0), self.node)

    # -- rows -------------------------------------------------------------------------------
    def add(
        self,
        model: type[SyncMixin],
        values: dict[str, Any],
        *,
        client_id: str | None,
        created_at: dt.datetime,
        row_id: str | None = None,
    ) -> str:
        """Buffer one new row (``values``: its data columns as Python values); returns its id."""
        buf = self._buffers.get(model)
        if buf is None:
            buf = self._buffers[model] = _Buffer(model, self._dialect)
        row_id = row_id or self.new_id()
        hlc = self._next_hlc()
        full = dict(values)
        full["id"] = row_id
        full["client_id"] = client_id
        full["created_at"] = created_at
        full["created_by"] = self.user_id
        full["updated_at"] = hlc
        full["updated_by"] = self.user_id
        get = full.get
        vals = [get(k, d) for k, d in buf.defaults]
        fields = {k: vals[i] for k, i in buf.entry}
        # storage text as SQLAlchemy's SQLite types write it; wire text as codec.encode_value
        for i, key, in_entry in buf.datetimes:
            v = vals[i]
            if v is not None:
                naive = v.replace(tzinfo=None) if v.tzinfo is _UTC else v.astimezone(_UTC).replace(tzinfo=None)
                vals[i] = naive.isoformat(" ", "microseconds")
                if in_entry:
                    fields[key] = naive.isoformat() + "Z"
        for i, key, in_entry in buf.dates:
            v = vals[i]
            if v is not None:
                vals[i] = text = v.isoformat()
                if in_entry:
                    fields[key] = text
        for i in buf.jsons:
            vals[i] = _dumps(vals[i])
        for i in buf.bools:
            v = vals[i]
            if v is not None:
                vals[i] = 1 if v else 0
        buf.rows.append(tuple(vals))
        self._entries.append(
            (buf.entity, row_id, client_id, "create", _dumps(fields), "{}", hlc, None, SCHEMA_VERSION,
             self.user_id, self._entry_created_at, None, "pending", None)
        )
        self.counts[buf.entity] += 1
        return row_id

    def flush(self) -> None:
        """Write every buffered row and entry (one executemany per table)."""
        conn = self.session.connection()
        for buf in self._buffers.values():
            if buf.rows:
                conn.exec_driver_sql(buf.sql, buf.rows)
                buf.rows = []
        if self._entries:
            conn.exec_driver_sql(self._outbox_sql, self._entries)
            self.entries_written += len(self._entries)
            self._entries = []
