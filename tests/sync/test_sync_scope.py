"""Scope, confidentiality and turnover, end to end against a real server."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest
from sync_env import PASSWORD, WallClock
from sync_helpers import client, client_ids, conflicts, get, outbox

from accountdesk.models import Contact, ServiceNote, new_id
from accountdesk.server import repo
from accountdesk.services import clients, records
from accountdesk.services.handover import assign_client, clients_needing_owner
from accountdesk.services.team import add_team_member
from accountdesk.sync import protocol as p
from accountdesk.sync.client import DeviceRevoked, UserDeactivated
from accountdesk.sync.clock import HLC
from accountdesk.sync.conflicts import list_conflicts, resolve_conflict


def test_delete_against_edit_delete_wins_and_edit_is_kept(server, make_device):
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    a, b = make_device("alice"), make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="Gone Ltd")
    contact = records.create_record(a.ctx, "contact", {"name": "王伟", "title": "CTO"}, client_id=cid)
    a.sync()
    b.sync()
    records.update_record(a.ctx, "contact", contact, {"title": "CEO"})
    records.delete_record(b.ctx, "contact", contact)
    b.sync()
    a.sync()
    b.sync()
    for dev in (a, b):
        assert get(dev, Contact, contact).deleted_at is not None
        kept = [c for c in conflicts(dev, contact)]
        assert len(kept) == 1 and kept[0].field is None and kept[0].lost_value == {"title": "CEO"}
    # the author of the lost edit restores it: the row comes back, with the edit, everywhere
    from accountdesk.sync.conflicts import resolve_conflict

    assert resolve_conflict(a.ctx, kept[0].id, "mine") == {"id": kept[0].id, "restored": True}
    a.sync()
    b.sync()
    for dev in (a, b):
        row = get(dev, Contact, contact)
        assert row.deleted_at is None and row.title == "CEO"
        assert [c.resolution for c in conflicts(dev, contact)] == ["restored"]


def test_field_staff_see_only_their_clients_and_never_confidential_values(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("fred", "field")
    a, f = make_device("alice"), make_device("fred")
    a.sync()
    served = clients.create_client(a.ctx, name="Served Co", annual_fees=900000)
    other = clients.create_client(a.ctx, name="Other Co", annual_fees=500000)
    records.create_record(
        a.ctx, "service_note", {"text": "CFO prefers WeChat", "confidential": True}, client_id=served
    )
    records.create_record(
        a.ctx, "service_note", {"text": "Gate code 1234", "confidential": False}, client_id=served
    )
    a.sync()
    boss = make_device("boss")  # who serves a client is the supervisor's decision
    boss.sync()
    add_team_member(boss.ctx, served, "fred")
    boss.sync()
    a.sync()
    f.sync()
    assert client_ids(f) == {served}  # out of scope: never delivered
    assert client(f, served).annual_fees is None  # stripped by the server
    from sqlalchemy import select

    with f.ctx.read() as s:
        texts = sorted(n.text for n in s.scalars(select(ServiceNote)))
    assert texts == ["", "Gate code 1234"]
    # the manager still sees everything of their client
    assert client(a, served).annual_fees == 900000 and other in client_ids(a)
    # field staff may record a visit note but not touch a client's confidential fields
    records.create_record(f.ctx, "service_note", {"text": "Visited the lab"}, client_id=served)
    report = f.sync()
    assert report.pushed == 1 and report.rejected == 0


def test_refused_item_stays_visible_and_does_not_block_others(server, make_device):
    server.add_user("alice", "manager")
    bob = server.add_user("bob", "manager")
    a, b = make_device("alice"), make_device("bob")
    a.sync()
    b.sync()
    mine = clients.create_client(a.ctx, name="Mine Co")
    a.sync()
    # bob forges an edit of alice's client (not in his scope) next to a valid change of his own
    b_client = clients.create_client(b.ctx, name="Bob Co")
    with b.ctx.write() as (session, writer):
        from accountdesk.models import Client

        row = Client(
            id=mine,
            client_id=mine,
            name="Mine Co",
            owner_id=bob,
            tier="standard",
            status="active",
            tags=[],
            updated_at="",
        )
        session.add(row)
        session.flush()
        writer.update(row, {"city": "Xi'an"})
    report = b.sync()
    assert report.rejected == 1 and report.pushed == 1
    refused = outbox(b, "rejected")
    assert len(refused) == 1 and refused[0].row_id == mine and "scope" in refused[0].reject_reason
    a.sync()
    assert client(a, mine).city is None
    assert client(b, b_client).name == "Bob Co"


def test_handover_while_old_owner_offline_with_pending_edits(server, make_device):
    server.add_user("boss", "supervisor")
    alice_id = server.add_user("alice", "manager")
    bob_id = server.add_user("bob", "manager")
    # alice's laptop clock runs an hour fast: her edits' clocks say "after the handover", but her
    # pull cursor says she could not have known of it
    a = make_device("alice", clock=WallClock(dt.timedelta(hours=1)))
    boss, b = make_device("boss"), make_device("bob")
    a.sync()
    b.sync()
    cid = clients.create_client(a.ctx, name="Handed Co")
    records.create_record(
        a.ctx,
        "feedback",
        {"kind": "complaint", "subject": "Late report", "received_at": "2026-03-01 10:00"},
        client_id=cid,
    )
    a.sync()
    boss.sync()
    # alice is offline and keeps working
    records.create_record(a.ctx, "contact", {"name": "李娜", "title": "Buyer"}, client_id=cid)
    clients.update_client(a.ctx, cid, city="Nanjing")
    # the supervisor hands the client over to bob
    result = assign_client(boss.ctx, cid, "bob", "alice leaves")
    assert [i["key"] for i in result["checklist"]][:1] == ["open_feedback"] and result["checklist"][0][
        "count"
    ] == 1
    boss.sync()
    b.sync()
    assert client(b, cid).owner_id == bob_id
    # alice comes back: her pending edits are pushed first, then the client leaves her device
    report = a.sync()
    assert report.rejected == 0 and cid in report.removed_clients
    assert cid not in client_ids(a)
    b.sync()
    assert client(b, cid).city == "Nanjing"
    from sqlalchemy import select

    with b.ctx.read() as s:
        assert [c.name for c in s.scalars(select(Contact).where(Contact.client_id == cid))] == ["李娜"]
    # recorded in the field history under the old owner
    city = [e for e in b.engine.history(cid, "city") if e.new == "Nanjing"]
    assert [e.username for e in city] == ["alice"] and city[0].user_id == alice_id

    # a later edit by the old owner is refused: a push that says it saw the handover, and one
    # from an older device (no cursor) whose edit was made after the handover
    api = _login(server, "alice")
    with server.db.read() as conn:
        seen = repo.current_seq(conn)
    late = [
        {
            "entity": "client",
            "row_id": cid,
            "op": "update",
            "fields": {"city": "Suzhou"},
            "base_seq": seen,
            "hlc": HLC(int(time.time() * 1000), 0, "crafted").encode(),
        }
    ]
    for extra in ({"cursor": seen}, {}):
        r = httpx.post(
            server.url + "/v1/sync/push", headers=api, json={"batch_id": new_id(), "items": late, **extra}
        )
        [result] = r.json()["results"]
        assert result["status"] == "rejected" and result["code"] == p.R_OUT_OF_SCOPE, extra
        assert "left your scope" in result["reason"]
    b.sync()
    assert client(b, cid).city == "Nanjing"


def test_edits_made_while_a_sync_runs_reach_the_successor_as_conflicts(server, make_device):
    """The client leaves alice's scope in the pull of the very sync during which she edits it.
    The server cannot tell such an edit from one made later (it trusts no cursor or clock a
    device sends), so it keeps it for the successor, who accepts it: nothing is lost, nothing
    lands behind the successor's back."""
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    a, boss, b = make_device("alice"), make_device("boss"), make_device("bob")
    a.sync()
    cid = clients.create_client(a.ctx, name="Racing Co")
    a.sync()
    boss.sync()
    assign_client(boss.ctx, cid, "bob", "reorganisation")
    boss.sync()
    edited = []
    original = a.engine._scope_changed

    def scope_changed(page, cursor, report):  # alice types just as the pull brings the handover
        if not edited:
            edited.append(records.create_record(a.ctx, "contact", {"name": "周杰"}, client_id=cid))
        return original(page, cursor, report)

    a.engine._scope_changed = scope_changed
    report = a.sync()
    assert report.rejected == 0 and outbox(a) == []
    report = a.sync()
    assert cid in report.removed_clients and cid not in client_ids(a)
    b.sync()
    assert get(b, Contact, edited[0]) is None
    [kept] = list_conflicts(b.ctx)
    assert kept["entity"] == "contact" and kept["lost_value"]["name"] == "周杰" and kept["lost_by"] == "alice"
    resolve_conflict(b.ctx, kept["id"], "theirs")
    b.sync()
    assert get(b, Contact, edited[0]).name == "周杰"


