"""Import wizard, File menu exports and backup, and the duplicates dialog, driven as a user would."""

from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from accountdesk.domain.validation import uscc_check_char
from accountdesk.io.backup import read_manifest
from accountdesk.models import Client, Contact, OutboxEntry
from accountdesk.services.clients import create_client
from accountdesk.ui.item_models.roles import ID_ROLE

from .conftest import make_clients

pytestmark = pytest.mark.gui


def uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


def excel_csv(path, rows, encoding="gb18030"):
    """A CSV as Excel on Chinese Windows saves it: GBK bytes, CRLF."""
    lines = [",".join(f'"{c}"' if "," in str(c) else str(c) for c in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def counts(ctx):
    _ = ctx.actor
    with ctx.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Client).where(Client.deleted_at.is_(None))),
            s.scalar(select(func.count()).select_from(Contact).where(Contact.deleted_at.is_(None))),
            s.scalar(select(func.count()).select_from(OutboxEntry)),
        )


CLIENT_ROWS = [
    ["客户名称", "统一社会信用代码", "行业", "客户等级", "城市", "备忘"],
    ["上海护航科技有限公司", uscc(1), "检测", "重点客户", "上海", "老客户"],
    ["北京远景医疗器械股份有限公司", uscc(2), "医疗", "key", "北京", ""],
    ["华东精密仪器有限公司", "", "制造业", "", "苏州", "展会认识"],  # the same as an existing client
]


def open_wizard(qtbot, ctx, tasks, **kw):
    from accountdesk.ui.dialogs.import_wizard import ImportWizard

    wizard = ImportWizard(ctx, tasks, **kw)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def choose_file(qtbot, wizard, path):
    wizard.ask_path = lambda: str(path)
    wizard.browse_button.click()
    assert wizard.path_edit.text() == str(path)
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.step == 1 or wizard.file_error.isVisible(), timeout=10000)


def column_row(wizard, header):
    return wizard.plan.columns.index(header)


def test_gbk_csv_through_the_wizard_with_a_changed_mapping_and_a_merge(qtbot, ctx, tasks, tmp_path):
    existing = make_clients(ctx)["华东精密仪器有限公司"]
    path = excel_csv(tmp_path / "客户.csv", CLIENT_ROWS)
    before = counts(ctx)
    wizard = open_wizard(qtbot, ctx, tasks)
    choose_file(qtbot, wizard, path)
    assert wizard.step == 1
    assert "GB18030" in wizard.file_info.text().upper() and "客户.csv" in wizard.file_info.text()
    assert wizard.mapping_table.rowCount() == 6
    # the automatic mapping is shown; the unknown column 备忘 is ignored, with its sample values
    name_combo = wizard.combos[column_row(wizard, "客户名称")]
    assert name_combo.currentData() == "name"
    memo = column_row(wizard, "备忘")
    assert wizard.combos[memo].currentData() is None
    assert "老客户" in wizard.mapping_table.item(memo, 1).text()
    assert wizard.mapping_summary.text() == "3 rows: 2 new, 1 duplicates, 0 rejected"
    # send 备忘 into the description: the plan is made again and the preview shows it
    combo = wizard.combos[memo]
    combo.setCurrentIndex(combo.findData("description"))
    qtbot.waitUntil(lambda: wizard.plan.mapping["备忘"] == "description", timeout=10000)
    qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=10000)
    wizard.next_button.click()
    assert wizard.step == 2
    m = wizard.preview_model
    headers = [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())]
    assert "Description" in headers
    assert m.text(0, headers.index("Description")) == "老客户"
    assert wizard.counts_label.text() == "3 rows: 2 new, 1 duplicates, 0 rejected"
    # the duplicate, with what it matches; choose merge
    d = wizard.duplicates_model
    assert d.rowCount() == 1 and d.text(0, 2) == "华东精密仪器有限公司" and d.text(0, 3) == "Same name"
    assert counts(ctx) == before  # nothing written while looking
    wizard.merge_all_button.click()
    assert wizard.decisions() == {4: "merge"}
    with qtbot.waitSignal(wizard.imported, timeout=20000) as blocker:
        wizard.next_button.click()
    result = blocker.args[0]
    assert (result.created, result.merged, result.skipped, result.rejected) == (2, 1, 0, 0)
    assert "Created: 2" in wizard.result_label.text()
    after = counts(ctx)
    assert after[0] == before[0] + 2
    with ctx.read() as s:
        row = s.scalar(select(Client).where(Client.name == "上海护航科技有限公司"))
        assert (row.uscc, row.tier, row.description) == (uscc(1), "key", "老客户")
        merged = s.get(Client, existing)
        assert merged.description == "展会认识"  # an empty field filled by the merge
    wizard.cancel_button.click()  # Close
    assert not wizard.isVisible()


