"""Where the features of moving a company in meet, on SQLite and PostgreSQL with a real server process:
the administrator imports the ledger on the server, the account manager works the imported clients
on her laptop (a complaint, a signed agreement as a file, then an edit made offline), leaves, and
the supervisor hands everything she held to her successor with the server's command line. What
the next people see is asserted: the successor's laptop holds the clients, the complaint to handle
and the file byte for byte; the leaver's offline edit does not land; the supervisor prints the
handover report of a client with open work (the case the report used to crash on)."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import select
from sync_helpers import client, client_ids
from test_sync_cli import run, srv

from accountdesk.models import Client, Feedback
from accountdesk.reports import render_handover
from accountdesk.server.cli import main as server_main
from accountdesk.services import attachments, clients, feedback
from accountdesk.sync.client import SyncError
from accountdesk.sync.files import FileSync

pytestmark = pytest.mark.timeout(400)

AGREEMENT = b"%PDF-1.4\n% signed service agreement, 2027\n" + bytes(range(256)) * 40


def _names(dev) -> dict[str, str]:
    with dev.ctx.read() as s:
        return {c.name: c.id for c in s.scalars(select(Client).where(Client.deleted_at.is_(None)))}


def test_imported_clients_worked_offline_then_handed_over_reach_the_successor_whole(
    server, make_device, tmp_path, capsys
):
    server.add_user("lead", "supervisor")
    alice = server.add_user("alice", "manager")
    bob = server.add_user("bob", "manager")

    # 1. The administrator moves the ledger in on the server (no laptop).
    ledger = tmp_path / "ledger.csv"
    ledger.write_bytes(
        "客户名称,客户等级,城市\r\n华东精密仪器有限公司,重点客户,上海\r\n北方检测技术有限公司,standard,北京\r\n".encode(
            "gb18030"
        )
    )
    code, out, err = run(
        server_main,
        srv(server, "import", str(ledger), "--kind", "clients", "--owner", "alice", "--json"),
        capsys,
    )
    assert code == 0, err
    assert json.loads(out)["result"]["created"] == 2

    # 2. The account manager's laptop receives the imported clients as her own, and works them.
    a = make_device("alice")
    a.sync()
    names = _names(a)
    assert set(names) == {"华东精密仪器有限公司", "北方检测技术有限公司"}
    cid = names["华东精密仪器有限公司"]
    assert client(a, cid).owner_id == alice
    complaint = feedback.record_feedback(
        a.ctx, cid, "complaint", "校准证书延期两周", severity="high", handler="alice"
    )
    att = attachments.add_bytes(a.ctx, cid, AGREEMENT, "服务协议-2027.pdf", title="服务协议（已签）")
    a.sync()
    assert FileSync(a.engine).run().uploaded == 1

    # 3. She leaves. An edit made on her laptop afterwards, offline, must never land.
    clients.update_client(a.ctx, cid, name="被离职员工改掉的名字")
    code, out, err = run(
        server_main,
        srv(server, "user", "handover", "alice", "--to", "bob", "--reason", "离职", "--deactivate", "--json"),
        capsys,
    )
    assert code == 0, err
    result = json.loads(out)
    assert sorted(h["client_id"] for h in result["handovers"]) == sorted(names.values())
    assert result["deactivated"]
    with pytest.raises(SyncError):
        a.sync()  # her device is revoked: the edit stays on the lost laptop

    # 4. The successor's laptop: both clients, the complaint to handle, the signed agreement.
    b = make_device("bob")
    b.sync()
    files = FileSync(b.engine).run()
    assert client_ids(b) == set(names.values())
    assert {client(b, c).owner_id for c in names.values()} == {bob}
    assert client(b, cid).name == "华东精密仪器有限公司"
    with b.ctx.read() as s:
        assert s.get(Feedback, complaint).handler_id == bob
    assert files.downloaded == 1
    assert attachments.read_bytes(b.ctx, att) == AGREEMENT

    # 5. The supervisor prints the handover report of the client handed over with open work.
    lead = make_device("lead")
    lead.sync()
    pdf = render_handover(lead.ctx, cid, tmp_path / "handover.pdf").path
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "华东精密仪器有限公司" in text and "校准证书延期两周" in text
