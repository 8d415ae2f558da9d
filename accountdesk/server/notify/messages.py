"""The messages, written in the recipient's language (``tr`` of :func:`accountdesk.i18n.translator`).

A message is a plain structure stored in the outbox and laid out by each channel in its own
format (:mod:`.channels`): ``{"title", "intro", "sections": [{"heading", "items"}], "tone"}``.
Only what a person needs to act is written: client names, subjects, kinds, dates and people —
never a confidential value (annual fees, opportunity values, confidential notes), never a
description or a note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from ...domain.feedback import LEVEL_OVERDUE
from ...i18n import N_, translator
from ...labels import LABELS
from ...models.enums import FeedbackKind, FeedbackStatus, Severity, Tier, VisitKind

LEVEL_TITLES = {
    1: N_("Complaint deadline near"),
    2: N_("Complaint deadline imminent"),
    3: N_("Complaint past its deadline"),
}
TONES = {1: "warning", 2: "warning", 3: "danger"}


def label(tr: Callable[[str], str], enum: Any, value: str | None) -> str:
    if not value:
        return ""
    text = LABELS.get(enum, {}).get(value)
    return tr(text) if text else value


def local(when: dt.datetime | None, tz: ZoneInfo) -> str:
    if when is None:
        return ""
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def remaining(tr: Callable[[str], str], due: dt.datetime, now: dt.datetime) -> str:
    """ "3 h 20 min left" or "overdue by 2 d 4 h", in whole minutes."""
    delta = due - now
    late = delta < dt.timedelta(0)
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        span = tr("{d} d {h} h").format(d=days, h=hours)
    elif hours:
        span = tr("{h} h {m} min").format(h=hours, m=mins)
    else:
        span = tr("{m} min").format(m=mins)
    return tr("overdue by {span}").format(span=span) if late else tr("{span} left").format(span=span)


def name_of(user: dict[str, Any] | None) -> str:
    if not user:
        return "-"
    return user.get("display_name") or user.get("username") or "-"


def escalation(
    lang: str,
    tz: ZoneInfo,
    *,
    level: int,
    client: dict[str, Any],
    feedback: dict[str, Any],
    due: dt.datetime | None,
    now: dt.datetime,
    handler: dict[str, Any] | None,
    owner: dict[str, Any] | None,
) -> dict[str, Any]:
    tr = translator(lang)
    cdata = client.get("data", {})
    title = tr(LEVEL_TITLES.get(level, LEVEL_TITLES[LEVEL_OVERDUE]))
    name = cdata.get("name") or "-"
    items = [
        tr("Client: {name} ({tier})").format(name=name, tier=label(tr, Tier, cdata.get("tier"))),
        tr("Subject: {subject}").format(subject=feedback.get("subject") or "-"),
        tr("Kind: {kind}, severity {severity}").format(
            kind=label(tr, FeedbackKind, feedback.get("kind")),
            severity=label(tr, Severity, feedback.get("severity")),
        ),
        tr("Status: {status}").format(status=label(tr, FeedbackStatus, feedback.get("status"))),
    ]
    if due is not None:
        items.append(
            tr("Deadline: {when} ({left})").format(when=local(due, tz), left=remaining(tr, due, now))
        )
    items.append(
        tr("Handler: {handler}; account manager: {owner}").format(
            handler=name_of(handler), owner=name_of(owner)
        )
    )
    items.append(tr("Escalation level {level} of 3.").format(level=level))
    return {
        "title": tr("{title}: {client}").format(title=title, client=name),
        "intro": None,
        "sections": [{"heading": None, "items": items}],
        "tone": TONES.get(level, "danger"),
        "event": f"escalation:{level}",
    }


def test_message(lang: str, channel_name: str) -> dict[str, Any]:
    tr = translator(lang)
    return {
        "title": tr("AccountDesk test message"),
        "intro": None,
        "sections": [
            {
                "heading": None,
                "items": [
                    tr("This channel works: {name}.").format(name=channel_name),
                    tr("Escalations, deadlines and the daily digest will arrive here."),
                ],
            }
        ],
        "tone": "info",
        "event": "test",
    }


def visit_title(tr: Callable[[str], str], kind: str | None, title: str | None) -> str:
    if kind == VisitKind.CUSTOM.value and title:
        return title
    return label(tr, VisitKind, kind) or (title or "")
