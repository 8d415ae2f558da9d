"""Attachment files across laptops and a real server process (SQLite and PostgreSQL): rows
first, bytes beside them, scope and confidentiality as for rows, hand-made hostile requests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sync_env import PASSWORD

from accountdesk import PROTOCOL_VERSION, SCHEMA_VERSION
from accountdesk.models import OutboxEntry
from accountdesk.server import files as server_files
from accountdesk.services import attachments as A
from accountdesk.services import clients, team
from accountdesk.services.context import open_profile
from accountdesk.sync import protocol as p
from accountdesk.sync.client import SyncEngine
from accountdesk.sync.credentials import Credentials
from accountdesk.sync.files import FileSync

HEADERS = {p.HEADER_PROTOCOL: str(PROTOCOL_VERSION), p.HEADER_SCHEMA: str(SCHEMA_VERSION)}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _store(server) -> server_files.FileStore:
    return server_files.FileStore(server_files.root_for(server.database_url))


def sync_all(dev):
    report = dev.sync()
    files = FileSync(dev.engine).run()
    return report, files


def _token(server, username: str, device: str | None = None) -> str:
    r = httpx.post(
        server.url + "/v1/auth/login",
        json={"username": username, "password": PASSWORD, "device_id": device or f"hand-{username}"},
        headers=HEADERS,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _get(server, token: str, path: str, **kw) -> httpx.Response:
    return httpx.request(
        kw.pop("method", "GET"),
        server.url + path,
        headers={**HEADERS, "Authorization": f"Bearer {token}", **kw.pop("headers", {})},
        **kw,
    )


def _setup(server, make_device):
    """alice (manager) owns ACME; gong (field) serves it; bob (manager) has nothing to do with it."""
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("gong", "field")
    server.add_user("bob", "manager")
    a = make_device("alice")
    a.sync()
    cid = clients.create_client(a.ctx, name="ACME 仪器")
    a.sync()
    boss = make_device("boss")
    boss.sync()
    team.add_team_member(boss.ctx, cid, "gong")
    boss.sync()
    return a, boss, cid


def test_a_file_added_offline_arrives_byte_identical_on_the_laptops_that_keep_it(
    server, make_device, tmp_path
):
    a, boss, cid = _setup(server, make_device)
    g = make_device("gong")
    g.sync()
    data = os.urandom(3 * 1024 * 1024 + 17)
    aid = A.add_file(
        a.ctx, cid, _write(tmp_path, "校准证书.pdf", data), kind="certificate"
    )  # offline: nothing sent yet
    empty = A.add_file(a.ctx, cid, _write(tmp_path, "empty.txt", b""))
    rows, files = sync_all(a)
    assert rows.rejected == 0 and files.uploaded == 2 and files.bytes_up == len(data)
    assert _store(server).path(_sha(data)).read_bytes() == data  # on the server's disk, named by hash
    _rows, files_g = sync_all(g)  # gong serves ACME: its files are kept offline on his laptop
    assert files_g.downloaded == 2 and files_g.bytes_down == len(data)
    out = A.export_attachment(g.ctx, aid, tmp_path / "on-gong.pdf")
    assert _sha(out.read_bytes()) == _sha(data)
    assert A.export_attachment(g.ctx, empty, tmp_path / "empty-on-gong").read_bytes() == b""
    # the supervisor's laptop holds the row, not the bytes, until he opens it
    _rows, files_b = sync_all(boss)
    assert files_b.downloaded == 0
    row = A.get_attachment(boss.ctx, aid)
    assert row["title"] == "校准证书" and row["available"] is False
    with pytest.raises(A.NotAvailable):
        A.export_attachment(boss.ctx, aid, tmp_path / "nope")
    assert A.request_file(boss.ctx, aid) is True
    _rows, files_b = sync_all(boss)
    assert files_b.downloaded == 1
    assert A.export_attachment(boss.ctx, aid, tmp_path / "boss.pdf").read_bytes() == data
    # a second sync transfers nothing
    _rows, again = sync_all(g)
    assert (again.uploaded, again.downloaded, again.bytes_down) == (0, 0, 0)


def test_a_confidential_file_never_reaches_a_field_laptop(server, make_device, tmp_path):
    a, boss, cid = _setup(server, make_device)
    g = make_device("gong")
    g.sync()
    secret = b"SECRET-CONTRACT-" + os.urandom(64) + b"-END"
    aid = A.add_file(
        a.ctx, cid, _write(tmp_path, "主合同.pdf", secret), title="主合同-机密标题", confidential=True
    )
    sync_all(a)
    _rows, files = sync_all(g)
    assert files.downloaded == 0
    row = A.get_attachment(g.ctx, aid)
    assert row["title"] is None and row["sha256"] is None and row["confidential"] is True
    g.engine.close()
    g.ctx.close()
    raw = b"".join(f.read_bytes() for f in g.path.rglob("*") if f.is_file())
    assert secret not in raw and secret[:16] not in raw
    assert "主合同-机密标题".encode() not in raw and _sha(secret).encode() not in raw
    # a hostile field device that learnt the hash elsewhere still gets nothing
    token = _token(server, "gong")
    r = _get(server, token, f"/v1/files/{_sha(secret)}")
    assert r.status_code == 404 and secret not in r.content
    r = _get(server, token, f"/v1/files/{_sha(secret)}/upload", method="POST", json={"size": len(secret)})
    assert r.status_code == 404
    # the supervisor sees it
    assert _get(server, _token(server, "boss"), f"/v1/files/{_sha(secret)}").content == secret


def test_a_file_made_confidential_later_leaves_the_field_laptop(server, make_device, tmp_path):
    """Gong's laptop held a file before a manager marked it confidential: the next sync takes its
    bytes, title and hash away, and the bytes do not stay in the profile's free pages."""
    a, boss, cid = _setup(server, make_device)
    g = make_device("gong")
    g.sync()
    secret = b"PRICE-LIST-" + os.urandom(300_000) + b"-END"
    aid = A.add_file(a.ctx, cid, _write(tmp_path, "价格表.pdf", secret), title="价格表-标题")
    sync_all(a)
    _rows, files = sync_all(g)
    assert files.downloaded == 1 and A.get_attachment(g.ctx, aid)["available"] is True
    from sqlalchemy import event

    @event.listens_for(g.ctx.store.engine, "checkout")
    def _as_on_windows(dbapi_connection, *_args) -> None:  # (Python's Windows build leaves it off)
        dbapi_connection.execute("PRAGMA secure_delete=OFF")

    A.update_attachment(a.ctx, aid, confidential=True)
    sync_all(a)
    sync_all(g)
    row = A.get_attachment(g.ctx, aid)
    assert row["confidential"] is True and row["sha256"] is None and row["title"] is None
    g.engine.close()
    g.ctx.close()
    # the file's bytes are overwritten even where SQLite leaves freed pages as they were (the
    # row's former title and hash, like any row's former values, are the store's matter: its
    # encryption, or secure_delete for the whole profile)
    raw = b"".join(f.read_bytes() for f in g.path.rglob("*") if f.is_file())
    assert secret[:64] not in raw and secret[150_000:150_064] not in raw and secret[-64:] not in raw


