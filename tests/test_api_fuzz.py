"""schemathesis against /api/v1, in process: no request may end in a server error.

The schema is loaded from the app's own ``/api/v1/openapi.json`` and every
operation in it is fuzzed through the WSGI app, with valid and invalid data, as a
signed-in lead who is also a student elsewhere, so requests reach the lead, mentor
and student code paths. Path ids are drawn half the time from objects that exist
(a cohort of each kind, a ready version, the lead's own queued one, comments, an
unfinished upload), so the fuzzer gets past the 404 of an unknown id. Invalid cases
include requests whose bearer token schemathesis leaves out on purpose (401).
Bounded: ``MAX_EXAMPLES`` cases per operation, derandomized, no deadline; the file
runs in about half a minute.
"""

from __future__ import annotations

import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from workshop import create_app
from workshop.api.openapi import build

from .helpers import bearer

MAX_EXAMPLES = 20
# The tus PATCH body is raw bytes; schemathesis knows how to send application/octet-stream.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class World:
    """What the fuzzer's requests can find: ids by path parameter, and a live token."""

    def __init__(self, app, lead, ids: dict[str, list]):
        self.app, self.lead, self.ids = app, lead, ids
        self.token = self.issue_token()

    def issue_token(self) -> str:
        from workshop.accounts.models import ApiToken
        from workshop.extensions import db

        with self.app.app_context():
            _token, raw = ApiToken.issue(db.session.get(type(self.lead), self.lead.id), "fuzz")
            db.session.commit()
        return raw


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _build_world(app, make) -> World:
    from workshop.accounts.models import ApiToken
    from workshop.extensions import db
    from workshop.review.models import Comment
    from workshop.submissions.models import Submission, SubmissionState, Version, VersionState

    lead, mentor, student, stranger = (make.user(name=n) for n in ("Lead", "Mentor", "Student", "Stranger"))
    led, studied, foreign = make.cohort(name="Led"), make.cohort(name="Studied"), make.cohort(name="Foreign")
    make.member(lead, led, "lead")
    make.member(mentor, led, "mentor")
    make.member(student, led, "student")
    make.member(lead, studied, "student")
    make.member(stranger, foreign, "lead")
    ids: dict[str, list] = {"cohort_id": [led.id, studied.id, foreign.id]}
    client = app.test_client()
    with app.app_context():
        _t, lead_raw = ApiToken.issue(db.session.get(type(lead), lead.id), "setup")
        spare, _raw = ApiToken.issue(db.session.get(type(lead), lead.id), "spare")
        db.session.commit()
        spare_id = spare.id
    as_lead = bearer(lead_raw)
    created = client.post(f"/api/v1/cohorts/{led.id}/assignments", headers=as_lead, json={
        "title": "Sleep explainer", "checklist_template_keys": ["wellbeing", "child_safety"]})
    assert created.status_code == 201, created.json
    led_assignment = created.json["id"]
    studied_assignment = make.assignment(studied, title="Studied").id
    ids["assignment_id"] = [led_assignment, studied_assignment, make.assignment(foreign, title="Foreign").id]
    with app.app_context():
        submission = Submission(assignment_id=led_assignment, cohort_id=led.id, student_id=student.id,
                                state=SubmissionState.AWAITING_REVIEW)
        db.session.add(submission)
        db.session.flush()
        version = Version(submission_id=submission.id, cohort_id=led.id, number=1, original_key="x",
                          original_filename="draft.mp4", state=VersionState.READY, duration_s=30.0)
        db.session.add(version)
        db.session.flush()
        root = Comment(version_id=version.id, cohort_id=led.id, author_id=mentor.id, body="Nice start",
                       timecode_ms=1200)
        db.session.add(root)
        db.session.flush()
        reply = Comment(version_id=version.id, cohort_id=led.id, author_id=student.id, body="Thanks",
                        parent_id=root.id)
        db.session.add(reply)
        # The lead's own draft where they are a student: waiting for the media job.
        own = Submission(assignment_id=studied_assignment, cohort_id=studied.id, student_id=lead.id)
        db.session.add(own)
        db.session.flush()
        own_version = Version(submission_id=own.id, cohort_id=studied.id, number=1, original_key="y",
                              original_filename="mine.mp4", state=VersionState.QUEUED)
        db.session.add(own_version)
        db.session.commit()
        ids["version_id"], ids["comment_id"] = [version.id, own_version.id], [root.id, reply.id]
    upload = client.post("/api/v1/uploads", headers={
        **as_lead, "Tus-Resumable": "1.0.0", "Upload-Length": "1000",
        "Upload-Metadata": f"assignment_id {_b64(str(studied_assignment))},filename {_b64('draft.mp4')}"})
    assert upload.status_code == 201, upload.json
    ids["upload_id"] = [upload.headers["Location"].rsplit("/", 1)[1]]
    ids["token_ref"] = [str(spare_id)]
    return World(app, lead, ids)


# One test per documented operation. (schemathesis.pytest.from_fixture, its lazy loader,
# does not run under pytest 9.2: it sets Node._nodeid, which pytest no longer has; so
# each test draws cases from the operation's own strategy with hypothesis.given.)
# The operations are read at collection time from the document of an app built for that alone.
DOCUMENT = build(create_app({"TESTING": True, "SECRET_KEY": "fuzz", "SQLALCHEMY_DATABASE_URI": "sqlite://"}))
OPERATIONS = [(method.upper(), path) for path, operations in DOCUMENT["paths"].items() for method in operations]


