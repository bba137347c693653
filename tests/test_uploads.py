"""Resumable (tus 1.0.0) and plain uploads, over real HTTP.

The app runs under Werkzeug's threaded WSGI server on a loopback port, so the
real tus client (tuspy) and raw sockets talk HTTP to it: dropped connections,
overlapping PATCHes and chunked bodies happen as they do on a school network.
Completion runs the real submission service, which moves the file into storage
and queues processing on the test Redis (no worker runs here).
"""

from __future__ import annotations

import base64
import fcntl
import io
import os
import re
import socket
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client
from werkzeug.serving import WSGIRequestHandler, make_server

from workshop.db_types import utcnow
from workshop.submissions.models import Version, VersionState
from workshop.uploads.models import Upload

from .helpers import PASSWORD, bearer, csrf_token_from

TUS = {"Tus-Resumable": "1.0.0"}
MiB = 1024 * 1024


# --- fixtures and helpers ---------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # hundreds of HEADs would drown the failure output
        pass


@pytest.fixture(scope="module")
def live_server(app):
    """The test app served over real HTTP by a threaded Werkzeug server on 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


class People(dict):
    """A cohort with an assignment; its people are made on first use (password hashing is slow).

    ``people["mentor"]`` is the user, ``people["mentor_auth"]`` their bearer header.
    Roles: student, other_student, mentor, lead; ``outsider`` belongs to no cohort.
    """

    ROLES = {"student": "student", "other_student": "student", "mentor": "mentor", "lead": "lead",
             "outsider": None}

    def __init__(self, make, client):
        super().__init__()
        self.make, self.client = make, client
        self["cohort"] = make.cohort(name="Upload cohort")
        self["assignment"] = make.assignment(self["cohort"], title="Explain sleep")

    def __missing__(self, key):
        name = key.removesuffix("_auth")
        if name not in self.ROLES:
            raise KeyError(key)
        user = self.make.user(name=name)
        if self.ROLES[name]:
            self.make.member(user, self["cohort"], self.ROLES[name])
        token = self.client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
        self[name], self[name + "_auth"] = user, bearer(token)
        return self[key]


@pytest.fixture
def people(make, client):
    return People(make, client)


def media_root(app) -> Path:
    return Path(app.config["MEDIA_ROOT"])


def snapshot(root: Path) -> set[str]:
    """Every file and folder under ``root``, relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def metadata(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in values.items())


def create(base, auth, assignment_id, length, filename="clip.mp4") -> str:
    response = requests.post(f"{base}/api/v1/uploads", headers={
        **TUS, **auth, "Upload-Length": str(length),
        "Upload-Metadata": metadata(assignment_id=assignment_id, filename=filename)})
    assert response.status_code == 201, response.text
    return base + response.headers["Location"]


def patch(url, auth, offset, body: bytes, **headers):
    return requests.patch(url, data=body, headers={
        **TUS, **auth, "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream", **headers})


def head_offset(url, auth) -> int:
    response = requests.head(url, headers={**TUS, **auth})
    assert response.status_code == 200, response.status_code
    return int(response.headers["Upload-Offset"])


def wait_for(condition, timeout=15.0, what="condition"):
    """Poll ``condition`` until it is true (tests only: the server's threads run on their own)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _locked(path: Path) -> bool:
    with open(path, "rb") as data:
        try:
            fcntl.flock(data.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False  # closing the file lets go of the lock


def wait_until_locked(path: Path):
    """Wait until a request holds the upload's lock, i.e. the server is inside its PATCH."""
    wait_for(lambda: _locked(path), what="the server to start writing the upload")


def wait_until_unlocked(path: Path):
    """Wait until no request holds the upload's lock, i.e. the server finished with it."""
    wait_for(lambda: not _locked(path), what="the server to release the upload")


def data_file(app, url) -> Path:
    return media_root(app) / "uploads" / url.rsplit("/", 1)[1] / "data"


