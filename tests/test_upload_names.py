"""The name a student gives their video: cleaned once, kept, and offered back safely.

The cleaner itself, then every way a name arrives (tus ``filename`` or ``name``, the
plain form), then every way it leaves (the original's download, the data exports).
"""

from __future__ import annotations

import base64
import io
import json
import unicodedata
import zipfile
from types import SimpleNamespace

import pytest
from werkzeug.http import parse_options_header

from workshop.consent.export import media_files
from workshop.extensions import db as _db
from workshop.media.routes import media_url
from workshop.submissions.models import Submission, Version
from workshop.filenames import MAX_BYTES, clean_filename, filename_from_metadata
from workshop.uploads.models import Upload

from .helpers import PASSWORD, bearer, login

TUS = {"Tus-Resumable": "1.0.0"}
BODY = b"not really a video, but bytes all the same"


# --- the cleaner ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("my draft.mp4", "my draft.mp4"),
    ("../../etc/passwd", "passwd"),
    ("/etc/cron.d/evil.mp4", "evil.mp4"),
    ("..\\..\\Windows\\System32\\evil.mp4", "evil.mp4"),
    ("C:\\Users\\Putri\\Videos\\Tugas akhir.mov", "Tugas akhir.mov"),
    ("C:\\fakepath\\vlog.webm", "vlog.webm"),
    ("videos/../\u200b../vlog.mp4", "vlog.mp4"),
    ("nul\x00byte.mp4", "nulbyte.mp4"),
    ("bell\x07tab\tnew\nline\r.mp4", "belltab new line .mp4"),
    ("esc\x1b[31mred\x9b.mp4", "esc[31mred.mp4"),
    ("invoice\u202egpj.mp4", "invoicegpj.mp4"),  # RIGHT-TO-LEFT OVERRIDE: would show as "invoicemp4.jpg"
    ("\u2066isolate\u2069 \u200ezero\u200b\ufeffwidth.mp4", "isolate zerowidth.mp4"),
    ("line\u2028sep\u2029para.mp4", "line sep para.mp4"),
    ("Cafe\u0301 pagi.mp4", "Caf\u00e9 pagi.mp4"),  # NFC: one code point for é
    ("  spaced   out  .mp4 . .", "spaced out .mp4"),
    ("Tidur cukup \u2014 draf \u00ab1\u00bb.MOV", "Tidur cukup \u2014 draf \u00ab1\u00bb.MOV"),
    ("undefined", "undefined"),
])
def test_the_cleaner_keeps_only_the_last_printable_part(raw, expected):
    assert clean_filename(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "/", "\\", "..", "../..", ". .", "a/b/", "C:\\dir\\",
                                 "\x00", "\u202e\u200b", "\n\t"])
def test_an_empty_or_dotted_name_becomes_the_neutral_default(raw):
    assert clean_filename(raw) == "video"
    assert clean_filename(raw, default="karya-version-2") == "karya-version-2"


@pytest.mark.parametrize("raw, extension", [
    ("a" * 1000 + ".mp4", ".mp4"),
    ("\u00e9" * 400 + ".mov", ".mov"),  # two bytes each
    ("\U0001f3ac" * 300 + ".webm", ".webm"),  # four bytes each
    ("Cafe\u0301" * 200 + ".mkv", ".mkv"),
])
def test_a_long_name_is_cut_in_its_stem_and_keeps_its_extension(raw, extension):
    name = clean_filename(raw)
    assert len(name.encode("utf-8")) <= MAX_BYTES
    assert name.endswith(extension) and len(name) > len(extension) + 10
    assert name == unicodedata.normalize("NFC", name)


def test_a_long_name_without_a_real_extension_is_simply_cut():
    name = clean_filename("x" * 300 + "." + "y" * 100)
    assert len(name.encode("utf-8")) == MAX_BYTES and set(name) == {"x"}