def _login(server, username: str) -> dict[str, str]:
    h = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}
    r = httpx.post(
        server.url + "/v1/auth/login",
        headers=h,
        json={"username": username, "password": PASSWORD, "device_id": "crafted-" + username},
    )
    assert r.status_code == 200, r.text
    return {**h, "Authorization": "Bearer " + r.json()["access_token"]}


def test_client_moves_a_to_b_to_a_and_arrives_complete(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    a, boss, b = make_device("alice"), make_device("boss"), make_device("bob")
    a.sync()
    b.sync()
    cid = clients.create_client(a.ctx, name="Pingpong Co")
    contact = records.create_record(a.ctx, "contact", {"name": "张三"}, client_id=cid)
    a.sync()
    boss.sync()
    assign_client(boss.ctx, cid, "bob")
    boss.sync()
    b.sync()
    assert get(b, Contact, contact).name == "张三"  # entered scope: the whole current state
    records.update_record(b.ctx, "contact", contact, {"title": "Director"})
    b.sync()
    a.sync()
    assert cid not in client_ids(a)
    boss.sync()
    assign_client(boss.ctx, cid, "alice")
    boss.sync()
    a.sync()
    b.sync()
    assert get(a, Contact, contact).title == "Director" and client(a, cid).name == "Pingpong Co"
    assert cid not in client_ids(b)


def test_supervisor_demoted_to_manager_keeps_only_own_clients(server, make_device):
    from sqlalchemy import update

    from accountdesk.server import tables as t

    server.add_user("alice", "manager")
    server.add_user("sam", "supervisor")
    a, s = make_device("alice"), make_device("sam")
    a.sync()
    s.sync()
    theirs = clients.create_client(a.ctx, name="Alice Co")
    a.sync()
    own = clients.create_client(s.ctx, name="Sam Co")
    s.sync()
    assert client_ids(s) == {theirs, own}
    with server.db.write() as conn:
        conn.execute(update(t.users).where(t.users.c.username == "sam").values(role="manager"))
    s.engine._access = None  # next login carries the new role
    s.sync()
    assert client_ids(s) == {own}
    # promoted again: everything comes back, complete
    records.create_record(a.ctx, "contact", {"name": "钱七"}, client_id=theirs)
    a.sync()
    with server.db.write() as conn:
        conn.execute(update(t.users).where(t.users.c.username == "sam").values(role="supervisor"))
    s.engine._access = None
    s.sync()
    assert client_ids(s) == {theirs, own}
    from sqlalchemy import select

    with s.ctx.read() as session:
        assert session.scalars(select(Contact.name).where(Contact.client_id == theirs)).all() == ["钱七"]


def test_deactivation_revokes_devices_which_wipe_their_data(server, make_device):
    from accountdesk.server import admin

    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    a = make_device("alice")
    a.sync()
    cid = clients.create_client(a.ctx, name="Leaving Co")
    a.sync()
    result = admin.deactivate_user(server.db, "alice")
    assert result["devices_revoked"] == 1 and result["clients_needing_owner"] == ["Leaving Co"]
    with pytest.raises(DeviceRevoked):
        a.sync()
    assert client_ids(a) == set() and outbox(a) == []
    boss = make_device("boss")
    boss.sync()
    assert [c["id"] for c in clients_needing_owner(boss.ctx)] == [cid]
    # a new laptop of the deactivated user cannot log in either
    with pytest.raises(UserDeactivated):
        make_device("alice").sync()


def test_revoked_device_wipes_and_says_so(server, make_device):
    from accountdesk.server import admin

    server.add_user("alice", "manager")
    a = make_device("alice")
    a.sync()
    clients.create_client(a.ctx, name="Lost Laptop Co")
    a.sync()
    [dev] = admin.list_devices(server.db)
    admin.revoke_device(server.db, dev["id"])
    with pytest.raises(DeviceRevoked, match="revoked"):
        a.sync()
    assert client_ids(a) == set()


def test_a_refused_change_can_be_dropped_and_the_server_version_returns(server, make_device, capsys):
    import json

    from accountdesk.cli import main as device_main
    from accountdesk.models import Client

    alice = server.add_user("alice", "manager")
    bob = server.add_user("bob", "manager")
    a = make_device("alice")
    a.sync()
    cid = clients.create_client(a.ctx, name="Refused Co", city="Dalian")
    a.sync()
    with a.ctx.write() as (session, writer):  # an edit the app would not offer: managers may not reassign
        writer.update(session.get(Client, cid), {"owner_id": bob, "city": "Qingdao"})
    assert a.sync().rejected == 1
    assert client(a, cid).owner_id == bob  # still shown as typed, with the reason beside it
    assert device_main(["--data-dir", str(a.path), "conflicts", "list", "--json"]) == 0
    [refused] = json.loads(capsys.readouterr().out)["rejected"]
    assert device_main(["--data-dir", str(a.path), "conflicts", "discard", str(refused["seq"])]) == 0
    capsys.readouterr()
    a.sync()
    assert outbox(a) == []
    row = client(a, cid)
    assert (row.owner_id, row.city) == (alice, "Dalian")
