"""Bringing people into a cohort: emailed invites, and accounts a lead creates for others.

Two kinds of link go out, each carrying an invite's token:

* ``/invite/<token>`` for someone who signs up themselves, or who already has an account
  and logs in to accept;
* ``/welcome/<token>`` for an account a lead created from a roster or the API: the
  account exists with no usable password, and the link lets its owner choose one.

Tokens are stored only as digests, so a link can be shown once (to the lead, for
WhatsApp) and emailed, never read back. Emailing again mints a new token.

A welcome link lets whoever holds it choose the account's password, so it is issued
only for an account nobody has proved to own and whose every membership is in a cohort
the issuing person leads (:func:`may_issue_welcome`); anyone else gets the ordinary
invite by email and signs in (or uses "forgot password"). Only the emailed welcome link
carries a confirmation of the address: the one shown to a lead does not prove who reads
the mailbox. An existing account is never put in a cohort silently: it is invited, and
its owner accepts while signed in.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l

from ..access import is_confirmed
from ..accounts import confirmation, service as accounts
from ..accounts.models import User, hash_token
from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..cohorts.service import ensure_not_archived
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, Gone, Invalid, NotFound
from ..extensions import db
from ..jobs import job_context
from ..mail import send_email
from ..queues import DEFAULT, queue
from ..roles import Role
from ..templating import ROLE_LABELS
from ..urls import absolute_url
from .models import Invite

log = logging.getLogger("karya.cohorts")

# Argon2 hashes start with "$"; this prefix never verifies (authenticate() treats it as an
# invalid hash), so an account made for someone else cannot be logged into until its
# owner chooses a password. The random tail keeps password-reset fingerprints distinct.
_NO_PASSWORD = "!unset:"
INVITE_LIFETIME = timedelta(days=14)


# --- invite tokens, and taking an invite up ----------------------------------------------

def create_invite(cohort: Cohort, email: str, role: Role, invited_by: User | None) -> tuple[Invite, str]:
    """Make an invite; return it and the raw token for the link (only its digest is stored)."""
    raw = secrets.token_urlsafe(32)
    invite = Invite(cohort=cohort, email=accounts.normalise_email(email), role=role, token_hash=hash_token(raw),
                    invited_by_id=getattr(invited_by, "id", None), expires_at=utcnow() + INVITE_LIFETIME)
    db.session.add(invite)
    record("invite.created", target=cohort, email=invite.email, role=role.value)
    return invite, raw


def invite_for_token(raw: str) -> Invite:
    invite = db.session.scalar(db.select(Invite).where(Invite.token_hash == hash_token(raw or "")))
    if invite is None:
        raise NotFound(_l("This invite link is not valid. Ask your workshop lead to send a new one."),
                       code="invite_unknown")
    if invite.accepted_at is not None:
        raise Gone(_l("This invite has already been used. Log in to continue."), code="invite_used")
    if invite.expires_at <= utcnow() or invite.cohort.archived_at is not None:
        raise Gone(_l("This invite has expired. Ask your workshop lead to send a new one."),
                   code="invite_expired")
    return invite


def invite_is_for(invite: Invite, user: User) -> bool:
    """An invite (and the role it carries) belongs to the address it was sent to, not to
    whoever holds the link: a forwarded lead invite must not make a student a lead."""
    return accounts.normalise_email(user.email) == accounts.normalise_email(invite.email)


def accept_invite(invite: Invite, user: User) -> None:
    """A signed-in person takes up an invite: only the owner of the invited address, and only
    once they have proved they read it (anyone could have registered that address first)."""
    if not invite_is_for(invite, user):
        raise Forbidden(_l("This invite was sent to another email address. Log out, then open the "
                           "link again and sign in with the invited address."), code="wrong_account")
    if not (user.is_admin or user.email_confirmed_at is not None):
        raise Forbidden(_l("Confirm your email address before you accept the invite: open the link we "
                           "emailed you, or ask for a new one."), code="email_unconfirmed")
    take_up_invite(invite, user)


def take_up_invite(invite: Invite, user: User) -> None:
    """Give ``user`` the invite's membership and mark it used; commit. Without the checks of
    :func:`accept_invite`: only for an account that first exists through this invite's link,
    whose memberships stay inert until its address is confirmed (``access.py``)."""
    accounts.add_membership(user, invite.cohort, invite.role)
    invite.accepted_at = utcnow()
    record("invite.accepted", target=invite.cohort, actor=user, invite_id=invite.id)
    db.session.commit()


def sign_up_with_invite(invite: Invite, *, name: str, password: str, locale: str | None = None) -> User:
    """Create the invited address's account through the invite link. The link may have been
    shown to a lead rather than emailed, so the address still needs confirming."""
    user = accounts.create_user(invite.email, name, password, locale=locale)
    record("user.signed_up", target=user, actor=user, cohort_id=invite.cohort_id, via="invite")
    take_up_invite(invite, user)
    return user


# --- accounts a lead makes for others, and the welcome link ---------------------------------

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


def may_issue_welcome(user: User | None, issuer) -> bool:
    """Whether ``issuer`` may hand out a set-password link for ``user``: the account has no
    password and no confirmed owner, and is in no cohort that ``issuer`` does not lead
    (administrators lead everywhere). Otherwise the link would let its holder take over
    roles someone else granted."""
    if user is None or has_password(user) or user.email_confirmed_at is not None or user.is_admin:
        return False
    if issuer is None or not is_confirmed(issuer):
        return False
    if issuer.is_admin:
        return True
    led = db.select(Membership.cohort_id).where(Membership.user_id == issuer.id, Membership.role == Role.LEAD)
    elsewhere = db.select(Membership.id).where(Membership.user_id == user.id,
                                               Membership.cohort_id.not_in(led)).limit(1)
    return db.session.scalar(elsewhere) is None


@dataclass(frozen=True)
class InviteLinks:
    """The link emailed to the invited address, and the one a lead may see (None: the lead
    is told only that it was emailed)."""

    emailed: str
    shown: str | None
    choose_password: bool


def links_for(invite: Invite, raw: str, issuer) -> InviteLinks:
    """The links that fit the invited person: set a password, or sign up / log in."""
    user = user_by_email(invite.email)
    if user is None:  # signing up through it leaves an unconfirmed account
        link = absolute_url("invitations.accept", token=raw)
        return InviteLinks(link, link, False)
    if may_issue_welcome(user, issuer):
        emailed = absolute_url("invitations.welcome", token=raw, confirm=confirmation.make_token(user))
        return InviteLinks(emailed, absolute_url("invitations.welcome", token=raw), True)
    return InviteLinks(absolute_url("invitations.accept", token=raw), None, False)


def email_invite(invite: Invite, links: InviteLinks, *, locale: str | None = None) -> None:
    """Email the invite link in the invited person's language (else ``locale``)."""
    user = user_by_email(invite.email)
    language = (user.locale if user is not None and user.locale else None) or locale or "en"
    with force_locale(language):
        body = render_template(
            "email/cohort_invite.txt", invite=invite, link=links.emailed, role=ROLE_LABELS[invite.role],
            name=user.name if user is not None else None, days=INVITE_LIFETIME.days,
            choose_password=links.choose_password, has_account=user is not None,
        )
        send_email(invite.email, _("You are invited to %(cohort)s on Karya", cohort=invite.cohort.name), body)