class RawPatch:
    """A PATCH sent by hand over a socket, so a test can stop it halfway."""

    def __init__(self, url, auth, offset, length, *, chunked=False):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
        head = [f"PATCH {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Tus-Resumable: 1.0.0",
                f"Upload-Offset: {offset}", "Content-Type: application/offset+octet-stream",
                "Connection: close", *(f"{k}: {v}" for k, v in auth.items())]
        head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
        self.chunked = chunked
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())

    def send(self, data: bytes):
        if self.chunked:
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
        self.sock.sendall(data)

    def finish(self) -> bytes:
        """Send the end of a chunked body, then read the whole response.

        The response ends where its Content-Length says, not when the server closes:
        Werkzeug's server, having answered early (a body refused half-way), drains what
        is left of the request with a blocking read that only our close ends.
        """
        if self.chunked:
            self.sock.sendall(b"0\r\n\r\n")
        response = b""
        while b"\r\n\r\n" not in response and (chunk := self.sock.recv(65536)):
            response += chunk
        head, _, body = response.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if length:
            while len(body) < int(length.group(1)) and (chunk := self.sock.recv(65536)):
                body += chunk
        else:
            while chunk := self.sock.recv(65536):
                body += chunk
        self.sock.close()
        return head + b"\r\n\r\n" + body

    def drop(self):
        """The phone leaves the school's Wi-Fi: the connection closes mid-body."""
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def status_of(raw_response: bytes) -> int:
    return int(raw_response.split(b" ", 2)[1])


def upload_row(app, upload_id) -> Upload | None:
    from workshop.extensions import db

    with app.app_context():
        return db.session.get(Upload, upload_id)