def test_progress_and_cancel_then_the_transfer_continues(server, make_device, tmp_path):
    a, boss, cid = _setup(server, make_device)
    data = os.urandom(3 * 1024 * 1024 + 1)
    sha = _sha(data)
    A.add_file(a.ctx, cid, _write(tmp_path, "scan.tif", data))
    a.sync()
    cancel = threading.Event()
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int, name: str) -> None:
        seen.append((done, total, name))
        cancel.set()  # the person presses Cancel after the first piece

    fs = FileSync(a.engine)
    fs.piece = 1024 * 1024
    report = fs.run(progress=progress, cancel=cancel)
    assert report.cancelled and report.uploaded == 0
    assert seen == [(1024 * 1024, len(data), "scan.tif")]
    store = _store(server)
    assert store.offset(sha) == 1024 * 1024 and not store.has(sha)  # what was sent stays
    report = FileSync(a.engine).run()
    assert report.uploaded == 1 and report.bytes_up == len(data) - 1024 * 1024
    assert store.path(sha).read_bytes() == data


def test_the_server_trusts_nothing_a_device_claims(server, make_device, tmp_path):
    a, boss, cid = _setup(server, make_device)
    data = os.urandom(100_000)
    aid = A.add_file(a.ctx, cid, _write(tmp_path, "photo.jpg", data))
    a.sync()  # the row only: the bytes are not on the server yet
    sha = _sha(data)
    alice, bob = _token(server, "alice"), _token(server, "bob")
    # a client out of scope: the same answer as a file that does not exist
    for path in (f"/v1/files/{sha}", f"/v1/files/{'0' * 64}"):
        r = _get(server, bob, path)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = _get(server, bob, f"/v1/files/{sha}/upload", method="POST", json={"size": len(data)})
    assert r.status_code == 404
    # in scope, but not uploaded yet
    r = _get(server, alice, f"/v1/files/{sha}")
    assert r.status_code == 404 and r.json()["code"] == "not_uploaded"
    # the size is the record's, not the request's
    r = _get(server, alice, f"/v1/files/{sha}/upload", method="POST", json={"size": 5})
    assert r.status_code == 409
    # bytes that do not hash to the name are thrown away
    r = _get(server, alice, f"/v1/files/{sha}/upload", method="POST", json={"size": len(data)})
    assert r.json() == {"offset": 0, "size": len(data), "complete": False}
    forged = os.urandom(len(data))
    r = _get(
        server,
        alice,
        f"/v1/files/{sha}/upload",
        method="PUT",
        content=forged,
        headers={"X-AccountDesk-Offset": "0"},
    )
    assert r.status_code == 422 and r.json()["code"] == "hash_mismatch"
    assert not _store(server).has(sha) and _store(server).offset(sha) == 0
    # a piece that does not continue the upload, or runs past the file's size
    r = _get(
        server,
        alice,
        f"/v1/files/{sha}/upload",
        method="PUT",
        content=data[:10],
        headers={"X-AccountDesk-Offset": "50"},
    )
    assert r.status_code == 409 and r.json()["offset"] == 0
    r = _get(
        server,
        alice,
        f"/v1/files/{sha}/upload",
        method="PUT",
        content=data + b"x",
        headers={"X-AccountDesk-Offset": "0"},
    )
    assert r.status_code == 409
    # bad hashes in the path
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63):
        assert _get(server, alice, f"/v1/files/{bad}").status_code in (404, 422)
    # without a token
    assert httpx.get(server.url + f"/v1/files/{sha}", headers=HEADERS).status_code == 401
    # the honest upload then works, and bob still gets nothing
    _rows, files = sync_all(a)
    assert files.uploaded == 1 and _store(server).has(sha)
    assert _get(server, bob, f"/v1/files/{sha}").status_code == 404
    r = _get(server, alice, f"/v1/files/{sha}", headers={"Range": "bytes=99990-"})
    assert r.status_code == 206 and r.content == data[99990:]
    # a deleted attachment's bytes are no longer served
    A.delete_attachment(a.ctx, aid)
    a.sync()
    assert _get(server, alice, f"/v1/files/{sha}").status_code == 404


