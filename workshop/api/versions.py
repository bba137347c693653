"""Submissions and versions over the API; the version page shows the same status."""

from __future__ import annotations

from typing import Literal

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ..access import requires
from ..cohorts.models import Assignment, Role
from ..errors import NotFound
from ..submissions import presenters, service
from ..submissions.models import SubmissionState, Version, VersionState
from . import bp
from .contract import Answer, Reply, Timestamp, operation


class Check(Reply):
    name: str
    status: Literal["pass", "warn", "fail", "running", "failed"] = Field(
        description="`running` or `failed` while the checks have no result")
    detail: str | None

    @classmethod
    def all_of(cls, version: Version) -> list[Check]:
        """The automatic checks as the version page and the API show them: nobody is told
        a result before it exists."""
        from ..media.analysis import CHECK_NAMES
        from ..media.messages import describe_check

        state = presenters.checks_state(version)
        if state is None:
            return []
        if state == "complete":
            return [cls(name=check["name"], status=check["status"], detail=describe_check(check))
                    for check in (version.checks or [])]
        detail = str(presenters.CHECKS_RUNNING if state == "running" else presenters.CHECKS_FAILED)
        return [cls(name=name, status=state, detail=detail) for name in CHECK_NAMES]


class VersionStatus(Reply):
    id: int
    submission_id: int
    number: int
    state: VersionState
    progress: float = Field(description="Percent; 100 once ready")
    queue_position: int | None = Field(description="1 for next in line; null when not waiting")
    eta_s: int | None = Field(description="Seconds until ready, when there is an estimate")
    error: str | None = Field(description="Why it failed, in the caller's language")
    error_code: str | None
    duration_s: float | None
    width: int | None
    height: int | None
    remuxed: bool | None
    original_filename: str | None
    created_at: Timestamp
    rendition_url: str | None
    poster_url: str | None
    storyboard_url: str | None
    storyboard_vtt_url: str | None
    checks_state: Literal["running", "complete", "failed"] | None = Field(
        description="Approval waits for `complete`; null until the version is ready")
    checks: list[Check]

    @classmethod
    def of(cls, version: Version) -> VersionStatus:
        from ..media.routes import media_url

        position = presenters.queue_position(version)
        ready = version.state is VersionState.READY
        return cls(
            id=version.id, submission_id=version.submission_id, number=version.number, state=version.state,
            progress=round(version.progress, 1) if not ready else 100.0,
            queue_position=position,
            eta_s=presenters.eta_seconds(version, position),
            error=presenters.error_message(version),
            error_code=version.error_code if version.state is VersionState.FAILED else None,
            duration_s=version.duration_s, width=version.width, height=version.height,
            remuxed=version.remuxed if ready else None,
            original_filename=version.original_filename,
            created_at=version.created_at,
            rendition_url=media_url(version, "rendition.mp4") if ready else None,
            poster_url=media_url(version, "poster.jpg") if ready else None,
            storyboard_url=media_url(version, "storyboard.jpg") if ready else None,
            storyboard_vtt_url=media_url(version, "storyboard.vtt") if ready else None,
            checks_state=presenters.checks_state(version),
            checks=Check.all_of(version),
        )


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
                        locked=service.is_locked(submission), updated_at=submission.updated_at,
                        versions=[VersionStatus.of(v) for v in submission.versions])