def versions_of(app, student_id) -> list[Version]:
    from workshop.extensions import db
    from workshop.submissions.models import Submission

    with app.app_context():
        rows = db.session.scalars(db.select(Version).join(Submission).where(
            Submission.student_id == student_id).order_by(Version.number)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def stored_original(app, version: Version) -> bytes:
    return (media_root(app) / version.original_key).read_bytes()


def tus_upload(base, auth, path: Path, assignment_id, chunk_size=MiB, url=None):
    """Upload ``path`` with tuspy; return the uploader (its last response has our headers)."""
    client = tus_client.TusClient(f"{base}/api/v1/uploads", headers=auth)
    uploader = client.uploader(str(path), chunk_size=chunk_size, url=url,
                               metadata={"assignment_id": str(assignment_id), "filename": path.name})
    uploader.upload()
    return uploader


@pytest.fixture
def clip(tmp_path) -> Path:
    path = tmp_path / "my draft.mp4"
    path.write_bytes(os.urandom(3 * MiB + 12345))
    return path


# --- the happy paths --------------------------------------------------------------------

def test_options_advertises_tus_with_creation_and_termination(client, app):
    response = client.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    assert response.headers["Tus-Extension"] == "creation,termination"
    assert int(response.headers["Tus-Max-Size"]) == app.config["UPLOAD_MAX_BYTES"] == 2 * 1024**3


def test_tuspy_uploads_in_chunks_and_each_upload_makes_the_next_version(app, live_server, people, clip):
    """Several chunks; version 1, then 2; nothing written outside the upload's own folder."""
    root = media_root(app)
    root.mkdir(parents=True, exist_ok=True)
    before = snapshot(root)
    first = tus_upload(live_server, people["student_auth"], clip, people["assignment"].id)
    version_id = int(first.request.response_headers["karya-version-id"])
    upload_id = first.url.rsplit("/", 1)[1]

    [v1] = versions_of(app, people["student"].id)
    assert (v1.id, v1.number, v1.original_filename) == (version_id, 1, "my draft.mp4")
    assert v1.state is VersionState.QUEUED and v1.job_id  # processing was queued on the real Redis
    assert v1.original_size == clip.stat().st_size
    assert stored_original(app, v1) == clip.read_bytes()
    # The upload's folder is gone; the only new things are the version's original and its folders.
    assert snapshot(root) - before <= {"uploads", "versions", f"versions/{version_id}",
                                       f"versions/{version_id}/original"}
    head = requests.head(first.url, headers={**TUS, **people["student_auth"]})
    assert head.headers["Upload-Offset"] == head.headers["Upload-Length"] == str(clip.stat().st_size)
    assert head.headers["Karya-Version-Id"] == str(version_id)
    assert head.headers["Cache-Control"] == "no-store"
    row = upload_row(app, upload_id)
    assert row.completed_at is not None and row.version_id == version_id

    second = tus_upload(live_server, people["student_auth"], clip, people["assignment"].id, chunk_size=2 * MiB)
    assert [v.number for v in versions_of(app, people["student"].id)] == [1, 2]
    assert second.request.response_headers["karya-version-id"] == str(versions_of(app, people["student"].id)[1].id)


def test_an_upload_resumes_after_the_connection_drops_mid_patch(app, live_server, people, clip):
    auth, data = people["student_auth"], clip.read_bytes()
    url = create(live_server, auth, people["assignment"].id, len(data))
    upload_id = url.rsplit("/", 1)[1]
    half = len(data) // 2

    broken = RawPatch(url, auth, 0, len(data))
    broken.send(data[:half])
    wait_until_locked(data_file(app, url))
    broken.drop()
    wait_until_unlocked(data_file(app, url))

    assert head_offset(url, auth) == half  # the bytes that arrived are kept
    assert data_file(app, url).read_bytes() == data[:half]
    assert upload_row(app, upload_id).received == half
    assert versions_of(app, people["student"].id) == []

    resumed = tus_upload(live_server, auth, clip, people["assignment"].id, url=url)
    assert resumed.offset == len(data)
    [version] = versions_of(app, people["student"].id)
    assert stored_original(app, version) == data


def test_a_stalled_connection_times_out_and_the_upload_resumes(app, live_server, people, clip):
    """A phone that leaves the network without closing the connection: no bytes, no FIN."""
    auth, data = people["student_auth"], clip.read_bytes()
    url = create(live_server, auth, people["assignment"].id, len(data))
    app.config["UPLOAD_READ_TIMEOUT_S"] = 1
    try:
        stalled = RawPatch(url, auth, 0, len(data))
        stalled.send(data[:MiB + 100])
        wait_until_locked(data_file(app, url))
        wait_until_unlocked(data_file(app, url))  # within the read timeout, not never
        # Whole pieces are kept; the piece being read when the wait ran out (here 100 bytes) may
        # be lost with the connection, and the client simply sends it again.
        kept = head_offset(url, auth)
        assert MiB <= kept <= MiB + 100 and data_file(app, url).read_bytes() == data[:kept]
        tus_upload(live_server, auth, clip, people["assignment"].id, url=url)
    finally:
        app.config["UPLOAD_READ_TIMEOUT_S"] = 60
        stalled.drop()
    [version] = versions_of(app, people["student"].id)
    assert stored_original(app, version) == data


def test_a_completion_refused_while_locked_is_retried_with_an_empty_patch(app, live_server, people):
    from workshop.extensions import db
    from workshop.submissions.models import ConcernState, SafeguardingConcern
    from workshop.submissions.models import Submission

    auth = people["student_auth"]
    first = create(live_server, auth, people["assignment"].id, 10)
    assert patch(first, auth, 0, b"1" * 10).status_code == 204  # version 1
    second = create(live_server, auth, people["assignment"].id, 10)
    mentor = people["mentor"]
    with app.app_context():
        submission = db.session.scalar(db.select(Submission))
        db.session.add(SafeguardingConcern(cohort_id=submission.cohort_id, submission_id=submission.id,
                                           raised_by_id=mentor.id, summary="worried"))
        db.session.commit()
    refused = patch(second, auth, 0, b"2" * 10)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "submission_locked"
    assert head_offset(second, auth) == 10  # the bytes are kept
    assert "Karya-Version-Id" not in requests.head(second, headers={**TUS, **auth}).headers

    with app.app_context():
        db.session.scalar(db.select(SafeguardingConcern)).state = ConcernState.RESOLVED
        db.session.commit()
    assert patch(second, auth, 10, b"x").status_code == 413  # nothing may go past the end
    retried = patch(second, auth, 10, b"")
    assert retried.status_code == 204
    again = patch(second, auth, 10, b"")  # the answer was lost; asking again changes nothing
    assert again.headers["Karya-Version-Id"] == retried.headers["Karya-Version-Id"]
    assert [v.number for v in versions_of(app, people["student"].id)] == [1, 2]


def test_an_empty_file_is_complete_when_created(app, live_server, people, tmp_path):
    """No PATCH ever comes for 0 bytes; the version is made so processing can refuse it with a reason."""
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    response = requests.post(f"{live_server}/api/v1/uploads", headers={
        **TUS, **people["student_auth"], "Upload-Length": "0",
        "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="empty.mp4")})
    assert response.status_code == 201
    [version] = versions_of(app, people["student"].id)
    assert response.headers["Karya-Version-Id"] == str(version.id) and version.original_size == 0


# --- tus abuse ----------------------------------------------------------------------------

def test_a_wrong_offset_is_refused_with_409_and_the_current_offset(live_server, people):
    auth = people["student_auth"]
    url = create(live_server, auth, people["assignment"].id, 100)
    assert patch(url, auth, 0, b"a" * 40).status_code == 204
    for wrong in (0, 20, 41, 100):
        response = patch(url, auth, wrong, b"b" * 10)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "offset_mismatch"
        assert response.json()["error"]["offset"] == 40
        assert response.headers["Tus-Resumable"] == "1.0.0"
    assert head_offset(url, auth) == 40


def test_a_second_patch_while_one_is_writing_gets_409_and_the_file_stays_intact(app, live_server, people):
    auth = people["student_auth"]
    data = os.urandom(2 * MiB)
    url = create(live_server, auth, people["assignment"].id, len(data))
    first = RawPatch(url, auth, 0, len(data))
    first.send(data[:MiB])
    wait_until_locked(data_file(app, url))

    # Same offset or the current one: either way the lock holder wins and the other is told so.
    results = []
    threads = [threading.Thread(target=lambda o=o: results.append(patch(url, auth, o, b"X" * 1000)))
               for o in (0, MiB)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [409, 409]
    assert {r.json()["error"]["code"] for r in results} == {"upload_busy"}

    first.send(data[MiB:])
    assert status_of(first.finish()) == 204
    [version] = versions_of(app, people["student"].id)
    assert stored_original(app, version) == data  # no byte of the intruders in it


def test_bytes_past_the_declared_length_are_refused_and_not_written(app, live_server, people):
    auth = people["student_auth"]
    url = create(live_server, auth, people["assignment"].id, 100)
    assert patch(url, auth, 0, b"a" * 60).status_code == 204
    too_long = patch(url, auth, 60, b"b" * 41)
    assert too_long.status_code == 413 and too_long.json()["error"]["code"] == "past_upload_length"
    assert head_offset(url, auth) == 60

    # Without Content-Length (chunked), the excess shows only while reading: the whole body is refused.
    chunked = RawPatch(url, auth, 60, None, chunked=True)
    chunked.send(b"c" * 30)
    chunked.send(b"d" * 30)
    assert status_of(chunked.finish()) == 413
    assert head_offset(url, auth) == 60
    upload_id = url.rsplit("/", 1)[1]
    assert (media_root(app) / "uploads" / upload_id / "data").read_bytes() == b"a" * 60

    # A chunked body that fits is fine, and completes the upload.
    chunked = RawPatch(url, auth, 60, None, chunked=True)
    chunked.send(b"e" * 40)
    assert status_of(chunked.finish()) == 204
    assert len(versions_of(app, people["student"].id)) == 1


def test_upload_length_is_required_and_limited(client, app, people):
    auth, assignment = people["student_auth"], people["assignment"]

    def post(length=None, meta=None):
        headers = {**TUS, **auth, "Upload-Metadata": meta or metadata(assignment_id=assignment.id, filename="a.mp4")}
        if length is not None:
            headers["Upload-Length"] = length
        return client.post("/api/v1/uploads", headers=headers)

    for missing in (None, "", "-1", "ten", "1e9", "٣"):
        assert post(missing).status_code == 400, missing
    too_big = post(str(app.config["UPLOAD_MAX_BYTES"] + 1))
    assert too_big.status_code == 413
    assert too_big.json["error"]["message"] == "That file is too large. The most you can upload is 2 GB."
    assert post(str(app.config["UPLOAD_MAX_BYTES"])).status_code == 201
    assert post("10", meta="assignment_id !!!").status_code == 400
    assert post("10", meta=metadata(filename="a.mp4")).json["error"]["code"] == "missing_assignment"
    for bad_id in ("٣", "1" * 40, "-1", " 1"):
        assert post("10", meta=metadata(assignment_id=bad_id, filename="a.mp4")).status_code == 400, bad_id
    assert post("10", meta=metadata(assignment_id=assignment.id)).json["error"]["code"] == "missing_filename"
    assert post("10", meta=metadata(assignment_id=999999, filename="a.mp4")).status_code == 404


def test_requests_without_tus_resumable_get_412(client, people):
    auth = people["student_auth"]
    response = client.post("/api/v1/uploads", headers={**auth, "Upload-Length": "10",
                                                        "Upload-Metadata": metadata(assignment_id=1, filename="a")})
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0" and response.headers["Tus-Resumable"] == "1.0.0"
    url = client.post("/api/v1/uploads", headers={
        **TUS, **auth, "Upload-Length": "10",
        "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a")}).headers["Location"]
    assert client.head(url, headers={**auth, "Tus-Resumable": "0.2.2"}).status_code == 412
    assert client.patch(url, data=b"x", headers={**auth, "Upload-Offset": "0",
                                                 "Content-Type": "application/offset+octet-stream"}).status_code == 412
    assert client.delete(url, headers=auth).status_code == 412


def test_a_patch_with_the_wrong_content_type_gets_415(client, people):
    auth = people["student_auth"]
    url = client.post("/api/v1/uploads", headers={
        **TUS, **auth, "Upload-Length": "10",
        "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a")}).headers["Location"]
    for content_type in ("application/octet-stream", "multipart/form-data; boundary=x", None):
        headers = {**TUS, **auth, "Upload-Offset": "0"}
        if content_type:
            headers["Content-Type"] = content_type
        assert client.patch(url, data=b"x" * 10, headers=headers).status_code == 415
    assert client.patch(url, data=b"x", headers={**TUS, **auth, "Content-Type": "application/offset+octet-stream"}
                        ).status_code == 400  # no Upload-Offset


def test_termination_removes_the_bytes_and_later_requests_get_410(app, live_server, people):
    auth = people["student_auth"]
    url = create(live_server, auth, people["assignment"].id, 100)
    upload_id = url.rsplit("/", 1)[1]
    assert patch(url, auth, 0, b"a" * 50).status_code == 204
    assert requests.delete(url, headers={**TUS, **people["other_student_auth"]}).status_code == 404
    response = requests.delete(url, headers={**TUS, **auth})
    assert response.status_code == 204 and response.headers["Tus-Resumable"] == "1.0.0"
    assert not (media_root(app) / "uploads" / upload_id).exists()
    after = patch(url, auth, 50, b"b" * 50)
    assert after.status_code == 410 and after.json()["error"]["code"] == "upload_terminated"
    assert requests.head(url, headers={**TUS, **auth}).status_code == 410
    assert not (media_root(app) / "uploads" / upload_id).exists()
    assert versions_of(app, people["student"].id) == []


def test_a_busy_upload_cannot_be_terminated_under_the_writer(app, live_server, people):
    auth = people["student_auth"]
    url = create(live_server, auth, people["assignment"].id, 2000)
    writer = RawPatch(url, auth, 0, 2000)
    writer.send(b"a" * 1000)
    wait_until_locked(data_file(app, url))
    busy = requests.delete(url, headers={**TUS, **auth})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "upload_busy"
    writer.send(b"b" * 1000)
    assert status_of(writer.finish()) == 204


# --- who may upload -----------------------------------------------------------------------

def test_only_the_cohorts_students_may_create_uploads(client, people):
    def create_as(person):
        return client.post("/api/v1/uploads", headers={
            **TUS, **people[person + "_auth"], "Upload-Length": "10",
            "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a.mp4")})

    assert create_as("student").status_code == 201
    assert create_as("mentor").status_code == 403
    assert create_as("mentor").json["error"]["code"] == "students_only"
    assert create_as("lead").status_code == 403
    assert create_as("outsider").status_code == 404
    anonymous = client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "10"})
    assert anonymous.status_code == 401 and anonymous.headers["Tus-Resumable"] == "1.0.0"


