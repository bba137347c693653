"""How a request is tied to a person: a login session, or a bearer token on the API.

Logging in makes a :class:`LoginSession` row holding the SHA-256 of a random key, and
Flask-Login's user id becomes ``"<user id>.<key>"`` (``User.get_id``). Both the session
cookie and the remember-me cookie carry that id, so each names one login session, and
a request is signed in only while that row is unrevoked: logging out revokes it, a
password change revokes all of them, and a copied or leftover cookie then opens nothing.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, or_, update

from ..db_types import utcnow
from ..errors import during_outage
from ..extensions import db
from .models import ApiToken, LoginSession, User, hash_token

log = logging.getLogger("karya.accounts")

# Writing last_used_at on every API call would turn reads into writes.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def user_from_bearer() -> User | None:
    """The person behind a valid, unrevoked bearer token on an API or media route, else None.

    Media URLs accept tokens so that API clients can download what the API links to.
    """
    raw = bearer_token()
    if raw is None or not request.path.startswith(("/api/", "/media/")):
        return None
    token = db.session.scalar(
        db.select(ApiToken).where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    g.api_token = token
    return token.user


def sign_in(user: User, *, remember: bool = False) -> None:
    """Log ``user`` in on this browser with a new login session.

    The cookie session starts afresh, keeping only the language choice: nothing a
    visitor (or someone who planted a session cookie) put in it carries over, and the
    CSRF token, kept in the session by Flask-WTF, changes.
    """
    locale = session.get("locale")
    session.clear()
    if locale is not None:
        session["locale"] = locale
    key = secrets.token_urlsafe(32)
    login_session = LoginSession(user_id=user.id, key_hash=hash_token(key))
    db.session.add(login_session)
    db.session.commit()
    user.login_key = key
    g.login_session_id = login_session.id
    login_user(user, remember=remember)


def sign_out() -> None:
    """End this browser's login session on the server, then forget it in the cookies."""
    login_session_id = g.get("login_session_id")
    if login_session_id is not None:
        db.session.execute(update(LoginSession)
                           .where(LoginSession.id == login_session_id, LoginSession.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
        db.session.commit()
    logout_user()


def end_every_session(user: User) -> None:
    """Revoke every login session and API token of ``user`` (the caller commits).

    After a password change, whoever knew the old password, or holds a cookie or
    token obtained with it, is signed out everywhere.
    """
    now = utcnow()
    db.session.execute(update(LoginSession)
                       .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
                       .values(revoked_at=now))
    db.session.execute(update(ApiToken)
                       .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))


def _parse_login_id(login_id: str) -> tuple[int, str] | None:
    user_id, dot, key = (login_id or "").partition(".")
    if not (dot and key and user_id.isascii() and user_id.isdigit() and len(user_id) <= 18):
        return None  # e.g. a cookie from before login sessions, naming a user id alone
    return int(user_id), key


# Built once, with bound parameters: every page asks, and building it cost about 0.6 ms of CPU
# a view, more than running it (docs/performance.md, "What the pages cost").
@cache
def _user_session_and_unread_statement(unread_count_of):
    return (db.select(User, LoginSession.id, unread_count_of(User.id))
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(User.id == bindparam("user_id"), LoginSession.key_hash == bindparam("key_hash"),
                   LoginSession.revoked_at.is_(None), LoginSession.created_at > bindparam("not_before")))


def login_session_lifetime() -> timedelta:
    """How long a login session lasts at most: as long as the longer of the two cookies.

    Enforced here as well as by the cookies' expiry: a remember-me cookie carries no date
    of its own, so a copy kept past its expiry would otherwise still open the account.
    """
    config = current_app.config
    return max(config["PERMANENT_SESSION_LIFETIME"], config["REMEMBER_COOKIE_DURATION"])


def purge_ended_login_sessions() -> int:
    """Housekeeping chore: delete the login sessions that can open nothing any more,
    revoked or older than :func:`login_session_lifetime`; commits, returns how many.

    A plain conditional DELETE: two workers running it at once delete each row once.
    """
    ended = db.session.execute(
        delete(LoginSession).where(or_(LoginSession.revoked_at.is_not(None),
                                       LoginSession.created_at <= utcnow() - login_session_lifetime()))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if ended:
        log.info("deleted %s ended login sessions", ended)
    return ended


def init_login_manager(login_manager, *, unread_count_of) -> None:
    """Load the person behind each request. ``unread_count_of(user id column)`` is the SQL
    counting their unread notifications, for the page header: the notifications package's,
    read here with the person so that a page costs one round trip. (Notifications are about
    accounts, so that package is handed to this one rather than imported.)"""
    # "basic", not "strong": phones on school networks change address often.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(login_id: str):
        """The person and their live login session named by a cookie's id, else None."""
        parsed = _parse_login_id(login_id)
        if parsed is None or during_outage():
            return None
        user_id, key = parsed
        # The login session and the header's unread count come in the same query as the
        # person: one round trip on every page.
        row = db.session.execute(_user_session_and_unread_statement(unread_count_of), {
            "user_id": user_id, "key_hash": hash_token(key), "not_before": utcnow() - login_session_lifetime(),
        }).first()
        if row is None:
            return None
        user, g.login_session_id, g.unread_notifications = row
        user.login_key = key
        return user if user.is_active else None

    @login_manager.request_loader
    def load_user_from_request(_request):
        if during_outage():
            return None
        return user_from_bearer()
