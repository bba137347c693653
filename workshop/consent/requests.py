"""Consent by link: a lead asks a minor's guardian, who gives, refuses or withdraws consent online.

A request goes to the guardian contact on file (the one recorded with this cohort's
consent, else the one this cohort's roster put on the account), by email or, where it is set up, by
WhatsApp. It carries a link with a long random token; only the token's digest is kept.
The guardian reads the consent text (:data:`TEXT_VERSION`) there and asks for a six-digit
code, sent to the same contact: the contact is read again at that moment and must still
be the one the link went to (its keyed digest is on the request, never the contact
itself). The code is kept as a keyed digest, works once, for ``CONSENT_CODE_MINUTES``;
``CONSENT_CODE_MAX_WRONG`` wrong codes lock the request. Sending codes is limited per
request and per address, and links per contact (accounts/throttle.py).

Giving consent creates the :class:`~.models.Consent` the rest of Karya reads (the
"consent missing" flag clears); withdrawing it through the same link starts the usual
withdrawal → deletion path (:func:`.service.withdraw`) for this cohort only.

The functions add to the session; the callers commit, except where a wrong code must be
counted even though the request is refused (:func:`check_code` commits that itself).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update
from flask_babel import get_locale, lazy_gettext as _l

from ..accounts.models import User, hash_token
from ..accounts.throttle import client_address, take
from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..db_types import possible_id, utcnow
from ..errors import ApiError, Conflict, Invalid, TooManyAttempts
from ..extensions import db
from ..notifications import whatsapp
from ..phones import InvalidPhone, normalise_phone
from ..urls import absolute_url
from . import messages, service
from .models import Consent, ConsentRequest

# The consent text a guardian reads; a new wording gets a new version and its own template,
# and every consent given by link keeps the version it was given under.
TEXT_VERSION = "guardian-2026-12"
TEXT_TEMPLATES = {TEXT_VERSION: "consent/text/guardian-2026-12.html"}

EMAIL, WHATSAPP = "email", "whatsapp"
CHANNELS = (EMAIL, WHATSAPP)
SENT, OPENED, GIVEN, REFUSED, EXPIRED, WITHDRAWN = "sent", "opened", "given", "refused", "expired", "withdrawn"
STATUSES = (SENT, OPENED, GIVEN, REFUSED, EXPIRED, WITHDRAWN)
PENDING = (SENT, OPENED)
RELATIONSHIPS = {
    "mother": _l("Mother"), "father": _l("Father"), "guardian": _l("Legal guardian"),
    "other": _l("Other family member caring for the student"),
}
MAX_NAME = service.MAX_GUARDIAN_NAME
CODE_DIGITS = 6
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --- digests ------------------------------------------------------------------------------

def _keyed(purpose: str, value: str) -> str:
    """A digest only this site can make: a 6-digit code or a phone number is too small a
    space for a plain hash, which anyone could reverse by trying them all."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def contact_hash(contact: str) -> str:
    """The keyed digest of a guardian contact, as requests and consents keep it."""
    return _keyed("guardian-contact", contact)


def _code_hash(request_id: int, code: str) -> str:
    return _keyed(f"guardian-code:{request_id}", code)


# --- the contact --------------------------------------------------------------------------

def contact_on_file(cohort: Cohort, student: User) -> str:
    """The guardian contact to send to: this cohort's latest consent's, else the roster's when
    this cohort's roster gave it (or, for an account made before that was kept, when this is the
    student's only cohort).

    Another cohort's lead chose that contact: whoever holds it must not give consent here.
    Read when a link or code is sent and never shown to the lead here.
    """
    recorded = db.session.scalar(db.select(Consent.guardian_contact).where(
        Consent.cohort_id == cohort.id, Consent.student_id == student.id, Consent.guardian_contact != "")
        .order_by(Consent.given_at.desc(), Consent.id.desc()).limit(1))
    if recorded:
        return recorded.strip()
    if student.guardian_contact_cohort_id is None:
        elsewhere = db.session.scalar(db.select(Membership.id).where(
            Membership.user_id == student.id, Membership.cohort_id != cohort.id).limit(1))
        ours = elsewhere is None
    else:
        ours = student.guardian_contact_cohort_id == cohort.id
    return (student.guardian_contact or "").strip() if ours else ""


