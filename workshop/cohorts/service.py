"""Cohorts: reading them for the people in them, and writing them (create, edit,
archive, join codes).

The writes are one function per change, shared by the pages and the API, so both refuse
the same things with the same messages: :class:`~workshop.errors.ApiError` with status
422 and the ``field`` to correct, or 409 when the cohort is archived. Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask_babel import lazy_gettext as _l

from ..access import is_confirmed
from ..audit.service import record
from ..db_types import utcnow
from ..errors import Conflict, Invalid
from ..extensions import db
from .. import localtime
from ..localtime import cohort_zone
from ..roles import Role
from .models import Assignment, Cohort, Membership, new_join_code

MAX_NAME = 160
MAX_DESCRIPTION = 5_000
MAX_REVIEW_TARGET_HOURS = 24 * 14


def may_create_cohorts(user) -> bool:
    """Site admins and programme staff (a lead of any cohort) may start a cohort."""
    if not is_confirmed(user):  # an unconfirmed account leads nothing yet
        return False
    if user.is_admin:
        return True
    return db.session.scalar(db.select(Membership.id).where(Membership.user_id == user.id,
                                                            Membership.role == Role.LEAD).limit(1)) is not None


@dataclass
class CohortInput:
    """What a lead may set on a cohort; strings as typed, parsed by :func:`save_cohort`."""

    name: str | None
    description: str | None = ""
    starts_on: str | None = None
    ends_on: str | None = None
    timezone: str | None = None
    review_target_hours: str | int | None = None


def parse_date(value, field: str) -> date | None:
    """An ISO date (``2025-07-14``), None for empty, else 422 on ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return localtime.parse_date(value if isinstance(value, str) else "")
    except ValueError as exc:
        raise Invalid(exc.args[0], field=field) from None


def parse_timezone(value) -> str:
    """A time-zone name the tz database knows, e.g. ``Asia/Jakarta``."""
    try:
        return localtime.parse_zone_name(value)
    except ValueError as exc:
        raise Invalid(exc.args[0], field="timezone") from None


def _parse_hours(value) -> int:
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REVIEW_TARGET_HOURS:
        raise Invalid(_l("The review target must be a whole number of hours between 1 and "
                         "%(max)d.", max=MAX_REVIEW_TARGET_HOURS), field="review_target_hours")
    return value


