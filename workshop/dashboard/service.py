"""Everything the cohort dashboard shows, read with a fixed number of queries.

Each figure is one aggregate query over the cohort, so the page costs the same number
of queries for a cohort of 10 or 2,500 students (tests/test_leads.py checks it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func

from ..accounts.models import User
from ..cohorts.models import Assignment, Cohort, Membership
from ..db_types import seconds_between, utcnow
from ..extensions import db
from ..review.models import Review
from ..roles import Role
from ..sessions.service import attendance_rate
from ..submissions.allocation import OPEN, overdue_before
from ..submissions.models import ConcernState, SafeguardingConcern
from ..submissions.models import Submission, Version, VersionState


@dataclass
class Cell:
    submission_id: int
    state: str
    versions: int
    latest_version_id: int | None


@dataclass
class Waiting:
    version_id: int
    number: int
    student: str
    assignment: str
    mentor: str | None
    ready_at: datetime
    overdue: bool


@dataclass
class Progress:
    students: list[tuple[int, str]]
    assignments: list[Assignment]
    cells: dict[tuple[int, int], Cell]  # (student id, assignment id) -> cell
    turnaround_median_h: float | None
    turnaround_p90_h: float | None
    reviews_counted: int
    waiting: list[Waiting]
    mentor_load: list[tuple[int, str, int, int]]  # id, name, open reviews, all assigned
    attendance_rate: float | None
    open_concerns: int
    state_counts: dict[str, int] = field(default_factory=dict)

    @property
    def overdue(self) -> list[Waiting]:
        return [w for w in self.waiting if w.overdue]

    def matrix(self) -> list[tuple[str, list[Cell | None]]]:
        """Each student's name with their cells in the order of ``assignments`` (None where
        nothing was submitted): the table as the page draws it."""
        ids = [a.id for a in self.assignments]
        return [(name, [self.cells.get((student_id, a)) for a in ids]) for student_id, name in self.students]


def progress(cohort: Cohort) -> Progress:
    params = {"cohort_id": cohort.id}
    students = db.session.execute(_students_statement(), params).all()
    assignments = db.session.scalars(
        db.select(Assignment).where(Assignment.cohort_id == cohort.id)
        .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.id)).all()
    cells, state_counts = {}, {}
    for sub_id, student_id, assignment_id, state, n, latest in db.session.execute(_cells_statement(), params):
        cells[(student_id, assignment_id)] = Cell(sub_id, state.value, n or 0, latest)
        state_counts[state.value] = state_counts.get(state.value, 0) + 1

    median_h, p90_h, counted = _turnaround(cohort.id)
    open_concerns = db.session.scalar(db.select(func.count()).select_from(SafeguardingConcern).where(
        SafeguardingConcern.cohort_id == cohort.id, SafeguardingConcern.state == ConcernState.OPEN))
    return Progress(
        students=[(sid, name) for sid, name in students], assignments=list(assignments), cells=cells,
        turnaround_median_h=median_h, turnaround_p90_h=p90_h, reviews_counted=counted,
        waiting=waiting_reviews(cohort), mentor_load=_mentor_load(cohort.id),
        attendance_rate=attendance_rate(cohort.id), open_concerns=open_concerns,
        state_counts=state_counts,
    )


# The statements that cost 0.3 ms of CPU or more to build are built once per process, with the
# cohort as a bound parameter (SQLAlchemy's documented reuse of a statement): SQLAlchemy caches
# a statement's compiled SQL, not the building of it and its cache key, which took 0.3-3 ms
# each, as long as running it or longer (docs/performance.md, "What the pages cost"). The
# others are built where they run.

@cache
def _students_statement():
    return (db.select(User.id, User.name).join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == bindparam("cohort_id"), Membership.role == Role.STUDENT)
            .order_by(func.lower(User.name), User.id))


@cache
def _cells_statement():
    """Each submission of the cohort with its number of versions and its newest version's id."""
    versions = (db.select(Version.submission_id, func.count().label("n"), func.max(Version.id).label("latest"))
                .where(Version.cohort_id == bindparam("cohort_id")).group_by(Version.submission_id).subquery())
    return (db.select(Submission.id, Submission.student_id, Submission.assignment_id, Submission.state,
                      versions.c.n, versions.c.latest)
            .outerjoin(versions, versions.c.submission_id == Submission.id)
            .where(Submission.cohort_id == bindparam("cohort_id")))


