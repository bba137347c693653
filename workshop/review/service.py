"""Reviewing versions: the queue, comments, safeguarding concerns (verdicts: verdicts.py).

Every function here takes rows the caller has already authorised (see access.py)
and raises ApiError with a translated message for anything the person must fix.
Callers commit; a notification or audit event is part of the same transaction as
the action that caused it, so neither is kept without the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func

from ..access import is_confirmed
from ..accounts.models import User
from ..audit.service import record
from ..cohorts.models import Assignment, Cohort, Membership
from ..db_types import MAX_ID, possible_id, utcnow
from ..errors import Conflict, Forbidden, Invalid
from ..extensions import db
from ..notifications.service import notify, notify_cohort
from ..roles import Role
from ..submissions import lifecycle
from ..submissions.models import Submission, SubmissionState, Version, VersionState
from ..submissions.models import ConcernState, SafeguardingConcern
from . import drawing as drawing_rules
from .concerns import may_read_concern
from .models import Comment

MAX_COMMENT_CHARS = 5000


# --- the queue ---------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueEntry:
    """One line of the review queue: plain values, read in one query of columns (no ORM objects)."""

    version_id: int
    number: int
    submission_id: int
    state: SubmissionState
    cohort_id: int
    student_id: int
    student_name: str
    assignment_id: int
    assignment_title: str
    mentor_id: int | None
    mentor_name: str | None
    waiting_since: datetime
    overdue: bool = False  # waiting longer than the cohort's review turnaround target


def review_queue(user, *, only: str | None = None, cohort_ids: list[int] | None = None) -> list[QueueEntry]:
    """Versions waiting for a verdict in the cohorts where ``user`` mentors or leads, oldest first.

    Each submission appears once, with its newest ready version. ``only`` is
    ``"mine"`` (assigned to ``user``) or ``"unassigned"``.
    """
    if cohort_ids is None:
        cohort_ids = staff_cohort_ids(user)
    rows = db.session.execute(_queue_statement(only), {"cohort_ids": cohort_ids, "user_id": user.id})
    now = utcnow()
    entries = []
    for (version_id, number, ready_at, created_at, submission_id, state, cohort_id, student_id, student_name,
         assignment_id, title, mentor_id, mentor_name, target_h) in rows:
        since = ready_at or created_at
        entries.append(QueueEntry(version_id, number, submission_id, state, cohort_id, student_id, student_name,
                                  assignment_id, title, mentor_id, mentor_name, since,
                                  (now - since).total_seconds() > (target_h or 48) * 3600))
    return entries


# Built once per filter, with bound parameters (SQLAlchemy's documented reuse of a statement):
# building it and its cache key cost 1-4 ms of CPU on every view, more than running it, and
# SQLAlchemy caches only the compiled SQL (docs/performance.md, "What the pages cost").
@cache
def _queue_statement(only: str | None):
    cohort_ids = bindparam("cohort_ids", expanding=True)
    newest_ready = (db.select(Version.submission_id, func.max(Version.number).label("number"))
                    .where(Version.state == VersionState.READY, Version.cohort_id.in_(cohort_ids))
                    .group_by(Version.submission_id).subquery())
    # Names, title and target looked up by key in subqueries rather than joined: PostgreSQL plans
    # a statement on each use until it is prepared, and the join of seven tables took it 2-6 ms
    # to plan, this 0.5-0.7 (docs/performance.md, "What the pages cost").
    student = db.select(User.name).where(User.id == Submission.student_id).scalar_subquery()
    title = db.select(Assignment.title).where(Assignment.id == Submission.assignment_id).scalar_subquery()
    mentor = db.select(User.name).where(User.id == Submission.mentor_id).scalar_subquery()
    target = db.select(Cohort.review_target_hours).where(Cohort.id == Submission.cohort_id).scalar_subquery()
    query = (db.select(Version.id, Version.number, Version.ready_at, Version.created_at, Submission.id,
                       Submission.state, Submission.cohort_id, Submission.student_id, student,
                       Submission.assignment_id, title, Submission.mentor_id, mentor, target)
             .join(newest_ready, (Version.submission_id == newest_ready.c.submission_id)
                   & (Version.number == newest_ready.c.number))
             .join(Submission, Submission.id == Version.submission_id)
             .where(Submission.cohort_id.in_(cohort_ids),  # lets PostgreSQL use the index
                    Submission.state.in_((SubmissionState.AWAITING_REVIEW, SubmissionState.IN_REVIEW)))
             .order_by(Version.ready_at, Version.id))
    if only == "mine":
        query = query.where(Submission.mentor_id == bindparam("user_id"))
    elif only == "unassigned":
        query = query.where(Submission.mentor_id.is_(None))
    return query


def staff_cohort_ids(user) -> list[int]:
    """Cohorts where ``user`` is a mentor or lead (every cohort for an administrator)."""
    if not is_confirmed(user):  # holds no role until the address is confirmed (access.py)
        return []
    if user.is_admin:
        return list(db.session.scalars(db.select(Cohort.id)))
    return list(db.session.scalars(db.select(Membership.cohort_id).where(
        Membership.user_id == user.id, Membership.role.in_((Role.MENTOR, Role.LEAD)))))


def claim(submission: Submission, mentor) -> None:
    """Assign the submission to ``mentor`` and mark it in review."""
    if not lifecycle.submission_may(submission, "claimed"):
        raise Conflict(_l("This video is not waiting for a review."), code="not_waiting")
    submission.mentor_id = mentor.id
    lifecycle.submission_claimed(submission)
    record("review.claimed", target=submission, actor=mentor)


# --- comments ----------------------------------------------------------------------------

def visible_comments(version_ids: list[int], role: Role) -> list[Comment]:
    """Comments on these versions that ``role`` may read (students never see private ones), in order."""
    query = (db.select(Comment).where(Comment.version_id.in_(version_ids))
             .options(db.joinedload(Comment.author))
             .order_by(Comment.created_at, Comment.id))
    if role is Role.STUDENT:
        query = query.where(Comment.private.is_(False))
    return list(db.session.scalars(query))


def threads(comments: list[Comment]) -> list[tuple[Comment, list[Comment]]]:
    """Top-level comments (by time in the video, then posting order) with their replies."""
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    roots = [c for c in comments if c.parent_id is None]
    roots.sort(key=lambda c: (c.timecode_ms is None, c.timecode_ms or 0, c.created_at, c.id))
    return [(root, replies.get(root.id, [])) for root in roots]


def add_comment(version: Version, author, role: Role, *, body: str, timecode_ms: int | None = None,
                end_ms: int | None = None, drawing: list | None = None, parent_id: int | None = None,
                private: bool = False) -> Comment:
    """A comment pinned to a moment (``timecode_ms``) or a range (to ``end_ms``), with the
    shapes drawn on that frame if any; or a reply, which belongs to its thread's moment."""
    body = (body or "").strip()
    if not body:
        raise Invalid(_l("Write something first."), field="body")
    if len(body) > MAX_COMMENT_CHARS:
        raise Invalid(_l("A comment can be at most %(n)d characters.", n=MAX_COMMENT_CHARS), field="body")
    if private and role is Role.STUDENT:
        raise Forbidden(_l("Only mentors and leads can write private notes."), field="private")
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id) if possible_id(parent_id) else None
        if parent is None or parent.version_id != version.id or (parent.private and role is Role.STUDENT):
            raise Invalid(_l("The comment you are replying to is not on this version."), field="parent_id")
        if drawing:
            raise Invalid(_l("A reply cannot carry a drawing: draw in a new comment."), field="drawing")
        parent = _root(parent)
        private = parent.private  # a reply to a private note is private too
        timecode_ms = end_ms = None  # a reply belongs to its thread's moment
    duration_ms = int((version.duration_s or 0) * 1000)
    if timecode_ms is not None and not _within_video(timecode_ms, duration_ms):
        raise Invalid(_l("The time must be within the video."), field="timecode_ms")
    if end_ms is not None:
        if timecode_ms is None:
            raise Invalid(_l("A range needs its start: set the in point first."), field="end_ms")
        if not _within_video(end_ms, duration_ms):
            raise Invalid(_l("The end of the range must be within the video."), field="end_ms")
        if end_ms <= timecode_ms:
            raise Invalid(_l("The end of the range must come after its start."), field="end_ms")
    shapes = drawing_rules.cleaned(drawing)
    if shapes and timecode_ms is None:
        raise Invalid(_l("A drawing needs the moment of the video it was drawn on."), field="drawing")
    comment = Comment(version_id=version.id, cohort_id=version.cohort_id, author_id=author.id,
                      parent_id=parent.id if parent else None, body=body, timecode_ms=timecode_ms,
                      end_ms=end_ms, drawing=shapes, private=private)
    db.session.add(comment)
    db.session.flush()
    if parent is not None:
        _notify_thread(parent, comment, author)
    return comment


