"""The review workspace in Chromium, as a mentor with three videos waiting and one being
processed, whose badge follows the status API live. On a desktop the panel stays beside the
video; a refused approval shows its problems at the top with focus there; "All yes" then
approve with "Save and next in queue" opens the next video, and the first one's badge now
says approved; the next one is reviewed with the keyboard alone; on a phone the sections are
tabs (links to the sections without JavaScript), and a refusal chooses the review tab. axe
finds nothing serious in English or Indonesian, on a phone or a desktop. Screenshots:
test-artifacts/screenshots/workspace-*.png."""

from __future__ import annotations

import subprocess
from datetime import timedelta

from workshop.db_types import utcnow
from workshop.extensions import db
from workshop.media.tools import locate
from workshop.submissions.models import ChecksState, SubmissionState, Version, VersionState

from ..helpers import PASSWORD
from ..test_processing import make_clip
from .conftest import axe_violations, log_in, screenshot, wait_until

DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
# What the checks job leaves on a version, shown in the panel.
CHECKS = [{"name": "loudness", "status": "pass", "detail_code": "loudness_ok", "params": {"lufs": "-18"}},
          {"name": "true_peak", "status": "warn", "detail_code": "near_clipping", "params": {"dbtp": "-0.4"}},
          {"name": "silence", "status": "pass", "detail_code": "silence_ok"},
          {"name": "flashing", "status": "pass", "detail_code": "flashing_ok"}]
WORDS = {"en": {"ready": "Ready", "approved": "Approved"}, "id": {"ready": "Siap", "approved": "Disetujui"}}


def _media(tmp_path) -> dict:
    """A short real clip and its poster, so that the player shows a picture."""
    clip = make_clip(tmp_path / "clip.mp4", seconds=4)
    poster = tmp_path / "poster.jpg"
    subprocess.run([locate("ffmpeg"), "-v", "error", "-y", "-ss", "1", "-i", str(clip), "-frames:v", "1", str(poster)],
                   check=True, timeout=60)
    return {"rendition_key": ("rendition.mp4", clip.read_bytes()), "poster_key": ("poster.jpg", poster.read_bytes())}


