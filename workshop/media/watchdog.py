"""Finding versions whose processing was lost, and putting them back to work.

Every worker runs :func:`recover_stuck_versions` every ``MEDIA_WATCHDOG_EVERY_S``
seconds (see ``worker.py``). Updates are conditional on the state the watchdog
saw, so when several workers look at once only one acts on each version.

* ``processing`` with a stale heartbeat: its worker died (SIGKILL, OOM, a lost
  machine). Requeued, or failed with a reason after ``MEDIA_MAX_ATTEMPTS``.
* ``queued`` with no live RQ job: the enqueue never reached Redis, or Redis lost
  it (restarted without persistence). Enqueued again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import update

from ..db_types import utcnow
from ..extensions import db
from ..redis_conn import get_redis
from ..submissions.models import Version, VersionState
from .jobs import enqueue_processing, mark_failed

log = logging.getLogger("karya.media.watchdog")

# A version queued less than this long ago may simply not have reached Redis yet.
QUEUED_GRACE = timedelta(seconds=30)
_LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def recover_stuck_versions(now=None) -> dict[str, list[int]]:
    """Requeue or fail versions whose processing was lost. Returns the ids acted on."""
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
            claimed = _transition(version_id, VersionState.PROCESSING, heartbeat_at, state=VersionState.FAILED,
                                  error_code="processing_stopped", error_detail="{}")
            if claimed:
                done["failed"].append(version_id)
        elif _transition(version_id, VersionState.PROCESSING, heartbeat_at, state=VersionState.QUEUED,
                         job_id=None, queued_at=now, progress=0.0):
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

    if any(done.values()):
        log.warning("watchdog recovered versions: %s", done)
    return done


def _transition(version_id: int, from_state: VersionState, seen_heartbeat, **values) -> bool:
    result = db.session.execute(update(Version).where(
        Version.id == version_id, Version.state == from_state, Version.heartbeat_at == seen_heartbeat,
    ).values(**values))
    db.session.commit()
    return result.rowcount == 1


def _job_is_live(job_id: str | None) -> bool:
    if not job_id:
        return False
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in _LIVE


def requeue(version_ids: list[int] | None = None) -> list[int]:
    """Reprocess the given versions, or every failed or stuck one; attempts start again."""
    query = db.select(Version)
    if version_ids:
        query = query.where(Version.id.in_(version_ids))
    else:
        stale_before = utcnow() - timedelta(seconds=current_app.config["MEDIA_STALE_AFTER_S"])
        query = query.where(
            (Version.state == VersionState.FAILED)
            | ((Version.state == VersionState.PROCESSING) & (Version.heartbeat_at < stale_before))
        )
    requeued = []
    for version in db.session.scalars(query).all():
        if version.original_key is None:
            continue  # never finished uploading: nothing to process
        version.state, version.attempts, version.progress = VersionState.QUEUED, 0, 0.0
        version.error_code = version.error_detail = None
        version.job_id, version.queued_at = None, utcnow()
        db.session.commit()
        enqueue_processing(version)
        requeued.append(version.id)
    return requeued



