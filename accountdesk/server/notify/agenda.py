"""What is due, read from the server's records: planned visits, cadences due, complaint
deadlines, tasks and contract renewals — the material of the daily digest and the calendar feed.

Each :class:`Item` carries the people it concerns (the visit's owner or attendees, the task's
owner, the complaint's handler and the client's account manager, the client's manager for a
renewal or a cadence), raw values only: the digest and the feed write them in the reader's
language. Confidential fields (annual fees, opportunity values, confidential notes) are never
read here.

Tasks (entity ``task``: ``owner_id``, ``due_on``, ``title``, ``status``, ``client_id``) are read
when such records exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ...domain.cadence import cadence_due
from ...domain.feedback import OPEN_STATUSES, effective_due, feedback_escalation_level
from ...models import Client, Survey, SyncMixin, Visit, VisitPlan
from ...models.enums import ClientStatus, VisitStatus
from ...sync.codec import decode_value
from . import store
from .escalation import parsed

ENTITIES = ("client", "visit", "visit_plan", "survey", "feedback", "task")
TASK_DONE = frozenset({"done", "cancelled", "closed"})


@dataclass(frozen=True)
class Item:
    kind: str  # visit | cadence | complaint | task | renewal
    row_id: str
    client_id: str
    client_name: str
    people: frozenset[str]
    #: timed items (a visit, a complaint's deadline)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    #: all-day items (a cadence, a task, a renewal)
    day: dt.date | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def moment(self) -> dt.datetime:
        """The start of a timed item (a visit, a complaint's deadline)."""
        if self.start is None:
            raise ValueError(f"a {self.kind} item has a day, not a moment")
        return self.start

    @property
    def moment_end(self) -> dt.datetime:
        """The end of a timed item."""
        if self.end is None:
            raise ValueError(f"a {self.kind} item has a day, not a moment")
        return self.end

    @property
    def all_day(self) -> dt.date:
        """The day of an all-day item (a cadence, a task, a renewal)."""
        if self.day is None:
            raise ValueError(f"a {self.kind} item has a moment, not a day")
        return self.day

    def date_in(self, tz: ZoneInfo) -> dt.date:
        return self.day if self.day is not None else self.moment.astimezone(tz).date()


def _decode(model: type[SyncMixin], name: str, value: Any) -> Any:
    try:
        return decode_value(model, name, value)
    except (TypeError, ValueError):
        return None


class Agenda:
    """The records of some clients (None: every client), read once."""

    def __init__(self, conn: Connection, client_ids: list[str] | None = None) -> None:
        rows = store.live_records(conn, ENTITIES, client_ids)
        self.clients: dict[str, dict[str, Any]] = {}
        self.by_entity: dict[str, list[dict[str, Any]]] = {e: [] for e in ENTITIES}
        #: (client, visit kind) -> the local days of its planned visits (read by ``_visits``)
        self._planned: dict[tuple[str, str], list[dt.date]] = {}
        for r in rows:
            if r["entity"] == "client":
                self.clients[r["id"]] = r["data"]
            else:
                self.by_entity[r["entity"]].append(r)

    def _client(self, client_id: str | None) -> dict[str, Any] | None:
        client = self.clients.get(client_id or "")
        if client is None or client.get("status") == ClientStatus.LOST.value:
            return None
        return client

    def items(self, *, now: dt.datetime, tz: ZoneInfo, first: dt.date, last: dt.date) -> list[Item]:
        """Items due from ``first`` to ``last`` (local dates in ``tz``), overdue open ones too when
        ``first`` is in the past."""
        out: list[Item] = []
        out += self._visits(tz, first, last)
        out += self._cadences(tz, first, last, now)
        out += self._complaints(tz, first, last, now)
        out += self._tasks(first, last)
        out += self._renewals(first, last)
        return out

    def _visits(self, tz: ZoneInfo, first: dt.date, last: dt.date) -> list[Item]:
        out: list[Item] = []
        planned_by: dict[tuple[str, str], list[dt.date]] = {}
        for r in self.by_entity["visit"]:
            d = r["data"]
            client = self._client(r["client_id"])
            if client is None or d.get("status") != VisitStatus.PLANNED.value:
                continue
            start = _decode(Visit, "planned_start", d.get("planned_start"))
            if start is None:
                continue
            planned_by.setdefault((r["client_id"], d.get("kind")), []).append(start.astimezone(tz).date())
            if not first <= start.astimezone(tz).date() <= last:
                continue
            end = _decode(Visit, "planned_end", d.get("planned_end")) or start + dt.timedelta(hours=1)
            people = {d.get("owner_id") or client.get("owner_id"), *(d.get("attendee_user_ids") or [])}
            out.append(
                Item(
                    "visit",
                    r["id"],
                    r["client_id"],
                    client.get("name") or "",
                    frozenset(p for p in people if p),
                    start=start,
                    end=max(end, start),
                    values={
                        "kind": d.get("kind"),
                        "location": d.get("location"),
                        "purpose": d.get("purpose"),
                        "channel": d.get("channel"),
                    },
                )
            )
        self._planned = planned_by
        return out

    def _cadences(self, tz: ZoneInfo, first: dt.date, last: dt.date, now: dt.datetime) -> list[Item]:
        done: dict[tuple[str, str], dt.date] = {}
        for r in self.by_entity["visit"]:
            d = r["data"]
            if d.get("status") != VisitStatus.DONE.value:
                continue
            when = _decode(Visit, "done_at", d.get("done_at")) or _decode(
                Visit, "planned_start", d.get("planned_start")
            )
            if when is not None:
                key = (r["client_id"], d.get("kind"))
                day = when.astimezone(tz).date()
                done[key] = max(done.get(key, day), day)
        for r in self.by_entity["survey"]:
            day = _decode(Survey, "conducted_on", r["data"].get("conducted_on"))
            if day is not None:
                key = (r["client_id"], "satisfaction_survey")
                done[key] = max(done.get(key, day), day)
        out: list[Item] = []
        for r in self.by_entity["visit_plan"]:
            d = r["data"]
            client = self._client(r["client_id"])
            if client is None or d.get("active") is False:
                continue
            key = (r["client_id"], d.get("kind"))
            last_done = done.get(key)
            created = _decode(VisitPlan, "created_at", d.get("created_at"))
            due = cadence_due(
                d.get("every_months"),
                last_done,
                starts_on=_decode(VisitPlan, "starts_on", d.get("starts_on")),
                relationship_since=_decode(Client, "relationship_since", client.get("relationship_since")),
                created_on=created.astimezone(tz).date() if created else now.astimezone(tz).date(),
            )
            if any(last_done is None or day >= last_done for day in self._planned.get(key, [])):
                continue  # a planned visit covers the cadence (it is listed itself)
            if not first <= due <= last:
                continue
            owner = d.get("owner_id") or client.get("owner_id")
            out.append(
                Item(
                    "cadence",
                    r["id"],
                    r["client_id"],
                    client.get("name") or "",
                    frozenset({owner} if owner else ()),
                    day=due,
                    values={
                        "kind": d.get("kind"),
                        "title": d.get("title"),
                        "every_months": d.get("every_months"),
                    },
                )
            )
        return out

    def _complaints(self, tz: ZoneInfo, first: dt.date, last: dt.date, now: dt.datetime) -> list[Item]:
        out: list[Item] = []
        for r in self.by_entity["feedback"]:
            d = parsed(r["data"])
            client = self._client(r["client_id"])
            if client is None or d.get("status") not in OPEN_STATUSES:
                continue
            due = effective_due(d, now)
            if due is None or not first <= due.astimezone(tz).date() <= last:
                continue
            people = {d.get("handler_id"), client.get("owner_id")}
            level = max(int(d.get("escalation_level") or 0), feedback_escalation_level(d, now))
            out.append(
                Item(
                    "complaint",
                    r["id"],
                    r["client_id"],
                    client.get("name") or "",
                    frozenset(p for p in people if p),
                    start=due,
                    end=due,
                    values={
                        "subject": d.get("subject"),
                        "severity": d.get("severity"),
                        "kind": d.get("kind"),
                        "level": level,
                        "status": d.get("status"),
                    },
                )
            )
        return out

    def _tasks(self, first: dt.date, last: dt.date) -> list[Item]:
        out: list[Item] = []
        for r in self.by_entity["task"]:
            d = r["data"]
            if (d.get("status") or "open") in TASK_DONE or not d.get("due_on"):
                continue
            try:
                day = dt.date.fromisoformat(str(d["due_on"])[:10])
            except ValueError:
                continue
            client = self._client(r["client_id"]) if r["client_id"] else {}
            if client is None or not first <= day <= last:
                continue
            owner = d.get("owner_id")
            out.append(
                Item(
                    "task",
                    r["id"],
                    r["client_id"] or "",
                    (client or {}).get("name") or "",
                    frozenset({owner} if owner else ()),
                    day=day,
                    values={"title": d.get("title")},
                )
            )
        return out

    def _renewals(self, first: dt.date, last: dt.date) -> list[Item]:
        out: list[Item] = []
        for cid, client in self.clients.items():
            if client.get("status") == ClientStatus.LOST.value:
                continue
            day = _decode(Client, "contract_renewal_date", client.get("contract_renewal_date"))
            if day is None or not first <= day <= last:
                continue
            owner = client.get("owner_id")
            out.append(
                Item(
                    "renewal",
                    cid,
                    cid,
                    client.get("name") or "",
                    frozenset({owner} if owner else ()),
                    day=day,
                )
            )
        return out
