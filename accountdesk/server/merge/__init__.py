"""Push: apply a device's batch in one transaction with per-field merge by HLC (docs/architecture.md, "Sync"),
and changes the server makes itself (a handover from the server CLI, user records).

How a batch is applied:

1. **Checked before anything is written.** Every item is validated against the schema every
   laptop enforces (:mod:`.validate`); a bad item is refused with its reason and never blocks the
   others. Should the database still refuse something, the batch is applied again item by item,
   each in a savepoint, and only the items the database refuses are refused.
2. **Set-wise.** The records the batch changes are read in one statement and locked (in id
   order), the clients, scopes, scope losses and referenced rows it needs in one statement each;
   the merge then runs in memory, and the results are written with one statement per kind of
   write (new records, changed records, history, scope), not per item. A created record's
   history is one entry holding its first values.
3. **Numbered last.** Sequence numbers are provisional during the merge; at the very end the
   counter row is locked and the numbers taken (one statement), everything is written with its
   final number and the transaction commits. Numbers thus commit in order and a pull can never
   skip a late commit. A retried batch returns its stored result and changes nothing.

What the server decides itself, from what it knows (never from what a device claims):

- **Scope**: an edit of a client the user no longer has is accepted only when the server never
  served that device a pull after the change that took the client away (nor did the device
  exist then). Edits that arrive within :data:`LOSS_GRACE` of that first serve (made while that
  very pull was on its way) are kept: new records are added, changes to existing ones are kept
  as conflicts for the successor. Anything later is refused, whatever cursor or clock it carries.
- **Who sees a client** (owner, backup owner, service team) is changed by supervisors and
  administrators only; others create clients they own themselves, without a backup.
- **References** point at rows the writer may see (same client, or the global catalogue).
- **Confidentiality**: what decides it (a note's flag) is written only by roles that may see
  the confidential value; conflict records are made by the server only and their stripping is
  computed from the final state of the row they are about (and recomputed when it changes).
- **Natural keys** that must be unique everywhere (service offering codes) are reconciled: a
  second offering with a code already in use gets a free one (``CODE-2``), recorded as a
  conflict and in the audit log, never left to fail on a laptop.

Refusals never reveal whether a row outside the caller's scope exists.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from ...gcpause import gc_paused
from ...sync import protocol as p
from .. import repo, validate
from ..auth import Identity
from ..db import Database
from ..settings import Settings
from ..validate import Rejected
from .core import (
    BULK_ITEMS,
    CREATED,
    PROVISIONAL,
    PUSH_ATTEMPTS,
    SYSTEM,
    WriterCore,
    _result,
    log,
    now_ms,
)
from .items import Writer
from .rules import WriterRules

__all__ = [
    "CREATED",
    "PROVISIONAL",
    "Rejected",
    "SYSTEM",
    "Writer",
    "WriterCore",
    "WriterRules",
    "push",
    "refresh_scope",
]


def refresh_scope(conn: Connection, client_id: str, seq: int | None = None) -> None:
    """Recompute who sees a client from the database (tools and benchmarks that write records
    directly)."""
    writer = Writer(conn, SYSTEM, Settings())
    repo.apply_scopes(conn, {client_id: writer.scope_of_client(client_id)}, {client_id: seq}, now_ms())


def push(
    db: Database,
    settings: Settings,
    who: Identity,
    req: p.PushRequest,
    *,
    delay_ms: int = 0,
    features: frozenset[str] = frozenset(),
    writer: type[Writer] | None = None,
) -> dict[str, Any]:
    """Apply a batch (see the module docstring); the answer is a :class:`protocol.PushResult`
    as JSON. ``features``: what the device understands (``no-echo``: item results say whether
    the device now holds the record as it stands); ``writer``: the rules applied (a revoked
    device's farewell: :class:`accountdesk.server.farewell.FarewellWriter`)."""
    isolate = False
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        try:
            # A large batch makes tens of thousands of short-lived objects without cycles: the
            # collector is paused for it (its collections walked the whole server's heap)
            with gc_paused() if len(req.items) >= BULK_ITEMS else contextlib.nullcontext():
                result = _push_once(
                    db, settings, who, req, delay_ms, isolate=isolate, writer_class=writer or Writer
                )
        except DBAPIError as exc:
            if repo.is_collision(exc) and attempt < PUSH_ATTEMPTS - 1:
                # Another push created the same row, stored the same batch or locked rows in the
                # other order; it has committed or rolled back by now: start again.
                log.info("push of batch %s collided with another one (attempt %s)", req.batch_id, attempt)
                continue
            if isolate:
                raise
            # The database refused something the checks let through: apply the batch again with
            # every item in a savepoint, so that only the items it refuses are refused.
            log.warning(
                "push of batch %s failed in the database (%s); applying it item by item",
                req.batch_id,
                getattr(exc.orig, "sqlstate", None) or type(exc.orig or exc).__name__,
            )
            isolate = True
            continue
        if p.FEATURE_NO_ECHO not in features:
            for res in result["results"]:
                res.pop("current", None)
        return result
    raise AssertionError("unreachable")


def _push_once(
    db: Database,
    settings: Settings,
    who: Identity,
    req: p.PushRequest,
    delay_ms: int,
    *,
    isolate: bool,
    writer_class: type[Writer] = Writer,
) -> dict[str, Any]:
    with db.write() as conn:
        stored = repo.stored_batch(conn, who.device_id, req.batch_id)
        if stored is not None:
            return dict(stored, replayed=True)
        writer = writer_class(conn, who, settings, cursor=req.cursor)
        writer.prepare(req.items)
        results: list[dict[str, Any]] = []
        for item in req.items:
            try:  # every check comes before the first change of an item: a refusal changes nothing
                results.append(_isolated(writer, item) if isolate else writer.apply(item))
            except Rejected as exc:
                row_id = item.row_id if validate.ID_RE.fullmatch(item.row_id) else "invalid"  # stored as JSON
                results.append(_result(row_id, "rejected", code=exc.code, reason=exc.reason))
        result = {"batch_id": req.batch_id, "replayed": False, "results": results}
        writer.finish((who.device_id, result))
        if delay_ms:  # test hook: hold the transaction open after taking sequence numbers
            time.sleep(delay_ms / 1000)
        return result


def _isolated(writer: Writer, item: p.PushItem) -> dict[str, Any]:
    """Apply one item and try its writes at once inside a savepoint that is rolled back (the
    slow path after the database refused a batch): a database refusal refuses this item only."""
    before = dict(writer.state)
    saved = (
        set(writer.new),
        set(writer.dirty),
        len(writer.history),
        dict(writer.scope_dirty),
        len(writer.audits),
        writer.seq,
    )
    result = writer.apply(item)
    touched = [i for i in writer.new | writer.dirty if writer.state[i] is not before.get(i)]
    savepoint = writer.conn.begin_nested()
    try:
        recs = [dict(rec, seq=0) for rec in (writer.state[i] for i in touched) if rec is not None]
        repo.insert_records(writer.conn, [r for r in recs if r["id"] in writer.new])
        repo.update_records(writer.conn, [r for r in recs if r["id"] not in writer.new])
        repo.add_history(writer.conn, [dict(h, seq=0) for h in writer.history[saved[2] :]])
    except DBAPIError:
        savepoint.rollback()
        writer.state = before
        writer.new, writer.dirty, _n, writer.scope_dirty, _a, writer.seq = saved
        writer.reindex_team()
        del writer.history[saved[2] :]
        del writer.audits[saved[4] :]
        raise Rejected(p.R_INVALID, "the server could not store this record") from None
    savepoint.rollback()
    return result
