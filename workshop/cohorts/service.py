"""Reading cohorts for the people in them."""

from __future__ import annotations

from ..accounts.confirmation import is_confirmed
from ..extensions import db
from .models import Assignment, Cohort, Membership, Role


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


def own_submissions(student_id: int) -> list:
    """The student's submissions in every cohort (one query)."""
    from ..submissions.models import Submission

    return db.session.scalars(db.select(Submission).where(Submission.student_id == student_id)).all()


def members_of(cohort: Cohort) -> list[Membership]:
    """Members with leads first, then mentors, then students; by name within each."""
    members = db.session.scalars(
        db.select(Membership)
        .where(Membership.cohort_id == cohort.id)
        .options(db.joinedload(Membership.user))
    ).all()
    return sorted(members, key=lambda m: (-m.role.rank, m.user.name.lower()))
