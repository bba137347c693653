"""The secret tokens in calendar-feed URLs.

Calendar apps fetch feeds without cookies, so the token in the URL is the whole access
check. Tokens are 32 URL-safe characters (192 random bits), made on first use and
rotated on request, which turns the old URL into a 404.
"""

from __future__ import annotations

import hmac
import secrets

import sqlalchemy as sa

from ..access import is_confirmed
from ..accounts.models import User
from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..extensions import db
from .models import WorkshopSession

TOKEN_LENGTH = 32  # the columns' size; token_urlsafe(24) gives exactly 32 characters
# The first characters select the candidate rows; the whole token is then compared in
# constant time, so response times reveal nothing about the secret part.
SELECTOR_LENGTH = 8
_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def ensure_token(row: Cohort | User) -> str:
    """The row's feed token, made now if it has none. Two requests racing here agree on one."""
    model = type(row)
    db.session.execute(
        sa.update(model).where(model.id == row.id, model.calendar_token.is_(None))
        .values(calendar_token=new_token()).execution_options(synchronize_session=False))
    db.session.refresh(row, ["calendar_token"])
    return row.calendar_token


def rotate_token(row: Cohort | User) -> str:
    """Give the row a new feed token; the old URL stops working. The caller commits."""
    row.calendar_token = new_token()
    record("calendar.token_rotated", target=row)
    return row.calendar_token


def _by_token(model, token: str):
    if len(token) != TOKEN_LENGTH or not set(token) <= _ALPHABET:
        return None
    # substr rather than an equality lookup: an index lookup's timing could leak how much
    # of a guess matched. The few rows sharing a selector are compared in constant time.
    candidates = db.session.scalars(
        db.select(model).where(sa.func.substr(model.calendar_token, 1, SELECTOR_LENGTH) == token[:SELECTOR_LENGTH]))
    found = None
    for row in candidates:
        if hmac.compare_digest(row.calendar_token.encode(), token.encode()):
            found = row
    return found


def cohort_by_token(token: str) -> Cohort | None:
    return _by_token(Cohort, token)


def user_by_token(token: str) -> User | None:
    user = _by_token(User, token)
    return user if user is not None and user.deleted_at is None else None


def sessions_of_user(user: User) -> list[WorkshopSession]:
    """Every session of every cohort the person belongs to (in any role), earliest first;
    none until the person's address is confirmed (``access.py``)."""
    if not is_confirmed(user):
        return []
    return list(db.session.scalars(
        db.select(WorkshopSession)
        .join(Membership, Membership.cohort_id == WorkshopSession.cohort_id)
        .where(Membership.user_id == user.id)
        .options(db.joinedload(WorkshopSession.cohort))
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)))
