"""Cohorts over the API: what a member sees, and what leads change."""

from __future__ import annotations

from datetime import date
from typing import Literal

from flask import g
from flask_login import current_user
from pydantic import Field

from ..access import requires, signed_in
from ..cohorts import service
from ..cohorts.models import Cohort
from ..extensions import db
from ..invitations import service as invitations
from ..roles import Role
from . import bp
from .contract import Answer, Body, DateText, Reply, Timestamp, operation


class NewCohort(Body):
    name: str = Field(max_length=service.MAX_NAME)
    description: str | None = Field(None, max_length=service.MAX_DESCRIPTION)
    starts_on: DateText | None = None
    ends_on: DateText | None = Field(None, description="Not before `starts_on`")
    timezone: str | None = Field(None, max_length=64, examples=["Asia/Jakarta"],
                                 description="An IANA time zone; the programme's own when left out")
    review_target_hours: int | None = Field(None, ge=1, le=service.MAX_REVIEW_TARGET_HOURS)


class NewMember(Body):
    email: str = Field(max_length=254)
    name: str | None = Field(None, description="Required when the address has no account yet")
    role: Role = Field(Role.STUDENT, strict=False)


class CohortAssignment(Reply):
    id: int
    title: str
    due_at: Timestamp | None
    max_duration_s: int


class CohortDetail(Reply):
    id: int
    name: str
    description: str | None
    role: Role = Field(description="The caller's role in the cohort")
    starts_on: date | None
    ends_on: date | None
    assignments: list[CohortAssignment]


class CreatedCohort(Reply):
    id: int
    join_code: str
    name: str
    starts_on: date | None
    ends_on: date | None
    timezone: str


class Member(Reply):
    user_id: int
    name: str
    email: str
    role: Role


class Members(Reply):
    members: list[Member]


class Membership(Member):
    cohort_id: int


class MemberAdded(Reply):
    membership: Membership
    created: bool


class Invite(Reply):
    id: int
    email: str
    role: Role
    cohort_id: int
    expires_at: Timestamp


class Invited(Reply):
    status: Literal["invited"]
    invite: Invite


@bp.get("/cohorts/<int:cohort_id>")
@requires(Role.STUDENT, Cohort)
@operation("A cohort and its assignments (members)", tag="cohorts", answers={200: Answer("The cohort", CohortDetail)})
def cohort_detail(cohort: Cohort):
    assignments = service.assignments_by_cohort([cohort.id])[cohort.id]
    return CohortDetail(
        id=cohort.id, name=cohort.name, description=cohort.description, role=g.cohort_role,
        starts_on=cohort.starts_on, ends_on=cohort.ends_on,
        assignments=[CohortAssignment(id=a.id, title=a.title, due_at=a.due_at, max_duration_s=a.max_duration_s)
                     for a in assignments])


@bp.get("/cohorts/<int:cohort_id>/members")
@requires(Role.MENTOR, Cohort)
@operation("The cohort's people (mentors and leads)", tag="cohorts", answers={200: Answer("Members", Members)},
           errors=(403,))
def cohort_members(cohort: Cohort):
    return Members(members=[Member(user_id=m.user_id, name=m.user.name, email=m.user.email, role=m.role)
                            for m in service.members_of(cohort)])


@bp.post("/cohorts")
@signed_in
@operation("Start a cohort (admins and leads); the caller becomes its lead", tag="cohorts", body=NewCohort,
           answers={201: Answer("The cohort", CreatedCohort)}, errors=(403,),
           guard=lambda: service.may_create_cohorts(current_user))
def create_cohort(body: NewCohort):
    """Programme staff (a lead of some cohort) and admins start a cohort and become its lead.
    Dates are ISO 8601 (`2025-07-14`)."""
    cohort = service.save_cohort(service.CohortInput(
        name=body.name, description=body.description or "",
        starts_on=body.starts_on and body.starts_on.isoformat(), ends_on=body.ends_on and body.ends_on.isoformat(),
        timezone=body.timezone, review_target_hours=body.review_target_hours,
    ), creator=current_user)
    db.session.commit()
    return CreatedCohort(id=cohort.id, join_code=cohort.join_code, name=cohort.name, starts_on=cohort.starts_on,
                         ends_on=cohort.ends_on, timezone=cohort.timezone), 201


@bp.post("/cohorts/<int:cohort_id>/members")
@requires(Role.LEAD, Cohort)
@operation("Add a person by email (leads)", tag="cohorts", body=NewMember, answers={
    201: Answer("A new account, added", MemberAdded),
    200: Answer("Already in the cohort, left as they were", MemberAdded),
    202: Answer("The address has an account: it is emailed an invite to accept", Invited),
}, errors=(403, 409))
def add_cohort_member(cohort: Cohort, body: NewMember):
    """A new address gets an account and an emailed set-password link (201; `name` is then
    required); an existing account is emailed an invite its owner accepts while signed in
    (202), since a lead cannot give a role to whoever holds an address's account; someone
    already in the cohort is left as they are (200)."""
    outcome, row = invitations.add_member(cohort, body.email, body.name, body.role, current_user)
    if outcome == "invited":
        return Invited(status="invited", invite=Invite(id=row.id, email=row.email, role=row.role,
                                                       cohort_id=row.cohort_id, expires_at=row.expires_at)), 202
    created = outcome == "created"
    membership = Membership(user_id=row.user_id, name=row.user.name, email=row.user.email, role=row.role,
                            cohort_id=row.cohort_id)
    return MemberAdded(membership=membership, created=created), 201 if created else 200
