"""Reviewing versions: the queue, comments, verdicts, safeguarding concerns.

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
from ..submissions.models import ChecksState, Submission, SubmissionState, Version, VersionState
from ..submissions.models import ConcernState, SafeguardingConcern
from . import checklists
from . import drawing as drawing_rules
from .concerns import may_read_concern
from .models import Answer, Comment, Review, ReviewAnswer, Severity, Verdict

MAX_COMMENT_CHARS = 5000
MAX_SUMMARY_CHARS = 5000


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


# --- verdicts ----------------------------------------------------------------------------

def submit_review(version: Version, mentor, *, verdict: str, summary: str, answers: list[dict]) -> Review:
    """Record a mentor's verdict with their checklist answers; see the module docstring for errors."""
    submission = version.submission
    try:
        verdict = Verdict(verdict)
    except ValueError:
        raise Invalid(_l("Choose a verdict: approved, changes requested or escalate."),
                      field="verdict") from None
    if version.state is not VersionState.READY:
        raise Conflict(_l("This version is not ready to review yet."), code="not_ready")
    newest = db.session.scalar(db.select(func.max(Version.number)).where(
        Version.submission_id == submission.id, Version.state == VersionState.READY))
    if version.number != newest:
        raise Conflict(_l("A newer version has been uploaded. Review that one instead."),
                       code="newer_version")
    if not lifecycle.submission_may(submission, verdict.value):
        raise Conflict(_l("This submission cannot be reviewed now (it is %(state)s).",
                          state=submission.state.value.replace("_", " ")), code="not_reviewable")
    summary = (summary or "").strip()
    if len(summary) > MAX_SUMMARY_CHARS:
        raise Invalid(_l("The summary is too long."), field="summary")
    if verdict is not Verdict.APPROVED and not summary:
        raise Invalid(_l("Write a summary so the student (or the lead) knows what to do."), field="summary")

    if verdict is Verdict.APPROVED:
        _refuse_approval_before_checks(version)

    items = {item.id: item for item in checklists.items_for(submission.assignment)}
    given = _parse_answers(answers, items)
    if verdict is Verdict.APPROVED:
        missing = [item for item in items.values() if item.severity is Severity.MUST
                   and given.get(item.id, (None,))[0] not in (Answer.YES, Answer.NOT_APPLICABLE)]
        if missing:
            raise Invalid(_l(
                "To approve, every 'must' item needs the answer yes or not applicable."),
                missing=[{"item_id": item.id, "key": item.key,
                          "text": checklists.localized(item.text_en, item.text_id)} for item in missing],
                code="must_items_missing")

    # An escalation's summary is the safeguarding concern itself: it lives only in the
    # concern (leads and the mentor who raised it), never in the review row that the
    # student's export, the version page and the API show.
    review = Review(version_id=version.id, cohort_id=version.cohort_id, mentor_id=mentor.id, verdict=verdict,
                    summary="" if verdict is Verdict.ESCALATED else summary,
                    answers=[ReviewAnswer(item_id=item_id, answer=answer, note=note)
                             for item_id, (answer, note) in given.items()])
    db.session.add(review)
    if submission.mentor_id is None:
        submission.mentor_id = mentor.id
    submission.updated_at = utcnow()
    db.session.flush()
    record("review.submitted", target=review, actor=mentor, version_id=version.id, verdict=verdict.value)
    link = f"/versions/{version.id}"
    lifecycle.submission_reviewed(submission, verdict.value)
    if verdict is Verdict.ESCALATED:
        raise_concern(submission, version, mentor, summary)
    else:
        notify(submission.student_id, "verdict", data={"verdict": verdict.value, "version": version.number,
                                                       "assignment": submission.assignment.title}, link=link,
               cohort_id=submission.cohort_id)
    return review


def _refuse_approval_before_checks(version: Version) -> None:
    """Approval waits for the automatic checks (flashing is a safety check, WCAG 2.3.1).
    Asking for changes and escalating never wait: a mentor must always be able to act."""
    if version.checks_state in (ChecksState.QUEUED, ChecksState.RUNNING):
        raise Conflict(_l(
            "The automatic checks (sound, black or frozen picture, flashing) are still running. You can "
            "approve once they are done, usually within a few minutes. You can already comment, ask for "
            "changes or escalate."), code="checks_running")
    if version.checks_state is ChecksState.FAILED:
        raise Conflict(_l(
            "The automatic checks could not be completed, so this version cannot be approved yet. Ask an "
            "administrator to run them again. You can still comment, ask for changes or escalate."),
            code="checks_failed")


def _parse_answers(answers, items: dict) -> dict[int, tuple[Answer, str]]:
    if answers is None:
        return {}
    if not isinstance(answers, list):
        raise Invalid(_l("'answers' must be a list."), field="answers")
    given: dict[int, tuple[Answer, str]] = {}
    for entry in answers:
        if not isinstance(entry, dict):
            raise Invalid(_l("Each answer must be an object."), field="answers")
        item_id, note = entry.get("item_id"), entry.get("note") or ""
        if not isinstance(item_id, int) or item_id not in items:
            raise Invalid(_l("An answer names a checklist item this assignment does not use."),
                          field="answers", item_id=item_id)
        if item_id in given:
            raise Invalid(_l("An item is answered twice."), field="answers", item_id=item_id)
        try:
            answer = Answer(entry.get("answer"))
        except ValueError:
            raise Invalid(_l("Answer each item with yes, no or not applicable."),
                          field="answers", item_id=item_id) from None
        if not isinstance(note, str) or len(note) > MAX_COMMENT_CHARS:
            raise Invalid(_l("A note is too long."), field="answers", item_id=item_id)
        given[item_id] = (answer, note.strip())
    return given


def latest_review(version: Version) -> Review | None:
    return db.session.scalar(db.select(Review).where(Review.version_id == version.id)
                             .order_by(Review.created_at.desc(), Review.id.desc()).limit(1))


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
