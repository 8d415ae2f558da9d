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
