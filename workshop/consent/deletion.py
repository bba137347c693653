"""Deleting a student's media and personal data once consent was withdrawn and the grace period is over.

:func:`delete_due_data` is a housekeeping chore (``CONSENT_DELETION_EVERY_S``). For
each withdrawal whose ``deletion_due_at`` has passed it erases the student's data *in
the cohort whose consent was withdrawn*; another cohort's consent covers its own data,
which that cohort's leads answer for:

* media: every stored object of every version of their work in the cohort (original,
  rendition, poster, storyboard), the evidence files of their consents there, their
  unfinished uploads there;
* personal data: those versions' original file names and probe data, the bodies of the
  comments they wrote in the cohort (replaced by a placeholder), their attendance, their
  membership and invitations there, the notifications about that work, their name in
  other people's notifications about it and their address and IP address in the
  cohort's audit log; the guardian's name and contact (and its digest) on their consents
  and consent requests there.

When that membership was their last one, the account goes too, with whatever is left of
their data in any cohort: their notifications, API tokens, email preferences, the log of
WhatsApp messages sent to their number and their guardians' (kept as keyed digests), and the
user row is anonymised ("Deleted person", a placeholder email, an unusable password, no
guardian contact or birth year, ``deleted_at`` set). The row stays, because other
people's records point at it (comments, reviews, the audit log).

Rows that other people wrote (mentors' comments and reviews, safeguarding concerns)
are kept: they are that person's records, and the video they were about is gone.
Every cohort whose data is erased gets a ``person.data_deleted`` audit event, and its
leads a notification.

Two workers may run this at once: each due consent is *claimed* with a conditional
UPDATE that pushes ``deletion_due_at`` on by a lease, so only one worker erases a
student; a worker that dies half-way leaves the lease to run out, and the next run
erases again (every step is idempotent). Only when all is done is
``deletion_due_at`` cleared, in the same transaction as the audit events.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from datetime import datetime, timedelta

from sqlalchemy import or_, true, update

from ..accounts.models import ApiToken, User
from ..audit.models import AuditEvent
from ..cohorts.models import Membership
from ..db_types import utcnow
from ..extensions import db
from ..invitations.models import Invite
from ..media.storage import get_storage
from ..notifications import whatsapp
from ..notifications.models import EmailPreference, Notification, WhatsAppMessage
from ..phones import is_phone
from ..review.models import Comment
from ..sessions.models import Attendance, WorkshopSession
from ..submissions import lifecycle
from ..submissions.models import Submission, Version, VersionState
from ..uploads.models import Upload
from ..uploads.service import upload_dir
from . import notices
from .models import Consent, ConsentRequest

log = logging.getLogger("karya.consent")

DELETED_NAME = "Deleted person"
DELETED_COMMENT = "—"  # language-neutral: the comment stays in its thread, its words do not
DELETED_ERROR_CODE = "data_deleted"
CLAIM_LEASE = timedelta(hours=1)
MEDIA_FIELDS = ("original_key", "rendition_key", "poster_key", "storyboard_key", "storyboard_vtt_key")


def delete_due_data(now: datetime | None = None) -> list[int]:
    """Erase every student whose withdrawal's grace period is over; return their ids.

    ``now`` lets tests (and the CLI) choose the clock. A student whose video a worker is
    processing right now is left for the next run.
    """
    now = now or utcnow()
    due = db.session.execute(
        db.select(Consent.id, Consent.deletion_due_at)
        .where(Consent.withdrawn_at.is_not(None), Consent.deletion_due_at <= now)
        .order_by(Consent.deletion_due_at)
    ).all()
    db.session.commit()  # end the read transaction before slow storage work
    erased = []
    for consent_id, seen_due in due:
        if not _claim(consent_id, seen_due, now + CLAIM_LEASE):
            continue  # another worker has it
        consent = db.session.get(Consent, consent_id)
        if erase_student(consent, now=now):
            erased.append(consent.student_id)
        else:
            _release(consent_id, seen_due)
    return erased


def _claim(consent_id: int, seen_due: datetime, lease_until: datetime) -> bool:
    claimed = db.session.execute(
        update(Consent).where(Consent.id == consent_id, Consent.deletion_due_at == seen_due)
        .values(deletion_due_at=lease_until)
    ).rowcount == 1
    db.session.commit()
    return claimed


def _release(consent_id: int, due: datetime) -> None:
    db.session.execute(update(Consent).where(Consent.id == consent_id).values(deletion_due_at=due))
    db.session.commit()


def _version_ids(student_id: int, cohort_id: int | None) -> list[int]:
    """The student's versions: in ``cohort_id``, or everywhere when it is None."""
    query = (db.select(Version.id).join(Submission, Submission.id == Version.submission_id)
             .where(or_(Submission.student_id == student_id, Version.uploaded_by_id == student_id)))
    if cohort_id is not None:
        query = query.where(Version.cohort_id == cohort_id)
    return list(db.session.scalars(query))


