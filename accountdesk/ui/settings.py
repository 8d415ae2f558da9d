"""The desktop app's preferences: declared once, with type and default (after Picard's options.py),
kept in a ``QSettings`` file whose version is migrated (after Picard's config_upgrade.py).

    settings = Settings()              # the user's settings file
    settings = Settings(path=tmp)      # a given INI file (tests)
    settings.get("language")           # -> str, the declared default if unset
    settings.set("server_url", "https://...")

Nothing here is read from a global: the app creates one ``Settings`` and hands it on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from ..paths import APP_AUTHOR, APP_NAME

#: Bump with a new entry in ``UPGRADES`` whenever a stored setting changes meaning or name.
SETTINGS_VERSION = 2


@dataclass(frozen=True)
class Option:
    name: str
    type: type
    default: Any


OPTIONS: dict[str, Option] = {
    o.name: o
    for o in (
        #: "" follows the system language; otherwise "zh_CN" or "en".
        Option("language", str, ""),
        #: "" means the platform's user data folder.
        Option("data_dir", str, ""),
        Option("server_url", str, ""),
        Option("username", str, ""),
        #: Automatic sync interval in minutes (0: only on demand).
        Option("sync_interval_min", int, 15),
        #: Idle minutes before the window locks (0: never; -1: the default, 15 for a company profile).
        Option("lock_minutes", int, -1),
        Option("window_geometry", QByteArray, QByteArray()),
        Option("window_state", QByteArray, QByteArray()),
        Option("last_page", str, "today"),
        #: Visible columns of the client list (keys of ClientTableModel.COLUMNS), in order.
        Option("client_columns", list, []),
        #: Column widths of the client list: {column key: pixels}.
        Option("client_column_widths", dict, {}),
        Option("client_sort", str, "name"),
        Option("client_sort_desc", bool, False),
        #: minutes before a planned visit at which its reminder is raised (the alerts)
        Option("visit_reminder_min", int, 60),
        #: Today's filters: whose work ("mine", "team", "all"; "": by role) and which kinds ([]: all).
        Option("today_scope", str, ""),
        Option("today_kinds", list, []),
        #: The folder the last file dialog was left in (file dialogs open there).
        Option("last_folder", str, ""),
        #: Calendar: the kinds of entry hidden (keys of services.calendar.KINDS) and the view.
        Option("calendar_hidden_kinds", list, []),
        Option("calendar_view", str, "month"),
    )
}


def _v1_to_v2(qs: QSettings) -> None:
    """Version 1 kept the client columns as a comma-separated string under ``clients/columns``."""
    old = qs.value("clients/columns")
    if isinstance(old, str) and old:
        qs.setValue("client_columns", json.dumps([c for c in old.split(",") if c]))
    qs.remove("clients/columns")


#: from-version -> function that upgrades the file to from-version + 1.
UPGRADES: dict[int, Callable[[QSettings], None]] = {1: _v1_to_v2}


class Settings:
    def __init__(self, path: str | Path | None = None):
        if path is None:
            self.qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_AUTHOR, APP_NAME)
        else:
            self.qs = QSettings(str(path), QSettings.Format.IniFormat)
        self._upgrade()

    # -- versioning --------------------------------------------------------------------------
    def _upgrade(self) -> None:
        stored = self.qs.value("settings_version")
        if stored is None:
            # A fresh file is born at the current version; only files with content are upgraded.
            version = 1 if self.qs.allKeys() else SETTINGS_VERSION
        else:
            version = int(stored)
        while version < SETTINGS_VERSION:
            UPGRADES[version](self.qs)
            version += 1
        self.qs.setValue("settings_version", SETTINGS_VERSION)

    @property
    def path(self) -> str:
        return self.qs.fileName()

    # -- typed access ------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        opt = OPTIONS[name]
        raw = self.qs.value(name)
        if raw is None:
            return _copy(opt.default)
        try:
            return _decode(opt, raw)
        except (TypeError, ValueError):
            return _copy(opt.default)

    def set(self, name: str, value: Any) -> None:
        opt = OPTIONS[name]
        if opt.type in (list, dict):
            self.qs.setValue(name, json.dumps(value, ensure_ascii=False))
        elif opt.type is bool:
            self.qs.setValue(name, "true" if value else "false")
        else:
            self.qs.setValue(name, value)

    def reset(self, name: str) -> None:
        self.qs.remove(name)

    def sync(self) -> None:
        self.qs.sync()


def _copy(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return type(value)(value)
    if isinstance(value, QByteArray):
        return QByteArray(value)
    return value


def _decode(opt: Option, raw: Any) -> Any:
    if opt.type is bool:
        return raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes")
    if opt.type is int:
        return int(raw)
    if opt.type is str:
        return str(raw)
    if opt.type in (list, dict):
        value = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(value, opt.type):
            raise TypeError(opt.name)
        return value
    if opt.type is QByteArray:
        return raw if isinstance(raw, QByteArray) else QByteArray(raw)
    return raw
