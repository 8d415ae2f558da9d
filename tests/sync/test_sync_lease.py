"""The offline lease and the wipe of a revoked device, against a real server process.

- The server sends its lease (``ACCOUNTDESK_OFFLINE_DAYS``) with every sign-in; the laptop keeps it
  with the time of its last contact. Past the lease, every command but ``sync`` is refused (exit 4)
  on the company profile, nothing is deleted, and signing in again opens it.
- A revoked device that comes back wipes the company's data, the bytes of its attachments and
  every backup in the profile folder; the file is vacuumed, so not even free pages keep a name.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys

import pytest
from sync_env import PASSWORD, Device

from accountdesk.cli import main as device_main
from accountdesk.io.backup import create_backup
from accountdesk.paths import backups_dir, database_path
from accountdesk.server import admin
from accountdesk.services import clients, security
from accountdesk.services.context import open_profile
from accountdesk.sync.changes import get_meta, set_meta
from accountdesk.sync.client import DeviceRevoked
from accountdesk.sync.client.base import META_OFFLINE_DAYS, META_SERVER_CONTACT, META_UNLOCK_VERIFIER

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def run(argv, capsys, stdin: str | None = None):
    old = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        code = device_main(argv)
    finally:
        sys.stdin = old
    out = capsys.readouterr()
    return code, out.out, out.err


def laptop(server, tmp_path, _template_profile, name="laptop") -> Device:
    import shutil

    path = tmp_path / name
    shutil.copytree(_template_profile, path)
    return Device(path, server, "alice")


@SQLITE
def test_the_lease_comes_from_the_server_and_locks_the_company_data_until_a_sign_in(
    own_server, tmp_path, _template_profile, capsys
):
    server = own_server(env={"ACCOUNTDESK_OFFLINE_DAYS": "3"})
    server.add_user("alice", "supervisor")
    dev = laptop(server, tmp_path, _template_profile)
    clients.create_client(dev.ctx, name="租约测试客户有限公司")
    dev.sync()
    with dev.ctx.read() as session:
        assert get_meta(session, META_OFFLINE_DAYS) == 3
        contact = dt.datetime.fromisoformat(get_meta(session, META_SERVER_CONTACT))
        assert get_meta(session, META_UNLOCK_VERIFIER).startswith(
            "$argon2id$"
        )  # the hash, never the password
    assert abs((dt.datetime.now(dt.UTC) - contact).total_seconds()) < 120
    assert security.lease(dev.ctx)["expired"] is False
    # four days without reaching the server
    with dev.ctx.store.write() as session:
        set_meta(session, META_SERVER_CONTACT, (contact - dt.timedelta(days=4)).isoformat())
    with pytest.raises(security.LeaseExpired):
        security.check_lease(dev.ctx)
    base = ["--data-dir", str(dev.path)]
    dev.close()
    code, out, err = run([*base, "clients", "list", "--json"], capsys)
    assert code == 4 and "3 days" in err and json.loads(out)["exit_code"] == 4
    code, _out, _err = run(
        [*base, "export", "backup", "--out", str(tmp_path / "b.zip"), "--passphrase-stdin"],
        capsys,
        "a passphrase\n",
    )
    assert code == 4 and not (tmp_path / "b.zip").exists()
    # the data stays (no wipe), and signing in again opens it
    code, out, err = run([*base, "sync", "--password-stdin", "--json"], capsys, PASSWORD + "\n")
    assert code == 0, err
    code, out, _ = run([*base, "clients", "list", "--json"], capsys)
    assert code == 0 and [c["name"] for c in json.loads(out)] == ["租约测试客户有限公司"]


def test_a_standalone_profile_has_no_lease(ctx):
    assert security.lease(ctx) == {
        "company": False,
        "days": None,
        "last_contact": None,
        "expires_at": None,
        "expired": False,
    }
    security.check_lease(ctx)


@SQLITE
def test_the_app_lock_checks_the_last_sign_in_password_without_the_network(
    server, tmp_path, _template_profile
):
    server.add_user("alice", "manager")
    dev = laptop(server, tmp_path, _template_profile)
    try:
        assert security.lock_minutes(dev.ctx, None) == 0  # a stand-alone profile: never by default
        dev.sync()
        assert security.lock_minutes(dev.ctx, None) == 15 and security.lock_minutes(dev.ctx, 5) == 5
        server.stop()  # offline
        assert security.can_unlock_offline(dev.ctx)
        assert security.unlock(dev.ctx, PASSWORD)
        assert not security.unlock(dev.ctx, PASSWORD + "x") and not security.unlock(dev.ctx, "")
    finally:
        dev.close()


@SQLITE
def test_a_revoked_device_that_comes_back_is_wiped_with_its_backups(server, tmp_path, _template_profile):
    server.add_user("alice", "supervisor")
    dev = laptop(server, tmp_path, _template_profile)
    names = [f"撤销设备客户{i:02d}有限公司" for i in range(4)]
    for name in names:
        clients.create_client(dev.ctx, name=name)
    dev.sync()
    backups_dir(dev.path).mkdir()
    create_backup(dev.ctx, backups_dir(dev.path) / "before-rejoin-x.zip", profile_key=True)
    from accountdesk.store.migrate import backup_copy

    backup_copy(
        database_path(dev.path), backups_dir(dev.path) / "before-migration-0005-x.sqlite3"
    )  # as a migration does
    assert any(names[0].encode() in p.read_bytes() for p in backups_dir(dev.path).iterdir())
    admin.revoke_device(server.db, dev.ctx.device_id)
    with pytest.raises(DeviceRevoked):
        dev.sync()
    dev.close()
    assert not any(p.is_file() for p in backups_dir(dev.path).rglob("*"))
    for path in dev.path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(n.encode() in data for n in names), path
    again = open_profile(dev.path)
    try:
        assert security.lease(again)["company"] is False
        with again.read() as session:
            assert get_meta(session, META_UNLOCK_VERIFIER) is None
    finally:
        again.close()
