"""The OpenAPI 3 document of ``/api/v1``, served at ``GET /api/v1/openapi.json``.

Written by hand, as data: each route of the API blueprint has its entry in
``PATHS`` below, and ``tests/test_openapi.py`` fails when a route and the
document disagree, so the document cannot fall behind. The enums come from the
models themselves. ``tests/test_api_fuzz.py`` runs schemathesis against it.
"""

from __future__ import annotations

from flask import jsonify

from ..access import public
from ..review.models import Answer, Severity, Verdict
from ..roles import Role
from ..submissions.models import SubmissionState, VersionState
from . import bp


# --- small builders, so that each operation below reads as what it takes and gives ----

def _values(enum) -> list[str]:
    return [member.value for member in enum]


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
NUMBER = {"type": "number"}
DATE_TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}


def _object(properties: dict, required: tuple[str, ...] = ()) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _list_of(name: str, item: dict) -> dict:
    return _object({name: {"type": "array", "items": item}}, (name,))


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_DESCRIPTIONS = {
    400: "The request could not be read (not a JSON object, bad header, CSRF token missing)",
    401: "Not signed in: no valid bearer token or session",
    403: "Signed in, but the caller's role does not allow this; or (code `email_unconfirmed`) the "
         "account has not confirmed its email address yet, so it holds no role in any cohort",
    404: "No such object, or it is in a cohort the caller does not belong to",
    409: "The object's state does not allow this now",
    410: "The upload is gone (cancelled or expired)",
    412: "Tus-Resumable is missing or not 1.0.0",
    413: "The body or the declared upload is too large",
    415: "The body is not of the expected content type",
    422: "A field is missing or not valid; `field` names it",
    429: "Too many attempts or unfinished uploads",
    507: "The server is out of storage space",
}


def _errors(*statuses: int) -> dict:
    return {str(status): {"$ref": f"#/components/responses/Error{status}"} for status in statuses}


def _path_id(name: str) -> dict:
    # Flask's int converter takes digits only: anything else matches no route (404).
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}


def _operation(summary: str, tag: str, responses: dict, *, body: dict | None = None, params=(),
               errors=(), public_route=False) -> dict:
    """One operation. Every non-public one may answer 401, one with an id in its path 403 (an
    unconfirmed account) and 404, and one with a JSON body 400/415/422."""
    operation = {"summary": summary, "tags": [tag], "responses": {**responses}}
    if params:
        operation["parameters"] = list(params)
    if any(param["in"] == "path" for param in params):
        errors = (*errors, 403, 404)
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        errors = (*errors, 400, 415, 422)
    if public_route:
        operation["security"] = []
    else:
        errors = (*errors, 401)
    operation["responses"].update(_errors(*sorted(set(errors))))
    return operation


# --- response bodies --------------------------------------------------------------------

ASSIGNMENT_BRIEF = _object({"id": INTEGER, "title": STRING, "due_at": _nullable(DATE_TIME)})
SESSION = _object({
    "id": INTEGER, "cohort_id": INTEGER, "title": STRING, "starts_at": DATE_TIME,
    "ends_at": _nullable(DATE_TIME), "timezone": STRING, "location": STRING, "link": STRING, "agenda": STRING,
}, ("id", "cohort_id", "title", "starts_at", "timezone"))
MEMBERSHIP = _object({"user_id": INTEGER, "name": STRING, "email": STRING,
                      "role": {"type": "string", "enum": _values(Role)}, "cohort_id": INTEGER})
