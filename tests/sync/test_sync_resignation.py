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

import httpx
import pytest
from sqlalchemy import select
from sync_env import PASSWORD
from sync_helpers import client_ids
from test_sync_cli import run, srv

from accountdesk.models import (
    Client,
    Conflict,
    Contact,
    Feedback,
    Handover,
    ImprovementItem,
    Visit,
    VisitPlan,
)
from accountdesk.reports import render_handover
from accountdesk.server import admin, repo
from accountdesk.server.cli import main as server_main
from accountdesk.services import records, turnover
from accountdesk.sync import protocol as p
from accountdesk.sync.client import DeviceRevoked

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed"
)

SOON = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(microsecond=0)
PROVINCES = ["江苏省", "江苏省", "浙江省", "浙江省", "上海市", "江苏省", "浙江省"]


def add_staff(server) -> dict[str, str]:
    ids = {}
    for key, login, name, role in (
        ("boss", "zhouqiang", "周强", "supervisor"),
        ("leaver", "liuhaitao", "刘海涛", "manager"),
        ("wang", "wanglei", "王磊", "manager"),
        ("zhang", "zhangmin", "张敏", "manager"),
    ):
        ids[key] = admin.add_user(server.db, login, role, PASSWORD, display_name=name)["id"]
    return ids


def leaver_portfolio(dev, n: int = 7) -> list[str]:
    """The leaver's clients, each with an open complaint he handles (deadline), a planned visit,
    a visit plan and an open improvement item of his, a key contact — written on his laptop."""
    ids = []
    for i in range(n):
        cid = records.create_record(
            dev.ctx, "client", {"name": f"离职交接测试客户{i}", "province": PROVINCES[i], "tier": "key"}
        )
        add = lambda entity, **v: records.create_record(dev.ctx, entity, v, client_id=cid)  # noqa: E731,B023
        add("contact", name=f"联系人{i}", title="总经理", is_primary=True, mobile=f"1380013800{i}")
        add(
            "feedback",
            kind="complaint",
            channel="written",
            received_at="2026-11-30T08:00:00+00:00",
            severity="high",
            subject=f"投诉{i}：证书延期",
            handler_id=dev.ctx.actor.id,
            due_at=f"2026-12-{10 + i:02d}T08:00:00+00:00",
        )
        add(
            "visit",
            kind="return_visit",
            channel="onsite",
            planned_start=(SOON + dt.timedelta(days=i)).isoformat(),
            status="planned",
            owner_id=dev.ctx.actor.id,
            purpose=f"回访{i}",
        )
        add("visit_plan", kind="return_visit", every_months=1, owner_id=dev.ctx.actor.id)
        plan = add("improvement_plan", year=2026, title="改进计划")
        add(
            "improvement_item",
            plan_id=plan,
            action=f"改进{i}：缩短出具周期",
            owner_id=dev.ctx.actor.id,
            due_on="2026-12-31",
        )
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


def records_of(dev, cids: list[str]) -> dict[str, set[tuple[str, str]]]:
    """Every live record of each client on a laptop: client id -> {(entity, id)}."""
    from accountdesk.models import SYNCABLE

    out: dict[str, set[tuple[str, str]]] = {cid: set() for cid in cids}
    with dev.ctx.read() as s:
        for model in SYNCABLE:
            if model.__global__:
                continue
            stmt = select(model.client_id, model.id).where(
                model.client_id.in_(cids), model.deleted_at.is_(None)
            )
            for cid, rid in s.execute(stmt):
                out[cid].add((model.__entity__, rid))
    return out


