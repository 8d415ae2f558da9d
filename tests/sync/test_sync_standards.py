"""Service standards and saved views travel to every laptop (issue 16): a supervisor's standard
reaches a manager's laptop, whose next new client gets it; the server refuses a standard pushed
by a manager and a saved view written for somebody else (hand-made requests)."""

from __future__ import annotations

import uuid

from test_server_attacks import Api

from accountdesk.services import clients, saved_views, standards, visits


def test_a_supervisors_standard_reaches_a_managers_new_client(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    boss, a = make_device("boss"), make_device("alice")
    boss.sync()
    standards.set_standard(boss.ctx, "key", {"return_visit": 2, "executive_meeting": 6})
    assert boss.sync().rejected == 0
    a.sync()
    assert standards.standards(a.ctx)["key"] == {"return_visit": 2, "executive_meeting": 6}
    cid = clients.create_client(a.ctx, name="护航科技", tier="key", standard=True)
    assert a.sync().rejected == 0
    boss.sync()
    plans = {p["kind"]: p["every_months"] for p in visits.list_visit_plans(boss.ctx, cid)}
    assert plans == {"return_visit": 2, "executive_meeting": 6}
    by_tier = {f.key: (f.clients, f.served) for f in standards.served_figures(boss.ctx).by_tier}
    assert by_tier["key"] == (1, 1)


def test_only_supervisors_define_standards_and_views_are_their_users(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    a = make_device("alice")
    a.sync()
    alice, bob = Api(server, "alice"), Api(server, "bob")
    [refused] = alice.push(
        alice.item(
            "service_standard",
            str(uuid.uuid4()),
            "create",
            {"tier": "key", "kind": "return_visit", "every_months": 12, "active": True},
        )
    )
    assert refused["status"] == "rejected", refused
    boss = Api(server, "boss")
    [bad] = boss.push(
        boss.item(
            "service_standard",
            str(uuid.uuid4()),
            "create",
            {"tier": "vip", "kind": "return_visit", "every_months": 1},
        )
    )
    assert bad["status"] == "rejected", bad
    [ok] = boss.push(
        boss.item(
            "service_standard",
            str(uuid.uuid4()),
            "create",
            {"tier": "key", "kind": "return_visit", "every_months": 2, "active": True},
        )
    )
    assert ok["status"] == "applied", ok
    # alice's own view syncs; bob may neither write one in her name nor change hers
    vid = saved_views.save_view(a.ctx, "clients", "华南重点", filters={"tier": "key", "province": "广东省"})
    assert a.sync().rejected == 0
    [forged] = bob.push(
        bob.item(
            "saved_view",
            str(uuid.uuid4()),
            "create",
            {"user_id": alice.uid, "list_name": "clients", "name": "x", "spec": "{}"},
        )
    )
    assert forged["status"] == "rejected", forged
    [taken] = bob.push(bob.item("saved_view", vid, "update", {"name": "mine now"}))
    assert taken["status"] == "rejected", taken
    [stolen] = bob.push(bob.item("saved_view", vid, "update", {"user_id": bob.uid}))
    assert stolen["status"] == "rejected", stolen
    [own] = bob.push(
        bob.item(
            "saved_view",
            str(uuid.uuid4()),
            "create",
            {"user_id": bob.uid, "list_name": "clients", "name": "mine", "spec": "{}"},
        )
    )
    assert own["status"] == "applied", own
    # a second laptop of alice's gets her view
    a2 = make_device("alice")
    a2.sync()
    [view] = saved_views.list_views(a2.ctx, "clients")
    assert view.name == "华南重点" and view.filters == {"tier": "key", "province": "广东省"}


def test_a_bulk_edit_and_its_undo_reach_the_other_laptop_with_field_history(server, make_device):
    from accountdesk.services import bulk, records

    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    boss = make_device("boss")
    boss.sync()
    ids = [clients.create_client(boss.ctx, name=f"客户{i}", tier="standard", owner_id=None) for i in range(3)]
    boss.sync()
    change = bulk.bulk_edit(boss.ctx, "clients", ids, {"tier": "key", "province": "浙江"}, add_tags=["华东"])
    assert boss.sync().rejected == 0
    other = make_device("boss")
    other.sync()
    assert {records.get_record(other.ctx, "client", c)["tier"] for c in ids} == {"key"}
    for cid in ids:
        history = [e for e in boss.engine.history(cid, "tier") if e.new == "key"]
        assert history and history[0].old == "standard" and history[0].username == "boss"
    bulk.undo(boss.ctx, change)
    boss.sync()
    other.sync()
    assert {records.get_record(other.ctx, "client", c)["tier"] for c in ids} == {"standard"}
    assert {tuple(records.get_record(other.ctx, "client", c)["tags"]) for c in ids} == {()}


def test_saved_views_of_every_list_reach_the_users_other_laptop(server, make_device):
    """Saved views of the client, feedback and equipment lists are synced with the profile: the
    same user's second laptop shows them, somebody else's laptop does not."""
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    a = make_device("alice", name="alice-desk")
    a.sync()
    made = {
        "clients": saved_views.save_view(a.ctx, "clients", "华南重点", filters={"tier": "key"}),
        "feedback": saved_views.save_view(
            a.ctx,
            "feedback",
            "全部投诉",
            filters={"kind": "complaint", "open_only": False},
            columns=["subject"],
        ),
        "equipment": saved_views.save_view(
            a.ctx, "equipment", "在用设备", filters={"status": "in_service"}, sort=["name", "desc"]
        ),
    }
    assert a.sync().rejected == 0
    laptop = make_device("alice", name="alice-laptop")
    laptop.sync()
    for list_name, vid in made.items():
        [view] = saved_views.list_views(laptop.ctx, list_name)
        assert view.id == vid
    [eq] = saved_views.list_views(laptop.ctx, "equipment")
    assert (eq.name, eq.filters, eq.sort) == ("在用设备", {"status": "in_service"}, ["name", "desc"])
    [fb] = saved_views.list_views(laptop.ctx, "feedback")
    assert (fb.filters, fb.columns) == ({"kind": "complaint", "open_only": False}, ["subject"])
    b = make_device("bob", name="bob")
    b.sync()
    assert all(saved_views.list_views(b.ctx, n) == [] for n in made)