COMMENT = _object({
    "id": INTEGER, "version_id": INTEGER, "version_number": _nullable(INTEGER), "parent_id": _nullable(INTEGER),
    "author": _object({"id": _nullable(INTEGER), "name": _nullable(STRING)}),
    "body": STRING, "timecode_ms": _nullable(INTEGER), "private": BOOLEAN, "resolved": BOOLEAN,
    "created_at": _nullable(DATE_TIME),
}, ("id", "version_id", "body", "private", "resolved"))
VERSION = _object({
    "id": INTEGER, "submission_id": INTEGER, "number": INTEGER,
    "state": {"type": "string", "enum": _values(VersionState)},
    "progress": NUMBER, "queue_position": _nullable(INTEGER), "eta_s": _nullable(NUMBER),
    "error": _nullable(STRING), "error_code": _nullable(STRING),
    "duration_s": _nullable(NUMBER), "width": _nullable(INTEGER), "height": _nullable(INTEGER),
    "remuxed": _nullable(BOOLEAN), "original_filename": _nullable(STRING), "created_at": DATE_TIME,
    "rendition_url": _nullable(STRING), "poster_url": _nullable(STRING),
    "storyboard_url": _nullable(STRING), "storyboard_vtt_url": _nullable(STRING),
    # Approval waits for "complete"; while "running" each check's status is "running".
    "checks_state": _nullable({"type": "string", "enum": ["running", "complete", "failed", None]}),
    "checks": {"type": "array", "items": _object({"name": STRING, "status": STRING, "detail": _nullable(STRING)})},
}, ("id", "submission_id", "number", "state", "progress", "checks"))
REVIEW = _object({
    "id": INTEGER, "version_id": INTEGER, "mentor_id": INTEGER,
    "verdict": {"type": "string", "enum": _values(Verdict)}, "summary": STRING, "created_at": _nullable(DATE_TIME),
    "answers": {"type": "array", "items": _object({
        "item_id": INTEGER, "answer": {"type": "string", "enum": _values(Answer)}, "note": STRING})},
}, ("id", "version_id", "verdict", "answers"))
CHECKLIST_ITEM = _object({
    "id": INTEGER, "key": STRING, "template": STRING, "severity": {"type": "string", "enum": _values(Severity)},
    "text": STRING, "text_en": STRING, "text_id": STRING, "source": _nullable(STRING),
}, ("id", "key", "severity", "text"))
ERROR = _object({"error": _object({
    "code": STRING, "message": STRING, "field": STRING,
    "missing": {"type": "array", "description": "With code `must_items_missing`: the items still to answer",
                "items": _object({"item_id": INTEGER, "key": STRING, "text": STRING})},
}, ("code", "message"))}, ("error",))

# --- request bodies ---------------------------------------------------------------------

NEW_COHORT = _object({
    "name": {"type": "string", "maxLength": 160}, "description": STRING,
    "starts_on": _nullable(DATE), "ends_on": _nullable(DATE),
    "timezone": {"type": "string", "example": "Asia/Jakarta"},
    "review_target_hours": {"type": "integer", "minimum": 1, "maximum": 24 * 14},
}, ("name",))
NEW_MEMBER = _object({
    "email": {"type": "string", "format": "email"},
    "name": {"type": "string", "description": "Required when the address has no account yet"},
    "role": {"type": "string", "enum": _values(Role), "default": Role.STUDENT.value},
}, ("email",))
NEW_ASSIGNMENT = _object({
    "title": {"type": "string", "maxLength": 200}, "brief": STRING,
    "due_at": _nullable({**DATE_TIME, "description": "Without an offset: in the cohort's time zone"}),
    "max_duration_s": {"type": "integer", "minimum": 5, "maximum": 3600, "default": 900},
    "checklist_template_keys": {"type": "array", "items": {"type": "string", "example": "wellbeing"}},
}, ("title",))
NEW_SESSION = _object({
    "title": {"type": "string", "maxLength": 160},
    "starts_at": {**DATE_TIME, "description": "Without an offset: in the cohort's time zone"},
    "ends_at": _nullable(DATE_TIME), "location": STRING, "link": STRING, "agenda": STRING,
}, ("title", "starts_at"))
NEW_COMMENT = _object({
    "body": {"type": "string", "maxLength": 5000},
    "timecode_ms": _nullable({"type": "integer", "minimum": 0}),
    "parent_id": _nullable({**INTEGER, "description": "Reply to this comment: joins its thread and its privacy"}),
    "private": {"type": "boolean", "default": False, "description": "A note for mentors and leads only"},
}, ("body",))
NEW_REVIEW = _object({
    "verdict": {"type": "string", "enum": _values(Verdict)},
    "summary": {"type": "string", "maxLength": 5000, "description": "Required unless the verdict is approved"},
    "answers": {"type": "array", "items": _object({
        "item_id": INTEGER, "answer": {"type": "string", "enum": _values(Answer)}, "note": STRING,
    }, ("item_id", "answer"))},
}, ("verdict",))
NEW_TOKEN = _object({"email": STRING, "password": STRING, "label": {"type": "string", "maxLength": 120}},
                    ("email", "password"))

# --- tus headers ------------------------------------------------------------------------

TUS_RESUMABLE = {"name": "Tus-Resumable", "in": "header", "required": True,
                 "schema": {"type": "string", "enum": ["1.0.0"]}}
UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": STRING}
NO_CONTENT = {"description": "Done; no body"}

# --- the operations, by path (relative to the server URL /api/v1) ----------------------