def test_another_students_upload_is_invisible(client, people):
    auth = people["student_auth"]
    url = client.post("/api/v1/uploads", headers={
        **TUS, **auth, "Upload-Length": "10",
        "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a")}).headers["Location"]
    for person in ("other_student", "mentor", "lead", "outsider"):
        other = people[person + "_auth"]
        assert client.head(url, headers={**TUS, **other}).status_code == 404
        assert client.patch(url, data=b"x", headers={**TUS, **other, "Upload-Offset": "0",
                                                     "Content-Type": "application/offset+octet-stream"}
                            ).status_code == 404
    assert client.head(url + "0", headers={**TUS, **auth}).status_code == 404
    assert client.head("/api/v1/uploads/..%2F..%2Fetc", headers={**TUS, **auth}).status_code == 404
    assert client.head(url, headers={**TUS, **auth}).headers["Upload-Offset"] == "0"


def test_a_locked_submission_refuses_new_uploads_with_409(client, app, people):
    from workshop.extensions import db
    from workshop.submissions.models import SafeguardingConcern
    from workshop.submissions.models import Submission

    mentor = people["mentor"]  # made before the transaction below: SQLite has one writer at a time
    with app.app_context():
        submission = Submission(assignment_id=people["assignment"].id, cohort_id=people["cohort"].id,
                                student_id=people["student"].id)
        db.session.add(submission)
        db.session.flush()
        db.session.add(SafeguardingConcern(cohort_id=people["cohort"].id, submission_id=submission.id,
                                           raised_by_id=mentor.id, summary="worried"))
        db.session.commit()
    response = client.post("/api/v1/uploads", headers={
        **TUS, **people["student_auth"], "Upload-Length": "10",
        "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a.mp4")})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "submission_locked"
    form = client.post(f"/api/v1/assignments/{people['assignment'].id}/versions",
                       data={"file": (io.BytesIO(b"data"), "a.mp4")}, headers=people["student_auth"])
    assert form.status_code == 409


