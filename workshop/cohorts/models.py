"""A cohort, its members (with their roles) and its assignments."""

from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, str_enum, utcnow
from ..extensions import db
from ..roles import Role


# Join codes avoid letters and digits that are easy to confuse when read aloud
# in a classroom or copied from a projector (0/O, 1/I/L).
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


class Cohort(db.Model):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    join_code: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_join_code)
    join_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Jakarta")
    helpline_name: Mapped[str | None] = mapped_column(sa.String(160))
    helpline_contact: Mapped[str | None] = mapped_column(sa.String(160))
    review_target_hours: Mapped[int] = mapped_column(default=48)
    # The secret in the cohort's calendar-feed URL; made on first use.
    calendar_token: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships = relationship("Membership", back_populates="cohort", cascade="all, delete-orphan")
    assignments = relationship(
        "Assignment", back_populates="cohort", cascade="all, delete-orphan",
        order_by="Assignment.due_at",
    )

    @property
    def cohort_id(self) -> int:
        """Every object the access check loads answers ``cohort_id``; a cohort is its own."""
        return self.id

    def join_code_valid(self, now: datetime | None = None) -> bool:
        if self.archived_at is not None:
            return False
        if self.join_code_expires_at is None:
            return True
        return (now or utcnow()) < self.join_code_expires_at


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort = relationship("Cohort", back_populates="memberships")
    user = relationship("User", back_populates="memberships")


assignment_checklists = sa.Table(
    "assignment_checklists",
    db.metadata,
    sa.Column("assignment_id", sa.ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("template_id", sa.ForeignKey("checklist_templates.id", ondelete="CASCADE"), primary_key=True),
)


class Assignment(db.Model):
    """A brief students answer with a video."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    brief: Mapped[str] = mapped_column(sa.Text, default="")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_duration_s: Mapped[int] = mapped_column(default=900)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort = relationship("Cohort", back_populates="assignments")
    checklist_templates = relationship("ChecklistTemplate", secondary=assignment_checklists)
