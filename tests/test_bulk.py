"""Lists in bulk (issue 16 point 3): one change set over several rows, all or none, undone as
one; an undo keeps later edits; owners change only by handover; out-of-scope rows are refused."""

from __future__ import annotations

import pytest

from accountdesk.errors import NotFoundError, ValidationError
from accountdesk.models import OutboxEntry
from accountdesk.services import bulk, clients, equipment, records, users
from accountdesk.services import feedback as fb


def _client(ctx, cid):
    return records.get_record(ctx, "client", cid)


def test_bulk_edit_of_tier_status_region_and_tags_and_its_undo(ctx):
    ids = [
        clients.create_client(
            ctx, name=f"客户{i}", tier="standard", province="江苏", tags=["老客户", f"t{i}"]
        )
        for i in range(3)
    ]
    other = clients.create_client(ctx, name="不动的客户", tier="standard")
    change = bulk.bulk_edit(
        ctx,
        "clients",
        ids,
        {"tier": "key", "status": "at_risk", "province": "浙江"},
        add_tags=["华东"],
        remove_tags=["老客户"],
    )
    assert change.changed == 3 and change.entity == "client"
    for i, cid in enumerate(ids):
        row = _client(ctx, cid)
        assert (row["tier"], row["status"], row["province"]) == ("key", "at_risk", "浙江")
        assert row["tags"] == [f"t{i}", "华东"]
    assert _client(ctx, other)["tier"] == "standard"
    with ctx.read() as s:
        pending = {e.row_id: dict(e.fields) for e in s.query(OutboxEntry).order_by(OutboxEntry.seq)}
    # ordinary changes waiting to sync (the server's field history records them: tests/sync)
    assert all(pending[c]["tier"] == "key" for c in ids) and pending[other]["tier"] == "standard"
    # a later edit of one field on one client survives the undo
    clients.update_client(ctx, ids[0], status="active")
    undone = bulk.undo(ctx, change)
    assert undone.changed == 3
    first = _client(ctx, ids[0])
    assert (first["tier"], first["status"], first["province"]) == ("standard", "active", "江苏")
    assert first["tags"] == ["老客户", "t0"]
    for cid in ids[1:]:
        assert _client(ctx, cid)["status"] == "active" and _client(ctx, cid)["tier"] == "standard"
    # the undo is undoable
    bulk.undo(ctx, undone)
    assert _client(ctx, ids[1])["tier"] == "key"


def test_all_or_none(ctx):
    a = clients.create_client(ctx, name="甲", tier="standard")
    b = clients.create_client(ctx, name="乙", tier="standard", relationship_since="2026-01-01")
    with pytest.raises(ValidationError):
        bulk.bulk_edit(ctx, "clients", [a, b], {"tier": "vip"})
    with pytest.raises(ValidationError):
        bulk.bulk_edit(ctx, "clients", [a, b], {"name": "同名"})  # not a bulk field
    with pytest.raises(ValidationError):
        bulk.bulk_edit(ctx, "clients", [a, b], {"owner_id": ctx.actor.id})  # a handover
    with pytest.raises(ValidationError):
        bulk.bulk_edit(ctx, "clients", [], {"tier": "key"})
    with pytest.raises(NotFoundError):
        bulk.bulk_edit(ctx, "clients", [a, "no-such-client"], {"tier": "key"})
    assert _client(ctx, a)["tier"] == "standard"  # the first row was not written either


def test_feedback_and_equipment_in_bulk(ctx):
    cid = clients.create_client(ctx, name="护航科技")
    f1 = fb.record_feedback(ctx, cid, "complaint", "报告延误", severity="low")
    f2 = fb.record_feedback(ctx, cid, "complaint", "态度问题", severity="medium")
    change = bulk.bulk_edit(ctx, "feedback", [f1, f2], {"severity": "high"})
    assert {records.get_record(ctx, "feedback", f)["severity"] for f in (f1, f2)} == {"high"}
    bulk.undo(ctx, change)
    assert records.get_record(ctx, "feedback", f1)["severity"] == "low"
    e1 = equipment.create_equipment(ctx, cid, name="天平", serial="A1")
    e2 = equipment.create_equipment(ctx, cid, name="色谱仪", serial="B2")
    bulk.bulk_edit(ctx, "equipment", [e1, e2], {"location": "二号实验室"})
    assert {records.get_record(ctx, "equipment", e)["location"] for e in (e1, e2)} == {"二号实验室"}


def test_owners_change_through_the_handover_and_scope_is_kept(ctx):
    admin = ctx.actor.id
    alice = users.create_user(ctx, "alice", "Alice", "manager")
    bob = users.create_user(ctx, "bob", "Bob", "manager")
    ids = [clients.create_client(ctx, name=f"客户{i}") for i in range(2)]
    results = bulk.bulk_assign(ctx, ids, "alice", reason="重新分配")
    assert len(results) == 2 and all(_client(ctx, c)["owner_id"] == alice for c in ids)
    from accountdesk.services.handover import handovers_of

    assert all(handovers_of(ctx, c) for c in ids)
    theirs = clients.create_client(ctx, name="Bob 的客户", owner_id=bob)
    ctx.set_actor(alice)
    with pytest.raises(NotFoundError):
        bulk.bulk_edit(ctx, "clients", [ids[0], theirs], {"tier": "key"})
    assert _client(ctx, ids[0])["tier"] == "standard"
    ctx.set_actor(admin)
