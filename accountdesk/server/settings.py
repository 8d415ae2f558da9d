"""Server settings (from the environment, with sensible defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class Settings:
    access_ttl_s: int = field(default_factory=lambda: _int("ACCOUNTDESK_ACCESS_TTL", 900))
    refresh_ttl_s: int = field(default_factory=lambda: _int("ACCOUNTDESK_REFRESH_TTL", 30 * 86400))
    #: failed logins per user and address within ``login_window_s`` before 429
    login_attempts: int = field(default_factory=lambda: _int("ACCOUNTDESK_LOGIN_ATTEMPTS", 5))
    login_window_s: int = 300
    #: HLCs further ahead of the server's clock than this are clamped (and logged)
    max_clock_ahead_ms: int = field(default_factory=lambda: _int("ACCOUNTDESK_MAX_CLOCK_AHEAD_MS", 5 * 60 * 1000))
    #: tombstones older than this many days are purged (0 or less: never purge while serving)
    retention_days: float = field(default_factory=lambda: _float("ACCOUNTDESK_TOMBSTONE_RETENTION_DAYS", 90))
    #: how often a serving process checks whether the daily purge is due (seconds)
    purge_check_s: float = field(default_factory=lambda: _float("ACCOUNTDESK_PURGE_CHECK_S", 3600))
    #: test hooks (e.g. a delay inside the push transaction); never enable in production
    test_hooks: bool = field(default_factory=lambda: os.environ.get("ACCOUNTDESK_SERVER_TEST_HOOKS") == "1")
