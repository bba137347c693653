"""Pooled connections are pinged before reuse only after sitting idle (workshop/connection_checks.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text


@pytest.fixture
def engine(database_url):
    from workshop import connection_checks

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=1)
    connection_checks.check_before_reuse(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine, monkeypatch):
    """The pings the engine's dialect really sends, counted."""
    sent = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        sent.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return sent


def _select_one(engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_page_read_reuses_a_connection_just_handed_back_unchecked_and_pings_an_idle_one(app, engine, pings,
                                                                                         monkeypatch):
    from workshop import connection_checks

    with app.test_request_context("/", method="GET"):
        for _ in range(5):
            _select_one(engine)
        assert pings == []  # a new connection, then the same one back within the second
        monkeypatch.setattr(connection_checks, "UNCHECKED_FOR_S", 0.0)  # as after a second of idling
        _select_one(engine)
    assert len(pings) == 1


def test_forms_uploads_and_jobs_always_get_a_checked_connection(app, engine, pings):
    """What a person sends (or a job does) must not meet a connection that died a moment ago."""
    _select_one(engine)  # connects: known working
    with app.test_request_context("/versions/1/comments", method="POST"):
        _select_one(engine)
    _select_one(engine)  # no request: a job, the CLI
    assert len(pings) == 2


def test_a_connection_that_died_while_idle_is_replaced_before_anyone_uses_it(engine, database_url, monkeypatch):
    from workshop import connection_checks

    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server that can end a connection (CI runs it on PostgreSQL)")
    with engine.connect() as connection:
        first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1)).connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
    monkeypatch.setattr(connection_checks, "UNCHECKED_FOR_S", 0.0)
    with engine.connect() as connection:  # the ping finds it dead; the pool connects again
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != first
