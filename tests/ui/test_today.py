"""Today: the agenda grouped into overdue / today / this week; one click opens the item;
due items raise one desktop notification."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from accountdesk.services.agenda import agenda
from accountdesk.services.clients import update_client
from accountdesk.services.visits import plan_visit
from accountdesk.ui.pages.today import TodayPage

from .conftest import make_clients


def click_row(qtbot, view, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def agenda_fixture(ctx, clock):
    """A planned visit two days overdue, one today, one in three days, a renewal in five days."""
    ids = make_clients(ctx)
    now = clock.now()
    hh = ids["护航科技有限公司"]
    late = plan_visit(ctx, hh, "return_visit", now - dt.timedelta(days=2))
    today = plan_visit(ctx, ids["北方重工集团"], "executive_meeting", now + dt.timedelta(hours=3))
    later = plan_visit(ctx, ids["江南检测服务有限公司"], "return_visit", now + dt.timedelta(days=3))
    update_client(ctx, ids["Acme Analytics Ltd"], contract_renewal_date=ctx.today() + dt.timedelta(days=5))
    return ids, {"late": late, "today": today, "later": later}


def today_window(window, qtbot) -> TodayPage:
    window.show_page("today")
    page = window.pages["today"]
    page.refresh()
    qtbot.waitUntil(
        lambda: (
            page.stack.currentWidget() is not page.loading_state
            and page.items is not None
            and not window.tasks.busy
        ),
        timeout=5000,
    )
    return page


def test_agenda_is_grouped_overdue_today_this_week(qtbot, ctx, clock, window):
    ids, visits = agenda_fixture(ctx, clock)
    page = today_window(window, qtbot)
    qtbot.waitUntil(lambda: bool(page.items) and len(page.items) == len(agenda(ctx, days=7)))
    overdue = page.sections["overdue"]
    assert overdue.isVisible()
    assert overdue.heading.text() == "Overdue routine work · 1"
    assert [i.row_id for i in overdue.model.items()] == [visits["late"]]
    assert [i.row_id for i in page.sections["today"].model.items()] == [visits["today"]]
    week_rows = {i.row_id for i in page.sections["week"].model.items()}
    assert visits["later"] in week_rows
    assert ids["Acme Analytics Ltd"] in week_rows  # the contract renewal (a client row)
    assert (
        page.sections["overdue"]
        .model.data(page.sections["overdue"].model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
        .endswith("2 days overdue")
    )


def test_one_click_opens_the_item_in_the_workspace(qtbot, ctx, clock, window):
    ids, visits = agenda_fixture(ctx, clock)
    page = today_window(window, qtbot)
    qtbot.waitUntil(lambda: page.sections["overdue"].model.rowCount() == 1)
    click_row(qtbot, page.sections["overdue"].view, 0)
    assert window.current_client_id == ids["护航科技有限公司"]
    assert window.current_item == ("visit", visits["late"])
    assert window.stack.currentWidget() is window.workspace_host
    qtbot.waitUntil(lambda: "护航科技有限公司" in window.windowTitle())
    workspace = window.workspace_host.widget
    if hasattr(workspace, "current_tab_name"):  # the colleague's workspace: on the visits tab
        assert workspace.current_tab_name() == "visits"
    window.workspace_host.back_button.click()
    assert window.current_key == "today"


def test_nothing_due_says_so(qtbot, ctx, window):
    page = today_window(window, qtbot)
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty)
    assert page.empty.title_label.text() == "Nothing due this week"


def test_enter_on_an_agenda_item_opens_it(qtbot, ctx, clock, window):
    ids, visits = agenda_fixture(ctx, clock)
    page = today_window(window, qtbot)
    qtbot.waitUntil(lambda: page.sections["today"].model.rowCount() == 1)
    view = page.sections["today"].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert window.current_client_id == ids["北方重工集团"]
    assert window.current_item == ("visit", visits["today"])


def test_long_sections_show_the_first_items_then_all_on_request(qtbot, ctx, clock, window):
    from accountdesk.services.agenda import AgendaItem
    from accountdesk.ui.pages.today import SECTION_LIMIT

    page = today_window(window, qtbot)
    today = ctx.today()
    items = [
        AgendaItem(
            kind="visit_planned",
            due=today - dt.timedelta(days=1 + i),
            client_id="c",
            client_name="客户",
            entity="visit",
            row_id=str(i),
            title=f"拜访 {i}",
            overdue=True,
            days_overdue=1 + i,
            severity="medium",
        )
        for i in range(SECTION_LIMIT + 5)
    ]
    page._show(page._generation, items)
    section = page.sections["overdue"]
    assert section.heading.text() == f"Overdue routine work · {SECTION_LIMIT + 5}"
    assert section.model.rowCount() == SECTION_LIMIT
    assert section.more_button.isVisible() and section.more_button.text() == f"Show all {SECTION_LIMIT + 5}"
    section.more_button.click()
    assert section.model.rowCount() == SECTION_LIMIT + 5
    assert not section.more_button.isVisible()


def test_the_feedback_queue_opens_an_item_on_its_tab_in_the_workspace(qtbot, ctx, clock, window):
    from accountdesk.services import records

    client = records.create_record(ctx, "client", {"name": "华为测试中心"})
    complaint = records.create_record(
        ctx,
        "feedback",
        {"kind": "complaint", "subject": "报告延期", "received_at": clock.now(), "severity": "high"},
        client_id=client,
    )
    window.show_page("feedback")
    page = window.pages["feedback"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.open_row(0)
    assert window.current_client_id == client
    assert window.current_item == ("feedback", complaint)
    qtbot.waitUntil(lambda: window.workspace_host.widget.current_tab_name() == "feedback")
