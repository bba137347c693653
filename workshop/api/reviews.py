"""Review over the API: comments, checklists, verdicts and the review queue.

The review page's own script reads and writes comments through these routes too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import g
from flask_login import current_user
from pydantic import BeforeValidator, Field

from ..access import requires, signed_in
from ..cohorts.models import Assignment
from ..db_types import MAX_ID
from ..extensions import db
from ..review import checklists, service, verdicts
from ..review.drawing import MAX_PEN_POINTS, MAX_POINTS, MAX_SHAPES
from ..review.models import Answer as ItemAnswer
from ..review.models import ChecklistItem, Comment, Review, Severity, Verdict
from ..roles import Role
from ..submissions.models import SubmissionState, Version
from . import bp
from .contract import Answer, Body, Query, Reply, Timestamp, operation

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Point = Annotated[list[Fraction], Field(min_length=2, max_length=2)]
ShapeKind = Literal["pen", "arrow", "box"]
ShapeColor = Literal["red", "yellow", "green", "blue", "white"]


class Shape(Body):
    kind: ShapeKind = Field(description="`pen`: a line through its points; `arrow`: from the first point to "
                                        "the second; `box`: two opposite corners")
    color: ShapeColor
    points: list[Point] = Field(min_length=2, max_length=MAX_PEN_POINTS, description=(
        f"Each `[x, y]` in fractions of the frame from its left and top edge; 2 to {MAX_PEN_POINTS}, "
        f"an arrow and a box exactly 2"))


class NewComment(Body):
    body: str = Field(max_length=service.MAX_COMMENT_CHARS)
    timecode_ms: int | None = Field(None, ge=0, le=MAX_ID, description="Where in the video; within its length")
    end_ms: int | None = Field(None, ge=0, le=MAX_ID, description=(
        "The end of a range that starts at `timecode_ms`: after it and within the video's length"))
    drawing: list[Shape] | None = Field(None, max_length=MAX_SHAPES, description=(
        f"Shapes drawn on the frame at `timecode_ms`, which a drawing needs; at most {MAX_SHAPES} shapes "
        f"and {MAX_POINTS} points in all. Replies carry none"))
    parent_id: RowId | None = Field(None, description="Reply to this comment: joins its thread and its privacy")
    private: bool = Field(False, description="A note for mentors and leads only")


class ChecklistAnswer(Body):
    item_id: int
    answer: ItemAnswer = Field(strict=False)
    note: str | None = Field(None, max_length=service.MAX_COMMENT_CHARS)


class NewReview(Body):
    verdict: Verdict = Field(strict=False)
    summary: str | None = Field(None, max_length=verdicts.MAX_SUMMARY_CHARS,
                                description="Required unless the verdict is `approved`")
    answers: list[ChecklistAnswer] | None = Field(None, description=(
        "Approving needs every `must` item answered `yes` or `na`: otherwise 422 with code "
        "`must_items_missing` and the items in `missing`, and nothing is saved"))


class QueueFilter(Query):
    only: Annotated[Literal["mine", "unassigned"] | None, BeforeValidator(lambda value: value or None)] = None


class Author(Reply):
    id: int | None
    name: str | None


class ShapeOut(Reply):
    kind: ShapeKind
    color: ShapeColor
    points: list[list[float]]


class CommentOut(Reply):
    id: int
    version_id: int
    version_number: int | None
    parent_id: int | None
    author: Author
    body: str
    timecode_ms: int | None
    end_ms: int | None
    drawing: list[ShapeOut] | None
    private: bool
    resolved: bool
    created_at: Timestamp | None

    @classmethod
    def of(cls, comment: Comment, version_number: int | None = None) -> CommentOut:
        return cls(id=comment.id, version_id=comment.version_id, version_number=version_number,
                   parent_id=comment.parent_id,
                   author=Author(id=comment.author_id, name=comment.author.name if comment.author else None),
                   body=comment.body, timecode_ms=comment.timecode_ms, end_ms=comment.end_ms,
                   drawing=[ShapeOut(**shape) for shape in comment.drawing] if comment.drawing else None,
                   private=comment.private,
                   resolved=comment.resolved_at is not None, created_at=comment.created_at)


class Comments(Reply):
    comments: list[CommentOut]


class ChecklistItemOut(Reply):
    id: int
    key: str
    template: str
    severity: Severity
    text: str = Field(description="In the caller's language")
    text_en: str
    text_id: str
    source: str | None

    @classmethod
    def of(cls, item: ChecklistItem) -> ChecklistItemOut:
        return cls(id=item.id, key=item.key, template=item.template.key, severity=item.severity,
                   text=checklists.localized(item.text_en, item.text_id), text_en=item.text_en,
                   text_id=item.text_id, source=item.source)


class Helpline(Reply):
    name: str | None
    contact: str | None


class Template(Reply):
    id: int
    key: str
    name: str


class Checklist(Reply):
    assignment_id: int
    helpline: Helpline
    templates: list[Template]
    items: list[ChecklistItemOut]


class GivenAnswer(Reply):
    item_id: int
    answer: ItemAnswer
    note: str


class ReviewOut(Reply):
    id: int
    version_id: int
    mentor_id: int | None
    verdict: Verdict
    summary: str
    created_at: Timestamp | None
    answers: list[GivenAnswer]

    @classmethod
    def of(cls, review: Review) -> ReviewOut:
        return cls(id=review.id, version_id=review.version_id, mentor_id=review.mentor_id, verdict=review.verdict,
                   summary=review.summary, created_at=review.created_at,
                   answers=[GivenAnswer(item_id=a.item_id, answer=a.answer, note=a.note) for a in review.answers])


class Claimed(Reply):
    submission_id: int
    mentor_id: int
    state: SubmissionState


class Named(Reply):
    id: int
    title: str


class Person(Reply):
    id: int
    name: str


class Waiting(Reply):
    version_id: int
    number: int
    submission_id: int
    assignment: Named
    student: Person
    mentor_id: int | None
    state: SubmissionState
    waiting_since: Timestamp | None
    overdue: bool = Field(description="Waiting longer than the cohort's review target")


class Queue(Reply):
    versions: list[Waiting]


@bp.get("/versions/<int:version_id>/comments")
@requires(Role.STUDENT, Version)
@operation("Comments on a version (students never get private notes)", tag="review",
           answers={200: Answer("The comments", Comments)})
def list_comments(version: Version):
    comments = service.visible_comments([version.id], g.cohort_role)
    return Comments(comments=[CommentOut.of(c, version.number) for c in comments])


@bp.post("/versions/<int:version_id>/comments")
@requires(Role.STUDENT, Version)
@operation("Comment on a version, or reply to a comment", tag="review", body=NewComment,
           answers={201: Answer("The comment", CommentOut)}, errors=(403,))
def create_comment(version: Version, body: NewComment):
    """Private notes are for mentors and leads (403 for a student); a reply joins its
    thread and its privacy. A range (`end_ms`) and a drawing need `timecode_ms`."""
    shapes = None if body.drawing is None else [shape.model_dump() for shape in body.drawing]
    comment = service.add_comment(version, current_user, g.cohort_role, body=body.body,
                                  timecode_ms=body.timecode_ms, end_ms=body.end_ms, drawing=shapes,
                                  parent_id=body.parent_id, private=body.private)
    db.session.commit()
    return CommentOut.of(comment, version.number), 201


@bp.post("/comments/<int:comment_id>/resolve")
@requires(Role.MENTOR, Comment)
@operation("Mark a thread resolved (mentors, leads)", tag="review",
           answers={200: Answer("The comment", CommentOut)}, errors=(403, 422))
def resolve_comment(comment: Comment):
    service.set_resolved(comment, current_user, True)
    db.session.commit()
    return CommentOut.of(comment)


@bp.post("/comments/<int:comment_id>/unresolve")
@requires(Role.MENTOR, Comment)
@operation("Open a resolved thread again (mentors, leads)", tag="review",
           answers={200: Answer("The comment", CommentOut)}, errors=(403, 422))
def unresolve_comment(comment: Comment):
    service.set_resolved(comment, current_user, False)
    db.session.commit()
    return CommentOut.of(comment)


@bp.get("/assignments/<int:assignment_id>/checklist")
@requires(Role.STUDENT, Assignment)
@operation("The checklist items that apply, and the cohort's helpline", tag="review",
           answers={200: Answer("The checklist", Checklist)})
def assignment_checklist(assignment: Assignment):
    """Each item has its template, its severity (`must` or `should`), its text in the
    caller's language and in both, and its source."""
    name, contact = checklists.helpline(assignment.cohort)
    return Checklist(
        assignment_id=assignment.id,
        helpline=Helpline(name=name, contact=contact),
        templates=[Template(id=t.id, key=t.key, name=checklists.localized(t.name_en, t.name_id))
                   for t in checklists.templates_for(assignment)],
        items=[ChecklistItemOut.of(item) for item in checklists.items_for(assignment)],
    )