def _turnaround(cohort_id: int) -> tuple[float | None, float | None, int]:
    """Median and 90th percentile, in hours, from a version being ready to its first review."""
    seconds = db.session.scalars(_turnaround_statement(), {"cohort_id": cohort_id}).all()
    hours = sorted(max(0.0, s / 3600) for s in seconds)
    if not hours:
        return None, None, 0
    return percentile(hours, 50), percentile(hours, 90), len(hours)


@cache
def _turnaround_statement():
    # Seconds worked out in SQL: one float a reviewed version rather than two timestamps.
    return (db.select(seconds_between(Version.ready_at, func.min(Review.created_at)))
            .join(Review, Review.version_id == Version.id)
            # The cohort on reviews too, so PostgreSQL reads them by index rather than all of them.
            .where(Version.cohort_id == bindparam("cohort_id"), Review.cohort_id == bindparam("cohort_id"),
                   Version.ready_at.is_not(None))
            .group_by(Version.id, Version.ready_at))


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def waiting_reviews(cohort: Cohort) -> list[Waiting]:
    """The newest ready version of each submission waiting for a verdict, oldest first."""
    cutoff = overdue_before(cohort)
    rows = db.session.execute(_waiting_statement(), {"cohort_id": cohort.id}).all()
    return [Waiting(vid, number, student_name, title, mentor_name, ready_at or utcnow(),
                    bool(ready_at and ready_at < cutoff))
            for vid, number, ready_at, student_name, title, mentor_name in rows]


@cache
def _waiting_statement():
    newest = (db.select(Version.submission_id, func.max(Version.number).label("number"))
              .where(Version.cohort_id == bindparam("cohort_id"), Version.state == VersionState.READY)
              .group_by(Version.submission_id).subquery())
    # Names and title looked up by key in subqueries rather than joined: PostgreSQL plans a
    # statement on each use until it is prepared, and the join of six tables took it 2.6 ms to
    # plan, this 0.6 (docs/performance.md, "What the pages cost").
    student = db.select(User.name).where(User.id == Submission.student_id).scalar_subquery()
    title = db.select(Assignment.title).where(Assignment.id == Submission.assignment_id).scalar_subquery()
    mentor = db.select(User.name).where(User.id == Submission.mentor_id).scalar_subquery()
    return (db.select(Version.id, Version.number, Version.ready_at, student, title, mentor)
            .join(newest, (newest.c.submission_id == Version.submission_id) & (newest.c.number == Version.number))
            .join(Submission, Submission.id == Version.submission_id)
            # The cohort again on submissions: without it PostgreSQL scans every submission.
            .where(Submission.cohort_id == bindparam("cohort_id"), Submission.state.in_(OPEN))
            .order_by(Version.ready_at, Version.id))


def _mentor_load(cohort_id: int) -> list[tuple[int, str, int, int]]:
    """Each mentor's open reviews and all submissions assigned, busiest first: the counts of
    allocation.mentor_loads with the names, in one query."""
    rows = db.session.execute(_mentor_load_statement(), {"cohort_id": cohort_id}).all()
    return sorted(((m, name, open_, total) for m, name, open_, total in rows), key=lambda r: (-r[2], r[1]))


@cache
def _mentor_load_statement():
    return (db.select(User.id, User.name, func.count(Submission.id).filter(Submission.state.in_(OPEN)),
                      func.count(Submission.id))
            .join(Membership, Membership.user_id == User.id)
            .outerjoin(Submission, (Submission.mentor_id == User.id)
                       & (Submission.cohort_id == Membership.cohort_id))
            .where(Membership.cohort_id == bindparam("cohort_id"), Membership.role == Role.MENTOR)
            .group_by(User.id, User.name))
