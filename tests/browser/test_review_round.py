"""A full review round in Chromium: the mentor comments at 0:05 and 0:12 with the
keyboard, answers the checklist and requests changes; the student sees both comments at
their times, replies and uploads v2; the mentor sees v1's comments beside v2 and approves.
Once in English and once in Bahasa Indonesia."""

from __future__ import annotations

import re
import time

import pytest

from ..helpers import PASSWORD
from ..test_processing import make_clip
from .conftest import log_in, screenshot, wait_for_player

TEXT = {
    "en": {"earlier": "Comments on earlier versions", "approved": "Approved", "changes": "Changes requested"},
    "id": {"earlier": "Komentar pada versi sebelumnya", "approved": "Disetujui", "changes": "Perlu perbaikan"},
}


def _upload(page, base, assignment_id, clip):
    page.goto(f"{base}/assignments/{assignment_id}")
    page.wait_for_selector(".uppy-Dashboard", timeout=60_000)
    page.set_input_files("input.uppy-Dashboard-input", str(clip))
    page.click(".uppy-StatusBar-actionBtn--upload")
    page.wait_for_url(re.compile(r".*/versions/\d+$"), timeout=180_000)
    wait_for_player(page, base)
    return int(page.url.rsplit("/", 1)[1])


def _until(page, expression: str, timeout_s: float = 30):
    """Poll ``expression`` from Python: Playwright's own polling evaluates strings in the
    page, which Karya's Content-Security-Policy (no 'unsafe-eval') rightly forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)


def _seek(page, seconds: float):
    _until(page, "document.querySelector('video#video')?.readyState >= 1")
    page.evaluate("""(t) => new Promise(done => {
        const v = document.querySelector('video#video');
        v.addEventListener('seeked', () => done(), {once: true});
        v.currentTime = t;
    })""", seconds)


def _comment_here_with_the_keyboard(page, seconds: float, text: str):
    _seek(page, seconds)
    page.locator("body").click(position={"x": 5, "y": 5})  # focus out of the video's own controls
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "comment-body"
    assert page.input_value("#comment-timecode") == str(int(seconds * 1000))
    page.keyboard.type(text)
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector(f"text={text}")


def _answer_all(page, value: str):
    if page.is_visible("#tab-review"):  # on a phone the review is a tab of its own
        page.click("#tab-review")
    for radio in page.locator(f"#review-form input[type=radio][value={value}]").all():
        radio.check()


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_full_review_round(live_server, page_in, make, tmp_path, language):
    cohort = make.cohort(name="Kelas Sehat")
    student = make.user(name="Putri", email=f"putri-round-{language}@karya.test")
    mentor = make.user(name="Bu Sari", email=f"sari-round-{language}@karya.test")
    make.member(student, cohort, "student")
    make.member(mentor, cohort, "mentor")
    assignment = make.assignment(cohort, title="Tidur yang cukup", max_duration_s=120)
    words = TEXT[language]

    def open_as(person):
        page = page_in(language)
        log_in(page, live_server, person.email, PASSWORD)
        return page

    student_page, mentor_page = open_as(student), open_as(mentor)

    # The student uploads v1.
    v1 = _upload(student_page, live_server, assignment.id, make_clip(tmp_path / "v1.mp4", seconds=15))

    # The mentor comments at 0:05 and 0:12, answers the checklist and requests changes.
    mentor_page.goto(f"{live_server}/versions/{v1}")
    _comment_here_with_the_keyboard(mentor_page, 5, "Bagus, suaranya jelas di sini")
    _comment_here_with_the_keyboard(mentor_page, 12, "Sebutkan sumber data ini")
    # J and L jump 10 s back and forth, arrows 1 s.
    _seek(mentor_page, 2)
    mentor_page.keyboard.press("l")
    _until(mentor_page, "Math.abs(document.querySelector('video#video').currentTime - 12) < 0.3", 5)
    mentor_page.keyboard.press("ArrowLeft")
    _until(mentor_page, "Math.abs(document.querySelector('video#video').currentTime - 11) < 0.3", 5)
    mentor_page.keyboard.press("j")
    _until(mentor_page, "Math.abs(document.querySelector('video#video').currentTime - 1) < 0.3", 5)
    assert mentor_page.locator("#markers .marker").count() == 2
    screenshot(mentor_page, f"review-1-mentor-comments-{language}")
    _answer_all(mentor_page, "yes")
    mentor_page.check("input[name=verdict][value=changes_requested]")
    mentor_page.fill("#summary", "Tambahkan sumber di 0:12, lalu unggah lagi.")
    mentor_page.click("#review-form button[type=submit]")
    mentor_page.wait_for_selector("#verdict.verdict-changes_requested")
    screenshot(mentor_page, f"review-2-changes-requested-{language}")

    # The student sees both comments at their times, replies, and uploads v2.
    student_page.goto(f"{live_server}/versions/{v1}")
    times = student_page.locator("#comments a.timecode").all_inner_texts()
    assert times == ["0:05", "0:12"]
    student_page.locator("#comments a.timecode").nth(1).click()
    _until(student_page, "Math.abs(document.querySelector('video#video').currentTime - 12) < 0.5", 10)
    assert words["changes"] in student_page.content()
    thread = student_page.locator("#comments li.comment").nth(1)
    thread.locator("summary").click()
    thread.locator("textarea").fill("Sudah saya tambahkan, terima kasih!")
    thread.locator("button[type=submit]").click()
    student_page.wait_for_selector("text=Sudah saya tambahkan, terima kasih!")
    screenshot(student_page, f"review-3-student-sees-comments-{language}")
    student_page.click("#verdict a.button")
    v2 = _upload(student_page, live_server, assignment.id, make_clip(tmp_path / "v2.mp4", seconds=15))
    assert v2 != v1

    # The mentor sees v1's comments beside v2 and approves.
    mentor_page.goto(f"{live_server}/versions/{v2}")
    earlier = mentor_page.locator("#earlier-comments")
    assert words["earlier"] in earlier.inner_text()
    assert "Sebutkan sumber data ini" in earlier.inner_text() and "Sudah saya tambahkan" in earlier.inner_text()
    _answer_all(mentor_page, "yes")
    mentor_page.check("input[name=verdict][value=approved]")
    mentor_page.click("#review-form button[type=submit]")
    mentor_page.wait_for_selector("#verdict.verdict-approved")
    assert words["approved"] in mentor_page.locator("#verdict h2").inner_text()
    screenshot(mentor_page, f"review-4-approved-{language}")

    # Side by side: two synchronised players.
    mentor_page.goto(f"{live_server}/versions/{v2}/compare?with={v1}")
    _until(mentor_page, "[...document.querySelectorAll('video.synced')].every(v => v.readyState >= 1)")
    mentor_page.evaluate("document.querySelectorAll('video.synced')[0].currentTime = 7")
    _until(mentor_page, "Math.abs(document.querySelectorAll('video.synced')[1].currentTime - 7) < 0.5", 10)
    screenshot(mentor_page, f"review-5-side-by-side-{language}")
