"""Periodic chores every worker runs beside its RQ loop (see ``worker.py``).

Each chore runs every so many seconds (a config value), one after another, in a
process of the worker's own (:func:`start_process`). They are safe to run in several
workers at once: each acts only through conditional updates or on rows it can lock,
so two workers never do one thing twice.

* the media watchdog (:mod:`workshop.media.watchdog`), every ``MEDIA_WATCHDOG_EVERY_S``;
* the purge of abandoned uploads (:mod:`workshop.uploads.cleanup`), every
  ``UPLOAD_PURGE_EVERY_S``. The upload area is ``MEDIA_ROOT/uploads``; where web
  and workers do not share that disk, run ``flask karya purge-uploads`` from cron
  on the web hosts instead;
* the deletion of students' data after their guardian withdrew consent
  (:mod:`workshop.consent.deletion`), every ``CONSENT_DELETION_EVERY_S``;
* the deletion of login sessions that ended, revoked or past their lifetime
  (:func:`workshop.accounts.auth.purge_ended_login_sessions`), every
  ``LOGIN_SESSION_PURGE_EVERY_S``;
* reminders and digests that are due (:mod:`workshop.reminders.service`), every
  ``REMINDERS_EVERY_S``: each is sent once however many workers find it due.

**Why a process and not a thread.** The worker forks a work horse for every job. A
fork made while another thread of the worker was inside an SQLite write transaction
leaves the horse unable to write at all: SQLite keeps each file's lock state in the
process, the horse inherits "a connection here holds the write lock" without the
lock or the connection that would release it, and its first UPDATE fails with
"database is locked". The watchdog hit exactly that: it queues a version and then
writes the job id, while the worker is already forking the horse for that job. So
the process that forks horses never opens a database connection; the chores run in
a process forked from it before it opens any.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask

from . import create_app
from .accounts.auth import purge_ended_login_sessions
from .consent.deletion import delete_due_data
from .extensions import db
from .media.watchdog import recover_stuck_versions
from .reminders.service import send_due_reminders
from .uploads.cleanup import purge_expired_uploads

log = logging.getLogger("karya.housekeeping")


@dataclass(frozen=True)
class Chore:
    name: str
    every_key: str  # the config key holding its interval in seconds
    run: Callable[[], object]


def chores() -> list[Chore]:
    return [
        Chore("media watchdog", "MEDIA_WATCHDOG_EVERY_S", recover_stuck_versions),
        Chore("upload purge", "UPLOAD_PURGE_EVERY_S", purge_expired_uploads),
        Chore("consent deletion", "CONSENT_DELETION_EVERY_S", delete_due_data),
        Chore("login session purge", "LOGIN_SESSION_PURGE_EVERY_S", purge_ended_login_sessions),
        Chore("reminders", "REMINDERS_EVERY_S", send_due_reminders),
    ]


def run_forever(app: Flask, stop: threading.Event, tick_s: float = 1.0) -> None:
    """Run each chore when it is due until ``stop`` is set; a failing chore is logged and tried again later."""
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


def start_process() -> multiprocessing.Process:
    """Start the chores in a process of their own, which makes its own app.

    Call it before this process opens a database connection (see above). The process
    is a daemon: it is ended when this one exits, and ``worker.py`` also has Linux end
    it if the worker is killed outright.
    """
    process = multiprocessing.get_context("fork").Process(target=_run_in_process, name="karya-housekeeping",
                                                          daemon=True)
    process.start()
    return process


def _run_in_process() -> None:
    # Ctrl-C in a terminal reaches the whole group: the worker shuts down, and this
    # process ends with it instead of printing a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run_forever(create_app(), threading.Event())