def test_one_person_cannot_open_unlimited_uploads(client, app, people):
    app.config["UPLOAD_MAX_PENDING_PER_USER"] = 2
    try:
        codes = [client.post("/api/v1/uploads", headers={
            **TUS, **people["student_auth"], "Upload-Length": "10",
            "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a")}).status_code
            for _ in range(3)]
    finally:
        app.config["UPLOAD_MAX_PENDING_PER_USER"] = 10
    assert codes == [201, 201, 429]


# --- the plain form upload -------------------------------------------------------------------

def test_the_plain_upload_makes_the_next_version(client, app, people, clip):
    url = f"/api/v1/assignments/{people['assignment'].id}/versions"
    before = snapshot(media_root(app) / "uploads")
    with open(clip, "rb") as file:
        response = client.post(url, data={"file": (file, "../../etc/passwd draft.mp4")},
                               headers=people["student_auth"])
    assert response.status_code == 201, response.json
    [version] = versions_of(app, people["student"].id)
    assert response.json == {"version_id": version.id}
    assert response.headers["Location"] == f"/api/v1/versions/{version.id}"
    assert version.number == 1 and version.original_filename == "passwd draft.mp4"
    assert stored_original(app, version) == clip.read_bytes()
    assert snapshot(media_root(app) / "uploads") == before  # its temporary folder is gone
    again = client.post(url, data={"file": (io.BytesIO(b"second"), "b.mp4")}, headers=people["student_auth"])
    assert again.status_code == 201
    assert [v.number for v in versions_of(app, people["student"].id)] == [1, 2]


