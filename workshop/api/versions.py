"""Submissions and versions over the API; the version page shows the same status."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ..access import requires
from ..cohorts.models import Assignment
from ..errors import NotFound
from ..media.presenters import VersionStatus
from ..roles import Role
from ..submissions import lifecycle, service
from ..submissions.models import SubmissionState, Version
from . import bp
from .contract import Answer, Reply, Timestamp, operation


class MySubmission(Reply):
    id: int
    assignment_id: int
    state: SubmissionState
    locked: bool = Field(description="Review has paused uploads for now")
    updated_at: Timestamp | None
    versions: list[VersionStatus] = Field(description="Oldest first")


@bp.get("/versions/<int:version_id>")
@requires(Role.STUDENT, Version)
@operation("A version: state, progress, queue position, ETA, error, media URLs, checks", tag="submissions",
           answers={200: Answer("The version", VersionStatus)})
def version_detail(version: Version):
    """Media is served at the URLs given, to signed-in people who may see the version, with
    HTTP Range support."""
    return VersionStatus.of(version)


@bp.get("/assignments/<int:assignment_id>/submission")
@requires(Role.STUDENT, Assignment)
@operation("The caller's own submission for this assignment, versions oldest first", tag="submissions",
           answers={200: Answer("The submission", MySubmission)})
def my_submission(assignment: Assignment):
    submission = service.submission_for(assignment, current_user.id)
    if submission is None:
        raise NotFound(_("You have not uploaded anything for this assignment yet."))
    return MySubmission(id=submission.id, assignment_id=assignment.id, state=submission.state,
                        locked=lifecycle.is_locked(submission), updated_at=submission.updated_at,
                        versions=[VersionStatus.of(v) for v in submission.versions])
