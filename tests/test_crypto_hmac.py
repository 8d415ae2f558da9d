"""The HMAC that authenticates each encrypted page: files encrypted now use HMAC-SHA256 (half the
cost of SQLCipher 4's default HMAC-SHA512 per page read here); files written before with HMAC-SHA512
still open, with their data whole, and a wrong key still opens nothing. A profile encrypted in place,
a backup's copy and a re-keyed copy are all written with the new HMAC."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest
from crypto_env import make_demo_profile, mark_company

from accountdesk.paths import database_path
from accountdesk.services.context import open_profile
from accountdesk.store import crypto, crypto_sqlite

PASS = "hmac test passphrase 校验"


def opens_with(db: Path, key: bytes, hmac: str) -> bool:
    """Does ``db`` read with ``key`` and this HMAC (set by hand, bypassing the store's choice)?"""
    d = crypto.driver()
    conn = d.connect(str(db))
    try:
        conn.execute(crypto.key_pragma(key))
        conn.execute(f"PRAGMA cipher_hmac_algorithm = {hmac}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except d.DatabaseError:
        return False
    finally:
        conn.close()


def old_style_copy(src: Path, key: bytes, dest: Path) -> None:
    """``src`` (encrypted with ``key``) copied as the app wrote encrypted files before: SQLCipher 4's
    default settings (HMAC-SHA512), same key."""
    d = crypto.driver()
    conn = d.connect(str(src), isolation_level=None)
    try:
        conn.execute(crypto.key_pragma(key))
        conn.execute(f"PRAGMA cipher_hmac_algorithm = {crypto.HMAC}")
        conn.execute(f"ATTACH DATABASE ? AS old KEY \"x'{key.hex()}'\"", (str(dest),))
        conn.execute("PRAGMA old.cipher_hmac_algorithm = HMAC_SHA512")
        conn.execute("SELECT sqlcipher_export('old')")
        version = conn.execute("PRAGMA main.user_version").fetchone()[0]
        conn.execute(f"PRAGMA old.user_version = {int(version)}")
        conn.execute("DETACH DATABASE old")
    finally:
        conn.close()


def client_names(ctx) -> list[str]:
    conn = ctx.store.connect_raw()
    try:
        return sorted(r[0] for r in conn.execute("SELECT name FROM clients"))
    finally:
        conn.close()


def test_a_new_file_uses_hmac_sha256_and_an_old_sha512_file_still_opens(tmp_path):
    key, other = secrets.token_bytes(32), secrets.token_bytes(32)
    new = tmp_path / "new.sqlite3"
    conn = crypto.connect(new, key)
    conn.execute("CREATE TABLE t (name TEXT)")
    conn.execute("INSERT INTO t VALUES ('上海校验客户有限公司')")
    conn.commit()
    conn.close()
    assert opens_with(new, key, "HMAC_SHA256") and not opens_with(new, key, "HMAC_SHA512")

    old = tmp_path / "old.sqlite3"
    old_style_copy(new, key, old)
    assert opens_with(old, key, "HMAC_SHA512") and not opens_with(old, key, "HMAC_SHA256")
    crypto_sqlite._hmac_of.clear()  # a new process: nothing remembered about the file
    assert crypto.check_key(old, key)
    assert not crypto.check_key(old, other) and not crypto.check_key(new, other)
    conn = crypto.connect(old, key)
    assert conn.execute("SELECT name FROM t").fetchall() == [("上海校验客户有限公司",)]
    conn.execute("INSERT INTO t VALUES ('second')")  # written with its own HMAC: still readable
    conn.commit()
    conn.close()
    assert opens_with(old, key, "HMAC_SHA512")
    with pytest.raises(crypto.driver().DatabaseError):
        crypto.connect(old, other)

    # copies of the old file (backups, re-keying: export_copy) are new files: the new HMAC
    copy = tmp_path / "copy.sqlite3"
    crypto.export_copy(old, key, copy, other)
    assert opens_with(copy, other, "HMAC_SHA256") and not opens_with(copy, other, "HMAC_SHA512")
    conn = crypto.connect(copy, other)
    assert [r[0] for r in conn.execute("SELECT name FROM t ORDER BY rowid")] == [
        "上海校验客户有限公司",
        "second",
    ]
    conn.close()


def test_a_profile_encrypted_in_place_uses_sha256_and_an_older_sha512_profile_still_opens(
    tmp_path, no_keyring
):
    path = make_demo_profile(tmp_path / "company", clients=12)
    db = database_path(path)
    mark_company(db)
    crypto.set_passphrase_provider(lambda _reason, _confirm: PASS)
    ctx = open_profile(path)  # encrypted in place at this start (no keyring: the passphrase)
    key = ctx.store.protection.key
    names = client_names(ctx)
    ctx.close()
    assert len(names) == 12 and key is not None
    assert opens_with(db, key, "HMAC_SHA256") and not opens_with(db, key, "HMAC_SHA512")

    # the same profile as an older version encrypted it (HMAC-SHA512): opens, reads and writes
    old = tmp_path / "old.sqlite3"
    old_style_copy(db, key, old)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.move(old, db)
    crypto_sqlite._hmac_of.clear()
    ctx = open_profile(path)
    try:
        from accountdesk.services import clients

        clients.create_client(ctx, name="旧格式档案新客户")
        assert client_names(ctx) == sorted([*names, "旧格式档案新客户"])
    finally:
        ctx.close()
    assert opens_with(db, key, "HMAC_SHA512")
    crypto.set_passphrase_provider(lambda _reason, _confirm: "wrong")
    with pytest.raises(crypto.WrongPassphrase):
        open_profile(path)
