"""The profile's file of attachment bytes (store/blobdb.py, issue 18): 64 KB pages, encrypted like
the profile, carried by backups and restores, the bytes of older profiles moved into it (0013),
pieces a crash or a rollback left behind removed, every crash point leaving nothing missing."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zipfile

import pytest
from crypto_env import encryption_on, leaks, loose_modes, no_keyring  # noqa: F401 - fixtures

from accountdesk.io.backup import BLOBS_NAME, create_backup, restore_backup
from accountdesk.paths import backups_dir, blobs_path, database_path
from accountdesk.services import attachments as A
from accountdesk.services import clients
from accountdesk.services.context import open_profile
from accountdesk.store import Store, blobdb, blobs, crypto
from accountdesk.store import migrate as M

PASS = "correct horse battery staple 字节"


def _file(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _profile_with_files(tmp_path, name: str = "profile") -> tuple:
    """A plain profile with two files (one of several pieces); returns (path, {id: bytes})."""
    path = tmp_path / name
    ctx = open_profile(path)
    try:
        cid = clients.create_client(ctx, name="Bytes Ltd")
        files = {}
        for n, data in enumerate((os.urandom(2 * blobs.CHUNK + 999), os.urandom(70_000))):
            files[A.add_file(ctx, cid, _file(tmp_path, f"f{n}.pdf", data))] = data
    finally:
        ctx.close()
    return path, files


def _exported(path, files, tmp_path) -> None:
    ctx = open_profile(path)
    try:
        for aid, data in files.items():
            assert A.export_attachment(ctx, aid, tmp_path / f"out-{aid}.bin").read_bytes() == data
    finally:
        ctx.close()


def _needles(files) -> list[bytes]:
    return [n for data in files.values() for n in (data[:64], data[-64:], data[len(data) // 2 :][:64])]


def _tables(db, key=None) -> set[str]:
    conn = crypto.connect(db, key)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_the_bytes_live_in_a_file_of_64_kb_pages_beside_the_database(tmp_path):
    path, files = _profile_with_files(tmp_path)
    assert "blob_chunks" not in _tables(database_path(path))
    with sqlite3.connect(blobs_path(path)) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 65536
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        stored = conn.execute("SELECT count(*), sum(length(data)) FROM blob_chunks").fetchone()
    conn.close()
    assert stored == (4, sum(map(len, files.values())))
    assert loose_modes(path) == []


def _make_old(path, files) -> None:
    """Turn a profile into one of before 0013: its pieces in the database's table, no file of bytes."""
    db, pieces = database_path(path), blobs_path(path)
    M.downgrade(db, "0012_dashboard_covering")
    with sqlite3.connect(pieces) as src:
        rows = src.execute("SELECT sha256, idx, data FROM blob_chunks").fetchall()
    src.close()
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO blob_chunks (sha256, idx, data) VALUES (?, ?, ?)", rows)
    conn.close()
    assert len(rows) == 4
    for suffix in ("", "-wal", "-shm"):
        pieces.with_name(pieces.name + suffix).unlink(missing_ok=True)


def test_an_older_profile_moves_its_bytes_into_the_file_once(tmp_path):
    path, files = _profile_with_files(tmp_path)
    _make_old(path, files)
    _exported(path, files, tmp_path)  # opening it upgrades it: the pieces move, then 0013 drops the table
    db = database_path(path)
    assert "blob_chunks" not in _tables(db) and M.current_revision(db) == M.head_revision()
    # moved before the pre-migration backup was made: it does not hold the bytes a second time
    [backup] = list(backups_dir(path).iterdir())
    assert backup.name.startswith("before-migration-0012") and backup.stat().st_size < 1_000_000
    assert leaks(backups_dir(path), _needles(files)) == []
    with sqlite3.connect(blobs_path(path)) as conn:
        assert conn.execute("SELECT count(*) FROM blob_chunks").fetchone()[0] == 4
    conn.close()


def test_a_move_stopped_before_0013_is_done_again_without_a_duplicate(tmp_path):
    """Stopped after some pieces were committed to the file, before they left the database: it
    still holds them all, the next start copies them again over the ones there."""
    path, files = _profile_with_files(tmp_path)
    _make_old(path, files)
    db = database_path(path)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT sha256, idx, data FROM blob_chunks ORDER BY sha256, idx").fetchall()
    conn.close()
    half = blobdb.BlobDB(blobs_path(path), None)
    half.put_rows(rows[:3])  # a stop right here
    half.close()
    _exported(path, files, tmp_path)
    with sqlite3.connect(blobs_path(path)) as conn:
        assert conn.execute("SELECT count(*) FROM blob_chunks").fetchone()[0] == 4
    conn.close()
    _exported(path, files, tmp_path)
    assert "blob_chunks" not in _tables(db)


