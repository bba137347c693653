"""What the processing job and the checks job (jobs.py, checks_job.py) both follow:
how often RQ retries them, the heartbeat that shows the watchdog they are alive, and
the limits that refuse a file."""

from __future__ import annotations

import logging
import threading
from fractions import Fraction

from rq import Retry
from sqlalchemy import update

from ..db_types import utcnow
from ..extensions import db
from ..submissions.models import ChecksState, Version, VersionState
from .probe import ProbeLimits

log = logging.getLogger("karya.media")

HEARTBEAT_EVERY_S = 5
RETRY = Retry(max=2, interval=[5, 30])


class Heartbeat(threading.Thread):
    """Stamps ``heartbeat_at`` while the job runs, whatever phase it is in (the checks job:
    ``checks_heartbeat_at`` while its checks are running)."""

    def __init__(self, app, version_id: int, *, checks: bool = False):
        super().__init__(name=f"heartbeat-{version_id}", daemon=True)
        self.app, self.version_id = app, version_id
        if checks:
            self._while, self._stamp = Version.checks_state == ChecksState.RUNNING, "checks_heartbeat_at"
        else:
            self._while, self._stamp = Version.state == VersionState.PROCESSING, "heartbeat_at"
        self._stop_event = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            while not self._stop_event.wait(HEARTBEAT_EVERY_S):
                try:
                    with db.engine.begin() as conn:
                        conn.execute(update(Version).where(Version.id == self.version_id, self._while)
                                     .values({self._stamp: utcnow()}))
                except Exception:  # a DB blip must not kill the job; the next beat retries
                    log.warning("heartbeat for version %s failed", self.version_id, exc_info=True)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=HEARTBEAT_EVERY_S * 2)


def limits(app):
    """The hard limits that refuse a file. The assignment's own maximum is not one of
    them: a draft a little over the brief is still worth a mentor's look, so that is
    judged by the duration check (warn, then fail) instead."""
    return ProbeLimits(
        max_duration_s=app.config["MEDIA_MAX_DURATION_S"],
        max_width=app.config["MEDIA_MAX_WIDTH"], max_height=app.config["MEDIA_MAX_HEIGHT"],
        max_fps=Fraction(app.config["MEDIA_MAX_FPS"]),
    )
