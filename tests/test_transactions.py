"""How a request's transaction ends when the view leaves it open (workshop/transactions.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update


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


def test_a_transaction_that_only_read_is_committed_so_prepared_statements_survive(app, make, ended):
    from workshop.accounts.models import User
    from workshop.extensions import db

    user = make.user(name="Sari")
    ended.update(commit=0, rollback=0)
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Sari"
    assert ended == {"commit": 1, "rollback": 0}


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


def test_a_request_that_failed_is_rolled_back_even_if_it_only_read(app, make, ended):
    from workshop.accounts.models import User
    from workshop.extensions import db

    user = make.user(name="Sari")
    ended.update(commit=0, rollback=0)
    with pytest.raises(RuntimeError):
        with app.app_context():
            db.session.scalar(select(User.name).where(User.id == user.id))
            raise RuntimeError("the view failed")
    assert ended["commit"] == 0 and ended["rollback"] >= 1


def test_pages_still_work_and_a_write_after_reads_in_a_later_request_is_kept(client, app, make):
    """The committed read-only transaction leaves the connection clean for the next one."""
    from .helpers import login

    student = make.user(name="Sari")
    login(client, student)
    assert client.get("/").status_code == 200
    assert client.get("/notifications").status_code == 200
    assert _name(app, student.id) == "Sari"


def test_on_postgresql_a_statement_read_in_many_requests_gets_prepared(app, make):
    """The point of committing: psycopg prepares a statement after its fifth use on a
    connection, and forgets them all on ROLLBACK."""
    from sqlalchemy import bindparam, text

    from workshop.accounts.models import User
    from workshop.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are PostgreSQL's (CI runs this on PostgreSQL)")
    user = make.user(name="Sari")
    statement = select(User.name.label("prepared_statement_probe")).where(User.id == bindparam("user_id"))
    for _ in range(30):  # enough for every connection the pool may hand out
        with app.app_context():
            assert db.session.scalar(statement, {"user_id": user.id}) == "Sari"
    with app.app_context():
        prepared = db.session.scalar(text(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%prepared_statement_probe%'"))
    assert prepared == 1


def _server_transaction_status():
    from workshop.extensions import db

    return db.session.connection().connection.dbapi_connection.info.transaction_status.name


@pytest.fixture
def postgresql(app):
    from workshop.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("BEGIN at the first write is for PostgreSQL (CI runs this on PostgreSQL)")


def test_on_postgresql_a_page_that_only_reads_opens_no_transaction(app, make, postgresql):
    """No BEGIN and no COMMIT round trips for reads: the server never sees a transaction."""
    from workshop.accounts.models import User
    from workshop.extensions import db

    user = make.user(name="Sari")
    seen = []
    with app.test_request_context("/"):
        assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Sari"
        seen.append(_server_transaction_status())
        db.session.execute(select(User.id)).all()
        seen.append(_server_transaction_status())
    assert seen == ["IDLE", "IDLE"]


def test_on_postgresql_writes_from_the_first_one_to_commit_are_one_transaction(app, make, postgresql):
    from sqlalchemy.exc import IntegrityError

    from workshop.accounts.models import User
    from workshop.extensions import db

    make.user(email="taken@karya.test")
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "taken@karya.test"))  # a read: still IDLE
        assert _server_transaction_status() == "IDLE"
        db.session.add(User(email="first@karya.test", name="First", password_hash="x"))
        db.session.flush()
        assert _server_transaction_status() == "INTRANS"  # BEGIN went out before the INSERT
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
        assert _server_transaction_status() == "IDLE"
