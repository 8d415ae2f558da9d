"""Fixtures of the desktop UI tests: a temporary settings file, the task lanes, a main window.

Wait with ``qtbot.wait``/``qtbot.waitUntil`` rather than calling ``processEvents()`` in loops.
(PySide6 6.12.0 dropped a reference to ``None`` on each ``processEvents()`` and to ``True`` on each
``Signal.emit()`` under Python 3.11, aborting test runs at exit; pyproject pins PySide6 below 6.12.)
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from accountdesk.services.clients import create_client  # noqa: E402
from accountdesk.ui.settings import Settings  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(tmp_path / "settings.ini")


@pytest.fixture
def tasks(qapp):
    from accountdesk.ui.style import apply_style
    from accountdesk.ui.tasks import TaskManager

    if not qapp.property("accountdesk_styled"):  # re-polishing every widget per test slows the run down
        apply_style(qapp)
        qapp.setProperty("accountdesk_styled", True)
    manager = TaskManager()
    yield manager
    manager.shutdown()


@pytest.fixture
def notifications() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def window(qtbot, ctx, tasks, settings, notifications):
    from accountdesk.ui.main_window import MainWindow

    win = MainWindow(ctx, tasks, settings, notifier=lambda title, text: notifications.append((title, text)))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    tasks.wait(5000)


CLIENTS = [
    # name, tier, province, industry
    ("护航科技有限公司", "strategic", "上海", "信息技术"),
    ("华东精密仪器有限公司", "key", "江苏", "制造业"),
    ("江南检测服务有限公司", "standard", "浙江", "检验检测"),
    ("北方重工集团", "strategic", "辽宁", "制造业"),
    ("Acme Analytics Ltd", "key", "上海", "信息技术"),
    ("蓝海环保科技有限公司", "standard", "广东", "环保"),
]


def make_clients(ctx, rows=CLIENTS) -> dict[str, str]:
    """name -> id, created through the services."""
    return {
        name: create_client(ctx, name=name, tier=tier, province=prov, industry=ind)
        for name, tier, prov, ind in rows
    }


def make_many(ctx, n: int, prefix: str = "客户") -> list[str]:
    return [
        create_client(ctx, name=f"{prefix}{i:04d}", tier=("strategic", "key", "standard")[i % 3])
        for i in range(n)
    ]


def type_text(qtbot, widget, text: str) -> None:
    """Type ``text`` into ``widget`` key by key. QTest's keyClicks handles only ASCII (it aborts on
    Chinese), so other characters arrive as key events carrying their text, as from an input method."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch)
            )
