"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, create_engine, inspect, text
from sqlalchemy.engine import make_url

from workshop.extensions import db as _db

ROOT = Path(__file__).resolve().parent.parent


def test_migrated_database_matches_the_models(app, db):
    """Run against the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_flask_db_upgrade_builds_an_empty_sqlite_database(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "FLASK_APP": "workshop", "SECRET_KEY": "x",
           "DATABASE_URL": f"sqlite:///{database}", "KARYA_INSTANCE_PATH": str(tmp_path)}
    env.pop("KARYA_EMBEDDED", None)
    result = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    tables = set(inspect(create_engine(f"sqlite:///{database}")).get_table_names())
    assert {"users", "cohorts", "memberships", "sessions", "attendance", "assignments", "submissions",
            "versions", "checklist_templates", "checklist_items", "reviews", "comments", "consents",
            "audit_events", "api_tokens", "alembic_version"} <= tables
    # Migration 0003 put in the four default checklist templates, all their items bilingual.
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        from sqlalchemy import text

        keys = [row[0] for row in conn.execute(text(
            "SELECT key FROM checklist_templates WHERE cohort_id IS NULL ORDER BY id"))]
        items = conn.execute(text("SELECT count(*), sum(text_en <> '' AND text_id <> '' AND source <> '') "
                                  "FROM checklist_items")).one()
    import json

    shipped = json.loads((ROOT / "workshop" / "review" / "default_checklists.json").read_text())
    assert keys == [t["key"] for t in shipped["templates"]]
    assert items[0] == items[1] == sum(len(t["items"]) for t in shipped["templates"])


@pytest.fixture
def private_database(database_url, redis_url, tmp_path):
    """An app on a database of its own, empty, for migrating step by step: a SQLite file,
    or a schema of its own on the PostgreSQL server the suite uses."""
    from workshop import create_app

    url = make_url(database_url)
    schema = None
    if url.drivername.startswith("postgresql"):
        schema = f"migrations_{os.getpid()}"
        server = create_engine(url)
        with server.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    else:
        url = make_url(f"sqlite:///{tmp_path / 'steps.sqlite3'}")
    private = create_app({"TESTING": True, "SECRET_KEY": "x", "REDIS_URL": redis_url,
                          "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)})
    yield private
    with private.app_context():
        _db.engine.dispose()
    if schema:
        with server.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        server.dispose()


def _insert(conn, name: str, *rows: dict) -> None:
    table = Table(name, MetaData(), autoload_with=conn)
    conn.execute(table.insert(), list(rows))


def test_0006_names_the_cohort_of_every_existing_notification(private_database):
    """Rows from before notifications had a cohort column get it from their data, else from
    the version, concern or cohort page they link to; nothing else is guessed."""
    from flask_migrate import downgrade, upgrade

    now = datetime(2026, 11, 1)  # stored naive, in UTC
    with private_database.app_context():
        upgrade(revision="0005")
        with _db.engine.begin() as conn:
            _insert(conn, "users", *[dict(id=i, email=f"p{i}@karya.test", name=f"P{i}", password_hash="x",
                                          is_admin=False, is_demo=False, is_minor=False, created_at=now,
                                          guardian_contact="") for i in (1, 2)])
            _insert(conn, "cohorts", *[dict(id=i, name=f"C{i}", description="", join_code=f"CODE{i}",
                                            timezone="Asia/Jakarta", review_target_hours=48, created_at=now)
                                       for i in (1, 2)])
            _insert(conn, "assignments", *[dict(id=i, cohort_id=i, title="A", brief="", max_duration_s=180,
                                                created_at=now) for i in (1, 2)])
            _insert(conn, "submissions", *[dict(id=i, assignment_id=i, cohort_id=i, student_id=2,
                                                state="awaiting_review", created_at=now, updated_at=now)
                                           for i in (1, 2)])
            _insert(conn, "versions", *[dict(id=version_id, submission_id=cohort_id, cohort_id=cohort_id, number=1,
                                             state="ready", original_filename="a.mp4", progress=1.0, attempts=0,
                                             created_at=now, remuxed=False, media_token=f"t{version_id}")
                                        for version_id, cohort_id in ((3, 1), (7, 2))])
            _insert(conn, "safeguarding_concerns", dict(id=5, cohort_id=1, submission_id=1, summary="s",
                                                        state="open", resolution="", created_at=now))
            links = {
                1: ({"cohort_id": 1}, "/"),
                2: ({"cohort_id": 99}, "/"),                # its cohort is gone: so is it
                3: ({}, "/versions/3"),
                4: ({}, "/versions/3#comment-3"),
                5: ({}, "/versions/7"),
                6: ({}, "/versions/30"),                    # not version 3: no such version
                7: ({}, "/notifications"),
                8: ({}, "/concerns/5"),
                9: ({}, "/cohorts/2/consent"),
                10: ({}, "/versions/3x"),
                11: ({}, "/versions/99999999999999999999"),  # too long for an id: no failing cast
                12: ({}, "/versions/"),
                13: ({"cohort_id": 2}, "/versions/3"),      # what it named wins
                14: ({}, "/concerns/5?x=1"),
            }
            _insert(conn, "notifications", *[dict(id=i, user_id=1, kind="reply", link=link, created_at=now,
                                                  data={"name": "Sari", "assignment": "A", **data})
                                             for i, (data, link) in links.items()])
        upgrade(revision="0006")
        with _db.engine.connect() as conn:
            named = dict(conn.execute(text("SELECT id, cohort_id FROM notifications")).all())
        assert named == {1: 1, 3: 1, 4: 1, 5: 2, 6: None, 7: None, 8: 1, 9: 2, 10: None, 11: None, 12: None,
                         13: 2, 14: None}
        indexes = {ix["name"]: ix["column_names"] for ix in inspect(_db.engine).get_indexes("notifications")}
        assert indexes["ix_notifications_user_unread"] == ["user_id", "read_at", "cohort_id"]
        assert indexes["ix_notifications_cohort_user"] == ["cohort_id", "user_id"]

        downgrade(revision="0005")
        inspector = inspect(_db.engine)
        assert "cohort_id" not in {column["name"] for column in inspector.get_columns("notifications")}
        assert [fk["referred_table"] for fk in inspector.get_foreign_keys("notifications")] == ["users"]
        assert {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("notifications")} == {
            "ix_notifications_user_id": ["user_id"], "ix_notifications_user_unread": ["user_id", "read_at"]}
        upgrade()


def test_0008_whatsapp_rewrites_stored_guardian_phone_numbers_in_e164(private_database):
    """Guardian contacts that read as valid phone numbers become E.164; email addresses and
    anything that does not parse stay as they were."""
    from flask_migrate import upgrade

    now = datetime(2026, 11, 1)
    contacts = {1: "0812-3456-7890", 2: "wali@example.test", 3: "0812", 4: "", 5: "6281311112222",
                6: "+62 811 0000 999", 7: "bu Ani (tetangga)"}
    with private_database.app_context():
        upgrade(revision="0008_sent_reminders")
        with _db.engine.begin() as conn:
            _insert(conn, "users", *[dict(id=i, email=f"p{i}@karya.test", name=f"P{i}", password_hash="x",
                                          is_admin=False, is_demo=False, is_minor=True, created_at=now,
                                          guardian_contact=contact) for i, contact in contacts.items()])
            _insert(conn, "cohorts", dict(id=1, name="C", description="", join_code="CODE1",
                                          timezone="Asia/Jakarta", review_target_hours=48, created_at=now))
            _insert(conn, "consents", dict(id=1, cohort_id=1, student_id=1, guardian_name="Ibu",
                                           guardian_contact="0812 3456 7890", given_at=now, created_at=now))
        upgrade(revision="0008_whatsapp_channel")
        with _db.engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT id, guardian_contact FROM users")).all())
            consent = conn.execute(text("SELECT guardian_contact FROM consents")).scalar()
    assert stored == {1: "+6281234567890", 2: "wali@example.test", 3: "0812", 4: "", 5: "+6281311112222",
                      6: "+628110000999", 7: "bu Ani (tetangga)"}
    assert consent == "+6281234567890"
