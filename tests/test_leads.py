"""Leads' work: assignments, mentor allocation and reassignment, the dashboard,
the progress API and CSV, and pages whose number of SQL queries does not grow with the data."""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from workshop.db_types import utcnow
from workshop.submissions.models import Submission, SubmissionState, Version, VersionState

from .helpers import PASSWORD, bearer, login


@pytest.fixture
def cohort(make):
    """A cohort with a lead, three mentors and six students."""
    c = make.cohort(name="Kelas 8B")
    people = {"lead": make.user(name="Lead", email="lead@karya.test")}
    make.member(people["lead"], c, "lead")
    for i in range(3):
        people[f"mentor{i}"] = make.user(name=f"Mentor {i}", email=f"mentor{i}@karya.test")
        make.member(people[f"mentor{i}"], c, "mentor")
    for i in range(6):
        people[f"student{i}"] = make.user(name=f"Student {i}", email=f"student{i}@karya.test")
        make.member(people[f"student{i}"], c, "student")
    return c, people


def _token(app, user) -> dict:
    response = app.test_client().post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    return bearer(response.json["token"])


def _ready(app, cohort_id, assignment_id, student_id, *, number=1, ready_at=None) -> int:
    """A version becoming ready, as the media job does it (allocation and announcements included)."""
    from workshop.extensions import db
    from workshop.submissions.service import announce_ready
    from workshop.submissions import lifecycle

    with app.app_context():
        submission = db.session.scalar(db.select(Submission).where(
            Submission.student_id == student_id, Submission.assignment_id == assignment_id))
        if submission is None:
            submission = Submission(assignment_id=assignment_id, cohort_id=cohort_id, student_id=student_id)
            db.session.add(submission)
            db.session.flush()
        version = Version(submission=submission, cohort_id=cohort_id, number=number, original_key="x",
                          state=VersionState.PROCESSING, duration_s=10.0)
        db.session.add(version)
        lifecycle.version_ready(version, checked=True)
        version.ready_at = ready_at or version.ready_at
        announce_ready(version)
        db.session.commit()
        return version.id


# --- assignments ------------------------------------------------------------------------

def test_the_api_creates_an_assignment_with_checklists_and_refuses_bad_input(app, cohort):
    c, people = cohort
    auth, api = _token(app, people["lead"]), app.test_client()
    created = api.post(f"/api/v1/cohorts/{c.id}/assignments", headers=auth, json={
        "title": "Tidur cukup", "brief": "Explain sleep in 2 minutes", "due_at": "2026-12-01T17:00:00",
        "max_duration_s": 120, "checklist_template_keys": ["wellbeing", "child_safety"]})
    assert created.status_code == 201, created.json
    assert created.json["checklist_template_keys"] == ["wellbeing", "child_safety"]
    assert created.json["due_at"] == "2026-12-01T10:00:00+00:00"  # 17:00 in Jakarta
    checklist = api.get(f"/api/v1/assignments/{created.json['id']}/checklist", headers=auth).json
    assert [t["key"] for t in checklist["templates"]] == ["wellbeing", "child_safety"]

    for payload, field in [({"title": ""}, "title"), ({"title": "x", "max_duration_s": 0}, "max_duration_s"),
                           ({"title": "x", "due_at": "tomorrow"}, "due_at"),
                           ({"title": "x", "checklist_template_keys": ["nope"]}, "checklist_template_keys")]:
        response = api.post(f"/api/v1/cohorts/{c.id}/assignments", headers=auth, json=payload)
        assert response.status_code == 422 and response.json["error"]["field"] == field, payload
    assert api.post(f"/api/v1/cohorts/{c.id}/assignments", headers=_token(app, people["mentor0"]),
                    json={"title": "x"}).status_code == 403


def test_a_lead_writes_an_assignment_on_the_page_and_students_see_theirs_by_due_date(app, client, cohort, make):
    c, people = cohort
    login(client, people["lead"])
    refused = client.post(f"/cohorts/{c.id}/assignments/new", data={
        "title": "", "brief": "Keep this brief text", "due_date": "2026-12-05", "due_time": "09:00",
        "max_minutes": "2"})
    assert refused.status_code == 422 and b"Keep this brief text" in refused.data  # nothing typed is lost
    saved = client.post(f"/cohorts/{c.id}/assignments/new", data={
        "title": "Later one", "due_date": "2026-12-20", "due_time": "09:00", "max_minutes": "1.5"})
    assert saved.status_code == 302
    client.post(f"/cohorts/{c.id}/assignments/new", data={"title": "Sooner one", "due_date": "2026-12-05",
                                                          "max_minutes": "3"})
    from workshop.cohorts.models import Assignment
    from workshop.extensions import db

    with app.app_context():
        later = db.session.scalar(db.select(Assignment).where(Assignment.title == "Later one"))
        assert later.max_duration_s == 90 and later.due_at == datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc)
    form = client.get(f"/assignments/{later.id}/edit").data.decode()  # as typed, in the cohort's zone
    assert 'value="1.5"' in form and 'value="2026-12-20"' in form and 'value="09:00"' in form
    edited = client.post(f"/assignments/{later.id}/edit", data={"title": "Later one (edited)",
                                                                "due_date": "2026-12-20", "max_minutes": "2"})
    assert edited.status_code == 302

    client.post("/logout")
    login(client, people["student0"])
    home = client.get("/").data.decode()
    assert home.index("Sooner one") < home.index("Later one (edited)")
    assert "Not started" in home


