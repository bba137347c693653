"""A submission, the versions (drafts) uploaded for it, and the safeguarding concerns that lock it."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, str_enum, utcnow
from ..extensions import db


class SubmissionState(str, enum.Enum):
    DRAFT = "draft"
    AWAITING_REVIEW = "awaiting_review"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    ESCALATED = "escalated"


class VersionState(str, enum.Enum):
    UPLOADING = "uploading"
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class ChecksState(str, enum.Enum):
    """Where a ready version's automatic checks are. A transcoded version is ``complete`` when
    it becomes ready (one ffmpeg run makes and checks it); a remuxed one is playable first
    and ``queued`` for a checks job of its own (media/checks_job.py)."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


class ConcernState(str, enum.Enum):
    OPEN = "open"
    RESOLVED = "resolved"


class Submission(db.Model):
    __tablename__ = "submissions"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    # Denormalised from the assignment so that the access check and the
    # dashboards find a submission's cohort without a join.
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    state: Mapped[SubmissionState] = mapped_column(
        str_enum(SubmissionState, "submission_state"), default=SubmissionState.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment = relationship("Assignment")
    student = relationship("User", foreign_keys=[student_id])
    mentor = relationship("User", foreign_keys=[mentor_id])
    versions = relationship(
        "Version", back_populates="submission", order_by="Version.number",
        cascade="all, delete-orphan",
    )


class Version(db.Model):
    """One uploaded draft. Media is referred to by storage keys, never by user-given names."""

    __tablename__ = "versions"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "number"),
        # The review queue and the dashboard ask for "ready versions of these cohorts, newest
        # per submission"; without it a planner may walk every ready version of the site.
        sa.Index("ix_versions_cohort_state_submission", "cohort_id", "state", "submission_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    state: Mapped[VersionState] = mapped_column(
        str_enum(VersionState, "version_state"), default=VersionState.UPLOADING, index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Shown to people only; never used to build a path.
    original_filename: Mapped[str] = mapped_column(sa.String(255), default="")
    original_key: Mapped[str | None] = mapped_column(sa.String(255))
    original_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    progress: Mapped[float] = mapped_column(default=0.0)
    error_code: Mapped[str | None] = mapped_column(sa.String(64))
    error_detail: Mapped[str | None] = mapped_column(sa.Text)
    probe: Mapped[dict | None] = mapped_column(sa.JSON)
    duration_s: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    rendition_key: Mapped[str | None] = mapped_column(sa.String(255))
    poster_key: Mapped[str | None] = mapped_column(sa.String(255))
    storyboard_key: Mapped[str | None] = mapped_column(sa.String(255))
    storyboard_vtt_key: Mapped[str | None] = mapped_column(sa.String(255))
    checks: Mapped[list | None] = mapped_column(sa.JSON)
    # True when the source was already web-safe and only remuxed, not re-encoded.
    remuxed: Mapped[bool] = mapped_column(default=False)
    # None until the version is ready. The checks job claims, heartbeats and retries like
    # the processing job, with columns of its own so the two never mistake each other's state.
    checks_state: Mapped[ChecksState | None] = mapped_column(str_enum(ChecksState, "checks_state"))
    checks_job_id: Mapped[str | None] = mapped_column(sa.String(64))
    checks_attempts: Mapped[int] = mapped_column(default=0)
    checks_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checks_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every media URL, so that URLs cannot be guessed from version ids.
    media_token: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(16))
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submission = relationship("Submission", back_populates="versions")

    @property
    def student_id(self) -> int:
        """The owner, for the access check: a student sees only their own versions."""
        return self.submission.student_id


class SafeguardingConcern(db.Model):
    """Raised by a mentor; seen by the cohort's leads only; locks the submission while open."""

    __tablename__ = "safeguarding_concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("versions.id", ondelete="SET NULL"))
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[ConcernState] = mapped_column(str_enum(ConcernState, "concern_state"), default=ConcernState.OPEN)
    resolution: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
