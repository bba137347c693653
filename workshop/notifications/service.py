"""Creating, reading and sending notifications.

A notification is written in the same transaction as the action that caused it
(:func:`notify` flushes, the caller commits both). It is then sent on the other channels
the person chose (``channels.py``: email, WhatsApp), each queued only once that
transaction has committed, by a session ``after_commit`` hook: a rolled-back review
never sends anything, and a committed one never loses its notification, whatever
becomes of its email or WhatsApp message. Each is sent by an RQ job on the ``default`` queue.

A notification about a cohort carries the cohort's id (``Notification.cohort_id``).
It reaches only members of that cohort: nothing is made for
someone who is not one, their email is not sent if they have left by the time the job
runs, and the list and the bell leave it out. Removing a member also deletes theirs
(:func:`forget_cohort`). Site administrators, who may act in any cohort, always get theirs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app
from flask_babel import force_locale, lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import delete, event, exists, func, or_, update
from werkzeug.exceptions import HTTPException

from .. import urls
from ..access import is_confirmed
from ..accounts.models import User
from ..cohorts.models import Membership
from ..db_types import utcnow
from ..errors import Invalid
from ..extensions import db
from ..jobs import job_context
from ..phones import normalise_phone
from ..queues import DEFAULT, queue
from ..roles import Role
from ..urls import absolute_url
from . import whatsapp
from .channels import EMAIL, SENDING, WHATSAPP, Channel, Rendered
from .models import EmailPreference, Notification

log = logging.getLogger("karya.notifications")

# session.info key: (channel name, notification id) made in the open transaction, to send once it commits.
_PENDING = "karya_notifications_to_send"


@dataclass(frozen=True)
class Kind:
    """One kind of notification; its texts are lazy, translated where they are shown."""

    label: LazyString    # the preferences page: what this kind is about
    subject: LazyString  # the email's subject
    message: LazyString  # filled in from the notification's data with %(name)s placeholders
    fields: tuple[str, ...]  # the data keys the message uses


KINDS: dict[str, Kind] = {
    "version_ready": Kind(
        _l("A version of my video is ready to watch"),
        _l("Your video is ready"),
        _l("Version %(version)s of your video for “%(assignment)s” is ready to watch."),
        ("version", "assignment"),
    ),
    "review_needed": Kind(
        _l("A new version is waiting for my review"),
        _l("A video is waiting for your review"),
        _l("%(student)s uploaded version %(version)s for “%(assignment)s”. It is waiting for review."),
        ("student", "version", "assignment"),
    ),
    "verdict": Kind(
        _l("A mentor gave a verdict on my video"),
        _l("Your video has been reviewed"),
        _l("Version %(version)s of your video for “%(assignment)s” was reviewed: %(verdict)s."),
        ("version", "assignment", "verdict"),
    ),
    "reply": Kind(
        _l("Someone replied in a conversation I am part of"),
        _l("New reply"),
        _l("%(name)s replied in the conversation about “%(assignment)s”."),
        ("name", "assignment"),
    ),
    "concern": Kind(
        _l("A concern was raised in a cohort I lead"),
        _l("A concern was raised"),
        _l("A concern was raised in %(cohort)s. Please look at it soon."),
        ("cohort",),
    ),
    "concern_resolved": Kind(
        _l("A concern I raised was resolved"),
        _l("Your concern was resolved"),
        _l("The workshop lead resolved a concern you raised in %(cohort)s. Open it to read what was decided."),
        ("cohort",),
    ),
    "data_deleted": Kind(
        _l("A student's data was deleted from a cohort I lead"),
        _l("A student's data was deleted"),
        _l("A student's videos and personal data in %(cohort)s were deleted because their guardian "
           "withdrew consent."),
        ("cohort",),
    ),
    # Reminders and digests (workshop/reminders/): made by the workers' chore, never by a
    # person's action. Someone who turns one of these off gets neither the email nor the
    # notification in the app. Times in the data are already written in the recipient's
    # language and the cohort's time zone.
    "assignment_due": Kind(
        _l("A reminder before an assignment is due, if I have not uploaded a video for it"),
        _l("An assignment is due soon"),
        _l("“%(assignment)s” is due on %(due)s. You have not uploaded a video for it yet."),
        ("assignment", "due"),
    ),
    "review_due": Kind(
        _l("A review of mine is about to pass the cohort's review target"),
        _l("A review is almost due"),
        _l("Version %(version)s of a video for “%(assignment)s” has been waiting for a review. The cohort's "
           "target of %(target)s hours is reached on %(deadline)s."),
        ("version", "assignment", "target", "deadline"),
    ),
    "mentor_digest": Kind(
        _l("A daily summary of the videos waiting for review"),
        _l("Videos waiting for review"),
        _l("In %(cohort)s, waiting for your review: %(mine)s (past the target: %(overdue)s). "
           "Waiting for a mentor: %(unassigned)s."),
        ("cohort", "mine", "overdue", "unassigned"),
    ),
    "session_tomorrow": Kind(
        _l("A reminder the evening before a session"),
        _l("A session is coming up"),
        _l("“%(title)s” (%(cohort)s) starts on %(starts)s. Where: %(place)s"),
        ("title", "cohort", "starts", "place"),
    ),
    "lead_weekly": Kind(
        _l("A weekly summary of each cohort I lead"),
        _l("Your cohort's week"),
        _l("This week in %(cohort)s. Consent missing: %(consents)s. Reviews past the target: %(overdue)s. "
           "Open safeguarding concerns: %(concerns)s."),
        ("cohort", "consents", "overdue", "concerns"),
    ),
}

# Verdict codes (review.models.Verdict values) as a student reads them.
VERDICT_LABELS = {
    "approved": _l("approved"),
    "changes_requested": _l("changes requested"),
    "escalated": _l("passed to a workshop lead"),
}


def message(notification: Notification) -> str:
    """The notification's text in the current locale, from its kind and data only."""
    kind = KINDS[notification.kind]
    data = notification.data or {}
    values = {field: data.get(field, "") for field in kind.fields}  # an old row may lack a key
    if "verdict" in values:
        values["verdict"] = str(VERDICT_LABELS.get(values["verdict"], values["verdict"]))
    return str(kind.message) % values


