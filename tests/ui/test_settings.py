"""Settings: typed defaults, persistence, version upgrade; the Settings screen; window layout."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from accountdesk.i18n import current_language, set_language
from accountdesk.ui.main_window import MainWindow
from accountdesk.ui.settings import SETTINGS_VERSION, Settings


def test_declared_defaults_and_types(tmp_path):
    s = Settings(tmp_path / "a.ini")
    assert s.get("language") == ""
    assert s.get("sync_interval_min") == 15
    assert s.get("client_columns") == []
    assert s.get("client_sort_desc") is False
    s.set("client_columns", ["name", "tier"])
    s.set("client_column_widths", {"name": 300})
    s.set("client_sort_desc", True)
    s.set("sync_interval_min", 30)
    s.sync()
    again = Settings(tmp_path / "a.ini")
    assert again.get("client_columns") == ["name", "tier"]
    assert again.get("client_column_widths") == {"name": 300}
    assert again.get("client_sort_desc") is True
    assert again.get("sync_interval_min") == 30


def test_a_corrupt_value_falls_back_to_the_default(tmp_path):
    qs = QSettings(str(tmp_path / "b.ini"), QSettings.Format.IniFormat)
    qs.setValue("settings_version", SETTINGS_VERSION)
    qs.setValue("client_columns", "{not json")
    qs.setValue("sync_interval_min", "soon")
    qs.sync()
    s = Settings(tmp_path / "b.ini")
    assert s.get("client_columns") == []
    assert s.get("sync_interval_min") == 15


def test_version_1_files_are_upgraded(tmp_path):
    qs = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    qs.setValue("clients/columns", "name,owner,tier")
    qs.setValue("language", "en")
    qs.sync()
    del qs
    s = Settings(tmp_path / "old.ini")
    assert s.get("client_columns") == ["name", "owner", "tier"]
    assert s.get("language") == "en"
    assert int(s.qs.value("settings_version")) == SETTINGS_VERSION
    assert s.qs.value("clients/columns") is None


def test_switching_language_in_settings_applies_at_once_and_is_remembered(qtbot, window, settings):
    window.show_page("settings")
    page = window.pages["settings"]
    try:
        page.language_combo.setCurrentIndex(page.language_combo.findData("zh_CN"))
        assert current_language() == "zh_CN"
        assert settings.get("language") == "zh_CN"
        assert window.nav.item(0).text() == "今日待办"
        assert window.windowTitle() == "设置 — AccountDesk"
        rebuilt = window.pages["settings"]
        assert rebuilt.title.text() == "设置"
        rebuilt.language_combo.setCurrentIndex(rebuilt.language_combo.findData("en"))
        assert window.nav.item(0).text() == "Today"
        assert settings.get("language") == "en"
    finally:
        set_language("en")


def test_server_address_and_data_folder_are_saved(qtbot, window, settings, ctx, tmp_path):
    from accountdesk.services.sync_status import sync_status

    window.show_page("settings")
    page = window.pages["settings"]
    page.server_edit.setText("https://sync.example.com")
    page.server_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: sync_status(ctx).server_url == "https://sync.example.com")
    assert settings.get("server_url") == "https://sync.example.com"
    page.data_edit.setText(str(tmp_path / "elsewhere"))
    page.data_edit.editingFinished.emit()
    assert settings.get("data_dir") == str(tmp_path / "elsewhere")
    assert page.data_note.isVisible()  # says the restart is needed


def test_window_geometry_and_last_screen_are_restored(qtbot, ctx, tasks, settings, window):
    window.resize(780, 660)  # within the offscreen screen (800×800): the window fits the screen it opens on
    window.show_page("clients")
    size = (window.width(), window.height())
    window.close()
    assert not settings.get("window_geometry").isEmpty()
    again = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(again)
    again.show()
    assert again.current_key == "clients"
    assert (again.width(), again.height()) == size != (1280, 800)
