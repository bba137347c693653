"""Every version is playable first and then fully checked by a job of its own.

Real ffmpeg on generated clips (mostly web-safe: H.264 yuv420p + AAC in MP4, within
1280×720, which are remuxed; one in Matroska, which is transcoded), real RQ workers,
Redis and database. The flashing check is a safety check (WCAG 2.3.1): every version
gets it, and none can be approved until it has run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psutil
from rq import Queue, Worker
from sqlalchemy import create_engine, text

from workshop.db_types import utcnow
from workshop.media.tools import locate
from workshop.submissions.models import ChecksState, SubmissionState, Version, VersionState

from .helpers import PASSWORD, bearer, login
from .test_processing import _burst, _new_version, _state, student_setup  # noqa: F401 (a fixture)
from .test_worker_kill import _logs, _wait_for, start_worker  # noqa: F401 (a fixture)

WEB_SAFE = ["-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart", "-shortest"]


def web_safe_clip(path: Path, video_filter: str, seconds: float, *inputs: str) -> Path:
    """An MP4 the pipeline copies rather than re-encodes, with a tone for sound."""
    subprocess.run([locate("ffmpeg"), "-v", "error", "-y", *inputs,
                    "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                    *(["-filter_complex", video_filter, "-map", "[v]", "-map", f"{len(inputs) // 4}:a"]
                      if video_filter else []), *WEB_SAFE, str(path)],
                   check=True, timeout=120)
    return path


def flashing_clip(path: Path, seconds: float = 3) -> Path:
    # Full-frame black/white swap every 3 frames at 30 fps: 10 transitions, 5 flashes a second.
    source = f"color=black:size=320x240:rate=30:d={seconds},geq=lum='if(mod(floor(N/3),2),235,16)':cb=128:cr=128"
    return web_safe_clip(path, "[0:v]null[v]", seconds, "-f", "lavfi", "-i", source)


def frozen_clip(path: Path) -> Path:
    # One second of moving test pattern, then four of still colour bars.
    return web_safe_clip(path, "[0:v][1:v]concat=n=2:v=1:a=0[v]", 5,
                         "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1",
                         "-f", "lavfi", "-i", "smptebars=size=320x240:rate=25:d=4")


def _process_only(app):
    """One job off the queue: the processing, leaving the checks job it queues waiting."""
    from workshop.redis_conn import get_redis

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():
            Worker(["media"], connection=get_redis(app)).work(burst=True, max_jobs=1)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def test_a_transcoded_flashing_clip_is_playable_first_then_fails_the_flash_check(app, student_setup, tmp_path):
    _cohort, student, _mentor, assignment = student_setup
    web_safe = flashing_clip(tmp_path / "strobe.mp4")
    matroska = tmp_path / "strobe.mkv"
    subprocess.run([locate("ffmpeg"), "-v", "error", "-i", str(web_safe), "-c:v", "mjpeg", "-c:a", "copy",
                    str(matroska)], check=True, timeout=60)
    version_id = _new_version(app, assignment, student, matroska)

    _process_only(app)
    version = _state(app, version_id)
    assert version.state is VersionState.READY and not version.remuxed and version.rendition_key
    assert version.checks_state is ChecksState.QUEUED and version.checks is None
    assert _queued_jobs(app) == ["workshop.media.checks_job.check_version"]

    _burst(app)
    version = _state(app, version_id)
    assert version.checks_state is ChecksState.COMPLETE
    assert _by_name(version.checks)["flashing"]["detail_code"] == "flashing"
    assert _by_name(version.checks)["loudness"]["detail_code"] == "loudness_ok"


def _queued_jobs(app) -> list[str]:
    from workshop.redis_conn import get_redis

    with app.app_context():
        return [job.func_name for job in Queue("media", connection=get_redis()).jobs]


def _token(client, user) -> dict:
    return bearer(client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"])


def _all_yes(client, headers, assignment_id) -> list[dict]:
    items = client.get(f"/api/v1/assignments/{assignment_id}/checklist", headers=headers).json["items"]
    return [{"item_id": item["id"], "answer": "yes", "note": ""} for item in items]


def _by_name(checks: list[dict]) -> dict:
    return {check["name"]: check for check in checks}


def test_a_web_safe_flashing_clip_is_playable_first_and_approved_only_after_it_fails_the_flash_check(
        app, client, student_setup, tmp_path):
    _cohort, student, mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, flashing_clip(tmp_path / "strobe.mp4"))
    api = app.test_client()  # bearer only: a cookie session would make API writes need CSRF
    as_student, as_mentor = _token(api, student), _token(api, mentor)

    _process_only(app)
    version = _state(app, version_id)
    assert version.state is VersionState.READY and version.remuxed
    assert version.checks_state is ChecksState.QUEUED and version.checks is None
    assert _queued_jobs(app) == ["workshop.media.checks_job.check_version"]

    # Playable now; nothing about the checks is told before a result exists.
    for headers in (as_student, as_mentor):
        body = api.get(f"/api/v1/versions/{version_id}", headers=headers).json
        assert body["state"] == "ready" and body["rendition_url"] and body["checks_state"] == "running"
        assert {c["name"] for c in body["checks"]} >= {"loudness", "black", "frozen", "flashing"}
        assert {c["status"] for c in body["checks"]} == {"running"}
        assert api.get(body["rendition_url"], headers=headers).status_code == 200

    # Approval waits for the checks, through the API and the page.
    answers = _all_yes(api, as_mentor, assignment.id)
    refused = api.post(f"/api/v1/versions/{version_id}/reviews", headers=as_mentor,
                       json={"verdict": "approved", "summary": "", "answers": answers})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "checks_running"
    assert "still running" in refused.json["error"]["message"]
    login(client, mentor)
    page = client.get(f"/versions/{version_id}").data.decode()
    assert 'data-checks-state="running"' in page and "Approval opens once" in page
    form = {"verdict": "approved", "summary": "Lovely",
            **{f"answer-{a['item_id']}": "yes" for a in answers}}
    posted = client.post(f"/versions/{version_id}/review", data=form)
    assert posted.status_code == 409 and "still running" in posted.data.decode()
    assert "Lovely" in posted.data.decode()  # what the mentor wrote is kept

    _burst(app)  # the checks job
    version = _state(app, version_id)
    assert version.checks_state is ChecksState.COMPLETE and version.checks_attempts == 1
    flashing = _by_name(version.checks)["flashing"]
    assert (flashing["status"], flashing["detail_code"]) == ("fail", "flashing")
    assert 4 <= flashing["params"]["flashes"] <= 6
    body = api.get(f"/api/v1/versions/{version_id}", headers=as_mentor).json
    assert body["checks_state"] == "complete"
    assert all(c["status"] in ("pass", "warn", "fail") and c["detail"] for c in body["checks"])
    assert _by_name(body["checks"])["flashing"]["status"] == "fail"
    page = client.get(f"/versions/{version_id}").data.decode()
    assert "Flashing: " in page and "Approval opens once" not in page

    approved = client.post(f"/versions/{version_id}/review", data=form)
    assert approved.status_code == 302
    with app.app_context():
        from workshop.extensions import db

        assert db.session.get(Version, version_id).submission.state is SubmissionState.APPROVED


def test_a_web_safe_clip_with_a_frozen_stretch_reports_it_and_mentors_can_act_meanwhile(
        app, client, student_setup, tmp_path):
    _cohort, student, mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, frozen_clip(tmp_path / "slides.mp4"))
    api = app.test_client()
    as_mentor = _token(api, mentor)

    _process_only(app)
    assert _state(app, version_id).checks_state is ChecksState.QUEUED
    # Asking for changes never waits for the checks.
    changes = api.post(f"/api/v1/versions/{version_id}/reviews", headers=as_mentor,
                       json={"verdict": "changes_requested", "summary": "Add a title card", "answers": []})
    assert changes.status_code == 201

    _burst(app)
    version = _state(app, version_id)
    assert version.remuxed and version.checks_state is ChecksState.COMPLETE
    frozen = _by_name(version.checks)["frozen"]
    assert (frozen["status"], frozen["detail_code"]) == ("warn", "frozen_segment")
    assert abs(frozen["params"]["start_s"] - 1.0) < 0.2 and frozen["params"]["seconds"] >= 3.5
    assert _by_name(version.checks)["flashing"]["status"] == "pass"
    detail = _by_name(api.get(f"/api/v1/versions/{version_id}", headers=as_mentor).json["checks"])["frozen"]
    assert detail["status"] == "warn" and "does not move" in detail["detail"]


def test_escalating_never_waits_for_the_checks(app, student_setup, tmp_path):
    _cohort, student, mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, flashing_clip(tmp_path / "strobe.mp4", seconds=1))
    _process_only(app)
    api = app.test_client()
    escalated = api.post(f"/api/v1/versions/{version_id}/reviews", headers=_token(api, mentor),
                         json={"verdict": "escalated", "summary": "Worried about the student", "answers": []})
    assert escalated.status_code == 201
    assert _state(app, version_id).checks_state is ChecksState.QUEUED


def _stale_running_checks(app, version_id, attempts: int) -> None:
    """As a SIGKILLed worker leaves them: running, heartbeat long gone, the job nowhere."""
    from workshop.extensions import db
    from workshop.redis_conn import get_redis

    with app.app_context():
        get_redis().flushdb()
        version = db.session.get(Version, version_id)
        version.checks_state, version.checks_attempts = ChecksState.RUNNING, attempts
        version.checks_heartbeat_at = utcnow() - timedelta(minutes=10)
        db.session.commit()


def test_the_watchdog_requeues_checks_whose_worker_vanished(app, student_setup, tmp_path):
    from workshop.media.watchdog import recover_stuck_versions

    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, flashing_clip(tmp_path / "strobe.mp4", seconds=1))
    _process_only(app)
    _stale_running_checks(app, version_id, attempts=1)
    with app.app_context():
        done = recover_stuck_versions()
        assert done["checks_requeued"] == [version_id] and done["requeued"] == []
        assert recover_stuck_versions()["checks_requeued"] == []  # acted on once only
    assert _state(app, version_id).checks_state is ChecksState.QUEUED
    assert _state(app, version_id).state is VersionState.READY  # playable throughout
    _burst(app)
    version = _state(app, version_id)
    assert version.checks_state is ChecksState.COMPLETE and version.checks_attempts == 2


def test_checks_that_keep_dying_fail_honestly_block_approval_and_can_be_run_again(
        app, student_setup, tmp_path):
    from workshop.media.watchdog import recover_stuck_versions

    _cohort, student, mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, flashing_clip(tmp_path / "strobe.mp4", seconds=1))
    _process_only(app)
    _stale_running_checks(app, version_id, attempts=app.config["MEDIA_MAX_ATTEMPTS"])
    with app.app_context():
        assert recover_stuck_versions()["checks_failed"] == [version_id]

    api = app.test_client()
    as_mentor = _token(api, mentor)
    body = api.get(f"/api/v1/versions/{version_id}", headers=as_mentor).json
    assert body["state"] == "ready" and body["checks_state"] == "failed"
    assert {c["status"] for c in body["checks"]} == {"failed"}
    refused = api.post(f"/api/v1/versions/{version_id}/reviews", headers=as_mentor,
                       json={"verdict": "approved", "summary": "", "answers": _all_yes(api, as_mentor,
                                                                                       assignment.id)})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "checks_failed"

    result = app.test_cli_runner().invoke(args=["karya", "requeue"])
    assert result.exit_code == 0 and str(version_id) in result.output
    assert _state(app, version_id).checks_state is ChecksState.QUEUED
    assert _state(app, version_id).state is VersionState.READY  # checked again, not processed again
    _burst(app)
    assert _state(app, version_id).checks_state is ChecksState.COMPLETE


def test_checks_whose_enqueue_never_reached_redis_are_enqueued_by_the_watchdog(app, student_setup, tmp_path):
    from workshop.extensions import db
    from workshop.media.watchdog import recover_stuck_versions
    from workshop.redis_conn import get_redis

    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, flashing_clip(tmp_path / "strobe.mp4", seconds=1))
    _process_only(app)
    with app.app_context():
        get_redis().flushdb()  # Redis restarted without persistence
        version = db.session.get(Version, version_id)
        version.checks_queued_at = None  # as the migration leaves versions remuxed before it
        db.session.commit()
        assert recover_stuck_versions()["checks_reenqueued"] == [version_id]
    assert _queued_jobs(app) == ["workshop.media.checks_job.check_version"]
    _burst(app)
    assert _state(app, version_id).checks_state is ChecksState.COMPLETE


def _analysing_ffmpeg(worker):
    """The work horse running the checks' ffmpeg (the one decoding every frame for signalstats)."""
    try:
        for child in psutil.Process(worker.pid).children(recursive=True):
            if "signalstats" in " ".join(child.cmdline()) and "-c" not in child.cmdline():
                return child.parent(), child
    except psutil.Error:
        pass
    return None