def test_0013_refuses_to_drop_pieces_that_were_not_moved(tmp_path):
    path, files = _profile_with_files(tmp_path)
    _make_old(path, files)
    from alembic import command

    from accountdesk.store.engine import create_sqlite_engine

    cfg = M.alembic_config()
    engine = create_sqlite_engine(database_path(path))
    try:
        with engine.connect() as conn, pytest.raises(RuntimeError, match="still holds"):
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
    with sqlite3.connect(database_path(path)) as conn:
        assert conn.execute("SELECT count(*) FROM blob_chunks").fetchone()[0] == 4
    conn.close()


def test_an_older_encrypted_profile_moves_its_bytes_into_an_encrypted_file(tmp_path, no_keyring):  # noqa: F811
    os.environ["ACCOUNTDESK_PLAIN_STORE"] = "1"
    try:
        path, files = _profile_with_files(tmp_path)
        _make_old(path, files)
    finally:
        del os.environ["ACCOUNTDESK_PLAIN_STORE"]
    from crypto_env import mark_company

    mark_company(database_path(path))
    crypto.set_passphrase_provider(lambda _reason, _confirm: PASS)
    store = Store(path)  # encrypted in place (the pieces still in the database), then upgraded
    try:
        assert store.encrypted and "blob_chunks" not in _tables(database_path(path), store.protection.key)
        assert len(store.blobdb.shas()) == 2
    finally:
        store.close()
    assert not crypto.is_plain_file(blobs_path(path))
    # nothing of the bytes in any file of the profile (its pre-migration backup is encrypted too)
    assert leaks(path, _needles(files)) == [] and loose_modes(path) == []
    _exported(path, files, tmp_path)


def test_joining_a_company_encrypts_the_file_of_bytes_with_the_database(tmp_path, no_keyring):  # noqa: F811
    os.environ["ACCOUNTDESK_PLAIN_STORE"] = "1"
    try:
        path, files = _profile_with_files(tmp_path)
    finally:
        del os.environ["ACCOUNTDESK_PLAIN_STORE"]
    assert leaks(path, _needles(files))  # plain so far: the check below can fail
    crypto.set_passphrase_provider(lambda _reason, _confirm: PASS)
    ctx = open_profile(path)  # a stand-alone profile without keyring stays plain...
    try:
        assert not ctx.store.encrypted
        assert ctx.store.ensure_encrypted()  # ...until it joins a company server
        assert ctx.store.blobdb.key == ctx.store.protection.key
        for aid, data in files.items():
            assert A.read_bytes(ctx, aid) == data
    finally:
        ctx.close()
    assert leaks(path, _needles(files)) == [] and loose_modes(path) == []
    assert not any(p.name.endswith((crypto.WIPE_SUFFIX, crypto.ENCRYPTING_SUFFIX)) for p in path.iterdir())


def test_a_start_stopped_between_the_two_files_encrypts_the_file_of_bytes_next_time(tmp_path, no_keyring):  # noqa: F811
    """The database was encrypted in place, the file of bytes not yet (a stop in between): the
    next start finds the key and encrypts it."""
    os.environ["ACCOUNTDESK_PLAIN_STORE"] = "1"
    try:
        path, files = _profile_with_files(tmp_path)
    finally:
        del os.environ["ACCOUNTDESK_PLAIN_STORE"]
    crypto.set_passphrase_provider(lambda _reason, _confirm: PASS)
    protection = crypto.new_key_protection(path)
    crypto.encrypt_in_place(database_path(path), protection.key)  # the database only
    assert crypto.is_plain_file(blobs_path(path))
    _exported(path, files, tmp_path)
    assert not crypto.is_plain_file(blobs_path(path))
    assert leaks(path, _needles(files)) == []


