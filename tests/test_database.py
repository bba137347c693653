"""The database session and pool as the app configures them: what nobody committed is rolled
back, a transaction's writes are kept all together or not at all, a pooled connection that
died is replaced before anyone uses it (``pool_pre_ping``, workshop/config.py), and on
PostgreSQL a request that only read is committed (workshop/prepared_statements.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text, update


@pytest.fixture
def ended(app):
    """Counts of COMMITs and ROLLBACKs on the app's engine while the test runs."""
    from workshop.extensions import db

    counts = {"commit": 0, "rollback": 0}
    with app.app_context():
        engine = db.engine

    def on_commit(_conn):
        counts["commit"] += 1

    def on_rollback(_conn):
        counts["rollback"] += 1

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield counts
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


def _name(app, user_id):
    from workshop.accounts.models import User
    from workshop.extensions import db

    with app.app_context():
        return db.session.scalar(select(User.name).where(User.id == user_id))


def test_a_flushed_change_nobody_committed_is_rolled_back(app, make, ended):
    from workshop.accounts.models import User
    from workshop.extensions import db

    user = make.user(name="Sari")
    ended.update(commit=0, rollback=0)
    with app.app_context():
        db.session.get(User, user.id).name = "Changed"
        db.session.flush()  # the UPDATE has run; the session has nothing pending any more
    assert ended["commit"] == 0 and ended["rollback"] >= 1
    assert _name(app, user.id) == "Sari"


def test_a_bulk_update_nobody_committed_is_rolled_back(app, make):
    from workshop.accounts.models import User
    from workshop.extensions import db

    user = make.user(name="Sari")
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(name="Changed"))
    assert _name(app, user.id) == "Sari"


def test_a_request_that_failed_is_rolled_back(app, make, ended):
    from workshop.accounts.models import User
    from workshop.extensions import db

    user = make.user(name="Sari")
    ended.update(commit=0, rollback=0)
    with pytest.raises(RuntimeError):
        with app.app_context():
            db.session.get(User, user.id).name = "Changed"
            db.session.flush()
            raise RuntimeError("the view failed")
    assert ended["commit"] == 0 and ended["rollback"] >= 1
    assert _name(app, user.id) == "Sari"


def test_writes_up_to_a_commit_are_one_transaction(app, make):
    from sqlalchemy.exc import IntegrityError

    from workshop.accounts.models import User
    from workshop.extensions import db

    make.user(email="taken@karya.test")
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "taken@karya.test"))  # a read first
        db.session.add(User(email="first@karya.test", name="First", password_hash="x"))
        db.session.flush()
        db.session.add(User(email="taken@karya.test", name="Second", password_hash="x"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        # The failed second write took the first with it: nothing half done.
        assert db.session.scalar(select(User.id).where(User.email == "first@karya.test")) is None
        db.session.add(User(email="third@karya.test", name="Third", password_hash="x"))
        db.session.commit()
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.email == "third@karya.test")) == "Third"


def test_a_pooled_connection_that_died_is_replaced_before_anyone_uses_it(app, database_url):
    from sqlalchemy import create_engine

    from workshop.extensions import db

    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server that can end a connection (CI runs it on PostgreSQL)")
    with app.app_context():
        db.engine.dispose()  # one pooled connection, the one this test ends
        first = db.session.scalar(text("SELECT pg_backend_pid()"))
    with create_engine(database_url).connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
    with app.app_context():  # the check on checkout finds it dead; the pool connects again
        assert db.session.scalar(text("SELECT pg_backend_pid()")) != first


@pytest.fixture
def postgresql(app):
    from workshop.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are PostgreSQL's (CI runs this on PostgreSQL)")


def test_on_postgresql_a_request_that_only_read_is_committed_and_one_that_wrote_rolled_back(app, make, ended,
                                                                                          postgresql):
    """workshop/prepared_statements.py: the commit keeps psycopg's prepared statements."""
    from workshop.accounts.models import User
    from workshop.extensions import db

    user = make.user(name="Sari")
    ended.update(commit=0, rollback=0)
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Sari"
    assert ended == {"commit": 1, "rollback": 0}
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(name="Changed"))
        assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Changed"  # a read after it
    assert ended["commit"] == 1 and ended["rollback"] >= 1
    assert _name(app, user.id) == "Sari"


def test_on_postgresql_a_statement_read_in_many_requests_gets_prepared(app, make, postgresql):
    """psycopg prepares a statement after its fifth use on a connection, and forgets them all
    on ROLLBACK: the read-only requests' commits let it keep them."""
    from sqlalchemy import bindparam

    from workshop.accounts.models import User
    from workshop.extensions import db

    user = make.user(name="Sari")
    statement = select(User.name.label("prepared_statement_probe")).where(User.id == bindparam("user_id"))
    for _ in range(30):  # enough for every connection the pool may hand out
        with app.app_context():
            assert db.session.scalar(statement, {"user_id": user.id}) == "Sari"
    with app.app_context():
        prepared = db.session.scalar(text(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%prepared_statement_probe%'"))
    assert prepared == 1
