"""Protocol guarantees: sequence order under concurrency, clocks, versions, limits, malformed input."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import threading
import time
from uuid import uuid4

import httpx
import pytest
from sync_env import PASSWORD, WallClock
from sync_helpers import client, conflicts

from accountdesk.server import repo
from accountdesk.services import clients
from accountdesk.sync import protocol as p
from accountdesk.sync.client import SyncEngine, UpdateRequired
from accountdesk.sync.credentials import Credentials

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


def login(server, username: str, device: str) -> dict:
    r = httpx.post(
        server.url + "/v1/auth/login",
        headers=H,
        json={"username": username, "password": PASSWORD, "device_id": device},
    )
    assert r.status_code == 200, r.text
    return {**H, "Authorization": "Bearer " + r.json()["access_token"], "_uid": r.json()["user"]["id"]}


def client_item(row_id: str, owner: str, name: str, hlc_ms: int | None = None) -> dict:
    hlc = f"{hlc_ms or int(time.time() * 1000):016d}-00000-dev"
    return {
        "entity": "client",
        "row_id": row_id,
        "op": "create",
        "hlc": hlc,
        "fields": {"name": name, "owner_id": owner, "tier": "key", "status": "active", "tags": []},
    }


def _headers(h: dict) -> dict:
    return {k: v for k, v in h.items() if not k.startswith("_")}


def _pull_all(server, h, cursor=0) -> tuple[list[dict], int]:
    items = []
    while True:
        page = httpx.get(server.url + "/v1/sync/pull", params={"cursor": cursor}, headers=_headers(h)).json()
        items += page["items"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return items, cursor


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_overlapping_pushes_no_pull_skips_the_late_commit(server):
    """Push A takes its sequence number and is held open; push B starts meanwhile. A pull during
    the overlap must not move its cursor past A's number; afterwards both arrive."""
    server.add_user("sup", "supervisor")
    ha, hb, hr = login(server, "sup", "devA"), login(server, "sup", "devB"), login(server, "sup", "devR")
    _, cursor = _pull_all(server, hr)
    results = {}

    def push(name, headers, delay):
        body = {
            "batch_id": name,
            "items": [client_item(f"00000000-0000-0000-0000-00000000000{name[-1]}", headers["_uid"], name)],
        }
        results[name] = httpx.post(
            server.url + "/v1/sync/push",
            json=body,
            timeout=30,
            headers={**_headers(headers), "X-Test-Delay-Ms": str(delay)},
        ).json()

    ta = threading.Thread(target=push, args=("batch1", ha, 2000))
    ta.start()
    from sqlalchemy import text

    deadline = time.monotonic() + 20
    while True:  # until A's transaction has applied its items and sleeps holding the counter
        with server.db.engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'"
                )
            ).scalar_one()
        if waiting:
            break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    tb = threading.Thread(target=push, args=("batch2", hb, 0))
    tb.start()
    time.sleep(0.3)
    during, cursor_during = _pull_all(server, hr, cursor)
    assert during == [] and cursor_during == cursor  # nothing committed yet: the cursor stays
    ta.join()
    tb.join()
    seqs = {name: r["results"][0]["seq"] for name, r in results.items()}
    assert seqs["batch1"] < seqs["batch2"]
    after, _ = _pull_all(server, hr, cursor_during)
    assert sorted(i["data"]["name"] for i in after) == ["batch1", "batch2"]


def test_device_clock_days_wrong_still_merges(server, make_device):
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    slow = make_device("alice", clock=WallClock(dt.timedelta(days=-5)))
    fast = make_device("boss", clock=WallClock(dt.timedelta(days=3)))
    slow.sync()
    cid = clients.create_client(slow.ctx, name="Clocks Co")
    slow.sync()
    fast.sync()
    clients.update_client(fast.ctx, cid, city="Far Future")
    fast.sync()
    with server.db.read() as conn:
        stored = repo.get_record(conn, cid)["clocks"]["city"][0]
    assert int(stored.split("-")[0]) < int(time.time() * 1000) + 10 * 60 * 1000  # clamped, not refused
    slow.sync()
    assert client(slow, cid).city == "Far Future"
    # the slow device has seen that value: its later edit is not a conflict and is taken
    clients.update_client(slow.ctx, cid, city="Corrected")
    slow.sync()
    fast.sync()
    assert client(fast, cid).city == client(slow, cid).city == "Corrected"
    assert conflicts(fast) == []


def test_old_version_gets_a_structured_please_update(server, make_device, monkeypatch):
    r = httpx.get(server.url + "/v1/sync/pull", headers={p.HEADER_PROTOCOL: "0", p.HEADER_SCHEMA: "1"})
    assert r.status_code == 426
    body = r.json()
    assert body["code"] == "update_required" and body["min_protocol"] == 1
    server.add_user("alice", "manager")
    dev = make_device("alice")
    engine = SyncEngine(
        dev.ctx, server.url, Credentials(server.url, "alice", password=PASSWORD, use_keyring=False)
    )
    engine._http.headers[p.HEADER_SCHEMA] = "999"
    with pytest.raises(UpdateRequired) as err:
        engine.sync()
    assert err.value.exit_code == 7 and "update" in err.value.message
    engine.close()


