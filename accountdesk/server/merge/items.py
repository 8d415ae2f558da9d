"""Applying one pushed item (create, update, delete) and the server's own changes (see
:mod:`accountdesk.server.merge`)."""

from typing import Any

from ...models import ENTITIES, SyncMixin, new_id
from ...permissions import (
    RESPONSIBLE_FOR_WORK,
    may_change_responsible,
)
from ...sync import protocol as p
from ...sync.clock import HLC
from ...sync.codec import encode_value
from .. import column_checks, repo, validate
from ..validate import CREATE_EXTRA, Rejected
from .core import (
    CREATED,
    DEFAULT_CLOCK,
    NOT_VISIBLE,
    SCOPE_FIELDS,
    SERVER_NODE,
    _blank_record,
    _first_values,
    _reference_fields,
    _result,
    clock_of,
    hidden_for,
    now_ms,
)
from .rules import WriterRules


def _checked_fields(items: list[p.PushItem]) -> dict[int, dict[str, Any]]:
    """The fields of a batch's creates and updates checked column by column, one group per entity
    and operation (:mod:`..column_checks`): ``id(item)`` -> its normalised fields. Items of a
    group that needs a closer look are missing: each is checked on its own when applied."""
    groups: dict[tuple[str, str], list[p.PushItem]] = {}
    for item in items:
        if item.op != "delete" and item.entity in ENTITIES:
            groups.setdefault((item.entity, item.op), []).append(item)
    out: dict[int, dict[str, Any]] = {}
    for (entity, op), group in groups.items():
        checked = column_checks.check_items(ENTITIES[entity], op, [item.fields for item in group])
        if checked is not None:
            out.update(zip(map(id, group), checked, strict=True))
    return out


class Writer(WriterRules):
    """One push (or one server-side change) inside a write transaction. Records it changes are
    locked as they are read and kept in memory; :meth:`finish` numbers and writes everything."""

    # -- items --------------------------------------------------------------------------------
    def prepare(self, items: list[p.PushItem]) -> None:
        """Read (and lock) in a few statements what a batch's items need."""
        row_ids: list[str] = []
        others: list[str] = []
        clients: list[str] = []
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
        self._checked = _checked_fields(items)
        self._good_ids = {i for i in {*row_ids, *others, *clients} if validate.ID_RE.fullmatch(i)}
        valid = [i for i in row_ids if i in self._good_ids]
        self.load(valid, lock=True)
        self.load([i for i in others + clients if i in self._good_ids], lock=False)
        known = [
            r["client_id"] for r in (self.state.get(i) for i in valid) if r is not None and r["client_id"]
        ]
        self.prefetch_scope([c for c in clients + known if validate.ID_RE.fullmatch(c)])

    def apply(self, item: p.PushItem) -> dict[str, Any]:
        model = ENTITIES.get(item.entity)
        if model is None:
            raise Rejected(p.R_UNKNOWN_ENTITY, "unknown entity")
        if not p.MIN_SCHEMA <= item.schema_version <= p.MAX_SCHEMA:
            raise Rejected(
                p.R_UNKNOWN_ENTITY,
                f"written under schema {item.schema_version}, which this server does not accept",
            )
        if item.row_id not in self._good_ids:  # (ids seen valid in prepare are not checked again)
            validate.check_id("row_id", item.row_id)
        if item.client_id is not None and item.client_id not in self._good_ids:
            validate.check_id("client_id", item.client_id)
        hlc = self.clamp(item.hlc)
        fields = self._checked.pop(id(item), None)
        if fields is None:  # not checked with its batch's column (see prepare)
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
    ) -> dict[str, Any]:
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
            about: dict[str, Any] = {
                "id": item.row_id,
                "entity": item.entity,
                "client_id": client_id,
                "data": {},
            }
            self.conflict(
                about, None, (None, None, None), (proposed, self.who.user_id, hlc), intended=proposed
            )
            return _result(row_id=item.row_id, status="conflict", seq=self.seq, conflicts=1)
        seq = self.next_seq()
        data = {
            **_blank_record(model),
            **fields,
            "client_id": client_id,
            "created_by": fields.get("created_by") or self.who.user_id,
            "created_at": fields.get("created_at") or self.now_text,
            "updated_at": hlc,
            "updated_by": self.who.user_id or None,
            "deleted_at": None,
        }
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
        # (the record's other values are empty or sync columns; an offering's code may be renamed)
        first = _first_values(data if item.entity == "service_offering" else fields)
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

    def _concurrent(self, clock: list[Any] | None, base_seq: int | None) -> bool:
        return clock is not None and clock[1] > (base_seq or 0) and clock[2] != self.who.device_id

    def _update(
        self, model: type[SyncMixin], item: p.PushItem, rec: dict[str, Any], fields: dict[str, Any], hlc: str
    ) -> dict[str, Any]:
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
                    held = clock_of(clocks, name) or [None, 0, None, None]
                    self.conflict(
                        rec,
                        name,
                        (data.get(name), held[3], held[0]),
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
            if clock is not None and self._concurrent(clock, item.base_seq) and data.get(name) != value:
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
    ) -> dict[str, Any]:
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
