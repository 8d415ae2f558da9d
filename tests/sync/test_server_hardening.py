"""The server's edges attacked with raw requests against a real server process on SQLite and
PostgreSQL (issue 12, findings 9 and 10): what reaches its log, the shape of every refusal,
bodies sent before a token is checked, truncated gzip, the published docs."""

from __future__ import annotations

import gzip
import json
import socket
import time
import uuid

import httpx
import pytest
from sqlalchemy import text
from sync_env import PASSWORD

from accountdesk.server import repo
from accountdesk.sync import protocol as p

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}
HTTP = httpx.Client(timeout=30)


def access(srv, username: str, device: str = "dev") -> dict[str, str]:
    r = HTTP.post(
        srv.url + "/v1/auth/login",
        headers=H,
        json={"username": username, "password": PASSWORD, "device_id": device},
    )
    assert r.status_code == 200, r.text
    return {**H, "Authorization": "Bearer " + r.json()["access_token"], "X-Uid": r.json()["user"]["id"]}


def hlc(n: int) -> str:
    return f"{int(time.time() * 1000):016d}-{n:05d}-dev"


def marked_batch(owner: str, marker: str) -> dict:
    """A client with a marked name and fee, and a confidential note with a marked text."""
    cid = str(uuid.uuid4())
    return {
        "batch_id": str(uuid.uuid4()),
        "items": [
            {
                "entity": "client",
                "row_id": cid,
                "op": "create",
                "hlc": hlc(1),
                "fields": {
                    "name": f"Name-{marker}",
                    "owner_id": owner,
                    "annual_fees": 987654321,
                    "tier": "key",
                    "status": "active",
                    "tags": [],
                },
            },
            {
                "entity": "service_note",
                "row_id": str(uuid.uuid4()),
                "op": "create",
                "client_id": cid,
                "hlc": hlc(2),
                "fields": {"text": f"Secret-{marker}", "confidential": True},
            },
        ],
    }


def break_history(srv) -> None:
    """A broken database: it refuses every numbered entry of the field history (a constraint
    nobody meant). The server's per-item trial (entries numbered 0, in a savepoint) passes, the
    final write fails: a bug of the server's, answered 500."""
    with srv.db.write() as conn:
        if srv.db.is_sqlite:
            conn.execute(
                text(
                    "CREATE TRIGGER broken BEFORE INSERT ON srv_history WHEN NEW.seq <> 0 "
                    "BEGIN SELECT RAISE(ABORT, 'broken'); END"
                )
            )
        else:
            conn.execute(text("ALTER TABLE srv_history ADD CONSTRAINT broken CHECK (seq = 0) NOT VALID"))


# -- 9. logs ---------------------------------------------------------------------------------------
def test_a_server_error_logs_no_field_value(own_server):
    srv = own_server()
    srv.add_user("boss", "supervisor")
    h = access(srv, "boss")
    marker = uuid.uuid4().hex
    HTTP.post(
        srv.url + "/v1/auth/login",
        headers=H,
        json={"username": "boss", "password": f"Pw-{marker}", "device_id": "x"},
    )
    break_history(srv)
    r = HTTP.post(srv.url + "/v1/sync/push", headers=h, json=marked_batch(h["X-Uid"], marker))
    assert r.status_code == 500 and r.json() == {"code": p.E_INTERNAL, "message": "Internal server error."}
    srv.stop()
    log = srv.log_path.read_text(errors="replace")
    assert "unexpected error during POST /v1/sync/push" in log and "srv_history" in log  # it was logged ...
    assert marker not in log and "987654321" not in log  # ... without a single value
    assert "Traceback" not in log  # nor the ASGI server's own traceback (with the database's message)


