"""End-to-end sync against a real server process: push, pull, merge, idempotency."""

from __future__ import annotations

from sqlalchemy import select

from accountdesk.models import Client, Conflict, OutboxEntry
from accountdesk.services import clients


class _Row:
    def __init__(self, row):
        self.__dict__.update({c.key: getattr(row, c.key) for c in row.__table__.columns})


def _client(dev, client_id):
    with dev.ctx.read() as s:
        return _Row(s.get(Client, client_id))


def test_edits_on_two_devices_reach_each_other(server, make_device):
    server.add_user("boss", "supervisor")
    alice_id = server.add_user("alice", "manager")
    a = make_device("alice")
    b = make_device("boss")
    a.sync()  # log in: alice becomes the actor of her profile
    cid = clients.create_client(a.ctx, name="护航科技", tier="key", annual_fees=120000)
    report = a.sync()
    assert report.pushed == 1 and report.rejected == 0
    rb = b.sync()
    assert rb.pulled >= 1
    row = _client(b, cid)
    assert row.name == "护航科技" and row.annual_fees == 120000 and row.owner_id == alice_id
    clients.update_client(b.ctx, cid, city="上海")
    b.sync()
    a.sync()
    assert _client(a, cid).city == "上海"
    with a.ctx.read() as s:
        assert s.scalar(select(OutboxEntry.seq)) is None  # nothing left to push


def test_same_field_conflict_higher_clock_wins_everywhere(server, make_device):
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    a = make_device("alice")
    b = make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="ACME")
    a.sync()
    b.sync()
    clients.update_client(a.ctx, cid, city="Beijing")  # earlier clock
    clients.update_client(b.ctx, cid, city="Shenzhen")  # later clock: wins
    ra = a.sync()
    rb = b.sync()
    a.sync()
    assert _client(a, cid).city == _client(b, cid).city == "Shenzhen"
    for dev in (a, b):
        with dev.ctx.read() as s:
            conflicts = [_Row(c) for c in s.scalars(select(Conflict).where(Conflict.row_id == cid)).all()]
        assert [(c.field, c.kept_value, c.lost_value) for c in conflicts] == [("city", "Shenzhen", "Beijing")]
    assert ra.pushed == 1 and rb.pushed == 1


def test_retried_batch_is_applied_once(server, make_device):
    server.add_user("alice", "manager")
    a = make_device("alice")
    a.sync()
    clients.create_client(a.ctx, name="Once Ltd")
    # a crash after the server committed but before the reply was read: the batch id is kept
    batch = a.engine._next_batch()
    assert batch is not None
    body = {
        "batch_id": batch[0],
        "items": [
            {
                "entity": e.entity,
                "row_id": e.row_id,
                "client_id": e.client_id,
                "op": e.op,
                "fields": e.fields,
                "hlc": e.hlc,
                "base_seq": e.base_seq,
                "schema_version": e.schema_version,
            }
            for e in batch[1]
        ],
    }
    first = a.engine._request("POST", "/v1/sync/push", body=body)
    assert first["replayed"] is False
    report = a.sync()  # resends the same batch: answered from the stored result
    assert report.pushed == 1
    with server.db.read() as conn:
        from accountdesk.server import repo

        assert repo.current_seq(conn) == first["results"][0]["seq"]  # nothing applied twice


def test_a_batch_answered_by_an_earlier_server_version_is_still_replayed(server, make_device):
    """Answers are stored as their JSON text; one stored as a JSON object (an earlier version)
    is answered from as it is."""
    server.add_user("alice", "manager")
    a = make_device("alice")
    a.sync()
    clients.create_client(a.ctx, name="Stored Before Ltd")
    batch = a.engine._next_batch()
    assert batch is not None
    body = {
        "batch_id": batch[0],
        "items": [
            {
                "entity": e.entity,
                "row_id": e.row_id,
                "client_id": e.client_id,
                "op": e.op,
                "fields": e.fields,
                "hlc": e.hlc,
                "base_seq": e.base_seq,
                "schema_version": e.schema_version,
            }
            for e in batch[1]
        ],
    }
    first = a.engine._request("POST", "/v1/sync/push", body=body)
    from sqlalchemy import update

    from accountdesk.server import tables as t

    with server.db.write() as conn:  # as an earlier version stored it
        stored = conn.execute(t.batches.select()).mappings().one()
        assert isinstance(stored["result"], str)
        conn.execute(update(t.batches).values(result=first))
    again = a.engine._request("POST", "/v1/sync/push", body=body)
    assert again["replayed"] is True and again["results"] == first["results"]
    assert a.sync().pushed == 1


def test_pull_never_overwrites_a_pending_local_edit(server, make_device):
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    a = make_device("alice")
    b = make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="Pending Co")
    a.sync()
    b.sync()
    clients.update_client(b.ctx, cid, city="Wuhan", industry="Steel")
    b.sync()
    clients.update_client(a.ctx, cid, city="Hefei")  # pending on a
    # pull only (no push first): the pending city stays, the other field arrives
    from accountdesk.sync.client import SyncReport

    a.engine._pull(SyncReport(), lambda *x: None, lambda: None)
    row = _client(a, cid)
    assert row.city == "Hefei" and row.industry == "Steel"


def test_a_profile_used_before_joining_hands_its_work_to_the_server_user(server, make_device):
    """Work done offline before the first sync was done as the profile's local user; joining
    makes it the server user's: the clients are theirs on every laptop, nothing is refused,
    and the local user is not pushed."""
    boss_id = server.add_user("boss", "supervisor")
    alice_id = server.add_user("alice", "manager")
    a = make_device("alice")
    local_id = a.ctx.actor.id  # first use without a server: a local user
    assert local_id != alice_id
    cid = clients.create_client(a.ctx, name="蓝海检测", tier="key")
    clients.update_client(a.ctx, cid, city="杭州")
    with a.ctx.read() as s:
        assert s.get(Client, cid).owner_id == local_id
    report = a.sync()
    assert report.rejected == 0 and report.pushed >= 2
    assert a.ctx.actor.id == alice_id
    row = _client(a, cid)
    assert row.owner_id == alice_id and row.created_by == alice_id and row.city == "杭州"
    with a.ctx.read() as s:
        assert s.scalar(select(OutboxEntry.seq)) is None  # nothing refused, nothing left
        from accountdesk.models import User

        assert s.get(User, local_id) is None
    b = make_device("boss")
    b.sync()
    row = _client(b, cid)
    assert row.owner_id == alice_id and row.city == "杭州"
    assert boss_id != alice_id
