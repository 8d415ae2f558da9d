# ruff: noqa: F811 - pytest fixtures imported from conftest_workspace are parameters here
"""The calendar page: visits on their day, a new visit from a day, week view, .ics export."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from accountdesk.services import visits
from accountdesk.services.records import list_records
from accountdesk.ui.item_models.roles import ROW_ROLE

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
    [v] = model.data(day18, ROW_ROLE)
    assert v.client_name == "护航科技" and v.status == "planned"
    assert model.data(day18, Qt.ItemDataRole.ToolTipRole) == "14:30 护航科技 · Executive meeting"
    assert model.data(model.index_of(dt.date(2026, 3, 17)), ROW_ROLE) == []
    page.select_day(dt.date(2026, 3, 9))
    assert page.day_list.count() == 1 and "Return visit" in page.day_list.item(0).text()
    page.month_view.grab()  # the delegate paints every cell


def test_creating_a_visit_from_a_day(page, ctx, client_id, qtbot):
    index = page.month_model.index_of(dt.date(2026, 3, 24))
    page.month_view.doubleClicked.emit(index)
    dlg = opened_visit_form(page, qtbot)
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
    assert len(page.month_model.data(index, ROW_ROLE)) == 1
    assert page.day_list.count() == 1 and "15:00" in page.day_list.item(0).text()


def test_bad_end_time_is_refused_at_the_field(page, ctx, client_id, qtbot):
    page.new_visit(dt.date(2026, 3, 25), client_id=client_id)
    dlg = opened_visit_form(page, qtbot)
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
    cell = model.index(10, 2)  # Wednesday, 10:00 row
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
    page.week_view.doubleClicked.emit(page.week_model.index(14, 3))  # Thursday 14:00
    dlg = opened_visit_form(page, qtbot)
    assert isinstance(dlg, NewVisitDialog)
    assert dlg.form.editor("planned_start").value() == "2026-03-19 14:00"
    dlg.choose_client(client_id)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        save(qtbot, dlg)
    assert page.week_model.data(page.week_model.index(14, 3)) == "14:00 护航科技 · Return visit"


# -- every kind of entry, filters, drag to reschedule -------------------------------------------
@pytest.fixture
def dated(ctx, client_id, staff):
    """Client 护航科技 (manager 李娜) with one entry of each kind in the week of 2026-03-16, and a
    second client of 赵磊's with a planned visit."""
    from accountdesk.services import clients, records
    from accountdesk.services import tasks as task_service

    clients.update_client(ctx, client_id, contract_renewal_date=dt.date(2026, 3, 20))
    ids = {"client": client_id}
    ids["plan"] = visits.create_visit_plan(
        ctx, client_id, "executive_meeting", 3, starts_on=dt.date(2026, 3, 19)
    )
    ids["task"] = task_service.create_task(
        ctx, client_id, "寄送年度报告", due_on=dt.date(2026, 3, 17), owner_id=staff["li"]
    )
    ids["eq"] = records.create_record(
        ctx,
        "equipment",
        {"name": "气相色谱仪", "last_calibrated_on": dt.date(2025, 3, 18), "calibration_interval_months": 12},
        client_id=client_id,
    )
    ids["visit"] = visits.plan_visit(
        ctx, client_id, "return_visit", local(2026, 3, 16, 10, 30), owner_id=staff["li"]
    )
    ids["other"] = clients.create_client(ctx, name="远航物流集团", owner_id=staff["zhao"])
    ids["other_visit"] = visits.plan_visit(
        ctx, ids["other"], "return_visit", local(2026, 3, 18, 15), owner_id=staff["zhao"]
    )
    return ids


def kinds_on(model, day):
    return sorted(e.kind for e in model.data(model.index_of(day), ROW_ROLE))


def test_every_kind_is_shown_on_its_day_in_month_and_week(page, dated, qtbot):
    reload(qtbot, page)
    m = page.month_model
    assert kinds_on(m, dt.date(2026, 3, 16)) == ["visit"]
    assert kinds_on(m, dt.date(2026, 3, 17)) == ["task"]
    assert kinds_on(m, dt.date(2026, 3, 18)) == ["calibration", "visit"]
    assert kinds_on(m, dt.date(2026, 3, 19)) == ["plan"]
    assert kinds_on(m, dt.date(2026, 3, 20)) == ["renewal"]
    page.select_day(dt.date(2026, 3, 19))
    assert page.day_list.item(0).text() == "护航科技 · Executive meeting due (every 3 months)\nCadence plans"
    page.month_view.grab()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_date(dt.date(2026, 6, 1))
    assert kinds_on(m, dt.date(2026, 6, 19)) == ["plan"]  # the cadence comes round again
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.go_today()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.week_button.click()
    week, all_day = page.week_model, page.all_day_model
    # Date-only entries sit in the all-day row, visits at their hour; nothing before 07:00 is lumped.
    assert [e.kind for e in all_day.data(all_day.index(0, 1), ROW_ROLE)] == ["task"]
    assert [e.kind for e in all_day.data(all_day.index(0, 3), ROW_ROLE)] == ["plan"]
    assert [e.kind for e in all_day.data(all_day.index(0, 4), ROW_ROLE)] == ["renewal"]
    assert week.data(week.index(10, 0)) == "10:30 护航科技 · Return visit"
    assert all(e.kind == "visit" for cell in week.cells.values() for e in cell)
    assert all_day.headerData(0, Qt.Orientation.Vertical) == "All day"
    assert all_day.headerData(2, Qt.Orientation.Horizontal) == "Wed 3/18"
    # Opened scrolled to the working day: 07:00 is the first row in sight.
    assert page.week_view.rowAt(0) == 7
    page.week_box.grab()


