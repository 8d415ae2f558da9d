"""Column values in their three forms, converted here and nowhere else.

- **Python** (what the ORM holds): ``datetime`` (aware, UTC), ``date``, ``bool``, numbers, text,
  JSON structures.
- **Wire** (outbox, sync protocol, server; :func:`encode_value` / :func:`decode_value`): dates
  ISO ``YYYY-MM-DD``; datetimes ISO 8601 in UTC with a ``Z``; JSON columns as is.
- **SQLite storage** (what SQLAlchemy's SQLite types write, for the writers that bypass the ORM
  for speed — applying pulled rows and the bulk writer of the demo and imports): datetimes naive
  UTC ``YYYY-MM-DD HH:MM:SS.ffffff``, ISO dates, 0/1 for booleans, JSON text
  (:data:`STORAGE` maps a column kind to its converter).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson
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


_KINDS: dict[type[SyncMixin], dict[str, str]] = {}


def _kinds(model: type[SyncMixin]) -> dict[str, str]:
    """Column key -> kind (datetime, date, bool, int, float, json, str), computed once per model."""
    known = _KINDS.get(model)
    if known is not None:
        return known
    kinds: dict[str, str] = {}
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
    _KINDS[model] = kinds
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


# -- SQLite storage form ---------------------------------------------------------------------


def sqlite_datetime(value: Any) -> str:
    """A datetime (a ``datetime`` or its wire text, ISO 8601) as SQLAlchemy stores it in SQLite:
    naive UTC text with microseconds. Raises ValueError for text that is no datetime."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = str(value)
        if text[-1:] == "Z" and text[10:11] == "T":  # the wire's own shapes, without parsing
            if len(text) == 27:  # 2026-03-01T09:05:07.000123Z
                return f"{text[:10]} {text[11:26]}"
            if len(text) == 20:  # 2026-03-01T09:05:07Z
                return f"{text[:10]} {text[11:19]}.000000"
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.isoformat(" ", "microseconds")


def sqlite_date(value: Any) -> str:
    """A date (a ``date`` or wire text; a datetime sent for a date gives its date) as ISO text.
    Raises ValueError for text that is no date."""
    if type(value) is dt.date:
        return value.isoformat()
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-" and value.isascii():
        dt.date.fromisoformat(value)  # a valid YYYY-MM-DD is its own ISO form
        return value
    return dt.date.fromisoformat(str(value)[:10]).isoformat()


def sqlite_bool(value: Any) -> int:
    return 1 if value else 0


def sqlite_json(value: Any) -> str:
    """JSON text of a JSON column (compact; what orjson cannot write, json can: huge integers)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


#: column kind (:func:`column_kind`) -> its converter to the SQLite storage form
STORAGE = {"datetime": sqlite_datetime, "date": sqlite_date, "bool": sqlite_bool, "json": sqlite_json}


def row_to_wire(row: SyncMixin, fields: list[str] | None = None) -> dict[str, Any]:
    """The wire form of a row's columns (all of them, or ``fields``), without ``server_seq``."""
    names = fields or [c.key for c in row.__table__.columns if c.key != "server_seq"]
    return {name: encode_value(getattr(row, name)) for name in names}