def test_an_encrypted_backup_carries_the_bytes_and_restores_them_elsewhere(tmp_path, no_keyring):  # noqa: F811
    crypto.set_passphrase_provider(lambda _reason, _confirm: PASS)
    os.environ["ACCOUNTDESK_PLAIN_STORE"] = "1"
    try:
        path, files = _profile_with_files(tmp_path)
    finally:
        del os.environ["ACCOUNTDESK_PLAIN_STORE"]
    ctx = open_profile(path)
    try:
        ctx.store.ensure_encrypted()
        backup = create_backup(ctx, tmp_path / "b.zip", passphrase="backup pass").path
    finally:
        ctx.close()
    with zipfile.ZipFile(backup) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        raw = zf.read(BLOBS_NAME)
    assert manifest["files"][BLOBS_NAME]["pieces"] == 4
    assert raw[:16] != crypto.PLAIN_HEADER and not any(n in raw for n in _needles(files))
    other = tmp_path / "other-laptop"
    crypto.set_passphrase_provider(lambda _reason, _confirm: "the new laptop's passphrase")
    restore_backup(backup, other, passphrase="backup pass")
    _exported(other, files, tmp_path)
    assert leaks(other, _needles(files)) == [] and loose_modes(other) == []


def test_a_damaged_file_of_bytes_in_a_backup_is_refused(tmp_path):
    path, files = _profile_with_files(tmp_path)
    ctx = open_profile(path)
    try:
        backup = create_backup(ctx, tmp_path / "b.zip").path
    finally:
        ctx.close()
    with zipfile.ZipFile(backup) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    blob_file = bytearray(parts[BLOBS_NAME])
    blob_file[200_000] ^= 0xFF
    parts[BLOBS_NAME] = bytes(blob_file)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    from accountdesk.errors import ValidationError

    with pytest.raises(ValidationError, match="checksum"):
        restore_backup(bad, tmp_path / "fresh")
    assert not database_path(tmp_path / "fresh").exists()
    restore_backup(backup, tmp_path / "fresh")
    _exported(tmp_path / "fresh", files, tmp_path)


def test_a_backup_made_before_the_file_of_bytes_restores_its_bytes(tmp_path):
    """A backup of an older version: one database whose table holds the pieces."""
    path, files = _profile_with_files(tmp_path)
    _make_old(path, files)
    db = database_path(path)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    manifest = {
        "format": "accountdesk-backup",
        "format_version": 1,
        "alembic_revision": "0012_dashboard_covering",
        "files": {
            "accountdesk.sqlite3": {
                "size": db.stat().st_size,
                "sha256": hashlib.sha256(db.read_bytes()).hexdigest(),
            }
        },
    }
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.write(db, "accountdesk.sqlite3")
    restore_backup(old, tmp_path / "fresh")
    _exported(tmp_path / "fresh", files, tmp_path)
    assert "blob_chunks" not in _tables(database_path(tmp_path / "fresh"))


def test_pieces_the_database_does_not_count_are_removed(tmp_path, monkeypatch):
    """A transaction that rolls back takes its pieces with it; pieces a crash left (no row names
    them) are swept once they are older than the grace period."""
    path, files = _profile_with_files(tmp_path)
    ctx = open_profile(path)
    try:
        cid = clients.create_client(ctx, name="Rollback Ltd")
        data = os.urandom(blobs.CHUNK + 5)
        real = blobs.store_file

        def stored_then_failed(*args, **kwargs):
            real(*args, **kwargs)
            raise RuntimeError("the transaction fails after the bytes were stored")

        monkeypatch.setattr(blobs, "store_file", stored_then_failed)
        with pytest.raises(RuntimeError):
            A.add_file(ctx, cid, _file(tmp_path, "x.pdf", data))
        monkeypatch.undo()
        sha = hashlib.sha256(data).hexdigest()
        assert ctx.store.blobdb.last_idx(sha) is None
        # what a kill between the two files leaves: pieces no row names
        ctx.store.blobdb.put("f" * 64, 0, [b"orphan" * 100])
        assert ctx.store.sweep_pieces() == 0  # written just now: perhaps another process's add
        assert ctx.store.sweep_pieces(grace_s=-1) == 1
        assert ctx.store.blobdb.shas() == {hashlib.sha256(d).hexdigest() for d in files.values()}
    finally:
        ctx.close()
    _exported(path, files, tmp_path)


def test_the_file_of_bytes_copy_is_checked_piece_by_piece(tmp_path):
    path, files = _profile_with_files(tmp_path)
    src = blobs_path(path)
    key = os.urandom(32)
    assert blobdb.copy_file(src, None, tmp_path / "copy.sqlite3", key) == 4
    a, b = sqlite3.connect(src), blobdb.connect(tmp_path / "copy.sqlite3", key)
    try:
        assert blobdb.same_pieces(a, b)
    finally:
        a.close()
        b.close()
