"""Exports read back by independent parsers, formula escaping, and backup/restore."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import zipfile

import icalendar
import openpyxl
import pytest
import vobject

from accountdesk.domain.validation import uscc_check_char
from accountdesk.errors import ValidationError
from accountdesk.io.backup import create_backup, restore_backup
from accountdesk.io.exports import export_ical, export_table, export_vcard
from accountdesk.io.importer import plan_import, run_import
from accountdesk.services import clients, records
from accountdesk.services.context import open_profile

HOSTILE = "=cmd|' /C calc'!A0"


def uscc(n: int) -> str:
    body = f"91110000{n:09d}"
    return body + uscc_check_char(body)


@pytest.fixture
def filled(ctx):
    a = clients.create_client(
        ctx, name="北京远景医疗器械股份有限公司", uscc=uscc(3), city="北京", tier="key", description=HOSTILE
    )
    b = clients.create_client(ctx, name="@SUM(1+1)*cmd|' /C calc'!A0", city="+上海")
    boss = records.create_record(
        ctx,
        "contact",
        {
            "name": "张伟",
            "title": "总经理",
            "department": "管理层",
            "mobile": "13800138000",
            "email": "zw@example.com",
            "phone": "010-62345678",
            "birthday": "1975-05-04",
            "wechat": "zw1975",
            "notes": "喜欢喝茶；周三不在",
        },
        client_id=a,
    )
    records.create_record(
        ctx, "contact", {"name": "李娜", "reports_to_id": boss, "notes": "-2+3"}, client_id=a
    )
    records.create_record(ctx, "contact", {"name": "O'Brien, Pat", "email": "pat@example.com"}, client_id=b)
    records.create_record(
        ctx,
        "visit",
        {
            "kind": "executive_meeting",
            "planned_start": "2026-04-01 14:30",
            "planned_end": "2026-04-01 16:00",
            "location": "北京市海淀区",
            "purpose": "季度高层会晤，讨论续约",
        },
        client_id=a,
    )
    records.create_record(
        ctx,
        "visit",
        {
            "kind": "return_visit",
            "planned_start": dt.datetime(2026, 4, 2, 1, 0, tzinfo=dt.UTC),
            "status": "cancelled",
        },
        client_id=b,
    )
    return a, b


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcards_read_back_with_vobject(ctx, filled, tmp_path, version):
    path = tmp_path / "contacts.vcf"
    result = export_vcard(ctx, path, version)
    assert result.count == 3
    raw = path.read_bytes()
    assert b"\r\n" in raw
    cards = {c.fn.value: c for c in vobject.readComponents(raw.decode("utf-8"))}
    assert set(cards) == {"张伟", "李娜", "O'Brien, Pat"}
    zw = cards["张伟"]
    assert zw.version.value == version
    assert zw.org.value == ["北京远景医疗器械股份有限公司", "管理层"]
    assert zw.title.value == "总经理" and zw.email.value == "zw@example.com"
    tels = sorted(t.value for t in zw.contents["tel"])
    prefix = "tel:" if version == "4.0" else ""
    assert tels == [prefix + "+861062345678", prefix + "+8613800138000"]
    assert zw.note.value == "喜欢喝茶；周三不在"
    assert zw.bday.value.replace("-", "") == "19750504"


def test_ics_reads_back_with_icalendar_with_the_time_zone(ctx, filled, tmp_path):
    path = tmp_path / "visits.ics"
    assert export_ical(ctx, path).count == 2
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    tz = [c for c in cal.walk("VTIMEZONE")]
    assert [str(t["TZID"]) for t in tz] == ["Asia/Shanghai"]
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert len(events) == 2
    meeting = next(e for s, e in events.items() if "北京远景" in s)
    start = meeting.decoded("DTSTART")
    assert start.utcoffset() == dt.timedelta(hours=8)
    assert meeting["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert meeting.decoded("DTEND") - start == dt.timedelta(minutes=90)
    assert str(meeting["LOCATION"]) == "北京市海淀区" and "续约" in str(meeting["DESCRIPTION"])
    cancelled = next(e for s, e in events.items() if "calc" in s)
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("DTSTART") == dt.datetime(2026, 4, 2, 9, 0, tzinfo=start.tzinfo)
    assert all(str(e["UID"]).endswith("@accountdesk") for e in events.values())


def _all_cells_csv(path):
    text = path.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and b"\r\n" in text
    return [c for row in csv.reader(io.StringIO(text.decode("utf-8-sig"))) for c in row]


def test_csv_and_xlsx_exports_escape_formulas(ctx, filled, tmp_path):
    csv_path = tmp_path / "clients.csv"
    export_table(ctx, "clients", csv_path)
    cells = _all_cells_csv(csv_path)
    assert "'" + HOSTILE in cells and "'@SUM(1+1)*cmd|' /C calc'!A0" in cells and "'+上海" in cells
    assert not any(c and c[0] in "=+-@\t\r" for c in cells)
    assert "北京远景医疗器械股份有限公司" in cells
    contacts_csv = tmp_path / "contacts.csv"
    export_table(ctx, "contacts", contacts_csv)
    cells = _all_cells_csv(contacts_csv)
    assert "'-2+3" in cells and "138 0013 8000" in cells
    xlsx = tmp_path / "clients.xlsx"
    export_table(ctx, "clients", xlsx)
    wb = openpyxl.load_workbook(xlsx)
    values = [c for row in wb.active.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in values)
    assert not any(isinstance(c.value, str) and c.value[0] in "=+-@\t\r" for c in values)
    assert "'" + HOSTILE in [c.value for c in values]


def test_exported_tables_import_again_into_another_profile(ctx, filled, tmp_path, clock):
    export_table(ctx, "clients", tmp_path / "c.xlsx")
    export_table(ctx, "contacts", tmp_path / "p.csv")
    other = open_profile(tmp_path / "other", now=clock.now, wall_ms=clock.wall_ms)
    try:
        plan = plan_import(other, tmp_path / "c.xlsx", "clients")
        assert (plan.new, plan.rejected_rows) == (2, 0), plan.rejected
        run_import(other, plan)
        plan = plan_import(other, tmp_path / "p.csv", "contacts")
        assert (plan.new, plan.rejected_rows) == (3, 0), plan.rejected
        run_import(other, plan)
        got = records.list_records(
            other, "contact", clients.resolve_client(other, "北京远景医疗器械股份有限公司"), order_by="name"
        )
        zw = next(r for r in got if r["name"] == "张伟")
        assert (zw["mobile"], zw["birthday"], zw["title"]) == (
            "+8613800138000",
            dt.date(1975, 5, 4),
            "总经理",
        )
        assert next(r for r in got if r["name"] == "李娜")["reports_to_id"] == zw["id"]  # linked by name
        c = records.get_record(other, "client", clients.resolve_client(other, uscc(3)))
        assert c["description"] == HOSTILE and c["tier"] == "key"  # the apostrophe is taken off again
    finally:
        other.close()


def _dump(db):
    conn = sqlite3.connect(db)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
    finally:
        conn.close()


def test_backup_restores_row_by_row_into_an_empty_profile_only(ctx, filled, tmp_path, data_dir):
    backup = tmp_path / "backup.zip"
    result = create_backup(ctx, backup)
    with zipfile.ZipFile(backup) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert (
        manifest["tables"]["clients"] == 2
        and manifest["files"]["accountdesk.sqlite3"]["sha256"] == result.sha256
    )
    assert manifest["alembic_revision"] and manifest["schema_version"] >= 1
    target = tmp_path / "new-laptop"
    restore_backup(backup, target)
    before, after = _dump(data_dir / "accountdesk.sqlite3"), _dump(target / "accountdesk.sqlite3")
    assert [m for m in before.pop("meta") if "device_id" not in m] == after.pop("meta")
    assert after == before
    restored = open_profile(target)
    try:
        # a restored profile is a new device: the server's pulls skip what a device pushed itself,
        # and this copy may be older than some of it
        assert restored.device_id and restored.device_id != ctx.device_id
        assert len(records.list_records(restored, "contact", filled[0])) == 2
    finally:
        restored.close()
    with pytest.raises(ValidationError) as err:
        restore_backup(backup, target)  # not empty any more
    assert err.value.field == "data_dir"


def test_damaged_backup_is_refused_and_changes_nothing(ctx, filled, tmp_path):
    backup = tmp_path / "backup.zip"
    create_backup(ctx, backup)
    with zipfile.ZipFile(backup) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        db = zf.read("accountdesk.sqlite3")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("accountdesk.sqlite3", db[:-10] + b"x" * 10)
    target = tmp_path / "t"
    with pytest.raises(ValidationError) as err:
        restore_backup(tampered, target)
    assert "checksum" in err.value.message
    assert not (target / "accountdesk.sqlite3").exists()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(backup.read_bytes()[:2000])
    with pytest.raises(ValidationError):
        restore_backup(truncated, target)
    assert not (target / "accountdesk.sqlite3").exists()


def test_json_export_uses_field_names_and_codes(ctx, filled, tmp_path):
    path = tmp_path / "contacts.json"
    assert export_table(ctx, "contacts", path).count == 3
    records = json.loads(path.read_text(encoding="utf-8"))
    zw = next(r for r in records if r["name"] == "张伟")
    assert zw["client_id"] == filled[0] and zw["client_name"] == "北京远景医疗器械股份有限公司"
    assert (zw["mobile"], zw["birthday"]) == ("+8613800138000", "1975-05-04")
    path = tmp_path / "clients.json"
    export_table(ctx, "clients", path)
    c = next(r for r in json.loads(path.read_text(encoding="utf-8")) if r["id"] == filled[0])
    assert c["tier"] == "key" and c["uscc"] == uscc(3)
