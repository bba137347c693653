"""Media storage (local files and S3-compatible) and the media-serving route.

The S3 backend is tested against moto's S3 server (``ThreadedMotoServer``) on
127.0.0.1: a real HTTP S3 endpoint that boto3 talks to over the network like
MinIO, signatures, multipart uploads and Range requests included. It stands in
for MinIO, which cannot run here; the backend uses nothing moto-specific.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import boto3
import pytest

from workshop.media.storage import InvalidKey, LocalStorage, check_key, get_storage
from workshop.media.storage_s3 import S3Storage

from .helpers import login

PAYLOAD = bytes(range(256)) * 64  # 16 KiB with a recognisable pattern


def staged(tmp_path: Path, data: bytes = PAYLOAD) -> Path:
    path = tmp_path / f"incoming-{uuid.uuid4().hex}"
    path.write_bytes(data)
    return path


# --- keys ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", [
    "", "/etc/passwd", "../secret", "versions/../../x", "versions/./12", "versions//12", "versions/12/",
    ".hidden", "versions/12/.htaccess", "versions\\12", "versions/12/or iginal", "versions/%2e%2e/x",
    "a" * 256, "versions/12/\x00", "versions/12/ü",
])
def test_unsafe_keys_are_refused(key, tmp_path):
    with pytest.raises(InvalidKey):
        check_key(key)
    with pytest.raises(InvalidKey):
        LocalStorage(tmp_path).put_file(key, staged(tmp_path))


def test_server_made_keys_are_accepted():
    for key in ("versions/12/original", "versions/12/rendition.mp4", "consent/3/evidence-1.pdf"):
        assert check_key(key) == key


# --- local files --------------------------------------------------------------------

def test_local_put_file_moves_the_file_into_place(tmp_path):
    storage = LocalStorage(tmp_path / "media")
    source = staged(tmp_path)
    storage.put_file("versions/7/original", source)
    assert not source.exists()  # moved, not copied
    assert (tmp_path / "media/versions/7/original").read_bytes() == PAYLOAD
    assert storage.exists("versions/7/original") and storage.size("versions/7/original") == len(PAYLOAD)

    storage.put_file("versions/7/original", staged(tmp_path, b"replaced"))
    with storage.local_path("versions/7/original") as path:
        assert Path(path).read_bytes() == b"replaced"
    assert list((tmp_path / "media/versions/7").iterdir()) == [tmp_path / "media/versions/7/original"]


def test_local_put_file_crosses_filesystems(tmp_path):
    """/dev/shm is a tmpfs here: os.replace fails with EXDEV and the copy-then-rename path runs."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem to copy from")
    source = shm / f"karya-test-{uuid.uuid4().hex}"
    source.write_bytes(PAYLOAD)
    storage = LocalStorage(tmp_path / "media")
    storage.put_file("versions/8/original", source)
    assert not source.exists()
    assert storage.path("versions/8/original").read_bytes() == PAYLOAD
    assert [p.name for p in storage.path("versions/8").iterdir()] == ["original"]  # no temporary left


def test_local_missing_objects_and_deletion(tmp_path):
    storage = LocalStorage(tmp_path)
    assert not storage.exists("versions/1/original")
    with pytest.raises(FileNotFoundError):
        storage.size("versions/1/original")
    with pytest.raises(FileNotFoundError):
        with storage.local_path("versions/1/original"):
            pass
    storage.delete("versions/1/original")  # deleting nothing is fine
    for name in ("original", "poster.jpg", "rendition.mp4"):
        storage.put_file(f"versions/1/{name}", staged(tmp_path))
    storage.put_file("versions/10/original", staged(tmp_path))
    storage.delete("versions/1/poster.jpg")
    assert not storage.exists("versions/1/poster.jpg")
    assert storage.delete_prefix("versions/1") == 2
    assert not storage.exists("versions/1/original") and storage.exists("versions/10/original")
    assert storage.delete_prefix("versions/1") == 0