def is_local_path(link: str) -> bool:
    """A path on this site, never another host: the app-wide check in ``urls.py``."""
    return urls.is_local_path(link)


# --- creating -------------------------------------------------------------------------

def notify(user_id: int, kind: str, *, data: dict, link: str,
           cohort_id: int | None = None) -> Notification | None:
    """Add a notification for ``user_id`` to the open transaction; the caller commits.

    ``data`` holds plain values for the message (see ``KINDS[kind].fields``);
    ``link`` is a path on this site; ``cohort_id`` names the cohort it is about, if any:
    someone who is not (or no longer) a member of it gets nothing, and None is returned.
    The email (unless the person turned this kind off) and the WhatsApp message (if they
    turned WhatsApp on for it) are queued when the transaction commits.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not is_local_path(link):
        raise ValueError(f"notification links must be paths on this site, not {link!r}")
    if cohort_id is not None and not may_hear_about(user_id, cohort_id):
        return None
    notification = Notification(user_id=user_id, kind=kind, data=dict(data), link=link, cohort_id=cohort_id)
    db.session.add(notification)
    db.session.flush()  # for the id
    user = db.session.get(User, user_id)
    for channel in SENDING:
        if user is not None and channel.wanted(user, kind):
            db.session.info.setdefault(_PENDING, []).append((channel.name, notification.id))
    return notification


def notify_cohort(cohort_id: int, role: Role, kind: str, *, data: dict, link: str,
                  exclude_user_id: int | None = None) -> list[Notification]:
    """:func:`notify` every member holding ``role`` in the cohort (e.g. its mentors),
    except ``exclude_user_id`` (the person who acted)."""
    user_ids = db.session.scalars(
        db.select(Membership.user_id).where(Membership.cohort_id == cohort_id, Membership.role == role)
    ).all()
    made = [notify(user_id, kind, data=data, link=link, cohort_id=cohort_id)
            for user_id in user_ids if user_id != exclude_user_id]
    return [notification for notification in made if notification is not None]


def may_hear_about(user_id: int, cohort_id: int) -> bool:
    """Whether the person is a member of the cohort (or a site administrator)."""
    return db.session.scalar(
        db.select(or_(
            exists().where(Membership.user_id == user_id, Membership.cohort_id == cohort_id),
            exists().where(User.id == user_id, User.is_admin.is_(True)),
        ))) is True


def forget_cohort(user_id: int, cohort_id: int) -> int:
    """Delete the person's notifications about the cohort (they have left it); returns how many.
    Their queued emails find no row and are not sent."""
    return db.session.execute(
        delete(Notification).where(Notification.user_id == user_id, Notification.cohort_id == cohort_id)
        .execution_options(synchronize_session=False)).rowcount


def still_a_member():
    """SQL: the notification is about no cohort, or about one its person still belongs to."""
    return or_(
        Notification.cohort_id.is_(None),
        exists().where(Membership.user_id == Notification.user_id, Membership.cohort_id == Notification.cohort_id),
        exists().where(User.id == Notification.user_id, User.is_admin.is_(True)),
    )


def _after_commit(session) -> None:
    for channel_name, notification_id in session.info.pop(_PENDING, ()):
        try:
            queue(DEFAULT).enqueue(
                JOBS[channel_name], notification_id,
                job_timeout=60, result_ttl=3600, failure_ttl=7 * 24 * 3600,
                description=f"{channel_name} notification {notification_id}",
            )
        except Exception:  # noqa: BLE001
            # The transaction is already committed: raising here would tell the caller
            # their action failed when it did not. The in-app notification stands.
            log.exception("could not queue the %s for notification %s", channel_name, notification_id)


def _after_transaction_end(session, transaction) -> None:
    # Rolled back (or closed without commit): those notifications no longer exist.
    # A rolled-back savepoint leaves its ids here; the job then finds no row and stops.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def init_app(app: Flask) -> None:
    """Hook the email queueing into Flask-SQLAlchemy's sessions (once per process:
    the session factory is shared by every app, tests make several)."""
    for name, handler in (("after_commit", _after_commit),
                          ("after_transaction_end", _after_transaction_end)):
        if not event.contains(db.session, name, handler):
            event.listen(db.session, name, handler)


# --- sending (RQ jobs) ----------------------------------------------------------------

def send_notification_email(notification_id: int) -> str:
    """RQ job: email one notification in its recipient's language. Returns what happened."""
    return _send(notification_id, EMAIL)


