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
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from ..gcpause import gc_paused
from ..models import ENTITIES, SyncMixin, confidential_fields, new_id
from ..models.enums import Role
from ..permissions import (
    OWN_ROWS,
    RESPONSIBLE_FOR_WORK,
    may_change_confidentiality,
    may_change_responsible,
    may_create_client,
    may_write,
    sees_all_clients,
    sees_confidential,
)
from ..sync import protocol as p
from ..sync.clock import HLC
from ..sync.codec import encode_value
from . import repo, validate
from .auth import Identity
from .db import Database
from .settings import Settings
from .validate import CREATE_EXTRA, Rejected

log = logging.getLogger("accountdesk.server")

SERVER_NODE = "server"
#: Changes of these fields (of a client or a team member) change who sees the client.
SCOPE_FIELDS = frozenset({"owner_id", "backup_owner_id", "user_id", "client_id", "deleted_at"})
#: Sequence numbers handed out during a merge are above this; they are replaced by final ones
#: before anything is written.
PROVISIONAL = 1 << 62
#: Attempts of a push whose transaction collided with another one.
PUSH_ATTEMPTS = 5
#: From this many items on, a push runs with the cyclic garbage collector paused.
BULK_ITEMS = 100
#: The clock of every field of a created record that has none of its own.
DEFAULT_CLOCK = "*"
#: History entries of a created record: one entry holding its first values.
CREATED = "*"
#: How long after the server first served a device the loss of a client that device's edits of
#: the client are still kept (made while that pull was on its way).
LOSS_GRACE = dt.timedelta(minutes=2)
#: User fields that make someone responsible (a deactivated user takes none of them on).
RESPONSIBLE = frozenset({"owner_id", "backup_owner_id", "user_id", "handler_id"})
#: Why an item about a row the caller cannot see is refused (the same whether it exists or not).
NOT_VISIBLE = "no such record in your scope"

__all__ = ["Rejected", "Writer", "push", "SYSTEM", "refresh_scope", "PROVISIONAL"]


def now_ms() -> int:
    return int(time.time() * 1000)


def hidden_for(model: type[SyncMixin], data: dict[str, Any], before: list[str] | None = None) -> list[str]:
    """The fields of a record stripped for roles that may not see confidential data. A conflict's
    stripping was settled when it was made (from the row it is about) and never relaxes."""
    if model.__entity__ == "conflict":
        return list(before or [])
    return sorted(confidential_fields(model, data))


def clock_of(clocks: dict[str, Any], name: str, value: Any = True) -> list | None:
    """The clock of a field's stored value: its own, else its record's creation clock — unless
    the value is empty (a field the creation left empty holds nothing a later edit could lose)."""
    own = clocks.get(name)
    if own is not None or value is None:
        return own
    return clocks.get(DEFAULT_CLOCK)


def _final(base: int) -> Callable[[Any], Any]:
    def final(seq: Any) -> Any:
        return seq - PROVISIONAL + base if isinstance(seq, int) and seq > PROVISIONAL else seq

    return final


