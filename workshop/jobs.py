"""What every RQ job function needs: an app, and database connections of its own.

A work horse forked by ``worker.py`` inherits the worker's app context. A job run any other
way makes the app with the factory, which the package hands over when it is imported
(:func:`use_factory`): the jobs live in the features that the factory assembles, so they
cannot import it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from flask import Flask, current_app, has_app_context

from .extensions import db

_factory: Callable[[], Flask] | None = None
_job_app: Flask | None = None


def use_factory(factory: Callable[[], Flask]) -> None:
    """Make apps for jobs run outside the worker with ``factory``."""
    global _factory
    _factory = factory


def job_app() -> Flask:
    """The worker's app (worker.py pushes its context before forking work horses),
    else one made on first use: jobs must not build one at import time."""
    global _job_app
    if has_app_context():
        return current_app._get_current_object()
    if _job_app is None:
        _job_app = _factory()
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
