"""The profile's protection in the desktop app: Settings and About say whether the data on this
computer is encrypted and how; the passphrase dialog refuses a mistyped or short new passphrase;
a passphrase-encrypted profile opens in a window once its passphrase is given."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from accountdesk.i18n import set_language
from accountdesk.services import security
from accountdesk.services.context import open_profile
from accountdesk.store import crypto

pytestmark = pytest.mark.gui


def test_settings_and_about_say_the_profile_is_not_encrypted(qtbot, window):
    window.show_page("settings")
    page = window.pages["settings"]
    assert page.security_state.text().startswith("Not encrypted")
    window.about()
    assert "Not encrypted" in window.io_message.informativeText()
    window.io_message.close()


def test_an_encrypted_profile_says_so_in_both_languages(qtbot, tmp_path, tasks, settings, no_keyring):
    from accountdesk.ui.main_window import MainWindow

    security.use_passphrase("a long passphrase")
    path = tmp_path / "p"
    ctx = open_profile(path)
    assert ctx.store.ensure_encrypted()  # as a join does
    win = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(win)
    try:
        win.show_page("settings")
        assert win.pages["settings"].security_state.text() == (
            "Encrypted on this computer with your passphrase (there is no system keyring)."
        )
        win.apply_language("zh_CN")
        assert "加密口令" in win.pages["settings"].security_state.text()
    finally:
        set_language("en")
        win.close()
        ctx.close()
    # the next start asks for the passphrase before anything opens
    assert security.passphrase_needed(path) == security.OPEN
    security.use_passphrase("wrong passphrase")
    with pytest.raises(crypto.WrongPassphrase):
        open_profile(path)


def test_a_new_passphrase_is_asked_twice_and_must_match(qtbot):
    from accountdesk.ui.dialogs.passphrase import PassphraseDialog

    dialog = PassphraseDialog(None, message="Choose a passphrase", confirm=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.first, "short")
    dialog._accept()
    assert dialog.result() != QDialog.DialogCode.Accepted and "at least" in dialog.error.text()
    dialog.first.clear()
    qtbot.keyClicks(dialog.first, "long enough 1")
    qtbot.keyClicks(dialog.second, "long enough 2")
    dialog._accept()
    assert dialog.result() != QDialog.DialogCode.Accepted and "differ" in dialog.error.text()
    dialog.second.clear()
    qtbot.keyClicks(dialog.second, "long enough 1")
    dialog._accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.passphrase() == "long enough 1"