class Writer:
    """One push (or one server-side change) inside a write transaction. Records it changes are
    locked as they are read and kept in memory; :meth:`finish` numbers and writes everything."""

    def __init__(
        self,
        conn: Connection,
        who: Identity,
        settings: Settings,
        *,
        address: str | None = None,
        cursor: int | None = None,
    ):
        self.conn = conn
        self.who = who
        self.settings = settings
        self.address = address
        #: what the device says its pull cursor was (ignored: the server decides from what it
        #: served; kept for older callers)
        self.cursor = cursor
        self.seq = PROVISIONAL
        self.now = repo.utcnow()
        self.history: list[dict[str, Any]] = []
        self.audits: list[tuple[str, dict[str, Any]]] = []
        #: row id -> the record as it stands in this transaction (None: known to be absent)
        self.state: dict[str, dict[str, Any] | None] = {}
        self.locked: set[str] = set()
        self.new: set[str] = set()
        self.dirty: set[str] = set()
        #: client -> provisional sequence of the change that made its scope change
        self.scope_dirty: dict[str, int] = {}
        self._scoped: dict[str, bool] = {}  # client -> in the writer's scope (before this batch)
        self._former: dict[str, tuple[int, int | None]] = {}
        self._seen: dict[str, dt.datetime] = {}
        self._team: dict[str, dict[str, dict[str, Any]]] = {}  # client -> team records from the database
        #: client -> team records written in this transaction (the overlay on ``_team``)
        self._team_written: dict[str, dict[str, dict[str, Any]]] = {}
        self._first_seq: int | None | bool = False  # False: not read yet
        self._codes: dict[str, str] | None = None  # live offering code -> id

    # -- records ------------------------------------------------------------------------------
    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def load(self, ids: Iterable[str], *, lock: bool) -> None:
        """Read records into :attr:`state` in one statement: whole and locked until commit
        (``lock``: records about to change), else only what a reference needs (see
        :func:`repo.get_light_records`; read whole again should they change later)."""
        todo = [
            i
            for i in set(ids)
            if i not in self.state or (lock and i not in self.locked and self.state[i] is not None)
        ]
        if not todo:
            return
        found = (
            repo.get_records(self.conn, todo, lock=True) if lock else repo.get_light_records(self.conn, todo)
        )
        for row_id in todo:
            if row_id in self.new or row_id in self.dirty:
                continue  # written in this transaction: ours is newer
            self.state[row_id] = found.get(row_id)
        if lock:
            self.locked.update(todo)

    def get(self, row_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        if row_id not in self.state or (lock and row_id not in self.locked):
            self.load([row_id], lock=lock)
        return self.state.get(row_id)

    def put(self, rec: dict[str, Any], *, new: bool) -> None:
        self.state[rec["id"]] = rec
        if rec["entity"] == "client_team_member":
            self._team_written.setdefault(rec["client_id"], {})[rec["id"]] = rec
        if new or rec["id"] in self.new:
            self.new.add(rec["id"])
        else:
            self.dirty.add(rec["id"])

    def reindex_team(self) -> None:
        """Rebuild the index of team records written (after a rolled-back item)."""
        self._team_written = {}
        for row_id in self.new | self.dirty:
            rec = self.state.get(row_id)
            if rec is not None and rec["entity"] == "client_team_member":
                self._team_written.setdefault(rec["client_id"], {})[row_id] = rec

    # -- scope --------------------------------------------------------------------------------
    def prefetch_scope(self, client_ids: Iterable[str]) -> None:
        ids = [c for c in set(client_ids) if c and c not in self._scoped]
        if not ids or sees_all_clients(self.who.role):
            return
        mine = repo.scoped_clients(self.conn, self.who.user_id, ids)
        self._scoped.update({c: c in mine for c in ids})
        lost = [c for c in ids if c not in mine]
        if lost:
            self._former.update(repo.former_marks(self.conn, self.who.user_id, lost))
            self._seen.update(repo.losses_seen(self.conn, self.who.user_id, self.who.device_id, lost))

    def scope_of_client(self, client_id: str) -> set[tuple[str, str]]:
        """Who sees a client as it stands in this transaction: owner, backup owner, live team."""
        client = self.get(client_id)
        if client is None or client["entity"] != "client" or client["deleted"]:
            return set()
        out: set[tuple[str, str]] = set()
        if client["data"].get("owner_id"):
            out.add((client["data"]["owner_id"], "owner"))
        if client["data"].get("backup_owner_id"):
            out.add((client["data"]["backup_owner_id"], "backup"))
        if client_id not in self._team:
            # a client created in this transaction has no team in the database
            rows = [] if client_id in self.new else repo.team_rows(self.conn, [client_id])
            self._team[client_id] = {r["id"]: r for r in rows}
        # (an index of what this transaction wrote: a join's batch makes hundreds of clients
        # and looking through every record for each one made a batch quadratic)
        team = {**self._team[client_id], **self._team_written.get(client_id, {})}
        for rec in team.values():
            if not rec["deleted"] and rec["data"].get("user_id"):
                out.add((rec["data"]["user_id"], "team"))
        return out

    def visible(self, client_id: str | None) -> bool:
        """May the writer see this client now (as this transaction stands)?"""
        if client_id is None or sees_all_clients(self.who.role):
            return True
        if client_id in self.scope_dirty:
            return any(u == self.who.user_id for u, _k in self.scope_of_client(client_id))
        if client_id not in self._scoped:
            self.prefetch_scope([client_id])
        return self._scoped[client_id]

    def refresh_scope(self, client_id: str | None) -> None:
        """Mark a client's scope as changed by the change being made now (recomputed at
        :meth:`finish`)."""
        if client_id:
            self.scope_dirty[client_id] = self.seq

    # -- numbering and writing ----------------------------------------------------------------
    def finish(self, batch: tuple[str, dict[str, Any]] | None = None) -> Callable[[Any], Any]:
        """Number and write everything: lock the counter and take the numbers used (one
        statement), then write records, history, scopes, audit entries and a push's ``batch``
        result (device id, result; its numbers are made final in place), all with final
        numbers. Call it last before the commit: the counter stays locked until then. Returns
        the mapping for provisional numbers the caller holds."""
        self._fix_conflict_stripping()
        scopes = {c: self.scope_of_client(c) for c in sorted(self.scope_dirty)}
        used = self.seq - PROVISIONAL
        base = repo.take_numbers(self.conn, used) if used else repo.current_seq(self.conn)
        final = _final(base)
        new, changed = [], []
        for row_id in sorted(self.new | self.dirty):
            rec = self.state[row_id]
            assert rec is not None
            rec["seq"] = final(rec["seq"])  # our own dicts: numbered in place
            for clock in rec["clocks"].values():
                if clock[1] > PROVISIONAL:
                    clock[1] = final(clock[1])
            (new if row_id in self.new else changed).append(rec)
        repo.insert_records(self.conn, new)
        repo.update_records(self.conn, changed)
        repo.add_history(self.conn, [dict(h, seq=final(h["seq"])) for h in self.history])
        repo.apply_scopes(self.conn, scopes, {c: final(s) for c, s in self.scope_dirty.items()}, now_ms())
        for action, detail in self.audits:
            repo.audit(self.conn, action, user_id=self.who.user_id or None, **detail)
        if batch is not None:
            for res in batch[1]["results"]:
                if "seq" in res:
                    res["seq"] = final(res["seq"])
            repo.store_batch(self.conn, batch[0], batch[1]["batch_id"], batch[1])
        return final

    # -- helpers ------------------------------------------------------------------------------
    def clamp(self, text: str) -> str:
        """A pushed clock checked, clamped when too far ahead, in its canonical form (clocks
        compare as text)."""
        wall, counter, node = validate.check_hlc(text)
        limit = now_ms() + self.settings.max_clock_ahead_ms
        if wall > limit:
            log.warning("clamped a clock %s ms ahead from device %s", wall - now_ms(), self.who.device_id)
            self.audits.append(("clock_clamped", {"device_id": self.who.device_id, "hlc": text}))
            wall = limit
        elif len(text) - len(node) == 23:  # already 16 digits, a dash, 5 digits, a dash
            return text
        return HLC(wall, counter, node).encode()

    def _history(self, rec: dict[str, Any], field: str, old: Any, new: Any, hidden: bool) -> None:
        self.history.append(
            {
                "seq": rec["seq"],
                "entity": rec["entity"],
                "row_id": rec["id"],
                "client_id": rec["client_id"],
                "field": field,
                "old": old,
                "new": new,
                "user_id": self.who.user_id or None,
                "device_id": self.who.device_id,
                "at": self.now,
                "hidden": hidden,
            }
        )

    def conflict(
        self,
        rec: dict[str, Any],
        field: str | None,
        kept: tuple[Any, str | None, str | None],
        lost: tuple[Any, str | None, str | None],
        hidden: bool = False,
        intended: dict[str, Any] | None = None,
    ) -> None:
        """Store the losing value of a merge as a Conflict record (it syncs to everyone who sees
        the row). Its values are stripped for roles that may not see confidential data when the
        field (for a whole-row conflict: any of its fields) is confidential in the row as it
        stood, in the row as the pusher's edit (``intended``) would have made it, or in the row's
        final state (settled at :meth:`finish`); ``hidden`` forces it."""
        model = ENTITIES.get(rec["entity"])
        if not hidden and model is not None:
            names = {field} if field else {k for v in (kept[0], lost[0]) if isinstance(v, dict) for k in v}
            states = [rec.get("data") or {}, {**(rec.get("data") or {}), **(intended or {})}]
            hidden = any(names & confidential_fields(model, state) for state in states) or bool(
                names & set(rec.get("hidden") or ())
            )
        seq = self.next_seq()
        hlc = max(kept[2] or "", lost[2] or "")
        data = {
            "client_id": rec["client_id"],
            "created_at": encode_value(self.now),
            "created_by": None,
            "updated_at": hlc,
            "updated_by": None,
            "deleted_at": None,
            "entity": rec["entity"],
            "row_id": rec["id"],
            "field": field,
            "kept_value": kept[0],
            "kept_by": kept[1],
            "kept_hlc": kept[2],
            "lost_value": lost[0],
            "lost_by": lost[1],
            "lost_hlc": lost[2],
            "resolved_at": None,
            "resolved_by": None,
            "resolution": None,
        }
        self.put(
            {
                "id": new_id(),
                "entity": "conflict",
                "client_id": rec["client_id"],
                "seq": seq,
                "deleted": False,
                "data": data,
                "clocks": {DEFAULT_CLOCK: [hlc, seq, SERVER_NODE, None]},
                "hidden": ["kept_value", "lost_value"] if hidden else [],
                "writer": None,
            },
            new=True,
        )

    def _fix_conflict_stripping(self) -> None:
        """A conflict's values are stripped (for roles that may not see confidential data) when
        its field is confidential in the row's final state, or was when the conflict was made;
        for a conflict of a whole row (delete against edit), when any of its fields is. Conflicts
        made now are checked, and so are older ones about rows whose confidential fields grew
        here (they are sent again, stripped)."""
        grown: dict[str, set[str]] = {}
        for row_id in self.dirty:
            rec = self.state[row_id]
            if rec is not None and rec["entity"] != "conflict" and rec.get("_hidden_before") is not None:
                more = set(rec["hidden"]) - set(rec["_hidden_before"])
                if more:
                    grown[row_id] = more
        for row_id in self.new | self.dirty:
            rec = self.state[row_id]
            if rec is not None:
                rec.pop("_hidden_before", None)
        olds: list[str] = []
        for row_id in grown:
            rec = self.state[row_id]
            olds += [
                c["id"]
                for c in repo.conflicts_of(self.conn, rec["client_id"], row_id)
                if c["id"] not in self.new
            ]
        self.load(olds, lock=True)
        for c in [self.state[i] for i in sorted(self.new) if self.state[i]["entity"] == "conflict"] + [
            self.state[i] for i in olds
        ]:
            if c is None:
                continue
            if c["hidden"]:
                continue
            target = self.state.get(c["data"]["row_id"])
            if target is None:
                continue
            secret = set(target["hidden"])
            field = c["data"]["field"]
            values = [c["data"].get("kept_value"), c["data"].get("lost_value")]
            touched = {field} if field else {k for v in values if isinstance(v, dict) for k in v}
            if touched & secret:
                c = dict(
                    c,
                    hidden=["kept_value", "lost_value"],
                    seq=c["seq"] if c["id"] in self.new else self.next_seq(),
                )
                self.put(c, new=c["id"] in self.new)

    # -- authorisation ------------------------------------------------------------------------
    def authorise(
        self,
        entity: str,
        op: str,
        fields: set[str],
        client_id: str | None,
        hlc: str,
        existing: dict[str, Any] | None,
        new_client: dict[str, Any] | None = None,
    ) -> str:
        """Check role, scope and confidentiality; returns ``"ok"`` or ``"grace"`` (the client left
        the writer's scope while this edit was on its way: see the module docstring)."""
        role = self.who.role
        if entity == "user":
            raise Rejected(p.R_SERVER_OWNED, "users are managed on the server")
        if entity == "conflict" and op != "update":
            raise Rejected(p.R_SERVER_OWNED, "conflicts are recorded by the server")
        if not may_write(role, entity, op, frozenset(fields)):
            raise Rejected(
                p.R_NOT_ALLOWED,
                f"the role {role} may not {op} {entity}"
                + (
                    " (only supervisors change who serves a client)" if entity == "client_team_member" else ""
                ),
            )
        if entity in OWN_ROWS:
            owner = (
                (existing or {}).get("data", {}).get("user_id")
                if existing is not None
                else (new_client or {}).get("user_id")
            )
            if owner != self.who.user_id or (op == "update" and "user_id" in fields):
                raise Rejected(p.R_NOT_ALLOWED, f"a {entity} belongs to its user: write only your own")
        if (
            entity == "handover"
            and not sees_all_clients(role)
            and (existing is None or existing["data"].get("to_user_id") != self.who.user_id)
        ):
            raise Rejected(p.R_NOT_ALLOWED, "only the successor of a handover acknowledges it")
        verdict = "ok"
        if ENTITIES[entity].__global__ or sees_all_clients(role):
            pass
        elif entity == "client" and existing is None:
            data = new_client or {}
            if not may_create_client(
                role, self.who.user_id, data.get("owner_id"), data.get("backup_owner_id")
            ):
                raise Rejected(
                    p.R_NOT_ALLOWED,
                    "a new client is owned by its author, without a backup owner (supervisors assign owners)",
                )
        elif not self.visible(client_id):
            verdict = self._former_scope(client_id, op)
        if not sees_confidential(role) and existing is not None:
            if op == "update" and fields & set(existing["hidden"]):
                raise Rejected(p.R_CONFIDENTIAL, "you may not change a confidential field")
            flag = ENTITIES[entity].__confidential_flag__
            if flag and flag in fields and not may_change_confidentiality(role):
                raise Rejected(p.R_CONFIDENTIAL, "you may not change what is confidential")
        if entity == "attachment":
            from .files import check_push

            check_push(self, op, fields, existing, new_client)
        return verdict

    def _former_scope(self, client_id: str | None, op: str) -> str:
        """An edit of a client the writer cannot see: refused, unless the user had the client and
        the server never told this device it was gone (see the module docstring)."""
        mark = self._former.get(client_id) if client_id else None
        if mark is None:
            raise Rejected(p.R_OUT_OF_SCOPE, NOT_VISIBLE)
        _until_ms, until_seq = mark
        if self._first_seq is False:
            self._first_seq = repo.device_first_seq(self.conn, self.who.device_id)
        first = self._first_seq
        if until_seq is not None and isinstance(first, int) and first >= until_seq:
            raise Rejected(p.R_OUT_OF_SCOPE, "this client left your scope before this device was registered")
        seen = self._seen.get(client_id)
        if seen is None:
            return "ok"
        if self.now - seen <= LOSS_GRACE and op != "delete":
            return "grace"
        raise Rejected(p.R_OUT_OF_SCOPE, "this client left your scope before this device last synced")

    def _check_refs(self, model: type[SyncMixin], fields: dict[str, Any], client_id: str | None) -> None:
        """References must point at rows the writer may see: the same client's rows, or the
        global catalogue; user references at known users."""
        for name, spec in _reference_fields(model):
            if name not in fields or fields[name] in (None, []):
                continue
            if spec.kind in ("ref", "refs"):
                target_model = ENTITIES[spec.ref]
                ids = fields[name] if isinstance(fields[name], list) else [fields[name]]
                for rid in ids:
                    rec = self.get(rid)
                    ok = (
                        rec is not None
                        and rec["entity"] == spec.ref
                        and (target_model.__global__ or rec["client_id"] == client_id)
                    )
                    if not ok:
                        raise validate.invalid(name, NOT_VISIBLE)
            elif spec.kind in ("user", "users"):
                ids = fields[name] if isinstance(fields[name], list) else [fields[name]]
                for uid in ids:
                    rec = self.get(uid)
                    if rec is not None and rec["entity"] != "user":
                        raise validate.invalid(name, "not a user")
                    # A user the server does not know (a profile used on its own before it joined
                    # names its local colleagues) is kept as it is: such a client needs a new
                    # owner. A deactivated user takes on nothing new.
                    if (
                        rec is not None
                        and name in RESPONSIBLE
                        and rec["data"].get("active") is False
                        and uid != self.who.user_id
                    ):  # (a leaver's last edits may name the leaver)
                        raise validate.invalid(name, "this user has been deactivated")

    # -- items --------------------------------------------------------------------------------
    def prepare(self, items: list[p.PushItem]) -> None:
        """Read (and lock) in a few statements what a batch's items need."""
        row_ids, others, clients = [], [], []
        for item in items:
            row_ids.append(item.row_id)
            client = item.client_id or item.fields.get("client_id")
            if isinstance(client, str):
                clients.append(client)
            model = ENTITIES.get(item.entity)
            if model is None:
                continue
            for name, _spec in _reference_fields(model):
                if name in item.fields:
                    value = item.fields[name]
                    others.extend(
                        v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
                    )
        valid = [i for i in row_ids if validate.ID_RE.fullmatch(i)]
        self.load(valid, lock=True)
        self.load([i for i in others + clients if validate.ID_RE.fullmatch(i)], lock=False)
        known = [
            r["client_id"] for r in (self.state.get(i) for i in valid) if r is not None and r["client_id"]
        ]
        self.prefetch_scope([c for c in clients + known if validate.ID_RE.fullmatch(c)])

    def apply(self, item: p.PushItem) -> p.ItemResult:
        model = ENTITIES.get(item.entity)
        if model is None:
            raise Rejected(p.R_UNKNOWN_ENTITY, "unknown entity")
        if not p.MIN_SCHEMA <= item.schema_version <= p.MAX_SCHEMA:
            raise Rejected(
                p.R_UNKNOWN_ENTITY,
                f"written under schema {item.schema_version}, which this server does not accept",
            )
        validate.check_id("row_id", item.row_id)
        if item.client_id is not None:
            validate.check_id("client_id", item.client_id)
        hlc = self.clamp(item.hlc)
        fields = validate.check_fields(model, item.op, item.fields)
        existing = self.get(item.row_id, lock=True)
        if existing is not None and existing["entity"] != item.entity:
            if not self.visible(existing["client_id"]):
                raise Rejected(p.R_OUT_OF_SCOPE, NOT_VISIBLE)
            raise validate.invalid("row_id", "already used by another kind of record")
        if item.op == "create" and existing is None:
            return self._create(model, item, fields, hlc)
        if existing is None:
            raise Rejected(p.R_OUT_OF_SCOPE, NOT_VISIBLE)
        if item.op == "delete":
            return self._delete(model, item, existing, hlc)
        data_fields = {k: v for k, v in fields.items() if k not in CREATE_EXTRA}
        return self._update(model, item, existing, data_fields, hlc)

    def _create(
        self, model: type[SyncMixin], item: p.PushItem, fields: dict[str, Any], hlc: str
    ) -> p.ItemResult:
        if model.__global__:
            client_id = None
        elif item.entity == "client":
            client_id = item.row_id
        else:
            client_id = item.client_id or fields.get("client_id")
            client = self.get(client_id) if client_id else None
            if client is None or client["entity"] != "client":
                raise Rejected(p.R_OUT_OF_SCOPE, NOT_VISIBLE)
        verdict = self.authorise(
            item.entity, "create", set(fields) - CREATE_EXTRA, client_id, hlc, None, fields
        )
        self._check_refs(model, fields, client_id)
        if verdict == "grace":
            # made while the pull that took the client away was on its way: kept for the
            # successor as a conflict (restoring it creates the record), not added
            proposed = {k: v for k, v in fields.items() if k not in CREATE_EXTRA and v is not None}
            about = {"id": item.row_id, "entity": item.entity, "client_id": client_id, "data": {}}
            self.conflict(
                about, None, (None, None, None), (proposed, self.who.user_id, hlc), intended=proposed
            )
            return _result(row_id=item.row_id, status="conflict", seq=self.seq, conflicts=1)
        seq = self.next_seq()
        data = dict(_blank_record(model))
        data.update(fields)
        data.update(
            client_id=client_id,
            created_by=fields.get("created_by") or self.who.user_id,
            created_at=fields.get("created_at") or encode_value(self.now),
            updated_at=hlc,
            updated_by=self.who.user_id or None,
            deleted_at=None,
        )
        rec = {
            "id": item.row_id,
            "entity": item.entity,
            "client_id": client_id,
            "seq": seq,
            "deleted": False,
            "data": data,
            "clocks": {DEFAULT_CLOCK: [hlc, seq, self.who.device_id, self.who.user_id]},
            "hidden": hidden_for(model, data),
            "writer": self.who.device_id,
        }
        if item.entity == "service_offering":
            self._unique_code(rec)
        self.put(rec, new=True)
        first = _first_values(data)
        self._history(rec, CREATED, None, first, bool(rec["hidden"]))
        if item.entity in ("client", "client_team_member"):
            self.refresh_scope(client_id)
        if item.entity == "handover":
            self.audits.append(
                (
                    "handover",
                    {
                        "client_id": client_id,
                        "from_user": data.get("from_user_id"),
                        "to_user": data.get("to_user_id"),
                        "reason": data.get("reason"),
                    },
                )
            )
        return _result(row_id=item.row_id, status="applied", seq=seq, current=rec["writer"] is not None)

    def _unique_code(self, rec: dict[str, Any]) -> None:
        """Offering codes are unique everywhere: a second live offering with a code in use gets
        the first free ``CODE-n``; the rename is recorded as a conflict and audited."""
        if self._codes is None:
            self._codes = repo.live_offering_codes(self.conn)
            for r in self.state.values():
                if r is not None and r["entity"] == "service_offering" and not r.get("_light"):
                    self._codes = {c: i for c, i in self._codes.items() if i != r["id"]}
                    if not r["deleted"] and r["data"].get("code"):
                        self._codes[r["data"]["code"].upper()] = r["id"]
        code = rec["data"].get("code")
        holder = self._codes.get(code.upper()) if code else None
        if holder is None or holder == rec["id"]:
            if code and not rec["deleted"]:
                self._codes[code.upper()] = rec["id"]
            return
        n = 2
        while True:
            suffix = f"-{n}"
            candidate = code[: 32 - len(suffix)] + suffix
            if candidate.upper() not in self._codes:
                break
            n += 1
        rec["data"]["code"] = candidate
        rec["writer"] = None  # the device holds the old code: it must pull this version
        self._codes[candidate.upper()] = rec["id"]
        self.conflict(
            rec,
            "code",
            (candidate, None, rec["data"]["updated_at"]),
            (code, self.who.user_id, rec["data"]["updated_at"]),
        )
        self.audits.append(
            (
                "natural_key_renamed",
                {"entity": "service_offering", "row_id": rec["id"], "from": code, "to": candidate},
            )
        )

    def _concurrent(self, clock: list | None, base_seq: int | None) -> bool:
        return clock is not None and clock[1] > (base_seq or 0) and clock[2] != self.who.device_id

    def _update(
        self, model: type[SyncMixin], item: p.PushItem, rec: dict[str, Any], fields: dict[str, Any], hlc: str
    ) -> p.ItemResult:
        verdict = self.authorise(
            item.entity, "update", set(fields) - {"deleted_at"}, rec["client_id"], hlc, rec
        )
        work = RESPONSIBLE_FOR_WORK.get(item.entity)
        if (
            work in fields
            and fields[work] != rec["data"].get(work)
            and not may_change_responsible(self.who.role, self.who.user_id, rec["data"].get(work))
        ):
            raise Rejected(p.R_NOT_ALLOWED, "only supervisors reassign someone else's work")
        self._check_refs(model, fields, rec["client_id"])
        if item.entity == "conflict":
            fields = dict(fields, resolved_by=self.who.user_id)  # who settled it is who says so
            if fields.get("resolution") not in (None, "kept", "restored"):
                raise validate.invalid("resolution", "not one of the allowed values")
        data, clocks = dict(rec["data"]), dict(rec["clocks"])
        hidden_before = set(rec["hidden"])
        undelete = "deleted_at" in fields and fields["deleted_at"] is None
        fields.pop("deleted_at", None)
        if verdict == "grace":
            # the client left the writer's scope while this edit was on its way: kept for the
            # successor as conflicts, the record unchanged
            n = 0
            for name, value in fields.items():
                if data.get(name) != value:
                    clock = clock_of(clocks, name) or [None, 0, None, None]
                    self.conflict(
                        rec,
                        name,
                        (data.get(name), clock[3], clock[0]),
                        (value, self.who.user_id, hlc),
                        name in hidden_before,
                        intended=fields,
                    )
                    n += 1
            seq = self._resend(rec) if n else rec["seq"]
            return _result(row_id=item.row_id, status="conflict" if n else "applied", seq=seq, conflicts=n)
        if rec["deleted"] and not undelete:
            # delete wins; the edit is kept as a conflict
            self.conflict(
                rec,
                None,
                (None, data.get("updated_by"), data.get("updated_at")),
                (fields, self.who.user_id, hlc),
                bool(hidden_before & set(fields)),
                intended=fields,
            )
            seq = self._resend(rec)
            return _result(row_id=item.row_id, status="conflict", seq=seq, conflicts=1)
        conflicts = 0
        changed: dict[str, tuple[Any, Any]] = {}
        if undelete and rec["deleted"]:
            changed["deleted_at"] = (data.get("deleted_at"), None)
            data["deleted_at"] = None
        seq = self.next_seq()
        mine = [hlc, seq, self.who.device_id, self.who.user_id]
        for name, value in fields.items():
            clock = clock_of(clocks, name, data.get(name))
            if self._concurrent(clock, item.base_seq) and data.get(name) != value:
                conflicts += 1
                if clock[0] > hlc:  # the stored value wins
                    self.conflict(
                        rec,
                        name,
                        (data.get(name), clock[3], clock[0]),
                        (value, self.who.user_id, hlc),
                        intended=fields,
                    )
                    continue
                self.conflict(
                    rec,
                    name,
                    (value, self.who.user_id, hlc),
                    (data.get(name), clock[3], clock[0]),
                    intended=fields,
                )
            if data.get(name) != value:
                changed[name] = (data.get(name), value)
            data[name] = value
            clocks[name] = mine
        if not changed:
            self.seq -= 1 if self.seq == seq else 0  # the number was not used
            if conflicts:
                seq = self._resend(rec)
            else:
                seq = rec["seq"]
            return _result(
                row_id=item.row_id,
                status="conflict" if conflicts else "applied",
                seq=seq,
                conflicts=conflicts,
                current=not conflicts and self._device_current(rec, item.base_seq),
            )
        data["updated_at"] = max(data.get("updated_at") or "", hlc)
        data["updated_by"] = self.who.user_id
        current = not conflicts and self._device_current(rec, item.base_seq)
        new_rec = dict(
            rec,
            seq=seq,
            data=data,
            clocks=clocks,
            deleted=data.get("deleted_at") is not None,
            hidden=hidden_for(model, data, rec["hidden"]),
            writer=self.who.device_id if current else None,
            _hidden_before=sorted(hidden_before),
        )
        if item.entity == "service_offering" and "code" in changed:
            self._unique_code(new_rec)
            if new_rec["writer"] is None:
                current = False
        self.put(new_rec, new=False)
        secret_now = set(new_rec["hidden"])
        for name, (old, new) in changed.items():
            self._history(new_rec, name, old, new, name in hidden_before or name in secret_now)
        moved = {k: v for k, v in changed.items() if k in ("owner_id", "backup_owner_id")}
        if item.entity == "client" and moved:
            self.audits.append(
                (
                    "reassign",
                    {"client_id": rec["client_id"], "changes": {k: list(v) for k, v in moved.items()}},
                )
            )
        if item.entity in ("client", "client_team_member") and SCOPE_FIELDS & changed.keys():
            self.refresh_scope(rec["client_id"])
        return _result(
            row_id=item.row_id,
            status="conflict" if conflicts else "applied",
            seq=seq,
            conflicts=conflicts,
            current=current,
        )

    def _device_current(self, rec: dict[str, Any], base_seq: int | None) -> bool:
        """Whether the device holds this record as it now stands after its edit: every version
        after the one it last had was its own."""
        base = base_seq or 0
        if rec["seq"] <= base:
            return True
        return rec.get("writer") == self.who.device_id and not any(
            c[1] > base and c[2] != self.who.device_id for c in rec["clocks"].values()
        )

    def _resend(self, rec: dict[str, Any]) -> int:
        """Give an unchanged row a new sequence number, so that a device whose edit lost pulls
        the winning state again (its own value is still on its screen)."""
        seq = self.next_seq()
        self.put(dict(rec, seq=seq, writer=None), new=False)
        return seq

    def _delete(
        self, model: type[SyncMixin], item: p.PushItem, rec: dict[str, Any], hlc: str
    ) -> p.ItemResult:
        self.authorise(item.entity, "delete", set(), rec["client_id"], hlc, rec)
        if rec["deleted"]:
            return _result(row_id=item.row_id, status="applied", seq=rec["seq"])
        data, clocks = dict(rec["data"]), dict(rec["clocks"])
        lost = {
            k: data.get(k)
            for k in data
            if k not in ("updated_at", "updated_by") and self._concurrent(clocks.get(k), item.base_seq)
        }
        conflicts = 0
        if lost:
            authors = [clocks[k] for k in lost]
            newest = max(authors, key=lambda c: c[0])
            self.conflict(
                rec,
                None,
                (None, self.who.user_id, hlc),
                (lost, newest[3], newest[0]),
                bool(set(rec["hidden"]) & set(lost)),
            )
            conflicts = 1
        seq = self.next_seq()
        deleted_at = encode_value(self.now)
        data.update(
            deleted_at=deleted_at,
            updated_at=max(data.get("updated_at") or "", hlc),
            updated_by=self.who.user_id,
        )
        clocks["deleted_at"] = [hlc, seq, self.who.device_id, self.who.user_id]
        new_rec = dict(rec, seq=seq, data=data, clocks=clocks, deleted=True, writer=None)
        self.put(new_rec, new=False)
        self._history(new_rec, "deleted_at", None, deleted_at, False)
        if item.entity in ("client", "client_team_member"):
            self.refresh_scope(rec["client_id"])
        return _result(
            row_id=item.row_id, status="conflict" if conflicts else "applied", seq=seq, conflicts=conflicts
        )

    # -- server-side changes (CLI handover, user records) --------------------------------------
    def server_update(self, rec: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a change made on the server itself (always wins: it happens now). Written at
        :meth:`finish`."""
        rec = self.get(rec["id"], lock=True) or rec
        model = ENTITIES[rec["entity"]]
        seq = self.next_seq()
        hlc = HLC(now_ms(), 0, SERVER_NODE).encode()
        data, clocks = dict(rec["data"]), dict(rec["clocks"])
        for name, value in changes.items():
            value = encode_value(value)
            if data.get(name) != value:
                self._history(dict(rec, seq=seq), name, data.get(name), value, name in rec["hidden"])
            data[name] = value
            clocks[name] = [hlc, seq, SERVER_NODE, self.who.user_id]
        data.update(updated_at=max(data.get("updated_at") or "", hlc), updated_by=self.who.user_id or None)
        new_rec = dict(
            rec,
            seq=seq,
            data=data,
            clocks=clocks,
            hidden=hidden_for(model, data, rec["hidden"]),
            writer=None,
            deleted=data.get("deleted_at") is not None,
            _hidden_before=list(rec["hidden"]),
        )
        self.put(new_rec, new=False)
        if rec["entity"] in ("client", "client_team_member") and SCOPE_FIELDS & set(changes):
            self.refresh_scope(rec["client_id"])
        return new_rec

    def server_create(
        self, entity: str, values: dict[str, Any], *, client_id: str | None, row_id: str | None = None
    ) -> dict[str, Any]:
        """A record made on the server itself. Written at :meth:`finish`."""
        model = ENTITIES[entity]
        seq = self.next_seq()
        hlc = HLC(now_ms(), 0, SERVER_NODE).encode()
        data = dict(_blank_record(model))
        data.update({k: encode_value(v) for k, v in values.items()})
        data.update(
            client_id=client_id,
            created_at=encode_value(self.now),
            created_by=self.who.user_id or None,
            updated_at=hlc,
            updated_by=self.who.user_id or None,
            deleted_at=None,
        )
        rec = {
            "id": row_id or new_id(),
            "entity": entity,
            "client_id": client_id,
            "seq": seq,
            "deleted": False,
            "data": data,
            "clocks": {DEFAULT_CLOCK: [hlc, seq, SERVER_NODE, self.who.user_id]},
            "hidden": hidden_for(model, data),
            "writer": None,
        }
        self.put(rec, new=True)
        first = _first_values(data)
        self._history(rec, CREATED, None, first, bool(rec["hidden"]))
        if entity in ("client", "client_team_member"):
            self.refresh_scope(client_id)
        return rec


@cache
def _reference_fields(model: type[SyncMixin]) -> tuple[tuple[str, Any], ...]:
    """(column, field spec) of the columns that name another row or a user."""
    return tuple(
        (name, col.spec)
        for name, col in validate.columns(model).items()
        if col.spec is not None and col.spec.kind in ("ref", "refs", "user", "users")
    )


@cache
def _blank_record(model: type[SyncMixin]) -> dict[str, Any]:
    """Every column of a record but id and server_seq, empty (copied for each new record)."""
    return {c.key: None for c in model.__table__.columns if c.key not in ("id", "server_seq")}


def _result(
    row_id: str,
    status: str,
    seq: int | None = None,
    conflicts: int = 0,
    current: bool | None = None,
    code: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One item's result (:class:`protocol.ItemResult` as JSON, without empty members): built as
    a plain dict, a join answers hundreds of thousands."""
    out: dict[str, Any] = {"row_id": row_id, "status": status, "conflicts": conflicts}
    if seq is not None:
        out["seq"] = seq
    if current is not None:
        out["current"] = current
    if code is not None:
        out["code"] = code
    if reason is not None:
        out["reason"] = reason
    return out


def _first_values(data: dict[str, Any]) -> dict[str, Any]:
    """What a created record's history entry holds: its data fields that have a value."""
    return {
        k: v
        for k, v in data.items()
        if v is not None and v is not False and k not in _NOT_FIRST and v != "" and v != []
    }


_NOT_FIRST = CREATE_EXTRA | {"updated_at", "updated_by", "deleted_at"}


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
        recs = [dict(writer.state[i], seq=0) for i in touched]
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


SYSTEM = Identity(user_id="", username="server", role=Role.ADMIN.value, device_id=SERVER_NODE)
