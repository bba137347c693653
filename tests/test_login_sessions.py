"""Sessions that really end: logging out and changing the password end them on the server,
so replayed cookies and old tokens open nothing; the session and its CSRF token start
afresh at log-in. Also the limits on reset emails and on guessing join codes."""

from __future__ import annotations

import re

from workshop.accounts.models import ApiToken, LoginSession, User
from workshop.extensions import db

from .helpers import PASSWORD, bearer, csrf_token_from, login

# No test here uses the ``db`` fixture: its app context would be shared by every request
# of the test client, and with it Flask-Login's cached user, so nothing would be reloaded.


def _scalar(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def _cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def _reset_link(caplog) -> str:
    mails = [r.getMessage() for r in caplog.records if r.name == "karya.mail"]
    assert mails, "no email was written to the log"
    match = re.search(r"http://localhost(/password/reset/\S+)", mails[-1])
    assert match, mails[-1]
    return match.group(1)


def _reset_mails(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "karya.mail" and "/password/reset/" in r.getMessage()]


def _replay(app, **cookies):
    """A new browser holding only these cookies (copied from another one)."""
    client = app.test_client()
    for name, value in cookies.items():
        if value is not None:
            client.set_cookie(name, value, domain="localhost")
    return client


# --- log-out ------------------------------------------------------------------------

def test_a_session_cookie_replayed_after_logout_is_signed_out(app, client, make):
    user = make.user()
    login(client, user)
    stolen = _cookie(client, "session")
    assert _signed_in(_replay(app, session=stolen))  # a copy works while the session lives
    assert client.post("/logout").status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, session=stolen))
    assert _scalar(app, db.select(LoginSession.revoked_at).where(LoginSession.user_id == user.id))


def test_a_remember_cookie_replayed_after_logout_is_signed_out(app, client, make):
    user = make.user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    remembered = _cookie(client, "remember_token")
    assert remembered
    assert _signed_in(_replay(app, remember_token=remembered))  # brings the browser back in
    client.post("/logout")
    assert not _signed_in(_replay(app, remember_token=remembered))


def test_a_remember_cookie_stops_working_when_its_login_session_is_too_old(app, client, make):
    from datetime import timedelta

    from sqlalchemy import update

    from workshop.accounts.auth import login_session_lifetime
    from workshop.db_types import utcnow

    user = make.user()
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remembered = _cookie(client, "remember_token")
    with app.app_context():
        db.session.execute(update(LoginSession).values(
            created_at=utcnow() - login_session_lifetime() - timedelta(minutes=1)))
        db.session.commit()
    assert not _signed_in(_replay(app, remember_token=remembered))


def test_logging_out_ends_only_that_browser(app, make):
    user = make.user()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user)
    login(laptop, user)
    phone.post("/logout")
    assert not _signed_in(phone) and _signed_in(laptop)


def test_a_cookie_naming_only_a_user_id_opens_nothing(app, client, make):
    """A session from before login sessions, or a forged one without a key, is not signed in."""
    user = make.user()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not _signed_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.made-up-key"
    assert not _signed_in(client)


def test_a_login_session_of_one_person_does_not_open_another(app, client, make):
    alice, bob = make.user(name="Alice"), make.user(name="Bob")
    login(client, alice)
    with client.session_transaction() as session:
        _, key = session["_user_id"].split(".", 1)
        session["_user_id"] = f"{bob.id}.{key}"
    assert not _signed_in(client)


def test_the_user_loader_is_one_query(app, client, make):
    from sqlalchemy import event

    user = make.user()
    login(client, user)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/api/v1/me").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    loads = [s for s in statements if "login_sessions" in s]
    assert len(loads) == 1 and "users" in loads[0] and "notifications" in loads[0]


# --- log-in -------------------------------------------------------------------------

def test_the_csrf_token_changes_at_login(csrf_app, make):
    client = csrf_app.test_client()
    user = make.user()
    before = csrf_token_from(client.get("/login").data)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302
    after = csrf_token_from(client.get("/").data)
    assert after != before
    # The old token no longer passes.
    refused = client.post("/language", data={"locale": "id", "next": "/", "csrf_token": before})
    assert refused.status_code == 400
    assert client.post("/language", data={"locale": "id", "next": "/", "csrf_token": after}).status_code == 302


def test_login_starts_a_fresh_session_but_keeps_the_language(client, make):
    user = make.user()
    client.post("/language", data={"locale": "id", "next": "/login"})
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "id"


# --- password reset -----------------------------------------------------------------

