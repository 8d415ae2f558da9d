"""Helpers the repositories share: the clock, ``column IN ids`` with one parameter, and bulk inserts."""

from __future__ import annotations

import datetime as dt
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def among(conn: Connection, column: ColumnElement[Any], ids: list[str]) -> ColumnElement[bool]:
    """``column IN ids`` with one parameter whatever the number of ids: an array on PostgreSQL,
    a JSON list on SQLite (a thousand-parameter IN list cost more to build than the query)."""
    if conn.dialect.name == "postgresql":
        joined = ",".join(ids)
        if ids and joined.count(",") == len(ids) - 1:  # no id holds a comma (ids never do)
            # one text parameter split by the server: psycopg dumps a list of a thousand
            # strings in Python, a string in one step
            return column == any_(
                func.string_to_array(bindparam(None, joined, type_=String, unique=True), ",")
            )
        return column == any_(bindparam(None, ids, type_=ARRAY(String), unique=True))
    return column.in_(
        select(literal_column("value")).select_from(
            func.json_each(bindparam(None, orjson.dumps(ids).decode(), unique=True))
        )
    )


JSON_COLUMNS = frozenset({"data", "clocks", "hidden", "old", "new"})
#: Below this many rows a plain INSERT; above, PostgreSQL's COPY (a join brings batches of a
#: thousand new records: one statement instead of a thousand round trips).
COPY_FROM = 20


def bulk_insert(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Insert many rows as fast as each database allows: COPY on PostgreSQL, the driver's own
    executemany on SQLite (values were checked before: JSON is serialised here with orjson)."""
    if not rows:
        return
    raw: Any = conn.connection.driver_connection
    names = ", ".join(columns)
    json_at = [i for i, c in enumerate(columns) if c in JSON_COLUMNS]

    get = itemgetter(*columns) if len(columns) > 1 else None
    dumps = orjson.dumps

    def values(row: dict[str, Any]) -> list[Any]:
        try:  # (rows built by the merge carry every column: one C call)
            out = list(get(row)) if get is not None else [row[columns[0]]]
        except KeyError:
            out = [row.get(c) for c in columns]
        for i in json_at:
            out[i] = dumps(out[i]).decode()
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
