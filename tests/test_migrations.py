"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

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
