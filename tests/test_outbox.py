"""The outbox: one entry per change, written in the same transaction as the change itself."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from accountdesk.errors import ValidationError
from accountdesk.models import Client, Contact, OutboxEntry
from accountdesk.services import clients, contacts, feedback, records
from accountdesk.sync.clock import HLC


def entries(ctx, row_id=None) -> list[OutboxEntry]:
    with ctx.read() as s:
        stmt = select(OutboxEntry).order_by(OutboxEntry.seq)
        if row_id:
            stmt = stmt.where(OutboxEntry.row_id == row_id)
        rows = list(s.scalars(stmt))
        s.expunge_all()  # keep the loaded values readable after the read session ends
        return rows


def test_create_update_delete_each_append_one_entry(ctx, clock):
    ctx.actor  # noqa: B018 - the profile's own user is created (with its entry) on first use
    start = len(entries(ctx))
    cid = clients.create_client(ctx, name="护航科技服务有限公司", tier="key")
    clock.advance(minutes=1)
    clients.update_client(ctx, cid, tier="strategic", city="杭州", name="护航科技服务有限公司")
    clock.advance(minutes=1)
    assert clients.update_client(ctx, cid, city="杭州") == {}  # no real change, no entry
    clients.delete_client(ctx, cid)

    made = entries(ctx)[start:]
    assert [e.op for e in made] == ["create", "update", "delete"]
    create, upd, delete = made
    assert all(e.entity == "client" and e.row_id == cid and e.client_id == cid for e in made)
    assert all(e.user_id == ctx.actor.id and e.status == "pending" for e in made)
    assert create.fields["name"] == "护航科技服务有限公司" and create.fields["tier"] == "key"
    assert create.fields["owner_id"] == ctx.actor.id  # derived values travel too
    assert upd.fields == {"tier": "strategic", "city": "杭州"}  # only the fields that changed
    assert upd.old_values == {"tier": "key", "city": None}
    assert delete.fields == {"deleted_at": "2026-03-16T09:02:00Z"}
    # clocks strictly increase and the row carries the clock of its last change
    clocks = [HLC.decode(e.hlc) for e in made]
    assert clocks == sorted(clocks) and len(set(clocks)) == 3
    assert clocks[1].wall_ms == int(clock.now().timestamp() * 1000) - 60_000
    with ctx.read() as s:
        assert s.get(Client, cid).updated_at == delete.hlc


def test_base_seq_is_the_server_sequence_the_device_last_had(ctx):
    cid = clients.create_client(ctx, name="甲")
    assert entries(ctx, cid)[-1].base_seq is None  # never seen by the server
    with ctx.store.write() as s:  # as if a pull had delivered server sequence 41
        s.execute(update(Client).where(Client.id == cid).values(server_seq=41))
    clients.update_client(ctx, cid, city="宁波")
    assert entries(ctx, cid)[-1].base_seq == 41


def test_a_bad_write_leaves_neither_row_nor_entry(ctx):
    cid = clients.create_client(ctx, name="甲")
    before = len(entries(ctx))
    with pytest.raises(ValidationError):
        contacts.create_contact(ctx, cid, name="张三", email="not-an-email")
    with pytest.raises(ValidationError):
        clients.update_client(ctx, cid, city="宁波", tier="gold")  # one bad field: nothing changes
    assert len(entries(ctx)) == before
    assert clients.get_client(ctx, cid)["city"] is None


def test_a_rule_failing_after_rows_were_added_rolls_everything_back(ctx):
    ctx.actor  # noqa: B018
    before = len(entries(ctx))
    with pytest.raises(ValidationError) as info:
        with ctx.write() as (session, writer):
            client = records.create_in(ctx, session, writer, "client", {"name": "半途而废有限公司"})
            records.create_in(ctx, session, writer, "contact", {"name": "张三"}, client_id=client.id)
            session.flush()  # both rows and their entries are in the transaction now
            assert session.scalar(select(func.count()).select_from(OutboxEntry)) == before + 2
            # a recusal violation raised by a rule after those rows were added
            records.create_in(
                ctx,
                session,
                writer,
                "feedback",
                {
                    "kind": "complaint",
                    "subject": "x",
                    "received_at": ctx.now(),
                    "involved_user_ids": [ctx.actor.id],
                    "handler_id": ctx.actor.id,
                },
                client_id=client.id,
            )
    assert info.value.field == "handler_id"
    assert len(entries(ctx)) == before
    with ctx.read() as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 0
        assert s.scalar(select(func.count()).select_from(Contact)) == 0


def test_pause_and_escalation_are_ordinary_changes(ctx, clock):
    cid = clients.create_client(ctx, name="甲")
    fid = feedback.record_feedback(ctx, cid, "complaint", "报告错误", severity="critical")
    feedback.pause_feedback(ctx, fid)
    clock.advance(hours=2)
    feedback.resume_feedback(ctx, fid)
    ops = [(e.op, sorted(e.fields)) for e in entries(ctx, fid)]
    assert ops[1:] == [("update", ["paused_since"]), ("update", ["paused_seconds", "paused_since"])]
    assert entries(ctx, fid)[-1].fields == {"paused_since": None, "paused_seconds": 7200}