def _open(browser, base, person, language, viewport):
    context = browser.new_context(viewport=viewport, locale="id-ID" if language == "id" else "en-US",
                                  extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    log_in(page, base, person.email, PASSWORD)
    return page


def _assert_accessible(page, where: str):
    assert axe_violations(page) == [], where


def _focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
        return {id: e.id, tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
                checked: !!e.checked, item: !!e.closest('[data-item]'), verdict: e.name === 'verdict'}; }""")


def test_the_review_workspace(app, live_server, browser, make, tmp_path):

    cohort = make.cohort(name="Kelas Ruang Kerja")
    mentor = make.user(name="Bu Wati", email="wati-workspace@karya.test")
    make.member(mentor, cohort, "mentor")
    assignment = make.assignment(cohort, title="Tidur yang cukup", max_duration_s=120)
    media = _media(tmp_path)
    versions, students = [], []
    for n, name in enumerate(("Ayu", "Bima", "Citra")):  # in the queue in this order, oldest first
        student = make.user(name=name, email=f"{name.lower()}-workspace@karya.test")
        make.member(student, cohort, "student")
        students.append(student)
        version = make.version(assignment, student, 1, submission_state=SubmissionState.AWAITING_REVIEW,
                               ready_ago=timedelta(minutes=30 - n), checks=CHECKS,
                               checks_state=ChecksState.COMPLETE)
        versions.append(make.stored_files(version, media).id)
    first, second, third = versions
    dewi = make.user(name="Dewi", email="dewi-workspace@karya.test")
    make.member(dewi, cohort, "student")
    busy = make.version(assignment, dewi, 1, state=VersionState.PROCESSING, progress=42.0, job_id="elsewhere",
                        heartbeat_at=utcnow(), processing_started_at=utcnow())

    # --- the badge follows processing live, as the status API reports it
    page = _open(browser, live_server, mentor, "en", DESKTOP)
    page.goto(f"{live_server}/versions/{busy.id}")
    assert page.inner_text("#state-badge") == "Processing 42%"
    with app.app_context():
        db.session.get(Version, busy.id).progress = 73.0
        db.session.commit()
    wait_until(page, "document.getElementById('state-badge').textContent === 'Processing 73%'", 10)
    assert page.get_attribute("#state-badge", "class") == "badge state-processing"
    page.context.close()

    # --- desktop, English: the panel beside the video, a refusal, "All yes", save and next
    page = _open(browser, live_server, mentor, "en", DESKTOP)
    page.goto(f"{live_server}/versions/{first}")
    page.wait_for_selector("#checklist [data-all-yes]:not([hidden])")
    layout = page.evaluate("""() => { const panel = document.getElementById('ws-review').getBoundingClientRect();
        const video = document.getElementById('ws-video').getBoundingClientRect();
        return {sticky: getComputedStyle(document.getElementById('ws-review')).position,
                beside: panel.left >= video.right, tabs: getComputedStyle(document.getElementById('workspace-tabs')).display}; }""")
    assert layout == {"sticky": "sticky", "beside": True, "tabs": "none"}
    assert page.inner_text("#state-badge") == WORDS["en"]["ready"]
    assert page.locator("#ws-review #checks li").count() == len(CHECKS)
    # A comment added without leaving the page counts on the Comments tab at once.
    assert page.is_hidden("#tab-comments-count")
    page.fill("#comment-body", "Nice light here")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("#comment-list > li.comment")
    assert page.text_content("#tab-comments-count") == "1"
    screenshot(page, "workspace-desktop-en")
    _assert_accessible(page, "desktop, en, the review form")

    page.check("#verdict-approved")
    page.click("#review-form button.primary")
    page.wait_for_selector("#review-problems")
    wait_until(page, "document.activeElement.id === 'review-problems'", 5)  # once the page has loaded
    assert page.evaluate("document.getElementById('review-problems').getBoundingClientRect().top") < 300
    screenshot(page, "workspace-refused-en")
    _assert_accessible(page, "desktop, en, a refused review")
    page.locator("#review-problems ul ul a").first.click()
    assert _focused(page)["item"] and _focused(page)["value"] == "yes"

    total = page.locator("#checklist [data-item]").count()
    assert total >= 20
    for button in page.locator("#checklist [data-all-yes]").all():
        button.click()
    assert page.inner_text("#checklist-count") == f"{total} of {total} answered"
    page.check("#verdict-approved")
    page.click("#review-form button[name=next_in_queue]")
    page.wait_for_url(f"{live_server}/versions/{second}")
    assert "next video in your queue" in page.content()

    page.goto(f"{live_server}/versions/{first}")
    assert page.inner_text("#state-badge") == WORDS["en"]["approved"]
    assert page.is_visible("#verdict.verdict-approved") and page.is_visible("#edit-review")
    assert not page.is_visible("#review-form")
    page.click("#edit-review")
    assert page.is_visible("#review-form") and page.evaluate("document.activeElement.id") == "review-title"
    page.click("#cancel-edit")
    assert page.is_visible("#verdict") and not page.is_visible("#review-form")

    # --- the next video with the keyboard alone: Tab, Space, arrows, Enter
    page.goto(f"{live_server}/versions/{second}")
    page.wait_for_selector("#checklist [data-all-yes]:not([hidden])")
    page.keyboard.press("Tab")  # the skip link first
    for _ in range(400):
        now = _focused(page)
        if now["item"] and now["type"] == "radio" and not now["checked"]:
            page.keyboard.press("Space")  # the first answer of a group: yes
        elif now["verdict"]:
            page.keyboard.press("ArrowDown")  # moves to "request changes" and picks it...
            assert _focused(page)["value"] == "changes_requested" and _focused(page)["checked"]
            page.keyboard.press("ArrowUp")  # ...and back to "approve"
            assert _focused(page)["value"] == "approved" and _focused(page)["checked"]
            page.keyboard.press("Tab")
            assert _focused(page)["id"] == "summary"
            page.keyboard.type("Clear and kind. Well done!")
            page.keyboard.press("Tab")
            assert _focused(page)["tag"] == "BUTTON"
            page.keyboard.press("Enter")
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached the verdict")
    page.wait_for_selector("#verdict.verdict-approved")
    assert page.inner_text("#state-badge") == WORDS["en"]["approved"]
    page.context.close()

    # --- Indonesian on a desktop: the saved review
    page = _open(browser, live_server, mentor, "id", DESKTOP)
    page.goto(f"{live_server}/versions/{first}")
    assert page.inner_text("#state-badge") == WORDS["id"]["approved"]
    screenshot(page, "workspace-desktop-saved-id")
    _assert_accessible(page, "desktop, id, the saved review")
    page.context.close()

    # --- the student of the first video: its verdict beside the video, no review form
    page = _open(browser, live_server, students[0], "en", DESKTOP)
    page.goto(f"{live_server}/versions/{first}")
    assert page.inner_text("#state-badge") == WORDS["en"]["approved"]
    assert page.is_visible("#ws-review #verdict") and page.locator("#review-form, #workspace-tabs").count() == 0
    screenshot(page, "workspace-student-desktop-en")
    _assert_accessible(page, "desktop, en, the student's page")
    page.context.close()

    # --- phones: the sections are tabs, arrows move between them
    for language in ("en", "id"):
        page = _open(browser, live_server, mentor, language, PHONE)
        page.goto(f"{live_server}/versions/{third}")
        page.wait_for_selector("#workspace-tabs[role=tablist]")
        assert page.is_visible("#ws-video") and not page.is_visible("#ws-review")
        screenshot(page, f"workspace-phone-video-{language}")
        page.focus("#tab-video")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.get_attribute("#tab-review", "aria-selected") == "true"
        assert page.evaluate("document.activeElement.id") == "tab-review"
        assert page.is_visible("#ws-review") and not page.is_visible("#ws-video")
        wait_until(page, "document.querySelectorAll('#checklist [data-all-yes]:not([hidden])').length > 0")
        screenshot(page, f"workspace-phone-review-{language}")
        _assert_accessible(page, f"phone, {language}, the review tab")
        if language == "en":  # a refusal: its problems first, the review tab chosen, focus on them
            page.check("#verdict-approved")
            page.click("#review-form button.primary")
            page.wait_for_selector("#review-problems")
            wait_until(page, "document.activeElement.id === 'review-problems'", 5)
            assert page.get_attribute("#tab-review", "aria-selected") == "true" and page.is_visible("#ws-review")
            screenshot(page, "workspace-phone-refused-en")
        page.context.close()

    # --- without JavaScript: the switcher is links to the sections, all of them shown
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    log_in(page, live_server, mentor.email, PASSWORD)
    page.goto(f"{live_server}/versions/{third}")
    assert page.get_attribute("#workspace-tabs", "role") is None
    assert all(page.is_visible(part) for part in ("#ws-video", "#ws-review", "#ws-comments", "#tab-review"))
    page.click("#tab-review")
    assert page.url.endswith("#ws-review") and page.locator("#checklist [data-all-yes]").first.is_hidden()
    context.close()
