"""Which mentor reviews a submission.

A submission keeps its mentor for every later version (they know the story). A new
one goes to the cohort's mentor with the fewest open reviews — submissions assigned
to them that wait for a verdict — and, among equals, the fewest submissions overall,
then the longest-standing member. Leads can move a submission to another mentor.
When a mentor (or a lead who took on reviews) leaves the cohort, :func:`release`
gives their waiting submissions to the others by the same rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ..audit.service import record
from ..cohorts.models import Membership
from ..db_types import utcnow
from ..errors import Invalid
from ..extensions import db
from ..notifications.service import notify
from ..roles import Role
from ..submissions import lifecycle
from ..submissions.models import Submission, SubmissionState, Version, VersionState

OPEN = (SubmissionState.AWAITING_REVIEW, SubmissionState.IN_REVIEW)


def mentor_loads(cohort_id: int) -> dict[int, tuple[int, int]]:
    """{mentor id: (open reviews, all submissions assigned)} for every mentor of the cohort."""
    mentors = db.session.scalars(
        db.select(Membership.user_id).where(Membership.cohort_id == cohort_id, Membership.role == Role.MENTOR)
        .order_by(Membership.id)).all()
    loads = db.session.execute(
        db.select(Submission.mentor_id, func.count().filter(Submission.state.in_(OPEN)), func.count())
        .where(Submission.cohort_id == cohort_id, Submission.mentor_id.is_not(None))
        .group_by(Submission.mentor_id))
    by_mentor = {mentor_id: (open_, total) for mentor_id, open_, total in loads}
    return {mentor_id: by_mentor.get(mentor_id, (0, 0)) for mentor_id in mentors}


def allocate(submission: Submission) -> int | None:
    """Give the submission a mentor if it has none (or theirs has left the cohort's staff);
    return the mentor's id (None: the cohort has none)."""
    if submission.mentor_id is not None and _is_staff(submission.cohort_id, submission.mentor_id):
        return submission.mentor_id
    submission.mentor_id = None
    loads = mentor_loads(submission.cohort_id)
    if not loads:
        return None
    order = list(loads)  # membership order: the longest-standing first
    mentor_id = min(loads, key=lambda m: (loads[m][0], loads[m][1], order.index(m)))
    submission.mentor_id = mentor_id
    record("review.allocated", target=submission, mentor_id=mentor_id, automatic=True)
    return mentor_id


def _is_staff(cohort_id: int, user_id: int) -> bool:
    return db.session.scalar(db.select(Membership.id).where(
        Membership.cohort_id == cohort_id, Membership.user_id == user_id,
        Membership.role.in_((Role.MENTOR, Role.LEAD))).limit(1)) is not None


def release(cohort_id: int, user_id: int) -> list[tuple[int, int | None]]:
    """Someone left the cohort (their membership is already gone): every unfinished
    submission assigned to them loses them. One waiting for a review goes at once to the
    mentor :func:`allocate` picks, who is told; the others get a mentor with their next
    version. Returns ``(submission id, new mentor id or None)`` for the waiting ones."""
    submissions = db.session.scalars(
        db.select(Submission).where(Submission.cohort_id == cohort_id, Submission.mentor_id == user_id,
                                    Submission.state != SubmissionState.APPROVED)
        .order_by(Submission.id)).all()
    moved = []
    for submission in submissions:
        submission.mentor_id = None
        if submission.state not in OPEN:
            continue
        lifecycle.submission_mentor_left(submission)  # the new mentor has not started it
        db.session.flush()  # so the loads allocate() counts see the submissions moved so far
        mentor_id = allocate(submission)
        moved.append((submission.id, mentor_id))
        version = db.session.scalar(
            db.select(Version).where(Version.submission_id == submission.id, Version.state == VersionState.READY)
            .order_by(Version.number.desc()).limit(1))
        if mentor_id is not None and version is not None:
            notify(mentor_id, "review_needed", link=f"/versions/{version.id}", cohort_id=cohort_id,
                   data={"student": submission.student.name, "version": version.number,
                         "assignment": submission.assignment.title})
    return moved


def reassign(submission: Submission, mentor_id: int, lead) -> None:
    is_mentor = db.session.scalar(db.select(Membership.id).where(
        Membership.cohort_id == submission.cohort_id, Membership.user_id == mentor_id,
        Membership.role == Role.MENTOR))
    if not is_mentor:
        raise Invalid(_l("Choose a mentor of this cohort."), field="mentor_id")
    previous, submission.mentor_id = submission.mentor_id, mentor_id
    record("review.reassigned", target=submission, actor=lead, mentor_id=mentor_id, previous=previous)


def overdue_before(cohort) -> datetime:
    """Versions ready before this moment and still waiting are overdue for the cohort's target."""
    return utcnow() - timedelta(hours=cohort.review_target_hours or 48)
