"""The farewell of a revoked device (issue 13, point 4), against a real server process on SQLite
and PostgreSQL: hand-made requests show what the server grants and keeps, whatever the device
claims; the leaver's laptop then does it by itself (send, then wipe) in
test_sync_resignation.py."""

from __future__ import annotations

import time
import uuid

import httpx
from sqlalchemy import select
from sync_env import PASSWORD
from sync_helpers import conflicts

from accountdesk.models import Feedback
from accountdesk.server import repo, turnover
from accountdesk.services import clients, records
from accountdesk.sync import protocol as p

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


class Session:
    """One device's sign-in, made by hand (its tokens kept to be replayed)."""

    def __init__(self, server, username: str):
        self.url = server.url
        self.device_id = f"crafted-{username}-{uuid.uuid4().hex[:6]}"
        self.username = username
        r = self.login()
        assert r.status_code == 200, r.text
        self.access, self.refresh_token = r.json()["access_token"], r.json()["refresh_token"]
        self.n = 0

    def login(self) -> httpx.Response:
        body = {"username": self.username, "password": PASSWORD, "device_id": self.device_id}
        return httpx.post(self.url + "/v1/auth/login", headers=H, json=body)

    def refresh(self, token: str | None = None) -> httpx.Response:
        body = {"refresh_token": token or self.refresh_token, "device_id": self.device_id}
        return httpx.post(self.url + "/v1/auth/refresh", headers=H, json=body)

    def hlc(self, ms: int) -> str:
        self.n += 1
        return f"{ms:016d}-{self.n:05d}-crafted"

    def item(self, entity, row_id, op, fields, client_id, ms: int) -> dict:
        return {
            "entity": entity,
            "row_id": row_id,
            "op": op,
            "fields": fields,
            "client_id": client_id,
            "hlc": self.hlc(ms),
        }

    def post(self, path: str, token: str, items: list | None = None) -> httpx.Response:
        body = {"batch_id": str(uuid.uuid4()), "items": items or []}
        return httpx.post(
            self.url + path, headers={**H, "Authorization": f"Bearer {token}"}, json=body, timeout=60
        )


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_revoked_device_sends_its_last_edits_once_as_conflicts_for_the_successor(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    bob = server.add_user("bob", "manager")
    laptop = make_device("alice")
    laptop.sync()
    cid = clients.create_client(laptop.ctx, name="Farewell Co")
    fid = records.create_record(
        laptop.ctx,
        "feedback",
        {
            "kind": "complaint",
            "channel": "phone",
            "subject": "迟到",
            "received_at": "2026-12-01T08:00:00+00:00",
        },
        client_id=cid,
    )
    laptop.sync()
    alice = Session(server, "alice")
    older = alice.refresh_token
    rotated = alice.refresh()  # the first refresh token is rotated away before the revocation
    assert rotated.status_code == 200
    alice.access, alice.refresh_token = rotated.json()["access_token"], rotated.json()["refresh_token"]
    written = now_ms()  # offline edits, written before the handover
    time.sleep(0.05)

    result = turnover.hand_over_user(server.db, "alice", "bob", "left", deactivate=True)
    assert result["deactivated"] and result["devices_revoked"] == 2

    # the access token is refused, without a grant (a request's credential is not a sign-in)
    r = alice.post("/v1/sync/push", alice.access)
    assert r.status_code == 403 and r.json()["code"] == p.E_DEVICE_REVOKED and "farewell" not in r.json()
    # a refresh token rotated away before the revocation gets no farewell; the live one does
    r = alice.refresh(older)
    assert r.status_code in (401, 403) and "farewell" not in r.json()
    r = alice.refresh()
    assert r.status_code == 403 and r.json()["code"] == p.E_DEVICE_REVOKED
    grant = p.FarewellGrant.model_validate(r.json()["farewell"])
    # the grant pushes, nothing else: no pull, no ordinary push; an access token is no grant
    assert alice.post("/v1/sync/push", grant.token).status_code == 401
    pulled = httpx.get(server.url + "/v1/sync/pull", headers={**H, "Authorization": f"Bearer {grant.token}"})
    assert pulled.status_code == 401
    assert alice.post(p.PATH_FAREWELL_PUSH, alice.access).status_code == 401
    # another user's password proves nothing about this device
    other = {"username": "bob", "password": PASSWORD, "device_id": alice.device_id}
    r = httpx.post(server.url + "/v1/auth/login", headers=H, json=other)
    assert r.status_code == 403 and "farewell" not in r.json()
    # a second contact replaces the grant (the first one stops working); the user's password
    # proves the device as well as its refresh token
    r = alice.login()
    assert r.status_code == 403 and r.json()["code"] == p.E_DEVICE_REVOKED
    first, grant = grant, p.FarewellGrant.model_validate(r.json()["farewell"])
    assert alice.post(p.PATH_FAREWELL_PUSH, first.token).status_code == 403

    new_visit = str(uuid.uuid4())
    items = [
        alice.item("feedback", fid, "update", {"description": "离职前补记"}, cid, written),
        alice.item(
            "visit",
            new_visit,
            "create",
            {
                "kind": "return_visit",
                "channel": "onsite",
                "status": "planned",
                "purpose": "最后一次回访",
                "planned_start": "2026-12-20T08:00:00+00:00",
            },
            cid,
            written,
        ),
        # claimed after the revocation: refused, whatever it says
        alice.item("feedback", fid, "update", {"severity": "low"}, cid, now_ms() + 1000),
        alice.item("feedback", fid, "delete", {}, cid, written),
        alice.item("client", str(uuid.uuid4()), "create", {"name": "新客户"}, None, written),
    ]
    r = alice.post(p.PATH_FAREWELL_PUSH, grant.token, items)
    assert r.status_code == 200, r.text
    statuses = [x["status"] for x in r.json()["results"]]
    assert statuses == ["conflict", "conflict", "rejected", "rejected", "rejected"], [
        x.get("reason") for x in r.json()["results"]
    ]
    assert "after this device was revoked" in r.json()["results"][2]["reason"]

    # nothing was applied: the record is as the handover left it, the new visit not made
    with server.db.read() as conn:
        assert repo.get_record(conn, fid)["data"]["description"] in (None, "")
        assert repo.get_record(conn, new_visit) is None
    # the successor's laptop gets the client with both proposals, to keep or restore
    successor = make_device("bob")
    successor.sync()
    with successor.ctx.read() as s:
        assert s.get(Feedback, fid).description in (None, "")
    kept = {(c.row_id, c.field): c for c in conflicts(successor)}
    assert kept[(fid, "description")].lost_value == "离职前补记"
    assert kept[(new_visit, None)].lost_value["purpose"] == "最后一次回访"
    assert all(c.lost_by != bob for c in kept.values())

    # the farewell ends: the grant, the refresh token and the password get nothing any more
    r = alice.post(p.PATH_FAREWELL_END, grant.token)
    assert r.status_code == 200 and r.json() == {"ended": True}
    r = alice.post(
        p.PATH_FAREWELL_PUSH,
        grant.token,
        [alice.item("feedback", fid, "update", {"description": "x"}, cid, written)],
    )
    assert r.status_code == 403
    r = alice.refresh()
    assert r.status_code == 403 and r.json()["code"] == p.E_DEVICE_REVOKED and "farewell" not in r.json()
    r = alice.login()
    assert r.status_code == 403 and "farewell" not in r.json()
    with server.db.read() as conn:
        actions = [e["action"] for e in repo.audit_log(conn)]
    assert {"farewell_granted", "farewell_push", "farewell_ended"} <= set(actions)
    # and the laptop that stayed behind learns it at its next contact (the leaver's own test
    # sends its edits first: test_sync_resignation.py)
    with laptop.ctx.read() as s:
        assert s.scalar(select(Feedback.id).limit(1)) == fid


def test_a_device_revoked_long_ago_gets_no_farewell(own_server):
    server = own_server(env={"ACCOUNTDESK_FAREWELL_DAYS": "0"})
    server.add_user("alice", "manager")
    alice = Session(server, "alice")
    from accountdesk.server import admin

    admin.revoke_device(server.db, alice.device_id)
    r = alice.refresh()
    assert r.status_code == 403 and r.json()["code"] == p.E_DEVICE_REVOKED and "farewell" not in r.json()


def test_a_farewell_cut_by_the_network_is_made_at_the_next_contact_not_wiped_unsent(server, make_device):
    from accountdesk.server import admin
    from accountdesk.sync.client import DeviceRevoked, ServerUnreachable

    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    laptop = make_device("alice")
    laptop.sync()
    cid = clients.create_client(laptop.ctx, name="Cut Co")
    laptop.sync()
    records.update_record(laptop.ctx, "client", cid, {"province": "离线补记省"})  # never pushed
    admin.revoke_device(server.db, laptop.ctx.device_id)

    def cut(request):  # the network fails as the farewell is being sent
        if request.url.path == p.PATH_FAREWELL_PUSH:
            raise httpx.ConnectError("cut", request=request)

    laptop.engine._http.event_hooks["request"].append(cut)
    try:
        laptop.sync()
        raise AssertionError("the sync should have failed")
    except ServerUnreachable:
        pass
    with laptop.ctx.read() as s:  # nothing wiped: the edit is still there, waiting
        from accountdesk.models import Client

        assert s.get(Client, cid).province == "离线补记省"
    laptop.engine._http.event_hooks["request"].remove(cut)
    try:
        laptop.sync()
        raise AssertionError("the sync should have said the device is revoked")
    except DeviceRevoked as exc:
        assert "1 unsent change(s)" in str(exc)
    with laptop.ctx.read() as s:
        from accountdesk.models import Client

        assert s.scalar(select(Client.id).limit(1)) is None
    boss = make_device("boss")
    boss.sync()
    assert [c.lost_value for c in conflicts(boss, cid) if c.field == "province"] == ["离线补记省"]
