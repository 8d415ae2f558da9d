"""Moving a company in: a whole profile joins a server. Killed half-way (the laptop, or the
server), it resumes; in the end every row is on the server exactly once, equal to the laptop's,
with one history entry per created record — and the joining laptop pulls back nothing it wrote."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sync_env import PASSWORD, Device

from accountdesk.models import SYNCABLE
from accountdesk.server import tables as t
from accountdesk.sync.client import push
from accountdesk.sync.codec import row_to_wire

CLIENTS = 30
#: fields the server sets itself on every accepted change
SERVER_SET = {"updated_at", "updated_by"}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    """A profile of a company's ledger (the demo generator stands in for one), made once."""
    path = tmp_path_factory.mktemp("ledger")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "accountdesk",
            "--data-dir",
            str(path),
            "demo",
            "--clients",
            str(CLIENTS),
            "--seed",
            "5",
        ],
        check=True,
        capture_output=True,
    )
    return path


def _copy(ledger: Path, target: Path) -> Path:
    shutil.copytree(ledger, target)
    with sqlite3.connect(target / "accountdesk.sqlite3") as conn:  # a laptop of its own
        conn.execute("DELETE FROM meta WHERE key = 'device_id'")
    return target


def _server_records(server) -> tuple[dict[str, dict], dict[str, int]]:
    with server.db.read() as conn:
        rows = {
            r.id: dict(r.data)
            for r in conn.execute(
                select(t.records.c.id, t.records.c.data).where(t.records.c.entity != "user")
            )
        }
        created = dict(
            conn.execute(
                select(t.history.c.row_id, func.count())
                .where(t.history.c.field == "*", t.history.c.entity != "user")
                .group_by(t.history.c.row_id)
            ).all()
        )
    return rows, created


def _laptop_rows(dev: Device) -> dict[str, dict]:
    out = {}
    with dev.ctx.read() as session:
        for model in SYNCABLE:
            if model.__entity__ == "user":
                continue
            for row in session.scalars(select(model)):
                out[row.id] = row_to_wire(row)
    return out


def _check_landed_once(server, dev: Device) -> None:
    assert dev.sync().pulled == 0  # nothing it wrote comes back
    laptop = _laptop_rows(dev)
    remote, created = _server_records(server)
    assert set(remote) == set(laptop) and len(laptop) > 1000
    for row_id, data in laptop.items():
        mine = {k: v for k, v in data.items() if k not in SERVER_SET and k != "id"}
        theirs = {k: remote[row_id].get(k) for k in mine}
        assert theirs == mine, row_id
    assert set(created) == set(laptop) and set(created.values()) == {1}  # applied once each


def _pending(path: Path) -> int:
    with sqlite3.connect(path / "accountdesk.sqlite3") as conn:
        return conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]


def _outbox_indexes(path: Path) -> set[str]:
    with sqlite3.connect(path / "accountdesk.sqlite3") as conn:
        return {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'"
            )
        }


def _server_count(server) -> int:
    with server.db.read() as conn:
        return conn.execute(
            select(func.count()).select_from(t.records).where(t.records.c.entity != "user")
        ).scalar_one()


def test_a_join_killed_on_the_laptop_half_way_lands_exactly_once(server, ledger, tmp_path):
    server.add_user("boss", "supervisor")
    path = _copy(ledger, tmp_path / "laptop")
    total = _pending(path)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("join_device.py")),
            str(path),
            server.url,
            "boss",
            PASSWORD,
            "150",
            "300",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _server_count(server) < total // 3:
        time.sleep(0.05)
    proc.kill()  # kill -9, while a batch the server committed waits for its answer
    assert "finished" not in proc.communicate()[0].decode()
    assert 0 < _server_count(server) < total
    whole = {"ix_outbox_batch_id", "ix_outbox_client_id", "ix_outbox_row_id", "ix_outbox_hlc"}
    assert _outbox_indexes(path) == {"ix_outbox_batch_id"}  # set aside for the large push
    dev = Device(path, server, "boss")
    assert _outbox_indexes(path) == whole  # put back as the store opened
    try:
        dev.engine.include_demo_data = True
        report = dev.sync()
        assert report.rejected == 0 and _pending(path) == 0
        _check_landed_once(server, dev)
    finally:
        dev.close()


def test_a_join_whose_server_is_killed_half_way_lands_exactly_once(server, ledger, tmp_path, monkeypatch):
    server.add_user("boss", "supervisor")
    path = _copy(ledger, tmp_path / "laptop")
    total = _pending(path)
    dev = Device(path, server, "boss")
    try:
        dev.engine.include_demo_data = True
        dev.engine.batch_size = 150
        monkeypatch.setattr(push, "LARGE_PUSH", 500)  # sets the outbox's indexes aside, as a large join does
        dev.engine._http.headers["X-Test-Delay-Ms"] = "200"  # each batch's transaction held open a while
        errors: list[BaseException] = []

        def run() -> None:
            try:
                dev.sync()
            except Exception as exc:  # noqa: BLE001 - the server dies under it
                errors.append(exc)

        th = threading.Thread(target=run)
        th.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _server_count(server) < total // 3:
            time.sleep(0.05)
        server.kill()
        th.join(60)
        assert errors and type(errors[0]).__name__ == "ServerUnreachable"
        assert _outbox_indexes(path) == {
            "ix_outbox_batch_id",
            "ix_outbox_client_id",
            "ix_outbox_row_id",
            "ix_outbox_hlc",
        }
        assert 0 < _server_count(server) < total
        server.start(port=server.port)
        del dev.engine._http.headers["X-Test-Delay-Ms"]
        report = dev.sync()
        assert report.rejected == 0 and _pending(path) == 0
        _check_landed_once(server, dev)
    finally:
        dev.close()
