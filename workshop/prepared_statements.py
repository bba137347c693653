"""On PostgreSQL, a request that only read ends with COMMIT, so psycopg keeps its prepared statements.

psycopg prepares a statement on a connection once it has run five times there
(``prepare_threshold``), and forgets every prepared statement on ROLLBACK. Flask-SQLAlchemy
ends each request by closing its session, which rolls back: nothing was ever prepared, and
PostgreSQL parsed and planned every statement of every page again. Measured on
``bench/web.py``'s data, one request at a time: the lead dashboard cost 11 ms of PostgreSQL
CPU and 25 ms in the page process with the rollback, 5 ms and 20 ms with its statements
prepared; the review queue 5 ms of PostgreSQL CPU against 2.5 (docs/performance.md, "What
the pages cost").

So a request whose transaction sent nothing but SELECTs is committed just before the session
closes, which changes nothing in the database. A request that wrote without committing, or
that failed, is rolled back as before. Transactions begin and end as SQLAlchemy makes them
otherwise; this only chooses how an unfinished read-only one ends. Nothing in Karya calls a
function with side effects from a SELECT.
"""

from __future__ import annotations

from sqlalchemy import event

from .extensions import db

WROTE = "karya_wrote"  # in Connection.info while the open transaction has sent a statement that writes


def register(app) -> None:
    """Call after ``db.init_app``: Flask runs teardown functions in reverse order, so the one
    added here runs before Flask-SQLAlchemy closes the session."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return  # SQLite has no prepared statements to keep
    event.listen(engine, "before_cursor_execute", _note_writes)
    event.listen(engine, "commit", _forget_writes)
    event.listen(engine, "rollback", _forget_writes)
    app.teardown_appcontext(_commit_if_only_read)


def _note_writes(conn, _cursor, statement, _parameters, _context, _executemany):
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[WROTE] = True


def _forget_writes(conn):
    conn.info.pop(WROTE, None)


def _commit_if_only_read(error) -> None:
    if error is not None:
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return  # nothing to end, or changes nobody committed: the close rolls them back
    if session.connection().info.get(WROTE):
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
