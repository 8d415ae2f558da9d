"""The calendar across laptops: a manager plans a visit and syncs; the supervisor's calendar
shows it among that manager's entries (filter by manager), the supervisor drags it to the
afternoon and syncs; the manager's laptop then has the visit at the new time, with the change in
its history. Real server process, real widgets."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sync_helpers import get

from accountdesk.models import Visit
from accountdesk.services import calendar as cal
from accountdesk.services import clients, tasks, visits
from accountdesk.services.users import find_user

pytest.importorskip("pytestqt")


def test_a_visit_dragged_on_the_supervisors_calendar_moves_on_the_managers_laptop(server, make_device, qtbot):
    from accountdesk.ui.pages.calendar import CalendarPage
    from accountdesk.ui.tasks import TaskManager

    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    server.add_user("bob", "manager")
    a, boss = make_device("alice"), make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="护航科技有限公司", short_name="护航科技")
    day = a.ctx.today() + dt.timedelta(days=2)
    start = dt.datetime.combine(day, dt.time(9, 30)).astimezone()
    vid = visits.plan_visit(a.ctx, cid, "return_visit", start, end=start + dt.timedelta(hours=1))
    tid = tasks.create_task(a.ctx, cid, "寄送报价单", due_on=day)
    assert a.sync().rejected == 0
    boss.sync()

    lanes = TaskManager()
    try:
        page = CalendarPage(boss.ctx, lanes)
        qtbot.addWidget(page)
        page.resize(1200, 760)
        page.show()
        with qtbot.waitSignal(page.loaded, timeout=10000):
            page.set_mode("week")
        with qtbot.waitSignal(page.loaded, timeout=10000):
            page.show_date(day)
        assert page.manager_combo.isVisibleTo(page)
        alice = find_user(boss.ctx, "alice")["id"]
        bob = find_user(boss.ctx, "bob")["id"]
        with qtbot.waitSignal(page.loaded, timeout=10000):
            page.set_manager(bob)
        assert page.entries == []
        with qtbot.waitSignal(page.loaded, timeout=10000):
            page.set_manager(alice)
        assert {(e.kind, e.row_id) for e in page.entries} == {("visit", vid), ("task", tid)}
        week = page.week_model
        col = (day - week.first).days
        source = week.index(9, col)
        assert week.data(source) == "09:30 护航科技 · Return visit"
        with qtbot.waitSignal(page.rescheduled, timeout=10000), qtbot.waitSignal(page.loaded, timeout=10000):
            assert week.dropMimeData(
                week.mimeData([source]), Qt.DropAction.MoveAction, -1, -1, week.index(15, col)
            )
        assert week.data(week.index(15, col)) == "15:30 护航科技 · Return visit"
    finally:
        lanes.shutdown()
    assert boss.sync().rejected == 0
    a.sync()
    moved = get(a, Visit, vid)
    assert moved.planned_start == dt.datetime.combine(day, dt.time(15, 30)).astimezone()
    assert moved.planned_end == dt.datetime.combine(day, dt.time(16, 30)).astimezone()
    [entry] = cal.entries_between(a.ctx, day, day + dt.timedelta(days=1), kinds=["visit"])
    assert entry.start == moved.planned_start and entry.status == "planned"
