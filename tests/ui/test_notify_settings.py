"""Settings › Calendar and messages, and Notifications (administrator), through real widgets
against a real server process on loopback."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import httpx
import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from accountdesk.server.notify import admin as notify_admin

_spec = importlib.util.spec_from_file_location(
    "sync_env_for_notify_ui", Path(__file__).parent.parent / "sync" / "sync_env.py"
)
sync_env = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_env)


@pytest.fixture
def server(tmp_path):
    srv = sync_env.ServerProcess(f"sqlite:///{tmp_path / 'server.sqlite3'}", tmp_path / "server.log")
    srv.start()
    srv.add_user("root", "admin")
    srv.add_user("wang.li", "manager")
    yield srv
    srv.stop()
    srv.db.close()


def signed_in_settings(qtbot, window, server, user):
    window.sign_in()
    dialog = window._login_dialog
    dialog.url_edit.setText(server.url)
    dialog.user_edit.setText(user)
    dialog.password_edit.setText(sync_env.PASSWORD)
    dialog.ok_button.click()
    qtbot.waitUntil(
        lambda: window.sync_engine is not None and window._sync_handle is None and not dialog.isVisible(),
        timeout=20000,
    )
    window.show_page("settings")
    return window.pages["settings"]


def test_every_user_gets_a_calendar_address_to_copy_and_renew(qtbot, window, server):
    page = signed_in_settings(qtbot, window, server, "wang.li")
    section = page.calendar_section
    assert not page.notify_admin_section.isVisibleTo(page)  # a manager configures no channels
    qtbot.waitUntil(lambda: section.url_edit.text().startswith(server.url + "/v1/calendar/"), timeout=20000)
    first = section.url_edit.text()
    assert httpx.get(first).status_code == 200
    section.copy_button.click()
    assert QGuiApplication.clipboard().text() == first
    section.reset_button.click()  # asks first: the old address stops working
    box = section._question
    assert isinstance(box, QMessageBox) and box.isVisible()
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: section.url_edit.text() not in ("", first), timeout=20000)
    assert httpx.get(first).status_code == 404 and httpx.get(section.url_edit.text()).status_code == 200
    # the language of the messages, kept on the server
    section.language_combo.setCurrentIndex(section.language_combo.findData("en"))
    section.language_combo.activated.emit(section.language_combo.currentIndex())
    qtbot.waitUntil(
        lambda: notify_admin.user_settings(server.db, "wang.li")["language"] == "en", timeout=20000
    )
    section.revoke_button.click()
    qtbot.waitUntil(lambda: not section.revoke_button.isEnabled(), timeout=20000)
    assert section.url_edit.text() == "" and "Switched off" in section.url_edit.placeholderText()


def test_an_administrator_adds_a_robot_and_a_rule_and_sees_the_dead_letters(qtbot, window, server):
    page = signed_in_settings(qtbot, window, server, "root")
    section = page.notify_admin_section
    assert section.isVisibleTo(page)
    qtbot.waitUntil(lambda: section.rules.rowCount() == 7, timeout=20000)  # the default rules
    dialog = section.open_webhook_dialog()
    dialog.kind.setCurrentIndex(dialog.kind.findData("dingtalk"))
    dialog.url.setText("ftp://wrong")
    dialog.buttons.accepted.emit()
    assert dialog.errors["url"].isVisible() and dialog.isVisible()  # the error next to its field
    port = sync_env.free_port()  # nothing listens there: the robot is down
    dialog.url.setText(f"https://127.0.0.1:{port}/robot/send?access_token=tok-SECRET-77")
    dialog.url.textEdited.emit(dialog.url.text())
    assert not dialog.errors["url"].isVisible()  # cleared once corrected
    dialog.secret.setText("SEC-sign-88")
    dialog.name.setText("quality")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: section.channels.rowCount() == 1, timeout=20000)
    assert [section.channels.item(0, c).text() for c in range(3)] == [
        "quality",
        "DingTalk",
        f"https://127.0.0.1:{port}/… · signed",
    ]
    assert "tok-SECRET-77" not in str(notify_admin.list_channels(server.db))

    section.event_combo.setCurrentIndex(section.event_combo.findData("escalation:3"))
    section.to_combo.setEditText("group:quality")
    section.tier_combo.setCurrentIndex(section.tier_combo.findData("strategic"))
    section.add_rule_button.click()
    qtbot.waitUntil(lambda: section.rules.rowCount() == 8, timeout=20000)
    assert {"event": "escalation:3", "to": "group:quality", "tier": "strategic", "severity": None} in [
        {k: v for k, v in r.items() if k != "id"} for r in notify_admin.list_rules(server.db)
    ]
    last = section.rules.rowCount() - 1
    assert [section.rules.item(last, c).text() for c in range(3)] == [
        "Deadline passed (level 3)",
        "Group quality",
        "Strategic client",
    ]
    # the robot is down: the test says so; a test message is never dead-lettered
    section.test_button.click()
    qtbot.waitUntil(lambda: "quality: failed" in section.status.text(), timeout=30000)
    assert section.failed.rowCount() == 0 and not section.resend_button.isEnabled()
