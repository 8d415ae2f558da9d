"""Import of clients and contacts from files made the way Excel and WPS make them."""

from __future__ import annotations

import time
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from accountdesk.domain.standards import DEFAULT_STANDARDS
from accountdesk.domain.validation import uscc_check_char
from accountdesk.errors import ValidationError
from accountdesk.io.importer import plan_import, run_import
from accountdesk.models import Client, Contact, OutboxEntry, ServiceNote, VisitPlan
from accountdesk.services import clients


def uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


def excel_csv(path, rows, encoding="gb18030"):
    """A CSV as Excel on Chinese Windows saves it: GBK bytes, CRLF, quotes only where needed."""
    lines = []
    for r in rows:
        cells = []
        for c in r:
            c = str(c)
            if any(ch in c for ch in ',"\n'):
                c = '"' + c.replace('"', '""') + '"'
            cells.append(c)
        lines.append(",".join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def counts(ctx):
    _ = ctx.actor  # the local user is created on first use; count after that
    with ctx.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Client)),
            s.scalar(select(func.count()).select_from(Contact)),
            s.scalar(select(func.count()).select_from(OutboxEntry)),
        )


CLIENT_ROWS = [
    ["客户名称", "统一社会信用代码", "行业", "客户等级", "城市", "员工人数", "合同续签日期"],
    ["上海护航科技有限公司", uscc(1), "检测", "Key client", "上海", "1,200", "2026/12/31"],
    ["北京远景医疗器械股份有限公司", uscc(2), "医疗", "key", "北京", "300", "2027-01-15"],
    ["深圳中和检测技术有限公司", "", "检测", "", "深圳", "", ""],
]


def test_gbk_csv_as_excel_saves_it_imports_every_client_with_outbox_entries(ctx, tmp_path):
    path = excel_csv(tmp_path / "客户.csv", CLIENT_ROWS)
    plan = plan_import(ctx, path)
    assert plan.kind == "clients" and plan.encoding == "gb18030"
    assert plan.mapping["客户名称"] == "name" and plan.mapping["统一社会信用代码"] == "uscc"
    assert (plan.total, plan.new, plan.rejected_rows) == (3, 3, 0)
    assert plan.preview[0].cells[:2] == ["上海护航科技有限公司", uscc(1)]  # for the mapping editor
    before = counts(ctx)
    result = run_import(ctx, plan)
    assert result.created == 3
    after = counts(ctx)
    # one outbox entry per row, and per plan of the tier's service standard each client got
    plans = sum(len(DEFAULT_STANDARDS[t]) for t in ("key", "key", "standard"))
    assert after[0] - before[0] == 3 and after[2] - before[2] == 3 + plans
    with ctx.read() as s:
        row = s.scalar(select(Client).where(Client.name == "上海护航科技有限公司"))
        assert (row.uscc, row.tier, row.employees, str(row.contract_renewal_date)) == (
            uscc(1),
            "key",
            1200,
            "2026-12-31",
        )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_and_without_bom_is_detected(ctx, tmp_path, encoding):
    path = excel_csv(tmp_path / "c.csv", CLIENT_ROWS, encoding=encoding)
    plan = plan_import(ctx, path, "clients")
    assert plan.encoding == "utf-8" and plan.columns[0] == "客户名称" and plan.new == 3


def test_english_headers_and_manual_mapping_override(ctx, tmp_path):
    path = excel_csv(
        tmp_path / "c.csv",
        [
            ["Company", "Credit code", "Region", "Remarks"],
            ["Acme Trading Co., Ltd.", uscc(5), "Shanghai", "x"],
        ],
        "utf-8",
    )
    plan = plan_import(ctx, path, "clients")
    assert plan.mapping == {"Company": "name", "Credit code": "uscc", "Region": None, "Remarks": None}
    plan = plan_import(ctx, path, "clients", mapping={"Region": "city", "D": "description"})
    assert plan.mapping["Region"] == "city" and plan.mapping["Remarks"] == "description"
    run_import(ctx, plan)
    with ctx.read() as s:
        assert s.scalar(select(Client.city).where(Client.uscc == uscc(5))) == "Shanghai"
    with pytest.raises(ValidationError) as err:
        plan_import(ctx, path, "clients", mapping={"Region": "nonsense"})
    assert err.value.field == "map"


