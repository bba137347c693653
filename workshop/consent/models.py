"""A guardian's consent for a minor to take part in one cohort, and the requests for it
sent to guardians by link."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class Consent(db.Model):
    """A guardian's consent for a minor to take part in one cohort.

    Recorded by a lead with a signed form (``evidence_key``), or given by the guardian
    through a consent request's link: then ``channel`` says how the link reached them,
    ``text_version`` which consent text they read, and ``contact_hash`` which contact
    confirmed it (a keyed digest: the contact itself is not kept on the record).
    """

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    guardian_name: Mapped[str] = mapped_column(sa.String(160))
    guardian_contact: Mapped[str] = mapped_column(sa.String(254), default="")
    # The guardian asked for no WhatsApp messages at this contact: reach them by email or on paper.
    guardian_whatsapp_opt_out: Mapped[bool] = mapped_column(default=False)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evidence_key: Mapped[str | None] = mapped_column(sa.String(255))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deletion_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Given by link (consent/requests.py); all None for a form a lead recorded.
    channel: Mapped[str | None] = mapped_column(sa.String(16))
    text_version: Mapped[str | None] = mapped_column(sa.String(32))
    contact_hash: Mapped[str | None] = mapped_column(sa.String(64))
    guardian_relationship: Mapped[str] = mapped_column(sa.String(60), default="")


class ConsentRequest(db.Model):
    """A link sent to a minor's guardian to give (or refuse, later withdraw) consent.

    The link carries a long random token of which only the digest is kept; the guardian
    confirms with a six-digit code sent to the same contact, kept as a keyed digest too,
    single use and short-lived. ``status`` moves sent → opened → given | refused, and a
    given request → withdrawn; "expired" is read off ``expires_at`` (:func:`.requests.status_of`).
    """

    __tablename__ = "consent_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    contact_hash: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    text_version: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default="sent")
    language: Mapped[str] = mapped_column(sa.String(8), default="id")
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one-time code of the moment: its digest, when it stops working, wrong tries so far.
    code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wrong_codes: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guardian_name: Mapped[str] = mapped_column(sa.String(160), default="")
    guardian_relationship: Mapped[str] = mapped_column(sa.String(60), default="")
    consent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consents.id", ondelete="SET NULL"))
