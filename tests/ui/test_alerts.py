"""Alerts (issue 15, point 3) through the real window: an escalation made on a real server
process reaches the supervisor's laptop as one desktop notification and one entry in the bell's
history (not again on the next sync or after a restart, even when the server sends it again); a
reminder before a planned visit; a complaint's deadline nearing, each level once."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from accountdesk.services import clients, feedback, visits
from accountdesk.services import tasks as task_service
from accountdesk.services.sync_status import sync_status

_spec = importlib.util.spec_from_file_location(
    "sync_env_for_alerts", Path(__file__).parent.parent / "sync" / "sync_env.py"
)
sync_env = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_env)

H = dt.timedelta(hours=1)


@pytest.fixture
def server(tmp_path):
    from accountdesk.server.notify import admin

    srv = sync_env.ServerProcess(f"sqlite:///{tmp_path / 'server.sqlite3'}", tmp_path / "server.log")
    srv.start()
    srv.add_user("li", "manager")
    srv.add_user("zhao", "supervisor")
    srv.add_user("wang", "manager")
    admin.reset_rules(srv.db)  # level 2 escalates to the team's supervisor (zhao: no team, so all)
    yield srv
    srv.stop()
    srv.db.close()


def settle(qtbot, window):
    qtbot.waitUntil(lambda: window._sync_handle is None, timeout=60000)
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=60000)
    qtbot.wait(50)
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=60000)


def open_history(qtbot, window):
    bell = window.alerts.bell
    qtbot.mouseClick(bell, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(bell.popup.isVisible, timeout=15000)
    return bell.popup


def test_an_escalation_raises_one_notification_for_the_supervisor(
    qtbot, tmp_path, ctx, tasks, settings, window, notifications, server
):
    from accountdesk.server.notify import scheduler
    from accountdesk.server.notify.settings import NotifySettings
    from accountdesk.sync.changes import set_meta
    from accountdesk.sync.notify_api import NotifyClient
    from accountdesk.ui.main_window import MainWindow

    # the account manager's laptop records a complaint received 41 hours ago (high: 48 h allowed)
    li = sync_env.Device(tmp_path / "li-laptop", server, "li")
    li.sync()
    cid = clients.create_client(li.ctx, name="蓝海检测")
    fid = feedback.record_feedback(
        li.ctx, cid, "complaint", "报告延误", severity="high", received_at=dt.datetime.now(dt.UTC) - 41 * H
    )
    li.sync()
    # the server's schedule escalates it to level 2 (deadline imminent): the supervisor's level
    scheduler.record(server.db, NotifySettings())  # (or the server's own run did it already)

    # the supervisor signs in on their laptop: the first sync pulls the alert meant for them
    window.sign_in()
    dialog = window._login_dialog
    dialog.url_edit.setText(server.url)
    dialog.user_edit.setText("zhao")
    dialog.password_edit.setText(sync_env.PASSWORD)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: len(notifications) == 1, timeout=30000)
    assert notifications[0] == (
        "Complaint deadline imminent",
        "蓝海检测 · 报告延误\nEscalated to you (level 2 of 3)",
    )
    qtbot.waitUntil(lambda: window.alerts.bell.text() == "1", timeout=15000)
    popup = open_history(qtbot, window)
    qtbot.waitUntil(lambda: popup.titles() == ["Complaint deadline imminent"], timeout=15000)
    popup.hide()

    # the next sync brings nothing new: no second notification
    window.sync_action.trigger()
    settle(qtbot, window)
    assert sync_status(ctx).pending == 0
    assert len(notifications) == 1

    # a restart, with the server sending everything again (the cursor lost): still one alert
    window.close()
    engine = window.sync_engine
    with ctx.store.write() as session:
        set_meta(session, f"alerts_cursor:{ctx.actor.id}", 0)
    again = MainWindow(ctx, tasks, settings, notifier=lambda title, text: notifications.append((title, text)))
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    again.sync_engine = engine
    again.sync_action.trigger()
    settle(qtbot, again)
    assert len(notifications) == 1
    qtbot.waitUntil(lambda: again.alerts.bell.text() == "1", timeout=15000)

    # clicking it opens the complaint in the client's workspace and counts it read
    popup = open_history(qtbot, again)
    qtbot.waitUntil(lambda: popup.titles() == ["Complaint deadline imminent"], timeout=15000)
    popup._clicked(popup.list.item(0))
    assert again.current_client_id == cid
    assert again.current_item == ("feedback", fid)
    qtbot.waitUntil(lambda: again.alerts.bell.text() == "", timeout=15000)

    # the server tells each person their own alerts only: the manager (handler rule) has one,
    # a colleague the rules do not name none
    mine = NotifyClient(li.engine).alerts(0)["alerts"]
    assert [(a["feedback_id"], a["level"]) for a in mine] == [(fid, 2)]
    wang = sync_env.Device(tmp_path / "wang-laptop", server, "wang")
    wang.sync()
    assert NotifyClient(wang.engine).alerts(0)["alerts"] == []
    li.close()
    wang.close()
    again.close()
    tasks.wait(5000)


def test_a_reminder_comes_before_a_planned_visit_once(qtbot, ctx, clock, settings, window, notifications):
    cid = clients.create_client(ctx, name="江南检测服务有限公司")
    soon = clock.now() + dt.timedelta(minutes=30)
    later = clock.now() + dt.timedelta(hours=3)
    visits.plan_visit(ctx, cid, "return_visit", soon, purpose="季度回访")
    visits.plan_visit(ctx, cid, "return_visit", later, purpose="设备验收")
    window.alerts.check()
    qtbot.waitUntil(lambda: len(notifications) == 1, timeout=15000)
    assert notifications[0] == (
        f"Visit at {soon.astimezone().strftime('%H:%M')}",
        "江南检测服务有限公司 · 季度回访",
    )
    window.alerts.check()
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=15000)
    qtbot.wait(50)
    assert len(notifications) == 1  # once
    # 1 h 50 min before the later visit: no reminder yet with the default (60 minutes before)
    clock.advance(hours=1, minutes=10)
    window.alerts.check()
    qtbot.wait(50)
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=15000)
    assert len(notifications) == 1
    # Settings: two hours before the visit -> its reminder comes at the next check
    window.show_page("settings")
    combo = window.pages["settings"].alert_settings.reminder_combo
    combo.setCurrentIndex(combo.findText("2 h before the visit"))
    assert settings.get("visit_reminder_min") == 120
    window.alerts.check()
    qtbot.waitUntil(lambda: len(notifications) == 2, timeout=15000)
    assert notifications[1][1] == "江南检测服务有限公司 · 设备验收"
    qtbot.waitUntil(lambda: window.alerts.bell.text() == "2", timeout=15000)


def test_a_complaint_deadline_nearing_alerts_its_handler_once_per_level(
    qtbot, ctx, clock, window, notifications
):
    cid = clients.create_client(ctx, name="华东精密仪器有限公司")
    fid = feedback.record_feedback(
        ctx, cid, "complaint", "检测报告延误", severity="high", received_at=clock.now() - 25 * H
    )
    task_service.create_task(ctx, cid, "寄送整改报告", due_on=ctx.today())
    window.alerts.check()
    qtbot.waitUntil(lambda: len(notifications) == 1, timeout=15000)
    assert notifications[0][0] == "2 new alerts"
    assert "Complaint deadline near · 华东精密仪器有限公司" in notifications[0][1]
    assert "Task due: 寄送整改报告 · 华东精密仪器有限公司" in notifications[0][1]
    window.alerts.check()
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=15000)
    qtbot.wait(50)
    assert len(notifications) == 1
    clock.advance(hours=16)  # 7 hours left: imminent (level 2)
    window.alerts.check()
    qtbot.waitUntil(lambda: len(notifications) == 2, timeout=15000)
    assert notifications[1] == ("Complaint deadline imminent", "华东精密仪器有限公司 · 检测报告延误")
    popup = open_history(qtbot, window)
    qtbot.waitUntil(lambda: len(popup.titles()) == 3, timeout=15000)
    assert popup.titles()[0] == "Complaint deadline imminent"
    popup.hide()
    # locked (idle): the bell shows no history, client names stay hidden
    window.app_lock.lock("idle")
    qtbot.mouseClick(window.alerts.bell, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=15000)
    assert not window.alerts.bell.popup.isVisible()
    window.app_lock.unlock()
    # the desktop notification clicked: the complaint opens
    window.alerts._notification_clicked()
    assert window.current_item == ("feedback", fid)
    qtbot.waitUntil(lambda: window.alerts.bell.text() == "2", timeout=15000)
    popup = open_history(qtbot, window)
    popup.mark_all.click()
    qtbot.waitUntil(lambda: window.alerts.bell.text() == "", timeout=15000)
    popup.hide()
    # the client leaves this laptop (deleted here; a handover too): its alerts, with its name, go
    clients.delete_client(ctx, cid)
    window.alerts.check()
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=15000)
    popup = open_history(qtbot, window)
    qtbot.waitUntil(lambda: popup.titles() == [] and popup.empty.isVisible(), timeout=15000)
    assert len(notifications) == 2  # and nothing of it raised again


def test_alerts_read_in_the_language_shown(qtbot, ctx, clock, window, notifications):
    from accountdesk.i18n import set_language
    from accountdesk.ui.app import install_language

    cid = clients.create_client(ctx, name="华东精密仪器有限公司")
    feedback.record_feedback(
        ctx, cid, "complaint", "检测报告延误", severity="high", received_at=clock.now() - 25 * H
    )
    window.apply_language("zh_CN")
    try:
        window.alerts.check()
        qtbot.waitUntil(lambda: len(notifications) == 1, timeout=15000)
        assert notifications[0] == ("投诉临近处理时限", "华东精密仪器有限公司 · 检测报告延误")
        qtbot.waitUntil(lambda: window.alerts.bell.toolTip() == "1 条未读提醒", timeout=15000)
        popup = open_history(qtbot, window)
        qtbot.waitUntil(lambda: popup.titles() == ["投诉临近处理时限"], timeout=15000)
        assert (popup.heading.text(), popup.mark_all.text()) == ("提醒", "全部标为已读")
        popup.hide()
    finally:
        window.tasks.wait(5000)
        install_language("en")
        set_language("en")