def test_xlsx_with_title_rows_and_merged_cells_finds_the_header_and_fills_merged_values(ctx, tmp_path):
    clients.create_client(ctx, name="上海护航科技有限公司", uscc=uscc(1))
    clients.create_client(ctx, name="北京远景医疗器械股份有限公司")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "联系人名单"
    ws["A1"] = "2026年重点客户联系人"
    ws.merge_cells("A1:E1")
    ws["A2"] = "制表：销售部        日期：2026-03-01"
    ws.merge_cells("A2:E2")
    ws.append(["所属客户", "姓名", "职务", "手机", "邮箱"])
    ws.append(["上海护航科技有限公司", "张伟", "总经理", "13800138000", "zhangwei@example.com"])
    ws.append([None, "李娜", "采购经理", "13900139000", None])
    ws.append([None, "王强", "技术总监", 13700137000, "wq@example.com"])
    ws.merge_cells("A4:A6")  # the client name merged over its three contacts, as people do
    ws.append(["北京远景医疗器械有限公司", "赵敏", "", "", ""])  # name without 股份: still the same client
    path = tmp_path / "contacts.xlsx"
    wb.save(path)
    plan = plan_import(ctx, path)
    assert plan.kind == "contacts" and plan.header_row == 3 and plan.sheet == "联系人名单"
    assert plan.mapping["所属客户"] == "client"
    assert (plan.total, plan.new, plan.rejected_rows) == (4, 4, 0), plan.rejected
    run_import(ctx, plan)
    with ctx.read() as s:
        rows = s.execute(
            select(Contact.name, Contact.mobile, Client.name).join(Client, Client.id == Contact.client_id)
        ).all()
    assert sorted(rows) == sorted(
        [
            ("张伟", "+8613800138000", "上海护航科技有限公司"),
            ("李娜", "+8613900139000", "上海护航科技有限公司"),
            ("王强", "+8613700137000", "上海护航科技有限公司"),
            ("赵敏", None, "北京远景医疗器械股份有限公司"),
        ]
    )


def test_rejected_rows_are_reported_with_row_field_and_reason_and_nothing_is_written(ctx, tmp_path):
    rows = CLIENT_ROWS + [
        ["", uscc(9), "", "", "", "", ""],
        ["坏代码公司", "91310000ABC", "", "", "", "-5", ""],
    ]
    path = excel_csv(tmp_path / "c.csv", rows)
    plan = plan_import(ctx, path)
    assert plan.rejected_rows == 2
    reasons = {(r.row, r.field, r.column) for r in plan.rejected}
    assert (5, "name", "客户名称") in reasons
    assert (6, "uscc", "统一社会信用代码") in reasons and (6, "employees", "员工人数") in reasons
    assert all(r.message for r in plan.rejected)
    before = counts(ctx)
    with pytest.raises(ValidationError) as err:
        run_import(ctx, plan)
    assert any("row 6" in f for f, _m in err.value.errors)
    assert counts(ctx) == before
    result = run_import(ctx, plan, skip_rejected=True)
    assert (result.created, result.rejected) == (3, 2)