def bad_workbook(path):
    """An xlsx as openpyxl (and Excel) writes it: a title row above the header, one bad credit code."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户清单"
    ws.append(["2026 年重点客户"])
    ws.append(["客户名称", "统一社会信用代码", "城市"])
    ws.append(["杭州新安化工有限公司", uscc(11), "杭州"])
    ws.append(["宁波港务集团", "91330200MA2XXXXXX1", "宁波"])  # not a valid credit code
    ws.append(["温州电器有限公司", uscc(12), "温州"])
    wb.save(path)
    return path


def test_rejected_rows_show_their_reasons_and_import_nothing_unless_chosen(qtbot, ctx, tasks, tmp_path):
    path = bad_workbook(tmp_path / "客户.xlsx")
    before = counts(ctx)
    wizard = open_wizard(qtbot, ctx, tasks)
    choose_file(qtbot, wizard, path)
    assert "sheet “客户清单”" in wizard.file_info.text() and "header in row 2" in wizard.file_info.text()
    wizard.next_button.click()
    assert wizard.step == 2
    assert wizard.counts_label.text() == "3 rows: 2 new, 0 duplicates, 1 rejected"
    r = wizard.rejected_model
    assert r.rowCount() == 1
    assert (r.text(0, 0), r.text(0, 1), r.text(0, 2)) == (
        "4",
        "统一社会信用代码",
        "Unified social credit code",
    )
    assert r.text(0, 3)  # the reason, as the service words it
    assert wizard.tabs.currentIndex() == 2 and wizard.rejected_note.isVisible()
    wizard.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert "91330200MA2XXXXXX1" not in QGuiApplication.clipboard().text()  # the reasons, not the cells
    assert QGuiApplication.clipboard().text().splitlines()[1].startswith("4\t统一社会信用代码")
    # importing stays impossible until the user chooses to leave the rejected rows out
    assert not wizard.next_button.isEnabled()
    wizard.next_button.click()
    assert wizard.step == 2 and counts(ctx) == before
    wizard.skip_rejected_check.setChecked(True)
    assert wizard.next_button.isEnabled()
    with qtbot.waitSignal(wizard.imported, timeout=20000) as blocker:
        wizard.next_button.click()
    assert (blocker.args[0].created, blocker.args[0].rejected) == (2, 1)
    assert "Rejected rows left out: 1" in wizard.result_label.text()
    assert counts(ctx)[0] == before[0] + 2
    with ctx.read() as s:
        assert s.scalar(select(Client).where(Client.name == "宁波港务集团")) is None


def test_cancelling_the_wizard_writes_nothing(qtbot, ctx, tasks, tmp_path):
    path = excel_csv(tmp_path / "客户.csv", CLIENT_ROWS)
    before = counts(ctx)
    wizard = open_wizard(qtbot, ctx, tasks)
    choose_file(qtbot, wizard, path)
    wizard.next_button.click()
    assert wizard.step == 2
    wizard.cancel_button.click()
    assert not wizard.isVisible()
    tasks.wait(5000)
    assert counts(ctx) == before


def test_a_mapping_without_the_name_says_so_and_blocks_the_next_step(qtbot, ctx, tasks, tmp_path):
    path = excel_csv(tmp_path / "客户.csv", CLIENT_ROWS)
    wizard = open_wizard(qtbot, ctx, tasks)
    choose_file(qtbot, wizard, path)
    wizard.set_mapping("客户名称", None)
    qtbot.waitUntil(lambda: wizard.mapping_error.isVisible(), timeout=10000)
    assert "Name" in wizard.mapping_error.text()
    assert not wizard.next_button.isEnabled()
    wizard.set_mapping("客户名称", "name")
    qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=10000)
    assert not wizard.mapping_error.isVisible()


def test_a_file_that_is_not_a_table_is_refused_next_to_the_file(qtbot, ctx, tasks, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("hello\nworld\n", encoding="utf-8")
    wizard = open_wizard(qtbot, ctx, tasks)
    choose_file(qtbot, wizard, path)
    assert wizard.step == 0 and wizard.file_error.isVisible()
    assert "header" in wizard.file_error.text().lower()
    assert "Traceback" not in wizard.file_error.text()


def test_contacts_into_one_client_from_its_contacts_tab(qtbot, ctx, tasks, settings, tmp_path):
    from accountdesk.services import records
    from accountdesk.ui.main_window import MainWindow

    client = create_client(ctx, name="护航科技有限公司")
    path = excel_csv(
        tmp_path / "联系人.csv",
        [["姓名", "职务", "手机"], ["王芳", "采购经理", "13812345678"], ["李强", "总工程师", "13912345678"]],
    )
    win = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(win)
    win.show()
    win.open_client(client)
    workspace = win.workspace_host.widget
    tab = workspace.show_tab("contacts")
    wizard = tab.import_contacts()
    assert wizard.kind_combo.currentData() == "contacts"
    assert [wizard.kind_combo.itemData(i) for i in range(wizard.kind_combo.count())] == [
        "contacts",
        "equipment",
    ]
    choose_file(qtbot, wizard, path)
    wizard.next_button.click()
    with qtbot.waitSignal(wizard.imported, timeout=20000):
        wizard.next_button.click()
    names = sorted(r["name"] for r in records.list_records(ctx, "contact", client))
    assert names == ["李强", "王芳"]
    tasks.wait(5000)


def equipment_ledger(path):
    """A calibration lab's ledger: a title row, a two-row header with merged cells, dates as
    Excel dates and as text."""
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "仪器设备台账"
    ws.append(["仪器设备台账（2026年）"])
    ws.merge_cells("A1:G1")
    ws.append(["设备名称", "规格型号", "出厂编号", "校准信息", None, "状态", "备注"])
    ws.append([None, None, None, "上次校准日期", "校准周期（月）", None, None])
    for col in "ABCFG":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("D2:E2")
    ws.append(["电子天平", "XS205", "B123456789", dt.date(2025, 6, 1), 12, "在用", None])
    ws.append(["恒温恒湿箱", "HWS-150", None, "2024/03/15", "24", "停用", "待修"])
    ws.append(
        ["三坐标测量机", "CMM-500", "cmm 0007", "2025-02-01", 12, "在用", "年检合格"]
    )  # already registered
    wb.save(path)
    return path


def test_equipment_ledger_from_the_equipment_tab_with_a_merge(qtbot, ctx, tasks, settings, tmp_path):
    from accountdesk.services import equipment, records
    from accountdesk.ui.main_window import MainWindow

    client = create_client(ctx, name="苏州精测计量有限公司")
    cmm = equipment.create_equipment(ctx, client, "三坐标测量机", model="CMM-500", serial="CMM-0007")
    path = equipment_ledger(tmp_path / "台账.xlsx")
    win = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(win)
    win.show()
    win.open_client(client)
    tab = win.workspace_host.widget.show_tab("equipment")
    assert tab.import_button.text() == "Import…"
    wizard = tab.import_equipment()
    assert wizard.kind_combo.currentData() == "equipment"
    choose_file(qtbot, wizard, path)
    assert (
        wizard.step == 1
        and "header in row 3" in wizard.file_info.text()
        and "importing: Equipment" in wizard.file_info.text()
    )
    assert wizard.combos[column_row(wizard, "上次校准日期")].currentData() == "last_calibrated_on"
    assert wizard.combos[column_row(wizard, "出厂编号")].currentData() == "serial"
    assert wizard.mapping_summary.text() == "3 rows: 2 new, 1 duplicates, 0 rejected"
    wizard.next_button.click()
    d = wizard.duplicates_model
    assert (
        d.rowCount() == 1
        and d.text(0, 2) == "三坐标测量机"
        and d.text(0, 3) == "Same serial number and model"
    )
    wizard.merge_all_button.click()
    with qtbot.waitSignal(wizard.imported, timeout=20000) as blocker:
        wizard.next_button.click()
    result = blocker.args[0]
    assert (result.created, result.merged, result.skipped, result.rejected) == (2, 1, 0, 0)
    rows = {r["name"]: r for r in records.list_records(ctx, "equipment", client)}
    assert set(rows) == {"电子天平", "恒温恒湿箱", "三坐标测量机"}
    assert (
        rows["恒温恒湿箱"]["status"],
        str(rows["恒温恒湿箱"]["last_calibrated_on"]),
        rows["恒温恒湿箱"]["notes"],
    ) == ("out_of_service", "2024-03-15", "待修")
    # the merge filled the registered instrument's empty fields and kept its serial number
    assert rows["三坐标测量机"]["id"] == cmm and rows["三坐标测量机"]["serial"] == "CMM-0007"
    assert (
        rows["三坐标测量机"]["calibration_interval_months"] == 12
        and rows["三坐标测量机"]["notes"] == "年检合格"
    )
    qtbot.waitUntil(lambda: tab.equipment.view.model().rowCount() == 3, timeout=10000)
    tasks.wait(5000)


def test_rows_model_passes_the_model_tester(qtmodeltester):
    from accountdesk.ui.item_models.io import RowsModel

    model = RowsModel(check_column=2)
    model.set_rows(
        ["Row", "Name", "Merge"], [["2", "甲", ""], ["3", "乙", ""]], checked=[True, False], marked={1}
    )
    qtmodeltester.check(model)
    model.set_all_checked(True)
    assert model.checked(1)
    qtmodeltester.check(model)


# -- the menus ---------------------------------------------------------------------------------
def menu_titles(window):
    return [a.text() for a in window.menuBar().actions()]


def test_menu_bar_and_shortcuts_keep_working(qtbot, window):
    assert menu_titles(window) == ["&File", "&Tools", "&Help"]
    file_items = [a.text() for a in window.file_menu.actions() if not a.isSeparator()]
    assert file_items == ["Import…", "Export", "Back up profile…", "Restore from backup…", "Sync now", "Quit"]
    assert [a.text() for a in window.export_menu.actions() if not a.isSeparator()] == [
        "Clients (Excel)…",
        "Clients (CSV)…",
        "Contacts (vCard 3.0)…",
        "Contacts (vCard 4.0)…",
        "Contacts (Excel)…",
        "Contacts (CSV)…",
        "Visits calendar (.ics)…",
    ]
    assert window.sync_action.shortcut().toString() == "F5"
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key == "clients"
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    wizard = window._import_wizard
    assert wizard.isVisible()
    wizard.reject()


def run_export(qtbot, window, action, path):
    seen = []
    window.ask_save_path = lambda title, suggested, filt: (seen.append((suggested, filt)), str(path))[1]
    window.ask_backup_passphrase = lambda: BACKUP_PASSPHRASE
    action.trigger()
    qtbot.waitUntil(lambda: window.io_message is not None and window.io_message.isVisible(), timeout=20000)
    return seen[0]


def test_export_clients_to_excel_from_the_menu_reads_back(qtbot, ctx, window, tmp_path):
    make_clients(ctx)
    suggested, filt = run_export(qtbot, window, window.export_actions["clients-xlsx"], tmp_path / "out.xlsx")
    assert suggested.endswith("clients-2026-03-16.xlsx") and "*.xlsx" in filt
    assert window.io_message.text() == f"6 clients written to {tmp_path / 'out.xlsx'}."
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Name" and len(rows) == 7
    assert "华东精密仪器有限公司" in {r[0] for r in rows[1:]}


def test_export_contacts_as_vcard_4_reads_back(qtbot, ctx, window, tmp_path):
    import vobject

    from accountdesk.services import records

    client = create_client(ctx, name="护航科技有限公司")
    records.create_record(ctx, "contact", {"name": "王芳", "mobile": "13812345678"}, client_id=client)
    run_export(qtbot, window, window.export_actions["contacts-vcf4"], tmp_path / "people")  # no suffix given
    path = tmp_path / "people.vcf"
    assert window.io_message.text() == f"1 contacts written to {path}."
    card = next(vobject.readComponents(path.read_text(encoding="utf-8")))
    assert card.version.value == "4.0" and card.fn.value == "王芳"


BACKUP_PASSPHRASE = "menu backup passphrase"


def test_backup_from_the_menu_writes_a_file_whose_manifest_checks(qtbot, ctx, window, tmp_path):
    import hashlib

    make_clients(ctx)
    suggested, filt = run_export(qtbot, window, window.backup_action, tmp_path / "backup.adbackup")
    assert suggested.endswith(".adbackup") and "*.adbackup" in filt
    path = tmp_path / "backup.adbackup"
    assert str(path) in window.io_message.text()
    manifest = read_manifest(path)
    assert manifest["tables"]["clients"] == 6
    with zipfile.ZipFile(path) as zf:
        data = zf.read("accountdesk.sqlite3")
        assert (
            json.loads(zf.read("manifest.json"))["files"]["accountdesk.sqlite3"]["sha256"]
            == hashlib.sha256(data).hexdigest()
        )
    # encrypted with the passphrase the person gave (none of the clients' names readable)
    assert manifest["encryption"]["kdf"]["alg"] == "argon2id" and not data.startswith(b"SQLite format 3")
    assert "华东精密仪器有限公司".encode() not in path.read_bytes()


def test_restore_guides_into_an_empty_folder_and_switches_the_data_folder(
    qtbot, ctx, window, settings, tmp_path
):
    make_clients(ctx)
    run_export(qtbot, window, window.backup_action, tmp_path / "b.adbackup")
    window.restore_action.trigger()
    dialog = window._restore_dialog
    assert dialog.isVisible()
    dialog.ask_backup = lambda: str(tmp_path / "b.adbackup")
    dialog.backup_button.click()
    qtbot.waitUntil(lambda: dialog.manifest is not None, timeout=10000)
    assert "6 clients" in dialog.backup_info.text() and "passphrase" in dialog.backup_info.text()
    assert dialog.passphrase_edit.isVisible()
    assert not dialog.restore_button.isEnabled()  # no folder yet
    dialog.ask_folder = lambda: str(ctx.store.data_dir)  # the folder in use is refused
    dialog.folder_button.click()
    assert "in use" in dialog.folder_info.text() and not dialog.restore_button.isEnabled()
    target = tmp_path / "restored"
    target.mkdir()
    dialog.ask_folder = lambda: str(target)
    dialog.folder_button.click()
    assert not dialog.restore_button.isEnabled()  # no passphrase yet
    qtbot.keyClicks(dialog.passphrase_edit, BACKUP_PASSPHRASE)
    assert dialog.restore_button.isEnabled()
    with qtbot.waitSignal(dialog.restored, timeout=30000):
        dialog.restore_button.click()
    assert dialog.use_button.isVisible()
    dialog.use_button.click()
    assert settings.get("data_dir") == str(target)
    from accountdesk.services.context import open_profile

    restored = open_profile(target)
    try:
        with restored.read() as s:
            assert s.scalar(select(func.count()).select_from(Client)) == 6
    finally:
        restored.close()


def test_duplicates_dialog_merges_and_undoes(qtbot, ctx, window):
    from accountdesk.services.merge import list_merges

    keep = create_client(ctx, name="华东精密仪器有限公司", uscc=uscc(3))
    dup = create_client(ctx, name="华东精密仪器股份有限公司")
    window.duplicates_action.trigger()
    dialog = window._duplicates_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10000)
    tree = dialog.clients_tree
    assert tree.topLevelItemCount() == 1
    group = tree.topLevelItem(0)
    assert group.text(0) == "Same name: 华东精密仪器" and group.childCount() == 2
    assert not dialog.merge_button.isEnabled()
    kept = next(group.child(i) for i in range(2) if group.child(i).data(0, ID_ROLE) == keep)
    tree.setCurrentItem(kept)
    assert dialog.merge_button.isEnabled()
    dialog.merge_button.click()
    box = dialog.confirm
    assert "“华东精密仪器股份有限公司” into “华东精密仪器有限公司”" in box.text()
    box.button(box.StandardButton.Cancel).click()  # first think again: nothing changes
    tasks_wait(window)
    assert list_merges(ctx) == []
    dialog.merge_button.click()
    merge = next(b for b in dialog.confirm.buttons() if b.text() == "Merge")
    merge.click()
    qtbot.waitUntil(lambda: dialog.status.text() == "Merged 1 clients.", timeout=20000)
    (record,) = list_merges(ctx)
    assert record["source_id"] == dup and record["into_id"] == keep
    assert tree.topLevelItemCount() == 0
    assert dialog.merges_tree.topLevelItemCount() == 1
    assert dialog.merges_tree.topLevelItem(0).text(0) == "华东精密仪器股份有限公司"
    assert dialog.merges_tree.topLevelItem(0).text(1) == "华东精密仪器有限公司"
    dialog.merges_tree.setCurrentItem(dialog.merges_tree.topLevelItem(0))
    dialog.undo_button.click()
    next(b for b in dialog.confirm.buttons() if b.text() == "Undo merge").click()
    qtbot.waitUntil(
        lambda: dialog.status.text() == "The merge was undone; the client is back.", timeout=20000
    )
    assert list_merges(ctx) == []
    assert tree.topLevelItemCount() == 1  # the two are listed again


def tasks_wait(window):
    window.tasks.wait(5000)


def test_managers_see_duplicates_but_may_not_merge(qtbot, ctx, tasks):
    from accountdesk.models.enums import Role
    from accountdesk.services import records
    from accountdesk.ui.dialogs.duplicates import DuplicatesDialog

    create_client(ctx, name="北方重工集团")
    create_client(ctx, name="北方重工有限公司")
    manager = records.create_record(
        ctx, "user", {"username": "m", "display_name": "M", "role": Role.MANAGER.value}
    )
    ctx.set_actor(manager)
    dialog = DuplicatesDialog(ctx, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10000)
    assert dialog.role_note.isVisible()
    assert dialog.clients_tree.topLevelItemCount() in (0, 1)  # a manager sees only their clients
    if dialog.clients_tree.topLevelItemCount():
        dialog.clients_tree.setCurrentItem(dialog.clients_tree.topLevelItem(0).child(0))
    assert not dialog.merge_button.isEnabled()


def test_clients_page_import_button_and_menus_in_chinese(qtbot, window):
    window.show_page("clients")
    page = window.pages["clients"]
    assert page.import_button.text() == "Import…"
    page.import_button.click()
    wizard = window._import_wizard
    assert wizard.isVisible() and wizard.windowTitle() == "Import clients, contacts or equipment"
    wizard.reject()
    window.apply_language("zh_CN")
    assert menu_titles(window) == ["文件(&F)", "工具(&T)", "帮助(&H)"]
    assert window.export_actions["contacts-vcf3"].text() == "联系人（vCard 3.0）…"
    assert (
        window.pages["clients"].import_button.text() == "导入…"
    )  # the screens are rebuilt in the new language
    window.about_action.trigger()
    assert "AccountDesk" in window.io_message.text()
    window.io_message.close()


def test_an_unrecognised_client_column_is_chosen_on_the_columns_page(qtbot, ctx, tasks, tmp_path):
    from accountdesk.services import records

    client = create_client(ctx, name="江南检测服务有限公司")
    path = excel_csv(
        tmp_path / "联系人.csv",
        [["姓名", "合作单位", "手机"], ["赵敏", "江南检测服务有限公司", "13700000001"]],
    )
    wizard = open_wizard(qtbot, ctx, tasks)
    wizard.kind_combo.setCurrentIndex(wizard.kind_combo.findData("contacts"))
    choose_file(qtbot, wizard, path)
    assert wizard.step == 1  # the columns are shown although the client column was not recognised
    assert wizard.mapping_error.isVisible() and "which client" in wizard.mapping_error.text()
    assert not wizard.next_button.isEnabled()
    combo = wizard.combos[column_row(wizard, "合作单位")]
    combo.setCurrentIndex(combo.findData("client"))
    qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=10000)
    assert wizard.mapping_summary.text() == "1 rows: 1 new, 0 duplicates, 0 rejected"
    wizard.next_button.click()
    with qtbot.waitSignal(wizard.imported, timeout=20000):
        wizard.next_button.click()
    assert [r["name"] for r in records.list_records(ctx, "contact", client)] == ["赵敏"]
