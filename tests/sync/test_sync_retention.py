"""Tombstone retention end to end (docs/architecture.md, "Sync"): the server purges old tombstones and records
the horizon; a device offline for longer pushes its outbox, replaces its rows with a fresh
snapshot of its scope and ends equal to the server, deletes it missed included."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select
from sync_env import ServerProcess
from sync_helpers import Row, client, client_ids, get, outbox
from test_sync_cli import run, srv

from accountdesk.models import Client, Contact, ServiceNote
from accountdesk.server import repo
from accountdesk.server import tables as t
from accountdesk.server.cli import main as server_main
from accountdesk.services import clients, records
from accountdesk.services.team import add_team_member
from accountdesk.sync.changes import get_meta
from accountdesk.sync.client import META_CURSOR, META_RESNAPSHOT


def purge(server, capsys, *argv) -> dict:
    code, out, err = run(server_main, srv(server, "purge", *argv, "--json"), capsys)
    assert code == 0, err
    return json.loads(out)


def live_rows(dev, model) -> dict[str, dict]:
    with dev.ctx.read() as s:
        return {r.id: Row(r) for r in s.scalars(select(model).where(model.deleted_at.is_(None)))}


def server_live(server, entity: str, client_ids: set[str]) -> dict[str, dict]:
    with server.db.read() as conn:
        rows = conn.execute(
            select(t.records).where(t.records.c.entity == entity, t.records.c.deleted.is_(False))
        )
        return {r.id: dict(r.data) for r in rows if r.client_id in client_ids}


def meta(dev, key):
    with dev.ctx.read() as s:
        return get_meta(s, key)


def test_device_offline_past_retention_pushes_first_then_takes_a_fresh_snapshot(server, make_device, capsys):
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    a, boss = make_device("alice"), make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="Retained Co")
    gone_cid = clients.create_client(a.ctx, name="Closed Co")
    kept = records.create_record(a.ctx, "contact", {"name": "王伟", "title": "CTO"}, client_id=cid)
    purged = records.create_record(a.ctx, "contact", {"name": "李娜"}, client_id=cid)
    later = records.create_record(a.ctx, "contact", {"name": "张敏"}, client_id=cid)
    a.sync()
    boss.sync()
    stale_cursor = meta(a, META_CURSOR)

    # alice is offline for a long time and keeps working
    clients.update_client(a.ctx, cid, city="Nanjing")
    records.update_record(a.ctx, "contact", kept, {"title": "CEO"})
    new_contact = records.create_record(a.ctx, "contact", {"name": "赵磊"}, client_id=cid)

    # meanwhile the office deletes a contact and a whole client, and the tombstones are purged
    records.delete_record(boss.ctx, "contact", purged)
    records.delete_record(boss.ctx, "client", gone_cid)
    clients.update_client(boss.ctx, cid, short_name="Retained")
    boss.sync()
    result = purge(server, capsys, "--older-than", "0")
    assert result["purged"] == 2 and result["horizon"] > stale_cursor
    with server.db.read() as conn:
        assert repo.get_record(conn, purged) is None and repo.get_record(conn, gone_cid) is None
        # the field history stays
        assert (
            conn.execute(
                select(func.count()).select_from(t.history).where(t.history.c.row_id == purged)
            ).scalar()
            > 0
        )
    records.delete_record(boss.ctx, "contact", later)  # a tombstone still kept
    boss.sync()

    report = a.sync()
    assert report.rejected == 0 and outbox(a) == []
    assert meta(a, META_RESNAPSHOT) is None and meta(a, META_CURSOR) >= result["horizon"]
    # the deletes it missed reached it: the purged rows are gone, the kept tombstone applied
    assert get(a, Contact, purged) is None and gone_cid not in client_ids(a) and client(a, gone_cid) is None
    assert get(a, Contact, later).deleted_at is not None
    # its own edits were accepted and it has the office's
    row = client(a, cid)
    assert row.city == "Nanjing" and row.short_name == "Retained"
    boss.sync()
    assert client(boss, cid).city == "Nanjing" and get(boss, Contact, kept).title == "CEO"
    assert get(boss, Contact, new_contact).name == "赵磊"
    # alice's laptop equals the server
    for model, entity in ((Client, "client"), (Contact, "contact")):
        mine = live_rows(a, model)
        theirs = server_live(server, entity, {cid, gone_cid})
        assert set(mine) == set(theirs), entity
        for row_id, data in theirs.items():
            assert mine[row_id].name == data["name"]


def test_interrupted_fresh_snapshot_is_resumed_and_never_shown_as_synced(server, make_device, capsys):
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    a, boss = make_device("alice"), make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="Many Contacts Co")
    ids = [records.create_record(a.ctx, "contact", {"name": f"C{i:02d}"}, client_id=cid) for i in range(12)]
    a.sync()
    boss.sync()
    stale = meta(a, META_CURSOR)
    for row_id in ids[:3]:
        records.delete_record(boss.ctx, "contact", row_id)
    boss.sync()
    horizon = purge(server, capsys, "--older-than", "0")["horizon"]
    records.update_record(a.ctx, "contact", ids[5], {"title": "pending"})

    a.engine.page_size = 4
    cancel = threading.Event()

    def progress(phase, done, total):
        if phase == "snapshot":
            cancel.set()  # stop after the first snapshot page

    first = a.sync(progress=progress, cancel=cancel)
    assert first.cancelled
    # half way: the outbox went first, the cursor is still the stale one and the marker stays
    assert outbox(a) == [] and meta(a, META_CURSOR) == stale < horizon
    assert meta(a, META_RESNAPSHOT) is not None

    class Crash(Exception):
        pass

    def crash(phase, done, total):
        if phase == "snapshot" and done > 4:  # dies after two pages were written
            raise Crash

    with pytest.raises(Crash):
        a.sync(progress=crash)
    assert meta(a, META_CURSOR) == stale and meta(a, META_RESNAPSHOT) is not None
    assert get(a, Contact, ids[0]) is not None  # nothing removed before the snapshot is complete
    second = a.sync()
    assert not second.cancelled and meta(a, META_RESNAPSHOT) is None
    assert set(live_rows(a, Contact)) == set(ids[3:])
    assert all(get(a, Contact, row_id) is None for row_id in ids[:3])
    assert get(a, Contact, ids[5]).title == "pending"


def test_device_inside_the_retention_keeps_pulling_incrementally(server, make_device, capsys):
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    a, boss = make_device("alice"), make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="Steady Co")
    contact = records.create_record(a.ctx, "contact", {"name": "王伟"}, client_id=cid)
    a.sync()
    boss.sync()
    records.delete_record(boss.ctx, "contact", contact)
    boss.sync()
    a.sync()  # alice saw the delete before the purge
    assert purge(server, capsys, "--older-than", "0")["purged"] == 1
    clients.update_client(boss.ctx, cid, city="Xiamen")
    boss.sync()
    phases = []
    report = a.sync(progress=lambda phase, done, total: phases.append(phase))
    assert "snapshot" not in phases and report.pulled == 1
    assert client(a, cid).city == "Xiamen" and get(a, Contact, contact).deleted_at is not None
    # a device that never synced starts from zero and is not asked for a snapshot either
    fresh = make_device("alice", name="fresh")
    fresh.sync()
    assert client_ids(fresh) == {cid}


def test_field_staff_fresh_snapshot_keeps_confidential_fields_stripped(server, make_device, capsys):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("fred", "field")
    a, f = make_device("alice"), make_device("fred")
    a.sync()
    served = clients.create_client(a.ctx, name="Served Co", annual_fees=900000)
    other = clients.create_client(a.ctx, name="Other Co")
    records.create_record(
        a.ctx, "service_note", {"text": "CFO prefers WeChat", "confidential": True}, client_id=served
    )
    note = records.create_record(a.ctx, "service_note", {"text": "Gate code 1234"}, client_id=served)
    a.sync()
    boss = make_device("boss")  # who serves a client is the supervisor's decision
    boss.sync()
    add_team_member(boss.ctx, served, "fred")
    boss.sync()
    a.sync()
    f.sync()
    records.delete_record(a.ctx, "service_note", note)
    clients.update_client(a.ctx, served, annual_fees=950000)
    a.sync()
    purge(server, capsys, "--older-than", "0")
    phases = []
    f.sync(progress=lambda phase, done, total: phases.append(phase))
    assert "snapshot" in phases and client_ids(f) == {served} and other not in client_ids(f)
    assert client(f, served).annual_fees is None
    with f.ctx.read() as s:
        assert sorted(n.text for n in s.scalars(select(ServiceNote))) == [""]


def test_purge_command_output_and_exit_codes(server, make_device, capsys, monkeypatch):
    server.add_user("alice", "manager")
    a = make_device("alice")
    a.sync()
    cid = clients.create_client(a.ctx, name="Purge Co")
    contact = records.create_record(a.ctx, "contact", {"name": "王伟"}, client_id=cid)
    a.sync()
    records.delete_record(a.ctx, "contact", contact)
    a.sync()
    # the default retention (90 days) keeps a fresh tombstone
    default = purge(server, capsys)
    assert (default["purged"], default["horizon"], default["older_than_days"]) == (0, 0, 90)
    code, out, _ = run(server_main, srv(server, "--lang", "en", "purge", "--older-than", "0"), capsys)
    assert code == 0 and out.startswith("Purged 1 deleted record(s) older than 0 day(s)")
    with server.db.read() as conn:
        assert repo.purge_horizon(conn) > 0
        assert [r["action"] for r in repo.audit_log(conn)][:1] == ["purge"]
    assert run(server_main, srv(server, "purge", "--older-than", "-1"), capsys)[0] == 2
    assert run(server_main, srv(server, "purge", "--older-than", "soon"), capsys)[0] == 2
    monkeypatch.setenv("ACCOUNTDESK_TOMBSTONE_RETENTION_DAYS", "0")
    code, _out, err = run(server_main, srv(server, "purge"), capsys)
    assert code == 2 and "--older-than" in err
    monkeypatch.setenv("ACCOUNTDESK_TOMBSTONE_RETENTION_DAYS", "30")
    assert purge(server, capsys)["older_than_days"] == 30


def test_serve_purges_once_a_day_by_itself(server, make_device, tmp_path):
    server.add_user("alice", "manager")
    a = make_device("alice")
    a.sync()
    cid = clients.create_client(a.ctx, name="Daily Co")
    first, second = (
        records.create_record(a.ctx, "contact", {"name": n}, client_id=cid) for n in ("王伟", "李娜")
    )
    a.sync()
    records.delete_record(a.ctx, "contact", first)
    a.sync()
    time.sleep(1.2)
    with server.db.write() as conn:  # the fixture's process purged (nothing) when it started: days ago
        conn.execute(t.purges.delete())
    # a second serving process with a retention of about a second, checking five times a second
    other = ServerProcess(
        server.database_url,
        tmp_path / "daily.log",
        env={"ACCOUNTDESK_TOMBSTONE_RETENTION_DAYS": "0.00001", "ACCOUNTDESK_PURGE_CHECK_S": "0.2"},
    )
    other.start()
    try:
        deadline = time.monotonic() + 20
        while _record(server, first) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _record(server, first) is None
        # the next one is due in a day, however often the process checks
        records.delete_record(a.ctx, "contact", second)
        a.sync()
        time.sleep(2)
        assert _record(server, second) is not None
    finally:
        other.stop()
        other.db.close()
    with server.db.read() as conn:
        assert len([r for r in repo.audit_log(conn) if r["action"] == "purge"]) == 1


def _record(server, row_id):
    with server.db.read() as conn:
        return repo.get_record(conn, row_id)


def test_purge_forgets_answers_of_batches_a_device_has_followed_and_keeps_its_newest(
    server, make_device, capsys
):
    """A push batch's answer is kept for the device that sends it again after a lost answer; once
    the device has sent a later batch it had that answer, and the purge forgets it (a company's
    join leaves hundreds of answers of a thousand items). The newest answer of each device stays."""
    from test_server_attacks import Api

    server.add_user("alice", "manager")
    a = make_device("alice")
    a.sync()
    cid = clients.create_client(a.ctx, name="Batch Co")
    a.sync()
    api = Api(server, "alice")
    first, second = "batch-one-" + api.uid[:8], "batch-two-" + api.uid[:8]
    [one] = api.push(api.item("client", cid, "update", {"city": "Suzhou"}), batch_id=first)
    item = api.item("client", cid, "update", {"city": "Wuxi"})
    [two] = api.push(item, batch_id=second)
    assert one["status"] == two["status"] == "applied"

    def answers() -> dict[str, set[str]]:
        with server.db.read() as conn:
            rows = conn.execute(select(t.batches.c.device_id, t.batches.c.batch_id)).all()
        out: dict[str, set[str]] = {}
        for device, batch in rows:
            out.setdefault(device, set()).add(batch)
        return out

    before = answers()
    assert {first, second} <= set().union(*before.values())
    # the default retention (90 days) keeps fresh answers
    assert purge(server, capsys)["batch_answers"] == 0 and answers() == before
    result = purge(server, capsys, "--older-than", "0")
    after = answers()
    assert result["batch_answers"] == sum(len(b) - 1 for b in before.values()) >= 1
    assert all(len(b) == 1 for b in after.values()) and after.keys() == before.keys()
    assert second in set().union(*after.values()) and first not in set().union(*after.values())
    # the newest answer is still given to a device that sends its batch again: nothing applied twice
    with server.db.read() as conn:
        seq = repo.current_seq(conn)
    assert api.push(item, batch_id=second) == [two]
    with server.db.read() as conn:
        assert repo.current_seq(conn) == seq
    # and the laptop goes on syncing as before
    clients.update_client(a.ctx, cid, city="Nanjing")
    a.sync()
    assert server_live(server, "client", {cid})[cid]["city"] == "Nanjing"
