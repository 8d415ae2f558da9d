"""``accountdesk-server import``: the laptop's import, run on the server, on SQLite and PostgreSQL.

The same files (a GBK CSV of clients as Excel saves it, a workbook of contacts, an equipment
ledger with merged header cells) are imported on a laptop and on the server; a second laptop
then pulls from the real server process and holds, row by row, what the first laptop's import
wrote. Then the command line's contract: dry run, all or nothing, --skip-rejected, --json, exit
codes, the owner.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import openpyxl
import pytest
from sqlalchemy import func, select

from accountdesk.domain.schema import SCHEMAS
from accountdesk.domain.standards import DEFAULT_STANDARDS
from accountdesk.domain.validation import uscc_check_char
from accountdesk.io.importer import plan_import, run_import
from accountdesk.models import Client, Contact, Equipment, ServiceNote, VisitPlan
from accountdesk.server import admin, repo
from accountdesk.server import tables as t
from accountdesk.server.cli import main as server_main
from accountdesk.services import clients as client_service
from accountdesk.services import standards

pytestmark = pytest.mark.timeout(300)


def uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def clients_csv(path):
    rows = [
        [
            "客户名称",
            "统一社会信用代码",
            "行业",
            "客户等级",
            "城市",
            "员工人数",
            "年均费用",
            "合作开始",
            "合同续签日期",
            "客户主管",
            "标签",
        ],
        [
            "上海护航科技有限公司",
            uscc(1),
            "检测",
            "重点客户",
            "上海",
            "1,200",
            "500000",
            "2020-01-01",
            "2026/12/31",
            "mgr",
            "VIP，华东",
        ],
        ["北京远景医疗器械股份有限公司", uscc(2), "医疗", "standard", "北京", "300", "", "", "", "", ""],
        ["深圳中和检测技术有限公司", "", "检测", "", "深圳", "", "", "", "", "", ""],
        ["上海护航科技股份有限公司", "", "检测", "", "上海", "", "", "", "", "", ""],  # the same as row 2
        ["广州已有客户有限公司", "", "", "", "广州", "", "", "", "", "", ""],  # already on the server
        ["校验位错误有限公司", "91310000000000001X", "", "", "", "", "", "", "", "", ""],
        ["离职主管的客户有限公司", uscc(5), "", "", "", "", "", "", "", "gone", ""],
        ["续签早于开始有限公司", uscc(6), "", "", "", "", "", "2025-01-01", "2024-01-01", "", ""],
    ]
    lines = [",".join('"' + c + '"' if "," in c else c for c in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


def contacts_xlsx(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "联系人"
    ws.append(["客户联系人名单"])
    ws.append(["客户名称", "姓名", "职务", "手机", "邮箱", "汇报对象", "生日"])
    ws.append(
        ["上海护航科技有限公司", "张三", "总经理", "13900000001", "zhang@example.com", None, "1980-05-01"]
    )
    ws.append(["上海护航科技有限公司", "李四", "采购经理", "139 0000 0002", "li@example.com", "张三", None])
    ws.append(["北京远景医疗器械股份有限公司", "王五", "技术总监", "13900000003", None, None, None])
    ws.append(["上海护航科技有限公司", "张 三", "副总", None, None, None, None])  # the same as row 3
    ws.append(["不存在的公司", "赵六", None, "13900000006", None, None, None])
    ws.append(["北京远景医疗器械股份有限公司", "钱七", None, "12345", None, None, None])
    ws.append(["广州已有客户有限公司", "孙八", "经理", "13900000008", "sun@example.com", None, None])
    ws.append(["北京远景医疗器械股份有限公司", "周九", None, None, None, "没有这个人", None])
    wb.save(path)
    return path


def equipment_xlsx(path):
    """A calibration lab's ledger: a title row, a two-row header with merged cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "仪器设备台账"
    ws.append(["仪器设备台账（2026年）"])
    ws.merge_cells("A1:H1")
    ws.append(["客户名称", "设备名称", "规格型号", "出厂编号", "校准信息", None, "状态", "备注"])
    ws.append([None, None, None, None, "上次校准日期", "校准周期（月）", None, None])
    for col in "ABCDGH":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("E2:F2")
    ws.append(
        ["上海护航科技有限公司", "电子天平", "XS205", "B123456789", dt.date(2025, 6, 1), 12, "在用", None]
    )
    ws.append(
        ["上海护航科技有限公司", "电子天平", "xs 205", "b123456789", dt.date(2025, 7, 1), 12, "在用", None]
    )  # dup
    ws.append(
        ["北京远景医疗器械股份有限公司", "恒温恒湿箱", "HWS-150", None, "2024/03/15", "24", "停用", "待修"]
    )
    ws.append(
        ["北京远景医疗器械股份有限公司", "压力表", "Y-100", "P-0001", FUTURE, 6, None, None]
    )  # future date
    ws.append(["广州已有客户有限公司", "pH计", "FE28", "FE28-0099", None, None, None, None])
    wb.save(path)
    return path


