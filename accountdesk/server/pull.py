"""Pull, snapshot and field history: reads at one snapshot, scoped and stripped per role."""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _str
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Row

from ..models import ENTITIES
from ..permissions import sees_all_clients, sees_confidential
from ..sync import protocol as p
from ..sync.codec import encode_value
from . import repo
from .auth import Identity
from .db import Database
from .errors import ServerError
from .merge import CREATED

#: A cursor further than this behind the target gets pages of ``MAX_PAGE`` rows whatever it asked.
FAR_BEHIND = 20_000


class RawJSON(str):
    """A value already encoded as JSON text (spliced into the answer as it is)."""


def to_item(rec: Row[Any], confidential: bool) -> RawJSON:
    """The wire form of a record (a :class:`protocol.ChangeItem`) as JSON text: pages are large,
    so the stored JSON of its data is passed on as it is, decoded only to strip fields."""
    data, hidden = rec.data, "[]"
    if not confidential and rec.hidden != "[]":
        names = json.loads(rec.hidden)
        if names:
            values = json.loads(data)
            for name in names:
                values[name] = None
            data, hidden = _dumps(values), _dumps(names)
    return RawJSON(
        f'{{"entity":{_str(rec.entity)},"id":{_str(rec.id)},"client_id":{_str(rec.client_id) if rec.client_id is not None else "null"},'
        f'"seq":{int(rec.seq)},"deleted":{"true" if rec.deleted else "false"},"data":{data},"hidden":{hidden}}}'
    )


class JoinedItems:
    """A page's items as one UTF-8 JSON text (comma-joined, without brackets), built by the database."""

    __slots__ = ("data", "count")

    def __init__(self, data: bytes, count: int):
        self.data = data
        self.count = count

    def __len__(self) -> int:
        return self.count


Items = JoinedItems | list[RawJSON]


class PullAnswer(TypedDict):
    """A page of :func:`pull`: a :class:`protocol.PullPage` whose items are JSON text."""

    cursor: int
    target: int
    has_more: bool
    items: Items
    scope_all: bool
    scope: list[str]
    marks: NotRequired[list[int]]


class SnapshotAnswer(TypedDict):
    """A page of :func:`snapshot`: a :class:`protocol.SnapshotPage` whose items are JSON text."""

    items: list[RawJSON]
    after: str | None


def joined(items: Items) -> bytes:
    """The items of a page as the content of a JSON array, in UTF-8."""
    return items.data if isinstance(items, JoinedItems) else ",".join(items).encode()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def pull(
    db: Database,
    who: Identity,
    cursor: int,
    target: int | None,
    limit: int,
    marks: bool = False,
    *,
    skip_own: bool = False,
) -> PullAnswer:
    """One page of changes after ``cursor``; with ``marks``, a page that is not the last also
    carries the boundaries of the pages still to come (:func:`repo.page_marks`). ``skip_own``:
    leave out versions this device wrote and holds as they are (no echo of its pushes).

    The page tells the device its scope as it stands now: from here on the device knows of every
    scope loss up to that point, and the server records it (its later edits of a lost client are
    refused; see :mod:`.merge`)."""
    all_clients = sees_all_clients(who.role)
    confidential = sees_confidential(who.role)
    user_id = None if all_clients else who.user_id
    device = who.device_id if skip_own else None
    with db.read() as conn:  # one snapshot: scope and data agree
        current, horizon = repo.seq_and_horizon(conn)
        if cursor:
            if cursor < horizon:
                raise ServerError(
                    410,
                    p.E_RESNAPSHOT,
                    "Deletes older than this cursor were purged: take a fresh "
                    "snapshot of your scope (after pushing your outbox).",
                    horizon=horizon,
                )
        upto = current if target is None or target > current or target < cursor else target
        if upto - cursor > FAR_BEHIND:  # an initial sync: fewer, larger pages (within the cap)
            limit = max(limit, p.MAX_PAGE)
        scope = [] if all_clients else repo.scope_of(conn, who.user_id)
        if not db.is_sqlite:  # PostgreSQL builds the items' JSON itself
            data, n, last = repo.changes_joined(
                conn,
                after=cursor,
                upto=upto,
                user_id=user_id,
                limit=limit,
                confidential=confidential,
                skip_device=device,
            )
            has_more = (
                n == limit
                and last is not None
                and repo.has_changes(conn, after=last, upto=upto, user_id=user_id, skip_device=device)
            )
            items: Items = JoinedItems(data, n)
        else:
            rows = repo.changes(
                conn, after=cursor, upto=upto, user_id=user_id, limit=limit + 1, skip_device=device
            )
            has_more = len(rows) > limit
            rows = rows[:limit]
            last = rows[-1].seq if rows else None
            items = [to_item(r, confidential) for r in rows]
        new_cursor = last if has_more and last is not None else upto  # (a page with more has a last)
        page: PullAnswer = {
            "cursor": new_cursor,
            "target": upto,
            "has_more": has_more,
            "items": items,
            "scope_all": all_clients,
            "scope": scope,
        }
        if marks and has_more:
            page["marks"] = repo.page_marks(
                conn, after=new_cursor, upto=upto, user_id=user_id, limit=limit, skip_device=device
            )
    if not all_clients:
        with db.write() as conn:
            repo.record_losses_served(conn, who.user_id, who.device_id, current)
    return page