def test_malformed_and_oversized_input_is_refused_and_changes_nothing(server):
    server.add_user("sup", "supervisor")
    h = _headers(login(server, "sup", "dev1"))
    with server.db.read() as conn:
        before = repo.current_seq(conn)
    url = server.url + "/v1/sync/push"
    bad = [
        httpx.post(url, content=b"{not json", headers={**h, "Content-Type": "application/json"}),
        httpx.post(url, json={"batch_id": "x", "items": [{"entity": "client"}]}, headers=h),
        httpx.post(
            url,
            json={"batch_id": "x", "items": [client_item("c", "u", "n")] * (p.MAX_ITEMS_PER_BATCH + 1)},
            headers=h,
        ),
        httpx.post(
            url,
            content=b"garbage",
            headers={**h, "Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
        # a small gzip bomb: 20 MB of zeros compressed to a few kB
        httpx.post(
            url,
            content=gzip.compress(b"0" * (20 * 1024 * 1024)),
            headers={**h, "Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
    ]
    assert [r.status_code for r in bad] == [422, 422, 422, 400, 413]
    assert all("code" in r.json() for r in bad)
    with server.db.read() as conn:
        assert repo.current_seq(conn) == before
    # a gzip-compressed valid push works, and the answer can come back compressed too
    owner = login(server, "sup", "dev1")["_uid"]
    body = gzip.compress(
        json.dumps(
            {
                "batch_id": "ok",
                "items": [client_item("11111111-0000-0000-0000-000000000001", owner, "Zipped")],
            }
        ).encode()
    )
    r = httpx.post(
        url, content=body, headers={**h, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"
    r = httpx.get(server.url + "/v1/sync/pull", headers={**h, "Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip" and r.json()["items"]


def test_answers_come_in_zstd_to_clients_that_accept_it_and_in_gzip_to_the_others(server):
    """The laptop's client accepts zstd (cheaper for the server and smaller); a client that does
    not, or refuses it with q=0, gets gzip; all three carry the same page."""
    server.add_user("sup", "supervisor")
    h = _headers(login(server, "sup", "dev1"))
    owner = login(server, "sup", "dev1")["_uid"]
    items = [client_item(f"11111111-0000-0000-0000-{i:012d}", owner, f"客户 {i} 有限公司") for i in range(40)]
    r = httpx.post(server.url + "/v1/sync/push", json={"batch_id": "z", "items": items}, headers=h)
    assert r.status_code == 200
    url = server.url + "/v1/sync/pull"
    answers = {
        enc: httpx.get(url, headers={**h, "Accept-Encoding": enc})
        for enc in ("zstd", "gzip, zstd;q=0", "gzip")
    }
    assert [a.headers.get("content-encoding") for a in answers.values()] == ["zstd", "gzip", "gzip"]
    pages = [a.json() for a in answers.values()]
    assert sum(i["entity"] == "client" for i in pages[0]["items"]) == 40 and pages[0] == pages[1] == pages[2]
    assert int(answers["zstd"].headers["content-length"]) < int(answers["gzip"].headers["content-length"])
    with httpx.Client() as client:  # what the laptop sends by itself
        assert "zstd" in client.headers["accept-encoding"]


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("zstd", True),
        ("gzip, deflate, br, zstd", True),
        ("ZSTD;q=0.5", True),
        ("zstd; q=0", False),
        ("zstd;q=0.0", False),
        ("gzip", False),
        ("", False),
        ("zstdx", False),
        ("zstd;q=bad", False),
    ],
)
def test_accept_encoding_is_read_as_http_says(header, accepted):
    from accountdesk.server.compression import accepts_zstd

    assert accepts_zstd(header) is accepted


def test_unauthenticated_and_revoked_requests_are_refused(server):
    r = httpx.get(server.url + "/v1/sync/pull", headers=H)
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"
    r = httpx.get(server.url + "/v1/sync/pull", headers={**H, "Authorization": "Bearer nonsense"})
    assert r.status_code == 401


def test_page_marks_cut_a_pull_into_windows_that_can_be_fetched_side_by_side(server):
    """With marks=true the first page names the boundaries of the pages to come; fetching those
    windows independently gives exactly the rows of the ordinary page-by-page pull, in order,
    for a supervisor (everything) and for a manager (only the clients in scope)."""
    uid_mgr = server.add_user("mgr", "manager")
    uid_other = server.add_user("other", "manager")
    server.add_user("sup", "supervisor")
    hm, ho, hs = login(server, "mgr", "devM"), login(server, "other", "devO"), login(server, "sup", "devS")
    for i in range(9):  # interleaved: the manager's rows are not consecutive sequence numbers
        for h, uid, who in ((hm, uid_mgr, "M"), (ho, uid_other, "O")):
            item = client_item(str(uuid4()), uid, f"{who} client {i}")
            r = httpx.post(
                server.url + "/v1/sync/push",
                headers=_headers(h),
                json={"batch_id": str(uuid4()), "items": [item]},
            )
            assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text

    def pull(h, **params):
        r = httpx.get(server.url + "/v1/sync/pull", params=params, headers=_headers(h))
        assert r.status_code == 200, r.text
        return r.json()

    for h, expect in ((hs, 18), (hm, 9)):
        sequential, cursor = [], 0
        while True:
            page = pull(h, cursor=cursor, limit=4)
            assert "marks" not in page or page["marks"] is None  # only when asked
            sequential += page["items"]
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        first = pull(h, cursor=0, limit=4, marks="true")
        assert first["has_more"] and first["marks"][-1] == first["target"]
        windowed = list(first["items"])
        for a, b in zip([first["cursor"], *first["marks"][:-1]], first["marks"], strict=True):
            window = pull(h, cursor=a, target=b, limit=4)
            assert not window["has_more"] and len(window["items"]) <= 4 and window["cursor"] == b
            windowed += window["items"]
        assert windowed == sequential
        assert len([i for i in windowed if i["entity"] == "client"]) == expect
        last = pull(
            h,
            cursor=first["marks"][-2] if len(first["marks"]) > 1 else first["cursor"],
            limit=4,
            marks="true",
        )
        assert not last["has_more"] and not last.get("marks")  # the last page has none to name
