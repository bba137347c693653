"""A student uploads through the real page (Uppy over tus) and watches the video become ready."""

from __future__ import annotations

import re

import pytest

from ..helpers import PASSWORD
from ..test_processing import make_clip
from .conftest import log_in, screenshot


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
    page.wait_for_selector("video#video", timeout=120_000)
    page.wait_for_function("document.querySelector('video#video').readyState >= 1", timeout=30_000)
    assert page.evaluate("document.querySelector('video#video').duration") > 2.5
    screenshot(page, f"upload-3-ready-{language}")
    html = page.content()
    assert ("Version 1" in html) if language == "en" else ("Versi 1" in html)
