"""The processing job end to end: real worker processes, real ffmpeg, real Redis and database.

Includes the failure paths: invalid media fails at once with its
reason; versions left ``processing`` by a dead worker are requeued or failed by the
watchdog; ``flask karya requeue`` reprocesses.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Queue, Worker

from workshop.db_types import utcnow
from workshop.media.tools import locate
from workshop.submissions.models import SubmissionState, Version, VersionState

from .helpers import PASSWORD, bearer

ROOT = Path(__file__).resolve().parent.parent


# Where make_clip keeps each clip it made, for the rest of the run (tests/conftest.py sets it).
MADE_CLIPS: Path | None = None


def make_clip(path: Path, *, seconds: float, size: str = "320x240", rate: int = 25) -> Path:
    """A test pattern with a tone, H.264 and AAC, at ``path`` (whose suffix names the container).
    The same arguments make the same file, so each is encoded once a run and copied after that."""
    arguments = [locate("ffmpeg"), "-v", "error", "-y",
                 "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}",
                 "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
    if MADE_CLIPS is None:
        subprocess.run([*arguments, str(path)], check=True, timeout=120)
        return path
    kept = MADE_CLIPS / (hashlib.sha256("\0".join(arguments).encode()).hexdigest()[:20] + path.suffix)
    if not kept.exists():
        # Made beside it and renamed: another process of the run may be making the same clip.
        fresh = kept.with_name(f"{os.getpid()}-{kept.name}")
        subprocess.run([*arguments, str(fresh)], check=True, timeout=120)
        os.replace(fresh, kept)
    shutil.copyfile(kept, path)
    return path


@pytest.fixture
def student_setup(make):
    cohort = make.cohort(name="Media cohort")
    student, mentor = make.user(name="Stu"), make.user(name="Men")
    make.member(student, cohort, "student")
    make.member(mentor, cohort, "mentor")
    assignment = make.assignment(cohort, title="Explain sleep", max_duration_s=120)
    return cohort, student, mentor, assignment


def _new_version(app, assignment, student, clip: Path) -> int:
    """Make a version from a file, as a finished upload does (without a worker running)."""
    from workshop.cohorts.models import Assignment
    from workshop.extensions import db
    from workshop.uploads.versions import create_version_from_file

    staged = clip.with_suffix(".staged")
    shutil.copy(clip, staged)
    with app.app_context():
        version = create_version_from_file(assignment=db.session.get(Assignment, assignment.id),
                                           student_id=student.id, path=str(staged), filename=clip.name)
        return version.id


def _state(app, version_id):
    from workshop.extensions import db

    with app.app_context():
        db.session.expire_all()
        return db.session.get(Version, version_id)


def _burst(app):
    """Run a real RQ worker until the queues are empty (it forks a work horse per job)."""
    from workshop.redis_conn import get_redis

    # RQ installs its own SIGINT/SIGTERM handlers and leaves them behind; put Python's back.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():
            Worker(["media"], connection=get_redis(app)).work(burst=True)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _worker_env(database_url, redis_url, **extra):
    env = {**os.environ, "SECRET_KEY": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def test_a_version_is_processed_to_ready_and_served(app, client, student_setup, tmp_path):
    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, make_clip(tmp_path / "clip.mp4", seconds=3))
    assert _state(app, version_id).state is VersionState.QUEUED
    _burst(app)

    version = _state(app, version_id)
    assert version.state is VersionState.READY, (version.error_code, version.error_detail)
    assert version.progress == 100.0 and version.attempts == 1
    from workshop.extensions import db
    from workshop.submissions.models import Submission

    with app.app_context():
        assert db.session.get(Submission, version.submission_id).state is SubmissionState.AWAITING_REVIEW
        from workshop.notifications.models import Notification

        # Announced with the state change: the student's video is ready, the mentor has one to review.
        sent = {(n.user_id, n.kind) for n in db.session.scalars(db.select(Notification))}
        assert sent == {(student.id, "version_ready"), (_mentor.id, "review_needed")}

    token = client.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"]
    body = client.get(f"/api/v1/versions/{version_id}", headers=bearer(token)).json
    assert body["state"] == "ready" and body["number"] == 1 and body["error"] is None
    assert body["width"] == 320 and body["height"] == 240 and 2.5 < body["duration_s"] < 3.5
    assert {c["name"] for c in body["checks"]} >= {"loudness", "black", "frozen", "flashing", "duration"}
    assert all(c["status"] in ("pass", "warn", "fail") and c["detail"] for c in body["checks"])
    for key in ("rendition_url", "poster_url", "storyboard_url", "storyboard_vtt_url"):
        media = client.get(body[key], headers=bearer(token))
        assert media.status_code == 200, key
    ranged = client.get(body["rendition_url"], headers={**bearer(token), "Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.data) == 100

    submission = client.get(f"/api/v1/assignments/{assignment.id}/submission", headers=bearer(token)).json
    assert [v["id"] for v in submission["versions"]] == [version_id]


def test_invalid_media_fails_at_once_with_a_readable_reason(app, client, student_setup, tmp_path):
    _cohort, student, _mentor, assignment = student_setup
    text = tmp_path / "notes.mp4"
    text.write_text("these are my notes, not a video\n" * 50)
    version_id = _new_version(app, assignment, student, text)
    _burst(app)
    version = _state(app, version_id)
    assert version.state is VersionState.FAILED and version.attempts == 1  # no retries for bad input
    assert version.original_key  # the upload is kept

    token = client.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"]
    english = client.get(f"/api/v1/versions/{version_id}", headers=bearer(token)).json
    indonesian = client.get(f"/api/v1/versions/{version_id}",
                            headers={**bearer(token), "Accept-Language": "id"}).json
    assert english["state"] == "failed" and english["error"] and english["error_code"] == "not_media"
    assert indonesian["error"] and indonesian["error"] != english["error"]


def test_queue_position_counts_from_one(app, client, student_setup, make, tmp_path):
    cohort, student, _mentor, assignment = student_setup
    clip = make_clip(tmp_path / "clip.mp4", seconds=1)
    others = []
    for i in range(2):
        other = make.user(email=f"s{i}@karya.test")
        make.member(other, cohort, "student")
        others.append((other, _new_version(app, assignment, other, clip)))
    mine = _new_version(app, assignment, student, clip)
    token = client.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"]
    body = client.get(f"/api/v1/versions/{mine}", headers=bearer(token)).json
    assert body["state"] == "queued" and body["queue_position"] == 3


def test_the_watchdog_requeues_a_version_whose_worker_vanished(app, student_setup, tmp_path):
    from workshop.extensions import db
    from workshop.media.watchdog import recover_stuck_versions

    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, make_clip(tmp_path / "c.mp4", seconds=1))
    with app.app_context():
        # As a SIGKILLed worker leaves it: processing, heartbeat long gone, its job nowhere.
        version = db.session.get(Version, version_id)
        version.state, version.attempts = VersionState.PROCESSING, 1
        version.heartbeat_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
        assert recover_stuck_versions()["requeued"] == [version_id]
        assert recover_stuck_versions()["requeued"] == []  # acted on once only
    assert _state(app, version_id).state is VersionState.QUEUED
    _burst(app)
    assert _state(app, version_id).state is VersionState.READY


def test_the_watchdog_fails_a_version_that_keeps_dying_with_a_reason(app, client, student_setup, tmp_path):
    from workshop.extensions import db
    from workshop.media.watchdog import recover_stuck_versions

    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, make_clip(tmp_path / "c.mp4", seconds=1))
    with app.app_context():
        version = db.session.get(Version, version_id)
        version.state, version.attempts = VersionState.PROCESSING, app.config["MEDIA_MAX_ATTEMPTS"]
        version.heartbeat_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
        assert recover_stuck_versions()["failed"] == [version_id]
    token = client.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"]
    body = client.get(f"/api/v1/versions/{version_id}", headers=bearer(token)).json
    assert body["state"] == "failed" and "Processing stopped" in body["error"]


def test_a_queued_version_whose_job_redis_lost_is_enqueued_again(app, student_setup, tmp_path):
    from workshop.extensions import db
    from workshop.media.watchdog import recover_stuck_versions
    from workshop.redis_conn import get_redis

    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, make_clip(tmp_path / "c.mp4", seconds=1))
    with app.app_context():
        get_redis().flushdb()  # Redis restarted without persistence
        version = db.session.get(Version, version_id)
        version.queued_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        assert recover_stuck_versions()["reenqueued"] == [version_id]
        assert Queue("media", connection=get_redis()).count == 1
    _burst(app)
    assert _state(app, version_id).state is VersionState.READY


def test_requeue_command_reprocesses_failed_versions(app, student_setup, tmp_path):
    from workshop.extensions import db

    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, make_clip(tmp_path / "c.mp4", seconds=1))
    with app.app_context():
        version = db.session.get(Version, version_id)
        version.state, version.error_code, version.attempts = VersionState.FAILED, "processing_error", 3
        db.session.commit()
        from workshop.redis_conn import get_redis

        get_redis().flushdb()
    result = app.test_cli_runner().invoke(args=["karya", "requeue"])
    assert result.exit_code == 0 and f"{version_id}" in result.output
    _burst(app)
    assert _state(app, version_id).state is VersionState.READY
