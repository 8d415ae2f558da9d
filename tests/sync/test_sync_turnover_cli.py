"""Turnover through the server's command line, and where the login is kept."""

from __future__ import annotations

import json

import keyring
from keyring.backend import KeyringBackend
from sqlalchemy import select
from sync_helpers import client, client_ids
from test_sync_cli import run, srv

from accountdesk.models import Handover, OwnershipChange
from accountdesk.server.cli import main as server_main
from accountdesk.services import clients, records


def test_leaver_clients_are_listed_and_handed_over_by_the_server_cli(server, make_device, capsys):
    server.add_user("alice", "manager")
    bob = server.add_user("bob", "manager")
    a, b = make_device("alice"), make_device("bob")
    a.sync()
    cid = clients.create_client(a.ctx, name="Turnover Co")
    records.create_record(a.ctx, "contact", {"name": "赵六", "is_primary": True}, client_id=cid)
    a.sync()
    code, out, _ = run(server_main, srv(server, "user", "deactivate", "alice", "--json"), capsys)
    assert code == 0 and json.loads(out)["clients_needing_owner"] == ["Turnover Co"]
    code, out, _ = run(server_main, srv(server, "client", "unowned", "--json"), capsys)
    assert [c["name"] for c in json.loads(out)] == ["Turnover Co"]
    code, out, err = run(
        server_main,
        srv(server, "client", "assign", "Turnover Co", "--to", "bob", "--reason", "left", "--json"),
        capsys,
    )
    assert code == 0, err
    checklist = {i["key"]: i for i in json.loads(out)["checklist"]}
    assert checklist["key_contacts"]["count"] == 1
    code, out, _ = run(server_main, srv(server, "client", "unowned", "--json"), capsys)
    assert json.loads(out) == []
    b.sync()  # the new owner's next sync brings the whole client, its handover and history
    assert cid in client_ids(b) and client(b, cid).owner_id == bob
    with b.ctx.read() as s:
        handover = s.scalars(select(Handover).where(Handover.client_id == cid)).one()
        assert handover.reason == "left" and handover.to_user_id == bob
        assert (
            s.scalars(select(OwnershipChange).where(OwnershipChange.client_id == cid)).one().to_user_id == bob
        )


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps secrets in this process (stands in for the OS keyring).
    Its negative priority keeps keyring from ever choosing it by itself (subclasses register)."""

    priority = -1

    def __init__(self):
        super().__init__()
        self.secrets = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


def test_refresh_token_lives_in_the_keyring_and_nowhere_else(server, make_device, capsys):
    from accountdesk.sync.client import SyncEngine
    from accountdesk.sync.credentials import Credentials

    server.add_user("alice", "manager")
    dev = make_device("alice")
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        creds = Credentials(server.url, "alice", password="secret-pass-1", use_keyring=True)
        engine = SyncEngine(dev.ctx, server.url, creds)
        engine.sync()
        engine.close()
        key = ("AccountDesk", f"{server.url}|alice")
        assert set(ring.secrets) == {
            key,
            ("AccountDesk", f"{server.url}|alice|device-key"),
        }  # and the device key
        token, device_key = ring.secrets[key], ring.secrets[("AccountDesk", f"{server.url}|alice|device-key")]
        assert len(token) > 20 and len(device_key) > 20
        for path in dev.path.rglob("*"):
            if path.is_file():
                assert token.encode() not in path.read_bytes(), path
                assert device_key.encode() not in path.read_bytes(), path
        # the next sync needs no password: the keyring's token is enough
        engine = SyncEngine(
            dev.ctx, server.url, Credentials(server.url, "alice", password=None, use_keyring=True)
        )
        assert engine.sync().pushed == 0
        engine.close()
        assert ring.secrets[key] != token  # refresh tokens are single use (rotated)
    finally:
        keyring.set_keyring(previous)


def test_handovers_and_reassignments_from_a_device_are_audited(server, make_device):
    from accountdesk.server import repo
    from accountdesk.services.handover import assign_client

    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    a, boss = make_device("alice"), make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="Audited Co")
    a.sync()
    boss.sync()
    assign_client(boss.ctx, cid, "bob", "workload")
    boss.sync()
    with server.db.read() as conn:
        actions = [(e["action"], e["detail"].get("client_id")) for e in repo.audit_log(conn)]
    assert ("handover", cid) in actions and ("reassign", cid) in actions
    assert sum(1 for a_, _ in actions if a_ == "login") == 2
