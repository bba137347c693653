"""Submissions: finding a student's, whether it takes a new version, announcing a ready one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..cohorts.models import Assignment
from ..errors import Conflict
from ..extensions import db
from ..notifications.service import notify
from . import lifecycle
from .allocation import allocate
from .models import Submission, SubmissionState, Version


def submission_for(assignment: Assignment, student_id: int, *, create: bool = False) -> Submission | None:
    submission = db.session.scalar(
        db.select(Submission).where(Submission.assignment_id == assignment.id,
                                    Submission.student_id == student_id)
    )
    if submission is None and create:
        submission = Submission(assignment_id=assignment.id, cohort_id=assignment.cohort_id,
                                student_id=student_id)
        db.session.add(submission)
        db.session.flush()
    return submission


def check_can_upload(assignment: Assignment, student_id: int) -> None:
    """Raise an ApiError (409) when this student may not add a version now."""
    if assignment.cohort.archived_at is not None:
        raise Conflict(_l("This workshop has ended, so new videos cannot be uploaded. "
                          "Ask your workshop lead if you need to."), code="archived")
    submission = submission_for(assignment, student_id)
    if submission is not None:
        lifecycle.refuse_new_version(submission)


def announce_ready(version: Version) -> None:
    """A version became ready: tell its student, give the submission a mentor (see
    allocation.py) and tell them. Runs in the worker, outside any request, so links
    are plain paths."""
    submission = version.submission
    link = f"/versions/{version.id}"
    data = {"assignment": submission.assignment.title, "version": version.number}
    notify(submission.student_id, "version_ready", data=data, link=link, cohort_id=submission.cohort_id)
    if submission.state is not SubmissionState.AWAITING_REVIEW:
        return
    data = {**data, "student": submission.student.name}
    mentor_id = allocate(submission)  # the same mentor as before, or the least loaded one
    if mentor_id:
        notify(mentor_id, "review_needed", data=data, link=link, cohort_id=submission.cohort_id)