def _current_locale() -> str:
    return str(get_locale() or "en")


def invite_person(cohort: Cohort, email, role: Role, invited_by) -> tuple[Invite, str | None]:
    """Invite an address in a role; commit, email the link and return the one the lead may
    see (once), or None when only the invited person may have it."""
    ensure_not_archived(cohort)
    address = clean_email(email)
    if address is None:
        raise Invalid(_l("Please enter a valid email address."), field="email")
    user = user_by_email(address)
    if user is not None and db.session.scalar(db.select(Membership.id).where(
            Membership.cohort_id == cohort.id, Membership.user_id == user.id)) is not None:
        raise Invalid(_l("%(email)s is already in this cohort.", email=address),
                      field="email", code="already_member")
    invite, raw = create_invite(cohort, address, role, invited_by)
    db.session.commit()
    links = links_for(invite, raw, invited_by)
    email_invite(invite, links, locale=_current_locale())
    return invite, links.shown


def resend_invite(invite: Invite, sender) -> str | None:
    """A new token (the old link stops working) with a fresh lifetime, emailed; returns the
    link ``sender`` may see, or None."""
    ensure_not_archived(invite.cohort)
    if invite.accepted_at is not None:
        raise Conflict(_l("This invite has already been accepted."), code="invite_used")
    raw = _mint_token(invite)
    record("invite.resent", target=invite.cohort, email=invite.email)
    db.session.commit()
    links = links_for(invite, raw, sender)
    email_invite(invite, links, locale=_current_locale())
    return links.shown


