"""Every pushed row is checked against the schema every laptop enforces, before anything is
written (docs/server.md, "What the server checks").

A value the server accepts must be storable by every laptop that will pull it: a laptop's
SQLite columns are typed and some are NOT NULL, its forms only offer the enum values of the
field schema (:mod:`accountdesk.domain.schema`), PostgreSQL refuses NUL characters and
unpaired surrogates, and a datetime whose conversion to UTC overflows cannot be stored at all.
So the server checks, per item and before the first write:

- field names: a data column of the entity (plus ``client_id``/``created_*`` on a create, and
  ``deleted_at`` = null to undelete); never a sync column;
- types by column (text, integer, number, flag, date, datetime, JSON);
- text: no NUL, no other control characters but tab and line breaks, no unpaired surrogates,
  at most the column's length (``String(n)``) or :data:`TEXT_MAX` characters;
- enums of the field schema (exact stored values), number ranges of the field schema;
- dates and datetimes within :data:`MIN_DATE`–:data:`MAX_DATE`, datetimes with their zone;
- ids of rows and users: a short plain token (:data:`ID_RE`);
- lists of ids or tags: lists of short plain strings; other JSON: at most :data:`JSON_DEPTH`
  deep and :data:`JSON_MAX_NODES` values;
- on a create: every required field present, and NOT NULL columns either given or filled with
  the column's default (a laptop leaves no NOT NULL column empty).

A refusal is a :class:`Rejected` with the code ``invalid`` and a reason that names the field
and the rule, never the value (values can be confidential and reasons reach logs).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric, String, Text

from ..domain.files import SHA256_RE, file_name_problem
from ..domain.schema import SCHEMAS, FieldSpec
from ..models import SYNC_COLUMNS, SyncMixin, per_model
from ..models.base import UTCDateTime
from ..sync import protocol as p

#: Longest free text (Text columns) a row may carry, in characters.
TEXT_MAX = 100_000
#: Oldest and newest date a row may carry (a laptop must be able to convert it to UTC and back).
MIN_DATE = dt.date(1800, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
#: Deepest nesting and most values of a JSON column.
JSON_DEPTH = 8
JSON_MAX_NODES = 10_000
#: Longest string inside a JSON column.
JSON_STR_MAX = 2_000
#: Row, client and user ids: device-made UUIDs (or, in older data, other plain tokens).
ID_RE = re.compile(r"[0-9A-Za-z_.:-]{1,36}")
#: A hybrid logical clock as devices write it: wall milliseconds, counter, node id.
HLC_RE = re.compile(r"(\d{1,16})-(\d{1,5})-([0-9A-Za-z_.]{1,40})")
#: Text a laptop can store: no NUL or other C0 controls but tab, LF and CR; no unpaired
#: surrogates (they cannot be encoded as UTF-8); no U+FFFE/U+FFFF non-characters.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Fields a device may send on a create besides the data columns.
CREATE_EXTRA = frozenset({"client_id", "created_at", "created_by"})
#: Sync columns a device may carry on a create (values checked, then replaced by the server's).
_ID_FIELDS = frozenset({"client_id", "created_by"})


class Rejected(Exception):
    """An item the server refuses: ``code`` (protocol ``R_*``) and an English reason."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def invalid(field: str, why: str) -> Rejected:
    return Rejected(p.R_INVALID, f"{field}: {why}")


