"""The client list driven through its real widgets: search, filters, sort, paging, keyboard."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from accountdesk.services.records import get_record
from accountdesk.ui.item_models.clients import COLUMNS
from accountdesk.ui.pages.clients import ClientsPage

from .conftest import CLIENTS, make_clients, make_many, type_text

NAME_COL = [c.key for c in COLUMNS].index("name")
TIER_COL = [c.key for c in COLUMNS].index("tier")


def shown_names(page: ClientsPage) -> list[str]:
    model = page.table.model()
    return [model.index(r, NAME_COL).data() for r in range(model.rowCount())]


def open_page(qtbot, ctx, tasks, settings, **kw) -> ClientsPage:
    page = ClientsPage(ctx, tasks, settings)
    for key, value in kw.items():
        setattr(page.model, key, value)
    if kw:
        page.model.reload()  # the first page was asked for while the page was being built
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    qtbot.waitUntil(lambda: not page.model.loading and page.model.total is not None)
    return page


def test_lists_every_client_sorted_by_name_with_a_count(qtbot, ctx, tasks, settings):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    assert sorted(shown_names(page)) == sorted(n for n, *_ in CLIENTS)
    # by pinyin: bei, hu, hua, jiang, lan
    assert shown_names(page) == [
        "Acme Analytics Ltd",
        "北方重工集团",
        "护航科技有限公司",
        "华东精密仪器有限公司",
        "江南检测服务有限公司",
        "蓝海环保科技有限公司",
    ]
    assert page.count_label.text() == "6 clients"
    assert page.stack.currentWidget() is page.table


def test_typing_in_the_search_box_narrows_the_list(qtbot, ctx, tasks, settings):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    type_text(qtbot, page.search, "科技")
    qtbot.waitUntil(lambda: sorted(shown_names(page)) == ["护航科技有限公司", "蓝海环保科技有限公司"])
    qtbot.waitUntil(lambda: page.count_label.text() == "2 clients")
    page.search.clear()
    qtbot.waitUntil(lambda: len(shown_names(page)) == len(CLIENTS))


def test_search_finds_a_client_by_pinyin_initials(qtbot, ctx, tasks, settings):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    qtbot.keyClicks(page.search, "hhkj")
    qtbot.waitUntil(lambda: not page.model.loading and page.model.search_text == "hhkj", timeout=3000)
    qtbot.waitUntil(lambda: shown_names(page) == ["护航科技有限公司"], timeout=3000)


def test_a_search_without_match_says_what_to_do(qtbot, ctx, tasks, settings):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    type_text(qtbot, page.search, "不存在的客户")
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty)
    assert page.empty.title_label.text() == "No client matches"
    page.empty.button.click()
    qtbot.waitUntil(lambda: len(shown_names(page)) == len(CLIENTS))
    assert page.search.text() == ""


def test_stale_search_results_never_replace_newer_ones(qtbot, ctx, tasks, settings):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    page.model.set_query(search="精密")
    page.model.set_query(search="北方")  # the first query's result arrives after this one started
    qtbot.waitUntil(lambda: not page.model.loading)
    tasks.wait(5000)
    qtbot.wait(50)
    assert shown_names(page) == ["北方重工集团"]


def test_tier_filter_shows_only_that_tier(qtbot, ctx, tasks, settings):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    page.tier_combo.setCurrentIndex(page.tier_combo.findData("strategic"))
    qtbot.waitUntil(lambda: sorted(shown_names(page)) == ["北方重工集团", "护航科技有限公司"])
    model = page.table.model()
    assert {model.index(r, TIER_COL).data() for r in range(model.rowCount())} == {"Strategic client"}


def test_region_and_industry_filters_use_the_values_in_the_data(qtbot, ctx, tasks, settings):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    qtbot.waitUntil(lambda: page.region_combo.count() > 1)
    assert page.region_combo.itemText(0) == "All regions"
    page.region_combo.setCurrentIndex(page.region_combo.findData("上海"))
    qtbot.waitUntil(lambda: sorted(shown_names(page)) == ["Acme Analytics Ltd", "护航科技有限公司"])
    page.industry_combo.setCurrentIndex(page.industry_combo.findData("信息技术"))
    page.tier_combo.setCurrentIndex(page.tier_combo.findData("key"))
    qtbot.waitUntil(lambda: shown_names(page) == ["Acme Analytics Ltd"])
    page.clear_button.click()
    qtbot.waitUntil(lambda: len(shown_names(page)) == len(CLIENTS))


def test_risk_filter_shows_flagged_clients_with_a_badge(qtbot, ctx, tasks, settings):
    from accountdesk.services.records import create_record

    ids = make_clients(ctx)
    create_record(
        ctx,
        "risk_flag",
        {"kind": "litigation_use", "severity": "high"},
        client_id=ids["江南检测服务有限公司"],
    )
    page = open_page(qtbot, ctx, tasks, settings)
    page.risk_check.click()
    # the rows first, their risks right after
    qtbot.waitUntil(lambda: shown_names(page) == ["江南检测服务有限公司"] and not page.model.loading)
    risk_col = [c.key for c in COLUMNS].index("risk")
    index = page.table.model().index(0, risk_col)
    assert index.data() == "Results used in litigation"
    from accountdesk.ui.item_models.clients import BADGE_ROLE

    assert index.data(BADGE_ROLE)[0][0] == "Results used in litigation"


def test_a_page_shows_its_rows_first_and_their_risks_and_health_right_after(qtbot, ctx, tasks, settings):
    """A keystroke redraws the list with the matching clients at once; the health, risk and
    next-due columns (most of a page's cost) follow in a second step."""
    from accountdesk.services.records import create_record

    ids = make_clients(ctx)
    create_record(
        ctx,
        "risk_flag",
        {"kind": "litigation_use", "severity": "high"},
        client_id=ids["江南检测服务有限公司"],
    )
    page = open_page(qtbot, ctx, tasks, settings)
    risk_col = [c.key for c in COLUMNS].index("risk")
    model = page.model
    seen = []

    def risk_of_jiangnan(step):
        names = shown_names(page)
        row = names.index("江南检测服务有限公司") if "江南检测服务有限公司" in names else -1
        seen.append((step, row >= 0, model.index(row, risk_col).data() if row >= 0 else None, model.loading))

    model.query_finished.connect(lambda: risk_of_jiangnan("rows"))
    model.extras_loaded.connect(lambda: risk_of_jiangnan("extras"))
    with qtbot.waitSignal(model.extras_loaded, timeout=5000):
        page.search.setText("江南")
    assert seen == [("rows", True, "", True), ("extras", True, "Results used in litigation", False)]
    assert model.canFetchMore() is False and model.total == 1


def test_the_second_step_starts_once_the_new_rows_are_painted(qtbot, ctx, tasks, settings):
    """The health/risk/next-due query waits until the view has painted the new rows (run beside
    that paint, it slows it down); a page that is not on screen still gets them, a moment later."""
    from PySide6.QtCore import QEvent, QObject

    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    model = page.model
    steps: list[str] = []

    class Paints(QObject):
        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                steps.append("paint")
            return False

    paints = Paints()
    page.table.viewport().installEventFilter(paints)
    load_extras = model._load_extras

    def traced(generation):
        steps.append("extras")
        load_extras(generation)

    model._load_extras = traced
    model.query_finished.connect(lambda: steps.append("rows"))
    with qtbot.waitSignal(model.extras_loaded, timeout=5000):
        page.search.setText("江南")
    after_rows = steps[steps.index("rows") :]
    assert "paint" in after_rows and after_rows.index("paint") < after_rows.index("extras")

    page.hide()
    steps.clear()
    with qtbot.waitSignal(model.extras_loaded, timeout=5000):
        page.search.setText("华")
    assert steps == ["rows", "extras"]
    assert "华" in (model.client_at(0).name if model.client_at(0) else "")


def test_clicking_a_header_sorts_in_the_database(qtbot, ctx, tasks, settings):
    make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    ascending = shown_names(page)
    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(NAME_COL) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    qtbot.waitUntil(lambda: shown_names(page) == list(reversed(ascending)))
    assert settings.get("client_sort_desc") is True
    # tier sorts strategic first
    x = header.sectionViewportPosition(TIER_COL) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    qtbot.waitUntil(lambda: page.model.sort_key == "tier" and not page.model.loading)
    qtbot.waitUntil(
        lambda: page.table.model().index(0, TIER_COL).data() in ("Strategic client", "Standard client")
    )
    tiers = [page.table.model().index(r, TIER_COL).data() for r in range(len(CLIENTS))]
    assert tiers == sorted(
        tiers, key=["Strategic client", "Key client", "Standard client"].index
    ) or tiers == sorted(tiers, key=["Standard client", "Key client", "Strategic client"].index)


def test_pages_are_fetched_as_the_list_scrolls(qtbot, ctx, tasks, settings):
    make_many(ctx, 45)
    page = open_page(qtbot, ctx, tasks, settings, _page_size=20)
    model = page.table.model()
    assert model.rowCount() == 20
    assert model.canFetchMore()
    qtbot.waitUntil(lambda: page.count_label.text() == "45 clients")
    page.table.scrollToBottom()  # the view asks for more rows at the end
    qtbot.waitUntil(lambda: model.rowCount() >= 40)
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 45)
    assert not model.canFetchMore()
    assert shown_names(page) == [f"客户{i:04d}" for i in range(45)]


