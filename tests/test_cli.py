"""The command line contract: exit codes 0 / 2 / 1, --json shapes, messages in the chosen language."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accountdesk.cli import main
from accountdesk.services import records, users
from accountdesk.services.context import open_profile


class Run:
    def __init__(self, data_dir: Path, capsys):
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str, lang: str = "en") -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--data-dir", str(self.data_dir), "--lang", lang, *args])
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def json(self, *args: str) -> object:
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def run(data_dir, capsys) -> Run:
    return Run(data_dir, capsys)


@pytest.fixture
def hh(run) -> dict:
    return run.json(
        "clients", "add", "--name", "护航科技服务有限公司", "--uscc", "91350100M000100Y43", "--tier", "key"
    )


def test_clients_add_prints_the_new_client(run, hh):
    assert hh["name"] == "护航科技服务有限公司" and hh["tier"] == "key" and hh["uscc"] == "91350100M000100Y43"
    assert hh["id"] and hh["status"] == "active"
    code, out, _err = run("clients", "add", "--name", "华为技术有限公司")
    assert code == 0 and "华为技术有限公司" in out


def test_bad_input_exits_2_and_names_the_field(run):
    code, out, err = run("clients", "add", "--name", "甲", "--uscc", "91110108MA01A2B3C4")
    assert code == 2 and out == "" and "uscc" in err and "check character" in err
    code, out, err = run("clients", "add", "--name", "甲", "--tier", "gold", "--json")
    assert code == 2
    payload = json.loads(out)
    assert (
        payload["field"] == "tier" and payload["exit_code"] == 2 and payload["errors"][0]["field"] == "tier"
    )
    code, _out, _err = run("clients", "add")  # --name is required
    assert code == 2
    code, out, _err = run("clients", "list", "--json")
    assert json.loads(out) == []  # nothing was written


def test_messages_follow_lang(run):
    code, _out, err = run("clients", "add", "--name", "甲", "--uscc", "91110108MA01A2B3C4", lang="zh_CN")
    assert code == 2 and "统一社会信用代码无效" in err
    code, out, _err = run("clients", "add", "--name", "甲", lang="zh_CN")
    assert code == 0 and "已创建客户" in out
    code, out, _err = run("clients", "list", lang="zh_CN")
    assert "客户等级" in out and "普通客户" in out


def test_clients_list_json_and_search(run, hh):
    run.json("clients", "add", "--name", "华为技术有限公司", "--tier", "strategic")
    rows = run.json("clients", "list")
    assert {"id", "name", "tier", "status", "owner"} <= set(rows[0])
    assert {r["name"]: r["tier"] for r in rows} == {
        "护航科技服务有限公司": "key",
        "华为技术有限公司": "strategic",
    }
    assert all(r["owner"] for r in rows)  # the creator owns new clients
    for text in ("护航", "hhkj", "hu hang"):  # Chinese substring and pinyin
        assert [r["id"] for r in run.json("clients", "list", "--search", text)] == [hh["id"]], text
    assert run.json("clients", "list", "--search", "不存在的公司") == []
    code, out, _err = run("clients", "list")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Name", "Tier", "Status"] and len(lines) == 3
    assert any("Key client" in line and hh["id"] in line for line in lines)


def test_clients_show_by_name_or_id(run, hh):
    run("contacts", "add", "护航科技服务有限公司", "--name", "张三", "--mobile", "13800138000")
    by_name = run.json("clients", "show", "护航科技服务有限公司")
    by_id = run.json("clients", "show", hh["id"])
    assert by_name["id"] == by_id["id"] == hh["id"]
    for key in ("contacts", "visits", "feedback", "surveys", "risks", "equipment", "services", "commitments"):
        assert isinstance(by_name[key], list), key
    assert by_name["contacts"][0]["mobile"] == "+8613800138000"
    code, out, _err = run("clients", "show", "护航科技服务有限公司")
    assert code == 0 and "Contacts (1)" in out and "138 0013 8000" in out
    code, _out, err = run("clients", "show", "没有这家公司")
    assert code == 2 and "没有这家公司" in err


def test_clients_set_and_delete(run, hh):
    code, out, _err = run("clients", "set", "护航科技服务有限公司", "tier=strategic", "city=杭州")
    assert code == 0 and "Strategic client" in out
    shown = run.json("clients", "show", hh["id"])
    assert (shown["tier"], shown["city"]) == ("strategic", "杭州")
    assert run.json("clients", "set", hh["id"], "city=杭州") == {"id": hh["id"], "changed": {}}
    # labels work as field names too, in either language
    changed = run.json("clients", "set", hh["id"], "省份=浙江", "Short name=护航", "客户等级=重点客户")[
        "changed"
    ]
    assert changed == {"province": "浙江", "short_name": "护航", "tier": "key"}
    code, _out, err = run("clients", "set", hh["id"], "colour=blue")
    assert code == 2 and "colour" in err
    code, _out, err = run("clients", "set", hh["id"], "employees=lots")
    assert code == 2 and "employees" in err
    code, _out, _err = run("clients", "set", hh["id"], "no-equals-sign")
    assert code == 2
    code, out, _err = run("clients", "delete", "护航科技服务有限公司")
    assert code == 0 and "护航科技服务有限公司" in out
    assert run("clients", "show", hh["id"])[0] == 2
    assert run.json("clients", "list") == []


def test_ambiguous_name_is_bad_input(run):
    run("clients", "add", "--name", "同名公司")
    code, _out, err = run("clients", "add", "--name", "同名公司")
    assert code == 2 and "name" in err and "--allow-duplicate-name" in err
    assert run("clients", "add", "--name", " 同名公司", "--allow-duplicate-name")[0] == 0
    code, _out, err = run("clients", "show", "同名公司")
    assert code == 2 and "client" in err


def test_contacts_add(run, hh):
    contact = run.json(
        "contacts", "add", hh["id"], "--name", "张三", "--title", "总经理", "--email", "zhang@example.com"
    )
    assert (contact["name"], contact["title"], contact["client_id"]) == ("张三", "总经理", hh["id"])
    code, _out, err = run("contacts", "add", hh["id"], "--name", "李四", "--email", "li@")
    assert code == 2 and "email" in err
    code, _out, err = run("contacts", "add", hh["id"], "--name", "李四", "--mobile", "010-12345678")
    assert code == 2 and "mobile" in err


def test_visits_add(run, hh):
    past = run.json(
        "visits",
        "add",
        hh["id"],
        "--kind",
        "return_visit",
        "--at",
        "2026-01-05 10:00",
        "--report",
        "客户满意",
    )
    assert (past["status"], past["outcome"]) == ("done", "客户满意") and past["done_at"]
    future = (dt.datetime.now() + dt.timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    planned = run.json("visits", "add", hh["id"], "--kind", "高层会晤", "--at", future)
    assert (planned["kind"], planned["status"], planned["done_at"]) == ("executive_meeting", "planned", None)
    missed = run.json(
        "visits", "add", hh["id"], "--kind", "return_visit", "--at", "2026-01-06", "--status", "missed"
    )
    assert missed["status"] == "missed"
    code, _out, err = run("visits", "add", hh["id"], "--kind", "party", "--at", "2026-01-05 10:00")
    assert code == 2 and "kind" in err
    code, _out, err = run("visits", "add", hh["id"], "--kind", "return_visit", "--at", "next tuesday")
    assert code == 2 and "planned_start" in err
    assert len(run.json("clients", "show", hh["id"])["visits"]) == 3


def test_feedback_add(run, hh, data_dir):
    ctx = open_profile(data_dir)
    users.create_user(ctx, "zhang", "张经理", "manager")
    ctx.close()
    fb = run.json(
        "feedback",
        "add",
        hh["id"],
        "--kind",
        "complaint",
        "--subject",
        "报告出具延误",
        "--severity",
        "high",
        "--involved",
        "zhang",
    )
    received = dt.datetime.fromisoformat(fb["received_at"].replace("Z", "+00:00"))
    due = dt.datetime.fromisoformat(fb["due_at"].replace("Z", "+00:00"))
    assert due - received == dt.timedelta(hours=48)
    assert len(fb["involved_user_ids"]) == 1 and fb["status"] == "received"
    praise = run.json("feedback", "add", hh["id"], "--kind", "表扬", "--subject", "工程师很专业")
    assert praise["kind"] == "praise" and praise["due_at"] is None
    code, _out, err = run(
        "feedback", "add", hh["id"], "--kind", "complaint", "--subject", "x", "--involved", "nobody"
    )
    assert code == 2 and "involved_user_ids" in err
    code, _out, err = run(
        "feedback", "add", hh["id"], "--kind", "complaint", "--subject", "x", "--severity", "huge"
    )
    assert code == 2 and "severity" in err


def test_other_errors_exit_1(run, hh, data_dir):
    ctx = open_profile(data_dir)
    field_user = users.create_user(ctx, "li", "李工", "field")
    records.create_record(ctx, "client_team_member", {"user_id": field_user}, client_id=hh["id"])  # in scope
    ctx.set_actor(field_user)  # field staff may not delete clients
    ctx.close()
    code, _out, err = run("clients", "delete", hh["id"])
    assert code == 1 and "role" in err
    not_a_dir = data_dir / "file.txt"
    not_a_dir.write_text("x")
    code, out, err = Run(not_a_dir, run.capsys)("clients", "list", "--json")
    assert code == 1 and json.loads(out)["exit_code"] == 1 and "Traceback" not in err


def test_the_installed_command(data_dir):
    exe = Path(sys.executable).with_name("accountdesk")
    env = {**os.environ, "LANG": "zh_CN.UTF-8"}
    bad = subprocess.run(
        [str(exe), "--data-dir", str(data_dir), "clients", "add", "--name", "甲", "--uscc", "123"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "统一社会信用代码" in bad.stderr and "Traceback" not in bad.stderr
    ok = subprocess.run(
        [str(exe), "--data-dir", str(data_dir), "--lang", "en", "clients", "add", "--name", "甲", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["name"] == "甲"


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    """``accountdesk clients list | head``: more output than a pipe holds, reader gone."""
    exe = Path(sys.executable).with_name("accountdesk")
    profile = tmp_path / "p"
    subprocess.run(
        [str(exe), "--data-dir", str(profile), "demo", "--clients", "700"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    cmd = f"'{exe}' --data-dir '{profile}' clients list | head -c 10"
    piped = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""


def test_feedback_escalate(run, hh, data_dir):
    ctx = open_profile(data_dir)
    from accountdesk.services.feedback import record_feedback

    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    fid = record_feedback(ctx, hh["id"], "complaint", "样品丢失", severity="critical", received_at=old)
    record_feedback(ctx, hh["id"], "complaint", "刚收到", severity="low")
    ctx.close()
    [e] = run.json("feedback", "escalate")
    assert (e["feedback_id"], e["old_level"], e["new_level"]) == (fid, 0, 3)
    code, out, _err = run("feedback", "escalate", lang="zh_CN")
    assert code == 0 and "没有需要升级的客户反馈" in out