@pytest.fixture
def world(app, make) -> World:
    return _build_world(app, make)


def _with_known_ids(world: World):
    """A hook: half the time, point every path id at an object that exists."""

    def flatmap_path_parameters(context, path_parameters):
        known = {name: st.sampled_from(world.ids[name]) for name in path_parameters or {} if name in world.ids}
        if not known:
            return st.just(path_parameters)
        return st.one_of(st.just(path_parameters), st.fixed_dictionaries(known).map(
            lambda real: {**path_parameters, **real}))

    return flatmap_path_parameters


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_operation_answers_a_server_error(app, world, method, path):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.hook(_with_known_ids(world))
    operation = schema[path][method]
    cases = st.one_of(*(operation.as_strategy(mode, hooks=schema.hooks) for mode in GenerationMode))

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call(headers=bearer(world.token))
        case.validate_response(response, checks=CHECKS)
        if (method, path) == ("DELETE", "/tokens/{token_ref}") and response.status_code == 204:
            world.token = world.issue_token()  # it may have revoked the very token in use

    fuzz()


# --- what the fuzzer found: each was a 500 before it was fixed ------------------------

def test_ids_beyond_the_integer_columns_answer_404(app, world):
    """PostgreSQL refused to compare an INTEGER id with 2**31 ("integer out of range")."""
    client, auth = app.test_client(), bearer(world.token)
    for path in ("/api/v1/cohorts/2147483648", "/api/v1/assignments/2147483648/checklist",
                 "/api/v1/versions/99999999999999999999", "/api/v1/versions/2147483648/comments"):
        assert client.get(path, headers=auth).status_code == 404, path
    assert client.post("/api/v1/comments/2147483648/resolve", headers=auth).status_code == 404
    for ref in ("2147483648", "²"):  # "²".isdigit() is true, but int() refuses it
        assert client.delete(f"/api/v1/tokens/{ref}", headers=auth).status_code == 404, ref
    assert client.get("/api/v1/me", headers=auth).status_code == 200


def test_comment_numbers_beyond_the_integer_columns_are_refused(app, world):
    client, auth = app.test_client(), bearer(world.token)
    version_id = world.ids["version_id"][0]  # the ready version in the cohort the lead leads
    with app.app_context():
        from workshop.extensions import db
        from workshop.submissions.models import Version

        db.session.get(Version, version_id).duration_s = None  # no duration to bound the timecode
        db.session.commit()
    url = f"/api/v1/versions/{version_id}/comments"
    reply = client.post(url, headers=auth, json={"body": "Reply", "parent_id": 2**31})
    assert reply.status_code == 422 and reply.json["error"]["field"] == "parent_id"
    late = client.post(url, headers=auth, json={"body": "Late", "timecode_ms": 2**31})
    assert late.status_code == 422 and late.json["error"]["field"] == "timecode_ms"


def test_a_tus_upload_naming_an_assignment_beyond_the_integer_column_answers_404(app, world):
    response = app.test_client().post("/api/v1/uploads", headers={
        **bearer(world.token), "Tus-Resumable": "1.0.0", "Upload-Length": "10",
        "Upload-Metadata": f"assignment_id {_b64('999999999999999999')},filename {_b64('a.mp4')}"})
    assert response.status_code == 404


def test_text_that_cannot_be_stored_is_refused_with_its_field(app, world):
    """PostgreSQL cannot store NUL in text, and UTF-8 cannot encode half a surrogate pair."""
    client, auth = app.test_client(), bearer(world.token)
    led = world.ids["cohort_id"][0]
    for path, body, field in (
            ("/api/v1/cohorts", {"name": "Kelas\u0000A"}, "name"),
            (f"/api/v1/cohorts/{led}/sessions", {"title": "Sesi", "starts_at": "2026-01-05T09:00",
                                                 "agenda": ["\ud800"]}, "agenda"),
            (f"/api/v1/versions/{world.ids['version_id'][0]}/reviews",
             {"verdict": "escalated", "summary": "See", "answers": [{"item_id": 1, "answer": "no", "note": "\u0000"}]},
             "answers")):
        response = client.post(path, headers=auth, json=body)
        assert response.status_code == 422, (path, response.json)
        assert response.json["error"]["field"] == field
        assert "cannot be saved" in response.json["error"]["message"]


def test_times_that_fall_outside_the_calendar_in_utc_are_refused(app, world):
    """Midnight of 1 January of year 1 in Jakarta is in year 0 in UTC, which datetime cannot hold."""
    client, auth = app.test_client(), bearer(world.token)
    led = world.ids["cohort_id"][0]
    for path, body, field in ((f"/api/v1/cohorts/{led}/sessions", {"title": "Sesi", "starts_at": "0001-01-01T00:00"},
                               "starts_at"),
                              (f"/api/v1/cohorts/{led}/assignments", {"title": "Tugas", "due_at": "0001-01-01T00:00"},
                               "due_at"),
                              (f"/api/v1/cohorts/{led}/assignments",
                               {"title": "Tugas", "due_at": "9999-12-31T23:00:00-05:00"}, "due_at")):
        response = client.post(path, headers=auth, json=body)
        assert response.status_code == 422, (path, body)
        assert response.json["error"]["field"] == field
