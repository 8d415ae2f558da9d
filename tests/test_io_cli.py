"""The import/export/backup/duplicates commands: output contract and exit codes."""

from __future__ import annotations

import json

import icalendar
import vobject

from accountdesk.cli import main
from accountdesk.domain.validation import uscc_check_char


def uscc(n: int) -> str:
    body = f"91330100{n:09d}"
    return body + uscc_check_char(body)


def run(capsys, data_dir, *args):
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def gbk_csv(path, rows):
    path.write_bytes(("\r\n".join(",".join(r) for r in rows) + "\r\n").encode("gb18030"))
    return path


def test_import_dry_run_then_import_then_exports(capsys, data_dir, tmp_path):
    clients_csv = gbk_csv(
        tmp_path / "clients.csv",
        [
            ["客户名称", "统一社会信用代码", "城市", "备注栏"],
            ["杭州云帆科技有限公司", uscc(1), "杭州", "x"],
            ["宁波港通物流有限公司", "", "宁波", ""],
        ],
    )
    code, out, _ = run(
        capsys, data_dir, "import", str(clients_csv), "--dry-run", "--json", "--map", "备注栏=description"
    )
    assert code == 0
    plan = json.loads(out)["plan"]
    assert plan["counts"] == {"total": 2, "new": 2, "duplicate": 0, "rejected": 0}
    assert plan["mapping"]["备注栏"] == "description" and plan["encoding"] == "gb18030"
    code, out, _ = run(capsys, data_dir, "clients", "list", "--json")
    assert json.loads(out) == []  # a dry run writes nothing
    code, out, _ = run(capsys, data_dir, "import", str(clients_csv), "--json")
    assert code == 0 and json.loads(out)["result"]["created"] == 2
    contacts_csv = gbk_csv(
        tmp_path / "contacts.csv",
        [
            ["客户名称", "姓名", "手机"],
            ["杭州云帆科技", "陈静", "13600136000"],
            ["宁波港通物流有限公司", "周敏", "13500135000"],
        ],
    )
    code, out, _ = run(capsys, data_dir, "import", str(contacts_csv), "--kind", "contacts")
    assert code == 0 and "2 created" in out

    code, out, _ = run(
        capsys, data_dir, "export", "contacts", "--out", str(tmp_path / "c.vcf"), "--format", "vcf4", "--json"
    )
    assert code == 0 and json.loads(out)["count"] == 2
    cards = list(vobject.readComponents((tmp_path / "c.vcf").read_text(encoding="utf-8")))
    assert sorted(c.fn.value for c in cards) == ["周敏", "陈静"]
    code, out, _ = run(capsys, data_dir, "export", "calendar", "--out", str(tmp_path / "v.ics"))
    assert code == 0
    assert icalendar.Calendar.from_ical((tmp_path / "v.ics").read_bytes())["VERSION"] == "2.0"
    code, out, _ = run(capsys, data_dir, "export", "clients", "--out", str(tmp_path / "c.csv"))
    assert code == 0 and (tmp_path / "c.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    code, _, err = run(
        capsys, data_dir, "export", "calendar", "--out", str(tmp_path / "v.xlsx"), "--format", "xlsx"
    )
    assert code == 2 and "ics" in err

    backup = tmp_path / "b.zip"
    code, out, _ = run(capsys, data_dir, "export", "backup", "--out", str(backup), "--json")
    assert code == 0 and json.loads(out)["tables"]["contacts"] == 2
    code, _, err = run(capsys, data_dir, "restore", str(backup))
    assert code == 2 and "empty profile" in err  # never over existing data
    fresh = tmp_path / "fresh"
    code, out, _ = run(capsys, fresh, "restore", str(backup), "--json")
    assert code == 0 and json.loads(out)["format"] == "accountdesk-backup"
    code, out, _ = run(capsys, fresh, "clients", "list", "--json")
    assert sorted(c["name"] for c in json.loads(out)) == ["宁波港通物流有限公司", "杭州云帆科技有限公司"]


def test_import_with_rejected_rows_exits_2_and_lists_every_row(capsys, data_dir, tmp_path):
    path = gbk_csv(
        tmp_path / "c.csv", [["客户名称", "员工人数"], ["好公司", "10"], ["", "5"], ["坏公司", "很多"]]
    )
    code, out, err = run(capsys, data_dir, "import", str(path))
    assert code == 2
    assert "row 3" in out and "row 4" in out and "员工人数" in out
    assert "row 4" in err
    code, out, _ = run(capsys, data_dir, "clients", "list", "--json")
    assert json.loads(out) == []
    code, out, _ = run(capsys, data_dir, "import", str(path), "--json")
    payload = json.loads(out)  # one JSON document: the error, with every rejected row
    assert code == 2 and {e["field"] for e in payload["errors"]} == {"row 3: name", "row 4: employees"}
    code, out, _ = run(capsys, data_dir, "import", str(path), "--skip-rejected", "--json")
    assert code == 0 and json.loads(out)["result"] == {"created": 1, "merged": 0, "skipped": 0, "rejected": 2}
    code, _, err = run(capsys, data_dir, "import", str(tmp_path / "missing.csv"))
    assert code == 2 and "file" in err


