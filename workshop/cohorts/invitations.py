"""Bringing people into a cohort: emailed invites, and accounts a lead creates for others.

Built on the invite tokens of ``accounts/service.py``. Two kinds of link go out:

* ``/invite/<token>`` (accounts) for someone who signs up themselves, or who already has
  an account and logs in to accept;
* ``/welcome/<token>`` (here) for an account a lead created from a roster or the API:
  the account exists with no usable password, and the link lets its owner choose one.

Tokens are stored only as digests, so a link can be shown once (to the lead, for
WhatsApp) and emailed, never read back. Emailing again mints a new token.
"""

from __future__ import annotations

import logging
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l

from ..accounts import service as accounts
from ..accounts.models import User, hash_token
from ..audit.service import record
from ..db_types import utcnow
from ..errors import ApiError
from ..extensions import db
from ..jobs import job_context
from ..mail import send_email
from ..queues import DEFAULT, queue
from ..templating import ROLE_LABELS
from ..urls import absolute_url
from .models import Cohort, Invite, Membership, Role
from .operations import ensure_not_archived

log = logging.getLogger("karya.cohorts")

# Argon2 hashes start with "$"; this prefix never verifies (authenticate() treats it as an
# invalid hash), so an account made for someone else cannot be logged into until its
# owner chooses a password. The random tail keeps password-reset fingerprints distinct.
_NO_PASSWORD = "!unset:"


def unusable_password() -> str:
    return _NO_PASSWORD + secrets.token_hex(16)


def has_password(user: User) -> bool:
    return not (user.password_hash or "").startswith(_NO_PASSWORD)


def clean_email(value) -> str | None:
    """The address lower-cased, or None when it is not a valid address. The embedded
    default and tests also accept the reserved ``.test`` domain of the demo accounts."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 254:
        return None
    allow_test = current_app.config["KARYA_EMBEDDED"] or current_app.testing
    try:
        validate_email(value.strip(), check_deliverability=False, test_environment=allow_test)
    except EmailNotValidError:
        return None
    return accounts.normalise_email(value)


def user_by_email(email: str) -> User | None:
    """Emails are stored lower-cased; compare lower-cased anyway, for rows made elsewhere."""
    return db.session.scalar(db.select(User).where(db.func.lower(User.email) == email.lower()))


def link_for(invite: Invite, raw: str) -> str:
    """The link that fits the invited person: set a password, or sign up / log in."""
    user = user_by_email(invite.email)
    if user is not None and not has_password(user):
        return absolute_url("cohort_admin.welcome", token=raw)
    return absolute_url("accounts.invite", token=raw)


def email_invite(invite: Invite, link: str, *, locale: str | None = None) -> None:
    """Email the invite link in the invited person's language (else ``locale``)."""
    user = user_by_email(invite.email)
    language = (user.locale if user is not None and user.locale else None) or locale or "en"
    with force_locale(language):
        body = render_template(
            "email/cohort_invite.txt", invite=invite, link=link, role=ROLE_LABELS[invite.role],
            name=user.name if user is not None else None, days=accounts.INVITE_LIFETIME.days,
            choose_password=user is not None and not has_password(user),
        )
        send_email(invite.email, _("You are invited to %(cohort)s on Karya", cohort=invite.cohort.name), body)


def _current_locale() -> str:
    return str(get_locale() or "en")


def invite_person(cohort: Cohort, email, role: Role, invited_by) -> tuple[Invite, str]:
    """Invite an address in a role; commit, email the link and return it (shown once)."""
    ensure_not_archived(cohort)
    address = clean_email(email)
    if address is None:
        raise ApiError(422, "invalid", _l("Please enter a valid email address."), field="email")
    user = user_by_email(address)
    if user is not None and db.session.scalar(db.select(Membership.id).where(
            Membership.cohort_id == cohort.id, Membership.user_id == user.id)) is not None:
        raise ApiError(422, "already_member", _l("%(email)s is already in this cohort.", email=address),
                       field="email")
    invite, raw = accounts.create_invite(cohort, address, role, invited_by)
    db.session.commit()
    link = link_for(invite, raw)
    email_invite(invite, link, locale=_current_locale())
    return invite, link


