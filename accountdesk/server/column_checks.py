"""The fields of many pushed items checked at once, column by column (a join pushes batches of a
thousand new records of a handful of kinds).

:func:`check_items` takes the items of one entity and one operation and checks each column of
their fields with a few whole-column steps (the types of all values, the longest value, one
regular expression over all values joined by line breaks, one date conversion per value in C)
instead of a Python call per value. It only ever answers for the common, valid shapes: when any
value of a group needs a closer look — a hostile one, an unusual but valid one, a field it does
not know — it answers ``None`` and every item of the group goes through
:func:`accountdesk.server.validate.check_fields`, which gives the verdict and the reason item by
item. Where it answers, its result is the one :func:`~accountdesk.server.validate.check_fields`
gives for each item (tests/sync/test_server_fast_checks.py holds both to that).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from functools import cache, partial
from itertools import chain
from operator import is_not, itemgetter
from typing import Any

from ..models import ENTITIES, SYNC_COLUMNS, SyncMixin
from ..sync import protocol as p
from .validate import (
    _BAD_TEXT,
    CREATE_EXTRA,
    TEXT_MAX,
    Column,
    Rejected,
    _create_completion,
    columns,
    fast_checks,
)


def _columns(model: type[SyncMixin]) -> dict[str, Column]:
    return columns(model)


def _fast(model: type[SyncMixin]) -> dict[str, Any]:
    return fast_checks(model)


def _lines(unit: str) -> re.Pattern[str]:
    """A pattern for values that each match ``unit``, joined by line breaks (``unit`` never
    matches a line break)."""
    return re.compile(f"{unit}(?:\n{unit})*")


#: Ids (as :data:`validate.ID_RE`).
_IDS = _lines(r"[0-9A-Za-z_.:-]{1,36}")
#: Years a value may carry (:data:`validate.MIN_DATE` to :data:`validate.MAX_DATE`: 1800-2999).
_YEAR = r"(?:1[89]|2[0-9])[0-9][0-9]"
_DATES = _lines(_YEAR + r"-[0-9][0-9]-[0-9][0-9]")
#: Datetimes in UTC as laptops write them (month, day and time are then checked by conversion).
_UTCS = _lines(_YEAR + r"-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9](?:\.[0-9]{6})?Z")
_FIRST_19 = itemgetter(slice(0, 19))
_not_none = partial(is_not, None)
#: Text kinds of the field schema with no rule beyond text (:func:`validate.check_value`).
_PLAIN_TEXT = frozenset({"str", "text", "phone", "mobile", "email", "uscc"})
_ID_FIELDS = frozenset({"client_id", "created_by"})

#: A column check: the values of one column (none of them ``None``) -> their normalised values,
#: or ``None`` when any needs a closer look.
ColumnCheck = Callable[[list[Any]], list[Any] | None]


def _all_of(values: list[Any], *types: type) -> bool:
    return set(map(type, values)) <= set(types)


def _text_ok(values: list[Any], limit: int) -> bool:
    """Every value text a laptop can store, none longer than ``limit``."""
    return (
        _all_of(values, str) and max(map(len, values)) <= limit and _BAD_TEXT.search("".join(values)) is None
    )


def _ids_ok(values: list[str]) -> bool:
    return _IDS.fullmatch("\n".join(values)) is not None


def _utc_ok(values: list[Any]) -> bool:
    if not _all_of(values, str) or _UTCS.fullmatch("\n".join(values)) is None:
        return False
    try:  # (month 13, 31 February, hour 25 are refused by the conversion)
        for _ in map(dt.datetime.fromisoformat, map(_FIRST_19, values)):
            pass
    except ValueError:
        return False
    return True


def _dates_ok(values: list[Any]) -> bool:
    if not _all_of(values, str) or _DATES.fullmatch("\n".join(values)) is None:
        return False
    try:
        for _ in map(dt.date.fromisoformat, values):
            pass
    except ValueError:
        return False
    return True


def _in_range(col: Column, values: list[Any]) -> bool:
    spec = col.spec
    if spec is None:
        return True
    return (spec.minimum is None or min(values) >= spec.minimum) and (
        spec.maximum is None or max(values) <= spec.maximum
    )


def _verdict(ok: bool, values: list[Any]) -> list[Any] | None:
    return values if ok else None


@cache
def _column_check(entity: str, name: str) -> ColumnCheck:
    """The whole-column check of one column (see the module docstring): the same verdicts as
    :func:`validate.check_value` on the values it accepts."""
    model = ENTITIES[entity]
    col = _columns(model)[name]
    spec, kind = col.spec, col.kind
    if kind == "str":
        limit = col.max_len or TEXT_MAX
        spec_kind = spec.kind if spec is not None else None
        required = spec is not None and spec.required
        if spec is None:
            ids = name.endswith("_id") or name in _ID_FIELDS
        elif spec_kind in ("user", "ref"):
            ids = True
        elif spec_kind in _PLAIN_TEXT or (spec_kind == "enum" and spec.enum is not None):
            ids = False
        else:
            return _one_by_one(model, name)  # file names, hashes: their own rules
        allowed = (
            frozenset(spec.enum._value2member_map_) if spec is not None and spec.enum is not None else None
        )

        def text(values: list[Any]) -> list[Any] | None:
            ok = (
                _text_ok(values, limit)
                and (allowed is None or allowed.issuperset(values))
                and (not ids or _ids_ok(values))
                and (not required or all(map(str.strip, values)))
            )
            return _verdict(ok, values)

        return text
    if kind in ("int", "float"):
        types = (int,) if kind == "int" else (int, float)

        def number(values: list[Any]) -> list[Any] | None:
            ok = (
                _all_of(values, *types)
                and -p.MAX_INT <= min(values)
                and max(values) <= p.MAX_INT  # (before isfinite: a huge int is no float)
                and all(map(math.isfinite, values))
                and _in_range(col, values)
            )
            if not ok:
                return None
            return values if kind == "int" or _all_of(values, float) else [float(v) for v in values]

        return number
    if kind == "bool":
        return lambda values: _verdict(_all_of(values, bool), values)
    if kind == "date":
        return lambda values: _verdict(_dates_ok(values), values)
    if kind == "datetime":
        return lambda values: _verdict(_utc_ok(values), values)
    if spec is not None and spec.kind in ("users", "refs", "tags"):
        tags = spec.kind == "tags"

        def listed(values: list[Any]) -> list[Any] | None:
            if not _all_of(values, list) or max(map(len, values)) > 1000:
                return None
            flat = list(chain.from_iterable(values))
            if flat and not (_text_ok(flat, 100) if tags else (_all_of(flat, str) and _ids_ok(flat))):
                return None
            return values

        return listed
    return _one_by_one(model, name)


def _one_by_one(model: type[SyncMixin], name: str) -> ColumnCheck:
    """A column without a whole-column check: the one-step check of each value."""
    check = _fast(model)[name]

    def each(values: list[Any]) -> list[Any] | None:
        try:
            return [check(v) for v in values]
        except Rejected:
            return None

    return each


def _created_at(values: list[Any]) -> list[Any] | None:
    """A create's ``created_at``: :func:`validate._datetime` writes a whole second without its
    fraction, so only values it gives back unchanged pass here."""
    return values if _utc_ok(values) and ".000000Z" not in "\n".join(values) else None


def _extra_ids(values: list[Any]) -> list[Any] | None:
    return values if _all_of(values, str) and _ids_ok(values) else None


@cache
def _names(entity: str, op: str) -> frozenset[str]:
    """The field names an item of this operation may carry."""
    names = {n for n in _fast(ENTITIES[entity]) if n not in SYNC_COLUMNS}
    if op == "create":
        names |= CREATE_EXTRA
    else:
        names.add("deleted_at")
    return frozenset(names)


@cache
def _completion(entity: str) -> tuple[tuple[str, Any, bool], ...]:
    """The columns a create must settle that need something done (a default or a requirement)."""
    completion = _create_completion(ENTITIES[entity])
    return tuple(c for c in completion if c[1] is not None or c[2])


def check_items(model: type[SyncMixin], op: str, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The normalised fields of ``items`` (each one's ``fields``; all of ``model`` and of ``op``,
    create or update), as :func:`validate.check_fields` gives them — or ``None`` when any of them
    needs a closer look (see the module docstring)."""
    if op not in ("create", "update") or not items:
        return None
    entity = model.__entity__
    allowed = _names(entity, op)
    present: set[str] = set().union(*items)
    if not present <= allowed:
        return None
    cols = _columns(model)
    # the common case: every item carries every field (a laptop sends a create whole)
    whole = min(map(len, items)) == len(present)
    out = list(map(dict, items))
    for name in present:
        values = list(map(itemgetter(name), items)) if whole else [f[name] for f in items if name in f]
        given = list(filter(_not_none, values))
        if name in CREATE_EXTRA and op == "create":
            check: ColumnCheck = _created_at if name == "created_at" else _extra_ids
        elif name == "deleted_at" and op == "update":
            if given:  # only null (undelete) may be sent
                return None
            continue
        else:
            if len(given) < len(values) and not cols[name].nullable:
                return None
            check = _column_check(entity, name)
        if not given:
            continue
        checked = check(given)
        if checked is None:
            return None
        if checked is not given:  # normalised (whole numbers of a number column): put back
            it = iter(checked)
            for row in out:
                if row.get(name) is not None:
                    row[name] = next(it)
    if op == "create":
        for name, default, _required in _completion(entity):
            if whole and name in present and None not in map(itemgetter(name), items):
                continue  # given everywhere
            for row in out:
                if row.get(name) is None:
                    if default is None:
                        return None  # required: refused, with its reason, item by item
                    row[name] = default
    return out
