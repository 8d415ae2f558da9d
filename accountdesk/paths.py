"""Where AccountDesk keeps its files. Everything can be overridden with ``--data-dir``."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "AccountDesk"
APP_AUTHOR = "AccountDesk"


def default_data_dir() -> Path:
    env = os.environ.get("ACCOUNTDESK_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


def database_path(data_dir: Path) -> Path:
    return Path(data_dir) / "accountdesk.sqlite3"


def blobs_path(data_dir: Path) -> Path:
    """The profile's file of attachment bytes (store/blobdb.py), beside its database."""
    return Path(data_dir) / "accountdesk-blobs.sqlite3"


def backups_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "backups"


PACKAGE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
RESOURCES_DIR = PACKAGE_DIR / "resources"
