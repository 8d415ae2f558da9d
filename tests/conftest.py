"""Shared fixtures. The offscreen Qt platform is set before anything imports Qt."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ACCOUNTDESK_NO_KEYRING_PROMPT", "1")
# Profiles stay plaintext SQLite in the suite (many tests read a store's file directly); the
# encryption tests (tests/test_crypto*.py) clear this and run the real thing.
os.environ.setdefault("ACCOUNTDESK_PLAIN_STORE", "1")

import pytest  # noqa: E402
from crypto_env import encryption_on, no_keyring  # noqa: E402, F401 - fixtures of the encryption tests
from fakeclock import FakeClock  # noqa: E402

from accountdesk.i18n import set_language  # noqa: E402
from accountdesk.services.context import AppContext, open_profile  # noqa: E402


@pytest.fixture(autouse=True)
def _english_by_default():
    set_language("en")
    yield
    set_language("en")


@pytest.fixture(scope="session")
def _template_profile(tmp_path_factory) -> Path:
    """One migrated empty profile per run; each test gets a copy of the file (fast)."""
    path = tmp_path_factory.mktemp("template")
    ctx = open_profile(path)
    ctx.close()
    return path


@pytest.fixture
def data_dir(tmp_path, _template_profile) -> Path:
    target = tmp_path / "profile"
    shutil.copytree(_template_profile, target)
    return target


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def ctx(data_dir, clock) -> AppContext:
    context = open_profile(data_dir, now=clock.now, wall_ms=clock.wall_ms)
    yield context
    context.close()
