"""What the laptop does when the server is down, ends its sign-in, was re-initialised, or is
reached over plain http:// — ``accountdesk sync`` and the sync engine against a real server
process on SQLite and PostgreSQL (issue 12, findings 8 and 10)."""

from __future__ import annotations

import contextlib
import io
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sync_env import PASSWORD, Device, _pg_admin_engine, reset_database
from sync_helpers import client_ids, outbox

from accountdesk.cli import main as device_main
from accountdesk.models import Client
from accountdesk.services import clients
from accountdesk.sync import protocol as p
from accountdesk.sync.client import LoginRequired

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


def run_cli(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), io.StringIO(), io.StringIO()
    try:
        code = device_main(argv)
        return code, sys.stdout.getvalue(), sys.stderr.getvalue()
    finally:
        sys.stdin, sys.stdout, sys.stderr = old


def cli_sync(dev: Device, *extra: str, url: str | None = None) -> tuple[int, str, str]:
    """``accountdesk sync`` on the device's profile (the password from standard input)."""
    dev.ctx.close()
    try:
        return run_cli(
            [
                "--data-dir",
                str(dev.path),
                "sync",
                "--server",
                url or dev.server.url,
                "--user",
                dev.username,
                "--password-stdin",
                *extra,
            ],
            PASSWORD + "\n",
        )
    finally:
        from accountdesk.services.context import open_profile

        dev.ctx = open_profile(dev.path, now=dev.clock.now, wall_ms=dev.clock.wall_ms)


@contextlib.contextmanager
def database_down(server):
    """The server's database goes away while the server process runs: PostgreSQL refuses
    connections (the open ones are cut); the SQLite file is gone from its place."""
    if server.db.is_sqlite:
        path = Path(server.db.sqlite_path)
        path.rename(path.with_name("moved-away"))
        try:
            yield
        finally:
            path.with_name("moved-away").rename(path)
        return
    name = server.db.engine.url.database
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_a_down_database_is_reported_as_server_unavailable_not_as_a_refusal(server, make_device):
    server.add_user("alice", "manager")
    dev = make_device("alice")
    dev.sync()
    clients.create_client(dev.ctx, name="Made while the database is down")
    with database_down(server):
        ready = httpx.get(server.url + "/v1/ready")
        assert (
            ready.status_code == 503 and ready.json()["code"] == p.E_UNAVAILABLE and ready.json()["message"]
        )
        code, _out, err = cli_sync(dev)
        assert code == 3, err
        assert "unavailable" in err
        assert len(outbox(dev, "pending")) == 1  # kept for later
    assert httpx.get(server.url + "/v1/ready").status_code == 200
    code, _out, err = cli_sync(dev)
    assert code == 0, err
    assert outbox(dev, "pending") == []


def test_laptop_asks_to_sign_in_again_when_its_refresh_token_was_used_elsewhere(server, make_device):
    """Someone copies the laptop's refresh token and uses it first: at the laptop's next sync
    the whole sign-in ends — the intruder's new tokens too — and the laptop asks for the
    password again (exit 4) instead of failing strangely."""
    server.add_user("bob", "manager")
    dev = make_device("bob")
    dev.sync()
    stolen = dev.engine.credentials.refresh_token()
    taken = httpx.post(
        server.url + "/v1/auth/refresh",
        headers=H,
        json={"refresh_token": stolen, "device_id": dev.ctx.device_id},
    )
    assert taken.status_code == 200
    intruder = {**H, "Authorization": "Bearer " + taken.json()["access_token"]}
    assert httpx.get(server.url + "/v1/sync/pull", headers=intruder).status_code == 200
    dev.engine.credentials._password = None  # a background sync: nobody at the keyboard
    with pytest.raises(LoginRequired) as caught:
        dev.sync()
    assert caught.value.exit_code == 4 and "sign in again" in caught.value.message
    assert httpx.get(server.url + "/v1/sync/pull", headers=intruder).status_code == 401
    assert dev.engine.credentials.refresh_token() is None
    dev.engine.credentials._password = PASSWORD  # the person signs in again
    dev.sync()


def test_laptop_of_a_reinitialised_server_explains_and_joins_again(server, make_device):
    server.add_user("alice", "manager")
    server.add_user("sup", "supervisor")
    dev = make_device("alice")
    old = clients.create_client(dev.ctx, name="Known to the old server")
    dev.sync()
    offline = clients.create_client(dev.ctx, name="Made offline")
    # the administrator re-initialises the server's database and adds the users again
    reset_database(server.db)
    alice = server.add_user("alice", "manager")
    server.add_user("sup", "supervisor")
    sup = make_device("sup")
    sup.sync()
    new = clients.create_client(sup.ctx, name="Made on the new server", owner_id=alice)
    sup.sync()

    code, _out, err = cli_sync(dev)
    assert code == 8, err
    assert "re-initialised" in err and "--rejoin" in err and "another user" not in err
    assert client_ids(dev) == {old, offline}  # nothing changed yet

    code, _out, err = cli_sync(dev, "--rejoin")
    assert code == 0, err
    backups = list((dev.path / "backups").glob("before-rejoin-*.zip"))
    assert len(backups) == 1 and str(backups[0]) in err
    assert client_ids(dev) == {offline, new}  # a fresh copy, and the unsent work kept and sent
    with dev.ctx.read() as s:
        assert s.scalar(select(Client.owner_id).where(Client.id == offline)) == alice
    sup.sync()
    assert offline in client_ids(sup)
    assert cli_sync(dev)[0] == 0  # and from now on an ordinary sync


def _outward_address() -> str | None:
    """This computer's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_laptop_refuses_plain_http_to_another_computer(own_server, make_device, tmp_path):
    srv = own_server(args=["--host", "0.0.0.0"])
    srv.add_user("carol", "field")
    address = _outward_address()
    url = f"http://{address or '203.0.113.9'}:{srv.port}"
    dev = make_device("carol")
    start = time.monotonic()
    code, _out, err = cli_sync(dev, url=url)
    assert code == 2 and "not encrypted" in err and "--allow-insecure" in err
    assert time.monotonic() - start < 5  # refused before anything was sent
    if address is None:
        pytest.skip("this computer has no address besides loopback")
    code, _out, err = cli_sync(dev, "--allow-insecure", url=url)
    assert code == 0, err
    dev.ctx.close()
    code, _out, err = run_cli(["--data-dir", str(dev.path), "sync", "--password-stdin"], PASSWORD + "\n")
    assert code == 0, err  # the allowance is remembered for that address
    from accountdesk.services.context import open_profile

    dev.ctx = open_profile(dev.path)
