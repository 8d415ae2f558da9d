"""Fixtures and helpers for the workspace, forms, calendar and feedback GUI tests.

Import them into a test module (``tasks`` comes from tests/ui/conftest.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from accountdesk.services import clients, users

pytestmark = pytest.mark.gui


@pytest.fixture
def tasks(qapp):
    """The task lanes; the app's style is applied once (re-applying a style sheet repolishes every
    widget ever created, which makes each later test slower)."""
    from accountdesk.ui.style import apply_style
    from accountdesk.ui.tasks import TaskManager

    if not qapp.property("accountdesk_styled"):
        apply_style(qapp)
        qapp.setProperty("accountdesk_styled", True)
    manager = TaskManager()
    yield manager
    manager.shutdown()


@pytest.fixture
def staff(ctx) -> dict[str, str]:
    """The acting supervisor plus two managers and a field engineer: name -> user id."""
    me = ctx.actor
    return {
        "me": me.id,
        "li": users.create_user(ctx, "li.na", "李娜", "manager"),
        "zhao": users.create_user(ctx, "zhao.lei", "赵磊", "manager"),
        "wang": users.create_user(ctx, "wang.qiang", "王强", "field"),
    }


@pytest.fixture
def client_id(ctx, staff) -> str:
    return clients.create_client(
        ctx,
        name="护航科技有限公司",
        short_name="护航科技",
        industry="检验检测",
        tier="key",
        status="active",
        province="上海市",
        city="上海市",
        annual_fees=880000,
        owner_id=staff["li"],
        backup_owner_id=staff["zhao"],
    )


@pytest.fixture
def workspace(qtbot, ctx, tasks, client_id):
    from accountdesk.ui.workspace import ClientWorkspace

    w = ClientWorkspace(ctx, tasks, client_id)
    qtbot.addWidget(w)
    w.resize(1200, 760)
    w.show()
    return settle(qtbot, w)


def settle(qtbot, widget, timeout: int = 5000):
    """Wait until every read asked of ``widget`` (a workspace: its header and tabs; a tab, a panel
    or a dialog) has landed on the GUI thread; returns ``widget``. The reads run on the database
    lane; waiting for these results, not for any "loaded" signal, is what keeps a test from racing."""
    qtbot.waitUntil(lambda: not widget.loading, timeout=timeout)
    return widget


def shown(qtbot, workspace, name: str, row_id: str | None = None):
    """Bring a tab forward and wait for its rows."""
    return settle(qtbot, workspace.show_tab(name, row_id))


def reload(qtbot, widget):
    """Read again and wait for the result."""
    widget.reload()
    return settle(qtbot, widget)


def type_into(qtbot, editor, text: str) -> None:
    """Type into the line edit / text edit of a form editor, as a user would: one key event per
    character, delivered synchronously (QTest.keyClicks spins the event loop per key, which
    PySide6 6.12 does not survive for long; see tests/ui/conftest.py)."""
    widget = editor.focus_widget() if hasattr(editor, "focus_widget") else editor
    if hasattr(widget, "clear"):
        widget.clear()
    for ch in text:
        QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, ch))
        QApplication.sendEvent(
            widget, QKeyEvent(QEvent.Type.KeyRelease, 0, Qt.KeyboardModifier.NoModifier, ch)
        )


def choose(editor, value) -> None:
    combo = editor.focus_widget()
    idx = combo.findData(value)
    assert idx >= 0, f"{value!r} is not offered"
    combo.setCurrentIndex(idx)


def save(qtbot, dialog) -> None:
    """Click Save, then wait for what the save made the workspace read again (if it has one)."""
    from accountdesk.ui.workspace import ClientWorkspace

    dialog.save_button.click()
    parent = dialog.parentWidget()
    while parent is not None and not isinstance(parent, ClientWorkspace):
        parent = parent.parentWidget()
    if parent is not None:
        settle(qtbot, parent)


def answer_message_box(button_text: str) -> None:
    """Click a button of the next modal message box (confirmations)."""

    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        for b in box.buttons():
            if b.text() == button_text:
                b.click()
                return
        raise AssertionError(f"no button {button_text!r}")

    QTimer.singleShot(0, click)


def aware(y, m, d, h=9, mi=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=dt.UTC)


def cell_texts(view, column: int) -> list[str]:
    model = view.model()
    return [model.index(r, column).data() for r in range(model.rowCount())]


def column_of(view, header: str) -> int:
    model = view.model()
    for c in range(model.columnCount()):
        if model.headerData(c, Qt.Orientation.Horizontal) == header:
            return c
    raise AssertionError(f"no column {header!r}")
