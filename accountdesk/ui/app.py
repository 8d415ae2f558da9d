"""Start the desktop app: language, Qt translations, style, profile (first start), main window."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from ..i18n import _, set_language, system_language
from ..paths import APP_AUTHOR, APP_NAME, database_path, default_data_dir
from .settings import Settings

log = logging.getLogger(__name__)

_qt_translators: list[QTranslator] = []


class AcceleratorFallback(QTranslator):
    """Qt's catalogues lack some strings in their form with a keyboard accelerator ("&Look in:" in
    the file dialog, while "Look in:" is translated): look those up without the "&" and put the
    accelerator back the Chinese way, "查找范围(&L)："."""

    def __init__(self, translators: list[QTranslator], parent=None):
        super().__init__(parent)
        self._translators = translators

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return False

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: D401 - Qt's signature
        # Asked first (installed last), and an empty answer counts as a translation here: answer
        # with Qt's own translation, or the source as Qt would show it.
        for tr in self._translators:
            text = tr.translate(context, source, disambiguation, n)
            if text:
                return text
        i = source.find("&") if source else -1
        if i < 0 or i + 1 >= len(source) or source[i + 1] == "&":
            return source
        plain = source[:i] + source[i + 1:]
        for tr in self._translators:
            text = tr.translate(context, plain, disambiguation, n)
            if text:
                key = source[i + 1].upper()
                tail = ""
                for colon in ("：", ":"):
                    if text.endswith(colon):
                        text, tail = text[: -len(colon)], colon
                        break
                return f"{text}(&{key}){tail}"
        return source


def install_language(lang: str | None) -> str:
    """Switch gettext and Qt's own catalogues (standard dialogs, buttons) to ``lang``."""
    lang = set_language(lang)
    app = QApplication.instance()
    if app is None:
        return lang
    for tr in _qt_translators:
        app.removeTranslator(tr)
    _qt_translators.clear()
    locale = QLocale("zh_CN") if lang == "zh_CN" \
        else QLocale("en_US")
    QLocale.setDefault(locale)
    if lang != "en":
        path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in ("qtbase", "qt"):
            tr = QTranslator(app)
            if tr.load(locale, name, "_", path):
                app.installTranslator(tr)
                _qt_translators.append(tr)
        if _qt_translators:
            fallback = AcceleratorFallback(list(_qt_translators), app)
            app.installTranslator(fallback)  # asked last: only what Qt's catalogues did not give
            _qt_translators.insert(0, fallback)
    return lang


def qt_translation_loaded() -> bool:
    return bool(_qt_translators)


def ensure_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
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


def run_app(data_dir: Path | str | None = None, lang: str | None = None, *, settings: Settings | None = None) -> int:
    """The desktop app. Returns the process exit code."""
    app = ensure_app()
    settings = settings or Settings()
    install_language(lang or settings.get("language") or system_language())
    from . import icons, style

    style.apply_style(app)
    app.setWindowIcon(icons.app_icon())
    from .tasks import TaskManager

    tasks = TaskManager(app)
    folder = resolve_data_dir(data_dir, settings)

    from .main_window import MainWindow

    if not profile_exists(folder):
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
        # An encrypted profile without system keyring: its passphrase, before anything opens.
        from ..services import security

        need = security.passphrase_needed(folder)
        if need is not None and not ask_profile_passphrase(None, need):
            tasks.shutdown()
            return 0
        # Show the window at once; open the profile (SQLAlchemy, migrations, clock) in the background.
        window = MainWindow(None, tasks, settings)
        window.show()

        def opened(ctx) -> None:
            window.attach(ctx)
            settle_heap()

        def failed(exc: BaseException) -> None:
            if security.is_wrong_passphrase(exc) and ask_profile_passphrase(window, security.OPEN, error=str(exc)):
                tasks.run_db(lambda: open_profile_in(folder), on_result=opened, on_error=failed, name="open-profile")
                return
            log.error("cannot open the profile in %s: %s", folder, exc)
            if security.is_key_lost(exc):
                key_lost(window, folder, exc)
            else:
                QMessageBox.critical(window, APP_NAME, _("The profile in {folder} cannot be opened:\n{error}").format(
                    folder=folder, error=exc))
            window.close()

        tasks.run_db(lambda: open_profile_in(folder), on_result=opened, on_error=failed, name="open-profile")

    code = app.exec()
    tasks.shutdown()
    if window.ctx is not None:
        window.ctx.close()
    return int(code)


def ask_profile_passphrase(parent, need: str, *, error: str | None = None) -> bool:
    """Ask the profile's passphrase (twice when it is being set now); False when cancelled."""
    from ..services import security
    from .dialogs.passphrase import ask_passphrase

    if need == security.NEW:
        message = _("This computer has no system keyring to keep the key of this company profile. Choose a "
                    "passphrase: the profile is encrypted with it, and AccountDesk asks for it at every start.")
    else:
        message = _("This profile is encrypted with a passphrase. Enter it to open the profile.")
    passphrase = ask_passphrase(parent, message, confirm=need == security.NEW, error=error)
    if passphrase is None:
        return False
    security.use_passphrase(passphrase)
    return True


def key_lost(parent, folder: Path, exc: BaseException) -> None:
    """The key of an encrypted profile is not in the keyring: say so; the way back on request."""
    from ..services import security

    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, str(exc), QMessageBox.StandardButton.Close, parent)
    fresh = box.addButton(_("Set the data aside and start again"), QMessageBox.ButtonRole.DestructiveRole)
    box.setInformativeText(_("Starting again moves the unreadable data into a folder beside it (it is kept, in case "
                             "the key turns up) and opens an empty profile: sign in to take a fresh copy from the "
                             "server."))
    box.exec()
    if box.clickedButton() is fresh:
        try:
            aside = security.start_fresh(folder)
        except Exception as err:  # noqa: BLE001 - said to the person
            QMessageBox.critical(parent, APP_NAME, str(err))
            return
        QMessageBox.information(parent, APP_NAME, _("The unreadable data was moved to {dir}. Start AccountDesk again "
                                                    "and sign in.").format(dir=aside))


def open_profile_in(folder: Path):
    from ..services.context import open_profile

    return open_profile(folder)
