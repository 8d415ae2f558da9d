from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin

SCORE_FIELDS = (
    "score_service_quality",
    "score_responsiveness",
    "score_professionalism",
    "score_relationship",
    "score_overall",
)


class Survey(SyncMixin, Base):
    """A satisfaction survey; each score is 1..5."""

    __tablename__ = "surveys"
    __entity__ = "survey"
    __table_args__ = (
        Index("ix_surveys_client_live", "client_id", "deleted_at"),
        # Each client's last survey (a cadence's last date, services/scheduling.py) and last two
        # (health) with their scores, read from the index by date (deleted_at listed: covering).
        Index(
            "ix_surveys_last",
            "client_id",
            "conducted_on",
            "created_at",
            *SCORE_FIELDS,
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    conducted_on: Mapped[dt.date] = mapped_column(index=True)
    respondent: Mapped[str | None] = mapped_column(String(100))
    respondent_contact_id: Mapped[str | None] = mapped_column(Id)
    score_service_quality: Mapped[int | None] = mapped_column()
    score_responsiveness: Mapped[int | None] = mapped_column()
    score_professionalism: Mapped[int | None] = mapped_column()
    score_relationship: Mapped[int | None] = mapped_column()
    score_overall: Mapped[int | None] = mapped_column()
    comments: Mapped[str | None] = mapped_column(Text)
    #: The satisfaction-survey visit it was taken at (none: recorded on its own).
    visit_id: Mapped[str | None] = mapped_column(Id)
