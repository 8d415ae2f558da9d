from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class Attachment(SyncMixin, Base):
    """A file kept with a client or one of its records (a visit, a complaint, an instrument, an
    SLA commitment, a value-added service): a photo, a certificate, a signed agreement, an e-mail.

    The row is metadata and syncs as any other; the bytes are a content-addressed blob (SHA-256)
    held in the device's store and on the server's disk, transferred beside the rows. At most one
    of the ``*_id`` references is set (none: the file belongs to the client itself). A
    confidential attachment's title, file name and hash are stripped for roles that may not see
    confidential data, so its bytes can never be asked for by such a device.
    """

    __tablename__ = "attachments"
    __entity__ = "attachment"
    __confidential__ = frozenset({"title", "file_name", "sha256", "media_type"})
    __confidential_flag__ = "confidential"

    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="other")
    file_name: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    visit_id: Mapped[str | None] = mapped_column(Id)
    feedback_id: Mapped[str | None] = mapped_column(Id)
    equipment_id: Mapped[str | None] = mapped_column(Id)
    commitment_id: Mapped[str | None] = mapped_column(Id)
    client_service_id: Mapped[str | None] = mapped_column(Id)
