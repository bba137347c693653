"""Periodic chores every worker runs beside its RQ loop (see ``worker.py``).

Each chore runs every so many seconds (a config value) in one background thread.
They are safe to run in several workers at once: each acts only through
conditional updates or on rows it can lock, so two workers never do one thing twice.

* the media watchdog (:mod:`workshop.media.watchdog`), every ``MEDIA_WATCHDOG_EVERY_S``;
* the purge of abandoned uploads (:mod:`workshop.uploads.cleanup`), every
  ``UPLOAD_PURGE_EVERY_S``. The upload area is ``MEDIA_ROOT/uploads``; where web
  and workers do not share that disk, run ``flask karya purge-uploads`` from cron
  on the web hosts instead;
* the deletion of students' data after their guardian withdrew consent
  (:mod:`workshop.consent.deletion`), every ``CONSENT_DELETION_EVERY_S``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask

log = logging.getLogger("karya.housekeeping")


@dataclass(frozen=True)
class Chore:
    name: str
    every_key: str  # the config key holding its interval in seconds
    run: Callable[[], object]


def chores() -> list[Chore]:
    from .consent.deletion import delete_due_data
    from .media.watchdog import recover_stuck_versions
    from .uploads.cleanup import purge_expired_uploads

    return [
        Chore("media watchdog", "MEDIA_WATCHDOG_EVERY_S", recover_stuck_versions),
        Chore("upload purge", "UPLOAD_PURGE_EVERY_S", purge_expired_uploads),
        Chore("consent deletion", "CONSENT_DELETION_EVERY_S", delete_due_data),
    ]


def run_forever(app: Flask, stop: threading.Event, tick_s: float = 1.0) -> None:
    """Run each chore when it is due until ``stop`` is set; a failing chore is logged and tried again later."""
    from .extensions import db

    due = {chore.name: time.monotonic() + app.config[chore.every_key] for chore in chores()}
    while not stop.wait(tick_s):
        for chore in chores():
            if time.monotonic() < due[chore.name]:
                continue
            due[chore.name] = time.monotonic() + app.config[chore.every_key]
            with app.app_context():
                try:
                    chore.run()
                except Exception:  # keep going: a database or Redis blip passes
                    log.exception("%s failed; will try again", chore.name)
                    db.session.rollback()
                finally:
                    db.session.remove()


def start(app: Flask) -> threading.Event:
    """Start the chores in a daemon thread; set the returned event to stop them."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="housekeeping", daemon=True).start()
    return stop