def _within_video(ms, duration_ms: int) -> bool:
    """Whether ``ms`` is a moment of the video (a second of slack past its probed length)."""
    return (isinstance(ms, int) and not isinstance(ms, bool) and 0 <= ms <= MAX_ID
            and not (duration_ms and ms > duration_ms + 1000))


def _root(comment: Comment) -> Comment:
    while comment.parent_id is not None:
        comment = db.session.get(Comment, comment.parent_id)
    return comment


def _notify_thread(root: Comment, reply: Comment, author) -> None:
    """Everyone who wrote in the thread hears of a reply, except its author."""
    participants = {root.author_id} | set(db.session.scalars(
        db.select(Comment.author_id).where(Comment.parent_id == root.id)))
    participants.discard(author.id)
    participants.discard(None)
    version = db.session.get(Version, root.version_id)
    link = f"/versions/{version.id}#comment-{root.id}"
    for user_id in sorted(participants):
        notify(user_id, "reply", data={"name": author.name, "assignment": version.submission.assignment.title},
               link=link, cohort_id=version.cohort_id)


def set_resolved(comment: Comment, user, resolved: bool) -> None:
    if comment.parent_id is not None:
        raise Invalid(_l("Resolve the whole thread, not a reply."))
    comment.resolved_at = utcnow() if resolved else None
    comment.resolved_by_id = user.id if resolved else None


