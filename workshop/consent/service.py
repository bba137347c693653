"""Recording and withdrawing guardian consent, and the "consent missing" flag.

A minor (``User.is_minor``) takes part in a cohort under their guardian's consent,
recorded by a lead with a signed form as evidence. Without active consent (none on
file, or withdrawn) their versions are still processed and reviewed, but mentors
and leads see "consent missing". Withdrawing consent schedules the deletion of the
student's media and personal data in that cohort ``DATA_DELETION_GRACE_DAYS`` after
the withdrawal is recorded (:mod:`.deletion` carries it out).

The functions here add to the session; the routes commit, except
:func:`record_consent`, which commits itself because it moves a file into storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam

from ..accounts.models import User
from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..db_types import utcnow
from ..errors import Conflict, Invalid
from ..extensions import db
from .. import localtime
from ..localtime import cohort_zone
from ..media.storage import get_storage
from ..phones import normalise_contact
from ..roles import Role
from . import evidence
from .models import Consent

MAX_GUARDIAN_NAME = 160
MAX_GUARDIAN_CONTACT = 254


def grace_period() -> timedelta:
    """How long after a withdrawal the student's data is deleted."""
    return timedelta(days=current_app.config.get("DATA_DELETION_GRACE_DAYS", 14))


def evidence_key(consent: Consent, kind: evidence.Kind) -> str:
    """The storage key of a consent's evidence file: made by Karya, never from a file name."""
    return f"consents/{consent.id}/evidence.{kind.extension}"


# --- the flag ---------------------------------------------------------------------------

def _active(student_ids, cohort_ids=None):
    query = db.select(Consent.student_id, Consent.cohort_id).where(
        Consent.student_id.in_(student_ids), Consent.withdrawn_at.is_(None))
    if cohort_ids is not None:
        query = query.where(Consent.cohort_id.in_(cohort_ids))
    return query


def has_consent(student_id: int, cohort_id: int) -> bool:
    """True when ``student_id`` has active consent on file in ``cohort_id`` (minor or not)."""
    return db.session.scalar(_active([student_id], [cohort_id]).limit(1)) is not None


def consent_missing(student_id: int, cohort_id: int) -> bool:
    """True when ``student_id`` is a minor with no active guardian consent in ``cohort_id``."""
    return (student_id, cohort_id) in consent_missing_among([(student_id, cohort_id)])


def consent_missing_among(pairs: Iterable) -> set[tuple[int, int]]:
    """The ``(student_id, cohort_id)`` pairs, of those given, that lack consent: one query for a list.

    ``pairs`` holds tuples or objects with ``student_id`` and ``cohort_id`` (submissions,
    versions), so templates can pass their rows as they are.
    """
    wanted = {(p[0], p[1]) if isinstance(p, tuple) else (p.student_id, p.cohort_id) for p in pairs}
    if not wanted:
        return set()
    minors, consented = set(), set()
    for minor_id, consented_cohort in db.session.execute(
            _minors_and_consents_statement(),
            {"ids": sorted({s for s, _c in wanted}), "cohort_ids": sorted({c for _s, c in wanted})}):
        minors.add(minor_id)
        if consented_cohort is not None:
            consented.add((minor_id, consented_cohort))
    return {pair for pair in wanted if pair[0] in minors and pair not in consented}


@cache
def _minors_and_consents_statement():
    """Which of the people are minors, each with the cohorts (of those asked) where their consent
    stands: one query. Built once, with bound parameters: the review queue and version pages ask
    on every view, and building it cost more than running it (docs/performance.md, "What the
    pages cost")."""
    return (db.select(User.id, Consent.cohort_id)
            .outerjoin(Consent, (Consent.student_id == User.id) & Consent.withdrawn_at.is_(None)
                       & Consent.cohort_id.in_(bindparam("cohort_ids", expanding=True)))
            .where(User.id.in_(bindparam("ids", expanding=True)), User.is_minor.is_(True),
                   User.deleted_at.is_(None)))


# --- the consent list -------------------------------------------------------------------

GIVEN, MISSING, WITHDRAWN, DELETED = "given", "missing", "withdrawn", "deleted"


@dataclass
class RosterEntry:
    """One minor of a cohort and where their consent stands."""

    student: User
    status: str  # GIVEN, MISSING, WITHDRAWN (deletion pending) or DELETED
    consent: Consent | None  # the active consent, else the latest one
    history: list[Consent]


