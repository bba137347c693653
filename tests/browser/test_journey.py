"""The whole story in Chromium, once in English and once in Bahasa Indonesia:
a lead creates a cohort and an assignment and invites a mentor and a student; the student
signs up from the invite, uploads a clip with the real uploader and watches it become
ready; the mentor signs up, comments at a moment, answers the checklist and requests
changes; the student uploads v2; the mentor approves. Screenshots of each step are kept."""

from __future__ import annotations

import re
import time

import pytest

from ..helpers import PASSWORD
from ..test_processing import make_clip
from .conftest import emailed_link, log_in, screenshot, worker_diagnosis
from .test_review_round import _answer_all, _comment_here_with_the_keyboard, _upload

APPROVED = {"en": "Approved", "id": "Disetujui"}


def _invite(page, base, cohort_id, email, role) -> str:
    page.goto(f"{base}/cohorts/{cohort_id}/invites")
    page.fill("#email", email)
    page.select_option("#role", role)
    page.locator("form[action$='/invites'] button[type=submit]").click()
    link = page.locator("code.share-link").inner_text().strip()
    assert "/invite/" in link
    return link


def _sign_up_from(page, base, link, name, email, tag):
    """Sign up through a shown invite link, then confirm the address from the mailbox:
    until then the home page asks for it and no cohort opens."""
    page.goto(link)
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(base + "/")
    assert page.locator(".confirm-notice form[action$='/confirm/resend']").count() == 1
    screenshot(page, f"{tag}-confirm-your-email")
    page.goto(emailed_link(base, email, "confirm"))
    page.wait_for_url(base + "/")
    assert page.locator(".confirm-notice").count() == 0 and page.locator(".cohort-card").count() == 1


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_whole_journey(live_server, page_in, make, tmp_path, language):
    base = live_server
    programme = make.cohort(name="Programme staff")
    lead = make.user(name="Bu Rina", email=f"rina-journey-{language}@karya.test")
    make.member(lead, programme, "lead")  # programme staff may start cohorts
    tag = f"journey-{language}"

    # The lead creates the cohort and the assignment, and invites a mentor and a student.
    lead_page = page_in(language)
    log_in(lead_page, base, lead.email, PASSWORD)
    lead_page.goto(f"{base}/cohorts/new")
    lead_page.fill("#name", f"Kelas Sehat {language}")
    lead_page.locator("form button[type=submit]").last.click()
    lead_page.wait_for_url(re.compile(r".*/cohorts/\d+/manage$"))
    cohort_id = int(re.search(r"/cohorts/(\d+)/", lead_page.url).group(1))
    screenshot(lead_page, f"{tag}-1-cohort-created")
    lead_page.goto(f"{base}/cohorts/{cohort_id}/assignments/new")
    lead_page.fill("#title", "Tidur yang cukup")
    lead_page.fill("#brief", "Jelaskan pentingnya tidur dalam 1 menit.")
    lead_page.fill("#max_minutes", "2")
    lead_page.locator("form.card button[type=submit]").click()
    lead_page.wait_for_url(re.compile(r".*/assignments/\d+$"))
    assignment_id = int(lead_page.url.rsplit("/", 1)[1])
    mentor_link = _invite(lead_page, base, cohort_id, f"mentor-{tag}@sma1-jakarta.sch.id", "mentor")
    student_link = _invite(lead_page, base, cohort_id, f"student-{tag}@sma1-jakarta.sch.id", "student")
    screenshot(lead_page, f"{tag}-2-invites")

    # The student signs up from the invite and uploads v1 with the real uploader.
    student_page = page_in(language)
    _sign_up_from(student_page, base, student_link, "Putri", f"student-{tag}@sma1-jakarta.sch.id", tag)
    v1 = _upload(student_page, base, assignment_id, make_clip(tmp_path / "v1.mp4", seconds=15))
    screenshot(student_page, f"{tag}-3-student-v1-ready")

    # The mentor signs up, comments at 0:05, answers the checklist and requests changes.
    mentor_page = page_in(language)
    _sign_up_from(mentor_page, base, mentor_link, "Pak Budi", f"mentor-{tag}@sma1-jakarta.sch.id", tag)
    mentor_page.goto(f"{base}/reviews")
    mentor_page.locator(f"a[href='/versions/{v1}']").click()
    mentor_page.wait_for_url(f"**/versions/{v1}")
    _comment_here_with_the_keyboard(mentor_page, 5, "Suaranya kurang keras di sini")
    _answer_all(mentor_page, "yes")
    mentor_page.check("input[name=verdict][value=changes_requested]")
    mentor_page.fill("#summary", "Perbaiki suara di 0:05 lalu unggah lagi.")
    mentor_page.click("#review-form button[type=submit]")
    mentor_page.wait_for_selector("#verdict.verdict-changes_requested")
    screenshot(mentor_page, f"{tag}-4-mentor-requests-changes")

    # The student sees the comment at its time and uploads v2.
    student_page.goto(f"{base}/versions/{v1}")
    assert student_page.locator("#comments a.timecode").all_inner_texts() == ["0:05"]
    screenshot(student_page, f"{tag}-5-student-sees-feedback")
    student_page.click("#verdict a.button")
    v2 = _upload(student_page, base, assignment_id, make_clip(tmp_path / "v2.mp4", seconds=15))

    # The mentor approves v2, once its automatic checks are complete: the clip is web-safe, so it
    # plays as soon as it is copied and its checks run in a job of their own.
    mentor_page.goto(f"{base}/versions/{v2}")
    deadline = time.monotonic() + 120
    while mentor_page.get_attribute("#checks", "data-checks-state") != "complete":
        assert time.monotonic() < deadline, "the checks of v2 never completed: " + worker_diagnosis(base)
        mentor_page.wait_for_timeout(500)
        mentor_page.reload()
    assert "Suaranya kurang keras di sini" in mentor_page.locator("#earlier-comments").inner_text()
    _answer_all(mentor_page, "yes")
    mentor_page.check("input[name=verdict][value=approved]")
    mentor_page.click("#review-form button[type=submit]")
    mentor_page.wait_for_selector("#verdict.verdict-approved")
    assert APPROVED[language] in mentor_page.locator("#verdict h2").inner_text()
    screenshot(mentor_page, f"{tag}-6-approved")

    # The student's home shows the assignment approved.
    student_page.goto(f"{base}/")
    assert APPROVED[language] in student_page.content()
    screenshot(student_page, f"{tag}-7-student-home")
