"""Reading cohorts for the people in them."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam

from ..access import is_confirmed
from ..extensions import db
from ..roles import Role
from .models import Assignment, Cohort, Membership


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
    rows = db.session.execute(_memberships_statement(), {"user_id": user.id}).all()
    return [(cohort, role) for cohort, role in rows]


# The home page's statements, built once per process: SQLAlchemy takes longer to build
# a statement than SQLite or PostgreSQL take to run these.
@cache
def _memberships_statement():
    return (db.select(Cohort, Membership.role).join(Membership, Membership.cohort_id == Cohort.id)
            .where(Membership.user_id == bindparam("user_id")).order_by(Cohort.created_at.desc()))


@cache
def _assignments_statement():
    return (db.select(Assignment).where(Assignment.cohort_id.in_(bindparam("cohort_ids", expanding=True)))
            .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.id))


def assignments_by_cohort(cohort_ids: list[int]) -> dict[int, list[Assignment]]:
    """Assignments of several cohorts in one query, ordered by due date (undated last)."""
    result: dict[int, list[Assignment]] = {cohort_id: [] for cohort_id in cohort_ids}
    if not cohort_ids:
        return result
    assignments = db.session.scalars(_assignments_statement(), {"cohort_ids": list(cohort_ids)})
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
