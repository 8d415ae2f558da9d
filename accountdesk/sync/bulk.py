"""Fast bulk writing of new rows: the demo generator (deterministic) and large imports.

Rows are buffered per table and written, inside the caller's write transaction, with one
executemany per table and flush of the statement SQLAlchemy Core compiles for ``insert()`` of the
model's table. Every row gets its outbox entry (op ``create``) in the same transaction, carrying
what :class:`accountdesk.sync.changes.ChangeWriter` would put there: every field but the
sync bookkeeping, encoded as :func:`accountdesk.sync.codec.encode_value` encodes it, the row's
clock value, the schema version and the acting user.

Speed, and why it is still the same data:

- values are converted once to their SQLite storage form, with the formats SQLAlchemy's SQLite
  types write (``YYYY-MM-DD HH:MM:SS.ffffff`` naive UTC for datetimes, ISO dates, ``json.dumps``
  for JSON, 0/1 for booleans), and handed to the driver as plain sequences: no per-value bind
  processing;
- the entries of a table's new rows are made by one ``INSERT INTO outbox ... SELECT`` over those
  rows, whose ``json_object()`` renders each field as the codec does (ISO 8601 with ``Z`` for
  datetimes, ISO dates, ``true``/``false``, JSON columns as JSON): SQLite builds the JSON instead of
  Python, in rowid order, so ``seq`` order is clock order.

``tests/test_demo.py`` reads every row back through the ORM and checks that its entry's fields
equal ``encode_value`` of the row's values, and that the stored text is what the services store.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import random
import time
from collections import Counter
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlalchemy.orm import Session

from .. import SCHEMA_VERSION
from ..models import OutboxEntry, SyncMixin
from .clock import HLC, MAX_COUNTER
from .codec import column_kind, sqlite_bool, sqlite_date, sqlite_datetime

#: Columns a create entry leaves out (as ChangeWriter.create does).
_NOT_IN_ENTRY = frozenset({"id", "server_seq", "updated_at", "updated_by", "deleted_at"})
_dumps = json.JSONEncoder().encode  # what json.dumps() (SQLAlchemy's JSON serialiser) gives
_ENTRY_COLUMNS = (
    "entity",
    "row_id",
    "client_id",
    "op",
    "fields",
    "old_values",
    "hlc",
    "base_seq",
    "schema_version",
    "user_id",
    "created_at",
    "batch_id",
    "status",
    "reject_reason",
)


#: The SQLite storage text of a datetime column (naive UTC, microseconds), as the ORM writes it.
db_datetime = sqlite_datetime


def _wire_sql(column: str, kind: str) -> str:
    """SQL giving the wire (codec) form of a stored column for ``json_object()``."""
    if kind == "datetime":  # '2026-03-16 09:00:00.000000' -> '2026-03-16T09:00:00Z'
        return (
            f"CASE WHEN {column} IS NULL THEN NULL "
            f"WHEN substr({column}, 20) = '.000000' THEN substr({column}, 1, 10) || 'T' || substr({column}, 12, 8) || 'Z' "
            f"ELSE substr({column}, 1, 10) || 'T' || substr({column}, 12) || 'Z' END"
        )
    if kind == "bool":
        return f"json(CASE {column} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)"
    if kind == "json":
        return f"json({column})"
    return column  # text (dates are ISO text already), integers, reals, NULL


class _Buffer:
    """One table: its column order, per-kind column positions, statements and the rows waiting."""

    def __init__(self, model: type[SyncMixin], dialect: Dialect) -> None:
        table = model.__table__
        assert isinstance(table, Table)
        self.model = model
        self.entity = model.__entity__
        self.table = table.name
        self.defaults: list[tuple[str, Any]] = []
        self.datetimes: list[int] = []
        self.dates: list[int] = []
        self.jsons: list[int] = []
        self.bools: list[int] = []
        pairs: list[str] = []
        for i, col in enumerate(table.columns):
            kind = column_kind(model, col.key)
            default = None
            if col.default is not None:
                if col.default.is_scalar:
                    default = col.default.arg
                elif kind == "json":
                    default = []
            self.defaults.append((col.key, default))
            if col.key not in _NOT_IN_ENTRY:
                pairs.append(f"'{col.key}', {_wire_sql(col.name, kind)}")
            if kind == "datetime":
                self.datetimes.append(i)
            elif kind == "date":
                self.dates.append(i)
            elif kind == "json":
                self.jsons.append(i)
            elif kind == "bool":
                self.bools.append(i)
        keys = [c.key for c in table.columns]
        self.hlc_index = keys.index("updated_at")
        #: every column with its default: merged under a row's values, then read out in order (C speed)
        self.default_row = dict(self.defaults)
        self.in_order = operator.itemgetter(*keys)
        # Core compiles the INSERT of every column in table order; rows go in as sequences
        self.sql = str(insert(table).compile(dialect=dialect))
        self.entries_sql = (
            f"INSERT INTO {OutboxEntry.__tablename__} ({', '.join(_ENTRY_COLUMNS)}) "
            f"SELECT ?, id, client_id, 'create', json_object({', '.join(pairs)}), '{{}}', updated_at, NULL, ?, ?, ?, "
            f"NULL, 'pending', NULL FROM {self.table} WHERE rowid > ? ORDER BY rowid"
        )
        self.rows: list[list[Any]] = []


class BulkWriter:
    """Buffers new rows; :meth:`flush` writes them with their outbox entries.

    ``ids``: ids are UUIDv7-shaped (48-bit milliseconds from ``id_base``, a 12-bit counter in
    ``rand_a`` as RFC 9562 allows, 62 random bits from the seeded ``id_rng``), so they are
    deterministic for a seed and increase in creation order, keeping B-tree inserts at the end.
    (An import passes :class:`random.SystemRandom` and the time of the import: ordinary v7 ids.)

    ``hlc_start``: the first clock value (from the device clock). Each row gets the next value as
    it is written, counted on as the device clock itself counts (:meth:`HybridClock.now` within
    one millisecond); :attr:`last_hlc` tells the caller where it ended so that the device clock
    can be moved past it.
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
        self._dialect = session.get_bind().dialect
        self._buffers: dict[type[SyncMixin], _Buffer] = {}
        self._datetime_texts: dict[dt.datetime, str] = {}
        self.counts: Counter[str] = Counter()
        self.entries_written = 0
        #: When a Counter, flush() adds the CPU seconds spent writing each table's rows (key: entity)
        #: and their outbox entries (key: "outbox:" + entity) — for benchmarks.
        self.timings: dict[str, float] | None = None

    # -- ids and clocks ---------------------------------------------------------------------
    def new_id(self) -> str:
        n = self._id_n
        self._id_n = n + 1
        value = (
            ((self._id_ms + (n >> 12)) << 80)
            | (0x7 << 76)
            | ((n & 0xFFF) << 64)
            | (0b10 << 62)
            | self._id_bits(62)
        )
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
        """Buffer one new row (``values``: its data columns as Python values; the dict is used
        up); returns its id."""
        buf = self._buffers.get(model)
        if buf is None:
            buf = self._buffers[model] = _Buffer(model, self._dialect)
        row_id = row_id or self.new_id()
        values["id"] = row_id
        values["client_id"] = client_id
        values["created_at"] = created_at
        values["created_by"] = values["updated_by"] = self.user_id
        row = list(buf.in_order(buf.default_row | values))
        texts = self._datetime_texts
        for i in buf.datetimes:
            v = row[i]
            if v is not None:
                text = texts.get(v)  # the same times recur across clients: convert each once
                if text is None:
                    text = texts[v] = db_datetime(v)
                row[i] = text
        for i in buf.dates:
            v = row[i]
            if v is not None:
                row[i] = sqlite_date(v)
        for i in buf.jsons:
            row[i] = _dumps(row[i])
        for i in buf.bools:
            v = row[i]
            if v is not None:
                row[i] = sqlite_bool(v)
        buf.rows.append(row)
        self.counts[buf.entity] += 1
        return row_id

    def flush(self) -> None:
        """Write what is buffered: per table, the rows (clock values given now, in order) and then
        their outbox entries."""
        conn = self.session.connection()
        for buf in self._buffers.values():
            rows = buf.rows
            if not rows:
                continue
            i = buf.hlc_index
            for row in rows:
                row[i] = self._next_hlc()
            started = time.process_time()
            last_rowid = conn.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {buf.table}").scalar()
            conn.exec_driver_sql(buf.sql, [tuple(row) for row in rows])
            written = time.process_time()
            conn.exec_driver_sql(
                buf.entries_sql,
                (buf.entity, SCHEMA_VERSION, self.user_id, self._entry_created_at, last_rowid),
            )
            if self.timings is not None:
                self.timings[buf.entity] = self.timings.get(buf.entity, 0.0) + written - started
                key = "outbox:" + buf.entity
                self.timings[key] = self.timings.get(key, 0.0) + time.process_time() - written
            self.entries_written += len(rows)
            buf.rows = []
