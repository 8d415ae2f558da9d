"""Turnover from the command line (issue 13): users named by login or display name in every
command that takes one, `users list`, `agenda --user`, `clients set owner=` going through the
handover, deactivated users refused, and the handover report of a client handed over with open
work (the data written by the app's own commands), read back with pdftotext."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from accountdesk.cli import main
from accountdesk.services import records
from accountdesk.services.context import open_profile

SOON = (dt.datetime.now(dt.UTC) + dt.timedelta(days=20)).replace(microsecond=0).isoformat()
pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed"
)


class Run:
    def __init__(self, data_dir: Path, capsys):
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str, lang: str = "en") -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--data-dir", str(self.data_dir), "--lang", lang, *args])
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def json(self, *args: str):
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def run(data_dir, capsys) -> Run:
    return Run(data_dir, capsys)


@pytest.fixture
def staff(data_dir) -> dict[str, str]:
    """A supervisor at the keyboard, two managers (one 王磊), a second 王磊 in the field, a
    deactivated manager."""
    ctx = open_profile(data_dir)
    try:
        ids = {"me": ctx.actor.id}
        for key, login, name, role in (
            ("wang", "wanglei", "王磊", "manager"),
            ("liu", "liuhaitao", "刘海涛", "manager"),
            ("wang2", "wanglei2", "王磊", "field"),
            ("gone", "zhaoyi", "赵一", "manager"),
        ):
            ids[key] = records.create_record(
                ctx, "user", {"username": login, "display_name": name, "role": role}
            )
        records.update_record(ctx, "user", ids["gone"], {"active": False})
    finally:
        ctx.close()
    return ids


@pytest.fixture
def client(run, staff) -> dict:
    """A client owned by 刘海涛 with an open complaint he handles, his planned visit and his open
    improvement item — written through the commands and services a person uses."""
    c = run.json("clients", "add", "--name", "苏州精测仪器有限公司", "--tier", "key")
    ctx = open_profile(run.data_dir)
    try:
        from accountdesk.services.clients import update_client

        update_client(ctx, c["id"], owner_id="liuhaitao")
        add = lambda entity, **v: records.create_record(ctx, entity, v, client_id=c["id"])  # noqa: E731
        add(
            "feedback",
            kind="complaint",
            channel="written",
            received_at="2026-03-02T08:00:00+00:00",
            severity="high",
            subject="校准证书延期出具",
            handler_id="刘海涛",
            due_at="2026-03-09T08:00:00+00:00",
        )
        add(
            "visit",
            kind="return_visit",
            channel="onsite",
            planned_start=SOON,
            status="planned",
            owner_id="刘海涛",
            purpose="季度回访：证书时效",
        )
        plan = add("improvement_plan", year=2026, title="2026 改进计划")
        add(
            "improvement_item",
            plan_id=plan,
            action="缩短证书出具周期至三个工作日",
            owner_id="liuhaitao",
            due_on="2026-06-30",
        )
    finally:
        ctx.close()
    return c


def pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return "".join(out.split())


def test_users_list_shows_logins_and_state(run, staff):
    rows = run.json("users", "list")
    by_login = {r["login"]: r for r in rows}
    assert by_login["wanglei"]["display_name"] == "王磊" and by_login["wanglei"]["role"] == "manager"
    assert by_login["zhaoyi"]["active"] is False and by_login["liuhaitao"]["active"] is True
    assert set(rows[0]) == {"id", "login", "display_name", "role", "team", "active"}
    code, out, _err = run("users", "list", lang="zh_CN")
    assert code == 0 and "wanglei2" in out and "已停用" in out and "在用" in out


def test_assign_by_display_name_moves_the_open_work_and_the_report_prints_it(run, staff, client, tmp_path):
    code, out, err = run("clients", "assign", client["name"], "--to", "王磊", "--reason", "刘海涛离职")
    assert code == 2 and "wanglei" in err and "wanglei2" in err  # two 王磊: the candidates are listed
    result = run.json("clients", "assign", client["name"], "--to", "wanglei", "--reason", "刘海涛离职")
    assert result["to_user_id"] == staff["wang"] and result["from_user_id"] == staff["liu"]
    moved = {(m["entity"], m["to_user_id"]) for m in result["moves"]}
    # (the key client's service standard gave it visit plans when it was added: they move too)
    assert moved == {
        ("feedback", staff["wang"]),
        ("visit", staff["wang"]),
        ("improvement_item", staff["wang"]),
        ("visit_plan", staff["wang"]),
    }
    detail = run.json("clients", "show", client["id"])
    assert [f["handler_id"] for f in detail["feedback"]] == [staff["wang"]]
    # the report of a handover with open work renders (it crashed on the checklist's list of lines)
    for lang, words in (
        ("en", ("Handoverreport", "Checklist", "Openfeedback")),
        ("zh_CN", ("交接报告", "交接清单", "未结客户反馈")),
    ):
        out_pdf = tmp_path / f"h-{lang}.pdf"
        code, out, err = run("report", "handover", client["name"], "--out", str(out_pdf), lang=lang)
        assert code == 0, err
        text = pdf_text(out_pdf)
        for expected in (
            *words,
            "校准证书延期出具",
            "2026-03-09",
            "季度回访：证书时效",
            "缩短证书出具周期至三个工作日",
            "王磊",
            "刘海涛离职",
        ):
            assert expected in text, (lang, expected)
    # the move is in the field history of the complaint
    code, out, err = run("history", "feedback", detail["feedback"][0]["id"], "--json")
    if code == 0:
        assert "handler_id" in out


def test_deactivated_users_take_on_nothing(run, staff, client):
    for args in (
        ("clients", "assign", client["name"], "--to", "zhaoyi"),
        ("clients", "assign", client["name"], "--to", "赵一"),
        ("clients", "set", client["name"], "owner=赵一"),
        ("clients", "set", client["name"], "backup_owner_id=zhaoyi"),
        ("clients", "team", client["name"], "--add", "赵一"),
    ):
        code, _out, err = run(*args)
        assert code == 2 and "deactivated" in err, (args, err)
    assert run.json("clients", "show", client["id"])["owner_id"] == staff["liu"]


def test_clients_set_owner_goes_through_the_handover(run, staff, client):
    changed = run.json("clients", "set", client["name"], "owner=刘海涛")  # already the owner: nothing to do
    assert changed["changed"] == {}
    changed = run.json("clients", "set", client["name"], "owner=wanglei", "city=苏州")
    assert changed["changed"]["owner_id"] == staff["wang"] and changed["changed"]["city"] == "苏州"
    detail = run.json("clients", "show", client["id"])
    assert [f["handler_id"] for f in detail["feedback"]] == [staff["wang"]]
    ctx = open_profile(run.data_dir)
    try:
        from accountdesk.services.handover import handovers_of

        [h] = [h for h in handovers_of(ctx, client["id"]) if h["to_user_id"] == staff["wang"]]
        assert h["from_user_id"] == staff["liu"] and h["to_user_id"] == staff["wang"]
        assert {i["key"] for i in h["checklist"]} >= {
            "open_feedback",
            "upcoming_visits",
            "open_improvement_items",
        }
        # a plain field write around the workflow is refused with a pointer to it
        from accountdesk.errors import ValidationError

        with pytest.raises(ValidationError) as exc:
            records.update_record(ctx, "client", client["id"], {"owner_id": "liuhaitao"})
        assert exc.value.field == "owner_id" and "handover" in exc.value.message
    finally:
        ctx.close()


def test_every_user_option_takes_a_display_name(run, staff, client):
    fb = run.json(
        "feedback",
        "add",
        client["name"],
        "--kind",
        "complaint",
        "--subject",
        "报告错字",
        "--involved",
        "刘海涛",
    )
    assert fb["involved_user_ids"] == [staff["liu"]]
    code, _out, err = run(
        "feedback", "add", client["name"], "--kind", "complaint", "--subject", "x", "--involved", "王磊"
    )
    assert code == 2 and "wanglei2" in err
    code, _out, err = run(
        "feedback", "add", client["name"], "--kind", "complaint", "--subject", "x", "--involved", "nobody"
    )
    assert code == 2 and "nobody" in err
    assert run.json("clients", "team", client["name"], "--add", "wanglei2")["added"] == "wanglei2"
    code, out, err = run("clients", "team", client["name"], "--remove", "王磊")
    assert code == 2 and "wanglei2" in err  # ambiguous
    run.json("clients", "team", client["name"], "--remove", "wanglei2")


def test_agenda_for_a_user_by_login_or_display_name(run, staff, client):
    by_name = run.json("agenda", "--days", "60", "--user", "刘海涛")
    by_login = run.json("agenda", "--days", "60", "--user", "LiuHaiTao")
    assert by_name == by_login and {i["client_name"] for i in by_name} == {client["name"]}
    assert {i["kind"] for i in by_name} >= {"complaint", "visit_planned"}
    assert run.json("agenda", "--days", "60", "--user", "wanglei") == []
    code, out, err = run("agenda", "--user", "nobody", "--json")
    assert code == 2 and json.loads(out)["field"] == "user"
    code, out, err = run("agenda", "--user", "王磊")
    assert code == 2 and "wanglei2" in err


def test_an_import_never_changes_an_owner_nor_names_a_deactivated_one(run, staff, client, tmp_path):
    """Owner changes by import: a merged row's owner is noted for a handover, not applied; a new
    client owned by a deactivated user is refused (by login or display name)."""
    from accountdesk.io.importer import plan_import, run_import

    path = tmp_path / "clients.csv"
    path.write_text(
        f"客户名称,客户主管\n{client['name']},wanglei\n新客户甲有限公司,赵一\n新客户乙有限公司,wanglei\n",
        encoding="utf-8-sig",
    )
    ctx = open_profile(run.data_dir)
    try:
        plan = plan_import(ctx, path)
        rejected = {r.row: r.message for r in plan.rejected}
        assert list(rejected) == [3] and "deactivated" in rejected[3]
        result = run_import(ctx, plan, "merge", skip_rejected=True)
        assert (result.created, result.merged) == (1, 1)
    finally:
        ctx.close()
    detail = run.json("clients", "show", client["id"])
    assert detail["owner_id"] == staff["liu"]  # unchanged: an owner changes through a handover
    notes = [n["text"] for n in detail.get("notes", detail.get("service_notes", []))]
    assert any("王磊" in t for t in notes), detail.keys()