def resend_invite(invite: Invite) -> str:
    """A new token (the old link stops working) with a fresh lifetime, emailed; returns the link."""
    ensure_not_archived(invite.cohort)
    if invite.accepted_at is not None:
        raise ApiError(409, "invite_used", _l("This invite has already been accepted."))
    raw = _mint_token(invite)
    record("invite.resent", target=invite.cohort, email=invite.email)
    db.session.commit()
    link = link_for(invite, raw)
    email_invite(invite, link, locale=_current_locale())
    return link


def _mint_token(invite: Invite) -> str:
    raw = secrets.token_urlsafe(32)
    invite.token_hash = hash_token(raw)
    invite.expires_at = utcnow() + accounts.INVITE_LIFETIME
    return raw


def revoke_invite(invite: Invite) -> None:
    """Delete the invite: its link then answers "not valid". The audit log keeps the fact."""
    record("invite.revoked", target=invite.cohort, email=invite.email, role=invite.role.value)
    db.session.delete(invite)


def pending_invites(cohort: Cohort) -> list[Invite]:
    """Invites not yet accepted and not expired, newest first."""
    return db.session.scalars(
        db.select(Invite).where(Invite.cohort_id == cohort.id, Invite.accepted_at.is_(None),
                                Invite.expires_at > utcnow())
        .order_by(Invite.created_at.desc(), Invite.id.desc())
    ).all()


def create_account_for(email: str, name: str, **fields) -> User:
    """An account a lead makes for someone else; its owner sets the password by invite link."""
    user = User(email=email, name=name, password_hash=unusable_password(), **fields)
    db.session.add(user)
    db.session.flush()
    record("user.created_by_lead", target=user)
    return user


def add_member(cohort: Cohort, email, name, role: Role, added_by) -> tuple[Membership, bool]:
    """Put a person in the cohort by email (the API's ``POST .../members``).

    Returns the membership and whether it is new. Someone already in the cohort is left
    as they are. A new address gets an account and an emailed set-password link.
    """
    ensure_not_archived(cohort)
    address = clean_email(email)
    if address is None:
        raise ApiError(422, "invalid", _l("Please enter a valid email address."), field="email")
    display = " ".join(name.split()) if isinstance(name, str) else ""
    if len(display) > 120:
        raise ApiError(422, "invalid", _l("The name is too long (at most %(n)d characters).", n=120), field="name")
    user = user_by_email(address)
    if user is not None:
        existing = db.session.scalar(db.select(Membership).where(
            Membership.cohort_id == cohort.id, Membership.user_id == user.id))
        if existing is not None:
            return existing, False
    elif not display:
        raise ApiError(422, "invalid", _l("Give the new person's name."), field="name")
    else:
        user = create_account_for(address, display)
    membership = accounts.add_membership(user, cohort, role)
    raw = None
    if not has_password(user):
        invite, raw = accounts.create_invite(cohort, address, role, added_by)
    db.session.commit()
    if raw is not None:
        email_invite(invite, link_for(invite, raw), locale=_current_locale())
    return membership, True


def set_first_password(invite: Invite, user: User, *, name: str, password: str) -> None:
    """The owner of a lead-made account chooses their password through the welcome link."""
    user.name = " ".join(name.split())[:120] or user.name
    accounts.set_password(user, password)  # validates and commits
    accounts.accept_invite(invite, user)


# --- emails sent by the worker (roster imports may invite thousands) -----------------------

def queue_invite_emails(invite_ids: list[int], locale: str) -> int:
    """Queue one email per invite after the import has committed; returns how many were queued.

    Only invite ids go to Redis, never tokens: the job mints the token it emails.
    """
    queued = 0
    for invite_id in invite_ids:
        try:
            queue(DEFAULT).enqueue(send_invite_email_job, invite_id, locale, job_timeout=60,
                                   result_ttl=3600, failure_ttl=7 * 24 * 3600,
                                   description=f"email invite {invite_id}")
        except Exception:  # noqa: BLE001 - the import stands; the lead can resend from the invites page
            log.exception("could not queue the email for invite %s", invite_id)
            continue
        queued += 1
    return queued


def send_invite_email_job(invite_id: int, locale: str) -> str:
    """RQ job: mint a fresh token for a pending invite and email its link."""
    with job_context() as app:
        invite = db.session.get(Invite, invite_id)
        if invite is None or invite.accepted_at is not None:
            return "gone"
        raw = _mint_token(invite)
        db.session.commit()
        # url_for needs a request; BASE_URL supplies the host, as for password-reset links.
        with app.test_request_context("/"):
            email_invite(invite, link_for(invite, raw), locale=locale)
        return "sent"
