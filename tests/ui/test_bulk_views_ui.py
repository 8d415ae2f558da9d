"""Lists in bulk on screen (issue 16 point 3): several clients selected and edited at once, the
change undone in one step; a saved view survives a restart of the app."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt

from accountdesk.services.context import open_profile
from accountdesk.services.records import get_record
from accountdesk.ui.pages.clients import ClientsPage

from .conftest import make_clients
from .conftest_workspace import reload, settle, shown
from .test_clients_page import open_page, shown_names


def select_names(page: ClientsPage, names: list[str]) -> list[str]:
    sel = page.table.selectionModel()
    sel.clearSelection()
    ids = []
    for r in range(page.model.rowCount()):
        index = page.model.index(r, 0)
        if page.model.client_at(r).name in names:
            sel.select(
                index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            )
            ids.append(page.model.client_at(r).id)
    return ids


def test_several_clients_edited_at_once_and_undone(qtbot, ctx, tasks, settings):
    ids = make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    names = ["江南检测服务有限公司", "蓝海环保科技有限公司", "华东精密仪器有限公司"]
    chosen = select_names(page, names)
    assert sorted(page.selected_client_ids()) == sorted(chosen) and len(chosen) == 3
    assert page.bulk_bar.count_label.text() == "3 selected" and page.bulk_bar.edit_button.isEnabled()
    assert not page.bulk_bar.undo_button.isEnabled()
    dialog = page.bulk_bar.edit()
    dialog.editors["tier"].setCurrentIndex(dialog.editors["tier"].findData("strategic"))
    dialog.editors["province"].setText("浙江")
    dialog.add_tags.setText("华东, 重点跟进")
    with qtbot.waitSignal(page.bulk_bar.changed, timeout=10_000):
        dialog.accept()
    for name in names:
        row = get_record(ctx, "client", ids[name])
        assert (row["tier"], row["province"], row["tags"]) == ("strategic", "浙江", ["华东", "重点跟进"])
    assert get_record(ctx, "client", ids["Acme Analytics Ltd"])["tier"] == "key"  # not selected
    # the list shows the new tier after the reload
    page.tier_combo.setCurrentIndex(page.tier_combo.findData("strategic"))
    qtbot.waitUntil(lambda: len(shown_names(page)) == 5)
    assert page.bulk_bar.undo_button.isEnabled()
    with qtbot.waitSignal(page.bulk_bar.changed, timeout=10_000):
        page.bulk_bar.undo_button.click()
    assert get_record(ctx, "client", ids["江南检测服务有限公司"])["tier"] == "standard"
    assert get_record(ctx, "client", ids["华东精密仪器有限公司"])["tags"] == []
    qtbot.waitUntil(lambda: sorted(shown_names(page)) == ["北方重工集团", "护航科技有限公司"])


def test_a_refused_bulk_edit_changes_nothing_and_says_why(qtbot, ctx, tasks, settings):
    ids = make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    chosen = select_names(page, ["北方重工集团", "护航科技有限公司"])
    with qtbot.waitSignal(page.bulk_bar.failed, timeout=10_000):
        page.bulk_bar.apply(chosen, {"province": "x" * 80}, [], [])
    assert "Nothing was changed" in page.bulk_bar.count_label.text()
    assert get_record(ctx, "client", ids["北方重工集团"])["province"] == "辽宁"


def test_a_saved_view_survives_a_restart(qtbot, ctx, tasks, settings, data_dir):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    qtbot.waitUntil(lambda: page.region_combo.count() > 1)
    page.tier_combo.setCurrentIndex(page.tier_combo.findData("strategic"))
    page.region_combo.setCurrentIndex(page.region_combo.findData("上海"))
    qtbot.waitUntil(lambda: shown_names(page) == ["护航科技有限公司"])
    page.set_column_visible("industry", False)
    page.views_bar.save("上海战略客户")
    # (the bar's first load may still be on its way: wait for the saved view, not any load)
    qtbot.waitUntil(lambda: [v.name for v in page.views_bar.views] == ["上海战略客户"], timeout=10_000)
    page.close()
    tasks.wait(5000)
    ctx.close()
    # the app starts again on the same profile
    again = open_profile(data_dir)
    try:
        fresh = open_page(qtbot, again, tasks, settings)
        qtbot.waitUntil(
            lambda: fresh.views_bar.combo.count() == 2 and fresh.region_combo.count() > 1, timeout=10_000
        )
        assert len(shown_names(fresh)) == 6
        fresh.set_column_visible("industry", True)
        fresh.views_bar.apply_view(fresh.views_bar.views[0])
        qtbot.waitUntil(lambda: shown_names(fresh) == ["护航科技有限公司"])
        assert fresh.tier_combo.currentData() == "strategic" and fresh.region_combo.currentData() == "上海"
        assert "industry" not in fresh.visible_columns()
        fresh.close()
        tasks.wait(5000)
    finally:
        again.close()


def test_a_tier_change_offers_the_new_standard_and_applies_it_after_confirmation(qtbot, ctx, tasks):
    from accountdesk.services import clients, visits
    from accountdesk.ui.workspace import ClientWorkspace

    from .conftest_workspace import choose, save

    cid = clients.create_client(ctx, name="护航科技", tier="standard", standard=True)
    hand = next(p for p in visits.list_visit_plans(ctx, cid) if p["kind"] == "satisfaction_survey")
    visits.update_visit_plan(ctx, hand["id"], every_months=4)  # set by hand
    w = ClientWorkspace(ctx, tasks, cid)
    qtbot.addWidget(w)
    w.show()
    overview = shown(qtbot, w, "overview")
    # declined: nothing changes
    dlg = overview.edit_profile()
    choose(dlg.form.editor("tier"), "key")
    save(qtbot, dlg)
    offer = overview.standard_dialog
    assert offer.isVisible() and "Key client" in offer.findChildren(type(offer.lines))[0].text()
    assert "Keep as set by hand: Satisfaction survey every 4 months" in offer.lines.text()
    assert "Add: Executive meeting every 3 months" in offer.lines.text()
    offer.reject()
    assert {p["kind"]: p["every_months"] for p in visits.list_visit_plans(ctx, cid) if p["active"]} == {
        "return_visit": 3,
        "satisfaction_survey": 4,
    }
    # back to standard and to key again; this time confirmed
    clients.update_client(ctx, cid, tier="standard")
    reload(qtbot, overview)  # a change made elsewhere (a sync): the tab reads again
    dlg = overview.edit_profile()
    choose(dlg.form.editor("tier"), "key")
    save(qtbot, dlg)
    overview.standard_dialog.accept()
    assert {p["kind"]: p["every_months"] for p in visits.list_visit_plans(ctx, cid) if p["active"]} == {
        "return_visit": 1,
        "executive_meeting": 3,
        "satisfaction_survey": 4,
        "improvement_review": 12,
    }
    # an edit that leaves the tier alone offers nothing
    overview.standard_dialog = None
    dlg = overview.edit_profile()
    choose(dlg.form.editor("status"), "at_risk")
    save(qtbot, dlg)
    assert overview.standard_dialog is None


def test_a_supervisor_edits_the_standards_from_the_dashboard(qtbot, ctx, tasks):
    from accountdesk.services import standards
    from accountdesk.ui.pages.dashboard import DashboardPage

    page = DashboardPage(tasks, ctx=ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.standards_button.isVisible()
    dlg = settle(qtbot, page.edit_standards())
    check, spin = dlg.cells[("standard", "return_visit")]
    assert check.isChecked() and spin.value() == 3
    spin.setValue(2)
    dlg.cells[("standard", "improvement_review")][0].setChecked(True)
    dlg.accept()
    assert standards.standards(ctx)["standard"] == {
        "return_visit": 2,
        "satisfaction_survey": 12,
        "improvement_review": 12,
    }
    assert standards.standards(ctx)["key"] == {
        "return_visit": 1,
        "executive_meeting": 3,
        "satisfaction_survey": 6,
        "improvement_review": 12,
    }
    tasks.wait(10_000)


def _ledger(qtbot, ctx, tasks, cid):
    from accountdesk.ui.workspace import ClientWorkspace

    w = ClientWorkspace(ctx, tasks, cid)
    qtbot.addWidget(w)
    w.resize(1300, 800)
    w.show()
    tab = shown(qtbot, w, "equipment")
    qtbot.waitUntil(lambda: tab.tools.views_bar.combo.count() >= 1)
    return w, tab


def _instruments(ctx):
    from accountdesk.services import clients, equipment

    cid = clients.create_client(ctx, name="华东计量校准中心")
    made = {
        name: equipment.create_equipment(ctx, cid, name, model=model, serial=serial, location="一号实验室")
        for name, model, serial in (
            ("电子天平 A", "XS205", "B-0001"),
            ("电子天平 B", "XS205", "B-0002"),
            ("恒温恒湿箱", "HWS-150", "H-0001"),
            ("压力表", "Y-100", "P-0001"),
        )
    }
    return cid, made


def _select_rows(panel, ids):
    sel = panel.view.selectionModel()
    sel.clearSelection()
    for r, row in enumerate(panel.model.rows):
        if row["id"] in ids:
            sel.select(
                panel.model.index(r, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )


def _shown(panel):
    return [r["name"] for r in panel.model.rows]


def test_several_instruments_edited_at_once_and_undone(qtbot, ctx, tasks):
    """The equipment ledger works in bulk like the client and feedback lists: Ctrl/Shift
    selection, one change of status, location and category for all, undone in one step."""
    cid, made = _instruments(ctx)
    _w, tab = _ledger(qtbot, ctx, tasks, cid)
    panel, bar = tab.equipment, tab.tools.bulk_bar
    chosen = [made["电子天平 A"], made["电子天平 B"], made["压力表"]]
    _select_rows(panel, chosen)
    assert sorted(tab.tools.selected_ids()) == sorted(chosen)
    assert bar.count_label.text() == "3 selected" and bar.edit_button.isEnabled()
    assert not bar.undo_button.isEnabled()
    dialog = bar.edit()
    dialog.editors["status"].setCurrentIndex(dialog.editors["status"].findData("out_of_service"))
    dialog.editors["location"].setText("待修区")
    dialog.editors["category"].setText("衡器")
    with qtbot.waitSignal(bar.changed, timeout=10_000):
        dialog.accept()
    settle(qtbot, tab)
    for eid in chosen:
        row = get_record(ctx, "equipment", eid)
        assert (row["status"], row["location"], row["category"]) == ("out_of_service", "待修区", "衡器")
    assert get_record(ctx, "equipment", made["恒温恒湿箱"])["status"] == "in_service"  # not selected
    # the list shows it, and filters by status
    tab.tools.status.setCurrentIndex(tab.tools.status.findData("out_of_service"))
    assert sorted(_shown(panel)) == ["压力表", "电子天平 A", "电子天平 B"]
    assert bar.undo_button.isEnabled()
    with qtbot.waitSignal(bar.changed, timeout=10_000):
        bar.undo_button.click()
    settle(qtbot, tab)
    for eid in chosen:
        row = get_record(ctx, "equipment", eid)
        assert (row["status"], row["location"], row["category"]) == ("in_service", "一号实验室", None)
    assert _shown(panel) == []  # none out of service any more
    tab.tools.status.setCurrentIndex(0)
    assert len(_shown(panel)) == 4


def test_an_equipment_view_survives_a_restart(qtbot, ctx, tasks, data_dir):
    cid, made = _instruments(ctx)
    from accountdesk.services import equipment

    equipment.update_equipment(ctx, made["电子天平 B"], status="retired")
    w, tab = _ledger(qtbot, ctx, tasks, cid)
    tools, panel = tab.tools, tab.equipment
    tools.status.setCurrentIndex(tools.status.findData("in_service"))
    tools.search.setText("xs205")
    assert _shown(panel) == ["电子天平 A"]
    tools.search.setText("")
    tools.columns.set_visible("serial", False)
    panel.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert _shown(panel) == ["电子天平 A", "恒温恒湿箱", "压力表"]  # in service, by name descending
    expected = _shown(panel)
    tools.views_bar.save("在用设备")
    # (the bar's first load may still be on its way: wait for the saved view, not any load)
    qtbot.waitUntil(lambda: [v.name for v in tools.views_bar.views] == ["在用设备"], timeout=10_000)
    w.close()
    tasks.wait(5000)
    ctx.close()
    again = open_profile(data_dir)
    try:
        w2, fresh = _ledger(qtbot, again, tasks, cid)
        qtbot.waitUntil(lambda: fresh.tools.views_bar.combo.count() == 2, timeout=10_000)
        assert len(_shown(fresh.equipment)) == 4 and "serial" in fresh.tools.columns.visible()
        fresh.tools.views_bar.apply_view(fresh.tools.views_bar.views[0])
        assert fresh.tools.status.currentData() == "in_service"
        assert _shown(fresh.equipment) == expected and "电子天平 B" not in expected
        assert "serial" not in fresh.tools.columns.visible()
        assert fresh.tools.columns.sort() == ["name", "desc"]
        w2.close()
        tasks.wait(5000)
    finally:
        again.close()
