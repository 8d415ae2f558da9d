"""Convergence under random schedules (hypothesis state machine) against a real server process.

Three managers' and field staff's laptops plus a supervisor's edit, delete, reassign, go offline,
crash after the server committed a push, and sync in random orders. After healing every
partition and syncing everyone, each device must equal the server's view for its user, and every
edit that was made must be traceable: applied (in the field history), kept as a conflict, or
refused with a reason still on the device. A last check fails if the harness never synced.

CI runs ``ACCOUNTDESK_SCHEDULES`` schedules on SQLite (default 200) and a quarter of that on
PostgreSQL; a soak: ``ACCOUNTDESK_SCHEDULES=5000``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import delete, select
from sync_env import PASSWORD, Device, WallClock

from accountdesk.errors import AccountDeskError
from accountdesk.models import ENTITIES, SYNCABLE, Client, Contact, Meta, OutboxEntry
from accountdesk.server import admin
from accountdesk.server import tables as t
from accountdesk.services import clients, records
from accountdesk.services.handover import assign_client
from accountdesk.services.team import add_team_member
from accountdesk.sync import protocol as p
from accountdesk.sync.codec import row_to_wire

SCHEDULES = int(os.environ.get("ACCOUNTDESK_SCHEDULES") or os.environ.get("ACCOUNTDESK_SOAK") or 200)
FIELDS = ("city", "industry", "description")
VALUES = ("北京", "上海", "Steel", "Lab", "x", "")
TOTALS = {"pushed": 0, "syncs": 0, "examples": 0}


def reset_server_data(server) -> None:
    """Forget every client and change; users, devices and tokens stay (the sequence goes on)."""
    with server.db.write() as conn:
        for table in (t.history, t.batches, t.scope, t.former_scope, t.audit):
            conn.execute(delete(table))
        conn.execute(delete(t.records).where(t.records.c.entity != "user"))


def reset_device(dev) -> None:
    with dev.ctx.store.write() as s:
        for model in SYNCABLE:
            if not model.__global__:
                s.execute(delete(model))
        s.execute(delete(OutboxEntry))
        s.execute(delete(Meta).where(Meta.key.in_(["sync_cursor", "sync_scope", "sync_snapshot"])))


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_random_schedules_converge(server, backend, tmp_path, _template_profile):
    schedules = SCHEDULES if backend == "sqlite" else max(20, SCHEDULES // 4)  # PostgreSQL: fewer, same rules
    names = {"sup": "supervisor", "m1": "manager", "m2": "manager", "f1": "field"}
    devices: dict[str, Device] = {}
    for name, role in names.items():
        admin.add_user(server.db, name, role, PASSWORD)
        path = tmp_path / f"{name}-{uuid.uuid4().hex[:8]}"
        shutil.copytree(_template_profile, path)
        with sqlite3.connect(path / "accountdesk.sqlite3") as conn:
            conn.execute("DELETE FROM meta WHERE key IN ('device_id', 'hlc', 'current_user_id')")
        devices[name] = Device(path, server, name, clock=WallClock())

    class Model(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            reset_server_data(server)
            TOTALS["examples"] += 1
            self.devices = devices
            for dev in devices.values():
                reset_device(dev)
            self.offline: set[str] = set()
            self.edits: list[tuple[str, str, str, str, object]] = []  # device, entity, row, field, value
            m1 = self.devices["m1"]
            self._sync(m1)  # users first
            self.clients = [clients.create_client(m1.ctx, name=f"C{i}") for i in range(2)]
            self.clients.append(clients.create_client(self.devices["m2"].ctx, name="C2"))
            self.contacts: list[str] = [
                records.create_record(m1.ctx, "contact", {"name": "联系人"}, client_id=self.clients[0])
            ]
            self._sync(m1)
            sup = self.devices["sup"]  # who serves a client is the supervisor's decision
            self._sync(sup)
            add_team_member(sup.ctx, self.clients[0], "f1")
            for dev in self.devices.values():
                self._sync(dev)

        def teardown(self):
            pass

        def _sync(self, dev: Device):
            report = dev.sync()
            TOTALS["syncs"] += 1
            TOTALS["pushed"] += report.pushed
            return report

        def _has(self, dev: Device, model, row_id: str) -> bool:
            with dev.ctx.read() as s:
                row = s.get(model, row_id)
                return row is not None and row.deleted_at is None

        @rule(
            who=st.sampled_from(["sup", "m1", "m2"]),
            c=st.integers(0, 2),
            field=st.sampled_from(FIELDS),
            value=st.sampled_from(VALUES),
        )
        def edit_client(self, who, c, field, value):
            dev = self.devices[who]
            cid = self.clients[c]
            if not self._has(dev, Client, cid):
                return
            if clients.update_client(dev.ctx, cid, **{field: value}):
                self.edits.append((who, "client", cid, field, value))

        @rule(
            who=st.sampled_from(["sup", "m1", "m2", "f1"]),
            k=st.integers(0, 5),
            title=st.sampled_from(VALUES[:4]),
        )
        def edit_contact(self, who, k, title):
            if not self.contacts:
                return
            dev = self.devices[who]
            contact = self.contacts[k % len(self.contacts)]
            if not self._has(dev, Contact, contact):
                return
            if records.update_record(dev.ctx, "contact", contact, {"title": title}):
                self.edits.append((who, "contact", contact, "title", title))

        @rule(who=st.sampled_from(["sup", "m1", "m2"]), c=st.integers(0, 2))
        def add_contact(self, who, c):
            dev = self.devices[who]
            if self._has(dev, Client, self.clients[c]):
                self.contacts.append(
                    records.create_record(dev.ctx, "contact", {"name": "新联系人"}, client_id=self.clients[c])
                )

        @rule(who=st.sampled_from(["sup", "m1", "m2", "f1"]), k=st.integers(0, 5))
        def delete_contact(self, who, k):
            if not self.contacts:
                return
            dev = self.devices[who]
            contact = self.contacts[k % len(self.contacts)]
            if self._has(dev, Contact, contact):
                try:
                    records.delete_record(dev.ctx, "contact", contact)
                except AccountDeskError:
                    pass  # field staff may not delete contacts

        @rule(c=st.integers(0, 2), to=st.sampled_from(["m1", "m2"]))
        def reassign(self, c, to):
            dev = self.devices["sup"]
            if not self._has(dev, Client, self.clients[c]):
                return
            try:
                assign_client(dev.ctx, self.clients[c], to, "rotation")
            except AccountDeskError:
                pass  # already theirs

        @rule(who=st.sampled_from(["sup", "m1", "m2", "f1"]))
        def go_offline(self, who):
            self.offline.add(who)

        @rule(who=st.sampled_from(["sup", "m1", "m2", "f1"]))
        def come_online(self, who):
            self.offline.discard(who)

        @rule(who=st.sampled_from(["sup", "m1", "m2", "f1"]))
        def sync(self, who):
            if who not in self.offline:
                self._sync(self.devices[who])

        @precondition(lambda self: True)
        @rule(who=st.sampled_from(["sup", "m1", "m2", "f1"]))
        def crash_after_server_commit(self, who):
            """The server applies a batch, the laptop dies before reading the answer."""
            if who in self.offline:
                return
            engine = self.devices[who].engine
            batch = engine._next_batch()
            if batch is None:
                return
            body = {
                "batch_id": batch[0],
                "items": [
                    {
                        "entity": e.entity,
                        "row_id": e.row_id,
                        "client_id": e.client_id,
                        "op": e.op,
                        "fields": e.fields,
                        "hlc": e.hlc,
                        "base_seq": e.base_seq,
                        "schema_version": e.schema_version,
                    }
                    for e in batch[1]
                ],
            }
            engine._request("POST", "/v1/sync/push", body=body)

        @invariant()
        def outbox_never_loses_entries(self):
            for dev in getattr(self, "devices", {}).values():
                with dev.ctx.read() as s:
                    bad = s.scalar(
                        select(OutboxEntry.seq).where(OutboxEntry.status.not_in(["pending", "rejected"]))
                    )
                assert bad is None

        def check_final(self):
            self.offline.clear()
            for _ in range(3):
                for dev in self.devices.values():
                    self._sync(dev)
            for name, dev in self.devices.items():
                server_view = self._server_view(dev)
                with dev.ctx.read() as s:
                    refused = set(
                        s.scalars(select(OutboxEntry.row_id).where(OutboxEntry.status == "rejected"))
                    )
                    pending = s.scalar(select(OutboxEntry.seq).where(OutboxEntry.status == "pending"))
                    assert pending is None, f"{name} still has pending edits"
                    for entity in ("client", "contact", "conflict", "client_team_member", "handover"):
                        model = ENTITIES[entity]
                        local = {r.id: r for r in s.scalars(select(model).where(model.deleted_at.is_(None)))}
                        remote = {
                            i: d for i, (e, d, deleted) in server_view.items() if e == entity and not deleted
                        }
                        assert set(local) - refused == set(remote) - refused, f"{name}: {entity} rows differ"
                        for row_id, data in remote.items():
                            if row_id in refused:
                                continue
                            mine = row_to_wire(local[row_id])
                            for key, value in data.items():
                                if key in mine and key not in (
                                    "created_at",
                                    "updated_at",
                                    "updated_by",
                                    "created_by",
                                ):
                                    assert mine[key] == value, f"{name}: {entity}.{key} differs"
            self._check_traces()

        def _server_view(self, dev):
            """Everything the server holds in the device's scope (its own writes included: the
            no-echo feature is not announced for this read)."""
            out = {}
            cursor = 0
            features = dev.engine._http.headers.pop(p.HEADER_FEATURES, None)
            try:
                while True:
                    page = dev.engine._request(
                        "GET", "/v1/sync/pull", params={"cursor": cursor, "limit": 500}
                    )
                    for item in page["items"]:
                        out[item["id"]] = (item["entity"], item["data"], item["deleted"])
                    cursor = page["cursor"]
                    if not page["has_more"]:
                        return out
            finally:
                if features is not None:
                    dev.engine._http.headers[p.HEADER_FEATURES] = features

        def _check_traces(self):
            with server.db.read() as conn:
                applied = {(r.row_id, r.field, _key(r.new)) for r in conn.execute(select(t.history))}
                kept = set()
                for r in conn.execute(select(t.records).where(t.records.c.entity == "conflict")):
                    d = r.data
                    for value in (d["kept_value"], d["lost_value"]):
                        if d["field"] is None and isinstance(value, dict):
                            kept |= {(d["row_id"], k, _key(v)) for k, v in value.items()}
                        else:
                            kept.add((d["row_id"], d["field"], _key(value)))
            refused = set()
            for dev in self.devices.values():
                with dev.ctx.read() as s:
                    for e in s.scalars(select(OutboxEntry).where(OutboxEntry.status == "rejected")):
                        refused |= {(e.row_id, k, _key(v)) for k, v in e.fields.items()}
            for who, _entity, row, field, value in self.edits:
                trace = (row, field, _key(value))
                assert trace in applied or trace in kept or trace in refused, f"edit by {who} lost: {trace}"

    Model.TestCase.settings = settings(
        max_examples=schedules,
        stateful_step_count=10,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )

    # run the final check as the last step of every schedule
    original_teardown = Model.teardown

    def teardown(self):
        try:
            if hasattr(self, "devices"):
                self.check_final()
        finally:
            original_teardown(self)

    Model.teardown = teardown
    for key in TOTALS:
        TOTALS[key] = 0
    try:
        Model.TestCase().runTest()
    finally:
        for dev in devices.values():
            dev.close()
    print("schedules run:", TOTALS)
    assert TOTALS["examples"] > 0 and TOTALS["syncs"] > TOTALS["examples"] and TOTALS["pushed"] > 0, TOTALS


def _key(value):
    return repr(value)
