"""The media job's fixed costs: its timeline log line, and what the worker loads before forking."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from workshop.media.timeline import Timeline
from workshop.submissions.models import VersionState

from .test_processing import _new_version, _state, make_clip, student_setup  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
PHASES = ["queued", "app", "claim", "imports", "load", "tools", "fetch", "probe", "ffmpeg", "checks",
          "poster", "storyboard", "finish", "store", "database", "notify", "commit"]


def test_a_timeline_adds_up_each_phase():
    timeline = Timeline()
    timeline.add("queued", 0.25)
    timeline.mark("probe")
    timeline.mark("ffmpeg")
    timeline.mark("probe")  # a phase marked twice adds up
    assert list(timeline.phases) == ["queued", "probe", "ffmpeg"]
    assert re.fullmatch(r"queued 250 ms, probe \d+ ms, ffmpeg \d+ ms, total \d+ ms", timeline.text())


def test_a_processed_version_logs_one_timeline_line_with_every_phase(app, student_setup, tmp_path, caplog):
    from workshop.media.jobs import process_version

    _cohort, student, _mentor, assignment = student_setup
    version_id = _new_version(app, assignment, student, make_clip(tmp_path / "clip.mp4", seconds=2))
    with caplog.at_level(logging.INFO, logger="karya.media"), app.app_context():
        assert process_version(version_id) == "ready"
    assert _state(app, version_id).state is VersionState.READY
    lines = [r.getMessage() for r in caplog.records if "timeline" in r.getMessage()]
    assert len(lines) == 1, lines
    match = re.fullmatch(rf"version {version_id} timeline \((?:transcode|remux)\): (.*), total (\d+) ms", lines[0])
    assert match, lines[0]
    phases = dict((name, int(ms)) for name, ms in re.findall(r"(\w+) (\d+) ms", match.group(1)))
    assert list(phases) == PHASES
    assert sum(phases.values()) - phases["queued"] <= int(match.group(2)) + len(PHASES)  # rounding


def test_the_worker_loads_the_jobs_modules_before_forking_and_opens_no_database_connection(tmp_path):
    """Each work horse is a fork that exits after its job: what the worker has not loaded,
    every job loads again (it was 0.2 s a job). Loading must not connect to the database,
    which the process that forks horses must never hold (housekeeping.py)."""
    script = """
import sys
from sqlalchemy import event
import worker
from workshop import create_app
from workshop.extensions import db
from workshop.submissions.models import Version
app = create_app()
with app.app_context():
    connects = []
    event.listen(db.engine, "connect", lambda *args: connects.append(1))
    before = set(sys.modules)
    worker.preload()
    loaded = set(sys.modules) - before
    wanted = {"workshop.media.jobs", "workshop.media.pipeline", "workshop.media.images", "ffmpeg",
              "PIL.JpegImagePlugin",
              "workshop.submissions.service", "workshop.submissions.allocation", "workshop.notifications.service"}
    assert wanted <= set(sys.modules), wanted - set(sys.modules)
    assert "workshop.media.pipeline" in loaded  # not already loaded by create_app: preload did it
    assert Version.__mapper__.configured
    assert connects == [], "preload connected to the database"
print("ok")
"""
    env = {**os.environ, "SECRET_KEY": "test", "KARYA_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'karya.sqlite3'}", "REDIS_URL": "redis://127.0.0.1:1/0"}
    env.pop("KARYA_EMBEDDED", None)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
