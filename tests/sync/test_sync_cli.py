"""The command lines end to end: ``accountdesk-server`` administration and ``accountdesk sync``,
``conflicts``, ``history``, ``clients assign|team`` against a real server process."""

from __future__ import annotations

import io
import json
import sys

import pytest
from sync_env import PASSWORD
from sync_helpers import client, conflicts

from accountdesk.cli import main as device_main
from accountdesk.server.cli import main as server_main
from accountdesk.services import clients


def run(main, argv, capsys, stdin: str | None = None):
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(argv)
    finally:
        sys.stdin = old
    out = capsys.readouterr()
    return code, out.out, out.err


def srv(server, *argv):
    return ["--database-url", server.database_url, *argv]


def test_server_cli_administration(server, capsys):
    assert (
        run(server_main, srv(server, "init", "--admin", "root", "--password-stdin"), capsys, "rootpass123\n")[
            0
        ]
        == 0
    )
    assert (
        run(
            server_main,
            srv(server, "user", "add", "alice", "--role", "manager", "--password-stdin"),
            capsys,
            "alicepass1\n",
        )[0]
        == 0
    )
    code, _out, err = run(
        server_main,
        srv(server, "user", "add", "alice", "--role", "manager", "--password-stdin"),
        capsys,
        "alicepass1\n",
    )
    assert code == 2 and "already exists" in err
    code, out, _ = run(server_main, srv(server, "user", "list", "--json"), capsys)
    assert code == 0 and {u["username"]: u["role"] for u in json.loads(out)} == {
        "root": "admin",
        "alice": "manager",
    }
    code, _out, err = run(
        server_main, srv(server, "user", "add", "x", "--role", "king", "--password-stdin"), capsys, "p\n"
    )
    assert code == 2
    code, out, _ = run(server_main, srv(server, "device", "list", "--json"), capsys)
    assert code == 0 and json.loads(out) == []
    assert run(server_main, srv(server, "device", "revoke", "nope"), capsys)[0] == 2
    assert run(server_main, srv(server, "client", "assign", "Nobody Co", "--to", "alice"), capsys)[0] == 2
    code, out, _ = run(server_main, srv(server, "audit", "--json"), capsys)
    assert code == 0 and [e["action"] for e in json.loads(out)] == ["user_add", "user_add"]


def test_device_cli_sync_conflicts_history_and_handover(server, make_device, capsys, tmp_path):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    server.add_user("fred", "field")
    a = make_device("alice")
    base = ["--data-dir", str(a.path)]
    a.ctx.close()
    code, out, err = run(
        device_main,
        [*base, "sync", "--server", server.url, "--user", "alice", "--password-stdin", "--json"],
        capsys,
        PASSWORD + "\n",
    )
    assert code == 0, err
    assert json.loads(out) == {"pushed": 0, "pulled": 4, "conflicts": 0, "rejected": 0}
    assert "keyring" in err  # no keyring backend here: said plainly
    code, out, _ = run(
        device_main, [*base, "clients", "add", "--name", "CLI Co", "--no-standard", "--json"], capsys
    )
    assert code == 0
    cid = json.loads(out)["id"]
    # who serves a client is the supervisor's decision: a manager is told so
    code, _out, err = run(device_main, [*base, "clients", "team", "CLI Co", "--add", "fred"], capsys)
    assert code == 1 and err
    assert run(device_main, [*base, "clients", "set", "CLI Co", "city=Hangzhou"], capsys)[0] == 0
    code, out, _ = run(device_main, [*base, "sync", "--password-stdin", "--json"], capsys, PASSWORD + "\n")
    assert code == 0 and json.loads(out)["pushed"] == 2
    boss = make_device("boss")
    boss.sync()
    from accountdesk.services.team import add_team_member

    add_team_member(boss.ctx, cid, "fred")
    boss.sync()
    code, out, _ = run(device_main, [*base, "sync", "--password-stdin", "--json"], capsys, PASSWORD + "\n")
    # a concurrent edit on the supervisor's device wins; alice's value is kept as a conflict
    code, _, _ = run(device_main, [*base, "clients", "set", "CLI Co", "city=Ningbo"], capsys)
    clients.update_client(boss.ctx, cid, city="Suzhou")
    boss.sync()
    code, out, _ = run(device_main, [*base, "sync", "--password-stdin", "--json"], capsys, PASSWORD + "\n")
    assert json.loads(out)["conflicts"] == 1
    code, out, _ = run(device_main, [*base, "conflicts", "list", "--json"], capsys)
    [conflict] = json.loads(out)["conflicts"]
    assert (conflict["kept_value"], conflict["lost_value"]) == ("Suzhou", "Ningbo")
    code, out, _ = run(device_main, [*base, "conflicts", "resolve", conflict["id"], "--keep", "mine"], capsys)
    assert code == 0
    run(device_main, [*base, "sync", "--password-stdin"], capsys, PASSWORD + "\n")
    boss.sync()
    assert client(boss, cid).city == "Ningbo"
    assert [c.resolution for c in conflicts(boss, cid)] == ["restored"]
    # history from the server, then restore an earlier value
    code, out, _ = run(
        device_main,
        [*base, "history", "CLI Co", "--field", "city", "--json", "--password-stdin"],
        capsys,
        PASSWORD + "\n",
    )
    entries = json.loads(out)
    assert [e["new"] for e in entries] == ["Ningbo", "Suzhou", "Hangzhou"]
    hangzhou = entries[-1]["id"]
    code, out, err = run(
        device_main,
        [*base, "history", "CLI Co", "--restore", str(hangzhou), "--password-stdin"],
        capsys,
        PASSWORD + "\n",
    )
    assert code == 0, err
    run(device_main, [*base, "sync", "--password-stdin"], capsys, PASSWORD + "\n")
    boss.sync()
    assert client(boss, cid).city == "Hangzhou"
    # a manager may not reassign; the supervisor's device can, from the command line
    code, _out, err = run(device_main, [*base, "clients", "assign", "CLI Co", "--to", "bob"], capsys)
    assert code == 1 and "supervisors" in err
    boss_base = ["--data-dir", str(boss.path)]
    code, out, err = run(
        device_main,
        [*boss_base, "clients", "assign", "CLI Co", "--to", "bob", "--reason", "rotation", "--json"],
        capsys,
    )
    assert code == 0, err
    assert {i["key"] for i in json.loads(out)["checklist"]} == {
        "open_feedback",
        "upcoming_visits",
        "open_improvement_items",
        "key_contacts",
    }
    boss.sync()
    code, out, _ = run(device_main, [*base, "sync", "--password-stdin", "--json"], capsys, PASSWORD + "\n")
    assert code == 0
    code, out, _ = run(device_main, [*base, "clients", "list", "--json"], capsys)
    assert json.loads(out) == []