# -- 10. refusals ----------------------------------------------------------------------------------
def test_every_refusal_has_a_code_and_a_message(server):
    server.add_user("boss", "supervisor")
    h = access(server, "boss")
    cases = {
        "unknown path": (HTTP.get(server.url + "/nowhere"), 404, p.E_NOT_FOUND),
        "unknown versioned path": (HTTP.get(server.url + "/v1/nowhere", headers=h), 404, p.E_NOT_FOUND),
        "wrong method": (HTTP.get(server.url + "/v1/sync/push", headers=h), 405, p.E_METHOD_NOT_ALLOWED),
        "wrong method, no token": (HTTP.delete(server.url + "/v1/health"), 405, p.E_METHOD_NOT_ALLOWED),
        "not JSON": (
            HTTP.post(
                server.url + "/v1/auth/login",
                headers={**H, "Content-Type": "application/json"},
                content=b"{not json",
            ),
            422,
            p.E_BAD_REQUEST,
        ),
        "wrong shape": (
            HTTP.post(server.url + "/v1/sync/push", headers=h, json={"items": "x"}),
            422,
            p.E_BAD_REQUEST,
        ),
        "bad query": (
            HTTP.get(server.url + "/v1/sync/pull", headers=h, params={"cursor": "x"}),
            422,
            p.E_BAD_REQUEST,
        ),
        "bad gzip": (
            HTTP.post(
                server.url + "/v1/sync/push", headers={**h, "Content-Encoding": "gzip"}, content=b"nope"
            ),
            400,
            p.E_BAD_REQUEST,
        ),
        "no token": (HTTP.get(server.url + "/v1/sync/pull", headers=H), 401, p.E_TOKEN_INVALID),
        "no versions": (HTTP.get(server.url + "/v1/sync/pull"), 426, p.E_UPDATE_REQUIRED),
        "huge login": (
            HTTP.post(server.url + "/v1/auth/login", headers=H, content=b"x" * 100_000),
            413,
            p.E_TOO_LARGE,
        ),
        "NUL user name": (
            HTTP.post(
                server.url + "/v1/auth/login",
                headers=H,
                json={"username": "a\u0000b", "password": "x", "device_id": "d"},
            ),
            422,
            p.E_BAD_REQUEST,
        ),
        "lone surrogate": (
            HTTP.post(
                server.url + "/v1/auth/login",
                headers={**H, "Content-Type": "application/json"},
                content=b'{"username": "\\ud800", "password": "x", "device_id": "d"}',
            ),
            422,
            p.E_BAD_REQUEST,
        ),
    }
    for name, (r, status, code) in cases.items():
        assert r.status_code == status, (name, r.status_code, r.text)
        body = r.json()
        assert body["code"] == code and isinstance(body["message"], str) and body["message"], (name, body)
    assert "allow" in {k.lower() for k in cases["wrong method"][0].headers}


def _raw_post(srv, path: str, headers: dict[str, str], declared: int, sent: bytes) -> tuple[bytes, float]:
    """POST declaring ``declared`` bytes but sending only ``sent``: the answer, and how long it took."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        start = time.monotonic()
        sock.sendall(head.encode() + sent)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 20:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer, time.monotonic() - start


def test_unauthenticated_push_is_refused_before_its_body_is_read(server):
    """A 16 MB push without a (good) token is answered 401 while its body is still on the way:
    the server neither waits for nor parses it."""
    for token in ({}, {"Authorization": "Bearer forged"}):
        answer, took = _raw_post(
            server, "/v1/sync/push", {**H, **token}, 16 * 1024 * 1024, b'{"items": [' + b" " * 1000
        )
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 401"), answer[:200]
        assert json.loads(rest.split(b"\r\n\r\n", 1)[1])["code"] == p.E_TOKEN_INVALID
        assert took < 5


def test_truncated_gzip_body_is_refused(server):
    server.add_user("boss", "supervisor")
    h = access(server, "boss")
    body = gzip.compress(json.dumps(marked_batch(h["X-Uid"], "t")).encode())
    with server.db.read() as conn:
        before = repo.current_seq(conn)
    for bad in (body[:-8], body[: len(body) // 2], body + b"trailing"):
        r = HTTP.post(
            server.url + "/v1/sync/push",
            headers={**h, "Content-Encoding": "gzip", "Content-Type": "application/json"},
            content=bad,
        )
        assert r.status_code == 400 and r.json()["code"] == p.E_BAD_REQUEST, r.text
    with server.db.read() as conn:
        assert repo.current_seq(conn) == before  # nothing was applied
    r = HTTP.post(
        server.url + "/v1/sync/push",
        headers={**h, "Content-Encoding": "gzip", "Content-Type": "application/json"},
        content=body,
    )
    assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == ["applied", "applied"]


def test_docs_can_be_switched_off(own_server):
    srv = own_server(args=["--no-docs"])
    for path in ("/docs", "/redoc", "/openapi.json"):
        r = HTTP.get(srv.url + path)
        assert r.status_code == 404 and r.json()["code"] == p.E_NOT_FOUND
    assert HTTP.get(srv.url + "/v1/health").status_code == 200


def test_docs_are_published_by_default(server):
    assert HTTP.get(server.url + "/openapi.json").json()["info"]["title"] == "AccountDesk sync server"


@pytest.mark.parametrize("path", ["/v1/ready"])
def test_readiness_answers_while_the_database_is_up(server, path):
    r = HTTP.get(server.url + path)
    assert r.status_code == 200 and r.json() == {"status": "ready"}
