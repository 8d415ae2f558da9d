"""One translation mechanism for every layer: gettext catalogues read with Babel.

English is the source language (msgids are English). Each area of the code keeps its own
catalogue file so that the areas can grow independently:
``accountdesk/locale/<lang>/LC_MESSAGES/<area>.po`` (core, cli, ui, reports, server, io, sync).
All files of a language are merged into one catalogue at load time.

Use ``_("text")`` for a string shown now, ``N_("text")`` to mark a string for extraction that is
translated later (enumeration labels, for example), and ``ngettext`` for plurals. Labels for
enumeration values live in :mod:`accountdesk.labels`.
"""

from __future__ import annotations

import gettext as _gettext
import locale
import os
import threading
from pathlib import Path

from .paths import LOCALE_DIR

SUPPORTED = ("zh_CN", "en")
DEFAULT = "zh_CN"

_lock = threading.Lock()
_current: _gettext.NullTranslations = _gettext.NullTranslations()
_current_lang = "en"
_cache: dict[str, _gettext.NullTranslations] = {}


def normalise(lang: str | None) -> str:
    """Map ``zh``, ``zh-CN``, ``zh_CN.UTF-8``, ``en_US`` ... onto a supported language."""
    if not lang:
        return DEFAULT
    lang = lang.replace("-", "_").split(".")[0].split("@")[0]
    if lang.lower().startswith("zh"):
        return "zh_CN"
    if lang.lower().startswith("en"):
        return "en"
    return DEFAULT


def system_language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            return normalise(value.split(":")[0])
    try:
        loc = locale.getlocale()[0]
    except ValueError:
        loc = None
    return normalise(loc) if loc else DEFAULT


def catalogue_files(lang: str) -> list[Path]:
    return sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


def load_catalogue(lang: str):
    """The merged Babel catalogue of one language (used by tests and tools)."""
    from babel.messages.pofile import read_po

    merged = None
    for path in catalogue_files(lang):
        with open(path, "rb") as fh:
            cat = read_po(fh, locale=lang)
        if merged is None:
            merged = cat
        else:
            for msg in cat:
                if not msg.id:
                    continue
                existing = merged.get(msg.id)
                if existing is None:
                    merged[msg.id] = msg
                elif not existing.string:
                    existing.string = msg.string
    return merged


def _compiled_path(lang: str, files: list[Path]) -> Path:
    """Where the compiled catalogue of these ``.po`` files is kept between starts (named by a hash
    of their content: an edited or updated catalogue is compiled again)."""
    import hashlib

    from .paths import cache_dir

    digest = hashlib.sha256(lang.encode())
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return cache_dir() / "catalogues" / f"{lang}-{digest.hexdigest()[:20]}.mo"


def _translations(lang: str) -> _gettext.NullTranslations:
    """The language's translations: the merged ``.po`` files compiled once and kept in the cache
    folder (parsing them with Babel took a sixth of a second at every start, before the window)."""
    if lang in _cache:
        return _cache[lang]
    files = catalogue_files(lang)
    compiled: Path | None = None
    if files:
        try:
            compiled = _compiled_path(lang, files)
            with open(compiled, "rb") as fh:
                trans: _gettext.NullTranslations = _gettext.GNUTranslations(fh)
        except (OSError, ValueError):  # not compiled yet (or unreadable): from the .po files
            pass
        else:
            _cache[lang] = trans
            return trans
    cat = load_catalogue(lang)
    if cat is None:
        trans = _gettext.NullTranslations()
    else:
        import io

        from babel.messages.mofile import write_mo

        buf = io.BytesIO()
        write_mo(buf, cat, use_fuzzy=False)
        if compiled is not None:
            try:
                compiled.parent.mkdir(parents=True, exist_ok=True)
                part = compiled.with_name(f"{compiled.name}.{os.getpid()}.part")
                part.write_bytes(buf.getvalue())
                os.replace(part, compiled)
            except OSError:  # a read-only cache: compiled again next time
                pass
        buf.seek(0)
        trans = _gettext.GNUTranslations(buf)
    _cache[lang] = trans
    return trans


def set_language(lang: str | None) -> str:
    """Switch the language of every layer; returns the language actually used."""
    global _current, _current_lang
    lang = normalise(lang) if lang else system_language()
    with _lock:
        _current = _translations(lang)
        _current_lang = lang
    return lang


def current_language() -> str:
    return _current_lang


def gettext(message: str) -> str:
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _current.pgettext(context, message)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


_ = gettext


def translator(lang: str | None):
    """``gettext`` of one language, leaving the current language alone (the server writes each
    message in its recipient's language from several threads at once). Call the result ``tr``
    so that the catalogues pick its strings up: ``tr = translator("en"); tr("Deadline")``."""
    return _translations(normalise(lang)).gettext
