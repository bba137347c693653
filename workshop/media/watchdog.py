"""Finding versions whose processing was lost, and putting them back to work.

Every worker runs :func:`recover_stuck_versions` every ``MEDIA_WATCHDOG_EVERY_S``
seconds (see ``worker.py``). Updates are conditional on the state the watchdog
saw, so when several workers look at once only one acts on each version.

* ``processing`` with a stale heartbeat: its worker died (SIGKILL, OOM, a lost
  machine). Requeued, or failed with a reason after ``MEDIA_MAX_ATTEMPTS``.
* ``queued`` with no live RQ job: the enqueue never reached Redis, or Redis lost
  it (restarted without persistence). Enqueued again.

The checks job of a remuxed version (:mod:`checks_job`) is watched the same way,
on its own columns: :func:`recover_stuck_checks`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from ..db_types import utcnow
from ..extensions import db
from ..redis_conn import get_redis
from ..submissions import lifecycle
from ..submissions.models import ChecksState, Version, VersionState
from .checks_job import enqueue_checks
from .jobs import enqueue_processing

log = logging.getLogger("karya.media.watchdog")

# A version queued less than this long ago may simply not have reached Redis yet.
QUEUED_GRACE = timedelta(seconds=30)
_LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def recover_stuck_versions(now=None) -> dict[str, list[int]]:
    """Requeue or fail versions whose processing, or checks, were lost. Returns the ids acted on
    (the checks' under ``checks_requeued``, ``checks_failed`` and ``checks_reenqueued``)."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=current_app.config["MEDIA_STALE_AFTER_S"])
    max_attempts = current_app.config["MEDIA_MAX_ATTEMPTS"]
    done = {"requeued": [], "failed": [], "reenqueued": []}

    stale = db.session.execute(
        db.select(Version.id, Version.attempts, Version.heartbeat_at).where(
            Version.state == VersionState.PROCESSING, Version.heartbeat_at < stale_before)
    ).all()
    for version_id, attempts, heartbeat_at in stale:
        if attempts >= max_attempts:
            if lifecycle.processing_stopped(version_id, heartbeat_at):
                done["failed"].append(version_id)
        elif lifecycle.processing_stalled(version_id, heartbeat_at, now):
            done["requeued"].append(version_id)
            enqueue_processing(db.session.get(Version, version_id))

    queued = db.session.execute(
        db.select(Version.id, Version.job_id).where(
            Version.state == VersionState.QUEUED, Version.queued_at < now - QUEUED_GRACE)
    ).all()
    for version_id, job_id in queued:
        try:
            if _job_is_live(job_id):
                continue
        except RedisError:
            log.warning("watchdog: Redis unavailable; will look at queued versions again later")
            break
        enqueue_processing(db.session.get(Version, version_id))
        done["reenqueued"].append(version_id)

    done.update({f"checks_{key}": ids for key, ids in recover_stuck_checks(now).items()})
    if any(done.values()):
        log.warning("watchdog recovered versions: %s", done)
    return done


def recover_stuck_checks(now=None) -> dict[str, list[int]]:
    """Requeue or fail the checks of ready versions whose checks job was lost; the version
    itself stays ready and playable. Returns the ids acted on."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=current_app.config["MEDIA_STALE_AFTER_S"])
    max_attempts = current_app.config["MEDIA_MAX_ATTEMPTS"]
    done = {"requeued": [], "failed": [], "reenqueued": []}
    ready = Version.state == VersionState.READY

    stale = db.session.execute(
        db.select(Version.id, Version.checks_attempts, Version.checks_heartbeat_at).where(
            ready, Version.checks_state == ChecksState.RUNNING, Version.checks_heartbeat_at < stale_before)
    ).all()
    for version_id, attempts, heartbeat_at in stale:
        if attempts >= max_attempts:
            if lifecycle.checks_stopped(version_id, heartbeat_at):
                done["failed"].append(version_id)
        elif lifecycle.checks_stalled(version_id, heartbeat_at, now):
            done["requeued"].append(version_id)
            enqueue_checks(version_id)

    # Never enqueued (NULL: Redis was down, or queued by the migration) or enqueued long enough
    # ago that RQ should have it.
    queued = db.session.execute(
        db.select(Version.id, Version.checks_job_id).where(
            ready, Version.checks_state == ChecksState.QUEUED,
            Version.checks_queued_at.is_(None) | (Version.checks_queued_at < now - QUEUED_GRACE))
    ).all()
    for version_id, job_id in queued:
        try:
            if _job_is_live(job_id):
                continue
        except RedisError:
            log.warning("watchdog: Redis unavailable; will look at queued checks again later")
            break
        enqueue_checks(version_id)
        done["reenqueued"].append(version_id)
    return done


def _job_is_live(job_id: str | None) -> bool:
    if not job_id:
        return False
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in _LIVE


def requeue(version_ids: list[int] | None = None) -> list[int]:
    """Reprocess the given versions, or every failed or stuck one; attempts start again.

    A ready version whose checks failed is checked again rather than processed again:
    it stays playable meanwhile."""
    query = db.select(Version)
    if version_ids:
        query = query.where(Version.id.in_(version_ids))
    else:
        stale_before = utcnow() - timedelta(seconds=current_app.config["MEDIA_STALE_AFTER_S"])
        query = query.where(
            (Version.state == VersionState.FAILED)
            | ((Version.state == VersionState.PROCESSING) & (Version.heartbeat_at < stale_before))
        )
    requeued = _requeue_failed_checks(version_ids)
    for version in db.session.scalars(query).all():
        if version.original_key is None or version.id in requeued:
            continue  # never finished uploading (nothing to process), or being checked again
        lifecycle.version_requeued(version)
        db.session.commit()
        enqueue_processing(version)
        requeued.append(version.id)
    return requeued


def _requeue_failed_checks(version_ids: list[int] | None) -> list[int]:
    query = db.select(Version.id).where(Version.state == VersionState.READY,
                                        Version.checks_state == ChecksState.FAILED)
    if version_ids:
        query = query.where(Version.id.in_(version_ids))
    ids = list(db.session.scalars(query))
    for version_id in ids:
        if lifecycle.checks_rerun(version_id):
            enqueue_checks(version_id)
    return ids
