"""A calendar feed per user (RFC 5545): ``GET /v1/calendar/<secret>.ics``, the URL a phone or
desktop calendar (Outlook, Apple, Google, WeCom, Feishu) subscribes to.

- The secret is 256 random bits; the server keeps only its SHA-256, so a stolen database does
  not give the feeds away. Resetting makes a new secret (the old URL is refused at once);
  revoking removes the feed. A deactivated user's feed is refused.
- The feed path carries no protocol headers and no token: calendar apps cannot send them (the
  guard middleware lets exactly this path through, see :func:`is_feed_path`).
- Events: the user's planned visits (with location and purpose), complaint deadlines they
  handle or whose client they manage, their open tasks, the contract renewals and cadences due of
  their clients, from 60 days back to a year ahead. Timed events carry ``TZID`` with a
  ``VTIMEZONE`` of the user's zone (Asia/Shanghai unless set); the others are all-day events.
  Summaries are in the user's language, with client names, and never a confidential value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from ..i18n import translator
from ..labels import LABELS
from ..models.enums import Severity
from . import repo
from .db import Database
from .errors import ServerError
from .notify import messages, store
from .notify.agenda import Agenda, Item
from .notify.rules import Directory
from .notify.settings import NotifySettings, zone

FEED_PREFIX = "/v1/calendar/"
_FEED = re.compile(r"^/v1/calendar/[A-Za-z0-9_-]{32,128}\.ics$")
PAST_DAYS = 60
FUTURE_DAYS = 366
PRODID = "-//AccountDesk//Calendar feed//EN"


class _HideFeedSecrets(logging.Filter):
    """Access logs show ``/v1/calendar/…ics`` instead of a feed's secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(a, str) and FEED_PREFIX in a for a in record.args
        ):
            record.args = tuple(
                _SECRET_IN_PATH.sub(FEED_PREFIX + "…", a) if isinstance(a, str) else a for a in record.args
            )
        return True


_SECRET_IN_PATH = re.compile(re.escape(FEED_PREFIX) + r"[A-Za-z0-9_-]+")


def hide_secrets_in_access_logs() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _HideFeedSecrets) for f in access.filters):
        access.addFilter(_HideFeedSecrets())


def is_feed_path(path: str) -> bool:
    """Exactly a feed URL (the only /v1/ path served without protocol headers)."""
    return bool(_FEED.match(path))


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_path(secret: str) -> str:
    return f"{FEED_PREFIX}{secret}.ics"


def status(db: Database, user_id: str) -> dict[str, Any]:
    with db.read() as conn:
        feed = store.feed_of(conn, user_id)
    return {
        "active": feed is not None,
        "created_at": store.aware(feed["created_at"]).isoformat() if feed else None,
    }


def reset(db: Database, user_id: str) -> dict[str, Any]:
    """A new secret for the user's feed (the previous URL stops working); returned once."""
    secret = secrets.token_urlsafe(32)
    now = repo.utcnow()
    with db.write() as conn:
        store.set_feed(conn, user_id, secret_hash(secret), now)
        repo.audit(conn, "calendar_feed_reset", user_id=user_id)
    return {"active": True, "created_at": now.isoformat(), "path": feed_path(secret)}


def revoke(db: Database, user_id: str) -> dict[str, Any]:
    with db.write() as conn:
        if store.delete_feed(conn, user_id):
            repo.audit(conn, "calendar_feed_revoked", user_id=user_id)
    return {"active": False, "created_at": None}


def render(db: Database, ns: NotifySettings, secret: str, *, now: dt.datetime | None = None) -> bytes:
    """The ICS text of the feed whose secret this is (404 for an unknown or revoked one)."""
    now = now or ns.now()
    with db.read() as conn:
        feed = store.feed_by_hash(conn, secret_hash(secret))
        user = repo.user_by_id(conn, feed["user_id"]) if feed else None
        if user is None or not user["active"]:
            raise ServerError(404, "not_found", "No such calendar.")
        people = Directory(store.users_with_prefs(conn), [], ns.language, ns.time_zone)
        me = people.users[user["id"]]
        agenda = Agenda(
            conn, repo.scope_of(conn, user["id"]) if me["role"] not in ("admin", "supervisor") else None
        )
    return build(agenda, people, me, now)


def build(agenda: Agenda, people: Directory, me: dict[str, Any], now: dt.datetime) -> bytes:
    tzname = people.time_zone_of(me)
    tz = zone(tzname)
    tr = translator(people.language_of(me))
    today = now.astimezone(tz).date()
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", tr("AccountDesk: {name}").format(name=messages.name_of(me)))
    cal.add("x-wr-timezone", tz.key)
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    items = agenda.items(
        now=now,
        tz=tz,
        first=today - dt.timedelta(days=PAST_DAYS),
        last=today + dt.timedelta(days=FUTURE_DAYS),
    )
    for item in sorted(items, key=lambda i: (i.kind, i.row_id)):
        if me["id"] not in item.people:
            continue
        cal.add_component(_event(item, tr, tz, now))
    cal.add_missing_timezones()
    ics: bytes = cal.to_ical()  # (icalendar does not annotate it)
    return ics


def _event(item: Item, tr: Callable[[str], str], tz: ZoneInfo, now: dt.datetime) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", f"{item.kind}-{item.row_id}@accountdesk")
    ev.add("dtstamp", now.astimezone(dt.UTC))
    v = item.values
    if item.kind == "visit":
        ev.add(
            "summary",
            tr("{visit}: {client}").format(
                visit=messages.visit_title(tr, v.get("kind"), None), client=item.client_name
            ),
        )
        ev.add("dtstart", item.moment.astimezone(tz))
        ev.add("dtend", item.moment_end.astimezone(tz))
        if v.get("location"):
            ev.add("location", v["location"])
        if v.get("purpose"):
            ev.add("description", v["purpose"])
        ev.add("categories", [tr("Visit")])
    elif item.kind == "complaint":
        severity = messages.label(tr, Severity, v.get("severity"))
        ev.add(
            "summary",
            tr("Complaint deadline: {client} — {subject}").format(
                client=item.client_name, subject=v.get("subject") or ""
            ),
        )
        ev.add("dtstart", item.moment.astimezone(tz))
        ev.add("dtend", item.moment.astimezone(tz) + dt.timedelta(minutes=30))
        ev.add(
            "description",
            tr("Severity {severity}; escalation level {level}.").format(
                severity=severity, level=v.get("level") or 0
            ),
        )
        ev.add("categories", [tr("Complaint deadline")])
        if item.moment > now:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", tr("Complaint deadline: {client}").format(client=item.client_name))
            alarm.add("trigger", dt.timedelta(hours=-2))
            ev.add_component(alarm)
    else:
        if item.kind == "task":
            summary = tr("Task: {title}").format(title=v.get("title") or "")
            if item.client_name:
                summary = tr("{what} ({client})").format(what=summary, client=item.client_name)
            category = tr("Task")
        elif item.kind == "renewal":
            summary = tr("Contract renewal: {client}").format(client=item.client_name)
            category = tr("Contract renewal")
        else:
            summary = tr("{visit} due: {client}").format(
                visit=messages.visit_title(tr, v.get("kind"), v.get("title")), client=item.client_name
            )
            category = tr("Visit due")
        ev.add("summary", summary)
        ev.add("dtstart", item.all_day)
        ev.add("dtend", item.all_day + dt.timedelta(days=1))
        ev.add("transp", "TRANSPARENT")
        ev.add("categories", [category])
    return ev


__all__ = ["is_feed_path", "render", "reset", "revoke", "status", "LABELS"]
