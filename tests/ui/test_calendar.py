# ruff: noqa: F811 - pytest fixtures imported from conftest_workspace are parameters here
"""The calendar page: visits on their day, a new visit from a day, week view, .ics export."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from accountdesk.services import visits
from accountdesk.services.records import list_records

from .conftest_workspace import choose, client_id, save, staff, tasks, type_into  # noqa: F401 - fixtures

pytestmark = pytest.mark.gui


@pytest.fixture
def page(qtbot, ctx, tasks, client_id):
    from accountdesk.ui.pages.calendar import CalendarPage

    p = CalendarPage(ctx, tasks)
    qtbot.addWidget(p)
    p.resize(1200, 760)
    p.show()
    qtbot.waitUntil(lambda: p.message.text() != "", timeout=5000)
    return p


def reload(qtbot, page):
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()


def local(y, m, d, h, mi=0):
    return dt.datetime(y, m, d, h, mi).astimezone()


def test_a_visit_is_shown_on_its_day(page, ctx, client_id, qtbot):
    visits.plan_visit(ctx, client_id, "executive_meeting", local(2026, 3, 18, 14, 30))
    visits.record_visit(ctx, client_id, "return_visit", local(2026, 3, 9, 10))
    reload(qtbot, page)
    assert page.title.text() == "March 2026"
    model = page.month_model
    day18 = model.index_of(dt.date(2026, 3, 18))
    [v] = model.data(day18, Qt.ItemDataRole.UserRole)
    assert v.client_name == "护航科技" and v.status == "planned"
    assert model.data(day18, Qt.ItemDataRole.ToolTipRole) == "14:30 护航科技 · Executive meeting"
    assert model.data(model.index_of(dt.date(2026, 3, 17)), Qt.ItemDataRole.UserRole) == []
    page.select_day(dt.date(2026, 3, 9))
    assert page.day_list.count() == 1 and "Return visit" in page.day_list.item(0).text()
    page.month_view.grab()  # the delegate paints every cell


def test_creating_a_visit_from_a_day(page, ctx, client_id, qtbot):
    index = page.month_model.index_of(dt.date(2026, 3, 24))
    page.month_view.doubleClicked.emit(index)
    from accountdesk.ui.pages.calendar import NewVisitDialog

    [dlg] = page.findChildren(NewVisitDialog)
    assert dlg.form.editor("planned_start").value() == "2026-03-24 09:00"
    save(qtbot, dlg)  # no client chosen yet: refused
    assert dlg.client_error.text() == "Choose a client." and list_records(ctx, "visit", client_id) == []
    dlg.choose_client(client_id)
    type_into(qtbot, dlg.form.editor("planned_start"), "2026-03-24 15:00")
    choose(dlg.form.editor("kind"), "executive_meeting")
    type_into(qtbot, dlg.form.editor("purpose"), "年度合作回顾")
    with qtbot.waitSignal(page.loaded, timeout=5000):
        save(qtbot, dlg)
    [stored] = list_records(ctx, "visit", client_id)
    assert stored["kind"] == "executive_meeting" and stored["status"] == "planned"
    assert stored["planned_start"] == local(2026, 3, 24, 15)
    assert len(page.month_model.data(index, Qt.ItemDataRole.UserRole)) == 1
    assert page.day_list.count() == 1 and "15:00" in page.day_list.item(0).text()


def test_bad_end_time_is_refused_at_the_field(page, ctx, client_id, qtbot):
    dlg = page.new_visit(dt.date(2026, 3, 25), client_id=client_id)
    type_into(qtbot, dlg.form.editor("planned_end"), "2026-03-25 08:00")
    save(qtbot, dlg)
    assert dlg.form.error_text("planned_end") == "The end must come after the start."
    assert list_records(ctx, "visit", client_id) == []


def test_week_view_lists_visits_by_day_and_hour(page, ctx, client_id, qtbot):
    visits.plan_visit(ctx, client_id, "return_visit", local(2026, 3, 18, 10, 15))
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.week_button.click()
    assert page.title.text() == "2026-03-16 – 2026-03-22"
    model = page.week_model
    cell = model.index(10 - 7, 2)  # Wednesday, 10:00 row
    assert model.data(cell) == "10:15 护航科技 · Return visit"
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Wed 3/18"
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.next_button.click()
    assert page.title.text() == "2026-03-23 – 2026-03-29"
    assert not any(model.data(model.index(r, c)) for r in range(model.rowCount()) for c in range(7))


def test_month_navigation(page, qtbot):
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.next_button.click()
    assert page.title.text() == "April 2026"
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.today_button.click()
    assert page.title.text() == "March 2026"


def test_export_ics_contains_the_visit(page, ctx, client_id, tmp_path, qtbot):
    visits.plan_visit(ctx, client_id, "return_visit", local(2026, 3, 20, 9), location="上海市浦东新区")
    path = tmp_path / "visits.ics"
    result = page.export_ics(str(path))
    text = path.read_text(encoding="utf-8")
    assert result.count == 1
    assert "BEGIN:VEVENT" in text and "护航科技有限公司" in text and "上海市浦东新区" in text


def test_calendar_models_pass_the_model_tester(page, ctx, client_id, qtmodeltester, qtbot):
    visits.plan_visit(ctx, client_id, "return_visit", local(2026, 3, 20, 9))
    reload(qtbot, page)
    qtmodeltester.check(page.month_model)
    page.week_model.set_week(dt.date(2026, 3, 16), dt.date(2026, 3, 16))
    page.week_model.set_visits(page.visits)
    qtmodeltester.check(page.week_model)


def test_calendar_in_chinese(qtbot, ctx, tasks, client_id):
    from accountdesk.i18n import set_language
    from accountdesk.ui.pages.calendar import CalendarPage

    set_language("zh_CN")
    p = CalendarPage(ctx, tasks)
    qtbot.addWidget(p)
    assert p.title.text() == "2026年3月"
    assert p.month_model.headerData(0, Qt.Orientation.Horizontal) == "周一"
    assert p.week_button.text() == "周"
    tasks.wait(5000)


def test_double_click_on_a_free_hour_of_the_week_plans_a_visit_then(page, ctx, client_id, qtbot):
    from accountdesk.ui.pages.calendar import NewVisitDialog

    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.week_button.click()
    page.week_view.doubleClicked.emit(page.week_model.index(14 - 7, 3))  # Thursday 14:00
    [dlg] = page.findChildren(NewVisitDialog)
    assert dlg.form.editor("planned_start").value() == "2026-03-19 14:00"
    dlg.choose_client(client_id)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        save(qtbot, dlg)
    assert page.week_model.data(page.week_model.index(14 - 7, 3)) == "14:00 护航科技 · Return visit"
