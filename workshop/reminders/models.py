"""The reminders and digests already sent: one row each, so none goes twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class SentReminder(db.Model):
    """One reminder or digest that went to one person.

    The unique key decides who sends it when several workers find it due at once: the row is
    inserted in the transaction that makes the notification, and the worker whose insert
    fails on the key sends nothing. ``subject_id`` is the id of what it is about (an
    assignment, a version, a session, a cohort, as ``kind`` says); ``occasion`` tells one
    reminder about it from another (``48h@20261204T1100Z``, a digest's date).
    """

    __tablename__ = "sent_reminders"
    __table_args__ = (sa.UniqueConstraint("kind", "subject_id", "recipient_id", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    subject_id: Mapped[int]
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    occasion: Mapped[str] = mapped_column(sa.String(64))
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
