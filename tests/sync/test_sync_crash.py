"""Crashes: the laptop dies after the server committed but before it read the answer, and the
server dies in the middle of a push. After restarting, nothing is lost and nothing is applied twice."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import func, select
from sync_env import PASSWORD
from sync_helpers import client_ids, outbox

from accountdesk.server import repo
from accountdesk.server import tables as t
from accountdesk.services import clients
from accountdesk.sync.client import ServerUnreachable


def _server_counts(server) -> tuple[int, int]:
    with server.db.read() as conn:
        records = conn.execute(
            select(func.count()).select_from(t.records).where(t.records.c.entity == "client")
        ).scalar_one()
        # a created record's history is one entry with its first values
        history = conn.execute(
            select(func.count())
            .select_from(t.history)
            .where(t.history.c.field == "*", t.history.c.entity == "client")
        ).scalar_one()
        return records, history


def test_device_killed_after_the_server_committed(server, make_device):
    server.add_user("alice", "manager")
    dev = make_device("alice")
    dev.sync()
    for i in range(5):
        clients.create_client(dev.ctx, name=f"Crash {i}")
    dev.ctx.close()
    with server.db.read() as conn:
        before = repo.current_seq(conn)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("crash_device.py")),
            str(dev.path),
            server.url,
            "alice",
            PASSWORD,
            "5000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait for the commit, then kill the laptop before the answer
        with server.db.read() as conn:
            if repo.current_seq(conn) > before:
                break
        time.sleep(0.05)
    proc.kill()
    output = proc.communicate()[0].decode()
    assert "finished" not in output
    assert _server_counts(server) == (5, 5)
    # the laptop restarts: the same batch is sent again and answered from the server's record
    from sync_env import Device

    again = Device(dev.path, server, "alice")
    try:
        assert len(outbox(again)) == 5  # the answer never arrived: still pending
        report = again.sync()
        assert report.pushed == 5 and report.rejected == 0
        assert outbox(again) == [] and len(client_ids(again)) == 5
        assert _server_counts(server) == (5, 5)  # nothing applied twice
    finally:
        again.close()


def test_server_killed_mid_push_then_restarted(server, make_device):
    server.add_user("alice", "manager")
    dev = make_device("alice")
    dev.sync()
    for i in range(3):
        clients.create_client(dev.ctx, name=f"Mid {i}")
    dev.engine._http.headers["X-Test-Delay-Ms"] = "5000"
    errors = []

    def run():
        try:
            dev.sync()
        except ServerUnreachable as exc:
            errors.append(exc)

    th = threading.Thread(target=run)
    th.start()
    time.sleep(1.5)
    server.kill()
    th.join(30)
    assert errors and isinstance(errors[0], ServerUnreachable)
    assert _server_counts(server) == (0, 0)  # the open transaction died with the process
    server.start(port=server.port)
    del dev.engine._http.headers["X-Test-Delay-Ms"]
    report = dev.sync()
    assert report.pushed == 3 and outbox(dev) == []
    assert _server_counts(server) == (3, 3)