def snapshot(db: Database, who: Identity, req: p.SnapshotRequest) -> SnapshotAnswer:
    if req.scope:
        with db.read() as conn:
            user_id = None if sees_all_clients(who.role) else who.user_id
            rows = repo.scope_snapshot(
                conn, user_id=user_id, upto=req.upto, after=req.after, limit=req.limit + 1
            )
        more = len(rows) > req.limit
        rows = rows[: req.limit]
        confidential = sees_confidential(who.role)
        return {"items": [to_item(r, confidential) for r in rows], "after": rows[-1].id if more else None}
    with db.read() as conn:
        clients = req.clients
        if not sees_all_clients(who.role):
            mine = set(repo.scope_of(conn, who.user_id))
            clients = [c for c in clients if c in mine]
        rows = (
            repo.snapshot(conn, clients=clients, upto=req.upto, after=req.after, limit=req.limit + 1)
            if clients
            else []
        )
    more = len(rows) > req.limit
    rows = rows[: req.limit]
    confidential = sees_confidential(who.role)
    return {"items": [to_item(r, confidential) for r in rows], "after": rows[-1].id if more else None}


def history(db: Database, who: Identity, client_id: str, field: str | None) -> p.HistoryPage:
    """A client's field history, newest first. For roles that may not see confidential data, a
    value is stripped when its field was confidential when it changed **or is now** (a note
    made confidential later hides its earlier texts too); a created record's entry (field
    ``*``, its first values) loses just those fields."""
    confidential = sees_confidential(who.role)
    with db.read() as conn:
        if not sees_all_clients(who.role) and not repo.in_scope(conn, who.user_id, client_id):
            raise ServerError(404, p.E_NOT_FOUND, "No such client in your scope.")
        rows = repo.history_of(conn, client_id, None if field is None else field)
        if field is not None and field != CREATED:  # a field's first value is in its record's created entry
            rows = sorted(
                rows + [r for r in repo.history_of(conn, client_id, CREATED) if field in (r["new"] or {})],
                key=lambda r: r["id"],
                reverse=True,
            )
        now_hidden = (
            {}
            if confidential
            else {
                rid: set(rec["hidden"])
                for rid, rec in repo.get_records(conn, sorted({r["row_id"] for r in rows})).items()
            }
        )
    out = []
    for r in rows:
        old, new, hide, stripped = r["old"], r["new"], False, set()
        if not confidential:
            secret = now_hidden.get(r["row_id"], set())
            if r["field"] == CREATED and isinstance(new, dict):
                model = ENTITIES.get(r["entity"])
                flagged = set(model.__confidential__) if model is not None and r["hidden"] else set()
                stripped = set(new) & (secret | flagged)
                new = {k: v for k, v in new.items() if k not in stripped}
            elif r["hidden"] or r["field"] in secret:
                old = new = None
                hide = True
        if field is not None and r["field"] == CREATED:
            new, entry_field, hide = (new or {}).get(field), field, field in stripped
        else:
            entry_field = r["field"]
        out.append(
            p.HistoryEntry(
                id=r["id"],
                seq=r["seq"],
                entity=r["entity"],
                row_id=r["row_id"],
                client_id=r["client_id"],
                field=entry_field,
                old=old,
                new=new,
                user_id=r["user_id"],
                username=r.get("username"),
                at=encode_value(r["at"]),
                hidden=hide,
            )
        )
    return p.HistoryPage(entries=out)
