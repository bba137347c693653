"""Leads over the API: assignments and a cohort's progress."""

from __future__ import annotations

from pydantic import Field

from ..access import requires
from ..assignments.service import (MAX_BRIEF, MAX_DURATION_S, MAX_TITLE, AssignmentInput, save_assignment,
                                   template_ids_for_keys)
from ..cohorts.models import Cohort
from ..dashboard.service import progress
from ..extensions import db
from ..localtime import cohort_zone
from ..roles import Role
from . import bp
from .contract import Answer, Body, DateTimeText, Reply, Timestamp, in_zone, operation
from .tokens import AssignmentBrief


class NewAssignment(Body):
    title: str = Field(max_length=MAX_TITLE)
    brief: str | None = Field(None, max_length=MAX_BRIEF)
    due_at: DateTimeText | None = Field(None, description="Without an offset: in the cohort's time zone")
    max_duration_s: int = Field(900, ge=5, le=MAX_DURATION_S)
    checklist_template_keys: list[str] | None = Field(None, examples=[["wellbeing", "child_safety"]], description=(
        "Each names the cohort's own copy of a template if it has one, else the default "
        "(`wellbeing`, `child_safety`, `accuracy`, `copyright`); left out, the defaults apply"))


class CreatedAssignment(Reply):
    id: int
    title: str
    due_at: Timestamp | None
    max_duration_s: int
    checklist_template_keys: list[str]


class Student(Reply):
    id: int
    name: str


class SubmissionCell(Reply):
    student_id: int
    assignment_id: int
    submission_id: int
    state: str
    versions: int
    latest_version_id: int | None


class Turnaround(Reply):
    median: float | None
    p90: float | None
    reviews: int


class WaitingReview(Reply):
    version_id: int
    student: str
    assignment: str
    mentor: str | None
    ready_at: Timestamp | None
    overdue: bool


class MentorLoad(Reply):
    mentor_id: int
    name: str
    open_reviews: int
    assigned: int


class Progress(Reply):
    cohort_id: int
    students: list[Student]
    assignments: list[AssignmentBrief]
    submissions: list[SubmissionCell] = Field(description="One for each student and assignment with an upload")
    review_turnaround_hours: Turnaround
    waiting_reviews: list[WaitingReview]
    mentor_load: list[MentorLoad]
    attendance_rate: float | None
    open_concerns: int


@bp.post("/cohorts/<int:cohort_id>/assignments")
@requires(Role.LEAD, Cohort)
@operation("Create an assignment (leads)", tag="cohorts", body=NewAssignment,
           answers={201: Answer("The assignment", CreatedAssignment)}, errors=(403, 409))
def create_assignment(cohort: Cohort, body: NewAssignment):
    keys = body.checklist_template_keys
    assignment = save_assignment(cohort, AssignmentInput(
        title=body.title, brief=body.brief or "", due_at=in_zone(body.due_at, cohort_zone(cohort), "due_at"),
        max_duration_s=body.max_duration_s,
        template_ids=template_ids_for_keys(cohort, keys) if keys is not None else None))
    db.session.commit()
    return CreatedAssignment(id=assignment.id, title=assignment.title, due_at=assignment.due_at,
                             max_duration_s=assignment.max_duration_s,
                             checklist_template_keys=[t.key for t in assignment.checklist_templates]), 201


@bp.get("/cohorts/<int:cohort_id>/progress")
@requires(Role.LEAD, Cohort)
@operation("The cohort's progress (leads)", tag="cohorts", errors=(403,), answers={200: Answer(
    "Students, assignments, submissions, review turnaround, mentor load, attendance", Progress)})
def cohort_progress(cohort: Cohort):
    p = progress(cohort)
    return Progress(
        cohort_id=cohort.id,
        students=[Student(id=sid, name=name) for sid, name in p.students],
        assignments=[AssignmentBrief(id=a.id, title=a.title, due_at=a.due_at) for a in p.assignments],
        submissions=[SubmissionCell(student_id=s, assignment_id=a, submission_id=c.submission_id, state=c.state,
                                    versions=c.versions, latest_version_id=c.latest_version_id)
                     for (s, a), c in sorted(p.cells.items())],
        review_turnaround_hours=Turnaround(median=p.turnaround_median_h, p90=p.turnaround_p90_h,
                                           reviews=p.reviews_counted),
        waiting_reviews=[WaitingReview(version_id=w.version_id, student=w.student, assignment=w.assignment,
                                       mentor=w.mentor, ready_at=w.ready_at, overdue=w.overdue) for w in p.waiting],
        mentor_load=[MentorLoad(mentor_id=m, name=n, open_reviews=o, assigned=t) for m, n, o, t in p.mentor_load],
        attendance_rate=p.attendance_rate,
        open_concerns=p.open_concerns,
    )
