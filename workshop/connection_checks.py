"""A pooled database connection is checked before reuse, unless a page read finds it just used.

SQLAlchemy's ``pool_pre_ping`` sends a round trip to the database every time a request
takes a connection from the pool: on PostgreSQL here, one in seven of a page's round
trips. For a request that only reads (GET, HEAD, OPTIONS), a connection handed back
less than a second ago was working then, so it is handed out again unchecked, as the
HikariCP pool does (its ``aliveBypassWindowMs``). If the database went away within
that second, that page gets the "try again soon" answer (503), and SQLAlchemy, seeing
a disconnect, discards every connection in the pool, so the next request connects afresh.

Everything else is checked every time, as before: a form or an upload sent just after
a database restart must not fail on a dead connection (nothing a person sends is lost),
and neither must a job. A connection that fails its ping is replaced before anyone
uses it.
"""

from __future__ import annotations

import time

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from .access import READ_ONLY_METHODS
from .extensions import db

UNCHECKED_FOR_S = 1.0


def register(app) -> None:
    """Call after ``db.init_app``: check every engine's pooled connections as described above."""
    with app.app_context():
        for engine in db.engines.values():
            check_before_reuse(engine)


def check_before_reuse(engine) -> None:
    """Check ``engine``'s pooled connections as described above (instead of pool_pre_ping)."""

    @event.listens_for(engine, "connect")
    def _note_new(_dbapi_connection, record):
        record.info["just_connected"] = True

    @event.listens_for(engine, "checkin")
    def _note_working(_dbapi_connection, record):
        record.info["known_working_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy):
        if record.info.pop("just_connected", False):  # made for this checkout
            return
        if (time.monotonic() - record.info.get("known_working_at", 0.0) < UNCHECKED_FOR_S
                and has_request_context() and request.method in READ_ONLY_METHODS):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The pool discards this connection and tries another (SQLAlchemy's documented
                # way for a checkout handler to say "dead").
                raise DisconnectionError() from error
            raise