def _mint_token(invite: Invite) -> str:
    raw = secrets.token_urlsafe(32)
    invite.token_hash = hash_token(raw)
    invite.expires_at = utcnow() + INVITE_LIFETIME
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


def add_member(cohort: Cohort, email, name, role: Role, added_by) -> tuple[str, Membership | Invite]:
    """Put a person in the cohort by email (the API's ``POST .../members``).

    Returns what happened and the row: ``"member"`` and their membership for someone
    already in the cohort (left as they are); ``"created"`` and the new membership for a
    new address, which gets an account and an emailed set-password link; ``"invited"``
    and the invite for an existing account, whose owner accepts it while signed in:
    a lead cannot give a role to whoever happens to hold an address's account.
    """
    ensure_not_archived(cohort)
    address = clean_email(email)
    if address is None:
        raise Invalid(_l("Please enter a valid email address."), field="email")
    display = " ".join(name.split()) if isinstance(name, str) else ""
    if len(display) > 120:
        raise Invalid(_l("The name is too long (at most %(n)d characters).", n=120), field="name")
    user = user_by_email(address)
    if user is not None:
        existing = db.session.scalar(db.select(Membership).where(
            Membership.cohort_id == cohort.id, Membership.user_id == user.id))
        if existing is not None:
            return "member", existing
        invite, raw = pending_or_new_invite(cohort, address, role, added_by)
        db.session.commit()
        email_invite(invite, links_for(invite, raw, added_by), locale=_current_locale())
        return "invited", invite
    if not display:
        raise Invalid(_l("Give the new person's name."), field="name")
    user = create_account_for(address, display)
    membership = accounts.add_membership(user, cohort, role)
    invite, raw = create_invite(cohort, address, role, added_by)
    db.session.commit()
    email_invite(invite, links_for(invite, raw, added_by), locale=_current_locale())
    return "created", membership


def pending_or_new_invite(cohort: Cohort, address: str, role: Role, invited_by) -> tuple[Invite, str]:
    """Asking again for the same address renews its pending invite (new link, the role asked
    for now) rather than piling up invites."""
    pending = db.session.scalar(db.select(Invite).where(
        Invite.cohort_id == cohort.id, Invite.email == address, Invite.accepted_at.is_(None),
        Invite.expires_at > utcnow()).order_by(Invite.id.desc()).limit(1))
    if pending is None:
        return create_invite(cohort, address, role, invited_by)
    pending.role = role
    record("invite.resent", target=cohort, email=address)
    return pending, _mint_token(pending)


def set_first_password(invite: Invite, user: User, *, name: str, password: str,
                       confirm_token: str | None = None) -> bool:
    """The owner of a lead-made account chooses their password through the welcome link.

    Returns whether the address is now confirmed: only when the link carried the
    confirmation that was emailed with it, not through the link a lead was shown.
    """
    user.name = " ".join(name.split())[:120] or user.name
    accounts.set_password(user, password)  # validates and commits
    if confirmation.token_confirms(confirm_token, user):
        confirmation.mark_confirmed(user, via="welcome")
    take_up_invite(invite, user)  # commits; inert until the address is confirmed
    return user.email_confirmed_at is not None


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
        issuer = db.session.get(User, invite.invited_by_id) if invite.invited_by_id else None
        # url_for needs a request; BASE_URL supplies the host, as for password-reset links.
        with app.test_request_context("/"):
            email_invite(invite, links_for(invite, raw, issuer), locale=locale)
        return "sent"