def pdf_text(path) -> str:
    return "".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )


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
        assert work == {"handlers": {user_id}, "visits": {user_id}, "plans": {user_id}, "items": {user_id}}, (
            cid
        )
        with dev.ctx.read() as s:
            assert s.get(Client, cid).owner_id == user_id
            [h] = s.scalars(
                select(Handover).where(Handover.client_id == cid, Handover.to_user_id == user_id)
            ).all()
            assert {i["key"] for i in h.checklist} >= {
                "open_feedback",
                "upcoming_visits",
                "open_improvement_items",
            }
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
    assert (
        len(held.complaints)
        == len(held.planned_visits)
        == len(held.improvement_items)
        == len(held.visit_plans)
        == 7
    )
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
    for expected in (
        "Handoverreport",
        "刘海涛离职",
        "投诉0：证书延期",
        "2026-12-10",
        "回访0",
        "改进0：缩短出具周期",
        "王磊",
        "刘海涛",
        "联系人0",
        "Signatures",
        "Takenoverby",
        "周强",
    ):
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
    edits = pending_edits(leaver, cids)  # made offline: not pushed before the handover
    boss = make_device("zhouqiang")
    boss.sync()
    # two clients from the supervisor's laptop: `clients assign --from`, then the rest on the server
    code, out, err = run(
        device_main,
        [
            "--data-dir",
            str(boss.path),
            "clients",
            "assign",
            cids[0],
            cids[1],
            "--to",
            "王磊",
            "--reason",
            "分批交接",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    assert [h["to_user_id"] for h in json.loads(out)] == [staff["wang"], staff["wang"]]
    boss.sync()
    code, out, err = run(
        server_main,
        srv(
            server,
            "user",
            "handover",
            "刘海涛",
            "--to",
            "zhangmin",
            "--reason",
            "离职",
            "--deactivate",
            "--json",
        ),
        capsys,
    )
    assert code == 0, err
    result = json.loads(out)
    assert sorted(h["client_id"] for h in result["handovers"]) == sorted(cids[2:])
    assert result["deactivated"] and result["devices_revoked"] == 1 and result["unmoved"] == []
    assert [d["last_seen"] is not None for d in result["devices"]] == [
        True
    ]  # the leaver's laptop, last synced
    assert all(
        {m["entity"] for m in h["moves"]} == {"feedback", "visit", "visit_plan", "improvement_item"}
        for h in result["handovers"]
    )
    code, _out, err = run(server_main, srv(server, "user", "handover", "zhangmin", "--to", "刘海涛"), capsys)
    assert code == 2 and "deactivated" in err  # a deactivated user takes on nothing

    # the leaver's laptop, still offline, gets one more edit after the deactivation; at its next
    # contact it sends what it had not pushed (its farewell), then wipes itself
    with leaver.ctx.read() as s:
        late_contact = s.scalars(select(Contact.id).where(Contact.client_id == cids[2])).one()
    records.update_record(leaver.ctx, "contact", late_contact, {"title": "离职后改的职务"})
    device_id = leaver.ctx.device_id
    refresh_token, access_token = leaver.engine.credentials.refresh_token(), leaver.engine._access
    grants: list[str] = []
    leaver.engine._http.event_hooks["request"].append(
        lambda request: (
            grants.append(request.headers["authorization"][7:])
            if request.url.path == p.PATH_FAREWELL_PUSH
            else None
        )
    )
    with pytest.raises(DeviceRevoked) as revoked:
        leaver.sync()
    assert "4 unsent change(s)" in str(revoked.value) and "1 refused" in str(revoked.value)
    with leaver.ctx.read() as s:  # wiped
        assert s.scalar(select(Feedback.id).limit(1)) is None and s.scalar(select(Client.id).limit(1)) is None
    assert grants
    # a later hand-made request with that laptop's tokens, or its user's password, gets nothing
    h = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}
    r = httpx.post(
        f"{server.url}/v1/auth/refresh",
        headers=h,
        json={"refresh_token": refresh_token, "device_id": device_id},
    )
    assert r.status_code == 403 and r.json()["code"] == "device_revoked" and "farewell" not in r.json()
    login = {"username": "liuhaitao", "password": PASSWORD, "device_id": device_id}
    r = httpx.post(f"{server.url}/v1/auth/login", headers=h, json=login)
    assert r.status_code == 403 and "farewell" not in r.json()
    batch = {"batch_id": "replayed-farewell", "items": []}
    for path, token in ((p.PATH_FAREWELL_PUSH, grants[-1]), ("/v1/sync/push", access_token)):
        r = httpx.post(server.url + path, headers={**h, "Authorization": f"Bearer {token}"}, json=batch)
        assert r.status_code == 403, (path, r.text)

    wang, zhang = make_device("wanglei"), make_device("zhangmin")
    wang.sync()
    zhang.sync()
    for dev, mine, uid in ((wang, cids[:2], staff["wang"]), (zhang, cids[2:], staff["zhang"])):
        assert client_ids(dev) == set(mine)
        for cid in mine:
            assert open_work(dev, cid) == {"handlers": {uid}, "visits": {uid}, "plans": {uid}, "items": {uid}}
        # the leaver's edits made before the handover arrived, as conflicts for the successor
        with dev.ctx.read() as s:
            for fb in s.scalars(select(Feedback).where(Feedback.client_id.in_(mine))):
                kept = {c.lost_value for c in s.scalars(select(Conflict).where(Conflict.row_id == fb.id))}
                assert fb.description != edits[fb.id] and edits[fb.id] in kept, fb.client_id
    # the edit written after the deactivation was refused: neither applied nor kept
    with zhang.ctx.read() as s:
        assert s.get(Contact, late_contact).title == "总经理"
        assert not s.scalars(select(Conflict).where(Conflict.row_id == late_contact)).all()
    # the report of a server-made handover, through the successor's command line
    out_pdf = tmp_path / "server-handover.pdf"
    code, _out, err = run(
        device_main,
        [
            "--data-dir",
            str(zhang.path),
            "--lang",
            "zh_CN",
            "report",
            "handover",
            cids[2],
            "--out",
            str(out_pdf),
        ],
        capsys,
    )
    assert code == 0, err
    text = pdf_text(out_pdf)
    for expected in (
        "交接报告",
        "离职",
        "投诉2：证书延期",
        "2026-12-12",
        "张敏",
        "回访2",
        "改进2：缩短出具周期",
        "签字确认",
        "接任人",
    ):
        assert expected in text, expected
    # the server names users by login or display name too; an ambiguous name lists the candidates
    admin.add_user(server.db, "zhangmin2", "field", PASSWORD, display_name="张敏")
    code, _out, err = run(server_main, srv(server, "user", "handover", "王磊", "--to", "张敏"), capsys)
    assert code == 2 and "zhangmin" in err and "zhangmin2" in err
    code, _out, err = run(server_main, srv(server, "user", "handover", "王磊", "--to", "zhangmin2"), capsys)
    assert code == 2 and "field staff" in err


@pytest.fixture
def tasks(qapp):
    from accountdesk.ui.tasks import TaskManager

    manager = TaskManager()
    yield manager
    manager.wait(10000)
    manager.shutdown()


def test_resignation_through_the_team_screen(server, make_device, qtbot, tasks, tmp_path):
    """The supervisor does it on the Team screen (real widgets): picks the leaver, ticks two
    successors, lets the dialog suggest by region, moves one client by hand, hands over."""
    from PySide6.QtCore import Qt

    from accountdesk.ui.pages.team import TeamPage

    staff = add_staff(server)
    leaver = make_device("liuhaitao")
    leaver.sync()
    cids = leaver_portfolio(leaver)
    # 王磊 already works in Zhejiang, 张敏 in Jiangsu: the region rule follows that
    for login, province in (("wanglei", "浙江省"), ("zhangmin", "江苏省")):
        records.create_record(leaver.ctx, "client", {"name": f"{login}的老客户", "province": province})
    leaver.sync()
    boss = make_device("zhouqiang")
    boss.sync()
    from accountdesk.services.clients import update_client

    with boss.ctx.read() as s:
        olds = {c.name: c.id for c in s.scalars(select(Client).where(Client.name.like("%的老客户")))}
    update_client(boss.ctx, olds["wanglei的老客户"], owner_id="wanglei")
    update_client(boss.ctx, olds["zhangmin的老客户"], owner_id="zhangmin")
    edits = pending_edits(leaver, cids)
    held = records_of(leaver, cids)
    assert all(len(rows) >= 7 for rows in held.values())  # client, contact, complaint, visit, plans, item

    page = TeamPage(boss.ctx, tasks)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.owners_model.rowCount() >= 3)
    row = next(
        r
        for r in range(page.owners_model.rowCount())
        if page.owners_model.row_at(r).user_id == staff["leaver"]
    )
    page.owners_view.selectRow(row)
    assert page.resign_button.isEnabled()
    dialog = page.resign_selected()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.clients.rowCount() == 7, timeout=10000)
    assert "7 clients owned" in dialog.summary.text() and "7 open complaints" in dialog.summary.text()
    offered = [
        dialog.successors.item(r, 0).data(Qt.ItemDataRole.UserRole)
        for r in range(dialog.successors.rowCount())
    ]
    assert staff["leaver"] not in offered and {staff["wang"], staff["zhang"]} <= set(offered)
    wang_row = offered.index(staff["wang"])
    assert (
        dialog.successors.item(wang_row, 2).text() == "1"
        and dialog.successors.item(wang_row, 5).text() == "浙江省"
    )
    assert not dialog.ok_button.isEnabled()  # no successor chosen yet
    dialog.set_successor_checked(staff["wang"])
    dialog.set_successor_checked(staff["zhang"])
    dialog.rule.setCurrentIndex(dialog.rule.findData("region"))
    dialog.suggest_button.click()
    plan = dialog.plan()
    by_province = {cid: PROVINCES[i] for i, cid in enumerate(cids)}
    assert all(
        plan[c] == (staff["wang"] if by_province[c] == "浙江省" else staff["zhang"])
        for c in cids
        if by_province[c] != "上海市"
    )
    shanghai = [r for r in range(7) if dialog.clients.item(r, 2).text() == "上海市"]
    dialog.assign_rows(shanghai, staff["wang"])  # by hand: the Shanghai client to 王磊
    plan = dialog.plan()
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()  # no reason yet
    assert not dialog.error.isHidden() and "Reason" in dialog.error.text()
    dialog.reason.setText("刘海涛离职")
    with qtbot.waitSignal(dialog.resigned, timeout=20000):
        dialog.ok_button.click()
    assert "7 clients handed over" in page.result_label.text()
    boss.sync()
    # the leaver is deactivated on the server before his laptop syncs again: at its next contact
    # it sends the edits it had not pushed (its farewell, kept as conflicts), then wipes itself
    assert admin.deactivate_user(server.db, "liuhaitao")["devices_revoked"] == 1
    with pytest.raises(DeviceRevoked) as revoked:
        leaver.sync()
    assert "7 unsent change(s)" in str(revoked.value) and "(0 refused)" in str(revoked.value)
    with leaver.ctx.read() as s:
        assert s.scalar(select(Client.id).limit(1)) is None and s.scalar(select(Feedback.id).limit(1)) is None
    wang_cids = [c for c in cids if plan[c] == staff["wang"]]
    zhang_cids = [c for c in cids if plan[c] == staff["zhang"]]
    assert len(wang_cids) == 4 and len(zhang_cids) == 3  # 浙江 ×3 + 上海 to 王磊; 江苏 ×3 to 张敏
    wang, zhang = make_device("wanglei"), make_device("zhangmin")
    wang.sync()
    zhang.sync()
    assert_successor_laptop_with(wang, wang_cids, staff["wang"], edits, extra={olds["wanglei的老客户"]})
    assert_successor_laptop_with(zhang, zhang_cids, staff["zhang"], edits, extra={olds["zhangmin的老客户"]})
    for dev, mine in ((wang, wang_cids), (zhang, zhang_cids)):  # every record of every client
        there = records_of(dev, mine)
        assert all(held[cid] <= there[cid] for cid in mine)
    text = pdf_text(render_handover(zhang.ctx, zhang_cids[0], tmp_path / "gui.pdf").path)
    i = cids.index(zhang_cids[0])
    for expected in (
        "刘海涛离职",
        f"投诉{i}：证书延期",
        f"2026-12-{10 + i:02d}",
        "张敏",
        f"回访{i}",
        f"改进{i}：缩短出具周期",
    ):
        assert expected in text, expected


