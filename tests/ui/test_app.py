"""The main window: opens in both languages, navigation, sync indicator, first start."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from accountdesk.i18n import set_language
from accountdesk.services.sync_status import sync_status
from accountdesk.ui.app import install_language, qt_translation_loaded
from accountdesk.ui.main_window import NAV, MainWindow

from .conftest import make_clients


def nav_labels(win: MainWindow) -> list[str]:
    return [win.nav.item(i).text() for i in range(win.nav.count()) if not win.nav.item(i).isHidden()]


def test_main_window_opens_in_english(window):
    assert "AccountDesk" in window.windowTitle()
    assert window.windowTitle() == "Today — AccountDesk"
    assert nav_labels(window) == [
        "Today",
        "Clients",
        "Calendar",
        "Feedback",
        "Reports",
        "Dashboard",
        "Team",
        "Settings",
    ]


def test_main_window_opens_in_chinese_with_qt_translations(qtbot, ctx, tasks, settings):
    install_language("zh_CN")
    try:
        win = MainWindow(ctx, tasks, settings)
        qtbot.addWidget(win)
        win.show()
        assert win.windowTitle() == "今日待办 — AccountDesk"
        assert nav_labels(win) == ["今日待办", "客户", "日历", "客户反馈", "报表", "经营看板", "团队", "设置"]
        assert qt_translation_loaded()  # qtbase_zh_CN for the standard dialogs
        win.close()
    finally:
        install_language("en")
        set_language("en")
    assert not qt_translation_loaded()


def test_sidebar_and_shortcuts_switch_screens(qtbot, window):
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key == "clients"
    assert window.windowTitle() == "Clients — AccountDesk"
    window.nav.setCurrentRow([e.key for e in NAV].index("settings"))
    assert window.current_key == "settings"
    assert window.stack.currentWidget() is window.pages["settings"]
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key == "today"


def test_calendar_and_feedback_screens_are_hosted_or_explained(window):
    for key in ("calendar", "feedback"):
        window.show_page(key)
        assert window.current_key == key
        assert window.stack.currentWidget() is window.pages[key]


def test_team_screen_is_hidden_from_field_staff(qtbot, ctx, tasks, settings):
    from accountdesk.services.users import create_user

    user_id = create_user(ctx, "li.gong", "李工", "field")
    ctx.set_actor(user_id)
    win = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(win)
    win.show()
    assert "Team" not in nav_labels(win)
    win.show_page("team")
    assert win.current_key != "team" and "team" not in win.pages
    assert "Dashboard" not in nav_labels(win) and "My portfolio" not in nav_labels(
        win
    )  # no portfolio of their own


def test_sync_indicator_shows_pending_changes_from_the_outbox(qtbot, ctx, window):
    make_clients(ctx)
    window.refresh_sync_status()
    expected = sync_status(ctx).pending
    assert expected > 0
    qtbot.waitUntil(lambda: window.sync_indicator.pending_label.text() == f"{expected} pending changes")
    assert "Not connected" in window.sync_indicator.state_label.text()


def test_sync_now_without_a_server_says_not_connected(qtbot, window):
    qtbot.waitUntil(lambda: window.sync_indicator.status is not None)
    window.sync_action.trigger()
    assert "Not connected" in window.statusBar().currentMessage()
    assert window._sync_handle is None


def test_opening_a_client_shows_its_name_in_the_title(qtbot, ctx, window):
    ids = make_clients(ctx)
    window.open_client(ids["护航科技有限公司"])
    assert window.current_client_id == ids["护航科技有限公司"]
    assert window.stack.currentWidget() is window.workspace_host
    qtbot.waitUntil(lambda: "护航科技有限公司" in window.windowTitle())
    assert window.windowTitle().endswith("AccountDesk")
    window.workspace_host.back_button.click()
    assert window.current_client_id is None


def test_first_start_offers_demo_and_server_and_opens_an_empty_profile(qtbot, tmp_path, tasks, settings):
    from accountdesk.ui.app import profile_exists
    from accountdesk.ui.dialogs.first_start import FirstStartDialog, demo_generator

    folder = tmp_path / "fresh"
    dialog = FirstStartDialog(folder, tasks, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "Open the demo" in dialog.demo_button.text()
    assert "Connect to a server" in dialog.connect_button.text()
    assert dialog.demo_button.isEnabled() == (demo_generator() is not None)
    dialog.empty_button.click()
    qtbot.waitUntil(lambda: dialog.ctx is not None, timeout=20000)
    assert dialog.result() == FirstStartDialog.DialogCode.Accepted
    assert profile_exists(folder)
    dialog.ctx.close()


def test_first_start_demo_fills_the_profile_in_the_background(qtbot, tmp_path, tasks, settings):
    from accountdesk.services.search import count_clients
    from accountdesk.ui.dialogs.first_start import FirstStartDialog, demo_generator

    if demo_generator() is None:
        pytest.skip("the demo generator is not installed")
    dialog = FirstStartDialog(tmp_path / "demo", tasks, settings, demo_clients=5)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.demo_button.click()
    assert dialog.progress.isVisible()  # the GUI stays responsive while the demo is written
    qtbot.waitUntil(lambda: dialog.ctx is not None, timeout=60000)
    assert count_clients(dialog.ctx) == 5
    dialog.ctx.close()


def test_login_dialog_names_the_wrong_field(qtbot, tasks, settings):
    from accountdesk.ui.dialogs.login import LoginDialog

    dialog = LoginDialog(settings, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.url_edit, "accountdesk.example.com")
    dialog.ok_button.click()
    assert dialog.errors["server_url"].isVisible()
    assert "https://" in dialog.errors["server_url"].text()
    assert settings.get("server_url") == ""


def test_window_shows_before_the_profile_is_open_then_fills(qtbot, ctx, tasks, settings):
    win = MainWindow(None, tasks, settings)
    qtbot.addWidget(win)
    win.show()
    assert win.stack.currentWidget() is win.opening
    assert win.opening.title_label.text() == "Opening your profile…"
    assert not win.nav.isEnabled()
    win.show_page("clients")  # nothing to show yet: ignored
    assert win.current_key == ""
    tasks.run_db(lambda: ctx, on_result=win.attach)
    qtbot.waitUntil(lambda: win.ctx is ctx)
    assert win.nav.isEnabled() and win.current_key == "today"
    assert "Team" in nav_labels(win)  # the local user is a supervisor
    assert win.user_label.text().startswith(ctx.actor.display_name)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {"data_dir": None, "lang": None}),
        (["--data-dir", "/tmp/p", "--lang=zh_CN"], {"data_dir": "/tmp/p", "lang": "zh_CN"}),
        (["clients", "list"], None),
        (["--lang", "de"], None),
        (["--data-dir"], None),
    ],
)
def test_the_gui_launcher_starts_the_app_only_without_a_command(argv, expected):
    from accountdesk.__main__ import _gui_arguments

    assert _gui_arguments(argv) == expected


def test_conflicts_to_review_show_in_the_status_bar_and_open_the_review(qtbot, ctx, window):
    from accountdesk.models import Conflict

    ids = make_clients(ctx)
    client_id = ids["护航科技有限公司"]
    with ctx.write() as (_session, writer):
        writer.create(
            Conflict,
            {
                "entity": "client",
                "row_id": client_id,
                "field": "industry",
                "kept_value": "信息技术",
                "lost_value": "软件",
                "kept_by": ctx.actor.id,
                "lost_by": ctx.actor.id,
            },
            client_id=client_id,
        )
    window.refresh_sync_status()
    button = window.sync_indicator.conflicts_button
    qtbot.waitUntil(lambda: button.isVisible() and button.text() == "1 conflict to review")
    button.click()
    assert window._conflicts_dialog.isVisible()
    window._conflicts_dialog.reject()


def test_run_app_opens_an_existing_profile_and_quits_cleanly(qtbot, data_dir, settings):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from accountdesk.ui.app import run_app

    seen = []

    def close_when_ready():
        wins = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if wins and wins[0].ctx is not None and wins[0].current_key:
            seen.append(wins[0].windowTitle())
            wins[0].close()
        else:
            QTimer.singleShot(50, close_when_ready)

    QTimer.singleShot(50, close_when_ready)
    assert run_app(data_dir=data_dir, lang="en", settings=settings) == 0
    assert seen == ["Today — AccountDesk"]
    assert settings.get("last_page") == "today"
    assert not settings.get("window_geometry").isEmpty()


def test_the_open_app_escalates_a_complaint_nearing_its_deadline(qtbot, ctx, clock, tasks, settings):
    from accountdesk.services import records

    client = records.create_record(ctx, "client", {"name": "升级测试有限公司"})
    complaint = records.create_record(
        ctx,
        "feedback",
        {"kind": "complaint", "subject": "证书错误", "severity": "critical", "received_at": clock.now()},
        client_id=client,
    )
    clock.advance(hours=23)  # one hour before the 24-hour deadline of a critical complaint
    win = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(win)
    qtbot.waitUntil(
        lambda: records.get_record(ctx, "feedback", complaint)["escalation_level"] > 0, timeout=5000
    )


def test_run_app_warms_the_search_index_once_after_the_first_screen(qtbot, data_dir, settings, monkeypatch):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from accountdesk.services import search as search_service
    from accountdesk.ui.app import run_app

    real = search_service.warm_index
    warmed: list[tuple[object, int, bool]] = []

    # (windows of earlier tests in this file may still be alive: only the one run_app made counts)
    before = {id(w) for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)}

    def ours() -> list:
        return [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and id(w) not in before
        ]

    def warm_index(ctx, cancelled=None):
        today = next(w for w in ours() if w.ctx is ctx).pages["today"]
        ran = real(ctx, cancelled)
        warmed.append((ctx, ran, today.triage is not None or today._generation > 0))
        return ran

    monkeypatch.setattr(search_service, "warm_index", warm_index)
    ctxs = []
    tries = []

    def close_when_warmed():
        wins = [w for w in ours() if w.isVisible()]
        tries.append(1)
        if wins and (warmed or len(tries) > 300):  # at most ~15 s
            ctxs.append(wins[0].ctx)
            wins[0].close()
        else:
            QTimer.singleShot(50, close_when_warmed)

    QTimer.singleShot(50, close_when_warmed)
    assert run_app(data_dir=data_dir, lang="en", settings=settings) == 0
    assert len(warmed) == 1
    ctx, ran, first_screen_asked = warmed[0]
    assert ctx is ctxs[0]  # the profile the window works on
    assert ran == 0  # a plaintext profile: nothing to decrypt, nothing read (tests/test_search_warm.py)
    assert first_screen_asked  # queued after the first screen's queries


def test_run_app_prepares_the_dashboard_in_the_background_without_leaving_the_first_screen(
    qtbot, data_dir, settings
):
    """Served to standard and at-risk take a while the first time on a large portfolio: the app
    makes the Dashboard (not shown) once idle, so its figures are there when it is first opened."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from accountdesk.services import clients
    from accountdesk.services.context import open_profile
    from accountdesk.ui.app import run_app

    setup = open_profile(data_dir)
    for name in ("预备仪器有限公司", "Prepared Labs"):
        clients.create_client(setup, name=name, tier="key")
    setup.close()
    before = {id(w) for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)}
    seen: list[tuple[str | None, int, bool]] = []
    tries: list[int] = []

    def close_when_prepared():
        wins = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and id(w) not in before and w.isVisible()
        ]
        tries.append(1)
        page = wins[0].pages.get("dashboard") if wins else None
        board = getattr(page, "board", None)
        if wins and ((board is not None and board.served.by_tier) or len(tries) > 400):  # ~20 s
            seen.append(
                (wins[0].current_key, board.clients if board else -1, wins[0].stack.currentWidget() is page)
            )
            wins[0].close()
        else:
            QTimer.singleShot(50, close_when_prepared)

    QTimer.singleShot(50, close_when_prepared)
    assert run_app(data_dir=data_dir, lang="en", settings=settings) == 0
    # the figures were filled while Today stayed on screen
    assert seen == [("today", 2, False)]