def bad_text(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (None: it can)."""
    m = _BAD_TEXT.search(value)
    if m is None:
        return None
    ch = m.group()
    if ch == "\x00":
        return "contains a NUL character"
    if "\ud800" <= ch <= "\udfff":
        return "contains an unpaired surrogate"
    return "contains a control character"


def check_id(field: str, value: Any) -> str:
    if type(value) is not str or not ID_RE.fullmatch(value):
        raise invalid(field, "not a valid id")
    return value


def check_hlc(value: Any) -> tuple[int, int, str]:
    m = HLC_RE.fullmatch(value) if type(value) is str else None
    if m is None:
        raise invalid("hlc", "not a hybrid logical clock value")
    return int(m[1]), int(m[2]), m[3]


class Column:
    """What the server knows of one column of an entity."""

    __slots__ = ("name", "kind", "max_len", "nullable", "default", "spec")

    def __init__(
        self, name: str, kind: str, max_len: int | None, nullable: bool, default: Any, spec: FieldSpec | None
    ):
        self.name, self.kind, self.max_len, self.nullable, self.default, self.spec = (
            name,
            kind,
            max_len,
            nullable,
            default,
            spec,
        )


_NO_DEFAULT = object()


@per_model
def columns(model: type[SyncMixin]) -> dict[str, Column]:
    """Every column of ``model`` but ``id`` and ``server_seq``, with its kind and limits."""
    schema = SCHEMAS.get(model.__entity__, {})
    out: dict[str, Column] = {}
    for col in model.__table__.columns:
        if col.key in ("id", "server_seq"):
            continue
        t = col.type
        if isinstance(t, (UTCDateTime, DateTime)):
            kind = "datetime"
        elif isinstance(t, Date):
            kind = "date"
        elif isinstance(t, Boolean):
            kind = "bool"
        elif isinstance(t, Integer):
            kind = "int"
        elif isinstance(t, (Float, Numeric)):
            kind = "float"
        elif isinstance(t, JSON):
            kind = "json"
        else:
            kind = "str"
        max_len = None
        if kind == "str":
            max_len = t.length if isinstance(t, String) and not isinstance(t, Text) and t.length else TEXT_MAX
        default: Any = _NO_DEFAULT
        if col.default is not None and col.key not in SYNC_COLUMNS:
            arg = col.default.arg
            default = arg(None) if callable(arg) else arg
        out[col.key] = Column(col.key, kind, max_len, bool(col.nullable), default, schema.get(col.key))
    return out


def _datetime(field: str, value: Any) -> str:
    if type(value) is not str or len(value) > 40:
        raise invalid(field, "expected a date and time")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        utc = parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise invalid(field, "not a date and time a laptop can store") from None
    if not MIN_DATE <= utc.date() <= MAX_DATE:
        raise invalid(field, f"out of range ({MIN_DATE.year}-{MAX_DATE.year})")
    return utc.isoformat().replace("+00:00", "Z")


def _date(field: str, value: Any) -> str:
    if type(value) is not str or len(value) > 10:
        raise invalid(field, "expected a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(field, "expected a date (YYYY-MM-DD)") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise invalid(field, f"out of range ({MIN_DATE.year}-{MAX_DATE.year})")
    return day.isoformat()


def _json(field: str, value: Any) -> Any:
    """Check a JSON value's nesting, size and strings (iteratively: a hostile depth must not
    exhaust the stack)."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > JSON_MAX_NODES:
            raise invalid(field, "too large")
        if depth > JSON_DEPTH:
            raise invalid(field, "nested too deeply")
        if isinstance(node, str):
            _text(field, node, JSON_STR_MAX)
        elif isinstance(node, bool) or node is None:
            pass
        elif isinstance(node, int):
            if abs(node) > p.MAX_INT:
                raise invalid(field, "number out of range")
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise invalid(field, "number out of range")
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, dict):
            for k, v in node.items():
                _text(field, k, JSON_STR_MAX)
                stack.append((v, depth + 1))
        else:
            raise invalid(field, "not JSON")
    return value


def _text(field: str, value: str, max_len: int | None) -> str:
    why = bad_text(value)
    if why:
        raise invalid(field, why)
    if max_len is not None and len(value) > max_len:
        raise invalid(field, f"too long (at most {max_len} characters)")
    return value