def assert_successor_laptop_with(dev, cids, user_id, edits, *, extra: set[str]) -> None:
    assert client_ids(dev) == set(cids) | extra
    for cid in cids:
        assert open_work(dev, cid) == {
            "handlers": {user_id},
            "visits": {user_id},
            "plans": {user_id},
            "items": {user_id},
        }
    with dev.ctx.read() as s:
        for fid, text in edits.items():
            fb = s.get(Feedback, fid)
            if fb is None or fb.client_id not in cids:
                continue
            kept = {c.lost_value for c in s.scalars(select(Conflict).where(Conflict.row_id == fid))}
            assert fb.description == text or text in kept


def test_the_successor_acknowledges_on_today_and_the_supervisor_sees_it(server, make_device, qtbot, tasks):
    """The successor's Today shows "handed over to you" with each client's checklist; the
    acknowledgement made there syncs and the supervisor's Team screen shows it. Hand-made pushes:
    only the successor may acknowledge, and nobody but a supervisor changes anything else."""
    from test_server_attacks import Api

    from accountdesk.ui.pages.team import TeamPage
    from accountdesk.ui.pages.today import TodayPage

    staff = add_staff(server)
    leaver = make_device("liuhaitao")
    leaver.sync()
    cids = leaver_portfolio(leaver, 3)
    leaver.sync()
    boss = make_device("zhouqiang")
    boss.sync()
    done = turnover.resign(
        boss.ctx,
        "liuhaitao",
        {cids[0]: "wanglei", cids[1]: "wanglei", cids[2]: "zhangmin"},
        reason="刘海涛离职",
        notes="请尽快拜访总经理",
    )
    boss.sync()
    wang = make_device("wanglei")
    wang.sync()
    today = TodayPage(wang.ctx, tasks)
    qtbot.addWidget(today)
    today.show()
    today.refresh()
    panel = today.handed_over
    qtbot.waitUntil(lambda: len(panel.rows) == 2 and panel.isVisible(), timeout=10000)
    assert panel.heading.text() == "Handed over to you · 2"
    first = next(h for h in panel.rows if h["client_id"] == cids[0])
    _card, checks, button = panel.cards[first["id"]]
    assert {c.property("key") for c in checks} >= {
        "open_feedback",
        "upcoming_visits",
        "open_improvement_items",
    }
    for c in checks:
        c.setChecked(True)
    with qtbot.waitSignal(panel.acknowledged, timeout=10000):
        button.click()
    qtbot.waitUntil(lambda: len(panel.rows) == 1, timeout=10000)
    wang.sync()

    # hand-made requests against the server: 张敏 (not the successor of that handover) and the
    # successor trying more than an acknowledgement
    other = next(h for h in done.handovers if h["client_id"] == cids[1])["handover_id"]
    zhang_api, wang_api = Api(server, "zhangmin"), Api(server, "wanglei")
    [refused] = zhang_api.push(
        zhang_api.item("handover", other, "update", {"status": "acknowledged"}, cids[1])
    )
    assert refused["status"] == "rejected"
    [refused] = wang_api.push(
        wang_api.item("handover", other, "update", {"to_user_id": staff["wang"], "reason": "x"}, cids[1])
    )
    assert refused["status"] == "rejected"
    mine = next(h for h in done.handovers if h["client_id"] == cids[2])["handover_id"]
    with server.db.read() as conn:
        seq = repo.get_record(conn, mine)["seq"]
    [ok] = zhang_api.push(
        zhang_api.item("handover", mine, "update", {"status": "acknowledged"}, cids[2], base_seq=seq)
    )
    assert ok["status"] == "applied"

    boss.sync()
    page = TeamPage(boss.ctx, tasks)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.handovers_list.count() >= 3, timeout=10000)
    lines = [page.handovers_list.item(i).text() for i in range(page.handovers_list.count())]
    by_client = {
        n: next(t for t in lines if n in t)
        for n in ("离职交接测试客户0", "离职交接测试客户1", "离职交接测试客户2")
    }
    assert "acknowledged by the successor" in by_client["离职交接测试客户0"]
    assert "waiting for the successor's acknowledgement" in by_client["离职交接测试客户1"]
    assert "acknowledged by the successor" in by_client["离职交接测试客户2"]
    with boss.ctx.read() as s:
        h = s.get(Handover, first["id"])
        assert (
            h.status == "acknowledged"
            and all(i["done"] for i in h.checklist)
            and h.notes == "请尽快拜访总经理"
        )


