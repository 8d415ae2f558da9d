"""Logins and tokens attacked as an intruder would, with raw requests against a real server
process on SQLite and PostgreSQL (issue 12, findings 6, 7 and 8)."""

from __future__ import annotations

import concurrent.futures
import io
import json
import sys
import time
import uuid

import httpx
from sqlalchemy import func, select
from sync_env import PASSWORD

from accountdesk.server import tables as t
from accountdesk.server.cli import main as server_main
from accountdesk.sync import protocol as p

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}
HTTP = httpx.Client(timeout=60)  # one client: making one per request costs more than a login
KEY = "k" * 8 + uuid.uuid4().hex  # the real laptop's device key


def login(srv, username, password=PASSWORD, *, device="laptop", key=None, forwarded=None) -> httpx.Response:
    body = {"username": username, "password": password, "device_id": device}
    if key:
        body["device_key"] = key
    headers = dict(H)
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return HTTP.post(srv.url + "/v1/auth/login", headers=headers, json=body)


def refresh(srv, token, device="laptop") -> httpx.Response:
    return HTTP.post(
        srv.url + "/v1/auth/refresh", headers=H, json={"refresh_token": token, "device_id": device}
    )


def pull(srv, access) -> httpx.Response:
    return HTTP.get(srv.url + "/v1/sync/pull", headers={**H, "Authorization": "Bearer " + access})


def audit(srv) -> list[dict]:
    code, out = admin(srv, "audit", "--limit", "100000", "--json")
    assert code == 0
    return json.loads(out)


def admin(srv, *argv, stdin: str = "") -> tuple[int, str]:
    old_in, old_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(stdin), io.StringIO()
    try:
        code = server_main(["--database-url", srv.database_url, *argv])
        return code, sys.stdout.getvalue()
    finally:
        sys.stdin, sys.stdout = old_in, old_out


def ip(n: int) -> str:
    return f"198.51.{n // 250}.{n % 250 + 1}"


# -- 6. throttling ---------------------------------------------------------------------------------
def test_spoofed_forwarded_for_does_not_escape_the_login_throttle(server):
    """200 wrong passwords, each claiming another address in X-Forwarded-For (no proxy is
    trusted): the account locks after 10; then the right password from an unknown device is
    refused, while the user's own laptop (its registered device and key) gets in."""
    server.add_user("alice", "manager")
    assert login(server, "alice", key=KEY).status_code == 200  # her laptop, known from now on
    codes = [
        login(server, "alice", f"guess-{i}", device="thief", forwarded=ip(i)).status_code for i in range(200)
    ]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    refused = login(server, "alice", device="thief", forwarded=ip(999))
    assert refused.status_code == 429 and refused.json()["code"] == p.E_RATE_LIMITED
    assert int(refused.headers["retry-after"]) > 0
    # the laptop's id alone (it shows in the clocks of the rows she edits) is not enough
    assert login(server, "alice", device="laptop").status_code == 429
    assert login(server, "alice", device="laptop", key="x" * 40).status_code == 429
    own = login(server, "alice", key=KEY)
    assert own.status_code == 200 and pull(server, own.json()["access_token"]).status_code == 200
    # the laptop has its own limit: five wrong passwords lock it, not the account's lock lifted
    assert [login(server, "alice", "typo", key=KEY).status_code for _ in range(6)] == [401] * 5 + [429]

    entries = audit(server)
    actions = [e["action"] for e in entries]
    assert actions.count("login_failed") == 15  # committed, although each answered with an error
    assert {e["detail"]["lock"] for e in entries if e["action"] == "login_locked"} == {"account", "device"}
    throttled = [e for e in entries if e["action"] == "login_throttled"]
    assert throttled and all(e["address"] == "127.0.0.1" for e in throttled)  # the header was not believed
    assert {e["address"] for e in entries if e["action"] == "login_failed"} == {"127.0.0.1"}


def test_an_administrator_lifts_a_lockout(server):
    server.add_user("bob", "field")
    for i in range(10):
        assert login(server, "bob", "wrong", device=f"d{i}").status_code == 401
    assert login(server, "bob", device="new-laptop").status_code == 429
    code, out = admin(server, "lockouts", "--json")
    assert code == 0 and [(e["kind"], e["who"]) for e in json.loads(out)] == [("account", "bob")]
    code, out = admin(server, "user", "unlock", "bob", "--json")
    assert code == 0 and json.loads(out)["lifted"] == 1
    assert login(server, "bob", device="new-laptop").status_code == 200
    assert "login_unlocked" in [e["action"] for e in audit(server)]
    assert admin(server, "user", "unlock", "nobody")[0] == 2
    assert admin(server, "address", "unlock", "not-an-address")[0] == 2