def _only_membership(student_id: int, cohort_id: int) -> bool:
    """True when the student belongs to no cohort but ``cohort_id``: the account goes with it."""
    return db.session.scalar(db.select(Membership.id).where(
        Membership.user_id == student_id, Membership.cohort_id != cohort_id).limit(1)) is None


def erase_student(consent: Consent, *, now: datetime | None = None) -> bool:
    """Erase ``consent``'s student's data in its cohort (and the account with everything
    left when that was their last cohort), and commit; False if deferred."""
    now = now or utcnow()
    student_id = consent.student_id
    whole_account = _only_membership(student_id, consent.cohort_id)
    scope = None if whole_account else consent.cohort_id
    version_ids = _version_ids(student_id, scope)
    # Versions waiting for a worker will never be processed now (the job only claims
    # queued ones); a version being processed right now defers the whole erasure, so
    # that no rendition is written after its folder has gone.
    if version_ids:
        lifecycle.versions_withdrawn(version_ids, DELETED_ERROR_CODE)
        db.session.commit()
        if db.session.scalar(db.select(Version.id).where(
                Version.id.in_(version_ids), Version.state == VersionState.PROCESSING).limit(1)) is not None:
            log.info("consent %s: a version is processing; deletion deferred", consent.id)
            return False
    user = db.session.get(User, student_id)
    touched = notices.cohorts_holding(user, version_ids, scope)  # before the rows that show it go
    files = _delete_media(student_id, version_ids, scope)
    old = {"name": user.name, "email": user.email}
    numbers = _numbers_of(user)  # before the rows that hold them are scrubbed
    _scrub_versions(version_ids)
    _scrub_related_rows(user, version_ids, old, scope)
    if whole_account:
        _scrub_account(user, numbers)
        _anonymise(user, now)
        # Consent in other cohorts ends with the data it covered.
        db.session.execute(update(Consent).where(Consent.student_id == student_id, Consent.withdrawn_at.is_(None))
                           .values(withdrawn_at=now))
    consent.deletion_due_at = None
    notices.tell_cohorts(consent, touched, files=files, account_erased=whole_account)
    db.session.commit()
    log.info("consent %s: data of person %s deleted in %d cohort(s)%s", consent.id, student_id, len(touched),
             ", account erased" if whole_account else "")
    return True


def _delete_media(student_id: int, version_ids: list[int], scope: int | None) -> int:
    """Remove the student's stored objects (in cohort ``scope``, or all); return how many files went."""
    storage = get_storage()
    removed = 0
    for version in db.session.scalars(db.select(Version).where(Version.id.in_(version_ids))):
        for field in MEDIA_FIELDS:  # keys are normally inside the folder, but do not rely on it
            key = getattr(version, field)
            if key and storage.exists(key):
                storage.delete(key)
                removed += 1
        removed += storage.delete_prefix(f"versions/{version.id}")
    for consent in db.session.scalars(db.select(Consent).where(Consent.student_id == student_id,
                                                               _in_scope(Consent.cohort_id, scope))):
        if consent.evidence_key and storage.exists(consent.evidence_key):
            storage.delete(consent.evidence_key)
            removed += 1
        removed += storage.delete_prefix(f"consents/{consent.id}")
    for upload in db.session.scalars(db.select(Upload).where(Upload.user_id == student_id,
                                                             _in_scope(Upload.cohort_id, scope))).all():
        folder = upload_dir(upload.id)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        db.session.delete(upload)
    return removed


def _in_scope(column, scope: int | None):
    """``column == scope``, or no condition at all when the whole account goes."""
    return true() if scope is None else column == scope


def _scrub_versions(version_ids: list[int]) -> None:
    if not version_ids:
        return
    db.session.execute(update(Version).where(Version.id.in_(version_ids)).values(
        original_filename="", probe=None, **{field: None for field in MEDIA_FIELDS}))
    lifecycle.versions_erased(version_ids, DELETED_ERROR_CODE)
    # New media tokens: any media URL copied before is dead even if a file came back.
    for version_id in version_ids:
        db.session.execute(update(Version).where(Version.id == version_id)
                           .values(media_token=secrets.token_hex(16)))


