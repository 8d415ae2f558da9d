from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class Feedback(SyncMixin, Base):
    """Any feedback from the client, oral or written, positive or negative.

    A complaint has a deadline derived from its severity (``due_at``); the clock is paused while
    we wait for the client (``paused_since`` / ``paused_seconds``) and escalates as the deadline
    nears (``escalation_level``). The handler may never be one of ``involved_user_ids`` (recusal).
    """

    __tablename__ = "feedback"
    __entity__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_client_live", "client_id", "deleted_at"),
        # The first screen's quick agenda reads the clients with an open complaint that has a
        # deadline: from here, not by reading every complaint.
        Index("ix_feedback_open", "status", "due_at", "client_id", sqlite_where=text("deleted_at IS NULL")),
        # ... and those of a handler's open complaints (migration 0017; deleted_at listed: covering).
        Index(
            "ix_feedback_handler_open",
            "handler_id",
            "status",
            "due_at",
            "client_id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[str | None] = mapped_column(Id)
    involved_user_ids: Mapped[list[str]] = mapped_column(default=list)
    handler_id: Mapped[str | None] = mapped_column(Id, index=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    paused_since: Mapped[dt.datetime | None] = mapped_column()
    paused_seconds: Mapped[int] = mapped_column(default=0)
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[dt.datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="received")
    resolution: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()