@bp.post("/versions/<int:version_id>/reviews")
@requires(Role.MENTOR, Version)
@operation("Give a verdict with checklist answers (mentors, leads)", tag="review", body=NewReview,
           answers={201: Answer("The review", ReviewOut)}, errors=(403, 409))
def create_review(version: Version, body: NewReview):
    """Only the newest ready version can be reviewed (409 `newer_version`); approval waits
    for the automatic checks (409 `checks_running`, `checks_failed`)."""
    answers = None if body.answers is None else [
        {"item_id": a.item_id, "answer": a.answer.value, "note": a.note or ""} for a in body.answers]
    review = verdicts.submit_review(version, current_user, verdict=body.verdict, summary=body.summary or "",
                                   answers=answers)
    db.session.commit()
    return ReviewOut.of(review), 201


@bp.put("/versions/<int:version_id>/review")
@requires(Role.MENTOR, Version)
@operation("Change your review of a version (its author, until the student uploads again)", tag="review",
           body=NewReview, answers={200: Answer("The review", ReviewOut)}, errors=(403, 409))
def edit_review(version: Version, body: NewReview):
    """Replaces the verdict, summary and answers of the version's latest review, checked as a
    new review is. 403 `not_author` for anyone but the mentor who wrote it; 409
    `newer_version` once the student has uploaded again, `escalated` for an escalation (the
    lead resolves it), `no_review` when there is none."""
    answers = None if body.answers is None else [
        {"item_id": a.item_id, "answer": a.answer.value, "note": a.note or ""} for a in body.answers]
    review = verdicts.edit_review(version, current_user, verdict=body.verdict, summary=body.summary or "",
                                  answers=answers)
    db.session.commit()
    return ReviewOut.of(review)


@bp.post("/versions/<int:version_id>/claim")
@requires(Role.MENTOR, Version)
@operation("Take a waiting submission for review (mentors, leads)", tag="review",
           answers={200: Answer("Claimed", Claimed)}, errors=(403, 409))
def claim_version(version: Version):
    service.claim(version.submission, current_user)
    db.session.commit()
    return Claimed(submission_id=version.submission_id, mentor_id=current_user.id, state=version.submission.state)


@bp.get("/reviews/queue")
@signed_in
@operation("Versions waiting for a verdict in the caller's cohorts, oldest first", tag="review", query=QueueFilter,
           answers={200: Answer("The queue", Queue)}, errors=(422,))
def review_queue(query: QueueFilter):
    """`only=mine` lists what the caller claimed, `only=unassigned` what nobody has."""
    entries = service.review_queue(current_user, only=query.only)
    return Queue(versions=[Waiting(
        version_id=e.version_id, number=e.number, submission_id=e.submission_id,
        assignment=Named(id=e.assignment_id, title=e.assignment_title),
        student=Person(id=e.student_id, name=e.student_name), mentor_id=e.mentor_id, state=e.state,
        waiting_since=e.waiting_since, overdue=e.overdue) for e in entries])