def test_one_address_trying_many_accounts_is_locked_out_behind_a_trusted_proxy(own_server):
    """Behind a configured proxy the forwarded address counts: one address spraying user names is
    locked out after 30 failures (also for a real user's right password from there); others are not."""
    srv = own_server(args=["--trusted-proxy", "127.0.0.1"])
    srv.add_user("carol", "manager")
    codes = [
        login(srv, f"user{i}", "pw", device=f"d{i}", forwarded="203.0.113.7").status_code for i in range(40)
    ]
    assert codes[:30] == [401] * 30 and set(codes[30:]) == {429}
    assert login(srv, "carol", forwarded="203.0.113.7").status_code == 429
    assert (
        login(srv, "carol", forwarded="spoofed, 198.51.100.2").status_code == 200
    )  # the proxy's entry counts
    entries = audit(srv)
    assert {e["address"] for e in entries if e["action"] == "login_failed"} == {"203.0.113.7"}
    assert [e["address"] for e in entries if e["action"] == "login"] == ["198.51.100.2"]
    assert admin(srv, "address", "unlock", "203.0.113.7")[0] == 0
    assert login(srv, "carol", forwarded="203.0.113.7").status_code == 200


# -- 7. flood --------------------------------------------------------------------------------------
def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_unauthenticated_login_flood_is_queued_not_hashed_all_at_once(own_server):
    """16 threads of logins with random user names (each an Argon2id check of 64 MiB, the real
    parameters) from as many forwarded addresses: the checks run one at a time, a few wait, the
    rest are told the server is busy — never an error, and the server's memory stays bounded."""
    srv = own_server(
        env={
            "ACCOUNTDESK_ARGON2_TEST": "0",
            "ACCOUNTDESK_LOGIN_HASHERS": "1",
            "ACCOUNTDESK_LOGIN_QUEUE": "2",
        },
        args=["--trusted-proxy", "127.0.0.1"],
    )
    before = _peak_rss_mb(srv.proc.pid)

    def attempt(i: int) -> httpx.Response:
        return login(srv, uuid.uuid4().hex, "pw", device=f"d{i}", forwarded=ip(i))

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(attempt, range(160)))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {401, 503} and codes.count(401) >= 3 and codes.count(503) >= 10, codes
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.json()["code"] == p.E_UNAVAILABLE and busy.headers["retry-after"]
    # 16 checks at once would take 1 GiB; one at a time, one 64 MiB block (plus the allocator's slack)
    assert _peak_rss_mb(srv.proc.pid) - before < 200


def test_failed_login_and_audit_tables_stay_bounded(own_server):
    srv = own_server(
        env={"ACCOUNTDESK_AUDIT_LOGIN_ROWS": "40", "ACCOUNTDESK_LOGIN_WINDOW_S": "2"},
        args=["--trusted-proxy", "127.0.0.1"],
    )
    srv.add_user("dave", "manager")
    for i in range(150):
        assert login(srv, f"who{i}", "pw", device=f"d{i}", forwarded=ip(i)).status_code == 401
    with srv.db.read() as conn:
        noise = conn.execute(
            select(func.count()).select_from(t.audit).where(t.audit.c.action == "login_failed")
        ).scalar_one()
        kept = conn.execute(
            select(func.count()).select_from(t.audit).where(t.audit.c.action == "user_add")
        ).scalar_one()
    assert 40 <= noise <= 44 and kept == 1  # only the login noise is pruned
    time.sleep(2.5)
    assert login(srv, "late", "pw", forwarded=ip(777)).status_code == 401
    with srv.db.read() as conn:
        failures = conn.execute(select(func.count()).select_from(t.login_failures)).scalar_one()
    assert failures == 2  # the late attempt's account and address; older ones fell out of the window


# -- 8. tokens -------------------------------------------------------------------------------------
def test_reused_refresh_token_ends_the_whole_sign_in(server):
    server.add_user("erin", "manager")
    first = login(server, "erin").json()
    second = refresh(server, first["refresh_token"]).json()
    assert pull(server, second["access_token"]).status_code == 200
    assert pull(server, first["access_token"]).status_code == 401  # the old access token died at rotation
    # someone presents the first refresh token again (it was stolen, or replayed)
    again = refresh(server, first["refresh_token"])
    assert again.status_code == 401 and again.json()["code"] == p.E_TOKEN_INVALID
    assert pull(server, second["access_token"]).status_code == 401  # the pair it issued stops working
    assert refresh(server, second["refresh_token"]).status_code == 401
    reuse = [e for e in audit(server) if e["action"] == "token_reuse"]
    assert len(reuse) == 1 and reuse[0]["detail"]["reason"] == "reuse"
    fresh = login(server, "erin").json()  # a new sign-in works
    assert pull(server, fresh["access_token"]).status_code == 200


def test_refresh_token_shown_by_another_device_ends_the_sign_in(server):
    server.add_user("fay", "field")
    pair = login(server, "fay").json()
    assert refresh(server, pair["refresh_token"], device="elsewhere").status_code == 401
    assert pull(server, pair["access_token"]).status_code == 401
    assert refresh(server, pair["refresh_token"]).status_code == 401


def test_a_sign_in_ends_after_its_absolute_lifetime(own_server):
    srv = own_server(env={"ACCOUNTDESK_SESSION_DAYS": str(3 / 86400)})  # three seconds
    srv.add_user("gus", "manager")
    pair = login(srv, "gus").json()
    assert pair["expires_in"] <= 3  # the access token does not outlive the sign-in either
    pair = refresh(srv, pair["refresh_token"]).json()
    time.sleep(3.5)
    late = refresh(srv, pair["refresh_token"])
    assert late.status_code == 401 and late.json()["code"] == p.E_TOKEN_EXPIRED
    assert "session_expired" in [e["action"] for e in audit(srv)]
    assert login(srv, "gus").status_code == 200
