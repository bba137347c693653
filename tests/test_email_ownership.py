"""An account belongs to whoever controls its email address.

Each attack is replayed over HTTP as the attacker would: a lead of one cohort taking over
an account another cohort made, a student registering a teacher's address before the
teacher is added, a link shown to a lead standing in for a link that reached the mailbox.
"""

from __future__ import annotations

import io
import logging
import re

import pytest

from workshop.accounts.models import User
from workshop.cohorts.models import Membership
from workshop.invitations.models import Invite
from workshop.roles import Role
from workshop.extensions import db as _db

from .helpers import PASSWORD, bearer, login


@pytest.fixture(autouse=True)
def _mail_log(caplog):
    caplog.set_level(logging.INFO, logger="karya.mail")


def _mails(caplog, to: str | None = None) -> list[str]:
    mails = [r.getMessage() for r in caplog.records if r.name == "karya.mail"]
    return [m for m in mails if to is None or f"To: {to}\n" in m]


def _path_in(mail: str, kind: str) -> str:
    """The path of the first ``/<kind>/...`` link in an email."""
    match = re.search(rf"https?://[^/\s]+(/{kind}/\S+)", mail)
    assert match, mail
    return match.group(1)


def _token(client, user, password=PASSWORD):
    """An API token, asked for from a client of its own (a signed-in one would need a CSRF token)."""
    response = client.application.test_client().post("/api/v1/tokens", json={"email": user.email, "password": password})
    assert response.status_code == 201, response.json
    return response.json["token"]


def _lead_of(make, name):
    cohort = make.cohort(name=name)
    lead = make.user(name=f"Lead {name}", email=f"lead.{name.lower()}@karya.test")
    make.member(lead, cohort, "lead")
    return cohort, lead


def _role(app, user_id, cohort_id):
    with app.app_context():
        return _db.session.scalar(_db.select(Membership.role).where(
            Membership.user_id == user_id, Membership.cohort_id == cohort_id))


def _user(app, email) -> User:
    with app.app_context():
        user = _db.session.scalar(_db.select(User).where(User.email == email))
        _db.session.expunge(user)
        return user


def _signup(client, code, email, name="Nadia Putri", password="a-good-password"):
    return client.post("/signup", data={"join_code": code, "name": name, "email": email,
                                        "password": password, "confirm": password})


# --- the reproduced attacks ------------------------------------------------------------------

def test_a_lead_of_another_cohort_cannot_take_over_an_account_by_inviting_it(client, app, make, caplog):
    """Lead A adds new@x as a mentor; Lead B invites new@x and must get no set-password link."""
    cohort_a, lead_a = _lead_of(make, "Alpha")
    cohort_b, lead_b = _lead_of(make, "Beta")
    added = client.post(f"/api/v1/cohorts/{cohort_a.id}/members", headers=bearer(_token(client, lead_a)),
                        json={"email": "new@karya.test", "name": "Newcomer", "role": "mentor"})
    assert added.status_code == 201
    newcomer = _user(app, "new@karya.test")

    login(client, lead_b)
    page = client.post(f"/cohorts/{cohort_b.id}/invites", data={"email": "new@karya.test", "role": "student"})
    assert page.status_code == 201
    assert b"/welcome/" not in page.data and b"/invite/" not in page.data and b"wa.me" not in page.data
    assert b"Invite emailed to new@karya.test" in page.data
    # The address gets the ordinary invite: sign in (or reset the password) to accept.
    mail = _mails(caplog, "new@karya.test")[-1]
    assert "/welcome/" not in mail and "Forgot your password?" in mail
    invite_b = _path_in(mail, "invite")
    # Sending it again shows Lead B no link either.
    with app.app_context():
        invite_id = _db.session.scalar(_db.select(Invite.id).where(Invite.cohort_id == cohort_b.id))
    resent = client.post(f"/invites/{invite_id}/resend")
    assert resent.status_code == 200 and b"/welcome/" not in resent.data and b"/invite/" not in resent.data
    client.post("/logout")

    # Even holding the emailed B link, nobody can choose new@x's password through it.
    assert client.get(_path_in(_mails(caplog, "new@karya.test")[-1], "invite")).status_code in (302, 410)
    assert client.get(invite_b.replace("/invite/", "/welcome/")).status_code == 410  # renewed: old token dead
    with app.app_context():
        assert _db.session.get(User, newcomer.id).password_hash.startswith("!unset:")
    assert _role(app, newcomer.id, cohort_a.id) is Role.MENTOR and _role(app, newcomer.id, cohort_b.id) is None