def test_a_worker_killed_mid_checks_is_recovered_by_the_watchdog_of_another(
        app, student_setup, start_worker, tmp_path):
    _cohort, student, _mentor, assignment = student_setup
    # 720p30 for 40 s: a few seconds of decoding on two cores, long enough to be killed during.
    clip = web_safe_clip(tmp_path / "long.mp4", "", 40, "-f", "lavfi", "-i",
                         "testsrc2=size=1280x720:rate=30:duration=40")
    version_id = _new_version(app, assignment, student, clip)
    first = start_worker()
    horse, ffmpeg = _wait_for(lambda: _analysing_ffmpeg(first), 120, "the checks' ffmpeg to run", tmp_path)
    version = _state(app, version_id)
    assert version.state is VersionState.READY and version.checks_state is ChecksState.RUNNING
    first.kill()  # the whole machine lost: worker, work horse
    horse.kill()
    first.wait()

    start_worker()
    _wait_for(lambda: not ffmpeg.is_running() or ffmpeg.status() == psutil.STATUS_ZOMBIE, 10,
              "the orphaned ffmpeg to die", tmp_path)
    _wait_for(lambda: _state(app, version_id).checks_state is ChecksState.COMPLETE, 180,
              "the checks to run again", tmp_path)
    version = _state(app, version_id)
    assert version.checks_attempts == 2 and version.state is VersionState.READY
    assert "watchdog recovered" in _logs(tmp_path) and "checks_requeued" in _logs(tmp_path)


