"""Who reads which safeguarding concern, and the list of them a person follows.

A concern is read by its cohort's leads, and by the mentor who raised it: they follow what
became of it (its state and the lead's resolution), and see no other mentor's concerns.
Students never see one. Raising and resolving are in ``service.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..cohorts.models import Assignment
from ..extensions import db
from ..roles import Role
from ..submissions.models import ConcernState, SafeguardingConcern, Submission, Version


def may_read_concern(concern: SafeguardingConcern, user, role: Role) -> bool:
    """Whether someone with ``role`` in the concern's cohort may read it: its leads, and the
    mentor who raised it (their own concern only, to follow what became of it)."""
    if role.at_least(Role.LEAD):
        return True
    return role is Role.MENTOR and concern.raised_by_id is not None and concern.raised_by_id == user.id


@dataclass(frozen=True)
class ConcernLine:
    """One line of the concern list: plain values read in one query."""

    id: int
    state: ConcernState
    student_name: str
    assignment_id: int
    assignment_title: str
    version_id: int | None
    version_number: int | None
    raised_by_id: int | None
    raised_by_name: str | None
    raised_at: datetime
    resolution: str
    resolved_by_name: str | None
    resolved_at: datetime | None

    @property
    def open(self) -> bool:
        return self.state is ConcernState.OPEN


def concern_list(cohort_id: int, user, role: Role) -> list[ConcernLine]:
    """The cohort's concerns that ``user`` may read (all of them for a lead, a mentor's own
    otherwise), open ones first, newest first within each."""
    student, raiser, resolver = aliased(User), aliased(User), aliased(User)
    query = (db.select(SafeguardingConcern.id, SafeguardingConcern.state, student.name, Assignment.id,
                       Assignment.title, Version.id, Version.number, SafeguardingConcern.raised_by_id, raiser.name,
                       SafeguardingConcern.created_at, SafeguardingConcern.resolution, resolver.name,
                       SafeguardingConcern.resolved_at)
             .join(Submission, Submission.id == SafeguardingConcern.submission_id)
             .join(student, student.id == Submission.student_id)
             .join(Assignment, Assignment.id == Submission.assignment_id)
             .outerjoin(Version, Version.id == SafeguardingConcern.version_id)
             .outerjoin(raiser, raiser.id == SafeguardingConcern.raised_by_id)
             .outerjoin(resolver, resolver.id == SafeguardingConcern.resolved_by_id)
             .where(SafeguardingConcern.cohort_id == cohort_id)
             .order_by((SafeguardingConcern.state == ConcernState.OPEN).desc(),
                       SafeguardingConcern.created_at.desc(), SafeguardingConcern.id.desc()))
    if not role.at_least(Role.LEAD):
        query = query.where(SafeguardingConcern.raised_by_id == user.id)
    return [ConcernLine(*row) for row in db.session.execute(query)]
