"""Push: apply a device's batch in one transaction with per-field merge by HLC (DESIGN.md §5).

- the merge works under row locks (each record it changes is read ``FOR UPDATE``) with
  provisional sequence numbers; only at the end is the counter row locked and the final numbers
  stamped, just before the commit. Writers are thus serialised for that short step only, numbers
  still commit in order and a pull can never skip a late commit (DESIGN.md §5). Two pushes that
  collide (the same new row, the same batch, rows locked in the other order) start again; a
  retried batch returns its stored result and changes nothing;
- a field changed only on one side is taken; a field changed concurrently (its stored sequence is
  newer than the edit's ``base_seq``, by another device) goes to the higher HLC, and the loser is
  stored as a Conflict record that syncs like any row;
- delete against a concurrent edit: the delete wins and the edit is kept as a conflict;
- every item is authorised by role, scope and confidentiality; a refused item gets a reason and
  never blocks the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from ..models import ENTITIES, SyncMixin, confidential_fields, data_columns, new_id
from ..models.enums import Role
from ..permissions import may_write, sees_all_clients, sees_confidential
from ..sync import protocol as p
from ..sync.clock import HLC
from ..sync.codec import decode_value, encode_value
from . import repo
from .auth import Identity
from .db import Database
from .settings import Settings

log = logging.getLogger("accountdesk.server")

CREATE_EXTRA = frozenset({"client_id", "created_at", "created_by"})
SERVER_NODE = "server"
#: Changes of these fields (of a client or a team member) change who sees the client.
SCOPE_FIELDS = frozenset({"owner_id", "backup_owner_id", "user_id", "client_id", "deleted_at"})
#: Sequence numbers handed out before the counter is locked are above this; they are replaced
#: by final ones before the commit and are never seen outside the transaction.
PROVISIONAL = 1 << 62
#: Attempts of a push whose transaction collided with another one.
PUSH_ATTEMPTS = 5


class Rejected(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _too_big(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > p.MAX_INT
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return any(_too_big(v) for v in value)
    if isinstance(value, dict):
        return any(_too_big(v) for v in value.values())
    return False


def now_ms() -> int:
    return int(time.time() * 1000)


def hidden_for(model: type[SyncMixin], data: dict[str, Any]) -> list[str]:
    return sorted(confidential_fields(model, data))


def scope_entries(conn: Connection, client: dict[str, Any]) -> set[tuple[str, str]]:
    """Who sees a client: owner, backup owner and live team members."""
    if client["deleted"]:
        return set()
    out: set[tuple[str, str]] = set()
    if client["data"].get("owner_id"):
        out.add((client["data"]["owner_id"], "owner"))
    if client["data"].get("backup_owner_id"):
        out.add((client["data"]["backup_owner_id"], "backup"))
    for row in repo.client_rows(conn, client["id"], ("client_team_member",)):
        if row["data"].get("user_id"):
            out.add((row["data"]["user_id"], "team"))
    return out


def refresh_scope(conn: Connection, client_id: str, seq: int | None = None) -> None:
    client = repo.get_record(conn, client_id, lock=True)
    if client is None or client["entity"] != "client":
        return
    repo.replace_scope(conn, client_id, scope_entries(conn, client), now_ms(), seq)


def _mapping(base: int) -> Callable[[int | None], int | None]:
    def final(seq: int | None) -> int | None:
        return seq + base if seq is not None and seq >= PROVISIONAL else seq

    return final


class Writer:
    """One push (or one server-side change) inside a write transaction. Records it changes are
    locked as they are read; sequence numbers are provisional until :meth:`finish`."""

    def __init__(self, conn: Connection, who: Identity, settings: Settings, *, address: str | None = None,
                 cursor: int | None = None):
        self.conn = conn
        #: the pusher's pull cursor (None: an older device that does not send it)
        self.cursor = cursor
        self.who = who
        self.settings = settings
        self.seq = PROVISIONAL
        self.history: list[dict[str, Any]] = []
        self.written: dict[str, dict[str, Any]] = {}  # row id -> the record as last written
        self.scope_clients: set[str] = set()  # clients whose scope this writer recomputed
        self.now = repo.utcnow()
        self.address = address

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def refresh_scope(self, client_id: str) -> None:
        """Recompute who sees a client; a user who loses it is marked with the (provisional,
        made final in :meth:`finish`) sequence number of the change that took it away."""
        refresh_scope(self.conn, client_id, self.seq)
        self.scope_clients.add(client_id)

    def put(self, rec: dict[str, Any], *, new: bool) -> None:
        repo.put_record(self.conn, rec, new=new)
        self.written[rec["id"]] = rec

    def finish(self, batch: tuple[str, p.PushResult] | None = None) -> Callable[[int | None], int | None]:
        """Lock the counter, replace the provisional sequence numbers by final ones (in the
        order they were handed out) and store the history and the result of a push's ``batch``
        (device id, result; its numbers are made final in place). Call it last before the
        commit: the counter stays locked until then. Returns the mapping for numbers handed to
        the caller."""
        used = self.seq - PROVISIONAL
        if used and self.conn.dialect.name == "postgresql":
            # Everything is written first with provisional numbers; one statement then locks the
            # counter and makes them final, so that the lock is held for one round trip and the
            # commit only (not for the Python in between, which waits for the GIL under load).
            history_ids = repo.add_history(self.conn, self.history, returning=True)
            if batch is not None:
                repo.store_batch(self.conn, batch[0], batch[1].batch_id, batch[1].model_dump(mode="json"))
            base = repo.stamp_final(self.conn, used=used, provisional=PROVISIONAL, record_ids=list(self.written),
                                    history_ids=history_ids, batch=(batch[0], batch[1].batch_id) if batch else None)
            final = _mapping(base)
            repo.finalise_former_scope(self.conn, self.scope_clients, base=base, provisional=PROVISIONAL)
            if batch is not None:
                for res in batch[1].results:
                    res.seq = final(res.seq)
            return final
        base = (repo.lock_counter(self.conn) if used else repo.current_seq(self.conn)) - PROVISIONAL
        final = _mapping(base)
        if used:
            stamped = []
            for rec in self.written.values():
                clocks = {k: [c[0], final(c[1]), *c[2:]] for k, c in rec["clocks"].items()}
                stamped.append({"id": rec["id"], "seq": final(rec["seq"]), "clocks": clocks})
            repo.stamp_records(self.conn, stamped)
            repo.store_counter(self.conn, final(self.seq))
            repo.finalise_former_scope(self.conn, self.scope_clients, base=base, provisional=PROVISIONAL)
        repo.add_history(self.conn, [dict(h, seq=final(h["seq"])) for h in self.history])
        if batch is not None:
            for res in batch[1].results:
                res.seq = final(res.seq)
            repo.store_batch(self.conn, batch[0], batch[1].batch_id, batch[1].model_dump(mode="json"))
        return final

    # -- helpers -------------------------------------------------------------------------------
    def clamp(self, text: str) -> str:
        try:
            hlc = HLC.decode(text)
        except ValueError:
            raise Rejected(p.R_INVALID, "hlc: not a hybrid logical clock value") from None
        limit = now_ms() + self.settings.max_clock_ahead_ms
        if hlc.wall_ms > limit:
            log.warning("clamped a clock %s ms ahead from device %s", hlc.wall_ms - now_ms(), self.who.device_id)
            repo.audit(self.conn, "clock_clamped", user_id=self.who.user_id, device_id=self.who.device_id, hlc=text)
            hlc = HLC(limit, hlc.counter, hlc.node)
        return hlc.encode()

    def _history(self, rec: dict[str, Any], field: str, old: Any, new: Any, hidden: bool) -> None:
        self.history.append(
            {
                "seq": rec["seq"], "entity": rec["entity"], "row_id": rec["id"], "client_id": rec["client_id"],
                "field": field, "old": old, "new": new, "user_id": self.who.user_id or None,
                "device_id": self.who.device_id, "at": self.now, "hidden": hidden,
            }
        )

    def conflict(self, rec: dict[str, Any], field: str | None, kept: tuple[Any, str | None, str | None],
                 lost: tuple[Any, str | None, str | None], hidden: bool) -> None:
        """Store the losing value of a merge as a Conflict record (it syncs to both authors)."""
        seq = self.next_seq()
        hlc = max(kept[2] or "", lost[2] or "")
        data = {
            "client_id": rec["client_id"], "created_at": encode_value(self.now), "created_by": None,
            "updated_at": hlc, "updated_by": None, "deleted_at": None,
            "entity": rec["entity"], "row_id": rec["id"], "field": field,
            "kept_value": kept[0], "kept_by": kept[1], "kept_hlc": kept[2],
            "lost_value": lost[0], "lost_by": lost[1], "lost_hlc": lost[2],
            "resolved_at": None, "resolved_by": None, "resolution": None,
        }
        clocks = {k: [hlc, seq, SERVER_NODE, None] for k in data}
        self.put(
            {"id": new_id(), "entity": "conflict", "client_id": rec["client_id"], "seq": seq, "deleted": False,
             "data": data, "clocks": clocks, "hidden": ["kept_value", "lost_value"] if hidden else []},
            new=True,
        )

    # -- authorisation -------------------------------------------------------------------------
    def authorise(self, entity: str, op: str, fields: set[str], client_id: str | None, hlc: str,
                  existing: dict[str, Any] | None, new_client: dict[str, Any] | None = None) -> None:
        role = self.who.role
        if entity == "user":
            raise Rejected(p.R_SERVER_OWNED, "users are managed on the server")
        if not may_write(role, entity, op, frozenset(fields)):
            raise Rejected(p.R_NOT_ALLOWED, f"the role {role} may not {op} {entity}")
        if ENTITIES[entity].__global__ or sees_all_clients(role):
            pass
        elif entity == "client" and existing is None:
            data = new_client or {}
            if self.who.user_id not in (data.get("owner_id"), data.get("backup_owner_id")):
                raise Rejected(p.R_OUT_OF_SCOPE, "a new client must be owned or backed up by its author")
        elif client_id is None or not repo.in_scope(self.conn, self.who.user_id, client_id):
            self._former_scope(client_id, hlc)
        if op == "update" and existing is not None and not sees_confidential(role):
            if fields & set(existing["hidden"]):
                raise Rejected(p.R_CONFIDENTIAL, "you may not change a confidential field")

    def _former_scope(self, client_id: str | None, hlc: str) -> None:
        """An edit of a client the user no longer has: accepted only when the user had it at the
        moment the device last synced (its cursor is below the change that took it away; older
        devices without a cursor: the edit's clock is before that change)."""
        until = repo.formerly_in_scope_until(self.conn, self.who.user_id, client_id) if client_id else None
        if until is None:
            raise Rejected(p.R_OUT_OF_SCOPE, "this client is not in your scope")
        until_ms, until_seq = until
        if self.cursor is not None and until_seq is not None:
            if self.cursor >= until_seq:
                raise Rejected(p.R_OUT_OF_SCOPE, "this client left your scope before this device last synced")
        elif HLC.decode(hlc).wall_ms > until_ms:
            raise Rejected(p.R_OUT_OF_SCOPE, "this client left your scope before this edit was made")

    # -- items ---------------------------------------------------------------------------------
    def apply(self, item: p.PushItem) -> p.ItemResult:
        model = ENTITIES.get(item.entity)
        if model is None:
            raise Rejected(p.R_UNKNOWN_ENTITY, f"unknown entity {item.entity}")
        if not p.MIN_SCHEMA <= item.schema_version <= p.MAX_SCHEMA:
            raise Rejected(p.R_UNKNOWN_ENTITY, f"written under schema {item.schema_version}, which this server does not accept")
        hlc = self.clamp(item.hlc)
        columns = set(data_columns(model))
        existing = repo.get_record(self.conn, item.row_id, lock=True)
        if existing is not None and existing["entity"] != item.entity:
            raise Rejected(p.R_INVALID, "row id already used by another entity")
        allowed = columns | CREATE_EXTRA if item.op == "create" else columns | {"deleted_at"}
        bad = sorted(set(item.fields) - allowed)
        if bad:
            raise Rejected(p.R_INVALID, f"unknown field {bad[0]}")
        fields: dict[str, Any] = {}
        for name, value in item.fields.items():
            try:
                fields[name] = encode_value(decode_value(model, name, value))
            except (ValueError, TypeError) as exc:
                raise Rejected(p.R_INVALID, f"{name}: {exc}") from None
            if _too_big(fields[name]):
                raise Rejected(p.R_INVALID, f"{name}: number out of range")
        if item.op == "create" and existing is None:
            return self._create(model, item, fields, hlc)
        if existing is None:
            raise Rejected(p.R_UNKNOWN_ROW, "the record does not exist on the server")
        if item.op == "delete":
            return self._delete(model, item, existing, hlc)
        data_fields = {k: v for k, v in fields.items() if k not in CREATE_EXTRA}
        return self._update(model, item, existing, data_fields, hlc)

    def _create(self, model: type[SyncMixin], item: p.PushItem, fields: dict[str, Any], hlc: str) -> p.ItemResult:
        if model.__global__:
            client_id = None
        elif item.entity == "client":
            client_id = item.row_id
        else:
            client_id = item.client_id or fields.get("client_id")
            client = repo.get_record(self.conn, client_id) if client_id else None
            if client is None or client["entity"] != "client":
                raise Rejected(p.R_UNKNOWN_ROW, "the client of this record does not exist on the server")
        self.authorise(item.entity, "create", set(fields) - CREATE_EXTRA, client_id, hlc, None, fields)
        seq = self.next_seq()
        data = {c.key: None for c in model.__table__.columns if c.key not in ("id", "server_seq")}
        data.update(fields)
        data.update(client_id=client_id, created_by=fields.get("created_by") or self.who.user_id,
                    created_at=fields.get("created_at") or encode_value(self.now),
                    updated_at=hlc, updated_by=self.who.user_id or None, deleted_at=None)
        clock = [hlc, seq, self.who.device_id, self.who.user_id]
        rec = {"id": item.row_id, "entity": item.entity, "client_id": client_id, "seq": seq, "deleted": False,
               "data": data, "clocks": {k: clock for k in fields}, "hidden": hidden_for(model, data)}
        self.put(rec, new=True)
        for name in sorted(fields):
            if name not in CREATE_EXTRA and fields[name] is not None:
                self._history(rec, name, None, fields[name], name in rec["hidden"])
        if item.entity in ("client", "client_team_member"):
            self.refresh_scope(client_id)
        if item.entity == "handover":
            repo.audit(self.conn, "handover", user_id=self.who.user_id, client_id=client_id,
                       from_user=data.get("from_user_id"), to_user=data.get("to_user_id"), reason=data.get("reason"))
        return p.ItemResult(row_id=item.row_id, status="applied", seq=seq)

    def _concurrent(self, clock: list | None, base_seq: int | None) -> bool:
        return clock is not None and clock[1] > (base_seq or 0) and clock[2] != self.who.device_id

    def _update(self, model: type[SyncMixin], item: p.PushItem, rec: dict[str, Any], fields: dict[str, Any], hlc: str) -> p.ItemResult:
        self.authorise(item.entity, "update", set(fields) - {"deleted_at"}, rec["client_id"], hlc, rec)
        data, clocks = dict(rec["data"]), dict(rec["clocks"])
        hidden_before = set(rec["hidden"])
        undelete = "deleted_at" in fields and fields["deleted_at"] is None
        fields.pop("deleted_at", None)
        if rec["deleted"] and not undelete:
            # delete wins; the edit is kept as a conflict
            self.conflict(rec, None, (None, data.get("updated_by"), data.get("updated_at")),
                          (fields, self.who.user_id, hlc), bool(hidden_before & set(fields)))
            self._resend(rec)
            return p.ItemResult(row_id=item.row_id, status="conflict", seq=self.seq, conflicts=1)
        seq = None
        conflicts = 0
        changed: dict[str, tuple[Any, Any]] = {}
        if undelete and rec["deleted"]:
            changed["deleted_at"] = (data.get("deleted_at"), None)
            data["deleted_at"] = None
        mine = [hlc, 0, self.who.device_id, self.who.user_id]
        for name, value in fields.items():
            clock = clocks.get(name)
            if self._concurrent(clock, item.base_seq) and data.get(name) != value:
                conflicts += 1
                secret = name in hidden_before
                if clock[0] > hlc:  # the stored value wins
                    self.conflict(rec, name, (data.get(name), clock[3], clock[0]), (value, self.who.user_id, hlc), secret)
                    continue
                self.conflict(rec, name, (value, self.who.user_id, hlc), (data.get(name), clock[3], clock[0]), secret)
            if data.get(name) != value:
                changed[name] = (data.get(name), value)
            data[name] = value
            clocks[name] = mine
        if changed:
            seq = self.next_seq()
            for name in clocks:
                if clocks[name] is mine:
                    clocks[name] = [hlc, seq, self.who.device_id, self.who.user_id]
            data["updated_at"] = max(data.get("updated_at") or "", hlc)
            data["updated_by"] = self.who.user_id
            new_rec = dict(rec, seq=seq, data=data, clocks=clocks, deleted=data.get("deleted_at") is not None,
                           hidden=hidden_for(model, data))
            self.put(new_rec, new=False)
            for name, (old, new) in changed.items():
                self._history(new_rec, name, old, new, name in hidden_before or name in new_rec["hidden"])
            moved = {k: v for k, v in changed.items() if k in ("owner_id", "backup_owner_id")}
            if item.entity == "client" and moved:
                repo.audit(self.conn, "reassign", user_id=self.who.user_id, client_id=rec["client_id"],
                           changes={k: list(v) for k, v in moved.items()})
            if item.entity in ("client", "client_team_member") and SCOPE_FIELDS & changed.keys():
                self.refresh_scope(rec["client_id"])
        elif conflicts:
            seq = self._resend(rec)
        status = "conflict" if conflicts else "applied"
        return p.ItemResult(row_id=item.row_id, status=status, seq=seq or self.seq, conflicts=conflicts)

    def _resend(self, rec: dict[str, Any]) -> int:
        """Give an unchanged row a new sequence number, so that a device whose edit lost pulls
        the winning state again (its own value is still on its screen)."""
        seq = self.next_seq()
        self.put(dict(rec, seq=seq), new=False)
        return seq

    def _delete(self, model: type[SyncMixin], item: p.PushItem, rec: dict[str, Any], hlc: str) -> p.ItemResult:
        self.authorise(item.entity, "delete", set(), rec["client_id"], hlc, rec)
        if rec["deleted"]:
            return p.ItemResult(row_id=item.row_id, status="applied", seq=rec["seq"])
        data, clocks = dict(rec["data"]), dict(rec["clocks"])
        lost = {k: data.get(k) for k, c in clocks.items() if self._concurrent(c, item.base_seq) and k in data}
        conflicts = 0
        if lost:
            authors = [clocks[k] for k in lost]
            newest = max(authors, key=lambda c: c[0])
            self.conflict(rec, None, (None, self.who.user_id, hlc), (lost, newest[3], newest[0]),
                          bool(set(rec["hidden"]) & set(lost)))
            conflicts = 1
        seq = self.next_seq()
        deleted_at = encode_value(self.now)
        data.update(deleted_at=deleted_at, updated_at=max(data.get("updated_at") or "", hlc), updated_by=self.who.user_id)
        clocks["deleted_at"] = [hlc, seq, self.who.device_id, self.who.user_id]
        new_rec = dict(rec, seq=seq, data=data, clocks=clocks, deleted=True)
        self.put(new_rec, new=False)
        self._history(new_rec, "deleted_at", None, deleted_at, False)
        if item.entity in ("client", "client_team_member"):
            self.refresh_scope(rec["client_id"])
        return p.ItemResult(row_id=item.row_id, status="conflict" if conflicts else "applied", seq=seq, conflicts=conflicts)

    # -- server-side changes (CLI handover, user records) --------------------------------------
    def server_update(self, rec: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a change made on the server itself (always wins: it happens now)."""
        model = ENTITIES[rec["entity"]]
        seq = self.next_seq()
        hlc = HLC(now_ms(), 0, SERVER_NODE).encode()
        data, clocks = dict(rec["data"]), dict(rec["clocks"])
        for name, value in changes.items():
            if data.get(name) != value:
                self._history(dict(rec, seq=seq), name, data.get(name), value, False)
            data[name] = value
            clocks[name] = [hlc, seq, SERVER_NODE, self.who.user_id]
        data.update(updated_at=max(data.get("updated_at") or "", hlc), updated_by=self.who.user_id or None)
        new_rec = dict(rec, seq=seq, data=data, clocks=clocks, hidden=hidden_for(model, data))
        self.put(new_rec, new=False)
        if rec["entity"] in ("client", "client_team_member"):
            self.refresh_scope(rec["client_id"])
        return new_rec

    def server_create(self, entity: str, values: dict[str, Any], *, client_id: str | None, row_id: str | None = None) -> dict[str, Any]:
        model = ENTITIES[entity]
        seq = self.next_seq()
        hlc = HLC(now_ms(), 0, SERVER_NODE).encode()
        data = {c.key: None for c in model.__table__.columns if c.key not in ("id", "server_seq")}
        data.update({k: encode_value(v) for k, v in values.items()})
        data.update(client_id=client_id, created_at=encode_value(self.now), created_by=self.who.user_id or None,
                    updated_at=hlc, updated_by=self.who.user_id or None, deleted_at=None)
        rec = {"id": row_id or new_id(), "entity": entity, "client_id": client_id, "seq": seq, "deleted": False,
               "data": data, "clocks": {k: [hlc, seq, SERVER_NODE, self.who.user_id] for k in values},
               "hidden": hidden_for(model, data)}
        self.put(rec, new=True)
        return rec


def push(db: Database, settings: Settings, who: Identity, req: p.PushRequest, *, delay_ms: int = 0) -> p.PushResult:
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        try:
            return _push_once(db, settings, who, req, delay_ms)
        except DBAPIError as exc:
            # Another push created the same row, stored the same batch or locked rows in the
            # other order; it has committed or rolled back by now: start again.
            if attempt == PUSH_ATTEMPTS or not repo.is_collision(exc):
                raise
            log.info("push of batch %s collided with another one (attempt %s)", req.batch_id, attempt)
    raise AssertionError("unreachable")


def _push_once(db: Database, settings: Settings, who: Identity, req: p.PushRequest, delay_ms: int) -> p.PushResult:
    with db.write() as conn:
        stored = repo.stored_batch(conn, who.device_id, req.batch_id)
        if stored is not None:
            result = p.PushResult.model_validate(stored)
            result.replayed = True
            return result
        writer = Writer(conn, who, settings, cursor=req.cursor)
        results: list[p.ItemResult] = []
        for item in req.items:
            try:  # every check comes before the first write of an item: a refusal writes nothing
                results.append(writer.apply(item))
            except Rejected as exc:
                results.append(p.ItemResult(row_id=item.row_id, status="rejected", code=exc.code, reason=exc.reason))
        result = p.PushResult(batch_id=req.batch_id, results=results)
        writer.finish((who.device_id, result))
        if delay_ms:  # test hook: hold the transaction open after taking sequence numbers
            time.sleep(delay_ms / 1000)
        return result


SYSTEM = Identity(user_id="", username="server", role=Role.ADMIN.value, device_id=SERVER_NODE)