def test_the_migration_sends_versions_remuxed_before_it_to_be_checked(tmp_path):
    """Versions remuxed before checks ran after a remux had frozen and flashing unchecked."""
    root = Path(__file__).resolve().parent.parent
    database = tmp_path / "old.sqlite3"
    env = {**os.environ, "FLASK_APP": "workshop", "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{database}",
           "KARYA_INSTANCE_PATH": str(tmp_path)}
    env.pop("KARYA_EMBEDDED", None)

    def upgrade(target: str) -> None:
        result = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade", target], cwd=root, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr

    upgrade("0006")
    engine = create_engine(f"sqlite:///{database}")
    rows = [(1, "ready", True), (2, "ready", False), (3, "processing", False), (4, "failed", True)]
    with engine.begin() as conn:  # SQLite does not enforce the foreign keys here
        for version_id, state, remuxed in rows:
            conn.execute(text(
                "INSERT INTO versions (id, submission_id, cohort_id, number, state, original_filename, progress,"
                " attempts, created_at, remuxed, media_token) VALUES (:id, :id, 1, 1, :state, '', 0, 1,"
                " '2026-11-30 10:00:00', :remuxed, :token)"),
                {"id": version_id, "state": state, "remuxed": remuxed, "token": f"t{version_id}"})
    upgrade("head")
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, checks_state FROM versions ORDER BY id")).all())
    assert states == {1: "queued", 2: "complete", 3: None, 4: None}