def test_resignation_with_clients_assign_from_on_the_supervisors_laptop(
    server, make_device, capsys, tmp_path
):
    """`clients assign --from` on the supervisor's laptop hands every client of the leaver over
    in one step; the report of such a handover lists every open item; the leaver is deactivated
    on the server (`user deactivate`) and his laptop sends its last edits, then wipes itself."""
    from accountdesk.cli import main as device_main

    staff = add_staff(server)
    leaver = make_device("liuhaitao")
    leaver.sync()
    cids = leaver_portfolio(leaver, 3)
    leaver.sync()
    edits = pending_edits(leaver, cids)  # offline, never pushed before the handover
    held = records_of(leaver, cids)
    boss = make_device("zhouqiang")
    boss.sync()
    code, out, err = run(
        device_main,
        ["--data-dir", str(boss.path), "clients", "assign", "--from", "刘海涛", "--to", "wanglei"]
        + ["--reason", "刘海涛离职", "--json"],
        capsys,
    )
    assert code == 0, err
    result = json.loads(out)
    assert sorted(h["client_id"] for h in result["handovers"]) == sorted(cids)
    assert all(h["to_user_id"] == staff["wang"] and len(h["moves"]) == 4 for h in result["handovers"])
    boss.sync()
    code, out, err = run(server_main, srv(server, "user", "deactivate", "刘海涛", "--json"), capsys)
    assert code == 0 and json.loads(out)["devices_revoked"] == 1, err
    with pytest.raises(DeviceRevoked) as revoked:
        leaver.sync()
    assert "3 unsent change(s)" in str(revoked.value)
    assert client_ids(leaver) == set()

    wang = make_device("wanglei")
    wang.sync()
    assert client_ids(wang) == set(cids)
    there = records_of(wang, cids)
    for cid in cids:
        assert held[cid] <= there[cid]  # every record of every client
        assert open_work(wang, cid) == {
            "handlers": {staff["wang"]},
            "visits": {staff["wang"]},
            "plans": {staff["wang"]},
            "items": {staff["wang"]},
        }
    with wang.ctx.read() as s:
        for fid, text in edits.items():
            kept = {c.lost_value for c in s.scalars(select(Conflict).where(Conflict.row_id == fid))}
            assert text in kept and s.get(Feedback, fid).description != text
    # the report of a handover made by the command line, on the successor's laptop
    out_pdf = tmp_path / "cli-handover.pdf"
    code, _out, err = run(
        device_main,
        ["--data-dir", str(wang.path), "report", "handover", cids[1], "--out", str(out_pdf)],
        capsys,
    )
    assert code == 0, err
    text = pdf_text(out_pdf)
    for expected in (
        "Handoverreport",
        "刘海涛离职",
        "投诉1：证书延期",
        "2026-12-11",
        "回访1",
        "改进1：缩短出具周期",
        "王磊",
    ):
        assert expected in text, expected
