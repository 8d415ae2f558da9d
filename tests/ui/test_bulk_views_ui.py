"""Lists in bulk on screen (issue 16 point 3): several clients selected and edited at once, the
change undone in one step; a saved view survives a restart of the app."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel

from accountdesk.services.context import open_profile
from accountdesk.services.records import get_record
from accountdesk.ui.pages.clients import ClientsPage

from .conftest import make_clients
from .test_clients_page import open_page, shown_names


def select_names(page: ClientsPage, names: list[str]) -> list[str]:
    sel = page.table.selectionModel()
    sel.clearSelection()
    ids = []
    for r in range(page.model.rowCount()):
        index = page.model.index(r, 0)
        if page.model.client_at(r).name in names:
            sel.select(index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
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
    with qtbot.waitSignal(page.views_bar.loaded, timeout=10_000):
        page.views_bar.save("上海战略客户")
    assert [v.name for v in page.views_bar.views] == ["上海战略客户"]
    page.close()
    tasks.wait(5000)
    ctx.close()
    # the app starts again on the same profile
    again = open_profile(data_dir)
    try:
        fresh = open_page(qtbot, again, tasks, settings)
        qtbot.waitUntil(lambda: fresh.views_bar.combo.count() == 2 and fresh.region_combo.count() > 1, timeout=10_000)
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