def test_enter_opens_the_selected_client(qtbot, ctx, tasks, settings):
    ids = make_clients(ctx)
    page = open_page(qtbot, ctx, tasks, settings)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    with qtbot.waitSignal(page.client_open_requested) as blocker:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    second = shown_names(page)[1]
    assert blocker.args == [ids[second]]


def test_ctrl_f_focuses_the_search_box(qtbot, ctx, tasks, settings):
    page = open_page(qtbot, ctx, tasks, settings)
    page.activateWindow()
    page.table.setFocus()
    page.focus_search()
    assert page.search.hasFocus()


def test_new_client_dialog_validates_then_creates(qtbot, ctx, tasks, settings):
    page = open_page(qtbot, ctx, tasks, settings)
    assert page.empty.title_label.text() == "No clients yet"
    page.new_button.click()
    dialog = page._new_dialog
    dialog.ok_button.click()  # no name
    qtbot.waitUntil(lambda: dialog.name_error.isVisible())
    assert dialog.name_error.text()
    assert page.model.total == 0
    type_text(qtbot, dialog.name_edit, "东方测绘院")
    with qtbot.waitSignal(page.client_open_requested) as blocker:
        dialog.ok_button.click()
    assert get_record(ctx, "client", blocker.args[0])["name"] == "东方测绘院"
    qtbot.waitUntil(lambda: shown_names(page) == ["东方测绘院"])


def test_column_choices_and_widths_are_remembered(qtbot, ctx, tasks, settings):
    page = open_page(qtbot, ctx, tasks, settings)
    page.set_column_visible("region", False)
    page.set_column_visible("industry", True)
    page.table.setColumnWidth(NAME_COL, 333)
    page.save_columns()
    again = open_page(qtbot, ctx, tasks, settings)
    assert "region" not in again.visible_columns()
    assert "industry" in again.visible_columns()
    assert again.table.columnWidth(NAME_COL) == 333
    again.reset_columns()
    assert "region" in again.visible_columns()


def test_ctrl_n_opens_the_new_client_dialog(qtbot, ctx, tasks, settings):
    page = open_page(qtbot, ctx, tasks, settings)
    page.activateWindow()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(page, "_new_dialog", None) is not None and page._new_dialog.isVisible())
    page._new_dialog.reject()
