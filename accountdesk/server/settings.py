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


def _networks(name: str) -> list[str]:
    """Addresses or networks (never "*": trusting every peer's X-Forwarded-For trusts anyone)."""
    import ipaddress

    out = []
    for part in os.environ.get(name, "").split(","):
        try:
            out.append(
                str(ipaddress.ip_network(part.strip(), strict=False))
                if "/" in part
                else str(ipaddress.ip_address(part.strip()))
            )
        except ValueError:
            continue
    return out


def _hashers() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


@dataclass
class Settings:
    access_ttl_s: int = field(default_factory=lambda: _int("ACCOUNTDESK_ACCESS_TTL", 900))
    refresh_ttl_s: int = field(default_factory=lambda: _int("ACCOUNTDESK_REFRESH_TTL", 30 * 86400))
    #: absolute lifetime of a sign-in: after this many days a device must give the password
    #: again, however often it refreshed its tokens
    session_days: float = field(default_factory=lambda: _float("ACCOUNTDESK_SESSION_DAYS", 90))
    #: failed logins within ``login_window_s`` before a lockout: per account (any address),
    #: per address (any account) and per known device (the user's own laptop, proven by its key)
    login_attempts: int = field(default_factory=lambda: _int("ACCOUNTDESK_LOGIN_ATTEMPTS", 10))
    login_address_attempts: int = field(
        default_factory=lambda: _int("ACCOUNTDESK_LOGIN_ADDRESS_ATTEMPTS", 30)
    )
    login_device_attempts: int = field(default_factory=lambda: _int("ACCOUNTDESK_LOGIN_DEVICE_ATTEMPTS", 5))
    login_window_s: int = field(default_factory=lambda: _int("ACCOUNTDESK_LOGIN_WINDOW_S", 900))
    #: the first lockout of a key lasts this long; each further one within a day twice as long (at most a day)
    login_lockout_s: int = field(default_factory=lambda: _int("ACCOUNTDESK_LOGIN_LOCKOUT_S", 900))
    #: password checks (Argon2id, 64 MiB each) run at most this many at once; at most
    #: ``login_queue`` more wait (for ``login_wait_s``), the others are told the server is busy
    login_hashers: int = field(default_factory=lambda: max(1, _int("ACCOUNTDESK_LOGIN_HASHERS", _hashers())))
    login_queue: int = field(default_factory=lambda: max(0, _int("ACCOUNTDESK_LOGIN_QUEUE", 16)))
    login_wait_s: float = field(default_factory=lambda: _float("ACCOUNTDESK_LOGIN_WAIT_S", 10))
    #: audit rows of failed and throttled logins kept: at most this many, none older than the days
    audit_login_rows: int = field(default_factory=lambda: _int("ACCOUNTDESK_AUDIT_LOGIN_ROWS", 100_000))
    audit_login_days: float = field(default_factory=lambda: _float("ACCOUNTDESK_AUDIT_LOGIN_DAYS", 180))
    #: reverse proxies whose X-Forwarded-For is believed (addresses or networks); none by default
    trusted_proxies: list[str] = field(default_factory=lambda: _networks("ACCOUNTDESK_TRUSTED_PROXIES"))
    #: publish /docs and /openapi.json
    docs: bool = field(default_factory=lambda: os.environ.get("ACCOUNTDESK_SERVER_DOCS", "1") != "0")
    #: HLCs further ahead of the server's clock than this are clamped (and logged)
    max_clock_ahead_ms: int = field(
        default_factory=lambda: _int("ACCOUNTDESK_MAX_CLOCK_AHEAD_MS", 5 * 60 * 1000)
    )
    #: tombstones older than this many days are purged (0 or less: never purge while serving)
    retention_days: float = field(default_factory=lambda: _float("ACCOUNTDESK_TOMBSTONE_RETENTION_DAYS", 90))
    #: how often a serving process checks whether the daily purge is due (seconds)
    purge_check_s: float = field(default_factory=lambda: _float("ACCOUNTDESK_PURGE_CHECK_S", 3600))
    #: the offline lease (issue 14): a company profile that has not reached this server for this many
    #: days locks its data until its user signs in again; sent to laptops with every sign-in
    offline_days: int = field(default_factory=lambda: max(1, _int("ACCOUNTDESK_OFFLINE_DAYS", 30)))
    #: a revoked device may send what it had not pushed (its farewell, issue 13) for this many
    #: days after the revocation (0: never)
    farewell_days: float = field(default_factory=lambda: _float("ACCOUNTDESK_FAREWELL_DAYS", 30))
    #: test hooks (e.g. a delay inside the push transaction); never enable in production
    test_hooks: bool = field(default_factory=lambda: os.environ.get("ACCOUNTDESK_SERVER_TEST_HOOKS") == "1")
    #: attachment files (issue 18): the largest file accepted, each user's quota (0: none), the
    #: folder they are kept in (default: beside a SQLite database, or per database under the
    #: server's data folder) and the size of the pieces devices send
    max_file_bytes: int = field(default_factory=lambda: _int("ACCOUNTDESK_MAX_FILE_MB", 50) * 1024 * 1024)
    file_quota_bytes: int = field(
        default_factory=lambda: _int("ACCOUNTDESK_FILE_QUOTA_MB", 20 * 1024) * 1024 * 1024
    )
    files_dir: str | None = field(
        default_factory=lambda: os.environ.get("ACCOUNTDESK_SERVER_FILES_DIR") or None
    )
    file_piece_bytes: int = field(
        default_factory=lambda: min(max(_int("ACCOUNTDESK_FILE_PIECE_KB", 16384), 64), 65536) * 1024
    )
