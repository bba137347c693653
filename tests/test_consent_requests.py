"""Consent by link: a lead sends a guardian a consent request; the guardian reads the consent
text, confirms with a one-time code read from the email, and gives, refuses or withdraws
consent. Links and codes are read from the emails as the log shows them (no MAIL_SERVER)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from workshop.audit.models import AuditEvent
from workshop.cohorts.models import Membership
from workshop.consent.models import Consent, ConsentRequest
from workshop.db_types import utcnow
from workshop.submissions.models import SubmissionState

from .helpers import PASSWORD, bearer, login
from .whatsapp_server import cloud_api, whatsapp_configured  # noqa: F401 (fixtures)

SITI_GUARDIAN = "Ibu.Kartini@keluarga.test"


class World:
    """Cohort A: a lead, a mentor, minors Siti (guardian by email, from A's roster; also in cohort B) and Budi
    (guardian by phone), Rina (a minor with no contact) and an adult; cohort B: its own lead."""

    def __init__(self, app, make, caplog):
        self.app, self.make, self.caplog = app, make, caplog
        caplog.set_level("INFO", logger="karya.mail")
        self.a, self.b = make.cohort(name="Kelas Video A"), make.cohort(name="Kelas Video B")
        self.lead = make.user(name="Lead Ana", email="lead@karya.test")
        self.mentor = make.user(name="Mentor Mira", email="mentor@karya.test")
        self.siti = make.user(name="Siti Rahmawati", email="siti@karya.test", is_minor=True, birth_year=2011,
                              guardian_contact=SITI_GUARDIAN, guardian_contact_cohort_id=self.a.id, locale="en")
        self.budi = make.user(name="Budi Santoso", email="budi@karya.test", is_minor=True,
                              guardian_contact="0812-3456-7890")
        self.rina = make.user(name="Rina Wati", email="rina@karya.test", is_minor=True)
        self.adult = make.user(name="Dewi Lestari", email="dewi@karya.test")
        self.lead_b = make.user(name="Lead Bima", email="leadb@karya.test")
        for user, role in [(self.lead, "lead"), (self.mentor, "mentor"), (self.siti, "student"),
                           (self.budi, "student"), (self.rina, "student"), (self.adult, "student")]:
            make.member(user, self.a, role)
        make.member(self.lead_b, self.b, "lead")
        make.member(self.siti, self.b, "student")
        self.assignment = make.assignment(self.a, title="Tidur cukup!")

    def client(self, user=None):
        client = self.app.test_client()
        if user is not None:
            login(client, user)
        return client

    def mails(self) -> list[str]:
        return [r.getMessage() for r in self.caplog.records if r.name == "karya.mail"]

    def last_mail(self) -> str:
        mails = self.mails()
        assert mails, "no email was written to the log"
        return mails[-1]

    def send(self, student, lead_client=None, channel="email"):
        lead_client = lead_client or self.client(self.lead)
        response = lead_client.post(f"/cohorts/{self.a.id}/consent/requests",
                                    data={"student_id": student.id, "channel": channel})
        assert response.status_code == 302, response.data
        match = re.search(r"http://localhost(/guardian/consent/[A-Za-z0-9_-]+)", self.last_mail())
        assert match, self.last_mail()
        return match.group(1)

    def code(self, guardian, link: str) -> str:
        before = len(self.mails())
        response = guardian.post(f"{link}/code")
        assert response.status_code == 302, response.data
        assert len(self.mails()) == before + 1
        match = re.search(r"\n(\d{6})\n", self.last_mail())
        assert match, self.last_mail()
        return match.group(1)

    def request_row(self, student) -> ConsentRequest:
        from workshop.extensions import db

        with self.app.app_context():
            row = db.session.scalar(select(ConsentRequest).where(ConsentRequest.student_id == student.id)
                                    .order_by(ConsentRequest.id.desc()))
            db.session.expunge(row)
            return row

    def actions(self) -> list[str]:
        from workshop.extensions import db

        with self.app.app_context():
            return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def world(app, make, caplog):
    return World(app, make, caplog)


def _answer(guardian, link, code, decision="give", name="Kartini Rahmawati", relationship="mother"):
    return guardian.post(f"{link}/decision", data={"code": code, "guardian_name": name,
                                                   "relationship": relationship, "decision": decision})


def test_a_guardian_gives_consent_by_email_link_and_later_withdraws_it_for_that_cohort_only(app, world, make):
    from workshop.consent.deletion import delete_due_data
    from workshop.consent.service import consent_missing
    from workshop.extensions import db

    paper_b = make.consent(world.b, world.siti, world.lead_b, "Ibu Kartini")  # cohort B's own consent
    make.submission(world.assignment, world.siti, state=SubmissionState.AWAITING_REVIEW)
    version = make.version(world.assignment, world.siti, 1, uploaded_by_id=world.siti.id)
    mentor, peer = world.client(world.mentor), world.client(world.budi)
    held = mentor.get(f"/versions/{version.id}").get_data(as_text=True)
    assert "Consent missing" in held  # a minor's upload without consent is flagged to staff...
    assert peer.get(f"/versions/{version.id}").status_code == 404  # ...and no one else sees it

    link = world.send(world.siti)
    mail = world.last_mail()
    assert f"To: {SITI_GUARDIAN.lower()}" in mail and "Rahmawati" not in mail  # first name only
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43
    sent = world.request_row(world.siti)
    assert sent.status == "sent" and sent.channel == "email" and sent.text_version == "guardian-2026-12"
    assert token not in sent.token_hash and "kartini" not in sent.contact_hash.lower()

    guardian = world.app.test_client()
    page = guardian.get(link)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    for words in ("Kelas Video A", "What is collected", "Who sees it", "How long it is kept", "How to withdraw",
                  "guardian-2026-12"):
        assert words in text
    assert "Rahmawati" not in text and SITI_GUARDIAN.lower() not in text.lower()
    indonesian = guardian.get(link, headers={"Accept-Language": "id"})  # the email's language wins...
    assert "What is collected" in indonesian.get_data(as_text=True)
    guardian.post("/language", data={"locale": "id", "next": link})  # ...until the guardian switches
    assert "Apa yang dikumpulkan" in guardian.get(link).get_data(as_text=True)
    guardian.post("/language", data={"locale": "en", "next": link})
    assert world.request_row(world.siti).status == "opened"

    code = world.code(guardian, link)
    assert f"To: {SITI_GUARDIAN.lower()}" in world.last_mail()
    given = _answer(guardian, link, code)
    assert given.status_code == 302
    assert "Consent given" in guardian.get(link).get_data(as_text=True)
    with app.app_context():
        consent = db.session.scalar(select(Consent).where(Consent.cohort_id == world.a.id))
        asked = db.session.get(ConsentRequest, sent.id)
        assert (consent.channel, consent.text_version, consent.guardian_relationship) == (
            "email", "guardian-2026-12", "mother")
        assert consent.contact_hash == asked.contact_hash and consent.guardian_contact == ""
        assert consent.guardian_name == "Kartini Rahmawati" and consent.evidence_key is None
        assert asked.status == "given" and asked.consent_id == consent.id and asked.code_hash is None
        assert not consent_missing(world.siti.id, world.a.id)
    assert "Consent missing" not in mentor.get(f"/versions/{version.id}").get_data(as_text=True)
    assert ["consent_request.sent", "consent_request.opened", "consent_request.code_sent",
            "consent.given_by_link"] == [a for a in world.actions() if a.startswith("consent")]

    # The code worked once; the link gives consent once.
    reused = _answer(guardian, link, code)
    assert reused.status_code == 409 and "already made" in reused.get_data(as_text=True)
    used_code = guardian.post(f"{link}/withdraw", data={"code": code})
    assert used_code.status_code == 422 and "already used" in used_code.get_data(as_text=True)

    # Withdrawing through the same link schedules the erasure in cohort A only.
    withdrawal_code = world.code(guardian, link)
    assert guardian.post(f"{link}/withdraw", data={"code": withdrawal_code}).status_code == 302
    withdrawn_page = guardian.get(link).get_data(as_text=True)
    assert "Consent withdrawn" in withdrawn_page and "will be deleted on" in withdrawn_page
    with app.app_context():
        consent = db.session.get(Consent, consent.id)
        assert consent.withdrawn_at is not None and consent.deletion_due_at is not None
        assert db.session.get(ConsentRequest, sent.id).status == "withdrawn"
        assert db.session.get(Consent, paper_b.id).deletion_due_at is None
        assert consent_missing(world.siti.id, world.a.id)
        due = consent.deletion_due_at
    assert {"consent.withdrawn", "consent_request.withdrawn"} <= set(world.actions())

    with app.app_context():
        assert delete_due_data(now=due + timedelta(minutes=1)) == [world.siti.id]
        memberships = set(db.session.scalars(select(Membership.cohort_id).where(
            Membership.user_id == world.siti.id)))
        assert memberships == {world.b.id}  # cohort B keeps her, and its consent stands
        assert db.session.get(Consent, paper_b.id).withdrawn_at is None
        assert db.session.get(ConsentRequest, sent.id).contact_hash == ""
    erased = guardian.get(link)
    assert erased.status_code == 410 and "has been deleted" in erased.get_data(as_text=True)


def test_an_expired_or_unknown_link_explains_itself_in_the_guardians_language(app, world):
    from workshop.extensions import db

    link = world.send(world.siti)
    with app.app_context():
        db.session.execute(update(ConsentRequest).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    guardian = world.app.test_client()
    expired = guardian.get(link)
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    assert guardian.post(f"{link}/code").status_code == 410 and len(world.mails()) == 1  # no code sent
    guardian.post("/language", data={"locale": "id", "next": link})
    assert "Tautan ini sudah kedaluwarsa" in guardian.get(link).get_data(as_text=True)
    unknown = guardian.get("/guardian/consent/not-a-real-link")
    assert unknown.status_code == 404 and "Mintalah pemimpin lokakarya" in unknown.get_data(as_text=True)
    api = world.client(world.lead).get(f"/api/v1/cohorts/{world.a.id}/consent-requests")
    assert api.json["consent_requests"][0]["status"] == "expired"

    # A newer request replaces a pending one: the older link stops working.
    older = world.send(world.siti)
    newer = world.send(world.siti)
    assert guardian.get(older).status_code == 410 and guardian.get(newer).status_code == 200


def test_wrong_codes_lock_the_request_and_codes_are_rate_limited(app, world):
    link = world.send(world.siti)
    guardian = world.app.test_client()
    code = world.code(guardian, link)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        refused = _answer(guardian, link, wrong, name="Kartini")
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422 and f"try {left} more" in page
        assert 'value="Kartini"' in page and wrong not in page  # what was typed stays; the code does not
    locked = _answer(guardian, link, wrong)
    assert locked.status_code == 403 and "locked" in locked.get_data(as_text=True)
    assert _answer(guardian, link, code).status_code == 403  # even the right code now
    assert guardian.get(link).status_code == 403
    assert "consent_request.locked" in world.actions()
    assert world.request_row(world.siti).status == "opened"
    assert "Locked" in world.client(world.lead).get(f"/cohorts/{world.a.id}/consent").get_data(as_text=True)

    # Codes: 5 an hour per request, then a clear refusal and no email.
    link = world.send(world.siti)
    for _ in range(5):
        world.code(guardian, link)
    before = len(world.mails())
    limited = guardian.post(f"{link}/code")
    assert limited.status_code == 429 and "Too many codes" in limited.get_data(as_text=True)
    assert len(world.mails()) == before


def test_the_right_code_is_refused_once_guesses_sent_at_once_used_up_the_tries(app, world):
    from workshop.consent import requests
    from workshop.extensions import db

    link = world.send(world.siti)
    guardian = world.app.test_client()
    code = world.code(guardian, link)
    with app.test_request_context():
        request = requests.find(link.rsplit("/", 1)[1])  # read before the other answers landed
        # Meanwhile, answers sent at the same moment counted every wrong try this link has.
        db.session.execute(update(ConsentRequest).where(ConsentRequest.id == request.id)
                           .values(wrong_codes=app.config["CONSENT_CODE_MAX_WRONG"])
                           .execution_options(synchronize_session=False))
        with pytest.raises(requests.LinkProblem) as refused:
            requests.check_code(request, code)
        assert refused.value.code == "locked"
        db.session.rollback()
    assert world.request_row(world.siti).code_hash is not None  # the code was not used up


def test_a_guardian_contact_gets_only_a_few_links_a_day(app, world):
    # Whoever put the contact on file, a lead pressing "Send again" cannot flood it.
    lead = world.client(world.lead)
    for _ in range(3):
        world.send(world.siti, lead)
    before = len(world.mails())
    refused = lead.post(f"/cohorts/{world.a.id}/consent/requests", data={"student_id": world.siti.id,
                                                                         "channel": "email"},
                        follow_redirects=True)
    assert "already sent several consent requests today" in refused.get_data(as_text=True)
    assert len(world.mails()) == before
    api = app.test_client(use_cookies=False)
    token = api.post("/api/v1/tokens", json={"email": world.lead.email, "password": PASSWORD}).json["token"]
    limited = api.post(f"/api/v1/cohorts/{world.a.id}/consent-requests", headers=bearer(token),
                       json={"student_id": world.siti.id, "channel": "email"})
    assert limited.status_code == 429 and limited.json["error"]["code"] == "links_rate_limited"


def test_a_guardian_contact_another_cohorts_roster_gave_decides_nothing_here(app, world, make):
    # Cohort B's lead made Jaka's account with a "guardian" contact of their choosing; Jaka then
    # joined cohort A. A's lead asking for consent must not send that contact a link to give it.
    jaka = make.user(name="Jaka Pratama", email="jaka@karya.test", is_minor=True,
                     guardian_contact="bukan.wali@karya.test", guardian_contact_cohort_id=world.b.id)
    make.member(jaka, world.b, "student")
    make.member(jaka, world.a, "student")
    refused = world.client(world.lead).post(f"/cohorts/{world.a.id}/consent/requests",
                                            data={"student_id": jaka.id, "channel": "email"}, follow_redirects=True)
    assert "no guardian contact for Jaka Pratama. Use “Record consent”" in refused.get_data(as_text=True)
    assert world.mails() == []
    lead_b = world.client(world.lead_b)
    assert lead_b.post(f"/cohorts/{world.b.id}/consent/requests",
                       data={"student_id": jaka.id, "channel": "email"}).status_code == 302
    assert "bukan.wali@karya.test" in world.last_mail()  # in B, whose roster gave it, it is the one


def test_a_code_expires_and_a_refusal_is_recorded(app, world):
    from workshop.extensions import db

    link = world.send(world.siti)
    guardian = world.app.test_client()
    code = world.code(guardian, link)
    with app.app_context():
        db.session.execute(update(ConsentRequest).values(code_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    late = _answer(guardian, link, code)
    assert late.status_code == 422 and "expired" in late.get_data(as_text=True)
    nameless = _answer(guardian, link, world.code(guardian, link), name=" ")
    assert nameless.status_code == 422 and "Enter your name" in nameless.get_data(as_text=True)
    refused = _answer(guardian, link, world.code(guardian, link), decision="refuse", relationship="father",
                      name="Pak Rahmat")
    assert refused.status_code == 302
    assert "Consent refused" in guardian.get(link).get_data(as_text=True)
    row = world.request_row(world.siti)
    assert (row.status, row.guardian_name, row.guardian_relationship, row.consent_id) == (
        "refused", "Pak Rahmat", "father", None)
    assert "consent_request.refused" in world.actions()
    listing = world.client(world.lead).get(f"/cohorts/{world.a.id}/consent").get_data(as_text=True)
    assert "Refused" in listing and "Pak Rahmat" in listing
    # The student sees where consent stands, never who or how to reach them.
    home = world.client(world.siti).get("/").get_data(as_text=True)
    assert "Guardian consent refused" in home and "kartini" not in home.lower()


def test_a_refusal_by_link_is_in_the_students_export_and_in_no_other_cohorts(app, world):
    link = world.send(world.siti)
    guardian = world.app.test_client()
    assert _answer(guardian, link, world.code(guardian, link), decision="refuse", relationship="father",
                   name="Pak Rahmat").status_code == 302

    def export(user, path):
        response = world.client(user).get(path)
        assert response.status_code == 200, response.data
        return json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("data.json"))

    own = export(world.siti, "/me/export.zip")["consent_requests"]
    assert [(r["cohort_id"], r["status"], r["guardian_name"], r["guardian_relationship"]) for r in own] == [
        (world.a.id, "refused", "Pak Rahmat", "father")]
    by_lead_a = export(world.lead, f"/cohorts/{world.a.id}/people/{world.siti.id}/export.zip")
    assert [r["guardian_name"] for r in by_lead_a["consent_requests"]] == ["Pak Rahmat"]
    by_lead_b = export(world.lead_b, f"/cohorts/{world.b.id}/people/{world.siti.id}/export.zip")
    assert by_lead_b["consent_requests"] == []


def test_the_student_home_page_shows_pending_and_on_file(app, world, make):
    siti = world.client(world.siti)
    assert "Guardian consent missing" in siti.get("/").get_data(as_text=True)
    world.send(world.siti)
    home = siti.get("/").get_data(as_text=True)
    assert "Guardian consent pending" in home and SITI_GUARDIAN.lower() not in home.lower()
    make.consent(world.a, world.siti, world.lead)
    assert "Guardian consent on file" in siti.get("/").get_data(as_text=True)
    assert "Guardian consent" not in world.client(world.adult).get("/").get_data(as_text=True)


def test_a_bulk_request_asks_every_guardian_without_consent(app, world):
    lead = world.client(world.lead)
    people = lead.get(f"/cohorts/{world.a.id}/people").get_data(as_text=True)
    assert people.count(f'href="/cohorts/{world.a.id}/consent"') >= 3  # beside each minor student
    done = lead.post(f"/cohorts/{world.a.id}/consent/requests/all", data={"channel": "email"},
                     follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "1 consent request sent." in page
    assert "Budi Santoso" in page and "Rina Wati" in page  # a phone only / no contact: named, not sent
    assert len(world.mails()) == 1
    again = lead.post(f"/cohorts/{world.a.id}/consent/requests/all", data={"channel": "email"},
                      follow_redirects=True)
    assert "0 consent requests sent." in again.get_data(as_text=True)  # Siti's is still pending


def test_the_consent_requests_api(app, world):
    api = app.test_client(use_cookies=False)

    def token(user):
        return bearer(api.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"])

    lead, lead_b, mentor = token(world.lead), token(world.lead_b), token(world.mentor)
    url = f"/api/v1/cohorts/{world.a.id}/consent-requests"
    created = api.post(url, headers=lead, json={"student_id": world.siti.id, "channel": "email"})
    assert created.status_code == 201, created.json
    assert set(created.json) == {"id", "status", "expires_at"} and created.json["status"] == "sent"
    listed = api.get(url, headers=lead).json["consent_requests"]
    assert [(r["id"], r["status"], r["student_id"], r["locked"]) for r in listed] == [
        (created.json["id"], "sent", world.siti.id, False)]
    assert "contact" not in str(listed).replace("contact_hash", "")  # nor its digest

    assert api.get(url, headers=lead_b).status_code == 404
    assert api.post(url, headers=lead_b, json={"student_id": world.siti.id, "channel": "email"}).status_code == 404
    assert api.post(url, headers=mentor, json={"student_id": world.siti.id, "channel": "email"}).status_code == 403
    in_b = api.post(f"/api/v1/cohorts/{world.b.id}/consent-requests", headers=lead_b,
                    json={"student_id": world.budi.id, "channel": "email"})
    assert in_b.status_code == 422 and in_b.json["error"]["field"] == "student_id"
    for student, channel, code in [(world.adult, "email", "invalid"), (world.rina, "email", "no_guardian_contact"),
                                   (world.budi, "email", "no_guardian_email"),
                                   (world.budi, "whatsapp", "channel_unavailable")]:
        refused = api.post(url, headers=lead, json={"student_id": student.id, "channel": channel})
        assert refused.status_code == 422 and refused.json["error"]["code"] == code, refused.json
    assert api.post(url, headers=lead, json={"student_id": world.siti.id, "channel": "sms"}).status_code == 422
    world.make.consent(world.a, world.budi, world.lead)
    on_file = api.post(url, headers=lead, json={"student_id": world.budi.id, "channel": "email"})
    assert on_file.status_code == 409 and on_file.json["error"]["code"] == "consent_on_file"


def test_a_request_by_whatsapp_sends_the_link_and_the_code_as_templates(app, world, whatsapp_configured, make):
    from rq import Queue, SimpleWorker

    from workshop.accounts.models import User
    from workshop.extensions import db
    from workshop.redis_conn import get_redis

    def delivered() -> list[tuple[str, str, list[str]]]:
        with app.app_context():
            SimpleWorker([Queue("default", connection=get_redis(app))], connection=get_redis(app)).work(burst=True)
        return [(b["to"], b["template"]["name"], [p["text"] for p in b["template"]["components"][0]["parameters"]])
                for b in whatsapp_configured.bodies()]

    lead = world.client(world.lead)
    assert lead.post(f"/cohorts/{world.a.id}/consent/requests",
                     data={"student_id": world.budi.id, "channel": "whatsapp"}).status_code == 302
    [(to, template, (child, cohort, link))] = delivered()
    assert (to, template, child, cohort) == ("6281234567890", "karya_guardian_consent_link", "Budi", "Kelas Video A")
    assert "Santoso" not in str(whatsapp_configured.bodies()) and world.mails() == []
    path = link.removeprefix("http://localhost")
    guardian = app.test_client()
    assert guardian.post(f"{path}/code").status_code == 302
    (to, template, [code]) = delivered()[-1]
    assert template == "karya_guardian_consent_code" and re.fullmatch(r"\d{6}", code)
    assert _answer(guardian, path, code, name="Pak Santoso", relationship="father").status_code == 302
    with app.app_context():
        consent = db.session.scalar(select(Consent).where(Consent.student_id == world.budi.id))
        assert consent.channel == "whatsapp" and consent.guardian_contact == ""

    # A guardian who asked for no WhatsApp is not sent one.
    with app.app_context():
        db.session.get(User, world.siti.id).guardian_contact = "+62 812 3456 7891"
        db.session.get(User, world.siti.id).guardian_whatsapp_opt_out = True
        db.session.commit()
    refused = lead.post(f"/cohorts/{world.a.id}/consent/requests", data={"student_id": world.siti.id,
                                                                         "channel": "whatsapp"},
                        follow_redirects=True)
    assert "asked for no WhatsApp" in refused.get_data(as_text=True)