def test_duplicates_by_credit_code_and_normalised_name_can_be_skipped_or_merged(ctx, tmp_path):
    first = clients.create_client(
        ctx, name="上海护航科技有限公司", uscc=uscc(1), city="上海", industry="制造"
    )
    second = clients.create_client(ctx, name="ＡＢＣ Trading Co., Ltd.")
    rows = [
        ["客户名称", "统一社会信用代码", "行业", "城市", "地址"],
        ["护航科技（上海）", uscc(1), "检测", "上海", "浦东新区张江路1号"],  # same code
        ["abc trading", "", "", "", "Room 1"],  # same name after normalising
        ["新客户股份有限公司", "", "", "", ""],
        ["新客户有限公司", "", "", "", ""],  # same as the row above
    ]
    path = excel_csv(tmp_path / "c.csv", rows)
    plan = plan_import(ctx, path)
    dups = {r.row: (r.reason, r.match_id, r.match_row) for r in plan.duplicates}
    assert dups == {2: ("uscc", first, None), 3: ("name", second, None), 5: ("name", None, 4)}
    skipped = run_import(ctx, plan, "skip")
    assert (skipped.created, skipped.skipped) == (1, 3)
    plan = plan_import(ctx, path)  # again: the new client is now in the store
    merged = run_import(ctx, plan, {2: "merge"})
    assert merged.merged == 1
    in_file = excel_csv(
        tmp_path / "d.csv", [["客户名称", "城市"], ["又一家有限公司", ""], ["又一家股份有限公司", "杭州"]]
    )
    result = run_import(ctx, plan_import(ctx, in_file), "merge")  # the second row fills the first
    assert (result.created, result.merged) == (1, 1)
    with ctx.read() as s:
        assert s.scalar(select(Client.city).where(Client.name == "又一家有限公司")) == "杭州"
    with ctx.read() as s:
        row = s.get(Client, first)
        assert row.address == "浦东新区张江路1号" and row.industry == "制造"  # filled, not overwritten
        note = s.scalar(select(ServiceNote).where(ServiceNote.client_id == first))
        assert "检测" in note.text and "Industry" in note.text


def test_contacts_duplicates_by_mobile(ctx, tmp_path):
    cid = clients.create_client(ctx, name="护航科技")
    from accountdesk.services import records

    records.create_record(ctx, "contact", {"name": "张伟", "mobile": "13800138000"}, client_id=cid)
    path = excel_csv(
        tmp_path / "p.csv",
        [["客户", "姓名", "手机"], ["护航科技", "张 伟", ""], ["护航科技", "Zhang Wei", "138 0013 8000"]],
    )
    plan = plan_import(ctx, path, "contacts")
    assert [(r.row, r.reason) for r in plan.duplicates] == [(2, "name"), (3, "mobile")]


def test_a_failure_in_the_middle_leaves_the_store_as_it_was(ctx, tmp_path):
    path = excel_csv(tmp_path / "c.csv", CLIENT_ROWS)
    plan = plan_import(ctx, path)
    # between preview and import somebody else creates a client with the third row's code
    clients.create_client(ctx, name="别人先建的", uscc=uscc(2))
    before = counts(ctx)
    with pytest.raises(ValidationError) as err:
        run_import(ctx, plan)
    assert err.value.field == "uscc" and "Row 3" in err.value.message
    assert counts(ctx) == before


def test_huge_csv_is_refused_fast_with_a_size_error(ctx, tmp_path):
    path = tmp_path / "huge.csv"
    line = ("客户名称,城市\r\n" + "某某公司,上海\r\n" * 10).encode("utf-8")
    with open(path, "wb") as fh:
        fh.truncate(100 * 1024 * 1024)  # sparse: a 100 MB file in no time
        fh.seek(0)
        fh.write(line)
    started = time.perf_counter()
    with pytest.raises(ValidationError) as err:
        plan_import(ctx, path)
    assert time.perf_counter() - started < 1.0
    assert err.value.field == "file" and "too large" in err.value.message


def test_truncated_xlsx_and_wrong_encoding_get_clear_errors(ctx, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["客户名称"])
    wb.active.append(["护航科技"])
    good = tmp_path / "good.xlsx"
    wb.save(good)
    data = good.read_bytes()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValidationError) as err:
        plan_import(ctx, bad)
    assert "damaged" in err.value.message
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ValidationError) as err:
        plan_import(ctx, garbage)
    assert err.value.field == "file"
    assert zipfile.is_zipfile(good)


def test_no_header_row_is_a_clear_error(ctx, tmp_path):
    path = excel_csv(tmp_path / "c.csv", [["a", "b"], ["1", "2"]], "utf-8")
    with pytest.raises(ValidationError) as err:
        plan_import(ctx, path)
    assert err.value.field == "file" and "header" in err.value.message


def test_unicode_text_from_excel_utf16_tab_separated(ctx, tmp_path):
    """Excel's “Unicode text (*.txt)”: UTF-16 LE with a BOM, tab-separated."""
    path = tmp_path / "clients.txt"
    text = "\r\n".join("\t".join(r) for r in CLIENT_ROWS) + "\r\n"
    path.write_bytes(text.encode("utf-16"))
    plan = plan_import(ctx, path)
    assert plan.encoding == "utf-16" and plan.columns[1] == "统一社会信用代码" and plan.new == 3


