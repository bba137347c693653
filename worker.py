"""An RQ worker for Karya: ``python worker.py [queue ...]`` (default: media, then default).

Run as many as you like, on as many machines as you like, all pointed at the
same ``REDIS_URL`` and ``DATABASE_URL``. Each also runs the media watchdog,
which requeues versions whose worker died (see workshop/media/watchdog.py).
"""

from __future__ import annotations

import logging
import sys
import threading

from rq import Worker

from workshop import create_app
from workshop.queues import ALL
from workshop.redis_conn import get_redis

log = logging.getLogger("karya.worker")


def _watch(app, stop: threading.Event) -> None:
    from workshop.extensions import db
    from workshop.media.watchdog import recover_stuck_versions

    while not stop.wait(app.config["MEDIA_WATCHDOG_EVERY_S"]):
        with app.app_context():
            try:
                recover_stuck_versions()
            except Exception:  # keep watching: a DB or Redis blip passes
                log.exception("media watchdog run failed")
            finally:
                db.session.remove()


def main(argv: list[str]) -> None:
    app = create_app()
    stop = threading.Event()
    threading.Thread(target=_watch, args=(app, stop), name="media-watchdog", daemon=True).start()
    try:
        with app.app_context():
            Worker(argv or list(ALL), connection=get_redis(app)).work(with_scheduler=True)
    finally:
        stop.set()


if __name__ == "__main__":
    main(sys.argv[1:])