def whatsapp_opted_out(cohort: Cohort, student: User) -> bool:
    """Whether the guardian asked for no WhatsApp messages (on the roster or this cohort's consent form)."""
    recorded = db.session.scalar(db.select(Consent.guardian_whatsapp_opt_out).where(
        Consent.cohort_id == cohort.id, Consent.student_id == student.id, Consent.guardian_contact != "")
        .order_by(Consent.given_at.desc(), Consent.id.desc()).limit(1))
    return bool(recorded) or student.guardian_whatsapp_opt_out


def channels() -> tuple[str, ...]:
    """The channels a lead may choose now."""
    return CHANNELS if whatsapp.enabled() else (EMAIL,)


def address_for(contact: str, channel: str) -> str:
    """``contact`` as ``channel`` sends to it (an email address, or a phone number in E.164,
    however the roster wrote it); Invalid (on ``student_id``) when it is not one."""
    if channel == EMAIL:
        if not _EMAIL.fullmatch(contact):
            raise Invalid(_l("The guardian contact on file is not an email address. Send the request by "
                             "WhatsApp, or correct the contact in the roster."), field="student_id",
                          code="no_guardian_email")
        return contact.lower()
    try:
        return normalise_phone(contact)
    except InvalidPhone:
        raise Invalid(_l("The guardian contact on file is not a phone number. Send the request by email, "
                         "or correct the contact in the roster."), field="student_id",
                      code="no_guardian_phone") from None


# --- sending a request --------------------------------------------------------------------

def _lead_language() -> str:
    """The lead's language, when the student has chosen none (the guardian can switch on the page)."""
    locale = get_locale()
    return str(locale) if locale else "id"


def first_name(student: User) -> str:
    """A student's first name: what messages to a guardian say, never the full name."""
    words = (student.name or "").split()
    return words[0] if words else ""


def link_of(token: str) -> str:
    return absolute_url("guardian_consent.page", token=token)


def expiry() -> timedelta:
    return timedelta(days=current_app.config["CONSENT_REQUEST_DAYS"])


def status_of(request: ConsentRequest, now: datetime | None = None) -> str:
    """The request's status; a pending one whose link has run out is "expired"."""
    if request.status in PENDING and (now or utcnow()) >= request.expires_at:
        return EXPIRED
    return request.status