STAMP = re.compile(r"\(row (\d+), \d{4}-\d\d-\d\d \d\d:\d\d\)")


def _key_rows(dev) -> dict:
    """Every live client, contact, equipment and service note of a laptop, as plain values keyed
    by what identifies them (ids differ between the two imports; links are followed to names;
    the minute a merge note was written is left out)."""
    with dev.ctx.read() as s:
        clients = {c.id: c for c in s.scalars(select(Client).where(Client.deleted_at.is_(None)))}
        contacts = {p.id: p for p in s.scalars(select(Contact).where(Contact.deleted_at.is_(None)))}
        equipment = list(s.scalars(select(Equipment).where(Equipment.deleted_at.is_(None))))
        notes = list(s.scalars(select(ServiceNote).where(ServiceNote.deleted_at.is_(None))))
        plans = list(s.scalars(select(VisitPlan).where(VisitPlan.deleted_at.is_(None))))

        def fields(row, entity):
            out = {}
            for name in SCHEMAS[entity]:
                value = getattr(row, name)
                if name == "reports_to_id" and value:
                    value = contacts[value].name
                if isinstance(value, str):
                    value = STAMP.sub(r"(row \1)", value)
                out[name] = sorted(value) if isinstance(value, list) else value
            return out

        return {
            "client": {c.name: fields(c, "client") for c in clients.values()},
            "contact": {(clients[p.client_id].name, p.name): fields(p, "contact") for p in contacts.values()},
            "equipment": {
                (clients[e.client_id].name, e.name, e.serial): fields(e, "equipment") for e in equipment
            },
            "service_note": sorted(
                (clients[n.client_id].name, n.category, STAMP.sub(r"(row \1)", n.text)) for n in notes
            ),
            "visit_plan": {
                (clients[p.client_id].name, p.kind): fields(p, "visit_plan")
                for p in plans
                if p.client_id in clients
            },
        }


