"""The daily digest: one e-mail a day to each manager at a set hour of their own time zone
(``ACCOUNTDESK_DIGEST_HOUR``, default 7:00), and to each supervisor for their team.

A manager's digest lists, for the clients they own or back up and the work assigned to them:
overdue visits and those due this week (planned visits and cadences with nothing planned),
open complaints with their clocks (deadline, time left or overdue, escalation level), open tasks
overdue or due this week (when tasks exist), and contract renewals in the next 30 days. A
supervisor's digest lists the same for every member of their team (the users with the same
team on their user record; a supervisor without a team: everybody), each line with the person
it concerns. A digest with nothing in it is not sent.

Which people get a digest is set by the ``digest`` rules (:mod:`.rules`); a user can turn theirs
off (``notify user NAME --no-digest``). Each digest is recorded in the outbox under the key
``digest:<local date>:<user>``: once a day, however many server processes run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from ...i18n import translator
from ...models.enums import FeedbackKind, Role, Severity
from . import messages, outbox, rules, store
from .agenda import Agenda, Item
from .settings import NotifySettings, zone

WEEK = 7
RENEWAL_DAYS = 30
LOOK_BACK_DAYS = 366
MAX_ITEMS = 40


def due_recipients(
    conn: Connection, ns: NotifySettings, people: rules.Directory, now: dt.datetime, *, force: bool = False
) -> list[tuple[rules.Recipient, dt.date]]:
    """People whose digest of today (their local date) is due and not yet recorded."""
    wanted: dict[str, rules.Recipient] = {}
    if outbox.smtp_channel(list(people.channels.values())) is None:
        return []  # no e-mail server: nobody can get a digest
    for rule in store.rules(conn):
        if rule["event"] != "digest":
            continue
        for who in people.resolve(rule["recipient"]):
            if who.user is not None and who.user.get("digest", True) and who.user.get("email"):
                wanted.setdefault(who.key, who)
    due = []
    for who in wanted.values():
        local = now.astimezone(zone(people.time_zone_of(who.user)))
        if force or local.hour >= ns.digest_hour:
            due.append((who, local.date()))
    keys = store.known_keys(conn, [key(who, day) for who, day in due])
    return [(who, day) for who, day in due if key(who, day) not in keys]


def key(who: rules.Recipient, day: dt.date) -> str:
    return f"digest:{day.isoformat()}:{who.key}"


def run(
    conn: Connection, ns: NotifySettings, people: rules.Directory, now: dt.datetime, *, force: bool = False
) -> int:
    """Record the digests due now (the caller holds the job lock and commits); returns how many."""
    due = due_recipients(conn, ns, people, now, force=force)
    if not due:
        return 0
    agenda = Agenda(conn)
    smtp = outbox.smtp_channel(list(people.channels.values()))
    rows = []
    for who, day in due:
        message = build(agenda, people, who, now)
        row = outbox.message_row(
            key(who, day), "digest", who, smtp, message or {"title": "", "sections": []}, now
        )
        if row is None:
            continue
        if message is None:  # nothing to say today: recorded, never sent
            row["status"] = "empty"
        rows.append(row)
    return store.add_messages(conn, rows)


def members(people: rules.Directory, user: dict[str, Any]) -> set[str] | None:
    """Whose items a user's digest lists (None: everybody's)."""
    if user["role"] in (Role.SUPERVISOR.value, Role.ADMIN.value):
        team = people.team_members(user)
        return None if team is None else {u["id"] for u in team} | {user["id"]}
    return {user["id"]}


def build(
    agenda: Agenda, people: rules.Directory, who: rules.Recipient, now: dt.datetime
) -> dict[str, Any] | None:
    """The digest message of one person (None when there is nothing to report)."""
    user = who.user or {}
    tz = zone(people.time_zone_of(user))
    tr = translator(who.language)
    today = now.astimezone(tz).date()
    mine = members(people, user)
    team_view = mine is None or len(mine) > 1

    def concerns(item: Item) -> bool:
        return mine is None or bool(item.people & mine)

    items = [
        i
        for i in agenda.items(
            now=now,
            tz=tz,
            first=today - dt.timedelta(days=LOOK_BACK_DAYS),
            last=today + dt.timedelta(days=RENEWAL_DAYS),
        )
        if concerns(i)
    ]

    def who_of(item: Item) -> str:
        if not team_view:
            return ""
        names = sorted(
            messages.name_of(people.users.get(p))
            for p in item.people
            if p in people.users and (mine is None or p in mine)
        )
        return "[" + ", ".join(names) + "] " if names else ""

    week_end = today + dt.timedelta(days=WEEK)
    visits, complaints, tasks, renewals = [], [], [], []
    for item in sorted(items, key=lambda i: (i.date_in(tz), i.client_name)):
        day = item.date_in(tz)
        overdue = day < today if item.kind != "visit" else item.moment < now
        mark = tr("overdue") + " · " if overdue else ""
        if item.kind in ("visit", "cadence") and day <= week_end:
            if item.kind == "visit":
                when = messages.local(item.start, tz)
                what = messages.visit_title(tr, item.values.get("kind"), None)
            else:
                when = day.isoformat()
                what = tr("{visit} due").format(
                    visit=messages.visit_title(tr, item.values.get("kind"), item.values.get("title"))
                )
            visits.append(f"{mark}{who_of(item)}{when} {item.client_name}: {what}")
        elif item.kind == "complaint":
            v = item.values
            complaints.append(
                tr(
                    "{who}{client}: {subject} ({kind}, {severity}) — deadline {when}, {left}, level {level}"
                ).format(
                    who=who_of(item),
                    client=item.client_name,
                    subject=v.get("subject") or "-",
                    kind=messages.label(tr, FeedbackKind, v.get("kind")),
                    severity=messages.label(tr, Severity, v.get("severity")),
                    when=messages.local(item.start, tz),
                    left=messages.remaining(tr, item.moment, now),
                    level=v.get("level") or 0,
                )
            )
        elif item.kind == "task" and day <= week_end:
            tasks.append(
                f"{mark}{who_of(item)}{day.isoformat()} {item.client_name}: {item.values.get('title') or '-'}".replace(
                    " : ", ": "
                )
            )
        elif item.kind == "renewal" and today <= day:
            renewals.append(f"{who_of(item)}{day.isoformat()} {item.client_name}")
    sections = []
    for heading, lines in (
        (tr("Visits overdue and due this week"), visits),
        (tr("Open complaints and their clocks"), complaints),
        (tr("Tasks overdue and due this week"), tasks),
        (tr("Contract renewals in the next 30 days"), renewals),
    ):
        if lines:
            more = len(lines) - MAX_ITEMS
            shown = lines[:MAX_ITEMS] + ([tr("… and {n} more").format(n=more)] if more > 0 else [])
            sections.append({"heading": f"{heading} ({len(lines)})", "items": shown})
    if not sections:
        return None
    title = (
        tr("Your day, {date}").format(date=today.isoformat())
        if not team_view
        else tr("Your team's day, {date}").format(date=today.isoformat())
    )
    intro = tr("Good morning, {name}. What needs you today:").format(name=messages.name_of(user))
    breached = any(i.kind == "complaint" and i.moment < now for i in items)
    tone = "danger" if breached else "info"
    return {"title": title, "intro": intro, "sections": sections, "tone": tone, "event": "digest"}
