"""A resumable upload in progress. Its bytes live in a folder of its own under
``MEDIA_ROOT/uploads/<id>/``; the row says who may append to it and how long it is."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, utcnow
from ..extensions import db


def new_upload_id() -> str:
    # Random, not sequential: an upload URL must not be guessable.
    return secrets.token_hex(16)


class Upload(db.Model):
    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_upload_id)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    length: Mapped[int] = mapped_column(sa.BigInteger)
    # Mirrors the file's size after each PATCH; the file on disk is the truth.
    received: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # Shown to people only, never used as a path.
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("versions.id", ondelete="SET NULL"))

    user = relationship("User")