def send_request(cohort: Cohort, student_id: int | None, channel: str, *, by: User) -> ConsentRequest:
    """Send a consent request for one minor of ``cohort`` to their guardian (the caller commits).

    A pending request for the same student ends (its link stops working): the newest
    link is the one that counts. Raises Invalid (a student who is not a minor of the cohort,
    no usable contact, a channel that is not set up) or Conflict (consent on file).
    """
    student = db.session.get(User, student_id) if possible_id(student_id) else None
    if student is None or student.id not in {u.id for u in service.minor_students(cohort)}:
        raise Invalid(_l("Choose a student of this cohort who is under 18."), field="student_id")
    if channel not in channels():
        raise Invalid(_l("WhatsApp is not set up on this Karya: send the request by email."), field="channel",
                      code="channel_unavailable")
    if service.has_consent(student.id, cohort.id):
        raise Conflict(_l("%(name)s already has consent on file in this cohort.", name=student.name),
                       field="student_id", code="consent_on_file")
    contact = contact_on_file(cohort, student)
    if not contact:
        # Only this cohort's roster or consent records count (see contact_on_file), and a roster
        # import leaves an existing account as it is: the signed form is the way left.
        raise Invalid(_l("This cohort has no guardian contact for %(name)s. Use “Record consent” with the "
                         "guardian's signed form instead.", name=student.name),
                      field="student_id", code="no_guardian_contact")
    address = address_for(contact, channel)
    if channel == WHATSAPP and whatsapp_opted_out(cohort, student):
        raise Invalid(_l("The guardian asked for no WhatsApp messages: send the request by email."),
                      field="channel", code="whatsapp_opt_out")
    # However the contact came to be on file, Karya sends it only a few links a day: a lead
    # cannot make it a relay for messages nobody asked for.
    if take(("consent-link-contact", contact_hash(address), "CONSENT_LINK_LIMIT_PER_CONTACT")) is None:
        raise TooManyAttempts(_l("This guardian was already sent several consent requests today. Please try "
                                 "again tomorrow."), field="student_id", code="links_rate_limited")
    now = utcnow()
    for earlier in db.session.scalars(db.select(ConsentRequest).where(
            ConsentRequest.cohort_id == cohort.id, ConsentRequest.student_id == student.id,
            ConsentRequest.status.in_(PENDING), ConsentRequest.expires_at > now)):
        earlier.expires_at = now
    token = secrets.token_urlsafe(32)
    request = ConsentRequest(cohort_id=cohort.id, student_id=student.id, channel=channel,
                             contact_hash=contact_hash(address), token_hash=hash_token(token),
                             text_version=TEXT_VERSION, status=SENT, language=student.locale or _lead_language(),
                             sent_by_id=by.id, created_at=now, expires_at=now + expiry())
    db.session.add(request)
    db.session.flush()
    record("consent_request.sent", target=request, actor=by, student_id=student.id, channel=channel)
    messages.send_link(request.channel, request.language, address, cohort=cohort, child=first_name(student),
                       link=link_of(token), days=expiry().days)
    return request


@dataclass
class BulkResult:
    sent: int
    skipped: list[str]  # the names of students with no usable contact
    limited: list[str]  # the names of students whose guardian had enough links for today


def send_to_all_missing(cohort: Cohort, channel: str, *, by: User) -> BulkResult:
    """A request for every minor of ``cohort`` with neither consent on file nor a request pending."""
    now, result = utcnow(), BulkResult(0, [], [])
    entries = [e for e in service.roster(cohort) if e.status in (service.MISSING, service.WITHDRAWN)]
    pending = set(db.session.scalars(db.select(ConsentRequest.student_id).where(
        ConsentRequest.cohort_id == cohort.id, ConsentRequest.status.in_(PENDING),
        ConsentRequest.expires_at > now, ConsentRequest.locked_at.is_(None))))
    for entry in entries:
        if entry.student.id in pending:
            continue
        try:
            send_request(cohort, entry.student.id, channel, by=by)
        except Invalid as exc:
            if exc.extra.get("field") == "channel":
                raise
            result.skipped.append(entry.student.name)
        except TooManyAttempts:
            result.limited.append(entry.student.name)
        else:
            result.sent += 1
    return result


def requests_of(cohort: Cohort) -> list[ConsentRequest]:
    """The cohort's consent requests, newest first."""
    return db.session.scalars(db.select(ConsentRequest).where(ConsentRequest.cohort_id == cohort.id)
                              .order_by(ConsentRequest.created_at.desc(), ConsentRequest.id.desc())).all()


def latest_by_student(cohort: Cohort) -> dict[int, ConsentRequest]:
    """Each student's newest request in ``cohort``."""
    latest: dict[int, ConsentRequest] = {}
    for request in requests_of(cohort):
        latest.setdefault(request.student_id, request)
    return latest


# --- the student's own view ----------------------------------------------------------------

ON_FILE, PENDING_STATE, REFUSED_STATE, MISSING_STATE = "on_file", "pending", "refused", "missing"


def standing_of(student_id: int, cohort_id: int) -> str:
    """Where the student's consent stands in a cohort, as the student may see it: on file,
    pending (a request sent and still open), refused, or missing. Never who or how to reach."""
    if service.has_consent(student_id, cohort_id):
        return ON_FILE
    latest = db.session.scalar(db.select(ConsentRequest).where(
        ConsentRequest.student_id == student_id, ConsentRequest.cohort_id == cohort_id)
        .order_by(ConsentRequest.created_at.desc(), ConsentRequest.id.desc()).limit(1))
    if latest is None:
        return MISSING_STATE
    status = status_of(latest)
    if status in PENDING and latest.locked_at is None:
        return PENDING_STATE
    return REFUSED_STATE if status == REFUSED else MISSING_STATE


