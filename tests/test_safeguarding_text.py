"""A safeguarding concern's text stays with the concern: the cohort's leads and the mentor
who raised it read it; students (also in their data export) and other mentors never do."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from workshop.review.models import Review, Verdict
from workshop.submissions.models import SafeguardingConcern, Version

from .helpers import login
from .test_review import World

CONCERN = "CONCERN-5e1d: she says her uncle hits her when she films at home"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(app, make, client):
    world = World(app, make, client)
    # A second mentor of cohort A, who did not raise the concern.
    world.people["other_mentor"] = make.user(name="Other Mentor", email="other_mentor@karya.test")
    make.member(world.people["other_mentor"], world.a, "mentor")
    return world


def _as(world, who):
    world.client.post("/logout")
    login(world.client, world.people[who])
    return world.client


def _escalate(app, world) -> tuple[int, int]:
    """The mentor escalates through the review form; returns (version id, concern id)."""
    from workshop.extensions import db

    version_id = world.ready_version()
    response = _as(world, "mentor").post(f"/versions/{version_id}/review",
                                         data={"verdict": "escalated", "summary": CONCERN})
    assert response.status_code == 302, response.data
    with app.app_context():
        concern = db.session.scalar(db.select(SafeguardingConcern))
        assert concern.summary == CONCERN and concern.raised_by_id == world.people["mentor"].id
        return version_id, concern.id


def test_the_review_row_of_an_escalation_holds_no_concern_text(app, world):
    from workshop.extensions import db

    _escalate(app, world)
    with app.app_context():
        review = db.session.scalar(db.select(Review))
        assert review.verdict is Verdict.ESCALATED and CONCERN not in review.summary


def test_the_students_export_holds_no_concern_text(app, world):
    _escalate(app, world)
    response = _as(world, "student").get("/me/export.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert CONCERN.encode() not in everything and b"CONCERN-5e1d" not in everything
    [submission] = json.loads(archive.read("data.json"))["submissions"]
    [review] = submission["versions"][0]["reviews"]
    assert review["verdict"] == "escalated" and review["summary"] == ""


def test_another_mentor_sees_neither_the_text_nor_the_concern(app, world):
    version_id, concern_id = _escalate(app, world)
    client = _as(world, "other_mentor")
    page = client.get(f"/versions/{version_id}")
    assert page.status_code == 200
    assert "CONCERN-5e1d" not in page.get_data(as_text=True)
    assert f"/concerns/{concern_id}" not in page.get_data(as_text=True)
    assert client.get(f"/concerns/{concern_id}").status_code == 403
    listing = client.get(f"/cohorts/{world.a.id}/concerns")  # their own concerns: none
    assert listing.status_code == 200 and f"/concerns/{concern_id}" not in listing.get_data(as_text=True)
    assert "Sleep well" not in listing.get_data(as_text=True)
    api = world.api.get(f"/api/v1/versions/{version_id}", headers=world.auth("mentor"))
    assert "CONCERN-5e1d" not in api.get_data(as_text=True)


def test_the_raising_mentor_follows_their_own_concern_but_cannot_resolve_it(app, world):
    from workshop.extensions import db

    version_id, concern_id = _escalate(app, world)
    client = _as(world, "mentor")
    page = client.get(f"/versions/{version_id}").get_data(as_text=True)
    assert f"/concerns/{concern_id}" in page and "CONCERN-5e1d" not in page  # a link, not the text
    concern_page = client.get(f"/concerns/{concern_id}")
    assert concern_page.status_code == 200
    body = concern_page.get_data(as_text=True)
    assert "CONCERN-5e1d" in body and f"/concerns/{concern_id}/resolve" not in body
    assert client.post(f"/concerns/{concern_id}/resolve", data={"resolution": "Mine now"}).status_code == 403

    lead = _as(world, "lead")
    assert f"/concerns/{concern_id}" in lead.get(f"/versions/{version_id}").get_data(as_text=True)
    lead.post(f"/concerns/{concern_id}/resolve", data={"resolution": "RESOLVED-77: counsellor involved."})
    with app.app_context():
        assert db.session.get(SafeguardingConcern, concern_id).state.value == "resolved"
    assert "RESOLVED-77" in _as(world, "mentor").get(f"/concerns/{concern_id}").get_data(as_text=True)
    for who, status in [("other_mentor", 403), ("student", 403), ("other_student", 403), ("lead_b", 404),
                        ("mentor_b", 404)]:
        assert _as(world, who).get(f"/concerns/{concern_id}").status_code == status, who


def test_a_mentor_no_longer_on_the_cohort_cannot_open_the_concern_they_raised(app, world):
    from workshop.cohorts.models import Membership
    from workshop.extensions import db

    _version_id, concern_id = _escalate(app, world)
    with app.app_context():
        db.session.execute(db.delete(Membership).where(Membership.user_id == world.people["mentor"].id))
        db.session.commit()
    assert _as(world, "mentor").get(f"/concerns/{concern_id}").status_code == 404


def test_the_migration_blanks_the_summary_of_escalated_reviews_only(tmp_path):
    database = tmp_path / "old.sqlite3"
    env = {**os.environ, "FLASK_APP": "workshop", "SECRET_KEY": "x",
           "DATABASE_URL": f"sqlite:///{database}", "KARYA_INSTANCE_PATH": str(tmp_path)}
    env.pop("KARYA_EMBEDDED", None)

    def upgrade(target: str) -> None:
        result = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade", target], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr

    upgrade("0005")
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        # Only the reviews matter here: SQLite does not check their foreign keys on this connection.
        for review_id, verdict, summary in [(1, "escalated", CONCERN), (2, "changes_requested", "Shorter intro"),
                                            (3, "approved", "Lovely")]:
            conn.execute(text("INSERT INTO reviews (id, version_id, cohort_id, mentor_id, verdict, summary, "
                              "created_at) VALUES (:id, 1, 1, 1, :verdict, :summary, '2026-01-01 00:00:00')"),
                         {"id": review_id, "verdict": verdict, "summary": summary})
    upgrade("head")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, summary FROM reviews ORDER BY id")).all())
    assert rows == {1: "", 2: "Shorter intro", 3: "Lovely"}


def test_the_raising_mentor_follows_their_concerns_in_a_list_of_their_own(app, world):
    """The list shows the raiser what they raised (student, assignment, version, state, who
    raised it and when, the lead's decision); the lead sees every concern; the mentor is told
    when theirs is resolved. Nobody else finds it listed."""
    from workshop.extensions import db
    from workshop.notifications.models import Notification

    version_id, concern_id = _escalate(app, world)
    # A concern about another student's work, raised by someone else: the lead's to see only.
    other_version = world.ready_version("other_student")
    world.make.concern(world.make.row(Version, other_version), world.people["lead"], "CONCERN-other")
    listing = f"/cohorts/{world.a.id}/concerns"

    mine = _as(world, "mentor").get(listing).get_data(as_text=True)
    assert f"/concerns/{concern_id}" in mine and f"/versions/{version_id}" in mine
    assert "Student" in mine and "Sleep well" in mine and "Version 1" in mine and "Open" in mine
    assert "Mentor" in mine  # raised by
    assert "Other Student" not in mine and "CONCERN-5e1d" not in mine and "CONCERN-other" not in mine

    assert "Other Student" in _as(world, "lead").get(listing).get_data(as_text=True)
    world.client.post(f"/concerns/{concern_id}/resolve", data={"resolution": "RESOLVED-88: talked to the family."})
    with app.app_context():
        [told] = db.session.scalars(db.select(Notification).where(Notification.kind == "concern_resolved")).all()
        assert told.user_id == world.people["mentor"].id and told.link == f"/concerns/{concern_id}"
        assert "CONCERN" not in str(told.data) and "RESOLVED-88" not in str(told.data)

    mentor = _as(world, "mentor")
    resolved = mentor.get(listing).get_data(as_text=True)
    assert "Resolved" in resolved and "RESOLVED-88" in resolved and "Lead" in resolved
    indonesian = mentor.get(listing, headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Selesai" in indonesian and "kekhawatiran" in indonesian

    for who, status in [("other_mentor", 200), ("lead_b", 404), ("mentor_b", 404), ("student", 403)]:
        response = _as(world, who).get(listing)
        assert response.status_code == status, who
        assert f"/concerns/{concern_id}" not in response.get_data(as_text=True), who