def check_value(col: Column, value: Any) -> Any:
    """The normalised wire value of one field, or :class:`Rejected`."""
    name = col.name
    if value is None:
        if not col.nullable:
            raise invalid(name, "may not be empty")
        return None
    spec = col.spec
    kind = col.kind
    if kind == "str":
        if type(value) is not str:
            raise invalid(name, "expected text")
        _text(name, value, col.max_len)
        if spec is not None:
            if spec.kind == "enum" and spec.enum is not None and value not in spec.enum._value2member_map_:
                raise invalid(name, "not one of the allowed values")
            if spec.kind in ("user", "ref"):
                check_id(name, value)
            if spec.kind == "filename":
                why = file_name_problem(value)
                if why:
                    raise invalid(name, why)
            if spec.kind == "sha256" and not SHA256_RE.fullmatch(value):
                raise invalid(name, "not a SHA-256 in lowercase hexadecimal")
            if spec.required and not value.strip():
                raise invalid(name, "is required")
        elif name.endswith("_id") or name in _ID_FIELDS:
            check_id(name, value)
        return value
    if kind == "int":
        if type(value) is not int:
            raise invalid(name, "expected a whole number")
        if abs(value) > p.MAX_INT:
            raise invalid(name, "number out of range")
        _range(col, value)
        return value
    if kind == "float":
        if type(value) not in (int, float) or not math.isfinite(value):
            raise invalid(name, "expected a number")
        _range(col, value)
        return float(value)
    if kind == "bool":
        if type(value) is not bool:
            raise invalid(name, "expected true or false")
        return value
    if kind == "date":
        return _date(name, value)
    if kind == "datetime":
        return _datetime(name, value)
    # JSON columns
    if spec is not None and spec.kind in ("users", "refs", "tags"):
        if type(value) is not list or len(value) > 1000:
            raise invalid(name, "expected a list")
        for v in value:
            if type(v) is not str:
                raise invalid(name, "expected a list of text")
            if spec.kind == "tags":
                _text(name, v, 100)
            else:
                check_id(name, v)
        return value
    return _json(name, value)


def _range(col: Column, value: float) -> None:
    spec = col.spec
    if spec is None:
        return
    if spec.minimum is not None and value < spec.minimum:
        raise invalid(col.name, f"at least {spec.minimum}")
    if spec.maximum is not None and value > spec.maximum:
        raise invalid(col.name, f"at most {spec.maximum}")


#: A check of one column's pushed value: the value as stored, or :class:`Rejected`.
Check = Callable[[Any], Any]

_ISO_UTC = re.compile(r"(\d{4})-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?Z")
_ISO_DATE = re.compile(r"(\d{4})-\d\d-\d\d")


