"""Proving that a person reads their email address.

An account may act in no cohort until its address is confirmed (``access.py`` holds the
gate): anyone can type someone else's address into a sign-up form, and a lead can be
shown a link meant for someone else. Only a link that arrived in the mailbox proves
control of it, so confirmation links are emailed, never shown on a page.

A link is signed, expires after ``EMAIL_CONFIRM_MAX_AGE_S`` and names both the account
and the address: it stops working if the account's address changes.
"""

from __future__ import annotations

from flask import current_app, flash, has_request_context, render_template, session
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..audit.service import record
from ..db_types import utcnow
from ..errors import ApiError, Forbidden, Gone, NotFound
from ..extensions import db
from ..mail import send_email
from ..redis_conn import get_redis
from ..urls import absolute_url
from .auth import sign_in
from .models import User
from .service import normalise_email

DEFAULT_MAX_AGE_S = 3 * 24 * 3600
# At most this many confirmation emails per account per window (the sign-up one included):
# enough for a typo'd spam filter, too few to flood someone's inbox with a stranger's sign-ups.
SENDS_PER_WINDOW = 3
WINDOW_S = 15 * 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="karya.email-confirm")


def _max_age() -> int:
    return int(current_app.config.get("EMAIL_CONFIRM_MAX_AGE_S", DEFAULT_MAX_AGE_S))


def make_token(user: User) -> str:
    """A confirmation token for this account at its current address."""
    return _serializer().dumps({"uid": user.id, "email": normalise_email(user.email)})


def user_for_token(token: str) -> User:
    """The account a confirmation token names, or a refusal saying why not."""
    try:
        data = _serializer().loads(token or "", max_age=_max_age())
    except SignatureExpired:
        raise Gone(_l("This confirmation link has expired. Log in and ask for a new one."),
                   code="confirm_expired")
    except BadSignature:
        raise NotFound(_l("This confirmation link is not valid. Log in and ask for a new one."),
                       code="confirm_invalid")
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if (user is None or not user.is_active
            or normalise_email(user.email) != normalise_email(data.get("email"))):
        raise Forbidden(_l("This confirmation link is for another account or address. Log in and ask "
                           "for a new one."), code="confirm_mismatch")
    return user


def token_confirms(token: str | None, user: User) -> bool:
    """Whether ``token`` is a valid confirmation of ``user``'s current address."""
    if not token:
        return False
    try:
        return user_for_token(token).id == user.id
    except ApiError:
        return False


def mark_confirmed(user: User, *, via: str) -> None:
    """Record that the address is proved (once); the caller commits."""
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        record("user.email_confirmed", target=user, actor=user, via=via)


def confirm(token: str, signed_in_user=None) -> User:
    """Confirm the account a link names; commit. A person signed in as someone else is
    refused, so nobody confirms an account by mistake in a shared browser."""
    user = user_for_token(token)
    if signed_in_user is not None and signed_in_user.is_authenticated and signed_in_user.id != user.id:
        raise Forbidden(_l("This confirmation link is for another account or address. Log out, then "
                           "open it again."), code="confirm_mismatch")
    mark_confirmed(user, via="link")
    db.session.commit()
    return user


def _take_send_slot(user: User) -> bool:
    """Count one confirmation email for this account; False once the window's allowance is used."""
    redis = get_redis()
    key = f"karya:confirm-mail:{user.id}"
    sent = redis.incr(key)
    if sent == 1:
        redis.expire(key, WINDOW_S)
    return sent <= SENDS_PER_WINDOW


def send_confirmation(user: User, *, locale: str | None = None) -> bool:
    """Email a confirmation link in the person's language; False when the account has had
    its allowance of emails for now (nothing is sent then)."""
    if user.email_confirmed_at is not None or not _take_send_slot(user):
        return False
    link = absolute_url("accounts.confirm_email", token=make_token(user))
    # The account's language, else the one the person is reading this site in right now.
    shown = (session.get("locale") or str(get_locale() or "")) if has_request_context() else None
    with force_locale(user.locale or locale or shown or "en"):
        send_email(user.email, _("Confirm your email address for Karya"),
                   render_template("email/confirm_email.txt", user=user, link=link, days=_max_age() // 86400))
    record("user.confirmation_sent", target=user, actor=user)
    db.session.commit()
    return True


def welcome_new_account(user: User) -> None:
    """Sign a new account in and email it the confirmation link it needs before anything else."""
    sign_in(user)
    send_confirmation(user, locale=session.get("locale"))
    flash(_("Welcome to Karya, %(name)s! We emailed a link to %(email)s: open it to confirm your address.",
            name=user.name, email=user.email), "success")
