"""Assignment and version pages: upload a draft, follow its processing, watch it."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template
from flask_login import current_user

from ..access import requires
from ..cohorts.models import Assignment
from ..cohorts.service import members_of
from ..extensions import db
from ..media.presenters import version_json
from ..review import checklists
from ..review import service as review
from ..review.checklists import available_templates
from ..roles import Role
from . import lifecycle, service
from .models import Submission, Version

bp = Blueprint("submissions", __name__)


@bp.get("/assignments/<int:assignment_id>")
@requires(Role.STUDENT, Assignment)
def assignment(assignment: Assignment):
    role = g.cohort_role
    if role is Role.STUDENT:
        submission = service.submission_for(assignment, current_user.id)
        return render_template(
            "submissions/assignment_student.html", assignment=assignment, submission=submission,
            locked=bool(submission and lifecycle.is_locked(submission)),
            max_upload_bytes=current_app.config["UPLOAD_MAX_BYTES"],
        )
    submissions = db.session.scalars(
        db.select(Submission).where(Submission.assignment_id == assignment.id)
        .options(db.joinedload(Submission.student), db.joinedload(Submission.mentor),
                 db.selectinload(Submission.versions)).order_by(Submission.updated_at.desc())
    ).all()
    return render_template("submissions/assignment_staff.html", assignment=assignment,
                           submissions=submissions, role=role,
                           available_templates=available_templates(assignment.cohort_id),
                           mentors=[m for m in members_of(assignment.cohort) if m.role is Role.MENTOR])


@bp.get("/versions/<int:version_id>")
@requires(Role.STUDENT, Version)
def version(version: Version):
    return render_version(version)


def render_version(version: Version, **extra):
    """The version page: the player and processing state for everyone; comments, the
    checklist outcome and the verdict for the student; the review panel for mentors and leads."""
    submission = version.submission
    role = g.cohort_role
    versions = list(submission.versions)
    comments = review.visible_comments([v.id for v in versions], role)
    by_version = {v.id: [c for c in comments if c.version_id == v.id] for v in versions}
    latest = review.latest_review(version)
    items = checklists.items_for(submission.assignment)
    answers = {a.item_id: a for a in latest.answers} if latest else {}
    return render_template(
        "submissions/version.html", version=version, submission=submission, assignment=submission.assignment,
        status=version_json(version), role=role, staff=role.at_least(Role.MENTOR),
        locked=lifecycle.is_locked(submission), versions=versions,
        threads=review.threads(by_version[version.id]),
        earlier=[(v, review.threads(by_version[v.id])) for v in reversed(versions)
                 if v.number < version.number and by_version[v.id]],
        review=latest, concern=review.concern_for_version(version, current_user, role), answers=answers,
        items=items, helpline=checklists.helpline(submission.assignment.cohort),
        newest_number=max(v.number for v in versions), **extra)
