"""The authorisation matrix: every role x read/write x in/out of scope, confidential fields
included, checked with raw requests against a real server process."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from sync_env import PASSWORD

from accountdesk.sync import protocol as p

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}
USERS = {
    "adm": "admin",
    "sup": "supervisor",
    "mgr": "manager",
    "mgr2": "manager",
    "fld": "field",
    "fld2": "field",
}
IN_SCOPE = {"adm", "sup", "mgr", "fld"}
SEES_CONFIDENTIAL = {"adm", "sup", "mgr", "mgr2"}


class Api:
    def __init__(self, server, username):
        r = httpx.post(
            server.url + "/v1/auth/login",
            headers=H,
            json={"username": username, "password": PASSWORD, "device_id": "d-" + username},
        )
        assert r.status_code == 200, r.text
        self.url = server.url
        self.uid = r.json()["user"]["id"]
        self.h = {**H, "Authorization": "Bearer " + r.json()["access_token"]}
        self.n = 0

    def push(self, *items) -> list[dict]:
        r = httpx.post(
            self.url + "/v1/sync/push",
            headers=self.h,
            json={"batch_id": str(uuid.uuid4()), "items": list(items)},
        )
        assert r.status_code == 200, r.text
        return r.json()["results"]

    def item(self, entity, row_id, op, fields, client_id=None, base_seq=None):
        self.n += 1
        return {
            "entity": entity,
            "row_id": row_id,
            "op": op,
            "fields": fields,
            "client_id": client_id,
            "base_seq": base_seq,
            "hlc": f"{int(time.time() * 1000):016d}-{self.n:05d}-{self.uid[:8].replace('-', '')}",
        }

    def pull_all(self) -> dict[str, dict]:
        out, cursor = {}, 0
        while True:
            page = httpx.get(self.url + "/v1/sync/pull", headers=self.h, params={"cursor": cursor}).json()
            out.update({i["id"]: i for i in page["items"]})
            cursor = page["cursor"]
            if not page["has_more"]:
                return out


@pytest.fixture
def world(server):
    ids = {name: server.add_user(name, role) for name, role in USERS.items()}
    apis = {name: Api(server, name) for name in USERS}
    mgr = apis["mgr"]
    cid, note, secret = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    results = mgr.push(
        mgr.item(
            "client",
            cid,
            "create",
            {
                "name": "Matrix Co",
                "owner_id": ids["mgr"],
                "annual_fees": 777000,
                "tier": "key",
                "status": "active",
                "tags": [],
            },
        ),
        mgr.item("service_note", note, "create", {"text": "public", "confidential": False}, client_id=cid),
        mgr.item(
            "service_note",
            secret,
            "create",
            {"text": "the CFO's cousin", "confidential": True},
            client_id=cid,
        ),
    )
    sup = apis["sup"]  # who serves a client is a supervisor's decision
    results += sup.push(
        sup.item("client_team_member", str(uuid.uuid4()), "create", {"user_id": ids["fld"]}, client_id=cid)
    )
    assert [r["status"] for r in results] == ["applied"] * 4
    return {"apis": apis, "ids": ids, "client": cid, "note": note, "secret": secret}


def test_reads_by_role_and_scope(world, server):
    cid = world["client"]
    for name, api in world["apis"].items():
        rows = api.pull_all()
        assert (cid in rows) == (name in IN_SCOPE), name
        if cid in rows:
            fees = rows[cid]["data"]["annual_fees"]
            assert fees == (777000 if name in SEES_CONFIDENTIAL else None), name
            secret = rows[world["secret"]]["data"]["text"]
            assert secret == ("the CFO's cousin" if name in SEES_CONFIDENTIAL else None), name
            assert rows[world["note"]]["data"]["text"] == "public"
        history = httpx.get(server.url + f"/v1/history/{cid}", headers=api.h)
        assert history.status_code == (200 if name in IN_SCOPE else 404), name
        if history.status_code == 200:
            # a created record's history is one entry with its first values; fees only for those who see them
            [created] = [e for e in history.json()["entries"] if e["field"] == "*" and e["row_id"] == cid]
            assert created["new"]["name"] == "Matrix Co"
            assert created["new"].get("annual_fees") == (777000 if name in SEES_CONFIDENTIAL else None), name
            asked = httpx.get(
                server.url + f"/v1/history/{cid}", headers=api.h, params={"field": "annual_fees"}
            ).json()["entries"]
            assert [e["new"] for e in asked] == [777000 if name in SEES_CONFIDENTIAL else None], name
            assert [e["hidden"] for e in asked] == [name not in SEES_CONFIDENTIAL], name
            assert "777000" not in history.text or name in SEES_CONFIDENTIAL


def test_writes_by_role_and_scope(world):
    for name in USERS:
        _check_writes(world, name)


def _check_writes(world, name):
    api, cid = world["apis"][name], world["client"]
    expected = {
        # entity/field -> users whose write is applied
        "client.city": {"adm", "sup", "mgr"},
        "client.annual_fees": {"adm", "sup", "mgr"},
        "client.owner_id": {"adm", "sup"},
        "contact.create": {"adm", "sup", "mgr", "fld"},
        "service_note.public": {"adm", "sup", "mgr", "fld"},
        "service_note.secret": {"adm", "sup", "mgr"},
    }
    attempts = {
        "client.city": api.item("client", cid, "update", {"city": "X " + name}),
        "client.annual_fees": api.item("client", cid, "update", {"annual_fees": 1}),
        "client.owner_id": api.item("client", cid, "update", {"owner_id": world["ids"]["mgr"]}),
        "contact.create": api.item(
            "contact", str(uuid.uuid4()), "create", {"name": "C " + name}, client_id=cid
        ),
        "service_note.public": api.item(
            "service_note", world["note"], "update", {"text": "edited by " + name}
        ),
        "service_note.secret": api.item(
            "service_note", world["secret"], "update", {"text": "edited by " + name}
        ),
    }
    for key, item in attempts.items():
        [result] = api.push(item)
        applied = result["status"] in ("applied", "conflict")
        assert applied == (name in expected[key]), (name, key, result)
        if not applied:
            assert result["code"] in (p.R_NOT_ALLOWED, p.R_OUT_OF_SCOPE, p.R_CONFIDENTIAL)
            assert "777000" not in (result["reason"] or "") and "cousin" not in (result["reason"] or "")
    if name == "fld":
        [result] = api.push(api.item("service_note", world["secret"], "update", {"text": "x"}))
        assert result["code"] == p.R_CONFIDENTIAL


def test_users_are_server_owned(world):
    api = world["apis"]["adm"]
    [result] = api.push(api.item("user", world["ids"]["fld"], "update", {"role": "admin"}))
    assert result["status"] == "rejected" and result["code"] == p.R_SERVER_OWNED