def test_duplicates_merge_and_undo(capsys, data_dir):
    assert run(capsys, data_dir, "clients", "add", "--name", "温州瓯海电器有限公司")[0] == 0
    assert (
        run(capsys, data_dir, "clients", "add", "--name", "温州瓯海电器股份有限公司", "--uscc", uscc(9))[0]
        == 0
    )
    code, out, _ = run(capsys, data_dir, "duplicates", "--json")
    groups = json.loads(out)["clients"]
    assert code == 0 and len(groups) == 1 and groups[0]["reason"] == "name"
    code, out, _ = run(
        capsys, data_dir, "merge", "温州瓯海电器股份有限公司", "--into", "温州瓯海电器有限公司", "--json"
    )
    assert code == 0
    merge_id = json.loads(out)["merge_id"]
    code, out, _ = run(capsys, data_dir, "clients", "show", "温州瓯海电器有限公司", "--json")
    assert json.loads(out)["uscc"] == uscc(9)
    code, out, _ = run(capsys, data_dir, "merge", "--undo", merge_id)
    assert code == 0
    code, out, _ = run(capsys, data_dir, "clients", "list", "--json")
    assert len(json.loads(out)) == 2
    code, _, err = run(capsys, data_dir, "merge", "--undo", merge_id)
    assert code == 2
    code, _, err = run(capsys, data_dir, "merge", "温州瓯海电器有限公司")
    assert code == 2


def test_equipment_ledger_of_one_client_from_a_gbk_csv(capsys, data_dir, tmp_path):
    """A calibration client's ledger as Excel on Chinese Windows saves it: `--client` names the
    client (no client column), serial number + model find duplicates, all or nothing."""
    code, out, _ = run(capsys, data_dir, "clients", "add", "--name", "苏州精测计量有限公司", "--json")
    assert code == 0
    ledger = gbk_csv(
        tmp_path / "台账.csv",
        [
            ["序号", "仪器设备名称", "规格型号", "出厂编号", "检定日期", "检定周期", "使用部门", "状态"],
            ["1", "电子天平", "XS205", "B123456789", "2025/6/1", "12", "理化室", "在用"],
            ["2", "数显卡尺", "0-150mm", "SN-0012 3", "2025-03-15", "6", "计量室", "在用"],
            ["3", "电子天平", "xs 205", "b123456789", "2025-07-01", "12", "理化室", "在用"],  # row 2 again
            ["4", "压力表", "Y-100", "P-0001", "2099-01-01", "6", "", ""],  # calibrated in the future
        ],
    )
    code, out, err = run(
        capsys,
        data_dir,
        "import",
        str(ledger),
        "--kind",
        "equipment",
        "--client",
        "苏州精测计量有限公司",
        "--json",
    )
    assert code == 2  # the future date: nothing imported
    errors = json.loads(out)["errors"]
    assert errors[0]["field"] == "row 5: last_calibrated_on"
    code, out, _ = run(capsys, data_dir, "clients", "show", "苏州精测计量有限公司", "--json")
    assert json.loads(out)["equipment"] == []
    code, out, err = run(
        capsys,
        data_dir,
        "import",
        str(ledger),
        "--kind",
        "equipment",
        "--client",
        "苏州精测计量有限公司",
        "--skip-rejected",
        "--json",
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["result"] == {"created": 2, "merged": 0, "skipped": 1, "rejected": 1}
    assert (
        answer["plan"]["mapping"]["检定日期"] == "last_calibrated_on"
        and answer["plan"]["mapping"]["序号"] is None
    )
    assert answer["plan"]["duplicates"] == [
        {"row": 4, "reason": "serial", "existing_id": None, "existing_name": "电子天平", "same_as_row": 2}
    ]
    code, out, _ = run(capsys, data_dir, "clients", "show", "苏州精测计量有限公司", "--json")
    held = {e["serial"]: e for e in json.loads(out)["equipment"]}
    assert set(held) == {"B123456789", "SN-0012 3"}
    assert (
        held["B123456789"]["model"],
        held["B123456789"]["last_calibrated_on"],
        held["B123456789"]["location"],
    ) == ("XS205", "2025-06-01", "理化室")
    assert held["SN-0012 3"]["next_calibration_on"] == "2025-09-15"
    # the same file again: every instrument is there already
    code, out, _ = run(
        capsys,
        data_dir,
        "import",
        str(ledger),
        "--kind",
        "equipment",
        "--client",
        "苏州精测计量有限公司",
        "--skip-rejected",
        "--json",
    )
    assert json.loads(out)["result"] == {"created": 0, "merged": 0, "skipped": 3, "rejected": 1}
    code, out, err = run(
        capsys, data_dir, "import", str(ledger), "--kind", "equipment", "--client", "没有这家"
    )
    assert code == 2 and "没有这家" in err
