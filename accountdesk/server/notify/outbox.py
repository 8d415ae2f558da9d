"""The message outbox: one row per recipient and event, delivered with retries and back-off,
and dead-lettered after the last attempt until an administrator resends it.

Delivery is at least once and, in practice, once: a process claims due rows (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so two processes never take the same row) and marks them ``sending``
for a lease; only a process that died while sending leaves a row for another to send again
after the lease.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ..db import Database
from ..errors import ServerError
from . import channels as ch
from . import secrets, store
from .rules import Recipient
from .settings import NotifySettings

log = logging.getLogger("accountdesk.server.notify")


def message_row(
    key: str,
    event: str,
    recipient: Recipient,
    smtp: dict[str, Any] | None,
    message: dict[str, Any],
    now: dt.datetime,
) -> dict[str, Any] | None:
    """The outbox row for one recipient (None: a person without an e-mail address, or no SMTP
    server configured: nothing can reach them)."""
    if recipient.channel is not None:
        channel_id, address = recipient.channel["id"], None
    else:
        address = (recipient.user or {}).get("email")
        if not address or smtp is None:
            return None
        channel_id = smtp["id"]
    return {
        "key": key[:200],
        "event": event,
        "channel_id": channel_id,
        "recipient": recipient.key,
        "address": address,
        "language": recipient.language,
        "message": message,
        "status": "pending",
        "attempts": 0,
        "next_at": now,
        "created_at": now,
        "claimed_until": None,
        "last_error": None,
        "sent_at": None,
    }


#: The status of an in-app alert: never sent by a channel, read by the recipient's laptops
#: (``GET /v1/notify/alerts``) and never in the dead-letter list.
IN_APP = "app"


def in_app_row(
    key: str, event: str, recipient: Recipient, ref: dict[str, Any], now: dt.datetime
) -> dict[str, Any] | None:
    """The in-app alert of a person (None for a group): what the laptop needs to show it in its
    own language and open the record (``ref``: ids, level, client name, subject, deadline)."""
    if recipient.user is None:
        return None
    return {
        "key": ("app:" + key)[:200],
        "event": event,
        "channel_id": None,
        "recipient": recipient.key,
        "address": None,
        "language": recipient.language,
        "message": {"ref": ref},
        "status": IN_APP,
        "attempts": 0,
        "next_at": now,
        "created_at": now,
        "claimed_until": None,
        "last_error": None,
        "sent_at": None,
    }


def smtp_channel(channels: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((c for c in channels if c["kind"] == "smtp"), None)


def send_one(
    channel: dict[str, Any], address: str | None, message: dict[str, Any], ns: NotifySettings
) -> None:
    """Send one message on a channel now (raises :class:`channels.DeliveryError`)."""
    try:
        secret = secrets.unseal(channel["secret"])
    except ServerError as exc:
        raise ch.DeliveryError(exc.message) from None
    if channel["kind"] == "smtp":
        if not address:
            raise ch.DeliveryError("no e-mail address")
        ch.send_email(channel, secret, address, message, timeout=ns.timeout_s, ca_file=ns.ca_file)
    else:
        ch.send_webhook(channel, secret, message, timeout=ns.timeout_s)


def deliver(
    db: Database, ns: NotifySettings, *, ids: list[int] | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """Send the messages due now (or the given ones); returns ``{"sent", "failed", "dead"}``."""
    now = now or ns.now()
    with db.write() as conn:
        rows = store.claim_due(conn, now, now + dt.timedelta(seconds=ns.lease_s), ns.batch, ids)
        channels = {c["id"]: c for c in store.channels(conn)} if rows else {}
    counts = {"sent": 0, "failed": 0, "dead": 0}
    for row in rows:
        attempts = row["attempts"] + 1
        try:
            channel = channels.get(row["channel_id"] or "")
            if channel is None:
                raise ch.DeliveryError("the channel was removed")
            send_one(channel, row["address"], row["message"], ns)
        except ch.DeliveryError as exc:
            dead = attempts >= ns.attempts
            at = ns.now()
            with db.write() as conn:
                store.message_failed(
                    conn,
                    row["id"],
                    attempts=attempts,
                    error=str(exc),
                    dead=dead,
                    next_at=at + ns.retry_delay(attempts),
                )
            counts["dead" if dead else "failed"] += 1
            log.warning("message %s (%s) failed, attempt %s: %s", row["id"], row["event"], attempts, exc)
            continue
        except Exception:  # noqa: BLE001 - a bug must not stop the other messages
            log.exception("message %s could not be sent", row["id"])
            with db.write() as conn:
                store.message_failed(
                    conn,
                    row["id"],
                    attempts=attempts,
                    error="internal error",
                    dead=attempts >= ns.attempts,
                    next_at=ns.now() + ns.retry_delay(attempts),
                )
            counts["failed"] += 1
            continue
        with db.write() as conn:
            store.message_sent(conn, row["id"], ns.now(), attempts)
        counts["sent"] += 1
    return counts
