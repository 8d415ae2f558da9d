"""The server is the authority: each finding of the attack on the server (issue "The server is the
authority", points 1-5) as a hand-made request against a real server process, on SQLite and on
PostgreSQL. Every test is named after the attack it repels."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from sync_env import PASSWORD
from sync_helpers import client, client_ids, conflicts, get, outbox

from accountdesk.errors import ValidationError
from accountdesk.models import Contact, ServiceNote, ServiceOffering
from accountdesk.server import repo
from accountdesk.services import clients, contacts, records, service
from accountdesk.services.handover import assign_client
from accountdesk.sync import protocol as p
from accountdesk.sync.client import DemoProfileRefused
from accountdesk.sync.conflicts import list_conflicts, resolve_conflict

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


class Api:
    """Hand-made requests as one user on one device (a laptop's own device id, or a new one)."""

    def __init__(self, server, username: str, device_id: str | None = None):
        self.url = server.url
        r = httpx.post(
            self.url + "/v1/auth/login",
            headers=H,
            json={
                "username": username,
                "password": PASSWORD,
                "device_id": device_id or f"crafted-{username}-{uuid.uuid4().hex[:6]}",
            },
        )
        assert r.status_code == 200, r.text
        self.uid = r.json()["user"]["id"]
        self.h = {**H, "Authorization": "Bearer " + r.json()["access_token"]}
        self.n = 0

    def hlc(self, ms: int | None = None) -> str:
        self.n += 1
        return f"{int(time.time() * 1000) if ms is None else ms:016d}-{self.n:05d}-crafted"

    def item(
        self,
        entity: str,
        row_id: str,
        op: str,
        fields: dict,
        client_id: str | None = None,
        *,
        base_seq: int | None = None,
        hlc: str | None = None,
    ) -> dict:
        return {
            "entity": entity,
            "row_id": row_id,
            "op": op,
            "fields": fields,
            "client_id": client_id,
            "base_seq": base_seq,
            "hlc": hlc or self.hlc(),
        }

    def push_raw(self, items: list, **extra) -> httpx.Response:
        # json.dumps escapes what UTF-8 cannot carry (lone surrogates), as a hostile client may send it
        body = json.dumps({"batch_id": str(uuid.uuid4()), "items": items, **extra}).encode()
        return httpx.post(
            self.url + "/v1/sync/push",
            headers={**self.h, "Content-Type": "application/json"},
            content=body,
            timeout=60,
        )

    def push(self, *items, **extra) -> list[dict]:
        r = self.push_raw(list(items), **extra)
        assert r.status_code == 200, r.text
        return r.json()["results"]

    def pull_all(self, cursor: int = 0) -> dict[str, dict]:
        out = {}
        while True:
            page = httpx.get(self.url + "/v1/sync/pull", headers=self.h, params={"cursor": cursor}).json()
            out.update({i["id"]: i for i in page["items"]})
            cursor = page["cursor"]
            if not page["has_more"]:
                return out


def _seq(server) -> int:
    with server.db.read() as conn:
        return repo.current_seq(conn)


def _record(server, row_id: str) -> dict | None:
    with server.db.read() as conn:
        return repo.get_record(conn, row_id)


# -- 1. a handover cannot be undone by the old owner ---------------------------------------------
def test_old_owner_cannot_undo_a_handover_with_a_crafted_cursor_or_clock(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    bob_id = server.add_user("bob", "manager")
    a, boss = make_device("alice"), make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="Handed Co", annual_fees=880000)
    a.sync()
    boss.sync()
    assign_client(boss.ctx, cid, "bob", "alice moves to another region")
    boss.sync()
    a.sync()  # alice's laptop learns of the handover: the client leaves it
    assert cid not in client_ids(a)
    # her own laptop's device, with every cursor and clock she may craft
    api = Api(server, "alice", a.ctx.device_id)
    attempts = [
        ({"cursor": 0}, None),
        ({}, api.hlc(ms=0)),  # no cursor, a 1970 clock
        ({"cursor": 0}, api.hlc(ms=1)),
    ]
    for extra, hlc in attempts:
        [res] = api.push(api.item("client", cid, "update", {"city": "Suzhou"}, hlc=hlc), **extra)
        assert res["status"] != "applied" or False, (extra, res)
        assert res["status"] in ("rejected", "conflict"), (extra, res)
    # after the grace for edits on their way, nothing she sends is kept at all
    with server.db.write() as conn:
        from sqlalchemy import update

        from accountdesk.server import tables as t

        conn.execute(
            update(t.loss_seen).values(at=repo.utcnow() - __import__("datetime").timedelta(minutes=10))
        )
    for extra in ({"cursor": 0}, {}):
        [res] = api.push(api.item("client", cid, "update", {"city": "Suzhou"}, hlc=api.hlc(ms=0)), **extra)
        assert res["status"] == "rejected" and res["code"] == p.R_OUT_OF_SCOPE, res
    # she cannot put herself on the team either, nor take the client back
    [team] = api.push(
        api.item("client_team_member", str(uuid.uuid4()), "create", {"user_id": api.uid}, client_id=cid),
        cursor=0,
    )
    [owner] = api.push(api.item("client", cid, "update", {"owner_id": api.uid}), cursor=0)
    assert team["status"] == owner["status"] == "rejected"
    # a new device of hers knows nothing and gets nothing either
    fresh = Api(server, "alice")
    [res] = fresh.push(fresh.item("client", cid, "update", {"city": "Wuxi"}, hlc=fresh.hlc(ms=0)), cursor=0)
    assert res["status"] == "rejected" and res["code"] == p.R_OUT_OF_SCOPE
    rows = fresh.pull_all()
    assert cid not in rows and "880000" not in str(rows)
    rec = _record(server, cid)
    assert rec["data"]["city"] is None and rec["data"]["owner_id"] == bob_id


def test_edits_made_offline_before_the_handover_still_land(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    a, boss, b = make_device("alice"), make_device("boss"), make_device("bob")
    a.sync()
    cid = clients.create_client(a.ctx, name="Offline Co")
    a.sync()
    boss.sync()
    clients.update_client(a.ctx, cid, city="Nanjing")  # offline, before the handover reaches her
    contact = contacts.create_contact(a.ctx, cid, name="李娜")
    assign_client(boss.ctx, cid, "bob", "reorganisation")
    boss.sync()
    # even a crafted cursor beyond the handover changes nothing: the server knows what it served
    a.engine._batch_cursor_at = lambda _last: 10**9
    report = a.sync()
    assert report.rejected == 0 and cid in report.removed_clients
    b.sync()
    assert client(b, cid).city == "Nanjing" and get(b, Contact, contact).name == "李娜"


def test_an_edit_typed_while_the_handover_arrives_is_kept_for_the_successor(server, make_device):
    """Made during the very pull that brings the handover: the server cannot tell it from an edit
    made after, so it lands as a conflict the successor accepts or not — never silently."""
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    a, boss, b = make_device("alice"), make_device("boss"), make_device("bob")
    a.sync()
    cid = clients.create_client(a.ctx, name="Racing Co")
    a.sync()
    boss.sync()
    assign_client(boss.ctx, cid, "bob", "reorganisation")
    boss.sync()
    typed = []
    original = a.engine._scope_changed

    def scope_changed(page, cursor, report):
        if not typed:
            typed.append(contacts.create_contact(a.ctx, cid, name="周杰"))
            clients.update_client(a.ctx, cid, city="Hefei")
        return original(page, cursor, report)

    a.engine._scope_changed = scope_changed
    a.sync()
    a.sync()
    assert outbox(a) == [] and cid not in client_ids(a)
    b.sync()
    assert get(b, Contact, typed[0]) is None and client(b, cid).city is None
    found = {(c["entity"], c["field"]) for c in list_conflicts(b.ctx)}
    assert found == {("contact", None), ("client", "city")}
    for c in list_conflicts(b.ctx):  # bob accepts alice's last edits
        resolve_conflict(b.ctx, c["id"], "theirs")
    b.sync()
    assert get(b, Contact, typed[0]).name == "周杰" and client(b, cid).city == "Hefei"


# -- 2. managers cannot widen their own scope -----------------------------------------------------
def test_manager_cannot_widen_her_scope_by_owners_teams_or_references(server, make_device):
    server.add_user("boss", "supervisor")
    mgr = server.add_user("mgr", "manager")
    mgr2 = server.add_user("mgr2", "manager")
    other = Api(server, "mgr2")
    theirs, their_contact = str(uuid.uuid4()), str(uuid.uuid4())
    other.push(
        other.item("client", theirs, "create", {"name": "Theirs Co", "owner_id": mgr2}),
        other.item("contact", their_contact, "create", {"name": "Their CEO"}, client_id=theirs),
    )
    api = Api(server, "mgr")
    mine, contact = str(uuid.uuid4()), str(uuid.uuid4())
    sneaky, sneaky2 = str(uuid.uuid4()), str(uuid.uuid4())
    results = api.push(
        api.item("client", sneaky, "create", {"name": "Sneaky Co", "owner_id": mgr2, "backup_owner_id": mgr}),
        api.item("client", sneaky2, "create", {"name": "Sneaky 2", "owner_id": mgr, "backup_owner_id": mgr2}),
        api.item("client", mine, "create", {"name": "Mine Co", "owner_id": mgr}),
        api.item("contact", contact, "create", {"name": "My contact"}, client_id=mine),
    )
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied", "applied"]
    assert results[0]["code"] == results[1]["code"] == p.R_NOT_ALLOWED
    results = api.push(
        api.item("client_team_member", str(uuid.uuid4()), "create", {"user_id": mgr2}, client_id=mine),
        api.item("client", mine, "update", {"backup_owner_id": mgr2}),
        api.item("contact", contact, "update", {"reports_to_id": their_contact}),
        api.item("contact", contact, "update", {"reports_to_id": str(uuid.uuid4())}),  # does not exist
        api.item("contact", their_contact, "update", {"title": "CFO"}),
        api.item("contact", str(uuid.uuid4()), "update", {"title": "CFO"}),  # does not exist
    )
    assert [r["status"] for r in results] == ["rejected"] * 6
    assert results[0]["code"] == results[1]["code"] == p.R_NOT_ALLOWED
    # a row outside her scope and a row that does not exist are refused alike
    assert results[2]["reason"] == results[3]["reason"] and results[2]["code"] == results[3]["code"]
    assert (results[4]["code"], results[4]["reason"]) == (results[5]["code"], results[5]["reason"])
    assert "Theirs" not in str(results) and theirs not in str(results)
    assert theirs not in api.pull_all()
    assert _record(server, sneaky) is None and _record(server, sneaky2) is None


# -- 3. field staff never read confidential text --------------------------------------------------
@pytest.fixture
def served(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("fred", "field")
    a, boss, f = make_device("alice"), make_device("boss"), make_device("fred")
    a.sync()
    cid = clients.create_client(a.ctx, name="Served Co", annual_fees=900000)
    secret = service.create_note(a.ctx, cid, "The CFO's cousin runs the lab", confidential=True)
    public = service.create_note(a.ctx, cid, "Gate code 1234")
    a.sync()
    boss.sync()
    from accountdesk.services.team import add_team_member

    add_team_member(boss.ctx, cid, "fred")
    boss.sync()
    a.sync()
    f.sync()
    return {"a": a, "boss": boss, "f": f, "client": cid, "secret": secret, "public": public}


def test_field_staff_cannot_unflag_a_confidential_note(server, served):
    f = served["f"]
    api = Api(server, "fred", f.ctx.device_id)
    [res] = api.push(api.item("service_note", served["secret"], "update", {"confidential": False}))
    assert res["status"] == "rejected" and res["code"] == p.R_CONFIDENTIAL
    # nor can she make a public note confidential and back (what decides it is not hers to write)
    [res] = api.push(api.item("service_note", served["public"], "update", {"confidential": True}))
    assert res["status"] == "rejected" and res["code"] == p.R_CONFIDENTIAL
    rows = api.pull_all()
    assert rows[served["secret"]]["data"]["text"] is None and "cousin" not in str(rows)
    # the laptop refuses it at the field, too
    from accountdesk.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.update_note(f.ctx, served["secret"], confidential=False)


def test_field_staff_cannot_read_confidential_text_through_conflicts(server, served):
    a, f = served["a"], served["f"]
    note = served["public"]
    # concurrently: fred edits the public note; alice makes it confidential with a new text
    service.update_note(f.ctx, note, text="Gate code changed to 9876")
    service.update_note(
        a.ctx, note, text="Gate code is 5555; the guard is the CFO's cousin", confidential=True
    )
    a.sync()
    f.sync()
    # and a delete that wins against an edit: alice edits the secret note, deletes it; fred edited it? he cannot
    # (confidential); so: fred edits another public note that alice makes confidential and deletes
    other = service.create_note(a.ctx, served["client"], "Parking behind building B")
    a.sync()
    f.sync()
    service.update_note(f.ctx, other, text="Parking moved to building C")
    service.update_note(a.ctx, other, confidential=True, text="Parking: ask the CFO's cousin")
    records.delete_record(a.ctx, "service_note", other)
    a.sync()
    f.sync()
    f.sync()
    api = Api(server, "fred", f.ctx.device_id)
    rows = api.pull_all()
    assert "cousin" not in str(rows) and "5555" not in str(rows)
    with f.ctx.read() as s:
        from sqlalchemy import select

        from accountdesk.models import Conflict

        stored = " ".join(f"{c.kept_value} {c.lost_value}" for c in s.scalars(select(Conflict)))
        texts = " ".join(n.text for n in s.scalars(select(ServiceNote)))
    assert "cousin" not in stored + texts and "5555" not in stored + texts
    # the history tells her nothing either, now that the note is confidential
    history = httpx.get(server.url + f"/v1/history/{served['client']}", headers=api.h).text
    assert "cousin" not in history and "5555" not in history and "Gate code" not in history
    # the manager sees both values of the conflicts
    manager = Api(server, "alice", a.ctx.device_id).pull_all()
    assert "5555" in str(manager)


def test_field_staff_cannot_forge_conflicts(server, served):
    a, f = served["a"], served["f"]
    api = Api(server, "fred", f.ctx.device_id)
    forged = {
        "entity": "client",
        "row_id": served["client"],
        "field": "annual_fees",
        "kept_value": 1,
        "lost_value": 999999999,
        "lost_by": api.uid,
    }
    [res] = api.push(api.item("conflict", str(uuid.uuid4()), "create", forged, client_id=served["client"]))
    assert res["status"] == "rejected" and res["code"] == p.R_SERVER_OWNED
    # a real conflict's values cannot be rewritten either, only its resolution recorded
    service.update_note(f.ctx, served["public"], text="fred's text")
    service.update_note(a.ctx, served["public"], text="alice's text")
    a.sync()
    f.sync()
    [c] = conflicts(f, served["public"])
    [res] = api.push(api.item("conflict", c.id, "update", {"lost_value": 999999999, "field": "annual_fees"}))
    assert res["status"] == "rejected"
    [res] = api.push(
        api.item("conflict", c.id, "update", {"resolution": "kept", "resolved_by": str(uuid.uuid4())})
    )
    assert res["status"] == "applied"
    assert _record(server, c.id)["data"]["resolved_by"] == api.uid  # who says so, not who is claimed
    assert client(a, served["client"]).annual_fees == 900000


# -- 4. one laptop cannot stop everyone's sync ---------------------------------------------------
def test_rows_no_laptop_could_store_are_refused_or_completed_and_every_laptop_still_syncs(
    server, make_device
):
    server.add_user("boss", "supervisor")
    mgr = server.add_user("mgr", "manager")
    api = Api(server, "mgr")
    cid, contact, bad = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    results = api.push(
        api.item("client", cid, "create", {"name": "Shapes Co", "owner_id": mgr}),
        # no is_primary (NOT NULL on the laptop): completed with its default
        api.item("contact", contact, "create", {"name": "No primary flag"}, client_id=cid),
        api.item("contact", bad, "create", {"name": "Lone \ud800 surrogate"}, client_id=cid),
        api.item("contact", str(uuid.uuid4()), "create", {"title": "no name"}, client_id=cid),
        api.item("contact", str(uuid.uuid4()), "create", {"name": "x" * 101}, client_id=cid),
        api.item(
            "contact", str(uuid.uuid4()), "create", {"name": "Enum", "attitude": "hostile"}, client_id=cid
        ),
        api.item("contact", str(uuid.uuid4()), "create", {"name": "Range", "influence": 11}, client_id=cid),
    )
    assert [r["status"] for r in results] == ["applied", "applied"] + ["rejected"] * 5
    assert all(r["code"] == p.R_INVALID for r in results[2:])
    assert _record(server, contact)["data"]["is_primary"] is False
    # a brand-new supervisor laptop and the manager's laptop sync with no error
    for name in ("boss", "mgr"):
        dev = make_device(name)
        report = dev.sync()
        assert report.rejected == 0 and get(dev, Contact, contact).is_primary is False


def test_two_laptops_creating_the_same_catalogue_code_are_reconciled(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("sup2", "supervisor")
    a, b = make_device("boss"), make_device("sup2")
    a.sync()
    b.sync()
    first = service.create_offering(a.ctx, code="VAS-LEDGER", name="Ledger review", category="value_added")
    second = service.create_offering(b.ctx, code="VAS-LEDGER", name="Ledger audit", category="value_added")
    a.sync()
    report = b.sync()
    assert report.rejected == 0
    b.sync()
    a.sync()
    codes = {}
    for dev in (a, b):
        with dev.ctx.read() as s:
            codes[dev.username] = {
                o.id: o.code for o in s.scalars(__import__("sqlalchemy").select(ServiceOffering))
            }
    assert codes["boss"] == codes["sup2"] == {first: "VAS-LEDGER", second: "VAS-LEDGER-2"}
    # the rename is recorded for a supervisor to see
    renamed = [c for c in list_conflicts(a.ctx) if c["row_id"] == second]
    assert renamed and renamed[0]["field"] == "code" and renamed[0]["lost_value"] == "VAS-LEDGER"
    # and a brand-new laptop pulls both
    fresh = make_device("boss", name="fresh")
    assert fresh.sync().rejected == 0


def test_a_demo_profile_cannot_push_its_demo_data_to_a_company_server(server, make_device, tmp_path):
    from accountdesk.services.demo import generate_demo

    server.add_user("boss", "supervisor")
    dev = make_device("boss")
    generate_demo(dev.ctx, clients=3, seed=4)
    with pytest.raises(DemoProfileRefused) as refused:
        dev.sync()
    assert refused.value.exit_code == 2 and "--start-clean" in refused.value.message
    with server.db.read() as conn:
        assert not repo.live_clients(conn)
    dev.engine.start_clean = True
    report = dev.sync()
    assert report.pushed == 0 and client_ids(dev) == set()
    with server.db.read() as conn:
        assert not repo.live_clients(conn)


# -- 5. one bad value never blocks a laptop's outbox ------------------------------------------------
HOSTILE = [
    (
        "nul in text",
        lambda a, cid: a.item("contact", str(uuid.uuid4()), "create", {"name": "NUL\x00name"}, client_id=cid),
    ),
    ("nul in id", lambda a, cid: a.item("contact", "bad\x00id", "create", {"name": "x"}, client_id=cid)),
    (
        "nul in clock",
        lambda a, cid: a.item(
            "contact",
            str(uuid.uuid4()),
            "create",
            {"name": "x"},
            client_id=cid,
            hlc="0001796636620581-00000-ab\x00",
        ),
    ),
    (
        "surrogate",
        lambda a, cid: a.item("contact", str(uuid.uuid4()), "create", {"name": "x\udfff"}, client_id=cid),
    ),
    (
        "deep json",
        lambda a, cid: a.item(
            "client",
            cid,
            "update",
            {"tags": __import__("functools").reduce(lambda acc, _: [acc], range(500), [])},
        ),
    ),
    (
        "utc overflow low",
        lambda a, cid: a.item(
            "visit",
            str(uuid.uuid4()),
            "create",
            {"kind": "return_visit", "planned_start": "0001-01-01T00:00:00+01:00"},
            client_id=cid,
        ),
    ),
    (
        "utc overflow high",
        lambda a, cid: a.item(
            "visit",
            str(uuid.uuid4()),
            "create",
            {"kind": "return_visit", "planned_start": "9999-12-31T23:59:59-05:00"},
            client_id=cid,
        ),
    ),
    (
        "huge name",
        lambda a, cid: a.item(
            "contact", str(uuid.uuid4()), "create", {"name": "长" * (10 * 1024 * 1024 // 4)}, client_id=cid
        ),
    ),
    (
        "unknown field",
        lambda a, cid: a.item(
            "contact", str(uuid.uuid4()), "create", {"name": "x", "server_seq": 5}, client_id=cid
        ),
    ),
    ("big number", lambda a, cid: a.item("client", cid, "update", {"employees": 2**70})),
]


def test_one_hostile_value_is_refused_alone_and_the_rest_of_the_batch_lands(server):
    mgr = server.add_user("mgr", "manager")
    api = Api(server, "mgr")
    cid = str(uuid.uuid4())
    api.push(api.item("client", cid, "create", {"name": "Batch Co", "owner_id": mgr}))
    for label, make in HOSTILE:
        good = str(uuid.uuid4())
        items = [
            make(api, cid),
            api.item("contact", good, "create", {"name": f"good after {label}"}, client_id=cid),
        ]
        r = api.push_raw(items)
        assert r.status_code == 200, (label, r.status_code, r.text[:300])
        [bad, fine] = r.json()["results"]
        assert bad["status"] == "rejected" and bad["code"] in (p.R_INVALID,), (label, bad)
        assert "\x00" not in bad["reason"] and len(bad["reason"]) < 200, label
        assert fine["status"] == "applied", label
        assert _record(server, good)["data"]["name"] == f"good after {label}"


def test_a_laptop_refuses_such_values_at_the_field(ctx):
    cid = clients.create_client(ctx, name="Field Co")
    for name in ("NUL\x00name", "x\ud800"):
        with pytest.raises(ValidationError) as err:
            contacts.create_contact(ctx, cid, name=name)
        assert err.value.errors[0][0] == "name"
    with pytest.raises(ValidationError) as err:
        records.create_record(
            ctx,
            "visit",
            {"kind": "return_visit", "planned_start": "0001-01-01T00:00:00+01:00"},
            client_id=cid,
        )
    assert err.value.errors[0][0] == "planned_start"


def test_an_edit_that_makes_a_deleted_note_confidential_leaks_nothing_through_its_conflict(server, served):
    """Delete wins against an edit; the losing edit made the note confidential: its text is kept
    as a conflict, stripped for field staff (found by the hostile property test)."""
    a, f = served["a"], served["f"]
    api = Api(server, "alice")
    [res] = api.push(api.item("service_note", served["public"], "delete", {}))
    assert res["status"] == "applied"
    service.update_note(
        a.ctx, served["public"], text="The CFO's cousin holds the gate key", confidential=True
    )
    a.sync()
    f.sync()
    fred = Api(server, "fred", f.ctx.device_id).pull_all()
    assert "cousin" not in str(fred)
    with f.ctx.read() as s:
        from sqlalchemy import select

        from accountdesk.models import Conflict

        assert "cousin" not in " ".join(str(c.lost_value) for c in s.scalars(select(Conflict)))
    assert "cousin" in str(Api(server, "alice").pull_all())


def test_settling_a_confidential_conflict_does_not_reveal_it(server, served):
    """Recording how a conflict was settled must keep its values stripped (found by the
    hostile property test: the update recomputed the conflict's stripping from its own fields)."""
    a, f = served["a"], served["f"]
    manager, other = Api(server, "alice"), Api(server, "alice")
    base = _record(server, served["secret"])["seq"]
    manager.push(
        manager.item("service_note", served["secret"], "update", {"text": "cousin one"}, base_seq=base)
    )
    other.push(other.item("service_note", served["secret"], "update", {"text": "cousin two"}, base_seq=base))
    a.sync()
    f.sync()
    fred = Api(server, "fred", f.ctx.device_id)
    conflict_ids = [i for i, r in fred.pull_all().items() if r["entity"] == "conflict"]
    assert conflict_ids and "cousin" not in str(fred.pull_all())
    [res] = fred.push(fred.item("conflict", conflict_ids[0], "update", {"resolution": "kept"}))
    assert res["status"] == "applied"
    f.sync()
    assert "cousin" not in str(fred.pull_all())
    with f.ctx.read() as s:
        from sqlalchemy import select

        from accountdesk.models import Conflict

        assert "cousin" not in " ".join(f"{c.kept_value} {c.lost_value}" for c in s.scalars(select(Conflict)))


# -- who does a piece of work: moving someone else's work is a supervisor's reassignment ----------
def test_a_manager_cannot_take_or_move_someone_elses_work(server, served):
    from accountdesk.errors import PermissionDenied
    from accountdesk.services import feedback as fb

    a, boss, f = served["a"], served["boss"], served["f"]
    fred = f.ctx.actor.id
    case = fb.create_feedback(
        a.ctx,
        served["client"],
        kind="complaint",
        channel="phone",
        severity="high",
        subject="Balance drifts",
        received_at=a.ctx.now().replace(microsecond=0),
        handler_id=fred,
    )  # naming who handles a new case is the recorder's choice
    a.sync()
    f.sync()
    from accountdesk.services import visits

    visit = visits.plan_visit(f.ctx, served["client"], "return_visit", "2027-01-10T09:00:00", owner_id=fred)
    f.sync()
    fred_api = Api(server, "fred", f.ctx.device_id)
    alice = Api(server, "alice", a.ctx.device_id)
    results = alice.push(
        alice.item("feedback", case, "update", {"handler_id": alice.uid}),
        alice.item("visit", visit, "update", {"owner_id": alice.uid}),
        # an unchanged value with other fields is an ordinary edit
        alice.item("feedback", case, "update", {"handler_id": fred, "description": "Drifts 0.3 mg a day"}),
    )
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"], results
    assert results[0]["code"] == results[1]["code"] == p.R_NOT_ALLOWED
    assert _record(server, case)["data"]["handler_id"] == fred
    assert _record(server, visit)["data"]["owner_id"] == fred
    # her laptop refuses it at the field too
    with pytest.raises(PermissionDenied):
        fb.update_feedback(a.ctx, case, handler_id=a.ctx.actor.id)
    # fred gives his own case away; the supervisor reassigns it back
    [res] = fred_api.push(
        fred_api.item(
            "feedback", case, "update", {"handler_id": alice.uid}, base_seq=_record(server, case)["seq"]
        )
    )
    assert res["status"] == "applied", res
    boss_api = Api(server, "boss", boss.ctx.device_id)
    [res] = boss_api.push(
        boss_api.item("feedback", case, "update", {"handler_id": fred}, base_seq=_record(server, case)["seq"])
    )
    assert res["status"] == "applied", res
    assert _record(server, case)["data"]["handler_id"] == fred