def test_hiding_a_kind_is_remembered(qtbot, ctx, tasks, settings, dated):
    from accountdesk.ui.pages.calendar import CalendarPage

    p = CalendarPage(ctx, tasks, settings=settings)
    qtbot.addWidget(p)
    qtbot.waitSignal(p.loaded, timeout=5000).wait()
    assert kinds_on(p.month_model, dt.date(2026, 3, 17)) == ["task"]
    with qtbot.waitSignal(p.loaded, timeout=5000):
        p.kind_boxes["task"].click()
    assert kinds_on(p.month_model, dt.date(2026, 3, 17)) == []
    assert kinds_on(p.month_model, dt.date(2026, 3, 20)) == ["renewal"]
    assert settings.get("calendar_hidden_kinds") == ["task"]
    again = CalendarPage(ctx, tasks, settings=settings)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.loaded, timeout=5000):
        pass
    assert not again.kind_boxes["task"].isChecked() and "task" not in again.shown_kinds()
    assert kinds_on(again.month_model, dt.date(2026, 3, 17)) == []
    tasks.wait(5000)


def test_a_supervisor_filters_by_manager(page, dated, staff, ctx, qtbot):
    reload(qtbot, page)
    assert page.manager_combo.isVisibleTo(page)
    assert kinds_on(page.month_model, dt.date(2026, 3, 18)) == ["calibration", "visit"]
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.set_manager(staff["li"])
    # 赵磊's visit on the 18th goes; 李娜's client's instrument stays.
    assert kinds_on(page.month_model, dt.date(2026, 3, 18)) == ["calibration"]
    assert kinds_on(page.month_model, dt.date(2026, 3, 16)) == ["visit"]
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.set_manager(staff["zhao"])
    assert [e.row_id for e in page.entries] == [dated["other_visit"]]


def test_a_manager_has_no_manager_filter(qtbot, ctx, tasks, dated, staff):
    from accountdesk.ui.pages.calendar import CalendarPage

    ctx.set_actor(staff["li"])  # 李娜 manages 护航科技, not 赵磊's 远航物流
    p = CalendarPage(ctx, tasks)
    qtbot.addWidget(p)
    with qtbot.waitSignal(p.loaded, timeout=5000):
        pass
    assert not p.manager_combo.isVisibleTo(p)
    assert {e.client_id for e in p.entries} == {dated["client"]}
    tasks.wait(5000)


def test_dragging_a_visit_to_another_day_reschedules_it(page, dated, ctx, qtbot):
    from accountdesk.models import OutboxEntry
    from accountdesk.services.workspace import local_field_history

    reload(qtbot, page)
    m = page.month_model
    source = m.index_of(dt.date(2026, 3, 16))
    assert m.flags(source) & Qt.ItemFlag.ItemIsDragEnabled
    assert (
        not m.flags(m.index_of(dt.date(2026, 3, 17))) & Qt.ItemFlag.ItemIsDragEnabled
    )  # a task does not move
    data = m.mimeData([source])
    with qtbot.waitSignal(page.rescheduled, timeout=5000), qtbot.waitSignal(page.loaded, timeout=5000):
        assert m.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, m.index_of(dt.date(2026, 3, 25)))
    [stored] = [v for v in list_records(ctx, "visit", dated["client"]) if v["id"] == dated["visit"]]
    assert stored["planned_start"] == local(2026, 3, 25, 10, 30)
    assert kinds_on(m, dt.date(2026, 3, 16)) == [] and kinds_on(m, dt.date(2026, 3, 25)) == ["visit"]
    [change, _created] = local_field_history(ctx, "visit", dated["visit"], "planned_start")
    assert change.new == local(2026, 3, 25, 10, 30) and change.old == local(2026, 3, 16, 10, 30)
    with ctx.read() as session:  # waiting in the outbox to be pushed to the server
        assert session.query(OutboxEntry).filter_by(row_id=dated["visit"], op="update").count() == 1


