"""Account operations: passwords, sign-up, joining cohorts with a code and password reset.

Views call these; they raise one of the refusals of ``workshop/errors.py`` (its class
decides the status; ``field`` names the form field when there is one) with a translated
message when the person has to do something differently.
"""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..db_types import utcnow
from ..errors import Conflict, Gone, Invalid, NotFound, TooManyAttempts
from ..extensions import db
from ..roles import Role
from .auth import end_every_session
from .models import User, hash_token
from .throttle import join_code_attempt



@functools.cache
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """The hasher for these Argon2 parameters, and a hash verified against when the email
    is unknown, so a miss costs as long as a hit and timing does not reveal who has an account."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher, hasher.hash(secrets.token_urlsafe(16))


def _hasher() -> tuple[PasswordHasher, str]:
    """Production uses argon2-cffi's defaults (RFC 9106's low-memory profile); the test
    configuration lowers them, since the suite creates and logs in hundreds of people."""
    return _hasher_for(*current_app.config["PASSWORD_HASH_PARAMS"])

MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def authenticate(email: str, password: str) -> User | None:
    """The active person with this email and password, else None."""
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    hasher, dummy_hash = _hasher()
    stored = user.password_hash if user is not None else dummy_hash
    try:
        hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def cohort_for_join_code(code: str) -> Cohort:
    """The cohort a join code opens, or a refusal saying why it does not.

    Wrong codes are limited per address (accounts/throttle.py): codes are short enough
    to guess, and each one opens a cohort of minors.
    """
    refused = TooManyAttempts(_l("Too many wrong join codes. Wait a few minutes, then check the code "
                                 "with your workshop lead."), field="join_code", code="join_code_throttled")
    with join_code_attempt(refused):
        return _cohort_for_join_code(code)


def _cohort_for_join_code(code: str) -> Cohort:
    normalised = "".join((code or "").split()).upper()
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.join_code == normalised)) if normalised else None
    if cohort is None:
        raise Invalid(_l("That join code is not right. Check it with your workshop lead."),
                      field="join_code", code="join_code_unknown")
    if not cohort.join_code_valid():
        raise Gone(_l("That join code has expired. Ask your workshop lead for a new one."),
                   field="join_code", code="join_code_expired")
    return cohort


def create_user(email: str, name: str, password: str, *, locale: str | None = None) -> User:
    """A new account with an unconfirmed address: it can act in no cohort until its owner
    opens the confirmation link emailed to it (``confirmation.py``)."""
    email = normalise_email(email)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(_l("Use at least %(n)d characters for your password.", n=MIN_PASSWORD_LENGTH),
                      field="password")
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise Conflict(_l("An account with this email already exists. Log in instead."),
                       field="email", code="email_taken")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), locale=locale)
    db.session.add(user)
    db.session.flush()
    return user


def add_membership(user: User, cohort: Cohort, role: Role) -> Membership:
    """Put ``user`` in ``cohort``; an existing membership keeps the higher of the two roles."""
    membership = db.session.scalar(
        db.select(Membership).where(Membership.user_id == user.id, Membership.cohort_id == cohort.id)
    )
    if membership is None:
        membership = Membership(user=user, cohort=cohort, role=role)
        db.session.add(membership)
        record("membership.created", target=cohort, role=role.value, user_id=user.id)
    elif role.rank > membership.role.rank:
        record("membership.role_changed", target=cohort, user_id=user.id,
               old=membership.role.value, new=role.value)
        membership.role = role
    return membership


def sign_up_with_code(*, email: str, name: str, password: str, join_code: str,
                      locale: str | None = None) -> User:
    """Create a student account in the cohort the join code opens (a student once confirmed)."""
    cohort = cohort_for_join_code(join_code)
    user = create_user(email, name, password, locale=locale)
    add_membership(user, cohort, Role.STUDENT)
    record("user.signed_up", target=user, actor=user, cohort_id=cohort.id, via="join_code")
    db.session.commit()
    return user


def join_with_code(user: User, join_code: str) -> Cohort:
    """Add a signed-in person to another cohort as a student."""
    cohort = cohort_for_join_code(join_code)
    add_membership(user, cohort, Role.STUDENT)
    db.session.commit()
    return cohort


# Password reset links are signed, expire after PASSWORD_RESET_MAX_AGE_S, and carry
# a fingerprint of the current password hash, so a link stops working once used.
def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="karya.password-reset")


def _fingerprint(user: User) -> str:
    return hash_token(user.password_hash)[:16]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE_S"])
    except SignatureExpired:
        raise Gone(_l("This reset link has expired. Ask for a new one."), code="reset_expired")
    except BadSignature:
        raise NotFound(_l("This reset link is not valid. Ask for a new one."), code="reset_invalid")
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user):
        raise Gone(_l("This reset link has already been used. Ask for a new one."), code="reset_used")
    return user


def set_password(user: User, password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(_l("Use at least %(n)d characters for your password.", n=MIN_PASSWORD_LENGTH),
                      field="password")
    user.password_hash = hash_password(password)
    # Whoever knew the old password may hold a cookie or a token made with it.
    end_every_session(user)
    record("user.password_reset", target=user, actor=user)
    db.session.commit()