def test_a_password_reset_ends_every_session_remember_cookie_and_token(app, make, caplog):
    user = make.user(email="reset-me@karya.test")
    laptop = app.test_client()
    laptop.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    session_cookie, remembered = _cookie(laptop, "session"), _cookie(laptop, "remember_token")
    token = app.test_client().post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200

    caplog.set_level("INFO", logger="karya.mail")
    stranger = app.test_client()
    stranger.post("/password/forgot", data={"email": user.email})
    done = stranger.post(_reset_link(caplog), data={"password": "brand-new-password",
                                                    "confirm": "brand-new-password"})
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    assert not _signed_in(laptop)
    assert not _signed_in(_replay(app, session=session_cookie))
    assert not _signed_in(_replay(app, remember_token=remembered))
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert not _signed_in(stranger)
    assert _scalar(app, db.select(db.func.count(ApiToken.id)).where(ApiToken.revoked_at.is_(None))) == 0
    login(app.test_client(), user, password="brand-new-password")


def test_the_browser_that_resets_while_signed_in_stays_signed_in_with_a_new_session(app, make, caplog):
    user = make.user(email="here@karya.test")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    old_cookie = _cookie(here, "session")
    caplog.set_level("INFO", logger="karya.mail")
    here.post("/password/forgot", data={"email": user.email})
    done = here.post(_reset_link(caplog), data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert not _signed_in(_replay(app, session=old_cookie))
    assert _scalar(app, db.select(db.func.count(LoginSession.id)).where(LoginSession.revoked_at.is_(None))) == 1


def test_a_reset_through_the_emailed_link_confirms_the_address(app, client, make, caplog):
    user = make.user(email="unconfirmed@karya.test", email_confirmed_at=None)
    caplog.set_level("INFO", logger="karya.mail")
    client.post("/password/forgot", data={"email": user.email})
    client.post(_reset_link(caplog), data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert _scalar(app, db.select(User.email_confirmed_at).where(User.id == user.id)) is not None


# --- reset emails and join codes are limited ----------------------------------------

def test_eight_reset_requests_in_a_row_do_not_send_eight_emails(app, client, make, caplog):
    user = make.user(email="flooded@karya.test")
    caplog.set_level("INFO", logger="karya.mail")
    answers = []
    for _ in range(8):
        response = client.post("/password/forgot", data={"email": user.email}, follow_redirects=True)
        answers.append((response.status_code, response.data.count(b"If an account uses that email")))
    assert len(set(answers)) == 1 and answers[0] == (200, 1)  # the same answer every time
    sent = len(_reset_mails(caplog))
    assert 1 <= sent <= int(app.config["PASSWORD_RESET_LIMIT_PER_ACCOUNT"].split()[0]) < 8


def test_reset_requests_are_limited_per_address(app, client, make, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_LIMIT_PER_ADDRESS", "3 per hour")
    users = [make.user(email=f"r{i}@karya.test") for i in range(5)]
    caplog.set_level("INFO", logger="karya.mail")
    for user in users:
        client.post("/password/forgot", data={"email": user.email})
    assert len(_reset_mails(caplog)) == 3
    client.post("/password/forgot", data={"email": users[4].email}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert len(_reset_mails(caplog)) == 4


def test_wrong_join_codes_are_limited_per_address_at_signup(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "JOIN_CODE_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    make.cohort(join_code="RIGHT234")

    def signup(code, email, address="127.0.0.1"):
        return client.post("/signup", data={"join_code": code, "name": "Guesser", "email": email,
                                            "password": "a-good-password", "confirm": "a-good-password"},
                           environ_base={"REMOTE_ADDR": address})

    for i in range(3):
        assert b"That join code is not right" in signup(f"GUESS{i:03d}", f"g{i}@karya.test").data
    refused = signup("RIGHT234", "late@karya.test")  # even the right code, for a while
    assert refused.status_code == 422 and b"Too many wrong join codes" in refused.data
    assert _scalar(app, db.select(User.id).where(User.email == "late@karya.test")) is None
    assert signup("RIGHT234", "other@karya.test", address="10.2.3.4").status_code == 302


def test_right_join_codes_do_not_count(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "JOIN_CODE_LIMIT_PER_ADDRESS", "2 per 15 minutes")
    make.cohort(join_code="CLASS234")
    for i in range(4):
        response = app.test_client().post("/signup", data={
            "join_code": "CLASS234", "name": "Classmate", "email": f"c{i}@karya.test",
            "password": "a-good-password", "confirm": "a-good-password"})
        assert response.status_code == 302


def test_wrong_join_codes_are_limited_on_the_join_form_too(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "JOIN_CODE_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    make.cohort(join_code="RIGHT234")
    login(client, make.user())
    for i in range(3):
        assert b"That join code is not right" in client.post("/join", data={"join_code": f"NOPE{i:04d}"}).data
    refused = client.post("/join", data={"join_code": "RIGHT234"})
    assert refused.status_code == 422 and b"Too many wrong join codes" in refused.data


def test_limits_are_read_in_the_documented_notation():
    import pytest

    from workshop.accounts.throttle import Limit, parse_limit

    assert parse_limit("5 per 15 minutes") == Limit(5, 900)
    assert parse_limit("30 per hour") == Limit(30, 3600)
    assert parse_limit("10/day") == Limit(10, 86400)
    assert parse_limit("100000 per minute") == Limit(100000, 60)
    with pytest.raises(ValueError):
        parse_limit("five a minute")
