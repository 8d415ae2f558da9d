"""The window fits the screen it opens on; file dialogs open in the last folder used."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

from accountdesk.ui import file_dialogs


class FakeScreen:
    def __init__(self, w, h):
        self._area = QRect(0, 0, w, h - 40)  # less a taskbar

    def availableGeometry(self):  # noqa: N802 - Qt's name
        return self._area


def test_the_window_fits_a_1366x768_screen(qtbot, window):
    window.resize(1280, 800)
    window.fit_to_screen(FakeScreen(1366, 768))
    assert window.height() <= 768 - 40 and window.width() <= 1366
    assert window.minimumSize().height() <= 728
    window.resize(1280, 800)
    window.fit_to_screen(FakeScreen(1920, 1080))
    assert window.size() == QSize(1280, 800)  # unchanged on a large screen


def test_file_dialogs_open_in_the_last_folder(qtbot, window, settings, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    asked = []
    target = tmp_path / "exports"
    target.mkdir()

    def fake_save(parent, title, start, file_filter):
        asked.append(start)
        return str(target / "clients.xlsx"), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    assert file_dialogs.save_file(window, "Save", "clients.xlsx", "*.xlsx") == str(target / "clients.xlsx")
    assert settings.get("last_folder") == str(target)
    file_dialogs.save_file(window, "Save", "dossier.pdf", "*.pdf")
    assert asked[-1] == str(target / "dossier.pdf")  # the next dialog opens where the last one was left
    file_dialogs.remember_in(settings)  # a new session reads it back
    assert file_dialogs.last_folder() == str(target)


def _cut(root) -> list[str]:
    """Labels and buttons whose text does not fit (their size hint wider than they are)."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    out = []
    for w in root.findChildren(QLabel):
        if w.isVisible() and not w.wordWrap() and w.text() and w.sizeHint().width() > w.width() + 1:
            out.append(f"{w.objectName()} {w.text()[:40]!r} {w.sizeHint().width()}>{w.width()}")
    for w in root.findChildren(QAbstractButton):
        # (a button's hint carries a few pixels of padding beyond its text)
        if w.isVisible() and w.text() and w.sizeHint().width() > w.width() + 4:
            out.append(f"{w.objectName()} {w.text()[:40]!r} {w.sizeHint().width()}>{w.width()}")
    return out


import pytest  # noqa: E402


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(1280, 800), (1366, 768)])
def test_no_label_is_cut_at_laptop_sizes(qtbot, ctx, clock, tasks, settings, lang, size):
    from PySide6.QtWidgets import QApplication

    from accountdesk.i18n import set_language
    from accountdesk.ui.app import install_language
    from accountdesk.ui.main_window import NAV, MainWindow

    from .test_language_walk import world

    ids = world(ctx, clock)
    install_language(lang)
    try:
        window = MainWindow(ctx, tasks, settings, notifier=lambda *_a: None)
        qtbot.addWidget(window)
        window.setMinimumSize(QSize(0, 0))
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        tasks.wait(5000)
        qtbot.wait(200)  # the status bar's sync state arrives from the background lane
        cut = []
        for entry in NAV:
            window.show_page(entry.key)
            tasks.wait(5000)
            QApplication.processEvents()
            qtbot.wait(80)  # the layouts settle around the texts the page just received
            cut += [f"{entry.key}: {c}" for c in _cut(window)]
        window.open_client(ids["client"])
        tasks.wait(5000)
        workspace = window.workspace_host.widget
        for name in workspace.tab_names():
            workspace.show_tab(name)
            tasks.wait(5000)
            QApplication.processEvents()
            qtbot.wait(80)
            cut += [f"workspace {name}: {c}" for c in _cut(workspace)]
        assert not cut, "\n".join(cut)
    finally:
        tasks.wait(5000)
        install_language("en")
        set_language("en")
