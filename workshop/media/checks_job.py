"""The RQ job that checks a version once it is playable.

The processing job makes the rendition alone: a web-safe upload is copied without
decoding every frame, so that it plays within seconds, and a transcode gets both
cores for its encoder. The automatic checks (loudness, silence, black, frozen
picture, flashing, duration) then need every frame of the upload decoded, which
this job does with ``pipeline.analyse``. Flashing is a safety check (WCAG 2.3.1): every
version is checked, and one cannot be approved before its checks are complete.

Same rules as the processing job (:mod:`jobs`), on the version's ``checks_*`` columns:

* ``queued`` → ``running`` is an atomic claim, so two copies never both work;
* a heartbeat thread stamps ``checks_heartbeat_at``; a killed worker stops it and
  :func:`watchdog.recover_stuck_checks` requeues the checks, or fails them after
  ``MEDIA_MAX_ATTEMPTS``;
* errors retry (RQ ``Retry``) and end as ``failed`` when the retries are spent;
  the version stays ready and playable whatever happens here, and the upload is
  never touched.
"""

from __future__ import annotations

import logging
import os
import tempfile

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy import update

from ..db_types import utcnow
from ..extensions import db
from ..jobs import job_context
from ..queues import MEDIA, queue
from ..submissions import lifecycle
from ..submissions.models import ChecksState, Version
from . import tools
from .job_rules import RETRY, Heartbeat, limits
from .probe import MediaRefused
from .storage import get_storage

log = logging.getLogger("karya.media")


def enqueue_checks(version_id: int) -> str | None:
    """Queue the checks of a version already committed with its checks ``queued``.

    A Redis outage is logged, not raised: the version stays ``queued`` for its checks,
    which the watchdog enqueues again once Redis is back.
    """
    try:
        job = queue(MEDIA).enqueue(
            check_version, version_id,
            job_timeout=current_app.config["MEDIA_JOB_TIMEOUT_S"],
            retry=RETRY,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"check version {version_id}",
        )
    except RedisError:
        log.exception("could not queue the checks of version %s; the watchdog will retry", version_id)
        return None
    db.session.execute(update(Version).where(Version.id == version_id, Version.checks_state == ChecksState.QUEUED)
                       .values(checks_job_id=job.id, checks_queued_at=utcnow()))
    db.session.commit()
    return job.id


def check_version(version_id: int) -> str:
    """RQ entry point: run the automatic checks of one ready version. Returns what happened."""
    with job_context() as app:
        job = get_current_job()
        job_id = job.id if job else None
        if not lifecycle.claim_checks(version_id, job_id, app.config["MEDIA_STALE_AFTER_S"]):
            log.info("version %s: checks not claimable (done, or running elsewhere); skipping", version_id)
            return "skipped"
        heartbeat = Heartbeat(app, version_id, checks=True)
        heartbeat.start()
        try:
            return _run(app, version_id, job_id)
        except Exception as exc:
            db.session.rollback()
            return _handle_failure(version_id, exc, job)
        finally:
            heartbeat.stop()


def _run(app, version_id: int, job_id: str | None) -> str:
    from .pipeline import analyse  # why: the web imports this module to enqueue; a work horse has it preloaded

    version = db.session.get(Version, version_id)
    original_key = version.original_key
    max_duration_s = version.submission.assignment.max_duration_s or app.config["MEDIA_MAX_DURATION_S"]
    db.session.commit()  # no transaction held open over the ffmpeg run
    work_root = os.path.join(app.config["MEDIA_ROOT"], "work")
    os.makedirs(work_root, exist_ok=True)
    with get_storage().local_path(original_key) as source, \
            tempfile.TemporaryDirectory(prefix=f"c{version_id}-", dir=work_root) as workdir:
        checks = analyse(source, workdir, ffmpeg=tools.ffmpeg(), ffprobe=tools.ffprobe(), limits=limits(app),
                         max_duration_s=max_duration_s, timeout_s=app.config["MEDIA_JOB_TIMEOUT_S"])
    # Only while this job still holds the claim: a version processed again in the meantime
    # (``flask karya requeue``) has checks of its own coming.
    if not lifecycle.checks_complete(version_id, job_id, checks):
        log.info("version %s: checks finished but no longer claimed; result dropped", version_id)
        return "superseded"
    log.info("version %s: checks complete", version_id)
    return "complete"


def _handle_failure(version_id: int, exc: Exception, job) -> str:
    """Leave the checks in an honest state (the version stays ready); re-raise what is worth a retry."""
    if isinstance(exc, MediaRefused):  # processing accepted this file, so this is not expected; no retry helps
        lifecycle.checks_failed(version_id)
        log.error("version %s: checks refused the file: %s %s", version_id, exc.code, exc.params)
        return "failed"
    retries_left = bool(job and job.retries_left)
    if retries_left:
        lifecycle.checks_retrying(version_id)
    else:
        lifecycle.checks_failed(version_id)
    log.exception("version %s: checks failed (%s)", version_id, "will retry" if retries_left else "no retries left")
    raise exc
