"""A lead's pages in Chromium at phone width, in English and Bahasa Indonesia: creating an
assignment, the dashboard, sessions and attendance, people and the roster import preview.
Screenshots are kept as test artefacts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workshop.db_types import utcnow

from ..helpers import PASSWORD
from .conftest import log_in, screenshot

WORDS = {"en": {"dashboard": "Dashboard", "saved": "The assignment is saved.", "attendance": "Attendance"},
         "id": {"dashboard": "Dasbor", "saved": "Tugas tersimpan.", "attendance": "Kehadiran"}}


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_lead_runs_the_cohort_from_a_phone(live_server, page_in, make, app, tmp_path, language):
    cohort = make.cohort(name="Kelas Literasi Digital")
    lead = make.user(name="Bu Rina", email=f"rina-{language}@karya.test")
    make.member(lead, cohort, "lead")
    for i in range(2):
        make.member(make.user(name=f"Mentor {i}", email=f"m{i}-{language}@karya.test"), cohort, "mentor")
    students = [make.user(name=f"Siswa {i}", email=f"s{i}-{language}@karya.test") for i in range(4)]
    for student in students:
        make.member(student, cohort, "student")
    from workshop.sessions.models import WorkshopSession
    from workshop.extensions import db

    with app.app_context():
        db.session.add(WorkshopSession(cohort_id=cohort.id, title="Pertemuan 1", location="Aula",
                                       starts_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    words = WORDS[language]
    page = page_in(language)
    log_in(page, live_server, lead.email, PASSWORD)

    # A new assignment, from the cohort page.
    page.goto(f"{live_server}/cohorts/{cohort.id}")
    page.click(f"a[href='/cohorts/{cohort.id}/assignments/new']")
    page.fill("#title", "Hoaks kesehatan")
    page.fill("#brief", "Jelaskan cara mengenali hoaks kesehatan dalam 2 menit.")
    page.fill("#due_date", "2026-12-15")
    page.fill("#due_time", "17:00")
    page.fill("#max_minutes", "2")
    screenshot(page, f"lead-1-new-assignment-{language}")
    page.click("form.card button[type=submit]")
    page.wait_for_selector(f"text={words['saved']}")

    # The dashboard.
    page.goto(f"{live_server}/cohorts/{cohort.id}/dashboard")
    assert words["dashboard"] in page.locator("h1").inner_text()
    assert page.locator("#progress-matrix tbody tr").count() == 4
    screenshot(page, f"lead-2-dashboard-{language}")

    # Attendance for the session, on the phone-friendly page.
    page.goto(f"{live_server}/cohorts/{cohort.id}/sessions")
    screenshot(page, f"lead-3-sessions-{language}")
    page.locator("a[href^='/sessions/'][href$='/attendance']").first.click()
    screenshot(page, f"lead-4-attendance-{language}")
    assert words["attendance"] in page.locator("h1").inner_text()
    assert page.locator("text=Siswa 3").count() == 1

    # People, and the roster import preview of a small CSV with one bad row.
    page.goto(f"{live_server}/cohorts/{cohort.id}/people")
    screenshot(page, f"lead-5-people-{language}")
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,role,birth_year,guardian_contact\n"
                      "Dewi Lestari,dewi@sekolah.test,student,2011,0812-1111\n"
                      "Tanpa Email,,student,2011,\n", encoding="utf-8")
    page.goto(f"{live_server}/cohorts/{cohort.id}/roster")
    page.set_input_files("input[type=file]", str(roster))
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server}/cohorts/{cohort.id}/roster/*")
    screenshot(page, f"lead-6-roster-preview-{language}")
    assert "Dewi Lestari" in page.content()