def _raw_piece(server, token: str, sha: str, head: dict[str, str], body: bytes, *, until=None) -> bytes:
    """A piece sent by hand on a socket: the headers given, then ``body`` (possibly less than
    announced); returns the status line the server answered, or (``until``: a condition to wait
    for, the request still open) closes the connection once it holds and returns nothing."""
    import socket

    lines = [f"PUT /v1/files/{sha}/upload HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    lines += [f"{k}: {v}" for k, v in {**HEADERS, "Authorization": f"Bearer {token}", **head}.items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        if until is not None:
            deadline = time.monotonic() + 20
            while not until() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert until()
            return b""
        answer = b""
        while b"\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


def test_a_piece_streams_to_the_disk_and_a_dropped_one_keeps_what_arrived(server, make_device, tmp_path):
    a, boss, cid = _setup(server, make_device)
    data = os.urandom(3 * 1024 * 1024 + 11)
    sha = _sha(data)
    A.add_file(a.ctx, cid, _write(tmp_path, "scan.pdf", data))
    a.sync()
    alice = _token(server, "alice")
    assert (
        _get(server, alice, f"/v1/files/{sha}/upload", method="POST", json={"size": len(data)}).status_code
        == 200
    )
    store = _store(server)
    # refused before a byte of the body is read: no length, too long, encoded
    answer = _raw_piece(
        server,
        alice,
        sha,
        {"X-AccountDesk-Offset": "0", "Transfer-Encoding": "chunked"},
        b"5\r\nhello\r\n0\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 411")
    too_long = str(server_files.MAX_PIECE + 1)
    answer = _raw_piece(
        server, alice, sha, {"X-AccountDesk-Offset": "0", "Content-Length": too_long}, b"x" * 1000
    )
    assert answer.startswith(b"HTTP/1.1 413")
    answer = _raw_piece(
        server,
        alice,
        sha,
        {"X-AccountDesk-Offset": "0", "Content-Length": "10", "Content-Encoding": "gzip"},
        b"0" * 10,
    )
    assert answer.startswith(b"HTTP/1.1 415")
    assert store.offset(sha) == 0
    # the bytes of a piece reach the disk as they arrive, before the piece is whole; a connection
    # dropped half-way keeps them (the upload continues from there)
    half = 2 * 1024 * 1024 + 5
    _raw_piece(
        server,
        alice,
        sha,
        {"X-AccountDesk-Offset": "0", "Content-Length": str(len(data))},
        data[:half],
        until=lambda: store.offset(sha) >= 1024 * 1024,
    )
    kept, deadline = -1, time.monotonic() + 10
    while kept != store.offset(sha) and time.monotonic() < deadline:  # until it stops growing
        kept = store.offset(sha)
        time.sleep(0.3)
    assert 1024 * 1024 <= kept <= half and store.part(sha).read_bytes() == data[:kept]
    assert not store.has(sha)
    # the laptop continues from there; the blob is whole and right
    _rows, files = sync_all(a)
    assert files.uploaded == 1 and files.bytes_up == len(data) - kept
    assert store.path(sha).read_bytes() == data and not store.part(sha).exists()


def test_damaged_bytes_from_the_server_never_become_a_file_on_the_laptop(server, make_device, tmp_path):
    a, boss, cid = _setup(server, make_device)
    data = os.urandom(5 * 1024 * 1024 + 3)
    sha = _sha(data)
    aid = A.add_file(a.ctx, cid, _write(tmp_path, "report.pdf", data))
    sync_all(a)
    store = _store(server)
    store.path(sha).write_bytes(os.urandom(len(data)))  # the server's disk damaged the file
    g = make_device("gong")
    _rows, files = sync_all(g)
    assert files.downloaded == 0 and [f["code"] for f in files.failed] == ["corrupt"]
    with g.ctx.read() as s:
        from accountdesk.models import LocalBlob

        blob = s.get(LocalBlob, sha)
        assert blob is not None and not blob.complete and blob.have == 0
    assert g.ctx.store.blobdb.last_idx(sha) is None  # the damaged pieces left the file of bytes
    assert A.get_attachment(g.ctx, aid)["available"] is False
    store.path(sha).write_bytes(data)  # restored from the server's backup
    _rows, files = sync_all(g)
    assert files.downloaded == 1 and files.bytes_down == len(data) and not files.failed
    assert A.export_attachment(g.ctx, aid, tmp_path / "g.pdf").read_bytes() == data


def test_one_writer_per_blob_and_a_piece_longer_than_announced_is_refused(tmp_path):
    """The server's file store: while a piece of a blob is being written, another waits for it
    (and gives up after its wait); bytes beyond the announced length are refused."""
    store = server_files.FileStore(tmp_path / "files")
    data = os.urandom(300_000)
    sha = _sha(data)
    piece = store.open_piece(sha, 0, 100_000, len(data))
    with pytest.raises(server_files.Busy):
        store.open_piece(sha, 0, 100_000, len(data), timeout=0.2)
    piece.write([data[:60_000]])
    with pytest.raises(server_files.OffsetMismatch):
        piece.write([data[60_000:100_001]])
    piece.write([data[60_000:100_000]])
    assert piece.finish() == 100_000
    piece.close()
    with pytest.raises(server_files.OffsetMismatch):  # must continue where the file stands
        store.open_piece(sha, 0, 10, len(data), timeout=0.2)
    assert store.append(sha, 100_000, data[100_000:], len(data)) == len(data)
    assert store.path(sha).read_bytes() == data and not store.part(sha).exists()


def _push(server, token: str, items: list[dict]) -> list[dict]:
    r = _get(
        server, token, "/v1/sync/push", method="POST", json={"batch_id": os.urandom(8).hex(), "items": items}
    )
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _item(cid: str, **fields) -> dict:
    base = {"title": "x", "file_name": "x.pdf", "size": 3, "sha256": _sha(b"abc")}
    return {
        "entity": "attachment",
        "row_id": os.urandom(8).hex(),
        "client_id": cid,
        "op": "create",
        "fields": {**base, **fields},
        "hlc": f"{int(time.time() * 1000)}-0-dev",
    }


def test_hand_made_attachment_rows_are_checked_on_the_server(server, make_device, tmp_path):
    a, boss, cid = _setup(server, make_device)
    alice, gong = _token(server, "alice"), _token(server, "gong", device="gong-hand")
    results = _push(
        server,
        alice,
        [
            _item(cid, file_name="../../etc/passwd"),
            _item(cid, file_name="a\x00b.pdf"),
            _item(cid, file_name="x" * 300),
            _item(cid, sha256="not-a-hash"),
            _item(cid, size=60 * 1024 * 1024),  # over the default limit of 50 MB
            _item(cid, size=-1),
            _item(cid, visit_id="v1", equipment_id="e1"),
            _item(cid, title=""),
        ],
    )
    assert [r["status"] for r in results] == ["rejected"] * 8, results
    assert "limit" in results[4]["reason"]
    # field staff mark nothing confidential
    [r] = _push(server, gong, [_item(cid, confidential=True)])
    assert r["status"] == "rejected" and r["code"] == "confidential"
    # an accepted row's file never changes; field staff delete only their own attachments
    ok = _item(cid)
    assert _push(server, alice, [ok])[0]["status"] == "applied"
    for change in (
        {"sha256": _sha(b"other")},
        {"size": 4},
        {"file_name": "y.pdf"},
        {"visit_id": None, "feedback_id": "f"},
    ):
        [r] = _push(server, alice, [{**ok, "op": "update", "fields": change, "row_id": ok["row_id"]}])
        assert r["status"] == "rejected", change
    [r] = _push(server, gong, [{**ok, "op": "delete", "fields": {}}])
    assert r["status"] == "rejected" and r["code"] == "not_allowed"
    mine = _item(cid)
    assert _push(server, gong, [mine])[0]["status"] == "applied"
    assert _push(server, gong, [{**mine, "op": "delete", "fields": {}}])[0]["status"] == "applied"


def test_handover_brings_the_files(server, make_device, tmp_path):
    from accountdesk.server import admin

    a, boss, cid = _setup(server, make_device)
    server.add_user("carol", "manager")
    data = os.urandom(500_000)
    A.add_file(a.ctx, cid, _write(tmp_path, "SLA.pdf", data), kind="agreement")
    sync_all(a)
    c = make_device("carol")
    _rows, files = sync_all(c)
    assert files.downloaded == 0 and A.list_attachments(c.ctx, cid) == []  # not hers yet
    admin.assign_client(server.db, cid, "carol", "alice leaves")
    _rows, files = sync_all(c)
    assert files.downloaded == 1
    [row] = A.list_attachments(c.ctx, cid)
    assert A.export_attachment(c.ctx, row["id"], tmp_path / "c.pdf").read_bytes() == data
    _rows, files = sync_all(a)  # the client left alice's laptop, and its files with it
    with a.ctx.read() as s:
        from accountdesk.models import LocalBlob

        assert s.scalar(select(LocalBlob.sha256)) is None


def test_over_the_limit_and_over_the_quota_are_clear_refusals(own_server, make_device, tmp_path, backend):
    srv = own_server(env={"ACCOUNTDESK_MAX_FILE_MB": "1", "ACCOUNTDESK_FILE_QUOTA_MB": "2"})
    srv.add_user("alice", "manager")
    from sync_env import Device

    dev = Device(tmp_path / "alice-own", srv, "alice")
    try:
        dev.sync()
        cid = clients.create_client(dev.ctx, name="Quota Ltd")
        dev.sync()
        FileSync(dev.engine).refresh_limits()  # the laptop learns the server's limit
        with pytest.raises(A.FileTooLarge) as err:
            A.add_file(dev.ctx, cid, _write(tmp_path, "big.bin", b"x" * (1024 * 1024 + 1)))
        assert err.value.field == "file" and "1.0 MB" in err.value.message
        for i in range(2):
            A.add_file(dev.ctx, cid, _write(tmp_path, f"f{i}.bin", os.urandom(900 * 1024)))
        third = A.add_file(dev.ctx, cid, _write(tmp_path, "f3.bin", os.urandom(900 * 1024)))
        dev.sync()
        files = FileSync(dev.engine).run()
        assert files.uploaded == 2 and len(files.failed) == 1
        assert files.failed[0]["code"] == "quota_exceeded" and "quota" in files.failed[0]["error"]
        # which of the three is refused depends on which upload asked last (they go side by side)
        assert A.transfer_errors(dev.ctx)[files.failed[0]["sha256"]] == files.failed[0]["error"]
        assert files.failed[0]["sha256"] in {r["sha256"] for r in A.list_attachments(dev.ctx, cid)}
        assert (
            A.get_attachment(dev.ctx, third)["available"] is True
        )  # still on the laptop, sent once room is made
    finally:
        dev.close()


def test_a_laptop_that_did_not_know_the_limit_gets_a_clear_refusal(own_server, tmp_path):
    """A file attached before the laptop ever heard the server's limit: the row is refused with
    the limit in words, its bytes are never sent, and the laptop knows the limit afterwards."""
    from sync_env import Device

    srv = own_server(env={"ACCOUNTDESK_MAX_FILE_MB": "1"})
    srv.add_user("alice", "manager")
    dev = Device(tmp_path / "alice-new", srv, "alice")
    try:
        dev.sync()
        cid = clients.create_client(dev.ctx, name="Limit Ltd")
        data = os.urandom(1024 * 1024 + 1)
        A.add_file(dev.ctx, cid, _write(tmp_path, "big.pdf", data))  # the laptop knows no limit yet
        report = dev.sync()
        assert report.rejected == 1
        with dev.ctx.read() as s:
            [reason] = s.scalars(select(OutboxEntry.reject_reason).where(OutboxEntry.entity == "attachment"))
        assert "limit" in reason and "1048576" in reason
        files = FileSync(dev.engine).run()
        assert (files.uploaded, files.failed) == (0, [])
        store = server_files.FileStore(server_files.root_for(srv.database_url))
        assert not store.has(_sha(data)) and store.offset(_sha(data)) == 0
        with pytest.raises(A.FileTooLarge):  # learnt with the transfer
            A.add_file(dev.ctx, cid, _write(tmp_path, "big2.pdf", os.urandom(1024 * 1024 + 1)))
    finally:
        dev.close()


APP = """
import datetime as dt, sys, threading, time
from accountdesk.services import visits
from accountdesk.services.context import open_profile
from accountdesk.sync.client import SyncEngine
from accountdesk.sync.credentials import Credentials
from accountdesk.sync.files import FileSync
data_dir, url, user, password, cid, slow = sys.argv[1:7]
lock = threading.Lock()
def say(*words):
    with lock:  # (two threads print)
        sys.stdout.write(" ".join(map(str, words)) + "\\n")
        sys.stdout.flush()
# the app: it holds the profile; the file transfer runs on a worker thread of its process
# (as the window's transfer_files does), while the person goes on working and the rows sync
ctx = open_profile(data_dir)
engine = SyncEngine(ctx, url, Credentials(url, user, password=password, use_keyring=False))
engine.sync()
fs = FileSync(engine)
fs.piece = 64 * 1024
def step(done, total, name):
    say("progress", done)
    time.sleep(float(slow))
def transfer():
    try:
        fs.run(progress=step)
        say("finished")
    except Exception as exc:
        say("failed", type(exc).__name__)
worker = threading.Thread(target=transfer)
worker.start()
n = 0
while n == 0 or worker.is_alive():
    name = f"visit {user} {n}"
    visits.create_visit(ctx, cid, kind="return_visit", planned_start=dt.datetime(2026, 3, 2, 10), purpose=name)
    say("made", name)  # committed
    try:
        engine.sync()
    except Exception as exc:
        say("sync failed", type(exc).__name__)
    n += 1
    time.sleep(0.05)
worker.join()
"""


class App:
    """A laptop's app in a process of its own, holding the profile (the test's handle on it is
    closed first: one process per profile, as on a laptop); killed with SIGKILL."""

    def __init__(self, dev, server, user: str, cid: str, *, slow: float = 0.0):
        dev.engine.close()
        dev.ctx.close()
        self.dev, self.server, self.user = dev, server, user
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", APP, str(dev.path), server.url, user, PASSWORD, cid, str(slow)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def wait_progress(self, at_least: int) -> None:
        """Until the transfer has done ``at_least`` bytes and the person has recorded something."""
        deadline = time.monotonic() + 90
        done = 0
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            self.lines.append(line.strip())
            if line.startswith("progress"):
                done = int(line.split()[1])
            if done >= at_least and any(seen.startswith("made ") for seen in self.lines):
                return
        raise AssertionError("no progress:\n" + "\n".join(self.lines[-20:]))

    def kill(self) -> None:
        self.proc.kill()
        self.finish()

    def finish(self, timeout: float = 90) -> None:
        out = self.proc.communicate(timeout=timeout)[0].decode()
        self.lines += out.splitlines()

    def made(self) -> list[str]:
        """The visits the person recorded (each committed before it was printed): at least one."""
        made = [line.split(" ", 1)[1] for line in self.lines if line.startswith("made ")]
        assert made, "\n".join(self.lines)
        return made

    def reopen(self):
        """The app started again on the same profile."""
        dev = self.dev
        dev.ctx = open_profile(dev.path, now=dev.clock.now, wall_ms=dev.clock.wall_ms)
        dev.engine = SyncEngine(
            dev.ctx,
            self.server.url,
            Credentials(self.server.url, self.user, password=PASSWORD, use_keyring=False),
        )
        return dev


def _profile_sound(path: Path, made: list[str]) -> dict[str, tuple[int, int, bool]]:
    """The profile of a killed app: the database and its file of bytes whole (integrity checks),
    every blob's pieces in order and holding at least what the database says it holds (pieces are
    committed to the file of bytes before the database counts them: a kill in between leaves
    pieces past ``have``, written again on resume), complete blobs with exactly their bytes and
    the right hash, and the person's committed work there. Returns sha -> (size, have, complete)."""
    import sqlite3

    conn = sqlite3.connect(path / "accountdesk.sqlite3")
    files = sqlite3.connect(path / "accountdesk-blobs.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert files.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        blobs = {}
        for sha, size, have, complete in conn.execute("SELECT sha256, size, have, complete FROM local_blobs"):
            pieces = files.execute(
                "SELECT idx, data FROM blob_chunks WHERE sha256 = ? ORDER BY idx", (sha,)
            ).fetchall()
            assert [idx for idx, _data in pieces] == list(range(len(pieces)))
            stored = sum(len(data) for _idx, data in pieces)
            assert have <= stored <= size and stored - have <= 64 * 1024 * 1024
            if complete:
                assert have == stored == size and _sha(b"".join(data for _idx, data in pieces)) == sha
            blobs[sha] = (size, have, bool(complete))
        for name in made:
            assert conn.execute("SELECT count(*) FROM visits WHERE purpose = ?", (name,)).fetchone() == (1,)
        return blobs
    finally:
        conn.close()
        files.close()


def _server_sound(server, sha: str, data: bytes) -> None:
    """The server holds the blob once, whole and right, with no upload of it left half-way."""
    store = _store(server)
    assert store.path(sha).read_bytes() == data
    assert list(store.stored()).count(sha) == 1
    assert not store.part(sha).exists() and store.offset(sha) == 0


def test_kill_the_laptop_mid_upload_and_mid_download_then_resume(server, make_device, tmp_path):
    a, boss, cid = _setup(server, make_device)
    data = os.urandom(8 * 1024 * 1024 + 5)
    sha = _sha(data)
    A.add_file(a.ctx, cid, _write(tmp_path, "big.bin", data))
    a.sync()
    app = App(a, server, "alice", cid)
    app.wait_progress(1024 * 1024)
    app.kill()
    store = _store(server)
    kept = store.offset(sha)
    assert 0 < kept < len(data) and not store.has(sha)
    assert _profile_sound(a.path, app.made())[sha] == (len(data), len(data), True)
    a = app.reopen()
    _rows, files = sync_all(a)  # the upload continues where the server stands
    assert files.uploaded == 1 and files.bytes_up == len(data) - kept
    _server_sound(server, sha, data)
    with a.ctx.read() as s:
        assert s.scalar(select(OutboxEntry.seq)) is None  # the person's work reached the server too
    g = make_device("gong")
    g.sync()
    app = App(g, server, "gong", cid, slow=0.3)
    app.wait_progress(4 * 1024 * 1024)
    app.kill()
    size, have, complete = _profile_sound(g.path, app.made())[sha]
    assert size == len(data) and 0 < have < len(data) and not complete
    g = app.reopen()
    _rows, files = sync_all(g)
    assert files.downloaded == 1 and files.bytes_down == len(data) - have
    assert _profile_sound(g.path, app.made())[sha] == (len(data), len(data), True)
    [row] = A.list_attachments(g.ctx, cid)
    assert A.export_attachment(g.ctx, row["id"], tmp_path / "g.bin").read_bytes() == data
    _server_sound(server, sha, data)


def test_kill_the_server_mid_upload_and_mid_download_then_resume(server, make_device, tmp_path):
    a, boss, cid = _setup(server, make_device)
    data = os.urandom(40 * 1024 * 1024)
    sha = _sha(data)
    A.add_file(a.ctx, cid, _write(tmp_path, "big.bin", data))
    a.sync()
    app = App(a, server, "alice", cid)
    app.wait_progress(2 * 1024 * 1024)
    server.kill()
    app.finish()
    assert "finished" not in app.lines and "failed ServerUnreachable" in app.lines  # it saw the server go
    assert _profile_sound(a.path, app.made())[sha] == (len(data), len(data), True)
    server.start(port=server.port)
    store = _store(server)
    assert 0 < store.offset(sha) < len(data)  # what reached the server's disk before it died
    a = app.reopen()
    _rows, files = sync_all(a)
    assert files.uploaded == 1 and files.bytes_up < len(data)
    _server_sound(server, sha, data)
    with a.ctx.read() as s:
        assert s.scalar(select(OutboxEntry.seq)) is None
    # the server dies while gong's laptop downloads (slowly: the server cannot have sent it all)
    g = make_device("gong")
    g.sync()
    app = App(g, server, "gong", cid, slow=0.5)
    app.wait_progress(8 * 1024 * 1024)
    server.kill()
    app.finish()
    assert "finished" not in app.lines and "failed ServerUnreachable" in app.lines
    size, have, complete = _profile_sound(g.path, app.made())[sha]
    assert 8 * 1024 * 1024 <= have < len(data) and not complete
    server.start(port=server.port)
    g = app.reopen()
    _rows, files = sync_all(g)
    assert files.downloaded == 1 and files.bytes_down == len(data) - have
    assert _profile_sound(g.path, app.made())[sha] == (len(data), len(data), True)
    [row] = A.list_attachments(g.ctx, cid)
    assert A.export_attachment(g.ctx, row["id"], tmp_path / "g.bin").read_bytes() == data
    _server_sound(server, sha, data)


def test_command_lines_end_to_end(server, make_device, capsys, tmp_path):
    """Alice attaches a photo to a visit with the command line, offline; ``accountdesk sync``
    sends rows then files; Alice's second laptop gets it with ``accountdesk sync`` and saves it."""
    import io
    import json

    from accountdesk.cli import main

    def run(argv, stdin=None):
        old = sys.stdin
        sys.stdin = io.StringIO(stdin) if stdin is not None else old
        try:
            capsys.readouterr()
            code = main(argv)
        finally:
            sys.stdin = old
        out = capsys.readouterr()
        return code, out.out, out.err

    server.add_user("alice", "manager")
    laptop, second = make_device("alice"), make_device("alice", name="alice-2")
    for dev in (laptop, second):
        dev.engine.close()
        dev.ctx.close()
    one, two = ["--data-dir", str(laptop.path)], ["--data-dir", str(second.path)]
    assert (
        run([*one, "sync", "--server", server.url, "--user", "alice", "--password-stdin"], PASSWORD + "\n")[0]
        == 0
    )
    cid = json.loads(run([*one, "clients", "add", "--name", "护航科技", "--json"])[1])["id"]
    visit = json.loads(
        run([*one, "visits", "add", cid, "--kind", "return_visit", "--at", "2026-03-02 10:00", "--json"])[1]
    )["id"]
    photo = _write(tmp_path, "现场照片.jpg", os.urandom(300_000))
    code, out, err = run(
        [*one, "attachments", "add", "护航科技", str(photo), "--to", f"visit:{visit}", "--json"]
    )
    assert code == 0, err
    made = json.loads(out)
    assert made["attached_to"] == f"visit:{visit}"
    code, out, err = run([*one, "sync", "--password-stdin", "--json"], PASSWORD + "\n")
    assert code == 0, err
    assert json.loads(out)["files"]["uploaded"] == 1
    code, out, err = run(
        [*two, "sync", "--server", server.url, "--user", "alice", "--password-stdin", "--json"],
        PASSWORD + "\n",
    )
    assert code == 0, err
    assert json.loads(out)["files"]["downloaded"] == 1
    [row] = json.loads(run([*two, "attachments", "list", cid, "--json"])[1])
    assert (
        row["sha256"] == made["sha256"]
        and row["available"] is True
        and row["attached_to"] == f"visit:{visit}"
    )
    target = tmp_path / "saved.jpg"
    assert run([*two, "attachments", "get", row["id"], "--out", str(target)])[0] == 0
    assert target.read_bytes() == photo.read_bytes()
    code, out, err = run([*two, "attachments", "sync", "--password-stdin", "--json"], PASSWORD + "\n")
    assert code == 0 and json.loads(out)["downloaded"] == 0


def test_a_200_mb_file_and_hostile_names_travel_between_laptops(own_server, tmp_path):
    from sync_env import Device

    srv = own_server(env={"ACCOUNTDESK_MAX_FILE_MB": "250"})
    srv.add_user("alice", "manager")
    one, two = Device(tmp_path / "one", srv, "alice"), Device(tmp_path / "two", srv, "alice")
    try:
        one.sync()
        cid = clients.create_client(one.ctx, name="Big Files Ltd")
        FileSync(one.engine).refresh_limits()
        big = tmp_path / "scan.tif"
        with open(big, "wb") as f:
            for _ in range(200):
                f.write(os.urandom(1024 * 1024))
        big_id = A.add_file(one.ctx, cid, big)
        names = {
            "CON.txt": b"con",
            "../../escape.txt": b"escape",
            "x" * 250 + ".pdf": b"long",
            "a\x00b.txt": b"nul",
            "汉" * 90 + ".jpg": b"cjk",
        }
        src = tmp_path / "src.bin"
        for name, data in names.items():
            src.write_bytes(data)
            A.add_file(one.ctx, cid, src, file_name=name)
        one.sync()
        up = FileSync(one.engine).run()
        assert up.uploaded == 6 and not up.failed
        two.sync()
        down = FileSync(two.engine).run()
        assert down.downloaded == 6 and down.bytes_down == 200 * 1024 * 1024 + sum(map(len, names.values()))
        out = A.export_attachment(two.ctx, big_id, tmp_path / "copy.tif")
        assert _sha(out.read_bytes()) == _sha(big.read_bytes())
        folder = tmp_path / "exported"
        folder.mkdir()
        got = {}
        for row in A.list_attachments(two.ctx, cid):
            if row["id"] != big_id:
                path = A.export_attachment(two.ctx, row["id"], folder)
                assert path.parent == folder
                got[path.read_bytes()] = path.name
        assert set(got) == set(names.values())
        assert (
            got[b"con"] == "_CON.txt" and got[b"escape"] == "escape.txt" and len(got[b"long"].encode()) <= 255
        )
        assert not (tmp_path / "escape.txt").exists()
    finally:
        one.close()
        two.close()


def test_files_no_record_names_are_purged_after_the_retention(server, make_device, tmp_path):
    import datetime as dt

    from accountdesk.server import retention

    a, boss, cid = _setup(server, make_device)
    kept, gone = os.urandom(50_000), os.urandom(60_000)
    A.add_file(a.ctx, cid, _write(tmp_path, "kept.jpg", kept))
    gone_id = A.add_file(a.ctx, cid, _write(tmp_path, "gone.jpg", gone))
    sync_all(a)
    store = _store(server)
    assert store.has(_sha(kept)) and store.has(_sha(gone))
    A.delete_attachment(a.ctx, gone_id)
    a.sync()
    stale = store.part("f" * 64)
    stale.write_bytes(b"half an upload")
    old = (dt.datetime.now() - dt.timedelta(days=8)).timestamp()
    os.utime(stale, (old, old))
    result = retention.purge(server.db, dt.timedelta(0))  # the tombstone goes; its file stays a day
    assert result["purged"] >= 1 and store.has(_sha(gone)) and result["partials_removed"] == 1
    later = server_files.purge(server.db, store, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert later["files_removed"] == 1 and not store.has(_sha(gone)) and store.has(_sha(kept))
    from accountdesk.server import tables as t

    with server.db.read() as conn:
        assert {r[0] for r in conn.execute(select(t.blobs.c.sha256))} == {_sha(kept)}


def test_a_revoked_laptop_wipes_the_bytes_of_its_files(server, make_device, tmp_path):
    """The wipe of a revoked device empties the profile's file of attachment bytes (its pages
    overwritten, then vacuumed): none of a downloaded file's bytes is left in any file of it."""
    from accountdesk.server import admin
    from accountdesk.sync.client import DeviceRevoked

    a, boss, cid = _setup(server, make_device)
    data = b"SERVICE-REPORT-" + os.urandom(1_500_000) + b"-END"
    A.add_file(a.ctx, cid, _write(tmp_path, "服务报告.pdf", data))
    sync_all(a)
    g = make_device("gong")
    _rows, files = sync_all(g)
    assert files.downloaded == 1
    for dev in admin.list_devices(server.db):
        if dev["user"] == "gong":
            admin.revoke_device(server.db, dev["id"])
    with pytest.raises(DeviceRevoked):
        g.sync()
    assert g.ctx.store.blobdb.shas() == set()
    g.engine.close()
    g.ctx.close()
    raw = b"".join(f.read_bytes() for f in g.path.rglob("*") if f.is_file())
    assert data[:64] not in raw and data[700_000:700_064] not in raw and data[-64:] not in raw
    assert (g.path / "accountdesk-blobs.sqlite3").stat().st_size < 300_000