def _server_cli(server, *args):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "accountdesk.server.cli",
            "--database-url",
            server.database_url,
            "--lang",
            "en",
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_server_import_equals_the_laptop_import_row_by_row_after_a_pull(server, make_device, tmp_path):
    sup = server.add_user("sup", "supervisor")
    mgr = server.add_user("mgr", "manager")
    server.add_user("gone", "manager")
    admin.deactivate_user(server.db, "gone")
    first = make_device("sup", name="first")
    first.sync()
    existing = client_service.create_client(first.ctx, name="广州已有客户有限公司", city="广州")
    # the supervisor's own standard for standard clients: both imports apply it (the server
    # reads it from its records), the key clients get the shipped default
    standards.set_standard(first.ctx, "standard", {"return_visit": 2, "improvement_review": 12})
    first.sync()
    files = [
        clients_csv(tmp_path / "客户.csv"),
        contacts_xlsx(tmp_path / "联系人.xlsx"),
        equipment_xlsx(tmp_path / "台账.xlsx"),
    ]
    kinds = ["clients", "contacts", "equipment"]

    laptop = make_device("sup", name="laptop")
    laptop.sync()
    laptop_results = []
    for path, kind in zip(files, kinds, strict=True):
        plan = plan_import(laptop.ctx, path, kind)
        laptop_results.append(
            (plan.to_dict(preview=False), run_import(laptop.ctx, plan, "merge", skip_rejected=True).to_dict())
        )
    # what the laptop's import wrote, before anything leaves it
    expected = _key_rows(laptop)

    for (laptop_plan, laptop_result), path, kind in zip(laptop_results, files, kinds, strict=True):
        code, out, err = _server_cli(
            server,
            "import",
            path,
            "--kind",
            kind,
            "--owner",
            "sup",
            "--skip-rejected",
            "--duplicates",
            "merge",
            "--json",
        )
        assert code == 0, err
        answer = json.loads(out)
        assert answer["result"] == laptop_result
        assert answer["plan"]["mapping"] == laptop_plan["mapping"]
        assert answer["plan"]["rejected"] == laptop_plan["rejected"]
        assert [d["row"] for d in answer["plan"]["duplicates"]] == [
            d["row"] for d in laptop_plan["duplicates"]
        ]

    # the checks found what a person would expect, on both sides alike
    assert laptop_results[0][1] == {"created": 3, "merged": 2, "skipped": 0, "rejected": 3}
    assert {(r["row"], r["field"]) for r in laptop_results[0][0]["rejected"]} == {
        (7, "uscc"),
        (8, "owner_id"),
        (9, "contract_renewal_date"),
    }
    assert laptop_results[1][1] == {"created": 4, "merged": 1, "skipped": 0, "rejected": 3}
    assert laptop_results[2][1] == {"created": 3, "merged": 1, "skipped": 0, "rejected": 1}
    assert laptop_results[2][0]["header_row"] == 3

    second = make_device("sup", name="second")
    second.sync()
    pulled = _key_rows(second)
    for entity in ("client", "contact", "equipment", "service_note", "visit_plan"):
        assert pulled[entity] == expected[entity], entity
    # every new client got its tier's standard as plans (the existing client none: merged into)
    by_client: dict[str, dict[str, int]] = {}
    for (name, kind), plan in pulled["visit_plan"].items():
        assert plan["from_standard"] and plan["active"]
        assert plan["owner_id"] == pulled["client"][name]["owner_id"]
        by_client.setdefault(name, {})[kind] = plan["every_months"]
    assert by_client == {
        "上海护航科技有限公司": DEFAULT_STANDARDS["key"],
        "北京远景医疗器械股份有限公司": {"return_visit": 2, "improvement_review": 12},
        "深圳中和检测技术有限公司": {"return_visit": 2, "improvement_review": 12},
    }
    # the merges: a differing name kept in a service note, a differing title in the contact's notes
    assert (
        "上海护航科技有限公司",
        "Import",
        "Values from the import of 客户.csv (row 5) that differ from this record:\n"
        "Name: 上海护航科技股份有限公司",
    ) in pulled["service_note"]
    assert "Job title: 副总" in pulled["contact"][("上海护航科技有限公司", "张三")]["notes"]
    assert pulled["equipment"][("上海护航科技有限公司", "电子天平", "B123456789")]["notes"].endswith(
        "Last calibrated: 2025-07-01"
    )
    assert pulled["client"]["上海护航科技有限公司"]["owner_id"] == mgr
    assert pulled["client"]["北京远景医疗器械股份有限公司"]["owner_id"] == sup
    assert pulled["contact"][("上海护航科技有限公司", "李四")]["reports_to_id"] == "张三"
    assert (
        pulled["equipment"][("北京远景医疗器械股份有限公司", "恒温恒湿箱", None)]["status"]
        == "out_of_service"
    )
    assert ("广州已有客户有限公司", "孙八") in pulled["contact"]
    with second.ctx.read() as s:
        assert s.scalar(select(func.count()).select_from(Client).where(Client.id == existing)) == 1

    # ordinary changes: one history entry per created record, the import in the audit log
    with server.db.read() as conn:
        made = conn.execute(
            select(func.count())
            .select_from(t.records)
            .where(t.records.c.entity.in_(["client", "contact", "equipment"]))
        ).scalar_one()
        history = conn.execute(
            select(func.count())
            .select_from(t.history)
            .where(t.history.c.field == "*", t.history.c.entity.in_(["client", "contact", "equipment"]))
        ).scalar_one()
        audits = [
            r["detail"] for r in conn.execute(select(t.audit).where(t.audit.c.action == "import")).mappings()
        ]
        merged = conn.execute(
            select(t.history.c.entity, t.history.c.field).where(t.history.c.field == "notes")
        ).all()
    assert made == 1 + 3 + 4 + 3 and history == made
    assert sorted(merged) == [("contact", "notes"), ("equipment", "notes")]  # a merge: per-field history
    assert [a["kind"] for a in audits] == kinds and audits[0]["created"] == 3

    # the account manager's own laptop gets the client the file gave them, and only that one
    mine = make_device("mgr", name="mgr")
    mine.sync()
    assert set(_key_rows(mine)["client"]) == {"上海护航科技有限公司"}


