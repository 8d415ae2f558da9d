"""Signing in and syncing from the desktop app against a real server process on loopback."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from accountdesk.services.clients import create_client
from accountdesk.services.sync_status import sync_status

_spec = importlib.util.spec_from_file_location(
    "sync_env_for_ui", Path(__file__).parent.parent / "sync" / "sync_env.py"
)
sync_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_conftest)


@pytest.fixture
def server(tmp_path):
    srv = sync_conftest.ServerProcess(f"sqlite:///{tmp_path / 'server.sqlite3'}", tmp_path / "server.log")
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


def test_sign_in_syncs_and_the_status_bar_says_online(qtbot, ctx, window, server, settings):
    dialog = sign_in(qtbot, window, server, sync_conftest.PASSWORD)
    qtbot.waitUntil(lambda: window.sync_engine is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.sync_indicator.state_label.text().startswith("Online"), timeout=10000)
    assert not dialog.isVisible()
    assert settings.get("server_url") == server.url and settings.get("username") == "wang.li"
    assert ctx.actor.username == "wang.li"
    # a local change is pending until "Sync now" sends it
    create_client(ctx, name="同步测试客户")
    window.refresh_sync_status()
    qtbot.waitUntil(
        lambda: (
            window.sync_indicator.pending_label.text().endswith("pending change")
            or window.sync_indicator.pending_label.text().endswith("pending changes")
        )
    )
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: window._sync_handle is None and sync_status(ctx).pending == 0, timeout=20000)
    qtbot.waitUntil(lambda: window.sync_indicator.pending_label.text() == "Synced")
    assert window.statusBar().currentMessage() == "Sync finished."


def test_a_wrong_password_is_shown_in_the_dialog(qtbot, window, server):
    dialog = sign_in(qtbot, window, server, "not-the-password")
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=20000)
    assert dialog.isVisible()
    assert dialog.ok_button.isEnabled()
    assert window.sync_engine is None


def test_first_start_connects_to_a_server_and_opens_the_synced_profile(
    qtbot, tmp_path, tasks, settings, server
):
    from accountdesk.ui.dialogs.first_start import FirstStartDialog

    dialog = FirstStartDialog(tmp_path / "fresh", tasks, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.connect_button.click()
    qtbot.waitUntil(
        lambda: getattr(dialog, "_login", None) is not None and dialog._login.isVisible(), timeout=20000
    )
    login = dialog._login
    login.url_edit.setText(server.url)
    login.user_edit.setText("wang.li")
    login.password_edit.setText(sync_conftest.PASSWORD)
    login.ok_button.click()
    qtbot.waitUntil(lambda: dialog.ctx is not None, timeout=20000)
    assert dialog.result() == FirstStartDialog.DialogCode.Accepted
    assert dialog.engine is not None
    assert dialog.ctx.actor.username == "wang.li"
    assert sync_status(dialog.ctx).server_url == server.url
    dialog.engine.close()
    dialog.ctx.close()


def _outward_address():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_sign_in_refuses_plain_http_to_another_computer_until_allowed(qtbot, window, tmp_path):
    srv = sync_conftest.ServerProcess(
        f"sqlite:///{tmp_path / 'lan.sqlite3'}", tmp_path / "lan.log", args=["--host", "0.0.0.0"]
    )
    srv.start()
    try:
        srv.add_user("wang.li", "manager")
        address = _outward_address()
        url = f"http://{address or '203.0.113.9'}:{srv.port}"
        window.sign_in()
        dialog = window._login_dialog
        assert not dialog.insecure_check.isVisible()  # https:// needs nothing
        dialog.url_edit.setText(url)
        dialog.user_edit.setText("wang.li")
        dialog.password_edit.setText(sync_conftest.PASSWORD)
        assert dialog.insecure_check.isVisible() and not dialog.insecure_check.isChecked()
        dialog.ok_button.click()
        error = dialog.errors["server_url"]
        assert error.isVisible() and "not encrypted" in error.text()
        assert dialog._handle is None and window.sync_engine is None  # nothing was sent
        if address is None:
            pytest.skip("this computer has no address besides loopback")
        dialog.insecure_check.setChecked(True)
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: window.sync_engine is not None, timeout=20000)
        assert window.sync_engine.server_url == url
    finally:
        srv.stop()
        srv.db.close()


def test_a_reinitialised_server_is_explained_and_joined_again_from_the_app(qtbot, ctx, window, server):
    sign_in(qtbot, window, server, sync_conftest.PASSWORD)
    qtbot.waitUntil(lambda: window.sync_engine is not None, timeout=20000)
    old = create_client(ctx, name="旧服务器上的客户")
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: window._sync_handle is None and sync_status(ctx).pending == 0, timeout=20000)
    offline = create_client(ctx, name="离线新建的客户")
    sync_conftest.reset_database(server.db)  # the administrator starts the server's database over
    server.add_user("wang.li", "manager")
    window.sync_action.trigger()
    qtbot.waitUntil(
        lambda: (
            getattr(window, "_login_dialog", None) is not None
            and window._login_dialog.isVisible()
            and window._login_dialog._rejoin
        ),
        timeout=20000,
    )
    dialog = window._login_dialog
    assert "re-initialised" in dialog.message.text() and dialog.ok_button.text() == "Join again"
    dialog.password_edit.setText(sync_conftest.PASSWORD)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    with ctx.read() as s:
        from sqlalchemy import select

        from accountdesk.models import Client

        ids = set(s.scalars(select(Client.id)).all())
    assert ids == {offline} and old not in ids  # a fresh copy; the offline work kept and sent
    assert list((ctx.store.data_dir / "backups").glob("before-rejoin-*.zip"))


def test_a_demo_profile_joining_a_server_is_offered_to_start_clean(qtbot, ctx, window, server):
    """Demo data must not reach a company server: the sign-in explains it and offers to start the
    profile clean; after that the profile holds the company's data only."""
    from sqlalchemy import select

    from accountdesk.models import Client
    from accountdesk.services.demo import generate_demo

    generate_demo(ctx, clients=2, seed=3)
    with server.db.read() as conn:
        from accountdesk.server import repo

        assert not repo.live_clients(conn)
    dialog = sign_in(qtbot, window, server, sync_conftest.PASSWORD)
    qtbot.waitUntil(lambda: dialog.start_clean_button.isVisible(), timeout=20000)
    assert "demo" in dialog.message.text()
    with server.db.read() as conn:
        assert not repo.live_clients(conn)  # nothing was pushed
    dialog.start_clean_button.click()
    qtbot.waitUntil(lambda: window.sync_engine is not None, timeout=20000)
    with ctx.read() as s:
        assert s.scalars(select(Client)).all() == []
    with server.db.read() as conn:
        assert not repo.live_clients(conn)