def test_a_symlink_inside_the_root_cannot_lead_out_of_it(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    root = tmp_path / "media"
    (root / "versions").mkdir(parents=True)
    (root / "versions" / "9").symlink_to(outside)
    with pytest.raises(InvalidKey):
        LocalStorage(root).exists("versions/9/secret")


def test_local_send_answers_ranges_and_conditional_requests(app, tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put_file("versions/3/rendition.mp4", staged(tmp_path))

    def send(**headers):
        with app.test_request_context(headers=headers):
            response = storage.send("versions/3/rendition.mp4", mimetype="video/mp4")
            response.direct_passthrough = False
            return response, response.get_data()

    whole, body = send()
    assert whole.status_code == 200 and body == PAYLOAD
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.headers["Cache-Control"] == "private, no-store"
    partial, body = send(Range="bytes=100-199")
    assert partial.status_code == 206 and body == PAYLOAD[100:200]
    assert partial.headers["Content-Range"] == f"bytes 100-199/{len(PAYLOAD)}"
    with pytest.raises(Exception) as refused:
        send(Range=f"bytes={len(PAYLOAD)}-")
    assert getattr(refused.value, "code", None) == 416
    assert send(**{"If-None-Match": whole.headers["ETag"]})[0].status_code == 304


# --- S3 (moto's S3 server on loopback) ----------------------------------------------

@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_config(s3_endpoint, tmp_path):
    bucket = f"karya-{uuid.uuid4().hex[:12]}"
    config = {"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_endpoint,
              "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test",
              "S3_PREFIX": "site-a/", "MEDIA_ROOT": str(tmp_path / "media")}
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    return config


@pytest.fixture
def s3(s3_config) -> S3Storage:
    from workshop.media.storage import make_storage

    storage = make_storage(s3_config)
    assert isinstance(storage, S3Storage)
    return storage


def test_s3_put_read_and_delete(s3, tmp_path):
    source = staged(tmp_path)
    s3.put_file("versions/5/original", source, content_type="video/mp4")
    assert not source.exists()
    assert s3.exists("versions/5/original") and s3.size("versions/5/original") == len(PAYLOAD)
    # The prefix keeps one site's objects apart from another's in a shared bucket.
    listed = s3.client.list_objects_v2(Bucket=s3.bucket)["Contents"]
    assert [item["Key"] for item in listed] == ["site-a/versions/5/original"]
    with s3.local_path("versions/5/original") as path:
        assert Path(path).read_bytes() == PAYLOAD
        folder = Path(path).parent
    assert not folder.exists()  # the downloaded copy is cleaned up

    for name in ("poster.jpg", "rendition.mp4"):
        s3.put_file(f"versions/5/{name}", staged(tmp_path))
    s3.put_file("versions/50/original", staged(tmp_path))
    s3.delete("versions/5/poster.jpg")
    assert not s3.exists("versions/5/poster.jpg")
    assert s3.delete_prefix("versions/5") == 2
    assert not s3.exists("versions/5/original") and s3.exists("versions/50/original")
    with pytest.raises(FileNotFoundError):
        s3.size("versions/5/original")
    with pytest.raises(FileNotFoundError):
        with s3.local_path("versions/5/original"):
            pass
    with pytest.raises(InvalidKey):
        s3.exists("../site-b/versions/1/original")


def test_s3_big_files_go_up_as_multipart_uploads(s3, tmp_path):
    data = os.urandom(9 * 1024 * 1024)  # over boto3's 8 MiB multipart threshold
    s3.put_file("versions/6/original", staged(tmp_path, data))
    with s3.local_path("versions/6/original") as path:
        assert Path(path).read_bytes() == data


def test_s3_send_streams_ranges_through_the_app(app, s3, tmp_path):
    s3.put_file("versions/4/rendition.mp4", staged(tmp_path))

    def send(**headers):
        with app.test_request_context(headers=headers):
            response = s3.send("versions/4/rendition.mp4", mimetype="video/mp4",
                               download_name=headers.pop("name", None))
            return response, b"".join(response.response)

    whole, body = send()
    assert whole.status_code == 200 and body == PAYLOAD
    assert whole.headers["Content-Length"] == str(len(PAYLOAD)) and whole.mimetype == "video/mp4"
    assert whole.headers["Cache-Control"] == "private, no-store" and "Content-Disposition" not in whole.headers
    partial, body = send(Range="bytes=1000-1999")
    assert partial.status_code == 206 and body == PAYLOAD[1000:2000]
    assert partial.headers["Content-Range"] == f"bytes 1000-1999/{len(PAYLOAD)}"
    suffix, body = send(Range="bytes=-10")
    assert suffix.status_code == 206 and body == PAYLOAD[-10:]
    with pytest.raises(Exception) as refused:
        send(Range=f"bytes={len(PAYLOAD) + 5}-")
    assert getattr(refused.value, "code", None) == 416
    assert send(**{"If-None-Match": whole.headers["ETag"]})[0].status_code == 304
    stale = send(Range="bytes=0-9", **{"If-Range": '"not-the-etag"'})
    assert stale[0].status_code == 200 and stale[1] == PAYLOAD
    with app.test_request_context():
        with pytest.raises(Exception) as missing:
            s3.send("versions/4/nothing.mp4", mimetype="video/mp4")
    assert getattr(missing.value, "code", None) == 404


def test_get_storage_follows_the_config_and_is_made_once(app, s3_config):
    from flask import Flask

    assert isinstance(get_storage(app), LocalStorage) and get_storage(app) is get_storage(app)
    other = Flask("other")
    other.config.update(s3_config)
    assert isinstance(get_storage(other), S3Storage)
    broken = Flask("broken")
    broken.config.update({"STORAGE_BACKEND": "ftp", "MEDIA_ROOT": "/tmp"})
    with pytest.raises(RuntimeError):
        get_storage(broken)


# --- the media route ----------------------------------------------------------------

@pytest.fixture
def media_setup(app, make, tmp_path):
    """A student's ready version with every media file in storage, and a signed-in browser
    (a test client) for each person around it: media URLs are for pages, not API tokens."""
    from workshop.extensions import db
    from workshop.submissions.models import Submission, Version, VersionState

    cohort, elsewhere = make.cohort(name="Media"), make.cohort(name="Elsewhere")
    assignment = make.assignment(cohort)
    people, student_id = {}, None
    for name, where, role in (("student", cohort, "student"), ("other_student", cohort, "student"),
                              ("mentor", cohort, "mentor"), ("outsider", elsewhere, "lead")):
        user = make.user(name=name)
        make.member(user, where, role)
        people[name] = app.test_client()
        login(people[name], user)
        student_id = student_id or user.id
    with app.app_context():
        submission = Submission(assignment_id=assignment.id, cohort_id=cohort.id, student_id=student_id)
        db.session.add(submission)
        db.session.flush()
        version = Version(submission_id=submission.id, cohort_id=cohort.id, number=1,
                          state=VersionState.READY, original_filename="Tidur cukup — draf «1».MOV")
        db.session.add(version)
        db.session.flush()
        storage = get_storage(app)
        files = {"original": b"original bytes", "rendition.mp4": PAYLOAD, "poster.jpg": b"\xff\xd8poster",
                 "storyboard.jpg": b"\xff\xd8sprite", "storyboard.vtt": b"WEBVTT\n"}
        for kind, data in files.items():
            key = f"versions/{version.id}/{kind}"
            storage.put_file(key, staged(tmp_path, data))
        version.original_key = f"versions/{version.id}/original"
        version.rendition_key = f"versions/{version.id}/rendition.mp4"
        version.poster_key = f"versions/{version.id}/poster.jpg"
        version.storyboard_key = f"versions/{version.id}/storyboard.jpg"
        version.storyboard_vtt_key = f"versions/{version.id}/storyboard.vtt"
        db.session.commit()
        from workshop.media.routes import media_url

        with app.test_request_context():
            urls = {kind: media_url(version, kind) for kind in files}
        token = version.media_token
        version_id = version.id
    return {"urls": urls, "files": files, "people": people, "token": token, "version_id": version_id}


def test_media_is_served_with_ranges_and_the_right_headers(media_setup):
    urls, files, student = media_setup["urls"], media_setup["files"], media_setup["people"]["student"]
    assert urls["rendition.mp4"] == (
        f"/media/versions/{media_setup['version_id']}/{media_setup['token']}/rendition.mp4")
    whole = student.get(urls["rendition.mp4"])
    assert whole.status_code == 200 and whole.data == PAYLOAD and whole.mimetype == "video/mp4"
    assert whole.headers["Cache-Control"] == "private, no-store" and whole.headers["ETag"]
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert not whole.headers.get("Content-Disposition", "").startswith("attachment")  # plays inline
    partial = student.get(urls["rendition.mp4"], headers={"Range": "bytes=10-19"})
    assert partial.status_code == 206 and partial.data == PAYLOAD[10:20]
    assert partial.headers["Content-Range"] == f"bytes 10-19/{len(PAYLOAD)}"
    assert student.get(urls["rendition.mp4"], headers={"Range": "bytes=999999-"}).status_code == 416
    assert student.get(urls["rendition.mp4"], headers={"If-None-Match": whole.headers["ETag"]}).status_code == 304

    expected = {"poster.jpg": "image/jpeg", "storyboard.jpg": "image/jpeg", "storyboard.vtt": "text/vtt"}
    for kind, mimetype in expected.items():
        response = student.get(urls[kind])
        assert (response.status_code, response.mimetype, response.data) == (200, mimetype, files[kind])

    original = student.get(urls["original"])
    assert original.status_code == 200 and original.mimetype == "application/octet-stream"
    disposition = original.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Tidur cukup  draf 1.MOV"')
    assert "filename*=UTF-8''Tidur%20cukup%20%E2%80%94%20draf%20%C2%AB1%C2%BB.MOV" in disposition


def test_media_needs_the_token_and_the_right_person(app, media_setup):
    urls, people = media_setup["urls"], media_setup["people"]
    rendition = urls["rendition.mp4"]
    assert people["mentor"].get(rendition).status_code == 200
    assert people["other_student"].get(rendition).status_code == 404
    assert people["outsider"].get(rendition).status_code == 404
    anonymous = app.test_client().get(rendition)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    student = people["student"]
    assert student.get(rendition.replace(media_setup["token"], "0" * 32)).status_code == 404
    assert student.get(rendition.replace(media_setup["token"], media_setup["token"][:-1])).status_code == 404
    assert student.get(rendition.replace("rendition.mp4", "secret.txt")).status_code == 404
    assert student.get(rendition.replace("rendition.mp4", "..%2Foriginal")).status_code == 404


def test_media_not_made_yet_is_404(media_setup, app):
    from workshop.extensions import db
    from workshop.submissions.models import Version

    with app.app_context():
        db.session.get(Version, media_setup["version_id"]).poster_key = None
        db.session.commit()
    assert media_setup["people"]["student"].get(media_setup["urls"]["poster.jpg"]).status_code == 404


def test_media_streams_from_s3_through_the_route(media_setup, app, s3, tmp_path):
    s3.put_file(f"versions/{media_setup['version_id']}/rendition.mp4", staged(tmp_path))
    saved = app.extensions["karya_storage"]
    app.extensions["karya_storage"] = s3
    try:
        student = media_setup["people"]["student"]
        partial = student.get(media_setup["urls"]["rendition.mp4"], headers={"Range": "bytes=0-99"})
        assert partial.status_code == 206 and partial.data == PAYLOAD[:100]
        assert partial.headers["Cache-Control"] == "private, no-store"
        assert student.get(media_setup["urls"]["poster.jpg"]).status_code == 404  # not in this bucket
    finally:
        app.extensions["karya_storage"] = saved
