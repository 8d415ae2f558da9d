"""A profile joining a company server (a real server process) is encrypted before its first pull:
with its key in the OS keyring (skipped without one; scripts/test runs it in a D-Bus session with
gnome-keyring) or, where there is no keyring, with a passphrase; refused without either. After the
join, no file of the laptop's profile holds a client name or phone number the server sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from crypto_env import leaks, loose_modes
from sync_env import PASSWORD, Device

from accountdesk.paths import database_path
from accountdesk.services import clients, contacts
from accountdesk.store import crypto

SECRET_NAMES = [f"服务器上的保密客户{i:02d}有限公司" for i in range(5)]
SECRET_PHONES = [f"138 0013 80{i:02d}" for i in range(5)]
STORED_PHONES: list[str] = []


def cli(path, *argv, env_extra=None, stdin=None):
    env = {
        k: v for k, v in os.environ.items() if k not in ("ACCOUNTDESK_PLAIN_STORE", "ACCOUNTDESK_PASSPHRASE")
    }
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "accountdesk", "--data-dir", str(path), *argv],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


@pytest.fixture
def company_server(server, tmp_path, _template_profile):
    """A server whose supervisor's (plaintext, not under test) laptop put five clients on it."""
    server.add_user("boss", "supervisor")
    import shutil

    path = tmp_path / "boss"
    shutil.copytree(_template_profile, path)
    boss = Device(path, server, "boss")
    try:
        for name, phone in zip(SECRET_NAMES, SECRET_PHONES, strict=True):
            cid = clients.create_client(boss.ctx, name=name, description=f"保密备注：{name}的年度预算")
            kid = contacts.create_contact(boss.ctx, cid, name=f"联系人{name[-6:]}", mobile=phone)
            stored = next(c for c in contacts.list_contacts(boss.ctx, cid) if c["id"] == kid)["mobile"]
            assert stored
            STORED_PHONES.append(stored)  # as the app keeps it (normalised)
        boss.sync()
    finally:
        boss.close()
    return server


@pytest.mark.parametrize("mode", ["passphrase", pytest.param("keyring", marks=pytest.mark.keyring)])
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_profile_joining_a_company_server_is_encrypted_before_its_first_pull(
    company_server, tmp_path, mode, encryption_on
):
    if mode == "keyring" and not crypto.keyring_usable():
        pytest.skip("no OS keyring here (scripts/test runs this in a D-Bus session with gnome-keyring)")
    env = {"ACCOUNTDESK_NO_KEYRING": "1"} if mode == "passphrase" else {}
    laptop = tmp_path / "laptop"
    out = cli(laptop, "clients", "list", env_extra=env)  # a stand-alone profile first
    assert out.returncode == 0, out.stderr
    assert crypto.is_plain_file(database_path(laptop)) == (mode == "passphrase")
    sync = ["sync", "--server", company_server.url, "--user", "boss", "--password-stdin", "--json"]
    if mode == "passphrase":
        # no keyring and no passphrase: the join is refused before anything is pulled
        out = cli(laptop, *sync, env_extra=env, stdin=PASSWORD + "\n")
        assert out.returncode == 2 and "passphrase" in out.stderr.lower()
        assert crypto.is_plain_file(database_path(laptop))
        assert json.loads(cli(laptop, "clients", "list", "--json", env_extra=env).stdout) == []
        env["ACCOUNTDESK_PASSPHRASE"] = "a laptop passphrase 笔记本"
    out = cli(laptop, *sync, env_extra=env, stdin=PASSWORD + "\n")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["pulled"] >= 5
    out = cli(laptop, "clients", "list", "--json", env_extra=env)
    assert {c["name"] for c in json.loads(out.stdout)} >= set(SECRET_NAMES)
    assert crypto.is_encrypted_file(database_path(laptop))
    assert len(STORED_PHONES) >= 5
    notes = [f"保密备注：{n}的年度预算" for n in SECRET_NAMES]
    assert leaks(laptop, [s.encode() for s in SECRET_NAMES + STORED_PHONES + notes]) == []
    assert loose_modes(laptop) == []
    status = json.loads(cli(laptop, "security", "status", "--json", env_extra=env).stdout)
    assert status["encrypted"] and status["mode"] == mode


@pytest.mark.keyring
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_key_lost_from_the_keyring_is_said_and_signing_in_again_brings_the_data_back(
    company_server, tmp_path, encryption_on
):
    if not crypto.keyring_usable():
        pytest.skip("no OS keyring here (scripts/test runs this in a D-Bus session with gnome-keyring)")
    import hashlib

    import keyring

    laptop = tmp_path / "laptop"
    sync = ["sync", "--server", company_server.url, "--user", "boss", "--password-stdin", "--json"]
    out = cli(laptop, *sync, stdin=PASSWORD + "\n")
    assert out.returncode == 0, out.stderr
    profile_id = json.loads((laptop / crypto.DESCRIPTOR).read_text())["profile_id"]
    keyring.delete_password(crypto.KEYRING_SERVICE, f"profile-key|{profile_id}")  # the keyring was reset
    db = database_path(laptop)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    out = cli(laptop, "clients", "list", "--json")
    assert out.returncode == 4 and "keyring" in out.stderr and "start-fresh" in out.stderr
    out = cli(laptop, *sync, stdin=PASSWORD + "\n")  # nothing is silently recreated, not even by a sync
    assert out.returncode == 4 and hashlib.sha256(db.read_bytes()).hexdigest() == before
    out = cli(laptop, "security", "start-fresh", "--json")
    assert out.returncode == 0, out.stderr
    aside = json.loads(out.stdout)["moved_to"]
    assert (
        hashlib.sha256((tmp_path / "laptop" / aside.split("/")[-1] / db.name).read_bytes()).hexdigest()
        == before
    )
    out = cli(laptop, *sync, stdin=PASSWORD + "\n")  # sign in again and re-sync
    assert out.returncode == 0, out.stderr
    out = cli(laptop, "clients", "list", "--json")
    assert {c["name"] for c in json.loads(out.stdout)} >= set(SECRET_NAMES)
    assert crypto.is_encrypted_file(db) and leaks(laptop, [s.encode() for s in SECRET_NAMES]) == []
