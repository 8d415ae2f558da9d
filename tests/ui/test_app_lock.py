"""The app lock, driven as a person would, against a real server process on loopback: after the
idle minutes of Settings the window hides client data behind the lock screen, and the password of
the last sign-in unlocks it (checked without the network); a company profile whose offline lease
ran out opens locked, and only a sign-in to the server unlocks it."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from accountdesk.services.clients import create_client
from accountdesk.sync.changes import get_meta, set_meta
from accountdesk.sync.client.base import META_SERVER_CONTACT

_spec = importlib.util.spec_from_file_location(
    "sync_env_for_lock", Path(__file__).parent.parent / "sync" / "sync_env.py"
)
sync_env = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_env)

pytestmark = pytest.mark.gui


@pytest.fixture
def server(tmp_path):
    srv = sync_env.ServerProcess(
        f"sqlite:///{tmp_path / 'server.sqlite3'}",
        tmp_path / "server.log",
        env={"ACCOUNTDESK_OFFLINE_DAYS": "10"},
    )
    srv.start()
    srv.add_user("wang.li", "manager")
    yield srv
    srv.stop()
    srv.db.close()


def sign_in(qtbot, window, server, password):
    window.sign_in()
    dialog = window._login_dialog
    dialog.url_edit.setText(server.url)
    dialog.user_edit.setText("wang.li")
    dialog.password_edit.setText(password)
    dialog.ok_button.click()
    return dialog


def test_idle_lock_hides_client_data_and_the_sign_in_password_unlocks_it_offline(
    qtbot, ctx, window, server, settings
):
    cid = create_client(ctx, name="锁屏测试客户有限公司")
    assert not window.app_lock.timer.isActive()  # a profile used on its own: no lock by default
    sign_in(qtbot, window, server, sync_env.PASSWORD)
    qtbot.waitUntil(lambda: window.sync_engine is not None, timeout=20000)
    assert (
        window.app_lock.timer.isActive() and window.app_lock.timer.interval() == 15 * 60_000
    )  # company default
    window.show_page("settings")
    page = window.pages["settings"]
    page.lock_combo.setCurrentIndex(page.lock_combo.findData(5))
    assert settings.get("lock_minutes") == 5 and window.app_lock.timer.interval() == 5 * 60_000
    window.show_page("clients")
    before = window.stack.currentWidget()
    server.stop()  # field staff at a client's site: no network
    window.app_lock.timer.timeout.emit()  # five idle minutes
    lock = window.app_lock.screen
    assert (
        window.stack.currentWidget() is lock
        and not window.nav.isEnabled()
        and not window.menuBar().isEnabled()
    )
    assert lock.password.isVisible() and "password" in lock.text.text()
    window.open_client(cid)  # e.g. a reminder clicked while locked: the client stays hidden
    window.show_page("clients")
    assert window.stack.currentWidget() is lock
    qtbot.keyClicks(lock.password, "not-the-password")
    lock.unlock_button.click()
    # checked off the GUI thread (a wrong OS password waits for PAM's fail delay): no second try meanwhile
    assert not lock.unlock_button.isEnabled() and window.stack.currentWidget() is lock
    qtbot.waitUntil(lambda: lock.error.isVisible(), timeout=15_000)
    assert window.stack.currentWidget() is lock and lock.unlock_button.isEnabled()
    lock.password.clear()
    qtbot.keyClicks(lock.password, sync_env.PASSWORD)
    lock.unlock_button.click()
    qtbot.waitUntil(lambda: window.app_lock.locked is None, timeout=15_000)
    assert window.stack.currentWidget() is before and window.nav.isEnabled()


def test_a_company_profile_past_its_lease_opens_locked_until_a_sign_in(qtbot, ctx, tasks, server, settings):
    from accountdesk.ui.main_window import MainWindow

    first = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(first)
    sign_in(qtbot, first, server, sync_env.PASSWORD)
    qtbot.waitUntil(lambda: first.sync_engine is not None, timeout=20000)
    first.close()
    with ctx.read() as session:
        assert get_meta(session, "offline_days") == 10
        contact = dt.datetime.fromisoformat(get_meta(session, META_SERVER_CONTACT))
    with ctx.store.write() as session:  # eleven days away from the server
        set_meta(session, META_SERVER_CONTACT, (contact - dt.timedelta(days=11)).isoformat())
    window = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(window)
    window.show()
    lock = window.app_lock.screen
    assert window.app_lock.locked == "lease" and window.stack.currentWidget() is lock
    assert not lock.password.isVisible() and lock.sign_in_button.isVisible()
    lock.sign_in_button.click()
    dialog = window._login_dialog
    dialog.password_edit.setText(sync_env.PASSWORD)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: window.app_lock.locked is None, timeout=20000)
    assert window.stack.currentWidget() is not lock and window.nav.isEnabled()
