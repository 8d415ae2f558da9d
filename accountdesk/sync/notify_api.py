"""The laptop's side of the server's notifications: the signed-in user's calendar feed and
message preferences, and (administrators) the channels, rules, test and dead letters.

Thin calls through the sync engine's authenticated HTTP (:meth:`SyncEngine._request`: the same
login, token refresh and error mapping as a sync). The feed's secret URL is shown by the server
only when it is made; this device keeps it in the OS keyring (never in a file) to show it again.
"""

from __future__ import annotations

import logging
from typing import Any

from .context import SignedIn
from .credentials import SERVICE, keyring_usable

log = logging.getLogger("accountdesk.sync")
FEED = "/v1/notify/calendar-feed"
ADMIN = "/v1/admin/notify"


def _feed_key(engine: SignedIn) -> str:
    return f"{engine.server_url}|{engine.credentials.username}|calendar-feed"


def _remember(engine: SignedIn, url: str | None) -> None:
    if not keyring_usable():
        return
    try:
        import keyring

        if url:
            keyring.set_password(SERVICE, _feed_key(engine), url)
        else:
            keyring.delete_password(SERVICE, _feed_key(engine))
    except Exception:  # noqa: BLE001 - nothing stored, or a locked keyring
        log.debug("calendar feed URL not kept in the keyring", exc_info=True)


def _recall(engine: SignedIn) -> str | None:
    if not keyring_usable():
        return None
    try:
        import keyring

        return keyring.get_password(SERVICE, _feed_key(engine))
    except Exception:  # noqa: BLE001
        return None


class NotifyClient:
    """Calls of one signed-in user (an engine that can log in)."""

    def __init__(self, engine: SignedIn) -> None:
        self.engine = engine

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return self.engine._request(method, path, body=body)

    def _object(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(method, path, body)  # (the route's documented answer)
        return answer

    def _list(self, method: str, path: str, body: Any = None) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = self._call(method, path, body)  # (the route's documented answer)
        return answer

    # -- every user ----------------------------------------------------------------------------
    def alerts(self, after: int = 0) -> dict[str, Any]:
        """The signed-in person's in-app alerts after the cursor ``after``:
        ``{"alerts": [...], "next": cursor, "more": bool}`` (escalations that reach them)."""
        answer: dict[str, Any] = self.engine._request(
            "GET", "/v1/notify/alerts", params={"after": int(after)}
        )
        return answer

    def calendar_feed(self, *, reset: bool = False) -> dict[str, Any]:
        """The feed: ``{"active", "created_at", "url"}``. The first call makes the feed; with
        ``reset`` a new URL replaces the old one (which stops working). ``url`` is None when the
        feed was made on another device and this one does not know it (reset to see one)."""
        if not reset:
            state = self._call("GET", FEED)
            if state.get("active"):
                return {**state, "url": _recall(self.engine), "new": False}
        made = self._call("POST", FEED)
        _remember(self.engine, made.get("url"))
        return {**made, "new": True}

    def revoke_calendar_feed(self) -> dict[str, Any]:
        state = self._call("DELETE", FEED)
        _remember(self.engine, None)
        return {**state, "url": None}

    def preferences(self) -> dict[str, Any]:
        return self._object("GET", "/v1/notify/me")

    def set_preferences(self, **values: Any) -> dict[str, Any]:
        return self._object("PUT", "/v1/notify/me", {k: v for k, v in values.items() if v is not None})

    # -- administrators ------------------------------------------------------------------------
    def channels(self) -> list[dict[str, Any]]:
        return self._list("GET", f"{ADMIN}/channels")

    def add_smtp(self, **values: Any) -> dict[str, Any]:
        return self._object("POST", f"{ADMIN}/channels/smtp", values)

    def add_webhook(self, **values: Any) -> dict[str, Any]:
        return self._object("POST", f"{ADMIN}/channels/webhook", values)

    def remove_channel(self, name: str) -> None:
        from urllib.parse import quote

        self._call("DELETE", f"{ADMIN}/channels/{quote(name, safe='')}")

    def rules(self) -> list[dict[str, Any]]:
        return self._list("GET", f"{ADMIN}/rules")

    def add_rule(self, **values: Any) -> dict[str, Any]:
        return self._object("POST", f"{ADMIN}/rules", {k: v for k, v in values.items() if v is not None})

    def remove_rule(self, rule_id: int) -> None:
        self._call("DELETE", f"{ADMIN}/rules/{int(rule_id)}")

    def reset_rules(self) -> list[dict[str, Any]]:
        return self._list("POST", f"{ADMIN}/rules/reset")

    def test(self, to: str | None = None) -> list[dict[str, Any]]:
        return self._list("POST", f"{ADMIN}/test", {"to": to} if to else {})

    def failed(self) -> list[dict[str, Any]]:
        return self._list("GET", f"{ADMIN}/failed")

    def resend(self, ids: list[int] | None = None) -> dict[str, Any]:
        return self._object("POST", f"{ADMIN}/resend", {"ids": ids} if ids else {})