def test_dragging_a_visit_to_another_hour_of_the_week(page, dated, ctx, qtbot):
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.week_button.click()
    w = page.week_model
    data = w.mimeData([w.index(10, 0)])
    with qtbot.waitSignal(page.loaded, timeout=5000):
        assert w.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, w.index(16, 2))
    [stored] = [v for v in list_records(ctx, "visit", dated["client"]) if v["id"] == dated["visit"]]
    assert stored["planned_start"] == local(2026, 3, 18, 16, 30)
    assert w.data(w.index(16, 2)) == "16:30 护航科技 · Return visit"
    # A held visit is not dragged (it records what happened).
    visits.record_visit(ctx, dated["client"], "return_visit", local(2026, 3, 16, 8))
    reload(qtbot, page)
    assert not w.flags(w.index(8, 0)) & Qt.ItemFlag.ItemIsDragEnabled and w.mimeData([w.index(8, 0)]) is None


def mouse_drag(view, source, target, steps: int = 8) -> None:
    """A person's drag on the real view: press on ``source``'s cell, move in steps, release on
    ``target``'s (QTest mouse events on the viewport)."""
    from PySide6.QtTest import QTest

    start, end = view.visualRect(source).center(), view.visualRect(target).center()
    assert view.viewport().rect().contains(start) and view.viewport().rect().contains(end)
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(view.viewport(), left, none, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(view.viewport(), start + (end - start) * (i / steps))
    QTest.mouseRelease(view.viewport(), left, none, end)


def test_a_mouse_drag_in_the_week_view_reschedules_the_visit(page, dated, ctx, qtbot):
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.week_button.click()
    w, view = page.week_model, page.week_view
    assert w.data(w.index(10, 0)) == "10:30 护航科技 · Return visit"  # Monday 10:30
    with qtbot.waitSignal(page.rescheduled, timeout=5000), qtbot.waitSignal(page.loaded, timeout=5000):
        mouse_drag(view, w.index(10, 0), w.index(16, 2))  # to Wednesday, the 16:00 row
    [stored] = [v for v in list_records(ctx, "visit", dated["client"]) if v["id"] == dated["visit"]]
    assert stored["planned_start"] == local(2026, 3, 18, 16, 30)  # the minutes kept
    assert w.data(w.index(16, 2)) == "16:30 护航科技 · Return visit" and w.data(w.index(10, 0)) == ""
    assert not view.moving and view.viewport().cursor().shape() != Qt.CursorShape.ClosedHandCursor
    # A held visit does not move, and a press that never leaves its cell is a click, not a move.
    visits.record_visit(ctx, dated["client"], "return_visit", local(2026, 3, 16, 8))
    reload(qtbot, page)
    mouse_drag(view, w.index(8, 0), w.index(9, 1))
    mouse_drag(view, w.index(16, 2), w.index(16, 2))
    qtbot.wait(200)
    assert w.data(w.index(8, 0)) == "08:00 护航科技 · Return visit" and w.data(w.index(9, 1)) == ""
    [stored] = [v for v in list_records(ctx, "visit", dated["client"]) if v["id"] == dated["visit"]]
    assert stored["planned_start"] == local(2026, 3, 18, 16, 30)


def test_a_mouse_drag_in_the_month_view_moves_the_visit_to_another_day(page, dated, ctx, qtbot):
    reload(qtbot, page)
    m, view = page.month_model, page.month_view
    with qtbot.waitSignal(page.rescheduled, timeout=5000), qtbot.waitSignal(page.loaded, timeout=5000):
        mouse_drag(view, m.index_of(dt.date(2026, 3, 16)), m.index_of(dt.date(2026, 3, 26)))
    [stored] = [v for v in list_records(ctx, "visit", dated["client"]) if v["id"] == dated["visit"]]
    assert stored["planned_start"] == local(2026, 3, 26, 10, 30)
    assert kinds_on(m, dt.date(2026, 3, 16)) == [] and kinds_on(m, dt.date(2026, 3, 26)) == ["visit"]


def test_double_clicking_an_all_day_entry_opens_its_record(page, dated, qtbot):
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.week_button.click()
    cell = page.all_day_model.index(0, 2)  # Wednesday: the instrument's calibration
    with qtbot.waitSignal(page.item_open_requested, timeout=2000) as opened:
        page.all_day_view.doubleClicked.emit(cell)
    assert opened.args == [dated["client"], "equipment", dated["eq"]]
    page.select_day(dt.date(2026, 3, 20))
    with qtbot.waitSignal(page.item_open_requested, timeout=2000) as opened:
        page.day_list.itemDoubleClicked.emit(page.day_list.item(0))
    assert opened.args == [dated["client"], "client", dated["client"]]


def opened_visit_form(page, qtbot):
    """The new-visit form, once the calendar has read the clients and people it offers (on the
    database lane)."""
    qtbot.waitUntil(lambda: page.new_visit_dialog is not None, timeout=5000)
    return page.new_visit_dialog
