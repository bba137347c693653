"""How a version looks to the people following it: its state, progress, queue position,
reasons, media links and checks, put together as :class:`VersionStatus` for the API and
the version pages alike."""

from __future__ import annotations

import json
from typing import Literal

from flask_babel import lazy_gettext as _l
from pydantic import Field
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job

from ..db_types import utcnow
from ..extensions import db
from ..redis_conn import get_redis
from ..schemas import Reply, Timestamp
from ..submissions.models import ChecksState, Version, VersionState
from .analysis import CHECK_NAMES
from .messages import describe_check, refusal_message
from .routes import media_url

# Failures that are not about the file itself.
PIPELINE_FAILURES = {
    "processing_error": _l("We could not process this video. Upload it again; if it keeps "
                           "happening, tell your workshop lead."),
    "processing_stopped": _l("Processing stopped several times before it could finish. Upload the "
                             "video again, or ask your workshop lead for help."),
    # Set by workshop/consent/deletion.py when consent was withdrawn and the data erased.
    "data_deleted": _l("This video was deleted because consent was withdrawn."),
}


def error_message(version: Version) -> str | None:
    """The reason a version failed, as a sentence in the reader's language."""
    if version.state is not VersionState.FAILED:
        return None
    if version.error_code in PIPELINE_FAILURES:
        return str(PIPELINE_FAILURES[version.error_code])
    params = json.loads(version.error_detail) if version.error_detail else {}
    return refusal_message(version.error_code or "processing_error", params)


def queue_position(version: Version) -> int | None:
    """1 for next in line; None when not waiting in the queue (or Redis cannot say)."""
    if version.state is not VersionState.QUEUED or not version.job_id:
        return None
    try:
        position = Job.fetch(version.job_id, connection=get_redis()).get_position()
    except (NoSuchJobError, RedisError):
        return None
    return position + 1 if position is not None else None


def _typical_processing_s() -> float | None:
    """Mean processing time of the last 20 ready versions, for waiting estimates."""
    rows = db.session.execute(
        db.select(Version.processing_started_at, Version.ready_at)
        .where(Version.state == VersionState.READY, Version.processing_started_at.is_not(None))
        .order_by(Version.ready_at.desc()).limit(20)
    ).all()
    spans = [(ready - started).total_seconds() for started, ready in rows if ready and started]
    return sum(spans) / len(spans) if spans else None


def eta_seconds(version: Version, position: int | None) -> int | None:
    """Seconds until ready: from progress so far while processing, from history while queued."""
    if version.state is VersionState.PROCESSING and version.processing_started_at and version.progress >= 2:
        elapsed = (utcnow() - version.processing_started_at).total_seconds()
        return max(1, round(elapsed * (100 - version.progress) / version.progress))
    if version.state is VersionState.QUEUED:
        typical = _typical_processing_s()
        if typical is not None:
            return round(typical * (position or 1))
    return None


# Shown for each check of a version whose checks have not finished: nobody is told a
# result before it exists.
CHECKS_RUNNING = _l("Being checked. The result appears here when it is done.")
CHECKS_FAILED = _l("Could not be checked automatically. Ask an administrator to run the checks "
                   "again; until then, watch the whole video for flashing and other problems.")


def checks_state(version: Version) -> str | None:
    """``"running"``, ``"complete"`` or ``"failed"`` for a ready version; None before it is ready.

    Queued counts as running: to the reader the checks have started. A ready version
    with no state recorded has nothing outstanding (every path to ready records one).
    """
    if version.state is not VersionState.READY:
        return None
    if version.checks_state in (ChecksState.QUEUED, ChecksState.RUNNING):
        return "running"
    return "failed" if version.checks_state is ChecksState.FAILED else "complete"


class Check(Reply):
    name: str
    status: Literal["pass", "warn", "fail", "running", "failed"] = Field(
        description="`running` or `failed` while the checks have no result")
    detail: str | None

    @classmethod
    def all_of(cls, version: Version) -> list[Check]:
        """The automatic checks as the version page and the API show them: nobody is told
        a result before it exists."""
        state = checks_state(version)
        if state is None:
            return []
        if state == "complete":
            return [cls(name=check["name"], status=check["status"], detail=describe_check(check))
                    for check in (version.checks or [])]
        detail = str(CHECKS_RUNNING if state == "running" else CHECKS_FAILED)
        return [cls(name=name, status=state, detail=detail) for name in CHECK_NAMES]


# A version as ``GET /api/v1/versions/<id>`` answers it and the version pages show it.
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
        position = queue_position(version)
        ready = version.state is VersionState.READY
        return cls(
            id=version.id, submission_id=version.submission_id, number=version.number, state=version.state,
            progress=round(version.progress, 1) if not ready else 100.0,
            queue_position=position,
            eta_s=eta_seconds(version, position),
            error=error_message(version),
            error_code=version.error_code if version.state is VersionState.FAILED else None,
            duration_s=version.duration_s, width=version.width, height=version.height,
            remuxed=version.remuxed if ready else None,
            original_filename=version.original_filename,
            created_at=version.created_at,
            rendition_url=media_url(version, "rendition.mp4") if ready else None,
            poster_url=media_url(version, "poster.jpg") if ready else None,
            storyboard_url=media_url(version, "storyboard.jpg") if ready else None,
            storyboard_vtt_url=media_url(version, "storyboard.vtt") if ready else None,
            checks_state=checks_state(version),
            checks=Check.all_of(version),
        )
