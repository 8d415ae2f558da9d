"""The language of the desktop app: gettext's catalogues and Qt's own (standard dialogs and buttons),
switched together; kept apart from the application start-up so that the window can switch the
language without importing the module that creates it."""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, QTranslator
from PySide6.QtWidgets import QApplication

from ..i18n import set_language

_qt_translators: list[QTranslator] = []


class AcceleratorFallback(QTranslator):
    """Qt's catalogues lack some strings in their form with a keyboard accelerator ("&Look in:" in
    the file dialog, while "Look in:" is translated): look those up without the "&" and put the
    accelerator back the Chinese way, "查找范围(&L)："."""

    def __init__(self, translators: list[QTranslator], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._translators = translators

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return False

    def translate(  # noqa: D401 - Qt's signature
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        # Asked first (installed last), and an empty answer counts as a translation here: answer
        # with Qt's own translation, or the source as Qt would show it.
        for tr in self._translators:
            text = tr.translate(context, source, disambiguation, n)
            if text:
                return text
        i = source.find("&") if source else -1
        if i < 0 or i + 1 >= len(source) or source[i + 1] == "&":
            return source
        plain = source[:i] + source[i + 1 :]
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
    locale = QLocale("zh_CN") if lang == "zh_CN" else QLocale("en_US")
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