def test_contacts_link_by_credit_code_or_into_a_given_client_and_report_progress(ctx, tmp_path):
    a = clients.create_client(ctx, name="护航科技", uscc=uscc(1))
    b = clients.create_client(ctx, name="远景医疗")
    path = excel_csv(
        tmp_path / "p.csv",
        [
            ["统一社会信用代码", "姓名", "职务"],
            [uscc(1), "张伟", "总经理"],
            [uscc(2), "李娜", ""],
            ["", "王强", ""],
        ],
    )
    plan = plan_import(ctx, path, "contacts")
    assert plan.mapping["统一社会信用代码"] == "client_uscc"
    assert [r.row for r in plan.rows if r.status == "new"] == [2]
    assert {(r.row, r.field) for r in plan.rejected} == {(3, "client_uscc"), (4, "client")}
    seen = []
    result = run_import(
        ctx, plan, progress=lambda done, total: seen.append((done, total)), skip_rejected=True
    )
    assert result.created == 1 and seen[-1] == (1, 1)
    # from a client's workspace: every row goes to that client, no client column needed
    path = excel_csv(tmp_path / "q.csv", [["姓名", "手机"], ["赵敏", "13900139001"], ["钱进", ""]])
    plan = plan_import(ctx, path, client_id=b)
    assert plan.kind == "contacts" and plan.new == 2
    run_import(ctx, plan)
    with ctx.read() as s:
        assert sorted(s.scalars(select(Contact.name).where(Contact.client_id == b))) == ["赵敏", "钱进"]
        assert s.scalar(select(Contact.client_id).where(Contact.name == "张伟")) == a


def test_imported_rows_and_outbox_entries_are_the_same_as_created_one_by_one(ctx, tmp_path):
    """The import writes in batches; what it writes must not differ from an ordinary create."""
    from accountdesk.models import data_columns

    values = {"name": "逐条新建有限公司", "city": "上海", "tier": "key", "employees": 12}
    one = clients.create_client(ctx, standard=True, **values)
    path = excel_csv(
        tmp_path / "c.csv",
        [["客户名称", "城市", "客户等级", "员工人数"], ["批量导入有限公司", "上海", "key", "12"]],
    )
    (imported,) = run_import(ctx, plan_import(ctx, path)).created_ids
    with ctx.read() as s:
        a, b = s.get(Client, one), s.get(Client, imported)
        cols = [c for c in data_columns(Client) if c != "name"]
        assert {c: getattr(a, c) for c in cols} == {c: getattr(b, c) for c in cols}
        assert b.client_id == b.id and b.created_by == a.created_by and b.updated_at > a.updated_at
        ea, eb = (s.scalar(select(OutboxEntry).where(OutboxEntry.row_id == i)) for i in (one, imported))
        assert ea.fields.keys() == eb.fields.keys()
        assert {k: v for k, v in ea.fields.items() if k not in ("name", "client_id")} == {
            k: v for k, v in eb.fields.items() if k not in ("name", "client_id")
        }
        assert (eb.op, eb.entity, eb.hlc) == ("create", "client", b.updated_at)
        # the tier's standard: the same plans, with the same outbox entries, as a client made by hand
        pa, pb = (
            {p.kind: p for p in s.scalars(select(VisitPlan).where(VisitPlan.client_id == i))}
            for i in (one, imported)
        )
        assert set(pa) == set(pb) == set(DEFAULT_STANDARDS["key"])
        plan_cols = data_columns(VisitPlan)
        for kind in pa:
            assert {c: getattr(pa[kind], c) for c in plan_cols} == {
                c: getattr(pb[kind], c) for c in plan_cols
            }
            ea, eb = (
                s.scalar(select(OutboxEntry).where(OutboxEntry.row_id == p.id)) for p in (pa[kind], pb[kind])
            )
            assert {k: v for k, v in ea.fields.items() if k != "client_id"} == {
                k: v for k, v in eb.fields.items() if k != "client_id"
            }
            assert eb.client_id == imported and eb.entity == "visit_plan"


