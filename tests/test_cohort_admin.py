"""Running a cohort: creating, editing, archiving, join codes, invites, members, and the API."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone

from workshop.accounts.models import User
from workshop.audit.models import AuditEvent
from workshop.cohorts.models import Cohort, Membership
from workshop.invitations.models import Invite
from workshop.roles import Role
from workshop.extensions import db as _db

from .helpers import PASSWORD, bearer, login


def _lead_of(make, name="Kelas Video"):
    cohort = make.cohort(name=name)
    lead = make.user(name="Bu Lead", email=f"lead{cohort.id}@karya.test")
    make.member(lead, cohort, "lead")
    return cohort, lead


# Tests that use bearer tokens read the database in contexts of their own (not the `db`
# fixture): requests made while a test holds an app context share its flask.g, where
# Flask-Login caches the person of the first request.
def _token(client, user):
    return client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]


def _mails(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "karya.mail"]


def _link(mail: str) -> str:
    match = re.search(r"https?://\S+/(?:invite|welcome)/\S+", mail)
    assert match, mail
    return match.group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


# --- creating ---------------------------------------------------------------------------

def test_a_lead_creates_a_cohort_and_becomes_its_lead(client, make, db):
    _cohort, lead = _lead_of(make)
    login(client, lead)
    assert client.get("/cohorts/new").status_code == 200
    assert b"New cohort" in client.get("/").data
    response = client.post("/cohorts/new", data={
        "name": "  Batch  Juli ", "description": "Video literasi digital", "starts_on": "2025-07-01",
        "ends_on": "2025-08-30", "timezone": "Asia/Makassar", "review_target_hours": "24"})
    assert response.status_code == 302
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.name == "Batch Juli"))
    assert response.headers["Location"] == f"/cohorts/{cohort.id}/manage"
    assert (cohort.starts_on, cohort.ends_on) == (date(2025, 7, 1), date(2025, 8, 30))
    assert cohort.timezone == "Asia/Makassar" and cohort.review_target_hours == 24
    assert len(cohort.join_code) == 8
    role = db.session.scalar(db.select(Membership.role).where(Membership.cohort_id == cohort.id,
                                                              Membership.user_id == lead.id))
    assert role is Role.LEAD
    page = client.get(response.headers["Location"])
    assert cohort.join_code.encode() in page.data


def test_the_create_page_says_what_is_wrong_and_keeps_the_input(client, make, db):
    _cohort, lead = _lead_of(make)
    login(client, lead)
    response = client.post("/cohorts/new", data={"name": "Batch Agustus", "starts_on": "2025-08-30",
                                                  "ends_on": "2025-08-01", "timezone": "Asia/Jakarta",
                                                  "review_target_hours": "48"})
    assert response.status_code == 422
    assert b"The end date cannot be before the start date." in response.data
    assert b'value="Batch Agustus"' in response.data
    response = client.post("/cohorts/new", data={"name": "", "timezone": "Asia/Jakarta"})
    assert response.status_code == 422 and b"Give the cohort a name." in response.data
    response = client.post("/cohorts/new", data={"name": "X", "timezone": "Mars/Olympus"})
    assert response.status_code == 422 and "“Mars/Olympus” is not a time zone we know".encode() in response.data
    assert db.session.scalar(db.select(db.func.count(Cohort.id))) == 1


def test_people_who_lead_no_cohort_cannot_create_one(client, make, app):
    cohort = make.cohort()
    mentor, student = make.user(), make.user()
    make.member(mentor, cohort, "mentor")
    make.member(student, cohort, "student")
    for person in (mentor, student):
        refused = client.post("/api/v1/cohorts", json={"name": "Mine"}, headers=bearer(_token(client, person)))
        assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
        login(client, person)
        assert client.get("/cohorts/new").status_code == 403
        assert client.post("/cohorts/new", data={"name": "Mine"}).status_code == 403
        assert b"New cohort" not in client.get("/").data
        client.post("/logout")
    with app.app_context():
        assert _db.session.scalar(_db.select(_db.func.count(Cohort.id))) == 1


def test_a_site_admin_may_create_a_cohort(client, make):
    admin = make.user(is_admin=True)
    created = client.post("/api/v1/cohorts", json={"name": "Admin's"}, headers=bearer(_token(client, admin)))
    assert created.status_code == 201


# --- editing, archiving, join codes ------------------------------------------------------

def test_the_lead_edits_the_settings(client, make, db):
    cohort, lead = _lead_of(make)
    login(client, lead)
    page = client.get(f"/cohorts/{cohort.id}/manage")
    assert page.status_code == 200 and b'value="Asia/Jakarta"' in page.data
    bad = client.post(f"/cohorts/{cohort.id}/manage", data={"name": "Renamed", "timezone": "Asia/Jakarta",
                                                            "review_target_hours": "0"})
    assert bad.status_code == 422 and b"The review target must be a whole number of hours" in bad.data
    assert b'value="Renamed"' in bad.data
    bad = client.post(f"/cohorts/{cohort.id}/manage", data={"name": "Renamed", "starts_on": "1/7/2025",
                                                            "timezone": "Asia/Jakarta", "review_target_hours": "8"})
    assert bad.status_code == 422 and b"Enter the date as YYYY-MM-DD, e.g. 2025-07-14." in bad.data
    good = client.post(f"/cohorts/{cohort.id}/manage", data={
        "name": "Renamed", "description": "Baru", "starts_on": "2025-07-01", "ends_on": "",
        "timezone": "Asia/Jayapura", "review_target_hours": "12"}, follow_redirects=True)
    assert b"The cohort&#39;s settings are saved." in good.data
    saved = db.session.get(Cohort, cohort.id)
    assert (saved.name, saved.description, saved.timezone, saved.review_target_hours) == \
        ("Renamed", "Baru", "Asia/Jayapura", 12)
    assert saved.starts_on == date(2025, 7, 1) and saved.ends_on is None


def test_an_archived_cohort_is_read_only_and_its_join_code_is_refused(client, make, db):
    cohort, lead = _lead_of(make)
    login(client, lead)
    archived = client.post(f"/cohorts/{cohort.id}/archive", follow_redirects=True)
    assert b"is archived: it is read-only" in archived.data and b"Unarchive" in archived.data
    assert db.session.get(Cohort, cohort.id).archived_at is not None
    refused = client.post(f"/cohorts/{cohort.id}/manage", data={"name": "Changed", "timezone": "Asia/Jakarta"},
                          follow_redirects=True)
    assert b"This cohort is archived, so it cannot be changed." in refused.data
    assert db.session.get(Cohort, cohort.id).name == "Kelas Video"
    rotated = client.post(f"/cohorts/{cohort.id}/join-code/rotate", follow_redirects=True)
    assert rotated.status_code == 409 and b"This cohort is archived" in rotated.data
    assert db.session.get(Cohort, cohort.id).join_code == cohort.join_code
    assert b"archived" in client.get(f"/cohorts/{cohort.id}/roster", follow_redirects=True).data
    home = client.get("/").data.decode()
    assert "Archived (1)" in home and "All your cohorts are archived." in home
    client.post("/logout")

    student = make.user()
    login(client, student)
    joining = client.post("/join", data={"join_code": cohort.join_code})
    assert joining.status_code == 422
    assert b"That join code has expired. Ask your workshop lead for a new one." in joining.data
    client.post("/logout")

    login(client, lead)
    client.post(f"/cohorts/{cohort.id}/unarchive")
    assert db.session.get(Cohort, cohort.id).archived_at is None
    client.post("/logout")
    login(client, student)
    assert client.post("/join", data={"join_code": cohort.join_code}).status_code == 302


def test_rotating_the_join_code_stops_the_old_one_at_once(client, make, db):
    cohort, lead = _lead_of(make)
    login(client, lead)
    response = client.post(f"/cohorts/{cohort.id}/join-code/rotate", follow_redirects=True)
    new_code = db.session.get(Cohort, cohort.id).join_code
    assert new_code != cohort.join_code
    assert f"The new join code is {new_code}. The old code no longer works.".encode() in response.data
    client.post("/logout")
    student = make.user()
    login(client, student)
    old = client.post("/join", data={"join_code": cohort.join_code})
    assert old.status_code == 422 and b"That join code is not right." in old.data
    assert client.post("/join", data={"join_code": new_code.lower()}).status_code == 302


def test_the_join_code_expiry_is_set_in_the_cohorts_time_zone(client, make, db):
    cohort, lead = _lead_of(make)
    login(client, lead)
    expiry = f"/cohorts/{cohort.id}/join-code/expiry"
    past = client.post(expiry, data={"expires_on": "2020-01-01", "expires_time": "10:00"})
    assert past.status_code == 422 and b"Choose a time in the future." in past.data
    garbled = client.post(expiry, data={"expires_on": "next week", "expires_time": "10:00"})
    assert garbled.status_code == 422 and b"Enter the date as YYYY-MM-DD, e.g. 2025-07-14." in garbled.data
    assert b'value="next week"' in garbled.data  # what was typed stays
    late = client.post(expiry, data={"expires_on": "2099-01-01", "expires_time": "6pm"})
    assert late.status_code == 422 and b"Enter the time as HH:MM, e.g. 09:30." in late.data
    future = datetime.now(timezone.utc) + timedelta(days=3)
    local = future.astimezone(timezone(timedelta(hours=7)))  # Asia/Jakarta is UTC+7
    assert client.post(expiry, data={"expires_on": local.strftime("%Y-%m-%d"),
                                     "expires_time": local.strftime("%H:%M")}).status_code == 302
    saved = db.session.get(Cohort, cohort.id)
    assert abs(saved.join_code_expires_at - future) < timedelta(minutes=1)
    manage = client.get(f"/cohorts/{cohort.id}/manage").get_data(as_text=True)
    assert f'value="{local:%Y-%m-%d}"' in manage and f'value="{local:%H:%M}"' in manage
    assert f"Works until {local.day} {local:%b %Y}, {local:%H:%M} (Asia/Jakarta)." in manage
    # A date alone: the code works to the end of that day.
    assert client.post(expiry, data={"expires_on": "2099-03-01", "expires_time": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).join_code_expires_at == datetime(2099, 3, 1, 16, 59, tzinfo=timezone.utc)
    client.post(expiry, data={"expires_on": ""})
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).join_code_expires_at is None


# --- invites -----------------------------------------------------------------------------

def test_an_invite_is_emailed_shown_once_and_accepted(client, make, db, caplog):
    caplog.set_level(logging.INFO, logger="karya.mail")
    cohort, lead = _lead_of(make)
    login(client, lead)
    response = client.post(f"/cohorts/{cohort.id}/invites", data={"email": "Rina@Karya.test", "role": "mentor"})
    assert response.status_code == 201
    mail = _mails(caplog)[-1]
    assert "To: rina@karya.test" in mail and "Subject: You are invited to Kelas Video on Karya" in mail
    link = _link(mail)
    assert link.encode() in response.data and b"wa.me" in response.data
    listing = client.get(f"/cohorts/{cohort.id}/invites").data
    assert b"rina@karya.test" in listing and link.encode() not in listing  # the link is shown only once
    client.post("/logout")

    signup = client.post(_path(link), data={"name": "Ibu Rina", "password": "long-enough-pw",
                                            "confirm": "long-enough-pw"})
    assert signup.status_code == 302
    rina = db.session.scalar(db.select(User).where(User.email == "rina@karya.test"))
    assert db.session.scalar(db.select(Membership.role).where(Membership.user_id == rina.id)) is Role.MENTOR
    # The link was shown to the lead too, so it proves nothing about the mailbox: Rina
    # is a mentor once she confirms her address from the email sent to it.
    assert client.get(f"/cohorts/{cohort.id}").status_code == 403
    confirm = re.search(r"https?://\S+(/confirm/\S+)", _mails(caplog)[-1]).group(1)
    assert "To: rina@karya.test" in _mails(caplog)[-1]
    assert client.get(confirm).status_code == 302
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    client.post("/logout")
    login(client, lead)
    assert b"rina@karya.test" not in client.get(f"/cohorts/{cohort.id}/invites").data  # no longer pending


def test_a_revoked_invite_link_stops_working_and_resending_replaces_the_link(client, make, db, caplog):
    caplog.set_level(logging.INFO, logger="karya.mail")
    cohort, lead = _lead_of(make)
    login(client, lead)
    client.post(f"/cohorts/{cohort.id}/invites", data={"email": "budi@karya.test", "role": "student"})
    first = _link(_mails(caplog)[-1])
    invite = db.session.scalar(db.select(Invite).where(Invite.email == "budi@karya.test"))
    resent = client.post(f"/invites/{invite.id}/resend")
    second = _link(_mails(caplog)[-1])
    assert resent.status_code == 200 and second != first and second.encode() in resent.data
    assert client.get(_path(first)).status_code == 410
    revoked = client.post(f"/invites/{invite.id}/revoke", follow_redirects=True)
    assert b"The invite for budi@karya.test is revoked" in revoked.data
    gone = client.get(_path(second))
    assert gone.status_code == 410 and b"This invite link is not valid." in gone.data
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "invite.revoked")) is not None


def test_inviting_bad_or_existing_addresses_says_why(client, make):
    cohort, lead = _lead_of(make)
    member = make.user(email="here@karya.test")
    make.member(member, cohort, "student")
    login(client, lead)
    bad = client.post(f"/cohorts/{cohort.id}/invites", data={"email": "not an email", "role": "student"})
    assert bad.status_code == 422 and b"Please enter a valid email address." in bad.data
    again = client.post(f"/cohorts/{cohort.id}/invites", data={"email": "HERE@karya.test", "role": "student"})
    assert again.status_code == 422 and b"here@karya.test is already in this cohort." in again.data


# --- members -----------------------------------------------------------------------------

def test_a_lead_changes_roles_and_removes_people_but_keeps_one_lead(client, make, db):
    cohort, lead = _lead_of(make)
    student = make.user(name="Sari")
    make.member(student, cohort, "student")
    membership = db.session.scalar(db.select(Membership).where(Membership.user_id == student.id))
    own = db.session.scalar(db.select(Membership).where(Membership.user_id == lead.id))
    login(client, lead)
    people = client.get(f"/cohorts/{cohort.id}/people").data
    assert b"Import a roster (CSV)" in people and f"/memberships/{membership.id}/remove".encode() in people
    page = client.post(f"/memberships/{membership.id}/role", data={"role": "mentor"}, follow_redirects=True)
    assert b"Sari is now: Mentor." in page.data
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).role is Role.MENTOR
    last = client.post(f"/memberships/{own.id}/role", data={"role": "student"}, follow_redirects=True)
    assert b"A cohort needs at least one workshop lead." in last.data
    assert client.post(f"/memberships/{own.id}/remove", follow_redirects=True).status_code == 200
    db.session.expire_all()
    assert db.session.get(Membership, own.id).role is Role.LEAD
    gone = client.post(f"/memberships/{membership.id}/remove", follow_redirects=True)
    assert b"Sari is no longer in Kelas Video." in gone.data
    assert db.session.get(Membership, membership.id) is None


# --- who may -----------------------------------------------------------------------------

def test_only_this_cohorts_leads_reach_the_lead_pages(client, make, db):
    cohort, _lead = _lead_of(make)
    _other_cohort, other_lead = _lead_of(make, name="Other")
    mentor, student = make.user(), make.user()
    make.member(mentor, cohort, "mentor")
    make.member(student, cohort, "student")
    invite = Invite(cohort_id=cohort.id, email="x@karya.test", role=Role.STUDENT, token_hash="0" * 64,
                    expires_at=datetime.now(timezone.utc) + timedelta(days=1))
    db.session.add(invite)
    db.session.commit()
    membership_id = db.session.scalar(db.select(Membership.id).where(Membership.user_id == student.id))
    pages = [("get", f"/cohorts/{cohort.id}/manage"), ("post", f"/cohorts/{cohort.id}/archive"),
             ("post", f"/cohorts/{cohort.id}/join-code/rotate"), ("get", f"/cohorts/{cohort.id}/invites"),
             ("post", f"/invites/{invite.id}/revoke"), ("get", f"/cohorts/{cohort.id}/roster"),
             ("post", f"/memberships/{membership_id}/remove")]
    for person, status in ((mentor, 403), (student, 403), (other_lead, 404)):
        login(client, person)
        for method, path in pages:
            assert getattr(client, method)(path).status_code == status, (person.name, path)
        client.post("/logout")
    assert db.session.get(Cohort, cohort.id).archived_at is None
    assert db.session.get(Membership, membership_id) is not None


def test_the_overview_links_leads_to_manage_the_cohort(client, make):
    cohort, lead = _lead_of(make)
    mentor = make.user()
    make.member(mentor, cohort, "mentor")
    login(client, lead)
    assert f"/cohorts/{cohort.id}/manage".encode() in client.get(f"/cohorts/{cohort.id}").data
    client.post("/logout")
    login(client, mentor)
    assert f"/cohorts/{cohort.id}/manage".encode() not in client.get(f"/cohorts/{cohort.id}").data


# --- API ---------------------------------------------------------------------------------

def test_the_api_creates_a_cohort_and_checks_its_fields(client, make, app):
    _cohort, lead = _lead_of(make)
    headers = bearer(_token(client, lead))
    created = client.post("/api/v1/cohorts", json={"name": "API cohort", "starts_on": "2025-07-01",
                                                   "ends_on": "2025-07-31"}, headers=headers)
    assert created.status_code == 201
    with app.app_context():
        cohort = _db.session.get(Cohort, created.json["id"])
        assert created.json["join_code"] == cohort.join_code and cohort.name == "API cohort"
    assert client.get(f"/api/v1/cohorts/{cohort.id}", headers=headers).json["role"] == "lead"
    for body, field in (({"starts_on": "2025-07-01"}, "name"),
                        ({"name": "X", "starts_on": "July 1st"}, "starts_on"),
                        ({"name": "X", "starts_on": "2025-07-02", "ends_on": "2025-07-01"}, "ends_on"),
                        ({"name": "X", "timezone": "Nowhere/Land"}, "timezone")):
        refused = client.post("/api/v1/cohorts", json=body, headers=headers)
        assert refused.status_code == 422 and refused.json["error"]["field"] == field, body


def test_the_api_adds_members_without_duplicates(client, make, app, caplog):
    caplog.set_level(logging.INFO, logger="karya.mail")
    cohort, lead = _lead_of(make)
    existing = make.user(name="Pak Guru", email="guru@karya.test")
    headers = bearer(_token(client, lead))
    url = f"/api/v1/cohorts/{cohort.id}/members"

    new = client.post(url, json={"email": "Dewi@Karya.test", "name": "Dewi", "role": "student"}, headers=headers)
    assert new.status_code == 201 and new.json["created"] is True
    assert new.json["membership"]["email"] == "dewi@karya.test" and new.json["membership"]["role"] == "student"
    link = _link(_mails(caplog)[-1])
    assert "/welcome/" in link and "choose your password" in _mails(caplog)[-1]

    again = client.post(url, json={"email": "dewi@karya.test", "name": "Dewi", "role": "lead"}, headers=headers)
    assert again.status_code == 200 and again.json["created"] is False
    assert again.json["membership"]["role"] == "student"
    # An existing account is invited, never added: its owner accepts while signed in.
    invited = client.post(url, json={"email": "guru@karya.test", "role": "mentor"}, headers=headers)
    assert invited.status_code == 202 and invited.json["status"] == "invited"
    assert invited.json["invite"]["email"] == "guru@karya.test" and invited.json["invite"]["role"] == "mentor"
    guru_mail = _mails(caplog)[-1]
    assert "To: guru@karya.test" in guru_mail and "/invite/" in _link(guru_mail)
    again = client.post(url, json={"email": "guru@karya.test", "role": "mentor"}, headers=headers)
    assert again.status_code == 202 and again.json["invite"]["id"] == invited.json["invite"]["id"]
    guru_link = _link(_mails(caplog)[-1])  # asking again renews the one invite with a new link
    with app.app_context():
        assert _db.session.scalar(_db.select(_db.func.count(User.id)).where(User.email == "dewi@karya.test")) == 1
        assert _db.session.scalar(
            _db.select(_db.func.count(Membership.id)).where(Membership.cohort_id == cohort.id)) == 2
        assert _db.session.scalar(_db.select(_db.func.count(Invite.id)).where(Invite.email == "guru@karya.test")) == 1

    for body, field in (({"email": "x@karya.test", "name": "X", "role": "boss"}, "role"),
                        ({"email": "nope", "name": "X"}, "email"),
                        ({"email": "nameless@karya.test"}, "name")):
        refused = client.post(url, json=body, headers=headers)
        assert refused.status_code == 422 and refused.json["error"]["field"] == field, body

    # The new person cannot log in until they choose a password through the link.
    assert client.post("/login", data={"email": "dewi@karya.test", "password": "a-guess-at-all"}).status_code == 401
    page = client.get(_path(link))
    assert page.status_code == 200 and b'value="Dewi"' in page.data
    done = client.post(_path(link), data={"name": "Dewi S.", "password": "dewi-password",
                                          "confirm": "dewi-password"})
    assert done.status_code == 302 and done.headers["Location"] == f"/cohorts/{cohort.id}"
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    client.post("/logout")
    assert client.post("/login", data={"email": "dewi@karya.test", "password": "dewi-password"}).status_code == 302
    assert client.get(_path(link)).status_code == 410  # used
    client.post("/logout")

    login(client, existing)
    assert client.post(_path(guru_link)).status_code == 302
    with app.app_context():
        assert _db.session.scalar(_db.select(Membership.role).where(
            Membership.cohort_id == cohort.id, Membership.user_id == existing.id)) is Role.MENTOR


def test_the_api_refuses_members_from_mentors_and_for_archived_cohorts(client, make, app):
    cohort, lead = _lead_of(make)
    mentor = make.user()
    make.member(mentor, cohort, "mentor")
    body = {"email": "z@karya.test", "name": "Z"}
    url = f"/api/v1/cohorts/{cohort.id}/members"
    assert client.post(url, json=body, headers=bearer(_token(client, mentor))).status_code == 403
    with app.app_context():
        _db.session.get(Cohort, cohort.id).archived_at = datetime.now(timezone.utc)
        _db.session.commit()
    archived = client.post(url, json=body, headers=bearer(_token(client, lead)))
    assert archived.status_code == 409 and archived.json["error"]["code"] == "archived"
    with app.app_context():
        assert _db.session.scalar(_db.select(User.id).where(User.email == "z@karya.test")) is None


def test_an_archived_cohort_is_read_only_everywhere_but_consent_and_unarchiving(app, client, make):
    """Archiving ends the workshop: no new assignments, sessions, comments or uploads; pages still
    open; a guardian can still withdraw consent; a lead can unarchive."""
    import io

    from workshop.cohorts.models import Assignment
    from workshop.db_types import utcnow
    from workshop.extensions import db

    cohort = make.cohort(name="Ended")
    lead, student = make.user(name="Lead", email="lead-arch@karya.test"), make.user(email="stu-arch@karya.test")
    make.member(lead, cohort, "lead")
    make.member(student, cohort, "student")
    assignment = make.assignment(cohort, title="Old brief")
    with app.app_context():
        from workshop.cohorts.models import Cohort

        db.session.get(Cohort, cohort.id).archived_at = utcnow()
        db.session.commit()

    login(client, lead)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200  # still readable
    refused = client.post(f"/cohorts/{cohort.id}/assignments/new", data={"title": "New", "max_minutes": "2"})
    assert refused.status_code == 409 and b"archived" in refused.data
    refused = client.post(f"/assignments/{assignment.id}/edit", data={"title": "Changed", "max_minutes": "2"})
    assert refused.status_code == 409
    with app.app_context():
        assert db.session.get(Assignment, assignment.id).title == "Old brief"
        assert db.session.scalar(db.select(db.func.count()).select_from(Assignment)) == 1

    api = app.test_client()
    token = api.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"]
    upload = api.post(f"/api/v1/assignments/{assignment.id}/versions", headers={"Authorization": f"Bearer {token}"},
                      data={"file": (io.BytesIO(b"x" * 10), "v.mp4")})
    assert upload.status_code == 409 and upload.json["error"]["code"] == "archived"
    from base64 import b64encode

    meta = f"assignment_id {b64encode(str(assignment.id).encode()).decode()},filename {b64encode(b'v.mp4').decode()}"
    tus = api.post("/api/v1/uploads", headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0",
                                               "Upload-Length": "10", "Upload-Metadata": meta})
    assert tus.status_code == 409 and "ended" in tus.json["error"]["message"]

    assert client.post(f"/cohorts/{cohort.id}/unarchive").status_code in (302, 303)
    assert client.post(f"/cohorts/{cohort.id}/assignments/new", data={"title": "New", "max_minutes": "2"}
                       ).status_code == 302