@pytest.mark.parametrize("raw", [
    "../" * 100 + "x.mp4", "..\\" * 100 + "x", "\x00" * 300, "a\u202e/\u202d..\\..", "\u0000../\u0000..",
    "".join(chr(c) for c in range(0, 0x300)), "\ud800lone surrogate.mp4", "a" * 100_000,
])
def test_whatever_comes_in_the_name_is_never_a_path_nor_invisible(raw):
    name = clean_filename(raw)
    assert name and "/" not in name and "\\" not in name and name.strip(".")
    assert not any(unicodedata.category(c)[0] == "C" for c in name)
    assert name == unicodedata.normalize("NFC", name) and name == name.strip()
    assert len(name.encode("utf-8")) <= MAX_BYTES


@pytest.mark.parametrize("metadata, expected", [
    ({"filename": "a.mp4"}, "a.mp4"),
    ({"name": "b.mp4"}, "b.mp4"),
    ({"filename": "a.mp4", "name": "b.mp4"}, "a.mp4"),
    # What the page's uploader sent before: a "filename" that was never set, stringified.
    ({"filename": "undefined", "name": "real.mp4"}, "real.mp4"),
    ({"filename": "null", "name": "real.mp4"}, "real.mp4"),
    ({"filename": "", "name": "../real.mp4"}, "real.mp4"),
    ({"filename": "undefined"}, "undefined"),  # someone's file may really be called that
    ({"filename": "", "name": "  "}, None),
    ({"assignment_id": "3"}, None),
])
def test_the_name_is_taken_from_filename_or_name(metadata, expected):
    assert filename_from_metadata(metadata) == expected


# --- how a name arrives --------------------------------------------------------------------

@pytest.fixture
def student(make, client):
    cohort = make.cohort(name="Nama berkas")
    user = make.user(name="Putri")
    make.member(user, cohort, "student")
    assignment = make.assignment(cohort, title="Tidur yang cukup!")
    token = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
    return SimpleNamespace(user=user, id=user.id, cohort=cohort, assignment=assignment, auth=bearer(token))


