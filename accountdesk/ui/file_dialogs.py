"""File dialogs that open where the user last was (not the program's folder), in the app's language.

The last folder is kept in the settings (``last_folder``) once the main window hands them over
with :func:`remember_in`; without settings it is kept for the session. Each helper is a thin
wrapper over ``QFileDialog``'s static functions and returns ``""`` when cancelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

if TYPE_CHECKING:
    from .settings import Settings

_settings: Settings | None = None
_last: str = ""


def remember_in(settings: Settings | None) -> None:
    """Keep the last folder in these settings (the main window calls this once)."""
    global _settings, _last
    _settings = settings
    if settings is not None:
        _last = settings.get("last_folder") or _last


def last_folder() -> str:
    """Where a file dialog opens: the last folder used, else the user's documents."""
    if _last and Path(_last).is_dir():
        return _last
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(
        Path.home()
    )


def _remember(path: str, *, is_folder: bool = False) -> str:
    global _last
    if path:
        folder = path if is_folder else str(Path(path).parent)
        _last = folder
        if _settings is not None:
            _settings.set("last_folder", folder)
    return path


def _start(suggested: str | None) -> str:
    """A suggested file name goes into the last folder; a suggested full path is kept."""
    if not suggested:
        return last_folder()
    p = Path(suggested)
    if p.is_absolute():
        return str(Path(last_folder()) / p.name) if _last else suggested
    return str(Path(last_folder()) / suggested)


def save_file(parent: QWidget | None, title: str, suggested: str = "", file_filter: str = "") -> str:
    path, _f = QFileDialog.getSaveFileName(parent, title, _start(suggested), file_filter)
    return _remember(path)


def open_file(parent: QWidget | None, title: str, file_filter: str = "", start: str = "") -> str:
    path, _f = QFileDialog.getOpenFileName(parent, title, start or last_folder(), file_filter)
    return _remember(path)


def open_files(parent: QWidget | None, title: str, file_filter: str = "") -> list[str]:
    paths, _f = QFileDialog.getOpenFileNames(parent, title, last_folder(), file_filter)
    if paths:
        _remember(paths[0])
    return paths


def choose_folder(parent: QWidget | None, title: str) -> str:
    folder = QFileDialog.getExistingDirectory(parent, title, last_folder())
    return _remember(folder, is_folder=True)


__all__ = ["choose_folder", "last_folder", "open_file", "open_files", "remember_in", "save_file"]