def test_device_cli_exit_codes(server, make_device, capsys, tmp_path):
    from accountdesk.server import admin

    server.add_user("alice", "manager")
    a = make_device("alice")
    base = ["--data-dir", str(a.path)]
    a.ctx.close()
    code, out, err = run(device_main, [*base, "sync", "--json"], capsys)
    assert code == 2 and "--server" in err
    code, out, err = run(
        device_main,
        [*base, "sync", "--server", "http://127.0.0.1:9", "--user", "alice", "--password-stdin"],
        capsys,
        "x\n",
    )
    assert code == 3 and "cannot be reached" in err
    code, out, err = run(
        device_main,
        [*base, "sync", "--server", server.url, "--user", "alice", "--password-stdin"],
        capsys,
        "wrong\n",
    )
    assert code == 4
    assert (
        run(
            device_main,
            [*base, "sync", "--server", server.url, "--user", "alice", "--password-stdin"],
            capsys,
            PASSWORD + "\n",
        )[0]
        == 0
    )
    admin.deactivate_user(server.db, "alice")
    code, out, err = run(device_main, [*base, "sync", "--password-stdin", "--json"], capsys, PASSWORD + "\n")
    assert code == 6 and "revoked" in err and json.loads(out)["exit_code"] == 6


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sync_can_be_cancelled_and_resumes(server, make_device, monkeypatch):
    import threading

    from accountdesk.sync import client as sync_client

    monkeypatch.setattr(
        sync_client.pull, "GROUP_ROWS", 1
    )  # a transaction per page (grouped: test_sync_bulk_index)
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    a = make_device("alice")
    a.sync()
    for i in range(120):
        clients.create_client(a.ctx, name=f"Bulk {i:03d}")
    a.sync()
    boss = make_device("boss")
    cancel = threading.Event()
    seen = []

    def progress(phase, done, total):
        seen.append((phase, done))
        if phase == "pull" and done:
            cancel.set()  # stop after the first page

    first = boss.sync(progress=progress, cancel=cancel)
    assert first.cancelled and 0 < first.pulled < 120
    second = boss.sync()
    assert not second.cancelled
    with boss.ctx.read() as s:
        from sqlalchemy import func, select

        from accountdesk.models import Client

        assert s.scalar(select(func.count(Client.id))) == 120


def test_history_offline_shows_this_devices_unsent_changes(ctx, data_dir, capsys):
    clients.create_client(ctx, name="Offline Co", city="Xiamen")
    cid = clients.resolve_client(ctx, "Offline Co")
    clients.update_client(ctx, cid, city="Fuzhou")
    ctx.close()
    code, out, err = run(
        device_main,
        ["--data-dir", str(data_dir), "history", "Offline Co", "--field", "city", "--json"],
        capsys,
    )
    assert code == 0, err
    entries = json.loads(out)
    assert [(e["old"], e["new"], e["local"]) for e in entries] == [
        ("Xiamen", "Fuzhou", True),
        (None, "Xiamen", True),
    ]
    code, _out, err = run(
        device_main, ["--data-dir", str(data_dir), "history", "Offline Co", "--restore", "1"], capsys
    )
    assert code == 3 and "connect" in err
