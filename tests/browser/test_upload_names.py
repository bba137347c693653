"""The page's uploader (Uppy over tus) sends the file's real name, and Karya keeps it."""

from __future__ import annotations

import base64
import io
import re
import unicodedata
import zipfile

from workshop.extensions import db
from workshop.submissions.models import Version

from ..helpers import PASSWORD
from ..test_processing import make_clip
from .conftest import log_in, screenshot


def _metadata(header: str) -> dict[str, str]:
    pairs = (part.strip().partition(" ") for part in header.split(",") if part.strip())
    return {key: base64.b64decode(value).decode() for key, _, value in pairs}


def test_a_page_upload_keeps_the_files_own_name(app, live_server, page_in, make, tmp_path):
    name = "Tugas akhir \u00abPutri\u00bb \u2014 draf 1.mp4"
    cohort = make.cohort(name="Kelas Nama")
    student = make.user(name="Putri", email="putri-names@karya.test")
    make.member(student, cohort, "student")
    assignment = make.assignment(cohort, title="Tidur yang cukup", max_duration_s=120)
    clip = make_clip(tmp_path / name, seconds=2)

    page = page_in("en")
    sent: list[dict[str, str]] = []
    page.on("request", lambda request: sent.append(_metadata(request.headers["upload-metadata"]))
            if request.method == "POST" and "upload-metadata" in request.headers else None)
    log_in(page, live_server, student.email, PASSWORD)
    page.goto(f"{live_server}/assignments/{assignment.id}")
    page.wait_for_selector(".uppy-Dashboard", timeout=60_000)
    page.set_input_files("input.uppy-Dashboard-input", str(clip))
    page.click(".uppy-StatusBar-actionBtn--upload")
    page.wait_for_url(re.compile(r".*/versions/\d+$"), timeout=180_000)
    screenshot(page, "upload-name-kept")
    version_id = int(page.url.rsplit("/", 1)[1])

    # What the page said: the real name under both keys, and nothing stringified from a missing field.
    [metadata] = sent
    assert metadata["filename"] == metadata["name"] == name
    assert metadata["assignment_id"] == str(assignment.id)
    assert "undefined" not in metadata.values()
    with app.app_context():
        stored = db.session.get(Version, version_id).original_filename
    assert stored == unicodedata.normalize("NFC", name) == name

    # And what comes back: the export's entry for the original carries the same name.
    export = page.request.get(f"{live_server}/me/export.zip")
    assert export.ok
    entries = zipfile.ZipFile(io.BytesIO(export.body())).namelist()
    assert f"media/{assignment.id}-tidur-yang-cukup/v1-{name}" in entries
