"""Consent requests over the API: a lead asks a minor's guardian for consent by link.

The routes join the API's blueprint (as the upload routes do) so that the API package
needs no import of this feature, which reaches into uploads and media for erasure."""

from __future__ import annotations

from typing import Literal

from flask_login import current_user
from pydantic import Field

from ..access import requires
from ..api import bp
from ..api.contract import Answer, Body, Reply, Timestamp, operation
from ..cohorts.models import Cohort
from ..extensions import db
from ..roles import Role
from . import requests
from .models import ConsentRequest as ConsentRequestRow

Status = Literal["sent", "opened", "given", "refused", "expired", "withdrawn"]


class NewConsentRequest(Body):
    student_id: int = Field(ge=1, description="A student of the cohort who is under 18")
    channel: Literal["email", "whatsapp"] = Field(
        description="How the link reaches the guardian contact on file; `whatsapp` only where it is set up")


class ConsentRequest(Reply):
    id: int
    status: Status
    expires_at: Timestamp = Field(description="When the link stops working unless consent was given or refused")


class ConsentRequestDetail(ConsentRequest):
    cohort_id: int
    student_id: int
    channel: Literal["email", "whatsapp"]
    text_version: str = Field(description="The version of the consent text the link shows")
    locked: bool = Field(description="Too many wrong codes: the link no longer works")
    created_at: Timestamp
    decided_at: Timestamp | None = Field(description="When the guardian gave or refused consent")
    withdrawn_at: Timestamp | None

    @classmethod
    def of(cls, row: ConsentRequestRow) -> ConsentRequestDetail:
        return cls(id=row.id, status=requests.status_of(row), expires_at=row.expires_at, cohort_id=row.cohort_id,
                   student_id=row.student_id, channel=row.channel, text_version=row.text_version,
                   locked=row.locked_at is not None, created_at=row.created_at, decided_at=row.decided_at,
                   withdrawn_at=row.withdrawn_at)


class ConsentRequests(Reply):
    consent_requests: list[ConsentRequestDetail]


@bp.post("/cohorts/<int:cohort_id>/consent-requests")
@requires(Role.LEAD, Cohort)
@operation("Send a guardian a consent request (leads)", tag="consent", body=NewConsentRequest,
           answers={201: Answer("The request, sent", ConsentRequest)}, errors=(403, 409, 429))
def create_consent_request(cohort: Cohort, body: NewConsentRequest):
    """The guardian contact on file (never shown) gets a link to read the consent text and give or
    refuse consent, confirmed with a one-time code sent to the same contact. A request still
    pending for the student ends. 422 when the student is not a minor of this cohort, has no
    guardian contact usable by the channel, or the channel is not set up; 409 when consent is
    already on file; 429 when that contact was already sent `CONSENT_LINK_LIMIT_PER_CONTACT` links."""
    row = requests.send_request(cohort, body.student_id, body.channel, by=current_user)
    db.session.commit()
    return ConsentRequest(id=row.id, status=requests.status_of(row), expires_at=row.expires_at), 201


@bp.get("/cohorts/<int:cohort_id>/consent-requests")
@requires(Role.LEAD, Cohort)
@operation("The cohort's consent requests, newest first (leads)", tag="consent",
           answers={200: Answer("The requests", ConsentRequests)})
def list_consent_requests(cohort: Cohort):
    """Each request with its status: `sent`, `opened`, `given`, `refused`, `expired` (the link ran
    out, or a newer request replaced it) or `withdrawn` (consent given by the link, later withdrawn)."""
    return ConsentRequests(consent_requests=[ConsentRequestDetail.of(r) for r in requests.requests_of(cohort)])