def test_the_plain_upload_refuses_what_it_should(client, app, people):
    url = f"/api/v1/assignments/{people['assignment'].id}/versions"

    def send(person="student", **data):
        return client.post(url, data=data, headers=people[person + "_auth"])

    missing = send(other="x")
    assert missing.status_code == 422 and missing.json["error"]["field"] == "file"
    assert send(file=(io.BytesIO(b""), "")).status_code == 422  # a form sent with no file chosen
    assert send("mentor", file=(io.BytesIO(b"x"), "a.mp4")).status_code == 403
    assert send("lead", file=(io.BytesIO(b"x"), "a.mp4")).status_code == 403
    assert send("outsider", file=(io.BytesIO(b"x"), "a.mp4")).status_code == 404
    assert client.post("/api/v1/assignments/999999/versions", data={"file": (io.BytesIO(b"x"), "a.mp4")},
                       headers=people["student_auth"]).status_code == 404

    app.config["FORM_UPLOAD_MAX_BYTES"] = 64 * 1024
    try:
        # Just over the limit: caught while copying. Far over: refused before the body is read.
        for size in (64 * 1024 + 1, 3 * MiB):
            too_big = send(file=(io.BytesIO(b"x" * size), "a.mp4"))
            assert too_big.status_code == 413, size
            assert too_big.json["error"]["message"] == (
                "That file is too large for a simple upload (at most 64 KB). Use the resumable upload instead.")
        assert send(file=(io.BytesIO(b"x" * 64 * 1024), "a.mp4")).status_code == 201
    finally:
        app.config["FORM_UPLOAD_MAX_BYTES"] = 100 * MiB
    assert versions_of(app, people["student"].id)[0].original_size == 64 * 1024


