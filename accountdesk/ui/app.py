"""Start the desktop app: language, Qt translations, style, profile (first start), main window."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ..i18n import _, system_language
from ..paths import APP_AUTHOR, APP_NAME, database_path, default_data_dir
from .dialogs.profile_passphrase import ask_profile_passphrase
from .language import AcceleratorFallback, install_language, qt_translation_loaded  # noqa: F401 - their old home
from .settings import Settings

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ..services.context import AppContext
    from .main_window import MainWindow
    from .tasks import ProgressCallback, TaskHandle, TaskManager

log = logging.getLogger(__name__)


def ensure_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)  # the app's widgets never run under a bare QCoreApplication
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationDisplayName(APP_NAME)
    app.setQuitOnLastWindowClosed(True)
    return app


def resolve_data_dir(data_dir: Path | str | None, settings: Settings) -> Path:
    if data_dir:
        return Path(data_dir).expanduser()
    chosen = settings.get("data_dir")
    return Path(chosen).expanduser() if chosen else default_data_dir()


def profile_exists(data_dir: Path) -> bool:
    return database_path(data_dir).exists()


def settle_heap() -> None:
    """Move what start-up made (modules, Qt wrappers, the pinyin tables, the ORM's registry) out
    of the garbage collector's reach: full collections then walk only what the session creates,
    instead of pausing every thread (the GUI thread too) for 100-200 ms during long imports.
    (No collection first: that would be such a pause, and start-up leaves little garbage.)"""
    gc.freeze()


def run_app(
    data_dir: Path | str | None = None, lang: str | None = None, *, settings: Settings | None = None
) -> int:
    """The desktop app. Returns the process exit code."""
    app = ensure_app()
    settings = settings or Settings()
    from .tasks import TaskManager

    tasks = TaskManager(app)
    folder = resolve_data_dir(data_dir, settings)
    exists = profile_exists(folder)
    window = None
    need = None
    if exists:
        from ..services import security

        # An encrypted profile with its key in the OS keyring: the key's lookup starts now, on a
        # thread, and overlaps the building of the window (the opening on the database lane takes it)
        security.start_key_lookup(folder)
        # An encrypted profile without system keyring: its passphrase, before anything opens.
        need = security.passphrase_needed(folder)
    from .security_progress import EncryptionProgress

    # a plaintext profile encrypted in place (once): its progress in a dialog over the window
    encrypting = EncryptionProgress(None)

    def opened(ctx: AppContext) -> None:
        assert window is not None  # results arrive through the event loop, after the window is shown
        encrypting.close()
        window.attach(ctx)
        settle_heap()
        # Once the first screen's queries (queued on the database lane by attach) have run: an
        # encrypted profile's search index read once into the page cache, so the first keystrokes
        # of a search do not wait for its pages to be decrypted (nothing for a plaintext profile).
        QTimer.singleShot(0, lambda: warm_search_index(tasks, ctx))
        # Then, once idle again, the Dashboard made beforehand (not shown) for whoever has one
        QTimer.singleShot(0, window, lambda: prepare_dashboard(window, tasks))

    def failed(exc: BaseException) -> None:
        assert window is not None
        from ..services import security

        encrypting.close()
        if security.is_wrong_passphrase(exc) and ask_profile_passphrase(
            window, security.OPEN, error=str(exc)
        ):
            open_in_background()
            return
        log.error("cannot open the profile in %s: %s", folder, exc)
        if security.is_key_lost(exc):
            key_lost(window, folder, exc)
        else:
            QMessageBox.critical(
                window,
                APP_NAME,
                _("The profile in {folder} cannot be opened:\n{error}").format(folder=folder, error=exc),
            )
        window.close()

    def open_in_background() -> None:
        tasks.run_db(
            lambda progress: open_profile_in(folder, progress),
            on_result=opened,
            on_error=failed,
            on_progress=encrypting,
            name="open-profile",
        )

    install_language(lang or settings.get("language") or system_language())
    from . import icons, style

    style.apply_style(app)
    app.setWindowIcon(icons.app_icon())
    from .main_window import MainWindow

    if not exists:
        from .dialogs.first_start import FirstStartDialog

        dialog = FirstStartDialog(folder, tasks, settings)
        if dialog.exec() != FirstStartDialog.DialogCode.Accepted or dialog.ctx is None:
            tasks.shutdown()
            return 0
        window = MainWindow(dialog.ctx, tasks, settings)
        window.sync_engine = dialog.engine
        window.show()
        settle_heap()
    else:
        if need is not None and not ask_profile_passphrase(None, need):
            tasks.shutdown()
            return 0
        # Show the window at once; the profile opens on the database lane (a store at its head opens
        # in tens of milliseconds: no Alembic, see store/migrate.py) and ``opened`` fills the window.
        # (Opened earlier, in parallel with the imports, it only made the window appear later: the
        # two compete for the interpreter.)
        window = MainWindow(None, tasks, settings)
        encrypting.parent = window
        window.show()
        open_in_background()

    code = app.exec()
    tasks.shutdown()
    if window.ctx is not None:
        window.ctx.close()
    return int(code)


def key_lost(parent: QWidget | None, folder: Path, exc: BaseException) -> None:
    """The key of an encrypted profile is not in the keyring: say so; the way back on request."""
    from ..services import security

    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, str(exc), QMessageBox.StandardButton.Close, parent)
    fresh = box.addButton(_("Set the data aside and start again"), QMessageBox.ButtonRole.DestructiveRole)
    box.setInformativeText(
        _(
            "Starting again moves the unreadable data into a folder beside it (it is kept, in case "
            "the key turns up) and opens an empty profile: sign in to take a fresh copy from the "
            "server."
        )
    )
    box.exec()
    if box.clickedButton() is fresh:
        try:
            aside = security.start_fresh(folder)
        except Exception as err:  # noqa: BLE001 - said to the person
            QMessageBox.critical(parent, APP_NAME, str(err))
            return
        QMessageBox.information(
            parent,
            APP_NAME,
            _("The unreadable data was moved to {dir}. Start AccountDesk again and sign in.").format(
                dir=aside
            ),
        )


def warm_search_index(tasks: TaskManager, ctx: AppContext, tries: int = 0) -> TaskHandle | None:
    """Queue the search index warm-up on the database lane (services.search.warm_index) once the
    lanes are idle: after the first screen's queries and what their results queue next (the
    client list's health and risk columns), so it delays none of them; at the latest after ~5 s."""
    if tasks.busy and tries < 25:
        QTimer.singleShot(200, lambda: warm_search_index(tasks, ctx, tries + 1))
        return None
    from ..services.search import warm_index

    return tasks.run_db(
        lambda token: warm_index(ctx, token),
        on_error=lambda exc: log.warning("search index warm-up failed: %s", exc),
        name="warm-search",
    )


def prepare_dashboard(window: MainWindow, tasks: TaskManager, tries: int = 0) -> bool:
    """Make the Dashboard screen (not shown) once the lanes are idle after the first screen and
    the search warm-up, so that its figures are there when the person first opens it: served to
    standard and the at-risk clients of a whole portfolio take ~0.7 s the first time (SQLAlchemy's
    and SQLite's caches cold, both steps beside each other), ~0.3-0.4 s afterwards (10,000 clients,
    benchmarks/bench_dashboard.py). From then on it is refreshed like any screen opened earlier
    (after a sync, on changes). Not for field staff (no portfolio), not behind the app lock.
    Returns whether it made the screen now."""
    if window.ctx is None or "dashboard" in window.pages or window._locked():
        return False
    if tasks.busy and tries < 50:  # at the latest after ~10 s
        QTimer.singleShot(200, window, lambda: prepare_dashboard(window, tasks, tries + 1))
        return False
    if "dashboard" not in window._nav_keys():
        return False
    window.page("dashboard")
    return True


def open_profile_in(folder: Path, progress: ProgressCallback | None = None) -> AppContext:
    """Open the profile (on the database lane); ``progress`` hears a one-time encryption in place."""
    from ..services.context import open_profile

    return open_profile(folder, progress=progress)
