"""JSON encoding of column values, shared by the outbox, the wire protocol and the server.

Dates are ISO ``YYYY-MM-DD``; datetimes ISO 8601 in UTC with a ``Z``; JSON columns as is.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric

from ..models import SyncMixin
from ..models.base import UTCDateTime


def encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@cache
def _kinds(model: type[SyncMixin]) -> dict[str, str]:
    kinds = {}
    for col in model.__table__.columns:
        t = col.type
        if isinstance(t, (UTCDateTime, DateTime)):
            kinds[col.key] = "datetime"
        elif isinstance(t, Date):
            kinds[col.key] = "date"
        elif isinstance(t, Boolean):
            kinds[col.key] = "bool"
        elif isinstance(t, Integer):
            kinds[col.key] = "int"
        elif isinstance(t, (Float, Numeric)):
            kinds[col.key] = "float"
        elif isinstance(t, JSON):
            kinds[col.key] = "json"
        else:
            kinds[col.key] = "str"
    return kinds


def column_kind(model: type[SyncMixin], field: str) -> str:
    return _kinds(model)[field]


def decode_value(model: type[SyncMixin], field: str, value: Any) -> Any:
    """Turn a wire value back into the Python value of the column (raises ValueError if bad)."""
    if value is None:
        return None
    kind = _kinds(model).get(field)
    if kind is None:
        raise ValueError(f"unknown field {field!r} of {model.__entity__}")
    if kind == "datetime":
        if isinstance(value, dt.datetime):
            return value
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if kind == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise ValueError(f"{field}: expected true or false")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{field}: expected an integer")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{field}: expected a number")
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"{field}: expected text")
        return value
    return value


def row_to_wire(row: SyncMixin, fields: list[str] | None = None) -> dict[str, Any]:
    """The wire form of a row's columns (all of them, or ``fields``), without ``server_seq``."""
    names = fields or [c.key for c in row.__table__.columns if c.key != "server_seq"]
    return {name: encode_value(getattr(row, name)) for name in names}
