"""The authorisation matrix's second axis: what happens to accounts across two cohorts.

test_authorization_matrix.py asks "may this person open this route?". This file asks
"when someone does this to a person, what can they reach afterwards?" — for each flow
that creates, links, exports, erases or ends anything of an account, played over HTTP
by an attacker who leads cohort B (or a student using someone else's address) against
the people of cohort A.

The world is tests/test_cohort_scoping.py's: Siti is a minor of cohort A (a video,
comments, consent, attendance, an escalation) who is also a student of cohort B; A has
a mentor; B has its own lead and mentor. Each row of LIFECYCLE names the routes its
flow goes through and the facts that must hold afterwards, written out by hand. Every
route that touches accounts, memberships, invites, exports, consent, sessions or
tokens must be in a row (or in NOT_LIFECYCLE, with the reason), so a new route or flow
without a row fails here.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from workshop.accounts.models import User
from workshop.cohorts.models import Membership
from workshop.consent.models import Consent
from workshop.invitations.models import Invite
from workshop.db_types import utcnow
from workshop.extensions import db

from .helpers import PASSWORD, bearer
from .test_cohort_scoping import A_TRACES, SITI, TwoCohorts, _export


@dataclass(frozen=True)
class Row:
    routes: frozenset[str]
    expect: dict


def _row(routes: str, **expect) -> Row:
    return Row(frozenset(routes.split()), expect)


LIFECYCLE = {
    # Lead B adds cohort A's mentor to B through the API, as a lead of B.
    "add": _row(
        "api.add_cohort_member api.cohort_members",
        status=202, member_of_b=False, role_in_a="mentor", invited_to_b=True),
    # Lead A adds a new address; Lead B then invites it: B must be shown no set-password link.
    "invite": _row(
        "invitations.invites invitations.send_invite invitations.resend_invite "
        "invitations.revoke_invite invitations.welcome invitations.accept",
        welcome_link_shown_to_b=False, welcome_link_on_resend=False, b_can_set_password=False,
        newcomer_role_in_a="mentor"),
    # Lead B imports a roster naming Siti (of A) and a new person.
    "roster_import": _row(
        "roster.upload_form roster.upload roster.preview "
        "roster.confirm",
        siti_added_to_b_as="student", mentor_a_member_of_b=False, mentor_a_invited=True),
    # A student signs up in B with a teacher's address they do not own; lead A later adds
    # that address as a mentor, and the teacher (who reads the mailbox) takes the account back.
    "signup_with_someone_elses_address": _row(
        "cohort_admin.rotate_join_code accounts.signup accounts.confirm_needed accounts.resend_confirmation "
        "accounts.confirm_email accounts.join",
        squatter_sees_b=403, squatter_api=403, add_status=202, squatter_role_in_a=None,
        squatter_accepts=False, owner_confirms_by_reset=True, owner_accepts=True, owner_role_in_a="mentor"),
    # Lead A removes their mentor.
    "removal": _row(
        "membership.remove_member membership.change_role sessions.cohort_feed sessions.rotate_cohort_feed "
        "sessions.my_feed sessions.rotate_my_feed",
        mentor_opens_a=404, old_cohort_feed=404, mentor_feed_lists_a=False, new_notifications_for_mentor=0),
    # Lead B exports Siti; Siti exports herself.
    "export": _row(
        "consent.person_export consent.my_export",
        b_export_has_a=False, own_export_has_a=True, own_export_has_concern=False),
    # Lead B records consent for Siti dated 2020 and withdraws it the next day.
    "consent_withdrawal": _row(
        "consent.index consent.new consent.withdraw consent.evidence_file",
        due_after_grace_from_now=True, erased_now=False, erased_at_due=True, a_membership_kept=True,
        account_kept=True, audit_cohorts=["B"]),
    # B's roster gave Siti a guardian's address; lead B asks that guardian by link, the guardian
    # gives consent and later withdraws it through the same link. Lead B also tries A's requests.
    "consent_by_link": _row(
        "consent.send_request consent.send_all_requests api.create_consent_request api.list_consent_requests "
        "guardian_consent.page guardian_consent.send_code guardian_consent.decide guardian_consent.withdraw",
        b_creates_in_a=404, b_lists_a=404, b_lists_only_b=True, requests_in_a=0, given_in=["B"],
        withdrawn_in=["B"], a_consent_stands=True, a_membership_kept=True, mail_to_a_guardian=0),
    # Someone who knew Siti's password holds a session, a remember cookie and a token; she resets it.
    "password_reset": _row(
        "accounts.forgot_password accounts.reset_password api.create_token api.list_tokens "
        "api.revoke_token api.me",
        old_session=302, old_remember_cookie=302, old_token=401, new_password_works=True),
    # Siti logs out; a copy of her cookies is replayed.
    "logout": _row(
        "accounts.login accounts.logout",
        replayed_session=302, replayed_remember_cookie=302),
}

# Routes whose words suggest account work but which change no account, with why.
NOT_LIFECYCLE = {
    "accounts.set_language": "stores a display preference of the signed-in person only",
    "cohort_admin.set_join_code_expiry": "when a join code stops working (test_cohort_admin.py); joining "
                                         "itself is the signup row",
}
# Words in an endpoint's name that mark account work.
LIFECYCLE_WORDS = re.compile(r"member|invite|roster|role|token|export|welcome|confirm|password|feed|join|"
                             r"login|logout|signup|consent|^api\.me$")


def test_every_route_that_touches_accounts_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    wanted = {e for e in endpoints if e.startswith(("accounts.", "consent.")) or LIFECYCLE_WORDS.search(e)}
    covered = set().union(*(row.routes for row in LIFECYCLE.values()))
    missing = sorted(wanted - covered - NOT_LIFECYCLE.keys())
    assert not missing, f"routes that touch accounts with no lifecycle row (add one): {missing}"
    stale = sorted((covered | NOT_LIFECYCLE.keys()) - endpoints)
    assert not stale, f"rows name routes that no longer exist: {stale}"


# --- the flows -------------------------------------------------------------------------------

def _mails(caplog, to: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "karya.mail" and f"To: {to}\n" in r.getMessage()]


def _link(mail: str, kind: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/{kind}/\S+)", mail)
    assert match, mail
    return match.group(1)


def _role(app, user_id, cohort_id):
    with app.app_context():
        role = db.session.scalar(select(Membership.role).where(Membership.user_id == user_id,
                                                               Membership.cohort_id == cohort_id))
        return role.value if role else None


def _invited(app, email, cohort_id) -> bool:
    with app.app_context():
        return db.session.scalar(select(Invite.id).where(Invite.email == email, Invite.cohort_id == cohort_id,
                                                         Invite.accepted_at.is_(None))) is not None


def _client(app, user=None, remember=False):
    client = app.test_client()
    if user is not None:
        response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                               **({"remember": "y"} if remember else {})})
        assert response.status_code == 302
    return client


def flow_add(app, two, caplog):
    w = two.w
    added = w.api.post(f"/api/v1/cohorts/{w.b.id}/members", headers=w.token(w.lead_b),
                       json={"email": w.mentor.email, "name": "", "role": "lead"})
    listed = w.api.get(f"/api/v1/cohorts/{w.b.id}/members", headers=w.token(w.lead_b)).json
    assert w.mentor.email not in str(listed)
    return dict(status=added.status_code, member_of_b=_role(app, w.mentor.id, w.b.id) is not None,
                role_in_a=_role(app, w.mentor.id, w.a.id), invited_to_b=_invited(app, w.mentor.email, w.b.id))


def flow_invite(app, two, caplog):
    w = two.w
    added = w.api.post(f"/api/v1/cohorts/{w.a.id}/members", headers=w.token(w.lead),
                       json={"email": "newcomer@karya.test", "name": "Newcomer", "role": "mentor"})
    assert added.status_code == 201
    lead_b = _client(app, w.lead_b)
    shown = lead_b.post(f"/cohorts/{w.b.id}/invites", data={"email": "newcomer@karya.test", "role": "student"})
    assert shown.status_code in (200, 201)
    with app.app_context():
        invite_id = db.session.scalar(select(Invite.id).where(Invite.cohort_id == w.b.id))
    resent = lead_b.post(f"/invites/{invite_id}/resend")
    # Whatever link Lead B could lay hands on, setting a password through it must fail.
    links = re.findall(r"/(?:welcome|invite)/[\w\-]+", shown.get_data(as_text=True) + resent.get_data(as_text=True))
    takeover = False
    for link in links:
        attempt = app.test_client().post(link, data={"name": "Lead B", "password": "taken-over-1",
                                                     "confirm": "taken-over-1"})
        takeover |= attempt.status_code == 302 and login_works(app, "newcomer@karya.test", "taken-over-1")
    assert lead_b.post(f"/invites/{invite_id}/revoke").status_code == 302
    return dict(welcome_link_shown_to_b="/welcome/" in shown.get_data(as_text=True),
                welcome_link_on_resend="/welcome/" in resent.get_data(as_text=True),
                b_can_set_password=takeover,
                newcomer_role_in_a=_role(app, _user_id(app, "newcomer@karya.test"), w.a.id))


def login_works(app, email, password) -> bool:
    return app.test_client().post("/login", data={"email": email, "password": password}).status_code == 302


def _user_id(app, email) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def flow_roster_import(app, two, caplog):
    w = two.w
    lead_b = _client(app, w.lead_b)
    csv = f"name,email,role\nSiti,{w.siti.email},mentor\nMira,{w.mentor.email},lead\nNew One,new.one@karya.test,student\n"
    uploaded = lead_b.post(f"/cohorts/{w.b.id}/roster", data={"file": (io.BytesIO(csv.encode()), "r.csv")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302, uploaded.data
    preview = uploaded.headers["Location"]
    assert lead_b.get(preview).status_code == 200
    assert lead_b.post(preview).status_code == 302
    return dict(siti_added_to_b_as=_role(app, w.siti.id, w.b.id),  # she was a student of B already
                mentor_a_member_of_b=_role(app, w.mentor.id, w.b.id) is not None,
                mentor_a_invited=_invited(app, w.mentor.email, w.b.id))


def flow_signup_with_someone_elses_address(app, two, caplog):
    w = two.w
    teacher = "pak.guru@karya.test"
    assert _client(app, w.lead_b).post(f"/cohorts/{w.b.id}/join-code/rotate").status_code == 302
    with app.app_context():
        from workshop.cohorts.models import Cohort

        code = db.session.get(Cohort, w.b.id).join_code
    squatter = app.test_client()
    signed = squatter.post("/signup", data={"join_code": code, "name": "Squatter", "email": teacher,
                                            "password": "squatter-pass", "confirm": "squatter-pass"})
    assert signed.status_code == 302
    assert squatter.get("/confirm").status_code == 200
    assert squatter.post("/confirm/resend").status_code in (200, 302)
    squatter_token = w.api.post("/api/v1/tokens", json={"email": teacher, "password": "squatter-pass"}).json["token"]
    sees_b = squatter.get(f"/cohorts/{w.b.id}").status_code
    api = w.api.get(f"/api/v1/cohorts/{w.b.id}", headers=bearer(squatter_token)).status_code
    assert squatter.post("/join", data={"join_code": code}).status_code in (200, 302, 403)

    added = w.api.post(f"/api/v1/cohorts/{w.a.id}/members", headers=w.token(w.lead),
                       json={"email": teacher, "name": "Pak Guru", "role": "mentor"})
    invite_link = _link(_mails(caplog, teacher)[-1], "invite")
    accepted = squatter.post(invite_link)
    squatter_role = _role(app, _user_id(app, teacher), w.a.id)

    # The real owner resets the password from the mailbox, which proves the address.
    owner = app.test_client()
    owner.post("/password/forgot", data={"email": teacher})
    reset = owner.post(_link(_mails(caplog, teacher)[-1], "password/reset"),
                       data={"password": "owner-password", "confirm": "owner-password"})
    with app.app_context():
        confirmed = db.session.get(User, _user_id(app, teacher)).email_confirmed_at is not None
    assert owner.post("/login", data={"email": teacher, "password": "owner-password"}).status_code == 302
    owner_accepted = owner.post(invite_link).status_code == 302
    # The confirmation links the squatter had mailed reached the owner's inbox, not theirs.
    assert all("/confirm/" in m or "/invite/" in m or "/password/reset/" in m for m in _mails(caplog, teacher))
    return dict(squatter_sees_b=sees_b, squatter_api=api, add_status=added.status_code,
                squatter_role_in_a=squatter_role, squatter_accepts=squatter_role is not None,
                owner_confirms_by_reset=reset.status_code == 302 and confirmed, owner_accepts=owner_accepted,
                owner_role_in_a=_role(app, _user_id(app, teacher), w.a.id))


def flow_removal(app, two, caplog):
    from workshop.notifications.models import Notification
    from workshop.sessions import feeds

    w = two.w
    mentor = _client(app, w.mentor)
    assert mentor.get(f"/cohorts/{w.a.id}").status_code == 200
    with app.app_context():
        from workshop.cohorts.models import Cohort

        old_feed = feeds.ensure_token(db.session.get(Cohort, w.a.id))
        mentor_feed = feeds.ensure_token(db.session.get(User, w.mentor.id))
        db.session.commit()
        membership = db.session.scalar(select(Membership.id).where(Membership.user_id == w.mentor.id,
                                                                   Membership.cohort_id == w.a.id))
        from workshop.submissions.models import Submission

        # Siti's work is the mentor's to review when the mentor is removed.
        submission = db.session.get(Submission, db.session.scalar(select(Submission.id).where(
            Submission.cohort_id == w.a.id, Submission.student_id == w.siti.id)))
        submission.mentor_id = w.mentor.id
        db.session.commit()
    lead = _client(app, w.lead)
    assert lead.post(f"/memberships/{membership}/remove").status_code == 302
    # Siti uploads again: the review it needs must not reach the removed mentor.
    w.stored_version(w.siti, number=2, filename="second.mov")
    with app.app_context():
        from workshop.submissions.service import announce_ready
        from workshop.submissions.models import Version

        version = db.session.scalar(select(Version).where(Version.cohort_id == w.a.id, Version.number == 2))
        announce_ready(version)
        db.session.commit()
        fresh = db.session.scalar(select(db.func.count(Notification.id)).where(
            Notification.user_id == w.mentor.id, Notification.created_at > utcnow() - timedelta(minutes=1)))
    feed = app.test_client().get(f"/calendar/me/{mentor_feed}.ics").get_data(as_text=True)
    return dict(mentor_opens_a=mentor.get(f"/cohorts/{w.a.id}").status_code,
                old_cohort_feed=app.test_client().get(f"/calendar/cohort/{old_feed}.ics").status_code,
                mentor_feed_lists_a="A-SESSION" in feed, new_notifications_for_mentor=fresh)


def flow_export(app, two, caplog):
    w = two.w
    _data, b_export, _names = _export(two.as_(w.lead_b).get(f"/cohorts/{w.b.id}/people/{w.siti.id}/export.zip"))
    _data, own, _names = _export(two.as_(w.siti).get("/me/export.zip"))
    return dict(b_export_has_a=any(t.encode() in b_export for t in A_TRACES),
                own_export_has_a=all(t.encode() in own for t in ("Cohort A", "A-REPLY")),
                own_export_has_concern=b"CONCERN-41aa" in own)


def flow_consent_by_link(app, two, caplog):
    from workshop.consent.models import ConsentRequest

    w = two.w
    guardian_b = "wali.b@keluarga.test"
    with app.app_context():
        siti = db.session.get(User, w.siti.id)
        siti.guardian_contact, siti.guardian_contact_cohort_id = guardian_b, w.b.id
        db.session.commit()
    lead_b = two.as_(w.lead_b)
    token_b = w.token(w.lead_b)
    b_creates_in_a = w.api.post(f"/api/v1/cohorts/{w.a.id}/consent-requests", headers=token_b,
                                json={"student_id": w.siti.id, "channel": "email"}).status_code
    b_lists_a = w.api.get(f"/api/v1/cohorts/{w.a.id}/consent-requests", headers=token_b).status_code

    # B has no consent on file for Siti yet: lead B asks her guardian by link, once and in bulk.
    assert lead_b.post(f"/cohorts/{w.b.id}/consent/requests",
                       data={"student_id": w.siti.id, "channel": "email"}).status_code == 302
    assert lead_b.post(f"/cohorts/{w.b.id}/consent/requests/all").status_code == 302
    link = _link(_mails(caplog, guardian_b)[-1], "guardian/consent")
    guardian = app.test_client()
    assert guardian.get(link).status_code == 200

    def code() -> str:
        assert guardian.post(f"{link}/code").status_code == 302
        return re.search(r"\n(\d{6})\n", _mails(caplog, guardian_b)[-1]).group(1)

    assert guardian.post(f"{link}/decision", data={"code": code(), "guardian_name": "Ibu Wali",
                                                   "relationship": "mother", "decision": "give"}).status_code == 302
    with app.app_context():
        given = sorted({ {w.a.id: "A", w.b.id: "B"}[c.cohort_id] for c in db.session.scalars(
            select(Consent).where(Consent.student_id == w.siti.id, Consent.channel.is_not(None)))})
    assert guardian.post(f"{link}/withdraw", data={"code": code()}).status_code == 302
    listed = w.api.get(f"/api/v1/cohorts/{w.b.id}/consent-requests", headers=token_b).json["consent_requests"]
    with app.app_context():
        requests_in_a = db.session.scalar(select(func.count()).select_from(ConsentRequest)
                                          .where(ConsentRequest.cohort_id == w.a.id))
        withdrawn = sorted({ {w.a.id: "A", w.b.id: "B"}[c.cohort_id] for c in db.session.scalars(
            select(Consent).where(Consent.student_id == w.siti.id, Consent.withdrawn_at.is_not(None)))})
        a_consent_stands = two.consent_in(w.a).withdrawn_at is None
    return dict(b_creates_in_a=b_creates_in_a, b_lists_a=b_lists_a,
                b_lists_only_b=bool(listed) and all(r["cohort_id"] == w.b.id for r in listed),
                requests_in_a=requests_in_a, given_in=given, withdrawn_in=withdrawn,
                a_consent_stands=a_consent_stands, a_membership_kept=_role(app, w.siti.id, w.a.id) == "student",
                mail_to_a_guardian=len(_mails(caplog, SITI["guardian"])))


def flow_consent_withdrawal(app, two, caplog):
    from workshop.audit.models import AuditEvent
    from workshop.consent.deletion import delete_due_data

    w = two.w
    assert two.record_in_b(given_on="2020-01-01").status_code == 302
    consent = two.consent_in(w.b)
    lead_b = two.as_(w.lead_b)
    assert lead_b.get(f"/cohorts/{w.b.id}/consent").status_code == 200
    assert lead_b.get(f"/consents/{consent.id}/evidence").status_code == 200
    recorded = utcnow()
    assert two.withdraw(w.lead_b, consent, "2020-01-02").status_code == 302
    with app.app_context():
        due = db.session.get(Consent, consent.id).deletion_due_at
        grace = timedelta(days=app.config["DATA_DELETION_GRACE_DAYS"])
        erased_now = delete_due_data() != []
        erased_at_due = delete_due_data(now=due + timedelta(minutes=1)) == [w.siti.id]
        names = {w.a.id: "A", w.b.id: "B"}
        audited = sorted(names[e.cohort_id] for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "person.data_deleted")))
        account = db.session.get(User, w.siti.id)
        return dict(due_after_grace_from_now=due >= recorded + grace, erased_now=erased_now,
                    erased_at_due=erased_at_due, a_membership_kept=_role(app, w.siti.id, w.a.id) == "student",
                    account_kept=account.deleted_at is None, audit_cohorts=audited)


def flow_password_reset(app, two, caplog):
    w = two.w
    thief = _client(app, w.siti)
    thief_remember = _client(app, w.siti, remember=True)
    remember_cookie = thief_remember.get_cookie("remember_token")
    token = w.api.post("/api/v1/tokens", json={"email": w.siti.email, "password": PASSWORD}).json
    assert w.api.get("/api/v1/tokens", headers=bearer(token["token"])).status_code == 200
    spare = w.api.post("/api/v1/tokens", json={"email": w.siti.email, "password": PASSWORD}).json
    assert w.api.delete(f"/api/v1/tokens/{spare['id']}", headers=bearer(token["token"])).status_code in (200, 204)
    owner = app.test_client()
    owner.post("/password/forgot", data={"email": w.siti.email})
    done = owner.post(_link(_mails(caplog, w.siti.email)[-1], "password/reset"),
                      data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert done.status_code == 302
    replay = app.test_client()
    replay.set_cookie(remember_cookie.key, remember_cookie.value)
    return dict(old_session=thief.get(f"/cohorts/{w.a.id}").status_code,
                old_remember_cookie=replay.get(f"/cohorts/{w.a.id}").status_code,
                old_token=w.api.get("/api/v1/me", headers=bearer(token["token"])).status_code,
                new_password_works=login_works(app, w.siti.email, "brand-new-pass"))


def flow_logout(app, two, caplog):
    w = two.w
    siti = _client(app, w.siti, remember=True)
    session_cookie, remember_cookie = siti.get_cookie("session"), siti.get_cookie("remember_token")
    assert siti.post("/logout").status_code == 302
    replays = []
    for cookie in (session_cookie, remember_cookie):
        replay = app.test_client()
        replay.set_cookie(cookie.key, cookie.value)
        replays.append(replay.get(f"/cohorts/{w.a.id}").status_code)
    return dict(replayed_session=replays[0], replayed_remember_cookie=replays[1])


@pytest.mark.parametrize("flow", sorted(LIFECYCLE))
def test_the_flow_leaves_each_cohort_as_the_table_says(flow, app, make, client, caplog):
    caplog.set_level(logging.INFO, logger="karya.mail")
    two = TwoCohorts(app, make, client)
    found = globals()[f"flow_{flow}"](app, two, caplog)
    assert found == LIFECYCLE[flow].expect