def test_field_staff_may_import_contacts_but_not_clients(ctx, tmp_path):
    from accountdesk.errors import PermissionDenied
    from accountdesk.services import records as rec

    clients.create_client(ctx, name="护航科技")
    field = rec.create_record(ctx, "user", {"username": "f", "display_name": "驻场", "role": "field"})
    ctx.set_actor(field)
    contacts = excel_csv(tmp_path / "p.csv", [["客户名称", "姓名"], ["护航科技", "张伟"]])
    assert plan_import(ctx, contacts).kind == "contacts"  # kind guessed among what the role may create
    with pytest.raises(PermissionDenied):
        plan_import(ctx, excel_csv(tmp_path / "c.csv", CLIENT_ROWS), "clients")


def test_old_xls_and_a_workbook_that_unpacks_too_large_are_refused(ctx, tmp_path, monkeypatch):
    from accountdesk.io import csv_excel

    xls = tmp_path / "old.xls"
    xls.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    )  # an OLE2 header, as Excel 97-2003 writes
    with pytest.raises(ValidationError) as err:
        plan_import(ctx, xls)
    assert ".xlsx" in err.value.message
    wb = openpyxl.Workbook()
    for i in range(3000):
        wb.active.append(["某某客户有限公司", i, "上海市浦东新区张江高科技园区"])
    bomb = tmp_path / "big.xlsx"
    wb.save(bomb)
    monkeypatch.setattr(csv_excel, "MAX_XLSX_UNPACKED_BYTES", 100_000)  # a small limit instead of a real bomb
    with pytest.raises(ValidationError) as err:
        plan_import(ctx, bomb)
    assert "unpacks to more than" in err.value.message


def test_a_plan_without_a_required_column_is_made_for_the_mapping_editor(ctx, tmp_path):
    from accountdesk.io.importer import missing_columns

    path = excel_csv(tmp_path / "c.csv", CLIENT_ROWS)
    with pytest.raises(ValidationError) as info:
        plan_import(ctx, path, "clients", {"客户名称": None})
    assert info.value.field == "name"
    plan = plan_import(ctx, path, "clients", {"客户名称": None}, require_columns=False)
    assert missing_columns(plan) == ["name"]
    assert plan.columns[0] == "客户名称" and plan.new == 0 and plan.rejected_rows == 3  # nothing importable
    assert missing_columns(plan_import(ctx, path, "clients")) == []


def _index_and_triggers(ctx):
    """The search index rows (without their ids) and the schema of the index's triggers."""
    with ctx.read() as s:
        rows = sorted(
            s.connection()
            .exec_driver_sql(
                "SELECT entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential FROM search_rows"
            )
            .all()
        )
        triggers = sorted(
            s.connection().exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
        )
    return rows, triggers


