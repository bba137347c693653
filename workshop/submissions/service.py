"""Submissions and versions: creating the next version from a finished upload."""

from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l

from ..audit.service import record
from ..cohorts.models import Assignment
from ..db_types import utcnow
from ..errors import Conflict
from ..extensions import db
from ..uploads.filenames import clean_filename
from . import lifecycle
from .models import Submission, Version


def original_key(version: Version) -> str:
    return f"versions/{version.id}/original"


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


def create_version_from_file(*, assignment: Assignment, student_id: int, path: str, filename: str,
                             uploaded_by_id: int | None = None) -> Version:
    """Make the next version of the student's submission from a finished upload at ``path``.

    The file is moved into storage as the version's original before anything else
    can fail, so the upload is never lost; then processing is queued.
    """
    from ..media.jobs import enqueue_processing
    from ..media.storage import get_storage

    check_can_upload(assignment, student_id)
    submission = submission_for(assignment, student_id, create=True)
    number = (db.session.scalar(
        db.select(db.func.max(Version.number)).where(Version.submission_id == submission.id)) or 0) + 1
    version = lifecycle.new_version(submission_id=submission.id, cohort_id=assignment.cohort_id, number=number,
                                    uploaded_by_id=uploaded_by_id or student_id,
                                    original_filename=clean_filename(filename),
                                    original_size=os.path.getsize(path))
    db.session.add(version)
    db.session.flush()
    version.original_key = original_key(version)
    get_storage().put_file(version.original_key, path)
    submission.updated_at = utcnow()
    record("version.uploaded", target=version, number=number, size=version.original_size)
    db.session.commit()
    enqueue_processing(version)
    return version