# --- safeguarding ------------------------------------------------------------------------

def raise_concern(submission: Submission, version: Version | None, mentor, summary: str) -> SafeguardingConcern:
    """Open a concern holding ``summary`` (the only place its text is kept) and tell the cohort's leads."""
    concern = SafeguardingConcern(cohort_id=submission.cohort_id, submission_id=submission.id,
                                  version_id=version.id if version else None, raised_by_id=mentor.id,
                                  summary=summary)
    db.session.add(concern)
    db.session.flush()
    record("concern.raised", target=concern, actor=mentor, submission_id=submission.id)
    # Only the cohort's name travels in the notification (and its email): the rest is for leads' eyes in Karya.
    notify_cohort(submission.cohort_id, Role.LEAD, "concern", data={"cohort": submission.assignment.cohort.name},
                  link=f"/concerns/{concern.id}")
    return concern


def resolve_concern(concern: SafeguardingConcern, lead, *, resolution: str) -> None:
    """Close a concern; the submission goes back to the student for a new version."""
    if concern.state is ConcernState.RESOLVED:
        raise Conflict(_l("This concern is already resolved."), code="already_resolved")
    resolution = (resolution or "").strip()
    if not resolution:
        raise Invalid(_l("Write down what was decided."), field="resolution")
    submission = db.session.get(Submission, concern.submission_id)
    lifecycle.concern_resolved(concern, submission)
    concern.resolution, concern.resolved_by_id, concern.resolved_at = resolution, lead.id, utcnow()
    record("concern.resolved", target=concern, actor=lead, submission_id=submission.id)
    if concern.raised_by_id is not None and concern.raised_by_id != lead.id:
        # The mentor who raised it follows it; the notification says only that it is resolved.
        notify(concern.raised_by_id, "concern_resolved", data={"cohort": submission.assignment.cohort.name},
               link=f"/concerns/{concern.id}", cohort_id=concern.cohort_id)


def concern_for_version(version: Version, user, role: Role) -> SafeguardingConcern | None:
    """The newest concern about ``version`` that ``user`` may read, if any (for a link to it)."""
    if not role.at_least(Role.MENTOR):
        return None
    concerns = db.session.scalars(db.select(SafeguardingConcern).where(
        SafeguardingConcern.version_id == version.id).order_by(SafeguardingConcern.created_at.desc(),
                                                                SafeguardingConcern.id.desc())).all()
    return next((c for c in concerns if may_read_concern(c, user, role)), None)