def test_a_large_import_is_found_by_search_and_syncs_like_any_other(ctx, tmp_path):
    """From BULK_INDEX_ROWS new rows on, the index takes an import's rows in one pass: they must be
    findable (Chinese, pinyin, initials, phone digits) exactly as rows indexed one by one, every row
    must have its outbox entry, and the index's triggers must be back in place afterwards."""
    from accountdesk.io.importer import BULK_INDEX_ROWS
    from accountdesk.services.search import search
    from accountdesk.store import search as index

    n = BULK_INDEX_ROWS + 5
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(["客户名称", "统一社会信用代码", "城市"])
    for i in range(n):
        ws.append(["杭州护航科技有限公司" if i == 700 else f"测试客户{i:05d}有限公司", uscc(i), "杭州"])
    ws = wb.create_sheet("联系人")
    ws.append(["客户名称", "姓名", "手机"])
    for i in range(n):
        ws.append(
            [
                "杭州护航科技有限公司" if i == 700 else f"测试客户{i:05d}有限公司",
                "曾小贤" if i == 700 else f"联系人{i}",
                f"139{i:08d}",
            ]
        )
    path = tmp_path / "big.xlsx"
    wb.save(path)
    _rows, triggers = _index_and_triggers(ctx)
    before = counts(ctx)
    made = run_import(ctx, plan_import(ctx, path, "clients"))
    people = run_import(ctx, plan_import(ctx, path, "contacts"))
    assert (made.created, people.created) == (n, n)
    after = counts(ctx)
    plans = n * len(DEFAULT_STANDARDS["standard"])  # each new client's tier standard
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (n, n, 2 * n + plans)
    with ctx.read() as s:
        ids = set(made.created_ids) | set(people.created_ids)
        entries = s.execute(
            select(OutboxEntry.row_id, OutboxEntry.op).where(OutboxEntry.row_id.in_(ids))
        ).all()
        assert sorted(e.row_id for e in entries) == sorted(ids) and {e.op for e in entries} == {"create"}

    hz = made.created_ids[700]
    for query in ("杭州护航", "hangzhouhuhang", "hzhhkj", "huhangkeji"):
        assert [(h.entity, h.row_id) for h in search(ctx, query) if h.entity == "client"] == [
            ("client", hz)
        ], query
    for query in ("曾小贤", "zengxiaoxian", "zxx", "13900000700"):
        hits = [h for h in search(ctx, query) if h.entity == "contact"]
        assert [(h.client_id, h.label) for h in hits] == [(hz, "曾小贤")], query
    indexed, after_triggers = _index_and_triggers(ctx)
    assert after_triggers == triggers
    with ctx.store.write() as s:  # the index is what indexing row by row gives
        index.rebuild(s.connection())
    assert _index_and_triggers(ctx)[0] == indexed
    # and later changes are indexed by the triggers again
    clients.create_client(ctx, name="后来新建的客户")
    assert [h.label for h in search(ctx, "houlai")] == ["后来新建的客户"]


def test_a_large_import_that_fails_leaves_the_store_and_its_index_as_they_were(ctx, tmp_path):
    from accountdesk.io.importer import BULK_INDEX_ROWS

    n = BULK_INDEX_ROWS + 5
    rows = [["客户名称", "统一社会信用代码"]] + [[f"测试客户{i:05d}有限公司", uscc(i)] for i in range(n)]
    plan = plan_import(ctx, excel_csv(tmp_path / "c.csv", rows, "utf-8"))
    assert plan.new == n
    clients.create_client(ctx, name="别人先建的", uscc=uscc(n - 3))  # the third-last row now fails
    before = counts(ctx), _index_and_triggers(ctx)
    with pytest.raises(ValidationError) as err:
        run_import(ctx, plan)
    assert err.value.field == "uscc" and f"Row {n - 1}" in err.value.message
    assert (counts(ctx), _index_and_triggers(ctx)) == before


@pytest.mark.parametrize("write_only", [False, True], ids=["with-used-range", "write-only"])
def test_workbooks_read_as_openpyxl_reads_them(tmp_path, write_only):
    """The reader opens workbooks without openpyxl's full pass looking for the used range; the
    cells must be exactly those openpyxl gives, with or without a <dimension> element."""
    import datetime as dt

    from accountdesk.io.csv_excel import read_table_file

    wb = openpyxl.Workbook(write_only=write_only)
    ws = wb.create_sheet("客户") if write_only else wb.active
    ws.append(["客户名称", "员工人数", "签约日期", "备注"])
    ws.append(["护航科技", 12, dt.datetime(2026, 3, 1), None])
    ws.append(["远景医疗"])  # a short row
    ws.append([])
    ws.append([None, None, None, "末行"])
    path = tmp_path / "b.xlsx"
    wb.save(path)
    expected = openpyxl.load_workbook(path, read_only=True, data_only=True)
    want = [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in expected.worksheets]
    expected.close()
    got = [[cells for _n, cells in sheet.rows] for sheet in read_table_file(path).sheets]
    assert got == want


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
#: Strings as Excel and other writers store them: plain, empty, with spaces kept, rich-text runs,
#: a phonetic guide, Excel's escape of an underscore, and attributes on the string element.
_STRINGS = [
    "<t>客户名称</t>",
    "<t>护航科技</t>",
    "<t/>",
    '<t xml:space="preserve">  前后有空格  </t>',
    "<r><t>远景</t></r><r><rPr><b/></rPr><t>医疗</t></r>",
    '<t>张三</t><rPh sb="0" eb="2"><t>ちょうさん</t></rPh><phoneticPr fontId="1"/>',
    "<t>a_x005F_x0041_b</t>",
    "<r><t>only runs</t></r>",
]


