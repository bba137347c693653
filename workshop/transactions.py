"""How a request's database transaction ends when the view did not end it.

Flask-SQLAlchemy closes the session after each request, which rolls back whatever
transaction is still open, even one that only read. psycopg forgets every prepared
statement on ROLLBACK (a rollback may undo the DDL they depend on), so with one
transaction per request nothing was ever prepared: PostgreSQL planned each of the
dashboard's statements again on every view (3 ms for the review queue's alone).

A transaction that ran nothing but SELECTs is therefore committed instead, which
changes no data and lets psycopg prepare a statement after its fifth use on a
connection. Anything that wrote, and any request that failed, still rolls back.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

WROTE = "karya_wrote"


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, _cursor, statement, _parameters, _context, _executemany):
    if not statement.lstrip()[:6].upper() == "SELECT":
        conn.info[WROTE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_writes(conn):
    conn.info.pop(WROTE, None)


def register(app) -> None:
    """Call after ``db.init_app``: teardown functions run in reverse order, so this one
    runs before Flask-SQLAlchemy removes the session."""

    @app.teardown_appcontext
    def _commit_if_only_read(error):
        if error is not None:
            return
        session = db.session()
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        if session.connection().info.get(WROTE):  # one database: the transaction's only connection
            return
        # Rows read in this context stay readable after it, as with the rollback on close
        # (streamed responses and tests use them): a commit would otherwise expire them.
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        except Exception:  # noqa: BLE001 (the session is closed next, which rolls back)
            session.rollback()
        finally:
            session.expire_on_commit = expire

