"""The one-time encryption of a plaintext profile at start, shown in a progress dialog: the profile
is opened on the database lane as the app does (ui/app.py), each report of the store reaches the
GUI thread and moves the dialog, which closes when the profile is open."""

from __future__ import annotations

import pytest
from crypto_env import make_demo_profile, mark_company

from accountdesk.i18n import set_language
from accountdesk.paths import database_path
from accountdesk.services import security
from accountdesk.store import crypto

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_encryption_at_start_shows_its_progress_in_a_dialog(qtbot, tmp_path, tasks, no_keyring, lang):
    from PySide6.QtWidgets import QWidget

    from accountdesk.ui.app import open_profile_in
    from accountdesk.ui.security_progress import EncryptionProgress

    folder = make_demo_profile(tmp_path / "company", clients=30)
    mark_company(database_path(folder))
    security.use_passphrase("a long passphrase")
    set_language(lang)
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    dialog = EncryptionProgress(window)
    seen: list[tuple[bool, int, int, str]] = []

    def on_progress(done: int, total: int, message: str) -> None:
        dialog(done, total, message)
        d = dialog.dialog
        seen.append((d.isVisible(), d.value(), d.maximum(), d.labelText()))

    opened = []
    try:
        tasks.run_db(
            lambda progress: open_profile_in(folder, progress),
            on_result=lambda ctx: (dialog.close(), opened.append(ctx)),
            on_error=lambda exc: opened.append(exc),
            on_progress=on_progress,
        )
        qtbot.waitUntil(lambda: bool(opened), timeout=60_000)
    finally:
        set_language("en")
    ctx = opened[0]
    assert not isinstance(ctx, BaseException), ctx
    try:
        assert ctx.store.encrypted and crypto.is_encrypted_file(database_path(folder))
    finally:
        ctx.close()
    assert seen and all(visible for visible, *_ in seen)
    assert [v for _vis, v, _m, _t in seen] == sorted(v for _vis, v, _m, _t in seen)
    assert seen[-1][1:3] == (1000, 1000)
    labels = {t.split("\n")[0] for *_x, t in seen}
    if lang == "en":
        assert "Encrypting this profile's data (one time): checking the copy row by row" in labels
    else:
        assert len(labels) == 3 and all("加密" in t and "Encrypting" not in t for t in labels)
    assert dialog.dialog is None  # closed once the profile is open
