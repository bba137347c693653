"""One family of refusals: the class decides the HTTP status, pages and the API answer from
it alike, and every status Karya refuses with has its class."""

from __future__ import annotations

import pytest

from workshop import errors
from workshop.access import EmailUnconfirmed
from workshop.sessions.service import SessionInvalid

REFUSALS = [errors.BadRequest, errors.Unauthorized, errors.Forbidden, errors.NotFound, errors.Conflict,
            errors.Gone, errors.PreconditionFailed, errors.TooLarge, errors.UnsupportedMediaType,
            errors.Invalid, errors.TooManyAttempts, errors.Unavailable, errors.StorageFull]


def test_each_status_has_one_class_and_its_general_code():
    statuses = [refusal.status for refusal in REFUSALS]
    assert len(set(statuses)) == len(statuses)
    for refusal in REFUSALS:
        assert issubclass(refusal, errors.ApiError)
        if refusal.status in errors.MESSAGES:
            assert refusal.code == errors.MESSAGES[refusal.status][0], refusal


def test_a_particular_code_and_extra_fields_travel_with_the_refusal():
    refused = errors.Conflict("Wait for the checks.", code="checks_running")
    assert (refused.status, refused.code, str(refused.message)) == (409, "checks_running", "Wait for the checks.")
    assert errors.Conflict("x").code == "conflict"  # the class's own code is left alone
    invalid = errors.Invalid("Enter a title.", field="title")
    assert (invalid.status, invalid.code, invalid.extra) == (422, "invalid", {"field": "title"})
    assert (EmailUnconfirmed().status, EmailUnconfirmed().code) == (403, "email_unconfirmed")
    session = SessionInvalid({"title": "Enter a title.", "starts_at": "Enter a time."})
    assert (session.status, session.extra["field"]) == (422, "title") and isinstance(session, errors.Invalid)


@pytest.mark.parametrize("refusal", [errors.Conflict, errors.Invalid, errors.Gone])
def test_pages_and_the_api_answer_with_the_classes_status(app, refusal):
    with app.test_request_context("/api/v1/anything"):
        response, status = errors._handle_api_error(refusal("Nope.", code="particular", field="f"))
        assert status == refusal.status
        assert response.get_json() == {"error": {"code": "particular", "message": "Nope.", "field": "f"}}
    with app.test_request_context("/cohorts/1"):
        page, status = errors._handle_api_error(refusal("Nope."))
        assert status == refusal.status and "Nope." in page


# --- the refusals of each feature belong to the family -----------------------------------

def test_account_refusals_are_the_refusal_classes_with_their_field_and_code(app, make):
    from workshop.accounts import confirmation, service
    from workshop.extensions import db
    from workshop.invitations import service as invitations

    make.user(email="taken@karya.test")
    make.cohort(name="Kelas", join_code="GOODCODE")
    refusals = {
        "short password": (lambda: service.create_user("new@karya.test", "Ani", "short"),
                           errors.Invalid, "invalid", "password"),
        "taken email": (lambda: service.create_user("Taken@karya.test", "Ani", "long-enough-pw"),
                        errors.Conflict, "email_taken", "email"),
        "wrong join code": (lambda: service.cohort_for_join_code("WRONGONE"),
                            errors.Invalid, "join_code_unknown", "join_code"),
        "unknown invite": (lambda: invitations.invite_for_token("no-such-token"),
                           errors.NotFound, "invite_unknown", None),
        "forged reset link": (lambda: service.user_for_reset_token("forged"), errors.NotFound, "reset_invalid", None),
        "forged confirmation": (lambda: confirmation.user_for_token("forged"),
                                errors.NotFound, "confirm_invalid", None),
    }
    with app.test_request_context("/"):
        for name, (attempt, refusal, code, field) in refusals.items():
            with pytest.raises(refusal) as refused:
                attempt()
            assert (refused.value.code, refused.value.extra.get("field")) == (code, field), name
            assert str(refused.value.message), name
            db.session.rollback()


def test_too_many_wrong_join_codes_is_429_on_the_join_code(app):
    from workshop.accounts import service

    configured = app.config["JOIN_CODE_LIMIT_PER_ADDRESS"]
    app.config["JOIN_CODE_LIMIT_PER_ADDRESS"] = "2 per hour"
    try:
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.9"}):
            for _ in range(2):
                with pytest.raises(errors.Invalid):
                    service.cohort_for_join_code("WRONGONE")
            with pytest.raises(errors.TooManyAttempts) as refused:
                service.cohort_for_join_code("WRONGONE")
    finally:
        app.config["JOIN_CODE_LIMIT_PER_ADDRESS"] = configured
    assert (refused.value.status, refused.value.code, refused.value.extra) == (
        429, "join_code_throttled", {"field": "join_code"})


def test_an_unreadable_roster_is_invalid_and_an_oversized_one_too_large(app):
    from workshop.roster.parsing import MAX_BYTES, RosterFileError, parse_roster

    with app.test_request_context("/"):
        with pytest.raises(RosterFileError) as empty:
            parse_roster(b"")
        with pytest.raises(RosterFileError) as huge:
            parse_roster(b"name,email\n" + b"x" * MAX_BYTES)
    assert isinstance(empty.value, errors.Invalid) and empty.value.status == 422
    assert isinstance(huge.value, errors.TooLarge) and huge.value.status == 413
    assert "MB" in str(huge.value.message)


def test_a_roster_upload_that_is_gone_or_raced_says_so(app, make):
    from workshop.roster import service as roster_import

    cohort = make.cohort()
    lead = make.user()
    with app.test_request_context("/"):
        with pytest.raises(errors.Gone) as gone:
            roster_import.load_upload("A" * 32, cohort, lead)
        raced = roster_import.ImportConflict()
    assert isinstance(gone.value, roster_import.UploadGone) and gone.value.code == "upload_gone"
    assert "Upload the file again" in str(gone.value.message)
    assert (raced.status, raced.code) == (409, "import_conflict") and isinstance(raced, errors.Conflict)


def test_the_demo_refuses_a_real_database_with_a_conflict(app, make, db):
    from workshop.demo import seed_demo

    make.user(email="real.teacher@school.example")
    with pytest.raises(errors.Conflict) as refused:
        seed_demo()
    assert (refused.value.status, refused.value.code) == (409, "demo_refused")
    assert "non-demo" in str(refused.value)  # what the command line prints


MEDIA_PIPELINE = ["probe", "sniff", "safe_input", "commands", "filtergraph", "analysis", "flashes", "images",
                  "runner", "timeline", "pipeline"]


def test_refused_media_stays_outside_the_web_refusals_so_the_pipeline_needs_no_flask():
    """MediaRefused is raised in the worker and stored as the version's error code; deriving it
    from ApiError would make probing import errors.py, and with it Flask (see probe.py)."""
    import ast
    from pathlib import Path

    from workshop.media.probe import MediaRefused

    assert not issubclass(MediaRefused, errors.ApiError)
    web = ("flask", "flask_babel", "flask_wtf", "werkzeug")
    media = Path(errors.__file__).parent / "media"
    for name in MEDIA_PIPELINE:
        for node in ast.walk(ast.parse((media / f"{name}.py").read_text())):
            if isinstance(node, ast.Import):
                assert not any(alias.name.split(".")[0] in web for alias in node.names), name
            elif isinstance(node, ast.ImportFrom):
                # Siblings only (level 1): level 2 would reach workshop/, errors.py among it.
                assert node.level <= 1 and (node.level or (node.module or "").split(".")[0] not in web), name
