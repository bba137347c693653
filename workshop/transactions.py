"""When a database transaction starts, and how a request's ends when the view did not end it.

**On PostgreSQL a transaction starts at the first write, not the first read.** psycopg
sends BEGIN, and later COMMIT, as round trips of their own: for a page that only reads
(four SELECTs for a student's home page) that was two round trips in six, in the page
process and in the PostgreSQL backend alike. So connections run in autocommit mode, and
BEGIN goes out just before the first statement that is not a SELECT; from there to
COMMIT or ROLLBACK every write is one transaction, as before. This is what Python's
sqlite3 module has always done on SQLite. Reads before the first write see the same
data as before: under READ COMMITTED each statement sees what was committed when it
started, inside a transaction or not. (Nothing in Karya locks rows with SELECT ... FOR
UPDATE, which would need the transaction.)

**A transaction that only read is committed, not rolled back.** Flask-SQLAlchemy closes
the session after each request, which rolls back whatever is open. psycopg forgets every
prepared statement on ROLLBACK (a rollback may undo the DDL they depend on), and when
every request rolled back nothing was ever prepared: PostgreSQL planned each of the
dashboard's statements again on every view. Now such a request opens no transaction,
and the commit below costs nothing; anything that wrote, and any request that failed,
still rolls back.
"""

from __future__ import annotations

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from .extensions import db

WROTE = "karya_wrote"
IDLE = TransactionStatus.IDLE


def _is_read(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT"


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, _cursor, statement, _parameters, _context, _executemany):
    if not _is_read(statement):
        conn.info[WROTE] = True


def _begin_at_first_write(conn, cursor, statement, _parameters, _context, _executemany):
    if (not _is_read(statement) and cursor.connection.autocommit
            and cursor.connection.info.transaction_status == IDLE
            # A connection that asked for autocommit itself (CREATE INDEX CONCURRENTLY, say) gets it.
            and "isolation_level" not in conn.get_execution_options()):
        cursor.execute("BEGIN")  # in autocommit mode psycopg leaves transactions to us


def engine_options(app) -> None:
    """Call before ``db.init_app``: PostgreSQL connections in autocommit mode (see above)."""
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                                   "isolation_level": "AUTOCOMMIT"}


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_writes(conn):
    conn.info.pop(WROTE, None)


def register(app) -> None:
    """Call after ``db.init_app``: teardown functions run in reverse order, so this one
    runs before Flask-SQLAlchemy removes the session."""
    with app.app_context():
        for engine in db.engines.values():
            if (engine.dialect.name == "postgresql"
                    and app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("isolation_level") == "AUTOCOMMIT"):
                event.listen(engine, "before_cursor_execute", _begin_at_first_write)

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

