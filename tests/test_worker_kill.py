"""SIGKILL mid-transcode with real ``python worker.py`` processes.

A work horse killed by the kernel (OOM) or a whole worker lost with its machine
leaves the version ``processing`` with a heartbeat that stops. The watchdog in
any live worker notices once the heartbeat is ``MEDIA_STALE_AFTER_S`` old and
requeues it; the next attempt makes it ready. ffmpeg, started by the killed work
horse, must not live on: it dies with its parent (PR_SET_PDEATHSIG).

Timings are shortened here (stale after 12 s, watchdog every 2 s); with the
defaults (60 s, 20 s) a lost version is back in the queue within 80 s, well
inside five minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from workshop.submissions.models import VersionState

from .test_processing import _new_version, _state, make_clip, student_setup  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent
STALE_AFTER_S = 12


@pytest.fixture
def start_worker(app, database_url, redis_url, tmp_path):
    """``start_worker()`` runs ``python worker.py`` as its own process group; all are stopped after the test."""
    started = []

    def start():
        log = tmp_path / f"worker-{len(started)}.log"
        env = {**os.environ, "SECRET_KEY": "kill-test", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "MEDIA_ROOT": app.config["MEDIA_ROOT"], "MEDIA_STALE_AFTER_S": str(STALE_AFTER_S),
               "MEDIA_WATCHDOG_EVERY_S": "2", "KARYA_INSTANCE_PATH": str(tmp_path / "instance")}
        env.pop("KARYA_EMBEDDED", None)
        process = subprocess.Popen([sys.executable, "worker.py", "media"], cwd=ROOT, env=env,
                                   stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        started.append((process, log))
        return process

    yield start
    for process, _log in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group: a worker killed with SIGKILL leaves its RQ scheduler
        # (a child process in its group) running, which would take jobs from later tests.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(tmp_path.glob("worker-*.log")))


def _wait_for(predicate, timeout_s: float, what: str, tmp_path: Path):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}\n{_logs(tmp_path)}")


def _transcoding_ffmpeg(worker: subprocess.Popen):
    """The work horse and the ffmpeg it runs, once ffmpeg has started."""
    try:
        for child in psutil.Process(worker.pid).children(recursive=True):
            if Path(child.exe()).name.startswith("ffmpeg") or "ffmpeg" in " ".join(child.cmdline()[:1]):
                return child.parent(), child
    except psutil.Error:
        pass
    return None


def _processing(app, version_id) -> bool:
    version = _state(app, version_id)
    return version.state is VersionState.PROCESSING and version.progress > 1


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    # 1080p must be scaled to 720p, so this is a real transcode of a few seconds (longer while
    # other tests run beside it); the tests kill it at the first progress report, about a
    # tenth of the way in (they poll every 0.25 s), and each run transcodes it twice.
    return make_clip(tmp_path_factory.mktemp("kill-clip") / "long.mp4", seconds=8, size="1920x1080", rate=30)


def _assert_ready_with_ffmpeg_gone(app, version_id, ffmpeg: psutil.Process, tmp_path: Path):
    _wait_for(lambda: not ffmpeg.is_running() or ffmpeg.status() == psutil.STATUS_ZOMBIE, 10,
              "the orphaned ffmpeg to die", tmp_path)
    _wait_for(lambda: _state(app, version_id).state is VersionState.READY, 180,
              "the version to be processed again", tmp_path)
    version = _state(app, version_id)
    assert version.attempts == 2 and version.error_code is None and version.rendition_key


def test_a_work_horse_killed_mid_transcode_is_retried(app, student_setup, start_worker, long_clip, tmp_path):
    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, long_clip)
    worker = start_worker()

    _wait_for(lambda: _processing(app, version_id), 120, "processing to start", tmp_path)
    horse, ffmpeg = _wait_for(lambda: _transcoding_ffmpeg(worker), 30, "ffmpeg to run", tmp_path)
    horse.send_signal(signal.SIGKILL)  # as the kernel's OOM killer would

    _assert_ready_with_ffmpeg_gone(app, version_id, ffmpeg, tmp_path)
    assert worker.poll() is None  # the worker itself carried on


def test_a_whole_worker_killed_mid_transcode_is_recovered_by_another(app, student_setup, start_worker,
                                                                     long_clip, tmp_path):
    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, long_clip)
    first = start_worker()

    _wait_for(lambda: _processing(app, version_id), 120, "processing to start", tmp_path)
    horse, ffmpeg = _wait_for(lambda: _transcoding_ffmpeg(first), 30, "ffmpeg to run", tmp_path)
    # The worker and its work horse (RQ starts each horse in a session of its own, so
    # it is not in the worker's process group), as when a machine is lost; ffmpeg is
    # left for PR_SET_PDEATHSIG to take down.
    children = psutil.Process(first.pid).children()  # the horse and RQ's scheduler process
    assert len(children) >= 2, children
    first.kill()
    horse.kill()
    first.wait()
    killed_at = time.monotonic()
    # Nothing the worker forked outlives it (worker.py asks the kernel for that).
    _wait_for(lambda: not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE
                              for child in children), 10, "the worker's children to die", tmp_path)

    start_worker()  # another machine, or the same one restarted
    _assert_ready_with_ffmpeg_gone(app, version_id, ffmpeg, tmp_path)
    assert time.monotonic() - killed_at < 300


def _holds_database(process: psutil.Process, database_url: str) -> bool:
    """Whether ``process`` has the test database open: the SQLite file, or a socket to PostgreSQL."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    try:
        if url.get_backend_name() == "sqlite":
            return any(Path(f.path) == Path(url.database) for f in process.open_files())
        return any(c.raddr and c.raddr.port == (url.port or 5432) for c in process.net_connections(kind="tcp"))
    except psutil.Error:
        return False


def test_the_process_that_forks_work_horses_never_holds_a_database_connection(app, database_url,
                                                                              start_worker, tmp_path):
    """A horse forked while another thread of its parent was writing to SQLite could never
    write itself ("database is locked"); so the chores run in a process of their own."""
    worker = psutil.Process(start_worker().pid)
    # The watchdog runs every 2 s here and keeps its pooled connection open afterwards.
    user = _wait_for(lambda: next((process for process in [worker, *worker.children()]
                                   if _holds_database(process, database_url)), None),
                     60, "the chores to use the database", tmp_path)
    time.sleep(3)  # a few more rounds of chores
    assert not _holds_database(worker, database_url)
    assert user.pid != worker.pid and user.is_running()
