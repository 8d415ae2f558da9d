from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class VisitPlan(SyncMixin, Base):
    """A cadence: visits of ``kind`` every ``every_months`` months. The next due date is derived."""

    __tablename__ = "visit_plans"
    __entity__ = "visit_plan"
    __table_args__ = (
        Index("ix_visit_plans_client_live", "client_id", "deleted_at"),
        # The clients a user serves (services/scope.py: the first screen's agenda) include those
        # whose live cadences the user owns: found here, not by reading every plan.
        Index("ix_visit_plans_owner", "owner_id", "client_id", sqlite_where=text("deleted_at IS NULL")),
        # The dashboard's overdue flags of every cadence (services/scheduling.py plan_flags_in)
        # read the live plans from here, not from the table (deleted_at listed: covering).
        Index(
            "ix_visit_plans_cadence",
            "client_id",
            "kind",
            "active",
            "every_months",
            "starts_on",
            "created_at",
            "title",
            "id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str | None] = mapped_column(String(100))  # for custom cadences
    every_months: Mapped[int] = mapped_column()
    owner_id: Mapped[str | None] = mapped_column(Id)
    active: Mapped[bool] = mapped_column(default=True)
    starts_on: Mapped[dt.date | None] = mapped_column()
    #: Made by applying the client's tier standard (``False``: set by hand, kept when the
    #: standard changes).
    from_standard: Mapped[bool] = mapped_column(default=False)


class Visit(SyncMixin, Base):
    """A planned or held visit, with its report once done."""

    __tablename__ = "visits"
    __entity__ = "visit"
    __table_args__ = (
        Index("ix_visits_client_live", "client_id", "deleted_at"),
        # Cadence status of every plan (Today, the client list's "next due") reads the last done
        # and the planned visits of every client: a covering index over live visits keeps that
        # from reading the visit reports, which make up most of the table.
        Index(
            "ix_visits_cadence",
            "status",
            "client_id",
            "kind",
            "done_at",
            "planned_start",
            "id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # The dashboard's visits done against planned per manager count the live visits of a
        # period per client and owner: covered here, not read from the visit reports
        # (deleted_at listed: covering).
        Index(
            "ix_visits_period",
            "client_id",
            "planned_start",
            "status",
            "owner_id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # ... and on a whole portfolio in owner order, each owner's period a range (no sort of
        # every visit of the period by manager).
        Index(
            "ix_visits_owner_period",
            "owner_id",
            "planned_start",
            "status",
            "client_id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # The clients a user serves include those where the user holds a planned visit: found
        # here instead of from every planned visit's row (at 10,000 clients the first screen read
        # ~11,600 rows spread over the table for it; an encrypted profile decrypts each page).
        Index(
            "ix_visits_owner_status",
            "owner_id",
            "status",
            "client_id",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # The visits planned on a day (the Today page's first query): a range of this index instead
        # of every planned visit's entry in ix_visits_cadence (~300 pages at 10,000 clients).
        Index(
            "ix_visits_day",
            "status",
            "planned_start",
            "client_id",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16), default="onsite")
    planned_start: Mapped[dt.datetime] = mapped_column(index=True)
    planned_end: Mapped[dt.datetime | None] = mapped_column()
    location: Mapped[str | None] = mapped_column(String(300))
    purpose: Mapped[str | None] = mapped_column(Text)
    attendee_contact_ids: Mapped[list[str]] = mapped_column(default=list)
    attendee_user_ids: Mapped[list[str]] = mapped_column(default=list)
    owner_id: Mapped[str | None] = mapped_column(Id)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    done_at: Mapped[dt.datetime | None] = mapped_column()
    # The visit report (拜访纪要)
    outcome: Mapped[str | None] = mapped_column(Text)
    client_requests: Mapped[str | None] = mapped_column(Text)
    follow_ups: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