COHORT_ID, ASSIGNMENT_ID = _path_id("cohort_id"), _path_id("assignment_id")
VERSION_ID, COMMENT_ID = _path_id("version_id"), _path_id("comment_id")

PATHS = {
    "/openapi.json": {"get": _operation("This document", "meta", {
        "200": _json("The OpenAPI document", {"type": "object"})}, public_route=True)},
    "/tokens": {
        "post": _operation("Exchange an email and password for a bearer token (shown once)", "tokens", {
            "201": _json("The new token", _object({"token": STRING, "id": INTEGER}, ("token", "id")))},
            body=NEW_TOKEN, errors=(401, 429), public_route=True),
        "get": _operation("The caller's tokens", "tokens", {"200": _json("Tokens, oldest first", _list_of(
            "tokens", _object({"id": INTEGER, "label": STRING, "created_at": DATE_TIME,
                               "last_used_at": _nullable(DATE_TIME), "revoked": BOOLEAN})))}),
    },
    "/tokens/{token_ref}": {"delete": _operation("Revoke one of the caller's tokens", "tokens", {"204": NO_CONTENT},
                                                 params=[{"name": "token_ref", "in": "path", "required": True,
                                                          "description": "A token id, or `current` for the one in use",
                                                          "schema": STRING}])},
    "/me": {"get": _operation("The caller, their cohorts with their role in each, and the assignments", "tokens", {
        "200": _json("The caller", _object({
            "id": INTEGER, "email": STRING, "name": STRING, "locale": _nullable(STRING),
            "cohorts": {"type": "array", "items": _object({
                "id": INTEGER, "name": STRING, "role": {"type": "string", "enum": _values(Role)},
                "assignments": {"type": "array", "items": ASSIGNMENT_BRIEF}})},
        }, ("id", "email", "name", "cohorts")))})},
    "/cohorts": {"post": _operation("Start a cohort (admins and leads); the caller becomes its lead", "cohorts", {
        "201": _json("The cohort", _object({
            "id": INTEGER, "join_code": STRING, "name": STRING, "starts_on": _nullable(DATE),
            "ends_on": _nullable(DATE), "timezone": STRING}, ("id", "join_code", "name")))},
        body=NEW_COHORT, errors=(403,))},
    "/cohorts/{cohort_id}": {"get": _operation("A cohort and its assignments (members)", "cohorts", {
        "200": _json("The cohort", _object({
            "id": INTEGER, "name": STRING, "description": _nullable(STRING),
            "role": {"type": "string", "enum": _values(Role)},
            "starts_on": _nullable(DATE), "ends_on": _nullable(DATE),
            "assignments": {"type": "array", "items": _object({
                "id": INTEGER, "title": STRING, "due_at": _nullable(DATE_TIME), "max_duration_s": INTEGER})},
        }, ("id", "name", "role", "assignments")))}, params=[COHORT_ID])},
    "/cohorts/{cohort_id}/members": {
        "get": _operation("The cohort's people (mentors and leads)", "cohorts", {"200": _json("Members", _list_of(
            "members", _object({"user_id": INTEGER, "name": STRING, "email": STRING,
                                "role": {"type": "string", "enum": _values(Role)}})))},
            params=[COHORT_ID], errors=(403,)),
        "post": _operation("Add a person by email (leads); a new address gets an account, an existing "
                           "account an invite its owner accepts", "cohorts", {
            "201": _json("Added", _object({"membership": MEMBERSHIP, "created": BOOLEAN})),
            "200": _json("Already in the cohort, unchanged", _object({"membership": MEMBERSHIP, "created": BOOLEAN})),
            "202": _json("The address has an account: it is emailed an invite to accept", _object({
                "status": {"type": "string", "enum": ["invited"]},
                "invite": _object({"id": INTEGER, "email": STRING,
                                   "role": {"type": "string", "enum": _values(Role)},
                                   "cohort_id": INTEGER, "expires_at": DATE_TIME},
                                  ("id", "email", "role", "cohort_id", "expires_at")),
            }, ("status", "invite"))),
        }, body=NEW_MEMBER, params=[COHORT_ID], errors=(403, 409)),
    },
    "/cohorts/{cohort_id}/assignments": {"post": _operation("Create an assignment (leads)", "cohorts", {
        "201": _json("The assignment", _object({
            "id": INTEGER, "title": STRING, "due_at": _nullable(DATE_TIME), "max_duration_s": INTEGER,
            "checklist_template_keys": {"type": "array", "items": STRING}}, ("id", "title")))},
        body=NEW_ASSIGNMENT, params=[COHORT_ID], errors=(403, 409))},
    "/cohorts/{cohort_id}/progress": {"get": _operation("The cohort's progress (leads)", "cohorts", {
        "200": _json("Students, assignments, submissions, review turnaround, mentor load, attendance", _object({
            "cohort_id": INTEGER,
            "students": {"type": "array", "items": _object({"id": INTEGER, "name": STRING})},
            "assignments": {"type": "array", "items": ASSIGNMENT_BRIEF},
            "submissions": {"type": "array", "items": _object({
                "student_id": INTEGER, "assignment_id": INTEGER, "submission_id": _nullable(INTEGER),
                "state": _nullable(STRING), "versions": INTEGER, "latest_version_id": _nullable(INTEGER)})},
            "review_turnaround_hours": _object({"median": _nullable(NUMBER), "p90": _nullable(NUMBER),
                                                "reviews": INTEGER}),
            "waiting_reviews": {"type": "array", "items": _object({
                "version_id": INTEGER, "student": STRING, "assignment": STRING, "mentor": _nullable(STRING),
                "ready_at": _nullable(DATE_TIME), "overdue": BOOLEAN})},
            "mentor_load": {"type": "array", "items": _object({
                "mentor_id": INTEGER, "name": STRING, "open_reviews": INTEGER, "assigned": INTEGER})},
            "attendance_rate": _nullable(NUMBER), "open_concerns": INTEGER,
        }, ("cohort_id", "students", "assignments", "submissions")))}, params=[COHORT_ID], errors=(403,))},
    "/cohorts/{cohort_id}/sessions": {
        "get": _operation("The cohort's sessions, earliest first (members)", "sessions", {
            "200": _json("Sessions", _list_of("sessions", SESSION))}, params=[COHORT_ID]),
        "post": _operation("Schedule a session (leads)", "sessions", {"201": _json("The session", SESSION)},
                           body=NEW_SESSION, params=[COHORT_ID], errors=(403, 409)),
    },
    "/assignments/{assignment_id}/submission": {"get": _operation(
        "The caller's own submission, versions oldest first", "submissions", {
            "200": _json("The submission", _object({
                "id": INTEGER, "assignment_id": INTEGER,
                "state": {"type": "string", "enum": _values(SubmissionState)}, "locked": BOOLEAN,
                "updated_at": _nullable(DATE_TIME), "versions": {"type": "array", "items": VERSION},
            }, ("id", "assignment_id", "state", "versions")))}, params=[ASSIGNMENT_ID])},
    "/assignments/{assignment_id}/versions": {"post": {
        **_operation("Upload a whole file in one request (students)", "submissions", {
            "201": _json("The new version", _object({"version_id": INTEGER}, ("version_id",)))},
            params=[ASSIGNMENT_ID], errors=(400, 403, 409, 413, 422, 507)),
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _object(
            {"file": {"type": "string", "format": "binary"}}, ("file",))}}},
    }},
    "/assignments/{assignment_id}/checklist": {"get": _operation(
        "The checklist items that apply, and the cohort's helpline", "review", {"200": _json("The checklist", _object({
            "assignment_id": INTEGER,
            "helpline": _object({"name": _nullable(STRING), "contact": _nullable(STRING)}),
            "templates": {"type": "array", "items": _object({"id": INTEGER, "key": STRING, "name": STRING})},
            "items": {"type": "array", "items": CHECKLIST_ITEM},
        }, ("assignment_id", "helpline", "templates", "items")))}, params=[ASSIGNMENT_ID])},
    "/versions/{version_id}": {"get": _operation("A version: state, progress, ETA, media URLs, checks", "submissions", {
        "200": _json("The version", VERSION)}, params=[VERSION_ID])},
    "/versions/{version_id}/comments": {
        "get": _operation("Comments on a version (students never get private notes)", "review", {
            "200": _json("Comments", _list_of("comments", COMMENT))}, params=[VERSION_ID]),
        "post": _operation("Comment on a version, or reply to a comment", "review", {
            "201": _json("The comment", COMMENT)}, body=NEW_COMMENT, params=[VERSION_ID], errors=(403,)),
    },
    "/versions/{version_id}/reviews": {"post": _operation(
        "Give a verdict with checklist answers (mentors, leads)", "review", {"201": _json("The review", REVIEW)},
        body=NEW_REVIEW, params=[VERSION_ID], errors=(403, 409))},
    "/versions/{version_id}/claim": {"post": _operation(
        "Take a waiting submission for review (mentors, leads)", "review", {"200": _json("Claimed", _object({
            "submission_id": INTEGER, "mentor_id": INTEGER,
            "state": {"type": "string", "enum": _values(SubmissionState)}}))},
        params=[VERSION_ID], errors=(403, 409))},
    "/comments/{comment_id}/resolve": {"post": _operation(
        "Mark a thread resolved (mentors, leads)", "review", {"200": _json("The comment", COMMENT)},
        params=[COMMENT_ID], errors=(403, 422))},
    "/comments/{comment_id}/unresolve": {"post": _operation(
        "Open a resolved thread again (mentors, leads)", "review", {"200": _json("The comment", COMMENT)},
        params=[COMMENT_ID], errors=(403, 422))},
    "/reviews/queue": {"get": _operation("Versions waiting for a verdict in the caller's cohorts, oldest first",
                                         "review", {"200": _json("The queue", _list_of("versions", _object({
                                             "version_id": INTEGER, "number": INTEGER, "submission_id": INTEGER,
                                             "assignment": _object({"id": INTEGER, "title": STRING}),
                                             "student": _object({"id": INTEGER, "name": STRING}),
                                             "mentor_id": _nullable(INTEGER),
                                             "state": {"type": "string", "enum": _values(SubmissionState)},
                                             "waiting_since": _nullable(DATE_TIME), "overdue": BOOLEAN})))},
                                         params=[{"name": "only", "in": "query", "required": False,
                                                  "schema": {"type": "string", "enum": ["mine", "unassigned"]}}],
                                         errors=(422,))},
    # tus 1.0.0 (core, creation, termination): https://tus.io/protocols/resumable-upload
    "/uploads": {
        "options": _operation("tus discovery: versions, extensions, largest size", "uploads", {"204": NO_CONTENT},
                              public_route=True),
        "post": _operation("tus creation: start a resumable upload (students)", "uploads", {
            "201": {"description": "Created; `Location` is the upload's address", "headers": {
                "Location": {"schema": STRING}, "Upload-Offset": {"schema": STRING}}}},
            params=[TUS_RESUMABLE,
                    {"name": "Upload-Length", "in": "header", "required": True,
                     "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"}},
                    {"name": "Upload-Metadata", "in": "header", "required": False,
                     "description": "`assignment_id` and the file's name as `filename` (or `name`), each as `key base64(value)`",
                     "schema": STRING}],
            errors=(400, 403, 404, 409, 412, 413, 429, 507)),
    },
    "/uploads/{upload_id}": {
        "options": _operation("tus discovery", "uploads", {"204": NO_CONTENT}, params=[UPLOAD_ID],
                              public_route=True),
        "head": _operation("tus: how far the upload has got", "uploads", {"200": {
            "description": "`Upload-Offset`, `Upload-Length`, and `Karya-Version-Id` once complete"}},
            params=[UPLOAD_ID, TUS_RESUMABLE], errors=(410, 412)),
        "patch": {**_operation("tus: append bytes at Upload-Offset", "uploads", {"204": NO_CONTENT},
                               params=[UPLOAD_ID, TUS_RESUMABLE, {
                                   "name": "Upload-Offset", "in": "header", "required": True,
                                   "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"}}],
                               errors=(400, 409, 410, 412, 413, 415, 507)),
                  "requestBody": {"required": True, "content": {"application/offset+octet-stream": {
                      "schema": {"type": "string", "format": "binary"}}}}},
        "delete": _operation("tus termination: cancel the upload", "uploads", {"204": NO_CONTENT},
                             params=[UPLOAD_ID, TUS_RESUMABLE], errors=(410, 412)),
    },
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "Karya API",
        "version": "1",
        "description": "Karya's JSON API. Send `Authorization: Bearer <token>` (from `POST /tokens`) on "
                       "every call but the public ones. Errors are `{\"error\": {\"code\", \"message\", "
                       "\"field\"?}}`; the message is in the caller's language. Anything in a cohort the "
                       "caller does not belong to answers 404, not 403.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "A token from POST /api/v1/tokens (karya_...)"}},
        "schemas": {"Error": ERROR},
        "responses": {f"Error{status}": _json(description, _ref("Error"))
                      for status, description in ERROR_DESCRIPTIONS.items()},
    },
}


@bp.get("/openapi.json")
@public
def openapi_document():
    """This API's OpenAPI 3 document."""
    return jsonify(DOCUMENT)