def test_dry_run_json_all_or_nothing_and_skip_rejected(server, tmp_path, capsys, monkeypatch):
    from accountdesk.server import importer

    monkeypatch.setattr(importer, "WRITE_EVERY", 3)  # written in slices, still one transaction
    server.add_user("sup", "supervisor")
    server.add_user("mgr", "manager")
    path = clients_csv(tmp_path / "客户.csv")
    url = server.database_url

    def records() -> tuple[int, int]:
        with server.db.read() as conn:
            return (
                conn.execute(select(func.count()).select_from(t.records)).scalar_one(),
                conn.execute(select(t.counter.c.seq)).scalar_one(),
            )

    before = records()
    assert (
        server_main(
            [
                "--database-url",
                url,
                "--lang",
                "en",
                "import",
                str(path),
                "--kind",
                "clients",
                "--owner",
                "sup",
                "--dry-run",
                "--json",
            ]
        )
        == 0
    )
    plan = json.loads(capsys.readouterr().out)["plan"]
    assert plan["counts"] == {"total": 8, "new": 4, "duplicate": 1, "rejected": 3}
    assert plan["preview"][0]["values"]["name"] == "上海护航科技有限公司"
    assert records() == before  # a dry run writes nothing

    # rejected rows: nothing is written, exit 2, each row and field named
    assert (
        server_main(
            [
                "--database-url",
                url,
                "--lang",
                "en",
                "import",
                str(path),
                "--kind",
                "clients",
                "--owner",
                "sup",
                "--json",
            ]
        )
        == 2
    )
    captured = capsys.readouterr()
    error = json.loads(captured.out)
    assert (
        error["exit_code"] == 2
        and error["field"] == "file"
        and "Rows that cannot be imported: 3" in error["error"]
    )
    assert [e["field"] for e in error["errors"]] == [
        "row 7: uscc",
        "row 8: owner_id",
        "row 9: contract_renewal_date",
    ]
    assert "row 8: owner_id: This user has been deactivated: gone" not in captured.err  # gone is unknown here
    assert "row 8: owner_id: Unknown user: gone" in captured.err
    assert records() == before
    # in words: the plan first, then why nothing was imported
    assert (
        server_main(
            [
                "--database-url",
                url,
                "--lang",
                "en",
                "import",
                str(path),
                "--kind",
                "clients",
                "--owner",
                "sup",
            ]
        )
        == 2
    )
    captured = capsys.readouterr()
    assert "8 rows: 4 new, 1 duplicates, 3 rejected" in captured.out and "Imported" not in captured.out
    assert "row 9, 合同续签日期 (contract_renewal_date): " in captured.out
    assert "Rows that cannot be imported: 3." in captured.err
    assert records() == before

    assert (
        server_main(
            [
                "--database-url",
                url,
                "--lang",
                "en",
                "import",
                str(path),
                "--kind",
                "clients",
                "--owner",
                "sup",
                "--skip-rejected",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Imported: 4 created, 0 merged, 1 skipped, 3 rejected." in out
    # the 4 clients and their tiers' standards (a key client 4 plans, the 3 standard ones 2 each)
    plans = len(DEFAULT_STANDARDS["key"]) + 3 * len(DEFAULT_STANDARDS["standard"])
    assert records()[0] == before[0] + 4 + plans
    with server.db.read() as conn:  # every record its own number, the counter at the last one
        seqs = [
            r.seq
            for r in conn.execute(
                select(t.records.c.seq).where(t.records.c.entity.in_(["client", "visit_plan"]))
            )
        ]
        assert len(set(seqs)) == 4 + plans
        assert max(seqs) == conn.execute(select(t.counter.c.seq)).scalar_one()
    # the same file again: every row is a duplicate of what is there now
    assert (
        server_main(
            [
                "--database-url",
                url,
                "--lang",
                "en",
                "import",
                str(path),
                "--kind",
                "clients",
                "--owner",
                "sup",
                "--skip-rejected",
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["result"] == {
        "created": 0,
        "merged": 0,
        "skipped": 5,
        "rejected": 3,
    }


def test_the_owner_must_be_an_active_known_user_and_exit_codes(server, tmp_path, capsys):
    server.add_user("sup", "supervisor")
    server.add_user("mgr", "manager")
    server.add_user("left", "manager")
    admin.deactivate_user(server.db, "left")
    path = clients_csv(tmp_path / "客户.csv")
    url = server.database_url
    base = [
        "--database-url",
        url,
        "--lang",
        "en",
        "import",
        str(path),
        "--kind",
        "clients",
        "--skip-rejected",
    ]

    assert server_main([*base, "--owner", "left", "--json"]) == 2
    error = json.loads(capsys.readouterr().out)
    assert error["field"] == "owner" and "deactivated" in error["error"]
    assert server_main([*base, "--owner", "nobody"]) == 2
    assert "owner: Unknown user: nobody" in capsys.readouterr().err
    # without an owner, a clients file must name one for each client: the column is not enough
    assert server_main([*base, "--map", "客户主管="]) == 2
    assert "owner:" in capsys.readouterr().err
    assert server_main([*base, "--map", "没有这一列=name"]) == 2
    assert "map:" in capsys.readouterr().err
    assert (
        server_main(
            [
                "--database-url",
                url,
                "import",
                str(tmp_path / "missing.csv"),
                "--kind",
                "clients",
                "--owner",
                "sup",
            ]
        )
        == 2
    )
    with server.db.read() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(t.records).where(t.records.c.entity == "client")
            ).scalar_one()
            == 0
        )
    # anything else (here: no database there) is exit 1
    assert (
        server_main(
            [
                "--database-url",
                "postgresql+psycopg://nobody@127.0.0.1:1/none",
                "import",
                str(path),
                "--kind",
                "clients",
                "--owner",
                "sup",
            ]
        )
        == 1
    )


def test_a_client_pushed_while_the_file_is_checked_is_a_duplicate_not_a_second_record(
    server, make_device, tmp_path, monkeypatch
):
    from accountdesk.io import plan as P
    from accountdesk.server.importer import import_file

    server.add_user("sup", "supervisor")
    server.add_user("mgr", "manager")
    laptop = make_device("sup")
    laptop.sync()
    path = clients_csv(tmp_path / "客户.csv")
    checked = P.refuse_rejected

    def meanwhile(
        plan, skip_rejected
    ):  # between the checks and the write: a laptop pushes a client of the file
        if not hasattr(meanwhile, "done"):
            meanwhile.done = True
            client_service.create_client(laptop.ctx, name="深圳中和检测技术有限公司")
            laptop.sync()
        return checked(plan, skip_rejected)

    monkeypatch.setattr(P, "refuse_rejected", meanwhile)
    outcome = import_file(server.db, path, "clients", owner="sup", skip_rejected=True)
    assert outcome.result.to_dict() == {"created": 3, "merged": 0, "skipped": 2, "rejected": 3}
    assert [(d.row, d.reason) for d in outcome.plan.duplicates] == [(4, "name"), (5, "name")]
    with server.db.read() as conn:
        names = [r["data"]["name"] for r in repo.live_clients(conn)]
    assert sorted(names) == sorted(
        [
            "上海护航科技有限公司",
            "北京远景医疗器械股份有限公司",
            "深圳中和检测技术有限公司",
            "广州已有客户有限公司",
        ]
    )