def _metadata(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def tus_upload(client, student, **names) -> tuple[str, int]:
    """Create an upload with ``names`` in its metadata and send its bytes; (upload id, version id)."""
    created = client.post("/api/v1/uploads", headers={
        **TUS, **student.auth, "Upload-Length": str(len(BODY)),
        "Upload-Metadata": _metadata(assignment_id=str(student.assignment.id), **names)})
    assert created.status_code == 201, created.json
    url = created.headers["Location"]
    done = client.patch(url, data=BODY, headers={**TUS, **student.auth, "Upload-Offset": "0",
                                                 "Content-Type": "application/offset+octet-stream"})
    assert done.status_code == 204, done.json
    return url.rsplit("/", 1)[1], int(done.headers["Karya-Version-Id"])


NASTY = "../..\\Videos/Tugas\u202e akhir\x00 \u00abdraf\u00bb.mp4"
CLEAN = "Tugas akhir \u00abdraf\u00bb.mp4"


@pytest.mark.parametrize("names", [
    {"filename": NASTY},
    {"name": NASTY},
    {"filename": "undefined", "filetype": "undefined", "name": NASTY, "type": "video/mp4"},
    {"name": NASTY, "filename": NASTY, "filetype": "video/mp4", "type": "video/mp4"},  # Uppy's, now
], ids=["filename", "name", "old-uppy", "new-uppy"])
def test_a_tus_upload_keeps_the_cleaned_name(app, client, student, names):
    upload_id, version_id = tus_upload(client, student, **names)
    with app.app_context():
        assert _db.session.get(Upload, upload_id).filename == CLEAN
        assert _db.session.get(Version, version_id).original_filename == CLEAN


def test_a_tus_upload_without_any_name_is_refused(client, student):
    response = client.post("/api/v1/uploads", headers={
        **TUS, **student.auth, "Upload-Length": "5",
        "Upload-Metadata": _metadata(assignment_id=str(student.assignment.id), filetype="video/mp4")})
    assert response.status_code == 400 and response.json["error"]["code"] == "missing_filename"


@pytest.mark.parametrize("fields, part_name, expected", [
    ({}, "../../etc/vlog\u202e.mp4", "vlog.mp4"),
    ({"filename": "C:\\fakepath\\..\\Vlog sekolah.mp4"}, "blob", "Vlog sekolah.mp4"),
    ({"name": "Vlog\x00 kelas.mov"}, "blob", "Vlog kelas.mov"),
])
def test_the_plain_upload_keeps_the_cleaned_name(app, client, student, fields, part_name, expected):
    response = client.post(f"/api/v1/assignments/{student.assignment.id}/versions", headers=student.auth,
                           data={"file": (io.BytesIO(BODY), part_name), **fields})
    assert response.status_code == 201, response.json
    with app.app_context():
        assert _db.session.get(Version, response.json["version_id"]).original_filename == expected


# --- how a name leaves -----------------------------------------------------------------------

def _original_download(app, client, student, version_id):
    login(client, student.user)
    with app.app_context(), app.test_request_context():
        url = media_url(_db.session.get(Version, version_id), "original")
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == BODY
    return response


def test_the_original_downloads_under_its_name_per_rfc_6266(app, client, student):
    name = 'Tidur "cukup" \u2014 draf\u202e \u00ab1\u00bb.MOV'
    _upload_id, version_id = tus_upload(client, student, filename=name)
    response = _original_download(app, client, student, version_id)
    disposition = response.headers["Content-Disposition"]
    kind, options = parse_options_header(disposition)
    assert kind == "attachment"
    # The real name for today's browsers (RFC 5987), an ASCII one for the rest.
    assert "filename*=UTF-8''Tidur%20%22cukup%22%20%E2%80%94%20draf%20%C2%AB1%C2%BB.MOV" in disposition
    assert options["filename"] == 'Tidur "cukup" \u2014 draf \u00ab1\u00bb.MOV'  # Werkzeug prefers filename*
    assert 'filename="Tidur \\"cukup\\"  draf 1.MOV"' in disposition
    assert "\u202e" not in disposition and "%E2%80%AE" not in disposition
    assert response.mimetype == "application/octet-stream"


def test_an_ascii_name_downloads_as_is(app, client, student):
    _upload_id, version_id = tus_upload(client, student, name="C:\\fakepath\\my draft.mp4")
    response = _original_download(app, client, student, version_id)
    assert response.headers["Content-Disposition"] == 'attachment; filename="my draft.mp4"'


def test_an_old_undefined_name_downloads_under_a_neutral_one(app, client, student):
    _upload_id, version_id = tus_upload(client, student, filename="clip.mp4")
    with app.app_context():
        _db.session.get(Version, version_id).original_filename = "undefined"  # as the old page stored it
        _db.session.commit()
    response = _original_download(app, client, student, version_id)
    assert response.headers["Content-Disposition"] == 'attachment; filename=karya-version-1'


def _export(response) -> tuple[zipfile.ZipFile, dict]:
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    for entry in archive.namelist():
        # Unpacks where it is opened: nothing absolute, no way up, one kind of slash.
        assert not entry.startswith("/") and "\\" not in entry and ":" not in entry
        assert ".." not in entry.split("/") and "" not in entry.split("/")
    return archive, json.loads(archive.read("data.json"))


def test_the_exports_name_the_original_as_the_student_did(app, client, make, student):
    tus_upload(client, student, name="C:\\fakepath\\Tugas akhir \u00abdraf\u00bb.mov")
    tus_upload(client, student, filename="Tugas: akhir?.MP4")  # Windows refuses : and ?
    folder = f"media/{student.assignment.id}-tidur-yang-cukup"
    expected = {f"{folder}/v1-Tugas akhir \u00abdraf\u00bb.mov", f"{folder}/v2-Tugas_ akhir_.MP4"}

    login(client, student.user)
    archive, data = _export(client.get("/me/export.zip"))
    [submission] = data["submissions"]
    assert {v["files"]["original"] for v in submission["versions"]} == expected
    assert [v["original_filename"] for v in submission["versions"]] == [
        "Tugas akhir \u00abdraf\u00bb.mov", "Tugas: akhir?.MP4"]
    assert expected <= set(archive.namelist())
    assert all(archive.read(name) == BODY for name in expected)

    lead = make.user(name="Bu Lead")
    make.member(lead, student.cohort, "lead")
    lead_client = app.test_client()
    login(lead_client, lead)
    archive, data = _export(lead_client.get(f"/cohorts/{student.cohort.id}/people/{student.id}/export.zip"))
    assert expected <= set(archive.namelist())


def test_an_export_never_puts_a_stored_name_outside_its_folder(app, client, student):
    """Rows written before the cleaning existed may hold anything: they are cleaned on the way out."""
    _u, first = tus_upload(client, student, filename="a.mp4")
    _u, second = tus_upload(client, student, filename="b.mp4")
    _u, third = tus_upload(client, student, filename="c.mp4")
    with app.app_context():
        _db.session.get(Version, first).original_filename = "../../../../etc/cron.d/evil"
        # A control character (PostgreSQL stores no NUL in text; the cleaner's own tests cover NUL).
        _db.session.get(Version, second).original_filename = "/abs/\u202eolute\x07.mov"
        _db.session.get(Version, third).original_filename = "undefined"
        _db.session.commit()
    login(client, student.user)
    archive, _data = _export(client.get("/me/export.zip"))
    folder = f"media/{student.assignment.id}-tidur-yang-cukup"
    assert {n for n in archive.namelist() if n.startswith("media/")} == {
        f"{folder}/v1-evil", f"{folder}/v2-olute.mov", f"{folder}/v3-original.bin"}


def test_export_names_are_made_unique_whatever_the_case():
    def version(id, number, name, rendition=False):
        return SimpleNamespace(id=id, number=number, original_filename=name, original_key="k",
                               rendition_key="r" if rendition else None)

    submission = SimpleNamespace(assignment_id=7, assignment=SimpleNamespace(title="Film"), versions=[
        version(1, 1, "Clip.mp4", rendition=True), version(2, 1, "clip.MP4"), version(3, 1, "CLIP.mp4")])
    files = media_files([submission])
    assert files == {1: {"original": "media/7-film/v1-Clip.mp4", "rendition": "media/7-film/v1.mp4"},
                     2: {"original": "media/7-film/v1-clip (2).MP4"},
                     3: {"original": "media/7-film/v1-CLIP (3).mp4"}}


def test_no_stored_name_is_used_as_a_path(app, client, student):
    """The upload's folder and the stored original are named by ids, whatever the file was called."""
    upload_id, version_id = tus_upload(client, student, filename="../../../versions/1/original")
    with app.app_context():
        version = _db.session.get(Version, version_id)
        assert version.original_key == f"versions/{version_id}/original"
        assert len(upload_id) == 32 and all(c in "0123456789abcdef" for c in upload_id)
        assert version.original_filename == "original"
        assert _db.session.get(Submission, version.submission_id).student_id == student.id


@pytest.mark.parametrize("name", ["my draft.mp4", 'Tidur "cukup" \u2014 draf \u00ab1\u00bb.MOV', "back\\slash;x=1.mp4",
                                  "\u52d5\u753b.mp4", "100% (final) #2 & more.webm"])
def test_every_backend_writes_the_header_send_file_writes(app, tmp_path, name):
    """Object storage answers without send_file: its Content-Disposition must not differ."""
    from flask import send_file

    from workshop.media.storage import attachment_header

    path = tmp_path / "data"
    path.write_bytes(BODY)
    with app.test_request_context():
        expected = send_file(path, as_attachment=True, download_name=name).headers["Content-Disposition"]
    assert attachment_header(name) == expected
