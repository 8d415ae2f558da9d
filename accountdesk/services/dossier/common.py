"""Helpers shared by the report loaders: batched reads per client, user names, local dates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    SyncMixin,
    User,
)

#: Improvement items in these states are no longer open.
DONE_ITEMS = frozenset({"done", "cancelled"})
_CHUNK = 500
M = TypeVar("M", bound=SyncMixin)


# -- small helpers -------------------------------------------------------------------------------
@overload
def _local_date(value: dt.datetime) -> dt.date: ...
@overload
def _local_date(value: dt.datetime | None) -> dt.date | None: ...
def _local_date(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone().date() if value is not None else None


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _rows(session: Session, model: type[M], client_ids: Sequence[str], *order: Any) -> dict[str, list[M]]:
    """Live rows of ``model`` for these clients, grouped by client id."""
    out: dict[str, list[M]] = defaultdict(list)
    for part in _chunks(client_ids):
        stmt = select(model).where(model.client_id.in_(part), model.deleted_at.is_(None))
        if order:
            stmt = stmt.order_by(*order)
        for row in session.scalars(stmt):
            if row.client_id is not None:  # (the query asks for these clients' rows)
                out[row.client_id].append(row)
    return out


def _user_names(session: Session) -> dict[str, str]:
    return {u.id: u.display_name for u in session.scalars(select(User))}
