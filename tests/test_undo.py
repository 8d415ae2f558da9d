"""Undo (Ctrl+Z) through this device's field history: one edit back per press, never the undo itself."""

from __future__ import annotations

import datetime as dt

from accountdesk.services import clients, contacts, records
from accountdesk.services.undo import can_undo, undo_last_change


def test_undo_puts_back_the_last_edit_then_the_one_before(ctx):
    cid = clients.create_client(ctx, name="护航科技", city="杭州市")
    assert not can_undo(ctx, cid)  # a create is not undone field by field
    clients.update_client(ctx, cid, city="上海市", contract_renewal_date=dt.date(2026, 6, 30))
    clients.update_client(ctx, cid, tier="strategic")
    done = undo_last_change(ctx, cid)
    assert done is not None and done.fields == {"tier": "standard"}
    row = records.get_record(ctx, "client", cid)
    assert row["tier"] == "standard" and row["city"] == "上海市"
    undo_last_change(ctx, cid)  # one further back, not the undo
    row = records.get_record(ctx, "client", cid)
    assert row["city"] == "杭州市" and row["contract_renewal_date"] is None
    assert undo_last_change(ctx, cid) is None


def test_undo_is_per_client_and_per_user(ctx):
    a = clients.create_client(ctx, name="甲公司")
    b = clients.create_client(ctx, name="乙公司")
    person = contacts.create_contact(ctx, a, name="王工", title="工程师")
    contacts.update_contact(ctx, person, title="总工程师")
    clients.update_client(ctx, b, city="北京市")
    done = undo_last_change(ctx, a)
    assert done.entity == "contact" and records.get_record(ctx, "contact", person)["title"] == "工程师"
    assert records.get_record(ctx, "client", b)["city"] == "北京市"
    other = records.create_record(ctx, "user", {"username": "li", "display_name": "李", "role": "supervisor"})
    ctx.set_actor(other)
    assert undo_last_change(ctx, b) is None  # not their edit
