"""A resignation end to end on a real server (SQLite and PostgreSQL), issue 13: a manager with 7
clients, open complaints, planned visits, improvement items and edits not yet pushed; a
supervisor distributes the clients over two successors on the laptop (services, then the same
through the command lines); the successors' fresh laptops sync and see their clients with the
open work assigned to them; the handover report (pdftotext) lists every open item with its
deadline and new handler; the leaver's pending edits arrive; the leaver's laptop is wiped at its
next contact after the deactivation."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import pytest
from sqlalchemy import select
from sync_env import PASSWORD
from sync_helpers import client_ids
from test_sync_cli import run, srv

from accountdesk.models import Client, Conflict, Feedback, Handover, ImprovementItem, Visit, VisitPlan
from accountdesk.reports import render_handover
from accountdesk.server import admin
from accountdesk.server.cli import main as server_main
from accountdesk.services import records, turnover
from accountdesk.sync.client import DeviceRevoked

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed")

SOON = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(microsecond=0)
PROVINCES = ["江苏省", "江苏省", "浙江省", "浙江省", "上海市", "江苏省", "浙江省"]


def add_staff(server) -> dict[str, str]:
    ids = {}
    for key, login, name, role in (("boss", "zhouqiang", "周强", "supervisor"), ("leaver", "liuhaitao", "刘海涛", "manager"),
                                   ("wang", "wanglei", "王磊", "manager"), ("zhang", "zhangmin", "张敏", "manager")):
        ids[key] = admin.add_user(server.db, login, role, PASSWORD, display_name=name)["id"]
    return ids


def leaver_portfolio(dev, n: int = 7) -> list[str]:
    """The leaver's clients, each with an open complaint he handles (deadline), a planned visit,
    a visit plan and an open improvement item of his, a key contact — written on his laptop."""
    ids = []
    for i in range(n):
        cid = records.create_record(dev.ctx, "client", {"name": f"离职交接测试客户{i}", "province": PROVINCES[i], "tier": "key"})
        add = lambda entity, **v: records.create_record(dev.ctx, entity, v, client_id=cid)  # noqa: E731,B023
        add("contact", name=f"联系人{i}", title="总经理", is_primary=True, mobile=f"1380013800{i}")
        add("feedback", kind="complaint", channel="written", received_at="2026-11-30T08:00:00+00:00", severity="high",
            subject=f"投诉{i}：证书延期", handler_id=dev.ctx.actor.id, due_at=f"2026-12-{10 + i:02d}T08:00:00+00:00")
        add("visit", kind="return_visit", channel="onsite", planned_start=(SOON + dt.timedelta(days=i)).isoformat(),
            status="planned", owner_id=dev.ctx.actor.id, purpose=f"回访{i}")
        add("visit_plan", kind="return_visit", every_months=1, owner_id=dev.ctx.actor.id)
        plan = add("improvement_plan", year=2026, title="改进计划")
        add("improvement_item", plan_id=plan, action=f"改进{i}：缩短出具周期", owner_id=dev.ctx.actor.id, due_on="2026-12-31")
        ids.append(cid)
    return ids


def open_work(dev, cid: str) -> dict[str, set]:
    with dev.ctx.read() as s:
        return {
            "handlers": set(s.scalars(select(Feedback.handler_id).where(Feedback.client_id == cid))),
            "visits": set(s.scalars(select(Visit.owner_id).where(Visit.client_id == cid))),
            "plans": set(s.scalars(select(VisitPlan.owner_id).where(VisitPlan.client_id == cid))),
            "items": set(s.scalars(select(ImprovementItem.owner_id).where(ImprovementItem.client_id == cid))),
        }


def pdf_text(path) -> str:
    return "".join(subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout.split())


def pending_edits(dev, cids: list[str]) -> dict[str, str]:
    """Edits on the leaver's laptop, not pushed yet: a complaint's description per client."""
    made = {}
    with dev.ctx.read() as s:
        rows = {f.client_id: f.id for f in s.scalars(select(Feedback).where(Feedback.client_id.in_(cids)))}
    for cid in cids:
        text = f"离职前补记：{cid[-6:]}"
        records.update_record(dev.ctx, "feedback", rows[cid], {"description": text})
        made[rows[cid]] = text
    return made


def assert_successor_laptop(dev, cids: list[str], user_id: str, edits: dict[str, str]) -> None:
    assert client_ids(dev) == set(cids)
    for cid in cids:
        work = open_work(dev, cid)
        assert work == {"handlers": {user_id}, "visits": {user_id}, "plans": {user_id}, "items": {user_id}}, cid
        with dev.ctx.read() as s:
            assert s.get(Client, cid).owner_id == user_id
            [h] = s.scalars(select(Handover).where(Handover.client_id == cid, Handover.to_user_id == user_id)).all()
            assert {i["key"] for i in h.checklist} >= {"open_feedback", "upcoming_visits", "open_improvement_items"}
            # the leaver's last edit: applied, or kept as a conflict the successor sees
            fb = s.scalars(select(Feedback).where(Feedback.client_id == cid)).one()
            kept = {c.lost_value for c in s.scalars(select(Conflict).where(Conflict.row_id == fb.id))}
            assert fb.description == edits[fb.id] or edits[fb.id] in kept, cid


def test_resignation_split_over_two_successors(server, make_device, tmp_path):
    staff = add_staff(server)
    leaver = make_device("liuhaitao")
    leaver.sync()
    cids = leaver_portfolio(leaver)
    leaver.sync()
    edits = pending_edits(leaver, cids)  # made offline: not pushed before the handover

    boss = make_device("zhouqiang")
    boss.sync()
    held = turnover.holdings(boss.ctx, "刘海涛")
    assert {c.id for c in held.of_role("owner")} == set(cids)
    assert len(held.complaints) == len(held.planned_visits) == len(held.improvement_items) == len(held.visit_plans) == 7
    found = {c.login: c for c in turnover.candidates(boss.ctx, exclude=[staff["leaver"]])}
    assert found["wanglei"].clients_owned == 0 and "liuhaitao" not in found
    plan = {cid: ("王磊" if i < 4 else "zhangmin") for i, cid in enumerate(cids)}
    done = turnover.resign(boss.ctx, "liuhaitao", plan, reason="刘海涛离职")
    assert len(done.handovers) == 7 and not done.unmoved
    assert all(len(h["moves"]) == 4 for h in done.handovers)
    boss.sync()

    leaver.sync()  # his pending edits go out; the clients leave his laptop
    assert client_ids(leaver) == set()

    wang, zhang = make_device("wanglei"), make_device("zhangmin")
    wang.sync()
    zhang.sync()
    assert_successor_laptop(wang, cids[:4], staff["wang"], edits)
    assert_successor_laptop(zhang, cids[4:], staff["zhang"], edits)

    # the report the successor signs, printed on the successor's laptop
    text = pdf_text(render_handover(wang.ctx, cids[0], tmp_path / "h.pdf").path)
    for expected in ("Handoverreport", "刘海涛离职", "投诉0：证书延期", "2026-12-10", "回访0", "改进0：缩短出具周期", "王磊", "刘海涛",
                     "联系人0"):
        assert expected in text, expected
    assert "投诉4" not in text  # another client's work

    # the leaver is deactivated on the server: his laptop wipes itself at its next contact
    assert admin.deactivate_user(server.db, "liuhaitao")["devices_revoked"] == 1
    with pytest.raises(DeviceRevoked):
        leaver.sync()
    with leaver.ctx.read() as s:
        assert s.scalar(select(Feedback.id).limit(1)) is None


def test_resignation_through_the_command_lines(server, make_device, capsys, tmp_path):
    from accountdesk.cli import main as device_main

    staff = add_staff(server)
    leaver = make_device("liuhaitao")
    leaver.sync()
    cids = leaver_portfolio(leaver, 4)
    leaver.sync()
    boss = make_device("zhouqiang")
    boss.sync()
    # two clients from the supervisor's laptop: `clients assign --from`, then the rest on the server
    code, out, err = run(device_main, ["--data-dir", str(boss.path), "clients", "assign", cids[0], cids[1], "--to", "王磊",
                                       "--reason", "分批交接", "--json"], capsys)
    assert code == 0, err
    assert [h["to_user_id"] for h in json.loads(out)] == [staff["wang"], staff["wang"]]
    boss.sync()
    code, out, err = run(server_main, srv(server, "user", "handover", "刘海涛", "--to", "zhangmin", "--reason", "离职",
                                          "--deactivate", "--json"), capsys)
    assert code == 0, err
    result = json.loads(out)
    assert sorted(h["client_id"] for h in result["handovers"]) == sorted(cids[2:])
    assert result["deactivated"] and result["devices_revoked"] == 1 and result["unmoved"] == []
    assert all({m["entity"] for m in h["moves"]} == {"feedback", "visit", "visit_plan", "improvement_item"}
               for h in result["handovers"])
    code, _out, err = run(server_main, srv(server, "user", "handover", "zhangmin", "--to", "刘海涛"), capsys)
    assert code == 2 and "deactivated" in err  # a deactivated user takes on nothing
    wang, zhang = make_device("wanglei"), make_device("zhangmin")
    wang.sync()
    zhang.sync()
    for dev, mine, uid in ((wang, cids[:2], staff["wang"]), (zhang, cids[2:], staff["zhang"])):
        assert client_ids(dev) == set(mine)
        for cid in mine:
            assert open_work(dev, cid) == {"handlers": {uid}, "visits": {uid}, "plans": {uid}, "items": {uid}}
    # the report of a server-made handover, through the successor's command line
    out_pdf = tmp_path / "server-handover.pdf"
    code, _out, err = run(device_main, ["--data-dir", str(zhang.path), "--lang", "zh_CN", "report", "handover", cids[2],
                                        "--out", str(out_pdf)], capsys)
    assert code == 0, err
    text = pdf_text(out_pdf)
    for expected in ("交接报告", "离职", "投诉2：证书延期", "2026-12-12", "张敏", "回访2", "改进2：缩短出具周期"):
        assert expected in text, expected
    with pytest.raises(DeviceRevoked):
        leaver.sync()
