"""The RQ job that turns an uploaded original into a playable version.

One job per version on the ``media`` queue. The job takes the version's id,
opens its own app context and records every state change in the database (through
``submissions/lifecycle.py``, where every state change is made), so the database
always tells the truth about a version even when Redis or a worker does not:

* ``queued`` → ``processing`` is an atomic *claim* (a conditional UPDATE), so two
  copies of the job (an RQ retry and a watchdog re-enqueue) never both work;
* while processing, a heartbeat thread stamps ``heartbeat_at`` every few seconds;
  a worker killed with SIGKILL stops the heartbeat, and :mod:`watchdog` notices;
* invalid media fails at once with the refusal's code; other errors retry (RQ
  ``Retry``) and fail with a readable reason when the retries are spent;
* the original upload is never deleted here.

A version is ready (playable) before it is checked: its automatic checks follow
in a job of their own, under the same rules (:mod:`checks_job`), and it cannot be
approved until they are complete.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy import update

from ..db_types import utcnow
from ..extensions import db
from ..jobs import job_context
from ..queues import MEDIA, queue
from ..submissions import lifecycle
from ..submissions.models import Version
from ..submissions.service import announce_ready
from . import tools
from .checks_job import enqueue_checks
from .job_rules import RETRY, Heartbeat, limits
from .probe import MediaRefused
from .storage import get_storage
from .timeline import Timeline, seconds_since

log = logging.getLogger("karya.media")

PROGRESS_WRITE_EVERY_S = 1.0

# Storage keys of a version's outputs, next to its original.
OUTPUTS = {
    "rendition_key": "rendition.mp4",
    "poster_key": "poster.jpg",
    "storyboard_key": "storyboard.jpg",
    "storyboard_vtt_key": "storyboard.vtt",
}


def enqueue_processing(version: Version) -> str | None:
    """Queue processing of ``version`` (already committed as ``queued``).

    A Redis outage is logged, not raised: the upload is safe in storage and the
    version stays ``queued``, which the watchdog re-enqueues once Redis is back.
    """
    try:
        job = queue(MEDIA).enqueue(
            process_version, version.id,
            job_timeout=current_app.config["MEDIA_JOB_TIMEOUT_S"],
            retry=RETRY,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"process version {version.id}",
        )
    except RedisError:
        log.exception("could not queue version %s; the watchdog will retry", version.id)
        return None
    db.session.execute(update(Version).where(Version.id == version.id)
                       .values(job_id=job.id, queued_at=utcnow()))
    db.session.commit()
    return job.id


def process_version(version_id: int) -> str:
    """RQ entry point: process one version. Returns what happened, for RQ's result."""
    timeline = Timeline()
    job = get_current_job()
    # From the web process's enqueue to here: the dequeue, the work horse's fork, the import of this module.
    timeline.add("queued", seconds_since(job.enqueued_at) if job else 0.0)
    with job_context() as app:
        job_id = job.id if job else None
        timeline.mark("app")
        if not lifecycle.claim_processing(version_id, job_id, app.config["MEDIA_STALE_AFTER_S"]):
            log.info("version %s: not claimable (done, or processing elsewhere); skipping", version_id)
            return "skipped"
        heartbeat = Heartbeat(app, version_id)
        heartbeat.start()
        timeline.mark("claim")
        try:
            _run(app, version_id, timeline)
            return "ready"
        except Exception as exc:
            db.session.rollback()
            return _handle_failure(version_id, exc, job)
        finally:
            heartbeat.stop()