def send_notification_whatsapp(notification_id: int) -> str:
    """RQ job: queue one notification's WhatsApp message, in its recipient's language
    (``whatsapp.send_template_message`` sends it, with its own retries)."""
    return _send(notification_id, WHATSAPP)


JOBS = {EMAIL.name: send_notification_email, WHATSAPP.name: send_notification_whatsapp}


def _send(notification_id: int, channel: Channel) -> str:
    with job_context() as app:
        notification = db.session.get(Notification, notification_id)
        if notification is None:
            return "gone"  # rolled back in a savepoint, or the person was deleted
        user = db.session.get(User, notification.user_id)
        if user is None or not user.is_active:
            return "no recipient"
        # Checked again now: they may have left the cohort, or changed their choices, since.
        if notification.cohort_id is not None and not may_hear_about(user.id, notification.cohort_id):
            return "not a member"
        if not channel.wanted(user, notification.kind):
            return "not wanted"
        locale = user.locale if user.locale in app.config["LANGUAGES"] else app.config["BABEL_DEFAULT_LOCALE"]
        # url_for needs a request; BASE_URL (set by make run, required in production)
        # supplies the host, as for password-reset links.
        with app.test_request_context("/"), force_locale(locale):
            rendered = Rendered(subject=str(KINDS[notification.kind].subject), message=message(notification),
                                link=_absolute_link(notification.link),
                                settings_link=absolute_url("notifications.settings"))
            return channel.deliver(user, rendered, locale)


def _absolute_link(link: str) -> str:
    """The stored path as an absolute URL built by :func:`absolute_url`; the
    notification list if the path matches no page."""
    parts = urlsplit(link)
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return absolute_url("notifications.index")
    url = urlsplit(absolute_url(endpoint, **values))
    return urlunsplit(url._replace(query=parts.query, fragment=parts.fragment))


# --- reading --------------------------------------------------------------------------

def unread_count(user_id: int) -> int:
    """How many of the person's notifications are unread (one COUNT query)."""
    return db.session.scalar(db.select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None), still_a_member()))


def unread_count_of(user_id_column):
    """SQL: how many unread notifications the person ``user_id_column`` names has. The
    log-in loader reads it with the person (accounts/auth.py), in one query per page."""
    return (db.select(func.count(Notification.id))
            .where(Notification.user_id == user_id_column, Notification.read_at.is_(None), still_a_member())
            .scalar_subquery())


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    """The person's newest notifications, newest first."""
    return list(db.session.scalars(
        db.select(Notification).where(Notification.user_id == user_id, still_a_member())
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))


