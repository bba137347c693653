"""Sign-up, log-in, log-out, rate limits, CSRF, invites and password reset."""

from __future__ import annotations

import re
from datetime import timedelta

from workshop.accounts import service
from workshop.accounts.models import User
from workshop.cohorts.models import Cohort, Membership
from workshop.roles import Role
from workshop.db_types import utcnow
from workshop.invitations import service as invitations

from .helpers import PASSWORD, csrf_token_from, login


def _signup(client, code, email="new@karya.test", password="a-good-password", confirm=None):
    return client.post("/signup", data={
        "join_code": code, "name": "Nadia Putri", "email": email,
        "password": password, "confirm": confirm or password,
    })


def test_signup_with_a_valid_join_code_makes_a_student(client, make, db):
    cohort = make.cohort(join_code="ABCD2345")
    response = _signup(client, "abcd 2345")  # spaces and lower case are forgiven
    assert response.status_code == 302 and response.headers["Location"] == "/"
    user = db.session.scalar(db.select(User).where(User.email == "new@karya.test"))
    membership = db.session.scalar(db.select(Membership).where(Membership.user_id == user.id))
    assert membership.cohort_id == cohort.id and membership.role is Role.STUDENT
    assert user.password_hash.startswith("$argon2id$")
    assert b"Nadia Putri" in client.get("/").data  # signed in straight away


def test_signup_with_a_wrong_join_code_is_refused(client, make, db):
    make.cohort(join_code="ABCD2345")
    response = _signup(client, "WRONG999")
    assert response.status_code == 422
    assert b"That join code is not right" in response.data
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_signup_with_an_expired_join_code_is_refused(client, make, db):
    make.cohort(join_code="OLDC0DE2", join_code_expires_at=utcnow() - timedelta(minutes=1))
    response = _signup(client, "OLDC0DE2")
    assert response.status_code == 422
    assert b"That join code has expired" in response.data
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_signup_into_an_archived_cohort_is_refused(client, make):
    make.cohort(join_code="ARCH2345", archived_at=utcnow())
    assert b"That join code has expired" in _signup(client, "ARCH2345").data


def test_signup_with_a_duplicate_email_is_refused(client, make, db):
    make.cohort(join_code="ABCD2345")
    make.user(email="taken@karya.test")
    response = _signup(client, "ABCD2345", email="Taken@Karya.test")
    assert response.status_code == 422
    assert b"An account with this email already exists" in response.data
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_signup_form_errors_are_shown_per_field(client, make):
    make.cohort(join_code="ABCD2345")
    response = _signup(client, "ABCD2345", email="not-an-email", password="short", confirm="other")
    assert response.status_code == 422
    html = response.data.decode()
    assert "Please enter a valid email address." in html
    assert "Use at least 8 characters for your password." in html
    assert 'aria-invalid="true"' in html


def test_login_success_and_logout(client, make):
    user = make.user()
    login(client, user)
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_login_failure_says_so_without_revealing_which_part(client, make):
    user = make.user()
    wrong_password = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    unknown_email = client.post("/login", data={"email": "nobody@karya.test", "password": "nope-nope"})
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert b"That email and password do not match" in response.data
    assert client.get("/").status_code == 302


def test_login_next_never_leaves_the_site(client, make):
    user = make.user()
    response = client.post("/login?next=//evil.example/steal", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    response = client.get("/login?next=/join")
    assert response.status_code == 302 and response.headers["Location"] == "/join"


def test_login_is_rate_limited_per_account(client, make, app):
    user = make.user()
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit):
        assert client.post("/login", data={"email": user.email, "password": "guess"}).status_code == 401
    # Now even the right password is refused for a while, on the page and on the API.
    blocked = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data
    api = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert api.status_code == 429 and api.json["error"]["code"] == "rate_limited"
    # Another account from the same address is not affected.
    other = make.user(email="other@karya.test")
    login(client, other)


def test_successful_logins_do_not_count_towards_the_limit(client, make, app):
    user = make.user()
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit + 2):
        login(client, user)
        client.post("/logout")


