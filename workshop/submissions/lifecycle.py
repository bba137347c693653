"""Where submissions, versions and safeguarding concerns change state.

This module is the only one that writes ``Submission.state``, ``Version.state``,
``Version.checks_state`` and ``SafeguardingConcern.state``
(tests/test_submission_lifecycle.py reads the source to keep it so). Each table
below lists the moves of one column, written once; every function moves rows along
one of them, and none moves a row that is not in one of the move's sources.

A claim is a conditional ``UPDATE``: it changes the row only while the row is still
as the claimer saw it, and the row count says whether this caller won. Two copies of
a job, or a job and the watchdog, may race for one version; the database decides.
The functions that commit say so; the others leave the commit to their caller, so that
a change and what it causes (a notification, an audit event) are kept together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, update
from sqlalchemy.orm import InstrumentedAttribute

from ..db_types import utcnow
from ..errors import Conflict
from ..extensions import db
from .models import ConcernState, SafeguardingConcern
from .models import ChecksState, Submission, SubmissionState, Version, VersionState


@dataclass(frozen=True)
class Move:
    """From any of ``sources`` (None: whatever the row's state is) to ``target``."""

    sources: frozenset | None
    target: object


def _from_to(sources, target) -> Move:
    return Move(None if sources is None else frozenset(sources), target)


ANY = None
S, V, C = SubmissionState, VersionState, ChecksState

# Waiting for a mentor's verdict: the states a verdict may be given in.
REVIEWABLE = frozenset({S.AWAITING_REVIEW, S.IN_REVIEW, S.CHANGES_REQUESTED})
# In a mentor's queue.
WAITING_FOR_MENTOR = frozenset({S.AWAITING_REVIEW, S.IN_REVIEW})
# A verdict its mentor may still change (until the student uploads again). An escalation is
# not among them: once raised, a concern is the lead's to resolve, never taken back.
REVISABLE = frozenset({S.APPROVED, S.CHANGES_REQUESTED})

SUBMISSION = {
    # A ready version puts a draft, or one waiting for changes, in front of mentors;
    # one already waiting or being reviewed stays where it is.
    "version_ready": _from_to({S.DRAFT, S.CHANGES_REQUESTED}, S.AWAITING_REVIEW),
    "claimed": _from_to(WAITING_FOR_MENTOR, S.IN_REVIEW),
    # The verdicts, named as Verdict's values.
    "approved": _from_to(REVIEWABLE, S.APPROVED),
    "changes_requested": _from_to(REVIEWABLE, S.CHANGES_REQUESTED),
    "escalated": _from_to(REVIEWABLE, S.ESCALATED),
    # Its mentor changed their verdict, named ``revised_`` and Verdict's value.
    "revised_approved": _from_to(REVISABLE, S.APPROVED),
    "revised_changes_requested": _from_to(REVISABLE, S.CHANGES_REQUESTED),
    "revised_escalated": _from_to(REVISABLE, S.ESCALATED),
    # Its mentor left the cohort: the next one has not started it.
    "mentor_left": _from_to(WAITING_FOR_MENTOR, S.AWAITING_REVIEW),
    # A lead resolved the safeguarding concern: back to the student for a new version.
    "concern_resolved": _from_to({S.ESCALATED}, S.CHANGES_REQUESTED),
}

VERSION = {
    "uploaded": _from_to(ANY, V.QUEUED),  # made from a finished upload: a new row
    # A processing version is claimed again only when its heartbeat went stale (its worker
    # died) or when it is this same RQ job's, retried after its work horse died.
    "claimed": _from_to({V.QUEUED, V.PROCESSING}, V.PROCESSING),
    # By the job holding the claim, once the outputs are stored.
    "ready": _from_to(ANY, V.READY),
    # The job failed and RQ will run it again, or it failed for good (a refused file, or
    # no retries left): written by the job that held the claim, whatever happened since.
    "retrying": _from_to(ANY, V.QUEUED),
    "failed": _from_to(ANY, V.FAILED),
    # The watchdog, on a stale heartbeat: requeued, or failed after MEDIA_MAX_ATTEMPTS.
    "stalled": _from_to({V.PROCESSING}, V.QUEUED),
    "stopped": _from_to({V.PROCESSING}, V.FAILED),
    # ``flask karya requeue``: processed again from the original, whatever happened.
    "requeued": _from_to(ANY, V.QUEUED),
    # Consent withdrawn: what no worker has started will never be processed, and every
    # version's data is erased.
    "withdrawn": _from_to({V.UPLOADING, V.QUEUED}, V.FAILED),
    "erased": _from_to(ANY, V.FAILED),
}

CHECKS = {
    # With the version becoming ready: checked in the same run, or still to be checked.
    "ready_checked": _from_to(ANY, C.COMPLETE),
    "ready_unchecked": _from_to(ANY, C.QUEUED),
    # Running checks are claimed again only on a stale heartbeat or by the same RQ job.
    "claimed": _from_to({C.QUEUED, C.RUNNING}, C.RUNNING),
    "complete": _from_to({C.RUNNING}, C.COMPLETE),
    "retrying": _from_to({C.RUNNING}, C.QUEUED),
    "failed": _from_to({C.QUEUED, C.RUNNING}, C.FAILED),
    # The watchdog, on a stale heartbeat.
    "stalled": _from_to({C.RUNNING}, C.QUEUED),
    "stopped": _from_to({C.RUNNING}, C.FAILED),
    # ``flask karya requeue`` on a ready version whose checks failed: run them again.
    "rerun": _from_to({C.FAILED}, C.QUEUED),
    # The version is processed again: its checks are decided when it is ready again.
    "reset": _from_to(ANY, None),
}

CONCERN = {
    "resolved": _from_to({ConcernState.OPEN}, ConcernState.RESOLVED),
}


def _allows(move: Move, state) -> bool:
    return move.sources is None or state in move.sources


def _update_state(event: str, *where, **values) -> int:
    """One conditional UPDATE of versions along ``VERSION[event]``; the number of rows moved."""
    move = VERSION[event]
    if move.sources is not None:
        where = (Version.state.in_(move.sources), *where)
    return db.session.execute(update(Version).where(*where).values(state=move.target, **values)).rowcount


def _update_checks(event: str, *where, **values) -> int:
    """One conditional UPDATE of versions' checks along ``CHECKS[event]``; the number of rows moved."""
    move = CHECKS[event]
    if move.sources is not None:
        where = (Version.checks_state.in_(move.sources), *where)
    return db.session.execute(update(Version).where(*where).values(checks_state=move.target, **values)).rowcount


def _move_submission(submission: Submission, event: str) -> None:
    """Move the submission along ``SUBMISSION[event]`` if it is in one of its sources."""
    move = SUBMISSION[event]
    if _allows(move, submission.state):
        submission.state = move.target


@dataclass(frozen=True)
class Claimable:
    """The columns of a version through which one kind of job holds it: its processing, or its checks."""

    update: Callable[..., int]  # _update_state or _update_checks
    state: InstrumentedAttribute
    queued: object
    running: object
    job_id: InstrumentedAttribute
    attempts: InstrumentedAttribute
    heartbeat_at: InstrumentedAttribute


PROCESSING = Claimable(_update_state, Version.state, V.QUEUED, V.PROCESSING,
                       Version.job_id, Version.attempts, Version.heartbeat_at)
CHECKING = Claimable(_update_checks, Version.checks_state, C.QUEUED, C.RUNNING,
                     Version.checks_job_id, Version.checks_attempts, Version.checks_heartbeat_at)


def _claim(work: Claimable, version_id: int, job_id: str | None, stale_after_s: int, now, *where, **values) -> bool:
    """The ``claimed`` move of ``work`` for ``job_id``, while the version is queued, or running
    with a heartbeat gone stale (its worker died) or under this same job; commits. True if won."""
    stale = now - timedelta(seconds=stale_after_s)
    claimable = or_(
        work.state == work.queued,
        and_(work.state == work.running,
             or_(work.heartbeat_at.is_(None), work.heartbeat_at < stale,
                 work.job_id == job_id)),  # RQ retrying this same job after its horse died
    )
    moved = work.update("claimed", Version.id == version_id, *where, claimable,
                        **{work.job_id.key: job_id, work.attempts.key: work.attempts + 1,
                           work.heartbeat_at.key: now}, **values)
    db.session.commit()
    return moved == 1


# --- submissions ---------------------------------------------------------------------------

def submission_may(submission: Submission, event: str) -> bool:
    """Whether ``event`` (a key of :data:`SUBMISSION`) may happen to the submission now."""
    return _allows(SUBMISSION[event], submission.state)


def submission_claimed(submission: Submission) -> None:
    """A mentor took the submission on (the caller checked :func:`submission_may` first)."""
    _move_submission(submission, "claimed")


def submission_reviewed(submission: Submission, verdict: str) -> None:
    """A verdict (``approved``, ``changes_requested`` or ``escalated``) moves the submission."""
    _move_submission(submission, verdict)


def submission_review_revised(submission: Submission, verdict: str) -> None:
    """Its mentor changed the verdict to ``verdict`` (the caller checked :func:`submission_may`
    with ``revised_<verdict>`` first)."""
    _move_submission(submission, f"revised_{verdict}")


def submission_mentor_left(submission: Submission) -> None:
    _move_submission(submission, "mentor_left")


def is_locked(submission: Submission) -> bool:
    """A submission with an open safeguarding concern takes no new versions."""
    return db.session.scalar(
        db.select(SafeguardingConcern.id).where(SafeguardingConcern.submission_id == submission.id,
                                                SafeguardingConcern.state == ConcernState.OPEN).limit(1)
    ) is not None


def refuse_new_version(submission: Submission) -> None:
    """Raise a Conflict (409) when the submission takes no new version: locked by an open
    concern, or approved already."""
    if is_locked(submission):
        raise Conflict(_l(
            "This submission is paused while your workshop lead looks at it. "
            "You can upload again once they have finished."), code="submission_locked")
    if submission.state is SubmissionState.APPROVED:
        raise Conflict(_l("This video is already approved. Well done!"), code="submission_approved")


def concern_resolved(concern: SafeguardingConcern, submission: Submission) -> None:
    """Close the concern, unlocking its submission, which goes back to the student."""
    if _allows(CONCERN["resolved"], concern.state):
        concern.state = CONCERN["resolved"].target
    _move_submission(submission, "concern_resolved")


# --- versions --------------------------------------------------------------------------------

def new_version(**fields) -> Version:
    """The next version of a submission, queued for processing (the caller adds it and its file)."""
    return Version(state=VERSION["uploaded"].target, queued_at=utcnow(), **fields)


def claim_processing(version_id: int, job_id: str | None, stale_after_s: int) -> bool:
    """Atomically move the version to ``processing`` if nobody else is working on it; commits."""
    now = utcnow()
    return _claim(PROCESSING, version_id, job_id, stale_after_s, now, processing_started_at=now,
                  progress=0.0, error_code=None, error_detail=None)


def version_ready(version: Version, *, checked: bool) -> None:
    """The version is playable (its outputs are set); its checks are complete when ``checked``,
    else queued for the checks job. Its submission moves on. The caller commits."""
    version.checks_state = CHECKS["ready_checked" if checked else "ready_unchecked"].target
    version.checks_job_id, version.checks_attempts, version.checks_heartbeat_at = None, 0, None
    version.checks_queued_at = None if checked else utcnow()
    version.progress = 100.0
    version.state = VERSION["ready"].target
    version.ready_at = utcnow()
    submission = version.submission
    _move_submission(submission, "version_ready")
    submission.updated_at = utcnow()


def processing_retrying(version_id: int) -> None:
    """Back to the queue: RQ runs the job again after its retry interval. Commits."""
    _update_state("retrying", Version.id == version_id, queued_at=utcnow(), progress=0.0)
    db.session.commit()


def processing_failed(version_id: int, code: str, detail: str) -> None:
    """Failed for good, with the reason's code and its parameters (JSON). Commits."""
    _update_state("failed", Version.id == version_id, error_code=code, error_detail=detail)
    db.session.commit()


def processing_stalled(version_id: int, seen_heartbeat, now) -> bool:
    """The watchdog requeues a version whose heartbeat it saw go stale, if still so. Commits."""
    moved = _update_state("stalled", Version.id == version_id,
                          Version.heartbeat_at == seen_heartbeat, job_id=None, queued_at=now, progress=0.0)
    db.session.commit()
    return moved == 1


def processing_stopped(version_id: int, seen_heartbeat) -> bool:
    """The watchdog gives up on a version that stalled too often, if still as it saw it. Commits."""
    moved = _update_state("stopped", Version.id == version_id,
                          Version.heartbeat_at == seen_heartbeat, error_code="processing_stopped", error_detail="{}")
    db.session.commit()
    return moved == 1


def version_requeued(version: Version) -> None:
    """Processed again from its original, attempts counted afresh (the caller commits)."""
    version.state = VERSION["requeued"].target
    version.attempts, version.progress = 0, 0.0
    version.error_code = version.error_detail = None
    version.job_id, version.queued_at = None, utcnow()
    version.checks_state = CHECKS["reset"].target  # decided again when it is ready


def versions_withdrawn(version_ids: list[int], error_code: str) -> None:
    """Those of the versions that no worker has started fail with ``error_code`` (the caller commits)."""
    _update_state("withdrawn", Version.id.in_(version_ids),
                  error_code=error_code, error_detail=None)


def versions_erased(version_ids: list[int], error_code: str) -> None:
    """The versions' data is gone: they fail with ``error_code`` (the caller commits)."""
    _update_state("erased", Version.id.in_(version_ids), error_code=error_code, error_detail=None)


# --- a ready version's checks ----------------------------------------------------------------

def claim_checks(version_id: int, job_id: str | None, stale_after_s: int) -> bool:
    """Atomically move a ready version's checks to ``running`` if nobody else is running them; commits."""
    return _claim(CHECKING, version_id, job_id, stale_after_s, utcnow(), Version.state == VersionState.READY)


def checks_complete(version_id: int, job_id: str | None, checks: list) -> bool:
    """Record the checks, only while this job still holds the claim (a version processed
    again meanwhile has checks of its own coming). Commits; False if the result was dropped."""
    same_job = Version.checks_job_id.is_(None) if job_id is None else Version.checks_job_id == job_id
    moved = _update_checks("complete", Version.id == version_id,
                           Version.state == VersionState.READY, same_job, checks=checks, checks_heartbeat_at=utcnow())
    db.session.commit()
    return moved == 1


def checks_retrying(version_id: int) -> None:
    """Back to the queue for RQ's retry. Commits."""
    _update_checks("retrying", Version.id == version_id, checks_queued_at=utcnow())
    db.session.commit()


def checks_failed(version_id: int) -> None:
    """The checks could not be run: the version stays playable and cannot be approved until
    they are run again (``flask karya requeue``). Commits."""
    _update_checks("failed", Version.id == version_id)
    db.session.commit()


def checks_stalled(version_id: int, seen_heartbeat, now) -> bool:
    """The watchdog requeues checks whose heartbeat it saw go stale, if still so. Commits."""
    moved = _update_checks("stalled", Version.id == version_id,
                           Version.checks_heartbeat_at == seen_heartbeat, checks_job_id=None, checks_queued_at=now)
    db.session.commit()
    return moved == 1


def checks_stopped(version_id: int, seen_heartbeat) -> bool:
    """The watchdog gives up on checks that stalled too often, if still as it saw them. Commits."""
    moved = _update_checks("stopped", Version.id == version_id,
                           Version.checks_heartbeat_at == seen_heartbeat)
    db.session.commit()
    return moved == 1


def checks_rerun(version_id: int) -> bool:
    """Queue failed checks again, attempts counted afresh. Commits."""
    moved = _update_checks("rerun", Version.id == version_id, checks_attempts=0,
                           checks_job_id=None, checks_queued_at=utcnow())
    db.session.commit()
    return moved == 1