def for_user(user_id: int, notification_id: int) -> Notification | None:
    """The notification if it is the person's own, else None."""
    return db.session.scalar(
        db.select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id,
                                      still_a_member())
    )


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the person's notifications read, or all of them when no id is
    given; commits. Returns how many changed."""
    statement = (update(Notification)
                 .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                 .values(read_at=utcnow()))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    changed = db.session.execute(statement).rowcount
    db.session.commit()
    return changed


# --- preferences ----------------------------------------------------------------------

def wants_email(user_id: int, kind: str) -> bool:
    """Whether the person gets email for this kind (no saved choice means yes)."""
    preference = db.session.get(EmailPreference, (user_id, kind))
    return preference is None or preference.email


def email_choices(user_id: int) -> dict[str, bool]:
    """Every kind, with whether the person gets email for it."""
    return {kind: choice["email"] for kind, choice in channel_choices(user_id).items()}


def channel_choices(user_id: int) -> dict[str, dict[str, bool]]:
    """Every kind, with whether the person gets it by email and by WhatsApp (no saved choice: both)."""
    saved = {kind: (email, by_whatsapp) for kind, email, by_whatsapp in db.session.execute(
        db.select(EmailPreference.kind, EmailPreference.email, EmailPreference.whatsapp)
        .where(EmailPreference.user_id == user_id)).all()}
    return {kind: dict(zip(("email", "whatsapp"), saved.get(kind, (True, True)))) for kind in KINDS}


def set_email_choices(user_id: int, enabled: Iterable[str]) -> None:
    """Save email on for the kinds in ``enabled`` and off for the others; commits."""
    set_choices(user_id, email=enabled)


def set_choices(user_id: int, *, email: Iterable[str], whatsapp_kinds: Iterable[str] | None = None) -> None:
    """Save, for every kind, email on when it is in ``email`` and, unless ``whatsapp_kinds``
    is None (left as it was), WhatsApp on when it is in ``whatsapp_kinds``; commits."""
    email = set(email)
    by_whatsapp = None if whatsapp_kinds is None else set(whatsapp_kinds)
    for kind in KINDS:
        preference = db.session.get(EmailPreference, (user_id, kind))
        if preference is None:
            preference = EmailPreference(user_id=user_id, kind=kind, email=True, whatsapp=True)
            db.session.add(preference)
        preference.email = kind in email
        if by_whatsapp is not None:
            preference.whatsapp = kind in by_whatsapp
    db.session.commit()


def set_whatsapp(user: User, *, phone: str, opt_in: bool) -> None:
    """Save the person's mobile number (any common form, stored in E.164; empty for none)
    and whether they want notifications by WhatsApp; the caller commits. Raises
    ``InvalidPhone`` on ``phone``, or ``Invalid`` when WhatsApp is asked for with no number
    or before the account's address is confirmed: someone who signed up with another's
    address would otherwise leave their own number on the account its owner later claims."""
    phone = (phone or "").strip()
    number = normalise_phone(phone, field="phone") if phone else ""
    if number and not is_confirmed(user):
        raise Invalid(_l("Confirm your email address first: WhatsApp messages go only to accounts whose "
                         "address is confirmed."), field="phone", code="email_unconfirmed")
    if opt_in and not number:
        raise Invalid(_l("Enter the mobile number WhatsApp messages should go to."), field="phone")
    user.phone, user.whatsapp_opt_in = number, bool(opt_in)


def turned_off_everywhere(kinds: Iterable[str]) -> set[tuple[int, str]]:
    """(person, kind) pairs of ``kinds`` that reach their person by no channel but the app:
    email turned off, and WhatsApp turned off for the kind, not asked for, or not enabled
    here. For the kinds a person can silence entirely (reminders and digests)."""
    query = (db.select(EmailPreference.user_id, EmailPreference.kind)
             .where(EmailPreference.kind.in_(list(kinds)), EmailPreference.email.is_(False)))
    if whatsapp.enabled():
        query = query.join(User, User.id == EmailPreference.user_id).where(or_(
            EmailPreference.whatsapp.is_(False), User.whatsapp_opt_in.is_(False), User.phone == ""))
    return {(user_id, kind) for user_id, kind in db.session.execute(query)}


def whatsapp_available() -> bool:
    """Whether this site sends WhatsApp messages at all (the settings page offers it only then)."""
    return whatsapp.enabled()