def test_the_welcome_link_is_never_shown_for_an_account_in_another_leads_cohort(client, app, make, caplog):
    cohort_a, lead_a = _lead_of(make, "Alpha")
    cohort_b, lead_b = _lead_of(make, "Beta")
    client.post(f"/api/v1/cohorts/{cohort_a.id}/members", headers=bearer(_token(client, lead_a)),
                json={"email": "new@karya.test", "name": "Newcomer", "role": "student"})
    # Lead B's API call for the same address is an invitation, emailed, with no link to set a password.
    invited = client.post(f"/api/v1/cohorts/{cohort_b.id}/members", headers=bearer(_token(client, lead_b)),
                          json={"email": "new@karya.test", "name": "Whoever", "role": "lead"})
    assert invited.status_code == 202 and invited.json["status"] == "invited"
    assert "/welcome/" not in _mails(caplog, "new@karya.test")[-1]
    # Lead A, who leads every cohort the account is in, may still hand out its welcome link.
    login(client, lead_a)
    with app.app_context():
        invite_a = _db.session.scalar(_db.select(Invite.id).where(Invite.cohort_id == cohort_a.id))
    resent = client.post(f"/invites/{invite_a}/resend")
    assert resent.status_code == 200 and b"/welcome/" in resent.data


def test_a_student_who_registered_a_teachers_address_does_not_become_a_mentor(client, app, make, caplog):
    school = make.cohort(name="School", join_code="SCH00L22")
    cohort, lead = _lead_of(make, "Alpha")
    assert _signup(client, "SCH00L22", "guru@karya.test", name="Sneaky Student").status_code == 302
    student = _user(app, "guru@karya.test")
    student_token = _token(client, student, "a-good-password")
    client.post("/logout")

    # The lead adds the teacher's address: an invite, not a membership.
    lead_headers = bearer(_token(client, lead))
    added = client.post(f"/api/v1/cohorts/{cohort.id}/members", headers=lead_headers,
                        json={"email": "guru@karya.test", "name": "Pak Guru", "role": "mentor"})
    assert added.status_code == 202 and added.json["status"] == "invited"
    assert _role(app, student.id, cohort.id) is None
    for cohort_id in (cohort.id, school.id):
        refused = client.get(f"/api/v1/cohorts/{cohort_id}", headers=bearer(student_token))
        assert refused.status_code == 403 and refused.json["error"]["code"] == "email_unconfirmed"

    # Even with the emailed link (it went to the teacher's mailbox), the unconfirmed account cannot accept.
    invite = _path_in(_mails(caplog, "guru@karya.test")[-1], "invite")
    login(client, student, "a-good-password")
    page = client.get(invite)
    assert page.status_code == 403 and b"Confirm your email address before you accept the invite" in page.data
    assert client.post(invite).status_code == 403
    assert _role(app, student.id, cohort.id) is None


def test_a_roster_import_invites_an_existing_address_and_adds_no_membership(client, app, make, tmp_path,
                                                                             monkeypatch, caplog):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    make.cohort(name="School", join_code="SCH00L22")
    cohort, lead = _lead_of(make, "Alpha")
    _signup(client, "SCH00L22", "guru@karya.test", name="Sneaky Student")
    student = _user(app, "guru@karya.test")
    client.post("/logout")

    login(client, lead)
    uploaded = client.post(f"/cohorts/{cohort.id}/roster", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"name,email,role\nPak Guru,guru@karya.test,mentor\n"), "r.csv")})
    preview = client.get(uploaded.headers["Location"]).data.decode()
    assert "Has an account: will be invited and must accept" in preview
    assert "existing account, will be added" not in preview.lower()
    done = client.post(uploaded.headers["Location"], follow_redirects=True).data.decode()
    assert "existing accounts invited (they must accept): 1" in done
    assert _role(app, student.id, cohort.id) is None
    with app.app_context():
        invite = _db.session.scalar(_db.select(Invite).where(Invite.cohort_id == cohort.id))
        assert (invite.email, invite.role, invite.accepted_at) == ("guru@karya.test", Role.MENTOR, None)


