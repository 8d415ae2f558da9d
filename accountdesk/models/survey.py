from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
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
