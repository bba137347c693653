"""Checklists, reviews and comments. (A safeguarding concern is in submissions/models.py:
it locks a submission, which the submission lifecycle decides.)"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, str_enum, utcnow
from ..extensions import db


class Severity(str, enum.Enum):
    MUST = "must"
    SHOULD = "should"


class Verdict(str, enum.Enum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    ESCALATED = "escalated"


class Answer(str, enum.Enum):
    YES = "yes"
    NO = "no"
    NOT_APPLICABLE = "na"


class ChecklistTemplate(db.Model):
    """A checklist. ``cohort_id`` is None for the site-wide defaults leads copy from."""

    __tablename__ = "checklist_templates"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_id: Mapped[str] = mapped_column(sa.String(200))
    copied_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_templates.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items = relationship(
        "ChecklistItem", back_populates="template", order_by="ChecklistItem.position",
        cascade="all, delete-orphan",
    )


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    __table_args__ = (sa.UniqueConstraint("template_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_templates.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(default=0)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity, "severity"))
    text_en: Mapped[str] = mapped_column(sa.Text)
    text_id: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text, default="")

    template = relationship("ChecklistTemplate", back_populates="items")


class Review(db.Model):
    """A mentor's verdict on one version, with an answer per checklist item."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict, "verdict"))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    answers = relationship("ReviewAnswer", back_populates="review", cascade="all, delete-orphan")
    mentor = relationship("User")


class ReviewAnswer(db.Model):
    __tablename__ = "review_answers"
    __table_args__ = (sa.UniqueConstraint("review_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_items.id", ondelete="CASCADE"))
    answer: Mapped[Answer] = mapped_column(str_enum(Answer, "answer"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    review = relationship("Review", back_populates="answers")
    item = relationship("ChecklistItem")


class Comment(db.Model):
    """A comment on a version, optionally pinned to a moment or a range (milliseconds) and threaded.

    ``drawing`` holds the shapes drawn on the paused frame at ``timecode_ms`` (see
    ``review/drawing.py``): vector data in coordinates of 0..1, so it scales with any player.
    """

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    timecode_ms: Mapped[int | None]
    end_ms: Mapped[int | None]
    drawing: Mapped[list | None] = mapped_column(sa.JSON)
    private: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author = relationship("User", foreign_keys=[author_id])
    replies = relationship("Comment", order_by="Comment.created_at")