# --- allocation -------------------------------------------------------------------------

def test_new_versions_are_balanced_across_mentors_and_keep_their_mentor(app, cohort, make):
    c, people = cohort
    assignments = [make.assignment(c, title=f"A{i}") for i in range(4)]
    students = [people[f"student{i}"] for i in range(6)]
    for assignment in assignments:
        for student in students:
            _ready(app, c.id, assignment.id, student.id)
    from workshop.extensions import db
    from workshop.submissions.allocation import mentor_loads

    with app.app_context():
        loads = mentor_loads(c.id)
    assert sorted(open_ for open_, _total in loads.values()) == [8, 8, 8]  # 24 submissions over 3 mentors

    # Later versions stay with the same mentor, however loaded.
    with app.app_context():
        first = db.session.scalar(db.select(Submission).where(Submission.student_id == students[0].id,
                                                              Submission.assignment_id == assignments[0].id))
        mentor_before, first_id = first.mentor_id, first.id
        first.state = SubmissionState.CHANGES_REQUESTED
        db.session.commit()
    _ready(app, c.id, assignments[0].id, students[0].id, number=2)
    with app.app_context():
        assert db.session.get(Submission, first_id).mentor_id == mentor_before

    # Approved work frees a mentor: the next new submission goes to them.
    with app.app_context():
        for s in db.session.scalars(db.select(Submission).where(Submission.mentor_id == mentor_before)):
            s.state = SubmissionState.APPROVED
        db.session.commit()
    newcomer = make.user(name="Newcomer", email="new@karya.test")
    make.member(newcomer, c, "student")
    _ready(app, c.id, assignments[0].id, newcomer.id)
    with app.app_context():
        assert db.session.scalar(db.select(Submission.mentor_id).where(
            Submission.student_id == newcomer.id)) == mentor_before


def test_a_lead_moves_a_submission_to_another_mentor(app, client, cohort, make):
    c, people = cohort
    assignment = make.assignment(c)
    version_id = _ready(app, c.id, assignment.id, people["student0"].id)
    from workshop.extensions import db

    with app.app_context():
        submission = db.session.get(Version, version_id).submission
        target = next(people[f"mentor{i}"].id for i in range(3) if people[f"mentor{i}"].id != submission.mentor_id)
    login(client, people["lead"])
    page = client.get(f"/assignments/{assignment.id}").data.decode()
    assert f'action="/submissions/{submission.id}/mentor"' in page
    client.post(f"/submissions/{submission.id}/mentor", data={"mentor_id": target})
    refused = client.post(f"/submissions/{submission.id}/mentor", data={"mentor_id": people["student1"].id},
                          follow_redirects=True)
    assert b"Choose a mentor of this cohort" in refused.data
    with app.app_context():
        assert db.session.get(Submission, submission.id).mentor_id == target
    client.post("/logout")
    login(client, people["mentor0"])
    assert client.post(f"/submissions/{submission.id}/mentor", data={"mentor_id": target}).status_code == 403


# --- dashboard, progress, CSV -------------------------------------------------------------

