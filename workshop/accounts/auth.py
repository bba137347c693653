"""How a request is tied to a person: the session cookie, or a bearer token on the API."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from flask import g, request
from sqlalchemy import bindparam, func

from ..db_types import utcnow
from ..extensions import db
from .models import ApiToken, User, hash_token

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


@cache
def _user_and_unread_statement():
    from ..notifications.models import Notification
    from ..notifications.service import still_a_member

    unread = (db.select(func.count(Notification.id))
              .where(Notification.user_id == User.id, Notification.read_at.is_(None), still_a_member())
              .scalar_subquery())
    return db.select(User, unread).where(User.id == bindparam("user_id"))


def init_login_manager(login_manager) -> None:
    # "basic", not "strong": phones on school networks change address often.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        # The header's unread count comes in the same query: one round trip less on every page.
        row = db.session.execute(_user_and_unread_statement(), {"user_id": int(user_id)}).first()
        if row is None:
            return None
        user, g.unread_notifications = row
        return user if user.is_active else None

    @login_manager.request_loader
    def load_user_from_request(_request):
        return user_from_bearer()