def save_cohort(data: CohortInput, cohort: Cohort | None = None, *, creator=None) -> Cohort:
    """Create a cohort (its ``creator`` becomes a lead) or update one; 422 for what must be fixed."""
    if cohort is not None:
        ensure_not_archived(cohort)
    name = " ".join((data.name or "").split()) if isinstance(data.name, str) else ""
    if not name:
        raise Invalid(_l("Give the cohort a name."), field="name")
    if len(name) > MAX_NAME:
        raise Invalid(_l("The name is too long (at most %(n)d characters).", n=MAX_NAME), field="name")
    description = (data.description or "").strip() if isinstance(data.description, str) else ""
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(_l("The description is too long."), field="description")
    starts_on = parse_date(data.starts_on, "starts_on")
    ends_on = parse_date(data.ends_on, "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise Invalid(_l("The end date cannot be before the start date."), field="ends_on")
    zone = parse_timezone(data.timezone) if data.timezone is not None else None
    hours = _parse_hours(data.review_target_hours) if data.review_target_hours not in (None, "") else None

    created = cohort is None
    if created:
        cohort = Cohort(join_code=_unused_join_code())
        db.session.add(cohort)
    cohort.name, cohort.description = name, description
    cohort.starts_on, cohort.ends_on = starts_on, ends_on
    if zone:
        cohort.timezone = zone
    if hours:
        cohort.review_target_hours = hours
    db.session.flush()
    if created:
        record("cohort.created", target=cohort, name=name)
        if creator is not None:
            db.session.add(Membership(cohort_id=cohort.id, user_id=creator.id, role=Role.LEAD))
            record("membership.created", target=cohort, role=Role.LEAD.value, user_id=creator.id)
    else:
        record("cohort.updated", target=cohort, name=name)
    return cohort


def ensure_not_archived(cohort: Cohort) -> None:
    """Archived cohorts are read-only; unarchiving is the one change they accept."""
    if cohort.archived_at is not None:
        raise Conflict(_l("This cohort is archived, so it cannot be changed. "
                          "Unarchive it first."), code="archived")


def set_archived(cohort: Cohort, archived: bool) -> None:
    if archived == (cohort.archived_at is not None):
        return
    cohort.archived_at = utcnow() if archived else None
    record("cohort.archived" if archived else "cohort.unarchived", target=cohort)


def _unused_join_code() -> str:
    while True:  # 31^8 codes: a clash is rare, but the column is unique
        code = new_join_code()
        if db.session.scalar(db.select(Cohort.id).where(Cohort.join_code == code)) is None:
            return code


def rotate_join_code(cohort: Cohort) -> str:
    """Give the cohort a new join code; the old one stops working as soon as this commits."""
    ensure_not_archived(cohort)
    old = cohort.join_code
    cohort.join_code = _unused_join_code()
    if cohort.join_code_expires_at is not None and cohort.join_code_expires_at <= utcnow():
        # A fresh code that is already expired would only confuse: drop the past expiry.
        cohort.join_code_expires_at = None
    record("cohort.join_code_rotated", target=cohort, old=old)
    return cohort.join_code


def set_join_code_expiry(cohort: Cohort, day_text: str | None, time_text: str | None = None) -> None:
    """Set (or clear, when the date is empty) the join code's expiry, given as a date and a
    time in the cohort's zone (``2025-07-14`` and ``18:00``, as date and time inputs send
    them); without a time, the code works to the end of that day."""
    ensure_not_archived(cohort)
    day_text, time_text = (day_text or "").strip(), (time_text or "").strip()
    if not day_text:
        cohort.join_code_expires_at = None
        record("cohort.join_code_expiry", target=cohort, expires_at=None)
        return
    zone = cohort_zone(cohort)
    try:
        day = localtime.parse_date(day_text)
    except ValueError as exc:
        raise Invalid(exc.args[0], field="expires_on") from None
    try:
        clock = localtime.parse_time(time_text or localtime.END_OF_DAY)
    except ValueError as exc:
        raise Invalid(exc.args[0], field="expires_time") from None
    expires = datetime.combine(day, clock, tzinfo=zone).astimezone(timezone.utc)
    if expires <= utcnow():
        raise Invalid(_l("Choose a time in the future."), field="expires_on")
    cohort.join_code_expires_at = expires
    record("cohort.join_code_expiry", target=cohort, expires_at=expires.isoformat())


# --- reading ------------------------------------------------------------------------------

def memberships_of(user) -> list[tuple[Cohort, Role]]:
    """The person's cohorts with their role in each, newest cohort first.

    Administrators see every cohort, as leads; an account whose address is unconfirmed
    holds no role anywhere yet (``access.py``), so it has none.
    """
    if not is_confirmed(user):
        return []
    if user.is_admin:
        cohorts = db.session.scalars(db.select(Cohort).order_by(Cohort.created_at.desc())).all()
        return [(cohort, Role.LEAD) for cohort in cohorts]
    rows = db.session.execute(
        db.select(Cohort, Membership.role).join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.user_id == user.id).order_by(Cohort.created_at.desc())).all()
    return [(cohort, role) for cohort, role in rows]


def assignments_by_cohort(cohort_ids: list[int]) -> dict[int, list[Assignment]]:
    """Assignments of several cohorts in one query, ordered by due date (undated last)."""
    result: dict[int, list[Assignment]] = {cohort_id: [] for cohort_id in cohort_ids}
    if not cohort_ids:
        return result
    assignments = db.session.scalars(
        db.select(Assignment).where(Assignment.cohort_id.in_(cohort_ids))
        .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.id))
    for assignment in assignments:
        result[assignment.cohort_id].append(assignment)
    return result


def members_of(cohort: Cohort) -> list[Membership]:
    """Members with leads first, then mentors, then students; by name within each."""
    members = db.session.scalars(
        db.select(Membership)
        .where(Membership.cohort_id == cohort.id)
        .options(db.joinedload(Membership.user))
    ).all()
    return sorted(members, key=lambda m: (-m.role.rank, m.user.name.lower()))