def test_a_roster_import_by_another_lead_emails_no_welcome_link(client, app, make, tmp_path, monkeypatch, caplog):
    """The set-password emails of an import go out from the worker: the same rule holds there."""
    from rq import SimpleWorker

    from workshop.redis_conn import get_redis

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    cohort_a, lead_a = _lead_of(make, "Alpha")
    cohort_b, lead_b = _lead_of(make, "Beta")
    client.post(f"/api/v1/cohorts/{cohort_a.id}/members", headers=bearer(_token(client, lead_a)),
                json={"email": "new@karya.test", "name": "Newcomer", "role": "mentor"})
    login(client, lead_b)
    roster = b"name,email,role\nNewcomer,new@karya.test,lead\nFresh Face,fresh@karya.test,student\n"
    uploaded = client.post(f"/cohorts/{cohort_b.id}/roster", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(roster), "r.csv")})
    client.post(uploaded.headers["Location"])
    with app.app_context():
        SimpleWorker(["default"], connection=get_redis(app)).work(burst=True)
    assert "/welcome/" not in _mails(caplog, "new@karya.test")[-1]
    assert "/invite/" in _mails(caplog, "new@karya.test")[-1]
    assert "/welcome/" in _mails(caplog, "fresh@karya.test")[-1]  # Lead B's own new person
    newcomer = _user(app, "new@karya.test")
    assert _role(app, newcomer.id, cohort_b.id) is None and newcomer.password_hash.startswith("!unset:")


# --- confirming an address -------------------------------------------------------------------

def test_a_new_account_acts_in_its_cohort_only_once_its_address_is_confirmed(client, app, make, caplog):
    cohort = make.cohort(name="Kelas", join_code="KELAS222")
    assert _signup(client, "KELAS222", "nadia@karya.test").status_code == 302
    mail = _mails(caplog, "nadia@karya.test")[-1]
    assert "Subject: Confirm your email address for Karya" in mail
    nadia = _user(app, "nadia@karya.test")
    assert nadia.email_confirmed_at is None

    home = client.get("/")
    assert home.status_code == 200 and b"Confirm your email address" in home.data
    assert b"/confirm/resend" in home.data and b"Kelas" not in home.data
    page = client.get(f"/cohorts/{cohort.id}")
    assert page.status_code == 403 and b"/confirm/resend" in page.data
    assert client.get("/cohorts/999999").status_code == 403  # the same page: it tells nothing about cohorts
    headers = bearer(_token(client, nadia, "a-good-password"))
    refused = client.get(f"/api/v1/cohorts/{cohort.id}", headers=headers)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "email_unconfirmed"

    confirmed = client.get(_path_in(mail, "confirm"))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/"
    assert b"Your email address is confirmed." in client.get("/").data
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert client.get(f"/api/v1/cohorts/{cohort.id}", headers=headers).json["role"] == "student"


def test_an_invite_sign_up_must_confirm_the_address_too(client, app, make, caplog):
    """A sign-up link may have been shown to a lead (for WhatsApp), so it proves nothing."""
    cohort, lead = _lead_of(make, "Alpha")
    login(client, lead)
    page = client.post(f"/cohorts/{cohort.id}/invites", data={"email": "rina@karya.test", "role": "mentor"})
    shown = re.search(rb"https?://[^/\s<]+(/invite/[^\s<\"]+)", page.data).group(1).decode()
    client.post("/logout")
    client.post(shown, data={"name": "Lead pretending", "password": "lead-knows-it", "confirm": "lead-knows-it"})
    rina = _user(app, "rina@karya.test")
    assert rina.email_confirmed_at is None and _role(app, rina.id, cohort.id) is Role.MENTOR
    assert client.get(f"/cohorts/{cohort.id}").status_code == 403  # inert until the mailbox answers
    assert "/confirm/" in _mails(caplog, "rina@karya.test")[-1]
    client.post("/logout")
    login(client, lead)  # the lead sees why Rina cannot get in yet
    assert b"Email not confirmed yet" in client.get(f"/cohorts/{cohort.id}/people").data


