"""Encryption at rest with the key in the OS keyring (a real Secret Service: scripts/test runs this
file inside ``dbus-run-session`` with an unlocked gnome-keyring; elsewhere it is skipped, saying
why). A new profile is encrypted from its first byte, with no prompt; a plaintext demo profile is
encrypted in place at start; the key is in the keyring and in no file; a lost key gives a clear
message and a way back that never overwrites the old data. (Joining a server: tests/sync/
test_sync_encrypted.py.)"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from crypto_env import copy_profile, every_file, leaks, loose_modes, make_demo_profile, secrets_of

from accountdesk.paths import database_path
from accountdesk.services.context import open_profile
from accountdesk.store import Store, crypto

pytestmark = [
    pytest.mark.keyring,
    pytest.mark.skipif(
        not crypto.keyring_usable(),
        reason="no OS keyring here (scripts/test runs these in a D-Bus session with gnome-keyring)",
    ),
]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    return make_demo_profile(tmp_path_factory.mktemp("demo") / "profile")


def keyring_value(path: Path) -> str | None:
    import keyring

    profile_id = json.loads((path / crypto.DESCRIPTOR).read_text())["profile_id"]
    return keyring.get_password(crypto.KEYRING_SERVICE, f"profile-key|{profile_id}")


def cli(path: Path, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("ACCOUNTDESK_PLAIN_STORE", "ACCOUNTDESK_PASSPHRASE")
    }
    return subprocess.run(
        [sys.executable, "-m", "accountdesk", "--data-dir", str(path), *argv],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def test_a_new_profile_is_encrypted_from_its_first_byte_with_the_key_in_the_keyring(tmp_path, encryption_on):
    crypto.set_passphrase_provider(lambda *_a: pytest.fail("no prompt where a keyring exists"))
    path = tmp_path / "new"
    ctx = open_profile(path)
    from accountdesk.services import clients

    clients.create_client(ctx, name="密钥环测试客户有限公司")
    key = ctx.store.protection.key
    ctx.close()
    assert ctx.store.protection.mode == "keyring" and len(key) == 32
    assert keyring_value(path) == key.hex()
    db = database_path(path)
    assert crypto.is_encrypted_file(db)
    assert (
        leaks(path, ["密钥环测试客户有限公司".encode(), key.hex().encode(), key]) == []
    )  # no key in any file
    assert loose_modes(path) == []
    out = cli(path, "security", "status", "--json")
    assert json.loads(out.stdout) == {
        "encrypted": True,
        "mode": "keyring",
        "keyring": True,
        "folder_mode": "0o700",
    }


def test_the_demo_profile_is_encrypted_in_place_at_start_without_prompt(
    tmp_path, demo_template, encryption_on
):
    path = copy_profile(demo_template, tmp_path / "demo")
    db = database_path(path)
    conn = crypto.connect(db)
    before = crypto.table_digests(conn)
    conn.close()
    needles = secrets_of(db)
    out = cli(path, "clients", "list", "--json")  # what scripts/run's window does: just open it
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) == 40
    key = bytes.fromhex(keyring_value(path))
    conn = crypto.connect(db, key)
    assert crypto.table_digests(conn) == before
    conn.close()
    assert leaks(path, needles) == [] and loose_modes(path) == []


def test_a_lost_key_says_so_changes_nothing_and_the_way_back_keeps_the_old_data(
    tmp_path, demo_template, encryption_on
):
    import keyring

    path = copy_profile(demo_template, tmp_path / "lost")
    Store(path).close()
    profile_id = json.loads((path / crypto.DESCRIPTOR).read_text())["profile_id"]
    keyring.delete_password(crypto.KEYRING_SERVICE, f"profile-key|{profile_id}")  # the keyring was reset
    snapshot = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in every_file(path)}
    with pytest.raises(crypto.KeyLost) as err:
        open_profile(path)
    assert "keyring" in err.value.message and "start-fresh" in err.value.message
    out = cli(path, "clients", "list")
    assert out.returncode == 4 and "start-fresh" in out.stderr
    # nothing silently recreated over the old data
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in every_file(path)} == snapshot
    out = cli(path, "security", "start-fresh", "--json")
    assert out.returncode == 0, out.stderr
    aside = Path(json.loads(out.stdout)["moved_to"])
    assert (
        hashlib.sha256((aside / "accountdesk.sqlite3").read_bytes()).hexdigest()
        == snapshot["accountdesk.sqlite3"]
    )
    out = cli(path, "clients", "list", "--json")  # an empty, encrypted profile: sign in and sync again
    assert out.returncode == 0 and json.loads(out.stdout) == []
    assert crypto.is_encrypted_file(database_path(path)) and keyring_value(path)
    out = cli(path, "security", "start-fresh")
    assert out.returncode == 2  # the key is there now


def test_the_key_looked_up_as_the_app_starts_opens_the_profile_once_and_only_from_memory(
    tmp_path, demo_template, encryption_on
):
    """The app starts the key's lookup before it builds its window (ui/app.py); the opening takes
    the key from that lookup: here the keyring loses the key after the lookup, the first opening
    still succeeds (the key came from memory), the next one finds no key and says so."""
    import keyring

    from accountdesk.services import security
    from accountdesk.store import crypto_keys

    plain = copy_profile(demo_template, tmp_path / "plain")
    assert security.start_key_lookup(plain) is False  # plaintext: nothing to look up
    path = copy_profile(demo_template, tmp_path / "early")
    Store(path).close()  # encrypted in place, the key in the keyring
    profile_id = json.loads((path / crypto.DESCRIPTOR).read_text())["profile_id"]
    assert security.start_key_lookup(path) is True
    assert crypto_keys._lookups[profile_id].wait(30)
    keyring.delete_password(crypto.KEYRING_SERVICE, f"profile-key|{profile_id}")
    ctx = open_profile(path)
    try:
        from sqlalchemy import func, select

        from accountdesk.models import Client

        with ctx.read() as session:
            assert session.scalar(select(func.count()).select_from(Client)) == 40
    finally:
        ctx.close()
    with pytest.raises(crypto.KeyLost):
        open_profile(path)