@per_model
def fast_checks(model: type[SyncMixin]) -> dict[str, Check]:
    """Per column, a check for the common shape of a valid value that answers in one step (a
    join pushes hundreds of thousands of rows); anything else goes to :func:`check_value`,
    which gives the same verdict on the common shapes and the reason for a refusal."""
    out: dict[str, Check] = {}
    for name, col in columns(model).items():
        spec, kind = col.spec, col.kind
        check: Check

        def slow(value: Any, col: Column = col) -> Any:
            return check_value(col, value)

        if (
            kind == "str"
            and (spec is None or spec.kind in ("str", "text", "phone", "mobile", "email", "uscc"))
            and not (spec is not None and spec.required)
            and not name.endswith("_id")
            and name not in _ID_FIELDS
        ):

            def check_text(value: Any, limit: int = col.max_len or TEXT_MAX, slow: Check = slow) -> Any:
                if type(value) is str and len(value) <= limit and _BAD_TEXT.search(value) is None:
                    return value
                return slow(value)

            check = check_text
        elif (
            kind == "str"
            and (col.max_len or TEXT_MAX) >= 36
            and not (spec is not None and spec.required)
            and (
                (spec is not None and spec.kind in ("user", "ref"))
                or (spec is None and (name.endswith("_id") or name in _ID_FIELDS))
            )
        ):

            def check_id(value: Any, slow: Check = slow) -> Any:  # an id's characters are all storable text
                return value if type(value) is str and ID_RE.fullmatch(value) else slow(value)

            check = check_id
        elif kind == "str" and spec is not None and spec.kind == "enum" and spec.enum is not None:

            def check_enum(
                value: Any,
                allowed: frozenset[Any] = frozenset(spec.enum._value2member_map_),
                slow: Check = slow,
            ) -> Any:
                return value if type(value) is str and value in allowed else slow(value)

            check = check_enum
        elif kind == "bool":

            def check_bool(value: Any, slow: Check = slow) -> Any:
                return value if type(value) is bool else slow(value)

            check = check_bool
        elif kind == "int" and (spec is None or (spec.minimum is None and spec.maximum is None)):

            def check_int(value: Any, slow: Check = slow) -> Any:
                return value if type(value) is int and -p.MAX_INT <= value <= p.MAX_INT else slow(value)

            check = check_int
        elif kind == "datetime":

            def check_datetime(value: Any, slow: Check = slow) -> Any:
                m = _ISO_UTC.fullmatch(value) if type(value) is str else None
                if m is not None and MIN_DATE.year <= int(m[1]) <= MAX_DATE.year:
                    try:
                        dt.datetime.fromisoformat(value[:19])  # (month 13 or 31 February are refused)
                        return value
                    except ValueError:
                        pass
                return slow(value)

            check = check_datetime
        elif kind == "date":

            def check_date(value: Any, slow: Check = slow) -> Any:
                m = _ISO_DATE.fullmatch(value) if type(value) is str else None
                if m is not None and MIN_DATE.year <= int(m[1]) <= MAX_DATE.year:
                    try:
                        dt.date.fromisoformat(value)
                        return value
                    except ValueError:
                        pass
                return slow(value)

            check = check_date
        else:
            check = slow
        out[name] = check
    return out


@per_model
def _create_completion(model: type[SyncMixin]) -> tuple[tuple[str, Any, bool], ...]:
    """(column, default, required) of the data columns a create must settle."""
    out: list[tuple[str, Any, bool]] = []
    for name, col in columns(model).items():
        if name in SYNC_COLUMNS:
            continue
        default = col.default if col.default is not _NO_DEFAULT else None
        required = (col.spec is not None and col.spec.required) or not col.nullable
        out.append((name, default, required))
    return tuple(out)


def check_fields(model: type[SyncMixin], op: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Normalised wire values of a pushed item's fields (see the module docstring)."""
    cols = columns(model)
    fast = fast_checks(model)
    out: dict[str, Any] = {}
    if op == "delete":  # the server stamps the time of a delete itself
        if set(fields) - {"deleted_at"}:
            raise invalid("field", "a delete carries no fields")
        if fields.get("deleted_at") is not None:
            _datetime("deleted_at", fields["deleted_at"])
        return out
    for name, value in fields.items():
        if type(name) is not str or len(name) > 64:
            raise invalid("field", "unknown field")
        if name == "deleted_at" and op == "update":
            if value is not None:
                raise invalid(name, "only null (undelete) may be sent")
            out[name] = None
            continue
        if name in CREATE_EXTRA and op == "create":
            if name == "created_at":
                out[name] = None if value is None else _datetime(name, value)
            else:
                out[name] = None if value is None else check_id(name, value)
            continue
        check = fast.get(name)
        if check is None or name in SYNC_COLUMNS:
            raise invalid(_printable(name), "unknown field")
        out[name] = None if value is None and cols[name].nullable else check(value)
    if op == "create":
        for name, default, required in _create_completion(model):
            if out.get(name) is None:
                if default is not None:
                    out[name] = default
                elif required:
                    raise invalid(name, "is required")
    return out


def _printable(name: str) -> str:
    """A field name fit for a reason (a hostile name could hold anything)."""
    return name if re.fullmatch(r"[A-Za-z0-9_]{1,64}", name) else "field"