def _handmade_workbook(path) -> None:
    """A workbook written by hand: one sheet whose cells use every string above, once from the
    shared strings (as Excel writes them) and once inline (as openpyxl writes them)."""
    cells = []
    for i, s in enumerate(_STRINGS):
        cells.append(
            f'<row r="{i + 1}"><c r="A{i + 1}" t="s"><v>{i}</v></c>'
            f'<c r="B{i + 1}" t="inlineStr"><is>{s}</is></c><c t="inlineStr" s="0"><is>{s}</is></c>'
            f'<c r="D{i + 1}"><v>{i}.5</v></c></row>'
        )
    files = {
        "[Content_Types].xml": f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}" count="{len(_STRINGS)}" uniqueCount="{len(_STRINGS)}">'
        + "".join(f"<si>{s}</si>" for s in _STRINGS)
        + "</sst>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><dimension ref="A1:D{len(_STRINGS)}"/>'
        f"<sheetData>{''.join(cells)}</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)


def test_shared_and_inline_strings_read_as_openpyxl_reads_them(tmp_path):
    """Plain strings are taken without openpyxl's rich-text objects; every kind of string must
    still read exactly as openpyxl reads it, from the shared strings and inline alike."""
    from accountdesk.io.csv_excel import read_table_file

    path = tmp_path / "strings.xlsx"
    _handmade_workbook(path)
    expected = openpyxl.load_workbook(path, read_only=True, data_only=True)
    want = [list(r) for r in expected.worksheets[0].iter_rows(values_only=True)]
    expected.close()
    got = [cells for _n, cells in read_table_file(path).sheets[0].rows]
    assert got == want
    assert [r[0] for r in got][:4] == ["客户名称", "护航科技", "", "  前后有空格  "]
    assert got[4][:3] == ["远景医疗"] * 3 and got[5][0] == "张三"


def test_repeated_phone_numbers_and_addresses_get_the_forms_verdict_on_every_row(ctx, tmp_path):
    """Phones, emails and credit codes are checked once per distinct cell in a plan; every row
    still gets exactly what the form's check gives for its cell (value or message), whatever the
    cell's type (a number typed into Excel, text, a yes/no cell)."""
    from accountdesk.domain.schema import SCHEMAS, parse_value

    clients.create_client(ctx, name="上海护航科技有限公司")
    cells = [  # (mobile, phone, email)
        ("13800138000", "021-62345678", "li@example.com"),
        (13800138000, "021-62345678", "LI@Example.com"),
        ("13800138001", " 021-62345678 ", "li@example.com"),
        ("12345", "021-62345678", None),
        ("12345", 1, "not an address"),
        ("13800138002", True, "not an address"),
        ("13800138003", "１３８００１３８００４", "wang@example.com"),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户名称", "姓名", "手机", "电话", "邮箱"])
    for i, row in enumerate(cells):
        ws.append(["上海护航科技有限公司", f"联系人{i}", *row])
    path = tmp_path / "contacts.xlsx"
    wb.save(path)

    plan = plan_import(ctx, path, "contacts")

    schema = SCHEMAS["contact"]
    for planned, row in zip(plan.rows, cells, strict=True):
        want_values, want_errors = {}, []
        for name, cell in zip(("mobile", "phone", "email"), row, strict=True):
            if cell is None:
                continue
            try:
                want_values[name] = parse_value(schema[name], cell.strip() if isinstance(cell, str) else cell)
            except ValidationError as exc:
                want_errors += exc.errors
        got_errors = [(r.field, r.message) for r in plan.rejected if r.row == planned.row]
        assert got_errors == want_errors
        if want_errors:
            assert planned.status == "rejected"
        else:
            assert planned.status in ("new", "duplicate")  # duplicates keep their values for a merge
            assert {k: planned.values.get(k) for k in want_values} == want_values
    assert plan.rows[0].values["phone"] == plan.rows[1].values["phone"] == "+862162345678"
    assert [r.status for r in plan.rows] == [
        "new",
        "duplicate",
        "duplicate",
        "rejected",
        "rejected",
        "rejected",
        "new",
    ]