def test_a_confirmation_link_is_refused_for_another_account_address_or_when_spoilt(client, app, make, caplog):
    make.cohort(join_code="KELAS222")
    _signup(client, "KELAS222", "nadia@karya.test")
    link = _path_in(_mails(caplog, "nadia@karya.test")[-1], "confirm")
    client.post("/logout")

    # Not signed in: log in first, then come back to the link.
    anonymous = client.get(link)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=/confirm/")

    other = make.user(email="other@karya.test", email_confirmed_at=None)
    login(client, other)
    refused = client.get(link)
    assert refused.status_code == 400 and b"for another account or address" in refused.data
    assert _user(app, "nadia@karya.test").email_confirmed_at is None
    assert _user(app, "other@karya.test").email_confirmed_at is None
    tampered = client.get(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    assert tampered.status_code == 400 and b"This confirmation link is not valid." in tampered.data
    client.post("/logout")

    # The address changed since the link was sent: it no longer confirms anything.
    with app.app_context():
        _db.session.scalar(_db.select(User).where(User.email == "nadia@karya.test")).email = "nadia2@karya.test"
        _db.session.commit()
    client.post("/login", data={"email": "nadia2@karya.test", "password": "a-good-password"})
    moved = client.get(link)
    assert moved.status_code == 400 and b"for another account or address" in moved.data
    assert _user(app, "nadia2@karya.test").email_confirmed_at is None


def test_an_expired_confirmation_link_is_refused(client, app, make, caplog, monkeypatch):
    make.cohort(join_code="KELAS222")
    _signup(client, "KELAS222", "nadia@karya.test")
    link = _path_in(_mails(caplog, "nadia@karya.test")[-1], "confirm")
    monkeypatch.setitem(app.config, "EMAIL_CONFIRM_MAX_AGE_S", -1)
    expired = client.get(link)
    assert expired.status_code == 400 and b"This confirmation link has expired." in expired.data
    assert b"/confirm/resend" in expired.data  # and the way to a new one is right there
    assert _user(app, "nadia@karya.test").email_confirmed_at is None


def test_the_confirmation_email_is_in_the_language_the_person_signed_up_in(client, make, caplog):
    make.cohort(join_code="KELAS222")
    client.post("/signup", headers={"Accept-Language": "id"}, data={
        "join_code": "KELAS222", "name": "Nadia Putri", "email": "nadia@karya.test",
        "password": "a-good-password", "confirm": "a-good-password"})
    assert "Halo Nadia Putri," in _mails(caplog, "nadia@karya.test")[-1]


def test_a_new_confirmation_link_can_be_asked_for_but_not_endlessly(client, app, make, caplog):
    make.cohort(join_code="KELAS222")
    _signup(client, "KELAS222", "nadia@karya.test")
    assert len(_mails(caplog, "nadia@karya.test")) == 1
    for sent in (2, 3):
        response = client.post("/confirm/resend", follow_redirects=True)
        assert response.status_code == 200 and b"We sent a new link to nadia@karya.test" in response.data
        assert len(_mails(caplog, "nadia@karya.test")) == sent
    throttled = client.post("/confirm/resend")
    assert throttled.status_code == 429 and b"We have sent you several links already" in throttled.data
    assert len(_mails(caplog, "nadia@karya.test")) == 3
    # Any of the links sent works.
    assert client.get(_path_in(_mails(caplog, "nadia@karya.test")[0], "confirm")).status_code == 302
    assert _user(app, "nadia@karya.test").email_confirmed_at is not None


def test_an_unconfirmed_account_cannot_accept_an_invite(client, app, make, caplog):
    cohort, lead = _lead_of(make, "Alpha")
    person = make.user(email="unsure@karya.test", email_confirmed_at=None)
    login(client, lead)
    client.post(f"/cohorts/{cohort.id}/invites", data={"email": "unsure@karya.test", "role": "lead"})
    invite = _path_in(_mails(caplog, "unsure@karya.test")[-1], "invite")
    client.post("/logout")
    login(client, person)
    page = client.get(invite)
    assert page.status_code == 403 and b"/confirm/resend" in page.data
    assert client.post(invite).status_code == 403 and _role(app, person.id, cohort.id) is None

    from workshop.errors import Forbidden
    from workshop.invitations import service as invitations

    with app.test_request_context("/"):
        row = _db.session.scalar(_db.select(Invite))
        with pytest.raises(Forbidden) as refused:
            invitations.accept_invite(row, _db.session.get(User, person.id))
        assert (refused.value.code, refused.value.status) == ("email_unconfirmed", 403)


def test_an_unconfirmed_lead_starts_no_cohort(client, make):
    cohort = make.cohort()
    lead = make.user(email_confirmed_at=None)
    make.member(lead, cohort, "lead")
    api = client.application.test_client()
    assert api.post("/api/v1/cohorts", json={"name": "X"}, headers=bearer(_token(client, lead))).status_code == 403
    login(client, lead)
    for page in ("/cohorts/new", f"/cohorts/{cohort.id}/manage", "/reviews"):
        response = client.get(page)
        assert response.status_code == 403 and b"/confirm/resend" in response.data, page


# --- welcome links: only the emailed one proves the mailbox ------------------------------------

def test_a_shown_welcome_link_does_not_confirm_but_the_emailed_one_does(client, app, make, caplog):
    cohort, lead = _lead_of(make, "Alpha")
    headers = bearer(_token(client, lead))
    for email, name in (("sari@karya.test", "Sari"), ("budi@karya.test", "Budi")):
        client.post(f"/api/v1/cohorts/{cohort.id}/members", headers=headers,
                    json={"email": email, "name": name, "role": "mentor"})
    emailed = _path_in(_mails(caplog, "budi@karya.test")[-1], "welcome")
    assert "confirm=" in emailed

    # Sari's link is sent again and shown to the lead (for WhatsApp): it carries no confirmation.
    login(client, lead)
    with app.app_context():
        invite_id = _db.session.scalar(_db.select(Invite.id).where(Invite.email == "sari@karya.test"))
    page = client.post(f"/invites/{invite_id}/resend").data.decode()
    shown = re.search(r"https?://[^/\s<]+(/welcome/[^\s<\"]+)", page).group(1)
    assert "confirm" not in shown
    client.post("/logout")
    done = client.post(shown, data={"name": "Sari", "password": "whoever-holds-it", "confirm": "whoever-holds-it"})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert _user(app, "sari@karya.test").email_confirmed_at is None
    assert client.get(f"/cohorts/{cohort.id}").status_code == 403
    confirm = _mails(caplog, "sari@karya.test")[-1]
    assert "Subject: Confirm your email address for Karya" in confirm
    client.post("/logout")

    done = client.post(emailed, data={"name": "Budi", "password": "budi-password", "confirm": "budi-password"})
    assert done.status_code == 302 and done.headers["Location"] == f"/cohorts/{cohort.id}"
    assert _user(app, "budi@karya.test").email_confirmed_at is not None
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200


def test_a_welcome_link_with_someone_elses_confirmation_does_not_confirm(client, app, make, caplog):
    cohort, lead = _lead_of(make, "Alpha")
    headers = bearer(_token(client, lead))
    for email, name in (("sari@karya.test", "Sari"), ("budi@karya.test", "Budi")):
        client.post(f"/api/v1/cohorts/{cohort.id}/members", headers=headers,
                    json={"email": email, "name": name, "role": "mentor"})
    sari = _path_in(_mails(caplog, "sari@karya.test")[-1], "welcome")
    budi = _path_in(_mails(caplog, "budi@karya.test")[-1], "welcome")
    mixed = sari.split("?")[0] + "?" + budi.split("?")[1]
    client.post(mixed, data={"name": "Sari", "password": "sari-password", "confirm": "sari-password"})
    assert _user(app, "sari@karya.test").email_confirmed_at is None
