"""What every RQ job function needs: an app, and database connections of its own.

The same pattern as ``workshop/media/jobs.py``'s ``_app``, shared so that jobs of
other features (notification emails) do not reach into the media package.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask, current_app, has_app_context

from .extensions import db

_job_app: Flask | None = None


def job_app() -> Flask:
    """The worker's app (worker.py pushes its context before forking work horses),
    else one made on first use: jobs must not build one at import time."""
    global _job_app
    if has_app_context():
        return current_app._get_current_object()
    if _job_app is None:
        from . import create_app

        _job_app = create_app()
    return _job_app


@contextmanager
def job_context() -> Iterator[Flask]:
    """An app context for one job, with a fresh connection pool.

    A work horse is a fork of the worker: pooled connections it inherited belong
    to the parent and must not be shared.
    """
    app = job_app()
    with app.app_context():
        db.engine.dispose(close=False)
        yield app
