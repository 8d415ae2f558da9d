"""The state of one push or server-side change (records read and locked, scope, numbering,
history and conflicts) and the helpers every step of a merge uses (see :mod:`accountdesk.server.merge`)."""

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from sqlalchemy import Connection

from ...models import ENTITIES, SyncMixin, confidential_fields, new_id
from ...models.enums import Role
from ...permissions import (
    sees_all_clients,
)
from ...sync.clock import HLC
from ...sync.codec import encode_value
from .. import repo, validate
from ..auth import Identity
from ..settings import Settings
from ..validate import CREATE_EXTRA

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


def now_ms() -> int:
    return int(time.time() * 1000)


def hidden_for(model: type[SyncMixin], data: dict[str, Any], before: list[str] | None = None) -> list[str]:
    """The fields of a record stripped for roles that may not see confidential data. A conflict's
    stripping was settled when it was made (from the row it is about) and never relaxes."""
    if model.__entity__ == "conflict":
        return list(before or [])
    return sorted(confidential_fields(model, data))


def clock_of(clocks: dict[str, Any], name: str, value: Any = True) -> list[Any] | None:
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


class WriterCore:
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
        self.now_text = encode_value(self.now)  # (as a wire value: every created record carries it)
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
        #: id(item) -> its fields checked with its batch (see :meth:`Writer.prepare`)
        self._checked: dict[int, dict[str, Any]] = {}
        #: ids a batch carries that are known valid (see :meth:`Writer.prepare`)
        self._good_ids: set[str] = set()

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

    def _prefetch_teams(self, client_ids: Iterable[str]) -> None:
        """Read the teams of these clients from the database in one statement (those not read
        yet and not created in this transaction): :meth:`scope_of_client` then needs none."""
        todo = [c for c in client_ids if c not in self._team and c not in self.new]
        if not todo:
            return
        teams: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in todo}
        for row in repo.team_rows(self.conn, todo):
            teams[row["client_id"]][row["id"]] = row
        self._team.update(teams)

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
        self._prefetch_teams(self.scope_dirty)
        scopes = {c: self.scope_of_client(c) for c in sorted(self.scope_dirty)}
        used = self.seq - PROVISIONAL
        base = repo.take_numbers(self.conn, used) if used else repo.current_seq(self.conn)
        final = _final(base)
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        shift = base - PROVISIONAL
        for row_id in sorted(self.new | self.dirty):
            rec = self.state[row_id]
            assert rec is not None
            if rec["seq"] > PROVISIONAL:  # our own dicts: numbered in place
                rec["seq"] += shift
            for clock in rec["clocks"].values():
                if clock[1] > PROVISIONAL:
                    clock[1] += shift
            (new if row_id in self.new else changed).append(rec)
        repo.insert_records(self.conn, new)
        repo.update_records(self.conn, changed)
        for h in self.history:  # our own dicts: numbered in place
            if h["seq"] > PROVISIONAL:
                h["seq"] += shift
        repo.add_history(self.conn, self.history)
        repo.apply_scopes(self.conn, scopes, {c: final(s) for c, s in self.scope_dirty.items()}, now_ms())
        repo.audits(self.conn, self.audits, user_id=self.who.user_id or None)
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
            assert rec is not None
            olds += [
                c["id"]
                for c in repo.conflicts_of(self.conn, rec["client_id"], row_id)
                if c["id"] not in self.new
            ]
        self.load(olds, lock=True)
        conflicts = [self.state[i] for i in sorted(self.new)]
        for c in [r for r in conflicts if r is not None and r["entity"] == "conflict"] + [
            r for r in (self.state[i] for i in olds) if r is not None
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


def _reference_fields(model: type[SyncMixin]) -> tuple[tuple[str, Any], ...]:
    """(column, field spec) of the columns that name another row or a user."""
    return _reference_fields_of(model.__entity__)


@cache
def _reference_fields_of(entity: str) -> tuple[tuple[str, Any], ...]:
    model = ENTITIES[entity]
    return tuple(
        (name, col.spec)
        for name, col in validate.columns(model).items()
        if col.spec is not None and col.spec.kind in ("ref", "refs", "user", "users")
    )


def _blank_record(model: type[SyncMixin]) -> dict[str, Any]:
    """Every column of a record but id and server_seq, empty (copied for each new record)."""
    return _blank_of(model.__entity__)


@cache
def _blank_of(entity: str) -> dict[str, Any]:
    model = ENTITIES[entity]
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
    # (a value is kept when it is truthy, or a zero or an empty object: not None, False, "" or [])
    return {k: v for k, v in data.items() if (v or type(v) in _ZEROISH) and k not in _NOT_FIRST}


_ZEROISH = frozenset({int, float, dict})


_NOT_FIRST = CREATE_EXTRA | {"updated_at", "updated_by", "deleted_at"}


SYSTEM = Identity(user_id="", username="server", role=Role.ADMIN.value, device_id=SERVER_NODE)