def roster(cohort: Cohort) -> list[RosterEntry]:
    """The cohort's minor students, and anyone with a consent record here (also once deleted)."""
    members = db.session.scalars(
        db.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort.id, Membership.role == Role.STUDENT, User.is_minor.is_(True))
    ).all()
    consents = db.session.scalars(
        db.select(Consent).where(Consent.cohort_id == cohort.id)
        .order_by(Consent.given_at.desc(), Consent.id.desc())
    ).all()
    by_student: dict[int, list[Consent]] = {}
    for consent in consents:
        by_student.setdefault(consent.student_id, []).append(consent)
    people = {user.id: user for user in members}
    member_ids = set(people)
    missing_ids = set(by_student) - set(people)
    if missing_ids:
        people.update({u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(missing_ids)))})
    entries = []
    for user in people.values():
        history = by_student.get(user.id, [])
        active = next((c for c in history if c.withdrawn_at is None), None)
        latest = active or (history[0] if history else None)
        if user.deleted_at is not None or _erased_here(user.id, member_ids, active, latest):
            status = DELETED
        elif active is not None:
            status = GIVEN
        elif latest is not None and latest.deletion_due_at is not None:
            status = WITHDRAWN
        else:
            status = MISSING
        entries.append(RosterEntry(user, status, latest, history))
    order = {MISSING: 0, WITHDRAWN: 1, GIVEN: 2, DELETED: 3}
    entries.sort(key=lambda e: (order[e.status], e.student.name.lower()))
    return entries


def _erased_here(user_id: int, member_ids: set[int], active: Consent | None, latest: Consent | None) -> bool:
    """A former member whose data here went after a withdrawal (the account lives on elsewhere)."""
    return (user_id not in member_ids and active is None and latest is not None
            and latest.withdrawn_at is not None and latest.deletion_due_at is None)


def minor_students(cohort: Cohort) -> list[User]:
    """The cohort's students marked as minors who are not deleted, by name."""
    return db.session.scalars(
        db.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort.id, Membership.role == Role.STUDENT,
               User.is_minor.is_(True), User.deleted_at.is_(None))
        .order_by(db.func.lower(User.name))
    ).all()


def suggested_guardian_contact(cohort: Cohort, student: User) -> str:
    """The guardian contact to suggest on this cohort's consent form for ``student``.

    The one recorded with this cohort's latest consent, else the account's own when this
    cohort is the only one the student belongs to (its roster gave it). A contact another
    cohort recorded is that cohort's, not this lead's to read.
    """
    recorded = db.session.scalar(db.select(Consent.guardian_contact).where(
        Consent.cohort_id == cohort.id, Consent.student_id == student.id, Consent.guardian_contact != "")
        .order_by(Consent.given_at.desc(), Consent.id.desc()).limit(1))
    if recorded:
        return recorded
    elsewhere = db.session.scalar(db.select(Membership.id).where(
        Membership.user_id == student.id, Membership.cohort_id != cohort.id).limit(1))
    return student.guardian_contact if elsewhere is None else ""


# --- recording and withdrawing ------------------------------------------------------------

def parse_day(text: str, field: str) -> date:
    """A date typed as YYYY-MM-DD (what ``<input type=date>`` sends); 422 on ``field`` if not one."""
    try:
        return localtime.parse_date(text)
    except ValueError as exc:
        raise Invalid(exc.args[0], field=field) from None


def start_of_day(day: date, cohort: Cohort) -> datetime:
    """Midnight at the start of ``day`` in the cohort's time zone, as an aware datetime."""
    return localtime.start_of_day(day, cohort_zone(cohort))


def today_in(cohort: Cohort, now: datetime) -> date:
    return localtime.local_date(now, cohort_zone(cohort))


