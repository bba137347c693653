"""In-app notifications."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class Notification(db.Model):
    """An in-app notification; ``kind`` picks the translated message, ``data`` fills it in.

    ``cohort_id`` names the cohort it is about, if any: it is shown, counted and emailed
    only while its person belongs to that cohort, and goes when they leave or it is deleted.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # The bell's count on every page reads this index alone: the person's unread rows
        # and, for the membership check, the cohort each is about.
        sa.Index("ix_notifications_user_unread", "user_id", "read_at", "cohort_id"),
        # Removing a member deletes their rows about the cohort; deleting a cohort cascades.
        sa.Index("ix_notifications_cohort_user", "cohort_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EmailPreference(db.Model):
    """A person's choice to get (or not) email, and WhatsApp, for one kind of notification.

    No row means the default: both on (WhatsApp reaches only people who turned it on as a
    whole, ``User.whatsapp_opt_in``). In-app notifications are always kept.
    """

    __tablename__ = "email_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
    whatsapp: Mapped[bool] = mapped_column(default=True)



class WhatsAppMessage(db.Model):
    """The outcome of one WhatsApp template message: sent (with the platform's message id),
    printed (the embedded default) or failed (with the platform's error code and why).

    The recipient is kept only as a keyed digest (``whatsapp.recipient_digest``): enough to
    find the messages sent to a number one already knows, not to read the numbers back.
    """

    __tablename__ = "whatsapp_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(8))
    recipient_digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(default=1)
    platform_message_id: Mapped[str | None] = mapped_column(sa.String(128))
    error_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