def test_the_dashboard_and_progress_api_report_states_turnaround_overdue_and_load(app, client, cohort, make):
    c, people = cohort
    assignment = make.assignment(c, title="Sleep")
    now = utcnow()
    fast = _ready(app, c.id, assignment.id, people["student0"].id, ready_at=now - timedelta(hours=10))
    slow = _ready(app, c.id, assignment.id, people["student1"].id, ready_at=now - timedelta(hours=30))
    late = _ready(app, c.id, assignment.id, people["student2"].id, ready_at=now - timedelta(hours=72))
    from workshop.extensions import db
    from workshop.review.models import Review, Verdict

    with app.app_context():
        for version_id, hours in ((fast, 2), (slow, 20)):
            version = db.session.get(Version, version_id)
            db.session.add(Review(version_id=version_id, cohort_id=c.id, mentor_id=version.submission.mentor_id,
                                  verdict=Verdict.CHANGES_REQUESTED, summary="x",
                                  created_at=version.ready_at + timedelta(hours=hours)))
            version.submission.state = SubmissionState.CHANGES_REQUESTED
        db.session.commit()

        # One session: four students present or late, two absent.
        from workshop.sessions.models import Attendance, AttendanceStatus, WorkshopSession

        session = WorkshopSession(cohort_id=c.id, title="Week 1", starts_at=now - timedelta(days=1))
        db.session.add(session)
        db.session.flush()
        for i, status in enumerate(["present", "present", "late", "present", "absent", "absent"]):
            db.session.add(Attendance(session_id=session.id, user_id=people[f"student{i}"].id,
                                      status=AttendanceStatus(status)))
        db.session.commit()

    body = app.test_client().get(f"/api/v1/cohorts/{c.id}/progress", headers=_token(app, people["lead"])).json
    assert body["review_turnaround_hours"] == {"median": 2.0, "p90": 20.0, "reviews": 2}
    assert [w["version_id"] for w in body["waiting_reviews"]] == [late]
    assert body["waiting_reviews"][0]["overdue"] is True  # 72 h > the 48 h target
    assert len(body["students"]) == 6 and len(body["submissions"]) == 3
    assert sum(m["open_reviews"] for m in body["mentor_load"]) == 1 and len(body["mentor_load"]) == 3
    assert body["open_concerns"] == 0
    assert body["attendance_rate"] == pytest.approx(4 / 6)

    login(client, people["lead"])
    page = client.get(f"/cohorts/{c.id}/dashboard").data.decode()
    assert "Student 5" in page and "Overdue" in page and "Changes requested" in page

    exported = client.get(f"/cohorts/{c.id}/progress.csv")
    assert exported.is_streamed and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0] == ["Student", "Assignment", "State", "Versions"] and len(rows) == 1 + 6
    assert ["Student 2", "Sleep", "Waiting for review", "1"] in rows
    # The same columns in the same order, in the reader's language.
    indonesian = client.get(f"/cohorts/{c.id}/progress.csv", headers={"Accept-Language": "id"})
    rows_id = list(csv.reader(io.StringIO(indonesian.data.decode("utf-8-sig"))))
    assert rows_id[0] == ["Siswa", "Tugas", "Status", "Versi"] and len(rows_id) == len(rows)
    assert ["Student 2", "Sleep", "Menunggu ulasan", "1"] in rows_id

    for who, status in [("mentor0", 403), ("student0", 403)]:
        client.post("/logout")
        login(client, people[who])
        assert client.get(f"/cohorts/{c.id}/dashboard").status_code == status
        assert client.get(f"/cohorts/{c.id}/progress.csv").status_code == status


def test_csv_cells_cannot_become_formulas(app, client, make):
    c = make.cohort()
    lead = make.user(name="Lead", email="l@karya.test")
    make.member(lead, c, "lead")
    student = make.user(name="=HYPERLINK(\"http://evil\")", email="s@karya.test")
    make.member(student, c, "student")
    make.assignment(c, title="+SUM(A1)")
    login(client, lead)
    rows = list(csv.reader(io.StringIO(client.get(f"/cohorts/{c.id}/progress.csv").data.decode("utf-8-sig"))))
    assert rows[1][0].startswith("'=") and rows[1][1] == "'+SUM(A1)"


def test_progress_csv_quotes_a_formula_hidden_after_a_semicolon(app, client, make):
    """Excel in Indonesian splits cells on ';', so the second half of this name would run."""
    c = make.cohort()
    lead = make.user(name="Lead", email="l@karya.test")
    make.member(lead, c, "lead")
    evil = "Budi;=cmd|' /C calc'!A0"
    make.member(make.user(name=evil, email="s@karya.test"), c, "student")
    make.assignment(c, title="Part one; part two")
    login(client, lead)
    body = client.get(f"/cohorts/{c.id}/progress.csv").data.decode("utf-8-sig")
    shown = "Budi;'=cmd|' /C calc'!A0"
    assert f'"{shown}","Part one; part two"' in body
    assert list(csv.reader(io.StringIO(body)))[1][:2] == [shown, "Part one; part two"]
    cells = [cell for row in csv.reader(io.StringIO(body), delimiter=";") for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


# --- query counts -----------------------------------------------------------------------

@contextlib.contextmanager
def counting_queries(app):
    from workshop.extensions import db

    statements = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _grow(app, make, c, people, students: int, assignments: int):
    new_assignments = [make.assignment(c, title=f"Extra {i}") for i in range(assignments)]
    for i in range(students):
        student = make.user(name=f"Extra student {i}")
        make.member(student, c, "student")
        for assignment in new_assignments:
            _ready(app, c.id, assignment.id, student.id)


@pytest.mark.parametrize("page", ["dashboard", "queue", "student_home"])
def test_page_query_counts_do_not_grow_with_the_data(app, cohort, make, page):
    c, people = cohort
    _grow(app, make, c, people, students=2, assignments=1)
    who = {"dashboard": "lead", "queue": "mentor0", "student_home": "student0"}[page]
    url = {"dashboard": f"/cohorts/{c.id}/dashboard", "queue": "/reviews", "student_home": "/"}[page]
    client = app.test_client()
    login(client, people[who])
    client.get(url)  # warm-up: first-request work is not the page's

    def measure() -> int:
        with counting_queries(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    small = measure()
    _grow(app, make, c, people, students=8, assignments=3)
    for i in range(3):  # the student's own work grows too
        assignment = make.assignment(c, title=f"Own {i}")
        _ready(app, c.id, assignment.id, people["student0"].id)
    assert measure() == small, f"{page}: {small} queries with little data, more with more"
