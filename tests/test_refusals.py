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
