"""The version a finished upload becomes.

The file is moved into storage as the new version's original (under a key Karya makes,
``versions/<id>/original``) and committed before its processing is queued: the upload
is never lost, and a Redis outage only leaves the version queued for the watchdog.
"""

from __future__ import annotations

import os

from ..audit.service import record
from ..cohorts.models import Assignment
from ..db_types import utcnow
from ..extensions import db
from ..filenames import clean_filename
from ..media.jobs import enqueue_processing
from ..media.storage import get_storage
from ..submissions import lifecycle, service
from ..submissions.models import Version


def original_key(version: Version) -> str:
    return f"versions/{version.id}/original"


def create_version_from_file(*, assignment: Assignment, student_id: int, path: str, filename: str,
                             uploaded_by_id: int | None = None) -> Version:
    """Make the next version of the student's submission from a finished upload at ``path``.

    The file is moved into storage as the version's original before anything else
    can fail, so the upload is never lost; then processing is queued.
    """
    service.check_can_upload(assignment, student_id)
    submission = service.submission_for(assignment, student_id, create=True)
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