def _run(app, version_id: int, timeline: Timeline) -> None:
    from .pipeline import process  # why: the web imports this module to enqueue; a work horse has it preloaded

    timeline.mark("imports")
    version = db.session.get(Version, version_id)
    assignment = version.submission.assignment
    original_key, max_duration_s = version.original_key, assignment.max_duration_s
    # End the read transaction before the long ffmpeg run: an idle open transaction
    # would hold locks (and a pooled connection) for the whole transcode.
    db.session.commit()
    timeline.mark("load")
    storage = get_storage()
    ffmpeg, ffprobe = tools.ffmpeg(), tools.ffprobe()
    timeline.mark("tools")
    progress = _ProgressWriter(version_id)
    work_root = os.path.join(app.config["MEDIA_ROOT"], "work")
    os.makedirs(work_root, exist_ok=True)
    with storage.local_path(original_key) as source, \
            tempfile.TemporaryDirectory(prefix=f"v{version_id}-", dir=work_root) as workdir:
        timeline.mark("fetch")
        result = process(
            source, workdir,
            ffmpeg=ffmpeg, ffprobe=ffprobe,
            limits=limits(app),
            max_duration_s=max_duration_s or app.config["MEDIA_MAX_DURATION_S"],
            # Relative to the VTT's own URL: both are served from the version's media folder.
            storyboard_vtt_url=OUTPUTS["storyboard_key"],
            on_progress=progress,
            timeout_s=app.config["MEDIA_JOB_TIMEOUT_S"],
            timeline=timeline,
        )
        prefix = f"versions/{version_id}/"
        outputs = {
            "rendition_key": result.rendition_path,
            "poster_key": result.poster_path,
            "storyboard_key": result.storyboard_path,
            "storyboard_vtt_key": result.storyboard_vtt_path,
        }
        keys = {}
        for field, path in outputs.items():
            keys[field] = prefix + OUTPUTS[field]
            storage.put_file(keys[field], path)
    timeline.mark("store")

    version = db.session.get(Version, version_id)
    for field, key in keys.items():
        setattr(version, field, key)
    version.probe = result.probe.raw if hasattr(result.probe, "raw") else None
    version.duration_s, version.width, version.height = result.duration_s, result.width, result.height
    version.checks = result.checks
    version.remuxed = result.remuxed
    # The version is playable now; its checks run next, in a job of their own, and until
    # they are complete it shows them as running and cannot be approved.
    checks_pending = result.checks is None
    lifecycle.version_ready(version, checked=not checks_pending)
    timeline.mark("database")
    announce_ready(version)  # in the same transaction: ready and announced, or neither
    timeline.mark("notify")
    db.session.commit()
    timeline.mark("commit")
    log.info("version %s timeline (%s): %s", version_id, "remux" if result.remuxed else "transcode",
             timeline.text())
    if checks_pending:
        enqueue_checks(version_id)


class _ProgressWriter:
    """Mirrors ffmpeg's progress into the database, at most once a second."""

    def __init__(self, version_id: int):
        self.version_id = version_id
        self._last_write = 0.0

    def __call__(self, fraction: float, speed: float | None = None) -> None:
        now = time.monotonic()
        if now - self._last_write < PROGRESS_WRITE_EVERY_S and fraction < 1.0:
            return
        self._last_write = now
        with db.engine.begin() as conn:
            conn.execute(update(Version).where(Version.id == self.version_id).values(
                progress=round(max(0.0, min(fraction, 1.0)) * 100, 1), heartbeat_at=utcnow()))


def _handle_failure(version_id: int, exc: Exception, job) -> str:
    """Leave the version in an honest state; re-raise errors worth retrying."""
    if isinstance(exc, MediaRefused):
        lifecycle.processing_failed(version_id, exc.code, _encode_params(exc.params))
        log.info("version %s refused: %s %s", version_id, exc.code, exc.params)
        return "refused"
    retries_left = bool(job and job.retries_left)
    if retries_left:
        lifecycle.processing_retrying(version_id)
    else:
        lifecycle.processing_failed(version_id, "processing_error", _encode_params({}))
    log.exception("version %s: processing failed (%s)", version_id,
                  "will retry" if retries_left else "no retries left")
    raise exc


def _encode_params(params: dict) -> str:
    return json.dumps(params, default=str)
