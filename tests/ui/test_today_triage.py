"""Today as triage through the real widgets: a complaint is first, filters are remembered, and
items are done, snoozed, rescheduled and reassigned by button, context menu and keyboard."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from accountdesk.services import clients, records, visits
from accountdesk.services.agenda import KINDS
from accountdesk.services.feedback import record_feedback
from accountdesk.ui.pages.today import TodayPage

UTC = dt.UTC


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=UTC)


def busy_day(ctx):
    """Many routine visits this week, a survey cadence 283 days late, an old complaint on a
    strategic client and a visit at 15:00 today."""
    ids = {}
    ids["strategic"] = clients.create_client(ctx, name="北方重工集团", tier="strategic")
    ids["standard"] = clients.create_client(ctx, name="护航科技服务有限公司")
    for i in range(40):
        visits.plan_visit(ctx, ids["standard"], "return_visit", at(2026, 3, 17 + i % 5, 9))
    ids["plan"] = visits.create_visit_plan(
        ctx, ids["standard"], "satisfaction_survey", starts_on=dt.date(2025, 6, 6)
    )
    ids["complaint"] = record_feedback(
        ctx,
        ids["strategic"],
        "complaint",
        "报告数据错误",
        received_at=at(2025, 12, 20),
        due_at=at(2025, 12, 25, 9),
        status="investigating",
    )
    ids["visit_today"] = visits.plan_visit(ctx, ids["strategic"], "executive_meeting", at(2026, 3, 16, 15))
    return ids


def loaded(window, qtbot) -> TodayPage:
    window.show_page("today")
    page = window.pages["today"]
    page.refresh()
    qtbot.waitUntil(lambda: page.triage is not None and not window.tasks.busy, timeout=5000)
    return page


def reload(page, window, qtbot) -> None:
    generation = page._generation
    qtbot.waitUntil(lambda: not window.tasks.busy and page._generation >= generation, timeout=5000)
    page.refresh()
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=5000)


def test_a_complaint_is_first_on_today_with_its_severity(qtbot, ctx, window):
    ids = busy_day(ctx)
    page = loaded(window, qtbot)
    urgent = page.sections["urgent"]
    assert urgent.isVisible() and urgent.y() < page.sections["week"].y()
    assert [i.row_id for i in urgent.model.items()] == [ids["complaint"]]
    assert urgent.model.items()[0].severity == "critical"
    assert page.items[0].row_id == ids["complaint"]
    assert (
        page.sections["today"].model.data(
            page.sections["today"].model.index(0, 0), Qt.ItemDataRole.DisplayRole
        )
        == "Executive meeting"
    )
    today_item = page.sections["today"].model.items()[0]
    assert today_item.row_id == ids["visit_today"] and today_item.due_at == at(2026, 3, 16, 15)
    assert "283" in page.sections["overdue"].model.data(
        page.sections["overdue"].model.index(0, 0), Qt.ItemDataRole.ToolTipRole
    )


def test_filters_are_remembered(qtbot, ctx, tasks, settings, window):
    busy_day(ctx)
    page = loaded(window, qtbot)
    page.set_kinds(["complaint"])
    qtbot.waitUntil(lambda: not window.tasks.busy)
    qtbot.waitUntil(lambda: [i.kind for i in page.items] == ["complaint"])
    page.scope_buttons["all"].click()
    qtbot.waitUntil(lambda: not window.tasks.busy)
    assert settings.get("today_scope") == "all" and settings.get("today_kinds") == ["complaint"]
    again = TodayPage(ctx, tasks, settings=settings)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.triage is not None, timeout=5000)
    assert again.scope == "all" and again.scope_buttons["all"].isChecked()
    assert [i.kind for i in again.items] == ["complaint"]
    assert not again.kind_actions["visit_planned"].isChecked() and again.kind_actions["complaint"].isChecked()
    assert again.kind_button.text() == f"Kinds: 1 of {len(KINDS)}"
    again.set_kinds(None)
    qtbot.waitUntil(lambda: len(again.items) > 1, timeout=5000)
    assert settings.get("today_kinds") == []


def test_keyboard_walks_sections_and_snoozes(qtbot, ctx, window):
    ids = busy_day(ctx)
    page = loaded(window, qtbot)
    page.select("urgent", 0)
    view = page.sections["urgent"].view
    qtbot.keyClick(view, Qt.Key.Key_Down)  # past the last urgent item: on to due today
    assert page.current_item().row_id == ids["visit_today"]
    qtbot.keyClick(page.sections["today"].view, Qt.Key.Key_Down)
    assert page.current_item().row_id == ids["plan"]
    assert page.snooze_button.isEnabled() and page.reschedule_button.isEnabled()
    qtbot.keyClick(page.sections["overdue"].view, Qt.Key.Key_S)  # snooze until tomorrow
    qtbot.waitUntil(lambda: "1 snoozed" in page.date_label.text(), timeout=5000)
    assert ids["plan"] not in {i.row_id for i in page.items}


def test_context_menu_offers_the_actions_and_reschedules(qtbot, ctx, window):
    ids = busy_day(ctx)
    page = loaded(window, qtbot)
    page.select("today", 0)
    item = page.current_item()
    menu = page.item_menu(item)
    titles = [a.text() for a in menu.actions()]
    assert (
        titles[:2] == ["Open the item", "Done…"]
        and "Snooze" in titles
        and "Reschedule…" in titles
        and "Reassign" in titles
    )
    page.ask_date = lambda title, first, initial: dt.date(2026, 3, 18)
    next(a for a in menu.actions() if a.text() == "Reschedule…").trigger()
    qtbot.waitUntil(
        lambda: records.get_record(ctx, "visit", ids["visit_today"])["planned_start"] == at(2026, 3, 18, 15),
        timeout=5000,
    )
    qtbot.waitUntil(
        lambda: ids["visit_today"] in {i.row_id for i in page.sections["week"].model.items()}, timeout=5000
    )
    # A complaint has no date of its own: no "Reschedule", the button is off.
    page.select("urgent", 0)
    assert "Reschedule…" not in [a.text() for a in page.item_menu(page.current_item()).actions()]
    assert not page.reschedule_button.isEnabled()


def test_a_supervisor_reassigns_a_visit(qtbot, ctx, window):
    ids = busy_day(ctx)
    mgr = records.create_record(ctx, "user", {"username": "mgr", "display_name": "经理甲", "role": "manager"})
    page = loaded(window, qtbot)
    page.select("today", 0)
    assert page.reassign_button.isVisible() and page.reassign_button.isEnabled()
    page.reassign_menu.aboutToShow.emit()
    action = next(a for a in page.reassign_menu.actions() if a.text() == "经理甲")
    action.trigger()
    qtbot.waitUntil(
        lambda: records.get_record(ctx, "visit", ids["visit_today"])["owner_id"] == mgr, timeout=5000
    )


def test_a_manager_has_no_reassign(qtbot, ctx, window):
    busy_day(ctx)
    mgr = records.create_record(ctx, "user", {"username": "mgr", "display_name": "经理甲", "role": "manager"})
    ctx.set_actor(mgr)
    page = loaded(window, qtbot)
    assert not page.reassign_button.isVisible()


def test_done_on_a_planned_visit_opens_its_report_and_on_a_due_cadence_records_that_kind(qtbot, ctx, window):
    ids = busy_day(ctx)
    page = loaded(window, qtbot)
    page.select("today", 0)
    opened = []
    window.complete_item = lambda *args: opened.append(args)  # noqa: E731 - see below for the real one
    page.item_action_requested.disconnect()
    page.item_action_requested.connect(lambda *a: opened.append(a))
    page.done_button.click()
    assert opened[-1][:4] == (ids["strategic"], "visit", ids["visit_today"], "write_report")
    # The real path: the workspace opens on the visit and its report dialog is shown.
    # The workspace reads on the database lane: the form opens once the visits have landed.
    type(window).complete_item(window, ids["strategic"], "visit", ids["visit_today"], "write_report")
    dialog = opened_form(qtbot, window)
    assert dialog.isVisible() and dialog.original["id"] == ids["visit_today"]
    assert window.workspace_host.widget.current_tab_name() == "visits"
    dialog.reject()
    type(window).complete_item(window, ids["standard"], "visit_plan", ids["plan"], "record_visit")
    dialog = opened_form(qtbot, window)
    assert dialog.form.editors["kind"].value() == "satisfaction_survey"
    dialog.reject()
    QApplication.processEvents()


def opened_form(qtbot, window):
    """The form the client's workspace opened for Today's "Done", once it has."""
    workspace = window.workspace_host.widget
    qtbot.waitUntil(lambda: not workspace.loading and workspace.completion is not None, timeout=5000)
    return workspace.completion