def record_consent(cohort: Cohort, student_id: int | None, *, guardian_name: str, guardian_contact: str,
                   given_on: date, evidence_file, by: User, guardian_whatsapp_opt_out: bool = False) -> Consent:
    """Record a guardian's consent with its evidence file, and commit.

    Recording consent again while a withdrawal's deletion is pending in this cohort
    cancels that deletion: the guardian has changed their mind in time. The guardian contact
    is kept in E.164 when it is a phone number; ``guardian_whatsapp_opt_out`` records that the
    guardian wants no WhatsApp messages there.
    Raises :class:`ApiError` (422 or 409, with ``field``) for anything to fix.
    """
    student = db.session.get(User, student_id) if student_id else None
    if student is None or student.id not in {u.id for u in minor_students(cohort)}:
        raise Invalid(_l("Choose a student of this cohort who is under 18."), field="student_id")
    guardian_name, guardian_contact = (guardian_name or "").strip(), (guardian_contact or "").strip()
    if not guardian_name:
        raise Invalid(_l("Enter the name of the parent or guardian."), field="guardian_name")
    if len(guardian_name) > MAX_GUARDIAN_NAME:
        raise Invalid(_l("The name is too long."), field="guardian_name")
    if len(guardian_contact) > MAX_GUARDIAN_CONTACT:
        raise Invalid(_l("The contact is too long."), field="guardian_contact")
    guardian_contact = normalise_contact(guardian_contact, field="guardian_contact")  # E.164 or an email
    if given_on > today_in(cohort, utcnow()):
        raise Invalid(_l("The date consent was given cannot be in the future."), field="given_on")
    if has_consent(student.id, cohort.id):
        raise Conflict(_l("%(name)s already has consent on file in this cohort.",
                          name=student.name), field="student_id", code="consent_on_file")
    path, kind = evidence.receive(evidence_file)  # last: the cheap checks above fail first
    key = None
    try:
        consent = Consent(cohort_id=cohort.id, student_id=student.id, guardian_name=guardian_name,
                          guardian_contact=guardian_contact, given_at=start_of_day(given_on, cohort),
                          guardian_whatsapp_opt_out=bool(guardian_whatsapp_opt_out),
                          recorded_by_id=by.id)
        db.session.add(consent)
        db.session.flush()
        key = consent.evidence_key = evidence_key(consent, kind)
        get_storage().put_file(key, path, content_type=kind.mimetype)
        cancel_pending_deletion(cohort.id, student.id, by)
        record("consent.recorded", target=consent, actor=by, student_id=student.id, evidence=kind.extension)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if key is not None:
            get_storage().delete(key)
        raise
    finally:
        evidence.discard(path)  # already moved into storage when all went well
    return consent


def cancel_pending_deletion(cohort_id: int, student_id: int, by: User | None) -> None:
    """Consent given again in the grace period after a withdrawal: the deletion is off."""
    pending = db.session.scalars(db.select(Consent).where(
        Consent.cohort_id == cohort_id, Consent.student_id == student_id,
        Consent.deletion_due_at.is_not(None))).all()
    for consent in pending:
        consent.deletion_due_at = None
        record("consent.deletion_cancelled", target=consent, actor=by, student_id=student_id)


def deletion_due(recorded_at: datetime | None = None) -> datetime:
    """When the student's data will be deleted after a withdrawal recorded at ``recorded_at`` (now).

    The grace period runs from when Karya learns of the withdrawal, never from the date
    typed on the form: a withdrawal dated months ago still leaves the full period to
    download the data or change one's mind.
    """
    return (recorded_at or utcnow()) + grace_period()


def check_withdrawal(consent: Consent, withdrawn_at: datetime, now: datetime | None = None) -> None:
    """Raise ApiError when ``consent`` cannot be withdrawn at ``withdrawn_at``."""
    if consent.withdrawn_at is not None:
        raise Conflict(_l("This consent has already been withdrawn."), code="already_withdrawn")
    if withdrawn_at > (now or utcnow()):
        raise Invalid(_l("The date of withdrawal cannot be in the future."), field="withdrawn_on")
    if withdrawn_at < consent.given_at:
        raise Invalid(_l("The date of withdrawal cannot be before consent was given."), field="withdrawn_on")


def withdraw(consent: Consent, *, withdrawn_at: datetime, by: User | None = None) -> Consent:
    """Record a withdrawal and schedule the deletion of the student's data in this cohort,
    a grace period from now (the caller commits)."""
    check_withdrawal(consent, withdrawn_at)
    consent.withdrawn_at = withdrawn_at
    consent.deletion_due_at = deletion_due()
    record("consent.withdrawn", target=consent, actor=by, student_id=consent.student_id,
           deletion_due_at=consent.deletion_due_at.isoformat())
    return consent
