"""Encryption at rest where the computer has no keyring: a passphrase stretched with Argon2id.
(tests/test_crypto_keyring.py runs the keyring half against a real Secret Service.)

A company profile in plaintext is encrypted in place at start, row by row identical; its files then
hold no client name, phone number or note text, and are owner-only; a wrong passphrase opens
nothing and changes nothing; an encryption killed half-way leaves a usable profile; a stand-alone
profile without keyring stays plain (the demo opens without prompts); backups and pre-migration
backups are encrypted."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from crypto_env import (
    copy_profile,
    every_file,
    leaks,
    loose_modes,
    make_demo_profile,
    mark_company,
    secrets_of,
)

from accountdesk.cli import main as cli_main
from accountdesk.errors import ValidationError
from accountdesk.io.backup import create_backup, restore_backup
from accountdesk.paths import backups_dir, database_path
from accountdesk.services import clients as clients_service
from accountdesk.services.context import open_profile
from accountdesk.store import Store, crypto
from accountdesk.store import migrate as M

PASS = "correct horse battery staple 电池"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    return make_demo_profile(tmp_path_factory.mktemp("demo") / "profile")


@pytest.fixture
def company(tmp_path, demo_template) -> Path:
    """A plaintext company profile (as every profile was before encryption)."""
    path = copy_profile(demo_template, tmp_path / "company")
    mark_company(database_path(path))
    path.chmod(0o755)  # as an older version left it
    for p in every_file(path):
        p.chmod(0o644)
    return path


def digests(db: Path, key: bytes | None) -> dict:
    conn = crypto.connect(db, key)
    try:
        return crypto.table_digests(conn)
    finally:
        conn.close()


def client_names(ctx) -> list[str]:
    from sqlalchemy import select

    from accountdesk.models import Client

    with ctx.read() as session:
        return list(session.scalars(select(Client.name).where(Client.deleted_at.is_(None))))


def use_passphrase(value: str | None) -> None:
    crypto.set_passphrase_provider(lambda _reason, _confirm: value)


def test_a_plaintext_company_profile_is_encrypted_in_place_row_by_row(company, no_keyring):
    db = database_path(company)
    before = digests(db, None)
    needles = secrets_of(db)
    assert len(needles) > 100 and not loose_modes(company) == []  # it starts readable by others (0644)
    assert leaks(company, needles)  # and in plaintext: the check below can fail
    use_passphrase(PASS)
    ctx = open_profile(company)
    try:
        assert ctx.store.encrypted and ctx.store.protection.mode == "passphrase"
        names = client_names(ctx)
        ctx_key = ctx.store.protection.key
        clients_service.create_client(
            ctx, name="加密后新建客户有限公司"
        )  # writes go through the WAL, encrypted
    finally:
        ctx.close()
    assert len(names) == 40
    assert not crypto.is_plain_file(db) and db.read_bytes()[:16] != crypto.PLAIN_HEADER
    after = digests(db, ctx_key)
    assert {
        t: v
        for t, v in after.items()
        if t not in ("clients", "outbox", "meta") and not t.startswith("search")
    } == {
        t: v
        for t, v in before.items()
        if t not in ("clients", "outbox", "meta") and not t.startswith("search")
    }
    assert after["clients"][0] == before["clients"][0] + 1
    assert leaks(company, needles + ["加密后新建客户有限公司".encode()]) == []
    assert loose_modes(company) == []
    descriptor = json.loads((company / crypto.DESCRIPTOR).read_text())
    assert descriptor["mode"] == "passphrase" and ctx_key.hex() not in json.dumps(descriptor)
    assert not any(
        p.name.endswith((crypto.WIPE_SUFFIX, crypto.ENCRYPTING_SUFFIX)) for p in every_file(company)
    )


def test_the_encrypted_copy_is_identical_row_by_row_before_anything_else_changes(company, no_keyring):
    """Every table (search index included) compared row by row between plaintext and encrypted."""
    db = database_path(company)
    before = digests(db, None)
    use_passphrase(PASS)
    store = Store(company)
    key = store.protection.key
    store.close()
    assert digests(db, key) == before


def test_wrong_or_missing_passphrase_opens_nothing_and_changes_nothing(company, no_keyring):
    use_passphrase(PASS)
    open_profile(company).close()
    db = database_path(company)
    snapshot = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in every_file(company)}
    use_passphrase("wrong")
    with pytest.raises(crypto.WrongPassphrase):
        open_profile(company)
    use_passphrase(None)
    with pytest.raises(crypto.PassphraseRequired):
        open_profile(company)
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in every_file(company)} == snapshot
    # the command line: exit 2, the message names the way
    env = {**os.environ, "ACCOUNTDESK_PASSPHRASE": "wrong"}
    out = subprocess.run(
        [sys.executable, "-m", "accountdesk", "--data-dir", str(company), "clients", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 2 and "passphrase" in out.stderr.lower()
    env["ACCOUNTDESK_PASSPHRASE"] = PASS
    out = subprocess.run(
        [sys.executable, "-m", "accountdesk", "--data-dir", str(company), "clients", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0 and len(json.loads(out.stdout)) == 40
    assert crypto.is_encrypted_file(db)


def test_a_standalone_profile_without_keyring_stays_plain_and_opens_without_prompt(
    tmp_path, demo_template, no_keyring
):
    path = copy_profile(demo_template, tmp_path / "standalone")
    use_passphrase(None)  # nobody to ask
    ctx = open_profile(path)
    try:
        assert not ctx.store.encrypted and len(client_names(ctx)) == 40
    finally:
        ctx.close()
    assert crypto.is_plain_file(database_path(path))
    assert loose_modes(path) == []  # still owner-only
    new = open_profile(tmp_path / "brand-new")
    assert not new.store.encrypted
    new.close()


def test_a_company_profile_without_keyring_or_passphrase_is_not_opened_plain(company, no_keyring):
    use_passphrase(None)
    with pytest.raises(crypto.PassphraseRequired):
        open_profile(company)
    assert crypto.is_plain_file(database_path(company))  # unchanged, still to be encrypted


ENCRYPT_SCRIPT = """
import sys
from accountdesk.store import Store, crypto
crypto.set_passphrase_provider(lambda r, c: sys.argv[2])
print("start", flush=True)
Store(sys.argv[1]).close()
print("done", flush=True)
"""


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.6, 0.9, 1.3])
def test_an_encryption_killed_half_way_leaves_a_usable_profile(company, no_keyring, tmp_path, delay):
    db = database_path(company)
    before = digests(db, None)
    env = {**os.environ, "ACCOUNTDESK_NO_KEYRING": "1"}
    env.pop("ACCOUNTDESK_PLAIN_STORE", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", ENCRYPT_SCRIPT, str(company), PASS], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "start"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    use_passphrase(PASS)
    store = Store(company)
    key = store.protection.key
    store.close()
    assert crypto.is_encrypted_file(db)
    assert digests(db, key) == before
    assert not any(
        p.name.endswith((crypto.WIPE_SUFFIX, crypto.ENCRYPTING_SUFFIX)) for p in every_file(company)
    )
    assert leaks(company, secrets_of(db, key)) == []


def test_backups_of_a_company_profile_are_encrypted_and_restore_on_another_computer(
    company, no_keyring, tmp_path
):
    use_passphrase(PASS)
    ctx = open_profile(company)
    try:
        needles = secrets_of(database_path(company), ctx.store.protection.key)
        with pytest.raises(ValidationError) as err:
            create_backup(ctx, tmp_path / "plain.zip")
        assert err.value.field == "passphrase" and not (tmp_path / "plain.zip").exists()
        result = create_backup(ctx, tmp_path / "b.zip", passphrase="backup pass")
        before = digests(database_path(company), ctx.store.protection.key)
    finally:
        ctx.close()
    backup = result.path
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert leaks(tmp_path, needles) == []  # the zip (and nothing else written beside it) holds no secret
    with zipfile.ZipFile(backup) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["encryption"]["kdf"]["alg"] == "argon2id" and "key" not in manifest["encryption"]
    # another computer (no keyring): wrong passphrase refused, nothing written
    other = tmp_path / "other-laptop"
    with pytest.raises(ValidationError) as err:
        restore_backup(backup, other, passphrase="nope")
    assert err.value.field == "passphrase" and not database_path(other).exists()
    with pytest.raises(ValidationError):
        restore_backup(backup, other)
    use_passphrase("the new laptop's passphrase")
    restore_backup(backup, other, passphrase="backup pass")
    restored = open_profile(other)
    try:
        key = restored.store.protection.key
        assert restored.store.encrypted and len(client_names(restored)) == 40
    finally:
        restored.close()
    after = digests(database_path(other), key)
    assert {t: v for t, v in after.items() if t != "meta"} == {t: v for t, v in before.items() if t != "meta"}
    assert leaks(other, needles) == [] and loose_modes(other) == []


def test_backup_command_line_refuses_without_passphrase_and_writes_an_encrypted_zip(
    company, no_keyring, tmp_path, monkeypatch, capsys
):
    use_passphrase(PASS)
    open_profile(company).close()
    out = tmp_path / "cli.adbackup"
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    code = cli_main(["--data-dir", str(company), "export", "backup", "--out", str(out), "--json"])
    assert code == 2 and json.loads(capsys.readouterr().out)["field"] == "passphrase" and not out.exists()
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("cli backup pass\n"))
    code = cli_main(
        ["--data-dir", str(company), "export", "backup", "--out", str(out), "--passphrase-stdin", "--json"]
    )
    assert code == 0 and out.exists()
    with zipfile.ZipFile(out) as zf:
        assert zf.read("accountdesk.sqlite3")[:16] != crypto.PLAIN_HEADER


def test_pre_migration_backups_are_encrypted_like_the_store(tmp_path, no_keyring):
    path = tmp_path / "old"
    path.mkdir()
    db = database_path(path)
    M.migrate_store(db, path, target="0004")  # a profile of an older version
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('server_url', '\"https://crm.example.com\"')")
        conn.execute("INSERT INTO meta (key, value) VALUES ('secret_note', '\"机密笔记内容九十九\"')")
    conn.close()
    use_passphrase(PASS)
    store = Store(path)  # encrypts, then migrates to head with a backup first
    store.close()
    [backup] = list(backups_dir(path).iterdir())
    assert backup.name.startswith("before-migration-0004")
    assert not crypto.is_plain_file(backup) and "机密笔记内容九十九".encode() not in backup.read_bytes()
    assert leaks(path, ["机密笔记内容九十九".encode()]) == [] and loose_modes(path) == []
    assert M.current_revision(db, store.protection.key) == M.head_revision()


@pytest.mark.parametrize("state", ["staged-partial", "linked", "switched", "renamed-away"])
def test_every_interrupted_state_of_the_switch_leaves_the_data_whole(company, no_keyring, state):
    """Each state an encryption can be stopped in, made exactly (the kill test above hits them by
    chance): a partial staged copy; the plaintext's second name made but not switched; switched with
    the plaintext not yet overwritten; and, without hard links, the plaintext renamed away."""
    import shutil

    db = database_path(company)
    before = digests(db, None)
    use_passphrase(PASS)
    staged = db.with_name(db.name + crypto.ENCRYPTING_SUFFIX)
    leftover = db.with_name(db.name + crypto.WIPE_SUFFIX)
    kdf = crypto.new_kdf()
    key = crypto.kdf_key(PASS, kdf)
    crypto.write_descriptor(company, {"profile_id": "p1", "mode": "passphrase", "kdf": kdf})
    crypto.export_copy(db, None, staged, key)
    if state == "staged-partial":
        with open(staged, "r+b") as fh:
            fh.truncate(staged.stat().st_size // 2)
    elif state == "linked":
        os.link(db, leftover)
    elif state == "switched":
        shutil.copyfile(db, leftover)
        os.replace(staged, db)
    else:
        os.replace(db, leftover)
    store = Store(company)
    assert store.protection.key == key
    store.close()
    assert crypto.is_encrypted_file(db) and digests(db, key) == before
    assert not staged.exists() and not leftover.exists()
    assert leaks(company, secrets_of(db, key)) == []


def test_a_copy_that_differs_by_one_row_is_refused_and_the_plaintext_kept(company, no_keyring, monkeypatch):
    """The check before the switch compares every row: a copy missing one contact is not put in place."""
    db = database_path(company)
    before = digests(db, None)
    real_export = crypto.export_copy

    def lossy_export(src, src_key, dest, dest_key):
        real_export(src, src_key, dest, dest_key)
        conn = crypto.connect(dest, dest_key)
        conn.execute("DELETE FROM contacts WHERE rowid = (SELECT max(rowid) FROM contacts)")
        conn.commit()
        conn.close()

    monkeypatch.setattr(crypto, "export_copy", lossy_export)
    with pytest.raises(crypto.EncryptionError):
        crypto.encrypt_in_place(db, crypto.kdf_key(PASS, crypto.new_kdf()))
    assert crypto.is_plain_file(db) and digests(db, None) == before
    assert not any(
        p.name.endswith((crypto.WIPE_SUFFIX, crypto.ENCRYPTING_SUFFIX)) for p in every_file(company)
    )