def test_login_is_rate_limited_per_address(client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    users = [make.user(email=f"p{i}@karya.test") for i in range(4)]
    for user in users[:3]:
        assert client.post("/login", data={"email": user.email, "password": "guess"}).status_code == 401
    assert client.post("/login", data={"email": users[3].email, "password": PASSWORD}).status_code == 429
    # A different address still gets in.
    other_address = client.post("/login", data={"email": users[3].email, "password": PASSWORD},
                                environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_address.status_code == 302


def test_a_form_post_without_csrf_token_is_refused(csrf_app, make):
    client = csrf_app.test_client()
    user = make.user()
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert b"This form has expired or did not come from Karya" in refused.data
    token = csrf_token_from(client.get("/login").data)
    accepted = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302


def test_cookie_session_api_writes_need_the_csrf_header(csrf_app, make):
    client = csrf_app.test_client()
    user = make.user()
    token = csrf_token_from(client.get("/login").data)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    refused = client.delete("/api/v1/tokens/1")
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    page_token = csrf_token_from(client.get("/").data)
    allowed = client.delete("/api/v1/tokens/1", headers={"X-CSRFToken": page_token})
    assert allowed.status_code == 404  # past CSRF; there is simply no such token


def test_session_cookie_is_httponly_and_samesite(client, make):
    user = make.user()
    response = login(client, user)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_outside_the_embedded_default(monkeypatch, tmp_path):
    from workshop.config import from_environment

    monkeypatch.delenv("KARYA_EMBEDDED", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("KARYA_EMBEDDED", "1")
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is False


def test_secret_key_is_required_outside_the_embedded_default(monkeypatch):
    import pytest

    from workshop import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("KARYA_EMBEDDED", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_signed_in_person_joins_another_cohort_with_a_code(client, make, db):
    user = make.user()
    first = make.cohort(name="First")
    make.member(user, first, "mentor")
    second = make.cohort(name="Second", join_code="SEC0ND22")
    login(client, user)
    response = client.post("/join", data={"join_code": "sec0nd22"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cohorts/{second.id}"
    roles = dict(db.session.execute(
        db.select(Membership.cohort_id, Membership.role).where(Membership.user_id == user.id)).all())
    assert roles == {first.id: Role.MENTOR, second.id: Role.STUDENT}
    assert b"That join code is not right" in client.post("/join", data={"join_code": "NOPE"}).data


def _invite(app, cohort_id, email, role, expires_in=None):
    with app.app_context():
        from workshop.extensions import db

        invite, raw = invitations.create_invite(db.session.get(Cohort, cohort_id), email, role, None)
        if expires_in is not None:
            invite.expires_at = utcnow() + expires_in
        db.session.commit()
        return raw


def test_invite_link_signs_up_in_the_invited_role(client, make, app, db):
    cohort = make.cohort()
    raw = _invite(app, cohort.id, "Mentor@Karya.test", Role.MENTOR)
    page = client.get(f"/invite/{raw}")
    assert page.status_code == 200 and b"mentor@karya.test" in page.data
    response = client.post(f"/invite/{raw}", data={"name": "Ibu Rina", "password": "long-enough-pw",
                                                   "confirm": "long-enough-pw"})
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "mentor@karya.test"))
    assert db.session.scalar(db.select(Membership.role).where(Membership.user_id == user.id)) is Role.MENTOR
    client.post("/logout")
    used = client.get(f"/invite/{raw}")
    assert used.status_code == 410 and b"already been used" in used.data


def test_invite_for_an_existing_account_is_accepted_after_login(client, make, app, db):
    cohort = make.cohort()
    user = make.user(email="teacher@karya.test")
    raw = _invite(app, cohort.id, "teacher@karya.test", Role.LEAD)
    response = client.get(f"/invite/{raw}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, user)
    assert client.post(f"/invite/{raw}").status_code == 302
    assert db.session.scalar(db.select(Membership.role).where(Membership.user_id == user.id)) is Role.LEAD


def test_a_forwarded_invite_cannot_be_accepted_by_someone_else(client, make, app, db):
    """A student holding a lead invite meant for their teacher must not become a lead."""
    cohort = make.cohort()
    student = make.user(email="student@karya.test")
    make.member(student, cohort, "student")
    raw = _invite(app, cohort.id, "teacher@karya.test", Role.LEAD)
    login(client, student)
    page = client.get(f"/invite/{raw}")
    assert page.status_code == 403 and b"sent to another email address" in page.data
    assert client.post(f"/invite/{raw}").status_code == 403
    assert db.session.scalar(db.select(Membership.role).where(Membership.user_id == student.id)) is Role.STUDENT
    with app.app_context():
        from workshop.invitations.models import Invite

        assert db.session.scalar(db.select(Invite.accepted_at)) is None  # still usable by the teacher


def test_expired_and_unknown_invites_are_refused(client, make, app):
    cohort = make.cohort()
    raw = _invite(app, cohort.id, "late@karya.test", Role.STUDENT, expires_in=timedelta(seconds=-1))
    expired = client.get(f"/invite/{raw}")
    assert expired.status_code == 410 and b"This invite has expired" in expired.data
    unknown = client.get("/invite/not-a-real-token")
    assert unknown.status_code == 410 and b"not valid" in unknown.data


def _reset_link_from_log(caplog) -> str:
    mails = [r.getMessage() for r in caplog.records if r.name == "karya.mail"]
    assert mails, "no email was written to the log"
    match = re.search(r"http://localhost(/password/reset/\S+)", mails[-1])
    assert match, mails[-1]
    return match.group(1)


def test_password_reset_by_emailed_link(client, make, caplog):
    user = make.user(email="forgetful@karya.test")
    caplog.set_level("INFO", logger="karya.mail")
    response = client.post("/password/forgot", data={"email": "forgetful@karya.test"})
    assert response.status_code == 302
    link = _reset_link_from_log(caplog)
    assert "To: forgetful@karya.test" in caplog.text
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert done.status_code == 302
    login(client, user, password="brand-new-password")
    client.post("/logout")
    # The link works once only.
    reused = client.get(link)
    assert reused.status_code == 302 and "/password/forgot" in reused.headers["Location"]
    assert b"already been used" in client.get(reused.headers["Location"]).data


def test_password_reset_link_expires(client, make, app, caplog, monkeypatch):
    make.user(email="slow@karya.test")
    caplog.set_level("INFO", logger="karya.mail")
    client.post("/password/forgot", data={"email": "slow@karya.test"})
    link = _reset_link_from_log(caplog)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE_S", -1)
    response = client.get(link)
    assert response.status_code == 302
    assert b"This reset link has expired" in client.get(response.headers["Location"]).data


def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(client, caplog):
    caplog.set_level("INFO", logger="karya.mail")
    response = client.post("/password/forgot", data={"email": "ghost@karya.test"}, follow_redirects=True)
    assert b"If an account uses that email" in response.data
    assert not [r for r in caplog.records if r.name == "karya.mail"]


def test_reset_email_is_in_the_persons_language(client, make, caplog):
    make.user(email="siti@karya.test", locale="id")
    caplog.set_level("INFO", logger="karya.mail")
    client.post("/password/forgot", data={"email": "siti@karya.test"})
    mail = [r.getMessage() for r in caplog.records if r.name == "karya.mail"][-1]
    assert "Subject: " in mail
    # The Indonesian catalogue translates the greeting.
    assert "Halo" in mail


def test_production_password_hashing_keeps_argon2_defaults(tmp_path):
    """The suite hashes with cheap parameters; the real configuration must not."""
    from argon2 import PasswordHasher
    from argon2 import extract_parameters

    from workshop.config import from_environment

    defaults = PasswordHasher()
    params = from_environment(str(tmp_path))["PASSWORD_HASH_PARAMS"]
    assert params == (defaults.time_cost, defaults.memory_cost, defaults.parallelism)
    assert params[1] >= 19 * 1024  # OWASP's floor for Argon2id memory

    stored = PasswordHasher(*params).hash("a long enough password")
    from workshop.accounts.service import _hasher_for

    assert _hasher_for(*params)[0].verify(stored, "a long enough password")
    found = extract_parameters(stored)
    assert (found.time_cost, found.memory_cost, found.parallelism) == params
    assert found.type.name == "ID"
