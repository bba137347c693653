"""An RQ worker for Karya: ``python worker.py [queue ...]`` (default: media, then default).

Run as many as you like, on as many machines as you like, all pointed at the
same ``REDIS_URL`` and ``DATABASE_URL``. Each also runs the periodic chores of
workshop/housekeeping.py (the media watchdog, which requeues versions whose
worker died, the purge of abandoned uploads, the deletion of data after consent
is withdrawn, the reminders and digests that are due) in a process of its own.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys

from rq import Worker

from workshop import create_app, housekeeping
from workshop.media.runner import die_with_parent
from workshop.queues import ALL
from workshop.redis_conn import get_redis


def preload() -> None:
    """Load, once in this process, what every job would otherwise load for itself.

    Each job runs in a work horse forked from this process, and a horse exits after
    its job: whatever it imported or cached dies with it, and the next horse starts
    again from what this process holds. So the job modules (and ffmpeg-python, Pillow
    and its JPEG plugin, the submission and notification services they use), SQLAlchemy's
    mapper configuration and ffmpeg's and ffprobe's versions are made here, where every
    horse inherits them (together about 0.2 s a job on the 2-core reference machine).
    Nothing here opens a database connection (housekeeping.py says why it must not).
    """
    from sqlalchemy.orm import configure_mappers

    from workshop.media import images, jobs, pipeline, tools  # noqa: F401
    from workshop.notifications import service as notifications  # noqa: F401
    from workshop.submissions import allocation, service as submissions  # noqa: F401

    configure_mappers()
    tools.ffmpeg(), tools.ffprobe()
    images.Image.preinit()  # Pillow's JPEG and PNG plugins, otherwise imported on the first open


def main(argv: list[str]) -> None:
    # `kill -USR1 <pid>` prints every thread's stack to stderr, here and in work horses
    # (they inherit it): the way to see where a job that makes no progress is stuck.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # What this process forks (RQ's scheduler process, work horses) dies with it: a worker
    # killed with SIGKILL runs no clean-up, and an orphaned scheduler or horse would carry
    # on beside the worker that replaces it.
    in_child = die_with_parent(check_parent=False)
    if in_child:
        os.register_at_fork(after_in_child=in_child)
    # Before anything here opens a database connection: this process forks the work
    # horses, and must never hold one (housekeeping.py says why).
    chores = housekeeping.start_process()
    app = create_app()
    try:
        with app.app_context():
            preload()
            Worker(argv or list(ALL), connection=get_redis(app)).work(with_scheduler=True)
    finally:
        chores.terminate()
        chores.join(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1:])