# --- the guardian's link ------------------------------------------------------------------

class LinkProblem(ApiError):
    """A link that cannot be used, with the reason a guardian reads (``code``)."""


def find(token: str) -> ConsentRequest:
    """The request the link's token names; LinkProblem ("unknown") when none does."""
    request = db.session.scalar(db.select(ConsentRequest).where(ConsentRequest.token_hash == hash_token(token)))
    if request is None:
        raise _problem("unknown")
    return request


def _problem(code: str) -> LinkProblem:
    problem = LinkProblem("", code=code)
    problem.status = {"unknown": 404, "expired": 410, "locked": 403, "erased": 410}[code]
    return problem


def opened(request: ConsentRequest) -> ConsentRequest:
    """Check the link still works and note the first opening (the caller commits)."""
    if status_of(request) == EXPIRED:
        raise _problem("expired")
    if request.locked_at is not None:
        raise _problem("locked")
    if request.contact_hash == "":  # the student's data here was erased after a withdrawal
        raise _problem("erased")
    if request.status == SENT:
        request.status, request.opened_at = OPENED, utcnow()
        record("consent_request.opened", target=request, actor=None, student_id=request.student_id)
    return request


def may_decide(request: ConsentRequest) -> bool:
    return request.status in PENDING


def may_withdraw(request: ConsentRequest) -> bool:
    consent = db.session.get(Consent, request.consent_id) if request.consent_id else None
    return request.status == GIVEN and consent is not None and consent.withdrawn_at is None


def send_code(request: ConsentRequest) -> None:
    """Send a new one-time code to the contact the link went to (the caller commits).

    The contact is read again now: when the one on file has changed since, the code goes
    nowhere and the guardian is asked to get a new link from the lead.
    """
    opened(request)
    if not (may_decide(request) or may_withdraw(request)):
        raise Conflict(_l("There is nothing to confirm with this link any more."), code="nothing_to_confirm")
    cohort = db.session.get(Cohort, request.cohort_id)
    student = db.session.get(User, request.student_id)
    try:
        address = address_for(contact_on_file(cohort, student), request.channel)
    except Invalid:
        address = ""
    if not address or not hmac.compare_digest(contact_hash(address), request.contact_hash):
        raise Conflict(_l("The contact details for this link have changed. Please ask the workshop lead to "
                          "send you a new link."), code="contact_changed")
    if take(("consent-code-request", str(request.id), "CONSENT_CODE_LIMIT_PER_REQUEST"),
            ("consent-code-address", client_address(), "CONSENT_CODE_LIMIT_PER_ADDRESS")) is None:
        raise TooManyAttempts(_l("Too many codes were asked for. Please wait an hour and try again."),
                              code="codes_rate_limited")
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    request.code_hash = _code_hash(request.id, code)
    request.code_expires_at = utcnow() + timedelta(minutes=current_app.config["CONSENT_CODE_MINUTES"])
    record("consent_request.code_sent", target=request, actor=None, student_id=request.student_id)
    messages.send_code(request.channel, request.language, address, code,
                       minutes=current_app.config["CONSENT_CODE_MINUTES"])