def _scrub_related_rows(user: User, version_ids: list[int], old: dict, scope: int | None) -> None:
    """The student's rows in cohort ``scope`` (every cohort when None), other than media."""
    student_id = user.id
    db.session.execute(update(Comment).where(Comment.author_id == student_id, _in_scope(Comment.cohort_id, scope))
                       .values(body=DELETED_COMMENT, edited_at=None))
    sessions = db.select(WorkshopSession.id).where(_in_scope(WorkshopSession.cohort_id, scope))
    db.session.execute(db.delete(Attendance).where(Attendance.user_id == student_id,
                                                   Attendance.session_id.in_(sessions)))
    db.session.execute(db.delete(Membership).where(Membership.user_id == student_id,
                                                   _in_scope(Membership.cohort_id, scope)))
    db.session.execute(db.delete(Invite).where(db.func.lower(Invite.email) == old["email"].lower(),
                                               _in_scope(Invite.cohort_id, scope)))
    # Notifications about this work: the student's own go, and mentors' carry the student's name.
    links = [f"/versions/{vid}" for vid in version_ids]
    if links:
        about_them = or_(*[or_(Notification.link == link, Notification.link.startswith(link + "#"))
                           for link in links])
        db.session.execute(db.delete(Notification).where(Notification.user_id == student_id, about_them))
        for notification in db.session.scalars(db.select(Notification).where(about_them)).all():
            notification.data = _replace_values(notification.data, old, DELETED_NAME)
    # The audit log outlives personal data: keep the events, drop the IP addresses the
    # person acted from and their address where an event names it.
    in_scope = _in_scope(AuditEvent.cohort_id, scope)
    db.session.execute(update(AuditEvent).where(AuditEvent.actor_id == student_id, in_scope).values(ip=None))
    for event in db.session.scalars(db.select(AuditEvent).where(in_scope, or_(
            AuditEvent.actor_id == student_id,
            (AuditEvent.target_type == "User") & (AuditEvent.target_id == student_id),
            AuditEvent.action.startswith("invite.")))).all():  # invitations name the address
        scrubbed = _replace_values(event.data, old, "")
        if scrubbed != event.data:
            event.data = scrubbed
    db.session.execute(update(Consent).where(Consent.student_id == student_id, _in_scope(Consent.cohort_id, scope))
                       .values(guardian_name="", guardian_contact="", evidence_key=None, contact_hash=None,
                               guardian_relationship=""))
    # Requests sent by link: the guardian's name and the contact's digest go; the link then
    # answers that the data was deleted (consent/requests.py).
    db.session.execute(update(ConsentRequest).where(ConsentRequest.student_id == student_id,
                                                    _in_scope(ConsentRequest.cohort_id, scope))
                       .values(guardian_name="", guardian_relationship="", contact_hash="", code_hash=None))


def _numbers_of(user: User) -> set[str]:
    """The numbers WhatsApp messages about this person went to: their own, their guardians'."""
    contacts = {user.phone, user.guardian_contact,
                *db.session.scalars(db.select(Consent.guardian_contact).where(Consent.student_id == user.id))}
    return {contact for contact in contacts if is_phone(contact)}


def _scrub_account(user: User, numbers: set[str]) -> None:
    """What belongs to the account rather than to a cohort, once the account goes."""
    for model, column in ((Notification, Notification.user_id), (ApiToken, ApiToken.user_id),
                          (EmailPreference, EmailPreference.user_id)):
        db.session.execute(db.delete(model).where(column == user.id))
    if numbers:
        db.session.execute(db.delete(WhatsAppMessage).where(
            WhatsAppMessage.recipient_digest.in_([whatsapp.recipient_digest(n) for n in numbers])))


def _replace_values(data: dict | None, old: dict, placeholder: str) -> dict:
    """``data`` with every value equal to one of ``old``'s (case-insensitively) replaced."""
    if not data:
        return data or {}
    needles = {str(v).lower() for v in old.values() if v}
    return {k: placeholder if isinstance(v, str) and v.lower() in needles else v for k, v in data.items()}


def _anonymise(user: User, now: datetime) -> None:
    user.name = DELETED_NAME
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@deleted.invalid"
    user.password_hash = "!deleted"  # not an Argon2 hash: no password ever matches it
    user.guardian_contact, user.guardian_contact_cohort_id = "", None
    user.phone, user.whatsapp_opt_in = "", False
    user.birth_year = None
    user.locale = None
    user.calendar_token = None
    user.last_login_at = None
    user.deleted_at = user.deleted_at or now
