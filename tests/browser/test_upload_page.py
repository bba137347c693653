"""A student uploads through the real page (Uppy over tus) and watches the video become ready."""

from __future__ import annotations

import re

import pytest

from ..helpers import PASSWORD
from ..test_processing import make_clip
from .conftest import log_in, screenshot, wait_for_player, wait_until


@pytest.mark.parametrize("language", ["en", "id"])
def test_student_uploads_on_the_page_and_sees_the_ready_player(live_server, page_in, make, tmp_path, language):
    cohort = make.cohort(name="Kelas Video")
    student = make.user(name="Putri", email=f"putri-{language}@karya.test")
    make.member(student, cohort, "student")
    assignment = make.assignment(cohort, title="Tidur yang cukup", max_duration_s=120)
    clip = make_clip(tmp_path / "my video.mp4", seconds=3)

    page = page_in(language)
    log_in(page, live_server, student.email, PASSWORD)
    page.goto(f"{live_server}/assignments/{assignment.id}")
    page.wait_for_selector(".uppy-Dashboard", timeout=60_000)
    screenshot(page, f"upload-1-assignment-{language}")
    page.set_input_files("input.uppy-Dashboard-input", str(clip))
    page.click(".uppy-StatusBar-actionBtn--upload")
    page.wait_for_url(re.compile(r".*/versions/\d+$"), timeout=180_000)
    screenshot(page, f"upload-2-processing-{language}")
    wait_for_player(page, live_server)
    wait_until(page, "document.querySelector('video#video')?.readyState >= 1")
    assert page.evaluate("document.querySelector('video#video').duration") > 2.5
    screenshot(page, f"upload-3-ready-{language}")
    html = page.content()
    assert ("Version 1" in html) if language == "en" else ("Versi 1" in html)


def _upload_on_page(page, base, assignment_id, path) -> None:
    page.goto(f"{base}/assignments/{assignment_id}")
    page.wait_for_selector(".uppy-Dashboard", timeout=60_000)
    page.set_input_files("input.uppy-Dashboard-input", str(path))
    page.click(".uppy-StatusBar-actionBtn--upload")
    page.wait_for_url(re.compile(r".*/versions/\d+$"), timeout=180_000)


# The sources that must work (tests/media/clips.py makes them), each through
# the real page; the API path for the same files is tests/test_sources_end_to_end.py.
@pytest.mark.parametrize("name, landscape", [
    ("portrait.mp4", False), ("rotated.mp4", False), ("hevc10.mov", True), ("vp9.webm", True),
    ("mjpeg.avi", True), ("odd.mkv", True), ("multi_audio.mp4", True),
])
def test_each_source_that_must_work_plays_after_a_page_upload(live_server, page_in, make, clips, name, landscape):
    cohort = make.cohort(name="Sumber")
    student = make.user(name="Dewi", email=f"dewi-{name.replace('.', '-')}@karya.test")
    make.member(student, cohort, "student")
    assignment = make.assignment(cohort, title="Any phone video", max_duration_s=120)

    page = page_in("en")
    log_in(page, live_server, student.email, PASSWORD)
    _upload_on_page(page, live_server, assignment.id, clips / name)
    wait_for_player(page, live_server)
    wait_until(page, "document.querySelector('video#video')?.readyState >= 1")
    size = page.evaluate("[document.querySelector('video#video').videoWidth,"
                         " document.querySelector('video#video').videoHeight]")
    assert (size[0] > size[1]) is landscape, size  # upright as it was filmed
    assert page.evaluate("document.querySelector('video#video').duration") > 1
    poster = page.evaluate("document.querySelector('video#video').getAttribute('poster')")
    assert poster and page.request.get(live_server + poster if poster.startswith("/") else poster).ok
    screenshot(page, f"source-{name.replace('.', '-')}")


@pytest.mark.parametrize("language, expected", [
    ("en", "This file is not a video"), ("id", "Berkas ini bukan video"),
])
def test_a_refused_file_shows_its_reason_on_the_page(live_server, page_in, make, tmp_path, language, expected):
    cohort = make.cohort(name="Sumber")
    student = make.user(name="Dewi", email=f"dewi-refused-{language}@karya.test")
    make.member(student, cohort, "student")
    assignment = make.assignment(cohort, title="Any phone video", max_duration_s=120)
    notes = tmp_path / "my video.mp4"
    notes.write_text("These are my notes for the video, not the video itself.\n" * 40)

    page = page_in(language)
    log_in(page, live_server, student.email, PASSWORD)
    _upload_on_page(page, live_server, assignment.id, notes)
    page.wait_for_selector(f"text={expected}", timeout=120_000)
    screenshot(page, f"upload-refused-{language}")
    assert page.locator("video#video").count() == 0