def check_code(request: ConsentRequest, code: str) -> None:
    """Use the one-time code, or count a wrong one and commit that (locking the request at
    ``CONSENT_CODE_MAX_WRONG``) before refusing.

    Both are conditional UPDATEs, so two answers sent at once cannot use one code twice, nor
    two wrong guesses count as one, nor guesses sent all at once (each read the request before
    the others counted) try more codes than the limit allows.
    """
    code = re.sub(r"\s", "", code or "")
    seen, max_wrong = request.code_hash, current_app.config["CONSENT_CODE_MAX_WRONG"]
    if seen is None or request.code_expires_at is None or utcnow() >= request.code_expires_at:
        raise Invalid(_l("This code has expired or was already used. Ask for a new code."), field="code",
                      code="code_expired")
    if hmac.compare_digest(_code_hash(request.id, code), seen):
        used = db.session.execute(update(ConsentRequest).where(
            ConsentRequest.id == request.id, ConsentRequest.code_hash == seen,
            ConsentRequest.locked_at.is_(None), ConsentRequest.wrong_codes < max_wrong)
            .values(code_hash=None, code_expires_at=None)).rowcount == 1
        db.session.refresh(request)
        if used:
            return
        if request.locked_at is not None or request.wrong_codes >= max_wrong:
            raise _problem("locked")
        raise Invalid(_l("This code has expired or was already used. Ask for a new code."), field="code",
                      code="code_expired")
    db.session.execute(update(ConsentRequest).where(ConsentRequest.id == request.id)
                       .values(wrong_codes=ConsentRequest.wrong_codes + 1))
    db.session.refresh(request)
    left = max_wrong - request.wrong_codes
    if left <= 0 and request.locked_at is None:
        request.locked_at, request.code_hash = utcnow(), None
        record("consent_request.locked", target=request, actor=None, student_id=request.student_id)
    db.session.commit()
    if left <= 0:
        raise _problem("locked")
    raise Invalid(_l("That code is not right. You can try %(n)d more times.", n=left), field="code",
                  code="wrong_code")


def _guardian(name: str, relationship: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise Invalid(_l("Enter your name."), field="guardian_name")
    if len(name) > MAX_NAME:
        raise Invalid(_l("The name is too long."), field="guardian_name")
    if relationship not in RELATIONSHIPS:
        raise Invalid(_l("Choose how you are related to the student."), field="relationship")
    return name, relationship


def decide(request: ConsentRequest, *, give: bool, code: str, guardian_name: str, relationship: str) -> None:
    """Give or refuse consent with a valid code (the caller commits)."""
    opened(request)
    if not may_decide(request):
        raise Conflict(_l("A decision was already made with this link."), code="already_decided")
    name, relationship = _guardian(guardian_name, relationship)  # before the code: a typo costs no try
    if give and service.has_consent(request.student_id, request.cohort_id):
        raise Conflict(_l("Consent for this student is already on file. Nothing more is needed."),
                       code="consent_on_file")
    check_code(request, code)
    now = utcnow()
    request.guardian_name, request.guardian_relationship, request.decided_at = name, relationship, now
    if not give:
        request.status = REFUSED
        record("consent_request.refused", target=request, actor=None, student_id=request.student_id,
               channel=request.channel, text_version=request.text_version)
        return
    consent = Consent(cohort_id=request.cohort_id, student_id=request.student_id, guardian_name=name,
                      guardian_contact="", given_at=now, channel=request.channel,
                      text_version=request.text_version, contact_hash=request.contact_hash,
                      guardian_relationship=relationship)
    db.session.add(consent)
    db.session.flush()
    request.status, request.consent_id = GIVEN, consent.id
    service.cancel_pending_deletion(request.cohort_id, request.student_id, None)
    record("consent.given_by_link", target=consent, actor=None, student_id=request.student_id,
           request_id=request.id, channel=request.channel, text_version=request.text_version,
           relationship=relationship)


def withdraw(request: ConsentRequest, *, code: str) -> Consent:
    """Withdraw the consent this link gave, with a valid code: the student's data in this
    cohort is deleted after the grace period (the caller commits)."""
    opened(request)
    if not may_withdraw(request):
        raise Conflict(_l("There is no consent to withdraw with this link."), code="nothing_to_withdraw")
    check_code(request, code)
    consent = db.session.get(Consent, request.consent_id)
    now = utcnow()
    service.withdraw(consent, withdrawn_at=now)
    request.status, request.withdrawn_at = WITHDRAWN, now
    record("consent_request.withdrawn", target=request, actor=None, student_id=request.student_id,
           consent_id=consent.id)
    return consent