# --- the browser's cookie session -----------------------------------------------------------

def test_cookie_sessions_need_the_csrf_header_and_big_chunks_pass_the_global_body_limit(
        csrf_app, live_server, people):
    """The browser's uploader sends chunks far above MAX_CONTENT_LENGTH; only tus PATCH may."""
    session = requests.Session()
    token = csrf_token_from(session.get(f"{live_server}/login").text)
    logged_in = session.post(f"{live_server}/login", data={
        "email": people["student"].email, "password": PASSWORD, "csrf_token": token}, allow_redirects=False)
    assert logged_in.status_code == 302
    # Logging in starts a fresh session, with a new CSRF token: the page shows it.
    csrf = {"X-CSRFToken": csrf_token_from(session.get(f"{live_server}/").text)}
    create_headers = {**TUS, "Upload-Length": str(3 * MiB),
                      "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a.mp4")}
    assert session.post(f"{live_server}/api/v1/uploads", headers=create_headers).status_code == 400  # no CSRF
    created = session.post(f"{live_server}/api/v1/uploads", headers={**create_headers, **csrf})
    assert created.status_code == 201
    url = live_server + created.headers["Location"]
    assert session.head(url, headers=TUS).status_code == 200  # safe methods need no token

    csrf_app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    try:
        body = os.urandom(3 * MiB)
        no_token = session.patch(url, data=body, headers={
            **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert no_token.status_code == 400 and no_token.json()["error"]["code"] == "csrf_failed"
        done = session.patch(url, data=body, headers={
            **TUS, **csrf, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert done.status_code == 204 and done.headers["Karya-Version-Id"]
        # Everything else is still held to the global limit.
        assert session.post(f"{live_server}/language", data={"locale": "x" * 100_000}).status_code == 413
    finally:
        csrf_app.config["MAX_CONTENT_LENGTH"] = csrf_app.config["FORM_UPLOAD_MAX_BYTES"] + 1024 * 1024


# --- a full disk ----------------------------------------------------------------------------

def _mount_tmpfs(path: Path, size: str):
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()}); the disk-full test needs one")


def test_a_full_disk_answers_507_keeps_the_bytes_and_the_upload_resumes(app, live_server, people, clip):
    """The upload's folder becomes a 1 MiB tmpfs: the disk fills up mid-PATCH."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    auth, data = people["student_auth"], clip.read_bytes()
    url = create(live_server, auth, people["assignment"].id, len(data))
    folder = media_root(app) / "uploads" / url.rsplit("/", 1)[1]
    _mount_tmpfs(folder, "1m")
    try:
        (folder / "data").touch()
        full = patch(url, auth, 0, data)
        assert full.status_code == 507
        assert full.json()["error"]["code"] == "disk_full"
        assert "What you uploaded so far is kept" in full.json()["error"]["message"]
        kept = head_offset(url, auth)
        assert 0 < kept <= MiB and kept == full.json()["error"]["offset"]
        assert (folder / "data").read_bytes() == data[:kept]

        # Space is freed (the tmpfs grows, keeping its content); the client simply resumes.
        subprocess.run(["mount", "-o", "remount,size=16m", str(folder)], check=True)
        tus_upload(live_server, auth, clip, people["assignment"].id, url=url)
        [version] = versions_of(app, people["student"].id)
        # The finished file crossed filesystems into storage: copied, then renamed into place.
        assert stored_original(app, version) == data
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# --- expiry ---------------------------------------------------------------------------------

def test_expired_uploads_and_stray_folders_are_purged(app, client, people):
    from workshop.extensions import db
    from workshop.uploads.cleanup import purge_expired_uploads
    from workshop.uploads.service import uploads_root

    auth = people["student_auth"]

    def new_upload():
        location = client.post("/api/v1/uploads", headers={
            **TUS, **auth, "Upload-Length": "10",
            "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a")}).headers["Location"]
        return location, location.rsplit("/", 1)[1]

    (old_url, old_id), (_, busy_id), (fresh_url, fresh_id) = new_upload(), new_upload(), new_upload()
    with app.app_context():
        for upload_id in (old_id, busy_id):
            db.session.get(Upload, upload_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        root = uploads_root()
    stale, recent = root / "form-stale", root / "form-recent"
    for folder in (stale, recent):
        folder.mkdir()
        (folder / "data").write_bytes(b"x")
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))

    assert client.head(old_url, headers={**TUS, **auth}).status_code == 410  # expired already
    with open(root / busy_id / "data", "rb") as busy:
        fcntl.flock(busy.fileno(), fcntl.LOCK_EX)  # as a PATCH in flight would
        with app.app_context():
            assert purge_expired_uploads() == 2  # the old upload and the stale folder
    assert not (root / old_id).exists() and not stale.exists()
    assert (root / busy_id).exists() and (root / fresh_id).exists() and recent.exists()
    assert client.head(old_url, headers={**TUS, **auth}).status_code == 404
    assert client.head(fresh_url, headers={**TUS, **auth}).status_code == 200
    with app.app_context():
        assert purge_expired_uploads() == 1  # the busy one, now that its writer is done
