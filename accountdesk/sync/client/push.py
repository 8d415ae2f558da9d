"""Pushing the outbox: batches claimed through the batch index, their bodies spliced from the stored JSON,
the next one prepared while the server applies one and sent as soon as its answer is in, that answer stored
while the server applies the next."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ...i18n import _
from ...models import OutboxEntry, new_id
from ...store import bulk_indexes
from ..changes import get_meta, set_meta
from .base import META_BATCHES, META_CURSOR, META_HELD, Progress, SyncError, SyncReport, reject_message
from .core import EngineCore
from .membership import _aliases
from .rows import _driver, _record_current


@dataclass
class _Batch:
    """A claimed outbox batch: its entries (outbox sequence, entity, row id) and request body."""

    batch_id: str
    entries: list[tuple[int, str, str]]
    body: bytes
    #: the outbox range it was claimed with (None: a batch claimed by an older version)
    first: int | None = None
    last: int | None = None


#: From this many pending changes on, a push sets the outbox's secondary indexes aside
#: (:func:`accountdesk.store.bulk_indexes.set_aside_outbox`) and builds them again at its end.
LARGE_PUSH = 5000


#: An outbox entry as a push item (:class:`protocol.PushItem`), its JSON written by SQLite: the
#: stored JSON of the fields as it is, every other value quoted by ``json_quote``.
_ITEMS_SQL = (
    "SELECT seq, entity, row_id, '{\"entity\":' || json_quote(entity) || ',\"row_id\":' || json_quote(row_id) "
    "|| ',\"client_id\":' || json_quote(client_id) || ',\"op\":' || json_quote(op) "
    "|| ',\"fields\":' || coalesce(nullif(fields, ''), '{}') || ',\"hlc\":' || json_quote(hlc) "
    "|| ',\"base_seq\":' || json_quote(base_seq) || ',\"schema_version\":' || json_quote(schema_version) "
    "|| '}' FROM outbox WHERE "
)


def _members(batch: str, first: int | None, last: int) -> tuple[Any, ...]:
    """The condition on outbox entries of a claimed batch (see :meth:`PushMixin._claim_batch`)."""
    if first is None:
        return (OutboxEntry.batch_id == batch,)
    return (OutboxEntry.seq.between(first, last), OutboxEntry.batch_id.is_(None))


def _held_marks(session: Session) -> list[list[int]]:
    return [[int(upto), int(cursor)] for upto, cursor in get_meta(session, META_HELD) or []]


class PushMixin(EngineCore):
    """The part of :class:`SyncEngine` that does this job (see the module docstring)."""

    def _next_batch(self, exclude: str | None = None) -> tuple[str, list[OutboxEntry]] | None:
        """The next batch to send (an interrupted one first), as outbox entries (tests use it)."""
        with self.store.write() as session:
            session.execute(
                delete(OutboxEntry).where(OutboxEntry.entity == "user", OutboxEntry.status == "pending")
            )
        claimed = self._claim_batch(exclude)
        if claimed is None:
            return None
        batch, first, last = claimed
        with self.store.read() as session:
            entries = session.scalars(
                select(OutboxEntry)
                .where(*_members(batch, first, last), OutboxEntry.status == "pending")
                .order_by(OutboxEntry.seq)
            ).all()
            session.expunge_all()
        return batch, list(entries)

    def _claim_batch(self, exclude: str | None = None) -> tuple[str, int | None, int] | None:
        """The next batch: an interrupted one first (sent again under its id, so that the server
        answers it from its record), else the next pending entries under a new id. Returns the
        batch id, its first and last outbox sequence (first ``None``: a batch claimed by an
        older version, whose id is in each entry); ``exclude``: a batch in flight.

        A claim is one row of meta (:data:`META_BATCHES`), not a write to each entry: a join
        claims hundreds of batches from an outbox of hundreds of thousands of entries, and
        rewriting each entry (with its stored fields) cost as much as sending it. Every query
        here goes through an index."""
        with self.store.write() as session:
            raw = _driver(session)
            # batches claimed by an older version (``batch_id > ''``, not IS NOT NULL, so that
            # SQLite reads the batch index)
            legacy = [
                (first, last, batch)
                for batch, first, last in raw.execute(
                    "SELECT batch_id, min(seq), max(seq) FROM outbox WHERE batch_id > '' AND status = 'pending' "
                    "GROUP BY batch_id"
                ).fetchall()
                if batch != exclude
            ]
            if legacy:
                first, last, batch = min(legacy)
                return batch, None, int(last)
            claims = [list(c) for c in get_meta(session, META_BATCHES) or []]
            live = [
                c
                for c in claims
                if raw.execute(
                    "SELECT 1 FROM outbox WHERE seq BETWEEN ? AND ? AND status = 'pending' "
                    "AND batch_id IS NULL LIMIT 1",
                    (c[1], c[2]),
                ).fetchone()
            ]
            if live != claims:  # every entry of a claimed batch discarded meanwhile
                set_meta(session, META_BATCHES, live or None)
            for batch, first, last in live:
                if batch != exclude:
                    return batch, int(first), int(last)
            after = max((int(c[2]) for c in live), default=0)
            stmt = select(OutboxEntry.seq).where(
                OutboxEntry.status == "pending", OutboxEntry.batch_id.is_(None), OutboxEntry.seq > after
            )
            held = _held_marks(session)
            if held:  # a batch never mixes edits made before and after the cursor moved
                first = session.scalar(stmt.order_by(OutboxEntry.seq).limit(1))
                bound = next((upto for upto, _c in held if first is not None and first <= upto), None)
                if bound is not None:
                    stmt = stmt.where(OutboxEntry.seq <= bound)
            chosen = stmt.order_by(OutboxEntry.seq).limit(self.batch_size).subquery()
            first, last = session.execute(select(func.min(chosen.c.seq), func.max(chosen.c.seq))).one()
            if first is None:
                return None
            batch = new_id()
            # entries made later are numbered above the range: the range is the batch for good
            set_meta(session, META_BATCHES, [*live, [batch, first, last]])
            return batch, int(first), int(last)

    def _batch_body(self, batch_id: str, first: int | None, last: int) -> _Batch:
        """A claimed batch read straight from the store, and its request body: SQLite writes each
        item's JSON (the stored JSON of its fields spliced in as it is: a join sends hundreds of
        thousands), Python only joins them."""
        with self.store.read() as session:
            raw = _driver(session)
            if first is None:
                rows = raw.execute(
                    _ITEMS_SQL + "batch_id = ? AND status = 'pending' ORDER BY seq", (batch_id,)
                )
            else:
                rows = raw.execute(
                    _ITEMS_SQL
                    + "seq BETWEEN ? AND ? AND status = 'pending' AND batch_id IS NULL ORDER BY seq",
                    (first, last),
                )
            rows = rows.fetchall()
            alias = _aliases(session)
        cursor = self._batch_cursor_at(last)
        dumps = orjson.dumps
        body = b"".join(
            (
                b'{"batch_id":',
                dumps(batch_id),
                b',"cursor":',
                str(cursor).encode(),
                b',"items":[',
                ",".join([r[3] for r in rows]).encode(),
                b"]}",
            )
        )
        for old, new in alias.items():  # ids are UUIDs: an exact match of the quoted id is that user
            body = body.replace(dumps(old), dumps(new))
        return _Batch(batch_id, [(r[0], r[1], r[2]) for r in rows], body, first, last)

    def _batch_cursor(self, entries: list[OutboxEntry]) -> int:
        """The pull cursor the device had when the entries were made (the server does not rely
        on it any more: it decides from what it served this device; sent for older servers)."""
        return self._batch_cursor_at(max(e.seq for e in entries))

    def _batch_cursor_at(self, last: int) -> int:
        with self.store.read() as session:
            cursor = int(get_meta(session, META_CURSOR) or 0)
            held = _held_marks(session)
            if not held:
                return cursor
            pending = session.scalar(
                select(OutboxEntry.seq)
                .where(OutboxEntry.status == "pending")
                .order_by(OutboxEntry.seq)
                .limit(1)
            )
        live = [[upto, c] for upto, c in held if pending is not None and upto >= pending]
        if live != held:  # marks whose entries are all pushed are dropped
            with self.store.write() as session:
                set_meta(session, META_HELD, live or None)
        return next((min(cursor, c) for upto, c in live if last <= upto), cursor)

    def _push(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None:
        """Send the outbox batch by batch, in order, one at a time: a batch is sent only once the
        server has answered the one before (it may refer to rows created there). Everything else
        overlaps the server's work: as soon as an answer arrives the next batch (read and encoded
        while the server applied the last) goes out, and the answer is stored while the server
        applies it. An answer not yet stored when the laptop stops leaves its batch claimed: it is
        sent again first and the server answers it from its record of that batch."""
        with self.store.write() as session:  # users are the server's: their local records are not sent
            session.execute(
                delete(OutboxEntry).where(OutboxEntry.entity == "user", OutboxEntry.status == "pending")
            )
            total = session.scalar(
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "pending")
            )
            aside = bool(
                total and total >= LARGE_PUSH and bulk_indexes.set_aside_outbox(session.connection())
            )
        if not total:
            return
        try:
            self._push_batches(report, notify, check, total)
        finally:
            if aside:  # built once over what is left (a whole push: nothing)
                with self.store.write() as session:
                    bulk_indexes.put_back(session.connection())

    def _push_batches(
        self, report: SyncReport, notify: Progress, check: Callable[[], None], total: int
    ) -> None:
        done = 0
        notify("push", 0, total)

        def send(batch: _Batch) -> Future[Any]:
            return pool.submit(self._request, "POST", "/v1/sync/push", encoded=batch.body)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="accountdesk-push") as pool:
            claimed = self._claim_batch()
            batch = self._batch_body(*claimed) if claimed else None
            if batch is None:
                return
            check()
            answer = send(batch)
            following: _Batch | None = None
            while batch is not None:
                claimed = self._claim_batch(exclude=batch.batch_id)
                following = self._batch_body(*claimed) if claimed else None
                result = answer.result()
                try:
                    check()
                except Exception:
                    self._store_push_result(batch, result, report)  # cancelled: what is answered is kept
                    raise
                if following is not None:
                    answer = send(following)
                self._store_push_result(batch, result, report)
                done += len(batch.entries)
                notify("push", done, max(total, done))
                batch = following

    def _store_push_result(self, batch: _Batch, answer: Any, report: SyncReport) -> None:
        try:
            results = answer["results"]
            ok = answer["batch_id"] == batch.batch_id and len(results) == len(batch.entries)
        except (KeyError, TypeError):
            ok = False
        if not ok:
            raise SyncError(_("The server answered a push with the wrong number of results."))
        with self.store.write() as session:
            done_seqs: list[int] = []
            current: dict[str, list[tuple[int, str]]] = {}
            for (seq, entity, row_id), res in zip(batch.entries, results, strict=True):
                if res.get("status") == "rejected":
                    session.execute(
                        update(OutboxEntry)
                        .where(OutboxEntry.seq == seq)
                        .values(
                            status="rejected",
                            batch_id=None,
                            reject_reason=reject_message(res.get("code"), res.get("reason")),
                        )
                    )
                    report.rejected += 1
                else:
                    done_seqs.append(seq)
                    report.pushed += 1
                    if res.get("current") and res.get("seq") is not None:
                        current.setdefault(entity, []).append((int(res["seq"]), row_id))
            if batch.first is not None and batch.last is not None:
                # the claimed range is the batch (entries made later are numbered above it), and
                # what is left pending in it is what the server took: one range delete
                _driver(session).execute(
                    "DELETE FROM outbox WHERE seq BETWEEN ? AND ? AND status = 'pending' AND batch_id IS NULL",
                    (batch.first, batch.last),
                )
            else:
                for start in range(0, len(done_seqs), 900):
                    session.execute(
                        delete(OutboxEntry).where(OutboxEntry.seq.in_(done_seqs[start : start + 900]))
                    )
            claims = get_meta(session, META_BATCHES) or []
            if any(c[0] == batch.batch_id for c in claims):  # answered: no longer claimed
                set_meta(session, META_BATCHES, [c for c in claims if c[0] != batch.batch_id] or None)
            _record_current(session, current)

    # -- pull ----------------------------------------------------------------------------------
