"""Pushes running at the same time on PostgreSQL (the merge works under row locks and only the
final numbering is serialised): no edit is lost, a new row or a batch sent twice at once is
applied once, and every number a device is told is the one stored."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sync_env import PASSWORD

from accountdesk.server import merge, repo
from accountdesk.server import tables as t
from accountdesk.sync import protocol as p

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}
FIELDS = ["city", "province", "address", "short_name", "industry", "description"]


def _login(server, username: str, device: str) -> tuple[dict, str]:
    r = httpx.post(
        server.url + "/v1/auth/login",
        headers=H,
        json={"username": username, "password": PASSWORD, "device_id": device},
    )
    assert r.status_code == 200, r.text
    return {**H, "Authorization": "Bearer " + r.json()["access_token"]}, r.json()["user"]["id"]


def _hlc(n: int, node: str) -> str:
    return f"{int(time.time() * 1000):016d}-{n:05d}-{node}"


def _run(threads: list[threading.Thread]) -> None:
    for th in threads:
        th.start()
    for th in threads:
        th.join()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_concurrent_pushes_lose_nothing_and_number_in_commit_order(server):
    server.add_user("sup", "supervisor")
    logins = [_login(server, "sup", f"dev{i}") for i in range(len(FIELDS))]
    headers, uid = logins[0]
    cid = str(uuid.uuid4())
    create = {
        "entity": "client",
        "row_id": cid,
        "op": "create",
        "hlc": _hlc(0, "dev0"),
        "fields": {"name": "Busy Co", "owner_id": uid, "tier": "key", "status": "active", "tags": []},
    }
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def post(h: dict, body: dict) -> None:
        r = httpx.post(server.url + "/v1/sync/push", json=body, headers=h, timeout=60)
        with lock:
            answers.append(r)

    # the same new row from two devices at once, and one batch sent twice at once
    same = {"batch_id": "twice", "items": [create]}
    _run(
        [
            threading.Thread(target=post, args=(logins[1][0], {"batch_id": "other", "items": [create]})),
            threading.Thread(target=post, args=(headers, same)),
            threading.Thread(target=post, args=(headers, same)),
        ]
    )
    assert [r.status_code for r in answers] == [200, 200, 200], [r.text for r in answers]
    twice = [r.json() for r in answers if r.json()["batch_id"] == "twice"]
    assert twice[0]["results"] == twice[1]["results"] and sorted(r["replayed"] for r in twice) == [
        False,
        True,
    ]
    answers.clear()
    # every device edits its own field of the same client, many times, all at once
    rounds = 15

    def edits(i: int) -> None:
        h, _uid = logins[i]
        for n in range(rounds):
            item = {
                "entity": "client",
                "row_id": cid,
                "op": "update",
                "base_seq": None,
                "hlc": _hlc(n + 1, f"dev{i}"),
                "fields": {FIELDS[i]: f"{FIELDS[i]} {n}"},
            }
            post(h, {"batch_id": f"b{i}-{n}", "items": [item]})

    _run([threading.Thread(target=edits, args=(i,)) for i in range(len(FIELDS))])
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers if r.status_code != 200]
    results = [r.json()["results"][0] for r in answers]
    assert all(res["status"] == "applied" for res in results), [
        res for res in results if res["status"] != "applied"
    ]
    told = sorted(res["seq"] for res in results)
    assert len(set(told)) == len(told)  # one number per accepted edit
    with server.db.read() as conn:
        rec = repo.get_record(conn, cid)
        counter = repo.current_seq(conn)
        provisional = conn.execute(
            select(func.count()).select_from(t.records).where(t.records.c.seq >= merge.PROVISIONAL)
        ).scalar_one()
        history_seqs = set(conn.execute(select(t.history.c.seq).where(t.history.c.row_id == cid)).scalars())
    assert provisional == 0 and counter == told[-1] == rec["seq"]
    assert set(told) <= history_seqs and max(history_seqs) == counter
    for name in FIELDS:  # nobody's last edit was overwritten by a stale merge
        assert rec["data"][name] == f"{name} {rounds - 1}"
        assert rec["clocks"][name][1] in told
    # a pull sees every change once, in order
    cursor, seen = 0, []
    while True:
        page = httpx.get(server.url + "/v1/sync/pull", params={"cursor": cursor}, headers=headers).json()
        seen += [i["seq"] for i in page["items"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert seen == sorted(seen) and rec["seq"] in seen
