"""Settings of the notification service, read from the environment (each serving process reads
them at start; tests set short intervals instead of patching time).

=========================================  ===========================================  =========
variable                                   meaning                                      default
=========================================  ===========================================  =========
``ACCOUNTDESK_NOTIFY_INTERVAL_S``          seconds between two runs of the schedule     60
                                           (escalation, digest, delivery); 0: off
``ACCOUNTDESK_NOTIFY_RETRY_S``             first retry after this many seconds; each    60
                                           further one waits twice as long
``ACCOUNTDESK_NOTIFY_MAX_RETRY_S``         the longest wait between two attempts        3600
``ACCOUNTDESK_NOTIFY_ATTEMPTS``            attempts before a message is dead-lettered   6
``ACCOUNTDESK_NOTIFY_TIMEOUT_S``           network timeout of one attempt               15
``ACCOUNTDESK_NOTIFY_LANGUAGE``            language of users without a preference       zh_CN
``ACCOUNTDESK_NOTIFY_TIME_ZONE``           time zone of users without a preference      Asia/Shanghai
``ACCOUNTDESK_DIGEST_HOUR``                local hour (0-23) of the daily digest        7
``ACCOUNTDESK_PUBLIC_URL``                 the server's address as users reach it       the request's
                                           (calendar feed URLs)
``ACCOUNTDESK_SERVER_SECRET_KEY``          key that encrypts channel secrets in the     (none)
                                           database (see :mod:`.secrets`)
``ACCOUNTDESK_NOTIFY_CA_FILE``             extra CA certificates (PEM) trusted for      (system)
                                           SMTP over TLS
``ACCOUNTDESK_SERVER_CLOCK_OFFSET_S``      test hook only (``ACCOUNTDESK_SERVER_TEST_   0
                                           HOOKS=1``): the schedule's clock runs this
                                           many seconds ahead
=========================================  ===========================================  =========
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _offset() -> float:
    if os.environ.get("ACCOUNTDESK_SERVER_TEST_HOOKS") != "1":
        return 0.0
    return _float("ACCOUNTDESK_SERVER_CLOCK_OFFSET_S", 0.0)


@dataclass
class NotifySettings:
    interval_s: float = field(default_factory=lambda: _float("ACCOUNTDESK_NOTIFY_INTERVAL_S", 60))
    retry_s: float = field(default_factory=lambda: _float("ACCOUNTDESK_NOTIFY_RETRY_S", 60))
    max_retry_s: float = field(default_factory=lambda: _float("ACCOUNTDESK_NOTIFY_MAX_RETRY_S", 3600))
    attempts: int = field(default_factory=lambda: max(1, _int("ACCOUNTDESK_NOTIFY_ATTEMPTS", 6)))
    timeout_s: float = field(default_factory=lambda: _float("ACCOUNTDESK_NOTIFY_TIMEOUT_S", 15))
    language: str = field(default_factory=lambda: os.environ.get("ACCOUNTDESK_NOTIFY_LANGUAGE", "zh_CN"))
    time_zone: str = field(
        default_factory=lambda: os.environ.get("ACCOUNTDESK_NOTIFY_TIME_ZONE", "Asia/Shanghai")
    )
    digest_hour: int = field(default_factory=lambda: min(max(_int("ACCOUNTDESK_DIGEST_HOUR", 7), 0), 23))
    public_url: str | None = field(default_factory=lambda: os.environ.get("ACCOUNTDESK_PUBLIC_URL") or None)
    ca_file: str | None = field(default_factory=lambda: os.environ.get("ACCOUNTDESK_NOTIFY_CA_FILE") or None)
    clock_offset_s: float = field(default_factory=_offset)
    #: how long a process may hold a message it is sending before another one may take it over
    lease_s: float = 300.0
    #: messages one run sends at most (the rest wait for the next run)
    batch: int = 200

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.clock_offset_s)

    def retry_delay(self, attempts: int) -> dt.timedelta:
        """The wait after the ``attempts``-th failed attempt (exponential back-off)."""
        return dt.timedelta(seconds=min(self.retry_s * (2 ** max(attempts - 1, 0)), self.max_retry_s))


def zone(name: str | None, fallback: str = "Asia/Shanghai") -> ZoneInfo:
    for candidate in (name, fallback, "Asia/Shanghai"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")
